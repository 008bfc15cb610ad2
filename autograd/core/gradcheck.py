"""Checking analytic gradients against numerical ones (lecture 001: "always use the analytic
gradient, but check your implementation with the numerical gradient").

The numerical derivative is the centered difference (lectures 001, 002)::

    df/dx ~ (f(x + h) - f(x - h)) / 2h

whose error shrinks like h^2, against h for the one-sided (f(x + h) - f(x)) / h.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd.core.format import format_number
from autograd.core.functional import value_and_grad
from autograd.core.modes import no_grad
from autograd.core.report import BaseReport
from autograd.core.value import Value, to_float


def _evaluate(f: Callable[..., Any], args: list[float]) -> float:
    with no_grad():
        out = f(*[Value(a) for a in args])
    return out.data if isinstance(out, Value) else to_float(out, "the result of f")


def _numbers(args: tuple) -> list[float]:
    return [a.data if isinstance(a, Value) else to_float(a, "numerical_grad argument")
            for a in args]


def numerical_grad(f: Callable[..., Any], *args: Any, eps: float = 1e-6) -> float | tuple:
    """Centered-difference estimate of the gradient of ``f`` at ``args``.

    ``f`` is called with Values (under ``no_grad``, so no graph is kept) and may return a Value or
    a number. With one argument the result is a float, with several a tuple: (df/dx1, df/dx2, ...).
    """
    if not args:
        raise TypeError("numerical_grad needs at least one argument to differentiate at")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive, finite step, got {eps}")
    point = _numbers(args)
    partials = []
    for i, x in enumerate(point):
        plus, minus = list(point), list(point)
        plus[i], minus[i] = x + eps, x - eps
        # The step actually taken: x + eps rounds to a float, and far from 0 the gap between
        # floats exceeds eps (at 1e10 it is 2e-6); dividing by 2 eps would then be wrong.
        step = plus[i] - minus[i]
        if step == 0:
            raise ValueError(f"eps={eps} is too small for argument {i} = {x}: x + eps and "
                             f"x - eps round to the same float; use a larger eps")
        partials.append((_evaluate(f, plus) - _evaluate(f, minus)) / step)
    return partials[0] if len(partials) == 1 else tuple(partials)


@dataclass(frozen=True)
class GradcheckRow:
    """One input's analytic and numerical derivative and how far apart they are."""

    name: str
    analytic: float
    numerical: float
    relative_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport(BaseReport):
    """The result of ``gradcheck``: truthy when every input's gradients agree.

    Printing it gives a table with the relative error per input,
    |a - n| / max(|a|, |n|) (lecture 001), and which inputs fail; ``assert report`` fails with
    that table as its message, and Jupyter shows it as an HTML table.
    """

    rows: tuple[GradcheckRow, ...]
    rtol: float
    atol: float

    columns = ("input", "analytic", "numerical", "rel. error", "")

    @property
    def max_relative_error(self) -> float:
        return max((row.relative_error for row in self.rows), default=0.0)

    def cells(self, row: GradcheckRow) -> tuple[str, ...]:
        return (row.name, format_number(row.analytic), format_number(row.numerical),
                f"{row.relative_error:.2e}", "ok" if row.ok else "MISMATCH")

    def below(self) -> list[str]:
        verdict = "gradients agree" if self.passed else "gradients DISAGREE"
        return [f"{verdict} (rtol={self.rtol:g}, atol={self.atol:g})"]


def gradcheck(f: Callable[..., Any], *args: Any, rtol: float = 1e-5, atol: float = 1e-8,
              eps: float = 1e-6) -> GradcheckReport:
    """Compare backprop's gradient of ``f`` at ``args`` with the centered difference.

    Input i passes when |analytic - numerical| <= atol + rtol * |numerical| (as numpy's
    ``isclose``). The report is truthy when all pass; ``print(report)`` shows the table.
    """
    if not args:
        raise TypeError("gradcheck needs at least one argument to check the gradient at")
    point = _numbers(args)
    _, analytic = value_and_grad(f, tuple(range(len(point))))(*point)
    numerical = numerical_grad(f, *point, eps=eps)
    if len(point) == 1:
        numerical = (numerical,)
    rows = []
    for i, (arg, a, n) in enumerate(zip(args, analytic, numerical)):
        name = arg.label if isinstance(arg, Value) and arg.label else f"x{i}"
        if a == n:  # also equal infinities, which numpy's isclose counts as close
            rel, ok = 0.0, True
        else:
            rel = abs(a - n) / max(abs(a), abs(n))
            rel = math.inf if math.isnan(rel) else rel
            ok = abs(a - n) <= atol + rtol * abs(n)
        rows.append(GradcheckRow(name, a, n, rel, ok))
    return GradcheckReport(tuple(rows), rtol, atol)
