"""The one rule per operation (autograd/core/rules.py), checked for every entry of the registry.

Each rule is written once and evaluated three ways: on floats (what ``backward()`` multiplies
by), on Values (``create_graph=True``) and as code (the compiled replay). For every operation,
over its domain, these tests hold:

- the node's value and local derivatives are the rule's, evaluated on floats;
- the local derivatives agree with central differences of the value;
- the rule on Values gives the very same numbers, and differentiating it again agrees with
  central differences of the first derivative (second derivatives);
- the compiled replay gives the engine's loss and gradients bit for bit;
- PyTorch's counterpart gives the same gradients (where PyTorch is installed).

A new operation is one entry in ``RULES``: these tests pick it up from there.
"""

from __future__ import annotations

import math
import warnings

import pytest
from conftest import TORCH_MISSING
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Constant, Value, custom_op, dot, grad
from autograd.core.rules import FLOATS, NO_FLOW, RULES, VALUES, Rule, exponent, rule_of
from autograd.core.value import identity

DOMAINS = {
    "real": st.floats(-3, 3, allow_nan=False),
    "positive": st.floats(0.2, 3),
    "nonzero": st.floats(0.1, 3) | st.floats(-3, -0.1),
}
EXPONENTS = [2, 3, -1, 0.5, -2.5, 0, 1.0]
H = 1e-6


def build(rule: Rule, xs: list[float], n: float | None = None) -> tuple[Value, list[Value]]:
    """The node ``rule`` makes from leaves holding ``xs`` (and exponent ``n`` for ``**n``),
    through the engine's public operations."""
    return build_from(rule, [Value(x) for x in xs], n)


def inputs(rule: Rule) -> st.SearchStrategy:
    if rule.arity is None:  # dot: two pairs and a bias, or two pairs
        return st.lists(DOMAINS["real"], min_size=4, max_size=5)
    return st.tuples(*(DOMAINS[d] for d in rule.domain)).map(list)


def value_of(rule: Rule, xs: list[float], n: float | None) -> float:
    params = () if n is None else (n,)
    return rule.forward(FLOATS, *xs, *params)


OPS = sorted(RULES)


def with_exponent(rule: Rule):
    return st.sampled_from(EXPONENTS) if rule.op == "**n" else st.none()


def test_every_rule_is_complete_and_reachable_from_its_nodes():
    for op, rule in RULES.items():
        assert rule.op == op
        assert callable(rule.forward) and callable(rule.local) and callable(rule.torch)
        assert rule.math and rule.word and rule.text
        assert len(rule.domain) == (rule.arity or 1)
        xs = [0.5] * (rule.arity or 5)
        node, _ = build(rule, xs, 2.0)
        found = rule_of(node)
        assert found is not None and found[0] is rule, op


@pytest.mark.parametrize("op", OPS)
def test_the_node_holds_the_rules_value_and_local_derivatives(op):
    rule = RULES[op]

    @given(inputs(rule), with_exponent(rule))
    def check(xs, n):
        node, _ = build(rule, xs, n)
        params = () if n is None else (n,)
        out = rule.forward(FLOATS, *xs, *params)
        assert repr(node.data) == repr(out)
        assert node.local_grads == rule.local(FLOATS, out, *xs, *params)

    check()


@pytest.mark.parametrize("op", OPS)
def test_local_derivatives_agree_with_central_differences(op):
    rule = RULES[op]

    @given(inputs(rule), with_exponent(rule))
    def check(xs, n):
        node, _ = build(rule, xs, n)
        local = [0.0] * len(xs) if node.local_grads is NO_FLOW else node.local_grads
        for i, d in enumerate(local):
            up, down = list(xs), list(xs)
            up[i] += H
            down[i] -= H
            numeric = (value_of(rule, up, n) - value_of(rule, down, n)) / (2 * H)
            assert d == pytest.approx(numeric, rel=1e-4, abs=1e-4), (op, xs, n, i)

    check()


@pytest.mark.parametrize("op", OPS)
def test_the_value_rule_gives_the_float_numbers_and_its_own_derivative(op):
    """create_graph's derivatives are the rule on Values: the same numbers bit for bit, and,
    differentiated again, the second derivatives central differences give."""
    rule = RULES[op]

    @given(inputs(rule), with_exponent(rule))
    def check(xs, n):
        node, leaves = build(rule, xs, n)
        params = () if n is None else (n,)
        on_graph = rule.local(VALUES, node, *leaves, *params)
        if on_graph is NO_FLOW:
            assert node.local_grads is NO_FLOW
            return
        numbers = [d.data if isinstance(d, Value) else d for d in on_graph]
        assert list(map(repr, numbers)) == list(map(repr, node.local_grads))
        for i, d in enumerate(on_graph):
            if not isinstance(d, Value):
                continue  # a constant derivative: its own derivative is 0
            second = autograd.gradients(d)
            for j, leaf in enumerate(leaves):
                up, down = list(xs), list(xs)
                up[j] += H
                down[j] -= H
                numeric = (_local(rule, up, n)[i] - _local(rule, down, n)[i]) / (2 * H)
                assert second.get(leaf, 0.0) == pytest.approx(numeric, rel=1e-3, abs=1e-3), \
                    (op, xs, n, i, j)

    check()


