"""draw_network: the layered diagram's DOT text, options, layout, and rendering."""

from __future__ import annotations

import itertools
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import nn
from autograd import Graph, GraphTooLargeError, Value, format_number
from autograd.pictures.draw import COLORS
from autograd.pictures.render import available_renderer, render
from autograd.pictures.themes import THEMES
from nn import MLP, Layer, Neuron, Perceptron, draw_network

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "gallery"))
import picture_checks  # noqa: E402  (the gallery's checks, from tools/gallery)

needs_renderer = pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
LIGHT = THEMES["light"]
SVG = "{http://www.w3.org/2000/svg}"


def edges(source: str) -> list[str]:
    return [line for line in source.splitlines() if "->" in line]


def labels(source: str) -> dict[str, str]:
    """parameter name -> the line of its weight's label node."""
    return {re.search(r'tooltip="([^"]+)"', line).group(1): line
            for line in source.splitlines() if line.startswith('  "w ')}


def position(source: str, node: str) -> tuple[float, float]:
    x, y = re.search(rf'^  "?{re.escape(node)}"? \[.*pos="([-\d.]+),([-\d.]+)!"',
                     source, re.MULTILINE).groups()
    return float(x), float(y)


def xor_network():
    """Notebook 03's XOR network, trained as there."""
    X, y = nn.data.make_xor()
    mlp = MLP(2, [2, 1], activation="tanh", seed=0)
    nn.fit(mlp, X, y, loss=nn.bce_with_logits, optimizer=nn.SGD(mlp.parameters(), lr=0.5),
           epochs=300, progress=False)
    return mlp


def test_the_diagram_is_a_graph_with_one_edge_per_weight():
    graph = draw_network(MLP(2, [16, 16, 1], seed=0))
    assert isinstance(graph, Graph)
    assert len(edges(graph.source)) == 2 * 16 + 16 * 16 + 16 == 304


def test_each_weight_is_labelled_w_jk_of_layer_l_by_its_edge():
    source = draw_network(MLP(2, [3, 1], seed=0)).source
    # Unit j = 2 of layer 1 reads input k = 1 through w_21^(1) = layers.0.neurons.1.w1.
    assert 'x1 -> u1_2 [tooltip="layers.0.neurons.1.w1"];' in source
    assert "label=<w<sub>21</sub><sup>(1)</sup>>" in labels(source)["layers.0.neurons.1.w1"]
    assert "label=<w<sub>13</sub><sup>(2)</sup>>" in labels(source)["layers.1.neurons.0.w3"]
    assert r'tex="$w_{13}^{(2)}$"' in labels(source)["layers.1.neurons.0.w3"]


def test_every_label_sits_on_its_own_edge():
    model = MLP(4, [3, 2, 1], seed=1)
    source = draw_network(model, x=[1.0, 0.0, 2.0, 0.5], weights="values").source
    for line in edges(source):
        tail, head, name = re.match(r'  (\w+) -> (\w+) \[tooltip="([^"]+)"', line).groups()
        (x0, y0), (x1, y1) = position(source, tail), position(source, head)
        x, y = map(float, re.search(r'pos="([-\d.]+),([-\d.]+)!"',
                                    labels(source)[name]).groups())
        assert min(x0, x1) < x < max(x0, x1)
        assert y == pytest.approx(y0 + (y1 - y0) * (x - x0) / (x1 - x0), abs=0.2), name


def test_units_are_named_as_in_the_notes():
    source = draw_network(MLP(2, [3, 2], seed=0)).source
    assert "label=<x<sub>1</sub>>" in source
    assert "label=<h<sub>3</sub><sup>(1)</sup>>" in source
    assert "label=<f<sub>2</sub>>" in source  # K outputs f_k (notes 000)
    assert "y&#770;" in draw_network(MLP(2, [3, 1], seed=0)).source  # one output: y hat


def test_layers_are_titled_on_one_line_above_their_units_in_index_order():
    source = draw_network(MLP(2, [3, 1], activation="tanh", seed=0)).source
    titles = re.findall(r'label="([^"]*layer[^"]*)", tex=.*pos="([-\d.]+),([-\d.]+)!"', source)
    assert [t for t, *_ in titles] == ["input layer", "hidden layer 1 (tanh)", "output layer"]
    assert len({y for *_, y in titles}) == 1  # one row of titles
    top = max(position(source, u)[1] for u in ("x1", "x2", "u1_1", "u1_2", "u1_3", "u2_1"))
    assert float(titles[0][2]) > top
    ys = [position(source, f"u1_{j}")[1] for j in (1, 2, 3)]
    assert ys == sorted(ys, reverse=True)  # h_1 on top


