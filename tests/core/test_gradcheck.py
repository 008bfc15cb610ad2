"""numerical_grad (central differences) and gradcheck's report."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, custom_op, gradcheck, numerical_grad


def test_numerical_grad_of_one_argument_is_a_float():
    d = numerical_grad(lambda x: x ** 3, 2.0)
    assert isinstance(d, float) and d == pytest.approx(12.0, rel=1e-8)


def test_numerical_grad_of_several_arguments_is_a_tuple():
    dx, dy = numerical_grad(lambda x, y: x * y.exp(), 2.0, 0.5)
    assert dx == pytest.approx(math.exp(0.5)) and dy == pytest.approx(2 * math.exp(0.5))


def test_central_differences_are_second_order_accurate():
    # error ~ h^2 f'''/6: for e^x at 0 with h = 1e-3 that is ~1.7e-7, against ~5e-4 one-sided.
    d = numerical_grad(lambda x: x.exp(), 0.0, eps=1e-3)
    assert abs(d - 1.0) < 2e-7


def test_numerical_grad_accepts_functions_returning_numbers_and_value_arguments():
    assert numerical_grad(lambda x: 7.0, 1.0) == 0.0
    assert numerical_grad(lambda x: x * 2, Value(1.0)) == pytest.approx(2.0)


def test_numerical_grad_refuses_bad_steps_and_missing_arguments():
    with pytest.raises(ValueError, match="positive"):
        numerical_grad(lambda x: x, 1.0, eps=0.0)
    with pytest.raises(TypeError, match="at least one argument"):
        numerical_grad(lambda: 1.0)


@given(st.floats(-3, 3), st.floats(0.5, 3))
def test_gradcheck_passes_on_correct_gradients(x, y):
    report = gradcheck(lambda a, b: (a * b).tanh() + b.log() * a.sin(), x, y)
    assert report, str(report)


def test_gradcheck_catches_a_wrong_derivative():
    def buggy_sin(x):  # a classic slip: d/dx sin x written as -cos x
        return custom_op("buggy_sin", math.sin(x.data), (x,), (-math.cos(x.data),))

    report = gradcheck(lambda x: buggy_sin(x) * 2, 0.3)
    assert not report
    assert "MISMATCH" in str(report)
    assert report.max_relative_error == pytest.approx(2.0)  # |a - n| / max(|a|, |n|), a = -n


def test_gradcheck_confirms_a_correct_custom_derivative():
    def my_sigmoid(x):
        s = 1 / (1 + math.exp(-x.data))
        return custom_op("my_sigmoid", s, (x,), (s * (1 - s),))

    assert gradcheck(lambda x: my_sigmoid(x * 3), 0.2)


def test_custom_op_refuses_bad_definitions():
    x = Value(1.0)
    with pytest.raises(ValueError, match="one derivative per parent"):
        custom_op("f", 1.0, (x,), (1.0, 2.0))
    with pytest.raises(TypeError, match="parents must be Values"):
        custom_op("f", 1.0, (1.0,), (1.0,))
    with pytest.raises(ValueError, match="built-in"):
        custom_op("tanh", 1.0, (x,), (1.0,))


def test_second_derivative_through_a_custom_op_is_refused_clearly():
    x = Value(1.0)
    y = custom_op("square", 1.0, (x,), (2.0,))
    with pytest.raises(RuntimeError, match="custom operation 'square'"):
        y.backward(create_graph=True)


def test_gradcheck_report_prints_a_table_with_relative_errors():
    x = Value(0.5, label="x")
    report = gradcheck(lambda a, b: a * b, x, 2.0)
    text = str(report)
    lines = text.splitlines()
    assert lines[0].split() == ["input", "analytic", "numerical", "rel.", "error"]
    assert lines[1].split()[0] == "x" and lines[2].split()[0] == "x1"
    assert "gradients agree" in lines[-1]
    assert len(report.rows) == 2 and report.rows[0].relative_error < 1e-8


def test_gradcheck_tolerances_decide():
    f = lambda x: x.exp()
    assert gradcheck(f, 1.0)
    assert not gradcheck(f, 1.0, rtol=0.0, atol=0.0, eps=1e-2)


def test_numerical_grad_divides_by_the_step_actually_taken():
    # At 1e10 the floats are 1.9e-6 apart: x +- 1e-6 round, and the step is not 2e-6. (f keeps
    # its output small, so that only the input's rounding is at stake.)
    assert numerical_grad(lambda x: x - 1e10, 1e10) == 1.0
    assert gradcheck(lambda x: x - 1e10, 1e10)


def test_numerical_grad_refuses_a_step_lost_to_rounding():
    with pytest.raises(ValueError, match="too small for argument 0"):
        numerical_grad(lambda x: x * 3, 1e17)


@pytest.mark.parametrize("eps", [math.inf, math.nan, -1e-6])
def test_numerical_grad_refuses_steps_that_are_not_positive_and_finite(eps):
    with pytest.raises(ValueError, match="positive, finite"):
        numerical_grad(lambda x: x, 1.0, eps=eps)


def test_gradcheck_counts_equal_infinities_as_agreeing_and_nan_as_not():
    agree = gradcheck(lambda x: custom_op("inf_slope", 0.0, (x,), (math.inf,)) + x * 0, 1.0)
    assert not agree  # the numerical slope of a constant 0 is 0, not inf
    report = gradcheck(lambda x: x * 2, 1.0)
    assert report.rows[0].relative_error < 1e-9
    nan_report = gradcheck(lambda x: custom_op("nan_slope", x.data, (x,), (math.nan,)), 1.0)
    assert not nan_report and nan_report.rows[0].relative_error == math.inf


def test_gradcheck_needs_an_argument():
    with pytest.raises(TypeError, match="at least one argument"):
        gradcheck(lambda: Value(1.0))
