"""nn's argument checks, written once (nn.checks): each kind of argument is checked, and
refused, the same way wherever it is taken."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from nn import MLP, SGD, Adam, Layer, Neuron, Perceptron, checks, data
from nn.data import DataLoader

# ---------------------------------------------------------------- the checks themselves -------


@given(st.integers(1, 10**6))
def test_count_accepts_every_positive_int(n):
    assert checks.count(n, "n") == n


@pytest.mark.parametrize("bad", [0, -3, 2.0, "3", True, None, Fraction(3, 1)], ids=repr)
def test_count_refuses_anything_but_an_int_of_at_least_the_minimum(bad):
    with pytest.raises(ValueError, match=r"^size must be a positive int, got "):
        checks.count(bad, "size")


def test_count_names_a_minimum_other_than_one():
    with pytest.raises(ValueError, match=r"^resolution must be an int >= 2, got 1$"):
        checks.count(1, "resolution", 2)


@given(st.floats(0, 1e300) | st.integers(0, 10**6))
def test_amount_accepts_finite_numbers_from_zero(x):
    assert checks.amount(x, "noise") == float(x)


@pytest.mark.parametrize("bad", [-1e-9, math.inf, math.nan, "0.1", True, None, [0.1]], ids=repr)
def test_amount_refuses_negatives_non_finite_and_non_numbers(bad):
    with pytest.raises(ValueError, match=r"^noise must be a finite number >= 0, got "):
        checks.amount(bad, "noise")


@pytest.mark.parametrize("options, good, bad, wanted", [
    ({"positive": True}, 1e-300, 0.0, "a finite number > 0"),
    ({"below": 1.0}, 0.999, 1.0, r"a number in \[0, 1\)"),
    ({"at_most": 1.0}, 1.0, 1.0000001, r"a number in \[0, 1\]"),
    ({"positive": True, "below": 1.0}, 0.5, 0.0, r"a number in \(0, 1\)"),
])
def test_amount_ranges_say_their_bounds(options, good, bad, wanted):
    assert checks.amount(good, "x", **options) == good
    with pytest.raises(ValueError, match=f"^x must be {wanted}, got "):
        checks.amount(bad, "x", **options)


def test_amount_takes_any_real_number_type():
    assert checks.amount(Fraction(1, 4), "lr") == 0.25


@pytest.mark.parametrize("X, y, error, message", [
    ([[0.0]], [1, 2], ValueError, "got 1 examples and 2 labels; give one label per example"),
    ([], [], ValueError, "is empty"),
    ((x for x in [[0.0]]), [1], TypeError, "X must be a sequence .* got generator"),
    ([[0.0]], {1}, TypeError, "y must be a sequence .* got set"),
    ({"a": [0.0]}, [1], TypeError, "X must be a sequence .* got dict"),
    ("ab", [1, 2], TypeError, "X must be a sequence .* got str"),
])
def test_dataset_refuses_what_is_not_one_label_per_example(X, y, error, message):
    with pytest.raises(error, match=message):
        checks.dataset(X, y, "the data")


# ---------------------------------------------------------------- one way everywhere ----------

def fit_with(X=([0.0],), y=(1,), **options):
    model = MLP(len(X[0]) if X and isinstance(X, list) else 1, [1], seed=0)
    return nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
                  progress=False, **options)


SIZES = {
    "Neuron nin": lambda n: Neuron(n),
    "Layer nout": lambda n: Layer(2, n),
    "MLP layer size": lambda n: MLP(2, [n]),
    "Perceptron nin": lambda n: Perceptron(n),
    "batch_size": lambda n: DataLoader([[0.0]], [0], batch_size=n),
    "n_samples": lambda n: data.make_blobs(n),
    "classes": lambda n: data.make_spiral(10, classes=n),
    "fit epochs": lambda n: fit_with(epochs=n),
    "perceptron epochs": lambda n: Perceptron(1).fit([[0.0]], [1], epochs=n),
}


@pytest.mark.parametrize("make", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("bad", [0, -1, 2.5, True], ids=repr)
def test_every_size_is_refused_in_the_same_words(make, bad):
    with pytest.raises(ValueError, match=r"must be a positive int, got "):
        make(bad)


AMOUNTS = {
    "noise": lambda x: data.make_moons(10, noise=x),
    "std": lambda x: data.make_blobs(10, std=x),
    "lr": lambda x: SGD([nn.Neuron(1).b], lr=x),
    "weight_decay": lambda x: Adam([nn.Neuron(1).b], weight_decay=x),
    "l2": lambda x: fit_with(l2=x),
}


@pytest.mark.parametrize("make", AMOUNTS.values(), ids=AMOUNTS.keys())
@pytest.mark.parametrize("bad", [-0.5, math.inf, math.nan, "1"], ids=repr)
def test_every_amount_is_refused_in_the_same_words(make, bad):
    with pytest.raises(ValueError, match=r"must be a finite number >= 0, got "):
        make(bad)


DATASETS = {
    "fit": lambda X, y: fit_with(X, y),
    "accuracy": lambda X, y: nn.accuracy(MLP(1, [1], seed=0), X, y),
    "DataLoader": lambda X, y: DataLoader(X, y),
    "train_test_split": lambda X, y: data.train_test_split(X, y),
    "Perceptron.fit": lambda X, y: Perceptron(1).fit(X, y),
    "plot_decision_boundary": lambda X, y: nn.plot_decision_boundary(MLP(2, [1]), X, y),
}


@pytest.mark.parametrize("call", DATASETS.values(), ids=DATASETS.keys())
def test_every_dataset_with_a_label_missing_is_refused_in_the_same_words(call):
    with pytest.raises(ValueError, match="got 3 examples and 2 labels; give one label per "
                                         "example"):
        call([[0.0, 1.0]] * 3, [1, -1])


@pytest.mark.parametrize("call", DATASETS.values(), ids=DATASETS.keys())
def test_every_dataset_that_is_not_a_sequence_is_refused_in_the_same_words(call):
    with pytest.raises(TypeError, match="X must be a sequence such as a list or an array, got "
                                        "generator"):
        call((x for x in [[0.0, 1.0]]), [1])


def test_parameters_are_checked_the_same_way_by_optimizers_and_penalties():
    model = MLP(2, [1], seed=0)
    for take in (lambda ps: SGD(ps, lr=0.1), nn.l1_penalty, nn.l2_penalty):
        with pytest.raises(TypeError, match=r"pass model\.parameters\(\), not the model"):
            take(model)
        with pytest.raises(TypeError, match="takes Values"):
            take([1.0])