def test_weights_are_named_only_on_narrow_layers_unless_asked():
    assert labels(draw_network(MLP(4, [3, 2, 1], seed=0)).source)  # the notebook's network
    assert not labels(draw_network(MLP(2, [16, 16, 1], seed=0)).source)  # the demo's
    assert len(labels(draw_network(MLP(2, [8, 1], seed=0), weights="names").source)) == 24


def test_weight_values_are_shown_and_coloured_by_sign():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].w[0].data = 0.75
    model.layers[0].neurons[0].w[1].data = -1.5
    source = draw_network(model, weights="values").source
    assert (f'x1 -> u1_1 [tooltip="layers.0.neurons.0.w1", color="{LIGHT.positive}", '
            "penwidth=1.25];") in source
    assert (f'x2 -> u1_1 [tooltip="layers.0.neurons.0.w2", color="{LIGHT.negative}", '
            "penwidth=2.00];") in source
    assert "= 0.75>" in labels(source)["layers.0.neurons.0.w1"]
    assert "= -1.5>" in labels(source)["layers.0.neurons.0.w2"]


def test_negative_weights_are_dashed_in_print():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].w[1].data = -1.5
    source = draw_network(model, weights="values", theme="print").source
    assert re.search(r'x2 -> u1_1 \[[^\]]*style="dashed"', source)
    assert not re.search(r'x1 -> u1_1 \[[^\]]*style="dashed"', source)


def test_bare_edges_have_no_labels():
    assert not labels(draw_network(MLP(2, [2, 1], seed=0), weights=None).source)


def test_an_input_example_shows_every_units_value():
    model = MLP(2, [2, 1], seed=0)
    x = [0.5, -1.0]
    source = draw_network(model, x=x).source
    h1, h2 = (h.data for h in model.layers[0](x))
    out = model(x).data

    def unit(node: str, name: str, value: float, fill: str) -> bool:
        # The name, then its value in a row of its own (see test_subscripts_clear_the_values).
        return bool(re.search(rf'^  {node} \[[^\n]*fillcolor="{fill}"[^\n]*label=<<table.*'
                              rf'<td>{re.escape(name)}</td>.*<font point-size="9">'
                              rf'{re.escape(format_number(value))}</font>', source, re.MULTILINE))

    small = '<font point-size="8">{}</font>'.format
    assert unit("x1", f"x<sub>{small(1)}</sub>", 0.5, LIGHT.fills["input"])
    assert unit("x2", f"x<sub>{small(2)}</sub>", -1.0, LIGHT.fills["input"])
    assert unit("u1_1", f"h<sub>{small(1)}</sub><sup>{small('(1)')}</sup>", h1,
                LIGHT.fills["hidden"])
    assert unit("u1_2", f"h<sub>{small(2)}</sub><sup>{small('(1)')}</sup>", h2,
                LIGHT.fills["hidden"])
    assert unit("u2_1", "y&#770;", out, LIGHT.fills["output"])
    # The numbers are the 4-decimal display of the forward pass (ReLU's 0 shows as 0.0).
    assert [format_number(v) for v in (h1, h2, out)] == ["0.0", "0.4027", "-0.0766"]


def test_biases_can_be_drawn_as_weights_of_a_fixed_plus_one_unit():
    source = draw_network(MLP(2, [3, 1], seed=0), show_bias=True).source
    assert re.search(r"^  bias1 \[.*label=<\+1>", source, re.MULTILINE)
    assert re.search(r"^  bias2 \[.*label=<\+1>", source, re.MULTILINE)
    assert 'bias1 -> u1_3 [tooltip="layers.0.neurons.2.b"];' in source
    assert "label=<b<sub>3</sub><sup>(1)</sup>>" in labels(source)["layers.0.neurons.2.b"]
    assert len(edges(source)) == 2 * 3 + 3 + 3 + 1


@pytest.mark.parametrize("model, n_edges, tooltip", [
    (Neuron(3, seed=0), 3, "w3"),
    (Layer(2, 2, seed=0), 4, "neurons.1.w2"),
    (Perceptron(2), 2, "w2"),
])
def test_neurons_layers_and_perceptrons_are_drawn_too(model, n_edges, tooltip):
    source = draw_network(model).source
    assert len(edges(source)) == n_edges
    assert f'tooltip="{tooltip}"' in source


def test_the_perceptron_output_is_titled_sign():
    assert 'label="output layer (sign)"' in draw_network(Perceptron(2)).source


def test_big_networks_are_refused_with_what_to_do():
    with pytest.raises(GraphTooLargeError, match="1,640 edges.*pass max_edges=1640"):
        draw_network(MLP(40, [40, 1], seed=0))
    assert len(edges(draw_network(MLP(40, [40, 1], seed=0), weights=None,
                                  max_edges=2000).source)) == 1640


