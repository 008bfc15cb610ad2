"""Test-suite settings shared by every test file."""

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Machines here are shared and noisy: no per-example deadline. On CI the examples are
# derandomized so a red run can be reproduced exactly.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")

#: Fixture -> the marker of every test that uses it (directly or through another fixture): the
#: tools beyond the library and its Python packages. `make test-library` deselects these, and
#: CI runs them on one Python only.
TOOL_MARKERS = {"chromium": "browser", "browser": "browser", "site_url": "browser",
                "pdflatex": "latex", "run_cells": "notebook", "executed": "notebook"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in TOOL_MARKERS.keys() & set(getattr(item, "fixturenames", ())):
            item.add_marker(TOOL_MARKERS[fixture])


def required_on_ci(tool: str) -> bool:
    """Whether a missing ``tool`` (PyTorch: ``"torch"``; a module's top-level name) fails this run
    instead of skipping its tests: on CI (``BACKPROP_LAB_CI`` set, where .ci/run installs every
    optional tool), unless ``BACKPROP_LAB_CI_WITHOUT`` names it. .ci/run sets that to ``torch``
    for the Pythons it has no PyTorch build for, so there those tests skip with their reason,
    and PyTorch stays required on the run that has it."""
    if not os.environ.get("BACKPROP_LAB_CI"):
        return False
    without = os.environ.get("BACKPROP_LAB_CI_WITHOUT", "").replace(",", " ").split()
    return tool not in without


def _notebook_runner():
    """notebooks/execute.py, which runs notebooks in a fresh kernel on this interpreter."""
    spec = importlib.util.spec_from_file_location(
        "notebook_runner", Path(__file__).resolve().parent.parent / "notebooks" / "execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def run_cells(tmp_path_factory):
    """``run_cells(*sources)``: the code cells run top to bottom in a fresh Jupyter kernel, as a
    student's notebook; returns the executed notebook and its problems (errors, stderr)."""
    pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    runner = _notebook_runner()

    def run(*sources: str):
        folder = tmp_path_factory.mktemp("kernel")
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                                  "language": "python"}
        nbformat.write(nb, folder / "cells.ipynb")
        return runner.execute(folder / "cells.ipynb", cwd=folder)

    return run


TORCH_MISSING = "PyTorch is not installed (make torch: a CPU build into .venv)"


def import_or_skip(module: str, reason: str) -> Any:
    """``import module``; when it is missing, skip with ``reason`` (the calling test, or at the
    top of a test file the whole file), or fail where CI requires it (``required_on_ci``):
    ``.ci/run`` installs every optional tool, so there a missing one is a broken set-up."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if required_on_ci(module.partition(".")[0]):
            pytest.fail(f"{module} is not installed, but BACKPROP_LAB_CI is set: .ci/run should "
                        f"have installed it ({reason})", pytrace=False)
        pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="session")
def pdflatex():
    """``pdflatex(path)``: compile a .tex file beside itself and return the PDF's path, failing
    with LaTeX's own error. Skips where pdflatex is missing; on CI (``BACKPROP_LAB_CI=1``, where
    .ci/run installs it) that is a failure."""
    program = shutil.which("pdflatex")
    if program is None:
        reason = ("pdflatex is not installed (apt-get install texlive-latex-extra "
                  "texlive-pictures)")
        if os.environ.get("BACKPROP_LAB_CI"):
            pytest.fail(reason)
        pytest.skip(reason)

    def compile_tex(path: Path) -> Path:
        done = subprocess.run(
            [program, "-interaction=nonstopmode", "-halt-on-error", path.name],
            cwd=path.parent, capture_output=True, text=True, timeout=180, check=False)
        errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
        assert done.returncode == 0, f"pdflatex failed on {path.name}: {errors}"
        return path.with_suffix(".pdf")

    return compile_tex


# ---- Under Pyodide (make test-pyodide: the suite in Node, the Python 3.14 run of .ci/run) ----
# WebAssembly Python has no processes, no threads, no native Graphviz (PNG, PDF), no matplotlib
# here (it is on Pyodide's CDN only) and, in Node without stack switching, no asyncio.run. A
# test that needs one of them skips there, saying which, instead of failing on what the platform
# cannot do.
if sys.platform == "emscripten":
    _CANNOT = {
        "emscripten does not support processes": "needs subprocesses, which Pyodide has not",
        "can't start new thread": "needs threads, which Pyodide has not",
        "cannot draw a": "needs a native Graphviz (PNG or PDF); the browser's draws SVG",
        "stack switching not supported": "needs asyncio.run, which this Node cannot run",
        "plots need matplotlib": "needs matplotlib, which only Pyodide's CDN has",
    }

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        report = (yield).get_result()
        if call.excinfo is None or report.outcome != "failed":
            return
        message = str(call.excinfo.value)
        for symptom, reason in _CANNOT.items():
            if symptom in message:
                report.outcome = "skipped"
                report.longrepr = (str(item.path), item.location[1] or 0, f"Pyodide: {reason}")
                return


@pytest.fixture(scope="module")
def micrograd():
    """micrograd 0.1.0's (engine, nn) modules, from the bench's cache (installed on first use),
    importable as ``micrograd``. Skips where it cannot be installed, except on CI."""
    from bench import reference

    try:
        return reference.load()
    except reference.ReferenceUnavailable as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"micrograd 0.1.0 is not installable here: {error}")
