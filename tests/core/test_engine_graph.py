"""How Values record a graph and how backward walks it."""

from __future__ import annotations

import gc
import math
import random
import tracemalloc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, gradients, numerical_grad, topological_order, trace_backward


def test_leaf_attributes():
    x = Value(2, label="x")
    assert (x.data, x.grad, x.label, x.op, x.parents) == (2.0, 0.0, "x", "", ())
    assert type(x.data) is float


def test_parents_are_in_argument_order():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)


def test_square_by_multiplication_keeps_both_edges():
    x = Value(3.0)
    y = x * x
    assert y.parents == (x, x)
    y.backward()
    assert x.grad == 6.0


def test_grad_is_a_plain_assignable_attribute():
    x = Value(1.0)
    (x * 5).backward()
    x.grad = 0  # micrograd's idiom
    assert x.grad == 0


def test_equality_and_hash_are_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a: 1, b: 2}) == 2


def test_comparisons_compare_the_numbers():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and 3 > a and a >= 1


def test_repr_shows_the_numbers_and_the_label():
    assert repr(Value(0.70710678)) == "Value(data=0.7071, grad=0.0)"
    o = Value(0.70710678, label="o")
    o.grad = 1.0
    assert repr(o) == "Value(data=0.7071, grad=1.0, label='o')"


def test_backward_seeds_the_output_with_one():
    y = Value(3.0) * 2
    y.backward()
    assert y.grad == 1.0


def test_backward_twice_accumulates_like_pytorch():
    x = Value(3.0)
    h = x * x
    y = h * 2
    y.backward()
    y.backward()
    assert (y.grad, h.grad, x.grad) == (2.0, 4.0, 24.0)


def test_zero_grad_resets_the_whole_graph():
    x = Value(3.0)
    h = x * x
    y = h + x
    y.backward()
    y.zero_grad()
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)
    y.backward()
    assert x.grad == 7.0


def test_gradients_leave_every_grad_attribute_untouched():
    x = Value(3.0)
    x.grad = 5.0
    y = x * x
    assert gradients(y)[x] == 6.0
    assert (x.grad, y.grad) == (5.0, 0.0)


def test_fan_out_gradients_add_up():
    # x reaches L along four edges; dL/dx sums them: L = 2x + x*x + x gives 2 + 2x + 1.
    x = Value(4.0)
    L = 2 * x + x * x + x
    L.backward()
    assert x.grad == 11.0


def test_topological_order_lists_each_node_before_its_parents():
    b = Value(1.0)
    a = b * 2  # b is a parent of a and of the root: the order must still put a before b
    root = b + a
    order = topological_order(root)
    assert order[0] is root
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(node)] < position[id(parent)]
    assert len(order) == len({id(n) for n in order}) == 4


def test_a_node_is_passed_on_only_after_all_its_users_have_added_to_it():
    # Diamond: both paths must reach h before h passes its gradient to x.
    x = Value(2.0)
    h = x.exp()
    y = h * 3 + h.sin()
    y.backward()
    h_grad = 3 + math.cos(h.data)
    assert h.grad == pytest.approx(h_grad)
    assert x.grad == pytest.approx(h_grad * h.data)


OPERATIONS = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
    lambda a, b: a / (b * b + 1), lambda a, b: (a * a + 1).log() + b,
    lambda a, b: a.tanh() * b, lambda a, b: a.sigmoid() + b.sin(), lambda a, b: (a * 0.3).exp() - b,
    lambda a, b: (a * a + b * b + 1).sqrt(), lambda a, b: a.cos() * b.cos(),
]


@given(st.lists(st.floats(-2, 2), min_size=2, max_size=4),
       st.lists(st.tuples(st.integers(0, 9), st.integers(0, 99), st.integers(0, 99)),
                min_size=1, max_size=25))
