"""backprop-lab's installation check: is the ``autograd`` Python imports this project's?

This project's engine is imported as ``autograd``, a name the unrelated HIPS autograd (pip's
``autograd``, preinstalled on Google Colab) also uses. With both installed, Python imports only
one, and which one depends on how they were installed:

- an editable install (``pip install -e .``) puts this checkout after site-packages on
  ``sys.path``, so HIPS's package shadows this one everywhere but in the checkout itself;
- a regular install writes both projects' files into one ``site-packages/autograd`` folder, where
  the last one installed owns ``__init__.py`` and uninstalling either breaks the other.

Left alone, either fails later and obscurely (``cannot import name 'Value' from 'autograd'``).
``import autograd``, ``import nn``, ``python -m autograd`` and ``backprop-lab`` check first and
fail at once with an ImportError that names the clash and the fix.

This module imports nothing of the project (it runs before the project's code may be imported);
the ``backprop-lab`` command, which runs the check and then the command line, is
``backprop_lab_cli.py``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["autograd_clash", "check_autograd"]

#: This project's engine: the ``autograd`` folder beside this file, in a checkout or installed.
OURS = Path(__file__).resolve().parent / "autograd"
COLAB = "on Google Colab, see the Colab section of backprop-lab's README"


def autograd_clash() -> str | None:
    """What is wrong with the ``autograd`` Python would import, or None if it is this project's
    own and alone in its folder. Nothing is imported or run to find out."""
    try:
        spec = importlib.util.find_spec("autograd")
    except (ImportError, ValueError):
        spec = None
    origin = Path(spec.origin).resolve().parent if spec and spec.origin else None
    if origin != OURS:
        found = f"is {origin}" if origin else "cannot be found"
        return (f"the package 'autograd' that Python imports {found}, not backprop-lab's engine "
                f"({OURS}); another project of that name comes first on sys.path, most likely "
                "HIPS autograd (pip's 'autograd', preinstalled on Google Colab). Fix: remove it "
                "with 'pip uninstall -y autograd', or use a fresh virtual environment; "
                f"{COLAB}")
    other = _other_distribution(OURS.parent)
    if other is not None:
        return (f"backprop-lab's engine ({OURS}) shares its folder with {other}, another "
                "project installed under the same import name 'autograd' (HIPS autograd, "
                "preinstalled on Google Colab): each install wrote over the other's files. Fix: "
                "'pip uninstall -y autograd backprop-lab', then install backprop-lab again; "
                f"{COLAB}")
    return None


def check_autograd() -> None:
    """Raise ImportError, naming the clash and the fix, if ``autograd_clash()`` finds one."""
    clash = autograd_clash()
    if clash is not None:
        raise ImportError(f"backprop-lab cannot run: {clash}", name="autograd")


def _other_distribution(site: Path) -> str | None:
    """The name and version of another installed distribution called ``autograd`` in the folder
    that holds this project's package (``autograd-1.7.0.dist-info``: "autograd 1.7.0")."""
    try:
        entries = os.listdir(site)
    except OSError:
        return None
    for entry in sorted(entries):
        name, _, kind = entry.rpartition(".")
        if kind in ("dist-info", "egg-info") and name.lower().startswith("autograd-"):
            return name.replace("-", " ", 1)
    return None

