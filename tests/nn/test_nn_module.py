"""nn modules: shapes, parameter names, activations, seeded initialisation, gradients."""

from __future__ import annotations

import math
import random

import pytest

from autograd import Value, numerical_grad
from nn import MLP, Dropout, Layer, Module, Neuron


def test_micrograd_shape_mlp_has_337_parameters():
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(2, 16), (16, 16), (16, 1)]
    assert all(len(n.w) == layer.nin for layer in model.layers for n in layer.neurons)


def test_parameter_names_are_dotted_paths_with_one_based_weights():
    model = MLP(2, [16, 16, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w1", "layers.0.neurons.0.w2",
                         "layers.0.neurons.0.b"]
    assert "layers.0.neurons.3.w1" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert "layers.1.neurons.15.w16" in names
    assert len(set(names)) == len(names) == 337


def test_parameter_labels_are_their_names_so_pictures_can_show_them():
    model = MLP(3, [4, 2], seed=0)
    assert all(p.label == name for name, p in model.named_parameters())


def test_named_parameters_and_parameters_list_the_same_values_in_order():
    model = MLP(2, [3, 1], seed=0)
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_neuron_and_layer_name_their_own_parameters():
    assert [name for name, _ in Neuron(2, seed=0).named_parameters()] == ["w1", "w2", "b"]
    assert [name for name, _ in Layer(2, 2, seed=0).named_parameters()] == [
        "neurons.0.w1", "neurons.0.w2", "neurons.0.b",
        "neurons.1.w1", "neurons.1.w2", "neurons.1.b"]


@pytest.mark.parametrize("activation, g", [
    ("relu", lambda z: max(0.0, z)),
    ("tanh", math.tanh),
    ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
    ("linear", lambda z: z),
])
def test_neuron_computes_activation_of_w_dot_x_plus_b(activation, g):
    neuron = Neuron(3, activation, seed=1)
    neuron.b.data = 0.25
    x = [0.5, -1.5, 2.0]
    z = sum(w.data * xi for w, xi in zip(neuron.w, x)) + 0.25
    assert neuron(x).data == pytest.approx(g(z), rel=1e-12, abs=1e-15)


def test_neuron_pre_activation_is_one_dot_node():
    out = Neuron(2, "tanh", seed=0)([1.0, 2.0])
    assert out.op == "tanh"
    assert out.parents[0].op == "dot"
    assert Neuron(2, "linear", seed=0)([1.0, 2.0]).op == "dot"


def test_hidden_layers_use_the_activation_and_the_output_layer_is_linear():
    model = MLP(2, [4, 4, 3], activation="tanh", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]
    outputs = model([0.3, -0.7])
    assert all(out.op == "dot" for out in outputs)


def test_one_output_gives_a_value_and_several_give_a_list():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert all(isinstance(o, Value) for o in out)


def test_a_one_neuron_hidden_layer_feeds_the_next_layer():
    assert isinstance(MLP(2, [1, 1], seed=0)([1.0, 2.0]), Value)
    assert len(MLP(2, [1, 3], seed=0)([1.0, 2.0])) == 3


def test_a_one_neuron_layer_returns_its_value_as_micrograds_does():
    assert isinstance(Layer(2, 1, seed=0)([1.0, 2.0]), Value)


def test_a_layer_of_several_neurons_returns_a_list():
    out = Layer(2, 3, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_a_one_neuron_layers_value_feeds_a_one_input_layer():
    first, second = Layer(2, 1, seed=0), Layer(1, 2, seed=1)
    assert len(second(first([1.0, 2.0]))) == 2


def test_inputs_may_be_numbers_or_values_and_values_receive_gradients():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    x1, x2 = Value(0.5, label="x1"), Value(-0.2, label="x2")
    from_values = model([x1, x2])
    from_numbers = model([0.5, -0.2])
    assert from_values.data == from_numbers.data
    from_values.backward()
    assert x1.grad != 0.0 and x2.grad != 0.0


def test_number_inputs_become_one_shared_node_per_input():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -0.2])
    first_layer = [dot_node for dot_node in _dot_nodes(out) if len(dot_node.parents) == 5]
    inputs = {id(p) for node in first_layer for p in node.parents if p.label in ("x1", "x2")}
    assert len(first_layer) == 3 and len(inputs) == 2


