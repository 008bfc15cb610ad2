"""Small datasets for the lectures' experiments, and batching. Pure Python, seeded, lists.

Every generator returns ``(X, y)``: ``X`` a list of examples (each a list of floats), ``y`` a list
of labels (ints 0, 1, ..., K-1 for classification, as scikit-learn's; floats for regression).
``seed`` is an int for a reproducible dataset or ``None`` for a new one; each call draws from its
own ``random.Random``, never from the ``random`` module's shared state.

For the notes' binary SVM, whose labels are -1 and +1, convert with ``[2 * t - 1 for t in y]``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence

from nn import checks

Dataset = tuple[list[list[float]], list]
Split = tuple[list, list, list, list]


def _interval(value: object, name: str) -> tuple[float, float]:
    """``value`` as (low, high): two finite numbers with low < high."""
    wanted = f"{name} must be a pair (low, high) of finite numbers with low < high"
    try:
        ends = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{wanted}, got {type(value).__name__}") from None
    if len(ends) != 2:
        raise ValueError(f"{wanted}, got {len(ends)} value" + ("" if len(ends) == 1 else "s"))
    if not all(checks.is_number(end) for end in ends):
        raise TypeError(f"{wanted}, got {value!r}")
    low, high = float(ends[0]), float(ends[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{wanted}, got {value!r}")
    return low, high


def _centers(centers: object) -> list[list[float]]:
    """A list of cluster centers: points (sequences of finite numbers) of one dimension."""
    wanted = ("centers must be a number of classes or a non-empty list of points of the same "
              "dimension, e.g. [[0, 0], [3, 3]]")
    if isinstance(centers, (str, bytes)) or not isinstance(centers, Iterable):
        raise TypeError(f"{wanted}; got {type(centers).__name__}")
    points = []
    for center in centers:
        if isinstance(center, (str, bytes)) or not isinstance(center, Iterable):
            raise TypeError(f"{wanted}; got a center that is {type(center).__name__}")
        point = list(center)
        for c in point:
            if not checks.is_number(c):
                raise TypeError(f"{wanted}; got a coordinate that is {type(c).__name__}")
            if not math.isfinite(c):
                raise ValueError(f"{wanted} (finite coordinates); got {c!r}")
        points.append([float(c) for c in point])
    if not points or len({len(p) for p in points}) != 1 or not points[0]:
        raise ValueError(wanted)
    return points


def _rng(seed: int | None) -> random.Random:
    return random.Random(checks.seed(seed))


def _linspace(start: float, stop: float, n: int) -> list[float]:
    if n == 1:
        return [start]
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def _split_evenly(n: int, k: int) -> list[int]:
    """n examples over k classes, the first n % k classes getting one more (scikit-learn's)."""
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def _shuffled(X: list, y: list, rng: random.Random) -> Dataset:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = None) -> Dataset:
    """Two interleaving half circles, micrograd's demo data (scikit-learn's recipe).

    Class 0 lies on the upper half circle (cos t, sin t), class 1 on the lower one
    (1 - cos t, 0.5 - sin t), t in [0, pi]; then Gaussian noise of standard deviation ``noise``
    on each coordinate, and the examples are shuffled.
    """
    n = checks.count(n_samples, "n_samples", 2)
    noise = checks.amount(noise, "noise")
    rng = _rng(seed)
    n_outer = n // 2
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_outer)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n - n_outer)]
    y = [0] * n_outer + [1] * (n - n_outer)
    X, y = _shuffled(X, y, rng)
    return [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X], y


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3,
               std: float = 1.0, n_features: int = 2, box: tuple[float, float] = (-10.0, 10.0),
               seed: int | None = None) -> Dataset:
    """K Gaussian clusters, one per class: the K-way classification data of notes 000 and 001.

    ``centers`` is K (centers then drawn uniformly from ``box`` in each of ``n_features``
    dimensions) or the list of centers itself. Each example is its class center plus Gaussian
    noise of standard deviation ``std`` per coordinate; classes get n/K examples each.
    """
    n = checks.count(n_samples, "n_samples")
    std = checks.amount(std, "std")
    rng = _rng(seed)
    if isinstance(centers, int) and not isinstance(centers, bool):
        k = checks.count(centers, "centers (the number of classes)")
        d = checks.count(n_features, "n_features")
        low, high = _interval(box, "box")
        points = [[rng.uniform(low, high) for _ in range(d)] for _ in range(k)]
    else:
        points = _centers(centers)
    X, y = [], []
    for label, (center, count) in enumerate(zip(points, _split_evenly(n, len(points)))):
        X += [[c + rng.gauss(0.0, std) for c in center] for _ in range(count)]
        y += [label] * count
    return _shuffled(X, y, rng)