def _local(rule: Rule, xs: list[float], n: float | None) -> tuple:
    params = () if n is None else (n,)
    out = rule.forward(FLOATS, *xs, *params)
    return rule.local(FLOATS, out, *xs, *params)


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=15)
@given(data=st.data())
def test_the_compiled_replay_gives_the_engines_numbers_bit_for_bit(op, data):
    rule = RULES[op]
    xs = data.draw(inputs(rule))
    n = data.draw(with_exponent(rule))
    node, leaves = build(rule, xs, n)
    params = [autograd.Parameter(x) for x in xs]

    def loss():
        node, _ = build_from(rule, params, n)
        return node * node + node

    eager_loss = loss()
    eager_loss.backward()
    eager = [p.grad for p in params]
    step = autograd.compile(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to the engine would prove nothing
        for _ in range(4):
            for p in params:
                p.grad = 0.0
            got = step()
            assert repr(got) == repr(eager_loss.data)
            assert list(map(repr, (p.grad for p in params))) == list(map(repr, eager))


def build_from(rule: Rule, leaves: list[Value], n: float | None) -> tuple[Value, list[Value]]:
    """The node ``rule`` makes from ``leaves`` (a dot: two pairs, then a bias if there are five)."""
    op = rule.op
    if op == "dot":
        return dot(leaves[0:4:2], leaves[1:4:2], leaves[4] if len(leaves) % 2 else None), leaves
    if op == "**n":
        return leaves[0] ** n, leaves
    if op == "id":
        return identity(leaves[0]), leaves
    methods = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__",
               "**": "__pow__", "neg": "__neg__", "abs": "__abs__"}
    return getattr(leaves[0], methods.get(op, op))(*leaves[1:]), leaves


@pytest.mark.parametrize("op", OPS)
def test_pytorchs_counterpart_gives_the_same_gradients(op):
    pytest.importorskip("torch", reason=TORCH_MISSING)
    rule = RULES[op]

    @settings(max_examples=20)
    @given(inputs(rule), with_exponent(rule))
    def check(xs, n):
        node, leaves = build(rule, xs, n)
        loss = node * node
        theirs = autograd.torch_gradients(loss)
        loss.backward()
        for leaf in leaves:
            assert leaf.grad == pytest.approx(theirs[leaf], rel=1e-12, abs=1e-12), (op, xs, n)

    check()


def test_the_exponent_is_read_from_the_op_in_one_place():
    assert exponent("**2") == 2.0 and exponent("**-0.5") == -0.5
    assert exponent("**") is None and exponent("*") is None and exponent("**x") is None
    x = Value(1.5)
    assert rule_of(x ** 3) == (RULES["**n"], (3.0,))
    assert rule_of(x ** Value(3.0)) == (RULES["**"], ())
    assert rule_of(custom_op("mine", 1.0, (x,), (2.0,))) is None


def test_nothing_flows_back_where_a_rule_says_so_even_from_inf():
    for make in (lambda x: x.relu(), lambda x: x.step(), lambda x: x ** 0):
        x = Value(-1.0)
        y = make(x)
        assert y.local_grads is NO_FLOW
        (y * math.inf).backward()
        assert x.grad == 0.0


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


def test_a_custom_op_may_not_take_a_built_in_name():
    x = Value(1.0)
    for op in ("tanh", "**3", "dot"):
        with pytest.raises(ValueError, match="built-in"):
            custom_op(op, 1.0, (x,), (1.0,))


@pytest.mark.parametrize("f, second", [
    (lambda x: dot([x, x], [x, 2.0], 1.0), lambda x: 2.0),  # x^2 + 2x + 1
    (lambda x: abs(x) * x, lambda x: 2.0 if x > 0 else -2.0),  # x|x|
    (lambda x: x ** 3, lambda x: 6 * x),
])
@pytest.mark.parametrize("x", [-1.5, 0.7, 2.0])
def test_second_derivatives_through_the_value_rules(f, second, x):
    assert grad(grad(f))(x) == pytest.approx(second(x))


def test_constants_in_an_expression_are_constant_leaves():
    y = 2 * Value(3.0)
    assert isinstance(y.parents[0], Constant)
