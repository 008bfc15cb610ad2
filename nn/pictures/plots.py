"""Plots: loss curves and decision boundaries (matplotlib, from the ``notebooks`` extra).

matplotlib is imported only inside these functions, so ``nn`` works without it. Each function
returns a matplotlib ``Figure``: a notebook cell that ends with the call shows it inline, once,
with no ``%matplotlib`` needed; give ``path`` to also save it (PNG, SVG or PDF by extension,
written atomically; a read-only file is replaced only with ``overwrite=True``). Figures are made
without ``pyplot``, so scripts and servers need no display, and nothing accumulates in pyplot's
list of open figures.

Pass ``ax`` to draw into axes of your own figure instead: the function then returns None, as the
figure is yours to show (``plt.show()``), and a cell ending with the call shows it once.

Every plot takes ``theme="light" | "dark" | "print"`` (the same themes as every picture, see
``autograd.get_theme``): colour-blind-safe colours (Okabe-Ito), and lines and classes told apart
by line style and marker too, so that the print theme's greys read in a handout. ``dpi`` sets the
resolution of a saved PNG. Legends never sit on the data: in a figure of the plot's own they go
outside the axes; in axes you pass, matplotlib puts them where they cover the least.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Theme, Value, check_dpi, get_theme, no_grad, write_atomically
from nn import checks
from nn.interactive import show_figures_inline
from nn.module import in_mode
from nn.train import History

#: Resolution of saved PNGs unless ``dpi`` says otherwise.
DPI = 120


def _matplotlib() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib (it comes with this "
                          "project's 'notebooks' extra)") from None
    show_figures_inline()
    return Figure


def _new_figure(look: Theme, ncols: int = 1, width: float = 5.0) -> tuple[Any, list]:
    Figure = _matplotlib()
    fig = Figure(figsize=(width * ncols, 4.0), layout="constrained", facecolor=look.background)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _style(ax: Any, look: Theme) -> None:
    """The theme's colours on ``ax``: its background, frame, ticks, labels and title."""
    ax.set_facecolor(look.background)
    for spine in ax.spines.values():
        spine.set_color(look.muted)
    ax.tick_params(colors=look.text, which="both")
    ax.xaxis.label.set_color(look.text)
    ax.yaxis.label.set_color(look.text)
    ax.title.set_color(look.text)


def _legend(holder: Any, look: Theme, **placement: Any) -> Any:
    """A legend on the theme's background, with the theme's text colour."""
    return holder.legend(facecolor=look.background, edgecolor=look.muted, labelcolor=look.text,
                         **placement)


def _save(fig: Any, path: str | os.PathLike | None, overwrite: bool,
          dpi: float | None) -> None:
    if path is None:
        return
    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if extension not in supported:
        raise ValueError(f"cannot save a plot as {os.fspath(path)!r}: use an extension such as "
                         ".png, .svg or .pdf")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=extension, dpi=check_dpi(dpi) or DPI,
                facecolor=fig.get_facecolor())
    write_atomically(path, buffer.getvalue(), overwrite=overwrite)


