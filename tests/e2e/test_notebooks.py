"""The teaching notebooks: committed clean, shaped like lessons, and runnable top to bottom.

Each notebook is executed in a fresh kernel on this interpreter (the project's venv), in a
temporary working directory, by the same code ``make notebooks`` uses (notebooks/execute.py).
"""

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
from conftest import import_or_skip

from autograd.pictures.draw import COLORS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def _load_runner():
    spec = importlib.util.spec_from_file_location("notebook_runner", NOTEBOOKS / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()
PATHS = runner.notebook_paths()
by_name = pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])

COURSE = [
    "01_derivatives_and_the_chain_rule",
    "02_multivariable_chain_rule",
    "03_perceptron_to_mlp",
    "04_training_an_mlp",
    "05_k_way_classification",
    "06_checking_gradients",
    "07_backprop_by_hand",
    "08_graduating_to_pytorch",
    "09_beyond_the_basics",
]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def test_the_notebooks_follow_the_course_order():
    assert [p.stem for p in PATHS] == COURSE


@by_name
def test_notebook_is_committed_without_outputs(path):
    nb = _read(path)
    dirty = [number for number, cell in enumerate(nb.cells, start=1)
             if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"


@by_name
def test_notebook_is_valid_and_carries_no_stray_metadata(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}
    assert nb.metadata.kernelspec.name == "python3"
    bulky = [number for number, cell in enumerate(nb.cells, start=1)
             if len(json.dumps(cell.metadata)) > 200]
    assert not bulky, f"{path.name}: cells {bulky} carry metadata; strip it"


@by_name
def test_notebook_opens_with_a_title_and_what_you_will_learn(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# ")
    assert "What you will learn" in first.source


@by_name
def test_notebook_has_a_try_it_exercise_with_code_to_edit(path):
    cells = _read(path).cells
    exercises = [i for i, cell in enumerate(cells[:-1])
                 if cell.cell_type == "markdown" and "Try it" in cell.source
                 and cells[i + 1].cell_type == "code"]
    assert exercises, f"{path.name}: no 'Try it' markdown cell followed by a code cell"


@by_name
def test_notebook_reads_no_files_outside_the_repository(path):
    code = "\n".join(cell.source for cell in _read(path).cells if cell.cell_type == "code")
    for outside in ("seeds", "../", "/work/", "/tmp/", "~/"):
        assert outside not in code, f"{path.name} refers to {outside!r}"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Runs a notebook once per test session (in a fresh kernel and a temporary working
    directory) and hands every test the same executed copy and problem list."""
    results = {}

    def run(path: Path) -> tuple[nbformat.NotebookNode, list[str]]:
        package, install = runner.REQUIRES.get(path.stem, (None, None))
        if package:
            import_or_skip(package, f"{path.name} needs {package}, not installed ({install})")
        if path not in results:
            results[path] = runner.execute(path, cwd=tmp_path_factory.mktemp(path.stem))
        return results[path]

    return run


@by_name
def test_notebook_runs_top_to_bottom_without_errors_or_stderr(path, executed):
    nb, problems = executed(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    ran = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in ran)


#: Numbers the notebooks' prose quotes from the lectures (and the engine's worked examples),
#: which their executed output must show.
QUOTED = {
    "01_derivatives_and_the_chain_rule": [
        "backprop:  14.0",
        "backward from o = 0.7071",
        "0. start",
        "do/do = 1",
        "do/dn += do/do * d(tanh(n))/dn = 1.0 * 0.5 = 0.5",
        "do/dw1 += do/d(x1w1) * d(x1w1)/dw1 = 0.5 * 2.0 = 1.0",
        "do/dx1 += do/d(x1w1) * d(x1w1)/dx1 = 0.5 * -3.0 = -1.5",
    ],
    "02_multivariable_chain_rule": [
        "dy/dx = 41.0",
        "-> 41.0)",  # the second path's += completes dy/dx = 6 + 35
        "(dy/dx: 3.0 -> 6.0)",  # x * x: the second edge adds to the first
        "total -2.5 = -2.5",
    ],
    "03_perceptron_to_mlp": ["accuracy: 0.5", "-> 100.0%"],
    "05_k_way_classification": [
        "cat   image: L = 2.9",
        "car   image: L = 0.0",
        "frog  image: L = 12.9",
        "mean over the three: L = 5.27",
        "exp(scores)   [24.53, 164.02, 0.18]",
        "probabilities [0.13, 0.87, 0.0]",
        "cat   image: L = 2.04",
        "SVM loss gradient: [-1.0, 1.0, 0.0]",
    ],
    "06_checking_gradients": ["MISMATCH", "fixed passes at 20 of 20 points", "f''(2) = 12.0"],
    "07_backprop_by_hand": [
        "x feeds 2 nodes (z1, z2): that is the path through z2 only",
        "x     41.0   right",
        "x     35.0   41.0      wrong",  # revealed: the expected column and the paths' shares
        "add both paths (+=): 6.0 + 35.0 = 41.0",
        "3 of 3 right (score 1.00)",
        "this follows from your wrong answer for z1",
        "tanh'(n) is 1 - o² with the output o = 0.7071, not 1 - n² with the input n",
        "dmul1/dw1 is the other factor, x1, not w1 itself",
        "p = [0.13, 0.87, 0.0]",
        "s_car   -0.869     0.869      wrong    the sign is flipped",
        "breadth-first: ['L', 'k', 'h', 'g', 'a', 'b']",
        "all right: the test passes",
        "the test fails with AssertionError: \nname  yours",
    ],
    "08_graduating_to_pytorch": [
        "PyTorch agrees: True",
        "do/dw1  ours +1.000000   PyTorch +1.000000",
        "largest difference in the losses over 40 steps: ",
        "hinge loss, tanh: True",
    ],
    "09_beyond_the_basics": [
        "Layer(784 -> 10, linear; 7850 parameters)",  # lecture 003's poll: 10 * 784 + 10
        "7850 = 10 * 784 + 10 = 7850",
        "evaluation: [1.0, 2.0, 3.0, 4.0]",
        "hidden weights' gradients: {0.0}",
        "h1 alone, 'class 1 or not?': 67% right",
        "predicted class at (0, 0): 1",
        "1 hidden unit: mean squared error",
        "8 hidden units: mean squared error",
    ],
}


def _text_output(nb: nbformat.NotebookNode) -> str:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif "text/plain" in output.get("data", {}):
                texts.append(output.data["text/plain"])
    return "\n".join(texts)


@pytest.mark.parametrize("name", sorted(QUOTED))
def test_notebook_output_shows_the_numbers_its_prose_quotes(name, executed):
    nb, _ = executed(NOTEBOOKS / f"{name}.ipynb")
    shown = _text_output(nb)
    missing = [text for text in QUOTED[name] if text not in shown]
    assert not missing, f"{name}.ipynb no longer prints {missing}"


#: What a reader should see under a cell, by what the cell does, and how to recognise it.
RICH = {
    "a plot": lambda data: "image/png" in data,
    "a graph": lambda data: "image/svg+xml" in data,
    "a player": lambda data: data.get("text/html", "").startswith('<div class="bp-steps"'),
    "a progress bar": lambda data: ("application/vnd.jupyter.widget-view+json" in data
                                    or 'class="bp-progress"' in data.get("text/html", "")),
}


def _expected_rich_outputs(source: str) -> list[str]:
    """The rich outputs a code cell must show: a plot where it calls plt.show() or ends with an
    nn.plot_ call, a graph where it ends with draw_dot, draw_network, an exercise or a call of
    the mistakes lab, a player where it ends with a trace, a progress bar where it trains."""
    lines = [line for line in source.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    last = lines[-1] if lines else ""
    wanted = []
    if "plt.show()" in source or last.startswith("nn.plot_"):
        wanted.append("a plot")
    if last.startswith(("draw_dot(", "nn.draw_network(", "exercise(", "random_exercise(",
                        "mistakes.")):
        wanted.append("a graph")
    if last == "trace" or (last.startswith("trace_backward(") and last.endswith(")")):
        wanted.append("a player")
    if "nn.fit(" in source:
        wanted.append("a progress bar")
    return wanted


@by_name
def test_notebook_shows_each_plot_graph_player_and_progress_bar(path, executed):
    nb, _ = executed(path)
    missing = []
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        shown = [output.get("data", {}) for output in cell.outputs]
        for kind in _expected_rich_outputs(cell.source):
            count = sum(1 for data in shown if RICH[kind](data))
            once = kind != "a progress bar"  # a loop of fits shows a bar per run
            if count == 0 or (once and count > 1):
                missing.append(f"cell {number}: {kind} shown {count} times")
    assert not missing, f"{path.name}: " + "; ".join(missing)


def test_every_notebook_shows_something_rich():
    kinds = set()
    for path in PATHS:
        for cell in _read(path).cells:
            if cell.cell_type == "code":
                kinds.update(_expected_rich_outputs(cell.source))
    assert kinds == set(RICH)


def test_notebook_01s_player_colours_the_neurons_parameters(executed):
    # w1, w2 and b are Parameters: the player knows them without params= (as the text says).
    nb, _ = executed(NOTEBOOKS / "01_derivatives_and_the_chain_rule.ipynb")
    players = [output.data["text/html"] for cell in nb.cells for output in cell.get("outputs", [])
               if RICH["a player"](output.get("data", {}))]
    assert players and all(f'fill="{COLORS["parameter"]}"' in player for player in players)


def test_notebook_07_shows_every_exercise_report_and_mistake_as_a_picture(executed):
    # Most end with a name (ex, report), which the rule above cannot tell from any value.
    nb, _ = executed(NOTEBOOKS / "07_backprop_by_hand.ipynb")
    shown = [(number, output) for number, cell in enumerate(nb.cells, start=1)
             for output in cell.get("outputs", []) if output.output_type == "execute_result"]
    assert len(shown) == 9  # 4 exercises, a report and the 4 mistakes
    for number, output in shown:
        svg = output.data.get("image/svg+xml", "")
        assert "<svg" in svg, f"cell {number} displays no picture: {sorted(output.data)}"


def test_notebook_07_keeps_the_answer_key_unless_revealed(executed):
    nb, _ = executed(NOTEBOOKS / "07_backprop_by_hand.ipynb")
    printed = {cell.source: "".join(o.text for o in cell.outputs if o.output_type == "stream")
               for cell in nb.cells if cell.cell_type == "code"}
    try_it = next(text for source, text in printed.items()
                  if "answers = {name: None for name in ex.answer_key()}" in source)
    assert "name  yours      verdict  hint" in try_it and "expected  verdict" not in try_it
    assert set(re.findall(r"-?\d+\.\d+", try_it.split("\n", 2)[2])) <= {"0.00", "0.005"}
    revealed = next(text for source, text in printed.items() if "reveal=True" in source)
    assert revealed.startswith("name  yours  expected  verdict  hint")
    graded = [text for source, text in printed.items() if "assert ex.check" in source][-1]
    assert "the test fails with AssertionError" in graded and "expected  verdict" not in graded


def test_notebook_07_shows_report_tables_as_html_beside_the_picture(executed):
    nb, _ = executed(NOTEBOOKS / "07_backprop_by_hand.ipynb")
    results = [output.data for cell in nb.cells for output in cell.get("outputs", [])
               if output.output_type == "execute_result" and "mistakes." in cell.source
               or output.output_type == "execute_result" and cell.source.endswith("report")]
    assert len(results) == 5  # the report and the four mistakes
    for data in results:
        html = data["text/html"]
        table = html[html.index("<table"):]
        assert html.index("<svg") < html.index("<table") and "font-size: inherit" in table
        assert "<svg" not in table
        assert "verdict" in table and "verdict" not in data["image/svg+xml"]


def _images(nb: nbformat.NotebookNode) -> list[int]:
    """The cells (1-based) that display a PNG image."""
    return [number for number, cell in enumerate(nb.cells, start=1)
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def test_graduating_notebook_draws_both_loss_curves_and_the_pytorch_trained_boundary(executed):
    nb, _ = executed(NOTEBOOKS / "08_graduating_to_pytorch.ipynb")
    images = _images(nb)
    assert len(images) == 2, f"images in cells {images}"
    curves = nb.cells[images[0] - 1].source
    assert "torch_losses" in curves and "after.loss" in curves


def test_graduating_notebook_shows_losses_identical_step_by_step(executed):
    nb, _ = executed(NOTEBOOKS / "08_graduating_to_pytorch.ipynb")
    shown = _text_output(nb)
    gap = shown.split("largest difference in the losses over 40 steps: ")[1].split()[0]
    assert float(gap) < 1e-12


def test_notebook_09_pictures_dropout_as_dropped_and_kept_units(executed):
    nb, _ = executed(NOTEBOOKS / "09_beyond_the_basics.ipynb")
    graphs = [output.data["image/svg+xml"] for cell in nb.cells
              for output in cell.get("outputs", []) if "image/svg+xml" in output.get("data", {})]
    computation, diagram = graphs
    assert ">dropped<" in computation and ">kept<" in computation
    assert "stroke-dasharray" in diagram  # the units dropped in that training pass


def test_notebook_09_shows_what_its_prose_says_of_the_remedies(executed):
    nb, _ = executed(NOTEBOOKS / "09_beyond_the_basics.ipynb")
    shown = _text_output(nb)
    losses = {name: float(loss) for name, loss in
              re.findall(r"^(no regularisation|dropout 0\.1|early stopping) +test loss ([\d.]+)$",
                         shown, re.M)}
    assert losses["dropout 0.1"] < losses["no regularisation"]
    assert losses["early stopping"] < losses["no regularisation"]
    assert re.search(r"stopped after epoch \d+ and kept epoch \d+", shown)
    errors = [float(e) for e in re.findall(r"hidden units?: mean squared error ([\d.]+)", shown)]
    assert len(errors) == 4 and errors == sorted(errors, reverse=True)


@by_name
def test_every_saved_progress_bar_shows_its_finished_run(path, executed):
    """What a saved notebook shows, in nbconvert and GitHub's preview too: every training run
    at its end, all epochs done or stopped early, never the bar's first drawing (0/40)."""
    nb, _ = executed(path)
    bars = [output.data["text/plain"] for cell in nb.cells for output in cell.get("outputs", [])
            if RICH["a progress bar"](output.get("data", {}))]
    unfinished = [bar for bar in bars
                  if not re.match(r"training: (?:(\d+)/\1 epochs|\d+ of \d+ epochs in [\d.]+ s, "
                                  r"stopped early \(best validation loss at epoch \d+\))", bar)]
    assert not unfinished, f"{path.name}: {unfinished}"
