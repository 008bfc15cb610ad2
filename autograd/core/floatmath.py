"""Plain float functions with IEEE-754 results instead of Python exceptions.

Python's ``math`` raises on ``exp(1000)``, ``log(0)``, ``1/0`` or ``sqrt(-1)``; PyTorch (and the
hardware) answer ``inf``, ``-inf``, ``inf`` and ``nan``. The engine computes with these helpers so
that arithmetic on Values never raises: a training run that diverges shows ``inf``/``nan`` in its
numbers (and ``autograd.detect_anomaly()`` can say where), instead of dying mid-graph.

Kept apart from the autodiff machinery (the minitorch lesson): nothing here knows about Values.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


def div(a: float, b: float) -> float:
    """a / b, with a/0 = +-inf (sign of a times sign of the zero) and 0/0 = nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def power(a: float, b: float) -> float:
    """a ** b for real results: overflow gives +-inf, a negative base with a fractional exponent
    gives nan, and 0 ** negative gives inf (-inf for -0.0 and an odd integer exponent)."""
    try:
        return math.pow(a, b)
    except OverflowError:
        # Overflow keeps the sign a**b would have: negative only for a negative base and an odd
        # integer exponent.
        return -INF if (a < 0 and odd_integer(b)) else INF
    except ValueError:
        # (Python 3.10's pow(0.0, -inf) lands here too; 3.11 returns C99's inf itself.)
        if a == 0.0 and b < 0:
            return math.copysign(INF, a) if odd_integer(b) else INF
        return NAN


def odd_integer(b: float) -> bool:
    """Whether b is an odd integer: the exponents for which a negative base keeps its sign."""
    return math.isfinite(b) and abs(math.fmod(b, 2.0)) == 1.0


def exp(x: float) -> float:
    """e^x; overflows to inf."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural logarithm: log(0) = -inf, log(x < 0) = nan."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative or nan


def sqrt(x: float) -> float:
    """Square root: sqrt(x < 0) = nan."""
    return math.sqrt(x) if x >= 0.0 else NAN


def sin(x: float) -> float:
    """sin x; sin(+-inf) = nan."""
    return math.sin(x) if math.isfinite(x) else NAN


def cos(x: float) -> float:
    """cos x; cos(+-inf) = nan."""
    return math.cos(x) if math.isfinite(x) else NAN


def sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e^-x), computed without overflow for any x.

    For x >= 0, e^-x <= 1 cannot overflow; for x < 0 the same value is e^x / (1 + e^x)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x < 0.0:
        e = math.exp(x)
        return e / (1.0 + e)
    return NAN


def softplus(x: float) -> float:
    """ln(1 + e^x) for any x, as max(x, 0) + ln(1 + e^-|x|): e^-|x| <= 1 cannot overflow, and
    ``log1p`` keeps the digits of a tiny e^-|x| (softplus(-40) = 4.25e-18, not 0)."""
    if x >= 0.0:
        return x + math.log1p(math.exp(-x))
    if x < 0.0:
        return math.log1p(math.exp(x))
    return NAN


def sign(x: float) -> float:
    """-1, 0 or 1 (nan stays nan): the derivative of |x|, with |x|'(0) = 0 as in PyTorch."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x if x != x else 0.0
