"""Installed beside HIPS autograd (pip's ``autograd``, preinstalled on Google Colab), which is
imported by the same name: ``import nn``, ``import autograd`` and the command line fail at once,
naming the clash and the fix, and the fix works.

Each case is a throwaway virtual environment (no pip of its own: this interpreter's pip installs
into it) holding HIPS autograd from the package index, without its numpy, which none of these
checks may need. Without the index this module skips, except on CI (BACKPROP_LAB_CI=1).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ON_CI = bool(os.environ.get("BACKPROP_LAB_CI"))
BIN = "Scripts" if os.name == "nt" else "bin"


def pip(env: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python(env)),
                           "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        if args[0] == "install" and "autograd" in args and not ON_CI:
            pytest.skip(f"cannot install HIPS autograd from the package index: {last}")
        raise AssertionError(f"pip {' '.join(args)} failed: {done.stderr}")


def python(env: Path) -> Path:
    return env / BIN / "python"


def run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """A program of the environment, started outside the checkout (whose folder would else come
    first on sys.path and hide the clash), and without a PYTHONPATH (a developer's, pointing at
    a checkout, would hide it too)."""
    program = [str(python(env))] if args[0] == "python" else [str(env / BIN / args[0])]
    clean = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    return subprocess.run(program + list(args[1:]), cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=clean)


@pytest.fixture(scope="module")
def make_env(tmp_path_factory):
    def make(name: str) -> Path:
        env = tmp_path_factory.mktemp(name) / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                       timeout=120)
        return env

    return make


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """This project as a wheel, built once for every regular install below."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    (built,) = folder.glob("backprop_lab-*.whl")
    return built


@pytest.fixture(scope="module")
def editable_beside_hips(make_env):
    """HIPS autograd in site-packages, this checkout installed editable (as the README says)."""
    env = make_env("editable")
    pip(env, "install", "--no-deps", "autograd")
    pip(env, "install", "--no-deps", "-e", str(ROOT))
    return env


@pytest.fixture(scope="module")
def installed_over_hips(make_env, wheel):
    """HIPS autograd, then this project installed normally: both in one autograd folder."""
    env = make_env("over")
    pip(env, "install", "--no-deps", "autograd")
    pip(env, "install", "--no-deps", str(wheel))
    return env


@pytest.fixture(scope="module")
def hips_over_installed(make_env, wheel):
    """This project, then HIPS autograd installed over it (its __init__.py wins)."""
    env = make_env("under")
    pip(env, "install", "--no-deps", str(wheel))
    pip(env, "install", "--no-deps", "autograd")
    return env


def error_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0, done.stdout
    return done.stderr.strip().splitlines()[-1]


def test_this_checkout_is_its_own_autograd():
    from backprop_lab import autograd_clash

    assert autograd_clash() is None


def test_import_nn_when_hips_shadows_an_editable_install(editable_beside_hips, tmp_path):
    line = error_line(run(editable_beside_hips, "python", "-c", "import nn", cwd=tmp_path))
    assert line.startswith("ImportError: backprop-lab cannot run: the package 'autograd' that "
                           "Python imports is ")
    assert "HIPS autograd" in line and "'pip uninstall -y autograd'" in line
    assert "Colab section of backprop-lab's README" in line


def test_the_command_when_hips_shadows_an_editable_install(editable_beside_hips, tmp_path):
    done = run(editable_beside_hips, "backprop-lab", "draw", "x*2", "x=1", "-o", "g.dot",
               cwd=tmp_path)
    assert done.returncode == 1 and not (tmp_path / "g.dot").exists()
    (line,) = done.stderr.splitlines()
    assert line.startswith("backprop-lab: error: backprop-lab cannot run: the package "
                           "'autograd' that Python imports is ")
    assert "'pip uninstall -y autograd'" in line


def test_import_autograd_when_installed_into_hips_folder(installed_over_hips, tmp_path):
    line = error_line(run(installed_over_hips, "python", "-c", "import autograd",
                          cwd=tmp_path))
    assert line.startswith("ImportError: backprop-lab cannot run: backprop-lab's engine (")
    assert "shares its folder with autograd " in line
    assert "'pip uninstall -y autograd backprop-lab', then install backprop-lab again" in line


def test_import_nn_and_python_m_autograd_when_installed_into_hips_folder(installed_over_hips,
                                                                        tmp_path):
    for args in (("-c", "import nn"), ("-m", "autograd", "draw", "x*2", "x=1", "-o", "g.dot")):
        line = error_line(run(installed_over_hips, "python", *args, cwd=tmp_path))
        assert "backprop-lab cannot run: backprop-lab's engine (" in line, args
    assert not (tmp_path / "g.dot").exists()


def test_import_nn_and_the_command_when_hips_was_installed_over(hips_over_installed, tmp_path):
    line = error_line(run(hips_over_installed, "python", "-c", "import nn", cwd=tmp_path))
    assert "shares its folder with autograd " in line
    done = run(hips_over_installed, "backprop-lab", "draw", "x*2", "x=1", "-o", "g.dot",
               cwd=tmp_path)
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "'pip uninstall -y autograd backprop-lab'" in done.stderr


def test_the_fix_the_message_gives_works(make_env, wheel, tmp_path):
    env = make_env("fixed")
    pip(env, "install", "--no-deps", "autograd")
    pip(env, "install", "--no-deps", str(wheel))
    pip(env, "uninstall", "-y", "autograd", "backprop-lab")
    pip(env, "install", "--no-deps", str(wheel))
    done = run(env, "python", "-c", "import nn; from autograd import Value; print(Value(2.0))",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    done = run(env, "backprop-lab", "draw", "x*2", "x=1", "-o", "g.dot", cwd=tmp_path)
    assert done.returncode == 0 and (tmp_path / "g.dot").exists(), done.stderr
