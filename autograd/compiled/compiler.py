"""``autograd.compile``: record a training step once, replay it at plain-float speed.

    step = autograd.compile(lambda X, y: batch_loss(model, X, y))
    for k in range(100):
        model.zero_grad()
        loss = step(X, y)        # a float; every parameter's .grad holds d(loss)/d(parameter)
        optimizer.step()

A training step builds the same graph every time, and most of the engine's time goes into
building it, sorting it and freeing it again. A compiler does that work once:

1. **record** (``compiled/recording.py``): run the step on the engine while following every
   number it computes, into an IR of references (``compiled/ir.py``); random draws are part of
   it, and so are the choices their answers make through ``autograd.where`` (dropout's mask);
2. **find the template** (``compiled/template.py``): a batch's recording is one example's
   operations repeated; the replay loops over the batch, so its code does not grow with it;
3. **generate** (``compiled/codegen.py``): write the IR as a Python function on plain floats,
   forward and backward, each operation by its one rule (``step.source`` shows it);
4. **run** (this module): later calls look up the record made for arguments of the same shapes,
   check that the step's questions still get the same answers and that what it reaches outside
   its arguments is unchanged (``compiled/environment.py``), and call it. Its results are the
   engine's, bit for bit.

Whatever cannot be replayed faithfully runs on the engine instead, with one warning saying why
and naming the user's line.
"""

from __future__ import annotations

import gc
import itertools
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from autograd.compiled import environment, numba_backend, places, template
from autograd.compiled.codegen import AGAIN, CannotCompile, Replay, compile_source, write
from autograd.compiled.recording import Recording, Traced, TracedInt, plain, watch_draws
from autograd.core.modes import RECORD, mode, recorder
from autograd.core.rules import RULES
from autograd.core.value import Value, backprop, forward_order

#: A record whose guards fail within this many calls did not pay for itself; after
#: ``SHORT_LIVED`` such records in a row the step runs on the engine.
MIN_CALLS = 10
SHORT_LIVED = 3
#: Records kept per step (one per shape of the arguments).
MAX_RECORDS = 16
#: Records kept per shape: graphs the step builds from arguments of one shape (a label picks
#: the class whose score a loss reads; a sign picks a stable formula's branch). A call tries
#: them, the latest used first; a call none of them replays records another.
MAX_ALTERNATIVES = 8


class _Missed(NamedTuple):
    """A replay that stopped: the question (its place's number) that got another answer, or
    None when the replay raised."""

    guard: int | None


class CompileWarning(UserWarning):
    """A compiled step runs on the engine instead (once per step; the message says why)."""


def compile(fn: Callable[..., Any], has_aux: bool = False, backend: str = "auto"
            ) -> CompiledStep:
    """``fn`` as a compiled step: ``step(*args)`` returns ``fn(*args).data`` and adds to every
    parameter's ``.grad`` exactly what ``fn(*args).backward()`` adds, bit for bit.

    ``fn`` returns the loss, a Value (with ``has_aux=True``: a pair ``(loss, aux)``, and the step
    returns ``(loss, aux)`` with every Value in aux replaced by its number, as JAX's ``has_aux``).
    Its arguments are numbers or (nested) lists and tuples of numbers: inputs that may change
    from call to call. Values fn reaches but did not make (a model's parameters) are read afresh
    at every call and receive the gradients. A batch (lists of examples of the same shape) is
    replayed one example at a time by the same code, so a batch of any size costs no more code.

    The replay is valid while fn builds the same graph: comparisons fn makes on numbers it
    computed are re-checked at every call, and so is what fn reaches outside its arguments
    (modules' training modes, numbers in globals and closures, which layers a model holds); a
    change records anew. Up to ``MAX_ALTERNATIVES`` recordings are kept per shape of the
    arguments, so a step building one of a few graphs (a label picking a class's score, one
    example at a time) replays each. What cannot be replayed faithfully (a micrograd-style
    closure node, a ``custom_op``, a backward pass inside fn, a number turned into a plain float
    or into text, a random draw that cannot be repeated, a draw's answer used other than by
    ``autograd.where``...) runs on the engine instead, with a one-time ``CompileWarning`` naming
    the line. Random draws are drawn again in the replay, and what ``autograd.where`` chooses by
    them (dropout's mask) chosen again. Inside ``no_grad()`` or ``detect_anomaly()`` a call runs
    on the engine too.

    ``backend``: what runs the replay. ``"python"``: generated Python (``step.source``);
    ``"numba"``: the same program run by a Numba kernel (``pip install backprop-lab[fast]``;
    see ``compiled/numba_backend.py``), the same numbers bit for bit, several times faster;
    ``"auto"`` (the default): Numba where it is installed and runs the step, else Python.
    ``repr(step)`` says which runs, and why Python where it is.
    """
    numba_backend.check_backend(backend)
    if not callable(fn):
        raise TypeError(f"autograd.compile takes a function returning the loss, e.g. "
                        f"lambda X, y: batch_loss(model, X, y); got {type(fn).__name__}")
    return CompiledStep(fn, has_aux, backend)


