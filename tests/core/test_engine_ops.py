"""Every operation's value and local derivative: against its formula, and against central
differences over many random inputs kept inside the function's domain."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, dot

# name -> (apply to a Value, float value formula, derivative formula, domain (lo, hi))
UNARY = {
    "neg": (lambda x: -x, lambda x: -x, lambda x: -1.0, (-10, 10)),
    "abs": (abs, abs, lambda x: math.copysign(1.0, x), (0.01, 10)),
    "exp": (Value.exp, math.exp, math.exp, (-20, 20)),
    "log": (Value.log, math.log, lambda x: 1 / x, (0.05, 100)),
    "tanh": (Value.tanh, math.tanh, lambda x: 1 - math.tanh(x) ** 2, (-5, 5)),
    "sigmoid": (Value.sigmoid, lambda x: 1 / (1 + math.exp(-x)),
                lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, (-10, 10)),
    "relu": (Value.relu, lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0, (0.01, 10)),
    "softplus": (Value.softplus, lambda x: math.log(1 + math.exp(x)),
                 lambda x: 1 / (1 + math.exp(-x)), (-10, 10)),
    "sin": (Value.sin, math.sin, math.cos, (-10, 10)),
    "cos": (Value.cos, math.cos, lambda x: -math.sin(x), (-10, 10)),
    "sqrt": (Value.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x), (0.05, 100)),
    "square": (lambda x: x ** 2, lambda x: x * x, lambda x: 2 * x, (-10, 10)),
    "cube root": (lambda x: x ** (1 / 3), lambda x: x ** (1 / 3),
                  lambda x: x ** (-2 / 3) / 3, (0.05, 50)),
    "reciprocal": (lambda x: x ** -1, lambda x: 1 / x, lambda x: -1 / x ** 2, (0.1, 10)),
}

# name -> (apply, value formula, (d/da, d/db) formulas, domain of a, domain of b)
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0), (-10, 10), (-10, 10)),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0), (-10, 10), (-10, 10)),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a), (-10, 10), (-10, 10)),
    "/": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2),
          (-10, 10), (0.2, 10)),
    "**": (lambda a, b: a ** b, lambda a, b: a ** b,
           lambda a, b: (b * a ** (b - 1), a ** b * math.log(a)), (0.1, 5), (-3, 3)),
}


def central_difference(f, x: float) -> float:
    h = 1e-6 * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def local_derivative(apply, x: float) -> float:
    v = Value(x)
    apply(v).backward()
    return v.grad


def in_domain(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", UNARY)
def test_unary_value_and_derivative_match_their_formulas(name):
    apply, value, derivative, (lo, hi) = UNARY[name]
    for x in (lo, (lo + hi) / 2, hi, lo + (hi - lo) / 3):
        out = apply(Value(x))
        assert out.data == pytest.approx(value(x), rel=1e-12, abs=1e-12)
        assert local_derivative(apply, x) == pytest.approx(derivative(x), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", UNARY)
def test_unary_derivative_matches_central_differences(name):
    apply, _, _, (lo, hi) = UNARY[name]

    @given(in_domain(lo, hi))
    def check(x):
        numeric = central_difference(lambda t: apply(Value(t)).data, x)
        assert local_derivative(apply, x) == pytest.approx(numeric, rel=1e-4, abs=1e-6)

    check()


@pytest.mark.parametrize("name", BINARY)
def test_binary_value_and_derivatives_match_their_formulas(name):
    apply, value, derivatives, (alo, ahi), (blo, bhi) = BINARY[name]
    for a, b in ((alo, bhi), (ahi, blo), ((alo + ahi) / 3, (blo + bhi) / 3)):
        va, vb = Value(a), Value(b)
        out = apply(va, vb)
        out.backward()
        assert out.data == pytest.approx(value(a, b), rel=1e-12, abs=1e-12)
        da, db = derivatives(a, b)
        assert (va.grad, vb.grad) == (pytest.approx(da, rel=1e-9, abs=1e-12),
                                      pytest.approx(db, rel=1e-9, abs=1e-12))


@pytest.mark.parametrize("name", BINARY)
def test_binary_derivatives_match_central_differences(name):
    apply, _, _, (alo, ahi), (blo, bhi) = BINARY[name]

    @given(in_domain(alo, ahi), in_domain(blo, bhi))
    def check(a, b):
        va, vb = Value(a), Value(b)
        apply(va, vb).backward()
        da = central_difference(lambda t: apply(Value(t), Value(b)).data, a)
        db = central_difference(lambda t: apply(Value(a), Value(t)).data, b)
        assert va.grad == pytest.approx(da, rel=1e-4, abs=1e-6)
        assert vb.grad == pytest.approx(db, rel=1e-4, abs=1e-6)

    check()


@pytest.mark.parametrize("name", BINARY)
def test_binary_operators_accept_a_plain_number_on_either_side(name):
    apply, value, derivatives, (alo, ahi), (blo, bhi) = BINARY[name]
    a, b = (alo + ahi) / 2 + 0.25, (blo + bhi) / 2 + 0.5
    left, right = Value(a), Value(b)
    on_left = apply(left, b)
    on_right = apply(a, right)
    on_left.backward()
    on_right.backward()
    assert on_left.data == pytest.approx(value(a, b))
    assert on_right.data == pytest.approx(value(a, b))
    da, db = derivatives(a, b)
    assert left.grad == pytest.approx(da)
    assert right.grad == pytest.approx(db)


def test_a_plain_number_becomes_a_constant_leaf_parent():
    x = Value(3.0)
    y = 2 * x
    constant, same = y.parents
    assert same is x and constant.data == 2.0 and constant.op == "" and constant.parents == ()


def test_power_with_a_number_exponent_names_it_in_the_op_and_has_one_parent():
    x = Value(3.0)
    assert (x ** 2).op == "**2"
    assert (x ** 0.5).op == "**0.5"
    assert (x ** 2).parents == (x,)


def test_power_with_a_value_exponent_has_both_parents():
    a, b = Value(2.0), Value(3.0)
    out = a ** b
    assert out.op == "**" and out.parents == (a, b) and out.data == 8.0


def test_number_to_the_power_of_a_value():
    x = Value(3.0)
    y = 2 ** x
    y.backward()
    assert y.data == 8.0
    assert x.grad == pytest.approx(8.0 * math.log(2.0))


def test_power_with_zero_exponent_has_zero_derivative_even_at_zero():
    x = Value(0.0)
    y = x ** 0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)


def test_power_derivative_toward_the_exponent_is_zero_at_base_zero():
    # d/db 0^b = 0^b ln 0 is 0 * -inf; PyTorch masks it to 0 where the base is 0 and b >= 0.
    a, b = Value(0.0), Value(2.0)
    (a ** b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)


@pytest.mark.parametrize("base, exponent, expected", [
    (0.0, -math.inf, math.inf), (-0.0, -math.inf, math.inf),  # Python 3.10's pow raises here
    (0.0, -1.0, math.inf), (-0.0, -3.0, -math.inf), (-0.0, -2.0, math.inf),
    (-10.0, 401.0, -math.inf), (-10.0, 400.0, math.inf), (10.0, 1e300, math.inf),
    (-2.0, 0.5, math.nan), (-0.0, -0.5, math.inf),
])
def test_power_gives_ieee_results_where_math_pow_raises_on_every_python(base, exponent, expected):
    # Value ** Value carries the float results the rules document (C99's pow), not an exception.
    out = Value(base) ** Value(exponent)
    assert repr(out.data) == repr(expected)


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    abs(x).backward()
    assert x.grad == 0.0


def test_sigmoid_derivative_is_s_times_one_minus_s():
    # Lectures 000, 001, 003: sigma'(x) = sigma(x) (1 - sigma(x)).
    for x in (-3.0, -0.5, 0.0, 0.7, 4.0):
        v = Value(x)
        s = v.sigmoid()
        s.backward()
        assert v.grad == pytest.approx(s.data * (1 - s.data), rel=1e-12)


def test_dot_is_one_node_with_the_sum_of_products_and_bias():
    w = [Value(2.0), Value(-1.0)]
    x = [3.0, 4.0]
    b = Value(0.5)
    out = dot(w, x, b)
    out.backward()
    assert out.op == "dot" and out.data == 2.5
    assert len(out.parents) == 5
    assert [p.grad for p in w] == [3.0, 4.0]
    assert b.grad == 1.0


def test_dot_derivatives_match_central_differences():
    @given(st.lists(in_domain(-5, 5), min_size=1, max_size=6), in_domain(-5, 5))
    def check(numbers, bias):
        ws = [Value(n) for n in numbers]
        xs = [Value(n / 2 + 1) for n in numbers]
        dot(ws, xs, bias).backward()
        for i, (w, x) in enumerate(zip(ws, xs)):
            assert w.grad == pytest.approx(x.data)
            assert x.grad == pytest.approx(w.data)
            numeric = central_difference(
                lambda t, i=i: dot(
                    [Value(t) if j == i else Value(n) for j, n in enumerate(numbers)],
                    [v.data for v in xs], bias).data,
                numbers[i])
            assert w.grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)

    check()


def test_dot_refuses_sequences_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        dot([Value(1.0)], [1.0, 2.0])