def _dot_nodes(root):
    from autograd import topological_order
    return [n for n in topological_order(root) if n.op == "dot"]


def test_one_input_may_be_a_plain_number():
    model = MLP(1, [4, 1], seed=0)
    assert model(0.5).data == model([0.5]).data


def test_wrong_number_of_inputs_is_refused_with_the_expected_count():
    with pytest.raises(ValueError, match="takes 2 inputs per example, got 3"):
        MLP(2, [4, 1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="list of 2 inputs"):
        MLP(2, [4, 1], seed=0)(1.0)
    with pytest.raises(ValueError, match="takes 3 inputs"):
        Neuron(3, seed=0)([1.0])


@pytest.mark.parametrize("make, message", [
    (lambda: MLP(2, 16), "nouts"),
    (lambda: MLP(2, []), "nouts"),
    (lambda: MLP(0, [1]), "nin"),
    (lambda: MLP(2, [4, 0]), "layer size"),
    (lambda: MLP(2, [4, 1], activation="softmax"), "activation"),
    (lambda: Neuron(2, init="gaussian"), "init"),
    (lambda: Layer(2, 0), "nout"),
])
def test_bad_constructor_arguments_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_seed_type_is_refused():
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [1], seed="zero")


def test_same_seed_gives_the_same_parameters():
    a = MLP(2, [8, 8, 1], seed=42)
    b = MLP(2, [8, 8, 1], seed=42)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_different_seeds_give_different_parameters():
    a = MLP(2, [8, 1], seed=1)
    b = MLP(2, [8, 1], seed=2)
    assert [p.data for p in a.parameters()] != [p.data for p in b.parameters()]


def test_a_seeded_initialisation_leaves_the_global_random_state_alone():
    random.seed(1234)
    state = random.getstate()
    MLP(2, [16, 16, 1], seed=7)
    Neuron(3, seed=1)
    Layer(3, 2, seed=random.Random(2))
    assert random.getstate() == state


def test_without_a_seed_initialisation_draws_from_the_random_module():
    random.seed(1234)
    first = [p.data for p in MLP(2, [3, 1]).parameters()]
    random.seed(1234)
    assert [p.data for p in MLP(2, [3, 1]).parameters()] == first
    assert [p.data for p in MLP(2, [3, 1]).parameters()] != first


def test_a_shared_generator_is_drawn_from_in_order():
    rng = random.Random(5)
    first = Neuron(2, seed=rng)
    second = Neuron(2, seed=rng)
    expected = random.Random(5)
    assert [w.data for w in first.w + second.w] == [expected.uniform(-1, 1) for _ in range(4)]


def test_uniform_init_draws_weights_from_minus_one_to_one_and_zero_biases():
    model = MLP(4, [64, 1], seed=0)
    weights = [w.data for layer in model.layers for n in layer.neurons for w in n.w]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert max(abs(w) for w in weights) > 0.9
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)


def test_kaiming_init_scales_by_fan_in_and_activation_gain():
    model = MLP(50, [40, 1], seed=0, init="kaiming")
    hidden = [w.data for n in model.layers[0].neurons for w in n.w]
    relu_bound = math.sqrt(2.0) * math.sqrt(3.0 / 50)
    assert max(abs(w) for w in hidden) <= relu_bound
    assert max(abs(w) for w in hidden) > 0.95 * relu_bound
    output = [w.data for w in model.layers[1].neurons[0].w]
    assert max(abs(w) for w in output) <= math.sqrt(3.0 / 40)  # linear output: gain 1


