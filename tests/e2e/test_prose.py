"""What the README and the notebooks say: true of the code, of the lecture notes and of themselves.

Text checks, run on the files as committed (no kernel): the notebooks' outputs are checked in
test_notebooks.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _markdown(name: str) -> list[str]:
    (path,) = [p for p in NOTEBOOKS if p.stem.startswith(name)]
    nb = nbformat.read(path, as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end >= 0 else None]


# ---------------------------------------------------------------- README

def test_every_python_file_the_readme_names_exists():
    files = {path.name for path in ROOT.rglob("*.py") if ".venv" not in path.parts}
    named = set(re.findall(r"`(?:[\w/]+/)?(\w+\.py)`", README))
    assert named - files == set()


def test_the_layout_names_each_package_folder_once_and_only_folders_that_exist():
    layout = _section("Working on backprop-lab")
    rows = re.findall(r"^  \| `([^`]+)`", layout, re.M)
    folders = {f"{p.parent.relative_to(ROOT).as_posix()}" for p in ROOT.glob("*/*/__init__.py")}
    assert folders <= {row.rstrip("/") for row in rows}, "a package folder is missing"
    assert all((ROOT / row).exists() for row in rows)
    sentences = [s.strip() for s in re.split(r"(?<=[.;:])\s", layout) if len(s.strip()) > 40]
    assert len(sentences) == len(set(sentences)), "a sentence is printed twice"


def test_colab_says_how_many_notebooks_there_are():
    (count,) = re.findall(r"pick one of the (\w+) in `notebooks/`", README)
    assert WORDS.index(count) == len(NOTEBOOKS)


def test_the_readme_lists_the_notebooks_in_their_numbered_order():
    listed = re.findall(r"^(\d)\. \[[^]]+\]\(notebooks/(\d\d)_\w+\.ipynb\)", README, re.M)
    assert [int(n) for n, _ in listed] == list(range(1, len(NOTEBOOKS) + 1))
    assert all(int(n) == int(file) for n, file in listed)


def test_the_readme_does_not_say_from_torch_refuses_dropout():
    # nn.from_torch takes a Dropout after every hidden layer (tests/nn/test_torch_dropout.py).
    pytorch = _section("Moving on to PyTorch")
    refused = re.findall(r"anything else \(([^)]*)\)[^.]*refused", pytorch)
    assert refused and not any("`Dropout`" in what for what in refused)
    assert "`Dropout(p)` after every hidden layer" in pytorch


# ---------------------------------------------------------------- notebooks

#: Which index comes first in each lecture's weight w_ab between two layers (read in
#: /work/shared/seeds): 000 writes h_3 = sigma(sum_i x_i w_3i), 002 a_i = sum_j w_ij o_j: the
#: unit the edge goes into first; 003 in_j = sum_i w_ij a_i, 004 z_k = sum_j w_jk a_j: the unit
#: it comes from first.
INTO_FIRST, FROM_FIRST = {"000", "002"}, {"003", "004"}


def test_notebook_3_cites_for_its_weight_convention_only_lectures_that_use_it():
    (cell,) = [c for c in _markdown("03") if "carries the weight" in c]
    said = re.search(r"as lectures (\d{3})\s+and\s+(\d{3})\s+write it", cell)
    assert said and set(said.groups()) <= INTO_FIRST
    other = re.search(r"Lectures (\d{3})\s+and\s+(\d{3})\s+put the unit it comes from first",
                      cell)
    assert other and set(other.groups()) <= FROM_FIRST


#: Notebook 07 belongs to the exercises' work in progress and is checked there.
NOT_07 = [p.stem[:2] for p in NOTEBOOKS if not p.stem.startswith("07")]


@pytest.mark.parametrize("name", NOT_07)
def test_the_tanh_neuron_is_credited_to_micrograd_not_to_the_lectures(name):
    # x1 = 2, w1 = -3, x2 = 0, w2 = 1, b = 6.8813...: micrograd's README and lecture, not the
    # course's lecture notes, which have no such neuron.
    credited = [c for c in _markdown(name) if re.search(r"lectures?'s?\s+(tanh\s+)?neuron", c)
                or ("tanh" in c and "the lecture's numbers" in c)]
    assert not credited


def test_notebook_9s_poll_lists_its_options_before_its_answer():
    cells = _markdown("09")
    (poll,) = [i for i, c in enumerate(cells) if "opens with a poll" in c]
    (answer,) = [i for i, c in enumerate(cells) if re.search(r"\bD\b, \$10 \\cdot 784 \+ 10", c)]
    assert poll < answer
    options = re.findall(r"\| (\$[^|]+\$) ", cells[poll])
    assert len(options) == 5 and options[3] == r"$10 \cdot 784 + 10$"


def test_notebook_8_describes_fsdp_as_sharded_data_parallel_training():
    (cell,) = [c for c in _markdown("08") if "FSDP" in c]
    assert "still data\nparallel" in cell or "still data parallel" in cell
    for term in ("shard", "all-gather", "reduce-scatter", "optimizer state"):
        assert term in cell
    assert "split across GPUs instead" not in cell
