"""Second derivatives (create_graph=True) and the functional grad / value_and_grad."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, gradcheck, no_grad, numerical_grad, value_and_grad

# f, f'' and a domain inside which both are smooth
SECOND = {
    "cube": (lambda x: x ** 3, lambda x: 6 * x, (-3, 3)),
    "exp": (lambda x: x.exp(), math.exp, (-3, 3)),
    "log": (lambda x: x.log(), lambda x: -1 / x ** 2, (0.2, 5)),
    "tanh": (lambda x: x.tanh(), lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2), (-3, 3)),
    "sigmoid": (lambda x: x.sigmoid(),
                lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s), (-4, 4)),
    "sin": (lambda x: x.sin(), lambda x: -math.sin(x), (-3, 3)),
    "cos": (lambda x: x.cos(), lambda x: -math.cos(x), (-3, 3)),
    "sqrt": (lambda x: x.sqrt(), lambda x: -0.25 * x ** -1.5, (0.2, 5)),
    "reciprocal": (lambda x: 1 / x, lambda x: 2 / x ** 3, (0.3, 5)),
    "quotient": (lambda x: x / (x * x + 1), lambda x: (2 * x ** 3 - 6 * x) / (x * x + 1) ** 3,
                 (-3, 3)),
    "x^x": (lambda x: x ** x,
            lambda x: x ** x * ((math.log(x) + 1) ** 2 + 1 / x), (0.3, 3)),
    "abs*x": (lambda x: abs(x) * x, lambda x: 2 * math.copysign(1, x), (0.1, 3)),
    "relu^2": (lambda x: x.relu() ** 2, lambda x: 2.0, (0.1, 3)),
    "neg-sub": (lambda x: -(x * x) - x, lambda x: -2.0, (-3, 3)),
}


@pytest.mark.parametrize("name", SECOND)
def test_second_derivative_through_create_graph_matches_formula(name):
    f, f2, (lo, hi) = SECOND[name]

    @given(st.floats(lo, hi))
    def check(x0):
        x = Value(x0)
        f(x).backward(create_graph=True)
        first = x.grad
        assert isinstance(first, Value)
        x.grad = 0.0
        first.backward()
        assert x.grad == pytest.approx(f2(x0), rel=1e-6, abs=1e-9)

    check()


@pytest.mark.parametrize("name", SECOND)
def test_grad_of_grad_is_the_second_derivative(name):
    f, f2, (lo, hi) = SECOND[name]
    x0 = lo + (hi - lo) * 0.37
    assert grad(grad(f))(x0) == pytest.approx(f2(x0), rel=1e-6, abs=1e-9)


def test_third_derivative_by_nesting():
    f = lambda x: x.sin() * x ** 2
    x0 = 0.7
    expected = -x0 ** 2 * math.cos(x0) - 6 * x0 * math.sin(x0) + 6 * math.cos(x0)
    assert grad(grad(grad(f)))(x0) == pytest.approx(expected, rel=1e-9)


def test_default_backward_keeps_grads_as_plain_floats():
    x = Value(2.0)
    (x * x).backward()
    assert type(x.grad) is float


def test_grad_of_a_function_of_two_arguments():
    f = lambda x, y: x * y + y.exp()
    assert grad(f)(2.0, 0.5) == 0.5
    assert grad(f, argnums=1)(2.0, 0.5) == pytest.approx(2.0 + math.exp(0.5))
    dx, dy = grad(f, argnums=(0, 1))(2.0, 0.5)
    assert (dx, dy) == (0.5, pytest.approx(2.0 + math.exp(0.5)))


def test_value_and_grad_returns_both():
    value, derivative = value_and_grad(lambda x: x ** 2 + 1)(3.0)
    assert (value, derivative) == (10.0, 6.0)


def test_grad_leaves_value_arguments_grad_untouched():
    x = Value(3.0)
    assert grad(lambda t: t * t)(x).data == 6.0
    assert x.grad == 0.0


def test_grad_of_a_function_not_depending_on_its_argument_is_zero():
    assert grad(lambda x: Value(5.0))(1.0) == 0.0
    assert grad(lambda x, y: y * 2, argnums=0)(1.0, 3.0) == 0.0


def test_second_derivative_of_a_function_with_a_constant_first_derivative_is_zero():
    assert grad(grad(lambda x: x + 1))(2.0) == 0.0
    assert grad(grad(lambda x: 3 * x - x))(2.0) == 0.0
    assert grad(grad(grad(lambda x: x * x)))(2.0) == 0.0


def test_mixed_partial_derivatives_by_nesting():
    # d^2/dx dy of x^2 y^3 = 6 x y^2
    f = lambda x, y: x ** 2 * y ** 3
    dfdx = grad(f, 0)
    d2 = grad(lambda x, y: dfdx(x, y), 1)(1.5, 2.0)
    assert d2 == pytest.approx(6 * 1.5 * 2.0 ** 2)


def test_newtons_method_with_grad_of_grad_finds_a_minimum():
    f = lambda x: (x - 2.0) ** 4 + (x - 2.0) ** 2 + x.exp() * 0.01
    x = 0.0
    for _ in range(30):
        x = x - grad(f)(x) / grad(grad(f))(x)
    assert abs(grad(f)(x)) < 1e-10
    assert numerical_grad(lambda t: f(t), x) == pytest.approx(0.0, abs=1e-6)


def test_bad_argnums_and_results_are_refused_clearly():
    with pytest.raises(IndexError, match="argnums 3 is out of range"):
        grad(lambda x: x, 3)(1.0)
    with pytest.raises(ValueError, match="argnums is empty"):
        grad(lambda x: x, ())
    with pytest.raises(TypeError, match="return a scalar"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match="str"):
        grad(lambda x: x)("1.0")


def test_grad_inside_no_grad_still_differentiates():
    with no_grad():
        assert grad(lambda x: x ** 3)(2.0) == 12.0


def test_gradcheck_and_numerical_grad_of_a_derivative_check_the_second_derivative():
    f = lambda x: x.sin() * x ** 2
    second = 2 * math.sin(0.7) + 4 * 0.7 * math.cos(0.7) - 0.7 ** 2 * math.sin(0.7)
    assert numerical_grad(grad(f), 0.7) == pytest.approx(second, rel=1e-6)
    assert gradcheck(grad(f), 0.7)


def test_an_inner_grad_of_numbers_still_depends_on_the_outer_variable():
    # d/dx [x * d/dy (x y)] = d/dx [x * x] = 2x
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0) == 6.0


def test_the_same_value_in_two_arguments_gets_a_partial_derivative():
    # d/da (a b) = b, even when a and b are the same x: then d/dx of that is 1
    assert grad(lambda x: grad(lambda a, b: a * b, argnums=0)(x, x))(3.0) == 1.0
    x = Value(3.0)
    assert grad(lambda a, b: a * b, argnums=0)(x, x).data == 3.0


def test_grad_with_negative_and_repeated_argnums():
    f = lambda x, y: x * y ** 2
    assert grad(f, argnums=-1)(2.0, 3.0) == 12.0
    assert grad(f, argnums=(1, 1))(2.0, 3.0) == (12.0, 12.0)