def test_random_graphs_with_reuse_and_fan_out_match_central_differences(inputs, program):
    """Each step applies a random operation to two random earlier nodes (reuse and fan-out
    happen often); the output sums the last few nodes."""

    def build(*xs):
        nodes = list(xs)
        for op, i, j in program:
            nodes.append(OPERATIONS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
        return sum(nodes[-3:], start=nodes[0] * 0)

    leaves = [Value(x) for x in inputs]
    out = build(*leaves)
    out.backward()
    numeric = numerical_grad(build, *inputs)
    numeric = numeric if isinstance(numeric, tuple) else (numeric,)
    for leaf, n in zip(leaves, numeric):
        assert leaf.grad == pytest.approx(n, rel=1e-4, abs=1e-5)


def test_a_chain_of_a_million_nodes_runs_backward():
    x = start = Value(1.0)
    a = Value(1.0000001)
    for _ in range(1_000_000):
        x = x * a
    x.backward()
    assert start.grad == pytest.approx(a.data ** 1_000_000, rel=1e-6)
    del x  # freeing a million-deep chain must not overflow the C stack either


def _graph(n: int) -> Value:
    xs = [Value(random.random()) for _ in range(10)]
    out = xs[0]
    for i in range(n):
        out = (out * xs[i % 10] + xs[(i * 7) % 10]).tanh()
    out.backward()
    return out


def test_a_dropped_graph_is_freed_without_the_cyclic_collector():
    _graph(100)  # warm up caches and free lists
    gc.collect()  # start with no garbage of other tests' making
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        out = _graph(20_000)
        alive = tracemalloc.get_traced_memory()[0] - before
        del out
        after = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        assert alive > 20_000 * 100
        assert after < alive * 0.02, "dropping the output must free the graph by refcounting"
        assert gc.collect() == 0, "no node may take part in a reference cycle"
    finally:
        if was_enabled:
            gc.enable()


def test_attributes_of_your_own_can_be_set_on_any_value():
    x = Value(1.0)
    y = (x * 2).tanh()
    x.m, y.color = 0.5, "red"  # optimizer state, a picture's tag: what micrograd scripts do
    assert (x.m, y.color) == (0.5, "red")
    assert (y.data, y.op) == (math.tanh(2.0), "tanh")  # the engine's own slots untouched


@given(st.lists(st.floats(-2, 2), min_size=2, max_size=4),
       st.lists(st.tuples(st.integers(0, 9), st.integers(0, 99), st.integers(0, 99)),
                min_size=1, max_size=25),
       st.lists(st.floats(-5, 5), min_size=1, max_size=60))
def test_backward_adds_this_pass_to_whatever_every_node_held(inputs, program, olds):
    """Old gradients on any nodes (leaves, shared, intermediate) are kept and added to, and
    never passed on: each node ends with old + d out/d node."""
    nodes = [Value(x) for x in inputs]
    for op, i, j in program:
        nodes.append(OPERATIONS[op](nodes[i % len(nodes)], nodes[j % len(nodes)]))
    out = nodes[-1]
    graph = topological_order(out)
    for node, old in zip(graph, olds * len(graph)):
        node.grad = old
    before = {node: node.grad for node in graph}
    this_pass = gradients(out)
    assert all(node.grad == before[node] for node in graph)  # gradients() changed nothing
    out.backward()
    for node in graph:
        assert node.grad == pytest.approx(before[node] + this_pass[node], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("run", [Value.backward, gradients, trace_backward],
                         ids=["backward", "gradients", "trace_backward"])
def test_a_plain_backward_interrupted_half_way_leaves_every_grad_as_it_was(run):
    """Ctrl-C (or any error) in the float loop: the pass's half-done sums are undone and the
    gradients earlier passes left are back, none lost."""
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    h = x * w
    out = (h + 1.0).tanh() * 2.0
    graph = topological_order(out)
    for i, node in enumerate(graph):
        node.grad = float(i + 1)
    before = {node: node.grad for node in graph}

    class Interrupt(BaseException):
        pass

    class Stop(float):
        def __mul__(self, other):  # reached only once the loop gets to h, half-way down
            raise Interrupt

    h.local_grads = (Stop(-3.0), 2.0)
    with pytest.raises(Interrupt):
        run(out)
    assert {node: node.grad for node in graph} == before
