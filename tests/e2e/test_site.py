"""The course as a static site (make site), in a real browser, offline.

Builds site/ as ``make site`` does (lite/build.py), serves it on 127.0.0.1 (lite/serve.py) and
opens it in headless Chromium with every other host unreachable: host names resolve nowhere and
anything else goes to a proxy that is not there. A notebook is saved into the site's storage
through the page's own JupyterLab and run there, in Pyodide, as a student runs it: the lecture
neuron drawn, the step player stepped, an exercise graded, a small MLP trained, a 100,000-node
chain backpropagated and freed; its outputs are then read from the page. Screenshots go to the
folder named by BACKPROP_LAB_SCREENSHOTS (a temporary one otherwise).

Needs npm (Node.js) for the build and Debian's chromium and chromium-driver; without them this
skips, except on CI (BACKPROP_LAB_CI=1), where that is a failure. The first build downloads
about 60 MB into .lite-cache/ (two minutes); later builds take seconds.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ON_CI = bool(os.environ.get("BACKPROP_LAB_CI"))

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

#: The notebook the test runs in the site: each cell's last line says what the test looks for.
CELLS = [
    # the lecture neuron (lecture 003), drawn
    "import sys\n"
    "from autograd import Value, draw_dot\n"
    "x1, x2 = Value(2.0, label='x1'), Value(0.0, label='x2')\n"
    "w1, w2 = Value(-3.0, label='w1'), Value(1.0, label='w2')\n"
    "b = Value(6.8813735870195432, label='b')\n"
    "n = x1*w1 + x2*w2 + b; n.label = 'n'\n"
    "o = n.tanh(); o.label = 'o'\n"
    "o.backward()\n"
    "print('platform', sys.platform, 'x1.grad', round(x1.grad, 4))\n"
    "draw_dot(o)",
    # the step player
    "from autograd import trace_backward\n"
    "trace_backward(o)",
    # an exercise, graded: two right, one wrong
    "from autograd import exercise\n"
    "report = exercise(o, ask=[n, x1, w1]).check({'n': 0.5, 'x1': -1.5, 'w1': 3.0})\n"
    "print('graded:', repr(report))",
    # a small MLP, trained
    "import nn\n"
    "model = nn.MLP(2, [8, 1], activation='tanh', seed=0)\n"
    "xs = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0]]\n"
    "ys = [1.0, -1.0, -1.0, 1.0]\n"
    "opt = nn.SGD(model.parameters(), lr=0.05)\n"
    "losses = []\n"
    "for step in range(40):\n"
    "    loss = nn.mse_loss([model(x) for x in xs], ys)\n"
    "    opt.zero_grad(); loss.backward(); opt.step()\n"
    "    losses.append(loss.data)\n"
    "print(f'trained: loss {losses[0]:.4f} -> {losses[-1]:.4f}', losses[-1] < losses[0] / 4)",
    # a 100,000-node chain, backpropagated and freed
    "x = Value(1.0); y = x; a = Value(1.0)\n"
    "for _ in range(100_000):\n"
    "    y = y * a\n"
    "y.backward()\n"
    "del y\n"
    "print('freed a 100,000-node chain; x.grad =', x.grad)",
    "print('kernel alive', 6 * 7)",
]


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if ON_CI:
            pytest.fail(f"{reason} (required on CI)")
        pytest.skip(reason)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site_url():
    """``make site``'s site/, served on 127.0.0.1 for the tests of this file."""
    _require(shutil.which("npm") is not None, "no npm (Node.js) to build the site with")
    build = subprocess.run([sys.executable, str(ROOT / "lite" / "build.py")], cwd=ROOT,
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, f"make site failed:\n{build.stdout[-3000:]}{build.stderr[-3000:]}"
    serve = _load(ROOT / "lite" / "serve.py")
    httpd = serve.server(serve.SITE, 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    _require(CHROMIUM is not None and CHROMEDRIVER is not None,
             "no Chromium: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # As tests/e2e/test_browser.py, and offline: no host name resolves, and whatever is not
    # 127.0.0.1 goes to a proxy on a port where nothing listens.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
                 "--window-size=1300,1000",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='bp-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(120)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots():
    folder = os.environ.get("BACKPROP_LAB_SCREENSHOTS") or tempfile.mkdtemp(prefix="bp-site-")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"waited {seconds:.0f} s for {what}")


@pytest.fixture(scope="module")
def ran_notebook(site_url, browser, screenshots):
    """The notebook CELLS, saved into the site and run by its JupyterLab; the browser on it."""
    browser.get(f"{site_url}/lab/index.html")
    _wait(lambda: browser.execute_script("return !!window.jupyterapp"), 120, "JupyterLab")
    browser.execute_async_script("window.jupyterapp.restored.then(arguments[0])")  # started
    notebook = {"nbformat": 4, "nbformat_minor": 5, "cells": [
        {"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
        for c in CELLS], "metadata": {"kernelspec": {"name": "python", "language": "python",
                                                     "display_name": "Python (Pyodide)"}}}
    error = browser.execute_async_script("""
        const [notebook, done] = arguments, app = window.jupyterapp;
        app.serviceManager.contents
          .save('site-check.ipynb', {type: 'notebook', format: 'json', content: notebook})
          .then(() => app.commands.execute('docmanager:open', {path: 'site-check.ipynb'}))
          .then(() => done(''), e => done(String(e)));""", notebook)
    assert error == ""
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook"), 60, "the notebook")
    # Run every cell once the kernel (Pyodide, loading the site's wheels) is ready.
    browser.execute_script("""
        const panel = window.jupyterapp.shell.currentWidget;
        panel.sessionContext.ready.then(
            () => window.jupyterapp.commands.execute('notebook:run-all-cells'));""")
    _wait(lambda: "kernel alive 42" in _outputs_text(browser) or _kernel_died(browser), 600,
          "the last cell's output")
    assert not _kernel_died(browser), f"the kernel died; its outputs:\n{_outputs_text(browser)}"
    browser.save_screenshot(str(screenshots / "site-notebook.png"))
    return browser


#: Chromium's console, as read so far (reading it empties Chromium's copy).
CONSOLE: list[dict] = []


def _kernel_died(browser) -> bool:
    """Pyodide's fatal error (a stack overflow, say) leaves the cell busy for ever: its message
    in the console is the sign."""
    CONSOLE.extend(browser.get_log("browser"))
    return any("Pyodide has suffered a fatal error" in entry["message"] for entry in CONSOLE)


def _outputs_text(browser) -> str:
    return "\n".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea"))


def _cell_output(browser, index: int):
    cells = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")
    return cells[index].find_element(By.CSS_SELECTOR, ".jp-OutputArea")


def test_the_lecture_neuron_is_computed_and_drawn_by_graphviz_in_webassembly(ran_notebook):
    output = _cell_output(ran_notebook, 0)
    assert "platform emscripten x1.grad -1.5" in output.text
    svg = output.find_elements(By.CSS_SELECTOR, "svg")
    assert svg, "no SVG picture of the graph"
    assert "x1" in svg[0].text and "tanh" in svg[0].text


def test_the_step_player_steps(ran_notebook, screenshots):
    output = _cell_output(ran_notebook, 1)
    assert output.find_elements(By.CSS_SELECTOR, ".bp-frame svg"), "the player has no pictures"
    where = output.find_element(By.CSS_SELECTOR, ".bp-where")
    before = where.text
    step = output.find_element(By.CSS_SELECTOR, ".bp-next")
    ran_notebook.execute_script("arguments[0].scrollIntoView({block: 'center'})", step)
    step.click()
    step.click()
    assert before.startswith("step 0 of") and where.text.startswith("step 2 of"), \
        (before, where.text)
    ran_notebook.save_screenshot(str(screenshots / "site-player.png"))


def test_an_exercise_is_graded(ran_notebook):
    assert "graded: <Report: 2 of 3 right" in _cell_output(ran_notebook, 2).text


def test_a_small_mlp_trains(ran_notebook):
    text = _cell_output(ran_notebook, 3).text
    assert "trained: loss" in text and text.rstrip().endswith("True"), text


def test_a_100_000_node_chain_is_freed_and_the_kernel_lives_on(ran_notebook):
    assert "freed a 100,000-node chain; x.grad = 1.0" in _cell_output(ran_notebook, 4).text
    assert "kernel alive 42" in _cell_output(ran_notebook, 5).text
    status = ran_notebook.execute_script(
        "return window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status")
    assert status in ("idle", "busy"), status


def test_nothing_was_fetched_from_another_host(ran_notebook):
    # A request to another host fails (it is blocked): Chromium logs each failure.
    CONSOLE.extend(ran_notebook.get_log("browser"))
    failures = [entry["message"] for entry in CONSOLE
                if entry["level"] == "SEVERE" and "127.0.0.1" not in entry["message"].split()[0]]
    assert failures == []
