"""The README's Python snippets, run as a student would paste them: in order, in one fresh
Jupyter kernel, each block a cell. They must run cleanly, print what their comments promise,
and show the pictures they say they show."""

from __future__ import annotations

import importlib.util
import re
import textwrap
from pathlib import Path

import pytest
from conftest import required_on_ci

README = Path(__file__).resolve().parents[2] / "README.md"

#: What the snippets print, as their comments say.
PROMISED = [
    "Value(data=0.7071, grad=1.0)",  # print(o)
    "dL/dx1 += dL/d(mul1) * d(mul1)/dx1 = 0.5 * -3.0 = -1.5",  # print(trace[4])
    "dL/dw1 += dL/d(mul1) * d(mul1)/dw1 = 0.5 * 2.0 = 1.0",
    "0. start",  # trace.explain()
    "CompiledStep(<lambda>, numba, 1 recording, 99 replays)",  # print(step)
]


#: What a block that needs PyTorch says: torch.*, import torch, to_torch, torch_gradients...
USES_TORCH = re.compile(r"\bimport torch\b|\btorch\.|_torch\b|\btorch_")


def _torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def cells() -> list[str]:
    """Every ```python block of the README as a cell, minus the Colab one (it needs Colab) and,
    where PyTorch is not installed (the optional ``torch`` extra; CI installs it), the ones that
    use it; the block of plots, which the README says to run a line per cell, as one cell per
    line."""
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", README.read_text(), re.S | re.M)
    with_torch = _torch_installed() or required_on_ci("torch")
    found = []
    for _, body in blocks:
        block = textwrap.dedent(body)
        if block.startswith("nn.plot_loss"):
            found += [line.split("#")[0].strip() for line in block.splitlines() if line]
        elif "google.colab" in block or (USES_TORCH.search(block) and not with_torch):
            continue
        else:
            found.append(block)
    return found


@pytest.fixture(scope="module")
def readme_run(run_cells):
    sources = cells()
    nb, problems = run_cells(*sources)
    return sources, nb, problems


def test_the_readme_snippets_run_cleanly_in_a_fresh_kernel(readme_run):
    sources, _, problems = readme_run
    assert len(sources) >= 7
    assert not problems


def test_the_readme_snippets_print_what_their_comments_promise(readme_run):
    _, nb, _ = readme_run
    printed = "".join(o.get("text", "") for cell in nb.cells for o in cell.outputs)
    missing = [text for text in PROMISED if text not in printed]
    assert not missing


def test_the_step_through_snippet_leaves_the_gradients_of_one_backward_pass(readme_run):
    sources, nb, _ = readme_run
    (number,) = [i for i, source in enumerate(sources) if "trace_backward(o)" in source]
    printed = "".join(o.get("text", "") for o in nb.cells[number].outputs).splitlines()
    assert printed[2] == "1.0"  # print(w1.grad): once, not doubled by a second backward


@pytest.mark.parametrize("call, kind", [("nn.plot_loss(", "image/png"),
                                        ("nn.plot_decision_boundary(", "image/png"),
                                        ("nn.draw_network(", "image/svg+xml")])
def test_each_plotting_line_shows_its_picture_once(readme_run, call, kind):
    sources, nb, _ = readme_run
    (number,) = [i for i, source in enumerate(sources) if source.startswith(call)]
    shown = [o.get("data", {}) for o in nb.cells[number].outputs]
    assert [kind in data for data in shown] == [True]
