"""The per-example template (compiled/template.py) for the loss as micrograd's demo and the
lectures type it: every example's forward first, then every example's loss, joined by Python's
``sum`` (a chain of ``+`` from 0) and scaled by 1/n. The replay loops one example's code over
the batch, so its source does not grow with the batch, and it gives the engine's numbers bit
for bit; where the template's conditions do not hold, the step stays one flat program, still
the engine's numbers."""

from __future__ import annotations

import random
import warnings

import pytest

import autograd
import nn
from autograd import Value
from autograd.compiled import numba_backend
from bench.moons import make_moons
from bench.workloads import LectureMLP, hinge_loss, initial_weights, load_weights

BACKENDS = ["python", pytest.param("numba", marks=pytest.mark.skipif(
    numba_backend.available() is not None, reason="the fast extra: backprop-lab[fast]"))]

POINTS, LABELS = make_moons(100)


def demo_model(kind: str):
    model = nn.MLP(2, [16, 16, 1], seed=0) if kind == "nn" else LectureMLP(Value)
    load_weights(model, initial_weights())
    return model


def numbers(loss, params) -> list[str]:
    """The loss and every gradient, by repr (a nan is a nan)."""
    return [repr(loss)] + [repr(p.grad) for p in params]


def assert_steps_like_the_engine(fn, params, batches, backend="python", lr=0.5):
    """Compiled and eager ``fn`` give the same loss and gradients by repr at every batch, with
    an SGD update after each, so every call sees other parameters. Returns the step."""
    step = autograd.compile(fn, backend=backend)
    for X, y in batches:
        for p in params:
            p.grad = 0.0
        loss = fn(X, y)
        loss.backward()
        expected = numbers(loss.data, params)
        for p in params:
            p.grad = 0.0
        assert numbers(step(X, y), params) == expected, step.source[:3000]
        for p in params:
            p.data -= lr * p.grad
    return step


def looped(step) -> bool:
    """Whether the step's replay is one example's code looped over the batch."""
    return "nodes per example" in step.source and "in e:  # one example at a time" in step.source


# ---------------------------------------------------------------- the demo's loss ---------


@pytest.mark.parametrize("kind", ["nn", "lecture"])
def test_the_demo_loss_is_one_examples_code_whatever_the_batch(kind):
    model = demo_model(kind)
    sizes = {}
    for n in (10, 100):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            step = autograd.compile(lambda X, y: hinge_loss(model, X, y, Value),
                                    backend="python")
            step(POINTS[:n], LABELS[:n])
        assert looped(step)
        sizes[n] = len(step.source.splitlines())
    assert sizes[10] == sizes[100]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["nn", "lecture"])
def test_the_demo_loss_replays_the_engine_bit_for_bit_on_minibatches_of_100_7_and_1(
        kind, backend):
    model = demo_model(kind)
    batches = [(POINTS, LABELS), (POINTS[:7], LABELS[:7]), (POINTS[:1], LABELS[:1]),
               (POINTS, LABELS), (POINTS[40:47], LABELS[40:47]), (POINTS[5:6], LABELS[5:6]),
               (POINTS, LABELS)]
    step = assert_steps_like_the_engine(lambda X, y: hinge_loss(model, X, y, Value),
                                        model.parameters(), batches, backend)
    assert step.fallback_reason is None and step.replays >= 4


def phases(model, join):
    """A step in micrograd's phases: every score, then every loss, then ``join`` of them."""
    def fn(X, y):
        scores = [model([Value(a) for a in x]) for x in X]
        losses = [(1 + -t * s).relu() for t, s in zip(y, scores)]
        return join(losses)
    return fn


JOINS = {
    "sum": lambda losses: sum(losses),
    "mean": lambda losses: sum(losses) * (1.0 / len(losses)),
    "from the first": lambda losses: _chain(losses) * 0.25,
    "from a constant": lambda losses: sum(losses, 2.5) + 1.0,
}


