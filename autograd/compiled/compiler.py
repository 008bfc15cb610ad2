"""``autograd.compile``: record a training step once, replay it at plain-float speed.

    step = autograd.compile(lambda X, y: batch_loss(model, X, y))
    for k in range(100):
        model.zero_grad()
        loss = step(X, y)        # a float; every parameter's .grad holds d(loss)/d(parameter)
        optimizer.step()

A training step builds the same graph every time, and most of the engine's time goes into
building it, sorting it and freeing it again. A compiler does that work once:

1. **record** (``compiled/recording.py``): run fn on the engine while following every number
   it computes: which operation made it from which numbers, and which comparisons fn's code made;
2. **generate** (``compiled/codegen.py``): write that down as a Python function on plain
   floats, forward and backward, the same operations in the same order as the engine
   (``step.source`` shows it);
3. **run** (this module): later calls look up the record made for arguments of the same shapes,
   check that fn's comparisons still give the same answers (the guards), and call it. Its
   results are the engine's, bit for bit.

The first call runs on the engine and finds the Values fn reaches but did not make (the
parameters); the second records with their numbers followed from the start; a recording is
replayed once the next recording for arguments of the same shapes repeats it exactly (numbers fn
reads from elsewhere, random ones say, would show as a difference). Whatever cannot be replayed
faithfully runs on the engine instead, with a warning saying why.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import Any

from autograd.compiled.codegen import AGAIN, CannotCompile, Replay, generate
from autograd.compiled.recording import Guard, Recording, Traced
from autograd.core.modes import RECORD, mode, recorder
from autograd.core.value import Value, forward_order

#: A record whose guards fail within this many calls did not pay for itself; after
#: ``SHORT_LIVED`` such records in a row the step runs on the engine. So it does after
#: ``UNSETTLED`` recordings in a row that did not repeat the one before.
MIN_CALLS = 10
SHORT_LIVED = 3
UNSETTLED = 6
#: Records kept per step (one per shape of the arguments).
MAX_RECORDS = 16


class CompileWarning(UserWarning):
    """A compiled step runs on the engine instead (once per step; the message says why)."""


def compile(fn: Callable[..., Any], has_aux: bool = False) -> CompiledStep:
    """``fn`` as a compiled step: ``step(*args)`` returns ``fn(*args).data`` and adds to every
    parameter's ``.grad`` exactly what ``fn(*args).backward()`` adds, bit for bit.

    ``fn`` returns the loss, a Value (with ``has_aux=True``: a pair ``(loss, aux)``, and the step
    returns ``(loss, aux)`` with every Value in aux replaced by its number, as JAX's ``has_aux``).
    Its arguments are numbers or (nested) lists and tuples of numbers: inputs that may change
    from call to call. Values fn reaches but did not make (a model's parameters) are read afresh
    at every call and receive the gradients.

    The replay is valid while fn builds the same graph: records are kept per shape of the
    arguments, and comparisons fn makes on numbers it computed are re-checked at every call (a
    changed answer records anew). What cannot be replayed faithfully (a micrograd-style closure
    node, a ``custom_op``, a backward pass inside fn, a number turned into a plain float with
    ``float()`` or ``math.*``, a new Value made from a plain number, numbers that change between
    two recordings, as dropout's random ones...) runs on the engine instead, with a one-time
    ``CompileWarning`` saying why. Inside ``no_grad()`` or ``detect_anomaly()`` a call runs on
    the engine too.
    """
    if not callable(fn):
        raise TypeError(f"autograd.compile takes a function returning the loss, e.g. "
                        f"lambda X, y: batch_loss(model, X, y); got {type(fn).__name__}")
    return CompiledStep(fn, has_aux)


class CompiledStep:
    """A compiled training step (see ``compile``). ``source`` is the generated code of the latest
    record; ``fallback_reason`` says why the step runs on the engine (``None`` while it does
    not)."""

    def __init__(self, fn: Callable[..., Any], has_aux: bool = False) -> None:
        self.fn = fn
        self.has_aux = has_aux
        self.fallback_reason: str | None = None
        self.records = 0  # recordings made
        self.replays = 0  # calls answered by a replay
        self._replays: dict[tuple, Replay] = {}
        self._latest: Replay | None = None
        self._known: list[Value] = []  # the parameters met so far
        self._met_new = False  # the latest recording met parameters for the first time
        self._short_lived = 0  # records in a row whose guards failed within MIN_CALLS calls
        #: The latest recording of each shape, which the next one must repeat to be replayed.
        self._previous: dict[tuple, list] = {}
        self._unsettled = 0  # recordings in a row that did not repeat the one before
        self._unexplained = 0  # of those, the ones that differ where fn asked nothing

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("a compiled step takes its inputs as positional arguments; pass "
                            "other settings to fn through a closure")
        if mode.get() or self.fallback_reason is not None:  # no_grad, detect_anomaly, recording
            return self._on_engine(args)
        key, numbers = flatten(args)
        replay = self._replays.get(key)
        if replay is not None:
            result = self._replay(replay, numbers)
            if result is not AGAIN:
                self._unsettled = self._unexplained = 0
                return result
            # fn answers a question differently: it builds another graph, recorded anew
            self._replays.pop(key, None)
            self._previous.pop(key, None)
            if self.fallback_reason is not None:
                return self._on_engine(args)
        return self._record(args, key)

    @property
    def source(self) -> str:
        """The generated code of the latest record (a comment when there is none)."""
        if self._latest is not None:
            return self._latest.source
        if self.fallback_reason is not None:
            return f"# runs on the engine: {self.fallback_reason}\n"
        return "# nothing recorded yet: the first two calls record the step\n"

    def __repr__(self) -> str:
        state = (f"runs on the engine: {self.fallback_reason}" if self.fallback_reason
                 else f"{self.records} recordings, {self.replays} replays")
        return f"CompiledStep({getattr(self.fn, '__name__', 'fn')}, {state})"

    # ---------------------------------------------------------------- run -----------------

    def _replay(self, replay: Replay, numbers: list) -> Any:
        """The replay's result, its gradients written; ``AGAIN`` when fn would build another
        graph this time."""
        values = [p.data for p in replay.params]
        olds = [p.grad for p in replay.grads]
        try:
            out = replay.function(numbers, values, olds)
        except (ArithmeticError, ValueError, TypeError):
            out = AGAIN, None  # recording again runs fn, which raises it if it is real
        if out[0] is AGAIN:
            self._guard_failed(replay, out[1])
            return AGAIN
        *results, grads = out
        _write(replay.grads, grads, olds)
        replay.calls += 1
        self.replays += 1
        return tuple(results) if self.has_aux else results[0]

    def _guard_failed(self, replay: Replay, guard: int | None) -> None:
        self._short_lived = self._short_lived + 1 if replay.calls < MIN_CALLS else 0
        if self._short_lived >= SHORT_LIVED:
            self._unstable("its replay raised an error" if guard is None
                           else f"the question at {replay.guards[guard]} got another answer")

    def _unstable(self, last: str) -> None:
        self._fall_back(
            f"fn builds a different graph every few calls (last, {last}), so recording costs "
            f"more than replaying saves. Compiling pays when fn builds the same graph call after "
            f"call: full-batch training, or minibatches of fixed labels")

    def _on_engine(self, args: tuple) -> Any:
        root, aux = self._result(self.fn(*args))
        root.backward()
        return self._numbers(root, aux)

    # ---------------------------------------------------------------- record --------------

    def _record(self, args: tuple, key: tuple) -> Any:
        """Run fn on the engine while recording; keep the replay if it can be made; return
        the engine's result."""
        recording = Recording(self._known)
        mode_token = mode.set(mode.get() | RECORD)
        recorder_token = recorder.set(recording)
        try:
            root, aux = self._result(self.fn(*_traced(args, recording)))
            results = [recording.result(root)]
            if self.has_aux:
                results.append(recording.result(aux))
        finally:
            recorder.reset(recorder_token)
            mode.reset(mode_token)
            recording.finish()
        graph = forward_order(root)
        recording.plain_graph(graph)
        self.records += 1
        self._known += recording.params[len(self._known):]
        met_new, self._met_new = self._met_new, recording.new_leaves > 0
        previous, self._previous[key] = self._previous.get(key), recording.steps
        if recording.reason is not None:
            self._fall_back(recording.reason)
        elif recording.new_leaves:
            if met_new:  # new at every call: fn makes them
                self._fall_back(
                    f"fn makes a new Value from a plain number at every call "
                    f"({recording.new[0]}), and the compiler cannot tell where the number "
                    f"comes from. Pass it as an argument, write it as a plain number in the "
                    f"expression (0.5 * x rather than Value(0.5) * x), or make the Value once, "
                    f"outside fn")
        elif recording.steps == previous:  # a second recording repeats the first: replay it
            del self._previous[key]  # (the replay holds what it needs)
            self._keep(key, recording, root, results)
        elif previous is not None:
            self._settle(previous, recording.steps)
        root.backward()
        return self._numbers(root, aux)

    def _settle(self, previous: list, steps: list) -> None:
        """Two recordings in a row for arguments of the same shapes differ: where fn's code got
        another answer to the same question (a branch on the data), or where it asked nothing,
        at a number or an operation (a number the compiler cannot see: random, a global)."""
        self._unsettled += 1
        first = next((a, b) for a, b in zip([*previous, None], [*steps, None]) if a != b)
        if isinstance(first[0], Guard) and isinstance(first[1], Guard) and \
                first[0].question == first[1].question:
            if self._unsettled >= UNSETTLED:
                self._unstable(f"the question at {first[1].where} got another answer than at "
                               f"the call before")
            return
        self._unexplained += 1
        if self._unexplained >= 2:
            self._fall_back(
                "fn built a different graph at each call, for arguments of the same shapes and "
                "with the same answers to its questions: it uses numbers the compiler cannot "
                "see change (random numbers, as dropout draws them; a global or a closure "
                "variable that changes), which a replay would repeat. Pass numbers that change "
                "as arguments")

    def _keep(self, key: tuple, recording: Recording, root: Value, results: list[str]) -> None:
        try:
            replay = generate(recording, root, results)
        except CannotCompile as why:
            self._fall_back(str(why))
            return
        if len(self._replays) >= MAX_RECORDS:
            del self._replays[next(iter(self._replays))]
        self._replays[key] = self._latest = replay

    def _fall_back(self, reason: str) -> None:
        self.fallback_reason = reason
        self._replays.clear()
        self._previous.clear()
        self._latest = None
        warnings.warn(f"autograd.compile: {reason}. This step runs on the engine from now on.",
                      CompileWarning, stacklevel=_outside_this_module())

    # ---------------------------------------------------------------- results -------------

    def _result(self, out: Any) -> tuple[Value, Any]:
        """fn's result as ``(loss, aux)``."""
        aux = None
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"with has_aux=True, fn must return a pair (loss, aux), got "
                                f"{type(out).__name__}")
            out, aux = out
        if not isinstance(out, Value):
            raise TypeError(
                f"a compiled step needs fn to return the loss as a Value, got "
                f"{type(out).__name__}. If fn uses math.exp, float() or the like on Values, use "
                f"their own operations (x.exp(), ...): a plain number has no graph to replay")
        return out, aux

    def _numbers(self, root: Value, aux: Any) -> Any:
        loss = float(root.data)
        return (loss, _numbers(aux)) if self.has_aux else loss


def _numbers(x: Any) -> Any:
    """fn's aux with every Value replaced by its number."""
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, Traced):
        return x.value
    if isinstance(x, list):
        return [_numbers(item) for item in x]
    if isinstance(x, tuple):
        return tuple(_numbers(item) for item in x)
    return x


def _write(params: list[Value], grads: tuple, olds: list) -> None:
    """Set each parameter's new gradient; interrupted (Ctrl-C), put every old one back, as
    backward() does."""
    try:
        for p, g in zip(params, grads):
            p.grad = g
    except BaseException:
        for p, g in zip(params, olds):
            p.grad = g
        raise


# ---------------------------------------------------------------- arguments ---------------

def flatten(args: tuple) -> tuple[tuple, list]:
    """``(key, numbers)``: the shape of the arguments (nesting, lengths, int or float) and their
    numbers, in order. A record is made per key."""
    key: list = []
    numbers: list = []
    _flatten(args, key, numbers)
    return tuple(key), numbers


def _flatten(items: list | tuple, key: list, numbers: list) -> None:
    for x in items:
        kind = type(x)
        if kind is float or kind is int:
            key.append(kind)
            numbers.append(x)
        elif kind is list or kind is tuple:
            key.append(kind)
            key.append(len(x))
            _flatten(x, key, numbers)
        else:
            number = _number(x)
            key.append(type(number))
            numbers.append(number)


def _traced(args: tuple, recording: Recording) -> tuple:
    """The arguments as fn receives them while recording: each number a followed one, in the
    order ``flatten`` lists them."""
    def walk(x: Any) -> Any:
        kind = type(x)
        if kind is list or kind is tuple:
            return kind(walk(item) for item in x)
        return recording.input(x if kind is float or kind is int else _number(x))
    return tuple(walk(a) for a in args)


def _number(x: object) -> int | float:
    """A number among the arguments, as an int or a float (a NumPy scalar included)."""
    from numbers import Integral, Real

    if isinstance(x, Integral) and not isinstance(x, bool):
        return int(x)
    if isinstance(x, Real) and not isinstance(x, bool):
        return float(x)
    hint = " (call .tolist() on an array)" if hasattr(x, "tolist") else ""
    raise TypeError(f"a compiled step takes numbers and (nested) lists or tuples of numbers "
                    f"as arguments, got {type(x).__name__}{hint}; pass anything else to fn "
                    f"through a closure")


def _outside_this_module() -> int:
    """The ``stacklevel`` of the first caller outside this module, for warnings."""
    level, frame = 1, sys._getframe(1)
    while frame is not None and frame.f_globals is globals():
        level, frame = level + 1, frame.f_back
    return level
