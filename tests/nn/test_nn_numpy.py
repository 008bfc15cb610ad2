"""NumPy arrays, what most students hold, work wherever lists do, and give the same results.

NumPy is not a dependency of ``nn``; it is present in the development environment (matplotlib
needs it), and these tests skip without it.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import MLP, SGD, Adam, Perceptron, data
from nn.data import DataLoader

# On CI NumPy is part of the install (matplotlib needs it): missing there, it is a failure.
np = __import__("numpy") if os.environ.get("CI") else pytest.importorskip("numpy")

X_LIST, Y_LIST = data.make_moons(40, noise=0.1, seed=0)
Y_SIGNS = [2 * t - 1 for t in Y_LIST]


def as_arrays(X, y, x_type="float64", y_type="int64"):
    return np.array(X, dtype=x_type), np.array(y, dtype=y_type)


def trained(X, y, loss, make_optimizer=lambda ps: SGD(ps, lr=0.1), nouts=(8, 1), **options):
    model = MLP(2, list(nouts), seed=0)
    history = nn.fit(model, X, y, loss=loss, optimizer=make_optimizer(model.parameters()),
                     epochs=4, progress=False, seed=0, **options)
    return model, history


@pytest.mark.parametrize("loss, labels, nouts", [
    (nn.hinge_loss, Y_SIGNS, (8, 1)),
    (nn.bce_with_logits, Y_LIST, (8, 1)),
    (nn.cross_entropy, Y_LIST, (8, 2)),
    (nn.mse_loss, Y_LIST, (8, 1)),
], ids=["hinge", "bce_with_logits", "cross_entropy", "mse"])
@pytest.mark.parametrize("batch_size", [None, 8, 1], ids=["full", "minibatch", "stochastic"])
def test_fit_on_arrays_trains_exactly_as_on_lists(loss, labels, nouts, batch_size):
    X, y = as_arrays(X_LIST, labels)
    on_lists, history_lists = trained(X_LIST, labels, loss, nouts=nouts, batch_size=batch_size)
    on_arrays, history_arrays = trained(X, y, loss, nouts=nouts, batch_size=batch_size)
    assert history_arrays == history_lists
    assert [p.data for p in on_arrays.parameters()] == [p.data for p in on_lists.parameters()]


def test_fit_measures_a_test_split_of_arrays_in_plain_floats():
    X, y = as_arrays(X_LIST, Y_SIGNS)
    _, history = trained(X[:30], y[:30], nn.hinge_loss, test=(X[30:], y[30:]))
    for series in (history.loss, history.accuracy, history.test_loss, history.test_accuracy):
        assert series and all(type(v) is float for v in series)


@pytest.mark.parametrize("x_type, y_type", [("float32", "int32"), ("float64", "float64"),
                                            ("float16", "int8")])
def test_fit_takes_arrays_of_any_numeric_dtype(x_type, y_type):
    X, y = as_arrays(X_LIST, Y_SIGNS, x_type, y_type)
    _, history = trained(X, y, nn.hinge_loss, make_optimizer=lambda ps: Adam(ps, lr=0.01))
    assert all(math.isfinite(v) for v in history.loss)


def test_accuracy_of_arrays_is_the_accuracy_of_lists():
    model, _ = trained(X_LIST, Y_SIGNS, nn.hinge_loss)
    X, y = as_arrays(X_LIST, Y_SIGNS)
    on_arrays = nn.accuracy(model, X, y)
    assert on_arrays == nn.accuracy(model, X_LIST, Y_SIGNS) and type(on_arrays) is float


def test_data_loader_batches_arrays_as_it_batches_lists():
    X, y = as_arrays(X_LIST, Y_LIST)
    from_lists = [(Xb, yb) for Xb, yb in DataLoader(X_LIST, Y_LIST, batch_size=7, seed=3)]
    from_arrays = [(Xb, yb) for Xb, yb in DataLoader(X, y, batch_size=7, seed=3)]
    assert [[list(row) for row in Xb] for Xb, _ in from_arrays] == [Xb for Xb, _ in from_lists]
    assert [list(yb) for _, yb in from_arrays] == [yb for _, yb in from_lists]


def test_train_test_split_takes_arrays():
    X, y = as_arrays(X_LIST, Y_LIST)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, seed=0)
    expected = data.train_test_split(X_LIST, Y_LIST, seed=0)
    assert [list(x) for x in X_train] == expected[0] and list(y_test) == expected[3]


def png_of(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_a_decision_boundary_of_arrays_is_the_picture_of_lists():
    pytest.importorskip("matplotlib")
    model, _ = trained(X_LIST, Y_SIGNS, nn.hinge_loss)
    X, y = as_arrays(X_LIST, Y_SIGNS)
    from_arrays = nn.plot_decision_boundary(model, X, y, resolution=15)
    from_lists = nn.plot_decision_boundary(model, X_LIST, Y_SIGNS, resolution=15)
    assert png_of(from_arrays) == png_of(from_lists)


def test_models_take_array_rows_and_numpy_scalars():
    model = MLP(2, [3, 1], seed=0)
    row = np.array([0.5, -1.0], dtype=np.float32)
    assert model(row).data == model([0.5, -1.0]).data
    neuron = nn.Neuron(1, seed=0)
    assert neuron(np.float32(2.0)).data == neuron(2.0).data
    assert MLP(np.int64(2), [np.int64(3), 1], seed=0)(row).data == model(row).data


def test_a_model_built_from_numpy_sizes_saves_and_loads(tmp_path):
    model = MLP(np.int64(2), [np.int32(3), 1], seed=0)
    model.save(tmp_path / "m.json")
    assert nn.load(tmp_path / "m.json").nouts == [3, 1]


def test_the_perceptron_learns_from_arrays():
    X, y = as_arrays([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 0, 0, 1])
    perceptron = Perceptron(2)
    mistakes = perceptron.fit(X, y, epochs=20)
    assert mistakes[-1] == 0 and [perceptron(x) for x in X] == [-1, -1, -1, 1]


def test_draw_network_shows_the_values_for_an_array_row():
    model = MLP(2, [2, 1], seed=0)
    source = nn.draw_network(model, x=np.array([1.0, 2.0])).source
    assert source == nn.draw_network(model, x=[1.0, 2.0]).source


scalar_types = st.sampled_from([np.float64, np.float32, np.int64, np.int32])


@given(st.floats(-30, 30), scalar_types)
def test_losses_of_numpy_scores_equal_those_of_floats(score, kind):
    s = kind(score)
    score = float(s)  # the number the NumPy scalar holds
    assert nn.hinge_loss(s, np.int64(-1)).data == nn.hinge_loss(score, -1).data
    assert nn.bce_with_logits(s, np.float32(1)).data == nn.bce_with_logits(score, 1).data
    assert nn.mse_loss(s, np.float64(0.5)).data == nn.mse_loss(score, 0.5).data
    assert nn.cross_entropy([s, kind(1)], np.int64(1)).data == \
        nn.cross_entropy([score, float(kind(1))], 1).data


@given(st.floats(0.001, 0.999), scalar_types)
def test_binary_cross_entropy_takes_numpy_probabilities_and_labels(p, kind):
    label = kind(1)
    assert nn.binary_cross_entropy(np.float64(p), label).data == \
        nn.binary_cross_entropy(p, 1).data


@pytest.mark.parametrize("label", [np.float32(2.0), np.float64(1.0), np.int8(0)], ids=repr)
def test_class_labels_may_be_numpy_numbers(label):
    scores = [0.1, 0.2, 0.3]
    assert nn.cross_entropy(scores, label).data == nn.cross_entropy(scores, int(label)).data


@pytest.mark.parametrize("call", [
    lambda X, y: nn.accuracy(MLP(2, [1], seed=0), X, y),
    lambda X, y: DataLoader(X, y),
    lambda X, y: nn.fit(MLP(2, [1], seed=0), X, y, loss=nn.hinge_loss,
                        optimizer=SGD(MLP(2, [1], seed=0).parameters(), lr=0.1),
                        progress=False),
], ids=["accuracy", "DataLoader", "fit"])
def test_an_empty_array_is_refused_as_empty_not_as_ambiguous(call):
    with pytest.raises(ValueError, match="empty"):
        call(np.zeros((0, 2)), np.zeros(0))


def test_nn_does_not_import_numpy():
    # nn works with arrays without importing NumPy itself.
    done = subprocess.run([sys.executable, "-c", "import sys, nn; import nn.checks; "
                           "print('numpy' in sys.modules)"], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr
