"""IEEE-754 answers as in PyTorch, never an exception from arithmetic; detect_anomaly."""

from __future__ import annotations

import math

import pytest

from autograd import AnomalyError, Value, detect_anomaly

INF, NAN = math.inf, math.nan


@pytest.mark.parametrize("compute, expected", [
    (lambda: Value(1000.0).exp(), INF),
    (lambda: Value(-1000.0).exp(), 0.0),
    (lambda: Value(0.0).log(), -INF),
    (lambda: Value(-1.0).log(), NAN),
    (lambda: 1 / Value(0.0), INF),
    (lambda: -1 / Value(0.0), -INF),
    (lambda: 1 / Value(-0.0), -INF),
    (lambda: Value(0.0) / 0.0, NAN),
    (lambda: Value(-1.0).sqrt(), NAN),
    (lambda: Value(1e300) ** 2, INF),
    (lambda: Value(-1e300) ** 3, -INF),
    (lambda: Value(-8.0) ** (1 / 3), NAN),
    (lambda: Value(0.0) ** -1, INF),
    (lambda: Value(-0.0) ** -1, -INF),
    (lambda: Value(INF).sin(), NAN),
    (lambda: Value(INF).cos(), NAN),
    (lambda: Value(1e308) * 10, INF),
    (lambda: Value(INF) - INF, NAN),
    (lambda: Value(NAN).relu(), NAN),
    (lambda: Value(NAN).tanh(), NAN),
])
def test_arithmetic_gives_ieee_results_instead_of_raising(compute, expected):
    result = compute().data
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == expected and math.copysign(1, result) == math.copysign(1, expected)


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308])
@pytest.mark.parametrize("op", ["sigmoid", "tanh"])
def test_sigmoid_and_tanh_are_exact_with_finite_gradients_at_extremes(op, x):
    v = Value(x)
    out = getattr(v, op)()
    out.backward()
    saturated = 1.0 if x > 0 else (0.0 if op == "sigmoid" else -1.0)
    assert out.data == saturated
    assert v.grad == 0.0


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308, 40.0, -40.0, 0.0, -0.0])
def test_softplus_is_finite_and_accurate_in_both_tails(x):
    v = Value(x)
    out = v.softplus()
    out.backward()
    # ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), the last term as log1p keeps it
    assert out.data == max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    assert v.grad == (1 / (1 + math.exp(-x)) if x > -700 else 0.0)  # the sigmoid


def test_softplus_keeps_a_tiny_loss_that_ln_of_one_plus_would_round_away():
    assert math.log(1 + math.exp(-40.0)) == 0.0
    assert Value(-40.0).softplus().data == pytest.approx(4.248354255291589e-18, rel=1e-15)


def test_sigmoid_is_accurate_far_in_the_negative_tail():
    assert Value(-700.0).sigmoid().data == pytest.approx(math.exp(-700.0), rel=1e-12)


def test_gradients_of_edge_cases_follow_ieee_too():
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == INF
    y = Value(0.0)
    y.log().backward()
    assert y.grad == INF


def test_anomaly_mode_names_the_forward_operation_and_its_inputs():
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"log\(0\.0\) = -inf"):
        Value(0.0).log()


def test_anomaly_mode_catches_the_first_nan_in_a_longer_expression():
    x = Value(-2.0)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"sqrt\(-2\.0\) = nan"):
        (x * 3 + 1).relu() + x.sqrt() * 2


def test_anomaly_mode_names_the_backward_operation():
    x = Value(0.0, label="x")
    y = x.sqrt()  # sqrt(0) = 0 is finite; its derivative 1/(2 sqrt 0) is not
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"backward through sqrt\(0\.0\).*'x'"):
        y.backward()


def test_without_anomaly_mode_nothing_raises():
    x = Value(0.0)
    y = x.sqrt() + x.log()
    y.backward()
    assert math.isinf(y.data)


def test_anomaly_mode_ends_with_its_block():
    with detect_anomaly():
        pass
    assert Value(0.0).log().data == -INF


def test_a_backward_stopped_by_an_anomaly_leaves_every_grad_as_it_was():
    x, z = Value(1.0, label="x"), Value(0.0, label="z")
    x.grad = 5.0
    y = x * 2 + z.sqrt()
    with detect_anomaly(), pytest.raises(AnomalyError):
        y.backward()
    assert (x.grad, z.grad, y.grad) == (5.0, 0.0, 0.0)
