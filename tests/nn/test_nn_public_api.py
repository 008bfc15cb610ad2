"""nn builds on autograd's public API only: what ``autograd`` exports from its top level."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import autograd

NN_FILES = sorted((Path(__file__).resolve().parents[2] / "nn").rglob("*.py"))


def _file_id(path: Path) -> str:
    return path.relative_to(path.parents[1] if path.parent.name != "nn" else path.parent).as_posix()


def autograd_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from autograd... import name`` in the file, lazy ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
            and node.module.split(".")[0] == "autograd" for alias in node.names]


def test_every_nn_file_is_checked():
    assert {p.name for p in NN_FILES} >= {"module.py", "train.py", "diagram.py", "serialize.py"}


@pytest.mark.parametrize("path", NN_FILES, ids=_file_id)
def test_nn_imports_from_the_autograd_package_not_its_modules(path):
    inner = [f"from {module} import {name}" for module, name in autograd_imports(path)
             if module != "autograd"]
    assert inner == []


@pytest.mark.parametrize("path", NN_FILES, ids=_file_id)
def test_nn_imports_only_names_autograd_exports(path):
    names = [name for module, name in autograd_imports(path) if module == "autograd"]
    assert [name for name in names if name not in autograd.__all__] == []
