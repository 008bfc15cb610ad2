"""One rule per operation: its value and its local derivatives, written once.

Each operation is one ``Rule``: two small functions over a math namespace ``m`` (HIPS
autograd's ``defvjp`` is the model)::

    forward(m, *args)        the operation's value            tanh(x)
    local(m, out, *args)     d(out)/d(arg), one per argument    (1 - out * out,)

The same rule serves three callers, each with its own ``m``:

- ``codemath.CODE`` writes its arithmetic as Python text. The engine's kernels
  (``autograd/core/kernels.py``) are that text made into functions: ``Value.tanh()`` runs its
  rule written out as code, as fast as if it were written by hand, and ``backward()`` multiplies
  by the numbers it left (lecture 003's chain rule). The compiler writes its replays from the
  same text.
- ``VALUES``: Values. ``backward(create_graph=True)`` multiplies by the local derivatives as
  Values, so each gradient has a graph of its own and can be differentiated again: a second
  derivative is the first one differentiated, never a second formula.
- ``FLOATS``: plain floats, the rule read directly; the tests hold the kernels to it.

All of them evaluate the very same expression, so the compiled replay gives the engine's numbers
bit for bit by construction. Each record also carries what the rest of the library needs to know
about the operation: its arity, its PyTorch counterpart (``torch_gradients``), its derivative in
the lectures' words (the exercises' hints), and how pictures name and write it. Adding an
operation is one entry in ``RULES`` and a method on ``Value`` that applies it.

``m`` has: the arithmetic operators on its numbers; ``div, power, exp, log, tanh, sigmoid,
softplus, sin, cos, sqrt, sign, abs``; comparisons ``lt, le, gt, ge, eq`` and ``both(c1, c2)``;
``where(cond, a, b)``; ``NO_FLOW`` and ``unless(cond, local)``; ``dot`` and ``dot_local``.
Rules divide with ``m.div`` (IEEE: 1/0 = inf) and compare with ``m.le`` and friends, never with
``/`` or ``<=``, so that every namespace can give them its own meaning.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, NamedTuple

from autograd.core import floatmath as fm

#: The local derivatives of an output that does not depend on its input here: relu(x) for
#: x <= 0, x ** 0 and step(x). Backward passes nothing back through it, whatever dL/d(output) is,
#: as PyTorch's threshold_backward does: an inf or nan from above must not turn 0 * inf into nan.
#: Built at run time: a literal (0.0,) elsewhere may be this very object.
NO_FLOW = tuple([0.0])


class Rule(NamedTuple):
    """One operation: how it computes its value and its local derivatives.

    ``op`` is what a node made by it has as ``.op`` ("**n" stands for every number exponent: the
    node's op reads "**2" or "**-0.5"); ``arity`` its number of arguments (``None`` for ``dot``:
    pairs, then an optional bias). ``forward``/``local``: see the module docstring; a number
    exponent comes after the arguments, ``forward(m, x, n)``. ``torch(torch, *tensors)``: the
    same operation in PyTorch. ``math``: its derivative as the lectures write it. ``word``: the
    stem of a picture's name for an unlabeled result ("mul" for mul1); ``text``: how a formula
    writes it, ``{0}``, ``{1}`` for the arguments and ``{n}`` for the exponent. ``domain``: where
    each argument is differentiable ("real", "positive", or "nonzero": away from a kink or a
    pole at 0); the conformance tests check each rule there.
    """

    op: str
    arity: int | None
    forward: Callable[..., Any]
    local: Callable[..., Any]
    torch: Callable[..., Any]
    math: str
    word: str
    text: str
    domain: tuple[str, ...]


def _dot_floats(args: tuple) -> float:
    # Summed from the bias, as micrograd's neuron does (sum(w_i x_i, start=b)): the same
    # additions in the same order give micrograd's numbers to the last bit.
    pairs = len(args) & ~1
    total = args[-1] if len(args) & 1 else 0.0
    for i in range(0, pairs, 2):
        total += args[i] * args[i + 1]
    return total


def _dot_local(args: tuple) -> tuple:
    # Parents are pairs (a_i, b_i), then the bias if any: a factor's derivative is its partner.
    pairs = len(args) & ~1
    local = [1.0] * len(args)
    local[0:pairs:2] = args[1:pairs:2]
    local[1:pairs:2] = args[0:pairs:2]
    return tuple(local)


def _dot_values(args: tuple) -> Any:
    pairs = len(args) & ~1
    total = args[-1] if len(args) & 1 else 0.0
    for i in range(0, pairs, 2):
        total = total + args[i] * args[i + 1]
    return total


def _torch_dot(torch: Any, *p: Any) -> Any:
    pairs = len(p) & ~1
    total = (torch.dot(torch.stack(p[0:pairs:2]), torch.stack(p[1:pairs:2])) if pairs
             else torch.zeros((), dtype=torch.float64))
    return total + p[-1] if len(p) & 1 else total


def _data(x: Any) -> float:
    return x.data if hasattr(x, "data") else x


#: m for plain floats: what the engine computes.
FLOATS = SimpleNamespace(
    div=fm.div, power=fm.power, exp=fm.exp, log=fm.log, tanh=math.tanh, sigmoid=fm.sigmoid,
    softplus=fm.softplus, sin=fm.sin, cos=fm.cos, sqrt=fm.sqrt, sign=fm.sign, abs=abs,
    lt=operator.lt, le=operator.le, gt=operator.gt, ge=operator.ge, eq=operator.eq,
    both=lambda c1, c2: c1 and c2,
    where=lambda cond, a, b: a if cond else b,
    NO_FLOW=NO_FLOW,
    unless=lambda cond, local: NO_FLOW if cond else local,
    dot=_dot_floats, dot_local=_dot_local,
)

#: m for Values (``backward(create_graph=True)``): each operation builds graph, so a derivative
#: can be differentiated again. Comparisons look at the numbers; a sign is a constant.
VALUES = SimpleNamespace(
    div=operator.truediv, power=operator.pow, exp=lambda x: x.exp(), log=lambda x: x.log(),
    tanh=lambda x: x.tanh(), sigmoid=lambda x: x.sigmoid(), softplus=lambda x: x.softplus(),
    sin=lambda x: x.sin(),
    cos=lambda x: x.cos(), sqrt=lambda x: x.sqrt(), sign=lambda x: fm.sign(_data(x)), abs=abs,
    lt=lambda a, b: _data(a) < _data(b), le=lambda a, b: _data(a) <= _data(b),
    gt=lambda a, b: _data(a) > _data(b), ge=lambda a, b: _data(a) >= _data(b),
    eq=lambda a, b: _data(a) == _data(b),
    both=lambda c1, c2: c1 and c2,
    where=lambda cond, a, b: a if cond else b,
    NO_FLOW=NO_FLOW,
    unless=lambda cond, local: NO_FLOW if cond else local,
    dot=_dot_values, dot_local=_dot_local,
)


def _rule(op: str, arity: int | None, forward: Callable[..., Any], local: Callable[..., Any],
          torch: Callable[..., Any], math: str, word: str, text: str,
          domain: tuple[str, ...] = ("real", "real")) -> Rule:
    return Rule(op, arity, forward, local, torch, math, word, text, domain[:arity or 1])


#: Every built-in operation, by the op its nodes carry. Each line is the operation's whole
#: calculus: value, then local derivatives (the lectures' local gradients).
RULES: dict[str, Rule] = {rule.op: rule for rule in (
    # a + b;  d/da = 1, d/db = 1
    _rule("+", 2, lambda m, a, b: a + b,
          lambda m, out, a, b: (1.0, 1.0),
          lambda torch, a, b: a + b,
          "d(a + b)/da = 1 and d(a + b)/db = 1", "add", "{0} + {1}"),
    # a - b;  d/da = 1, d/db = -1
    _rule("-", 2, lambda m, a, b: a - b,
          lambda m, out, a, b: (1.0, -1.0),
          lambda torch, a, b: a - b,
          "d(a - b)/da = 1 and d(a - b)/db = -1", "sub", "{0} - {1}"),
    # a * b;  d/da = b, d/db = a
    _rule("*", 2, lambda m, a, b: a * b,
          lambda m, out, a, b: (b, a),
          lambda torch, a, b: a * b,
          "d(a * b)/da = b and d(a * b)/db = a: each factor's derivative is the other factor",
          "mul", "{0} * {1}"),
    # a / b;  d/da = 1/b, d/db = -a/b^2 = -out/b
    _rule("/", 2, lambda m, a, b: m.div(a, b),
          lambda m, out, a, b: (m.div(1.0, b), -m.div(out, b)),
          lambda torch, a, b: a / b,
          "d(a / b)/da = 1/b and d(a / b)/db = -a/b^2", "div", "{0} / {1}",
          ("real", "nonzero")),
    # -a;  d/da = -1
    _rule("neg", 1, lambda m, a: -a,
          lambda m, out, a: (-1.0,),
          lambda torch, a: -a,
          "d(-a)/da = -1", "neg", "-{0}"),
    # a ** b for a Value b;  d/da = b a^(b-1) (0 where b = 0),  d/db = a^b ln a (0 where a = 0
    # and b >= 0, where a^b is flat in b from the right)
    _rule("**", 2, lambda m, a, b: m.power(a, b),
          lambda m, out, a, b: (
              m.where(m.eq(b, 0.0), 0.0, b * m.power(a, b - 1.0)),
              m.where(m.both(m.eq(a, 0.0), m.ge(b, 0.0)), 0.0, out * m.log(a))),
          lambda torch, a, b: torch.pow(a, b),
          "d(a^b)/da = b a^(b-1) and d(a^b)/db = a^b ln a", "pow", "{0} ** {1}",
          ("positive", "real")),
    # a ** n for a number n (no node);  d/da = n a^(n-1). a ** 0 = 1 whatever a is: nothing
    # flows back, as in PyTorch's pow_backward.
    _rule("**n", 1, lambda m, a, n: m.power(a, n),
          lambda m, out, a, n: m.unless(m.eq(n, 0.0), (n * m.power(a, n - 1.0),)),
          lambda torch, a, n: torch.pow(a, n),
          "the power rule, d(x^n)/dx = n x^(n-1)", "pow", "{0}**{n}", ("positive",)),
    # |a|;  d/da = sign(a), with |a|'(0) = 0 as in PyTorch
    _rule("abs", 1, lambda m, a: m.abs(a),
          lambda m, out, a: (m.sign(a),),
          lambda torch, a: torch.abs(a),
          "d|x|/dx = sign(x)", "abs", "abs({0})", ("nonzero",)),
    # e^x;  d/dx = e^x, the output itself
    _rule("exp", 1, lambda m, x: m.exp(x),
          lambda m, out, x: (out,),
          lambda torch, x: torch.exp(x),
          "d(e^x)/dx = e^x, the output itself", "exp", "exp({0})"),
    # ln x;  d/dx = 1/x  (log(0) = -inf, log(x < 0) = nan)
    _rule("log", 1, lambda m, x: m.log(x),
          lambda m, out, x: (m.div(1.0, x),),
          lambda torch, x: torch.log(x),
          "d(ln x)/dx = 1/x", "log", "log({0})", ("positive",)),
    # tanh(x) = (e^x - e^-x) / (e^x + e^-x);  d/dx = 1 - tanh(x)^2, written with the output
    _rule("tanh", 1, lambda m, x: m.tanh(x),
          lambda m, out, x: (1.0 - out * out,),
          lambda torch, x: torch.tanh(x),
          "d tanh(x)/dx = 1 - tanh(x)^2, written with the output", "tanh", "tanh({0})"),
    # s(x) = 1 / (1 + e^-x);  d/dx = s(x) (1 - s(x))  (lectures 000, 001, 003)
    _rule("sigmoid", 1, lambda m, x: m.sigmoid(x),
          lambda m, out, x: (out * (1.0 - out),),
          lambda torch, x: torch.sigmoid(x),
          "d s(x)/dx = s(x) (1 - s(x)), written with the output", "sigmoid", "sigmoid({0})"),
    # softplus(x) = ln(1 + e^x), a smooth ReLU and the stable heart of binary cross-entropy
    # (-ln s(z) = softplus(-z));  d/dx = s(x), the sigmoid. Its value is computed without
    # overflow for any x inside the operation, so a graph through it never branches on x.
    _rule("softplus", 1, lambda m, x: m.softplus(x),
          lambda m, out, x: (m.sigmoid(x),),
          lambda torch, x: torch.logaddexp(x, torch.zeros_like(x)),
          "d ln(1 + e^x)/dx = e^x / (1 + e^x) = s(x), the sigmoid", "softplus",
          "softplus({0})"),
    # ReLU(x) = max(0, x);  d/dx = 1 for x > 0; for x <= 0 nothing flows back at all, as in
    # PyTorch (so relu'(0) = 0, and dL/dx is 0 even when dL/d(relu) is inf or nan). A nan
    # passes on.
    _rule("relu", 1, lambda m, x: m.where(m.le(x, 0.0), 0.0, x),
          lambda m, out, x: m.unless(m.le(x, 0.0), (1.0,)),
          lambda torch, x: torch.relu(x),
          "d relu(x)/dx = 1 for x > 0, else 0", "relu", "relu({0})", ("nonzero",)),
    # The hard threshold of notes 003: g(z) = 1 for z >= 0, else 0. Flat on both sides (at 0 it
    # jumps and has no derivative): nothing flows back, so gradient descent cannot train it. A
    # comparison has no derivative in PyTorch either: its result hangs off the graph.
    _rule("step", 1, lambda m, x: m.where(m.ge(x, 0.0), 1.0, 0.0),
          lambda m, out, x: m.NO_FLOW,
          lambda torch, x: (x >= 0).to(torch.float64),
          "the step is flat on both sides: its derivative is 0", "step", "step({0})",
          ("nonzero",)),
    # sin x;  d/dx = cos x
    _rule("sin", 1, lambda m, x: m.sin(x),
          lambda m, out, x: (m.cos(x),),
          lambda torch, x: torch.sin(x),
          "d(sin x)/dx = cos x", "sin", "sin({0})"),
    # cos x;  d/dx = -sin x
    _rule("cos", 1, lambda m, x: m.cos(x),
          lambda m, out, x: (-m.sin(x),),
          lambda torch, x: torch.cos(x),
          "d(cos x)/dx = -sin x", "cos", "cos({0})"),
    # sqrt(x);  d/dx = 1 / (2 sqrt(x)) = 0.5 / out  (sqrt(x < 0) = nan)
    _rule("sqrt", 1, lambda m, x: m.sqrt(x),
          lambda m, out, x: (m.div(0.5, out),),
          lambda torch, x: torch.sqrt(x),
          "d sqrt(x)/dx = 1 / (2 sqrt(x))", "sqrt", "sqrt({0})", ("positive",)),
    # A new node equal to x: a handle on one use of x (autograd.grad differentiates with
    # respect to such handles).  d/dx = 1
    _rule("id", 1, lambda m, x: x,
          lambda m, out, x: (1.0,),
          lambda torch, x: x.clone(),
          "d(x)/dx = 1", "id", "id({0})"),
    # sum_i a_i b_i + bias, what a neuron computes (w . x + b) as one node;
    # d/da_i = b_i, d/db_i = a_i, d/dbias = 1
    _rule("dot", None, lambda m, *args: m.dot(args),
          lambda m, out, *args: m.dot_local(args),
          _torch_dot,
          "d(w . x + b)/dw_i = x_i, d/dx_i = w_i and d/db = 1", "dot", "dot"),
)}


#: micrograd's names for the same operations (its ``Value`` calls ReLU "ReLU").
MICROGRAD_NAMES = {"ReLU": "relu"}


def exponent(op: str) -> float | None:
    """n for a number-exponent op ``"**n"`` (``"**2"``, ``"**-0.5"``), else None.

    The one place the exponent is read back from the op's text; ``Value.__pow__`` writes it."""
    if op.startswith("**") and op != "**":
        try:
            return float(op[2:])
        except ValueError:
            return None
    return None


def rule_of(node: Any) -> tuple[Rule, tuple[float, ...]] | None:
    """The rule that made ``node`` and its parameters (``(n,)`` for ``x ** n``, else ``()``);
    None for an operation the engine does not know (``custom_op``, a micrograd-style closure
    named otherwise)."""
    op = MICROGRAD_NAMES.get(node.op, node.op)
    rule = RULES.get(op)
    if rule is not None:
        return rule, ()
    n = exponent(op)
    if n is not None and len(node.parents) == 1:
        return RULES["**n"], (n,)
    return None


def is_builtin(op: str) -> bool:
    """Whether ``op`` names a built-in operation (a custom one must be named otherwise)."""
    return op in RULES or op.startswith("**")
