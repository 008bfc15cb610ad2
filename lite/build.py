"""Build the course as a static JupyterLite site in site/: ``make site`` (see lite/README.md).

Everything comes from the package registries and is cached in .lite-cache/ (gitignored), so a
second build downloads nothing:

- npm (lite/package.json, locked): ``pyodide``, Python compiled to WebAssembly, and
  ``@viz-js/viz``, Graphviz compiled to WebAssembly (its 3.27.0 is Graphviz 14.1.5, the version
  pygraphviz's wheels bundle: checked below);
- PyPI: ``jupyterlite-core`` and ``jupyterlite-pyodide-kernel`` (the build tools, in their own
  venv under .lite-cache/), ``hatchling`` (to build backprop-lab's wheel), and the pure-Python
  wheels the kernel needs that the npm package of Pyodide leaves out (micropip, IPython, jedi and
  their dependencies, ``comm``).

The site then serves every script, wasm file and wheel itself. Pyodide finds packages through
its lock file (pyodide-lock.json), which is rewritten: the kernel's pure-Python packages and
backprop-lab point at wheels on the site; every other package (NumPy, matplotlib...) at the same
Pyodide release on Pyodide's CDN, which only notebooks that plot reach.

``python lite/build.py --for-tests`` prepares only what ``lite/pytest_in_pyodide.mjs`` needs to
run the test suite under Pyodide in Node: the npm packages and pytest's wheels.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LITE = ROOT / "lite"
CACHE = ROOT / ".lite-cache"
SITE = ROOT / "site"
NODE_MODULES = CACHE / "npm" / "node_modules"
WHEELS = CACHE / "wheels"

#: The build tools, pinned together: this kernel release expects exactly this Pyodide.
#: (jupyter-server: jupyterlite indexes the notebooks with it.)
TOOLS = ["jupyterlite-core==0.8.6", "jupyterlite-pyodide-kernel==0.8.6", "jupyter-server==2.21.1",
         "hatchling==1.33.0"]
KERNEL_EXTENSION = "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
#: What the kernel installs as it starts (jupyterlite-pyodide-kernel's worker), by lock name.
KERNEL_PACKAGES = ["micropip", "ipython", "jedi"]
#: Kernel dependencies that are not in Pyodide's lock at all: added to it, from PyPI.
NOT_IN_LOCK = {"comm": "0.2.3"}
#: pytest, hypothesis and tqdm (the progress bars' tests) for the suite under Pyodide: CI's venv's
#: versions, but hypothesis's last pure-Python release (later ones are compiled per platform).
TEST_WHEELS = ["pytest==9.2.0", "pluggy==1.7.0", "iniconfig==2.3.1", "packaging==26.4",
               "pygments==2.21.0", "hypothesis==6.155.7", "sortedcontainers==2.4.0",
               "tqdm==4.70.1"]
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
#: Notebooks that need these get a note and a check at their top (see ``_with_site_note``).
CDN_MODULES = ("matplotlib", "numpy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--for-tests", action="store_true",
                        help="only what the test suite under Pyodide in Node needs")
    args = parser.parse_args()
    with _one_build_at_a_time():
        _build(args.for_tests)


@contextlib.contextmanager
def _one_build_at_a_time() -> Iterator[None]:
    """Holds .lite-cache/.lock: a second build started meanwhile (another terminal, or a test run
    on another Python) waits instead of deleting the files and task database this one uses."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("Another build of the site is using .lite-cache/: waiting for it to finish...",
                  flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _build(for_tests: bool) -> None:
    _npm_packages()
    _check_graphviz_version()
    python = _tools_venv()
    if for_tests:
        names = [wheel.name for wheel in _download(python, TEST_WHEELS)]
        (WHEELS / "tests.txt").write_text("\n".join(names) + "\n")
        return
    _check_pyodide_version(python)
    lite_dir = CACHE / "lite"
    shutil.rmtree(lite_dir, ignore_errors=True)
    pyodide_dir = lite_dir / "static" / "pyodide"
    _pyodide(python, pyodide_dir, _backprop_lab_wheel(python))
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(_lite_settings(), indent=1))
    contents = _notebooks(CACHE / "contents")
    shutil.rmtree(SITE, ignore_errors=True)
    # A build from scratch every time: jupyterlite's task database (doit's) would otherwise
    # skip merging jupyter-lite.json into a site/ it did not see removed.
    for database in CACHE.glob(".jupyterlite.doit.db*"):
        database.unlink()
    _run([str(python.parent / "jupyter"), "lite", "build", "--lite-dir", str(lite_dir),
          "--contents", str(contents), "--output-dir", str(SITE), "--no-sourcemaps"],
         cwd=CACHE)
    _check_settings()
    print(f"Built {SITE.relative_to(ROOT)}/: `make serve-site` serves it on 127.0.0.1; any "
          "static web host can serve it too")


