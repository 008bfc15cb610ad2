"""The hard threshold (notes 003): g(z) = 1 for z >= 0, else 0, with dg/dz = 0. Networks of
step units compute, and approximate functions, but gradient descent cannot train them."""

from __future__ import annotations

import math

import pytest

import nn
from autograd import Value
from nn import MLP, SGD, Layer, Neuron


@pytest.mark.parametrize("z, g", [(-2.0, 0.0), (-1e-12, 0.0), (0.0, 1.0), (1e-12, 1.0), (3.0, 1.0)])
def test_a_step_neuron_outputs_one_from_zero_up_and_zero_below(z, g):
    neuron = Neuron(1, "step", seed=0)
    neuron.w[0].data, neuron.b.data = 1.0, 0.0
    assert neuron([z]).data == g


def test_no_gradient_flows_back_through_a_step_unit():
    neuron = Neuron(2, "step", seed=0)
    x = [Value(0.5), Value(-1.0)]
    neuron(x).backward()
    assert [w.grad for w in neuron.w] + [neuron.b.grad, x[0].grad, x[1].grad] == [0.0] * 5


def test_gradient_descent_trains_only_the_linear_output_layer_of_a_step_network():
    X, y = nn.data.make_regression_1d(20, seed=0)
    model = MLP(1, [6, 1], activation="step", seed=0)
    hidden = [p.data for p in model.layers[0].parameters()]
    output = [p.data for p in model.layers[1].parameters()]
    nn.fit(model, X, y, loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=5,
           progress=False)
    assert [p.data for p in model.layers[0].parameters()] == hidden
    assert [p.data for p in model.layers[1].parameters()] != output


def test_step_units_placed_by_hand_approximate_a_function_as_a_staircase():
    # Notes 003, "design a network to approximate this function using step units": hidden unit
    # i steps up at t_i (w = 1, b = -t_i); its output weight is the rise f(t_i) - f(t_i-1).
    def staircase(n: int) -> MLP:
        ts = [-3.0 + 6.0 * i / n for i in range(n)]
        model = MLP(1, [n, 1], activation="step", seed=0)
        out = model.layers[1].neurons[0]
        previous = 0.0
        for neuron, w_out, t in zip(model.layers[0].neurons, out.w, ts):
            neuron.w[0].data, neuron.b.data = 1.0, -t
            w_out.data, previous = math.sin(t) - previous, math.sin(t)
        out.b.data = 0.0
        return model

    xs = [-3.0 + 6.0 * i / 300 for i in range(300)]
    errors = [max(abs(staircase(n)([x]).data - math.sin(x)) for x in xs) for n in (4, 16, 64)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 6.0 / 64  # at most one step's width times the largest slope, 1


def test_step_is_an_activation_of_neurons_layers_and_mlps():
    assert Layer(2, 3, activation="step", seed=0).activation == "step"
    model = MLP(2, [3, 1], activation="step", output_activation="step", seed=0)
    assert [layer.activation for layer in model.layers] == ["step", "step"]
    assert "hidden layer 1 (step)" in nn.draw_network(MLP(2, [3, 1], activation="step")).source
