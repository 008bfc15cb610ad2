"""Every kind of picture the library makes, as a student or an instructor meets it, in one theme:
the gallery (``build.py``) writes them all in every format, and the tests
(``tests/pictures/test_gallery.py``) check them all.

``catalogue(theme)`` returns ``Entry`` records in order. Each holds what to draw and says which
of three kinds it is:

- ``graph``: an ``autograd.Graph`` (``draw_dot``, ``nn.draw_network``, an exercise's, a
  report's or a mistake's picture): SVG, PNG, PDF and TeX;
- ``steps``: a ``Trace``: every step's frame (SVG, PNG), the HTML player, a PDF page per step,
  Beamer overlays (TeX) and a GIF;
- ``figure``: a matplotlib figure (``nn.plot_loss``, ``nn.plot_decision_boundary``): SVG, PNG,
  PDF.

A report or a mistake also has its table as HTML (``html``), which the gallery shows beside the
picture.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nn
from autograd import Parameter, Value, draw_dot, trace_backward
from autograd.teach import mistakes
from autograd.teach.exercise import exercise

__all__ = ["FORMATS", "THEMES", "Entry", "catalogue"]

THEMES = ("light", "dark", "print")
#: The files written for each kind of entry, by extension.
FORMATS = {"graph": ("svg", "png", "pdf", "tex"),
           "steps": ("html", "pdf", "tex", "gif"),
           "figure": ("svg", "png", "pdf")}

B = 6.8813735870195432


@dataclass
class Entry:
    """One picture: ``name`` (its files' name), ``title`` (the gallery's caption), ``kind``
    (``"graph"``, ``"steps"`` or ``"figure"``) and ``make``, which draws it (a Graph, a Trace or
    a Figure); ``html``, where there is one, makes the table a notebook shows with it."""

    name: str
    title: str
    kind: str
    make: Callable[[], Any]
    html: Callable[[], str] | None = None


def readme_neuron() -> tuple[Value, Parameter]:
    """o = tanh(x1*w1 + x2*w2 + b) (README, micrograd's neuron), and w1; not yet backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    return n.tanh(), w1


def fan_out() -> Value:
    """y = x*x + 2*x: x used three times, where every classic mistake shows."""
    x = Value(3.0, label="x")
    y = x * x + 2 * x
    y.label = "y"
    return y


def _html(report: Any) -> str:
    bundle = report._repr_mimebundle_()
    return bundle.get("text/html") or f"<pre>{bundle.get('text/plain', '')}</pre>"


def catalogue(theme: str) -> list[Entry]:
    """Every picture kind in ``theme`` ("light", "dark" or "print")."""
    entries = []

    def graph_after_backward(highlight: bool) -> Any:
        o, w1 = readme_neuron()
        o.backward()
        return draw_dot(o, theme=theme, highlight_paths_from=w1 if highlight else None)

    entries.append(Entry("graph", "draw_dot: the README neuron after backward", "graph",
                         lambda: graph_after_backward(False)))
    entries.append(Entry("graph-paths", "draw_dot(highlight_paths_from=w1): backprop's paths",
                         "graph", lambda: graph_after_backward(True)))
    entries.append(Entry("steps", "trace_backward: the step frames, player, PDF, Beamer, GIF",
                         "steps", lambda: trace_backward(readme_neuron()[0])))

    def handout() -> Any:
        return exercise(readme_neuron()[0])

    def report() -> Any:
        ex = handout()
        key = ex.answer_key() if callable(ex.answer_key) else ex.answer_key
        names = list(key)
        # right, wrong and unanswered rows
        answers = {names[0]: key[names[0]], names[1]: key[names[1]] * 2 + 1}
        answers[names[-1]] = key[names[-1]]
        return ex.check(answers)

    entries.append(Entry("exercise", "exercise(o): the handout", "graph",
                         lambda: handout().graph(theme=theme), lambda: _html(handout())))
    entries.append(Entry("report", "ex.check(answers): right, wrong and unanswered rows",
                         "graph", lambda: report().graph(theme=theme), lambda: _html(report())))
    for mistake in mistakes.MISTAKES:
        name = mistake.__name__
        entries.append(Entry(f"mistake-{name.replace('_', '-')}", f"mistakes.{name}(y)",
                             "graph", lambda m=mistake: m(fan_out()).graph(theme=theme),
                             lambda m=mistake: _html(m(fan_out()))))

    def network(**options: Any) -> Any:
        model = nn.MLP(3, [5, 4, 2], seed=0, dropout=options.pop("dropout", 0.0))
        return nn.draw_network(model, x=[0.5, -1.0, 2.0], theme=theme, **options)

    entries += [
        Entry("network", "draw_network(x=...): weights named", "graph", lambda: network()),
        Entry("network-dropout", "draw_network with dropout 0.5, a training pass", "graph",
              lambda: network(dropout=0.5, weights=None)),
        Entry("network-paths", "draw_network(highlight_paths_from='layers.0.neurons.0.w1')",
              "graph", lambda: network(highlight_paths_from="layers.0.neurons.0.w1")),
        Entry("network-values", "draw_network(weights='values', show_bias=True, rankdir='TB')",
              "graph", lambda: network(weights="values", show_bias=True, rankdir="TB")),
        Entry("plot-loss", "plot_loss: train, validation and test, early stopping", "figure",
              lambda: _loss_plot(theme)),
        Entry("plot-boundary", "plot_decision_boundary: two classes", "figure",
              lambda: _boundary_plot(theme, classes=2)),
        Entry("plot-boundary-3", "plot_decision_boundary: three classes", "figure",
              lambda: _boundary_plot(theme, classes=3)),
    ]
    return entries


@functools.cache
def _trained_history() -> Any:
    """A short training run with validation, test and early stopping (trained once, drawn in
    every theme)."""
    X, y = nn.data.make_moons(60, noise=0.2, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    return nn.fit(model, X[:40], y[:40], loss=nn.bce_with_logits,
                  optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=30,
                  validation=(X[40:50], y[40:50]), test=(X[50:], y[50:]), early_stopping=5,
                  progress=False)


@functools.cache
def _trained_classifier(classes: int) -> tuple[Any, list, list]:
    """A small classifier of two or three classes of 2-D points, and its data."""
    if classes == 2:
        X, y = nn.data.make_moons(40, noise=0.2, seed=0)
        model, loss = nn.MLP(2, [8, 1], seed=0), nn.bce_with_logits
    else:
        X, y = nn.data.make_blobs(45, centers=3, seed=0)
        model, loss = nn.MLP(2, [8, 3], seed=0), nn.cross_entropy
    nn.fit(model, X, y, loss=loss, optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=15,
           progress=False)
    return model, X, y


def _loss_plot(theme: str) -> Any:
    return nn.plot_loss(_trained_history(), theme=theme)


def _boundary_plot(theme: str, classes: int) -> Any:
    model, X, y = _trained_classifier(classes)
    return nn.plot_decision_boundary(model, X, y, resolution=30, theme=theme)
