"""The engine's float helpers (``autograd/core/floatmath.py``), written so that Numba compiles them.

``floatmath`` turns Python's exceptions into IEEE-754 answers (``1/0 = inf``, ``log(0) = -inf``,
overflow to ``inf``); under Numba there are no exceptions to catch, so each helper here asks
first and computes after, giving the very same floats. ``numba_backend`` copies their source
into the kernel it compiles, so the njit versions are these very lines (run by CPython they
would raise where libm answers inf; the tests run the compiled ones against ``floatmath``).

The transcendental functions are the C library's: ``math.exp``, ``math.log``, ``math.pow``,
``math.tanh``, ``math.sin`` and ``math.cos`` call libm both in CPython and in Numba's compiled
code (the same shared library in the same process), so they give the same bits. Numba's
alternative, Intel's SVML, could differ by an ulp: ``numba_backend`` refuses to compile where
Numba would use it.
"""

from __future__ import annotations

import math

inf = math.inf
nan = math.nan


def div(a: float, b: float) -> float:
    """a / b, with a/0 = +-inf (sign of a times sign of the zero) and 0/0 = nan."""
    if b == 0.0:
        if a != a or a == 0.0:
            return nan
        return math.copysign(inf, a) * math.copysign(1.0, b)
    return a / b


def _odd(b: float) -> bool:
    # floatmath.odd_integer(b). Numba has no fmod, and its floor is an
    # int64: from 2^53 on every float is an even integer, below it b / 2 and floor are exact.
    if not abs(b) < 9007199254740992.0:
        return False
    return b == math.floor(b) and math.floor(b * 0.5) * 2.0 != b


def power(a: float, b: float) -> float:
    """a ** b as ``floatmath.power``: libm's pow, whose C99 answers (pow(0, -1) = inf, pow of
    a negative base and a fraction = nan, overflow = +-inf) are the ones floatmath gives after
    CPython's math.pow raised."""
    if math.isfinite(a) and math.isfinite(b):
        if a == 0.0 and b < 0.0:
            return math.copysign(inf, a) if _odd(b) else inf
        r = math.pow(a, b)
        if r != r:
            return nan
        if math.isinf(r):
            return -inf if (a < 0.0 and _odd(b)) else inf
        return r
    return math.pow(a, b)


def exp(x: float) -> float:
    """e^x; overflows to inf."""
    return math.exp(x)


def log(x: float) -> float:
    """Natural logarithm: log(0) = -inf, log(x < 0) = nan."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan


def sqrt(x: float) -> float:
    """Square root: sqrt(x < 0) = nan."""
    return math.sqrt(x) if x >= 0.0 else nan


def sin(x: float) -> float:
    """sin x; sin(+-inf) = nan."""
    return math.sin(x) if math.isfinite(x) else nan


def cos(x: float) -> float:
    """cos x; cos(+-inf) = nan."""
    return math.cos(x) if math.isfinite(x) else nan


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), as floatmath computes it: without overflow for any x."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x < 0.0:
        e = math.exp(x)
        return e / (1.0 + e)
    return nan


def softplus(x: float) -> float:
    """ln(1 + e^x), as floatmath computes it: max(x, 0) + log1p(e^-|x|)."""
    if x >= 0.0:
        return x + math.log1p(math.exp(-x))
    if x < 0.0:
        return math.log1p(math.exp(x))
    return nan


def sign(x: float) -> float:
    """-1, 0 or 1 (nan stays nan)."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x if x != x else 0.0


def tanh(x: float) -> float:
    """tanh x: libm's, as CPython's math.tanh."""
    return math.tanh(x)


#: The helpers, by the names ``codemath.CODE`` writes.
HELPERS = (div, _odd, power, exp, log, sqrt, sin, cos, sigmoid, softplus, sign, tanh)

#: The C library functions the helpers call: where Numba would not call libm's, these could
#: differ from CPython's by an ulp.
LIBM = ("exp", "log", "log1p", "pow", "tanh", "sin", "cos")
