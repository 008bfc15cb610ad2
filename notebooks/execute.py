"""Run every teaching notebook top to bottom in a fresh kernel and keep the result for reading.

    make notebooks                               # all of them
    .venv/bin/python notebooks/execute.py 03 05  # some of them (name, prefix or glob)

Each notebook runs in its own new kernel on this interpreter (the project's .venv), with the
working directory set to ``notebooks/executed/``, so files a notebook writes land there too. The
executed copies, outputs included, are written to ``notebooks/executed/`` (git-ignored: the
committed notebooks carry no outputs). Nothing is opened; the paths are printed. The exit status
is 1 if any notebook raised an error or wrote to stderr.

A notebook that needs an optional package (``REQUIRES``) is skipped, with a note saying what to
install, where that package is missing.

The test suite (tests/e2e/test_notebooks.py) runs the notebooks with the same functions.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import sys
import time
from pathlib import Path

import nbformat
import zmq
from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from autograd.core.files import write_atomically

NOTEBOOKS_DIR = Path(__file__).resolve().parent
EXECUTED_DIR = NOTEBOOKS_DIR / "executed"
#: Seconds one cell may take. The heaviest cell (a training run) takes a few seconds.
CELL_TIMEOUT = 120
#: notebook -> (the optional package it imports, how to install it).
REQUIRES = {"08_graduating_to_pytorch": ("torch", "make torch: a CPU build into .venv")}


def notebook_paths() -> list[Path]:
    """The teaching notebooks, in course order: ``notebooks/NN_topic.ipynb``."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


class _ThisInterpreter(KernelSpecManager):
    """Kernel specs that all start this very interpreter.

    A kernel named "python3" could otherwise resolve to whatever a user installed under that name
    (another Python without the project); the notebooks must run against this venv's packages.
    """

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        spec = get_kernel_dict()  # ipykernel's own spec, whose argv starts with sys.executable
        return KernelSpec(argv=spec["argv"], display_name=spec["display_name"],
                          language=spec["language"], metadata=spec.get("metadata", {}))


def execute(path: Path, cwd: Path, timeout: int = CELL_TIMEOUT
            ) -> tuple[nbformat.NotebookNode, list[str]]:
    """Run the notebook at ``path`` top to bottom in a fresh kernel started in ``cwd``.

    Returns the notebook with its outputs and the problems found (see ``stderr_and_errors``);
    execution stops at the first cell that raises or takes longer than ``timeout`` seconds, and
    the notebook then has outputs up to that cell.
    """
    nb = nbformat.read(path, as_version=4)
    kernel = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=_ThisInterpreter())
    if kernel.has_trait("transport_encryption") and zmq.has("curve"):
        # Recent jupyter_client versions encrypt the kernel's sockets on request; unencrypted,
        # the kernel prints a warning to the terminal.
        kernel.transport_encryption = "auto"
    client = NotebookClient(nb, km=kernel, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}})
    try:
        # cleanup_kc: shut the kernel down afterwards, which nbclient does by default only for
        # kernels it started itself.
        client.execute(cleanup_kc=True)
    except CellExecutionError as exc:
        return _as_shown(nb), stderr_and_errors(nb) or [f"{exc.ename}: {exc.evalue}"]
    except CellTimeoutError as exc:
        late = f"a cell ran longer than {timeout} s: {exc}"
        return _as_shown(nb), stderr_and_errors(nb) + [late]
    return _as_shown(nb), stderr_and_errors(nb)


def _as_shown(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The outputs as Jupyter shows them: a kernel flushes printed text on a timer, so on a busy
    machine one print can arrive as several stream outputs; Jupyter shows them as one text."""
    CoalesceStreamsPreprocessor().preprocess(nb, {})
    return nb


def stderr_and_errors(nb: nbformat.NotebookNode) -> list[str]:
    """What in an executed notebook a reader should never see: errors and stderr text.

    One entry per offending output, naming the cell (1-based, code and markdown counted) and
    starting with the text itself.
    """
    found = []
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append(f"cell {number}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {number} wrote to stderr: {output.text.strip()[:500]}")
    return found


def missing_requirement(path: Path) -> str | None:
    """What to install to run the notebook at ``path``, or None when nothing is missing."""
    package, install = REQUIRES.get(path.stem, (None, None))
    if package is None or importlib.util.find_spec(package) is not None:
        return None
    return f"{path.name} needs {package}, which is not installed: {install}"


def _selected(names: list[str]) -> list[Path]:
    everything = notebook_paths()
    if not names:
        return everything
    chosen = []
    for name in names:
        pattern = Path(name).name
        matches = [p for p in everything
                   if fnmatch.fnmatch(p.name, pattern) or p.name.startswith(pattern)]
        if not matches:
            known = ", ".join(p.name for p in everything)
            raise SystemExit(f"execute.py: no notebook matches {name!r}; the notebooks are: "
                             f"{known}")
        chosen += [p for p in matches if p not in chosen]
    return chosen


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str]) -> int:
    paths = _selected(argv)
    EXECUTED_DIR.mkdir(exist_ok=True)
    failed = skipped = 0
    for path in paths:
        missing = missing_requirement(path)
        if missing:
            print(f"{'skip':6}           {missing}")
            skipped += 1
            continue
        start = time.perf_counter()
        nb, problems = execute(path, EXECUTED_DIR)
        target = EXECUTED_DIR / path.name
        write_atomically(target, nbformat.writes(nb))
        status = "ok" if not problems else "FAILED"
        print(f"{status:6} {time.perf_counter() - start:5.1f} s  {_shown(target)}")
        for problem in problems:
            print(f"         {problem}")
        failed += bool(problems)
    ran = len(paths) - skipped
    print(f"\n{ran - failed} of {ran} notebooks ran cleanly"
          + (f" ({skipped} skipped)" if skipped else "")
          + f"; the executed copies (with outputs) are in {_shown(EXECUTED_DIR)}/")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
