"""``autograd.torch_gradients``: PyTorch's gradient of any Value graph, leaf by leaf, equal to
backward's to rounding for every engine operation; custom operations refused."""

from __future__ import annotations

import math

import pytest
from conftest import TORCH_MISSING, import_or_skip
from hypothesis import given
from hypothesis import strategies as st
from test_engine_micrograd import _micrograd_exp, _micrograd_mul

from autograd import Value, custom_op, dot, no_grad, torch_gradients
from autograd.core.rules import RULES

torch = import_or_skip("torch", TORCH_MISSING)



def agrees(root: Value) -> tuple[dict, dict]:
    """(ours, PyTorch's) gradient of ``root`` for every leaf, and asserts they are equal to
    rounding in float64."""
    theirs = torch_gradients(root)
    root.zero_grad()
    root.backward()
    ours = {leaf: leaf.grad for leaf in theirs}
    for leaf in theirs:
        assert math.isclose(ours[leaf], theirs[leaf], rel_tol=1e-12, abs_tol=1e-15), \
            (leaf, ours[leaf], theirs[leaf])
    return ours, theirs


def numbers(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


#: name -> (a graph of one or two leaves, the domain of each leaf)
OPERATIONS = {
    "+": (lambda a, b: a + b, (-10, 10), (-10, 10)),
    "-": (lambda a, b: a - b, (-10, 10), (-10, 10)),
    "*": (lambda a, b: a * b, (-10, 10), (-10, 10)),
    "/": (lambda a, b: a / b, (-10, 10), (0.2, 10)),
    "neg": (lambda a, b: -a * b, (-10, 10), (-10, 10)),
    "** Value": (lambda a, b: a ** b, (0.1, 5), (-3, 3)),
    "**2": (lambda a, b: a ** 2 * b, (-10, 10), (-10, 10)),
    "**-1": (lambda a, b: a ** -1 + b, (0.1, 10), (-10, 10)),
    "**0.5": (lambda a, b: a ** 0.5 * b, (0.1, 10), (-10, 10)),
    "abs": (lambda a, b: abs(a) * b, (-10, 10), (-10, 10)),
    "exp": (lambda a, b: a.exp() * b, (-20, 20), (-10, 10)),
    "log": (lambda a, b: a.log() * b, (0.05, 100), (-10, 10)),
    "tanh": (lambda a, b: a.tanh() * b, (-5, 5), (-10, 10)),
    "sigmoid": (lambda a, b: a.sigmoid() * b, (-10, 10), (-10, 10)),
    "relu": (lambda a, b: a.relu() * b, (-10, 10), (-10, 10)),
    "sin": (lambda a, b: a.sin() * b, (-10, 10), (-10, 10)),
    "cos": (lambda a, b: a.cos() * b, (-10, 10), (-10, 10)),
    "sqrt": (lambda a, b: a.sqrt() * b, (0.05, 100), (-10, 10)),
    "step": (lambda a, b: a.step() * b + a * b, (-10, 10), (-10, 10)),
    "dot": (lambda a, b: dot([a, b, a], [b, b, 2.0], a), (-10, 10), (-10, 10)),
    "dot without bias": (lambda a, b: dot([a], [b]) * a, (-10, 10), (-10, 10)),
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_gives_pytorchs_gradients(name):
    graph, a_domain, b_domain = OPERATIONS[name]

    @given(numbers(*a_domain), numbers(*b_domain))
    def check(a, b):
        agrees(graph(Value(a, label="a"), Value(b, label="b")))

    check()


def test_identity_nodes_pass_the_gradient_through():
    from autograd.core.value import identity

    x = Value(3.0)
    ours, theirs = agrees(identity(x) * identity(x).tanh())
    assert set(theirs) == {x}


def test_every_engine_operation_has_a_pytorch_counterpart():
    assert all(callable(rule.torch) for rule in RULES.values())


@pytest.mark.parametrize("graph", [
    lambda x: x.relu(), lambda x: abs(x), lambda x: x ** Value(2.0), lambda x: x ** 0,
    lambda x: Value(0.0) ** x,
], ids=["relu", "abs", "x ** Value(2)", "x ** 0", "0 ** x"])
def test_pytorch_and_the_engine_agree_on_the_derivative_at_kinks_and_zeros(graph):
    agrees(graph(Value(0.0)))


def test_a_step_passes_nothing_back_even_as_the_output():
    x = Value(0.5)
    assert torch_gradients(x.step()) == {x: 0.0}
    _, theirs = agrees(x.step() * (x * 3).exp())
    assert theirs[x] == pytest.approx(3 * math.exp(1.5))


def test_a_leaf_used_twice_gets_both_contributions():
    x = Value(3.0)
    _, theirs = agrees(x * x)
    assert theirs[x] == 6.0


def test_constants_are_leaves_with_gradients_too():
    x = Value(2.0, label="x")
    y = 3 * x + 1
    theirs = torch_gradients(y)
    constants = {leaf.data: g for leaf, g in theirs.items() if leaf is not x}
    assert theirs[x] == 3.0 and constants == {3.0: 2.0, 1.0: 1.0}


def test_a_lone_leaf_has_gradient_one():
    x = Value(5.0)
    assert torch_gradients(x) == {x: 1.0}


def test_the_lecture_neuron_gives_pytorchs_gradient():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    theirs = torch_gradients(o)
    assert theirs[w1] == pytest.approx(1.0, rel=1e-9)
    assert theirs[x1] == pytest.approx(-1.5, rel=1e-9)
    agrees(o)


def test_no_grad_is_left_changed():
    x = Value(2.0)
    y = x.exp() * x
    x.grad, y.grad = 7.0, 3.0
    torch_gradients(y)
    assert (x.grad, y.grad) == (7.0, 3.0)


def test_it_works_inside_pytorchs_no_grad():
    x = Value(2.0)
    with torch.no_grad():
        assert torch_gradients(x.tanh())[x] == pytest.approx(1 - math.tanh(2.0) ** 2)


def test_values_made_under_no_grad_are_leaves():
    x = Value(2.0)
    with no_grad():
        c = x * 10  # a number now, no edge to x
    theirs = torch_gradients(c * x)
    assert theirs[x] == 20.0 and theirs[c] == 2.0


def test_a_long_chain_is_no_problem_for_recursion():
    x = Value(0.5)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    agrees(y)


def test_a_custom_op_is_refused_naming_it_and_pointing_to_gradcheck():
    x = Value(0.3)
    s = 1 / (1 + math.exp(-x.data))
    y = custom_op("my_sigmoid", s, (x,), (s * (1 - s),)) * 2
    with pytest.raises(ValueError, match="'my_sigmoid'.*gradcheck"):
        torch_gradients(y)


def test_a_non_value_is_refused():
    with pytest.raises(TypeError, match="takes the Value to differentiate"):
        torch_gradients(3.0)


def _graphs():
    """Random graphs over three leaves, every operation kept inside its domain."""
    unary = [
        lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v.relu(), lambda v: abs(v),
        lambda v: v.sin(), lambda v: v.cos(), lambda v: -v, lambda v: v ** 2,
        lambda v: (v * v + 1).log(), lambda v: (v * v + 0.5).sqrt(), lambda v: (v * 0.1).exp(),
        lambda v: (abs(v) + 0.5) ** -1.5, lambda v: v.step() + v,
    ]
    binary = [
        lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
        lambda a, b: a / (b * b + 1), lambda a, b: (abs(a) + 0.5) ** b.tanh(),
        lambda a, b: dot([a, b], [b, a], a),
    ]
    step = st.one_of(
        st.tuples(st.just(1), st.sampled_from(range(len(unary))), st.integers(0, 99)),
        st.tuples(st.just(2), st.sampled_from(range(len(binary))), st.integers(0, 99),
                  st.integers(0, 99)))

    def build(leaves, steps):
        nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
        for kind, op, *picks in steps:
            args = [nodes[p % len(nodes)] for p in picks]
            nodes.append(unary[op](*args) if kind == 1 else binary[op](*args))
        return nodes[-1]

    return st.builds(build, st.lists(numbers(-3, 3), min_size=3, max_size=3),
                     st.lists(step, min_size=1, max_size=25))


@given(_graphs())
def test_random_graphs_of_every_operation_give_pytorchs_gradients(root):
    agrees(root)



# Nodes made micrograd's way, Value(data, _children, _op) with a _backward of your own, typed as
# the lecture types them (here and in test_engine_micrograd): PyTorch recomputes them from their
# _op, so their _backward is checked.

def lecture_tanh(x: Value, wrong: bool = False) -> Value:
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (t if wrong else 1 - t**2) * out.grad
    out._backward = _backward
    return out


def lecture_relu(a: Value) -> Value:
    out = Value(0 if a.data < 0 else a.data, (a,), "ReLU")

    def _backward():
        a.grad += (out.data > 0) * out.grad
    out._backward = _backward
    return out


def test_a_lecture_style_neuron_with_closures_gives_pytorchs_gradients():
    x1, w1, b = Value(2.0, label="x1"), Value(-3.0, label="w1"), Value(6.8813735870195432)
    o = lecture_tanh(_micrograd_mul(x1, w1) + b)
    _, theirs = agrees(o)
    assert theirs[w1] == pytest.approx(1.0, rel=1e-9)


def test_micrograds_relu_name_is_understood():
    a = Value(1.5)
    agrees(lecture_relu(_micrograd_mul(a, a)))
    agrees(lecture_relu(-_micrograd_exp(a)))


def test_a_wrong_backward_closure_is_caught_by_comparing_with_pytorch():
    x = Value(0.5)
    o = lecture_tanh(x, wrong=True)
    theirs = torch_gradients(o)
    o.backward()
    assert theirs[x] == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-12)
    assert x.grad == pytest.approx(math.tanh(0.5), rel=1e-12)  # the bug, plain to see


def test_a_closure_node_whose_op_is_no_engine_operation_is_refused():
    x = Value(0.5)
    out = Value(x.data ** 3, (x,), "cube")
    out._backward = lambda: None
    with pytest.raises(ValueError, match="'cube'.*micrograd's way.*not an engine operation"):
        torch_gradients(out)


def test_a_closure_node_whose_number_does_not_match_its_op_is_refused():
    x = Value(0.5)
    out = Value(1.0, (x,), "tanh")
    out._backward = lambda: None
    with pytest.raises(ValueError, match="holds 1.0, but tanh of its children is 0.46"):
        torch_gradients(out)


def test_a_closure_node_with_the_wrong_number_of_children_is_refused():
    x = Value(0.5)
    out = Value(1.5, (x, x, x), "+")
    out._backward = lambda: None
    with pytest.raises(ValueError, match="cannot recompute the operation '\\+' from 3 children"):
        torch_gradients(out)
