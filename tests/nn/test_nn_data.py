"""Datasets and batching: shapes, labels, seeds, geometry, errors."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from nn import data
from nn.data import DataLoader, train_test_split

MAKERS = [
    lambda seed: data.make_moons(40, noise=0.1, seed=seed),
    lambda seed: data.make_blobs(40, centers=3, seed=seed),
    lambda seed: data.make_xor(40, noise=0.1, seed=seed),
    lambda seed: data.make_spiral(40, classes=4, seed=seed),
    lambda seed: data.make_regression_1d(40, noise=0.1, seed=seed),
]


@pytest.mark.parametrize("make", MAKERS)
def test_datasets_are_lists_of_float_lists_with_one_label_each(make):
    X, y = make(0)
    assert isinstance(X, list) and isinstance(y, list) and len(X) == len(y) == 40
    assert all(isinstance(x, list) and all(isinstance(v, float) for v in x) for x in X)


@pytest.mark.parametrize("make", MAKERS)
def test_a_seed_makes_a_dataset_reproducible_and_another_seed_changes_it(make):
    assert make(3) == make(3)
    assert make(3) != make(4)


@pytest.mark.parametrize("make", MAKERS)
def test_datasets_never_touch_the_global_random_state(make):
    random.seed(99)
    state = random.getstate()
    make(1)
    make(None)
    assert random.getstate() == state


def test_moons_without_noise_lie_on_their_two_half_circles():
    X, y = data.make_moons(50, noise=0.0, seed=0)
    assert Counter(y) == {0: 25, 1: 25}
    for (a, b), label in zip(X, y):
        if label == 0:  # upper circle around (0, 0)
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower circle around (1, 0.5)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_moons_are_shuffled():
    _, y = data.make_moons(40, noise=0.0, seed=0)
    assert y != sorted(y)


def test_blobs_without_spread_sit_on_the_given_centers():
    centers = [[0.0, 0.0], [5.0, 5.0], [-3.0, 4.0]]
    X, y = data.make_blobs(10, centers=centers, std=0.0, seed=0)
    assert Counter(y) == {0: 4, 1: 3, 2: 3}
    assert all(x == centers[label] for x, label in zip(X, y))


def test_blobs_with_k_classes_draw_k_centers_in_the_box():
    X, y = data.make_blobs(60, centers=4, std=0.0, n_features=3, box=(-2.0, 2.0), seed=1)
    assert set(y) == {0, 1, 2, 3}
    assert all(len(x) == 3 and all(-2.0 <= v <= 2.0 for v in x) for x in X)


def test_xor_defaults_to_the_truth_table():
    X, y = data.make_xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0, 1, 1, 0]


def test_noisy_xor_keeps_the_corner_labels():
    X, y = data.make_xor(400, noise=0.1, seed=0)
    assert all(label == (round(a) != round(b)) for (a, b), label in zip(X, y))


def test_spiral_arms_have_radius_at_most_one_and_one_class_each():
    X, y = data.make_spiral(90, classes=3, seed=0)
    assert Counter(y) == {0: 30, 1: 30, 2: 30}
    assert all(math.hypot(a, b) <= 1.0 + 1e-12 for a, b in X)


def test_regression_1d_samples_the_function_in_order():
    X, y = data.make_regression_1d(30, fn=math.cos, x_range=(-1.0, 2.0), seed=0)
    xs = [x[0] for x in X]
    assert xs == sorted(xs) and all(-1.0 <= v <= 2.0 for v in xs)
    assert y == [math.cos(v) for v in xs]


def test_train_test_split_partitions_the_examples():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert (len(X_train), len(X_test)) == (7, 3)  # ceil(0.25 * 10) = 3 for testing
    assert sorted(y_train + y_test) == y
    assert all(x == [float(t)] for x, t in zip(X_train + X_test, y_train + y_test))


def test_train_test_split_is_seeded_and_can_keep_the_order():
    X, y = [[float(i)] for i in range(8)], list(range(8))
    assert train_test_split(X, y, seed=1) == train_test_split(X, y, seed=1)
    _, _, y_train, y_test = train_test_split(X, y, test_size=2, shuffle=False)
    assert (y_train, y_test) == ([0, 1, 2, 3, 4, 5], [6, 7])


@pytest.mark.parametrize("test_size", [0.0, 1.0, 0, 10, "half", True])
def test_train_test_split_refuses_a_split_that_leaves_a_side_empty(test_size):
    with pytest.raises(ValueError, match="test_size"):
        train_test_split([[0.0]] * 10, [0] * 10, test_size=test_size)


def test_loader_batches_cover_every_example_once_per_epoch():
    X, y = [[float(i)] for i in range(10)], list(range(10))
    loader = DataLoader(X, y, batch_size=4, seed=0)
    batches = list(loader)
    assert len(loader) == 3 and [len(b[1]) for b in batches] == [4, 4, 2]
    assert sorted(t for _, yb in batches for t in yb) == y
    assert all(x == [float(t)] for Xb, yb in batches for x, t in zip(Xb, yb))


def test_loader_reshuffles_every_epoch_reproducibly():
    X, y = [[float(i)] for i in range(20)], list(range(20))
    first = DataLoader(X, y, batch_size=20, seed=5)
    second = DataLoader(X, y, batch_size=20, seed=5)
    epochs = [next(iter(first))[1] for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    assert epochs == [next(iter(second))[1] for _ in range(3)]


def test_loader_without_batch_size_gives_the_full_batch_in_order_without_shuffle():
    X, y = [[1.0], [2.0], [3.0]], [0, 1, 0]
    assert list(DataLoader(X, y, shuffle=False)) == [(X, y)]


def test_loader_drop_last_skips_the_short_batch():
    loader = DataLoader([[0.0]] * 10, [0] * 10, batch_size=4, drop_last=True, seed=0)
    assert len(loader) == 2 and [len(yb) for _, yb in loader] == [4, 4]


@pytest.mark.parametrize("make, message", [
    (lambda: data.make_moons(1), "n_samples"),
    (lambda: data.make_moons(10, noise=-0.1), "noise"),
    (lambda: data.make_moons(10, noise=float("inf")), "noise"),
    (lambda: data.make_blobs(10, centers=0), "centers"),
    (lambda: data.make_blobs(10, centers=[[0, 0], [1]]), "same dimension"),
    (lambda: data.make_blobs(10, box=(1.0, -1.0)), "box"),
    (lambda: data.make_spiral(10, classes=0), "classes"),
    (lambda: data.make_regression_1d(10, x_range=(2.0, 2.0)), "x_range"),
    (lambda: train_test_split([[0.0]] * 3, [0] * 2), "one label per example"),
    (lambda: DataLoader([], []), "empty"),
    (lambda: DataLoader([[0.0]], [0], batch_size=0), "batch_size"),
])
def test_bad_arguments_are_refused_with_what_was_wrong(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, error, message", [
    (lambda: data.make_blobs(10, box=5), TypeError, "box must be a pair .* got int"),
    (lambda: data.make_blobs(10, box=(1.0, 2.0, 3.0)), ValueError, "box .* got 3 values"),
    (lambda: data.make_blobs(10, box=("a", "b")), TypeError, "box must be a pair"),
    (lambda: data.make_blobs(10, box=(-math.inf, 0.0)), ValueError, "box .* finite"),
    (lambda: data.make_regression_1d(10, x_range=None), TypeError, "x_range must be a pair"),
    (lambda: data.make_regression_1d(10, x_range=[1.0]), ValueError, "x_range .* got 1 value"),
    (lambda: data.make_regression_1d(10, x_range=(0, "1")), TypeError, "x_range"),
    (lambda: data.make_blobs(10, centers=[1, 2]), TypeError, "centers .* got a center that is int"),
    (lambda: data.make_blobs(10, centers="ab"), TypeError, "centers .* got str"),
    (lambda: data.make_blobs(10, centers=[[0, "a"]]), TypeError, "coordinate that is str"),
    (lambda: data.make_blobs(10, centers=2.5), TypeError, "centers .* got float"),
    (lambda: data.make_blobs(10, centers=[[0, math.nan]]), ValueError, "finite coordinates"),
    (lambda: data.make_blobs(10, centers=[]), ValueError, "centers"),
])
def test_bad_ranges_and_centers_are_refused_saying_what_to_give(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_ranges_and_centers_may_be_any_pairs_and_sequences_of_numbers():
    X, _ = data.make_blobs(6, centers=((0, 0), (3, 3)), std=0.0, seed=0)
    assert sorted(X) == [[0.0, 0.0]] * 3 + [[3.0, 3.0]] * 3
    X, _ = data.make_regression_1d(5, x_range=[0, 1], seed=0)
    assert all(0.0 <= x[0] <= 1.0 for x in X)


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed"):
        data.make_moons(10, seed=1.5)
    with pytest.raises(TypeError, match="fn"):
        data.make_regression_1d(10, fn=3)