def test_backprop_gradients_match_central_differences_on_every_parameter():
    model = MLP(2, [3, 2], activation="tanh", seed=3)
    x = [0.4, -0.9]

    def loss() -> Value:
        a, b = model(x)
        return a * a + b

    out = loss()
    out.backward()
    for p in model.parameters():
        saved = p.data

        def at(v, p=p):
            p.data = v.data
            return loss()

        estimate = numerical_grad(at, saved)
        p.data = saved
        assert p.grad == pytest.approx(estimate, rel=1e-6, abs=1e-9)


def test_zero_grad_resets_every_parameter_gradient():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repr_shows_the_layers_and_parameter_counts():
    text = repr(MLP(2, [16, 16, 1], seed=0))
    assert text.splitlines() == [
        "MLP(2 -> 16 -> 16 -> 1, relu; 337 parameters)",
        "  (layers.0): Layer(2 -> 16, relu; 48 parameters)",
        "  (layers.1): Layer(16 -> 16, relu; 272 parameters)",
        "  (layers.2): Layer(16 -> 1, linear; 17 parameters)",
    ]


@pytest.mark.parametrize("output_activation, shown", [(None, "linear"), ("tanh", "tanh")])
def test_the_repr_of_an_mlp_without_hidden_layers_names_its_only_activation(output_activation,
                                                                            shown):
    text = repr(MLP(2, [1], seed=0, output_activation=output_activation))
    assert text.splitlines()[0] == f"MLP(2 -> 1, {shown}; 3 parameters)"
    assert "relu" not in text


def test_the_repr_names_hidden_and_output_activations_apart():
    assert repr(MLP(2, [3, 1], seed=0, output_activation="sigmoid")).splitlines()[0] == (
        "MLP(2 -> 3 -> 1, relu, sigmoid output; 13 parameters)")


def test_neuron_repr_shows_its_weights():
    neuron = Neuron(2, "tanh", seed=0)
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = 0.5, -0.25, 1.0
    assert repr(neuron) == "Neuron(2 -> 1, tanh, w=[0.5, -0.25], b=1.0)"


class TwoHeads(Module):
    """A user-defined module: sub-modules and a Value as attributes."""

    def __init__(self) -> None:
        self.body = MLP(2, [3], seed=0)
        self.heads = [Neuron(3, "linear", seed=1), Neuron(3, "linear", seed=2)]
        self.scale = Value(2.0)
        self.label_parameters()

    def __call__(self, x):
        h = self.body(x)
        return [self.scale * head(h) for head in self.heads]


def test_custom_modules_find_parameters_in_attributes_lists_and_submodules():
    model = TwoHeads()
    names = [name for name, _ in model.named_parameters()]
    assert names[0] == "body.layers.0.neurons.0.w1"
    assert "heads.1.w3" in names and names[-1] == "scale"
    assert len(names) == 9 + 2 * 4 + 1
    assert model.scale.label == "scale"


class AliasedHead(Module):
    """A custom module that keeps a second name for its body's last layer."""

    def __init__(self) -> None:
        self.body = MLP(2, [3, 1], seed=0)
        self.head = self.body.layers[-1]
        self.label_parameters()

    def __call__(self, x):
        return self.body(x)


def test_a_shared_parameter_is_listed_once_under_its_first_name():
    model = AliasedHead()
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == len(model.body.parameters()) == 3 * 3 + 4
    assert len({id(p) for p in model.parameters()}) == len(names)
    assert names[-1] == "body.layers.1.neurons.0.b"
    assert not any(name.startswith("head.") for name in names)


def test_a_shared_parameter_keeps_the_label_of_its_first_name():
    model = AliasedHead()
    assert model.head.neurons[0].b.label == "body.layers.1.neurons.0.b"
    assert all(p.label == name for name, p in model.named_parameters())


