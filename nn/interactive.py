"""Where the code runs (a Jupyter kernel, a terminal, or neither: a pipe, a CI log), and the
progress bar that suits each."""

from __future__ import annotations

import html
import importlib
import math
import sys
import time
from typing import Any


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


class ProgressBar:
    """A run's progress over ``total`` steps (``unit``: "epoch"): ``update(stats)`` after each
    step, with the latest numbers (``{"loss": "0.31", "acc": "88.0%"}``), ``stop_early(note)``
    when the run ends before ``total`` as planned (early stopping), ``close()`` at the end.

    - In a notebook: an HTML ``<progress>`` bar that IPython redraws in place (a display with an
      id), at most ten times a second and at the end. A saved notebook, nbconvert and GitHub's
      preview keep the last drawing, text included, so they show the finished run; a run that
      stops early ends as a full bar saying so. Nothing goes to stderr, which a notebook shows
      as an error-coloured block. (tqdm's notebook widget is not used: a saved notebook keeps
      its first text, ``0%| | 0/40``, and a run that stops early ends as a red bar.)
    - In a terminal: tqdm's text bar, or without tqdm a line on stderr every tenth of the run.
    - With ``enabled=False`` (or ``None`` where nobody watches: a pipe, a CI log): nothing.
    """

    def __init__(self, total: int, enabled: bool | None = None, description: str = "training",
                 unit: str = "epoch") -> None:
        self.total, self.n = total, 0
        self.description, self.unit = description, unit
        self.enabled = interactive() if enabled is None else bool(enabled)
        self.stats: dict[str, str] = {}
        self.note = ""
        self._started = self._drawn = time.monotonic()
        self._handle: Any = None
        self._tqdm: Any = None
        if not self.enabled:
            return
        if in_notebook():
            from IPython.display import display

            self._handle = display(self._picture(), raw=True, display_id=True)
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._tqdm = tqdm(total=total, desc=description, unit=unit, leave=True)

    def update(self, stats: dict[str, str]) -> None:
        """One more step done; ``stats`` are its numbers, already formatted."""
        self.n += 1
        self.stats = dict(stats)
        if not self.enabled:
            return
        if self._handle is not None:
            if self.n >= self.total or time.monotonic() - self._drawn >= 0.1:
                self._draw()
        elif self._tqdm is not None:
            self._tqdm.set_postfix(self.stats, refresh=False)
            self._tqdm.update(1)
        elif self.n == self.total or self.n % max(1, math.ceil(self.total / 10)) == 0:
            print(f"{self.unit} {self.n}/{self.total}: {self._numbers()}", file=sys.stderr)

    def stop_early(self, note: str) -> None:
        """The run ends here, before ``total``, as planned (``note`` says why: "stopped early
        (best validation loss at epoch 4)"): the bar ends full, a finished run, not one cut
        short."""
        self.note = note
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.set_description(
                f"{self.description}, {self.n} of {self.total} {self.unit}s, {note}")
            self._tqdm.total = self.n
            self._tqdm.refresh()
        elif self._handle is None:
            print(f"{self.unit} {self.n}/{self.total}: {self._numbers()}; {note}",
                  file=sys.stderr)

    def close(self) -> None:
        if self._handle is not None:
            self._draw()
        elif self._tqdm is not None:
            self._tqdm.close()

    def _numbers(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in self.stats.items())

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        self._handle.update(self._picture(), raw=True)

    def _picture(self) -> dict[str, str]:
        """The bar as HTML, and as text for front ends that show no HTML (nbconvert's markdown,
        a terminal client): "training: 40/40 epochs in 1.3 s; loss 0.081, acc 97.5%", or for a
        run that stopped early "training: 9 of 40 epochs in 0.4 s, stopped early (...); ..."."""
        if self.note:
            done, full = f"{self.n} of {self.total} {self.unit}s", self.n
        else:
            done, full = f"{self.n}/{self.total} {self.unit}s", self.total
        if self.n == full:
            done += f" in {time.monotonic() - self._started:.1f} s"
        if self.note:
            done += f", {self.note}"
        if self.stats:
            done += "; " + self._numbers()
        return {
            "text/plain": f"{self.description}: {done}",
            "text/html": (f'<div class="bp-progress">{html.escape(self.description)} '
                          f'<progress value="{self.n}" max="{max(full, 1)}" '
                          f'style="vertical-align: middle"></progress> {html.escape(done)}</div>'),
        }