@pytest.mark.parametrize("kwargs, error, message", [
    ({"weights": "numbers"}, ValueError, "weights"),
    ({"rankdir": "RL"}, ValueError, "rankdir"),
    ({"x": [1.0]}, ValueError, "2 inputs"),
    ({"highlight_paths_from": Value(1.0)}, ValueError, "not a weight or bias of this model"),
    ({"highlight_paths_from": "layers.9.neurons.0.w1"}, ValueError, "named_parameters"),
    ({"highlight_paths_from": 3}, TypeError, "a weight of the model"),
])
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        draw_network(MLP(2, [2, 1], seed=0), **kwargs)


def test_only_models_with_layers_are_drawn():
    with pytest.raises(TypeError, match="MLP, Layer, Neuron or Perceptron"):
        draw_network(lambda x: x)


def test_weights_that_are_parameters_are_labelled_on_parameter_blue():
    neuron = Neuron(2, seed=0)
    chips = labels(draw_network(neuron).source).values()
    assert len(chips) == 2 and all(f'fillcolor="{COLORS["parameter"]}"' in c for c in chips)
    neuron.w = [Value(0.5), Value(-0.5)]  # plain Values: not parameters, no blue
    chips = labels(draw_network(neuron).source).values()
    assert not any(COLORS["parameter"] in c for c in chips)


def test_the_diagram_uses_draw_dots_colours():
    source = draw_network(MLP(2, [2, 1], seed=0), show_bias=True).source
    for node, kind in (("x1", "input"), ("u2_1", "output"), ("bias1", "constant")):
        assert f'fillcolor="{COLORS[kind]}"' in re.search(rf"^  {node} \[.*$", source,
                                                          re.MULTILINE).group(0), node


def marked_edges(source: str) -> set[tuple[str, str]]:
    return set(re.findall(r'^  (\w+) -> (\w+) \[[^\n]*marked="true"', source, re.MULTILINE))


def test_a_weights_paths_to_the_output_are_highlighted():
    # Notes 004: "highlight the weights used in computing dC/dw11", on a 4-3-2-1 network.
    net = MLP(4, [3, 2, 1], activation="sigmoid", seed=1)
    source = draw_network(net, highlight_paths_from=net.layers[0].neurons[0].w[0]).source
    assert marked_edges(source) == {("x1", "u1_1"), ("u1_1", "u2_1"), ("u1_1", "u2_2"),
                                    ("u2_1", "u3_1"), ("u2_2", "u3_1")}
    used = labels(source)
    for name in ("layers.1.neurons.0.w1", "layers.1.neurons.1.w1", "layers.2.neurons.0.w1",
                 "layers.2.neurons.0.w2"):  # w_11^(2), w_21^(2), w_11^(3), w_12^(3)
        assert f'color="{LIGHT.highlight}"' in used[name], name
    assert f'color="{LIGHT.highlight}"' not in used["layers.1.neurons.0.w2"]  # w_12^(2): off


def test_a_weight_can_be_named_for_its_paths():
    net = MLP(4, [3, 2, 1], seed=1)
    by_value = draw_network(net, highlight_paths_from=net.layers[1].neurons[0].w[2]).source
    by_name = draw_network(net, highlight_paths_from="layers.1.neurons.0.w3").source
    assert marked_edges(by_name) == marked_edges(by_value) == {("u1_3", "u2_1"),
                                                               ("u2_1", "u3_1")}


def test_a_bias_highlights_its_unit_and_what_follows():
    net = MLP(2, [2, 1], seed=0)
    source = draw_network(net, highlight_paths_from=net.layers[0].neurons[1].b).source
    assert marked_edges(source) == {("u1_2", "u2_1")}
    shown = draw_network(net, show_bias=True, highlight_paths_from="layers.0.neurons.1.b")
    assert ("bias1", "u1_2") in marked_edges(shown.source)


# What the picture looks like: text boxes in the rendered SVG --------------------------------

