"""Generating the replay of a recorded step: Python source that computes, on plain floats, what
the engine computed, in the same order.

The generated function reads the step's inputs, the parameters' numbers and their old gradients,
and returns the loss and the parameters' new gradients (``CompiledStep`` writes them)::

    def replay(x, p, grads):
        x0, x1 = x                          # the numbers in the step's arguments
        p0, p1, p2 = p                      # the parameters' .data
        grad_p0, grad_p1, grad_p2 = grads   # their .grad before this step
        v0 = x0 * p0                        # forward: each node, as the engine computes it
        ...
        dv4 = 1.0                           # backward: the engine's loop, unrolled
        dv3 = 0.0
        dv3 += (1.0 - v4 * v4) * dv4
        ...
        return v4, (...)                    # the new gradients: added to the old as backward() adds

Forward, every node's value is the very float expression its operation computes in the engine
(``RULES``, held to the engine by the tests). Backward is the engine's loop unrolled: from the
last node to the first, each adds dnode/darg * dL/dnode to each argument's gradient, which starts
at 0.0 as in the engine. The same additions in the same order give the same bits. One thing the
engine does and the replay skips: a ``dot`` whose gradient is 0 (behind a dead ReLU) would only
add zeros, which change no sum (a sum that starts at 0.0 is never -0.0), so the replay passes
nothing on, as a hand-written backward would; unless its value is inf or nan (0 * inf is nan) or
a ``.grad`` held -0.0 or an int 0 (a zero added would change those).
"""

from __future__ import annotations

import linecache
import math
import weakref
from collections.abc import Callable, Sequence
from itertools import count
from typing import Any, NamedTuple

from autograd.compiled.recording import Guard, Node, Number, Recording, literal
from autograd.core import floatmath as fm
from autograd.core.value import Value, forward_order


class Flows(NamedTuple):
    """A local derivative that passes gradient back only where ``when`` holds; elsewhere nothing
    flows at all (relu for x <= 0: not even 0 * inf)."""

    when: str
    derivative: str


#: Nothing flows back (step; x ** 0).
NO_FLOW = None

#: op -> (its value, its local derivative toward each argument), as code on the arguments' values
#: {a}, {b} and the node's own value {out}: the float expressions autograd/core/value.py computes.
RULES: dict[str, tuple[str, tuple[str | Flows | None, ...]]] = {
    "+": ("{a} + {b}", ("1.0", "1.0")),
    "-": ("{a} - {b}", ("1.0", "-1.0")),
    "*": ("{a} * {b}", ("{b}", "{a}")),
    "/": ("div({a}, {b})", ("div(1.0, {b})", "-div({out}, {b})")),
    "neg": ("-{a}", ("-1.0",)),
    "abs": ("abs({a})", ("sign({a})",)),
    "exp": ("exp({a})", ("{out}",)),
    "log": ("log({a})", ("div(1.0, {a})",)),
    "tanh": ("tanh({a})", ("1.0 - {out} * {out}",)),
    "sigmoid": ("sigmoid({a})", ("{out} * (1.0 - {out})",)),
    "relu": ("0.0 if {a} <= 0.0 else {a}", (Flows("not {a} <= 0.0", "1.0"),)),
    "step": ("1.0 if {a} >= 0.0 else 0.0", (NO_FLOW,)),
    "sin": ("sin({a})", ("cos({a})",)),
    "cos": ("cos({a})", ("-sin({a})",)),
    "sqrt": ("sqrt({a})", ("div(0.5, {out})",)),
    "id": ("{a}", ("1.0",)),
    "**": ("power({a}, {b})", ("0.0 if {b} == 0.0 else {b} * power({a}, {b} - 1.0)",
                               "0.0 if ({a} == 0.0 and {b} >= 0.0) else {out} * log({a})")),
}

#: What the generated code may call: the engine's IEEE float helpers.
HELPERS: dict[str, Any] = {
    "div": fm.div, "power": fm.power, "exp": fm.exp, "log": fm.log, "sqrt": fm.sqrt,
    "sin": fm.sin, "cos": fm.cos, "sigmoid": fm.sigmoid, "sign": fm.sign, "tanh": math.tanh,
    "trunc": math.trunc, "floor": math.floor, "ceil": math.ceil, "inf": math.inf,
    "nan": math.nan, "copysign": math.copysign,
}

