"""The gallery's matrix, checked by machine: every picture kind (``tools/gallery/catalogue.py``)
in every theme, as SVG (or a matplotlib figure), PNG, PDF and TeX. Every text reads on what is
behind it (WCAG contrast 4.5:1, 3:1 from 18pt), no two texts overlap, no text crosses its box
or the picture's edge, and the print theme uses greys only (``tools/gallery/picture_checks.py``,
which ``make gallery`` runs too)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from autograd.pictures.options import PictureOptions
from autograd.pictures.render import available_renderer, render
from autograd.stepthrough.frames import step_frames

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "gallery"))
import catalogue  # noqa: E402  (the gallery's own list of pictures)
import picture_checks  # noqa: E402

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
Image = pytest.importorskip("PIL.Image")
pypdf = pytest.importorskip("pypdf")

MATRIX = [(theme, entry.name) for theme in catalogue.THEMES
          for entry in catalogue.catalogue(theme)]


def entry(theme: str, name: str) -> catalogue.Entry:
    return next(e for e in catalogue.catalogue(theme) if e.name == name)


@needs_renderer
@pytest.mark.parametrize("theme, name", MATRIX)
def test_every_text_reads_and_nothing_overlaps_or_spills(theme, name):
    item = entry(theme, name)
    picture = item.make()
    greys = theme == "print"
    if item.kind == "graph":
        problems = picture_checks.svg_problems(render(picture.source, "svg"), greys_only=greys)
    elif item.kind == "steps":
        problems = [problem for frame in step_frames(picture, PictureOptions(theme=theme),
                                                     captions=True)
                    for problem in picture_checks.svg_problems(render(frame.source, "svg"),
                                                               greys_only=greys)]
    else:
        pytest.importorskip("matplotlib")
        problems = picture_checks.figure_problems(picture, greys_only=greys)
    assert problems == []


@needs_renderer
@pytest.mark.parametrize("theme, name", [(t, n) for t, n in MATRIX
                                         if entry(t, n).kind == "graph"])
def test_every_graph_is_a_png_and_a_pdf_a_reader_opens(theme, name):
    graph = entry(theme, name).make()
    with Image.open(io.BytesIO(graph.pipe("png"))) as picture:
        assert picture.size[0] > 50 and picture.size[1] > 30
    assert len(pypdf.PdfReader(io.BytesIO(graph.pipe("pdf"))).pages) == 1


@needs_renderer
@pytest.mark.parametrize("theme", catalogue.THEMES)
def test_every_graphs_tex_compiles_in_one_article(tmp_path, pdflatex, theme):
    graphs = [e for e in catalogue.catalogue(theme) if e.kind == "graph"]
    preamble, body = [], []
    for item in graphs:
        path = item.make().save(tmp_path / f"{item.name}.tex")
        lines = path.read_text().splitlines()
        block = lines[lines.index("% preamble:") + 1:lines.index("% end preamble")]
        preamble += [line[2:] for line in block]
        body.append(rf"\section*{{{item.name}}}\input{{{path.name}}}")
    document = tmp_path / "all.tex"
    document.write_text("\n".join([r"\documentclass{article}", *dict.fromkeys(preamble),
                                   r"\begin{document}", *body, r"\end{document}", ""]))
    pdf = pypdf.PdfReader(pdflatex(document))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert all(item.name in text for item in graphs)
    assert "Overfull \\hbox" not in document.with_suffix(".log").read_text(errors="replace")
