"""How reports, the mistakes lab and handouts look, in every theme and format.

Every text is measured against the fill behind it (WCAG contrast, from the colours in the SVG or
HTML written), print is greys only, the table reads at least like 9 pt once a file's picture is
shrunk to a page, a ``.tex`` carries the questions or the grading table and compiles, and in
Jupyter the table is HTML beside the picture rather than part of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from autograd import THEMES, exercise, mistakes
from autograd.pictures.render import available_renderer
from autograd.pictures.themes import luminance
from autograd.teach.report import PAGE_POINTS, PAGE_WIDTH
from tests.teach.test_exercise import lecture_g1_g2, lecture_neuron
from tests.teach.test_mistakes import lab_graph

needs_renderer = pytest.mark.skipif(available_renderer() is None and not os.environ.get("CI"),
                                    reason="no Graphviz renderer")
THEME_NAMES = sorted(THEMES)


def _mistakes_graph():
    """Notebook 07's graph, where all four mistakes change gradients."""
    return lab_graph()[0]


def _pictured():
    """Each kind of picture with a table: a report with right, wrong and unanswered rows (and
    one revealed), a local report, each mistake, the handouts."""
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[z1, z2, x])
    o, _ = lecture_neuron()
    local = exercise(o, ask="local")
    L = _mistakes_graph()
    return {
        "report": ex.check({"z1": 2, "z2": None, "x": 35}),
        "revealed report": ex.check({"z1": 2, "z2": None, "x": 35}, reveal=True),
        "local report": local.check({"do/dn": 0.5, "dmul1/dw1": -3.0}),
        **{f"mistake {m.__name__}": m(L) for m in mistakes.MISTAKES},
        "handout": ex,
        "local handout": local,
    }


PICTURED = sorted(_pictured())


# ---------------------------------------------------------------- reading the SVG ----------

def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


_NAMED = {"black": "#000000", "white": "#ffffff"}


def _colour(value: str | None) -> str | None:
    if value is None or value in ("none", "transparent"):
        return None
    value = _NAMED.get(value, value)
    return value.lower() if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else None


def _box(element: ET.Element) -> tuple[float, float, float, float] | None:
    """The bounding box of a filled shape (polygon, path, ellipse), in SVG coordinates."""
    tag = element.tag.split("}")[-1]
    if tag == "ellipse":
        cx, cy = float(element.get("cx")), float(element.get("cy"))
        rx, ry = float(element.get("rx")), float(element.get("ry"))
        return cx - rx, cy - ry, cx + rx, cy + ry
    text = {"polygon": element.get("points"), "path": element.get("d")}.get(tag)
    if not text:
        return None
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", text)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def texts_and_fills(svg: str) -> list[tuple[str, str, str, float]]:
    """(text, its colour, the colour of the fill behind it, font size) for every text: the
    fill is the last filled shape drawn before the text that holds the text's middle."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    shapes: list[tuple[tuple[float, float, float, float], str]] = []
    found = []
    for element in root.iter():
        tag = element.tag.split("}")[-1]
        if tag in ("polygon", "path", "ellipse"):
            fill, box = _colour(element.get("fill")), _box(element)
            if fill is not None and box is not None:
                shapes.append((box, fill))
        elif tag == "text" and (element.text or "").strip():
            size = float(element.get("font-size", "14"))
            x, y = float(element.get("x")), float(element.get("y")) - size * 0.35
            behind = next((fill for (x0, y0, x1, y1), fill in reversed(shapes)
                           if x0 <= x <= x1 and y0 <= y <= y1), "#ffffff")
            found.append((element.text, _colour(element.get("fill", "black")), behind, size))
    return found


def _caption_sizes(svg: str) -> list[float]:
    """The font sizes of the graph's caption (its label: the table under the picture), whose
    texts Graphviz writes in the graph's group, outside every node's and edge's."""
    root = ET.fromstring(svg[svg.index("<svg"):])
    graph = next(g for g in root.iter() if g.get("class") == "graph")
    return [float(t.get("font-size")) for t in graph if t.tag.split("}")[-1] == "text"]


def _svg_width_points(svg: str) -> float:
    return float(re.search(r'<svg[^>]*width="([\d.]+)pt"', svg).group(1))


# ---------------------------------------------------------------- contrast ------------------

@needs_renderer
@pytest.mark.parametrize("theme", THEME_NAMES)
@pytest.mark.parametrize("kind", PICTURED)
def test_every_text_of_the_picture_and_its_table_reads_against_its_fill(kind, theme, tmp_path):
    svg = _pictured()[kind].save(tmp_path / "picture.svg", theme=theme).read_text()
    found = texts_and_fills(svg)
    assert len(found) > 10
    poor = [(text, colour, fill, round(contrast(colour, fill), 2))
            for text, colour, fill, size in found
            if contrast(colour, fill) < (3.0 if size >= 18 else 4.5)]
    assert not poor, f"{kind}, {theme}: text too faint on its fill: {poor}"


