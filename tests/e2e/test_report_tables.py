"""Report and mistakes-lab tables in a real browser, as a shared notebook shows them.

A notebook with a report and a mistake is run in a fresh kernel and rendered to static HTML by
nbconvert with JupyterLab's dark theme, then opened in headless Chromium (selenium). The tables
must be HTML beside or below their pictures (not inside them), at the notebook's own font size,
and every cell's text must read against its fill (WCAG contrast >= 4.5:1, from the colours the
browser computed). The screenshot is written to BACKPROP_LAB_SCREENSHOTS when that is set.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from autograd.pictures.render import available_renderer
from tests.teach.test_report_looks import contrast

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ON_CI = bool(os.environ.get("BACKPROP_LAB_CI"))
WIDTH, HEIGHT = 1280, 2400

CELLS = [
    """from autograd import Value, exercise, mistakes

x = Value(1.5, label="x")
z1, z2 = 3 * x, 5 * x
z1.label, z2.label = "z1", "z2"
y = 2 * z1 + 7 * z2
y.label = "y"
exercise(y, ask=[z1, z2, x]).check({"z1": 2, "z2": None, "x": 35})""",
    """a, b = Value(0.5, label="a"), Value(-1.0, label="b")
h = a * b
h.label = "h"
g = h.tanh()
g.label = "g"
k = g * g
k.label = "k"
L = k + h
L.label = "L"
mistakes.set_of_parents(L)""",
]


@pytest.fixture(scope="module")
def page(run_cells, tmp_path_factory) -> Path:
    if CHROMIUM is None or CHROMEDRIVER is None or available_renderer() is None:
        if ON_CI:
            pytest.fail("no Chromium or Graphviz (required on CI)")
        pytest.skip("no Chromium or Graphviz")
    exporter = pytest.importorskip("nbconvert").HTMLExporter(theme="dark")
    executed, problems = run_cells(*CELLS)
    assert not problems
    body, _ = exporter.from_notebook_node(executed)
    path = tmp_path_factory.mktemp("tables") / "reports.html"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser(page):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--hide-scrollbars",
                 "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={WIDTH},{HEIGHT}",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='bp-chromium-')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER),
                              options=options)
    driver.get(page.as_uri())
    yield driver
    driver.quit()


def _hex(rgb: str) -> str:
    red, green, blue = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def test_each_report_shows_its_table_beside_or_below_its_picture(browser):
    reports = browser.find_elements(By.CSS_SELECTOR, ".bp-report")
    assert len(reports) == 2
    for report in reports:
        picture = report.find_element(By.TAG_NAME, "svg").rect
        table = report.find_element(By.CSS_SELECTOR, "table.bp-table").rect
        beside = table["x"] >= picture["x"] + picture["width"]
        below = table["y"] >= picture["y"] + picture["height"]
        assert beside or below, (picture, table)
        assert not report.find_element(By.TAG_NAME, "svg").find_elements(By.TAG_NAME, "table")


def test_the_tables_are_set_at_the_notebook_s_font_size(browser):
    page_size = browser.execute_script(
        "return getComputedStyle(document.querySelector('.jp-RenderedHTMLCommon')).fontSize")
    sizes = {cell.value_of_css_property("font-size")
             for cell in browser.find_elements(By.CSS_SELECTOR, ".bp-table td, .bp-table th")}
    assert sizes == {page_size}


def test_every_cell_reads_against_its_fill_in_the_dark_theme(browser, tmp_path):
    cells = browser.find_elements(By.CSS_SELECTOR, ".bp-table td, .bp-table th")
    assert len(cells) > 20
    poor = []
    for cell in cells:
        colour = _hex(cell.value_of_css_property("color"))
        fill = _hex(cell.value_of_css_property("background-color"))
        if contrast(colour, fill) < 4.5:
            poor.append((cell.text, colour, fill))
    assert not poor
    folder = Path(os.environ.get("BACKPROP_LAB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(folder / "report-tables-dark.png"))