def _run(command: list[str], **kwargs) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def _stamped(folder: Path, key: str) -> bool:
    """Whether ``folder`` was made from ``key`` (the inputs that made it, in its .stamp)."""
    stamp = folder / ".stamp"
    if stamp.is_file() and stamp.read_text() == key:
        return True
    return False


def _npm_packages() -> None:
    """``npm ci`` of lite/package-lock.json into .lite-cache/npm, when the lock changed."""
    folder = CACHE / "npm"
    lock = (LITE / "package-lock.json").read_text()
    if _stamped(folder, lock):
        return
    if shutil.which("npm") is None:
        sys.exit("make site needs npm (Node.js 18 or newer): install Node.js, then run it again")
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(LITE / name, folder / name)
    _run(["npm", "ci", "--no-audit", "--no-fund", "--cache", str(CACHE / "npm-cache")],
         cwd=folder)
    (folder / ".stamp").write_text(lock)


def _check_graphviz_version() -> None:
    """@viz-js/viz must be the Graphviz that pygraphviz bundles, so layouts match."""
    sys.path.insert(0, str(ROOT))
    from autograd.pictures import wasm

    metadata = (NODE_MODULES / "@viz-js/viz/lib/metadata.js").read_text()
    found = re.search(r'graphvizVersion = "([^"]+)"', metadata).group(1)
    if found != wasm.GRAPHVIZ_VERSION:
        sys.exit(f"@viz-js/viz bundles Graphviz {found}, but autograd.pictures.wasm expects "
                 f"{wasm.GRAPHVIZ_VERSION}: pin the @viz-js/viz of that Graphviz in "
                 f"lite/package.json")


def _tools_venv() -> Path:
    """The venv with the build tools (.lite-cache/venv); its python."""
    folder = CACHE / "venv"
    python = folder / "bin" / "python"
    key = "\n".join(TOOLS)
    if not _stamped(folder, key):
        shutil.rmtree(folder, ignore_errors=True)
        venv.create(folder, with_pip=True)
        _run([str(python), "-m", "pip", "install", "--quiet", *TOOLS])
        (folder / ".stamp").write_text(key)
    return python


def _check_pyodide_version(python: Path) -> None:
    """The npm Pyodide must be the one this kernel release was made for."""
    schema = next((python.parent.parent / KERNEL_EXTENSION).glob("static/schema/kernel*.json"))
    expected = re.search(r"pyodide/v([^/]+)/", schema.read_text()).group(1)
    found = _pyodide_version()
    if found != expected:
        sys.exit(f"lite/package.json pins pyodide {found}, but jupyterlite-pyodide-kernel "
                 f"expects {expected}: pin that one")


def _pyodide_version() -> str:
    return json.loads((NODE_MODULES / "pyodide/package.json").read_text())["version"]


def _download(python: Path, requirements: list[str]) -> list[Path]:
    """Pure-Python wheels from PyPI into .lite-cache/wheels (each once, with ``python``'s
    pip); their paths."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    missing = [r for r in requirements if _cached_wheel(r) is None]
    if missing:
        _run([str(python), "-m", "pip", "download", "--quiet", "--no-deps",
              "--only-binary=:all:", "--python-version", "3.14", "--dest", str(WHEELS),
              *missing])
    return [_cached_wheel(r) for r in requirements]


def _cached_wheel(requirement: str) -> Path | None:
    name, version = requirement.split("==")
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for wheel in WHEELS.glob("*.whl"):
        wheel_name, wheel_version = wheel.name.split("-")[:2]
        if wheel_name.lower() == stem and wheel_version == version:
            return wheel
    return None


def _backprop_lab_wheel(python: Path) -> Path:
    """backprop-lab's wheel, built from the working tree with the browser's Graphviz inside."""
    stage = CACHE / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("autograd", "nn"):
        shutil.copytree(ROOT / name, stage / name, ignore=ignore)
    for name in ("backprop_lab.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, stage / name)
    from autograd.pictures import wasm

    shutil.copy(NODE_MODULES / "@viz-js/viz/dist/viz-global.js",
                stage / "autograd" / "pictures" / wasm.BUNDLE.name)
    dist = CACHE / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    _run([str(python), "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--wheel-dir", str(dist), str(stage)])
    return next(dist.glob("backprop_lab-*.whl"))


def _pyodide(python: Path, folder: Path, backprop_lab: Path) -> None:
    """Pyodide's runtime from npm, the kernel's wheels and backprop-lab's, and the lock that
    points at them (and at the CDN for everything else)."""
    source = NODE_MODULES / "pyodide"
    folder.mkdir(parents=True)
    for path in source.iterdir():
        if path.suffix in (".mjs", ".js", ".wasm", ".zip", ".json") and path.name != "package.json":
            shutil.copy(path, folder / path.name)
    lock = json.loads((source / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    local = _closure(packages, KERNEL_PACKAGES)
    for name in local:
        if not packages[name]["file_name"].endswith("-none-any.whl"):
            sys.exit(f"the kernel needs {name}, which is not pure Python: it cannot come "
                     f"from PyPI")
    wheels = _download(python, [f"{name}=={packages[name]['version']}" for name in local])
    for name, wheel in zip(local, wheels):
        packages[name].update(_on_site(wheel, folder))
    for name, version in NOT_IN_LOCK.items():
        wheel = _download(python, [f"{name}=={version}"])[0]
        packages[name] = _entry(name, version, [name], wheel, folder)
    packages["backprop-lab"] = _entry("backprop-lab", backprop_lab.name.split("-")[1],
                                      ["autograd", "nn", "backprop_lab"], backprop_lab, folder)
    cdn = PYODIDE_CDN.format(version=_pyodide_version())
    on_site = {*local, *NOT_IN_LOCK, "backprop-lab"}
    for name, package in packages.items():
        if name not in on_site:
            package["file_name"] = cdn + package["file_name"]
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))


def _closure(packages: dict, names: list[str]) -> list[str]:
    """``names`` and everything they depend on, by the lock's names."""
    found: list[str] = []
    todo = [n.lower() for n in names]
    while todo:
        name = todo.pop()
        key = name if name in packages else name.replace("_", "-")
        if key not in found:
            found.append(key)
            todo += [d.lower() for d in packages[key]["depends"]]
    return sorted(found)


