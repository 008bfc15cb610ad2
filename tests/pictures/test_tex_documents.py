"""LaTeX that drops into a document: every .tex the library writes carries its preamble lines in a
``% preamble:`` block; copied into a plain article or beamer document, the file ``\\input``s and
compiles with pdflatex, shrunk to the text width; pictures too large for TeX's lengths are scaled,
and traces too large for a slide are refused up front. Compiled for real (the ``pdflatex``
fixture skips where it is missing, and fails on CI)."""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest

import nn
from autograd import Parameter, Value, draw_dot, trace_backward
from autograd.pictures.draw import GraphTooLargeError
from autograd.pictures.render import available_renderer
from autograd.stepthrough.slides import BEAMER_MAX_NODES
from tests.pictures.examples import chain

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
pypdf = pytest.importorskip("pypdf")

B = 6.8813735870195432


def readme_neuron() -> Value:
    """o = tanh(x1*w1 + x2*w2 + b), the README's neuron, not yet backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    return n.tanh()


def nine_operations() -> Value:
    """A graph of nine operations, seven deep."""
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c, f = Value(10.0, label="c"), Value(-2.0, label="f")
    d = a * b + c
    return ((d * f).tanh() + a * c) * (d - b)


def preamble(tex: str) -> list[str]:
    """The lines of the file's ``% preamble:`` block, each without its ``% ``."""
    lines = tex.splitlines()
    block = lines[lines.index("% preamble:") + 1:lines.index("% end preamble")]
    assert block and all(line.startswith("% ") for line in block), block
    return [line[2:] for line in block]


def document(folder: Path, name: str, document_class: str, preambles: list[list[str]],
             body: str) -> Path:
    """A plain document of ``document_class`` with the preamble lines given (each once)."""
    lines = list(dict.fromkeys(line for block in preambles for line in block))
    path = folder / f"{name}.tex"
    path.write_text("\n".join([rf"\documentclass{{{document_class}}}", *lines,
                               r"\begin{document}", body, r"\end{document}", ""]))
    return path


def pictures(folder: Path) -> dict[str, Path]:
    o = readme_neuron()
    o.backward()
    net = nn.MLP(3, [5, 4, 2], seed=0, dropout=0.5)
    saved = {
        "graph": draw_dot(o, theme="dark").save(folder / "graph.tex"),
        "network": nn.draw_network(net, x=[0.5, -1.0, 2.0], weights="values",
                                   theme="print").save(folder / "network.tex"),
    }
    return saved


@needs_renderer
def test_every_tex_file_carries_exactly_the_colours_it_uses(tmp_path):
    files = pictures(tmp_path)
    files["steps"] = trace_backward(readme_neuron()).save(tmp_path / "steps.tex")
    for kind, path in files.items():
        tex = path.read_text()
        lines = preamble(tex)
        assert lines[:3] == [r"\usepackage{tikz}",
                             r"\usetikzlibrary{arrows.meta,shapes.geometric,shapes.misc,"
                             r"backgrounds}", r"\usepackage{adjustbox}"], kind
        defined = {re.match(r"\\definecolor\{(bp[0-9A-F]{6})\}\{HTML\}\{[0-9A-F]{6}\}$",
                            line).group(1) for line in lines[3:]}
        body = tex.split("% end preamble", 1)[1]
        assert defined == set(re.findall(r"\bbp[0-9A-F]{6}\b", body)) - {"bp"}, kind


@needs_renderer
@pytest.mark.parametrize("document_class", ["article", "beamer"])
def test_pictures_input_into_a_plain_document_compile_within_the_text_width(
        tmp_path, pdflatex, document_class):
    # Issue 23 item 5: in beamer \usetikzlibrary and then \adjustbox were undefined; in an
    # article the picture ran 788pt past the text width.
    files = pictures(tmp_path)
    body = "\n\n".join(rf"Before the picture. \input{{{path.name}}} After it." for path in
                       files.values())
    if document_class == "beamer":
        body = "\n".join(rf"\begin{{frame}}{{{kind}}}\input{{{path.name}}}\end{{frame}}"
                         for kind, path in files.items())
    tex = document(tmp_path, f"in-{document_class}", document_class,
                   [preamble(path.read_text()) for path in files.values()], body)
    pdf = pypdf.PdfReader(pdflatex(tex))
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert "Overfull \\hbox" not in log and "Overfull \\vbox" not in log
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "w1" in text and "0.7071" in text  # the graph's words, LaTeX's text
    assert len(pdf.pages) == (2 if document_class == "beamer" else 1)


@needs_renderer
def test_a_file_still_compiles_on_its_own(tmp_path, pdflatex):
    # (test_slides compiles the graphs' and the steps' files on their own in every theme)
    assert len(pypdf.PdfReader(pdflatex(pictures(tmp_path)["network"])).pages) == 1


@needs_renderer
def test_a_picture_beyond_texs_lengths_is_scaled_not_broken(tmp_path, pdflatex):
    # Issue 23 item 5: a 91-value chain was 17,484pt wide: "Dimension too large", no PDF.
    path = draw_dot(chain(90)).save(tmp_path / "chain.tex")
    assert max(abs(float(v)) for v in re.findall(r"\((-?[\d.]+), ", path.read_text())) < 8001
    assert len(pypdf.PdfReader(pdflatex(path)).pages) == 1
    tex = document(tmp_path, "chain-in-article", "article", [preamble(path.read_text())],
                   r"\input{chain.tex}")
    pdflatex(tex)
    assert "Overfull" not in tex.with_suffix(".log").read_text(errors="replace")


