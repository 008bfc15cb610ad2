"""Each operation's rule, written out once as a plain Python function: the engine's kernels.

``Value.tanh()`` does not interpret its rule every time it runs. The rule is evaluated once with
``codemath.CODE``, which turns its arithmetic into Python text, and that text becomes a
function, the kernel, which makes the node::

    >>> print(source("tanh"))
    def tanh_kernel(p0):
        x0 = p0._data
        out = tanh(x0)
        return make(out, (p0,), ((1.0 - (out * out)),), 'tanh')

(``p0._data`` is ``p0.data``, the slot itself: see ``Value._data``.)

So the engine runs as fast as if each operation were written by hand, and the compiler, which
writes its replays from the same ``CODE`` text, computes the engine's numbers bit for bit. A
kernel calls the float helpers of ``floatmath`` (IEEE results: ``div(1.0, 0.0)`` is inf) and
``make``, the one function that creates a node.

A ``dot`` has as many parents as its neuron has inputs, twice, plus a bias: its kernel is written
for each length the first time that length is asked for, with one addition a line.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

from autograd.core.codemath import CODE, HELPERS, NO_FLOW, Code, Sum, Unless, text
from autograd.core.rules import NO_FLOW as NOTHING_FLOWS
from autograd.core.rules import RULES, Rule

#: Kernels made so far, by (op, number of parents), and their source.
_KERNELS: dict[tuple[str, int], Callable[..., Any]] = {}
_SOURCES: dict[tuple[str, int], str] = {}


def kernel(op: str, parents: int, make: Callable[..., Any]) -> Callable[..., Any]:
    """The kernel of ``op`` for ``parents`` parents, whose nodes ``make(data, parents,
    local_grads, op)`` creates. Called as ``kernel(a)`` or ``kernel(a, b)``; a ``**n`` kernel as
    ``kernel(a, n, op)``; a ``dot`` kernel with the tuple of its parents."""
    key = (op, parents)
    found = _KERNELS.get(key)
    if found is None:
        code = source(op, parents)
        filename = f"<kernel {op} of {parents}>"
        # Kept in linecache so that a traceback through a kernel shows its line.
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        # A kernel's frames belong to this module (the compiler's recorder tells the engine's
        # own use of a number from the user's by the module a frame runs in).
        namespace: dict[str, Any] = {**HELPERS, "make": make, "NO_FLOW": NOTHING_FLOWS,
                                     "__name__": __name__}
        exec(compile(code, filename, "exec"), namespace)  # text made from the rules only
        found = _KERNELS[key] = namespace[_name(RULES[op], parents)]
    return found


def source(op: str, parents: int | None = None) -> str:
    """The Python source of ``op``'s kernel (``parents``: for a ``dot``, how many)."""
    rule = RULES[op]
    key = (op, parents if parents is not None else rule.arity or 0)
    if key not in _SOURCES:
        _SOURCES[key] = _write(rule, key[1])
    return _SOURCES[key]


def _name(rule: Rule, parents: int) -> str:
    word = "pow" if rule.op == "**n" else rule.word
    return f"{word}_kernel" if rule.arity is not None else f"{word}{parents}_kernel"


def _write(rule: Rule, parents: int) -> str:
    names = [f"p{i}" for i in range(parents)]
    xs = [Code(f"x{i}") for i in range(parents)]
    params = [Code("n")] if rule.op == "**n" else []
    if rule.arity is None:  # a dot takes the tuple of its parents, and keeps it
        lines = [f"def {_name(rule, parents)}(parents):"]
        if parents:  # (a dot of nothing, ``dot([], [])``, is 0.0 with no parents)
            lines.append(f"    {', '.join(names)}{',' if parents == 1 else ''} = parents")
        parent_tuple = "parents"
    else:
        arguments = names + ["n", "op"] if params else names
        lines = [f"def {_name(rule, parents)}({', '.join(arguments)}):"]
        parent_tuple = f"({names[0]},)" if parents == 1 else f"({', '.join(names)})"
    lines += [f"    x{i} = p{i}._data" for i in range(parents)]
    value = rule.forward(CODE, *xs, *params)
    if isinstance(value, Sum):  # a dot: one addition a line, in the engine's order
        lines.append(f"    out = {text(value.start)}")
        lines += [f"    out = (out + ({text(a)} * {text(b)}))" for a, b in value.pairs]
    else:
        lines.append(f"    out = {text(value)}")
    local = _local_text(rule.local(CODE, Code("out"), *xs, *params))
    op = "op" if params else repr(rule.op)
    lines.append(f"    return make(out, {parent_tuple}, {local}, {op})")
    return "\n".join(lines) + "\n"


def _local_text(local: Any) -> str:
    if local is NO_FLOW:
        return "NO_FLOW"
    if isinstance(local, Unless):  # nothing flows back where the condition holds
        return f"(NO_FLOW if {local.cond.text} else {_tuple_text(local.local)})"
    return _tuple_text(local)


def _tuple_text(items: tuple) -> str:
    inner = ", ".join(text(d) for d in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"
