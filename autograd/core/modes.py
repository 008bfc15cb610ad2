"""Contexts that change how operations record: ``no_grad()`` and ``detect_anomaly()``.

The current mode lives in a ``contextvars.ContextVar``, so it belongs to one thread or one
asyncio task: ``no_grad()`` in one thread never stops another thread from recording its graph.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, ContextDecorator
from contextvars import ContextVar, Token
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: Mode flags; 0 (the default) records graphs and checks nothing.
NO_GRAD = 1
ANOMALY = 2
#: ``autograd.compile`` is recording a step: the engine tells ``recorder`` what it does.
RECORD = 4

mode: ContextVar[int] = ContextVar("autograd_mode", default=0)

#: While RECORD is set, the recording in progress (``autograd.compiled.recording.Recording``).
#: The engine calls three of its methods: ``node(out, data, parents, op, no_grad)`` for each
#: new node (``no_grad``: made inside ``no_grad()``), returning the number the node keeps as its
#: data; ``number(x, op)`` for a number that is
#: neither a float nor an int, returning what the engine uses; and ``backward()`` when a
#: backward pass starts.
recorder: ContextVar[Any] = ContextVar("autograd_recorder", default=None)


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` where the first non-finite number appears."""


class _Mode(ContextDecorator):
    """A context manager and decorator that sets (or clears) a mode flag while it is active.

    As a decorator it applies to each call of the function; on a generator function, to each
    step of the generator (the code between two ``yield``), as PyTorch's ``no_grad`` does, and
    never to the code that iterates over it.
    """

    def __init__(self, flag: int, on: bool = True) -> None:
        self._flag, self._on = flag, on
        self._tokens: list[Token[int]] = []

    def __enter__(self) -> None:
        flags = mode.get()
        self._tokens.append(mode.set(flags | self._flag if self._on else flags & ~self._flag))

    def __exit__(self, *exc: object) -> None:
        mode.reset(self._tokens.pop())

    def _recreate_cm(self) -> _Mode:
        # A fresh one per call: a decorated function running in two threads at once must not
        # share one stack of tokens.
        return _Mode(self._flag, self._on)

    def __call__(self, func: F) -> F:
        if inspect.isgeneratorfunction(func):
            return self._each_step(func)  # type: ignore[return-value]
        return super().__call__(func)

    def _each_step(self, func: Callable[..., Generator]) -> Callable[..., Generator]:
        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Generator:
            with self._recreate_cm():
                steps = func(*args, **kwargs)
                try:
                    sent = steps.send(None)
                except StopIteration as done:
                    return done.value
            while True:
                try:
                    received = yield sent
                except GeneratorExit:
                    with self._recreate_cm():
                        steps.close()
                    raise
                except BaseException as error:  # thrown into us: throw it into func's steps
                    with self._recreate_cm():
                        try:
                            sent = steps.throw(error)
                        except StopIteration as done:
                            return done.value
                else:
                    with self._recreate_cm():
                        try:
                            sent = steps.send(received)
                        except StopIteration as done:
                            return done.value

        return generator


def no_grad() -> AbstractContextManager[None]:
    """Context (or decorator) in which operations build no graph, as ``torch.no_grad()``.

    Results are plain leaves: ``.parents == ()`` and ``.op == ""``. Use it for evaluation and
    for parameter updates, where recording would only cost time and memory::

        with no_grad():
            test_loss = loss(model(x), y)   # nothing to backpropagate through
    """
    return _Mode(NO_GRAD)


def detect_anomaly() -> AbstractContextManager[None]:
    """Context (or decorator) that raises ``AnomalyError`` at the first non-finite number.

    In the forward pass, the first operation whose result is ``inf`` or ``nan`` raises, naming the
    operation and its inputs (``log(0.0) = -inf``). In ``backward()``, the first non-finite
    gradient contribution raises, naming the operation it flowed back through. Checking every
    number costs time; use it to find where a loss went ``nan``, not for every run.
    """
    return _Mode(ANOMALY)


def enable_grad() -> AbstractContextManager[None]:
    """Context (or decorator) that records graphs again inside a ``no_grad()`` block, as
    ``torch.enable_grad()``. ``autograd.grad`` uses it: a derivative needs its graph wherever it
    is asked for."""
    return _Mode(NO_GRAD, on=False)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return not mode.get() & NO_GRAD
