"""One naming of a graph's values, shared by draw_dot, the step player, explain and the CLI."""

import re

import pytest

import autograd
from autograd import Value, dot, draw_dot, node_names, tanh, trace_backward
from autograd.__main__ import main


def neuron():
    """tanh(w1*x1 + w2*x2 + b) as one dot node, nothing but the leaves labeled."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(0.5, label="b")
    return tanh(dot([w1, w2], [x1, x2], b))


def test_node_names_is_exported_and_names_every_value():
    root = neuron()
    names = node_names(root)
    assert autograd.node_names is node_names
    assert sorted(names.values()) == ["L", "b", "dot1", "w1", "w2", "x1", "x2"]
    assert names[root] == "L"


def test_labels_are_names_and_unlabeled_values_are_counted_by_operation_as_read():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    first, second = x * w, 2 * x
    total = first + second
    names = node_names(total.tanh())
    assert [names[v] for v in (x, w, first, second, total)] == ["x", "w", "mul1", "mul2", "add1"]
    assert names[second.parents[0]] == "const1"


def test_the_same_expression_is_named_the_same_way_twice():
    assert sorted(node_names(neuron()).values()) == sorted(node_names(neuron()).values())


def test_unlabeled_inputs_are_leaves_and_an_input_called_L_keeps_its_name():
    L, unnamed = Value(1.0, label="L"), Value(2.0)
    names = node_names(L * unnamed)
    assert names[L] == "L" and names[unnamed] == "leaf1"
    assert "L1" in names.values()


def test_node_names_needs_a_value():
    with pytest.raises(TypeError, match="node_names needs a Value"):
        node_names(1.0)


def test_the_trace_uses_node_names():
    root = neuron()
    assert trace_backward(root).names == node_names(root)


def test_draw_dot_shows_the_made_up_names_in_italics():
    root = neuron()
    source = draw_dot(root).source
    assert "<i>dot1</i>" in source and "<i>L</i>" in source
    assert "<b>w1</b>" in source  # labels stay bold


def test_draw_dot_the_player_and_explain_call_each_value_the_same():
    root = neuron()
    trace = trace_backward(root)
    page = trace.to_html()
    source = draw_dot(root).source
    for name in node_names(root).values():
        assert re.search(rf"<[ib]>{name}</[ib]>", source), name
        assert name in page and name in str(trace), name


def test_the_command_line_names_the_output_as_the_picture_does(tmp_path, capsys):
    assert main(["draw", "tanh(x*w)", "x=1", "w=2", "-o", str(tmp_path / "g.dot")]) == 0
    said = capsys.readouterr().out
    assert ": L = 0.964" in said and "dL/dx = " in said
    picture = (tmp_path / "g.dot").read_text()
    assert "<i>L</i>" in picture and "<i>mul1</i>" in picture
