"""The engine's functions as plain calls: ``tanh(x)`` for ``x.tanh()``, numbers accepted.

These are the names an expression uses (``tanh(x1*w1 + x2*w2 + b)``). Each takes a Value or a
plain number and returns a Value; the derivative of each is documented on the Value method.
"""

from __future__ import annotations

from autograd.core.value import Operand, Value, as_value


def exp(x: Operand) -> Value:
    """e^x (see ``Value.exp``)."""
    return as_value(x).exp()


def log(x: Operand) -> Value:
    """Natural logarithm ln x (see ``Value.log``)."""
    return as_value(x).log()


def tanh(x: Operand) -> Value:
    """Hyperbolic tangent (see ``Value.tanh``)."""
    return as_value(x).tanh()


def sigmoid(x: Operand) -> Value:
    """Logistic sigmoid 1 / (1 + e^-x) (see ``Value.sigmoid``)."""
    return as_value(x).sigmoid()


def softplus(x: Operand) -> Value:
    """ln(1 + e^x), a smooth ReLU (see ``Value.softplus``)."""
    return as_value(x).softplus()


def relu(x: Operand) -> Value:
    """max(0, x) (see ``Value.relu``)."""
    return as_value(x).relu()


def step(x: Operand) -> Value:
    """The hard threshold: 1 for x >= 0, else 0; derivative 0 (see ``Value.step``)."""
    return as_value(x).step()


def sin(x: Operand) -> Value:
    """sin x (see ``Value.sin``)."""
    return as_value(x).sin()


def cos(x: Operand) -> Value:
    """cos x (see ``Value.cos``)."""
    return as_value(x).cos()


def sqrt(x: Operand) -> Value:
    """Square root (see ``Value.sqrt``)."""
    return as_value(x).sqrt()


#: Every function an expression may call, by name (used by the expression parser).
FUNCTIONS = {f.__name__: f for f in (exp, log, tanh, sigmoid, softplus, relu, step, sin, cos,
                                      sqrt)}
