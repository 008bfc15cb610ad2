"""The demo (`make demo`): the real run learns the moons and writes every picture."""

from __future__ import annotations

import json
import os

import pytest

import nn
from autograd.pictures.render import available_renderer
from nn import demo

SIGNATURES = {
    "loss.png": b"\x89PNG\r\n\x1a\n",
    "decision_boundary.png": b"\x89PNG\r\n\x1a\n",
}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """The demo exactly as ``python -m nn.demo`` runs it (defaults), into a temporary folder."""
    out = tmp_path_factory.mktemp("out")
    return demo.run(out=str(out), progress=False), out


def test_the_demo_reaches_at_least_97_percent_train_accuracy(real_run):
    result, _ = real_run
    assert result.train_accuracy >= 0.97
    assert result.test_accuracy >= 0.9
    assert result.history.epochs == 100


def test_the_demo_writes_plots_graphs_player_and_model(real_run):
    pytest.importorskip("matplotlib")
    result, out = real_run
    names = {"loss.png", "decision_boundary.png", "neuron_steps.html", "model.json"}
    names |= {"neuron.svg", "network.svg"} if available_renderer() else {"neuron.dot",
                                                                         "network.dot"}
    assert set(os.listdir(out)) == names
    assert sorted(result.files) == sorted(str(out / name) for name in names)
    for name, signature in SIGNATURES.items():
        assert (out / name).read_bytes().startswith(signature)
    page = (out / "neuron_steps.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "http://" not in page.replace("http://www.w3.org", "")


@pytest.mark.skipif(available_renderer() is None, reason="no Graphviz renderer")
def test_the_neuron_graph_names_its_parameters_and_inputs(real_run):
    _, out = real_run
    svg = (out / "neuron.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "layers.0.neurons." in svg and "x1" in svg and "relu" in svg


def test_the_saved_model_reproduces_the_trained_accuracy(real_run):
    result, out = real_run
    model = nn.load(out / "model.json")
    X, y = nn.data.make_moons(200, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    X_train, _, y_train, _ = nn.data.train_test_split(X, y, test_size=0.25, seed=0)
    assert nn.accuracy(model, X_train, y_train) == result.train_accuracy
    assert json.loads((out / "model.json").read_text())["model"]["config"]["nouts"] == [16, 16, 1]


def test_the_demo_prints_both_accuracies(tmp_path, capsys):
    assert demo.main(["--samples", "24", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "train accuracy" in out and "test accuracy" in out
    assert f"wrote {tmp_path / 'model.json'}" in out


def test_the_demo_trains_compiled_and_says_so(tmp_path, capsys):
    demo.main(["--samples", "24", "--epochs", "4", "--out", str(tmp_path / "compiled")])
    assert "training compiled (autograd.compile)" in capsys.readouterr().out
    demo.main(["--samples", "24", "--epochs", "4", "--out", str(tmp_path / "engine"),
               "--no-compile"])
    assert "training on the engine" in capsys.readouterr().out
    compiled, engine = (nn.load(tmp_path / name / "model.json") for name in ("compiled", "engine"))
    assert ([p.data for p in compiled.parameters()] == [p.data for p in engine.parameters()])


def test_the_demo_skips_plots_with_a_note_when_matplotlib_is_missing(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.figure", None)
    result = demo.run(samples=24, epochs=2, out=str(tmp_path), progress=False)
    assert not (tmp_path / "loss.png").exists()
    assert (tmp_path / "neuron_steps.html").exists() and (tmp_path / "model.json").exists()
    assert len(result.skipped) == 1 and "matplotlib" in result.skipped[0]
    assert "skipped the plots" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--samples", "3"], ["--epochs", "0"], ["--bogus"]])
def test_bad_command_line_arguments_exit_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        demo.main(argv)
    assert exit_info.value.code == 2
    assert "usage: python -m nn.demo" in capsys.readouterr().err
