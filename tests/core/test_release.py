"""Deep graphs are freed through a queue where the stack is small (autograd.core.release).

Under Pyodide ``Value.__del__`` is ``release``; CPython has no ``__del__`` on ``Value`` (its speed
is untouched), so these tests switch it on, as the browser has it. Under Pyodide (the suite's
run in Node) they test the real thing: there, freeing a chain of a few thousand nodes without
the queue kills the interpreter.
"""

from __future__ import annotations

import gc

import pytest

from autograd import Parameter, Value
from autograd.core import release


@pytest.fixture
def queued(monkeypatch):
    """``Value.__del__`` is ``release``, wrapped to count how deeply its calls nest and how many
    there are for the links of ``chain`` (Values of other tests may be freed meanwhile)."""
    seen = {"all": 0, "calls": 0, "active": 0, "deepest": 0}

    def counting_release(node):
        seen["all"] += 1
        seen["calls"] += is_chain_link(node)  # (a local name for the parents here would keep
        # them alive past release, and free them nested again)
        seen["active"] += 1
        seen["deepest"] = max(seen["deepest"], seen["active"])
        try:
            release.release(node)
        finally:
            seen["active"] -= 1

    monkeypatch.setattr(Value, "__del__", counting_release, raising=False)
    return seen


CHAIN_LEAF = "a (chain)"


def is_chain_link(node: Value) -> bool:
    parents = getattr(node, "parents", ())
    return len(parents) == 2 and parents[1].label == CHAIN_LEAF


def chain(x: Value, links: int) -> Value:
    """x * a * a * ... (``links`` products): a graph ``links + 1`` nodes deep."""
    a = Value(1.0, label=CHAIN_LEAF)
    y = x
    for _ in range(links):
        y = y * a
    return y


def test_the_queue_is_on_exactly_where_the_stack_is_small():
    assert (Value.__dict__.get("__del__") is release.release) == release.SMALL_STACK


def test_freeing_a_deep_chain_never_nests_more_than_one_release(queued):
    x = Value(1.0, label="x")
    y = chain(x, 20_000)
    del y
    assert queued["calls"] == 20_000  # every product node was freed...
    # ...each by the outermost call, emptying its queue: inside it, never deeper (a node that
    # kept its parents would free them after its call, nested in the C stack where no Python
    # frame shows, and the deepest would be 1)
    assert queued["deepest"] == 2
    assert release._queue == [] and not release._emptying
    assert x.parents == ()


def test_a_freed_chain_leaves_nothing_behind(queued):
    def products() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is Value and o.op == "*")

    before = products()
    y = chain(Value(2.0), 5_000)
    assert products() == before + 5_000
    del y
    assert products() == before


def test_backward_through_a_100_000_node_chain_then_freeing_it(queued):
    x = Value(1.0, label="x")
    y = chain(x, 100_000)
    y.backward()
    assert x.grad == 1.0
    del y
    assert queued["calls"] == 100_000 and queued["deepest"] == 2


def test_gradient_graphs_of_create_graph_are_freed_through_the_queue_too(queued):
    x = Parameter(3.0, label="x")
    y = x * x * x  # dy/dx = 3x^2 = 27, d2y/dx2 = 6x = 18
    y.backward(create_graph=True)
    dy = x.grad
    assert dy.data == 27.0
    dy.backward()
    assert x.grad.data == 27.0 + 18.0
    x.grad = 0.0  # the leaf's gradient graph refers back to the leaf
    calls = queued["all"]
    del y, dy
    gc.collect()
    assert queued["all"] > calls
    assert release._queue == []


def test_a_value_refused_by_its_constructor_is_freed_quietly(queued, monkeypatch):
    unraisable = []
    monkeypatch.setattr("sys.unraisablehook", unraisable.append)
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)
    gc.collect()
    assert unraisable == []  # no "Exception ignored in __del__"
    assert release._queue == [] and not release._emptying


def test_the_lecture_neuron_has_the_same_gradients_with_the_queue_on(queued):
    # lecture 003's neuron: o = tanh(x1 w1 + x2 w2 + b)
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2, b = Value(-3.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert (round(x1.grad, 6), round(w1.grad, 6), round(x2.grad, 6), round(w2.grad, 6)) \
        == (-1.5, 1.0, 0.5, 0.0)


@pytest.mark.skipif(not release.SMALL_STACK,
                    reason="the browser's case (Pyodide); CPython runs the 100,000-node test")
def test_a_million_node_chain_backpropagates_and_frees():
    x = Value(1.0, label="x")
    y = chain(x, 999_999)
    y.backward()
    assert x.grad == 1.0
    del y
    assert x.parents == () and release._queue == []
