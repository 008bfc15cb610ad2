"""Pictures in the browser: Graphviz compiled to WebAssembly (``@viz-js/viz``), under Pyodide.

In a browser (or Node) Python runs as WebAssembly (``sys.platform == "emscripten"``): there is
neither pygraphviz nor a ``dot`` program. ``@viz-js/viz`` is Graphviz itself, compiled to
WebAssembly: its release 3.27.0 is Graphviz 14.1.5, the version pygraphviz's wheels bundle, so
the same DOT text is laid out the same way. ``render.py`` hands it every picture there.

Where it comes from: the JavaScript global ``Viz`` when the page (or a test's runner) has
loaded it, else ``viz-global.js`` beside this file, which ``make site`` puts into the wheel it
builds (see ``lite/README.md``): nothing is fetched from the network.

The renderer starts asynchronously (it compiles the WebAssembly); pictures are asked for
synchronously (``Graph.pipe()``, Jupyter's ``_repr_svg_``). In a JupyterLite notebook the
first picture waits for it through ``pyodide.ffi.run_sync`` (WebAssembly stack switching,
which Chromium has); where that is unavailable, ``await load()`` once makes every later
picture synchronous.

Only text formats exist here: SVG for pictures, json0 for layouts (``.tex``). PNG and PDF need
a native renderer (cairo), so they are refused with a message that names SVG.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

#: The name ``render.available_renderer()`` gives this renderer.
RENDERER = "viz.js"
#: The @viz-js/viz release the site ships, and the Graphviz it is; ``make site`` checks both.
VIZ_VERSION = "3.27.0"
GRAPHVIZ_VERSION = "14.1.5"
#: Output formats Graphviz's WebAssembly build makes for us: SVG pictures, json0 layouts.
FORMATS = ("svg", "json0")
#: Where ``make site`` puts the renderer in the wheel it builds.
BUNDLE = Path(__file__).with_name("viz-global.js")
IN_BROWSER = sys.platform == "emscripten"

_viz: Any = None  # the Viz instance, once started
_starting: Any = None  # the JavaScript promise of it


class BrowserRendererError(RuntimeError):
    """What Graphviz in the browser cannot do: PNG and PDF (they need a native renderer)."""


def available_renderer() -> str | None:
    """``RENDERER`` where Python runs as WebAssembly and @viz-js/viz is at hand, else None."""
    if not IN_BROWSER:
        return None
    import js

    return RENDERER if _viz is not None or hasattr(js, "Viz") or BUNDLE.is_file() else None


async def load() -> None:
    """Start Graphviz's WebAssembly and wait until it is ready: every picture after this one
    call is drawn at once, without ``run_sync``. (Idempotent and cheap once done.)"""
    global _viz
    if _viz is None:
        _viz = await _start()


def render(source: str, format: str) -> tuple[bytes, list[str]]:
    """Lay out DOT ``source`` with Graphviz's WebAssembly: (the picture's bytes, []), or
    (b"", Graphviz's error messages) when it refuses the graph. Warnings become Python
    warnings, as the native renderer's do."""
    if format not in FORMATS:
        raise BrowserRendererError(
            f"cannot draw a {format} picture in the browser: {format.upper()} needs a native "
            f"Graphviz (cairo), and here Graphviz is WebAssembly; save the picture as .svg "
            f"(or .dot, or .tex for LaTeX) instead")
    import js
    from pyodide.ffi import to_js

    options = to_js({"format": format}, dict_converter=js.Object.fromEntries)
    result = _instance().render(source, options)
    messages = [(e.level, str(e.message).strip()) for e in (result.errors or [])]
    if result.status != "success":
        return b"", [text for level, text in messages if level == "error"] or ["failed"]
    for _, text in messages:  # success: what Graphviz said were warnings
        warnings.warn(f"Graphviz: {text}", RuntimeWarning, stacklevel=4)
    return str(result.output).encode("utf-8"), []


def _instance() -> Any:
    """The Viz instance, waiting for it to start where the platform can wait synchronously."""
    global _viz
    if _viz is None:
        from pyodide.ffi import can_run_sync, run_sync

        starting = _start()
        if not can_run_sync():
            raise BrowserRendererError(
                "Graphviz (WebAssembly) is still starting and this browser cannot wait for it "
                "here; run `import autograd.pictures.wasm as w; await w.load()` in a cell once, "
                "then draw again")
        _viz = run_sync(starting)
    return _viz


def _start() -> Any:
    """The promise of a Viz instance, started once: from the ``Viz`` global, else from the
    bundled script (which defines that global)."""
    global _starting
    if _starting is None:
        import js

        if not hasattr(js, "Viz"):
            if not BUNDLE.is_file():
                raise BrowserRendererError(
                    f"no Graphviz for the browser: {BUNDLE.name} is missing from this install "
                    f"of backprop-lab (the wheel `make site` builds has it)")
            from pyodide.code import run_js

            run_js(BUNDLE.read_text(encoding="utf-8"))
        _starting = js.Viz.instance()
    return _starting
