"""The engine's float helpers (``autograd/core/floatmath.py``), as Numba compiles them.

``floatmath`` turns Python's exceptions into IEEE-754 answers (``1/0 = inf``, ``log(0) = -inf``,
overflow to ``inf``); under Numba there are no exceptions to catch, so each of those helpers is
written here again, asking first and computing after, giving the very same floats. The helpers
that raise nothing (``sqrt``, ``sin``, ``cos``, ``sigmoid``, ``softplus``, ``sign``) are
floatmath's own, compiled as they are. ``numba_backend`` copies the helpers' source into the
kernel it compiles, so the njit versions are these very lines (run by CPython, the ones here
would raise where libm answers inf; the tests run the compiled ones against ``floatmath``).

The transcendental functions are the C library's: ``math.exp``, ``math.log``, ``math.log1p``,
``math.pow``, ``math.tanh``, ``math.sin`` and ``math.cos`` call libm both in CPython and in
Numba's compiled code (the same shared library in the same process), so they give the same
bits. Numba's alternative, Intel's SVML, could differ by an ulp: ``numba_backend`` refuses to
compile where Numba would use it.
"""

from __future__ import annotations

import math

from autograd.core import floatmath as fm

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


def tanh(x: float) -> float:
    """tanh x: libm's, as CPython's math.tanh."""
    return math.tanh(x)


#: The helpers, by the names ``codemath.CODE`` writes.
HELPERS = (div, _odd, power, exp, log, tanh, fm.sqrt, fm.sin, fm.cos, fm.sigmoid, fm.softplus,
           fm.sign)

#: The C library functions the helpers call: where Numba would not call libm's, these could
#: differ from CPython's by an ulp.
LIBM = ("exp", "log", "log1p", "pow", "tanh", "sin", "cos")
