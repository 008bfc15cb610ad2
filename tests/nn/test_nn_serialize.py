"""Saving and loading models: exact round trips, atomic writes, and every refusal."""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
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


def test_nesting_is_checked_before_the_parser_recurses_into_it(tmp_path, monkeypatch):
    # Under Pyodide the parser's recursion kills the kernel before a RecursionError is raised:
    # the file must be refused without parsing it.
    path = tmp_path / "deep.json"
    path.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")

    def parse(*args, **kwargs):
        raise AssertionError("the nesting should be refused before the JSON is parsed")

    monkeypatch.setattr(nn.serialize.json, "loads", parse)
    with pytest.raises(ModelFileError, match="nests JSON too deeply"):
        nn.load(path)


@pytest.mark.parametrize("depth, match", [(32, "not a backprop-lab model"), (33, "too deeply")])
def test_the_deepest_nesting_read_is_32_levels(tmp_path, depth, match):
    path = tmp_path / "deep.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(ModelFileError, match=match):
        nn.load(path)


def test_brackets_inside_strings_are_not_nesting(saved):
    model, path = saved
    edit(path, lambda d: d.update(note='[{"[[' * 100 + '\\"' + "{" * 100))
    assert same_numbers(snapshot(nn.load(path)), snapshot(model))


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
    """Every attribute of a module except its parameters and the random stream its dropout
    draws from (a loaded model draws afresh, as a new one), sub-modules' settings included."""
    found = {}
    for name, item in vars(module).items():
        items = item if isinstance(item, list) else [item]
        if items and all(isinstance(i, Module) for i in items):
            found[name] = [settings(i) for i in items]
        elif not any(isinstance(i, (Value, random.Random)) or i is random for i in items):
            found[name] = item
    return found


@pytest.mark.parametrize("make", [
    lambda: MLP(3, [4, 2], activation="tanh", seed=0, init="kaiming"),
    lambda: MLP(3, [4, 4, 2], activation="step", seed=0, dropout=0.25),
    lambda: Layer(2, 3, activation="sigmoid", seed=0, init="kaiming"),
    lambda: Neuron(4, "linear", seed=0, init="kaiming"),
])
def test_a_loaded_model_has_every_setting_of_the_saved_one(tmp_path, make):
    model = make()
    model.save(tmp_path / "m.json")
    assert settings(nn.load(tmp_path / "m.json")) == settings(model)


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


def test_a_missing_file_is_a_model_file_error_saying_so(tmp_path):
    with pytest.raises(ModelFileError, match="nothing.json: there is no such file"):
        nn.load(tmp_path / "nothing.json")


# ---------------------------------------------------------------- bounded work before trust

def small_file_asking_for(tmp_path, cls_name, config, parameters=None):
    """A tiny, well-formed model file whose config asks for a huge model."""
    path = tmp_path / "huge.json"
    document = {"format": "backprop-lab/nn-model", "version": 1,
                "model": {"class": cls_name, "config": config},
                "parameters": parameters or {"w1": 0.5, "b": 0.0}}
    path.write_text(json.dumps(document))
    return path


LOAD_IN_A_CHILD = """
import sys, time
import nn
try:  # wrong code would try to build the huge model: let it fail at 1 GB, not take the machine
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
except ImportError:
    pass
import autograd
made = [0]  # every Value made, a Parameter included: refusing first makes none
_init = autograd.Value.__init__
def counting_init(self, *args, **kwargs):
    made[0] += 1
    _init(self, *args, **kwargs)
autograd.Value.__init__ = counting_init
try:
    nn.load(sys.argv[1])
except nn.ModelFileError as error:
    print(f"{made[0]} {error}")
"""


def load_in_a_child(path) -> tuple[int, str]:
    """(Values made, message) of ``nn.load(path)`` refusing the file, run in a child process,
    so that code which blocks or allocates without end fails this test instead of hanging the
    suite or exhausting memory."""
    try:
        done = subprocess.run([sys.executable, "-c", LOAD_IN_A_CHILD, str(path)],
                              capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"nn.load({str(path)!r}) was still working after 30 seconds")
    made, _, message = done.stdout.partition(" ")
    assert message, f"nn.load did not refuse the file: {done.stderr[-500:]}"
    return int(made), message