#: The four corners of the unit square and their XOR labels.
XOR_TABLE = (([0.0, 0.0], 0), ([0.0, 1.0], 1), ([1.0, 0.0], 1), ([1.0, 1.0], 0))


def make_xor(n_samples: int = 4, noise: float = 0.0, seed: int | None = None) -> Dataset:
    """XOR: label 1 when exactly one coordinate is 1, the classic problem no single perceptron
    solves (the classes are not linearly separable).

    Example i is corner i % 4 of the truth table (0,0) -> 0, (0,1) -> 1, (1,0) -> 1,
    (1,1) -> 0, plus Gaussian noise of standard deviation ``noise``: the defaults give exactly
    the truth table.
    """
    n = checks.count(n_samples, "n_samples")
    noise = checks.amount(noise, "noise")
    rng = _rng(seed)
    X, y = [], []
    for i in range(n):
        corner, label = XOR_TABLE[i % 4]
        X.append([c + rng.gauss(0.0, noise) if noise else c for c in corner])
        y.append(label)
    return X, y


def make_spiral(n_samples: int = 300, classes: int = 3, noise: float = 0.2,
                seed: int | None = None) -> Dataset:
    """K interleaved spiral arms (CS231n's spiral), a K-class problem no linear model solves.

    Arm j has radii r evenly from 0 to 1 and angles t evenly from 4j to 4(j + 1) radians plus
    Gaussian noise of standard deviation ``noise``; its points are (r sin t, r cos t).
    """
    n = checks.count(n_samples, "n_samples")
    k = checks.count(classes, "classes")
    noise = checks.amount(noise, "noise")
    rng = _rng(seed)
    X, y = [], []
    for j, count in enumerate(_split_evenly(n, k)):
        for r, t in zip(_linspace(0.0, 1.0, count), _linspace(4.0 * j, 4.0 * (j + 1), count)):
            t += rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(j)
    return _shuffled(X, y, rng)


def make_regression_1d(n_samples: int = 50, fn: Callable[[float], float] = math.sin,
                       x_range: tuple[float, float] = (-3.0, 3.0), noise: float = 0.0,
                       seed: int | None = None) -> Dataset:
    """Samples of a 1-D function, for the notes' "network to approximate a 1-D function" (003).

    x is drawn uniformly from ``x_range`` and sorted (so the points plot as a curve);
    y = fn(x) plus Gaussian noise of standard deviation ``noise``. Each example is ``[x]``, the
    input of an ``MLP(1, ...)``.
    """
    n = checks.count(n_samples, "n_samples")
    noise = checks.amount(noise, "noise")
    if not callable(fn):
        raise TypeError(f"fn must be a function of one number, got {type(fn).__name__}")
    low, high = _interval(x_range, "x_range")
    rng = _rng(seed)
    xs = sorted(rng.uniform(low, high) for _ in range(n))
    return [[x] for x in xs], [float(fn(x)) + rng.gauss(0.0, noise) for x in xs]


def _held_out(size: object, n: int, name: str) -> int:
    """How many of n examples a split's ``size`` asks for: a fraction in (0, 1) gets
    ceil(fraction * n), an int is a count."""
    if isinstance(size, float) and 0.0 < size < 1.0:
        return math.ceil(size * n)
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    raise ValueError(f"{name} must be a fraction in (0, 1) or a count of examples, got "
                     f"{size!r}")


