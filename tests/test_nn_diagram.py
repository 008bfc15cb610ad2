"""draw_network: the layered diagram's DOT text, options, and rendering."""

from __future__ import annotations

import re

import pytest

from autograd import Graph, GraphTooLargeError, Value, format_number
from autograd.draw import COLORS
from autograd.render import available_renderer
from nn import MLP, Layer, Neuron, Perceptron, draw_network
from nn.diagram import FILL

# A weight's label sits on a chip of parameter blue (the weights are autograd.Parameters).
CHIP = rf'<table [^<]*bgcolor="{COLORS["parameter"]}"[^<]*><tr><td>'
END = "</td></tr></table>"


def edges(source: str) -> list[str]:
    return [line for line in source.splitlines() if "->" in line and "invis" not in line]


def test_the_diagram_is_a_graph_with_one_edge_per_weight():
    model = MLP(2, [16, 16, 1], seed=0)
    graph = draw_network(model)
    assert isinstance(graph, Graph)
    assert len(edges(graph.source)) == 2 * 16 + 16 * 16 + 16 == 304


def test_edges_are_labelled_w_jk_of_layer_l_and_carry_the_parameter_name():
    source = draw_network(MLP(2, [3, 1], seed=0)).source
    # Unit j = 2 of layer 1 reads input k = 1 through w_21^(1) = layers.0.neurons.1.w1.
    assert re.search(r'x1 -> u1_2 \[tooltip="layers\.0\.neurons\.1\.w1", '
                     rf"xlabel=<{CHIP}w<sub>21</sub><sup>\(1\)</sup>{END}>\]", source)
    assert re.search(r'u1_3 -> u2_1 \[tooltip="layers\.1\.neurons\.0\.w3", '
                     rf"xlabel=<{CHIP}w<sub>13</sub><sup>\(2\)</sup>{END}>\]", source)


def test_units_are_named_as_in_the_notes():
    source = draw_network(MLP(2, [3, 2], seed=0)).source
    assert "label=<x<sub>1</sub>>" in source
    assert "label=<h<sub>3</sub><sup>(1)</sup>>" in source
    assert "label=<f<sub>2</sub>>" in source  # K outputs f_k (notes 000)
    assert "y&#770;" in draw_network(MLP(2, [3, 1], seed=0)).source  # one output: y hat


def test_columns_are_titled_and_keep_units_in_index_order():
    source = draw_network(MLP(2, [3, 1], activation="tanh", seed=0)).source
    assert 'label="input layer"' in source
    assert 'label="hidden layer 1 (tanh)"' in source
    assert 'label="output layer"' in source
    assert "title1 -> u1_1 -> u1_2 -> u1_3 [style=invis];" in source


def test_weight_values_are_shown_and_coloured_by_sign():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].w[0].data = 0.75
    model.layers[0].neurons[0].w[1].data = -1.5
    source = draw_network(model, weights="values").source
    assert re.search(rf"x1 -> u1_1 .*= 0\.75{END}>, color=\"#2166ac\", penwidth=1\.25", source)
    assert re.search(rf"x2 -> u1_1 .*= -1\.5{END}>, color=\"#b2182b\", penwidth=2\.00", source)


def test_bare_edges_have_no_labels():
    assert "xlabel" not in draw_network(MLP(2, [2, 1], seed=0), weights=None).source


def test_an_input_example_shows_every_units_value():
    model = MLP(2, [2, 1], seed=0)
    x = [0.5, -1.0]
    lines = draw_network(model, x=x).source.splitlines()
    h1, h2 = (h.data for h in model.layers[0](x))
    out = model(x).data

    def unit(node: str, name: str, value: float, fill: str) -> str:
        return (f'    {node} [label=<{name}<br/><font point-size="9">{format_number(value)}'
                f'</font>>, fillcolor="{fill}"];')

    assert unit("x1", "x<sub>1</sub>", 0.5, "#ffe08a") in lines
    assert unit("x2", "x<sub>2</sub>", -1.0, "#ffe08a") in lines
    assert unit("u1_1", "h<sub>1</sub><sup>(1)</sup>", h1, "#ffffff") in lines
    assert unit("u1_2", "h<sub>2</sub><sup>(1)</sup>", h2, "#ffffff") in lines
    assert unit("u2_1", "y&#770;", out, "#b2df8a") in lines
    # The numbers are the 4-decimal display of the forward pass (ReLU's 0 shows as 0.0).
    assert [format_number(v) for v in (h1, h2, out)] == ["0.0", "0.4027", "-0.0766"]


def test_biases_can_be_drawn_as_weights_of_a_fixed_plus_one_unit():
    source = draw_network(MLP(2, [3, 1], seed=0), show_bias=True).source
    assert 'bias1 [label=<+1>' in source and 'bias2 [label=<+1>' in source
    assert re.search(r'bias1 -> u1_3 \[tooltip="layers\.0\.neurons\.2\.b", '
                     rf"xlabel=<{CHIP}b<sub>3</sub><sup>\(1\)</sup>{END}>\]", source)
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
])
def test_bad_options_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        draw_network(MLP(2, [2, 1], seed=0), **kwargs)


def test_only_models_with_layers_are_drawn():
    with pytest.raises(TypeError, match="MLP, Layer, Neuron or Perceptron"):
        draw_network(lambda x: x)


@pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
def test_the_diagram_renders_to_svg(tmp_path):
    draw_network(MLP(2, [3, 1], seed=0), x=[1.0, 2.0], weights="values",
                 show_bias=True).save(tmp_path / "net.svg")
    text = (tmp_path / "net.svg").read_text()
    assert "<svg" in text and "layers.0.neurons.2.w1" in text


def test_weights_that_are_parameters_are_labelled_on_parameter_blue():
    neuron = Neuron(2, seed=0)
    assert len(re.findall(CHIP, draw_network(neuron).source)) == 2
    neuron.w = [Value(0.5), Value(-0.5)]  # plain Values: not parameters, no chip
    assert "<table" not in draw_network(neuron).source


def test_the_diagram_uses_draw_dots_colours():
    for kind, dot_kind in (("input", "input"), ("output", "output"), ("bias", "constant"),
                           ("parameter", "parameter")):
        assert FILL[kind] == COLORS[dot_kind], kind
