"""The lecture notes' worked examples, as test vectors for the engine."""

from __future__ import annotations

import math

import pytest

from autograd import Value, grad


def test_multivariable_chain_rule_linear_example_gives_41():
    # Notes 003: g1 = 3x, g2 = 5x, f = 2 z1 + 7 z2:  df/dx = 2*3 + 7*5 = 41.
    x = Value(1.7, label="x")
    z1 = 3 * x
    z2 = 5 * x
    f = 2 * z1 + 7 * z2
    f.backward()
    assert x.grad == 41.0


def test_multivariable_chain_rule_sin_and_cube_example():
    # Notes 003: z1 = sin x, z2 = x^3, y = z1^4 e^z2 + 5 z1 + 7 z2.
    #   dy/dx = dy/dz1 dz1/dx + dy/dz2 dz2/dx
    #         = (4 z1^3 e^z2 + 5) cos x + (z1^4 e^z2 + 7) 3x^2
    for x0 in (-1.2, 0.3, 0.9):
        x = Value(x0)
        z1 = x.sin()
        z2 = x ** 3
        y = z1 ** 4 * z2.exp() + 5 * z1 + 7 * z2
        y.backward()
        s, c, e = math.sin(x0), math.cos(x0), math.exp(x0 ** 3)
        expected = (4 * s ** 3 * e + 5) * c + (s ** 4 * e + 7) * 3 * x0 ** 2
        assert x.grad == pytest.approx(expected, rel=1e-12)
        assert z1.grad == pytest.approx(4 * s ** 3 * e + 5, rel=1e-12)
        assert z2.grad == pytest.approx(s ** 4 * e + 7, rel=1e-12)


def test_multivariable_chain_rule_product_example():
    # Notes 003: y = z1 z2 with z1 = sin x, z2 = x^3:  dy/dx = z2 cos x + z1 3x^2.
    x0 = 0.8
    dy = grad(lambda x: x.sin() * x ** 3)(x0)
    assert dy == pytest.approx(x0 ** 3 * math.cos(x0) + math.sin(x0) * 3 * x0 ** 2, rel=1e-12)


def test_network_optimization_sums_both_paths_into_z1():
    # Notes 003 "Network Optimization": z1 = f1(wA, x), z2 = f2(wB, z1), z3 = f3(wC, z1),
    # J = z4 = f4(wD, wE, z2, z3), with
    #   dJ/dz1 = dJ/dz2 dz2/dz1 + dJ/dz3 dz3/dz1.
    x, wA, wB, wC, wD, wE = (Value(v) for v in (0.5, 1.5, -2.0, 0.7, 1.1, -0.4))
    z1 = (wA * x).tanh()
    z2 = wB * z1
    z3 = (wC * z1).sigmoid()
    J = wD * z2 + wE * z3
    J.backward()
    dJ_dz2, dJ_dz3 = wD.data, wE.data
    dz3_dz1 = z3.data * (1 - z3.data) * wC.data
    assert z1.grad == pytest.approx(dJ_dz2 * wB.data + dJ_dz3 * dz3_dz1, rel=1e-12)
    assert wA.grad == pytest.approx(z1.grad * (1 - z1.data ** 2) * x.data, rel=1e-12)
    assert (wD.grad, wE.grad) == (pytest.approx(z2.data), pytest.approx(z3.data))


def test_the_classic_neuron():
    # o = tanh(x1 w1 + x2 w2 + b) with b chosen so that n = 0.8814 and o = 1/sqrt(2).
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert n.grad == pytest.approx(0.5)  # 1 - o^2
    assert (x1.grad, w1.grad, x2.grad, w2.grad, b.grad) == (
        pytest.approx(-1.5), pytest.approx(1.0), pytest.approx(0.5), pytest.approx(0.0),
        pytest.approx(0.5))


def test_sigmoid_neuron_with_squared_error_matches_the_lecture_formula():
    # Notes 000/004: for a = s(w x + b) and C = (a - y)^2,  dC/dw = 2 (a - y) a (1 - a) x.
    w, b = Value(0.4), Value(-0.1)
    x, y = 1.5, 1.0
    a = (w * x + b).sigmoid()
    C = (a - y) ** 2
    C.backward()
    assert w.grad == pytest.approx(2 * (a.data - y) * a.data * (1 - a.data) * x, rel=1e-12)


def test_bce_through_a_sigmoid_has_gradient_y_hat_minus_y_times_x():
    # Notes 000: L = -[y log y_hat + (1 - y) log(1 - y_hat)], y_hat = s(w x): dL/dw = (y_hat - y) x
    for y in (0.0, 1.0):
        w = Value(0.3)
        x = 2.5
        y_hat = (w * x).sigmoid()
        L = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())
        L.backward()
        assert w.grad == pytest.approx((y_hat.data - y) * x, rel=1e-9)


def test_logistic_regression_on_28_by_28_images_into_10_classes_has_7850_parameters():
    # Notes 003, poll 1: 784 pixels into 10 classes, biases included: 10 * 784 + 10 (answer D).
    import nn

    model = nn.Layer(784, 10, activation="linear")
    assert len(model.parameters()) == 10 * 784 + 10 == 7850
    assert repr(model) == "Layer(784 -> 10, linear; 7850 parameters)"
