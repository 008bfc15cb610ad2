"""The backward protocol and the engine's answers to honest mistakes (issue 12, items 8-13).

One protocol serves ``backward()``, ``gradients()`` and ``trace_backward()``: set earlier
gradients aside, compute from zero in reverse order, add back; on any interruption put every
``.grad`` back as it was. Where PyTorch has an answer, the engine gives the same one.
"""

from __future__ import annotations

import enum
import math
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd.core.backward as backward_pass
import autograd.core.value as engine
from autograd import (
    Value,
    backprop,
    dot,
    enable_grad,
    forward_order,
    grad,
    gradients,
    is_grad_enabled,
    no_grad,
    sqrt,
    trace_backward,
)

INF = math.inf


# ---------------------------------------------------------------- a dead ReLU passes nothing

def test_a_dead_relu_passes_no_gradient_even_when_inf_arrives():
    # sqrt'(0) = inf flows into relu(-1); PyTorch's threshold_backward gives 0, not 0 * inf
    x = Value(-1.0)
    sqrt(x.relu()).backward()
    assert x.grad == 0.0


def test_relu_at_zero_passes_nothing_and_a_live_relu_passes_everything():
    x, y = Value(0.0), Value(4.0)
    (sqrt(x.relu()) + sqrt(y.relu())).backward()
    assert x.grad == 0.0
    assert y.grad == 0.25


def test_relu_of_nan_is_nan_and_passes_its_gradient_on_as_pytorch():
    x = Value(math.nan)
    out = x.relu()
    out.backward()
    assert math.isnan(out.data) and x.grad == 1.0


def test_x_to_the_zero_passes_no_gradient_even_when_inf_arrives():
    x = Value(0.0)
    sqrt(x ** 0 - 1).backward()  # sqrt'(0) = inf arrives at x ** 0
    assert x.grad == 0.0


@pytest.mark.parametrize("mode", ["backward", "create_graph", "trace", "gradients",
                                  "manual"])
def test_every_way_of_backpropagating_agrees_on_the_dead_relu(mode):
    x = Value(-1.0)
    out = sqrt(x.relu())
    if mode == "backward":
        out.backward()
        dx = x.grad
    elif mode == "create_graph":
        out.backward(create_graph=True)
        dx = x.grad.data if isinstance(x.grad, Value) else x.grad
    elif mode == "trace":
        trace_backward(out)
        dx = x.grad
    elif mode == "gradients":
        dx = gradients(out)[x]
    else:  # micrograd's manual step, node by node
        relu = out.parents[0]
        out.grad = 1.0
        out._backward()
        relu._backward()
        dx = x.grad
    assert dx == 0.0


# ---------------------------------------------------------------- exponents that are bools

class Power(enum.IntEnum):
    SQUARE = 2


def test_a_bool_exponent_is_the_number_it_stands_for():
    x = Value(3.0)
    assert (x ** True).op == "**1" and (x ** True).data == 3.0
    assert (x ** False).op == "**0" and (x ** False).data == 1.0
    assert (x ** Power.SQUARE).op == "**2" and (x ** Power.SQUARE).data == 9.0


@pytest.mark.parametrize("exponent, first, second", [
    (True, 1.0, 0.0), (False, 0.0, 0.0), (Power.SQUARE, 6.0, 2.0)])
def test_bool_and_intenum_exponents_differentiate_once_and_twice(exponent, first, second):
    f = lambda x: x ** exponent
    assert grad(f)(3.0) == first
    assert grad(grad(f))(3.0) == second


# ---------------------------------------------------------------- grad = None, PyTorch's idiom

def test_grad_none_counts_as_no_gradient_yet():
    w = Value(2.0)
    loss = w * w
    w.grad = None
    loss.grad = None
    loss.backward()
    assert w.grad == 4.0 and loss.grad == 1.0


def test_grad_none_accumulates_from_nothing_on_the_next_pass():
    w = Value(2.0)
    (w * 3).backward()
    w.grad = None
    (w * 5).backward()
    assert w.grad == 5.0


def test_a_value_with_grad_none_prints_it():
    w = Value(2.0)
    w.grad = None
    assert repr(w) == "Value(data=2.0, grad=None)"


def test_gradients_leaves_none_as_none():
    w = Value(2.0)
    w.grad = None
    assert gradients(w * w)[w] == 4.0
    assert w.grad is None


def test_manual_backward_step_into_a_none_gradient():
    x = Value(2.0)
    y = x * 3
    x.grad = None
    y.grad = 1.0
    y._backward()
    assert x.grad == 3.0


# ---------------------------------------------------------------- a cut graph is refused

@pytest.mark.parametrize("f", [lambda x: math.sin(x), lambda x: float(x) * 2,
                               lambda x: math.exp(x.data)])
def test_grad_refuses_a_function_that_returns_a_plain_number(f):
    with pytest.raises(TypeError, match=r"autograd\.sin|autograd's functions"):
        grad(f)(2.0)