def _chain(values):
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("join", sorted(JOINS))
def test_a_chain_of_additions_joins_the_examples_bit_for_bit(join, backend):
    model = nn.MLP(2, [4, 1], seed=3)
    fn = phases(model, JOINS[join])
    step = assert_steps_like_the_engine(
        fn, model.parameters(), [(POINTS[:30], LABELS[:30]), (POINTS[30:60], LABELS[30:60]),
                                 (POINTS[:2], LABELS[:2]), (POINTS[60:90], LABELS[60:90])],
        backend)
    assert step.replays == 2
    step = autograd.compile(fn, backend="python")
    step(POINTS[:30], LABELS[:30])
    assert looped(step)


def test_a_loss_accumulated_example_by_example_is_looped_too():
    model = nn.MLP(2, [4, 1], seed=1)

    def fn(X, y):
        total = 0
        for x, t in zip(X, y):
            total = total + (model(x) - t) ** 2
        return total * (1.0 / len(X))

    step = assert_steps_like_the_engine(fn, model.parameters(),
                                        [(POINTS[:20], LABELS[:20]), (POINTS[20:40],
                                                                      LABELS[20:40])])
    assert looped(step)


# ---------------------------------------------------------------- where it must not loop --


def test_an_example_reading_another_examples_value_stays_flat_and_exact():
    model = nn.MLP(2, [3, 1], seed=2)

    def fn(X, y):
        scores = [model(x) for x in X]
        losses = [(s - scores[i - 1] * 0.5 - t) ** 2 for i, (s, t) in enumerate(zip(scores, y))]
        return sum(losses)

    step = assert_steps_like_the_engine(fn, model.parameters(),
                                        [(POINTS[:8], LABELS[:8])] * 3, lr=0.01)
    assert not looped(step) and step.replays == 2


def test_a_parameter_used_in_another_order_by_some_examples_stays_flat_and_exact():
    w = Value(0.7)

    def fn(X, y):
        losses = []
        for i, (x, t) in enumerate(zip(X, y)):
            a, b = w * x[0], w * x[1]
            losses.append(((a + b) if i % 2 else (b + a)) * t)  # w's uses, backward, swap
        return sum(losses)

    step = assert_steps_like_the_engine(fn, [w], [(POINTS[:6], LABELS[:6])] * 3, lr=0.01)
    assert not looped(step)


def test_examples_of_different_structure_stay_flat_and_exact():
    model = nn.MLP(2, [3, 1], seed=4)

    def fn(X, y):
        losses = [(model(x) - t) ** 2 for x, t in zip(X, y)]
        losses[2] = losses[2].tanh()
        return sum(losses) * (1.0 / len(losses))

    step = assert_steps_like_the_engine(fn, model.parameters(), [(POINTS[:5], LABELS[:5])] * 3)
    assert not looped(step)


def test_a_sum_in_another_order_than_the_batch_stays_flat_and_exact():
    model = nn.MLP(2, [3, 1], seed=5)

    def fn(X, y):
        return sum(reversed([(model(x) - t) ** 2 for x, t in zip(X, y)]))

    step = assert_steps_like_the_engine(fn, model.parameters(), [(POINTS[:5], LABELS[:5])] * 3,
                                        lr=0.01)
    assert not looped(step)


def test_random_draws_made_in_two_phases_keep_their_order():
    model = nn.MLP(2, [3, 1], seed=6)
    params = model.parameters()

    def make(rng):
        def fn(X, y):
            scores = [model(x) * rng.random() for x in X]  # a draw per example, then
            return sum((s * rng.random() - t) ** 2 for s, t in zip(scores, y))  # another
        return fn

    eager, compiled = make(random.Random(7)), make(random.Random(7))
    step = autograd.compile(compiled, backend="python")
    for _ in range(4):
        for p in params:
            p.grad = 0.0
        loss = eager(POINTS[:6], LABELS[:6])
        loss.backward()
        expected = numbers(loss.data, params)
        for p in params:
            p.grad = 0.0
        assert numbers(step(POINTS[:6], LABELS[:6]), params) == expected
    assert step.replays == 3 and not looped(step)


