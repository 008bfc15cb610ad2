"""The two commands: `make demo` and `make test` say what they do before the first install; `make
test PYTHON=python3.12` does the same in a venv of that version's own; the README says so."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Stands in for a python3 (reporting the version FAKE_VERSION, by default 3.11) and for the
# venv's python: creates the venv, and for anything else prints what it was asked to do, so the
# order of make's output can be read.
FAKE_PYTHON = textwrap.dedent("""\
    #!{python}
    import os, shutil, sys
    args = sys.argv[1:]
    if args[:1] == ["-c"]:  # the Makefile asks for the version
        print(os.environ.get("FAKE_VERSION", "3.11"))
        sys.exit()
    if args[:2] == ["-m", "venv"]:
        os.makedirs(os.path.join(args[2], "bin"))
        shutil.copy(sys.argv[0], os.path.join(args[2], "bin", "python"))
    print("RAN", " ".join(args), flush=True)
""")


@pytest.fixture
def checkout(tmp_path):
    """A checkout's Makefile, with fake pythons on the PATH: python3 and python3.12."""
    if shutil.which("make") is None:
        pytest.skip("no make program")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "bin").mkdir()
    for name in ("python3", "python3.12"):
        fake = tmp_path / "bin" / name
        fake.write_text(FAKE_PYTHON.format(python=sys.executable))
        fake.chmod(0o755)
    return tmp_path


