"""Rich objects as a notebook cell's last line, in a fresh Jupyter kernel with no magic.

Each group of cells runs in its own new kernel (the notebooks' runner, notebooks/execute.py), as
a student's notebook would: plots, graph pictures, the step player, ``explain()``, progress bars.
Each test then reads the outputs of one cell.
"""

from __future__ import annotations

import re

import pytest

TRAIN = """import nn
X, y = nn.data.make_moons(30, noise=0.1, seed=0)
model = nn.MLP(2, [4, 1], seed=0)
"""
FIT = """history = nn.fit(model, X, y, loss=nn.bce_with_logits,
                 optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=5{extra})"""


def outputs(nb, cell: int) -> list[dict]:
    """The outputs of code cell ``cell`` (0-based), each as its MIME bundle or stream."""
    return nb.cells[cell].outputs


def images(nb, cell: int) -> list[dict]:
    return [o for o in outputs(nb, cell) if "image/png" in o.get("data", {})]


@pytest.fixture(scope="module")
def plots(run_cells):
    """Plots in a kernel where nothing has imported pyplot or run %matplotlib first."""
    nb, problems = run_cells(
        TRAIN + FIT.format(extra=", progress=False"),
        "nn.plot_loss(history)",
        "nn.plot_decision_boundary(model, X, y, resolution=10)",
        "nn.plot_loss(history)",
        "import matplotlib.pyplot as plt\n\nfig, ax = plt.subplots()\n"
        "nn.plot_loss(history, ax=ax)",
        "fig, (left, right) = plt.subplots(1, 2)\n"
        "nn.plot_decision_boundary(model, X, y, ax=left, resolution=10)\n"
        "nn.plot_loss(history, ax=right)\nplt.show()",
    )
    assert not problems
    return nb


def test_plot_loss_as_the_last_line_shows_the_picture_once(plots):
    (shown,) = outputs(plots, 1)
    assert shown.output_type == "execute_result" and "image/png" in shown.data


def test_plot_decision_boundary_as_the_last_line_shows_the_picture_once(plots):
    (shown,) = outputs(plots, 2)
    assert "image/png" in shown.data


def test_a_second_plot_shows_too(plots):
    assert len(images(plots, 3)) == len(outputs(plots, 3)) == 1


def test_a_plot_into_pyplot_axes_as_the_last_line_shows_the_figure_once(plots):
    assert len(images(plots, 4)) == len(outputs(plots, 4)) == 1


def test_plots_into_axes_then_plt_show_show_the_figure_once(plots):
    assert len(images(plots, 5)) == len(outputs(plots, 5)) == 1


@pytest.fixture(scope="module")
def pictures(run_cells):
    nb, problems = run_cells(
        TRAIN + "from autograd import Value, draw_dot, gradcheck, trace_backward\n"
        "x, w = Value(2.0, label='x'), Value(-3.0, label='w')\n"
        "out = (x * w).tanh()",
        "draw_dot(out)",
        "nn.draw_network(model)",
        "trace = trace_backward(out)\ntrace",
        "trace.explain()",
        "gradcheck(lambda a: a.tanh(), 0.5)",
    )
    assert not problems
    return nb


def test_draw_dot_shows_an_svg_picture(pictures):
    (shown,) = outputs(pictures, 1)
    assert "<svg" in shown.data["image/svg+xml"] and "<svg" in shown.data["text/html"]


def test_draw_network_shows_an_svg_picture(pictures):
    (shown,) = outputs(pictures, 2)
    assert "<svg" in shown.data["image/svg+xml"]


def test_a_trace_shows_the_player(pictures):
    (shown,) = outputs(pictures, 3)
    player = shown.data["text/html"]
    assert player.startswith('<div class="bp-steps"') and player.count('class="bp-frame"') == 3


def test_explain_shows_its_table_once(pictures):
    (shown,) = outputs(pictures, 4)
    assert shown.output_type == "stream" and shown.name == "stdout"
    assert shown.text.splitlines()[1].split() == ["0.", "start", "dL/dL", "=", "1"]


def test_a_gradcheck_report_shows_its_table(pictures):
    (shown,) = outputs(pictures, 5)
    assert "rel. error" in shown.data["text/plain"]


@pytest.mark.parametrize("hidden", [(), ("tqdm",)], ids=["with-tqdm", "without-tqdm"])
def test_fit_shows_a_notebook_progress_bar_and_writes_nothing_to_stderr(run_cells, hidden):
    block = "".join(f"import sys\nsys.modules[{name!r}] = None\n" for name in hidden)
    nb, problems = run_cells(block + TRAIN + FIT.format(extra=""))
    assert not problems  # nothing on stderr
    (bar,) = outputs(nb, 0)
    assert '<progress value="5" max="5"' in bar.data["text/html"]
    assert bar.data["text/plain"].startswith("training: 5/5 epochs in ")


def test_a_saved_notebook_shows_each_progress_bar_finished(run_cells):
    """What is saved is what nbconvert and GitHub's preview show: the finished run, in its
    text form too, not the bar's first drawing (tqdm's widget saved ``0%| | 0/5``)."""
    nbconvert = pytest.importorskip("nbconvert")
    nb, _ = run_cells(TRAIN + FIT.format(extra=""), FIT.format(extra=", batch_size=10"))
    (first,), (second,) = outputs(nb, 0), outputs(nb, 1)
    for bar in (first, second):
        assert set(bar.data) == {"text/plain", "text/html"}  # no widget: it saves no state
        assert re.match(r"training: 5/5 epochs in \d+\.\d s; loss [\d.]+, acc [\d.]+%$",
                        bar.data["text/plain"])
    markdown, _ = nbconvert.MarkdownExporter().from_notebook_node(nb)
    assert markdown.count("5/5 epochs in") == 2 and "0/5" not in markdown


def test_a_run_that_stops_early_ends_as_a_full_bar_saying_so(run_cells):
    nb, problems = run_cells(TRAIN + """
X_val, y_val = nn.data.make_moons(30, noise=0.1, seed=1)
history = nn.fit(model, X, y, loss=nn.bce_with_logits, epochs=40,
                 optimizer=nn.SGD(model.parameters(), lr=5.0),
                 validation=(X_val, y_val), early_stopping=2)
print(history.stopped_epoch, history.best_epoch)""")
    assert not problems
    bar, printed = outputs(nb, 0)
    stopped, best = map(int, printed.text.split())
    assert stopped < 40
    html = bar.data["text/html"]
    assert f'<progress value="{stopped}" max="{stopped}"' in html  # full: a normal finish
    assert bar.data["text/plain"].startswith(
        f"training: {stopped} of 40 epochs in ")
    assert f"stopped early (best validation loss at epoch {best}); loss " in bar.data[
        "text/plain"]


def test_the_notebooks_extra_brings_tqdm_for_the_terminal_progress_bar():
    from importlib.metadata import requires

    wanted = [r for r in requires("backprop-lab") if "extra == 'notebooks'" in r.replace('"', "'")]
    assert any(r.startswith("tqdm") for r in wanted), wanted