def plot_loss(history: History, path: str | os.PathLike | None = None, ax: Any = None,
              title: str = "training", *, theme: str | Theme = "light", dpi: float | None = None,
              overwrite: bool = False) -> Any:
    """Loss per epoch (training, and test and validation when measured); accuracy beside it
    when recorded. With early stopping, a dotted line marks the best epoch, whose parameters the
    model was given back.

    Training curves are solid, test curves dashed, validation curves dash-dotted (in every
    theme). In a figure of its own the legend sits under the plots, off the curves. Returns the
    Figure. With ``ax`` only the loss is drawn, into those axes, and None is returned (see the
    module doc).
    """
    if not isinstance(history, History):
        raise TypeError(f"plot_loss takes the History returned by nn.fit, got "
                        f"{type(history).__name__}")
    if not history.loss:
        raise ValueError("the history is empty: train for at least one epoch first")
    look = get_theme(theme)
    if ax is None:
        fig, axes = _new_figure(look, 2 if history.accuracy else 1)
    else:
        _matplotlib()
        fig, axes = ax.figure, [ax]
    epochs = range(1, history.epochs + 1)
    curves = [(axes[0], "loss", history.loss, history.test_loss, history.val_loss)]
    if len(axes) == 2:
        curves.append((axes[1], "accuracy", history.accuracy, history.test_accuracy,
                       history.val_accuracy))
    train_style = {"color": look.series[0], "linestyle": "-"}
    test_style = {"color": look.series[1], "linestyle": "--"}
    validation_style = {"color": look.series[2], "linestyle": "-."}
    kept = f"best epoch {history.best_epoch} (kept)"
    for axis, name, train, test, validation in curves:
        axis.plot(epochs, train, label=f"train {name}", **train_style)
        if test:
            axis.plot(epochs, test, label=f"test {name}", **test_style)
        if validation:
            axis.plot(epochs, validation, label=f"validation {name}", **validation_style)
        if history.best_epoch:
            axis.axvline(history.best_epoch, color=look.text, linestyle=":", linewidth=1,
                         label=kept)
        axis.set_xlabel("epoch")
        axis.set_ylabel(name)
        axis.set_title(f"{title}: {name}")
        axis.grid(alpha=0.3, color=look.grid)
        _style(axis, look)
    if len(axes) == 2:
        axes[1].set_ylim(-0.02, 1.02)
    if ax is None:
        # One legend for both plots, under them: "train" and "test" read the same in each.
        names = (["train"] + ["test"] * bool(history.test_loss)
                 + ["validation"] * bool(history.val_loss) + [kept] * bool(history.best_epoch))
        _legend(fig, look, handles=axes[0].get_lines(), labels=names,
                loc="outside lower center", ncols=len(names))
    else:
        _legend(ax, look, loc="best")
    _save(fig, path, overwrite, dpi)
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
                           title: str = "decision boundary", *, theme: str | Theme = "light",
                           dpi: float | None = None, overwrite: bool = False) -> Any:
    """The regions a 2-D classifier assigns to each class, with the examples on top.

    Binary models (one score): class 1 where the score is > ``threshold`` (0 for scores and
    logits; 0.5 for a probability), and examples coloured by whether their label is > 0, so
    -1/+1 and 0/1 labels both work. K-class models (a list of scores): the argmax, with labels
    the class indices. The model is evaluated on a ``resolution`` x ``resolution`` grid covering
    the data, without building graphs, in evaluation mode (dropout off). Each class has its own
    colour and marker (and in the print theme its own hatching), and in a figure of its own the
    legend sits to the right of the axes. Returns the Figure, or None when drawn into ``ax``.
    """
    checks.dataset(X, y, "plot_decision_boundary's dataset")
    for x in X:
        checks.check_inputs(x, 2, "plot_decision_boundary (it draws 2-D inputs [x1, x2])")
    resolution = checks.count(resolution, "resolution", 2)
    look = get_theme(theme)
    given = ax
    if ax is None:
        fig, (ax,) = _new_figure(look, 1, width=5.6)
    else:
        fig = ax.figure
    xs, ys = _grid(X, resolution)
    with no_grad(), in_mode(model, training=False):
        first = model([xs[0], ys[0]])
        grid = [[_margins(model([gx, gy]), threshold) for gx in xs] for gy in ys]
    binary = not isinstance(first, (list, tuple)) or len(first) == 1
    classes = len(grid[0][0])
    labels = [(1 if t > 0 else 0) if binary else int(t) for t in y]
    colors = [look.series[k % len(look.series)] for k in range(classes)]
    # Each class's region is where its margin is > 0; contouring the margins (numbers that vary
    # smoothly) rather than the predicted classes gives smooth boundaries on a coarse grid.
    for k in range(classes):
        field = [[cell[k] for cell in row] for row in grid]
        top = max(max(row) for row in field)
        if top > 0:
            hatch = look.hatches[k % len(look.hatches)] if look.hatches else None
            ax.contourf(xs, ys, field, levels=[0.0, top + 1.0], colors=[colors[k]], alpha=0.25,
                        hatches=[hatch])
            ax.contour(xs, ys, field, levels=[0.0], colors=look.text, linewidths=0.8)
    if binary:
        names = ["-1", "+1"] if any(t < 0 for t in y) else ["0", "1"]
    else:
        names = [str(k) for k in range(classes)]
    for k in range(classes):
        points = [x for x, label in zip(X, labels) if label == k]
        if points:
            ax.scatter([p[0] for p in points], [p[1] for p in points], s=20, color=colors[k],
                       marker=look.markers[k % len(look.markers)], edgecolors=look.text,
                       linewidths=0.4, label=f"class {names[k]}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title)
    _style(ax, look)
    if given is None:  # beside the axes, off the data
        _legend(ax, look, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                fontsize="small")
    else:
        _legend(ax, look, loc="best", fontsize="small")
    _save(fig, path, overwrite, dpi)
    return fig if given is None else None