class _Record:
    """One recording, ready to replay: its code, the Values it reads, its constants, the
    ``.grad`` writes it makes, which arguments are batches, and the fingerprint of what the
    step reaches outside its arguments."""

    def __init__(self, replay: Replay, params: list[Value], constants: tuple,
                 writes: dict[int, Any], split: _Split | None,
                 fingerprint: environment.Fingerprint, places: list[str],
                 generators: list[Any]) -> None:
        self.replay = replay
        self.generators = generators
        self.params = params
        self.constants = constants
        self.writes = writes
        self.split = split  # the examples' numbers, for a replay looped over the batch
        self.fingerprint = fingerprint
        self.places = places
        self.grads = [params[i] for i in replay.grads]
        written = [i for i in writes if i not in set(replay.grads)]
        self.written_only = [(params[i], writes[i]) for i in written]
        self.calls = 0


class CompiledStep:
    """A compiled training step (see ``compile``). ``source`` is the generated code of the latest
    record; ``fallback_reason`` says why the step runs on the engine (``None`` while it does
    not)."""

    def __init__(self, fn: Callable[..., Any], has_aux: bool = False, backend: str = "auto"
                 ) -> None:
        self.fn = fn
        self.has_aux = has_aux
        self.backend = backend  # "auto" until the first recording decides
        self.backend_note = ""  # why Python runs the replay where Numba was asked or possible
        self.fallback_reason: str | None = None
        self.records = 0  # recordings made
        self.replays = 0  # calls answered by a replay
        self._records: dict[tuple, list[_Record]] = {}  # by shape, the latest used first
        self._functions: dict[str, Replay] = {}  # compiled code, by its source
        self._latest: _Record | None = None
        self._known: list[Value] = []
        self._met_new = False
        self._short_lived = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError("a compiled step takes its inputs as positional arguments; pass "
                            "other settings to the step's function through a closure")
        if mode.get() or self.fallback_reason is not None:  # no_grad, detect_anomaly, recording
            return self._on_engine(args)
        key, numbers = flatten(args)
        alternatives = self._records.get(key)
        if alternatives and self._reaches_the_same(alternatives[0]):
            missed = None
            for i, record in enumerate(alternatives):
                result = self._replay(record, args, numbers)
                if not isinstance(result, _Missed):
                    if i:  # the graph built most recently is tried first next time
                        alternatives.insert(0, alternatives.pop(i))
                    return result
                missed = missed or result
            self._guard_failed(alternatives[0], missed.guard)  # (missed: the first's)
            if self.fallback_reason is not None:
                return self._on_engine(args)
        elif alternatives:
            del self._records[key]  # something the step reads outside its arguments changed
        return self._record(args, key)

    @property
    def source(self) -> str:
        """The generated code of the latest record (a comment when there is none)."""
        if self._latest is not None:
            return self._latest.replay.source
        if self.fallback_reason is not None:
            return "# runs on the engine: " + self.fallback_reason.replace("\n", " ") + "\n"
        return "# nothing recorded yet: the first call records the step\n"

    def __repr__(self) -> str:
        state = (f"runs on the engine: {self.fallback_reason}" if self.fallback_reason
                 else f"{_count(self.records, 'recording')}, {_count(self.replays, 'replay')}")
        backend = self.backend + (f" ({self.backend_note})" if self.backend_note else "")
        # A function's name; for another callable (fit's objective), its own name or its class's.
        name = getattr(self.fn, "__name__", None) or type(self.fn).__name__
        return f"CompiledStep({name}, {backend}, {state})"

    # ---------------------------------------------------------------- run -----------------

    def _reaches_the_same(self, record: _Record) -> bool:
        """Whether what the step reaches outside its arguments is as when ``record`` was made
        (the same for every record of one shape: a change drops them all)."""
        try:
            return record.fingerprint.holds(self.fn)
        except environment.TooMuchState:
            return False

    def _replay(self, record: _Record, args: tuple, numbers: list) -> Any:
        """The replay's result, its gradients written; ``_Missed`` when the step builds
        another graph this time (nothing written, nothing drawn)."""
        if record.split is None:
            shared, examples = numbers, ()
        else:
            shared, examples = record.split(numbers)
        values = [p.data for p in record.params]
        writes = record.writes
        olds = [p.grad for p in record.grads]
        starts = [writes[i] if i in writes else g for i, g in zip(record.replay.grads, olds)] \
            if writes else olds
        # A replay that stops part-way gives back what it drew: the engine's run draws it.
        drawn = [(g, g.getstate()) for g in record.generators]
        try:
            out = record.replay.function(shared, examples, values, starts, record.constants)
        except (ArithmeticError, ValueError, TypeError):
            out = AGAIN, None  # recording again runs the step, which raises it if it is real
        if out[0] is AGAIN:
            for generator, state in drawn:
                generator.setstate(state)
            return _Missed(out[1])
        *results, grads = out
        _write(record.grads, grads, olds, record.written_only)
        record.calls += 1
        self.replays += 1
        return tuple(results) if self.has_aux else results[0]

    def _guard_failed(self, record: _Record, guard: int | None) -> None:
        self._short_lived = self._short_lived + 1 if record.calls < MIN_CALLS else 0
        if self._short_lived >= SHORT_LIVED:
            last = ("its replay raised an error" if guard is None
                    else f"the question at {record.places[guard]} got another answer")
            self._fall_back(
                f"the step builds a different graph every few calls (last, {last}), so "
                f"recording costs more than replaying saves. Compiling pays when the step "
                f"builds the same graph call after call")

    def _on_engine(self, args: tuple) -> Any:
        root, aux = self._result(self.fn(*args))
        root.backward()
        return self._numbers(root, aux)

    # ---------------------------------------------------------------- record --------------

    def _record(self, args: tuple, key: tuple) -> Any:
        """Run the step on the engine while recording; keep the replay if it can be made;
        return the engine's result. The cyclic collector pauses meanwhile
        (``_collector_paused``)."""
        with _collector_paused():
            return self._record_step(args, key)

    def _record_step(self, args: tuple, key: tuple) -> Any:
        # The recording, which its followed numbers refer back to, is closed at the end: it
        # and the step's graph are freed at once rather than left for the collector to find.
        try:
            reached, fingerprint = environment.reach(self.fn)
        except environment.TooMuchState:
            self._fall_back(f"the step reaches more than {environment.MAX_OBJECTS:,} objects "
                            "outside its arguments, too many to watch for changes")
            return self._on_engine(args)
        known = list({id(v): v for v in self._known + reached}.values())
        recording = Recording()
        root, aux, results = self._run(args, known, recording)
        graph = forward_order(root)
        recording.plain_graph(graph)
        self.records += 1
        self._known = list({id(v): v for v in self._known + recording.params}.values())
        met_new, self._met_new = self._met_new, bool(recording.new)
        if recording.reason is not None:
            self._fall_back(recording.reason)
        elif recording.new:
            if met_new:  # new at every call: the step makes them
                self._fall_back(
                    f"the step makes a new Value from a plain number at every call "
                    f"({recording.new[0]}), and the compiler cannot tell where the number "
                    f"comes from. Pass it as an argument, write it as a plain number in the "
                    f"expression (0.5 * x rather than Value(0.5) * x), or make the Value once, "
                    f"outside the step")
        else:
            self._keep(key, args, recording, graph, results, fingerprint)
        if type(root).backward is Value.backward:
            backprop(root, graph=graph)  # root.backward(), on the order walked above
        else:
            root.backward()
        recording.close()
        return self._numbers(root, aux)

    def _run(self, args: tuple, known: list[Value], recording: Recording
             ) -> tuple[Value, Any, list[tuple]]:
        """Run the step on the engine while ``recording`` follows it: its loss, aux and result
        trees."""
        watching = False
        try:
            watching = watch_draws(True)
            mode_token = mode.set(mode.get() | RECORD)
            recorder_token = recorder.set(recording)
            try:
                recording.start(known)
                root, aux = self._result(self.fn(*_traced(args, recording)))
                results = [recording.result(root)]
                if self.has_aux:
                    results.append(recording.result(aux))
            finally:
                recorder.reset(recorder_token)
                mode.reset(mode_token)
                recording.finish()
        finally:
            if watching:
                watch_draws(False)
        return root, aux, results

    def _keep(self, key: tuple, args: tuple, recording: Recording, graph: list[Value],
              results: list[tuple], fingerprint: environment.Fingerprint) -> None:
        for entry in recording.entries:
            if entry.kind == "node" and entry.op not in RULES:
                self._fall_back(
                    f"the step uses the custom operation {entry.op!r}, whose local derivatives "
                    f"the compiler cannot read; write it with Value operations to compile it")
                return
        order = [j for j in map(recording.nodes.get, map(id, graph)) if j is not None]
        examples = _examples(args)
        ints = [i for i, x in enumerate(recording.inputs) if isinstance(x, TracedInt)]
        program = template.program(recording.entries, examples, len(recording.inputs),
                                   len(recording.params), recording.constants, order, results,
                                   recording.places, ints)
        try:
            replay = self._lower(program)
        except CannotCompile as why:
            self._fall_back(str(why))
            return
        writes = {i: recording.constants[c] for i, c in recording.grad_writes}
        self._latest = _Record(
            replay, list(recording.params), tuple(program.constants), writes,
            _Split(examples, len(recording.inputs)) if program.batched and examples else None,
            fingerprint, recording.places,
            list(recording.generators.values()))
        # The graphs met before with this shape, made where the step reached the same things.
        others = [r for r in self._records.pop(key, []) if r.fingerprint.key == fingerprint.key]
        if len(self._records) >= MAX_RECORDS:
            del self._records[next(iter(self._records))]
        self._records[key] = [self._latest, *others[:MAX_ALTERNATIVES - 1]]

    def _lower(self, program: template.Program) -> Any:
        """The replay run by the chosen backend: Numba's kernel (which writes and compiles the
        Python replay only if asked for its source or a call needs it), or the Python replay."""
        asked = self.backend
        if asked == "auto":
            self.backend, self.backend_note = numba_backend.choose(asked)
        if self.backend == "numba":
            try:
                return numba_backend.NumbaReplay(program, write, compile_source)
            except numba_backend.Unsupported as why:
                self.backend_note = f"the Numba kernel does not run {why}"
                self.backend = "python"
                if asked == "numba":
                    warnings.warn(f"autograd.compile: {self.backend_note}; this step runs on "
                                  f"the Python replay", CompileWarning,
                                  stacklevel=places.user_stacklevel(3))
        source, grads = write(program)
        replay = self._functions.get(source)
        if replay is None:
            replay = Replay(source, compile_source(source), grads)
            self._functions = {source: replay}  # the latest only: a new size reuses it
        return replay

    def _fall_back(self, reason: str) -> None:
        self.fallback_reason = reason
        self._records.clear()
        self._functions.clear()
        self._latest = None
        warnings.warn(f"autograd.compile: {reason}. This step runs on the engine from now on.",
                      CompileWarning, stacklevel=places.user_stacklevel(2))

    # ---------------------------------------------------------------- results -------------

    def _result(self, out: Any) -> tuple[Value, Any]:
        """The step's result as ``(loss, aux)``."""
        aux = None
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"with has_aux=True, the step's function must return a pair "
                                f"(loss, aux), got {type(out).__name__}")
            out, aux = out
        if not isinstance(out, Value):
            raise TypeError(
                f"a compiled step needs its function to return the loss as a Value, got "
                f"{type(out).__name__}. If it uses math.exp, float() or the like on Values, use "
                f"their own operations (x.exp(), ...): a plain number has no graph to replay")
        return out, aux

    def _numbers(self, root: Value, aux: Any) -> Any:
        loss = float(root.data)
        return (loss, _numbers(aux)) if self.has_aux else loss


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused (as it was, after). Recording and compiling a step
    make tens of thousands of objects with no cycle among them (nor in the engine's graphs),
    which the collector would only walk, again and again, for a tenth of the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _numbers(x: Any) -> Any:
    """The step's aux with every Value replaced by its number."""
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, Traced):
        return x.value
    if isinstance(x, list):
        return [_numbers(item) for item in x]
    if isinstance(x, tuple):
        return tuple(_numbers(item) for item in x)
    return x


