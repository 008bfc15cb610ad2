"""Pictures in the browser: Graphviz compiled to WebAssembly (autograd.pictures.wasm).

Under Pyodide (make test-pyodide, and the site) every picture test of this folder runs through
it; here are what is particular to it. On CPython the routing through ``render.py`` is tested
with the browser's renderer stood in for, and the real drawing skips (the suite's Pyodide run and
tests/e2e/test_site.py draw for real).
"""

from __future__ import annotations

import sys

import pytest

from autograd import Graph, GraphvizError, Value, draw_dot
from autograd.pictures import wasm

IN_PYODIDE = sys.platform == "emscripten"


@pytest.fixture
def browser(monkeypatch):
    """render.py as in the browser, with a stand-in for Graphviz's WebAssembly that records
    what it is asked for."""
    asked = []

    def fake_render(source: str, format: str):
        asked.append(format)
        if "syntax error" in source:
            return b"", ["syntax error in line 1 near 'error'"]
        return f"<svg><!-- {format} --></svg>".encode(), []

    monkeypatch.setattr(wasm, "IN_BROWSER", True)
    monkeypatch.setattr(wasm, "available_renderer", lambda: wasm.RENDERER)
    monkeypatch.setattr(wasm, "render", fake_render)
    return asked


def test_no_browser_renderer_outside_the_browser():
    assert wasm.available_renderer() is None or IN_PYODIDE


@pytest.mark.parametrize("format", ["png", "pdf"])
def test_png_and_pdf_are_refused_naming_svg(format):
    with pytest.raises(wasm.BrowserRendererError, match=r"save the picture as \.svg") as refusal:
        wasm.render("digraph { a }", format)
    assert f"cannot draw a {format} picture in the browser" in str(refusal.value)


def test_in_the_browser_pictures_go_through_the_webassembly_renderer(browser, tmp_path):
    graph = draw_dot(Value(2.0, label="x") * 3)
    assert graph._repr_svg_().startswith("<svg")
    graph.save(tmp_path / "g.svg")
    assert (tmp_path / "g.svg").read_bytes().startswith(b"<svg")
    assert browser == ["svg", "svg"]


def test_in_the_browser_graphvizs_refusal_is_a_graphviz_error(browser):
    with pytest.raises(GraphvizError, match="syntax error in line 1"):
        Graph("digraph { syntax error").pipe("svg")


@pytest.mark.skipif(not IN_PYODIDE, reason="draws with Graphviz's WebAssembly: Pyodide only")
def test_the_webassembly_graphviz_is_the_one_pygraphviz_bundles():
    import js

    assert str(js.Viz.graphvizVersion) == wasm.GRAPHVIZ_VERSION
    svg = Graph("digraph { a -> b }").pipe("svg")
    assert b"<svg" in svg and b">a</text>" in svg


@pytest.mark.skipif(not IN_PYODIDE, reason="draws with Graphviz's WebAssembly: Pyodide only")
def test_saving_a_png_in_the_browser_says_to_save_svg(tmp_path):
    with pytest.raises(wasm.BrowserRendererError, match=r"\.svg"):
        draw_dot(Value(1.0) * 2).save(tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()