def test_a_model_with_a_shared_parameter_can_be_optimized():
    from nn import SGD
    model = AliasedHead()
    SGD(model.parameters(), lr=0.1)  # would refuse a parameter listed twice


@pytest.mark.parametrize("x, got", [({1: 2, 3: 4}, "dict"), ({1.0, 2.0}, "set"), ("ab", "str")])
def test_inputs_must_be_a_list_of_numbers_not_a_dict_set_or_string(x, got):
    with pytest.raises(TypeError, match=f"list of 2 inputs per example, got {got}"):
        MLP(2, [1], seed=0)(x)


def test_inputs_that_are_not_numbers_are_refused_naming_the_input():
    with pytest.raises(TypeError, match="numbers or Values as inputs, got str for input 2"):
        MLP(2, [1], seed=0)([1.0, "2"])


def test_inputs_may_be_any_sequence_of_numbers():
    model = MLP(3, [2, 1], seed=0)
    assert model((0.5, -1.0, 2.0)).data == model([0.5, -1.0, 2.0]).data
    assert model(range(3)).data == model([0.0, 1.0, 2.0]).data


# ---------------------------------------------------------------- what an example may be ----

def exactly(model, x):
    return model(x).data


@pytest.mark.parametrize("x", [
    bytes([0, 1]), bytearray([0, 1]), (0, 1), range(2), iter([0, 1]), (v for v in [0.0, 1.0]),
    {0: 0, 1: 1}.values(),
], ids=["bytes", "bytearray", "tuple", "range", "iterator", "generator", "dict values"])
def test_an_example_may_be_any_iterable_of_numbers_as_micrograd_zips_over(x):
    model = MLP(2, [4, 1], seed=0)
    assert exactly(model, x) == exactly(model, [0.0, 1.0])


def test_a_numpy_row_is_an_example():
    np = pytest.importorskip("numpy")
    model = MLP(2, [4, 1], seed=0)
    assert exactly(model, np.array([[0.5, -1.0]])[0]) == exactly(model, [0.5, -1.0])


@pytest.mark.parametrize("x, got", [
    (bytes([0, 1, 2]), "got 3"), (iter([1.0]), "got 1"), (iter(range(10**9)), "got more than 2"),
])
def test_an_iterable_of_the_wrong_length_is_refused_saying_how_long_it_was(x, got):
    with pytest.raises(ValueError, match=f"takes 2 inputs per example, {got}"):
        MLP(2, [1], seed=0)(x)


def test_an_iterable_of_things_that_are_not_numbers_is_refused_naming_the_input():
    with pytest.raises(TypeError, match="numbers or Values as inputs, got str for input 2"):
        MLP(2, [1], seed=0)(v for v in [1.0, "2"])


def test_a_layer_and_a_neuron_take_any_iterable_too():
    layer, neuron = Layer(2, 3, seed=0), Neuron(2, seed=0)
    assert [v.data for v in layer(bytes([1, 2]))] == [v.data for v in layer([1.0, 2.0])]
    assert neuron(range(1, 3)).data == neuron([1.0, 2.0]).data


def test_an_mlp_calls_each_of_its_layers(monkeypatch):
    calls = []
    layer_call = Layer.__call__

    def recorded(self, x):
        calls.append(self)
        return layer_call(self, x)

    monkeypatch.setattr(Layer, "__call__", recorded)
    model = MLP(2, [3, 3, 1], seed=0)
    model([1.0, 2.0])
    assert calls == model.layers


def test_an_mlp_calls_its_dropout_between_layers(monkeypatch):
    calls = []
    dropout_call = Dropout.__call__

    def recorded(self, x):
        calls.append(len(x))
        return dropout_call(self, x)

    monkeypatch.setattr(Dropout, "__call__", recorded)
    MLP(2, [3, 4, 1], seed=0, dropout=0.5)([1.0, 2.0])
    assert calls == [3, 4]