#: A sum of more terms than this is split over several lines (Python's compiler recurses into
#: long expressions).
TERMS_PER_LINE = 64
#: Larger graphs are not compiled: generating and compiling them would cost more than it saves.
MAX_NODES = 200_000

#: What a replay returns when a guard fails: the step must record again.
AGAIN = object()

_files = count(1)


class CannotCompile(Exception):
    """The recorded step cannot be turned into code; the message says why."""


class Replay:
    """A recorded step as generated code: ``function(inputs, param_values, old_grads)``
    returns ``(loss, new_grads)`` (``(loss, aux, new_grads)`` with aux), or ``(AGAIN, k)`` when
    guard ``k`` fails.

    ``params`` are the parameters whose numbers it reads, in the order of ``param_values``;
    ``grads`` those whose gradients it computes (the graph's), in the order of ``old_grads``
    and of the new gradients; ``guards`` where fn made each guard's comparison; ``calls`` how
    many calls it has answered.
    """

    def __init__(self, source: str, function: Callable[..., Any], params: list[Value],
                 grads: list[Value], guards: list[str]) -> None:
        self.source = source
        self.function = function
        self.params = params
        self.grads = grads
        self.guards = guards
        self.calls = 0


def generate(recording: Recording, root: Value, results: Sequence[str]) -> Replay:
    """The replay of ``recording``, whose result was ``root``; ``results`` is the code of what
    the replay returns besides the gradients (the loss, and fn's aux)."""
    return _Generator(recording, root, list(results)).replay()