def run_make(checkout: Path, *args: str, version: str = "3.11"
             ) -> subprocess.CompletedProcess[str]:
    # Run from `make test PYTHON=...`, this process inherits PYTHON (make exports command-line
    # variables to its recipes) and MAKEFLAGS: the make under test must see neither.
    inherited = {k: v for k, v in os.environ.items()
                 if k not in ("PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env = {**inherited, "FAKE_VERSION": version,
           "PATH": f"{checkout / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=checkout,
                          capture_output=True, text=True, timeout=60, env=env)


def make(checkout: Path, *args: str, version: str = "3.11") -> list[str]:
    done = run_make(checkout, *args, version=version)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("target, extras, then", [
    ("demo", "viz,notebooks", "RAN -m nn.demo"),
    ("test", "dev", "RAN -m pytest -q"),
])
def test_the_first_run_says_what_it_installs_before_installing(checkout, target, extras, then):
    out = make(checkout, target)
    assert out[0] == (f"Installing backprop-lab[{extras}] into .venv (about a minute on a "
                      "first run)...")
    assert out[1].startswith("RAN -m venv .venv")
    assert f'RAN -m pip install --quiet -e .[{extras}]' in out
    assert out[-1] == then


def test_a_second_run_goes_straight_to_work(checkout):
    make(checkout, "demo")
    again = make(checkout, "demo")
    assert again[-1] == "RAN -m nn.demo"
    assert not any("Installing" in line or "pip" in line for line in again)


def test_another_python_gets_a_venv_of_its_own_beside_dot_venv(checkout):
    make(checkout, "test")
    out = make(checkout, "test", "PYTHON=python3.12", version="3.12")
    assert out[0] == ("Installing backprop-lab[dev] into .venv-3.12 (about a minute on a first "
                      "run)...")
    assert out[1] == "RAN -m venv .venv-3.12"
    assert out[-1] == "RAN -m pytest -q"
    assert (checkout / ".venv-3.12" / ".installed-dev").exists()
    again = make(checkout, "test")  # .venv is still there, untouched
    assert again[-1] == "RAN -m pytest -q" and not any("Installing" in line for line in again)


def test_a_python_named_by_its_path_works_too(checkout):
    out = make(checkout, "test", f"PYTHON={checkout / 'bin' / 'python3.12'}", version="3.13")
    assert out[1] == "RAN -m venv .venv-3.13"


def test_the_library_tests_leave_out_browser_latex_and_notebook_tests(checkout):
    out = make(checkout, "test-library", "PYTHON=python3.12", version="3.12")
    assert out[-1] == 'RAN -m pytest -q -m not browser and not latex and not notebook'


def test_a_python_that_is_not_there_is_named_with_what_to_do(checkout):
    done = run_make(checkout, "test", "PYTHON=python3.99")
    assert done.returncode != 0
    assert "PYTHON=python3.99 is not a Python that runs here: name one 3.10 or newer" in done.stderr
    assert not (checkout / ".venv").exists()


def test_a_python_too_old_for_the_package_is_refused(checkout):
    done = run_make(checkout, "test", "PYTHON=python3.12", version="3.9")
    assert done.returncode != 0
    assert "is Python 3.9: backprop-lab needs Python 3.10 or newer" in done.stderr
    assert "3.10" in (ROOT / "pyproject.toml").read_text().split("requires-python")[1][:12]


def test_the_readme_says_how_to_test_on_another_python():
    readme = (ROOT / "README.md").read_text()
    assert "make test PYTHON=python3.12" in readme and ".venv-3.12" in readme
    assert "make test-library" in readme


def test_every_hint_for_installing_pytorch_says_make_torch():
    """A skip reason, the notebook runner and the library's own error point to `make torch` (a
    CPU build), never to the torch extra, which on Linux pulls a CUDA build of several GB."""
    from conftest import TORCH_MISSING

    from autograd.core.torch_check import INSTALL_HINT
    sys.path.insert(0, str(ROOT / "notebooks"))
    try:
        import execute
    finally:
        sys.path.remove(str(ROOT / "notebooks"))
    hints = [TORCH_MISSING, INSTALL_HINT, execute.REQUIRES["08_graduating_to_pytorch"][1]]
    assert all("make torch" in hint for hint in hints), hints
    texts = [path.read_text() for folder in ("autograd", "nn", "tests", "notebooks")
             for path in (ROOT / folder).rglob("*.py")] + [(ROOT / "README.md").read_text()]
    assert not [t for t in texts if re.search(r"pip install (-e )?\S*\[torch\]", t)]


def test_the_library_selection_leaves_out_every_browser_latex_and_notebook_test():
    """`make test-library`'s -m expression, applied to the markers tests/conftest.py gives by
    fixture: tests that use Chromium, pdflatex or a Jupyter kernel are left out, the rest stay."""
    (expression,) = re.findall(r"^LIBRARY_TESTS := (.+)$", (ROOT / "Makefile").read_text(), re.M)
    files = ["tests/e2e/test_browser.py", "tests/e2e/test_site.py", "tests/e2e/test_jupyter.py",
             "tests/e2e/test_readme.py", "tests/e2e/test_notebooks.py",
             "tests/stepthrough/test_slides.py"]
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "-m", expression, *files],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    kept = [line for line in done.stdout.splitlines() if "::" in line]
    in_a_kernel = [t for t in kept if "test_browser" in t or "test_site" in t or "test_readme" in t
                   or ("test_jupyter" in t and "_extra_" not in t)]  # that one reads metadata
    assert not in_a_kernel
    assert not [t for t in kept if "compile" in t and "test_slides" in t]  # pdflatex
    assert not [t for t in kept if "runs_top_to_bottom" in t]  # a kernel per notebook
    assert any("committed_without_outputs" in t for t in kept)  # reads files: stays
    assert any("test_slides" in t and "unknown_step_formats" in t for t in kept)


# ---------------------------------------------------------------- CI's optional tools

@pytest.mark.parametrize("ci, without, required", [
    ("", "", False),  # a student's machine: a missing tool skips its tests
    ("1", "", True),  # CI installs every tool: missing is a broken set-up
    ("1", "torch", False),  # a CI run on a Python with no PyTorch build at hand
    ("1", "graphviz, torch", False),
])
def test_ci_requires_pytorch_except_on_the_runs_that_say_they_go_without(
        monkeypatch, ci, without, required):
    from conftest import import_or_skip, required_on_ci

    monkeypatch.setenv("BACKPROP_LAB_CI", ci)
    monkeypatch.setenv("BACKPROP_LAB_CI_WITHOUT", without)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    assert required_on_ci("torch") is required
    outcome = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(outcome, match="PyTorch is not installed"):
        import_or_skip("torch", "PyTorch is not installed (make torch)")
    assert required_on_ci("selenium") is bool(ci)  # other tools stay required on CI
