"""``CODE``: the math namespace of ``autograd.core.rules`` that writes Python expressions.

Each operation's rule, evaluated with ``CODE``, gives the text of its arithmetic: the engine's
kernels (``autograd/core/kernels.py``) and the compiler's replays (``autograd.compiled``) are
both written from it, so they compute the same numbers, bit for bit, by construction: no
derivative is written twice.

A ``Code`` is an expression over names the code generator chose (``v3``, ``p0``); plain floats
are written with ``repr`` of a plain ``float`` (exact), ``inf`` and ``nan`` by name. Every
compound expression is parenthesised, so Python evaluates it in the order the rule wrote it.
Comparisons between two plain numbers, and ``where``/``unless`` on their answers, are decided
while generating (``x ** 0`` passes nothing back, whatever x is).
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, NamedTuple

from autograd.core import floatmath as fm


def literal(x: float) -> str:
    """Python source for exactly the float ``x`` (``-2.0`` parenthesised, ``inf``, ``nan``)."""
    x = float.__float__(x) if isinstance(x, float) else float(x)
    if x != x:
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "(-inf)"
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


class Code:
    """A Python expression, as text the code generator made."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __add__(self, other: Any) -> Code: return _binary(self, "+", other)
    def __radd__(self, other: Any) -> Code: return _binary(other, "+", self)
    def __sub__(self, other: Any) -> Code: return _binary(self, "-", other)
    def __rsub__(self, other: Any) -> Code: return _binary(other, "-", self)
    def __mul__(self, other: Any) -> Code: return _binary(self, "*", other)
    def __rmul__(self, other: Any) -> Code: return _binary(other, "*", self)
    def __neg__(self) -> Code: return Code(f"(-{self.text})")

    def __repr__(self) -> str:
        return f"Code({self.text!r})"


def text(x: Any) -> str:
    """The source of a ``Code`` or a plain number."""
    return x.text if isinstance(x, Code) else literal(x)


def _binary(a: Any, symbol: str, b: Any) -> Code:
    return Code(f"({text(a)} {symbol} {text(b)})")


def _call(name: str, float_function: Any) -> Any:
    def function(*args: Any) -> Any:
        if not any(isinstance(a, Code) for a in args):
            return float_function(*args)  # decided while generating: the engine's very float
        return Code(f"{name}({', '.join(text(a) for a in args)})")
    return function


def _compare(symbol: str, float_compare: Any) -> Any:
    def compare(a: Any, b: Any) -> Any:
        if not isinstance(a, Code) and not isinstance(b, Code):
            return float_compare(a, b)
        return Code(f"({text(a)} {symbol} {text(b)})")
    return compare


def _both(c1: Any, c2: Any) -> Any:
    if not isinstance(c1, Code) and not isinstance(c2, Code):
        return c1 and c2
    if c1 is False or c2 is False:
        return False
    if c1 is True:
        return c2
    if c2 is True:
        return c1
    return Code(f"({c1.text} and {c2.text})")


def _where(cond: Any, a: Any, b: Any) -> Any:
    if not isinstance(cond, Code):
        return a if cond else b
    return Code(f"({text(a)} if {cond.text} else {text(b)})")


class Unless(NamedTuple):
    """Local derivatives through which nothing at all flows back where ``cond`` holds."""

    cond: Code
    local: tuple


#: The rules' "nothing flows back" (relu for x <= 0, step, x ** 0).
NO_FLOW = ("no flow",)


def _unless(cond: Any, local: tuple) -> Any:
    if not isinstance(cond, Code):
        return NO_FLOW if cond else local
    return Unless(cond, local)


class Sum(NamedTuple):
    """A dot's value: ``start + a_1 b_1 + a_2 b_2 + ...``, added left to right from the bias
    (or 0.0) as micrograd's neuron adds. Code writers put one addition a line, so a neuron with
    many inputs never nests deeper than Python's parser allows."""

    start: Any
    pairs: tuple


def _dot(args: tuple) -> Sum:
    pairs = len(args) & ~1
    start = args[-1] if len(args) & 1 else 0.0
    return Sum(start, tuple(zip(args[0:pairs:2], args[1:pairs:2])))


def _dot_local(args: tuple) -> tuple:
    pairs = len(args) & ~1
    local: list[Any] = [1.0] * len(args)
    local[0:pairs:2] = args[1:pairs:2]
    local[1:pairs:2] = args[0:pairs:2]
    return tuple(local)


#: What the generated code calls, by the names ``CODE`` writes: the engine's float helpers.
HELPERS: dict[str, Any] = {
    "div": fm.div, "power": fm.power, "exp": fm.exp, "log": fm.log, "tanh": math.tanh,
    "sigmoid": fm.sigmoid, "softplus": fm.softplus, "sin": fm.sin, "cos": fm.cos,
    "sqrt": fm.sqrt, "sign": fm.sign,
    "inf": math.inf, "nan": math.nan,
}

#: m for code: the rules' namespace, writing Python.
CODE = SimpleNamespace(
    div=_call("div", fm.div), power=_call("power", fm.power), exp=_call("exp", fm.exp),
    log=_call("log", fm.log), tanh=_call("tanh", math.tanh),
    sigmoid=_call("sigmoid", fm.sigmoid), softplus=_call("softplus", fm.softplus),
    sin=_call("sin", fm.sin), cos=_call("cos", fm.cos),
    sqrt=_call("sqrt", fm.sqrt), sign=_call("sign", fm.sign), abs=_call("abs", abs),
    lt=_compare("<", lambda a, b: a < b), le=_compare("<=", lambda a, b: a <= b),
    gt=_compare(">", lambda a, b: a > b), ge=_compare(">=", lambda a, b: a >= b),
    eq=_compare("==", lambda a, b: a == b),
    both=_both, where=_where, NO_FLOW=NO_FLOW, unless=_unless,
    dot=_dot, dot_local=_dot_local,
)
