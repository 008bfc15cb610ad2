"""What ``fit`` computes on a batch, and the two ways it takes a step: on the engine, or compiled.

The objective of a batch B (notes 000, 001, 004)::

    L = (1/|B|) sum_{i in B} loss(model(x_i), y_i)  +  l1 * sum |w|  +  l2 * sum w^2

A step computes L and leaves dL/dw in every parameter's ``.grad`` (set from zero first); ``fit``
then lets the optimizer move the parameters. ``EngineStep`` builds L's graph and calls
``backward()``, as the lectures do; ``CompiledStep`` records that same computation once per batch
size with ``autograd.compile`` and replays it as plain-float code, giving the same numbers bit
for bit. Both return L's number and the predictions, so ``fit`` never asks which one it runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import autograd
from autograd import Value, dot
from nn.losses import l1_penalty, l2_penalty
from nn.optim import Optimizer

Loss = Callable[[Any, Any], Value]


def is_correct(pred: Value | float | Sequence[Value], target: Any, threshold: float = 0.0) -> bool:
    """Whether one prediction gets its label right (see ``nn.train``'s accuracy conventions):
    the argmax of K scores against the class index, or one score > ``threshold`` against a
    label > 0."""
    if isinstance(pred, (list, tuple)) and len(pred) == 1:
        pred = pred[0]  # a one-unit layer's list holds a single score
    if isinstance(pred, (list, tuple)):
        scores = [p.data if isinstance(p, Value) else float(p) for p in pred]
        return bool(max(range(len(scores)), key=scores.__getitem__) == target)
    score = pred.data if isinstance(pred, Value) else float(pred)
    return bool((score > threshold) == (target > 0))  # bool: a NumPy label gives numpy.bool_


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, as the function it is
class Objective:
    """The batch objective L of ``model`` under ``loss`` with the L1/L2 penalties over
    ``params``, and the accuracy convention (``threshold``; ``None`` for regression)."""

    model: Callable
    loss: Loss
    params: list[Value]
    l1: float
    l2: float
    threshold: float | None

    @property
    def __name__(self) -> str:
        """What ``repr(step)`` of a compiled fit shows: the loss and the penalties in L."""
        terms = [getattr(self.loss, "__name__", type(self.loss).__name__)]
        terms += [name for name, weight in (("l1", self.l1), ("l2", self.l2)) if weight]
        return "objective: " + " + ".join(terms)

    def __call__(self, X: Sequence, y: Sequence) -> tuple[Value, list]:
        """L for the batch ``(X, y)``, a Value to backpropagate from, and the predictions."""
        losses, preds = [], []
        for x, t in zip(X, y):
            example_loss, pred = self.example(x, t)
            losses.append(example_loss)
            preds.append(pred)
        # The mean as one node: sum_i L_i / N, a dot with weights 1/N.
        total = dot(losses, [1.0 / len(losses)] * len(losses))
        penalty = self.penalty()
        return (total if penalty is None else total + penalty), preds

    def example(self, x: Any, t: Any) -> tuple[Value, Value | list]:
        """One example's loss, loss(model(x), t), and the prediction model(x)."""
        pred = self.model(x)
        if not isinstance(pred, (Value, list)):
            raise TypeError(f"fit needs a model returning a Value or a list of Values, got "
                            f"{type(pred).__name__}; a Perceptron learns with perceptron.fit()")
        example_loss = self.loss(pred, t)
        if not isinstance(example_loss, Value):
            raise TypeError(f"loss must return a Value computed from the prediction, got "
                            f"{type(example_loss).__name__}")
        return example_loss, pred

    def penalty(self) -> Value | None:
        """l1 * sum |w| + l2 * sum w^2 over the parameters (None when both are 0)."""
        term = None
        if self.l1:
            term = self.l1 * l1_penalty(self.params)
        if self.l2:
            penalty = self.l2 * l2_penalty(self.params)
            term = penalty if term is None else term + penalty
        return term

    def hits(self, preds: Sequence, y: Sequence) -> int:
        """How many predictions (Values or numbers) get their label right; 0 for regression."""
        if self.threshold is None:
            return 0
        return sum(is_correct(pred, t, self.threshold) for pred, t in zip(preds, y))


class EngineStep:
    """A step on the engine: build L's graph, zero the gradients, ``L.backward()``."""

    def __init__(self, objective: Objective, optimizer: Optimizer) -> None:
        self.objective = objective
        self.optimizer = optimizer

    def __call__(self, X: Sequence, y: Sequence) -> tuple[float, list]:
        """L's number for the batch and the predictions (Values); dL/dw in ``.grad``."""
        objective, preds = self.objective(X, y)
        self.optimizer.zero_grad()
        objective.backward()
        return objective.data, preds


class CompiledStep:
    """A step through ``autograd.compile``: the objective is recorded once per batch size and
    replayed as plain-float code, the same numbers as ``EngineStep`` bit for bit (what cannot be
    replayed runs on the engine, with a warning saying why). ``backend``: ``autograd.compile``'s,
    ``"auto"`` (Numba where it is installed), ``"numba"`` or ``"python"``."""

    def __init__(self, objective: Objective, optimizer: Optimizer, backend: str = "auto"
                 ) -> None:
        self.objective = objective
        self.optimizer = optimizer
        self.compiled = autograd.compile(objective, has_aux=True, backend=backend)

    def __call__(self, X: Sequence, y: Sequence) -> tuple[float, list]:
        """L's number for the batch and the predictions (numbers); dL/dw in ``.grad``."""
        self.optimizer.zero_grad()
        return self.compiled([_numbers(x) for x in X], _numbers(y))


def _numbers(x: Any) -> Any:
    """What a compiled step takes, lists of numbers: a NumPy row becomes one, and so do the
    other iterables a model takes as an example (bytes, a range)."""
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, (bytes, bytearray, range)):
        return list(x)
    return x
