"""Dropout and step units across the PyTorch bridge: an MLP's dropout is ``torch.nn.Dropout``
after each hidden layer, modes carry over both ways, and step units, which PyTorch has no
layer for, are refused by name."""

from __future__ import annotations

import pytest
from conftest import TORCH_MISSING, import_or_skip

import nn
from nn import MLP, Layer, from_torch, to_torch

torch = import_or_skip("torch", TORCH_MISSING)


def test_an_mlps_dropout_becomes_torch_dropout_after_each_hidden_layer():
    twin = to_torch(MLP(2, [4, 4, 1], activation="tanh", seed=0, dropout=0.25))
    assert [type(m).__name__ for m in twin] == ["Linear", "Tanh", "Dropout", "Linear", "Tanh",
                                                "Dropout", "Linear"]
    assert [m.p for m in twin if type(m) is torch.nn.Dropout] == [0.25, 0.25]


def test_the_twin_starts_in_the_models_mode():
    model = MLP(2, [4, 1], seed=0, dropout=0.5)
    assert to_torch(model).training
    assert not to_torch(model.eval()).training


def test_in_evaluation_mode_the_twin_gives_the_models_outputs():
    model = MLP(3, [8, 8, 2], seed=1, dropout=0.5).eval()
    twin = to_torch(model)
    x = [0.3, -1.2, 2.0]
    theirs = twin(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert theirs == pytest.approx([v.data for v in model(x)], rel=1e-12, abs=1e-12)


def test_a_model_with_dropout_round_trips_through_pytorch():
    model = MLP(2, [5, 3, 1], seed=2, dropout=0.3).eval()
    back = from_torch(to_torch(model))
    assert back.dropout.p == 0.3 and not back.training
    assert back.state_dict() == model.state_dict()


def test_a_sequential_with_dropout_built_in_pytorch_becomes_an_mlp_with_dropout():
    module = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                 torch.nn.Linear(4, 1))
    model = from_torch(module)
    assert isinstance(model, MLP) and model.dropout.p == 0.2 and model.training


def test_the_parameters_are_found_after_a_dropout_layer():
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    comparison = nn.compare_with_torch(model, [[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0],
                                       loss=nn.mse_loss)
    assert comparison
    assert "3.weight[0, 1]" in str(comparison)  # Linear 0, ReLU 1, Dropout 2, Linear 3


def test_compare_with_torch_leaves_the_models_mode_alone():
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    nn.compare_with_torch(model, [[0.5, -1.0]], [1.0], loss=nn.mse_loss)
    assert model.training and model.dropout.training


@pytest.mark.parametrize("module, says", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5), torch.nn.ReLU(),
                                 torch.nn.Linear(3, 1)), "follows a Dropout"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5),
                                 torch.nn.Dropout(0.5), torch.nn.Linear(3, 1)),
     "follows another Dropout"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5),
                                 torch.nn.Linear(3, 1), torch.nn.Dropout(0.5)),
     "none after the output layer"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Dropout(0.5),
                                 torch.nn.Linear(3, 3), torch.nn.Dropout(0.1),
                                 torch.nn.Linear(3, 1)), "one dropout p after every hidden"),
])
def test_dropouts_an_mlp_cannot_have_are_refused(module, says):
    with pytest.raises(ValueError, match=says):
        from_torch(module())


@pytest.mark.parametrize("model", [MLP(2, [3, 1], activation="step", seed=0),
                                   MLP(2, [3, 1], output_activation="step", seed=0),
                                   Layer(2, 2, activation="step", seed=0)])
def test_step_units_are_refused_since_pytorch_has_no_layer_for_them(model):
    with pytest.raises(TypeError, match="cannot convert 'step' units: PyTorch has no layer"):
        to_torch(model)
    with pytest.raises(TypeError, match="cannot convert 'step' units"):
        nn.compare_with_torch(model, [[0.5, -1.0]], [1.0], loss=nn.mse_loss)