@pytest.mark.parametrize("cls_name, config", [
    ("MLP", {"nin": 3000, "nouts": [3000, 1], "activation": "relu"}),
    ("MLP", {"nin": 100000, "nouts": [100000], "activation": "relu"}),
    ("MLP", {"nin": 1, "nouts": [1] * 200000, "activation": "relu"}),
    ("Layer", {"nin": 100000, "nout": 100000, "activation": "relu"}),
    ("Neuron", {"nin": 10**9, "activation": "relu"}),
    ("Perceptron", {"nin": 10**12}),
], ids=["3000x3000", "100000x100000", "200000-layers", "layer", "neuron", "perceptron"])
def test_a_small_file_asking_for_a_huge_model_is_refused_before_anything_is_built(
        tmp_path, cls_name, config):
    path = small_file_asking_for(tmp_path, cls_name, config)
    assert path.stat().st_size < 2 * 2**20
    made, message = load_in_a_child(path)
    assert "parameters but the file holds 2" in message
    assert made == 0  # refused from the note alone: no model was built


def test_the_refusal_of_a_huge_config_shows_a_short_description(tmp_path):
    path = small_file_asking_for(tmp_path, "MLP", {"nin": 1, "nouts": [1] * 200000,
                                                    "activation": "relu"})
    with pytest.raises(ModelFileError) as refusal:
        nn.load(path)
    assert len(str(refusal.value)) < 400 and "nouts=[1, 1, 1, 1, 1, 1, ...]" in str(refusal.value)


@given(st.sampled_from(["MLP", "Layer", "Neuron", "Perceptron"]),
       st.integers(1, 6), st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_the_implied_parameter_count_is_the_built_models(cls_name, nin, sizes):
    config = {"MLP": {"nin": nin, "nouts": sizes}, "Layer": {"nin": nin, "nout": sizes[0]},
              "Neuron": {"nin": nin}, "Perceptron": {"nin": nin}}[cls_name]
    built = nn.serialize.MODELS[cls_name](**config)
    assert nn.serialize.parameter_count(cls_name, config) == len(built.parameters())


@pytest.mark.parametrize("config", [
    {"nin": "3"}, {"nin": 0}, {"nin": True}, {"nin": 2, "nouts": [0]}, {"nin": 2, "nouts": 4},
    {"nin": 2, "nouts": []}, {"nin": 2, "nouts": [2.0]},
])
def test_sizes_that_are_not_positive_ints_are_left_to_the_constructor_to_refuse(tmp_path,
                                                                                  config):
    assert nn.serialize.parameter_count("MLP", config) is None
    path = small_file_asking_for(tmp_path, "MLP", config)
    with pytest.raises(ModelFileError, match="does not build"):
        nn.load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_a_device_is_refused_before_a_byte_is_read(tmp_path):
    _, message = load_in_a_child("/dev/zero")  # reading it would never end
    assert "not a regular file" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    _, message = load_in_a_child(fifo)  # a blocked open would end in the child's timeout
    assert "not a regular file" in message


def test_a_folder_is_refused_as_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        nn.load(tmp_path)
    with pytest.raises(ModelFileError, match="is a folder"):
        MLP(2, [1], seed=0).load_state(tmp_path)


def bytes_read_so_far() -> int | None:
    """How many bytes this process has read with read() calls (Linux's /proc), or None."""
    try:
        with open("/proc/self/io") as io:
            return int(next(line for line in io if line.startswith("rchar:")).split()[1])
    except (OSError, StopIteration):
        return None


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as file:
        file.truncate(nn.serialize.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    before = bytes_read_so_far()
    # Read, its NUL bytes would be refused as "a binary file": the size must be checked first.
    with pytest.raises(ModelFileError, match=f"at most {nn.serialize.MAX_FILE_BYTES:,} bytes"):
        nn.load(path)
    after = bytes_read_so_far()
    if before is not None:
        assert after - before < 2**20


def test_a_file_at_the_size_limit_is_read(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "padded.json"
    model.save(path)
    text = path.read_text()
    padding = nn.serialize.MAX_FILE_BYTES - len(text.encode())
    path.write_text(text + " " * padding)
    assert path.stat().st_size == nn.serialize.MAX_FILE_BYTES
    assert same_numbers(snapshot(nn.load(path)), snapshot(model))


def test_an_unreadable_file_is_a_model_file_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(ModelFileError, match="cannot read .*Permission denied"):
        nn.load(tmp_path / "m.json")


def test_loading_a_model_leaves_the_random_module_where_it_was(tmp_path):
    MLP(2, [3, 1], seed=0).save(tmp_path / "m.json")
    random.seed(5)
    expected = random.random()
    random.seed(5)
    nn.load(tmp_path / "m.json")
    assert random.random() == expected
