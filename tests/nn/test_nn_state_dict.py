"""``state_dict`` / ``load_state_dict``: PyTorch's names and meaning, one number per parameter."""

from __future__ import annotations

import math
from collections import OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import MLP, IncompatibleKeys, Layer, Neuron, Perceptron


def test_state_dict_maps_each_parameter_name_to_its_number_in_named_parameters_order():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state.items()) == [(name, p.data) for name, p in model.named_parameters()]
    assert all(type(v) is float for v in state.values())
    assert "layers.0.neurons.2.w1" in state


def test_state_dict_is_a_snapshot_that_training_does_not_change():
    model = Neuron(2, seed=0)
    state = model.state_dict()
    before = dict(state)
    model.w[0].data += 1.0
    assert state == before


@pytest.mark.parametrize("make", [
    lambda s: MLP(3, [4, 4, 2], seed=s), lambda s: Layer(3, 2, seed=s),
    lambda s: Neuron(3, "tanh", seed=s), lambda s: Perceptron(3),
], ids=["MLP", "Layer", "Neuron", "Perceptron"])
def test_load_state_dict_makes_a_model_equal_to_the_one_the_state_came_from(make):
    source, target = make(1), make(2)
    for i, p in enumerate(source.parameters()):  # a Perceptron starts at zero
        p.data = p.data + i / 7
    result = target.load_state_dict(source.state_dict())
    assert target.state_dict() == source.state_dict()
    assert result == IncompatibleKeys([], [])
    assert repr(result) == "<All keys matched successfully>"


def test_loaded_parameters_stay_the_models_own_values_so_optimizers_keep_working():
    model = MLP(2, [2, 1], seed=0)
    params = model.parameters()
    model.load_state_dict(MLP(2, [2, 1], seed=5).state_dict())
    assert model.parameters() == params  # the same Value objects, new numbers


@given(st.lists(st.floats(allow_nan=False), min_size=9, max_size=9))
def test_any_floats_load_exactly(numbers):
    model = MLP(2, [2, 1], seed=0)
    names = list(model.state_dict())
    model.load_state_dict(dict(zip(names, numbers)))
    assert list(model.state_dict().values()) == numbers


def test_nan_and_infinity_load_as_they_are():
    model = Neuron(2, seed=0)
    model.load_state_dict({"w1": math.inf, "w2": -math.inf, "b": math.nan})
    assert model.w[0].data == math.inf and model.w[1].data == -math.inf
    assert math.isnan(model.b.data)


def test_integers_and_other_real_numbers_load_as_floats():
    model = Neuron(1, seed=0)
    model.load_state_dict({"w1": 3, "b": 0.5})
    assert type(model.w[0].data) is float and model.w[0].data == 3.0


def test_strict_load_with_missing_and_unexpected_keys_raises_pytorchs_error_and_changes_nothing():
    model = Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict({"w1": 1.0, "w3": 2.0})
    assert str(error.value) == (
        "Error(s) in loading state_dict for Neuron:\n"
        '\tMissing key(s) in state_dict: "w2", "b".\n'
        '\tUnexpected key(s) in state_dict: "w3".')
    assert model.state_dict() == before


def test_strict_load_reports_only_missing_keys_when_nothing_is_unexpected():
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "b"\.$'):
        Neuron(1, seed=0).load_state_dict({"w1": 1.0})


def test_non_strict_load_fills_the_matching_names_and_returns_the_rest():
    model = Neuron(2, seed=0)
    w2 = model.w[1].data
    result = model.load_state_dict({"w1": 1.5, "b": -2.0, "extra": 9.0}, strict=False)
    assert (model.w[0].data, model.w[1].data, model.b.data) == (1.5, w2, -2.0)
    assert result == (["w2"], ["extra"])
    assert result.missing_keys == ["w2"] and result.unexpected_keys == ["extra"]


def test_missing_keys_follow_the_model_and_unexpected_keys_the_mapping():
    result = Layer(1, 2, seed=0).load_state_dict({"z": 0.0, "a": 0.0}, strict=False)
    assert result.missing_keys == ["neurons.0.w1", "neurons.0.b", "neurons.1.w1", "neurons.1.b"]
    assert result.unexpected_keys == ["z", "a"]


def test_a_value_that_is_not_a_number_is_refused_naming_its_key_and_nothing_changes():
    model = Neuron(2, seed=0)
    before = model.state_dict()
    for strict in (True, False):
        with pytest.raises(RuntimeError, match='"w2" holds a str, not a number'):
            model.load_state_dict({"w1": 1.0, "w2": "0.5", "b": 0.0}, strict=strict)
        assert model.state_dict() == before


