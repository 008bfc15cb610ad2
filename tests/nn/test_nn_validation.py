"""A validation set and early stopping (notes 004: "train the network until the loss on the
validation set begins to increase"), and the three-way split that makes the validation set."""

from __future__ import annotations

import math

import pytest

import nn
from nn import MLP, SGD, Adam, History, fit


def noisy_sine():
    """15 noisy points of sin x to train on, which a network of 16 + 16 units over-fits, and 30
    to validate on (notebook 9's data)."""
    X, y = nn.data.make_regression_1d(75, noise=0.3, seed=1)
    return nn.data.train_val_test_split(X, y, val_size=30, test_size=30, seed=0)


def train(epochs: int, **options) -> tuple[MLP, History]:
    X_train, X_val, _, y_train, y_val, _ = noisy_sine()
    model = MLP(1, [16, 16, 1], activation="tanh", seed=0)
    history = fit(model, X_train, y_train, loss=nn.mse_loss,
                  optimizer=Adam(model.parameters(), lr=0.01), epochs=epochs,
                  validation=(X_val, y_val), progress=False, **options)
    return model, history


@pytest.fixture(scope="module")
def stopped() -> tuple[MLP, History]:
    return train(300, early_stopping=10)


# ---------------------------------------------------------------- early stopping

def test_the_validation_loss_is_measured_after_every_epoch():
    _, history = train(5)
    assert len(history.val_loss) == 5 and history.val_accuracy == []  # regression: no accuracy
    assert history.best_epoch is None and history.stopped_epoch is None


def test_early_stopping_stops_patience_epochs_after_the_best_one(stopped):
    _, history = stopped
    assert history.stopped_epoch == history.best_epoch + 10 == history.epochs < 300
    assert history.best_epoch > 1  # the validation loss fell, then rose
    best = history.val_loss[history.best_epoch - 1]
    assert best == min(history.val_loss)
    assert all(loss >= best for loss in history.val_loss[history.best_epoch:])


def test_early_stopping_restores_the_parameters_of_the_best_epoch(stopped):
    model, history = stopped
    # Full-batch training is deterministic: training for best_epoch epochs gives those
    # parameters again.
    twin, _ = train(history.best_epoch)
    assert [p.data for p in model.parameters()] == [p.data for p in twin.parameters()]
    last, _ = train(history.epochs)
    assert [p.data for p in model.parameters()] != [p.data for p in last.parameters()]


def test_the_restored_model_has_the_best_validation_loss(stopped):
    model, history = stopped
    _, X_val, _, _, y_val, _ = noisy_sine()
    loss = sum(nn.mse_loss(model(x), t).data for x, t in zip(X_val, y_val)) / len(X_val)
    assert loss == pytest.approx(min(history.val_loss), rel=1e-12)


def test_a_validation_loss_that_keeps_falling_runs_every_epoch():
    X = [[i / 10] for i in range(10)]
    y = [2 * x[0] for x in X]
    model = MLP(1, [1], seed=0)
    history = fit(model, X, y, loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.05),
                  epochs=20, validation=(X, y), early_stopping=3, progress=False)
    assert history.epochs == 20 and history.stopped_epoch is None and history.best_epoch == 20


def frozen(epochs: int) -> History:
    """A run whose validation loss never changes (the learning rate is 0), patience 3."""
    model = MLP(1, [1], seed=0)
    return fit(model, [[1.0]], [1.0], loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.0),
               epochs=epochs, validation=([[1.0]], [1.0]), early_stopping=3, progress=False)


def test_an_equal_validation_loss_is_no_improvement():
    history = frozen(10)
    assert history.best_epoch == 1 and history.stopped_epoch == 4 == history.epochs


def test_running_out_of_patience_in_the_last_epoch_is_no_early_stop():
    history = frozen(4)
    assert history.best_epoch == 1 and history.stopped_epoch is None and history.epochs == 4


def test_a_validation_loss_that_is_never_a_number_gives_back_the_starting_parameters():
    model = MLP(1, [1], seed=0)
    start = [p.data for p in model.parameters()]
    with pytest.warns(RuntimeWarning, match="give back the starting parameters"):
        history = fit(model, [[1.0]], [1.0], loss=nn.mse_loss,
                      optimizer=SGD(model.parameters(), lr=0.1), epochs=10,
                      validation=([[1.0]], [math.nan]), early_stopping=2, progress=False)
    assert history.best_epoch == 0 and history.stopped_epoch == 2
    assert [p.data for p in model.parameters()] == start
    assert "the starting parameters restored" in repr(history)


