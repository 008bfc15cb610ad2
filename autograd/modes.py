"""Contexts that change how operations record: ``no_grad()`` and ``detect_anomaly()``.

The current mode lives in a ``contextvars.ContextVar``, so it belongs to one thread or one
asyncio task: ``no_grad()`` in one thread never stops another thread from recording its graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

#: Mode flags; 0 (the default) records graphs and checks nothing.
NO_GRAD = 1
ANOMALY = 2

mode: ContextVar[int] = ContextVar("autograd_mode", default=0)


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` where the first non-finite number appears."""


@contextmanager
def _with_flag(flag: int) -> Iterator[None]:
    token = mode.set(mode.get() | flag)
    try:
        yield
    finally:
        mode.reset(token)


def no_grad() -> AbstractContextManager[None]:
    """Context (or decorator) in which operations build no graph, as ``torch.no_grad()``.

    Results are plain leaves: ``.parents == ()`` and ``.op == ""``. Use it for evaluation and
    for parameter updates, where recording would only cost time and memory::

        with no_grad():
            test_loss = loss(model(x), y)   # nothing to backpropagate through
    """
    return _with_flag(NO_GRAD)


def detect_anomaly() -> AbstractContextManager[None]:
    """Context (or decorator) that raises ``AnomalyError`` at the first non-finite number.

    In the forward pass, the first operation whose result is ``inf`` or ``nan`` raises, naming the
    operation and its inputs (``log(0.0) = -inf``). In ``backward()``, the first non-finite
    gradient contribution raises, naming the operation it flowed back through. Checking every
    number costs time; use it to find where a loss went ``nan``, not for every run.
    """
    return _with_flag(ANOMALY)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Context (or decorator) that records graphs again inside a ``no_grad()`` block, as
    ``torch.enable_grad()``. ``autograd.grad`` uses it: a derivative needs its graph wherever it
    is asked for."""
    token = mode.set(mode.get() & ~NO_GRAD)
    try:
        yield
    finally:
        mode.reset(token)


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return not mode.get() & NO_GRAD
