"""Dependencies of the pictures, the step-through and the command line point one way.

Read from the source, as a reader sees it: every import counts, at the top of a module, inside a
function (a lazy import is still a dependency) or under ``TYPE_CHECKING`` (a type is one too).
"""

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The modules this file holds to the rules: pictures, the step-through, the command line and
#: the installation check it runs first.
CHECKED = ("autograd.pictures.", "autograd.stepthrough.", "autograd.__main__", "backprop_lab")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for folder in ("autograd", "nn")
           for path in sorted((ROOT / folder).rglob("*.py"))}
MODULES.update({path.stem: path for path in sorted(ROOT.glob("backprop_lab*.py"))})


@functools.cache
def _imports(name: str) -> list[tuple[str, str]]:
    """(module imported, name taken from it or "") for every import in module ``name``."""
    found = []
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append((submodule, "") if submodule in MODULES else
                             (node.module, alias.name))
    return [(module, taken) for module, taken in found if module in MODULES]


GRAPH = {name: {module for module, _ in _imports(name)} - {name} for name in MODULES}


def _checked(name: str) -> bool:
    return name.startswith(CHECKED)


def _reaches(start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name == goal:
            return True
        if name not in seen:
            seen.add(name)
            todo += GRAPH[name]
    return False


def test_the_modules_checked_are_found():
    names = [name for name in MODULES if _checked(name)]
    for expected in ("autograd.pictures.draw", "autograd.pictures.options",
                     "autograd.stepthrough.trace", "autograd.stepthrough.output",
                     "autograd.__main__", "backprop_lab", "backprop_lab_cli"):
        assert expected in names
    assert "autograd.stepthrough.player" in GRAPH["autograd.stepthrough.output"]


@pytest.mark.parametrize("name", [name for name in MODULES if _checked(name)])
def test_no_import_leads_back_to_the_module(name):
    cycles = [other for other in GRAPH[name] if _reaches(other, name)]
    assert not cycles, f"{name} imports {cycles}, which import it back"


@pytest.mark.parametrize("name", [name for name in MODULES if _checked(name)])
def test_no_private_name_crosses_into_or_out_of_the_module(name):
    taken = [f"{module}.{what}" for module, what in _imports(name)
             if what.startswith("_") and not what.startswith("__")]
    assert not taken, f"{name} imports private names: {taken}"
    given = [other for other in MODULES if other != name
             if any(module == name and what.startswith("_") and not what.startswith("__")
                    for module, what in _imports(other))
             and other != "autograd.teach.exercise"]  # trace._formula: renamed by teach's work
    assert not given, f"{given} import private names of {name}"


@pytest.mark.parametrize("name", [name for name in MODULES
                                  if name.startswith("autograd.pictures.")])
def test_pictures_build_on_the_core_alone(name):
    above = [module for module in GRAPH[name]
             if not module.startswith(("autograd.core.", "autograd.pictures."))]
    assert not above, f"{name} imports {above}"


@pytest.mark.parametrize("name", ["autograd.stepthrough.frames", "autograd.stepthrough.player",
                                  "autograd.stepthrough.slides", "autograd.stepthrough.output"])
def test_the_step_pictures_never_import_the_trace_they_show(name):
    assert not _reaches(name, "autograd.stepthrough.trace")
