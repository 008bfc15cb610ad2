"""Recording a step for ``autograd.compile``: run the step once on the engine and write down, as
an IR (``compiled/ir.py``), how every number it computed came about.

While a step records, the numbers its code can see are *followed*: each is a ``Traced`` number
that behaves as the number it holds and also carries a reference (``ir.Ref``) to how the replay
gets it. Followed numbers are

- the numbers in the step's arguments (``Ref("x", i)``),
- the ``.data`` of the Values the step reaches but did not make, the parameters
  (``Ref("p", i)``), and of every node an operation makes (``Ref("v", j)``),
- and what the step's own code computes from them with ``+ - * / // % **``, ``abs``, ``round``.

Values are followed without ever putting anything but a float into their ``.data``: while the
step records, each is given a subclass of its own class (``followed``) whose ``data`` and
``grad`` are properties. To the recording thread's code outside the engine, ``.data`` is the
followed number; to the engine and to every other thread, the plain float in the slot. So
another thread never sees anything but floats, and a Ctrl-C anywhere leaves every parameter a
plain float: putting the classes back is retried until it is done.

When the step's code compares followed numbers (``if loss > 1``), the answer becomes a *guard*:
the replay re-checks it (with both sides followed) and records anew when it changed;
``max``/``min`` of followed numbers are followed, not asked. Random draws are followed numbers
the replay draws again; a comparison of a drawn number is a *question*, whose ``Answer`` chooses
numbers through ``autograd.where`` (dropout's mask), which the replay asks and chooses again.
The engine's own comparisons (relu's ``x <= 0``) are part of its operations. Writes to ``.grad``
of followed Values (``model.zero_grad()``) are part of the step. Anything that cannot be followed
(a number turned into a plain float, into text, a draw that cannot be repeated, a closure
node...) is noted, with the user's line, as the reason the step must run on the engine
instead.
"""

from __future__ import annotations

import builtins
import math
import operator
import random
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from numbers import Integral, Real
from sys import _getframe
from typing import Any

from autograd.compiled import places
from autograd.compiled.ir import Entry, Ref
from autograd.core.format import format_number
from autograd.core.modes import recorder
from autograd.core.rules import exponent
from autograd.core.value import Constant, Value

#: A recording that reaches this many nodes stops and is refused: generating and compiling it
#: would cost more than it saves (checked while recording, so it is never recorded twice).
MAX_NODES = 1_000_000


# ---------------------------------------------------------------- followed Values ----------

def _descriptor(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    raise AttributeError(name)


_THIS_MODULE = globals()
#: Value methods that only hand a number to their caller (``v < w`` compares in ``__lt__``):
#: whether a use made there is the step's own depends on who called them.
_HANDS_ON = frozenset(("__lt__", "__le__", "__gt__", "__ge__", "__float__", "item",
                       "_compare_data"))


#: The code objects (by id; each kept alive here, so that no id is reused) whose frames were
#: found to be the engine's own. Most reads of a followed Value's ``.data`` are a kernel's
#: reading its arguments: one look-up answers them, without walking the stack.
_ENGINE_CODE: dict[int, Any] = {}


def _engine_uses(frame: Any) -> bool:
    """Whether the code running in ``frame`` (past this module and the Value methods that hand
    numbers on) is the engine's own: its operations read plain floats."""
    while frame is not None:
        code = frame.f_code
        if id(code) in _ENGINE_CODE:
            return True
        if frame.f_globals is not _THIS_MODULE and not (
                code.co_name in _HANDS_ON
                and frame.f_globals.get("__name__") == "autograd.core.value"):
            name = frame.f_globals.get("__name__", "")
            if name == "autograd" or name.startswith("autograd."):
                _ENGINE_CODE[id(code)] = code
                return True
            return False
        frame = frame.f_back
    return False


def _active(value: Value) -> Recording | None:
    """The recording to tell about the step's code using ``value``: ``None`` for the engine's
    own use, another thread, or when no recording is under way."""
    recording = recorder.get()
    if recording is None or not recording.active or _engine_uses(sys._getframe(2)):
        return None
    return recording


_FOLLOWED: dict[type, type] = {}
_FOLLOWED_LOCK = threading.Lock()


def followed(cls: type) -> type:
    """The subclass of the Value class ``cls`` that a Value is given while a step records."""
    made = _FOLLOWED.get(cls)
    if made is not None:
        return made
    data = _descriptor(cls, "data")
    grad = _descriptor(cls, "grad")

    def get_data(self: Value) -> Any:
        number = data.__get__(self, cls)
        if id(_getframe(1).f_code) in _ENGINE_CODE:  # a kernel reading its argument
            return number
        recording = _active(self)
        return number if recording is None else recording.read(self, number)

    def set_data(self: Value, number: Any) -> None:
        recording = _active(self)
        if recording is not None:
            recording.unfaithful(f"the step assigns to .data of a Value it uses "
                                 f"({_describe(self)}) at {places.where()}")
            number = _number(number)
        data.__set__(self, number)

    def get_grad(self: Value) -> Any:
        recording = _active(self)
        if recording is not None:
            recording.unfaithful(f"the step reads .grad ({_describe(self)}) at "
                                 f"{places.where()}; a replay computes the gradients only "
                                 f"at its end")
        return grad.__get__(self, cls)

    def set_grad(self: Value, g: Any) -> None:
        recording = _active(self)
        if recording is not None:
            g = recording.grad_write(self, g)
        grad.__set__(self, g)

    namespace = {"__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__,
                 "data": property(get_data, set_data), "grad": property(get_grad, set_grad)}
    with _FOLLOWED_LOCK:
        made = _FOLLOWED.setdefault(cls, type(cls.__name__, (cls,), namespace))
    _ORIGINAL[made] = cls
    return made


_ORIGINAL: dict[type, type] = {}


def original(cls: type) -> type:
    return _ORIGINAL.get(cls, cls)


# ---------------------------------------------------------------- followed numbers ---------

_SYMBOLS = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
            operator.floordiv: "//", operator.mod: "%", operator.pow: "**",
            operator.lt: "<", operator.le: "<=", operator.gt: ">", operator.ge: ">=",
            operator.eq: "==", operator.ne: "!="}


