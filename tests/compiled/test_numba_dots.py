"""The Numba kernel's evenly spaced dots (a neuron's ``w . x + b``, its weights one after the
other and its inputs evenly spaced, run as loops over views of the kernel's memory) give the
engine's numbers bit for bit, and every other dot takes the listed path, also bit for bit."""

from __future__ import annotations

import math

import pytest

import nn
from autograd import Parameter, dot

pytest.importorskip("numba", reason="the fast extra: pip install backprop-lab[fast]")

from tests.compiled.test_numba_backend import engine_and_numba  # noqa: E402

#: Rows of inputs where IEEE semantics show: signs mixed, zeros of both signs, nan, infinities.
ROWS = [[1.5, -2.0, 0.25], [-0.0, 0.0, -3.0], [math.nan, 1.0, -1.0], [math.inf, -math.inf, 2.0],
        [1e308, 1e308, -1e-300], [-4.0, 0.5, 0.0]]
LABELS = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]


def _engine_and_numba(fn, args, params, calls=3):
    """``engine_and_numba`` on the same arguments ``calls`` times, every call after the first
    run by the kernel. Returns the step."""
    step = engine_and_numba(fn, [args] * calls, params)
    assert step.backend == "numba" and step.replays == calls - 1, repr(step)
    return step


def _spaced_dots(step) -> int:
    """How many of the step's dots the kernel runs as evenly spaced loops."""
    return len(step._latest.replay.dots)


def _spacings(step) -> set[tuple[int, int]]:
    """The (weights, inputs) spacings of the step's evenly spaced dots."""
    return {(int(row[2]), int(row[5])) for row in step._latest.replay.dots}


def test_a_networks_dots_run_evenly_spaced_on_special_inputs_bitwise():
    model = nn.MLP(3, [4, 4, 1], seed=7)
    params = model.parameters()

    def loss(X, y):
        return dot([(1 + -t * model(x)).relu() for x, t in zip(X, y)], [1.0 / len(y)] * len(y))

    step = _engine_and_numba(loss, (ROWS, LABELS), params)
    assert _spaced_dots(step) == 9  # the template's 4 + 4 + 1 neurons
    assert _spacings(step) == {(1, 1)}  # the hidden layers' values laid out one after another


def test_inputs_every_other_place_run_as_strided_views_bitwise():
    w = [Parameter(0.5 - 0.25 * k) for k in range(3)]

    def loss(X):
        total = dot([dot(w, x[0::2], 1.0).relu() for x in X], [0.5] * len(X))
        return total * dot(w, X[0][1::2])

    rows = [[1.0, -0.0, 2.0, 3.0, -3.0, 0.25], [-1.0, 0.0, 1e300, -1e300, 0.5, 2.0]]
    step = _engine_and_numba(loss, (rows,), w)
    assert (1, 2) in _spacings(step)


def test_a_dead_relu_passes_nothing_back_through_a_spaced_dot():
    # The second layer's inputs are relus of the first: with these weights every hidden unit
    # is dead for positive inputs, and an infinite upstream gradient must not reach them
    # (inf * 0 would be nan).
    hidden = [[Parameter(-1.0), Parameter(-2.0)], [Parameter(-0.5), Parameter(-0.25)]]
    out = [Parameter(math.inf), Parameter(-math.inf)]
    params = [p for row in hidden for p in row] + out

    def loss(X):
        total = None
        for x in X:
            h = [dot(w, x).relu() for w in hidden]
            y = dot(out, h, 1.0)
            total = y if total is None else total + y
        return total

    step = _engine_and_numba(loss, ([[1.0, 2.0], [3.0, 0.5]],), params)
    assert _spaced_dots(step) >= 2
    assert [p.grad for p in params[:4]] == [0.0] * 4


def test_a_weight_in_two_dots_adds_both_gradients_in_the_engines_order():
    w = [Parameter(0.1 * k - 0.3) for k in range(5)]

    def loss(x, y):
        return dot(w, x, 0.5) * dot(w, y) + dot(w, y).relu()

    args = ([1.0, -2.0, 3.0, -0.0, 1e300], [-1e300, 0.5, math.inf, 2.0, -1.0])
    step = _engine_and_numba(loss, args, w)
    assert _spaced_dots(step) == 3


