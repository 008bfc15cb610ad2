"""How ``nn`` is put together (issue 20): its modules import one another one way, counting
imports inside functions; it uses only ``autograd``'s public top-level names; no module imports
another's private name; and the file format names no model class, each class describing itself
(its configuration and its parameter count) instead."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import Parameter
from nn import MLP, Dropout, Layer, Module, Neuron, Perceptron, serialize

NN = Path(nn.__file__).resolve().parent
MODULES = {".".join(path.relative_to(NN.parent).with_suffix("").parts).removesuffix(".__init__"):
           path for path in sorted(NN.rglob("*.py"))}


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """Every import in the file, at any depth (inside functions too): (module, names, line)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
    return found


def nn_dependencies(name: str) -> set[str]:
    """The nn modules ``name`` imports (``from nn import data`` counts as nn.data)."""
    found = set()
    for module, names, _ in imports(MODULES[name]):
        if module == "nn":
            found |= {f"nn.{n}" for n in names if f"nn.{n}" in MODULES}
        elif module.startswith("nn."):
            found.add(module)
    return found - {name}


def test_nn_has_no_import_cycle_counting_imports_inside_functions():
    graph = {name: nn_dependencies(name) for name in MODULES if name != "nn"}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name):] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for dependency in sorted(graph.get(name, ())):
            visit(dependency, path + [name])
        done.add(name)

    for name in graph:
        visit(name, [])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_nn_uses_only_autograds_public_top_level_names(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    for module, names, line in imports(MODULES[name]):
        if module.split(".")[0] == "autograd":
            assert module == "autograd", f"{name}:{line} imports {module}"
            assert set(names) <= set(autograd.__all__), f"{name}:{line} imports {names}"
    for node in ast.walk(tree):  # autograd.compile and the like, after `import autograd`
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "autograd"):
            assert node.attr in autograd.__all__, f"{name}:{node.lineno} uses autograd.{node.attr}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_nn_module_imports_another_modules_private_name(name):
    for module, names, line in imports(MODULES[name]):
        private = [n for n in names if n.startswith("_") and n != "__future__"]
        assert not private or module == "__future__", f"{name}:{line} imports {private}"


def test_the_file_format_names_no_model_class():
    tree = ast.parse(MODULES["nn.serialize"].read_text(encoding="utf-8"))
    classes = {cls.__name__ for cls in (MLP, Layer, Neuron, Perceptron, Dropout, Module)}
    named = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    named |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              for alias in node.names}
    assert not named & classes
    assert not nn_dependencies("nn.serialize")


def test_every_built_in_model_class_puts_itself_among_the_loadable_ones():
    assert {MLP, Layer, Neuron, Perceptron, Dropout} <= set(serialize.MODELS.values())


CONFIGS = {
    MLP: st.fixed_dictionaries({"nin": st.integers(1, 5),
                                "nouts": st.lists(st.integers(1, 4), min_size=1, max_size=3)},
                               optional={"dropout": st.sampled_from([0.0, 0.5])}),
    Layer: st.fixed_dictionaries({"nin": st.integers(1, 5), "nout": st.integers(1, 4)}),
    Neuron: st.fixed_dictionaries({"nin": st.integers(1, 6)}),
    Perceptron: st.fixed_dictionaries({"nin": st.integers(1, 6)}),
    Dropout: st.fixed_dictionaries({"p": st.floats(0.0, 1.0)}),
}


@given(st.sampled_from(list(CONFIGS)).flatmap(lambda cls: st.tuples(st.just(cls),
                                                                    CONFIGS[cls])))
def test_each_class_knows_its_parameter_count_and_its_constructor_arguments(case):
    cls, config = case
    model = cls(**config)
    assert cls.parameter_count(config) == len(model.parameters())
    again = cls(**model.get_config())
    assert again.get_config() == model.get_config()
    assert cls.parameter_count(model.get_config()) == len(again.parameters())


def test_a_module_of_ones_own_does_not_know_its_configuration():
    assert Module().get_config() is None and Module.parameter_count({"nin": 3}) is None


class Scaled(Module):
    """A model of one's own that nn.load can rebuild: y = a x."""

    def __init__(self, a: float = 1.0) -> None:
        self.a = Parameter(a)
        self.start = a

    def __call__(self, x):
        return self.a * x

    def get_config(self):
        return {"a": self.start}

    @classmethod
    def parameter_count(cls, config):
        return 1


def test_a_class_of_ones_own_made_loadable_is_rebuilt_by_nn_load(tmp_path, monkeypatch):
    monkeypatch.setattr(serialize, "MODELS", dict(serialize.MODELS))
    serialize.loadable(Scaled)
    model = Scaled(2.0)
    model.a.data = 3.5
    model.save(tmp_path / "scaled.json")
    loaded = nn.load(tmp_path / "scaled.json")
    assert type(loaded) is Scaled and loaded.a.data == 3.5 and loaded.start == 2.0