def _on_site(wheel: Path, folder: Path) -> dict:
    """Copy ``wheel`` beside the lock; the lock entry's fields that point at it."""
    shutil.copy(wheel, folder / wheel.name)
    return {"file_name": wheel.name, "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest()}


def _entry(name: str, version: str, imports: list[str], wheel: Path, folder: Path) -> dict:
    return {"name": name, "version": version, "imports": imports, "depends": [],
            "install_dir": "site", "package_type": "package", "unvendored_tests": False,
            **_on_site(wheel, folder)}


def _lite_settings() -> dict:
    """jupyter-lite.json: the site's own Pyodide, backprop-lab loaded as the kernel starts, no
    PyPI at run time."""
    kernel = {"pyodideUrl": "./static/pyodide/pyodide.mjs",
              "loadPyodideOptions": {"packages": ["backprop-lab"]},
              "disablePyPIFallback": True}
    # exposeAppInBrowser: window.jupyterapp, through which the browser test (and an
    # instructor's script) opens and runs notebooks.
    return {"jupyter-lite-schema-version": 0,
            "jupyter-config-data": {
                "appName": "backprop-lab",
                "exposeAppInBrowser": "true",
                "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel}}}


def _check_settings() -> None:
    """The built site's settings must be ours: its own Pyodide, backprop-lab preloaded."""
    config = json.loads((SITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    wanted = _lite_settings()["jupyter-config-data"]["litePluginSettings"]
    for key, value in next(iter(wanted.values())).items():
        if kernel.get(key) != value:
            sys.exit(f"site/jupyter-lite.json lost the kernel setting {key!r} in jupyterlite's "
                     f"merge: remove .lite-cache/ and build again")


def _notebooks(folder: Path) -> Path:
    """The course notebooks, each with a note at its top where the browser changes things."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        (folder / path.name).write_text(json.dumps(_with_site_note(notebook), indent=1),
                                        encoding="utf-8")
    return folder


def _with_site_note(notebook: dict) -> dict:
    """A notebook that imports matplotlib or NumPy begins with a cell that loads them from
    Pyodide's CDN and says so when it cannot be reached; one that needs PyTorch says that
    PyTorch does not run in the browser."""
    code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    cells = []
    if "import torch" in code:
        cells.append(_markdown(
            "> **In the browser:** this notebook hands models to PyTorch, which does not run "
            "in the browser; its PyTorch cells fail here. Run it in Jupyter on your computer "
            "(`make demo` installs everything)."))
    needed = [m for m in CDN_MODULES if re.search(rf"\b(import|from) {m}\b", code)]
    if needed or "nn.plot" in code:
        cells.append(_code(
            "# In the browser: the plots need matplotlib and NumPy, which are not part of this\n"
            "# site; they come from Pyodide's CDN (cdn.jsdelivr.net). Everything else is here.\n"
            "import sys\n"
            "if sys.platform == 'emscripten':\n"
            "    import pyodide_js\n"
            "    await pyodide_js.loadPackage(['matplotlib', 'numpy'])\n"
            "    try:\n"
            "        import matplotlib, numpy\n"
            "    except ImportError:\n"
            "        print('matplotlib and NumPy could not be loaded from Pyodide\\'s CDN '\n"
            "              '(cdn.jsdelivr.net): is this computer offline? The plots in this '\n"
            "              'notebook fail; everything else works.')\n"))
    notebook["cells"] = cells + notebook["cells"]
    return notebook


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(text: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": [],
            "execution_count": None}


if __name__ == "__main__":
    main()
