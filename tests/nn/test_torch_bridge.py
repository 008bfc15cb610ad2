"""``nn.to_torch`` / ``nn.from_torch``: the same network in PyTorch, same weights, same outputs;
back again unchanged; anything else refused naming the layer."""

from __future__ import annotations

import pytest
from conftest import TORCH_MISSING, import_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, Layer, Neuron, Perceptron, from_torch, to_torch

torch = import_or_skip("torch", TORCH_MISSING)


ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"]
LAYER_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

MODELS = {
    "MLP 2-16-16-1": lambda act: MLP(2, [16, 16, 1], activation=act, seed=0),
    "MLP 3-4-4-3": lambda act: MLP(3, [4, 4, 3], activation=act, seed=1),
    "MLP 1-1": lambda act: MLP(1, [1], activation=act, seed=2),
    "MLP 5-8-2": lambda act: MLP(5, [8, 2], activation=act, seed=3, init="kaiming"),
    "MLP 2-4-1 sigmoid output": lambda act: MLP(2, [4, 1], activation=act, seed=7,
                                                output_activation="sigmoid"),
    "MLP 3-5-2 tanh output": lambda act: MLP(3, [5, 2], activation=act, seed=8,
                                             output_activation="tanh"),
    "Layer 3-4": lambda act: Layer(3, 4, activation=act, seed=4),
    "Layer 2-1": lambda act: Layer(2, 1, activation=act, seed=5),
    "Neuron 3": lambda act: Neuron(3, activation=act, seed=6),
}
every_model = pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
every_activation = pytest.mark.parametrize("activation", ACTIVATIONS)


def outputs(model, x) -> list[float]:
    out = model(x)
    return [v.data for v in out] if isinstance(out, list) else [out.data]


def test_an_mlp_becomes_a_sequential_of_linear_and_activation_layers():
    twin = to_torch(MLP(2, [16, 16, 1], activation="tanh", seed=0))
    assert type(twin) is torch.nn.Sequential
    assert [type(m).__name__ for m in twin] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [(m.in_features, m.out_features) for m in twin if type(m) is torch.nn.Linear] == [
        (2, 16), (16, 16), (16, 1)]


@every_activation
def test_a_neuron_and_a_layer_become_one_linear_layer_and_their_activation(activation):
    expected = ["Linear"] + ([LAYER_NAMES[activation]] if activation != "linear" else [])
    assert [type(m).__name__ for m in to_torch(Neuron(3, activation, seed=0))] == expected
    assert [type(m).__name__ for m in to_torch(Layer(3, 2, activation, seed=0))] == expected


def test_weights_sit_in_the_matrix_rows_of_their_neurons():
    model = MLP(2, [3, 1], seed=0)
    torch_state = to_torch(model).state_dict()
    ours = model.state_dict()
    assert torch_state["0.weight"][2, 1].item() == ours["layers.0.neurons.2.w2"]
    assert torch_state["0.bias"][1].item() == ours["layers.0.neurons.1.b"]
    assert torch_state["2.weight"][0, 2].item() == ours["layers.1.neurons.0.w3"]
    assert list(torch_state) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_tensors_are_float64_unless_asked_otherwise():
    model = MLP(2, [3, 1], seed=0)
    assert {p.dtype for p in to_torch(model).parameters()} == {torch.float64}
    assert {p.dtype for p in to_torch(model, dtype=torch.float64).parameters()} == {
        torch.float64}
    assert {p.dtype for p in to_torch(model, dtype=torch.float32).parameters()} == {
        torch.float32}


@pytest.mark.parametrize("dtype", ["float64", int, "torch.int64"])
def test_a_dtype_that_is_not_a_floating_point_torch_dtype_is_refused(dtype):
    dtype = torch.int64 if dtype == "torch.int64" else dtype
    with pytest.raises(TypeError, match="floating-point torch.dtype"):
        to_torch(Neuron(2, seed=0), dtype=dtype)


@every_model
@every_activation
def test_the_pytorch_twin_gives_the_models_outputs_to_rounding_for_any_input(make,
                                                                            activation):
    model = make(activation)
    twin = to_torch(model)

    @settings(max_examples=20)
    @given(st.lists(st.lists(st.floats(-10, 10), min_size=model.nin, max_size=model.nin),
                    min_size=1, max_size=5))
    def check(batch):
        theirs = twin(torch.tensor(batch, dtype=torch.float64)).tolist()
        for x, row in zip(batch, theirs):
            assert row == pytest.approx(outputs(model, x), rel=1e-12, abs=1e-12)

    check()


def test_the_twin_holds_copies_training_it_leaves_the_model_alone():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    twin = to_torch(model)
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(1.0)
    assert model.state_dict() == before


