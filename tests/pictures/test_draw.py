"""Graph pictures: the DOT text draw_dot writes, rendering to files, and the no-renderer path."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from autograd import Parameter, Value, draw_dot, sin, tanh
from autograd.pictures.draw import COLORS, MAX_NODES, Graph, GraphTooLargeError
from autograd.pictures.render import GraphvizError, RendererNotFoundError, available_renderer

# On CI the renderer is part of the install (the viz extra): missing there, it is a failure.
needs_renderer = pytest.mark.skipif(available_renderer() is None and not os.environ.get("CI"),
                                    reason="no Graphviz renderer")

# The lecture neuron (micrograd's example): o = tanh(x1*w1 + x2*w2 + b), do/dn = 0.5.
B = 6.8813735870195432


def neuron():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = tanh(n)
    o.label = "o"
    o.backward()
    return o, dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, n=n)


def node_id(source, label):
    """The DOT id of the value box whose label is ``label``."""
    match = re.search(rf"^  (v\d+) \[.*<b>{re.escape(label)}</b>", source, re.MULTILINE)
    assert match, f"no node labelled {label!r}"
    return match.group(1)


def attributes(source, node):
    return re.search(rf"^  {node} \[(.*)\];$", source, re.MULTILINE).group(1)


def fill(source, node):
    return re.search(r'fillcolor="([^"]+)"', attributes(source, node)).group(1)


def edges(source):
    """(tail, head, highlighted) for every edge line."""
    return [(a, b, rest is not None and COLORS["highlight"] in rest)
            for a, b, rest in re.findall(r"^  (\w+) -> (\w+)( \[.*\])?;$", source, re.MULTILINE)]


def highlighted_nodes(source):
    return set(re.findall(rf'^  (\w+) \[[^\n]*color="{COLORS["highlight"]}", penwidth',
                          source, re.MULTILINE))


# ---------------------------------------------------------------- DOT text ------------------

def test_value_nodes_show_label_data_and_grad():
    o, v = neuron()
    source = draw_dot(o).source
    w1 = attributes(source, node_id(source, "w1"))
    assert "<b>w1</b>" in w1 and "data -3.0" in w1 and "grad 1.0" in w1
    assert "data 0.7071" in attributes(source, node_id(source, "o"))
    assert "grad -1.5" in attributes(source, node_id(source, "x1"))


def test_each_operation_is_its_own_small_node_pointing_at_its_result():
    o, _ = neuron()
    source = draw_dot(o).source
    ops = re.findall(r'^  (v\d+)_op \[.*label="([^"]*)"\];$', source, re.MULTILINE)
    assert sorted(op for _, op in ops) == ["*", "*", "+", "+", "tanh"]
    for value, _ in ops:
        assert (f"{value}_op", value, False) in edges(source)


def test_x_times_x_draws_both_edges():
    x = Value(3.0, label="x")
    y = x * x
    source = draw_dot(y).source
    x_id = node_id(source, "x")
    into_op = [e for e in edges(source) if e[0] == x_id]
    assert len(into_op) == 2 and into_op[0][1] == into_op[1][1]


def test_edge_count_is_one_per_parent_plus_one_per_operation():
    o, _ = neuron()
    # 5 operations: 4 binary (2 edges in each) + tanh (1), and one op -> result edge each.
    assert len(edges(draw_dot(o).source)) == 4 * 2 + 1 + 5


def test_colours_tell_parameters_inputs_constants_output_and_intermediates_apart():
    x = Value(2.0, label="x")
    w = Value(0.5, label="w")
    h = w * x
    h.label = "h"
    y = 3 * h
    y.label = "y"
    source = draw_dot(y, params=[w]).source
    assert fill(source, node_id(source, "w")) == COLORS["parameter"]
    assert fill(source, node_id(source, "x")) == COLORS["input"]
    assert fill(source, node_id(source, "h")) == COLORS["value"]
    assert fill(source, node_id(source, "y")) == COLORS["output"]
    constant = re.search(r"^  (v\d+) \[.*data 3\.0<", source, re.MULTILINE).group(1)
    assert fill(source, constant) == COLORS["constant"]
    op_lines = [line for line in source.splitlines() if re.match(r"  v\d+_op \[", line)]
    assert len(op_lines) == 2  # w * x and 3 * h
    assert all(f'fillcolor="{COLORS["operation"]}"' in line for line in op_lines)


def test_without_params_every_leaf_is_an_input():
    o, v = neuron()
    source = draw_dot(o).source
    assert fill(source, node_id(source, "w1")) == COLORS["input"]


def test_docstring_legend_names_every_colour():
    for kind, colour in COLORS.items():
        if kind != "value":  # intermediates are described as white
            assert colour in draw_dot.__doc__, kind
    assert "white" in draw_dot.__doc__


def test_show_grad_false_hides_the_grad_column():
    o, _ = neuron()
    source = draw_dot(o, show_grad=False).source
    assert "grad" not in source and "data -3.0" in source


def test_highlight_marks_exactly_the_chosen_nodes():
    o, v = neuron()
    source = draw_dot(o, highlight=[v["w1"], v["b"]]).source
    assert highlighted_nodes(source) == {node_id(source, "w1"), node_id(source, "b")}
    assert len(edges(source)) == 14 and not any(marked for *_, marked in edges(source))


def test_highlight_accepts_a_single_value():
    o, v = neuron()
    source = draw_dot(o, highlight=v["w2"]).source
    assert highlighted_nodes(source) == {node_id(source, "w2")}


def test_highlight_paths_from_a_weight_marks_the_edges_backprop_uses_for_its_gradient():
    a, x, b = Value(2.0, label="a"), Value(3.0, label="x"), Value(1.0, label="b")
    ax = a * x
    ax.label = "ax"
    L = ax + b
    L.label = "L"
    source = draw_dot(L, highlight_paths_from=a).source
    ids = {name: node_id(source, name) for name in ("a", "x", "b", "ax", "L")}
    marked = {(t, h) for t, h, m in edges(source) if m}
    assert marked == {(ids["a"], f"{ids['ax']}_op"), (f"{ids['ax']}_op", ids["ax"]),
                      (ids["ax"], f"{ids['L']}_op"), (f"{ids['L']}_op", ids["L"])}
    assert highlighted_nodes(source) == {ids["a"], ids["ax"], ids["L"],
                                         f"{ids['ax']}_op", f"{ids['L']}_op"}


def test_highlight_paths_follow_every_branch():
    # Lecture 003: z1 = sin(x), z2 = x^3, y = z1 z2: two paths from x to y, both used.
    x = Value(0.5, label="x")
    y = sin(x) * x**3
    source = draw_dot(y, highlight_paths_from=x).source
    assert len(edges(source)) == 7 and all(marked for *_, marked in edges(source))


def test_highlight_paths_from_several_nodes():
    o, v = neuron()
    source = draw_dot(o, highlight_paths_from=[v["w1"], v["w2"]]).source
    marked_tails = {t for t, _, m in edges(source) if m}
    assert {node_id(source, "w1"), node_id(source, "w2")} <= marked_tails
    assert node_id(source, "x1") not in marked_tails and node_id(source, "b") not in marked_tails


def test_highlighting_a_value_from_another_graph_is_refused():
    o, _ = neuron()
    with pytest.raises(ValueError, match="not in this graph"):
        draw_dot(o, highlight_paths_from=Value(1.0, label="stranger"))


def test_rankdir_top_to_bottom():
    o, _ = neuron()
    assert "rankdir=TB" in draw_dot(o, rankdir="TB").source
    assert "rankdir=LR" in draw_dot(o).source


def test_unknown_rankdir_is_refused():
    o, _ = neuron()
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(o, rankdir="sideways")


def test_labels_are_escaped_in_the_dot_text():
    x = Value(1.0, label='<a & "b">')
    source = draw_dot(x * 2).source
    assert "&lt;a &amp; &quot;b&quot;&gt;" in source and '<a & "b">' not in source


def test_too_big_graph_is_refused_with_its_size_and_what_to_do():
    y = Value(1.0)
    for _ in range(MAX_NODES):
        y = y * 1.0
    with pytest.raises(GraphTooLargeError) as refused:
        draw_dot(y)
    message = str(refused.value)
    assert f"{2 * MAX_NODES + 1:,} values" in message
    assert "smaller piece" in message and "max_nodes=" in message
    assert isinstance(refused.value, ValueError)


def test_max_nodes_lets_a_big_graph_through():
    y = Value(1.0)
    for _ in range(30):
        y = y * 1.0
    with pytest.raises(GraphTooLargeError):
        draw_dot(y, max_nodes=60)
    assert draw_dot(y, max_nodes=61).source.count("_op [") == 30


def test_draw_dot_needs_a_value():
    with pytest.raises(TypeError, match="Value"):
        draw_dot(3.0)


# ---------------------------------------------------------------- rendering -----------------

SIGNATURES = {".svg": b"<svg", ".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF-"}


@needs_renderer
@pytest.mark.parametrize("extension", [".svg", ".png", ".pdf"])
def test_save_writes_the_format_its_extension_names(tmp_path, extension):
    o, _ = neuron()
    path = draw_dot(o).save(tmp_path / f"neuron{extension}")
    data = path.read_bytes()
    if extension == ".svg":
        assert SIGNATURES[".svg"] in data[:400] and b"w1" in data
    else:
        assert data.startswith(SIGNATURES[extension])


def test_save_dot_writes_the_source(tmp_path):
    o, _ = neuron()
    graph = draw_dot(o)
    assert (graph.save(tmp_path / "neuron.dot")).read_text() == graph.source


def test_save_with_unknown_extension_names_the_known_ones(tmp_path):
    graph = draw_dot(Value(1.0) * 2)
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.tex, \.dot"):
        graph.save(tmp_path / "graph.jpg")
    assert list(tmp_path.iterdir()) == []


@needs_renderer
def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "g.svg"
    path.write_text("old picture")
    with pytest.raises(GraphvizError):
        Graph("digraph { a -> }").save(path)
    assert path.read_text() == "old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


@needs_renderer
def test_jupyter_display_is_svg():
    bundle = draw_dot(Value(1.0, label="x") * 2)._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "<svg" in bundle["image/svg+xml"]


@needs_renderer
def test_graph_wraps_any_dot_text():
    graph = Graph("digraph { input -> hidden -> output }")
    assert b"hidden" in graph.pipe("svg")


def test_graph_needs_text():
    with pytest.raises(TypeError, match="DOT text"):
        Graph(b"digraph {}")


@needs_renderer
def test_rendering_prints_nothing_on_stderr():
    # In a fresh interpreter: fontconfig complains once, at its first use in a process.
    code = ("from autograd import Value, draw_dot\n"
            "g = draw_dot(Value(2.0, label='x') * 3)\n"
            "g.pipe('svg'); g.pipe('png'); g.pipe('pdf')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0
    assert done.stderr == ""


# ---------------------------------------------------------------- no renderer ---------------

@pytest.fixture
def no_renderer(monkeypatch):
    """As on a machine without the viz extra and without a system Graphviz."""
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import pygraphviz -> ImportError
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr("autograd.pictures.wasm.IN_BROWSER", False)  # nor the browser's


def test_display_without_renderer_shows_dot_text_and_install_hint(no_renderer):
    graph = draw_dot(Value(1.0, label="x") * 2)
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    text = bundle["text/plain"]
    assert 'pip install "backprop-lab[viz]"' in text.splitlines()[0]
    assert graph.source in text
    assert graph._repr_svg_() is None


def test_ipython_displays_a_graph_without_renderer(no_renderer):
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(draw_dot(Value(1.0, label="x") * 2))
    assert "digraph" in data["text/plain"] and "image/svg+xml" not in data


def test_saving_a_picture_without_renderer_names_what_is_missing(no_renderer, tmp_path):
    graph = draw_dot(Value(1.0) * 2)
    with pytest.raises(RendererNotFoundError) as missing:
        graph.save(tmp_path / "g.png")
    assert "pygraphviz" in str(missing.value) and "'dot'" in str(missing.value)
    assert list(tmp_path.iterdir()) == []
    assert graph.save(tmp_path / "g.dot").read_text() == graph.source


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for dot")
@pytest.mark.skipif(sys.platform == "emscripten", reason="Pyodide runs no programs")
def test_a_dot_program_on_path_is_used_without_pygraphviz(monkeypatch, tmp_path):
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho "<svg>drawn with $*</svg>"\n')
    fake.chmod(0o755)
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    picture = Graph("digraph { a }").pipe("svg")
    assert picture.startswith(b"<svg>drawn with") and b"-Tsvg" in picture


def test_parameters_are_coloured_as_parameters_without_being_listed():
    x, w = Value(2.0, label="x"), Parameter(0.5, label="w")
    y = w * x
    source = draw_dot(y).source
    assert fill(source, node_id(source, "w")) == COLORS["parameter"]
    assert fill(source, node_id(source, "x")) == COLORS["input"]


def test_an_nn_neurons_weights_and_bias_are_parameters_in_the_picture():
    import nn

    neuron = nn.Neuron(2, seed=0)
    source = draw_dot(neuron([1.0, 2.0])).source
    parameter_boxes = re.findall(rf'fillcolor="{COLORS["parameter"]}"', source)
    assert len(parameter_boxes) == len(neuron.parameters()) == 3
