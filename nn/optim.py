"""Optimizers: ``SGD`` and ``Adam``, with PyTorch's update rules.

An optimizer holds a list of parameters. After ``loss.backward()`` has filled each ``p.grad``,
``step()`` moves every parameter against its gradient; ``zero_grad()`` resets the gradients for
the next backward (they accumulate otherwise). A parameter whose ``.grad`` is ``None`` (PyTorch's
"no gradient yet") is skipped by ``step()``, its momentum or moments untouched, as in PyTorch.
Updates change ``p.data`` with plain floats, so they record no graph. The learning rate is an
attribute: ``opt.lr = 0.01`` between steps changes it (a schedule).

Hyperparameters are checked when they are set, as PyTorch does, and more strictly where a value
can only diverge: lr finite and >= 0, momentum in [0, 1), dampening in [0, 1], weight_decay
finite and >= 0, Adam's betas in [0, 1) and eps > 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value
from nn import checks


def _grad(p: Value) -> float | None:
    # After backward(create_graph=True) a gradient is a Value; the update needs its number.
    g = p.grad
    return g.data if isinstance(g, Value) else g


class Optimizer:
    """What every optimizer shares: the parameter list, the learning rate and ``zero_grad``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        self.params = checks.parameters(params, type(self).__name__)
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list: pass "
                             "model.parameters() of a model that has parameters")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("a parameter appears more than once in the list; each step would "
                             "update it several times")
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate (eta); assign to change it between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = checks.amount(value, "lr (the learning rate)")

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every parameter."""
        for p in self.params:
            p.grad = 0.0


class SGD(Optimizer):
    """Stochastic gradient descent (notes 000, 001, 004), optionally with momentum.

    With g = dL/dp + weight_decay * p (L2 weight decay added to the gradient), for each
    parameter, exactly as ``torch.optim.SGD``::

        without momentum:    p <- p - lr * g
        with momentum mu:    b <- g                              on the first step
                             b <- mu * b + (1 - dampening) * g   afterwards
                             p <- p - lr * b                     (nesterov: lr * (g + mu * b))

    ``weight_decay = 2 * lam`` matches adding ``lam * l2_penalty(params)`` to the loss.
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, *, dampening: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = checks.amount(momentum, "momentum", below=1.0,
                                      hint="the part of the last step kept; from 1 on, steps "
                                      "grow without end")
        self.weight_decay = checks.amount(weight_decay, "weight_decay")
        self.dampening = checks.amount(dampening, "dampening", at_most=1.0)
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)
        #: One momentum buffer per parameter; None until its first step with a gradient.
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = _grad(p)
            if g is None:
                continue
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                b = self.buffers[i]
                b = g if b is None else mu * b + (1.0 - self.dampening) * g
                self.buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g

    def __repr__(self) -> str:
        return (f"SGD({len(self.params)} parameters, lr={self.lr:g}, momentum={self.momentum:g}"
                f", weight_decay={self.weight_decay:g})")


class Adam(Optimizer):
    """Adam (Kingma and Ba), exactly as ``torch.optim.Adam`` (without amsgrad).

    With g = dL/dp + weight_decay * p and step count t = 1, 2, ... (counted per parameter, over
    the steps where it had a gradient, as PyTorch does), for each parameter::

        m <- beta1 * m + (1 - beta1) * g          (first moment, m = 0 at the start)
        v <- beta2 * v + (1 - beta2) * g^2        (second moment, v = 0 at the start)
        p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The two divisions by 1 - beta^t (bias correction) undo the pull of m and v towards their
    zero start in the first steps.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (checks.amount(beta1, "beta1", below=1.0),
                      checks.amount(beta2, "beta2", below=1.0))
        self.eps = checks.amount(eps, "eps", positive=True,
                                 hint="it keeps the step finite where the second moment is 0")
        self.weight_decay = checks.amount(weight_decay, "weight_decay")
        #: The number of steps taken so far.
        self.t = 0
        #: Each parameter's own t in the formulas: its steps with a gradient.
        self.step_counts = [0] * len(self.params)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        self.t += 1
        beta1, beta2 = self.betas
        wd, eps = self.weight_decay, self.eps
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = _grad(p)
            if g is None:
                continue
            self.step_counts[i] = t = self.step_counts[i] + 1
            if wd != 0.0:
                g = g + wd * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            step_size = self.lr / (1.0 - beta1 ** t)
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / math.sqrt(1.0 - beta2 ** t) + eps)

    def __repr__(self) -> str:
        return (f"Adam({len(self.params)} parameters, lr={self.lr:g}, betas={self.betas}, "
                f"eps={self.eps:g}, weight_decay={self.weight_decay:g})")
