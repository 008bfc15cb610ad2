"""Where the code runs: a Jupyter kernel, a terminal, or neither (a pipe, a CI log)."""

from __future__ import annotations

import html
import importlib
import sys
import time


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


def show_figures_inline() -> None:
    """In a notebook, let a matplotlib ``Figure`` that ends a cell display as its picture.

    IPython learns to show figures when matplotlib's inline backend loads, which happens on the
    first pyplot figure or ``%matplotlib inline``. A Figure made without pyplot, as ``nn``'s
    plots are, would show as ``<Figure size 500x400 with 1 Axes>`` until then. Loading the
    backend runs its own set-up, which does nothing where the user chose another backend.
    """
    if not in_notebook():
        return
    try:
        importlib.import_module("matplotlib_inline.backend_inline")
    except ImportError:  # a kernel without matplotlib-inline: figures show as text
        pass


class HtmlProgressBar:
    """A progress bar for notebooks without ipywidgets: an HTML ``<progress>`` element that
    IPython redraws in place (a display with an id). It takes tqdm's calls (``update``,
    ``set_postfix``, ``close``) and redraws at most ten times a second, and at the end."""

    def __init__(self, total: int, description: str, unit: str) -> None:
        from IPython.display import display

        self.total, self.n = total, 0
        self.description, self.unit = description, unit
        self.postfix: dict[str, object] = {}
        self._drawn = 0.0
        self._handle = display(self._picture(), raw=True, display_id=True)

    def set_postfix(self, stats: dict[str, object], refresh: bool = True) -> None:
        self.postfix = dict(stats)
        if refresh:
            self._draw()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.n >= self.total or time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def close(self) -> None:
        self._draw()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        self._handle.update(self._picture(), raw=True)

    def _picture(self) -> dict[str, str]:
        """The bar as HTML, and as text for front ends that show no HTML."""
        stats = "".join(f", {key} {value}" for key, value in self.postfix.items())
        done = f"{self.n}/{self.total} {self.unit}s{stats}"
        return {
            "text/plain": f"{self.description}: {done}",
            "text/html": (f'<div class="bp-progress">{html.escape(self.description)} '
                          f'<progress value="{self.n}" max="{self.total}" '
                          f'style="vertical-align: middle"></progress> {html.escape(done)}</div>'),
        }
