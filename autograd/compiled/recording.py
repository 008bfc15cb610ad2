"""Recording a step for ``autograd.compile``: run fn once on the engine, and write down how every
number it computed came about.

While a step records, the numbers fn can see are *followed*: each one is a ``Traced`` number that
behaves exactly as the number it holds and also carries the name of the variable that computes it
in the generated code. Followed numbers are

- the numbers in the step's arguments (``x0, x1, ...``),
- the ``.data`` of the Values fn reaches but did not make, the parameters (``p0, p1, ...``),
- the ``.data`` of every node an operation makes (``v0, v1, ...``: the engine tells the recording
  about each new node, see ``autograd.core.modes.recorder``),
- and what fn's own code computes from them with ``+ - * / // % **``, ``abs``, ``round``
  (``t0, t1, ...``).

When fn's code compares followed numbers (``if loss > 1``, ``max(a, b)``, ``z.data >= 0``, a
label used as an index), the answer becomes a *guard*: replaying re-checks it, and records anew if
it changed. The engine's own comparisons (relu's ``x <= 0``) are part of its operations and are
replayed as such. Anything the recording cannot follow (a followed number turned into a plain
float by ``float()`` or ``math.exp``, a micrograd-style closure node, a backward pass inside fn...)
is noted as the reason the step must run on the engine instead.
"""

from __future__ import annotations

import math
import operator
import os
import sys
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from types import FrameType
from typing import Any, NamedTuple

from autograd.core.format import format_number
from autograd.core.modes import NO_GRAD, mode, recorder
from autograd.core.value import Constant, Value


def literal(x: bool | int | float) -> str | None:
    """Python source that evaluates to exactly the number ``x`` (``(-2.0)``, ``inf``); ``None``
    for a nan, whose bits no literal keeps."""
    if isinstance(x, float) and not math.isfinite(x):
        return None if x != x else ("inf" if x > 0 else "(-inf)")
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


# ---------------------------------------------------------------- what was recorded --------

class Node(NamedTuple):
    """An operation's result: ``name = op(args)``. ``targets`` says, per argument, which node
    (``v3``) or parameter (``p2``) gradients flow back to; ``None`` for inputs and constants
    (and for every argument of a node made inside ``no_grad()``)."""

    name: str
    op: str
    args: tuple[str, ...]
    targets: tuple[str | None, ...]


class Number(NamedTuple):
    """A number fn's code computed from followed numbers: ``name = code``."""

    name: str
    code: str
    deps: tuple[str, ...]


class Guard(NamedTuple):
    """A question fn's code asked about followed numbers: replaying records anew when
    ``changed``, that is when ``question`` no longer gets the recorded answer."""

    question: str
    changed: str
    deps: tuple[str, ...]
    where: str


#: One entry of a recording, in the order fn made them.
Step = Node | Number | Guard


# ---------------------------------------------------------------- followed numbers ---------

_THIS_MODULE = globals()
#: Value methods that only hand a number to their caller (``v < 1`` compares in ``__lt__``):
#: whether a comparison made there is a guard depends on who called them.
_HANDS_ON = frozenset(getattr(Value, name).__code__
                      for name in ("__lt__", "__le__", "__gt__", "__ge__", "__float__"))


