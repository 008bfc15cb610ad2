"""Plots: loss curves and decision boundaries as Figures and files, and nn without matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import nn
from autograd import is_grad_enabled
from nn import MLP, SGD, History, data, fit, hinge_loss
from nn.pictures.plots import plot_decision_boundary, plot_loss

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained():
    pytest.importorskip("matplotlib")
    X, y = data.make_moons(30, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X_train, y_train, loss=hinge_loss,
                  optimizer=SGD(model.parameters(), lr=0.3), epochs=5, test=(X_test, y_test),
                  progress=False)
    return model, X, y, history


def test_plot_loss_draws_train_and_test_curves_and_accuracy_beside(trained):
    *_, history = trained
    fig = plot_loss(history)
    loss_axes, accuracy_axes = fig.axes
    assert [line.get_label() for line in loss_axes.get_lines()] == ["train loss", "test loss"]
    assert list(loss_axes.get_lines()[0].get_ydata()) == history.loss
    assert [line.get_label() for line in accuracy_axes.get_lines()] == [
        "train accuracy", "test accuracy"]


def test_plot_loss_saves_a_png(trained, tmp_path):
    *_, history = trained
    plot_loss(history, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes().startswith(PNG)
    assert os.listdir(tmp_path) == ["loss.png"]


def test_plot_loss_into_given_axes_draws_only_the_loss_and_returns_nothing():
    # The figure is the caller's to show: returning it would show it twice in a notebook.
    Figure = pytest.importorskip("matplotlib.figure").Figure

    fig = Figure()
    ax = fig.add_subplot()
    returned = plot_loss(History(loss=[1.0, 0.5], accuracy=[0.5, 1.0]), ax=ax)
    assert returned is None and len(fig.axes) == 1
    assert [line.get_label() for line in ax.get_lines()] == ["train loss"]


def test_binary_decision_boundary_saves_a_png_with_both_classes(trained, tmp_path):
    model, X, y, _ = trained
    fig = plot_decision_boundary(model, X, y, tmp_path / "boundary.png", resolution=20)
    assert (tmp_path / "boundary.png").read_bytes().startswith(PNG)
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["class -1", "class +1"]


def test_k_class_decision_boundary_colours_each_class(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data.make_blobs(30, centers=3, std=0.5, seed=0)
    model = MLP(2, [6, 3], seed=0)
    fig = plot_decision_boundary(model, X, y, tmp_path / "k.svg", resolution=15)
    assert b"<svg" in (tmp_path / "k.svg").read_bytes()[:500]
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["class 0", "class 1", "class 2"]


def test_decision_boundary_evaluates_the_model_without_recording_graphs(trained):
    model, X, y, _ = trained
    recording = []

    def watched(x):
        recording.append(is_grad_enabled())
        return model(x)

    plot_decision_boundary(watched, X, y, resolution=5)
    assert len(recording) >= 25 and not any(recording)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, X, y: plot_decision_boundary(m, [[0.0]] * 3, [1, 1, -1]), ValueError, "2-D"),
    (lambda m, X, y: plot_decision_boundary(m, X, y[:-1]), ValueError, "one label"),
    (lambda m, X, y: plot_decision_boundary(m, X, y, resolution=1), ValueError, "resolution"),
    (lambda m, X, y: plot_loss({"loss": [1.0]}), TypeError, "History"),
    (lambda m, X, y: plot_loss(History()), ValueError, "empty"),
    (lambda m, X, y: plot_decision_boundary(m, X, y, "boundary.xyz", resolution=3),
     ValueError, "extension"),
])
def test_bad_plot_arguments_are_refused(trained, call, error, message):
    model, X, y, _ = trained
    with pytest.raises(error, match=message):
        call(model, X, y)


def test_plots_without_matplotlib_say_how_to_install_it(trained, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    *_, history = trained
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_loss(history)


def test_nn_imports_and_trains_without_matplotlib_tqdm_or_graphviz():
    # A fresh interpreter where those packages cannot be imported at all.
    script = textwrap.dedent("""
        import sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("matplotlib", "tqdm", "pygraphviz", "graphviz"):
                    raise ImportError(f"blocked {name}")

        sys.meta_path.insert(0, Block())
        import nn
        X, y = nn.data.make_xor()
        model = nn.MLP(2, [4, 1], seed=0)
        nn.fit(model, X, y, loss=nn.bce_with_logits,
               optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=3, progress=True)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "tqdm")))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "epoch 3/3" in done.stderr


