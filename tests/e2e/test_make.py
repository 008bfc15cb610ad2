"""The two commands: `make demo` and `make test` say what they do before the first install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Stands in for python3 and for the .venv's python: creates the venv, and for anything else
# prints what it was asked to do, so the order of make's output can be read.
FAKE_PYTHON = textwrap.dedent("""\
    #!{python}
    import os, shutil, sys
    args = sys.argv[1:]
    if args[:2] == ["-m", "venv"]:
        os.makedirs(os.path.join(args[2], "bin"))
        shutil.copy(sys.argv[0], os.path.join(args[2], "bin", "python"))
    print("RAN", " ".join(args), flush=True)
""")


@pytest.fixture
def checkout(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("no make program")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    fake = tmp_path / "fake-python"
    fake.write_text(FAKE_PYTHON.format(python=sys.executable))
    fake.chmod(0o755)
    return tmp_path


def make(checkout: Path, target: str) -> list[str]:
    done = subprocess.run(["make", "--no-print-directory", target,
                           f"PYTHON={checkout / 'fake-python'}"],
                          cwd=checkout, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MAKEFLAGS": ""})
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
    assert out[1].startswith("RAN -m venv")
    assert f'RAN -m pip install --quiet -e .[{extras}]' in out
    assert out[-1] == then


def test_a_second_run_goes_straight_to_work(checkout):
    make(checkout, "demo")
    again = make(checkout, "demo")
    assert again[-1] == "RAN -m nn.demo"
    assert not any("Installing" in line or "pip" in line for line in again)