class _Generator:
    def __init__(self, recording: Recording, root: Value, results: list[str]) -> None:
        self.rec = recording
        self.root = root
        self.results = results
        self.constants = dict(recording.constants)
        self.nodes = {step.name: step for step in recording.steps if isinstance(step, Node)}
        self.objects = {name: recording.nodes[i] for i, name in recording.node_names.items()}

    def replay(self) -> Replay:
        rec = self.rec
        order = forward_order(self.root)
        if len(order) > MAX_NODES:
            raise CannotCompile(f"the graph has {len(order):,} nodes; generating and compiling "
                                f"code for more than {MAX_NODES:,} costs more than it saves")
        names = [self._name(node) for node in order]
        for step in self.nodes.values():
            if not _known(step.op):
                raise CannotCompile(
                    f"fn uses the custom operation {step.op!r}, whose local derivatives the "
                    f"compiler cannot read; write it with Value operations to compile it")
        results = self.results
        backward, needs_grad = self._backward(order, names, results[0])
        forward, used, guards = self._forward(results, backward)
        params = [(n, p) for n, p in zip(rec.param_names.values(), rec.params) if n in used]
        grads = [(n, p) for n, p in params if n in needs_grad]
        lines = ["def replay(x, p, grads):",
                 f'    """Replays the recorded step: {len(order):,} nodes, '
                 f'{len(params)} parameters."""']
        lines += _unpack([t.name for t in rec.inputs], "x",
                         "the numbers in the step's arguments")
        lines += _unpack([n for n, _ in params], "p", "the parameters' .data: " + ", ".join(
            p.label or n for n, p in params[:6]) + (", ..." if len(params) > 6 else ""))
        lines += _unpack([f"grad_{n}" for n, _ in grads], "grads",
                         "their .grad before this step")
        lines += forward + backward
        new = [f"d{n} if grad_{n} == 0.0 or grad_{n} is None else grad_{n} + d{n}"
               for n, _ in grads]
        lines.append("    # the new gradients: this pass's added to the old, as backward() adds")
        lines.append(f"    return {', '.join(results)}, (")
        lines += [f"        {g}," for g in new]
        lines.append("    )")
        source = "\n".join(lines) + "\n"
        return Replay(source, self._compile(source), [p for _, p in params],
                      [p for _, p in grads], guards)

    # ---- names and values

    def _name(self, node: Value) -> str | None:
        """A graph node's name in the code: ``v3`` (an operation), ``p2`` (a parameter), or
        ``None`` (a leaf fn made: an input, a constant)."""
        name = self.rec.node_names.get(id(node)) or self.rec.param_names.get(id(node))
        if name is None and node.parents:  # the recording noted it as unfaithful already
            raise CannotCompile("the graph holds a node the recording did not see")
        return name

    # ---- forward

    def _forward(self, results: list[str], backward: list[str]
                 ) -> tuple[list[str], set[str], list[str]]:
        """The lines computing every value the results, the guards and the backward pass need
        (fn's steps in its order, those nothing needs left out), the names they use, and where
        each guard's comparison was made."""
        steps = self.rec.steps
        wanted = set(_identifiers(" ".join(results + backward)))
        for step in steps:
            if isinstance(step, Guard):
                wanted.update(step.deps)
        kept = []
        for step in reversed(steps):
            if isinstance(step, Guard):
                kept.append(step)
            elif step.name in wanted:
                kept.append(step)
                wanted.update(_identifiers(" ".join(step.args)) if isinstance(step, Node)
                              else step.deps)
        lines = ["    # forward: each node's value, as the engine computes it"]
        guards: list[str] = []
        for step in reversed(kept):
            if isinstance(step, Node):
                lines += self._node_lines(step)
            elif isinstance(step, Number):
                lines.append(f"    {step.name} = {step.code}")
            else:
                lines.append(f"    if {step.changed}:  # fn asked, at {step.where}")
                lines.append(f"        return AGAIN, {len(guards)}  # another answer: fn may "
                             "build another graph")
                guards.append(step.where)
        return lines, wanted, guards

    def _node_lines(self, node: Node) -> list[str]:
        label = self.objects[node.name].label
        comment = f"  # {node.op}" + (f" ({label})" if label else "")
        if node.op == "dot":
            # sum_i a_i b_i from the bias, as the engine's dot adds them
            args = node.args
            bias = len(args) % 2 == 1
            terms = [args[-1] if bias else "0.0"]
            terms += [f"{args[i]} * {args[i + 1]}" for i in range(0, len(args) - bias, 2)]
            return _sum_lines(node.name, terms, comment)
        return [f"    {node.name} = {_fill(_rule(node.op)[0], node)}{comment}"]

    # ---- backward

    def _backward(self, order: Sequence[Value], names: list[str | None], root: str
                  ) -> tuple[list[str], set[str]]:
        """The lines of the engine's backward loop, unrolled: dL/dnode for every node a
        parameter's gradient depends on, and the set of those nodes' names."""
        needs_grad: set[str] = set()
        for name in names:
            if name is None:
                continue
            node = self.nodes.get(name)
            if node is None or any(t in needs_grad for t in node.targets if t):
                needs_grad.add(name)  # a parameter, or a node above one
        params = [n for n in names if n in needs_grad and n not in self.nodes]
        lines = [
            "    # backward: the engine's loop, unrolled. From the last node to the first, each "
            "passes its",
            "    # gradient to its arguments: d(arg) += d(node)/d(arg) * d(node), in the engine's "
            "order.",
            "    # A parameter's starts from 0.0, or from what .grad held if that was a 0."]
        lines += [f"    d{n} = 0.0 if grad_{n} != 0.0 else grad_{n}" for n in params]
        if any(self.nodes[n].op == "dot" for n in names if n in needs_grad and n in self.nodes):
            lines += [
                "    # A dot whose gradient is 0 (behind a dead ReLU, say) would pass on only "
                "zeros, which",
                "    # change no sum unless a .grad held -0.0 or an int 0: then they are added "
                "too.",
                "    add_zeros = any(g == 0.0 and (type(g) is not float or copysign(1.0, g) < 0.0)"
                " for g in grads)"]
        started = set(params)
        for name in reversed(names):
            if name not in needs_grad or name not in self.nodes:
                continue
            node = self.nodes[name]
            if name == root:
                lines.append(f"    d{name} = 1.0")
            elif name not in started:
                lines.append(f"    d{name} = 0.0  # nothing flows into it")
            started.add(name)
            passes = []
            for i, target in enumerate(node.targets):
                if target in needs_grad:
                    if target not in started:
                        lines.append(f"    d{target} = 0.0")
                        started.add(target)
                    passes += self._flowing_back(node, i, target)
            if node.op == "dot" and passes:
                lines.append(f"    if d{name} or {name} - {name} or add_zeros:  # else all zeros")
                lines += ["    " + line for line in passes]
            else:
                lines += passes
        if root in params:  # the loss is itself a parameter: dL/dL = 1
            lines.append(f"    d{root} = 1.0")
        return lines, needs_grad

    def _flowing_back(self, node: Node, i: int, target: str) -> list[str]:
        """The lines passing ``node``'s gradient to its argument ``i`` (``target``):
        d(target) += dnode/darg * dL/dnode; none where nothing flows back."""
        grad = f"d{node.name}"
        if node.op == "dot":
            args = node.args
            if len(args) % 2 == 1 and i == len(args) - 1:
                return [f"    d{target} += {grad}"]  # the bias: 1.0 * dL/dnode
            return [f"    d{target} += {args[i ^ 1]} * {grad}"]  # a factor's: its partner
        derivative = _rule(node.op)[1][i]
        if derivative is NO_FLOW:
            return []
        if isinstance(derivative, Flows):  # relu: nothing at all where x <= 0
            return [f"    if {_fill(derivative.when, node)}:",
                    f"        d{target} += {_times(_fill(derivative.derivative, node), grad)}"]
        return [f"    d{target} += {_times(_fill(derivative, node), grad)}"]

    # ---- compiling

    def _compile(self, source: str) -> Callable[..., Any]:
        filename = f"<autograd.compile replay {next(_files)}>"
        # Tracebacks and debuggers show the generated lines, for as long as the replay lives.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"__name__": "autograd.compiled", "AGAIN": AGAIN, **HELPERS,
                     **self.constants}
        exec(compile(source, filename, "exec"), namespace)
        replay = namespace.pop("replay")  # (its globals need not refer back to it)
        weakref.finalize(replay, linecache.cache.pop, filename, None)
        return replay