def _user(recording: Recording) -> Recording | None:
    """``recording`` if the code using a followed number is the step's own (not the engine's,
    not another thread's) and the recording is under way."""
    if not recording.active or recorder.get() is not recording or \
            _engine_uses(sys._getframe(2)):
        return None
    return recording


class Traced:
    """A number the step's code sees while it records: it behaves as ``value``; the replay gets
    it through ``ref``. ``TracedFloat`` and ``TracedInt`` are the two kinds."""

    __slots__ = ("value", "ref", "recording")

    def __init__(self, value: float | int, ref: Ref, recording: Recording) -> None:
        self.value = value
        self.ref = ref
        self.recording = recording

    # arithmetic: the result is a new followed number
    def _arithmetic(self, other: object, op: Callable, reflected: bool) -> Any:
        if not _is_operand(other):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        result = op(_number(a), _number(b))  # raises where the engine's Python would
        recording = _user(self.recording)
        if recording is None:
            return result
        return recording.computed(result, _SYMBOLS[op], (a, b))

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

    def _unary(self, result: object, op: str) -> Any:
        recording = _user(self.recording)
        return result if recording is None else recording.computed(result, op, (self,))

    def __neg__(self): return self._unary(-self.value, "neg")
    def __pos__(self): return self._unary(+self.value, "pos")
    def __abs__(self): return self._unary(abs(self.value), "abs")

    def __round__(self, ndigits: int | None = None):
        if ndigits is None:
            return self._answer(round(self.value), "round")
        if not isinstance(ndigits, int):
            self._cannot("rounds to a followed number of digits")
        return self._unary(round(self.value, ndigits), f"round{int(ndigits)}")

    # comparisons and conversions: the answer is a guard
    def _answer(self, result: Any, op: str) -> Any:
        recording = _user(self.recording)
        if recording is not None:
            recording.guard(op, (self,), result)
        return result

    def _compare(self, other: object, op: Callable) -> Any:
        if not _is_operand(other):
            return NotImplemented
        result = op(self.value, _number(other))
        recording = _user(self.recording)
        if recording is not None:
            return recording.guard(_SYMBOLS[op], (self, other), result)
        return result

    def __lt__(self, other): return self._compare(other, operator.lt)
    def __le__(self, other): return self._compare(other, operator.le)
    def __gt__(self, other): return self._compare(other, operator.gt)
    def __ge__(self, other): return self._compare(other, operator.ge)
    def __eq__(self, other): return self._compare(other, operator.eq)
    def __ne__(self, other): return self._compare(other, operator.ne)

    def __bool__(self): return self._answer(bool(self.value), "bool")
    def __int__(self): return self._answer(int(self.value), "int")
    def __trunc__(self): return self._answer(math.trunc(self.value), "trunc")
    def __floor__(self): return self._answer(math.floor(self.value), "floor")
    def __ceil__(self): return self._answer(math.ceil(self.value), "ceil")

    def __hash__(self):
        # Used as a key, the number decides which entry is found: the record holds for this
        # very number only (a nan, equal to nothing, never holds again).
        self._answer(self.value, "same")
        return hash(self.value)

    def _cannot(self, what: str) -> None:
        recording = _user(self.recording)
        if recording is not None:
            recording.unfaithful(f"the step {what} at {places.where()}; the compiler cannot "
                                 "follow what is done with it")

    def __float__(self) -> float:
        self._cannot("turns a number it computed into a plain float (float() or a math "
                     "function); use the Value's own operations (x.exp(), x.log(), ...)")
        return float(self.value)

    def __complex__(self) -> complex:
        self._cannot("turns a number it computed into a complex number")
        return complex(self.value)

    def __divmod__(self, other):
        self._cannot("takes divmod() of a number it computed")
        return divmod(self.value, _number(other))

    def __rdivmod__(self, other):
        self._cannot("takes divmod() of a number it computed")
        return divmod(_number(other), self.value)

    def __repr__(self) -> str:
        self._cannot("turns a number it computed into text (repr)")
        return repr(self.value)

    def __str__(self) -> str:
        self._cannot("turns a number it computed into text (str)")
        return str(self.value)

    def __format__(self, spec: str) -> str:
        self._cannot("turns a number it computed into text (format)")
        return format(self.value, spec)

    def __getattr__(self, name: str) -> Any:
        # .real, .imag, .hex(), .as_integer_ratio(), .bit_length()...: the plain number's own,
        # which the replay would not see
        attribute = getattr(self.value, name)
        self._cannot(f"reads .{name} of a number it computed")
        return attribute


