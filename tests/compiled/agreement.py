"""The compiled step against the engine, call by call: the same loss and gradients, bit for bit
(and the same draws consumed), or a ``CompileWarning`` saying why the step runs on the engine."""

from __future__ import annotations

import random
import struct
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import autograd
from autograd import CompileWarning, Value


def bits(x: object) -> object:
    """A number as a test compares it: a float by its bits (every nan alike), an int by type
    and value."""
    if isinstance(x, float):
        return "nan" if x != x else struct.pack("<d", x)
    return (type(x).__name__, x)


def one_call(step: Callable[..., Any], fn: Callable[..., Value], params: Sequence[Value],
             args: tuple, rng: random.Random | None = None) -> tuple[tuple, tuple]:
    """``(engine's, step's)`` loss, gradients (from 0.0) and, with ``rng``, its state after the
    call: the engine runs first, then ``rng`` is rewound so that the step draws the same."""
    state = rng.getstate() if rng is not None else None
    for p in params:
        p.grad = 0.0
    loss = fn(*args)
    loss.backward()
    expected = (bits(loss.data), [bits(p.grad) for p in params],
                rng.getstate() if rng is not None else None)
    if rng is not None:
        rng.setstate(state)
    for p in params:
        p.grad = 0.0
    got = (bits(step(*args)), [bits(p.grad) for p in params],
           rng.getstate() if rng is not None else None)
    return expected, got


def agree(fn: Callable[..., Value], calls: Sequence[tuple], params: Sequence[Value],
          between: Callable[[int], None] | None = None, rng: random.Random | None = None,
          backend: str = "auto") -> tuple[autograd.CompiledStep, list]:
    """Compile ``fn``; on every call (``between(k)`` first) the step and the engine agree bit
    for bit. Returns the step and the CompileWarnings given."""
    step = autograd.compile(fn, backend=backend)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k, args in enumerate(calls):
            if between is not None:
                between(k)
            expected, got = one_call(step, fn, params, args, rng)
            assert got == expected, (k, step.source)
    return step, [w for w in caught if issubclass(w.category, CompileWarning)]