def test_the_history_says_where_it_stopped_and_which_epoch_it_kept(stopped):
    _, history = stopped
    text = repr(history)
    assert f"stopped early after epoch {history.stopped_epoch}" in text
    assert f"parameters of epoch {history.best_epoch} restored" in text
    assert "validation loss" in text


def test_early_stopping_needs_a_validation_set():
    model = MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match=r"early_stopping watches the validation loss: pass "
                                         r"validation=\(X_val, y_val\)"):
        fit(model, [[1.0]], [1.0], loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.1),
            early_stopping=5, progress=False)


@pytest.mark.parametrize("patience", [0, -1, 2.5, True])
def test_the_patience_must_be_a_positive_int(patience):
    model = MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match="early_stopping"):
        fit(model, [[1.0]], [1.0], loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.1),
            validation=([[1.0]], [1.0]), early_stopping=patience, progress=False)


@pytest.mark.parametrize("validation", [[[1.0]], 5, ([[1.0]], [1.0], [2.0])])
def test_validation_must_be_a_pair(validation):
    model = MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match=r"validation must be a pair \(X_val, y_val\)"):
        fit(model, [[1.0]], [1.0], loss=nn.mse_loss, optimizer=SGD(model.parameters(), lr=0.1),
            validation=validation, progress=False)


def test_validation_accuracy_is_recorded_for_classifiers():
    X, y = nn.data.make_moons(30, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X[:20], y[:20], loss=nn.bce_with_logits,
                  optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
                  validation=(X[20:], y[20:]), progress=False)
    assert len(history.val_accuracy) == 3
    assert history.val_accuracy[-1] == nn.accuracy(model, X[20:], y[20:])


def test_the_loss_plot_draws_the_validation_curve_and_marks_the_kept_epoch(stopped):
    pytest.importorskip("matplotlib")
    _, history = stopped
    fig = nn.plot_loss(history)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["train loss", "validation loss",
                      f"best epoch {history.best_epoch} (kept)"]


# ---------------------------------------------------------------- the three-way split

def test_the_three_way_split_covers_every_example_once():
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    X_train, X_val, X_test, y_train, y_val, y_test = nn.data.train_val_test_split(
        X, y, val_size=0.25, test_size=0.2, seed=3)
    assert (len(X_train), len(X_val), len(X_test)) == (11, 5, 4)
    assert sorted(y_train + y_val + y_test) == y
    assert [x[0] for x in X_val] == y_val  # examples keep their labels


def test_the_test_set_is_the_one_train_test_split_holds_out():
    X = [[float(i)] for i in range(30)]
    y = list(range(30))
    *_, y_test = nn.data.train_val_test_split(X, y, val_size=6, test_size=0.2, seed=7)
    _, _, y_train_2, y_test_2 = nn.data.train_test_split(X, y, test_size=0.2, seed=7)
    assert y_test == y_test_2


def test_without_shuffling_the_last_examples_are_the_test_set_and_before_them_validation():
    parts = nn.data.train_val_test_split(list(range(10)), list(range(10)), val_size=2,
                                         test_size=3, shuffle=False)
    assert parts[3:] == ([0, 1, 2, 3, 4], [5, 6], [7, 8, 9])


@pytest.mark.parametrize("val_size, test_size", [(0, 2), (2, 0), (5, 5), (0.5, 0.5), (1.5, 2)])
def test_a_split_leaving_a_set_empty_is_refused(val_size, test_size):
    with pytest.raises(ValueError, match="need at least one|fraction in"):
        nn.data.train_val_test_split(list(range(10)), list(range(10)), val_size=val_size,
                                     test_size=test_size)


# ---------------------------------------------------------------- bad test and validation data ----

def untouched_fit(model, loss=nn.hinge_loss, **options):
    """fit on a small good training set with ``options`` (test=, validation=); returns the
    parameters before, to compare with after a refusal, and the call."""
    labels = [1, 0, 1] if loss is nn.bce_with_logits else [1, -1, 1]
    return [p.data for p in model.parameters()], lambda: fit(
        model, [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], labels, loss=loss,
        optimizer=SGD(model.parameters(), lr=0.5), epochs=3, progress=False, **options)