class TracedFloat(Traced):
    """A followed float (a ``numbers.Real``, not a ``float``: C code reading a float's digits,
    as ``math.exp`` does, would read them without the compiler knowing)."""

    __slots__ = ()

    def is_integer(self) -> bool:
        return self._answer(self.value.is_integer(), "is_integer")


class TracedInt(Traced):
    """A followed int (a ``numbers.Integral``): an index or a label among the arguments."""

    __slots__ = ()

    def __index__(self) -> int:
        return self._answer(self.value, "index")


Real.register(TracedFloat)
Integral.register(TracedInt)


#: Comparisons of a drawn number that the replay asks again (``random() < p``).
_QUESTIONS = frozenset(("<", "<=", ">", ">=", "==", "!="))


class Answer:
    """The answer to a question about a random draw (``rng.random() < p``) while a step
    records. ``autograd.where(answer, a, b)`` chooses between two numbers by it, and the replay
    asks the question of its own draw and chooses again. Any other use (``if answer:``, ``and``,
    ``==``, arithmetic, text) decides something in the step's own code, which the replay cannot
    follow: it gives the bool's own result, and the step runs on the engine instead."""

    __slots__ = ("value", "ref", "recording")

    def __init__(self, value: bool, ref: Ref, recording: Recording) -> None:
        self.value = value
        self.ref = ref
        self.recording = recording

    def _used(self, how: str) -> bool:
        if self.recording.active:
            self.recording.unfaithful(
                f"the step's code uses the answer to a question about a random draw ({how}) at "
                f"{places.where(3)}, which decides something a replay cannot follow; choose "
                "between numbers with autograd.where(answer, a, b), as nn.Dropout does")
        return self.value

    def __bool__(self) -> bool: return self._used("if, and, or, not")
    def __int__(self) -> int: return int(self._used("int"))
    def __index__(self) -> int: return int(self._used("as an index"))
    def __float__(self) -> float: return float(self._used("float"))
    def __hash__(self) -> int: return hash(self._used("hash"))
    def __eq__(self, other: object) -> bool: return self._used("==") == other
    def __ne__(self, other: object) -> bool: return self._used("!=") != other
    def __and__(self, other: Any) -> Any: return self._used("&") & other
    def __rand__(self, other: Any) -> Any: return other & self._used("&")
    def __or__(self, other: Any) -> Any: return self._used("|") | other
    def __ror__(self, other: Any) -> Any: return other | self._used("|")
    def __xor__(self, other: Any) -> Any: return self._used("^") ^ other
    def __rxor__(self, other: Any) -> Any: return other ^ self._used("^")
    def __invert__(self) -> int: return ~self._used("~")
    def __neg__(self) -> int: return -self._used("-")
    def __pos__(self) -> int: return +self._used("+")
    def __abs__(self) -> int: return abs(self._used("abs"))
    def __add__(self, other: Any) -> Any: return self._used("+") + other
    def __radd__(self, other: Any) -> Any: return other + self._used("+")
    def __sub__(self, other: Any) -> Any: return self._used("-") - other
    def __rsub__(self, other: Any) -> Any: return other - self._used("-")
    def __mul__(self, other: Any) -> Any: return self._used("*") * other
    def __rmul__(self, other: Any) -> Any: return other * self._used("*")
    def __truediv__(self, other: Any) -> Any: return self._used("/") / other
    def __rtruediv__(self, other: Any) -> Any: return other / self._used("/")
    def __lt__(self, other: Any) -> bool: return self._used("<") < other
    def __le__(self, other: Any) -> bool: return self._used("<=") <= other
    def __gt__(self, other: Any) -> bool: return self._used(">") > other
    def __ge__(self, other: Any) -> bool: return self._used(">=") >= other
    def __repr__(self) -> str: return repr(self._used("repr"))
    def __str__(self) -> str: return str(self._used("str"))
    def __format__(self, spec: str) -> str: return format(self._used("format"), spec)


def _number(x: object) -> Any:
    return x.value if isinstance(x, Traced) else x