def test_weights_in_descending_places_or_among_the_inputs_take_the_listed_path():
    w = [Parameter(0.5 - 0.25 * k) for k in range(4)]

    def loss(x):
        backwards = dot(list(reversed(w)), x, w[0])  # weights' places step down
        itself = dot(w, w)
        mixed = dot([w[0], x[1], w[2], x[3]], [x[0], w[1], x[2], w[3]])
        return backwards * itself + mixed

    step = _engine_and_numba(loss, ([1.0, -0.0, math.nan, -2.5],), w)
    assert _spaced_dots(step) == 0


def test_a_dot_whose_weights_are_also_its_inputs_adds_in_the_engines_order():
    # w1 gets 3.0 (from w1 * 3.0, later in the forward), then w0 (pair 0), then w2 (pair 1):
    # (3.0 + 0.1) + 0.7 = 3.8, where all the weights' gradients first would give
    # (3.0 + 0.7) + 0.1 = 3.8000000000000003.
    w = [Parameter(0.1), Parameter(0.5), Parameter(0.7), Parameter(0.9)]

    def loss():
        return dot(w[:3], w[1:]) + w[1] * 3.0

    step = _engine_and_numba(loss, (), w)
    assert w[1].grad == 3.8 and _spaced_dots(step) == 0


def test_a_dot_without_a_bias_starts_from_zero_as_the_engine():
    w = [Parameter(-0.0), Parameter(-0.0)]

    def loss(x):
        return dot(w, x) * 2.0  # (-0.0 * 1.0) + (-0.0 * 1.0) from 0.0 is 0.0, not -0.0

    step = _engine_and_numba(loss, ([1.0, 1.0],), w)
    assert _spaced_dots(step) == 1


# ---------------------------------------------------------------- the template's rows ------
# The kernel runs each row of the template for every example in turn (``_per_example``) and
# adds a neuron's dot for four examples side by side (``dot_rows_forward`` in ``_DOT_ROWS``);
# backward it goes row by row only where no place outside the examples gets gradient from two
# rows (``_Tape.by_entry``).

def test_a_weight_two_rows_share_gets_its_gradient_example_by_example_as_the_engine():
    w = Parameter(1.0)

    def loss(X):
        return sum(w * x + w * y for x, y in X)

    # Added example by example, the 1.0 of the last example is lost against 1e16, then the
    # two large ones cancel: 1.0. Added row by row the large ones cancel first: 2.0.
    examples = [[1.0, -1e16], [1.0, 1e16]]
    step = _engine_and_numba(loss, (examples,), [w])
    assert not step._latest.replay.tape.by_entry
    assert repr(w.grad) == "1.0"


@pytest.mark.parametrize("batch", [2, 3, 6])
def test_a_model_whose_rows_share_weights_goes_back_example_by_example_bitwise(batch):
    model = nn.MLP(3, [4, 1], seed=11)
    shared = Parameter(0.75)

    def loss(X):
        return sum((model(x) + shared * x[0]).tanh() * shared for x in X)

    rows = [[0.3 * k - 1.0, 1e-3 * k, (-1.0) ** k * 2.5] for k in range(batch)]
    step = _engine_and_numba(loss, (rows,), [*model.parameters(), shared])
    assert not step._latest.replay.tape.by_entry


def test_rows_of_their_own_weights_go_back_row_by_row():
    model = nn.MLP(3, [4, 1], seed=3)

    def loss(X):
        return sum(model(x) for x in X)

    step = _engine_and_numba(loss, (ROWS,), model.parameters())
    assert step._latest.replay.tape.by_entry


@pytest.mark.parametrize("batch", [1, 3, 4, 5, 7, 8, 9])
def test_dots_side_by_side_and_the_examples_left_over_are_the_engines_bitwise(batch):
    model = nn.MLP(3, [6, 6, 1], seed=5)
    rows = [[(-1.0) ** k * (0.1 + 0.37 * k), 1e8 * k - 3.0, 0.25 / (1 + k)]
            for k in range(batch)]
    labels = [(-1.0) ** k for k in range(batch)]

    def loss(X, y):
        return dot([(1 + -t * model(x)).relu() for x, t in zip(X, y)], [1.0 / len(y)] * len(y))

    step = _engine_and_numba(loss, (rows, labels), model.parameters())
    assert _spacings(step) == {(1, 1)}
