"""Rosenblatt's perceptron (1957): a sign unit and the perceptron learning rule (notes 000, 003).

    h(x) = sign(w . x + b),   sign(z) = +1 if z >= 0, else -1        (notes 003)

Learning rule, one example at a time: predict y_hat = h(x); if it is wrong,

    w <- w + lr * (y - y_hat) x,     b <- b + lr * (y - y_hat)

(so a mistake moves w by 2 lr y x). The sign has derivative 0 almost everywhere, so there is no
gradient to follow: this is not gradient descent (notes 004, "Math Note"). If a line (hyperplane)
separates the two classes, the rule stops making mistakes after finitely many updates; if none
does, as for XOR, it never stops. That is the contrast with an MLP trained by backprop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autograd import Parameter, Value, format_number
from nn import checks
from nn.module import Module, weights_text
from nn.serialize import loadable


def _signed_labels(y: Sequence) -> list[int]:
    """Labels as -1/+1: labels already -1/+1 pass, 0/1 labels become -1/+1 (0 -> -1)."""
    labels = set(y)
    if labels <= {0, 1}:
        return [1 if t == 1 else -1 for t in y]
    if labels <= {-1, 1}:
        return [int(t) for t in y]
    shown = sorted(labels, key=repr)[:5]
    raise ValueError(f"a Perceptron learns two classes labelled -1/+1 or 0/1, got labels "
                     f"{shown}")


@loadable
class Perceptron(Module):
    """A single sign unit h(x) = sign(w . x + b) with weights and bias starting at 0.

    ``perceptron(x)`` returns +1 or -1. ``fit(X, y)`` applies the learning rule; labels may be
    -1/+1 (notes 003) or 0/1 (notes 000: class 0 is the -1 side). Parameters are Values named
    ``w1 ... wn`` and ``b`` as a ``Neuron``'s, so they can be drawn and saved, but nothing is
    backpropagated through the sign.
    """

    def __init__(self, nin: int) -> None:
        self.nin = checks.count(nin, "Perceptron nin (its number of inputs)")
        self.w = [Parameter(0.0) for _ in range(nin)]
        self.b = Parameter(0.0)
        self.label_parameters()

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w{i}", w) for i, w in enumerate(self.w, start=1)] + [("b", self.b)]

    def __call__(self, x: Sequence[Value | float] | Value | float) -> int:
        """sign(w . x + b): +1 when w . x + b >= 0, else -1."""
        x = checks.check_inputs(x, self.nin, "this Perceptron")
        z = self.b.data
        for w, xi in zip(self.w, x):
            z += w.data * (xi.data if isinstance(xi, Value) else float(xi))
        return 1 if z >= 0.0 else -1

    def fit(self, X: Sequence, y: Sequence, epochs: int = 100, lr: float = 1.0) -> list[int]:
        """Apply the perceptron rule, example by example in order, for up to ``epochs`` passes.

        Returns the number of mistakes in each pass; it stops after the first pass without one
        (the data is then separated). A last entry above 0 means it did not converge. Every
        example is checked first, so bad input raises before any weight has changed.
        """
        checks.dataset(X, y, "the training set")
        epochs = checks.count(epochs, "epochs")
        lr = checks.amount(lr, "lr", positive=True)
        labels = _signed_labels(y)
        examples = [[xi.data if isinstance(xi, Value) else float(xi)
                     for xi in checks.check_inputs(x, self.nin, "this Perceptron")] for x in X]
        mistakes_per_epoch = []
        for _ in range(epochs):
            mistakes = 0
            for xs, target in zip(examples, labels):
                error = target - self(xs)
                if error:
                    mistakes += 1
                    for w, xi in zip(self.w, xs):
                        w.data += lr * error * xi
                    self.b.data += lr * error
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:
                break
        return mistakes_per_epoch

    def get_config(self) -> dict[str, Any]:
        return {"nin": self.nin}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """n weights and a bias: n + 1."""
        nin = checks.size(config.get("nin"))
        return None if nin is None else nin + 1

    def __repr__(self) -> str:
        return (f"Perceptron({self.nin} -> 1, sign, w={weights_text(self.w)}, "
                f"b={format_number(self.b.data)})")