def _caller() -> FrameType | None:
    """The frame of the code that is using a followed number, past this module and the Value
    methods in ``_HANDS_ON``."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_globals is _THIS_MODULE or frame.f_code in _HANDS_ON):
        frame = frame.f_back
    return frame


def _is_autograd(frame: FrameType | None) -> bool:
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return name == "autograd" or name.startswith("autograd.")


def _where() -> str:
    """``file:line: code`` of the innermost frame of fn's code (past autograd's own), for
    messages."""
    frame = sys._getframe(1)
    while frame is not None and _is_autograd(frame):
        frame = frame.f_back
    if frame is None:
        return "(unknown place)"
    import linecache  # (only for messages: most recordings never need it)

    filename = frame.f_code.co_filename
    code = linecache.getline(filename, frame.f_lineno).strip()
    try:
        shorter = os.path.relpath(filename)
    except ValueError:  # another drive
        shorter = filename
    return f"{filename if shorter.startswith('..') else shorter}:{frame.f_lineno}: {code}"


_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
            operator.floordiv: "//", operator.mod: "%", operator.pow: "**",
            operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
            operator.eq: "==", operator.ne: "!="}


class Traced:
    """A number fn sees while its step records: it behaves as ``value``; in the generated code,
    the variable ``name`` holds it. ``TracedFloat`` and ``TracedInt`` are the two kinds."""

    __slots__ = ("value", "name", "recording")

    def __init__(self, value: float | int, name: str, recording: Recording) -> None:
        self.value = value
        self.name = name
        self.recording = recording

    def _followed_by(self) -> Recording | None:
        """The recording to tell about this use of the number: ``None`` when the engine itself
        uses it (inside an operation), or another thread, or the recording is over."""
        recording = self.recording
        if not recording.active or recorder.get() is not recording or _is_autograd(_caller()):
            return None
        return recording

    # arithmetic: the result is a new followed number, computed by a line of its own
    def _arithmetic(self, other: object, op: Callable, reflected: bool) -> Any:
        theirs = _operand(other)
        if theirs is NotImplemented:
            return NotImplemented
        a, b = (theirs, self) if reflected else (self, other)
        result = op(_number(a), _number(b))
        recording = self._followed_by()
        if recording is None:
            return result
        code = f"{recording.code(a)} {_SYMBOLS[op]} {recording.code(b)}"
        return recording.computed(result, code, (a, b))

    def __add__(self, other): return self._arithmetic(other, operator.add, False)
    def __radd__(self, other): return self._arithmetic(other, operator.add, True)
    def __sub__(self, other): return self._arithmetic(other, operator.sub, False)
    def __rsub__(self, other): return self._arithmetic(other, operator.sub, True)
    def __mul__(self, other): return self._arithmetic(other, operator.mul, False)
    def __rmul__(self, other): return self._arithmetic(other, operator.mul, True)
    def __truediv__(self, other): return self._arithmetic(other, operator.truediv, False)
    def __rtruediv__(self, other): return self._arithmetic(other, operator.truediv, True)
    def __floordiv__(self, other): return self._arithmetic(other, operator.floordiv, False)
    def __rfloordiv__(self, other): return self._arithmetic(other, operator.floordiv, True)
    def __mod__(self, other): return self._arithmetic(other, operator.mod, False)
    def __rmod__(self, other): return self._arithmetic(other, operator.mod, True)
    def __pow__(self, other): return self._arithmetic(other, operator.pow, False)
    def __rpow__(self, other): return self._arithmetic(other, operator.pow, True)

    def _unary(self, result: object, code: str) -> Any:
        recording = self._followed_by()
        return result if recording is None else recording.computed(result, code, (self,))

    def __neg__(self): return self._unary(-self.value, f"-{self.name}")
    def __pos__(self): return self._unary(+self.value, f"+{self.name}")
    def __abs__(self): return self._unary(abs(self.value), f"abs({self.name})")

    def __round__(self, ndigits: int | None = None):
        if ndigits is None:
            return self._answer(round(self.value), f"round({self.name})")
        return self._unary(round(self.value, ndigits), f"round({self.name}, {ndigits!r})")

    # comparisons and conversions: the answer is a guard
    def _answer(self, result: Any, code: str) -> Any:
        """``result``, the answer of ``code`` about this number, recorded as a guard when fn's
        code asked."""
        recording = self._followed_by()
        if recording is not None:
            recording.guard(code, result, (self,))
        return result

    def _compare(self, other: object, op: Callable) -> Any:
        if _operand(other) is NotImplemented:
            return NotImplemented
        result = op(self.value, _number(other))
        recording = self._followed_by()
        if recording is not None:
            code = f"{self.name} {_SYMBOLS[op]} {recording.code(other)}"
            recording.guard(code, result, (self, other))
        return result

    def __lt__(self, other): return self._compare(other, operator.lt)
    def __le__(self, other): return self._compare(other, operator.le)
    def __gt__(self, other): return self._compare(other, operator.gt)
    def __ge__(self, other): return self._compare(other, operator.ge)
    def __eq__(self, other): return self._compare(other, operator.eq)
    def __ne__(self, other): return self._compare(other, operator.ne)

    def __bool__(self): return self._answer(bool(self.value), f"bool({self.name})")
    def __int__(self): return self._answer(int(self.value), f"int({self.name})")
    def __trunc__(self): return self._answer(math.trunc(self.value), f"trunc({self.name})")
    def __floor__(self): return self._answer(math.floor(self.value), f"floor({self.name})")
    def __ceil__(self): return self._answer(math.ceil(self.value), f"ceil({self.name})")

    def __hash__(self):
        # Used as a key, the number decides which entry is found: the record holds for this
        # number only (a nan, equal to nothing, never holds again).
        same = literal(self.value)
        self._answer(True, "False" if same is None else f"{self.name} == {same}")
        return hash(self.value)

    def __float__(self) -> float:
        recording = self._followed_by()
        if recording is not None:
            recording.unfaithful(
                f"fn turned a number it computed into a plain float (float() or a math "
                f"function) at {_where()}; the compiler cannot follow what is done "
                f"with it. Use the Value's own operations (x.exp(), x.log(), ...) instead")
        return float(self.value)

    def __complex__(self) -> complex:
        self.__float__()
        return complex(self.value)

    def __repr__(self) -> str:
        return repr(self.value)

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class TracedFloat(Traced):
    """A followed float (a ``numbers.Real``, not a ``float``: a float's digits could be read
    without the compiler knowing)."""

    __slots__ = ()

    def is_integer(self) -> bool:
        return self._answer(self.value.is_integer(), f"{self.name}.is_integer()")


class TracedInt(Traced):
    """A followed int (a ``numbers.Integral``): an index or a label among the arguments."""

    __slots__ = ()

    def __index__(self) -> int:
        return self._answer(self.value, self.name)


Real.register(TracedFloat)
Integral.register(TracedInt)


def _number(x: object) -> Any:
    return x.value if isinstance(x, Traced) else x


def _operand(x: object) -> object:
    """``x`` if arithmetic with a followed number can be followed, else ``NotImplemented``
    (a Value then does the operation itself)."""
    return x if isinstance(x, (Traced, int, float)) else NotImplemented


# ---------------------------------------------------------------- the recording -------------

class Recording:
    """Everything one run of fn did that the replay must do again, in the order fn did it.

    ``steps`` lists the nodes, the numbers fn's code computed and its guards; ``params`` the
    Values fn reached but did not make (read afresh at every call). ``reason`` is why the step
    cannot be replayed (``None`` if it can); ``new_leaves`` counts parameters met for the first
    time, whose numbers fn may have read before they were followed.
    """

    def __init__(self, known: Sequence[Value]) -> None:
        self.active = True
        self.steps: list[Step] = []
        self.nodes: dict[int, Value] = {}  # id -> node, in the order they were made
        self.node_names: dict[int, str] = {}
        self.params: list[Value] = []
        self.param_names: dict[int, str] = {}
        self.inputs: list[Traced] = []
        #: Numbers the code needs that no literal writes exactly (nans), by name.
        self.constants: dict[str, float] = {}
        self.reason: str | None = None
        self.new_leaves = 0
        self.new: list[str] = []  # the parameters met for the first time, described
        self._marked: list[tuple[Value, Traced, object]] = []  # (leaf, its mark, its data)
        self._numbers = 0
        for leaf in known:
            self._follow_leaf(leaf)
        self.new_leaves = 0
        self.new.clear()

    # ---- what fn receives and reaches

    def input(self, x: int | float) -> Traced:
        """The followed number for one number in the step's arguments."""
        kind = TracedInt if isinstance(x, int) else TracedFloat
        traced = kind(x, f"x{len(self.inputs)}", self)
        self.inputs.append(traced)
        return traced

    def _follow_leaf(self, leaf: Value) -> str:
        """Make a parameter's ``.data`` a followed number (until ``finish``); its name."""
        name = self.param_names.get(id(leaf))
        if name is not None:
            return name
        data = leaf.data
        name = f"p{len(self.params)}"
        kind = TracedInt if isinstance(_number(data), int) else TracedFloat
        mark = kind(_number(data), name, self)
        leaf.data = mark
        self._marked.append((leaf, mark, data))
        self.params.append(leaf)
        self.param_names[id(leaf)] = name
        self.new_leaves += 1
        self.new.append(_describe(leaf))
        return name

    def argument(self, value: Value) -> tuple[str, str | None]:
        """How an operation's argument enters the generated code: ``(code for its number, the
        node or parameter its gradient goes to)``."""
        node = self.node_names.get(id(value))
        if node is not None:
            return node, node
        param = self.param_names.get(id(value))
        if param is not None:
            return param, param
        data = value.data
        if value.parents:
            self.unfaithful(_foreign(value))
            return self.code(data), None
        if isinstance(data, Traced) and data.recording is self:
            return data.name, None  # a leaf fn made from followed numbers: Value(x), 2 * y
        if isinstance(value, Constant):
            return self.code(data), None  # a number written in fn's code: 2 * x
        name = self._follow_leaf(value)
        return name, name

    def result(self, x: object) -> str:
        """The code of what fn returned: a Value, a number, or lists and tuples of them."""
        if isinstance(x, Value):
            return self.argument(x)[0]
        if isinstance(x, (list, tuple)):
            items = ", ".join(self.result(item) for item in x)
            return f"[{items}]" if isinstance(x, list) else f"({items}{',' if x else ''})"
        if isinstance(x, (Traced, int, float)) and not isinstance(x, bool):
            return self.code(x)
        self.unfaithful(f"fn returned a {type(x).__name__} beside the loss; the aux it returns "
                        "may hold Values, numbers, and lists or tuples of them")
        return "None"

    def code(self, x: object) -> str:
        """What the generated code writes for the number ``x``: a followed number's name, or a
        literal (or, for a nan, the name of a constant holding it)."""
        if isinstance(x, Traced) and x.recording is self:
            return x.name
        number = _number(x)
        text = literal(number) if isinstance(number, (int, float)) else None
        if text is None:
            text = f"k{len(self.constants)}"
            self.constants[text] = number
        return text

    # ---- the engine's reports (see autograd.core.modes.recorder)

    def node(self, out: Value, data: object, parents: tuple[Value, ...], op: str) -> Traced:
        """A new node: noted, and its number followed from now on."""
        args, targets = zip(*(self.argument(p) for p in parents)) if parents else ((), ())
        if mode.get() & NO_GRAD:  # a node without a graph: nothing flows back through it
            targets = (None,) * len(targets)
        name = f"v{len(self.nodes)}"
        self.nodes[id(out)] = out
        self.node_names[id(out)] = name
        self.steps.append(Node(name, op, tuple(args), tuple(targets)))
        return TracedFloat(_number(data), name, self)

    def number(self, x: object, op: str) -> object:
        """A number that is not a float or an int, given to the engine."""
        if not (isinstance(x, Traced) and x.recording is self and self.active):
            return float(x)  # type: ignore[arg-type]
        if op in ("Value()", "as_value"):  # a new leaf holding a followed number
            return x if isinstance(x, TracedFloat) else self.computed(
                float(x.value), f"float({x.name})", (x,))
        if not op.startswith("custom_op"):  # (a custom op is refused by its name)
            self.unfaithful(
                f"fn passed a number it computed to '{op}' at {_where()}, which keeps it as a "
                "fixed number; use Value operations instead")
        return float(x.value)

    def backward(self) -> None:
        self.unfaithful(f"fn runs a backward pass itself (backward() or autograd.grad(), at "
                        f"{_where()}); a compiled step replays one backward pass, "
                        "its own")

    # ---- fn's own code

    def computed(self, result: object, code: str, operands: tuple) -> Any:
        """A number fn's code computed from followed numbers: a new followed number."""
        if isinstance(result, bool) or not isinstance(result, (int, float)):
            self.unfaithful(f"fn computed a {type(result).__name__} from followed numbers at "
                            f"{_where()}")
            return result
        name = f"t{self._numbers}"
        self._numbers += 1
        self.steps.append(Number(name, code, _names(operands)))
        kind = TracedInt if isinstance(result, int) else TracedFloat
        return kind(result, name, self)

    def guard(self, code: str, answer: Any, operands: tuple) -> None:
        """fn's code asked ``code`` and got ``answer``."""
        if isinstance(answer, bool):
            changed = f"not ({code})" if answer else code
        else:
            changed = f"{code} != {self.code(answer)}"
        self.steps.append(Guard(code, changed, _names(operands), _where()))

    def unfaithful(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    # ---- the end

    def finish(self) -> None:
        """Stop following: every parameter gets its number back, every node a plain float."""
        self.active = False
        for leaf, mark, data in self._marked:
            if leaf.data is mark:
                leaf.data = data
            else:
                self.unfaithful(f"fn assigned to .data of a Value it uses "
                                f"({_describe(leaf)}); the recording would not see it again")
                leaf.data = _number(leaf.data)
        for node in self.nodes.values():
            _plain(node)

    def plain_graph(self, nodes: Sequence[Value]) -> None:
        """Followed numbers out of ``nodes`` too (the leaves fn made from followed numbers)."""
        for node in nodes:
            _plain(node)


def _plain(node: Value) -> None:
    if isinstance(node.data, Traced):
        node.data = node.data.value
    local = node.local_grads
    if local and any(isinstance(d, Traced) for d in local):
        node.local_grads = tuple(_number(d) for d in local)


def _names(operands: tuple) -> tuple[str, ...]:
    return tuple(x.name for x in operands if isinstance(x, Traced) and x.recording.active)


def _describe(value: Value) -> str:
    name = f"{value.label!r}, " if value.label else ""
    op = f"op {value.op!r}, " if value.op else ""
    return f"{name}{op}data={format_number(_number(value.data))}"


def _foreign(value: Value) -> str:
    if value.local_grads is None:
        return (f"fn uses a micrograd-style node ({_describe(value)}), whose derivative is in a "
                f"_backward closure the compiler cannot read; build it from Value operations")
    return (f"fn uses a Value computed before the step was called ({_describe(value)}); its "
            "graph is not part of the step: compute it inside fn")