def test_booleans_are_not_numbers_here():
    with pytest.raises(RuntimeError, match='"b" holds a bool'):
        Neuron(1, seed=0).load_state_dict({"w1": 1.0, "b": True})


def test_a_file_name_is_refused_with_the_file_methods_named():
    with pytest.raises(TypeError, match=r"load_state\(path\) or nn.load\(path\)"):
        Neuron(1, seed=0).load_state_dict("model.json")


def test_a_non_mapping_is_refused_saying_what_is_expected():
    with pytest.raises(TypeError, match="mapping of parameter names to numbers.*got list"):
        Neuron(1, seed=0).load_state_dict([("w1", 1.0)])


def test_strict_must_be_a_bool():
    with pytest.raises(TypeError, match="strict must be True or False"):
        Neuron(1, seed=0).load_state_dict({"w1": 1.0, "b": 0.0}, strict="no")


class _Tensor:
    """Stands in for a PyTorch tensor or NumPy array: something with a shape."""

    def __init__(self, *shape: int) -> None:
        self.shape = shape
        self.ndim = len(shape)

    def item(self) -> float:
        return 0.25


def test_a_pytorch_state_dict_is_refused_pointing_to_from_torch_even_when_not_strict():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    torch_style = {"0.weight": _Tensor(3, 2), "0.bias": _Tensor(3), "2.weight": _Tensor(1, 3),
                   "2.bias": _Tensor(1)}
    for strict in (True, False):
        with pytest.raises(RuntimeError) as error:
            model.load_state_dict(torch_style, strict=strict)
        message = str(error.value)
        assert '"0.weight" holds a tensor of shape 3x2' in message
        assert "nn.from_torch" in message and "layers.0.neurons.0.w1" in message
        assert model.state_dict() == before


def test_a_zero_dimensional_tensor_loads_as_its_number():
    model = Neuron(1, seed=0)
    model.load_state_dict({"w1": _Tensor(), "b": 0.0})
    assert model.w[0].data == 0.25


def test_saving_and_state_dict_agree_on_names_and_numbers(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    model.save(tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").state_dict() == model.state_dict()


# ---------------------------------------------------------------- numbers beyond a float ----

def huge_numbers():
    from decimal import Decimal
    from fractions import Fraction
    numbers = {"int 10**400": 10**400, "int -10**400": -10**400,
               "Fraction 10**400": Fraction(10**400), "Decimal 1e400": Decimal("1e400")}
    try:
        import numpy as np
    except ImportError:
        return numbers
    if np.finfo(np.longdouble).max > np.finfo(np.float64).max:  # 80-bit or wider long double
        numbers["numpy.longdouble 1e4000"] = np.longdouble("1e4000")
        numbers["0-d array of 1e4000"] = np.array(np.longdouble("-1e4000"))
    return numbers


HUGE = huge_numbers()


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_a_number_beyond_a_floats_range_is_refused_as_model_files_refuse_it(number):
    model = Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(RuntimeError, match=r'"w1" holds .*, too large for a float') as error:
        model.load_state_dict({"w1": number, "w2": 1.0, "b": 0.0})
    assert len(str(error.value)) < 400
    assert model.state_dict() == before


def test_infinities_given_as_infinities_still_load():
    from decimal import Decimal
    model = Neuron(2, seed=0)
    model.load_state_dict({"w1": math.inf, "w2": Decimal("-Infinity"), "b": math.nan})
    assert model.w[0].data == math.inf and model.w[1].data == -math.inf
    assert math.isnan(model.b.data)


def test_decimals_and_fractions_load_as_the_nearest_float():
    from decimal import Decimal
    from fractions import Fraction
    model = Neuron(2, seed=0)
    model.load_state_dict({"w1": Decimal("0.1"), "w2": Fraction(1, 3), "b": 7})
    assert [p.data for p in model.parameters()] == [0.1, 1 / 3, 7.0]


def test_a_signalling_nan_decimal_is_refused_as_not_a_number():
    from decimal import Decimal
    with pytest.raises(RuntimeError, match='"w1" holds Decimal\\(\'sNaN\'\\), not a number'):
        Neuron(2, seed=0).load_state_dict({"w1": Decimal("sNaN"), "w2": 1.0, "b": 0.0})
