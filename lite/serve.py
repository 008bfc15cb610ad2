"""Serve the built site (site/) on 127.0.0.1: ``make serve-site``, then open the printed address.

Python's own file server, with the content types a JupyterLite site needs whatever the
system's MIME table says (module scripts must be JavaScript, wasm must be application/wasm).
It listens on 127.0.0.1 only: this computer's browser reaches it, the network does not.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "site"
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
         ".json": "application/json", ".ipynb": "application/json", ".whl": "application/zip"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: one line a request would drown the address printed at start."""


def server(folder: Path, port: int) -> http.server.ThreadingHTTPServer:
    """A server of ``folder`` on 127.0.0.1:``port`` (0: any free port), not yet serving."""
    handler = functools.partial(Handler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--folder", type=Path, default=SITE)
    args = parser.parse_args()
    if not (args.folder / "index.html").is_file():
        sys.exit(f"{args.folder} has no site in it: build it first with `make site`")
    try:
        httpd = server(args.folder, args.port)
    except OSError as error:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror}): another program "
                 f"uses it? choose another port: make serve-site SITE_PORT=8001")
    print(f"Serving {args.folder} at http://127.0.0.1:{args.port}/ (Ctrl-C stops it)", flush=True)
    with httpd:
        try:
            httpd.serve_forever()
        except KeyboardInterrupt:
            print()


if __name__ == "__main__":
    main()