@needs_renderer
def test_beamer_steps_input_between_the_frames_of_a_talk(tmp_path, pdflatex):
    trace = trace_backward(readme_neuron())
    steps = trace.save(tmp_path / "steps.tex")
    body = "\n".join([r"\begin{frame}{Before}Hello\end{frame}", r"\input{steps.tex}",
                      r"\begin{frame}{After}Bye\end{frame}"])
    tex = document(tmp_path, "talk", "beamer", [preamble(steps.read_text())], body)
    pdf = pypdf.PdfReader(pdflatex(tex))
    assert len(pdf.pages) == 1 + len(trace) + 1
    assert "Step 4 of 5" in pdf.pages[5].extract_text()


def test_a_trace_too_large_for_a_slide_is_refused_before_any_layout(tmp_path, monkeypatch):
    # Issue 23 item 5: an 85-value trace's Beamer file errored on every overlay.
    import autograd.stepthrough.slides as slides

    monkeypatch.setattr(slides, "layout", lambda source: pytest.fail("laid out"))
    y = Value(0.5, label="x")
    for _ in range(84):
        y = y.tanh()
    trace = trace_backward(y)
    with pytest.raises(GraphTooLargeError) as error:
        trace.save(tmp_path / "steps.tex")
    message = str(error.value)
    assert "85 values" in message and f"more than {BEAMER_MAX_NODES}" in message
    assert ".html" in message and ".pdf" in message and "smaller piece" in message
    assert list(tmp_path.iterdir()) == []


def text_on_a_slide(pdf_path: Path, page: int) -> tuple[float, float]:
    """(the size in points of most of a slide's text in its picture, the share of the slide's
    height that text spans), read from the PDF as a reader sees it."""
    reader = pypdf.PdfReader(pdf_path)
    slide = reader.pages[page]
    height = float(slide.mediabox.height)
    sizes: collections.Counter = collections.Counter()
    ys = []

    def visit(text, cm, tm, font, size):
        if not text.strip():
            return
        scale = abs(tm[0] * cm[0] + tm[1] * cm[2])
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # the text's origin on the page
        if re.search(r"data|grad", text):  # the value boxes' words
            sizes[round(size * scale, 1)] += len(text)
            ys.append(y)

    slide.extract_text(visitor_text=visit)
    return sizes.most_common(1)[0][0], (max(ys) - min(ys)) / height


@needs_renderer
def test_the_readme_neurons_steps_fill_the_slide(tmp_path, pdflatex):
    # Issue 23 item 14: the neuron used 30% of the slide's height, its text 6.7pt (the body is
    # 11pt, the narration 9pt).
    steps = trace_backward(readme_neuron()).save(tmp_path / "steps.tex")
    size, spans = text_on_a_slide(pdflatex(steps), 2)
    assert spans >= 0.5
    assert size >= 9.0


@needs_renderer
def test_a_nine_operation_graphs_text_is_not_a_quarter_of_the_body(tmp_path, pdflatex):
    # Issue 23 item 14: a nine-operation graph's text was a quarter of body size (11pt), then
    # 4.4pt. Now about 7.6pt, near \scriptsize (8pt in Beamer's 11pt): each operation in its
    # value's box rather than a rank of its own, boxes as wide as LaTeX's text and a margin
    # that keeps it off a highlighted border.
    steps = trace_backward(nine_operations()).save(tmp_path / "steps.tex")
    size, _ = text_on_a_slide(pdflatex(steps), 2)
    assert size >= 7.5


@needs_renderer
def test_text_below_the_picture_keeps_its_size_alone_and_input(tmp_path, pdflatex):
    # An exercise's questions or a report's table go under the picture, unshrunk.
    from autograd.pictures.tikz import tikz_document

    o = readme_neuron()
    o.backward()
    below = r"\begin{tabular}{@{}ll@{}}1. & dL/dw1 = ?\end{tabular}"
    path = tmp_path / "handout.tex"
    path.write_text(tikz_document(draw_dot(o).layout(), below=below))
    assert "dL/dw1" in pypdf.PdfReader(pdflatex(path)).pages[0].extract_text()
    tex = document(tmp_path, "in-article", "article", [preamble(path.read_text())],
                   r"\input{handout.tex}")
    page = pypdf.PdfReader(pdflatex(tex)).pages[0]
    sizes = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: sizes.append(
        size * abs(tm[0] * cm[0] + tm[1] * cm[2])) if "dL/dw1" in text else None)
    assert sizes and min(sizes) >= 9.5  # the article's 10pt, not shrunk with the picture


@needs_renderer
def test_numbers_in_exponent_notation_read_as_the_pictures_write_them(tmp_path, pdflatex):
    # In math mode "1.26e-05" was set as a subtraction: "1.26e − 05" with an italic e.
    x = Value(1.26e-5, label="x")
    y = x * -3e-7
    y.backward()
    path = tmp_path / "small.tex"
    draw_dot(y).save(path)
    source = path.read_text()
    assert r"1.26\mathrm{e}{-}05" in source and r"-3.78\mathrm{e}{-}12" in source
    assert not re.search(r"\$[^$]*\de[-+]\d", source)  # no bare e-05 left in math mode
    text = pypdf.PdfReader(pdflatex(path)).pages[0].extract_text()
    assert "1.26e" in text.replace(" ", "")