def _is_operand(x: object) -> bool:
    """Whether arithmetic with a followed number can be followed (else a Value does it)."""
    return isinstance(x, Traced) or type(x) in (int, float, bool)


def plain(x: object) -> float | int:
    """A plain Python number with the value of the plain number ``x`` (a NumPy scalar, a
    subclass of float or int with a repr of its own): its float or int, never its own type."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, Integral):
        return int.__index__(x) if isinstance(x, int) else int(x)
    return float.__float__(x) if isinstance(x, float) else float(x)


# ---------------------------------------------------------------- random draws -------------
# A draw of the ``random`` module or of a ``random.Random`` (dropout's generator) is part of the
# step: the replay makes the same call on the same generator, in the same order, so it consumes
# the generator exactly as the engine's run does and never repeats a number it drew once. The
# outermost call is what is replayed (``rng.randrange(1, 100)``, not the ``getrandbits`` under
# it); its arguments are plain numbers, kept as they were.

#: ``random.Random``'s methods that return a number, replayed as they are called.
NUMBER_DRAWS = ("random", "uniform", "randrange", "randint", "getrandbits", "triangular",
                "gauss", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
                "gammavariate", "betavariate", "paretovariate", "weibullvariate",
                "binomialvariate")
#: Its methods that return anything else: their draws cannot be followed.
OTHER_DRAWS = ("choice", "choices", "sample", "shuffle", "randbytes")

_PATCHED = 0
_PATCH_LOCK = threading.Lock()
_CLASS_ORIGINALS = {name: vars(random.Random)[name] if name in vars(random.Random)
                    else getattr(random.Random, name)
                    for name in NUMBER_DRAWS + OTHER_DRAWS if hasattr(random.Random, name)}
_MODULE_ORIGINALS = {name: getattr(random, name) for name in _CLASS_ORIGINALS
                     if hasattr(random, name)}
_drawing = threading.local()


def _drawer(name: str, method: Callable) -> Callable:
    def draw(self: random.Random, *args: Any, **kwargs: Any) -> Any:
        recording = recorder.get()
        if recording is None or not recording.active or getattr(_drawing, "inside", False):
            return method(self, *args, **kwargs)
        _drawing.inside = True  # the draws under this one are its own
        try:
            result = method(self, *args, **kwargs)
        finally:
            _drawing.inside = False
        return recording.draw(self, name, args, kwargs, result)
    draw.__name__ = draw.__qualname__ = name
    draw.__doc__ = method.__doc__
    return draw


def _module_drawer(name: str) -> Callable:
    draw = _drawer(name, _CLASS_ORIGINALS[name])

    def module_draw(*args: Any, **kwargs: Any) -> Any:
        return draw(random._inst, *args, **kwargs)  # type: ignore[attr-defined]
    module_draw.__name__ = module_draw.__qualname__ = name
    return module_draw


_CLASS_DRAWERS = {name: _drawer(name, m) for name, m in _CLASS_ORIGINALS.items()}
_MODULE_DRAWERS = {name: _module_drawer(name) for name in _MODULE_ORIGINALS}


# ---------------------------------------------------------------- max and min ---------------
# ``max(s.data for s in scores)`` (a stable softmax's shift) compares followed numbers; as
# questions, their answers would change with every batch. Their result is followed instead:
# the replay computes ``max`` of the same numbers in the same order, which is the same number.

_MAX, _MIN = builtins.max, builtins.min


def _extreme(name: str, original: Callable) -> Callable:
    def extreme(*args: Any, **kwargs: Any) -> Any:
        recording = recorder.get()
        if recording is None or not recording.active or kwargs or not args or \
                _engine_uses(sys._getframe(1)):
            return original(*args, **kwargs)
        items = list(args[0]) if len(args) == 1 else list(args)
        if not any(isinstance(x, Traced) and x.recording is recording for x in items) or \
                not all(isinstance(x, Traced) or type(x) in (int, float) for x in items):
            return original(items)
        return recording.computed(original([_number(x) for x in items]), name, tuple(items))
    extreme.__name__ = extreme.__qualname__ = name
    extreme.__doc__ = original.__doc__
    return extreme


_EXTREMES = {"max": _extreme("max", _MAX), "min": _extreme("min", _MIN)}


def watch_draws(on: bool) -> bool:
    """While any step records, every draw of the ``random`` module and of ``random.Random``
    instances (dropout's generator) is reported to the recording, and so is ``max``/``min`` of
    followed numbers; other threads' calls pass through untouched. Returns True once it is
    switched on (or off)."""
    global _PATCHED
    with _PATCH_LOCK:
        _PATCHED += 1 if on else -1
        if on and _PATCHED == 1:
            builtins.max, builtins.min = _EXTREMES["max"], _EXTREMES["min"]
            for name, drawer in _CLASS_DRAWERS.items():
                setattr(random.Random, name, drawer)
            for name, drawer in _MODULE_DRAWERS.items():
                setattr(random, name, drawer)
        elif not on and _PATCHED == 0:
            builtins.max, builtins.min = _MAX, _MIN
            for name in _CLASS_DRAWERS:
                if name in _CLASS_OWN:
                    setattr(random.Random, name, _CLASS_ORIGINALS[name])
                else:
                    delattr(random.Random, name)
            for name, original_function in _MODULE_ORIGINALS.items():
                setattr(random, name, original_function)
    return True


#: The draws ``random.Random`` defines itself (the others it inherits from C's generator).
_CLASS_OWN = frozenset(name for name in _CLASS_ORIGINALS if name in vars(random.Random))


class Draw:
    """A draw the replay makes again: ``generator.name(*args)``, the generator's own method (not
    a copy of it), so that the replay consumes exactly what the engine's run consumes."""

    __slots__ = ("generator", "name", "args")

    def __init__(self, generator: random.Random, name: str, args: tuple) -> None:
        self.generator = generator
        self.name = name
        self.args = args

    def __call__(self) -> Any:
        return getattr(self.generator, self.name)(*self.args)

    def __repr__(self) -> str:
        return f"{self.name}{self.args!r}"


