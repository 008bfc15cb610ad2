"""micrograd's engine names on this engine: ``_prev``, ``_op``, ``_backward()``, operations
written the micrograd way with a ``_backward`` closure, and attributes of your own.

The code below is typed the way the micrograd lecture types it.
"""

from __future__ import annotations

import math

import pytest

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    draw_dot,
    forward_order,
    gradcheck,
    gradients,
    trace_backward,
)

B = 6.8813735870195432


def _lecture_neuron():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(B, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return locals()


def test_the_lectures_manual_backward_node_by_node():
    v = _lecture_neuron()
    o = v["o"]
    o.grad = 1.0
    o._backward()
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing to do
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    assert v["n"].grad == pytest.approx(0.5)
    assert v["w1"].grad == pytest.approx(1.0)
    assert v["x1"].grad == pytest.approx(-1.5)
    assert v["w2"].grad == 0.0 and v["x2"].grad == pytest.approx(0.5)


def test_the_lectures_build_topo_with_prev_and_a_manual_loop():
    v = _lecture_neuron()
    o = v["o"]
    topo = []
    visited = set()

    def build_topo(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build_topo(child)
            topo.append(node)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    assert v["w1"].grad == pytest.approx(1.0)
    assert v["b"].grad == pytest.approx(0.5)


def test_prev_and_op_are_parents_and_op():
    x = Value(3.0)
    y = x * x
    assert y._prev == (x, x)  # in argument order, both uses kept (micrograd's set had one)
    assert y._op == "*" == y.op
    assert x._prev == () and x._op == ""


def _micrograd_exp(self: Value) -> Value:
    """The lecture's exercise: exp defined micrograd's way."""
    x = self.data
    out = Value(math.exp(x), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def _micrograd_mul(self: Value, other: Value) -> Value:
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad

    out._backward = _backward
    return out


def test_a_micrograd_style_exp_is_confirmed_by_gradcheck():
    report = gradcheck(lambda x: _micrograd_exp(x * 2) + x, 0.7)
    assert report, str(report)


def test_micrograd_style_nodes_mix_with_built_in_ones_in_backward():
    x, y = Value(0.5, label="x"), Value(-1.2, label="y")
    z = _micrograd_mul(_micrograd_exp(x), y).tanh() + _micrograd_mul(x, x)
    z.backward()
    t = math.tanh(math.exp(0.5) * -1.2)
    assert x.grad == pytest.approx((1 - t * t) * -1.2 * math.exp(0.5) + 2 * 0.5)
    assert y.grad == pytest.approx((1 - t * t) * math.exp(0.5))


def test_micrograd_style_nodes_accumulate_like_every_node():
    x = Value(0.5)
    out = _micrograd_exp(x)
    out.backward()
    out.backward()
    assert x.grad == pytest.approx(2 * math.exp(0.5))


def test_gradients_and_trace_read_a_closure_nodes_local_derivatives():
    x, y = Value(0.5, label="x"), Value(-1.2, label="y")
    out = _micrograd_mul(x, y)
    out.label = "out"
    assert gradients(out)[x] == -1.2
    assert x.grad == 0.0  # gradients() leaves every .grad as it was
    trace = trace_backward(out)
    (_, step) = trace  # step 0 is the seed, dL/dL = 1
    assert [u.local_grad for u in step.updates] == [-1.2, 0.5]
    assert (x.grad, y.grad) == (-1.2, 0.5)


def test_a_closure_node_whose_child_is_used_twice_counts_it_once_in_the_trace():
    x = Value(3.0, label="x")
    out = _micrograd_mul(x, x)
    trace = trace_backward(out)
    assert sum(u.contribution for u in trace[1].updates) == 6.0
    assert x.grad == 6.0


def test_draw_dot_shows_a_micrograd_style_node_as_an_operation():
    x = Value(0.5, label="x")
    out = _micrograd_exp(x)
    out.backward()
    source = draw_dot(out).source
    assert "exp" in source and "x" in source
    assert forward_order(out) == [x, out]


def test_a_node_with_children_and_no_backward_says_what_to_do():
    x = Value(2.0)
    out = Value(x.data ** 2, (x,), "square")
    with pytest.raises(TypeError, match=r"_backward.*custom_op"):
        out.backward()
    assert x.grad == 0.0 and out.grad == 0.0


def test_a_missing_backward_inside_a_bigger_graph_leaves_grads_as_they_were():
    x = Value(2.0)
    x.grad = 7.0
    out = Value(x.data ** 2, (x,), "square") * 3 + x
    with pytest.raises(TypeError, match="_backward"):
        out.backward()
    assert x.grad == 7.0


def test_a_label_given_as_second_argument_gets_a_clear_message():
    with pytest.raises(TypeError, match="label='x'"):
        Value(2.0, "x")
    with pytest.raises(TypeError, match="tuple of Values"):
        Value(2.0, (1.0,))
    with pytest.raises(TypeError, match="tuple of Values"):
        Value(2.0, 5)


def test_detect_anomaly_checks_micrograd_style_nodes_both_ways():
    x = Value(1000.0)
    with detect_anomaly(), pytest.raises(AnomalyError, match="exp"):
        Value(math.inf, (x,), "exp")
    y = Value(0.0)
    out = Value(0.0, (y,), "sqrt")

    def _backward():
        y.grad += math.inf * out.grad

    out._backward = _backward
    with detect_anomaly(), pytest.raises(AnomalyError, match="non-finite gradient"):
        out.backward()
    assert y.grad == 0.0


def test_optimizer_state_can_live_on_the_parameters():
    """AdamW-style state attached to each parameter, as real micrograd scripts do."""
    w = [Value(0.5), Value(-0.3)]
    for p in w:
        p.m, p.v = 0.0, 0.0
    beta1, beta2, lr, eps, decay = 0.9, 0.999, 0.1, 1e-8, 0.01
    for t in range(1, 4):
        loss = (w[0] * w[1] - 1.0) ** 2
        for p in w:
            p.grad = 0.0
        loss.backward()
        for p in w:
            p.m = beta1 * p.m + (1 - beta1) * p.grad
            p.v = beta2 * p.v + (1 - beta2) * p.grad ** 2
            m_hat, v_hat = p.m / (1 - beta1 ** t), p.v / (1 - beta2 ** t)
            p.data -= lr * (m_hat / (v_hat ** 0.5 + eps) + decay * p.data)
    assert all(isinstance(p.m, float) for p in w)
    assert (w[0] * w[1]).data > 0.5 * -0.3  # it moved toward the target product 1


# ---------------------------------------------------------------- closures, as users write them

def test_a_backward_assigned_to_a_built_in_node_stops_the_gradient_as_in_micrograd():
    # micrograd's stop-gradient trick: the node's step does nothing, so x gets nothing via y.
    x = Value(2.0)
    y = x * 3
    y._backward = lambda: None
    (y * y + x).backward()
    assert x.grad == 1.0  # only the direct path; micrograd gives the same


def test_a_wrapper_around_a_built_in_nodes_step_changes_what_flows():
    x = Value(2.0)
    y = x * 3
    step = y._backward

    def halved():
        y.grad /= 2
        step()

    y._backward = halved
    (y * y).backward()  # dL/dy = 2y = 12, halved to 6, times dy/dx = 3
    assert x.grad == 18.0


def test_a_backward_that_is_not_a_function_is_refused_at_once():
    y = Value(2.0) * 3
    with pytest.raises(TypeError, match="_backward must be a function"):
        y._backward = 5


def _ignoring_closure():
    """A micrograd-style node whose closure ignores its upstream gradient (a clipped
    cross-entropy node in a character-level RNN does as much)."""
    x = Value(0.5, label="x")
    out = Value(math.exp(0.5), (x,), "ce")

    def _backward():
        x.grad += 0.7

    out._backward = _backward
    return x, out * 2.0


@pytest.mark.parametrize("mode", ["backward", "anomaly", "trace"])
def test_debugging_modes_run_the_users_closure_and_keep_its_numbers(mode):
    from autograd import trace_backward

    x, loss = _ignoring_closure()
    if mode == "backward":
        loss.backward()
    elif mode == "anomaly":
        with detect_anomaly():
            loss.backward()
    else:
        steps = trace_backward(loss).steps
        closure_step = next(s for s in steps if s.node.op == "ce")
        (update,) = closure_step.updates
        assert update.contribution == 0.7 and update.grad_after == 0.7
    assert x.grad == 0.7