def test_to_torch_draws_nothing_from_pytorchs_random_generator():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    to_torch(MLP(2, [16, 16, 1], seed=0))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("model", [Perceptron(2), nn.Module()], ids=["Perceptron", "Module"])
def test_models_without_a_pytorch_counterpart_are_refused_by_name(model):
    with pytest.raises(TypeError, match=f"got {type(model).__name__}; .*state_dict"):
        to_torch(model)


@every_model
@every_activation
def test_a_model_round_trips_through_pytorch_unchanged(make, activation):
    model = make(activation)
    back = from_torch(to_torch(model))
    assert type(back) is type(model)
    assert back.get_config() == model.get_config()
    assert back.state_dict() == model.state_dict()  # every float exactly
    assert back is not model and not set(back.parameters()) & set(model.parameters())


def test_a_round_trip_keeps_the_parameter_names_and_labels():
    back = from_torch(to_torch(MLP(2, [3, 1], seed=0)))
    assert all(p.label == name for name, p in back.named_parameters())


def test_a_round_trip_through_float32_keeps_the_float32_numbers_exactly():
    model = MLP(2, [3, 1], seed=0)
    twin = to_torch(model, dtype=torch.float32)
    back = from_torch(twin)
    rounded = [torch.tensor(v, dtype=torch.float32).item() for v in model.state_dict().values()]
    assert list(back.state_dict().values()) == rounded


def test_weights_trained_in_pytorch_come_back():
    model = MLP(2, [4, 1], seed=0)
    twin = to_torch(model)
    with torch.no_grad():
        twin[0].weight[3, 1] = 0.125
        twin[2].bias[0] = -2.5
    back = from_torch(twin)
    assert back.state_dict()["layers.0.neurons.3.w2"] == 0.125
    assert back.state_dict()["layers.1.neurons.0.b"] == -2.5


def test_weights_from_pytorch_load_into_an_existing_model_through_state_dict():
    model = MLP(2, [4, 1], seed=0)
    other = MLP(2, [4, 1], seed=9)
    other.load_state_dict(from_torch(to_torch(model)).state_dict())
    assert other.state_dict() == model.state_dict()


@every_activation
def test_a_sequential_built_in_pytorch_becomes_an_mlp_with_its_weights(activation):
    torch.manual_seed(0)
    act = [getattr(torch.nn, LAYER_NAMES[activation])()] if activation != "linear" else []
    # one activation module after both hidden layers, as PyTorch code often does
    module = torch.nn.Sequential(torch.nn.Linear(3, 5), *act, torch.nn.Linear(5, 5), *act,
                                 torch.nn.Linear(5, 2)).double()
    model = from_torch(module)
    assert type(model) is MLP
    assert model.get_config() == {"nin": 3, "nouts": [5, 5, 2], "activation": activation}
    x = [0.3, -1.2, 2.0]
    theirs = module(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert outputs(model, x) == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_identity_layers_count_as_a_linear_activation():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(),
                                 torch.nn.Linear(3, 1))
    assert from_torch(module).get_config()["activation"] == "linear"


def test_a_lone_linear_layer_becomes_a_one_layer_mlp():
    linear = torch.nn.Linear(3, 2)
    model = from_torch(linear)
    assert type(model) is MLP and model.get_config() == {"nin": 3, "nouts": [2],
                                                      "activation": "relu"}
    assert model.state_dict()["layers.0.neurons.1.w3"] == linear.weight[1, 2].item()


def test_a_lone_linear_layer_with_an_activation_becomes_an_mlp_with_that_output_activation():
    model = from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh()))
    assert type(model) is MLP and model.get_config() == {
        "nin": 3, "nouts": [2], "activation": "relu", "output_activation": "tanh"}


def test_an_activation_after_the_last_linear_layer_is_the_output_activation():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1),
                                 torch.nn.Sigmoid()).double()
    model = from_torch(module)
    assert model.get_config() == {"nin": 2, "nouts": [4, 1], "activation": "tanh",
                               "output_activation": "sigmoid"}
    x = [0.4, -0.9]
    theirs = module(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert outputs(model, x) == pytest.approx(theirs, rel=1e-12, abs=1e-12)


def test_the_lectures_mlp_becomes_tanh_layers_throughout():
    twin = to_torch(MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0))
    assert [type(m).__name__ for m in twin] == ["Linear", "Tanh"] * 3


def test_a_note_that_no_longer_fits_the_layers_is_ignored():
    twin = to_torch(Neuron(2, "tanh", seed=0))
    twin[0] = torch.nn.Linear(2, 3).double()  # now three neurons: no Neuron any more
    model = from_torch(twin)
    assert type(model) is MLP and model.nouts == [3] and model.output_activation == "tanh"