# ---------------------------------------------------------------- the recording -------------

class Recording:
    """Everything one run of the step did that the replay must do again, as IR entries in the
    order the step made them.

    ``params`` are the Values the step reads but did not make (read afresh at every call);
    ``reason`` is why the step cannot be replayed (``None`` if it can); ``new`` describes the
    Values met for the first time, whose numbers the step may have read before they were
    followed (the step must then record again); ``grad_writes`` the ``.grad`` assignments the
    step made, ``(parameter index, constant index)`` in order.
    """

    def __init__(self) -> None:
        self.active = True
        self.entries: list[Entry] = []
        self.nodes: dict[int, int] = {}  # id(node) -> entry index
        # One reference per node, parameter and constant, however often it is used (a batch
        # reads each parameter and activation thousands of times: a Ref per use would cost
        # more memory than the rest of the recording). A node's or parameter's is kept by its
        # id (only leaves: a Value computed before the step is refused at each use); gradient
        # flows into each of them.
        self._arguments: dict[int, Ref] = {}
        self._param_refs: list[Ref] = []
        self._constant_refs: dict[int, Ref] = {}
        self.node_values: list[Value] = []
        self.params: list[Value] = []
        self.param_index: dict[int, int] = {}
        self.inputs: list[Traced] = []
        self.constants: list[Any] = []
        self._constant_index: dict[tuple, int] = {}
        self.places: list[str] = []
        self.grad_writes: list[tuple[int, int]] = []
        self.reason: str | None = None
        self.new: list[str] = []
        self._swapped: list[tuple[Value, type]] = []
        self._made_leaves: list[Value] = []  # each once
        self._made: dict[int, Traced] = {}  # id of such a leaf -> the followed number it holds
        self._leaf_uses = 0  # uses of those leaves as arguments
        # Nodes with such a leaf among their parents: their local derivatives may hold its
        # followed number (d(w * x)/dw = x), which ``plain_graph`` turns back into a float.
        self._holding: list[Value] = []
        self._stopped = False
        self._traced: dict[int, Traced] = {}
        self.generators: dict[int, random.Random] = {}
        self._draws: dict[tuple, tuple[Ref]] = {}  # a draw's call -> its constant's Ref
        self._drawn: set[int] = set()  # entries whose number comes from a draw

    def start(self, known: Sequence[Value]) -> None:
        """Follow the Values the step is known to reach (inside the ``try`` whose ``finally``
        calls ``finish``: a Ctrl-C meanwhile leaves nothing followed)."""
        for leaf in known:
            self._follow(leaf)
        self.new.clear()

    # ---- what the step receives and reaches

    def input(self, x: int | float) -> Traced:
        """The followed number for one number in the step's arguments."""
        kind = TracedInt if isinstance(x, int) else TracedFloat
        traced = kind(x, Ref("x", len(self.inputs)), self)
        self.inputs.append(traced)
        return traced

    def _follow(self, value: Value) -> int:
        """Make ``value`` a parameter of the step (followed until ``finish``); its index."""
        index = self.param_index.get(id(value))
        if index is not None:
            return index
        index = len(self.params)
        self.params.append(value)
        self._param_refs.append(Ref("p", index))
        if not value.parents:
            self._arguments[id(value)] = self._param_refs[index]
        self.param_index[id(value)] = index
        self.new.append(_describe(value))
        self._swap(value)
        return index

    def _swap(self, value: Value) -> None:
        cls = type(value)
        if cls in _ORIGINAL:
            return
        self._swapped.append((value, cls))
        value.__class__ = followed(cls)

    def read(self, value: Value, number: Any) -> Any:
        """``value.data`` as the step's own code sees it: a followed number."""
        if isinstance(number, Traced):
            return number
        traced = self._traced.get(id(value))
        if traced is None:
            ref = self._arguments.get(id(value)) or self._param_refs[self._follow(value)]
            kind = TracedInt if isinstance(number, int) else TracedFloat
            traced = self._traced[id(value)] = kind(number, ref, self)
        return traced

    def argument(self, value: Value) -> tuple[Ref, bool]:
        """How an operation's argument enters the replay: its reference, and whether gradient
        flows into it."""
        known = self._arguments.get(id(value))  # a node of the step's, or a parameter
        if known is not None:
            return known, True
        data = Value.data.__get__(value)  # the slot itself: a leaf fn made may hold a Traced
        if value.parents:
            self.unfaithful(_foreign(value))
            return self.constant(data), False
        if isinstance(data, Traced) and data.recording is self:
            self._leaf_uses += 1
            if id(value) not in self._made:
                self._made_leaves.append(value)
            self._made[id(value)] = data
            return data.ref, False  # a leaf the step made from followed numbers: Value(x)
        if isinstance(value, Constant):
            return self.constant(data), False  # a number written in the step's code: 2 * x
        return self._param_refs[self._follow(value)], True

    def result(self, x: object) -> tuple:
        """The result tree of what the step returned: Values, numbers, lists and tuples."""
        if isinstance(x, Value):
            return ("ref", self.argument(x)[0])
        if isinstance(x, (list, tuple)):
            return ("list" if isinstance(x, list) else "tuple", [self.result(i) for i in x])
        if isinstance(x, Traced) and x.recording is self:
            return ("ref", x.ref)
        if x is None:
            return ("none",)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            self.unfaithful(
                f"the step returns a plain number ({format_number(plain(x))}) beside the loss "
                "that the compiler cannot follow (not computed from the step's inputs, its "
                "parameters or its Values), which a replay would repeat")
            return ("ref", self.constant(x))
        self.unfaithful(f"the step returns a {type(x).__name__} beside the loss; its aux may "
                        "hold Values, numbers, and lists or tuples of them")
        return ("none",)

    def constant(self, x: Any) -> Ref:
        """A reference to the constant ``x`` (a followed number's own reference)."""
        if isinstance(x, Traced) and x.recording is self:
            return x.ref
        number = plain(_number(x)) if x is not None else None
        key = (type(number), struct.pack("<d", number) if isinstance(number, float) else number)
        index = self._constant_index.get(key)
        if index is None:
            index = self._constant_index[key] = len(self.constants)
            self.constants.append(number)
            self._constant_refs[index] = Ref("k", index)
        return self._constant_refs[index]

    def place(self, depth: int) -> int:
        """The index in ``places`` of the user's line that led here (``depth`` frames out)."""
        self.places.append(places.where(depth + 1))
        return len(self.places) - 1

    # ---- the engine's reports (see autograd.core.modes.recorder)

    def node(self, out: Value, data: object, parents: tuple[Value, ...], op: str,
             no_grad: bool) -> object:
        """A new node (made inside ``no_grad()`` when ``no_grad``): noted, and followed from
        now on. Its ``.data`` stays a plain float.

        It runs for every node the step makes, so it does the least it can: one look-up per
        argument (a node or parameter met before), one entry, one class swap."""
        if not self.active:
            return data
        j = len(self.entries)
        if j >= MAX_NODES:
            self.unfaithful(f"the step makes more than {MAX_NODES:,} nodes; generating and "
                            "compiling code for more costs more than it saves")
            self.stop()
            return data
        arguments = self._arguments
        try:  # nodes and parameters met before: gradient flows into each
            refs = (arguments[id(parents[0])],) if len(parents) == 1 else \
                tuple(map(arguments.__getitem__, map(id, parents)))
            flows = _FLOWING.get(len(refs)) or _flowing(len(refs))
        except KeyError:  # a parent met for the first time (a constant, a leaf...)
            refs, flows = self._first_met(out, parents)
        if no_grad:  # a node without a graph: nothing flows back through it
            flows = (False,) * len(flows)
        params: tuple = ()
        if op[:2] == "**":  # x ** 2 is the rule "**n" with n = 2 (another "**..." is
            n = exponent(op)  # refused later)
            if n is not None:
                params, op = (n,), "**n"
        key = id(out)
        self.nodes[key] = j
        self._arguments[key] = _new_tuple(Ref, ("v", j))  # (no Python-level __new__: hot)
        self.node_values.append(out)
        self.entries.append(_new_tuple(Entry, ("node", op, refs, params, flows, -1)))
        cls = type(out)
        made = _FOLLOWED.get(cls)
        if made is None:
            made = followed(cls)
        self._swapped.append((out, cls))
        out.__class__ = made
        return data if type(data) is float else _number(data)

    def _first_met(self, out: Value, parents: tuple[Value, ...]
                   ) -> tuple[tuple[Ref, ...], tuple[bool, ...]]:
        """The references and flows of an operation with a parent that is not a node or
        parameter met before (a constant, a parameter met for the first time, a leaf the step
        made from followed numbers)."""
        arguments, made = self._arguments, self._made
        uses = self._leaf_uses
        refs = [arguments.get(id(p)) for p in parents]
        flows = [True] * len(refs)
        for i, ref in enumerate(refs):
            if ref is None:
                parent = parents[i]
                leaf = made.get(id(parent))
                if leaf is not None and _slot(parent) is leaf:  # met before, holding it still
                    refs[i], flows[i] = leaf.ref, False
                    self._leaf_uses += 1
                else:
                    refs[i], flows[i] = self.argument(parent)
        if self._leaf_uses != uses:
            self._holding.append(out)
        return tuple(refs), tuple(flows)

    def number(self, x: object, op: str) -> object:
        """A number that is not a float or an int, given to the engine."""
        if not (isinstance(x, Traced) and x.recording is self and self.active):
            return plain(x)  # type: ignore[arg-type]
        if op in ("Value()", "as_value"):  # a new leaf holding a followed number
            return x if isinstance(x, TracedFloat) else self.computed(float(x.value), "float",
                                                                      (x,))
        if not op.startswith("custom_op"):  # (a custom op is refused by its name)
            self.unfaithful(f"the step passes a number it computed to '{op}' at "
                            f"{places.where()}, which keeps it as a fixed number; use Value "
                            "operations instead")
        return float(x.value)

    def backward(self) -> None:
        self.unfaithful(f"the step runs a backward pass itself (backward() or autograd.grad(), "
                        f"at {places.where()}); a compiled step replays one backward pass, its "
                        "own")

    # ---- the step's own code

    def computed(self, result: object, op: str, operands: tuple) -> Any:
        """A number the step's code computed from followed numbers: a new followed number."""
        if isinstance(result, bool) or not isinstance(result, (int, float)):
            self.unfaithful(f"the step computes a {type(result).__name__} from followed numbers "
                            f"at {places.where()}")
            return result
        refs = tuple(self.constant(x) for x in operands)
        if any(r.kind == "v" and r.index in self._drawn for r in refs):
            self._drawn.add(len(self.entries))
        self.entries.append(Entry("number", op, refs))
        kind = TracedInt if isinstance(result, int) else TracedFloat
        return kind(result, Ref("v", len(self.entries) - 1), self)

    def guard(self, op: str, operands: tuple, answer: Any) -> Any:
        """The step's code asked ``op`` about ``operands`` and got ``answer`` (returned).

        A comparison of a drawn number (dropout's ``random() < p``) is a *question*: the replay
        asks it again of its own draw, so its answer may differ from call to call. The step gets
        an ``Answer``: ``autograd.where(answer, a, b)`` makes the choice part of the replay
        (``choose``); any other use of it decides something the replay cannot see."""
        refs = tuple([self.constant(x) for x in operands])
        if op in _QUESTIONS and self._asks_about_a_draw(refs):
            self.entries.append(_new_tuple(Entry, ("question", op, refs, (answer,), (),
                                                   self.place(3))))
            return Answer(answer, Ref("v", len(self.entries) - 1), self)
        if isinstance(answer, float):
            answer = struct.pack("<d", answer)  # the very number, -0.0 and nan included
        self.entries.append(_new_tuple(Entry, ("guard", op, refs, (answer,), (),
                                               self.place(3))))
        return answer

    def _asks_about_a_draw(self, refs: tuple[Ref, ...]) -> bool:
        drawn = self._drawn
        for ref in refs:
            if ref.kind == "v" and ref.index in drawn:
                return True
        return False

    def choose(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        """``autograd.where(condition, if_true, if_false)`` while the step records:
        ``NotImplemented`` unless ``condition`` is an ``Answer`` of this recording (a plain
        bool is chosen as usual; a guard re-checks it). Two numbers of one kind are chosen by a
        ``select`` entry, which the replay evaluates on its own answer."""
        if not (isinstance(condition, Answer) and condition.recording is self and self.active):
            return NotImplemented
        chosen = if_true if condition.value else if_false
        kinds = {type(plain(x)) if _is_operand(x) else None for x in (if_true, if_false)}
        if len(kinds) != 1 or None in kinds:
            self.unfaithful(
                f"autograd.where at {places.where(3)} chooses between "
                f"{type(if_true).__name__} and {type(if_false).__name__} by a random draw; a "
                "compiled step replays a choice between two numbers of one kind (two floats)")
            return chosen
        refs = (condition.ref, self.constant(if_true), self.constant(if_false))
        self._drawn.add(len(self.entries))  # (a comparison of it asks about the draw too)
        self.entries.append(Entry("number", "select", refs))
        value = _number(chosen)
        kind = TracedInt if isinstance(value, int) else TracedFloat
        return kind(value, Ref("v", len(self.entries) - 1), self)

    def draw(self, generator: random.Random, name: str, args: tuple, kwargs: dict,
             result: Any) -> Any:
        """The step drew ``result = generator.name(*args)``: a followed number the replay draws
        again."""
        if name in OTHER_DRAWS or kwargs or type(result) not in (int, float) or \
                args and any(type(a) not in (int, float) for a in args):
            self.unfaithful(
                f"the step draws random numbers at {places.where()} in a way a replay cannot "
                f"repeat ({name}() with {'keyword ' if kwargs else ''}arguments other than "
                "plain numbers, or returning something else than a number); draw with "
                "random(), uniform(a, b) or randrange(n) and plain numbers")
            return result
        key = (id(generator), name, tuple([(type(a), struct.pack("<d", a)) if type(a) is float
                                           else (type(a), a) for a in args]) if args else ())
        refs = self._draws.get(key)
        if refs is None:  # the first such draw: a constant of its own, one Ref for every use
            refs = self._draws[key] = (Ref("k", len(self.constants)),)
            self.constants.append(Draw(generator, name, args))
            self.generators[id(generator)] = generator
        self._drawn.add(len(self.entries))
        self.entries.append(_new_tuple(Entry, ("draw", name, refs, (), (), -1)))
        kind = TracedInt if type(result) is int else TracedFloat
        return kind(result, _new_tuple(Ref, ("v", len(self.entries) - 1)), self)

    def grad_write(self, value: Value, g: Any) -> Any:
        """The step sets ``value.grad = g`` (``zero_grad``): part of the step, when ``g`` is a
        plain number or ``None``."""
        if isinstance(g, Traced) or not (g is None or type(g) in (int, float)):
            self.unfaithful(f"the step sets .grad to a {type(g).__name__} at "
                            f"{places.where()}; only plain numbers (zero_grad) are replayed")
            return _number(g)
        index = self.param_index.get(id(value))
        if index is None:  # a node the step made: its gradient is the engine's business
            return g
        self.grad_writes.append((index, self.constant(g).index))
        return g

    def unfaithful(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason

    # ---- the end

    def stop(self) -> None:
        """Stop following (the step runs on as plain engine code)."""
        self.active = False
        self._stopped = True

    def finish(self) -> None:
        """Every followed Value gets its own class back, every leaf the step made a plain
        float. A Ctrl-C meanwhile is held back until this is done, then raised."""
        self.active = False
        interrupted = False
        while True:
            try:  # (interrupted, all of it again: each step may be done twice)
                for value, cls in reversed(self._swapped):
                    value.__class__ = cls
                self._swapped.clear()
                for leaf in reversed(self._made_leaves):
                    _plain(leaf)
                self._made_leaves.clear()
                break
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt

    def close(self) -> None:
        """Let go of the entries, the step's nodes and the followed numbers, once the compiler
        is done with them. Followed numbers refer back to the recording (and a followed number
        the step keeps may hold it), so the recording itself may be freed only by the cyclic
        collector: what it held is freed at once."""
        for held in (self.entries, self.nodes, self._arguments, self.node_values, self.inputs,
                     self._traced, self._holding, self._made_leaves, self._made):
            held.clear()

    def plain_graph(self, nodes: Sequence[Value]) -> None:
        """Followed numbers out of the step's graph, ``nodes``: out of the local derivatives
        of the nodes that use a leaf the step made from followed numbers (``finish`` has made
        the leaves plain). A recording stopped part-way has not seen every use: then every
        node is looked at."""
        for node in nodes if self._stopped else self._holding:
            _plain(node)


#: The flows of an operation whose arguments are all nodes or parameters, by its arity (one
#: tuple shared by every such entry).
_FLOWING: dict[int, tuple[bool, ...]] = {}
_new_tuple = tuple.__new__


def _flowing(arity: int) -> tuple[bool, ...]:
    return _FLOWING.setdefault(arity, (True,) * arity)


_TRACED = frozenset((TracedFloat, TracedInt))
_slot = Value.data.__get__  # a Value's .data slot itself (a followed Value's data is not it)


def _plain(node: Value) -> None:
    data = Value.data.__get__(node)
    if isinstance(data, Traced):
        Value.data.__set__(node, data.value)
    local = node.local_grads
    if local and not _TRACED.isdisjoint(map(type, local)):
        node.local_grads = tuple(_number(d) for d in local)


def _describe(value: Value) -> str:
    name = f"{value.label!r}, " if value.label else ""
    op = f"op {value.op!r}, " if value.op else ""
    return f"{name}{op}data={format_number(_number(Value.data.__get__(value)))}"


def _foreign(value: Value) -> str:
    if value.local_grads is None:
        return (f"the step uses a micrograd-style node ({_describe(value)}), whose derivative is "
                "in a _backward closure the compiler cannot read; build it from Value "
                "operations")
    return (f"the step uses a Value computed before the step was called ({_describe(value)}); "
            "its graph is not part of the step: compute it inside the step")