def svg_boxes(svg: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(group, box) for every text and shape Graphviz drew for a node: texts measured on the
    safe side (0.6 em per character), shapes by their outline's extent."""
    boxes = []
    root = ET.fromstring(svg)
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "node":
            continue
        name = group.find(f"{SVG}title").text
        for text in group.iter(f"{SVG}text"):
            size = float(text.get("font-size"))
            width = 0.6 * size * len(text.text or "")
            x, y = float(text.get("x")), float(text.get("y"))
            left = {"start": x, "middle": x - width / 2, "end": x - width}[
                text.get("text-anchor", "start")]
            boxes.append((name, (left, y - 0.8 * size, left + width, y + 0.25 * size)))
        for shape in group:
            if shape.tag == f"{SVG}ellipse":
                cx, cy = float(shape.get("cx")), float(shape.get("cy"))
                rx, ry = float(shape.get("rx")), float(shape.get("ry"))
                boxes.append((name, (cx - rx, cy - ry, cx + rx, cy + ry)))
            elif shape.tag in (f"{SVG}path", f"{SVG}polygon"):
                numbers = [float(v) for v in re.findall(r"-?[\d.]+", shape.get("d")
                                                        or shape.get("points"))]
                xs, ys = numbers[0::2], numbers[1::2]
                boxes.append((name, (min(xs), min(ys), max(xs), max(ys))))
    return boxes


def overlaps(svg: str) -> list[tuple[str, str]]:
    found = []
    for (a, box_a), (b, box_b) in itertools.combinations(svg_boxes(svg), 2):
        if a != b and box_a[0] < box_b[2] and box_b[0] < box_a[2] and box_a[1] < box_b[3] \
                and box_b[1] < box_a[3]:
            found.append((a, b))
    return found


def notebook_and_demo_networks():
    net = MLP(4, [3, 2, 1], activation="sigmoid", seed=1)
    demo = MLP(2, [16, 16, 1], seed=0)
    return {
        "notebook 03 XOR with values and biases": lambda: draw_network(
            xor_network(), x=[1.0, 0.0], weights="values", show_bias=True),
        "notebook 03 4-3-2-1": lambda: draw_network(net),
        "notebook 03 4-3-2-1, dC/dw11's paths": lambda: draw_network(
            net, highlight_paths_from=net.layers[0].neurons[0].w[0], theme="print"),
        "the demo's 2-16-16-1": lambda: draw_network(demo, weights=None),
        "2-16-16-1 with every weight named": lambda: draw_network(demo, weights="names"),
        "4-3-2-1 top to bottom with values": lambda: draw_network(
            net, x=[1.0, 0.0, 2.0, 0.5], weights="values", show_bias=True, rankdir="TB"),
    }


@needs_renderer
@pytest.mark.parametrize("name", notebook_and_demo_networks())
def test_no_two_pieces_of_text_overlap(name):
    svg = render(notebook_and_demo_networks()[name]().source, "svg").decode("utf-8")
    assert len(svg_boxes(svg)) > 10
    assert overlaps(svg) == []


@needs_renderer
@pytest.mark.skipif(sys.platform == "emscripten", reason=(
    "the browser's Graphviz measures text with its own font metrics: '-0.3693' comes out a few "
    "points wider than the native renderer sizes the unit for"))
@pytest.mark.parametrize("theme", THEMES)
def test_subscripts_clear_the_values_and_superscripts_stay_in_their_chips(theme):
    # Issue 23 item 4: x_1's subscript sat on "0.5" under it, and the (l) of a highlighted
    # w_jk^(l) crossed the highlight border.
    model = MLP(3, [5, 4, 2], seed=0, dropout=0.5)
    pictures = [draw_network(model, x=[0.5, -1.0, 2.0], weights=None, theme=theme),
                draw_network(MLP(3, [5, 4, 2], seed=0), x=[0.5, -1.0, 2.0], theme=theme,
                             highlight_paths_from="layers.0.neurons.0.w1")]
    for picture in pictures:
        svg = render(picture.source, "svg")
        assert picture_checks.svg_problems(svg, greys_only=theme == "print") == []


@needs_renderer
def test_the_overlap_check_finds_overlaps():
    # Two labels put on the same spot: the check must see them.
    svg = render('digraph { a [pos="0,0!"]; b [pos="5,0!", label="wide label"]; '
                 'graph [layout=neato, inputscale=72]; }', "svg").decode("utf-8")
    assert ("a", "b") in overlaps(svg)


@needs_renderer
def test_the_diagram_renders_to_svg(tmp_path):
    draw_network(MLP(2, [3, 1], seed=0), x=[1.0, 2.0], weights="values",
                 show_bias=True).save(tmp_path / "net.svg")
    text = (tmp_path / "net.svg").read_text()
    assert "<svg" in text and "layers.0.neurons.2.w1" in text


@needs_renderer
def test_the_layout_is_the_one_given_not_graphvizs(tmp_path):
    source = draw_network(MLP(2, [3, 1], seed=0)).source
    laid_out = Graph(source).layout()
    at = {n["name"]: tuple(map(float, n["pos"].split(","))) for n in laid_out.nodes}
    (x1, y1), (x2, y2) = at["x1"], at["x2"]
    given = position(source, "x1"), position(source, "x2")
    assert (x1 - x2, y1 - y2) == pytest.approx((given[0][0] - given[1][0],
                                                given[0][1] - given[1][1]), abs=0.1)