def refusal(module, *patterns):
    with pytest.raises((TypeError, ValueError)) as error:
        from_torch(module)
    for pattern in patterns:
        assert pattern in str(error.value), str(error.value)


def test_a_dropout_where_an_mlp_has_none_is_refused_by_name():
    module = torch.nn.Sequential(torch.nn.Dropout(0.5), torch.nn.Linear(2, 3))
    refusal(module, "layer 0 (Dropout(p=0.5", "follows a Linear layer")


def test_an_unknown_activation_is_refused_by_name():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU())
    refusal(module, "layer 1 (LeakyReLU(")


def test_a_module_with_its_own_forward_is_refused_by_class_name():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, x):
            return self.fc(x) * 2

    refusal(Net(), "cannot take a Net", "torch.nn.Sequential")
    refusal(torch.nn.Conv2d(1, 1, 3), "cannot take a Conv2d")


def test_a_linear_layer_without_bias_is_refused():
    refusal(torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False)), "no bias",
            "bias=True")


def test_layers_whose_sizes_do_not_chain_are_refused():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1))
    refusal(module, "layer 1 (Linear(in_features=4", "takes 4 inputs",
            "before it gives 3")


def test_an_activation_must_follow_a_linear_layer():
    refusal(torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)),
            "layer 0 (ReLU())", "follows a Linear layer")
    refusal(torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Tanh()),
            "layer 2 (Tanh())", "another activation")


def test_hidden_layers_with_different_activations_are_refused():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                 torch.nn.Tanh(), torch.nn.Linear(3, 1))
    refusal(module, "hidden Linear layer 1", "'tanh'", "one activation")


def test_an_empty_sequential_and_a_non_module_are_refused():
    refusal(torch.nn.Sequential(), "empty Sequential")
    refusal([torch.nn.Linear(2, 1)], "takes a torch.nn.Module, got list")


def test_integer_weights_are_refused():
    linear = torch.nn.Linear(2, 1)
    linear.weight = torch.nn.Parameter(torch.zeros(1, 2, dtype=torch.int64), requires_grad=False)
    refusal(linear, "torch.int64", "not floating-point")


# ---------------------------------------------------------------- shapes and notes checked ----

def linear_with(weight=None, bias=None):
    layer = torch.nn.Linear(3, 2).double()
    if weight is not None:
        layer.weight = torch.nn.Parameter(weight)
    if bias is not None:
        layer.bias = torch.nn.Parameter(bias)
    return layer


def test_a_broadcast_one_number_bias_is_refused_as_pytorch_would_add_it_to_every_neuron():
    layer = linear_with(bias=torch.tensor([0.5], dtype=torch.float64))
    x = torch.ones(1, 3, dtype=torch.float64)
    assert layer(x)[0, 1] - x[0] @ layer.weight[1] == 0.5  # PyTorch: every neuron gets it
    refusal(torch.nn.Sequential(layer), "layer 0", "its bias has shape (1,)",
            "each of its 2 neurons needs its own bias, shape (2,)")


def test_a_one_dimensional_weight_is_refused_naming_the_shape_a_linear_layer_has():
    layer = linear_with(weight=torch.ones(3, dtype=torch.float64))
    refusal(torch.nn.Sequential(layer), "its weight has shape (3,)",
            "(out_features, in_features)")
    refusal(layer, "its weight has shape (3,)")


def test_a_sequential_that_contains_itself_is_refused_without_recursing():
    module = torch.nn.Sequential(torch.nn.Linear(2, 1))
    module.add_module("again", module)
    refusal(module, "layer again (a Sequential of 2 modules)")


def test_a_container_inside_is_named_by_its_class_not_its_whole_repr():
    inner = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(50)])
    with pytest.raises(ValueError) as error:
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), inner))
    assert "layer 1 (a Sequential of 50 modules)" in str(error.value)
    assert len(str(error.value)) < 600


def test_a_note_asking_for_a_huge_model_is_not_built(monkeypatch):
    module = torch.nn.Sequential(torch.nn.Linear(2, 1))
    huge = [10**5, 10**5, 1]
    module.backprop_lab_model = {"class": "MLP", "config": {"nin": 2, "nouts": huge}}
    original = MLP.__init__

    def refusing(self, nin, nouts, *args, **kwargs):
        # Building it would take 10**10 parameters: fail at once instead.
        assert nouts != huge, "from_torch built the noted model before checking its size"
        original(self, nin, nouts, *args, **kwargs)

    monkeypatch.setattr(MLP, "__init__", refusing)
    model = from_torch(module)
    assert type(model) is MLP and model.nouts == [1]


def test_a_note_of_the_right_size_is_still_used():
    model = Layer(3, 2, "tanh", seed=0)
    back = from_torch(to_torch(model))
    assert type(back) is Layer and back.state_dict() == model.state_dict()
