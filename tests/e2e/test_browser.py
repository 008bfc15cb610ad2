"""The step player and graph pictures in a real browser: headless Chromium, driven by selenium.

Two pages: the player that ``trace.save`` writes, and a notebook (a wide graph and a trace)
executed in a fresh kernel and rendered to static HTML by nbconvert, as a student's notebook is
shared. Each is opened with scripts and without. Screenshots are written to the folder named by
BACKPROP_LAB_SCREENSHOTS (a temporary one otherwise) and checked for the picture's colours.

Needs Debian's ``chromium`` and ``chromium-driver``; without them these tests skip, except on
CI (BACKPROP_LAB_CI=1, set by .ci/run, which installs them), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from autograd import Parameter, Value, trace_backward
from autograd.pictures.draw import COLORS
from autograd.pictures.render import available_renderer

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
ON_CI = bool(os.environ.get("BACKPROP_LAB_CI"))
WIDTH, HEIGHT = 1000, 800

webdriver = pytest.importorskip("selenium.webdriver")
Image = pytest.importorskip("PIL.Image")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if ON_CI:
            pytest.fail(f"{reason} (required on CI)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    _require(CHROMIUM is not None and CHROMEDRIVER is not None,
             "no Chromium: apt-get install chromium chromium-driver")
    _require(available_renderer() is not None, "no Graphviz renderer for the pictures")
    drivers = []

    def start(scripts: bool):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        # The flags this machine needs (see the machine notes): no sandbox as root, no GPU, no
        # background connections; every host name fails at once, so the page's CDN links
        # (nbconvert's require.js, MathJax) cost nothing and nothing is fetched.
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                     "--host-resolver-rules=MAP * ~NOTFOUND",
                     f"--window-size={WIDTH},{HEIGHT}",
                     f"--user-data-dir={tempfile.mkdtemp(prefix='bp-chromium-')}"):
            options.add_argument(flag)
        if not scripts:
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2})
        service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
        driver = webdriver.Chrome(service=service, options=options)
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()


@pytest.fixture(scope="module")
def with_scripts(chromium):
    return chromium(scripts=True)


@pytest.fixture(scope="module")
def without_scripts(chromium):
    return chromium(scripts=False)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("BACKPROP_LAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def player_page(tmp_path_factory) -> Path:
    """The lecture neuron's player, as ``trace.save`` writes it: w1, w2, b are Parameters."""
    x1, w1 = Value(2.0, label="x1"), Parameter(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Parameter(1.0, label="w2")
    b = Parameter(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return trace_backward(o).save(tmp_path_factory.mktemp("player") / "steps.html")


NOTEBOOK = [
    # Lecture 004's network, 4 inputs and hidden layers of 3 and 2: a graph far wider than a page.
    """import nn
from autograd import Value, draw_dot, trace_backward

net = nn.MLP(4, [3, 2, 1], activation="sigmoid", seed=1)
x = [Value(v, label=f"x{k}") for k, v in enumerate([0.5, -1.0, 2.0, 0.3], start=1)]
C = nn.mse_loss(net(x), 1.0)
C.label = "C"
C.backward()
draw_dot(C)""",
    """neuron = nn.Neuron(2, activation="tanh", seed=0)
trace_backward(neuron([Value(2.0, label="x1"), Value(0.0, label="x2")]))""",
]


@pytest.fixture(scope="module")
def notebook_page(run_cells, tmp_path_factory) -> Path:
    """A notebook run in a fresh kernel and rendered to static HTML with nbconvert."""
    exporter = pytest.importorskip("nbconvert").HTMLExporter()
    executed, problems = run_cells(*NOTEBOOK)
    assert not problems
    body, _ = exporter.from_notebook_node(executed)
    page = tmp_path_factory.mktemp("notebook") / "shared.html"
    page.write_text(body, encoding="utf-8")
    return page


def _open(driver, page: Path):
    driver.get(page.as_uri())
    return driver


def _shown_frames(driver) -> list[int]:
    frames = driver.find_elements(By.CSS_SELECTOR, ".bp-frame")
    assert frames, "no player on the page"
    return [int(f.get_attribute("data-frame")) for f in frames if f.is_displayed()]


def _click(driver, selector: str) -> None:
    driver.find_element(By.CSS_SELECTOR, selector).click()


def _colours(path: Path) -> set[str]:
    """The colours in a screenshot, as #rrggbb."""
    with Image.open(path) as image:
        pixels = image.convert("RGB").getcolors(maxcolors=WIDTH * HEIGHT)
    return {f"#{r:02x}{g:02x}{b:02x}" for _, (r, g, b) in pixels}


# ---------------------------------------------------------------- the saved player -----------

def test_the_player_starts_at_step_0_with_its_controls_showing(with_scripts, player_page):
    driver = _open(with_scripts, player_page)
    assert _shown_frames(driver) == [0]
    assert driver.find_element(By.CSS_SELECTOR, ".bp-controls").is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, ".bp-where").text == "step 0 of 5"


def test_next_shows_the_next_frame(with_scripts, player_page):
    driver = _open(with_scripts, player_page)
    _click(driver, ".bp-next")
    assert _shown_frames(driver) == [1]
    _click(driver, ".bp-next")
    assert _shown_frames(driver) == [2]
    assert driver.find_element(By.CSS_SELECTOR, ".bp-where").text == "step 2 of 5"


def test_previous_goes_back_a_frame(with_scripts, player_page):
    driver = _open(with_scripts, player_page)
    _click(driver, ".bp-next")
    _click(driver, ".bp-next")
    _click(driver, ".bp-prev")
    assert _shown_frames(driver) == [1]


def test_the_slider_picks_the_frame(with_scripts, player_page):
    driver = _open(with_scripts, player_page)
    slider = driver.find_element(By.CSS_SELECTOR, ".bp-slider")
    slider.send_keys(Keys.END)
    assert _shown_frames(driver) == [5]
    slider.send_keys(Keys.LEFT)
    assert _shown_frames(driver) == [4]


def test_without_scripts_every_frame_shows_and_no_control(without_scripts, player_page):
    driver = _open(without_scripts, player_page)
    assert _shown_frames(driver) == [0, 1, 2, 3, 4, 5]
    controls = driver.find_elements(By.CSS_SELECTOR, ".bp-controls, button, input")
    assert controls and not any(control.is_displayed() for control in controls)


def test_a_screenshot_of_the_player_shows_parameters_blue_and_the_output_green(
        with_scripts, player_page, screenshots):
    driver = _open(with_scripts, player_page)
    _click(driver, ".bp-next")
    shot = screenshots / "player-step-1.png"
    driver.save_screenshot(str(shot))
    colours = _colours(shot)
    assert {COLORS["parameter"], COLORS["output"], COLORS["highlight"]} <= colours


def test_a_screenshot_of_the_player_without_scripts_starts_with_the_first_frames(
        without_scripts, player_page, screenshots):
    driver = _open(without_scripts, player_page)
    shot = screenshots / "player-without-scripts.png"
    driver.save_screenshot(str(shot))
    assert {COLORS["parameter"], COLORS["output"]} <= _colours(shot)
    assert "previous" not in driver.find_element(By.TAG_NAME, "body").text


# JupyterLab's dark theme styles every <pre> of an output dark, and its text light.
DARK_NOTEBOOK_CSS = """body {background: #111111; color: #d4d4d4;}
.jp-RenderedHTMLCommon pre {background-color: #000000; color: #d4d4d4; padding: 6px;
  border: 1px solid #333333;}
.jp-RenderedHTMLCommon p {color: #d4d4d4;}"""


@pytest.mark.parametrize("theme", ["light", "dark", "print"])
def test_the_players_narration_is_no_dark_band_under_a_dark_notebook_theme(
        with_scripts, tmp_path, theme):
    # Issue 23 item 15: the narration <pre> took JupyterLab's dark pre style inside the card.
    x, w = Value(2.0, label="x"), Parameter(-3.0, label="w")
    fragment = trace_backward((x * w).tanh()).to_html(theme=theme).split("<body", 1)[1]
    fragment = fragment.split(">", 1)[1].rsplit("</body>", 1)[0]
    page = tmp_path / "dark-lab.html"
    page.write_text(f"<!DOCTYPE html><html><head><style>{DARK_NOTEBOOK_CSS}</style></head>"
                    f'<body><div class="jp-RenderedHTMLCommon">{fragment}</div></body></html>',
                    encoding="utf-8")
    driver = _open(with_scripts, page)
    card = driver.find_element(By.CSS_SELECTOR, ".bp-steps")
    card_background = card.value_of_css_property("background-color")
    for selector in (".bp-say", ".bp-intro"):
        element = driver.find_element(By.CSS_SELECTOR, selector)
        background = element.value_of_css_property("background-color")
        assert background in ("rgba(0, 0, 0, 0)", card_background), (selector, background)
        assert _contrast(element.value_of_css_property("color"), card_background) >= 4.5


def _contrast(a: str, b: str) -> float:
    """WCAG contrast of two CSS rgb()/rgba() colours."""
    def luminance(css: str) -> float:
        r, g, b = (int(float(v)) / 255 for v in css[css.index("(") + 1:-1].split(",")[:3])
        return sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
                   for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# ---------------------------------------------------------------- a notebook as HTML ----------

def test_a_wide_graph_fits_the_width_of_a_notebook_page(with_scripts, notebook_page,
                                                        screenshots):
    driver = _open(with_scripts, notebook_page)
    output = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output")[0]  # draw_dot(C)
    graph = output.find_element(By.CSS_SELECTOR, "svg, img")
    driver.execute_script("arguments[0].scrollIntoView();", graph)
    left, right = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", graph)
    assert 0 <= left < right <= driver.execute_script(
        "return document.documentElement.clientWidth;")
    shot = screenshots / "notebook-wide-graph.png"
    driver.save_screenshot(str(shot))
    assert {COLORS["parameter"], COLORS["output"]} <= _colours(shot)  # C, at the far right


def test_the_player_in_a_notebook_page_steps_with_its_buttons(with_scripts, notebook_page,
                                                             screenshots):
    driver = _open(with_scripts, notebook_page)
    player = driver.find_element(By.CSS_SELECTOR, ".bp-steps")
    driver.execute_script("arguments[0].scrollIntoView();", player)
    assert _shown_frames(driver) == [0]
    _click(driver, ".bp-next")
    _click(driver, ".bp-next")
    assert _shown_frames(driver) == [2]
    _click(driver, ".bp-prev")
    assert _shown_frames(driver) == [1]
    driver.save_screenshot(str(screenshots / "notebook-player.png"))


def test_the_player_in_a_notebook_page_without_scripts_is_a_filmstrip(without_scripts,
                                                                      notebook_page):
    driver = _open(without_scripts, notebook_page)
    frames = _shown_frames(driver)
    assert frames == list(range(len(frames))) and len(frames) > 2
    assert not driver.find_element(By.CSS_SELECTOR, ".bp-controls").is_displayed()
