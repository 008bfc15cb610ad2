"""Optimizers: ``SGD`` and ``Adam``, with PyTorch's update rules.

An optimizer holds a list of parameters. After ``loss.backward()`` has filled each ``p.grad``,
``step()`` moves every parameter against its gradient; ``zero_grad()`` resets the gradients for
the next backward (they accumulate otherwise). Updates change ``p.data`` with plain floats, so
they record no graph. The learning rate is an attribute: ``opt.lr = 0.01`` between steps
changes it (a schedule).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from autograd import Value


def _grad(p: Value) -> float:
    # After backward(create_graph=True) a gradient is a Value; the update needs its number.
    g = p.grad
    return g.data if isinstance(g, Value) else g


def _check_rate(value: object, name: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0.0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if upper is not None and not value < upper:
        raise ValueError(f"{name} must be in [0, {upper}), got {value!r}")
    return float(value)


class Optimizer:
    """What every optimizer shares: the parameter list, the learning rate and ``zero_grad``."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        if isinstance(params, Value):
            raise TypeError("optimizers take an iterable of Values such as model.parameters(), "
                            "not a single Value: wrap it in a list")
        if callable(getattr(params, "parameters", None)):
            raise TypeError(f"optimizers take the parameters to update: pass "
                            f"model.parameters(), not the model ({type(params).__name__})")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"optimizers take an iterable of Values such as model.parameters(), "
                            f"got {type(params).__name__}") from None
        if not self.params:
            raise ValueError("the optimizer got an empty parameter list: pass "
                             "model.parameters() of a model that has parameters")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"optimizers update Values, got {type(p).__name__}; pass "
                                "model.parameters()")
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
        self._lr = _check_rate(value, "lr (the learning rate)")

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
        self.momentum = _check_rate(momentum, "momentum")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        self.dampening = _check_rate(dampening, "dampening")
        if nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        self.nesterov = bool(nesterov)
        #: One momentum buffer per parameter; None until the first step.
        self.buffers: list[float] | None = None

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        first = self.buffers is None
        if mu != 0.0 and first:
            self.buffers = [0.0] * len(self.params)
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd != 0.0:
                g = g + wd * p.data
            if mu != 0.0:
                b = g if first else mu * self.buffers[i] + (1.0 - self.dampening) * g
                self.buffers[i] = b
                g = g + mu * b if self.nesterov else b
            p.data -= lr * g

    def __repr__(self) -> str:
        return (f"SGD({len(self.params)} parameters, lr={self.lr:g}, momentum={self.momentum:g}"
                f", weight_decay={self.weight_decay:g})")


class Adam(Optimizer):
    """Adam (Kingma and Ba), exactly as ``torch.optim.Adam`` (without amsgrad).

    With g = dL/dp + weight_decay * p and step count t = 1, 2, ..., for each parameter::

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
        self.betas = (_check_rate(beta1, "beta1", 1.0), _check_rate(beta2, "beta2", 1.0))
        self.eps = _check_rate(eps, "eps")
        self.weight_decay = _check_rate(weight_decay, "weight_decay")
        #: The number of steps taken so far (t in the formulas).
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Apply one update to every parameter from its current ``.grad``."""
        self.t += 1
        beta1, beta2 = self.betas
        wd, eps = self.weight_decay, self.eps
        step_size = self.lr / (1.0 - beta1 ** self.t)
        correction2 = math.sqrt(1.0 - beta2 ** self.t)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd != 0.0:
                g = g + wd * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / correction2 + eps)

    def __repr__(self) -> str:
        return (f"Adam({len(self.params)} parameters, lr={self.lr:g}, betas={self.betas}, "
                f"eps={self.eps:g}, weight_decay={self.weight_decay:g})")