def _write(params: list[Value], grads: Sequence[Any], olds: list,
           written: list[tuple[Value, Any]]) -> None:
    """Set each parameter's new gradient (and the ``.grad`` writes the step makes to others);
    interrupted (Ctrl-C), put every old one back, as backward() does."""
    before = [p.grad for p, _ in written]
    try:
        for p, g in written:
            p.grad = g
        for p, g in zip(params, grads):
            p.grad = g
    except BaseException:
        for p, g in zip(params, olds):
            p.grad = g
        for (p, _), g in zip(written, before):
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


def _examples(args: tuple) -> list[list[int]] | None:
    """Each example's input numbers (their indices among the flattened numbers) when the
    arguments hold a batch (lists or tuples, all of one length N >= 2), else None."""
    lengths = {len(a) for a in args if type(a) in (list, tuple)}
    batched = tuple(type(a) in (list, tuple) for a in args)
    if len(lengths) != 1 or min(lengths) < 2:
        return None
    n = lengths.pop()
    examples: list[list[int]] = [[] for _ in range(n)]
    at = 0
    for a, is_batch in zip(args, batched):
        if not is_batch:
            at += len(flatten((a,))[1])
            continue
        for i, item in enumerate(a):
            count = len(flatten((item,))[1])
            examples[i] += range(at, at + count)
            at += count
    return examples