def test_the_package_exports_the_plotting_functions():
    assert nn.plot_loss is plot_loss and nn.plot_decision_boundary is plot_decision_boundary


def test_decision_boundary_into_given_axes_draws_there_and_returns_nothing(trained):
    Figure = pytest.importorskip("matplotlib.figure").Figure
    model, X, y, _ = trained
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_decision_boundary(model, X, y, ax=ax, resolution=5) is None
    assert ax.get_legend() is not None and len(fig.axes) == 1


def _boxes(fig):
    """The legend's box and every axes' box, in pixels, after a real draw (Agg's)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return ([legend.get_window_extent(renderer) for legend in legends],
            [ax.get_window_extent(renderer) for ax in fig.axes])


def test_the_loss_legend_sits_outside_both_plots(trained):
    *_, history = trained
    legends, axes = _boxes(plot_loss(history))
    assert len(legends) == 1 and len(axes) == 2
    assert not any(legends[0].overlaps(box) for box in axes)
    assert legends[0].y1 <= min(box.y0 for box in axes)  # under them


def test_the_accuracy_curves_at_one_are_not_covered():
    # The loss.png: both accuracy curves run along 1.0, where a legend used to sit.
    history = History(loss=[1.0, 0.5, 0.2, 0.1], accuracy=[0.5, 1.0, 1.0, 1.0],
                      test_loss=[1.1, 0.6, 0.3, 0.2], test_accuracy=[0.5, 1.0, 1.0, 1.0])
    fig = plot_loss(history)
    legends, axes = _boxes(fig)
    assert not legends[0].overlaps(axes[1])


def test_the_decision_boundary_legend_sits_beside_the_axes(trained):
    model, X, y, _ = trained
    legends, (axes,) = _boxes(plot_decision_boundary(model, X, y, resolution=5))
    assert not legends[0].overlaps(axes) and legends[0].x0 >= axes.x1


def test_in_given_axes_matplotlib_picks_the_legends_place(trained):
    Figure = pytest.importorskip("matplotlib.figure").Figure
    model, X, y, history = trained
    fig = Figure()
    left, right = fig.subplots(1, 2)
    plot_loss(history, ax=left)
    plot_decision_boundary(model, X, y, ax=right, resolution=5)
    assert left.get_legend()._loc == 0 and right.get_legend()._loc == 0  # 0 is "best"


@pytest.mark.parametrize("dpi", [60, 240])
def test_dpi_sets_a_saved_plots_pixels(trained, tmp_path, dpi):
    Image = pytest.importorskip("PIL.Image")
    *_, history = trained
    fig = plot_loss(history, tmp_path / "loss.png", dpi=dpi)
    width, height = fig.get_size_inches()
    with Image.open(tmp_path / "loss.png") as picture:
        assert picture.size == (round(width * dpi), round(height * dpi))


def test_a_dpi_that_is_no_resolution_is_refused_before_writing(trained, tmp_path):
    *_, history = trained
    with pytest.raises(ValueError, match="dpi must be"):
        plot_loss(history, tmp_path / "loss.png", dpi=0)
    assert not (tmp_path / "loss.png").exists()


def test_test_curves_are_dashed_so_they_differ_without_colour(trained):
    *_, history = trained
    for theme in ("light", "dark", "print"):
        train, test = plot_loss(history, theme=theme).axes[0].get_lines()
        assert (train.get_linestyle(), test.get_linestyle()) == ("-", "--")


def test_classes_differ_by_marker_and_in_print_by_hatching(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = data.make_blobs(30, centers=3, std=0.5, seed=0)
    model = MLP(2, [6, 3], seed=0)
    fig = plot_decision_boundary(model, X, y, resolution=10, theme="print")
    ax = fig.axes[0]
    markers = {tuple(c.get_paths()[0].vertices.round(3).flatten()) for c in ax.collections
               if c.get_label().startswith("class")}
    assert len(markers) == 3
    hatches = {h for c in ax.collections for h in getattr(c, "hatches", None) or () if h}
    assert len(hatches) == 2  # regions told apart by hatching too (the first is plain)
