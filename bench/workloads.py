"""The programs the suite measures, written once and run on either engine.

Both engines have micrograd's interface (``Value``, ``+ * **``, ``relu()``, ``backward()``,
``model.parameters()``, ``model.zero_grad()``), so the very same code runs on each: what differs
between the rows of the table is the engine (or the model code), never the program.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

#: micrograd's demo: MLP(2, [16, 16, 1]), weight decay alpha = 1e-4.
SIZES = (2, 16, 16, 1)
ALPHA = 1e-4
#: A wider model, where batched tensors pull ahead of a scalar engine.
WIDE = (2, 64, 64, 1)

#: One layer as floats: for each neuron, its weights and its bias.
Layer = list[tuple[list[float], float]]


def initial_weights(sizes: Sequence[int] = SIZES, seed: int = 0) -> list[Layer]:
    """Weights uniform in [-1, 1] and biases 0, as micrograd initialises them; from a seed."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes, sizes[1:])]


def flat(weights: list[Layer]) -> list[float]:
    """The weights in micrograd's ``parameters()`` order: each neuron's weights, then its bias."""
    return [p for layer in weights for w, b in layer for p in (*w, b)]


def load_weights(model: Any, weights: list[Layer]) -> None:
    """Set a micrograd-style model's parameters to ``weights``, so that every engine starts alike.

    Both engines list parameters neuron by neuron, weights before bias (micrograd's order)."""
    params = model.parameters()
    numbers = flat(weights)
    if len(params) != len(numbers):
        raise ValueError(f"the model has {len(params)} parameters, the weights {len(numbers)}: "
                         f"build the model as MLP({SIZES[0]}, {list(SIZES[1:])})")
    for p, number in zip(params, numbers):
        p.data = number


def learning_rate(k: int) -> float:
    """micrograd's demo schedule: 1.0 at step 0, decaying linearly by 0.009 a step."""
    return 1.0 - 0.9 * k / 100


def hinge_loss(model: Any, points: list[list[float]], labels: list[float],
               value: Callable[[float], Any]) -> Any:
    """micrograd's demo loss, SVM "max-margin" plus L2 weight decay:

        L = (1/n) sum_i max(0, 1 - y_i s_i)  +  alpha sum_p p^2,   s_i = model(x_i)
    """
    inputs = [[value(x) for x in row] for row in points]
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def train_step(model: Any, points: list[list[float]], labels: list[float],
               value: Callable[[float], Any], k: int) -> float:
    """One step of micrograd's demo: forward, backward, SGD update; returns the loss before it."""
    loss = hinge_loss(model, points, labels, value)
    model.zero_grad()
    loss.backward()
    rate = learning_rate(k)
    for p in model.parameters():
        p.data -= rate * p.grad
    return loss.data


def compiled_train_step(params: list, step: Callable[[list, list], float],
                        points: list[list[float]], labels: list[float], k: int) -> float:
    """``train_step`` with forward and backward done by ``step``, the loss compiled with
    ``autograd.compile``: the same numbers, bit for bit. ``params`` is the model's parameter
    list, listed once, as an optimizer holds it."""
    for p in params:
        p.grad = 0.0
    loss = step(points, labels)
    rate = learning_rate(k)
    for p in params:
        p.data -= rate * p.grad
    return loss


class LectureMLP:
    """micrograd's MLP as its README and the lecture type it, on any ``Value`` class: a neuron
    sums ``w_i * x_i`` one node per ``*`` and per ``+`` (from its bias), then ReLU; the last
    layer is linear. Parameters in micrograd's order, each neuron's weights, then its bias."""

    def __init__(self, value: Callable[[float], Any], sizes: Sequence[int] = SIZES) -> None:
        self.layers = [[([value(0.0) for _ in range(nin)], value(0.0)) for _ in range(nout)]
                       for nin, nout in zip(sizes, sizes[1:])]

    def __call__(self, x: list) -> Any:
        for i, layer in enumerate(self.layers):
            last = i == len(self.layers) - 1
            outs = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x)), b)
                outs.append(act if last else act.relu())
            x = outs
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0


def chain(x: Any, a: Any, c: Any, nodes: int) -> Any:
    """``x = x * a + c`` repeated until the graph above ``x`` has ``nodes`` operation nodes.

    Each node depends on the one before: the graph is a path ``nodes`` deep."""
    for _ in range(nodes // 2):
        x = x * a + c
    if nodes % 2:
        x = x * a
    return x
