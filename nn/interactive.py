"""Where the code runs: a Jupyter kernel, a terminal, or neither (a pipe, a CI log)."""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def interactive() -> bool:
    """True in a notebook or when stderr is a terminal: where a progress bar is welcome."""
    if in_notebook():
        return True
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()
