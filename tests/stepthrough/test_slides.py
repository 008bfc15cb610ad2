"""Pictures for slides, tested by opening what was written: PNG resolution, animations (frame
count, size, timing), PDF pages, and TikZ and Beamer files compiled by pdflatex."""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Parameter, Value, draw_dot, trace_backward
from autograd.pictures.options import PictureOptions
from autograd.pictures.render import RendererNotFoundError, available_renderer, layout, render
from autograd.pictures.themes import THEMES
from autograd.pictures.tikz import latex_text
from autograd.stepthrough.frames import step_frames

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
Image = pytest.importorskip("PIL.Image")
pypdf = pytest.importorskip("pypdf")

B = 6.8813735870195432


def lecture_neuron():
    """o = tanh(x1*w1 + x2*w2 + b), micrograd's neuron, with Parameters; not yet backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    return n.tanh(), w1


def graph():
    o, w1 = lecture_neuron()
    o.backward()
    return draw_dot(o, highlight_paths_from=w1)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as picture:
        return picture.size


# Resolution ------------------------------------------------------------------------------------

@needs_renderer
def test_dpi_scales_a_png(tmp_path):
    plain = png_size(graph().save(tmp_path / "g.png").read_bytes())
    sharp = png_size(graph().save(tmp_path / "g300.png", dpi=300).read_bytes())
    for a, b in zip(plain, sharp):  # Graphviz draws PNGs at 96 dpi unless told
        assert b == pytest.approx(a * 300 / 96, rel=0.02)


@needs_renderer
def test_vector_formats_are_the_same_at_any_dpi(tmp_path):
    source = graph().source
    assert render(source, "svg", dpi=300) == render(source, "svg")
    pages = [pypdf.PdfReader(io.BytesIO(render(source, "pdf", dpi=dpi))).pages[0].mediabox
             for dpi in (None, 300)]
    assert pages[0] == pages[1]


@pytest.mark.parametrize("dpi", [0, -5, 5000, math.nan, "300", True])
def test_a_dpi_that_is_no_resolution_is_refused(tmp_path, dpi):
    with pytest.raises(ValueError, match="dpi must be a number of dots per inch from 1 to 1200"):
        graph().save(tmp_path / "g.png", dpi=dpi)
    assert not (tmp_path / "g.png").exists()


# TikZ ------------------------------------------------------------------------------------------

@needs_renderer
def test_tex_places_every_node_where_graphviz_does(tmp_path):
    g = graph()
    tex = g.save(tmp_path / "g.tex").read_text()
    placed = {name: (float(x), float(y)) for name, x, y in
              re.findall(r"\\node\[[^\]]*\] \((\w+)\) at \(([-\d.]+), ([-\d.]+)\)", tex)}
    laid_out = {n["name"]: tuple(map(float, n["pos"].split(","))) for n in g.layout().nodes}
    assert placed.keys() == laid_out.keys()
    for name, (x, y) in laid_out.items():
        assert placed[name] == pytest.approx((x, y), abs=0.01)


@needs_renderer
def test_tex_writes_the_numbers_as_latex_and_a_legend(tmp_path):
    tex = graph().save(tmp_path / "g.tex").read_text()
    assert r"\textbf{w1}\enspace\vrule\enspace data $-3.0$\enspace\vrule\enspace grad $1.0$" in tex
    for words in ("parameter", "input", "intermediate value", "operation", "output",
                  "highlighted: backprop's paths"):
        assert f"{{{words}}};" in tex, words
    assert tex.startswith("%") and r"\documentclass{standalone}" in tex


@needs_renderer
@pytest.mark.parametrize("theme", THEMES)
def test_a_graphs_tex_compiles_with_pdflatex(tmp_path, pdflatex, theme):
    o, w1 = lecture_neuron()
    o.backward()
    path = draw_dot(o, theme=theme, highlight_paths_from=w1).save(tmp_path / "g.tex")
    pdf = pypdf.PdfReader(pdflatex(path))
    assert len(pdf.pages) == 1
    assert "data 0.8814" in pdf.pages[0].extract_text().replace("\n", " ")


@needs_renderer
def test_labels_of_any_characters_compile(tmp_path, pdflatex):
    x = Value(1.0, label="x_1 & $y$ {z} \\ % # ~ ^ α Δ х \x01")
    y = x * 2
    y.label = 'quote " <b>'
    y.backward()
    pdflatex(draw_dot(y).save(tmp_path / "g.tex"))


def test_latex_text_escapes_what_tex_reads_as_commands():
    assert latex_text("x_1 & 50%") == r"x\_1 \& 50\%"
    assert latex_text("α") == r"$\alpha$"
    assert latex_text("х") == "[U+0445]"  # Cyrillic: no glyph in plain pdflatex


@needs_renderer
def test_a_networks_tex_compiles_with_its_weights(tmp_path, pdflatex):
    model = nn.MLP(2, [2, 1], seed=0)
    path = nn.draw_network(model, x=[1.0, 0.0], weights="values", show_bias=True).save(
        tmp_path / "net.tex")
    assert "$w_{21}^{(1)} = " in path.read_text()
    text = pypdf.PdfReader(pdflatex(path)).pages[0].extract_text()
    assert "hidden layer 1 (relu)" in text


# Animations ------------------------------------------------------------------------------------

@needs_renderer
@pytest.mark.parametrize("extension", [".gif", ".apng", ".webp"])
def test_an_animation_has_one_frame_per_step_all_the_same_size(tmp_path, extension):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    path = trace.save(tmp_path / f"steps{extension}", seconds_per_step=1.5)
    with Image.open(path) as animation:
        assert animation.n_frames == len(trace) == 6
        sizes = set()
        for k in range(animation.n_frames):
            animation.seek(k)
            sizes.add(animation.size)
            if extension != ".webp":  # Pillow does not read WebP's durations: see below
                assert animation.info["duration"] == 1500
        assert len(sizes) == 1
        assert animation.info.get("loop") == 0
    if extension == ".webp":
        assert webp_durations(path.read_bytes()) == [1500] * 6


def webp_durations(data: bytes) -> list[int]:
    """The duration of each frame of an animated WebP: in each ANMF chunk, after the frame's
    x, y, width and height (3 bytes each), 3 bytes little-endian (the WebP container spec)."""
    durations, at = [], 12
    while at < len(data):
        kind, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if kind == b"ANMF":
            durations.append(int.from_bytes(data[at + 8 + 12:at + 8 + 15], "little"))
        at += 8 + size + size % 2
    return durations


@needs_renderer
def test_an_animation_takes_the_dpi(tmp_path):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    plain = png_size(trace.save(tmp_path / "a.gif").read_bytes())
    sharp = png_size(trace.save(tmp_path / "b.gif", dpi=192).read_bytes())
    assert sharp[0] == pytest.approx(2 * plain[0], rel=0.02)


@needs_renderer
@pytest.mark.parametrize("theme", THEMES)
def test_nodes_never_move_between_frames(theme):
    o, _ = lecture_neuron()
    frames = step_frames(trace_backward(o), PictureOptions(theme=theme), captions=True)
    positions = [{(n["name"], n["pos"], n["width"], n["height"]) for n in layout(f.source).nodes}
                 for f in frames]
    assert all(p == positions[0] for p in positions)
    boxes = {layout(f.source).bounding_box for f in frames}
    assert len(boxes) == 1


@needs_renderer
def test_each_frame_shows_its_step(tmp_path):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    frames = step_frames(trace, PictureOptions(), captions=True)
    assert "Step 5 of 5: mul1 = x1 * w1" in frames[5].source
    assert "dL/dw1 += dL/d(mul1) * d(mul1)/dw1 = 0.5 * 2.0 = 1.0" in frames[5].source
    with Image.open(trace.save(tmp_path / "s.gif")) as animation:  # frames differ
        pictures = []
        for k in (0, 5):
            animation.seek(k)
            pictures.append(animation.convert("RGB").tobytes())
    assert pictures[0] != pictures[1]


@pytest.mark.parametrize("seconds", [0, -1, 1e9, "2"])
def test_frame_timing_that_is_no_duration_is_refused(tmp_path, seconds):
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match="seconds_per_step"):
        trace_backward(o).save(tmp_path / "s.gif", seconds_per_step=seconds)


# PDF pages and Beamer --------------------------------------------------------------------------

@needs_renderer
@pytest.mark.parametrize("theme", THEMES)
def test_the_pdf_has_one_vector_page_per_step(tmp_path, theme):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    pdf = pypdf.PdfReader(trace.save(tmp_path / "steps.pdf", theme=theme))
    assert len(pdf.pages) == len(trace)
    assert len({tuple(page.mediabox) for page in pdf.pages}) == 1
    assert "Step 3 of 5" in pdf.pages[3].extract_text()
    assert not pdf.pages[0].images  # vectors, not pictures of them


@needs_renderer
@pytest.mark.parametrize("theme", THEMES)
def test_the_beamer_file_compiles_to_one_slide_per_step(tmp_path, pdflatex, theme):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    path = trace.save(tmp_path / "steps.tex", theme=theme)
    assert r"\documentclass[aspectratio=169]{beamer}" in path.read_text()
    pdf = pypdf.PdfReader(pdflatex(path))
    assert len(pdf.pages) == len(trace)
    assert "Step 4 of 5: mul2 = x2 * w2" in pdf.pages[4].extract_text()


@needs_renderer
def test_beamer_overlays_change_only_what_changes(tmp_path):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    tex = trace.save(tmp_path / "steps.tex").read_text()
    # x1's box: "grad ?" on slides 1-6 until step 5 (slide 6) gives it -1.5.
    x1 = [line for line in tex.splitlines() if r"\textbf{x1}" in line]
    assert len(x1) == 2
    assert x1[0].startswith(r"\only<1-5>{") and "grad~?" in x1[0]
    assert x1[1].startswith(r"\only<6>{") and "grad $-1.5$" in x1[1]


@needs_renderer
def test_unknown_step_formats_are_refused_with_the_choices(tmp_path):
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match=r"\.html, \.htm, \.gif, \.apng, \.webp, \.pdf, \.tex"):
        trace_backward(o).save(tmp_path / "steps.mp4")
    assert list(tmp_path.iterdir()) == []


@needs_renderer
def test_pdf_pages_render_to_pictures_a_person_can_see(tmp_path):
    if shutil.which("pdftoppm") is None:
        reason = "pdftoppm is not installed (apt-get install poppler-utils)"
        if os.environ.get("BACKPROP_LAB_CI"):  # .ci/run installs it
            pytest.fail(reason)
        pytest.skip(reason)
    o, _ = lecture_neuron()
    path = trace_backward(o).save(tmp_path / "steps.pdf", theme="dark")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "2", "-l", "2", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        assert page.convert("RGB").getpixel((1, 1)) == tuple(
            int(THEMES["dark"].background[i:i + 2], 16) for i in (1, 3, 5))


def test_layout_reads_graphviz_json():
    if available_renderer() is None:
        pytest.skip("no Graphviz renderer")
    laid_out = layout('digraph { a [tex="A"]; b; a -> b [marked="true"]; }')
    assert [n["name"] for n in laid_out.nodes] == ["a", "b"]
    assert laid_out.edges[0]["tail"] == "a" and laid_out.edges[0]["marked"] == "true"
    assert json.dumps(laid_out.graph)  # plain strings


@given(st.text())
def test_latex_text_leaves_nothing_tex_would_read_as_a_command(text):
    out = latex_text(text)
    assert out.isascii() and out.isprintable()
    bare = re.sub(r"\\(textbackslash|textasciicircum|textasciitilde|textless|textgreater|"
                  r"textbar)\{\}|\\[{}$&#_%]|\$\\\w+\$", "", out)
    assert not set(bare) & set("\\{}$&#^_%~<>|"), out


def test_a_tex_picture_without_graphviz_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr("autograd.pictures.render.available_renderer", lambda: None)
    with pytest.raises(RendererNotFoundError, match=r"cannot lay out the graph.*viz"):
        graph().save(tmp_path / "g.tex")
    assert list(tmp_path.iterdir()) == []