def test_grad_of_a_function_returning_a_constant_value_is_zero():
    assert grad(lambda x: Value(5.0))(2.0) == 0.0


# ---------------------------------------------------------------- no_grad on generators

@no_grad()
def _steps_without_graph(x: Value):
    for k in range(3):
        received = yield (x * k, is_grad_enabled())
        if received == "stop":
            return "stopped"


def test_no_grad_applies_inside_a_decorated_generator_and_not_outside():
    x = Value(2.0)
    for y, enabled in _steps_without_graph(x):
        assert not enabled and y.parents == ()
        assert is_grad_enabled()  # the loop's own code records as usual
        assert (x * 2).parents


def test_no_grad_generator_sees_send_throw_close_and_returns_its_value():
    x = Value(1.0)
    steps = _steps_without_graph(x)
    next(steps)
    with pytest.raises(StopIteration) as stopped:
        steps.send("stop")
    assert stopped.value.value == "stopped"
    assert is_grad_enabled()

    thrown = _steps_without_graph(x)
    next(thrown)
    with pytest.raises(KeyError):
        thrown.throw(KeyError("into the generator"))
    assert is_grad_enabled()

    closed = _steps_without_graph(x)
    next(closed)
    closed.close()
    assert is_grad_enabled()


def test_enable_grad_on_a_generator_records_inside_a_no_grad_block():
    @enable_grad()
    def recorded(x: Value):
        yield x * 2

    x = Value(1.0)
    with no_grad():
        (y,) = list(recorded(x))
        assert not is_grad_enabled()
    assert y.parents  # recorded although the caller was in no_grad()


