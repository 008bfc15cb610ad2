"""``autograd.compile(fn, backend="numba")``: the replay's program run by one Numba kernel.

The Python replay (``codegen``) writes a recorded step as Python source; Python itself is then
the ceiling. This backend hands the very same ``Program`` (``compiled/ir.py``), template and
all, to a kernel compiled by Numba, as *data*: a tape of operations, one row per entry, each
naming its rule and where its arguments sit in one array of float64 numbers::

    mem = [ shared inputs | parameters | constants | values outside the loop |
            example 0 (its inputs, then its template's values) | example 1 | ... ]

The kernel runs the tape forward (the prologue, the template, the epilogue), then backward in
the engine's order: from the loss to the first node, the examples last first, each node adding
``d(node)/d(arg) * dL/d(node)`` to its arguments' gradients, which start at 0.0. The same
additions in the same order give the engine's numbers, bit for bit. A row of the template is
read once and run for every example in turn: forward always (an example reads only its own
values and those outside), backward where that adds to each place in the engine's order
(``_Tape.by_entry``). A neuron's dot goes to a function of its own (``_DOT_ROWS``), which adds
four examples' sums side by side.

**One rule per operation.** The kernel's branch for each operation is its rule
(``rules.RULES[op]``), evaluated with ``codemath.CODE`` as the engine's own kernels are
(``core/kernels.py``): its value and its local derivatives, the same expressions in the same
order. The float helpers they call are ``numba_math``'s, the engine's ``floatmath`` written
for Numba. No fast-math: Numba may not reorder or fuse a single addition.

**Compiled once, for every model.** The kernel does not depend on the model: a new model is
new data, never new code. Numba compiles it the first time (10 to 20 seconds) and caches it
(``cache=True``) in the user's cache folder (``cache_folder()``), so later processes load it
in a fraction of a second.

What the kernel does not run: the step's own arithmetic on the numbers it follows beyond
``NUMBER_OPS`` (``%``, ``//``), its questions beyond ``GUARDS`` (``round()``), random draws
and ``where`` (dropout's masks), a label's question (a class index), a custom operation. Those
steps run on the Python replay; ``Unsupported`` says why, and ``repr(step)`` shows it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import itertools
import os
import sys
from collections.abc import Callable, Sequence
from operator import countOf
from pathlib import Path
from typing import Any

from autograd.compiled import numba_math
from autograd.compiled.codegen import AGAIN
from autograd.compiled.ir import BODY, Entry, Program, Ref
from autograd.core.codemath import CODE, NO_FLOW, Code, Unless, text
from autograd.core.files import write_atomically
from autograd.core.rules import RULES

#: What ``pip`` installs to get this backend.
INSTALL = "pip install backprop-lab[fast]"

#: Integers beyond this are not exact as float64: a step given one runs on the Python replay.
EXACT_INTEGERS = 2 ** 53

#: The largest int input the kernel takes as a float: sums of many stay exact in float64.
INT_INPUTS = 2 ** 40

#: The operations with an int result from int arguments (the rest return floats whatever
#: they are given); a result of one of these on int constants alone stays on Python.
_INT_PRESERVING = frozenset(("+", "-", "*", "neg", "abs", "relu", "id", "dot"))

#: The tape's columns (see ``Tape``).
_OPS = sorted(RULES)
OPCODE = {op: i for i, op in enumerate(_OPS)}
SUM = len(_OPS)  # a dot over the whole batch (a template's "sum" entry)
#: The step's own arithmetic on the numbers it follows (``"number"`` entries), that the kernel
#: runs: on floats (the kernel takes float inputs only) Python computes just this.
NUMBER_OPS = {"+": "(a + b)", "-": "(a - b)", "*": "(a * b)", "neg": "(-a)", "pos": "a",
              "abs": "abs(a)", "float": "a"}
#: Python's ``/`` and ``**`` raise where IEEE answers (1/0, a negative base and a fraction):
#: there the kernel hands the call to the Python replay, which does what the step does.
NUMBER_OPS.update({"/": "(a / b)", "**": "math.pow(a, b)"})
#: ``max``/``min`` of the numbers, as Python's: the first, replaced by each later one that is
#: larger (smaller).
NUMBER_OPS.update({"max": ">", "min": "<"})
NUMBER_CODE = {op: SUM + 1 + i for i, op in enumerate(NUMBER_OPS)}
_RAISES = {"/": "b == 0.0",
           "**": "(a == 0.0 and b < 0.0) or (a < 0.0 and math.isfinite(b) and "
                 "math.floor(b) != b) or (math.isfinite(a) and math.isfinite(b) and "
                 "math.isinf(math.pow(a, b)))"}
#: The questions the step's code asks (guards): the test, as the answer it got (``n``) is
#: compared with. A number that Python's int() or floor() would refuse goes to Python.
GUARDS = {"<": "(a < b)", "<=": "(a <= b)", ">": "(a > b)", ">=": "(a >= b)",
          "==": "(a == b)", "!=": "(a != b)", "bool": "(a != 0.0)",
          "is_integer": "(math.isfinite(a) and np.floor(a) == a)",
          "int": "np.trunc(a)", "trunc": "np.trunc(a)", "floor": "np.floor(a)",
          "ceil": "np.ceil(a)"}
GUARD_CODE = {op: SUM + 1 + len(NUMBER_OPS) + i for i, op in enumerate(GUARDS)}
#: The tape's columns, one row per entry: its operation, where its value goes, its first two
#: arguments' places (each an address and whether it is relative to the example's block),
#: whether gradient flows into them (bits 1 and 2), its exponent's or answer's place, where
#: its arguments sit in ``ad``/``rel``/``flows`` and how many (operations of any arity), and
#: its row in the table of evenly spaced dots (``_Tape._affine``), or -1.
COLUMN_NAMES = ("OP", "OUT", "A", "A_REL", "B", "B_REL", "FLOWS", "N", "AT", "COUNT", "DOT")
OP, OUT, A, A_REL, B, B_REL, FLOWS, N, AT, COUNT, DOT = range(len(COLUMN_NAMES))
COLUMNS = len(COLUMN_NAMES)
#: A dot's row in that table: its weights' first place, whether relative, spacing; the same
#: for its inputs; how many pairs; whether gradient flows into the weights, into the inputs.
DOT_COLUMNS = 9
#: What ``run`` returns as its status: every guard held; or Python must take this call.
HELD, TO_PYTHON = -1, -2


class NumbaUnavailable(ImportError):
    """Numba is not installed (or cannot compile here); the message says what to do."""


def available() -> str | None:
    """``None`` when the Numba backend can run here, else the reason it cannot."""
    try:
        import numba
    except ImportError:
        return f"Numba is not installed ({INSTALL} installs it)"
    if numba.config.USING_SVML:
        return ("Numba uses Intel's SVML here, whose " + ", ".join(numba_math.LIBM) +
                " may differ from CPython's libm by an ulp; set NUMBA_DISABLE_INTEL_SVML=1 "
                "to use the Numba backend")
    return None


def require() -> None:
    """Raise ``NumbaUnavailable`` (an ImportError) unless the backend can run."""
    why = available()
    if why is not None:
        raise NumbaUnavailable(f"autograd.compile(backend='numba') needs Numba: {why}. "
                               f"Install it with `{INSTALL}`, or use backend='python'")


def cache_folder() -> Path:
    """Where the compiled kernel is cached: ``$BACKPROP_LAB_CACHE``, else the user's cache
    folder (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on Windows;
    ``~/Library/Caches`` on macOS), in ``backprop-lab/numba``."""
    chosen = os.environ.get("BACKPROP_LAB_CACHE")
    if chosen:
        return Path(chosen) / "numba"
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "backprop-lab" / "numba"


# ---------------------------------------------------------------- the kernel's source ------

def _branch(op: str, forward: bool) -> list[str]:
    """The kernel's lines for ``op``: its value (``forward``) or its gradient passed back,
    both from its one rule evaluated with ``CODE`` on the names ``a``, ``b``, ``n``, ``out``."""
    rule = RULES[op]
    args = [Code("a"), Code("b")][:rule.arity]
    params = [Code("n")] if op == "**n" else []
    if forward:
        return [f"value = {text(rule.forward(CODE, *args, *params))}"]
    local = rule.local(CODE, Code("out"), *args, *params)
    if local is NO_FLOW:
        return ["pass  # nothing flows back"]
    lines = []
    indent = ""
    if isinstance(local, Unless):
        lines.append(f"if not {local.cond.text}:  # else nothing flows back")
        local, indent = local.local, "    "
    for i, d in enumerate(local):
        lines.append(f"{indent}if flows & {1 << i}:")
        lines.append(f"{indent}    grad[{'ab'[i]}_at] += {text(d)} * g")
    return lines


def _dot_lines(forward: bool) -> list[str]:
    """A dot, from the rule's ``Sum``: from the bias (or 0.0), pairs added left to right; each
    factor's derivative is its partner, the bias's 1.0. The bias is the row's first argument
    (``a``); the pairs are evenly spaced (the row's ``DOT`` says where) or listed in ``ad``.
    These are the lines for one example; a neuron's dot goes to ``_DOT_ROWS`` instead."""
    a0, b0, a1, b1, bias = (Code(f"t{i}") for i in range(5))
    total = CODE.dot((a0, b0, a1, b1, bias))
    local = CODE.dot_local((a0, b0, a1, b1, bias))
    if (total.start, total.pairs, local) != (bias, ((a0, b0), (a1, b1)), (b0, a0, b1, a1, 1.0)):
        raise RuntimeError("the dot rule changed: the Numba kernel's dot must follow it")
    spaced = ["x = dots[d, 0] + dots[d, 1] * base",
              "y = dots[d, 3] + dots[d, 4] * base",
              "pairs = dots[d, 6]"]
    listed = ["at = tape[j, AT]", "end = at + (tape[j, COUNT] & ~1)"]
    if forward:
        return (["value = a if tape[j, COUNT] & 1 else 0.0",
                 "if d >= 0:  # evenly spaced: the places computed, not read"]
                + _indent(spaced + _views(["for i in range(pairs):",
                                           "    value += w[i] * u[i]"]))
                + ["else:"]
                + _indent(listed + [
                    "for i in range(at, end, 2):",
                    "    value += (mem[ad[i] + rel[i] * base] *",
                    "              mem[ad[i + 1] + rel[i + 1] * base])"]))
    return (["if d >= 0:  # evenly spaced, weights and inputs apart: all of one, then"]
            + _indent(spaced + _views(["if dots[d, 7]:",
                                       "    for i in range(pairs):",
                                       "        gw[i] += u[i] * g",
                                       "if dots[d, 8]:",
                                       "    for i in range(pairs):",
                                       "        gu[i] += w[i] * g"]))
            + ["else:"]
            + _indent(listed + [
                "for i in range(at, end, 2):",
                "    x = ad[i] + rel[i] * base",
                "    y = ad[i + 1] + rel[i + 1] * base",
                "    if ad_flows[i]:",
                "        grad[x] += mem[y] * g",
                "    if ad_flows[i + 1]:",
                "        grad[y] += mem[x] * g"])
            + ["if tape[j, COUNT] & 1 and flows & 1:",
               "    grad[a_at] += 1.0 * g"])


#: A neuron's dot, as most are: its weights one after the other, the same for every example
#: (parameters), its inputs one after the other in the example's block. Its row goes to one of
#: these for all the examples it stands for: the weights' view made once, not once per example,
#: and in a function of its own, whose loops LLVM compiles better than inside ``run``'s (on
#: ``MLP(2, [64, 64, 1])`` at batch 100, the kernel took 1.16 ms with these dots in ``run``,
#: 0.76 ms here). The same rule as ``_dot_lines``, the same additions in the same order.
_DOT_ROWS = '''

@njit(**_JIT)
def dot_rows_forward(mem, x, y0, y_rel, pairs, out_place, a_place, a_rel, bias, base0, block,
                     count):
    \"\"\"Each example's w . u from its bias (or 0.0), the pairs added left to right: the
    engine's order. Four examples side by side while as many are left: their sums are
    independent, so the processor adds them together instead of each addition waiting for
    the one before (without fast-math, the one way a sum may go faster and stay the same
    number).\"\"\"
    w = mem[x:x + pairs]
    done = 0
    while done + 4 <= count:
        e0 = base0 + done * block
        e1 = e0 + block
        e2 = e1 + block
        e3 = e2 + block
        v0 = mem[a_place + a_rel * e0] if bias else 0.0
        v1 = mem[a_place + a_rel * e1] if bias else 0.0
        v2 = mem[a_place + a_rel * e2] if bias else 0.0
        v3 = mem[a_place + a_rel * e3] if bias else 0.0
        u0 = mem[y0 + y_rel * e0:y0 + y_rel * e0 + pairs]
        u1 = mem[y0 + y_rel * e1:y0 + y_rel * e1 + pairs]
        u2 = mem[y0 + y_rel * e2:y0 + y_rel * e2 + pairs]
        u3 = mem[y0 + y_rel * e3:y0 + y_rel * e3 + pairs]
        for i in range(pairs):
            v0 += w[i] * u0[i]
            v1 += w[i] * u1[i]
            v2 += w[i] * u2[i]
            v3 += w[i] * u3[i]
        mem[out_place + e0] = v0
        mem[out_place + e1] = v1
        mem[out_place + e2] = v2
        mem[out_place + e3] = v3
        done += 4
    for c in range(done, count):
        base = base0 + c * block
        value = mem[a_place + a_rel * base] if bias else 0.0
        u = mem[y0 + y_rel * base:y0 + y_rel * base + pairs]
        for i in range(pairs):
            value += w[i] * u[i]
        mem[out_place + base] = value


@njit(**_JIT)
def dot_rows_backward(mem, grad, x, y0, y_rel, pairs, w_flows, u_flows, out_place, a_place,
                      a_rel, bias, base0, block, count):
    \"\"\"Each example in turn (``base0`` the first's block, each next a block back): every
    weight's gradient, then every input's (their places are apart: ``_Tape._affine``), then
    the bias's, as the engine's dot passes them.\"\"\"
    w = mem[x:x + pairs]
    gw = grad[x:x + pairs]
    for c in range(count):
        base = base0 - c * block
        g = grad[out_place + base]
        y = y0 + y_rel * base
        u = mem[y:y + pairs]  # (both views made whether used or not: made in the branches,
        gu = grad[y:y + pairs]  # they cost the kernel a third more, measured)
        if w_flows:
            for i in range(pairs):
                gw[i] += u[i] * g
        if u_flows:
            for i in range(pairs):
                gu[i] += w[i] * g
        if bias:
            grad[a_place + a_rel * base] += 1.0 * g
'''

#: The test for a row that goes to ``_DOT_ROWS``: evenly spaced, the weights not in the
#: example's block, both sides one after the other, and more than one example to go through
#: (a call per example costs more than it saves: going back example by example, where
#: ``_Tape.by_entry`` is False, the row's lines run in ``run``).
_ROWS_TEST = ("count > 1 and d >= 0 and dots[d, 1] == 0 and dots[d, 2] == 1 and "
              "dots[d, 5] == 1")


def _views(loops: list[str]) -> list[str]:
    """``loops`` over a dot's weights ``w`` and inputs ``u`` (``gw``, ``gu``: their gradients)
    as views of mem (and grad): Numba's loops over views run twice as fast as over places
    computed from a start and a spacing, and over contiguous views (``_layout`` makes them)
    twice as fast again; written once for those, once for any spacing."""
    def views(w: str, u: str) -> list[str]:
        made = [f"w = mem[{w}]", f"u = mem[{u}]"]
        if any("gw" in line for line in loops):
            made += [f"gw = grad[{w}]", f"gu = grad[{u}]"]
        return made

    return (["if dots[d, 2] == 1 and dots[d, 5] == 1:"]
            + _indent(views("x:x + pairs", "y:y + pairs") + loops)
            + ["else:"]
            + _indent(views("x:x + pairs * dots[d, 2]:dots[d, 2]",
                            "y:y + pairs * dots[d, 5]:dots[d, 5]") + loops))


def _per_example(forward: bool, lines: list[str]) -> list[str]:
    """An operation's ``lines`` once for each example its row stands for: ``count`` of them,
    the first at ``base0`` and each next a ``block`` further on (forward) or back (backward,
    where the engine goes back through the examples last first). A row outside the template
    stands for one, at 0. The row's columns are read once, before this loop: the loop per
    example is the operation's arithmetic alone."""
    head = ["for c in range(count):",
            f"    base = base0 {'+' if forward else '-'} c * block",
            "    a_at = a_place + a_rel * base",
            "    b_at = b_place + b_rel * base",
            "    a = mem[a_at]",
            "    b = mem[b_at]"]
    if forward:  # (``lines`` set ``value``)
        return head + _indent(lines) + ["    mem[out_place + base] = value"]
    return (head + ["    out_at = out_place + base", "    out = mem[out_at]",
                    "    g = grad[out_at]"] + _indent(lines))


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _dispatch(forward: bool, indent: str) -> list[str]:
    """The branch of each operation (and, forward, of the step's own arithmetic and
    questions), each its lines once per example (``_per_example``)."""
    lines = []
    for i, op in enumerate(_OPS):
        lines.append(f"{'if' if i == 0 else 'elif'} op == {i}:  # {op}")
        if op != "dot":
            lines += _indent(_per_example(forward, _branch(op, forward)))
            continue
        if forward:
            call = ("dot_rows_forward(mem, dots[d, 0], dots[d, 3], dots[d, 4], dots[d, 6], "
                    "out_place, a_place, a_rel, tape[j, COUNT] & 1, base0, block, count)")
        else:
            call = ("dot_rows_backward(mem, grad, dots[d, 0], dots[d, 3], dots[d, 4], "
                    "dots[d, 6], dots[d, 7], dots[d, 8], out_place, a_place, a_rel, "
                    "tape[j, COUNT] & 1 and flows & 1, base0, block, count)")
        lines += _indent([f"if {_ROWS_TEST}:  # a neuron's dot: _DOT_ROWS", f"    {call}",
                          "else:"] + _indent(_per_example(forward, _dot_lines(forward))))
    if forward:  # the step's own arithmetic and questions: no gradient flows through them;
        # rare, so one loop over the examples for all of them (a loop each doubles the
        # kernel's build time)
        own = []
        for op, code in NUMBER_OPS.items():
            own.append(f"elif op == {NUMBER_CODE[op]}:  # the step's own {op}")
            body = []
            if op in _RAISES:
                body += [f"if {_RAISES[op]}:  # Python raises here",
                         f"    return np.empty(0), {TO_PYTHON}"]
            if op in ("max", "min"):
                body += ["value = a",
                         "at = tape[j, AT]",
                         "for i in range(at + 1, at + tape[j, COUNT]):",
                         "    x = mem[ad[i] + rel[i] * base]",
                         f"    if x {code} value:",
                         "        value = x"]
            else:
                body.append(f"value = {code}")
            own += _indent(body)
        for op, test in GUARDS.items():
            own.append(f"elif op == {GUARD_CODE[op]}:  # the question {op!r}")
            if op in ("int", "trunc", "floor", "ceil"):
                own += _indent(["if not math.isfinite(a):  # Python raises here",
                                f"    return np.empty(0), {TO_PYTHON}",
                                f"if {test} != n:  # another answer: record again",
                                "    return np.empty(0), j"])
            else:
                own += _indent([f"if {test} != (n != 0.0):  # another answer: record again",
                                "    return np.empty(0), j"])
        own[0] = own[0][2:]  # the first "elif" an "if"
        # (a question computes no value: its row's place gets 0.0)
        lines += ["else:"] + _indent(_per_example(True, ["value = 0.0"] + own))
    return [indent + line for line in lines]


_HEADER = '''"""The Numba kernel of backprop-lab's compiled steps, generated by
autograd/compiled/numba_backend.py from the one rule per operation (do not edit: a new version
of the rules writes a new file)."""

import math

import numpy as np
from numba import njit

inf = INF = math.inf  # (floatmath's helpers, copied in as they are, say INF and NAN)
nan = NAN = math.nan
_JIT = dict(cache=True, error_model="numpy", boundscheck=False, nogil=True)
'''

_KERNEL = '''

@njit(**_JIT)
def run(tape, ad, rel, ad_flows, dots, mem, examples, start, block, first, body, order,
        body_order, by_entry, grads, olds, root):
    \"\"\"Forward through ``tape``, then backward in the engine's order: ``order`` reversed,
    BODY standing for the examples, last first, each in ``body_order`` reversed. Returns the
    parameters' new gradients (``grads``: their addresses; ``olds``: their .grad before).

    A row of the template stands for all the examples: its columns are read once, then its
    operation runs example after example (``count`` of them, from the block at ``base0``).
    Forward, that is always the engine's numbers: an example's values read only its own and
    those outside the template. Backward, where ``by_entry`` (``_Tape.by_entry``: no place
    outside the examples gets gradient from two rows of the template) the rows go back
    through all the examples in turn, else example after example, each through all its rows.
    The operations' branches are written once, in one function: no call per row (a call
    would count references to every array it is given).\"\"\"
    for j in range(tape.shape[0]):
        count, base0 = 1, 0
        if first <= j < first + body:  # the template: the row stands for every example
            count, base0 = examples, start
        op = tape[j, OP]
        if op == SUM:
            at = tape[j, AT]
            total = mem[ad[at + 2]] if tape[j, COUNT] > 2 else 0.0
            for e in range(examples):
                total += mem[start + e * block + ad[at]] * mem[ad[at + 1]]
            mem[tape[j, OUT]] = total
            continue
        out_place = tape[j, OUT]
        a_place, a_rel = tape[j, A], tape[j, A_REL]
        b_place, b_rel = tape[j, B], tape[j, B_REL]
        n = mem[tape[j, N]]
        d = tape[j, DOT]
FORWARD

    grad = np.zeros(mem.shape[0])
    for i in range(grads.shape[0]):
        grad[grads[i]] = olds[i] if olds[i] == 0.0 else 0.0
    if root >= 0:
        grad[root] = 1.0
    # Going back: order's entries last first, BODY standing for the template's rows (last
    # first), each for every example (by_entry), or example after example, each all its rows.
    rows = body_order.shape[0]
    last = start + (examples - 1) * block  # the last example's block
    k = order.shape[0]  # order[k - 1]: the next entry of order to go back through
    r = 0  # body_order[r - 1]: the next row of the template to go back through
    e = 0  # the examples still to go back through after the current one, example by example
    while True:
        if r == 0 and e > 0:  # the example before
            e -= 1
            r = rows
        if r > 0:
            r -= 1
            j = body_order[r]
            if by_entry:
                base0, count = last, examples
            else:
                base0, count = start + e * block, 1
        else:
            if k == 0:
                break
            k -= 1
            if order[k] == BODY:
                if examples > 0 and rows > 0:
                    r = rows
                    e = 0 if by_entry else examples - 1
                continue
            j, base0, count = order[k], 0, 1
        op = tape[j, OP]
        if op == SUM:
            at = tape[j, AT]
            g = grad[tape[j, OUT]]
            if ad_flows[at]:
                for i in range(examples):
                    grad[start + i * block + ad[at]] += mem[ad[at + 1]] * g
            continue
        out_place = tape[j, OUT]
        a_place, a_rel = tape[j, A], tape[j, A_REL]
        b_place, b_rel = tape[j, B], tape[j, B_REL]
        n = mem[tape[j, N]]
        d = tape[j, DOT]
        flows = tape[j, FLOWS]
BACKWARD

    new = np.empty(grads.shape[0])
    for i in range(grads.shape[0]):
        new[i] = grad[grads[i]] if olds[i] == 0.0 else olds[i] + grad[grads[i]]
    return new, HELD
'''


def kernel_source() -> str:
    """The kernel module's source: the helpers, then the tape's interpreter with a branch per
    operation, each from its rule."""
    helpers = "\n\n".join("@njit(**_JIT)\n" + inspect.getsource(f)
                          for f in numba_math.HELPERS) + _DOT_ROWS
    body = _KERNEL.replace("FORWARD", "\n".join(_dispatch(True, " " * 8)))
    body = body.replace("BACKWARD", "\n".join(_dispatch(False, " " * 8)))
    body = body.replace("== SUM", f"== {SUM}").replace("== BODY", f"== {BODY}")
    body = body.replace("HELD", str(HELD))
    columns = f"{', '.join(COLUMN_NAMES)} = range({COLUMNS})  # the tape's columns\n"
    return _HEADER + columns + "\n\n" + helpers + body


# ---------------------------------------------------------------- loading it --------------

_module: Any = None


def _kernel_file() -> tuple[Path, str]:
    source = kernel_source()
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    return cache_folder() / f"kernel_{digest}.py", source


def cached() -> bool:
    """Whether the kernel of these rules is in the cache folder, compiled (a process then
    loads it in a fraction of a second instead of building it)."""
    path, _ = _kernel_file()
    return any((path.parent / "__pycache__").glob(f"{path.stem}.run-*.nbi"))


def kernel() -> Any:
    """The kernel module, compiled (or loaded from the cache) on first use."""
    global _module
    if _module is not None:
        return _module
    require()
    path, source = _kernel_file()
    folder, digest = path.parent, path.stem[len("kernel_"):]
    folder.mkdir(parents=True, exist_ok=True)
    # Numba's cache is keyed on the file's time stamp: a file already written is left as is.
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        write_atomically(path, source)
    if not cached():
        # On stdout: a notebook shows it as the cell's text, not as an error.
        print(f"autograd.compile: building the Numba kernel, once for every model (10 to 20 "
              f"seconds; cached in {folder})", flush=True)
    spec = importlib.util.spec_from_file_location(f"backprop_lab_numba_kernel_{digest}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Numba finds the helpers' module by its name
    spec.loader.exec_module(module)
    _warm_up(module)
    _module = module
    return module


def _warm_up(module: Any) -> None:
    """One call on an empty tape: Numba compiles (or loads) ``run`` now, not in a step."""
    import numpy as np

    nothing = np.zeros(0, dtype=np.int64)
    module.run(np.zeros((0, COLUMNS), dtype=np.int64), nothing, nothing,
               np.zeros(0, dtype=np.bool_), np.zeros((0, DOT_COLUMNS), dtype=np.int64),
               np.zeros(1), 0, 0, 0, 0, 0, nothing, nothing, True, nothing, np.zeros(0), -1)


# ---------------------------------------------------------------- the tape ----------------

class Unsupported(Exception):
    """The program has something the kernel does not run; the message says what."""


class NumbaReplay:
    """A ``Program`` run by the kernel, with the calling convention of ``codegen.Replay``:
    ``function(s, e, p, g, k)`` returns ``(*results, new_grads)``. Arguments the kernel cannot
    take exactly (an int among the inputs, a ``.grad`` that is None or an int) go to the Python
    replay of the same program: ``write`` and ``compile_source`` make it when first needed
    (writing and compiling a large step's Python takes longer than a hundred of its steps)."""

    def __init__(self, program: Program, write: Callable[[Program], tuple[str, list[int]]],
                 compile_source: Callable[[str], Callable[..., Any]]) -> None:
        import numpy as np

        self.np = np
        try:
            self.module = kernel()
        except OSError as error:  # (the cache folder, read-only or full)
            raise Unsupported(f"here: it could not be written to {cache_folder()} ({error}); "
                              f"set BACKPROP_LAB_CACHE to a folder it may write") from error
        self._write = write
        self._compile_source = compile_source
        self._source: str | None = None
        self._python: Callable[..., Any] | None = None
        self._ints_allowed: bool | None = None
        tape = _Tape(program)
        self.tape = tape
        self.grads = tape.grads
        self.entries = np.array(tape.rows, dtype=np.int64).reshape(-1, COLUMNS)
        self.ad = np.array(tape.ad, dtype=np.int64)
        self.rel = np.array(tape.rel, dtype=np.int64)
        self.flows = np.array(tape.flows, dtype=np.bool_)
        self.dots = np.array(tape.dots, dtype=np.int64).reshape(-1, DOT_COLUMNS)
        self.constants = np.array(tape.constants, dtype=np.float64)
        self.order = np.array(tape.order, dtype=np.int64)
        self.body_order = np.array(tape.body_order, dtype=np.int64)
        self.grad_at = np.array([tape.params_at + i for i in self.grads], dtype=np.int64)
        self.results = [tape.reader(r) for r in program.results]

    def _exact(self, s: list, e: list) -> bool:
        """Whether inputs that are not all floats give the kernel's floats the engine's
        numbers: every one is a float or an int (labels -1 and 1), no result of the step is an
        int the engine would return as one, no product of ints can outgrow float64's exact
        integers, and every int is below ``INT_INPUTS``. A record's inputs keep their types,
        so the first call decides the part about results and products."""
        kinds = set(map(type, s))
        kinds.update(map(type, itertools.chain.from_iterable(e)))
        if not kinds <= {float, int}:
            return False
        if self._ints_allowed is None:
            self._ints_allowed = self.tape.ints_stay_exact(
                {i for i, x in enumerate(s) if type(x) is int},
                {i for i, x in enumerate(e[0] if e else ()) if type(x) is int})
        return self._ints_allowed and all(
            abs(x) < INT_INPUTS for x in itertools.chain(s, *e) if type(x) is int)

    @property
    def source(self) -> str:
        """The same program as the Python replay reads it (``step.source``)."""
        if self._source is None:
            self._source, grads = self._write(self.tape.program)
            if grads != self.grads:
                raise RuntimeError(f"the kernel passes gradients to parameters {self.grads}, "
                                   f"the Python replay to {grads}")
        return self._source

    def python(self, s: list, e: list, p: list, g: list, k: tuple) -> tuple:
        """The Python replay's answer, for the calls the kernel hands it."""
        if self._python is None:
            self._python = self._compile_source(self.source)
        return self._python(s, e, p, g, k)

    def function(self, s: list, e: list, p: list, g: list, k: tuple) -> tuple:
        np = self.np
        tape = self.tape
        # The kernel computes in float64: a parameter's number or old gradient that is not
        # exactly a float (an int, a bool, None, a float subclass) goes to the Python replay,
        # and so do inputs unless all are floats or ``_exact`` says ints among them stay exact.
        # (countOf counts types equal to float, the very type, at C speed.)
        if countOf(map(type, p), float) != len(p) or countOf(map(type, g), float) != len(g):
            return self.python(s, e, p, g, k)
        floats = countOf(map(type, s), float) + \
            countOf(map(type, itertools.chain.from_iterable(e)), float)
        if floats != len(s) + sum(map(len, e)) and not self._exact(s, e):
            return self.python(s, e, p, g, k)
        examples = len(e) if tape.block else 0
        # (at least one place: a row reads place 0 for an argument it lacks)
        mem = np.empty(max(1, tape.start + examples * tape.block))
        mem[:tape.params_at] = s
        mem[tape.params_at:tape.constants_at] = p
        mem[tape.constants_at:tape.values_at] = self.constants
        if examples and tape.inputs:
            mem[tape.start:].reshape(examples, tape.block)[:, :tape.inputs] = e
        new, status = self.module.run(
            self.entries, self.ad, self.rel, self.flows, self.dots, mem, examples, tape.start,
            tape.block, tape.first, tape.body, self.order, self.body_order, tape.by_entry,
            self.grad_at,
            np.array(g, dtype=np.float64), tape.root)
        if status == TO_PYTHON:
            return self.python(s, e, p, g, k)
        if status != HELD:
            return AGAIN, self.tape.program.entries[status].where
        return (*(read(mem, s, e, p, k) for read in self.results), new.tolist())


def _layout(entries: list[Entry], among: Sequence[int]) -> list[int]:
    """The entries ``among`` in the order their values sit in mem: as they come, except that
    the values a dot multiplies (the layer below's, read by each neuron of a layer) sit one
    after the other, where the first of them comes. A dot then reads contiguous places, which
    Numba's loops read several times faster than places a spacing apart."""
    members = set(among)
    group: dict[int, tuple[int, ...]] = {}
    for j in among:
        entry = entries[j]
        if entry.kind != "node" or entry.op != "dot":
            continue
        for side in (0, 1):
            refs = entry.args[side:len(entry.args) & ~1:2]
            indices = tuple(r.index for r in refs)
            if len(indices) >= 2 and all(r.kind == "v" for r in refs) and \
                    set(indices) <= members and len(set(indices)) == len(indices) and \
                    not any(i in group for i in indices):
                group.update((i, indices) for i in indices)
    order: list[int] = []
    placed: set[int] = set()
    for j in among:
        if j not in placed:
            new = group.get(j, (j,))
            order += new
            placed.update(new)
    return order


class _Tape:
    """The program as the kernel's arrays (see the module doc for ``mem``'s layout)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        entries = program.entries
        first, body = program.prologue, program.body
        self.first, self.body = first, body
        self.params_at = program.shared_inputs
        self.constants_at = self.params_at + program.params
        constants = [self._constant(c) for c in program.constants]
        exponents: dict[float, int] = {}
        for entry in entries:
            if entry.kind == "node" and entry.op == "**n":
                exponents.setdefault(float(entry.params[0]), len(constants) + len(exponents))
        self.constants = constants + list(exponents)
        self.answers: dict[int, int] = {}  # a guard -> where the answer it got sits
        for j, entry in enumerate(entries):
            if entry.kind == "guard" and type(entry.params[0]) in (bool, int):
                self.answers[j] = self.constants_at + len(self.constants)
                self.constants.append(float(entry.params[0]))
        self.values_at = self.constants_at + len(self.constants)
        outside = [j for j in range(len(entries)) if not first <= j < first + body]
        self.slot = {j: self.values_at + i for i, j in enumerate(_layout(entries, outside))}
        self.inputs = program.example_inputs
        self.block = (self.inputs + body) if program.batched else 0
        inside = range(first, first + body)
        self.body_slot = {j: self.inputs + i for i, j in enumerate(_layout(entries, inside))}
        self.start = self.values_at + len(outside)
        self.rows: list[int] = []
        self.ad: list[int] = []
        self.rel: list[int] = []
        self.flows: list[bool] = []
        self.dots: list[list[int]] = []
        self._int_constants = {i for i, c in enumerate(program.constants) if type(c) is int}
        maybe_int: set[int] = set()
        for j, entry in enumerate(entries):
            self._row(j, entry, exponents, maybe_int)
        lo, hi = first, first + body
        self.order = [j for j in program.order if j == BODY or not lo <= j < hi]
        self.body_order = [j for j in program.order if j != BODY and lo <= j < hi]
        root = program.results[0]
        self.root = self.address(root[1])[0] if root[0] == "ref" and \
            root[1].kind in ("p", "v") else -1
        self.grads = self._grads()
        self.by_entry = self._by_entry()

    def _by_entry(self) -> bool:
        """Whether the backward pass may take the template row by row, each row through all
        the examples (last first), instead of example by example: the same numbers when no
        place outside the examples gets gradient from two of the template's rows. A place
        within an example gets its additions in the same order either way (its rows in the
        engine's order); a place outside gets, from its one row, the examples last first, as
        the engine adds them. A weight two rows share (``w * x + w``) has its gradient added
        row by row within each example: the engine's order, kept by going example by
        example."""
        program = self.program
        giver: dict[int, int] = {}
        for j in range(self.first, self.first + self.body):
            entry = program.entries[j]
            for ref, flows in zip(entry.args, entry.flows or ()):
                address, relative = self.address(ref)
                if flows and not relative and giver.setdefault(address, j) != j:
                    return False
        return True

    def _grads(self) -> list[int]:
        """The parameters the backward pass reaches (the Python replay's own list: ``source``
        checks that they agree): the loss itself, or those a node of the engine's backward
        order passes its gradient to. A parameter only a node beside the loss uses gets
        nothing, and its ``.grad`` stays as it was."""
        program = self.program
        params: set[int] = set()
        root = program.results[0]
        if root[0] == "ref" and root[1].kind == "p":
            params.add(root[1].index)
        for j in program.order:
            if j == BODY:
                continue
            entry = program.entries[j]
            params.update(ref.index for ref, flows in zip(entry.args, entry.flows)
                          if flows and ref.kind == "p")
        return sorted(params)

    @staticmethod
    def _constant(c: Any) -> float:
        if type(c) is int and abs(c) > EXACT_INTEGERS:
            raise Unsupported(f"the constant {c} is not exact as a float64")
        return float(c) if type(c) in (int, float) else 0.0

    def address(self, ref: Ref) -> tuple[int, int]:
        """``(address, relative)``: where ``ref``'s number sits in mem (relative: from its
        example's block)."""
        if ref.kind == "s":
            return ref.index, 0
        if ref.kind == "p":
            return self.params_at + ref.index, 0
        if ref.kind == "k":
            return self.constants_at + ref.index, 0
        if ref.kind == "x":
            return ref.index, 1
        if self.first <= ref.index < self.first + self.body:
            return self.body_slot[ref.index], 1
        return self.slot[ref.index], 0

    def _row(self, j: int, entry: Entry, exponents: dict[float, int],
             maybe_int: set[int]) -> None:
        if entry.kind in ("draw", "question"):
            raise Unsupported("random draws (dropout's masks), which the Python replay makes "
                              "again")
        if entry.kind not in ("node", "sum", "number", "guard"):
            raise Unsupported(f"an entry of kind {entry.kind!r}")
        if entry.kind == "number" and entry.op in ("max", "min") and any(
                r.kind == "k" and r.index in self._int_constants for r in entry.args):
            raise Unsupported(f"{entry.op}() of an int, which the engine may return as one")
        if entry.kind == "number" and entry.op not in NUMBER_OPS:
            raise Unsupported(f"the step's own arithmetic on the numbers it follows "
                              f"({entry.op!r})")
        if entry.kind == "guard" and (entry.op not in GUARDS or j not in self.answers or
                                      abs(entry.params[0]) > EXACT_INTEGERS):
            raise Unsupported(f"a question the step's own code asks of the numbers it "
                              f"follows ({entry.op!r}, at {self.program.places[entry.where]})")
        if entry.kind == "node" and entry.op not in RULES:
            raise Unsupported(f"the custom operation {entry.op!r}")
        if entry.kind == "node" and entry.op in _INT_PRESERVING and all(
                r.kind == "k" and r.index in self._int_constants or
                r.kind == "v" and r.index in maybe_int for r in entry.args):
            maybe_int.add(j)  # an int on the engine, whose repr the kernel's float would miss
            raise Unsupported(f"an operation ({entry.op!r}) on integer constants only")
        args = [(*self.address(ref), bool(flows)) for ref, flows in
                zip(entry.args, entry.flows or (False,) * len(entry.args))]
        out = self.address(Ref("v", j))[0]
        kind = entry.kind
        code = (SUM if kind == "sum" else NUMBER_CODE[entry.op] if kind == "number" else
                GUARD_CODE[entry.op] if kind == "guard" else OPCODE[entry.op])
        exponent = 0  # (any place: only ** n and the questions read n)
        if kind == "guard":
            exponent = self.answers[j]
        elif kind == "node" and entry.op == "**n":
            exponent = self.constants_at + exponents[float(entry.params[0])]
        dot = -1
        if kind == "node" and entry.op == "dot":
            dot = self._affine(args[:len(args) & ~1])
            # the bias, if any, is the row's first argument (a dot reads no other)
            first_two = args[-1:] if len(args) & 1 else []
        else:
            first_two = args[:2]
        (a, a_rel, a_flows), (b, b_rel, b_flows) = (first_two + [(0, 0, False)] * 2)[:2]
        at = len(self.ad)
        if dot < 0 and (len(args) > 2 or kind == "sum" or entry.op in ("dot", "max", "min")):
            for address, relative, flows in args:  # read one after the other: any arity
                self.ad.append(address)
                self.rel.append(relative)
                self.flows.append(flows)
        row = [0] * COLUMNS
        row[OP], row[OUT], row[A], row[A_REL], row[B], row[B_REL] = code, out, a, a_rel, b, b_rel
        row[FLOWS], row[N], row[AT], row[COUNT], row[DOT] = \
            a_flows + 2 * b_flows, exponent, at, len(args), dot
        self.rows += row

    def _affine(self, pairs: list[tuple[int, int, bool]]) -> int:
        """A neuron's dot, w_0 x_0 + w_1 x_1 + ..., reads its weights and its inputs each at
        evenly spaced places (parameters one after the other, the layer below's values every
        other entry): then its row in ``dots``, ``[w_0, rel, step, x_0, rel, step, pairs,
        w flows, x flows]``, and the kernel's loop computes the places instead of reading
        them; else -1. Only where the weights' places and the inputs' are apart, so that
        passing all the weights' gradients, then all the inputs', adds to each place what the
        engine's order adds."""
        count = len(pairs) // 2
        if count < 2:
            return -1
        sides = []
        for side in (0, 1):
            places = [pairs[2 * i + side][0] for i in range(count)]
            relative = {pairs[2 * i + side][1] for i in range(count)}
            flows = {pairs[2 * i + side][2] for i in range(count)}
            step = places[1] - places[0]
            if len(relative) != 1 or len(flows) != 1 or step <= 0 or any(
                    b - a != step for a, b in zip(places, places[1:])):
                return -1
            sides.append((places[0], relative.pop(), step, flows.pop(), min(places),
                          max(places)))
        (a0, ra, sa, fa, alo, ahi), (b0, rb, sb, fb, blo, bhi) = sides
        if ra == rb and not (ahi < blo or bhi < alo):
            return -1
        self.dots.append([a0, ra, sa, b0, rb, sb, count, int(fa), int(fb)])
        return len(self.dots) - 1

    def ints_stay_exact(self, shared: set[int], example: set[int]) -> bool:
        """With the inputs at ``shared`` and ``example`` ints, whether no result is an int on
        the engine and no int is multiplied by an int (sums and negations of small ints are
        exact as floats)."""
        program = self.program
        ints: set[int] = set()
        int_constants = {i for i, c in enumerate(program.constants) if type(c) is int}

        def is_int(ref: Ref) -> bool:
            return (ref.kind == "s" and ref.index in shared or
                    ref.kind == "x" and ref.index in example or
                    ref.kind == "k" and ref.index in int_constants or
                    ref.kind == "v" and ref.index in ints)

        for j, entry in enumerate(program.entries):
            if entry.kind not in ("number", "node") or not all(map(is_int, entry.args)):
                continue
            if entry.op in ("*", "**", "//", "%") or entry.op == "dot":
                return False  # a product of ints may outgrow the exact integers
            if entry.op in _INT_PRESERVING or entry.op in ("pos", "abs"):
                ints.add(j)

        def refs(tree: tuple) -> list[Ref]:
            if tree[0] == "ref":
                return [tree[1]]
            if tree[0] == "each":
                return refs(tree[1])
            if tree[0] in ("list", "tuple"):
                return [r for t in tree[1] for r in refs(t)]
            return []

        return not any(r.kind == "v" and r.index in ints
                       for tree in program.results for r in refs(tree))

    def reader(self, tree: tuple, in_body: bool = False) -> Callable[..., Any]:
        """A function ``(mem, s, e, p, k)`` giving a result as the Python replay returns it."""
        kind = tree[0]
        if kind == "none":
            return lambda mem, s, e, p, k: None
        if kind in ("list", "tuple"):
            items = [self.reader(t) for t in tree[1]]
            make = list if kind == "list" else tuple
            return lambda mem, s, e, p, k: make(read(mem, s, e, p, k) for read in items)
        if kind == "each":
            return self._each(tree[1])
        ref = tree[1]
        if ref.kind == "s":
            return lambda mem, s, e, p, k: s[ref.index]
        if ref.kind == "p":
            return lambda mem, s, e, p, k: p[ref.index]
        if ref.kind == "k":
            return lambda mem, s, e, p, k: k[ref.index]
        address = self.slot[ref.index]
        return lambda mem, s, e, p, k: mem.item(address)

    def _each(self, tree: tuple) -> Callable[..., Any]:
        """One item per example, as the Python replay collects them."""
        start, block = self.start, self.block
        if tree[0] == "ref" and tree[1].kind == "v":
            offset = self.address(tree[1])[0]

            def column(mem: Any, s: list, e: list, p: list, k: tuple) -> list:
                end = start + len(e) * block
                return mem[start + offset:end:block].tolist()
            return column

        def item(t: tuple, mem: Any, s: list, e: list, p: list, k: tuple, i: int) -> Any:
            if t[0] == "none":
                return None
            if t[0] in ("list", "tuple"):
                made = [item(u, mem, s, e, p, k, i) for u in t[1]]
                return made if t[0] == "list" else tuple(made)
            ref = t[1]
            if ref.kind == "x":
                return e[i][ref.index]
            if ref.kind == "v" and self.first <= ref.index < self.first + self.body:
                return mem.item(start + i * block + self.address(ref)[0])
            return self.reader(t)(mem, s, e, p, k)

        return lambda mem, s, e, p, k: [item(tree, mem, s, e, p, k, i) for i in range(len(e))]


# ---------------------------------------------------------------- choosing ----------------

BACKENDS = ("auto", "numba", "python")


def check_backend(backend: str) -> str:
    """``backend`` checked: one of ``BACKENDS``; ``"numba"`` raises ``NumbaUnavailable`` (an
    ImportError naming the install command) where Numba cannot run."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got "
                         f"{backend!r}")
    if backend == "numba":
        require()
    return backend


def choose(backend: str) -> tuple[str, str]:
    """``(backend, why)``: the backend ``"auto"`` stands for here, and why when it is Python."""
    if backend != "auto":
        return backend, ""
    why = available()
    return ("python", why) if why else ("numba", "")