# ---------------------------------------------------------------- sums over the parameters ---
# micrograd's demo adds its L2 penalty as Python's sum over a generator, 0 + p0*p0 + p1*p1 + ...:
# one addition and one term per parameter, which the replay writes as one loop.


def lines_of(model, loss, n: int = 2) -> int:
    step = autograd.compile(lambda X, y: loss(model, X, y), backend="python")
    step(POINTS[:n], LABELS[:n])
    assert step.fallback_reason is None and looped(step)
    return len(step.source.splitlines())


def without_l2(model, X, y):
    scores = [model([Value(a) for a in x]) for x in X]
    losses = [(1 + -t * s).relu() for t, s in zip(y, scores)]
    return sum(losses) * (1.0 / len(losses))


@pytest.mark.parametrize("sizes", [[16, 16, 1], [64, 64, 1]])
def test_the_demos_l2_sum_over_every_parameter_is_a_loop_whatever_the_width(sizes):
    model = nn.MLP(2, sizes, seed=0)
    params = len(model.parameters())
    with_l2 = lines_of(model, lambda m, X, y: hinge_loss(m, X, y, Value))
    # the loop, and the parameters' gradients gathered into a list for it (a line per 12)
    assert with_l2 - lines_of(model, without_l2) <= 20 + params / 6


def l1_loss(model, X, y):
    return without_l2(model, X, y) + 1e-3 * sum(abs(p) for p in model.parameters())


def squares_loss(model, X, y):
    return without_l2(model, X, y) + 1e-3 * sum(p ** 2 for p in model.parameters())


@pytest.mark.parametrize("special", [-0.0, 0.0, float("nan"), float("inf")])
@pytest.mark.parametrize("loss", ["hinge_loss", "l1_loss", "squares_loss"])
def test_a_sum_over_every_parameter_replays_the_engine_bit_for_bit(loss, special):
    model = demo_model("nn")
    params = model.parameters()
    params[3].data = special  # a first-layer weight
    params[-1].data = -0.0  # the output's bias: -0.0 * -0.0 is 0.0, abs' sign there is 0
    params[40].data = 0.0
    fn = {"hinge_loss": lambda m, X, y: hinge_loss(m, X, y, Value), "l1_loss": l1_loss,
          "squares_loss": squares_loss}[loss]
    batches = [(POINTS[:20], LABELS[:20]), (POINTS[20:27], LABELS[20:27]), (POINTS, LABELS),
               (POINTS[:1], LABELS[:1]), (POINTS[50:80], LABELS[50:80])]
    step = assert_steps_like_the_engine(lambda X, y: fn(model, X, y), params, batches)
    assert step.fallback_reason is None and "parameters, a loop" in step.source


def test_a_sum_over_parameters_passes_a_minus_zero_gradient_as_the_engine_does():
    # d(loss)/d(sum) = -0.0: each addition passes it on into a gradient that starts at 0.0
    # (0.0 + -0.0 is 0.0), and a .grad that held -0.0 keeps it only if nothing else is added
    ws = [autograd.Parameter(float(k) - 20.0) for k in range(40)]
    ws[7].data = -0.0

    def fn(X, y):
        return -0.0 * sum(w * w for w in ws) + sum(Value(x[0]) for x in X)

    for start in (0.0, -0.0):
        for w in ws:
            w.grad = start
        loss = fn(POINTS[:3], LABELS[:3])
        loss.backward()
        expected = numbers(loss.data, ws)
        step = autograd.compile(fn, backend="python")
        for w in ws:
            w.grad = start
        assert numbers(step(POINTS[:3], LABELS[:3]), ws) == expected
        assert "parameters, a loop" in step.source