def _split(X: Sequence, y: Sequence, sizes: list[int], shuffle: bool, seed: int | None
           ) -> list[tuple[list, list]]:
    """``(X, y)`` cut into consecutive parts of the given sizes, after shuffling the order."""
    order = list(range(len(X)))
    if shuffle:
        _rng(seed).shuffle(order)
    parts, start = [], 0
    for size in sizes:
        chunk = order[start:start + size]
        parts.append(([X[i] for i in chunk], [y[i] for i in chunk]))
        start += size
    return parts


def train_test_split(X: Sequence, y: Sequence, test_size: float | int = 0.25,
                     shuffle: bool = True, seed: int | None = None) -> Split:
    """Split into ``X_train, X_test, y_train, y_test`` (scikit-learn's order and meaning).

    ``test_size`` is a fraction in (0, 1) (the test set gets ceil(fraction * n) examples) or a
    count. With ``shuffle`` the examples are drawn at random (from ``seed``); without, the last
    ones are the test set.
    """
    n = checks.dataset(X, y, "train_test_split")
    n_test = _held_out(test_size, n, "test_size")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"test_size {test_size!r} leaves {n_test} of {n} examples for testing; "
                         "both the training and the test set need at least one")
    (X_train, y_train), (X_test, y_test) = _split(X, y, [n - n_test, n_test], shuffle, seed)
    return X_train, X_test, y_train, y_test


def train_val_test_split(X: Sequence, y: Sequence, val_size: float | int = 0.2,
                         test_size: float | int = 0.2, shuffle: bool = True,
                         seed: int | None = None) -> tuple[list, list, list, list, list, list]:
    """Split into ``X_train, X_val, X_test, y_train, y_val, y_test``: a training set to fit, a
    validation set to choose with (when to stop, which model: notes 004), a test set to report.

    Sizes as ``train_test_split``'s ``test_size`` (fractions of all n examples, or counts). The
    test set is the one ``train_test_split`` would hold out with the same ``test_size``,
    ``shuffle`` and ``seed``; the validation set is cut from what it would train on.
    """
    n = checks.dataset(X, y, "train_val_test_split")
    n_val = _held_out(val_size, n, "val_size")
    n_test = _held_out(test_size, n, "test_size")
    if n_val < 1 or n_test < 1 or n_val + n_test > n - 1:
        raise ValueError(f"val_size {val_size!r} and test_size {test_size!r} ask for {n_val} "
                         f"validation and {n_test} test examples of {n}; the training, "
                         "validation and test sets each need at least one")
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = _split(
        X, y, [n - n_val - n_test, n_val, n_test], shuffle, seed)
    return X_train, X_val, X_test, y_train, y_val, y_test


class DataLoader:
    """Minibatches of ``(X, y)``: each ``for Xb, yb in loader`` is one epoch.

    ``batch_size`` None (or the dataset size) gives one batch, the whole set (full-batch gradient
    descent); 1 gives stochastic gradient descent; anything between, minibatches (notes 000,
    004). With ``shuffle`` the order is drawn anew for every epoch from one generator seeded by
    ``seed``, so a seeded run repeats exactly. The last batch may be smaller, unless
    ``drop_last``.
    """

    def __init__(self, X: Sequence, y: Sequence, batch_size: int | None = None,
                 shuffle: bool = True, seed: int | None = None, drop_last: bool = False) -> None:
        n = checks.dataset(X, y, "DataLoader's dataset")
        self.X, self.y = X, y
        self.batch_size = n if batch_size is None else checks.count(batch_size, "batch_size")
        if drop_last and self.batch_size > len(X):
            raise ValueError(f"batch_size {batch_size} with drop_last leaves no batch of "
                             f"{len(X)} examples")
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = _rng(seed)

    def __len__(self) -> int:
        """The number of batches per epoch."""
        full, rest = divmod(len(self.X), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[list, list]]:
        order = list(range(len(self.X)))
        if self.shuffle:
            self._rng.shuffle(order)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            if self.drop_last and len(chunk) < self.batch_size:
                return
            yield [self.X[i] for i in chunk], [self.y[i] for i in chunk]
