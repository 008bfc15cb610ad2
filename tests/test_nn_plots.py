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
from nn.plots import plot_decision_boundary, plot_loss

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
