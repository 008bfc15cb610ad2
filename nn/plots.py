"""Plots: loss curves and decision boundaries (matplotlib, from the ``notebooks`` extra).

matplotlib is imported only inside these functions, so ``nn`` works without it. Each function
returns a matplotlib ``Figure``: a notebook cell that ends with the call shows it inline, once,
with no ``%matplotlib`` needed; give ``path`` to also save it (PNG, SVG or PDF by extension,
written atomically; a read-only file is replaced only with ``overwrite=True``). Figures are made
without ``pyplot``, so scripts and servers need no display, and nothing accumulates in pyplot's
list of open figures.

Pass ``ax`` to draw into axes of your own figure instead: the function then returns None, as the
figure is yours to show (``plt.show()``), and a cell ending with the call shows it once.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, no_grad, write_atomically
from nn import checks
from nn.interactive import show_figures_inline
from nn.train import History

#: Class colours (matplotlib's tab10): class k is drawn in COLORS[k % 10].
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf")


def _matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib (it comes with this "
                          "project's 'notebooks' extra)") from None
    show_figures_inline()
    return Figure


def _new_figure(ncols: int = 1, width: float = 5.0) -> tuple[Any, list]:
    Figure = _matplotlib()
    fig = Figure(figsize=(width * ncols, 4.0), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _save(fig: Any, path: str | os.PathLike | None, overwrite: bool) -> None:
    if path is None:
        return
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(f"cannot save a plot as {os.fspath(path)!r}: use an extension such as "
                         ".png, .svg or .pdf")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=extension, dpi=120)
    write_atomically(path, buffer.getvalue(), overwrite=overwrite)


def plot_loss(history: History, path: str | os.PathLike | None = None, ax: Any = None,
              title: str = "training", *, overwrite: bool = False) -> Any:
    """Loss per epoch (training, and test when measured); accuracy beside it when recorded.

    Returns the Figure. With ``ax`` only the loss is drawn, into those axes, and None is
    returned (see the module doc).
    """
    if not isinstance(history, History):
        raise TypeError(f"plot_loss takes the History returned by nn.fit, got "
                        f"{type(history).__name__}")
    if not history.loss:
        raise ValueError("the history is empty: train for at least one epoch first")
    if ax is None:
        fig, axes = _new_figure(2 if history.accuracy else 1)
    else:
        _matplotlib()
        fig, axes = ax.figure, [ax]
    epochs = range(1, history.epochs + 1)
    curves = [(axes[0], "loss", history.loss, history.test_loss)]
    if len(axes) == 2:
        curves.append((axes[1], "accuracy", history.accuracy, history.test_accuracy))
    for axis, name, train, test in curves:
        axis.plot(epochs, train, label=f"train {name}", color=COLORS[0])
        if test:
            axis.plot(epochs, test, label=f"test {name}", color=COLORS[1])
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.set_title(f"{title}: {name}")
        axis.grid(alpha=0.3)
        axis.legend()
    if len(axes) == 2:
        axes[1].set_ylim(-0.02, 1.02)
    _save(fig, path, overwrite)
    return fig if ax is None else None


def _grid(X: Sequence[Sequence[float]], resolution: int) -> tuple[list[float], list[float]]:
    xs = [x[0] for x in X]
    ys = [x[1] for x in X]
    margin_x = 0.1 * (max(xs) - min(xs)) or 1.0
    margin_y = 0.1 * (max(ys) - min(ys)) or 1.0
    low_x, high_x = min(xs) - margin_x, max(xs) + margin_x
    low_y, high_y = min(ys) - margin_y, max(ys) + margin_y
    step_x = (high_x - low_x) / (resolution - 1)
    step_y = (high_y - low_y) / (resolution - 1)
    return ([low_x + i * step_x for i in range(resolution)],
            [low_y + i * step_y for i in range(resolution)])


def _margins(out: Any, threshold: float) -> list[float]:
    """For each class k, how far it wins: m_k = s_k - max_{j != k} s_j (> 0 where k is
    predicted). One score s counts as two classes: m_1 = s - threshold, m_0 = -m_1."""
    if isinstance(out, (list, tuple)) and len(out) == 1:
        out = out[0]
    if isinstance(out, (list, tuple)):
        scores = [s.data if isinstance(s, Value) else float(s) for s in out]
        margins = []
        for k, s in enumerate(scores):
            others = scores[:k] + scores[k + 1:]
            margins.append(s - max(others))
        return margins
    score = (out.data if isinstance(out, Value) else float(out)) - threshold
    return [-score, score]


def plot_decision_boundary(model: Callable, X: Sequence[Sequence[float]], y: Sequence,
                           path: str | os.PathLike | None = None, ax: Any = None,
                           resolution: int = 60, threshold: float = 0.0,
                           title: str = "decision boundary", *,
                           overwrite: bool = False) -> Any:
    """The regions a 2-D classifier assigns to each class, with the examples on top.

    Binary models (one score): class 1 where the score is > ``threshold`` (0 for scores and
    logits; 0.5 for a probability), and examples coloured by whether their label is > 0, so
    -1/+1 and 0/1 labels both work. K-class models (a list of scores): the argmax, with labels
    the class indices. The model is evaluated on a ``resolution`` x ``resolution`` grid covering
    the data, without building graphs. Returns the Figure, or None when drawn into ``ax``.
    """
    checks.dataset(X, y, "plot_decision_boundary's dataset")
    for x in X:
        checks.check_inputs(x, 2, "plot_decision_boundary (it draws 2-D inputs [x1, x2])")
    resolution = checks.count(resolution, "resolution", 2)
    given = ax
    if ax is None:
        fig, (ax,) = _new_figure(1)
    else:
        fig = ax.figure
    xs, ys = _grid(X, resolution)
    with no_grad():
        first = model([xs[0], ys[0]])
        grid = [[_margins(model([gx, gy]), threshold) for gx in xs] for gy in ys]
    binary = not isinstance(first, (list, tuple)) or len(first) == 1
    classes = len(grid[0][0])
    labels = [(1 if t > 0 else 0) if binary else int(t) for t in y]
    colors = [COLORS[k % len(COLORS)] for k in range(classes)]
    # Each class's region is where its margin is > 0; contouring the margins (numbers that vary
    # smoothly) rather than the predicted classes gives smooth boundaries on a coarse grid.
    for k in range(classes):
        field = [[cell[k] for cell in row] for row in grid]
        top = max(max(row) for row in field)
        if top > 0:
            ax.contourf(xs, ys, field, levels=[0.0, top + 1.0], colors=[colors[k]], alpha=0.25)
            ax.contour(xs, ys, field, levels=[0.0], colors="black", linewidths=0.8)
    if binary:
        names = ["-1", "+1"] if any(t < 0 for t in y) else ["0", "1"]
    else:
        names = [str(k) for k in range(classes)]
    for k in range(classes):
        points = [x for x, label in zip(X, labels) if label == k]
        if points:
            ax.scatter([p[0] for p in points], [p[1] for p in points], s=18, color=colors[k],
                       edgecolors="black", linewidths=0.4, label=f"class {names[k]}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    _save(fig, path, overwrite)
    return fig if given is None else None
