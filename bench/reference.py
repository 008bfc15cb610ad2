"""The reference engine, micrograd 0.1.0, installed for the bench only.

It is fetched from the package registry with pip into a folder of its own (by default
``bench/.reference/micrograd-0.1.0``), never into the project's environment and never as a
project dependency, and imported from there. The folder is a cache: the first run installs,
later runs reuse it.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

NAME = "micrograd"
VERSION = "0.1.0"
DEFAULT_CACHE = Path(__file__).resolve().parent / ".reference"


class ReferenceUnavailable(RuntimeError):
    """micrograd could not be installed or imported; the message says why and what to do."""


def install(cache: Path = DEFAULT_CACHE) -> Path:
    """The folder holding micrograd 0.1.0 under ``cache``, installed there by pip if missing.

    pip installs into a temporary folder beside the final one, which is then renamed into place:
    a folder under its final name is always a complete install, even if a run was interrupted
    or two runs installed at once.
    """
    target = cache / f"{NAME}-{VERSION}"
    if _is_installed(target):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=cache))
    try:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                   "--disable-pip-version-check", "--target", str(staging),
                   f"{NAME}=={VERSION}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not _is_installed(staging):
            raise ReferenceUnavailable(
                f"could not install {NAME}=={VERSION} from the package registry into {target}:\n"
                f"{(done.stderr or done.stdout).strip()}\n"
                f"Check the network, or install it yourself with\n"
                f"  {sys.executable} -m pip install --target {target} {NAME}=={VERSION}")
        try:
            staging.rename(target)
        except OSError:
            if not _is_installed(target):  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def load(cache: Path = DEFAULT_CACHE) -> tuple[ModuleType, ModuleType]:
    """``(micrograd.engine, micrograd.nn)`` imported from the bench's own install."""
    folder = install(cache)
    sys.path.insert(0, str(folder))
    try:
        engine = importlib.import_module(f"{NAME}.engine")
        nn = importlib.import_module(f"{NAME}.nn")
    finally:
        sys.path.remove(str(folder))
    where = Path(engine.__file__).resolve()
    if folder.resolve() not in where.parents:
        raise ReferenceUnavailable(
            f"'import {NAME}' found {where}, not the bench's copy in {folder}: another {NAME} "
            f"was imported first; run the bench in a fresh interpreter")
    return engine, nn


def _is_installed(folder: Path) -> bool:
    return (folder / f"{NAME}-{VERSION}.dist-info").is_dir() and (folder / NAME).is_dir()