def _known(op: str) -> bool:
    return op in RULES or op == "dot" or _exponent(op) is not None


def _exponent(op: str) -> float | None:
    """n for a ``"**n"`` op (a number exponent, written in the op by the engine)."""
    if not op.startswith("**") or op == "**":
        return None
    try:
        return float(op[2:])
    except ValueError:
        return None


def _rule(op: str) -> tuple[str, tuple[str | Flows | None, ...]]:
    n = _exponent(op)
    if n is None:
        return RULES[op]
    text = literal(n) or "nan"
    if n == 0.0:  # a ** 0 = 1 whatever a is: nothing flows back
        return f"power({{a}}, {text})", (NO_FLOW,)
    return f"power({{a}}, {text})", (f"{text} * power({{a}}, {text} - 1.0)",)


def _fill(template: str, node: Node) -> str:
    a = node.args[0]
    b = node.args[1] if len(node.args) > 1 else ""
    return template.format(a=a, b=b, out=node.name)


def _times(derivative: str, grad: str) -> str:
    """``derivative * grad``; 1.0 * g is g itself, to the last bit."""
    if derivative == "1.0":
        return grad
    if not _atomic(derivative):
        derivative = f"({derivative})"
    return f"{derivative} * {grad}"


def _atomic(code: str) -> bool:
    """Whether ``code`` is a name, a number or one call or parenthesis (``sign(v3)``, ``(-2.0)``),
    which ``* g`` cannot split."""
    if code.isidentifier() or _is_number(code):
        return True
    head = code.split("(", 1)[0]
    if not (head == "" or head.isidentifier()) or not code.endswith(")"):
        return False
    depth = 0
    for ch in code[len(head):-1]:
        depth += (ch == "(") - (ch == ")")
        if depth == 0:  # the first parenthesis closed before the end
            return False
    return True


def _is_number(code: str) -> bool:
    try:
        float(code)
    except ValueError:
        return False
    return not code.startswith("-")


def _sum_lines(name: str, terms: list[str], comment: str = "") -> list[str]:
    """``name = t0 + t1 + ...`` added left to right, split over lines of a few dozen terms."""
    lines = []
    for start in range(0, len(terms), TERMS_PER_LINE):
        chunk = terms[start:start + TERMS_PER_LINE]
        head = [] if start == 0 else [name]
        lines.append(f"    {name} = {' + '.join(head + chunk)}")
    lines[0] += comment
    return lines


def _unpack(names: Sequence[str], source: str, comment: str) -> list[str]:
    if not names:
        return []
    lines = [f"    # {comment}"]
    per_line = 12
    rows = [", ".join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    if len(rows) == 1:
        return lines + [f"    {rows[0]}, = {source}"]
    return lines + ["    (" + rows[0] + ","] + [f"     {r}," for r in rows[1:-1]] + \
        [f"     {rows[-1]},) = {source}"]


def _identifiers(code: str) -> list[str]:
    """The names ``code`` reads (and the function names it calls, and bits of numbers)."""
    return code.translate(_SEPARATORS).split()


#: Every character that cannot be part of a name, as a space.
_SEPARATORS = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