class _Split:
    """How ``flatten``'s numbers divide into the shared numbers and each example's, as the
    template reads them: ``examples`` are ``_examples``' places, the shared numbers the rest,
    in order. Each example's places are read by a slice per input (the first example's place,
    every ``step`` places on), zipped into the examples at C speed, when evenly spaced."""

    def __init__(self, examples: list[list[int]], inputs: int) -> None:
        taken = set(itertools.chain.from_iterable(examples))
        self.shared = [i for i in range(inputs) if i not in taken]
        self.examples = examples
        # None: the examples' places are not evenly spaced (or there are none to zip)
        self.slices: list[slice] | None = None
        n = len(examples)
        if n >= 2 and examples[0]:
            first = examples[0]
            steps = [b - a for a, b in zip(first, examples[1])]
            if all(step > 0 for step in steps) and examples == [
                    [a + i * step for a, step in zip(first, steps)] for i in range(n)]:
                self.slices = [slice(a, a + (n - 1) * step + 1, step)
                               for a, step in zip(first, steps)]

    def __call__(self, numbers: list) -> tuple[list, list]:
        shared = [numbers[i] for i in self.shared]
        if self.slices is None:
            return shared, [[numbers[i] for i in places] for places in self.examples]
        return shared, list(zip(*[numbers[s] for s in self.slices]))


def _traced(args: tuple, recording: Recording) -> tuple:
    """The arguments as the step receives them while recording: each number a followed one,
    in the order ``flatten`` lists them."""
    def walk(x: Any) -> Any:
        kind = type(x)
        if kind is list or kind is tuple:
            return kind(walk(item) for item in x)
        return recording.input(x if kind is float or kind is int else _number(x))
    return tuple(walk(a) for a in args)


def _number(x: object) -> int | float:
    """A number among the arguments, as a plain int or float (a NumPy scalar, a subclass of
    float with a repr of its own: the number, never its type)."""
    from numbers import Integral, Real

    if isinstance(x, (Integral, Real)) and not isinstance(x, bool) and \
            not isinstance(x, Traced):
        return plain(x)
    hint = " (call .tolist() on an array)" if hasattr(x, "tolist") else ""
    raise TypeError(f"a compiled step takes numbers and (nested) lists or tuples of numbers "
                    f"as arguments, got {type(x).__name__}{hint}; pass anything else to the "
                    f"step's function through a closure")
