"""Saving and loading models: exact round trips, atomic writes, and every refusal."""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import re

import pytest

import nn
from autograd import Value
from nn import MLP, Layer, ModelFileError, Module, Neuron, Perceptron


def snapshot(model: Module) -> list[tuple[str, float]]:
    return [(name, p.data) for name, p in model.named_parameters()]


def same_numbers(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Equal names and bit-identical floats (nan equal to nan, -0.0 unequal to 0.0)."""
    return [n for n, _ in a] == [n for n, _ in b] and all(
        math.copysign(1.0, x) == math.copysign(1.0, y) and (x == y or x != x and y != y)
        for (_, x), (_, y) in zip(a, b))


@pytest.fixture
def saved(tmp_path):
    model = MLP(2, [4, 3, 1], activation="tanh", seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    return model, path


# ---------------------------------------------------------------- round trips

def test_load_rebuilds_the_same_architecture_with_the_same_numbers(saved):
    model, path = saved
    loaded = nn.load(path)
    assert type(loaded) is MLP
    assert (loaded.nin, loaded.nouts, loaded.activation) == (2, [4, 3, 1], "tanh")
    assert same_numbers(snapshot(loaded), snapshot(model))
    assert loaded([0.3, -0.6]).data == model([0.3, -0.6]).data


def test_floats_round_trip_exactly_including_edge_values(tmp_path):
    model = MLP(1, [3, 2], seed=0)
    edge = [0.1, 1 / 3, -0.0, 5e-324, 1.7976931348623157e308, math.pi, -1e-300, math.nan,
            math.inf, -math.inf, 123456789.123456789]
    for p, value in zip(model.parameters(), edge):
        p.data = value
    model.save(tmp_path / "edge.json")
    assert same_numbers(snapshot(nn.load(tmp_path / "edge.json")), snapshot(model))


def test_non_finite_numbers_are_written_as_strings_so_the_file_is_standard_json(tmp_path):
    model = Neuron(2, seed=0)
    model.w[0].data, model.w[1].data, model.b.data = math.nan, math.inf, -math.inf
    model.save(tmp_path / "n.json")
    text = (tmp_path / "n.json").read_text()
    document = json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token}"))
    assert document["parameters"] == {"w1": "nan", "w2": "inf", "b": "-inf"}


def test_the_file_names_its_format_version_architecture_and_parameters(saved):
    _, path = saved
    document = json.loads(path.read_text())
    assert document["format"] == "backprop-lab/nn-model"
    assert document["version"] == 1
    assert document["model"] == {"class": "MLP", "config": {
        "nin": 2, "nouts": [4, 3, 1], "activation": "tanh"}}
    assert list(document["parameters"])[0] == "layers.0.neurons.0.w1"
    assert len(document["parameters"]) == 12 + 15 + 4


def test_load_state_fills_an_existing_model_of_the_same_architecture(saved):
    model, path = saved
    other = MLP(2, [4, 3, 1], activation="tanh", seed=99, init="kaiming")
    other.load_state(path)
    assert same_numbers(snapshot(other), snapshot(model))


@pytest.mark.parametrize("make", [
    lambda: Neuron(3, "sigmoid", seed=1),
    lambda: Layer(2, 3, "tanh", seed=1),
    lambda: MLP(3, [2], seed=1),
])
def test_every_built_in_model_round_trips(tmp_path, make):
    model = make()
    model.save(tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert type(loaded) is type(model) and loaded._config() == model._config()
    assert same_numbers(snapshot(loaded), snapshot(model))


def test_a_trained_perceptron_round_trips(tmp_path):
    perceptron = Perceptron(2)
    perceptron.fit([[0.0, 0.0], [1.0, 1.0]], [-1, 1])
    perceptron.save(tmp_path / "p.json")
    loaded = nn.load(tmp_path / "p.json")
    assert same_numbers(snapshot(loaded), snapshot(perceptron))


class Scaler(Module):
    def __init__(self) -> None:
        self.scale = Value(1.0)
        self.shift = Value(0.0)

    def __call__(self, x):
        return self.scale * x + self.shift


def test_a_custom_module_is_filled_by_load_state_but_not_rebuilt_by_load(tmp_path):
    model = Scaler()
    model.scale.data, model.shift.data = 2.5, -1.0
    model.save(tmp_path / "custom.json")
    other = Scaler()
    other.load_state(tmp_path / "custom.json")
    assert (other.scale.data, other.shift.data) == (2.5, -1.0)
    with pytest.raises(ModelFileError, match="load_state"):
        nn.load(tmp_path / "custom.json")


# ---------------------------------------------------------------- atomic writes

def test_saving_replaces_an_existing_file_and_leaves_no_temporary_files(saved, tmp_path):
    model, path = saved
    model.parameters()[0].data = 42.0
    model.save(path)
    assert nn.load(path).parameters()[0].data == 42.0
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


def test_a_failed_save_leaves_the_old_file_intact(saved, tmp_path, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    model.parameters()[0].data = -7.0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


# ---------------------------------------------------------------- refusals

def refuse(model: Module, path, match: str) -> None:
    """``load_state`` and ``load`` both refuse ``path``; the model is left untouched."""
    before = snapshot(model)
    with pytest.raises(ModelFileError, match=match):
        model.load_state(path)
    assert same_numbers(snapshot(model), before)
    with pytest.raises(ModelFileError, match=match):
        nn.load(path)


@pytest.mark.parametrize("keep", [0.05, 0.3, 0.5, 0.9, 0.99])
def test_a_truncated_file_is_refused_as_truncated(saved, keep):
    model, path = saved
    text = path.read_bytes()
    path.write_bytes(text[:int(len(text) * keep)])
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=5), path, "truncated")


def test_a_file_cut_anywhere_is_refused(saved):
    model, path = saved
    text = path.read_bytes().rstrip()
    target = MLP(2, [4, 3, 1], activation="tanh", seed=5)
    before = snapshot(target)
    for cut in range(1, len(text), 97):
        path.write_bytes(text[:cut])
        with pytest.raises(ModelFileError):
            target.load_state(path)
    assert same_numbers(snapshot(target), before)


@pytest.mark.parametrize("document", [
    {"cells": [], "metadata": {}, "nbformat": 4},
    [1, 2, 3],
    "just a string",
    {"format": "someone-else/model", "version": 1},
])
def test_foreign_json_is_refused_as_not_a_model_file(tmp_path, document):
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(document))
    refuse(MLP(2, [2, 1], seed=0), path, "not a backprop-lab model file")


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    pickle.dumps({"w": [1.0, 2.0]}),
    bytes(range(256)),
])
def test_binary_content_is_refused_as_binary(tmp_path, content):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    refuse(MLP(2, [2, 1], seed=0), path, "binary")


def test_an_empty_file_is_refused(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"  \n")
    refuse(MLP(2, [2, 1], seed=0), path, "empty")


def test_text_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("w1 = 0.5\nw2 = -0.3\n")
    refuse(MLP(2, [2, 1], seed=0), path, "not valid JSON")


def test_another_architecture_is_refused_naming_both(saved):
    _, path = saved
    model = MLP(2, [16, 1], seed=0)
    before = snapshot(model)
    with pytest.raises(ModelFileError, match=r"holds a MLP\(nin=2, nouts=\[4, 3, 1\].*this "
                                             r"model is a MLP\(nin=2, nouts=\[16, 1\]"):
        model.load_state(path)
    assert same_numbers(snapshot(model), before)


def test_another_activation_is_another_architecture(saved):
    _, path = saved
    with pytest.raises(ModelFileError, match="activation='relu'"):
        MLP(2, [4, 3, 1], activation="relu", seed=0).load_state(path)


def edit(path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_a_file_with_a_missing_parameter_is_refused(saved):
    model, path = saved
    edit(path, lambda d: d["parameters"].pop("layers.1.neurons.2.b"))
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=1), path, "missing 1")


def test_a_file_with_an_unknown_parameter_is_refused(saved):
    _, path = saved
    edit(path, lambda d: d["parameters"].update({"layers.9.neurons.0.w1": 1.0}))
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=1), path, "unknown")


def test_a_parameter_that_is_not_a_number_is_refused_even_after_valid_ones(saved):
    _, path = saved
    edit(path, lambda d: d["parameters"].update({"layers.2.neurons.0.b": "oops"}))
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=1), path, "not a number")


def test_a_newer_format_version_is_refused_with_upgrade_advice(saved):
    _, path = saved
    edit(path, lambda d: d.update(version=2))
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=1), path, "newer")


def test_bare_nan_tokens_are_refused(saved):
    _, path = saved
    path.write_text(path.read_text().replace('"format"', '"x": NaN, "format"', 1))
    refuse(MLP(2, [4, 3, 1], activation="tanh", seed=1), path, "NaN")


def test_a_config_that_builds_nothing_is_refused(saved):
    _, path = saved
    edit(path, lambda d: d["model"]["config"].update(nouts=[]))
    with pytest.raises(ModelFileError, match="does not build"):
        nn.load(path)


def test_deeply_nested_json_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    refuse(MLP(2, [2, 1], seed=0), path, "too deeply")


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" + "0" * 400, "9" * 5000])
def test_a_number_too_large_for_a_float_is_refused(saved, number):
    model, path = saved
    text = path.read_text()
    path.write_text(re.sub(r'("layers\.0\.neurons\.0\.w1": )[^,]+', rf"\g<1>{number}", text))
    before = snapshot(model)
    with pytest.raises(ModelFileError, match="too large for a float"):
        model.load_state(path)
    with pytest.raises(ModelFileError, match="too large for a float"):
        nn.load(path)
    assert same_numbers(snapshot(model), before)


def settings(module: Module) -> dict:
    """Every attribute of a module except its parameters, sub-modules' settings included."""
    found = {}
    for name, item in vars(module).items():
        items = item if isinstance(item, list) else [item]
        if items and all(isinstance(i, Module) for i in items):
            found[name] = [settings(i) for i in items]
        elif not any(isinstance(i, Value) for i in items):
            found[name] = item
    return found


@pytest.mark.parametrize("make", [
    lambda: MLP(3, [4, 2], activation="tanh", seed=0, init="kaiming"),
    lambda: Layer(2, 3, activation="sigmoid", seed=0, init="kaiming"),
    lambda: Neuron(4, "linear", seed=0, init="kaiming"),
])
def test_a_loaded_model_has_every_setting_of_the_saved_one(tmp_path, make):
    model = make()
    model.save(tmp_path / "m.json")
    assert settings(nn.load(tmp_path / "m.json")) == settings(model)


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nothing.json")


def test_loading_a_model_leaves_the_random_module_where_it_was(tmp_path):
    MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    random.seed(5)
    expected = random.random()
    random.seed(5)
    nn.load(tmp_path / "m.json")
    assert random.random() == expected
