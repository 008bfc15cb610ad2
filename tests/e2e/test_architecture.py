"""The architecture, held by the import graph: dependencies point one way.

The layers, from the bottom: ``autograd.core`` (Value, rules, backward, modes...) imports
nothing above it; ``autograd.compiled`` and ``autograd.pictures`` build on the core alone; the
step-through (``autograd.stepthrough``) on the core and the pictures; teaching
(``autograd.teach``) on those three; ``nn`` on ``autograd``'s public top-level names only. No
module imports a module that imports it back, and no module takes another's private name.

Read from the source, as a reader sees it: every import counts, at the top of a module, inside a
function (a lazy import is still a dependency) or under ``TYPE_CHECKING`` (a type is one too).
"""

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Each layer and the layers it may import (its own included).
LAYERS = {
    "autograd.core.": ("autograd.core.",),
    "autograd.compiled.": ("autograd.core.", "autograd.compiled."),
    "autograd.pictures.": ("autograd.core.", "autograd.pictures."),
    "autograd.stepthrough.": ("autograd.core.", "autograd.pictures.", "autograd.stepthrough."),
    "autograd.teach.": ("autograd.core.", "autograd.pictures.", "autograd.stepthrough.",
                        "autograd.teach."),
}


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
    return True


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
    for expected in ("autograd.core.value", "autograd.core.rules", "autograd.core.backward",
                     "autograd.compiled.compiler", "autograd.pictures.draw",
                     "autograd.pictures.options", "autograd.stepthrough.trace",
                     "autograd.stepthrough.output", "autograd.teach.exercise", "nn.module",
                     "nn.train", "autograd.__main__", "backprop_lab", "backprop_lab_cli"):
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
             ]
    assert not given, f"{given} import private names of {name}"


@pytest.mark.parametrize("name", [name for name in MODULES
                                  if name.startswith(tuple(LAYERS))])
def test_each_layer_imports_only_the_layers_below_it(name):
    layer = next(prefix for prefix in LAYERS if name.startswith(prefix))
    above = [module for module in GRAPH[name] if not module.startswith(LAYERS[layer])]
    assert not above, f"{name} imports {above}"


@pytest.mark.parametrize("name", [name for name in MODULES if name.startswith("nn")])
def test_nn_uses_autograd_through_its_public_face_only(name):
    inner = [module for module in GRAPH[name] if module.startswith("autograd")
             and module != "autograd"]
    assert not inner, f"{name} imports {inner}: use the names autograd exports"


@pytest.mark.parametrize("name", ["autograd.stepthrough.frames", "autograd.stepthrough.player",
                                  "autograd.stepthrough.slides", "autograd.stepthrough.output"])
def test_the_step_pictures_never_import_the_trace_they_show(name):
    assert not _reaches(name, "autograd.stepthrough.trace")
