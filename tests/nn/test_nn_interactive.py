"""The training progress bar in a terminal: a run that stops early ends as a finished bar that
says so. (In a notebook: tests/e2e/test_jupyter.py, in a real kernel.)"""

import sys

from nn import MLP, SGD, bce_with_logits, fit
from nn.data import make_moons
from nn.interactive import ProgressBar


def _early_stopped_run(capsys) -> tuple[str, int, int]:
    X, y = make_moons(30, noise=0.1, seed=0)
    X_val, y_val = make_moons(30, noise=0.1, seed=1)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, loss=bce_with_logits, epochs=40, progress=True,
                  optimizer=SGD(model.parameters(), lr=5.0), validation=(X_val, y_val),
                  early_stopping=2)
    assert history.stopped_epoch is not None and history.stopped_epoch < 40
    return capsys.readouterr().err, history.stopped_epoch, history.best_epoch


def test_tqdms_bar_of_a_run_that_stops_early_ends_full_saying_why(capsys):
    err, stopped, best = _early_stopped_run(capsys)
    last = err.split("\r")[-1]
    assert (f"training, {stopped} of 40 epochs, stopped early (best validation loss at epoch "
            f"{best}): 100%") in last
    assert f"{stopped}/{stopped}" in last


def test_without_tqdm_a_run_that_stops_early_ends_with_a_line_saying_so(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    err, stopped, best = _early_stopped_run(capsys)
    last = err.splitlines()[-1]
    assert last.startswith(f"epoch {stopped}/40: loss ")
    assert last.endswith(f"; stopped early (best validation loss at epoch {best})")


def test_a_disabled_bar_shows_nothing(capsys):
    bar = ProgressBar(3, enabled=False)
    bar.update({"loss": "0.5"})
    bar.stop_early("stopped early")
    bar.close()
    assert capsys.readouterr() == ("", "")