@pytest.mark.parametrize("key", ["validation", "test"])
@pytest.mark.parametrize("bad_set, error, message", [
    (([[0.0, 1.0], [1.0, 0.0, 2.0]], [1, -1]), ValueError,
     r"example 1 .*takes 2 inputs per example, got 3"),
    (([[0.0, 1.0], [1.0, 0.0]], ["1", "-1"]), TypeError,
     r"example 0 .*labels are numbers .* got str"),
    (([[0.0, 1.0], [1.0, "x"]], [1, -1]), TypeError, r"example 1 .*got str for input 2"),
], ids=["row length", "string labels", "a string input"])
def test_a_malformed_set_is_refused_before_any_parameter_moves(key, bad_set, error, message):
    model = MLP(2, [4, 1], seed=0)
    before, train = untouched_fit(model, **{key: bad_set})
    with pytest.raises(error, match=message) as refusal:
        train()
    assert f"the {key} set's example" in str(refusal.value)
    assert "Nothing was trained" in str(refusal.value)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("where", ["input", "label"])
def test_nan_in_the_validation_set_is_warned_about_before_training(bad, where):
    model = MLP(2, [4, 1], seed=0)
    X_val, y_val = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]], [1.0, -1.0, 1.0]
    if where == "input":
        X_val[2] = [0.5, bad]
    else:
        y_val[2] = bad
    _, train = untouched_fit(model, nn.mse_loss, validation=(X_val, y_val), early_stopping=2)
    with pytest.warns(RuntimeWarning, match=r"validation set's example 2 .*early stopping will "
                                            r"find no best epoch") as caught:
        train()
    assert str(bad) in str(caught[0].message)


@pytest.mark.parametrize("key", ["validation", "test"])
@pytest.mark.parametrize("loss, labels, message", [
    (nn.hinge_loss, [1, 0], r"label 1 \(0\): hinge_loss .* -1 or \+1"),
    (nn.hinge_loss, [1, math.nan], r"label 1 \(nan\): hinge_loss"),
    (nn.bce_with_logits, [1, 2], r"label 1 \(2\)"),
], ids=["0/1 labels for hinge", "nan for hinge", "2 for a probability"])
@pytest.mark.parametrize("compile", [False, True], ids=["engine", "compiled"])
def test_a_label_the_loss_refuses_is_refused_before_the_first_update(key, loss, labels, message,
                                                                      compile, recwarn):
    model = MLP(2, [4, 1], seed=0)
    before, train = untouched_fit(model, loss, compile=compile,
                                  **{key: ([[0.0, 1.0], [1.0, 0.0]], labels)})
    with pytest.raises(ValueError, match=message) as refusal:
        train()
    assert f"the {key} set's label 1" in str(refusal.value)
    assert [p.data for p in model.parameters()] == before


def test_a_class_index_out_of_range_in_the_validation_set_is_refused_before_training():
    model = MLP(2, [4, 3], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"validation set's label 1 \(3\): cross_entropy"):
        fit(model, [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 2], loss=nn.cross_entropy,
            optimizer=SGD(model.parameters(), lr=0.5), epochs=3, progress=False,
            validation=([[0.0, 1.0], [1.0, 1.0]], [0, 3]))
    assert [p.data for p in model.parameters()] == before


def test_the_nan_warning_counts_the_spoiled_examples_and_points_at_the_callers_line():
    model = MLP(2, [4, 1], seed=0)
    _, train = untouched_fit(model, test=([[math.nan, 0.0]] * 3, [1, 1, 1]))
    with pytest.warns(RuntimeWarning, match=r"\(and 2 more examples\)") as caught:
        train()
    assert caught[0].filename == __file__


def test_good_sets_give_no_warning(recwarn):
    model = MLP(2, [4, 1], seed=0)
    _, train = untouched_fit(model, validation=([[0.0, 1.0]], [1]), test=([[1.0, 1.0]], [1]))
    train()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_vector_targets_and_numpy_labels_are_good_labels():
    np = pytest.importorskip("numpy")
    X = [[0.0, 1.0], [1.0, 0.0]]
    model = MLP(2, [3, 2], seed=0)
    history = fit(model, X, [[1.0, 0.0], [0.0, 1.0]], loss=nn.mse_loss,
                  optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False,
                  validation=(np.array(X), np.array([[1.0, 0.0], [0.0, 1.0]])))
    assert len(history.val_loss) == 2
    model = MLP(2, [3, 1], seed=0)
    history = fit(model, X, [1, -1], loss=nn.hinge_loss,
                  optimizer=SGD(model.parameters(), lr=0.1), epochs=2, progress=False,
                  test=(np.array(X), [np.float64(1.0), np.int64(-1)]))
    assert len(history.test_loss) == 2