def test_no_grad_decorated_function_runs_in_two_threads_at_once():
    barrier = threading.Barrier(2)
    seen: list[object] = []

    @no_grad()
    def work() -> None:
        barrier.wait(timeout=5)
        seen.append(is_grad_enabled())
        barrier.wait(timeout=5)

    after: dict[str, object] = {}

    def run(name: str, outer_no_grad: bool) -> None:
        try:
            if outer_no_grad:
                with no_grad():
                    work()
                    after[name] = is_grad_enabled()
            else:
                work()
                after[name] = is_grad_enabled()
        except Exception as error:  # an error in a thread would otherwise only be printed
            after[name] = error

    threads = [threading.Thread(target=run, args=("a", True)),
               threading.Thread(target=run, args=("b", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False, False]
    # each thread is back to its own mode: one call's exit never undoes the other's
    assert after == {"a": False, "b": True}


# ---------------------------------------------------------------- interrupted anywhere

def _graph() -> tuple[Value, list[Value]]:
    a, b, c = Value(0.5, label="a"), Value(-1.5, label="b"), Value(2.0, label="c")
    h = (a * b + c).tanh()
    out = h * a + (h * c).relu() + sqrt(c)
    return out, forward_order(out)


def _interrupt_at(n: int):
    """A tracer that raises KeyboardInterrupt at the n-th line the engine runs (the backward
    protocol lives in backward.py; trace_backward's recorder is called from it)."""
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code.co_filename not in (engine.__file__, backward_pass.__file__):
            return None
        if event == "line":
            count[0] += 1
            if count[0] == n:
                raise KeyboardInterrupt(f"line {n}")
        return tracer

    return tracer, count


@pytest.mark.parametrize("how", ["backward", "gradients", "trace", "create_graph"])
def test_an_interruption_at_any_line_leaves_every_grad_as_it_was(how):
    """Ctrl-C may arrive between any two lines: during the walk, the chain rule, the add-back
    or the put-back. Whatever it hits, every .grad is either as before the pass, or the pass
    finished and every node holds old + this pass's gradient."""
    run = {"backward": lambda out: out.backward(),
           "gradients": lambda out: gradients(out),
           "trace": lambda out: trace_backward(out),
           "create_graph": lambda out: out.backward(create_graph=True)}[how]
    out, nodes = _graph()
    fresh = gradients(out)
    # how many lines a whole pass runs
    tracer, count = _interrupt_at(-1)
    sys.settrace(tracer)
    try:
        run(out)
    finally:
        sys.settrace(None)
    lines = count[0]
    assert lines > 20
    interrupted = 0
    for n in range(1, lines + 1):
        out, nodes = _graph()
        olds = [0.25 * i - 1.0 for i in range(len(nodes))]
        olds[1] = None  # PyTorch's "no gradient yet" on one node
        for node, old in zip(nodes, olds):
            node.grad = old
        tracer, _ = _interrupt_at(n)
        sys.settrace(tracer)
        try:
            run(out)
        except KeyboardInterrupt:
            interrupted += 1
            assert [node.grad for node in nodes] == olds, f"interrupted at line {n}"
        else:
            if how == "gradients":
                assert [node.grad for node in nodes] == olds
        finally:
            sys.settrace(None)
    assert interrupted == lines  # every line of the pass was hit once
    del fresh


def test_an_error_while_adding_back_puts_every_grad_back():
    class Boom(float):
        def __add__(self, other):
            raise KeyboardInterrupt("during add-back")

    out, nodes = _graph()
    for node in nodes:
        node.grad = 0.5
    nodes[0].grad = Boom(0.5)
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert [node.grad for node in nodes] == [0.5] * len(nodes)
    assert type(nodes[0].grad) is Boom


# ---------------------------------------------------------------- the one protocol

@given(st.lists(st.floats(-3, 3), min_size=2, max_size=4),
       st.lists(st.tuples(st.sampled_from("+*-t"), st.integers(0, 99), st.integers(0, 99)),
                min_size=1, max_size=20))
def test_trace_gradients_and_backward_are_one_pass(inputs, program):
    def build():
        nodes = [Value(x) for x in inputs]
        for op, i, j in program:
            a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
            nodes.append({"+": a + b, "*": a * b, "-": a - b, "t": a.tanh()}[op])
        return nodes[-1], nodes[:len(inputs)]

    out, leaves = build()
    out.backward()
    by_backward = [x.grad for x in leaves]
    out2, leaves2 = build()
    by_gradients = [gradients(out2).get(x, 0.0) for x in leaves2]
    out3, leaves3 = build()
    trace = trace_backward(out3)
    assert by_gradients == by_backward == [x.grad for x in leaves3]
    # the trace saw the nodes of the one walk, and stepped through them in reverse
    assert list(trace.nodes) == forward_order(out3)


def test_backprop_returns_the_walk_and_accumulates():
    x = Value(3.0, label="x")
    out = x * x + x
    order = backprop(out)
    assert order == forward_order(out)
    backprop(out)
    assert x.grad == 2 * 7.0


def test_backprop_on_a_walk_already_made_is_backward_bit_for_bit_and_walks_no_more(
        monkeypatch):
    def build():
        x = Value(0.1, label="x")
        x.grad = -0.0  # an earlier gradient, added back as backward() adds it
        out = (x * x).tanh() + x * 3.0
        return x, out

    x1, out1 = build()
    out1.backward()
    x2, out2 = build()
    graph = forward_order(out2)
    monkeypatch.setattr(backward_pass, "forward_order", None)  # walking again would raise
    assert backprop(out2, graph=graph) == graph
    assert repr((x2.grad, out2.grad)) == repr((x1.grad, out1.grad))


def test_forward_order_reads_like_the_expression():
    x1, w1, x2, w2 = (Value(v, label=n) for v, n in
                      [(2.0, "x1"), (-3.0, "w1"), (0.0, "x2"), (1.0, "w2")])
    n = x1 * w1 + x2 * w2
    names = [v.label or v.op for v in forward_order(n)]
    assert names == ["x1", "w1", "*", "x2", "w2", "*", "+"]


def test_a_long_chain_walks_without_recursion():
    x = Value(1.0)
    y = x
    for _ in range(200_000):
        y = y * 1.0
    assert len(forward_order(y)) == 400_001  # every product and its constant
    y.backward()
    assert x.grad == 1.0


# ---------------------------------------------------------------- the hard threshold

@pytest.mark.parametrize("z, g", [(-0.5, 0.0), (0.0, 1.0), (2.0, 1.0), (-1e-300, 0.0)])
def test_step_is_the_notes_hard_threshold_with_derivative_zero(z, g):
    x = Value(z)
    out = x.step()
    assert out.data == g and out.op == "step"
    sqrt(out - g).backward()  # sqrt'(0) = inf arrives: still nothing flows back
    assert x.grad == 0.0
    assert grad(lambda v: v.step() * 3)(z) == 0.0


# ---------------------------------------------------------------- the one walk

def test_a_shared_input_is_listed_before_every_node_that_uses_it():
    a, d = Value(1.0, label="a"), Value(2.0, label="d")
    order = forward_order(a * d + d)
    assert [v.label or v.op for v in order] == ["a", "d", "*", "+"]


@given(st.integers(1, 4),
       st.lists(st.tuples(st.sampled_from(["+", "*", "tanh", "dot"]),
                          st.lists(st.integers(0, 999), min_size=3, max_size=3)),
                min_size=1, max_size=25))
def test_forward_order_lists_every_node_once_after_all_its_parents(n_inputs, program):
    nodes = [Value(float(i), label=f"x{i}") for i in range(n_inputs)]
    for op, picks in program:
        a, b, c = (nodes[k % len(nodes)] for k in picks)
        if op == "+":
            nodes.append(a + b)
        elif op == "*":
            nodes.append(a * b)
        elif op == "tanh":
            nodes.append(a.tanh())
        else:
            nodes.append(dot([a, b], [b, c], a))
    root = nodes[-1]
    order = forward_order(root)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)  # each once
    assert all(position[p] < position[n] for n in order for p in n.parents)
    assert order[-1] is root
    # every node that can reach the root is listed, and nothing else
    reach = {root}
    for node in reversed(order):
        if node in reach:
            reach.update(node.parents)
    assert reach == set(order)
