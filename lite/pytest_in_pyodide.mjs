// The test suite under Pyodide (CPython 3.14 compiled to WebAssembly, as in the browser), in
// Node: `make test-pyodide`, or `node --experimental-wasm-stack-switching
// lite/pytest_in_pyodide.mjs [pytest arguments]` (the flag: WebAssembly stack switching, which
// asyncio.run needs under Pyodide, as Chromium has it) after
// `python lite/build.py --for-tests` (which installs the npm packages and downloads pytest's
// wheels into .lite-cache/). The repository is mounted read-write at /lab and pytest runs there;
// Graphviz is @viz-js/viz, as on the site. The exit status is pytest's.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, ".lite-cache");
const NODE_MODULES = path.join(CACHE, "npm", "node_modules");
const WHEELS = path.join(CACHE, "wheels");

const module = (name) => import(pathToFileURL(path.join(NODE_MODULES, name)).href);
const { loadPyodide } = await module("pyodide/pyodide.mjs");
// What autograd.pictures.wasm looks for first: the page's (here Node's) Viz.
globalThis.Viz = await module("@viz-js/viz/dist/viz.js");

const pyodide = await loadPyodide();
// Python's output as it is written (pytest's progress dots are not lines).
const write = (stream) => ({ write: (bytes) => { stream.write(bytes); return bytes.length; } });
pyodide.setStdout(write(process.stdout));
pyodide.setStderr(write(process.stderr));
const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
const listed = fs.readFileSync(path.join(WHEELS, "tests.txt"), "utf8").split("\n");
for (const name of listed.filter(Boolean)) {
  const wheel = new Uint8Array(fs.readFileSync(path.join(WHEELS, name)));
  pyodide.unpackArchive(wheel, "wheel", { extractDir: sitePackages });
}
pyodide.FS.mkdirTree("/lab");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: ROOT }, "/lab");

// Graphviz's WebAssembly starts asynchronously: started and awaited here, every picture the
// (synchronous) tests ask for is drawn at once.
await pyodide.runPythonAsync(`
import os, sys
os.chdir("/lab")
sys.path.insert(0, "/lab")
import autograd.pictures.wasm
await autograd.pictures.wasm.load()
`);
// callPromising: entered so, Python may switch stacks (asyncio.run inside a test can wait).
const runPytest = pyodide.runPython(`
import pytest

def run_pytest(args):
    return int(pytest.main(["-p", "no:cacheprovider", *args]))

run_pytest
`);
process.exit(await runPytest.callPromising(pyodide.toPy(process.argv.slice(2))));