@needs_renderer
@pytest.mark.parametrize("kind", PICTURED)
def test_the_print_theme_uses_greys_only(kind, tmp_path):
    svg = _pictured()[kind].save(tmp_path / "picture.svg", theme="print").read_text()
    colours = {_colour(c) for c in re.findall(r'(?:fill|stroke)="([^"]+)"', svg)} - {None}
    coloured = sorted(c for c in colours if not c[1:3] == c[3:5] == c[5:7])
    assert not coloured, f"{kind}: colours in the print theme: {coloured}"


@pytest.mark.parametrize("kind", [k for k in PICTURED if "handout" not in k])
def test_the_html_table_sets_readable_colours_on_every_cell(kind):
    html = _pictured()[kind].table_html()
    cells = re.findall(r"<t[dh] [^>]*style=\"([^\"]*)\"", html)
    assert len(cells) > 5
    for style in cells:
        colour = re.search(r"(?<![-\w])color: (#\w{6})", style).group(1)
        fill = re.search(r"background: (#\w{6})", style).group(1)
        assert contrast(colour, fill) >= 4.5, style


# ---------------------------------------------------------------- sizes ---------------------

@needs_renderer
@pytest.mark.parametrize("kind", PICTURED)
def test_the_table_in_a_file_reads_at_least_like_9_pt_on_a_page(kind, tmp_path):
    svg = _pictured()[kind].save(tmp_path / "picture.svg").read_text()
    shrink = min(1.0, PAGE_WIDTH / _svg_width_points(svg))
    table = _caption_sizes(svg)
    assert len(table) > 3, "no table in the file"
    smallest = min(table) * shrink
    assert smallest >= PAGE_POINTS, f"{kind}: table text {smallest:.1f} pt on a page"


# ---------------------------------------------------------------- Jupyter -------------------

@needs_renderer
@pytest.mark.parametrize("kind", PICTURED)
def test_jupyter_shows_the_table_as_html_beside_the_picture_not_in_it(kind):
    shown = _pictured()[kind]
    bundle = shown._repr_mimebundle_()
    svg, html = bundle["image/svg+xml"], bundle["text/html"]
    last_line = str(shown).splitlines()[-1][:40]  # the footer, or the advice on decimals
    picture_words = " ".join(text for text, *_ in texts_and_fills(svg))
    assert last_line[:20] not in picture_words
    table = html[html.index("<table"):]
    assert "<svg" in html[:html.index("<table")] and last_line in unescape(table)
    assert 'style="border-collapse: collapse; font-size: inherit' in table


# ---------------------------------------------------------------- LaTeX ---------------------

@needs_renderer
def test_a_handout_saved_as_tex_has_the_questions():
    y, x, z1, z2 = lecture_g1_g2()
    text = _tex(exercise(y, ask=[z1, z2, x]))
    assert "Find by backprop, starting from dy/dy = 1:" in text
    assert "1. dy/dz1 = ?" in text and "3. dy/dx = ?" in text


@needs_renderer
def test_a_report_saved_as_tex_has_the_grading_table():
    y, x, z1, z2 = lecture_g1_g2()
    text = _tex(exercise(y, ask=[z1, z2, x]).check({"z1": 2, "x": 35}))
    assert r"\textbf{name} & \textbf{yours} & \textbf{hint}" in text
    assert r"$\times$ & x & 35.0 & x feeds 2 nodes (z1, z2)" in text
    assert "1 of 3 right (score 0.33)" in text


def _tex(shown, theme="light") -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        return shown.save(Path(folder) / "picture.tex", theme=theme).read_text()


@needs_renderer
@pytest.mark.skipif(shutil.which("pdflatex") is None and not os.environ.get("CI"),
                    reason="no pdflatex")
@pytest.mark.parametrize("kind", ["report", "local handout", "mistake set_of_parents"])
def test_the_tex_compiles_and_its_pdf_shows_the_table(kind, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    shown = _pictured()[kind]
    path = shown.save(tmp_path / "picture.tex", theme="dark")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", path.name],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    text = " ".join(pypdf.PdfReader(tmp_path / "picture.pdf").pages[0].extract_text().split())
    wanted = {"report": "x feeds 2 nodes (z1, z2)", "local handout": "1. do/dn = ?",
              "mistake set_of_parents": "k uses g twice; a set of parents"}[kind]
    assert wanted in text
