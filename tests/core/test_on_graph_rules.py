"""Each operation's derivative is written twice: as floats (``local_grads``, what backward uses)
and as Values (``_ON_GRAPH``, what ``backward(create_graph=True)`` multiplies by, so that
gradients can be differentiated again). These tests hold the two formulas together: for every
operation and shape, the Value rule must give the very numbers of the float one.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, custom_op, dot, grad
from autograd.core.value import _ON_GRAPH, _local_grads_on_graph, identity

finite = st.floats(-5, 5, allow_nan=False)
positive = st.floats(0.05, 5)
nonzero = finite.filter(lambda v: abs(v) > 0.05)


def _numbers(derivatives: tuple) -> list[float]:
    return [d.data if isinstance(d, Value) else float(d) for d in derivatives]


def _same_numbers(node: Value) -> None:
    on_graph = _numbers(_local_grads_on_graph(node))
    assert on_graph == pytest.approx(list(node.local_grads), rel=1e-12, abs=1e-300), node.op


#: op name -> (strategy for the inputs, how to build the node from Values)
BINARY = {
    "+": (st.tuples(finite, finite), lambda a, b: a + b),
    "-": (st.tuples(finite, finite), lambda a, b: a - b),
    "*": (st.tuples(finite, finite), lambda a, b: a * b),
    "/": (st.tuples(finite, nonzero), lambda a, b: a / b),
    "**": (st.tuples(positive, finite), lambda a, b: a ** b),
}
UNARY = {
    "neg": (finite, lambda a: -a),
    "abs": (nonzero, abs),
    "exp": (finite, lambda a: a.exp()),
    "log": (positive, lambda a: a.log()),
    "tanh": (finite, lambda a: a.tanh()),
    "sigmoid": (finite, lambda a: a.sigmoid()),
    "relu": (nonzero, lambda a: a.relu()),
    "step": (finite, lambda a: a.step()),
    "sin": (finite, lambda a: a.sin()),
    "cos": (finite, lambda a: a.cos()),
    "sqrt": (positive, lambda a: a.sqrt()),
    "id": (finite, identity),
}


def test_every_operation_with_a_value_rule_is_tested_here():
    assert set(_ON_GRAPH) == set(BINARY) | set(UNARY) | {"dot"}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_rule_gives_the_float_derivatives(op):
    inputs, build = BINARY[op]

    @given(inputs)
    def check(pair):
        a, b = Value(pair[0]), Value(pair[1])
        node = build(a, b)
        assert node.op == op
        _same_numbers(node)

    check()


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_rule_gives_the_float_derivative(op):
    inputs, build = UNARY[op]

    @given(inputs)
    def check(x):
        node = build(Value(x))
        assert node.op == op
        _same_numbers(node)

    check()


@given(finite, st.sampled_from([2, 3, -1, 0.5, -2.5, 0, True, 1.0]))
def test_power_with_a_number_exponent_gives_the_float_derivative(x, n):
    if isinstance(n, float) and not float(n).is_integer():
        x = abs(x) + 0.1  # a fractional power of a negative number is nan
    if n in (-1, -2.5) and x == 0:
        x = 0.5
    node = Value(x) ** n
    assert node.op.startswith("**")
    _same_numbers(node)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=6),
       st.one_of(st.none(), finite), st.booleans())
def test_dot_rule_gives_each_factor_its_partner_and_the_bias_one(pairs, bias, constants):
    w = [Value(a) for a, _ in pairs]
    x = [b for _, b in pairs] if constants else [Value(b) for _, b in pairs]
    node = dot(w, x, None if bias is None else Value(bias))
    assert node.op == "dot"
    _same_numbers(node)


def test_custom_and_micrograd_style_nodes_have_no_value_rule_and_say_so():
    x = Value(0.3)
    mine = custom_op("my_square", 0.09, (x,), (0.6,))
    with pytest.raises(RuntimeError, match="create_graph=False"):
        mine.backward(create_graph=True)

    out = Value(math.exp(0.3), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad

    out._backward = _backward
    with pytest.raises(RuntimeError, match="micrograd-style"):
        out.backward(create_graph=True)
    assert x.grad == 0.0  # the refused pass left every gradient as it was


@pytest.mark.parametrize("f, second", [
    (lambda x: dot([x, x], [x, 2.0], 1.0), lambda x: 2.0),  # x^2 + 2x + 1
    (lambda x: abs(x) * x, lambda x: 2.0 if x > 0 else -2.0),  # x|x|
    (lambda x: x ** 3, lambda x: 6 * x),
])
@pytest.mark.parametrize("x", [-1.5, 0.7, 2.0])
def test_second_derivatives_through_the_value_rules(f, second, x):
    assert grad(grad(f))(x) == pytest.approx(second(x))
