"""Clocks and memory probes: how the suite turns a program into numbers.

Timing is fair by construction: the contenders take turns within each round (the order flips
every round, so neither always runs first), and ``gc.collect()`` runs untimed before every timed
block, so one engine's garbage is never collected on another engine's clock. Garbage-collector
settings are left as the user has them, except where a measurement's definition says otherwise
(memory after ``del`` with the collector off), and then restored.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: Stack for a thread that recurses once per node (micrograd's backward on a long chain).
DEEP_STACK_BYTES = 512 * 1024 * 1024


def take_turns(contenders: dict[str, Callable[[int], dict[str, float]]], rounds: int
               ) -> dict[str, dict[str, list[float]]]:
    """Run every contender once per round, alternating the order; collect its timings.

    A contender is called with the round number and returns its timed quantities, in seconds
    (e.g. ``{"forward": ..., "backward": ...}``); it may return ``None`` for a quantity it could
    not measure. Result: contender -> quantity -> one entry per round.
    """
    names = list(contenders)
    results: dict[str, dict[str, list[float]]] = {name: {} for name in names}
    for k in range(rounds):
        for name in names if k % 2 == 0 else reversed(names):
            for quantity, seconds in contenders[name](k).items():
                results[name].setdefault(quantity, []).append(seconds)
    return results


def timed(block: Callable[[], T]) -> tuple[T, float]:
    """``block()``'s result and the seconds it took, after an untimed ``gc.collect()``."""
    gc.collect()
    start = time.perf_counter()
    result = block()
    return result, time.perf_counter() - start


def without_collector(block: Callable[[], T]) -> T:
    """``block()`` with the cyclic garbage collector switched off (then as it was): a
    micrograd step's graph is reference cycles, and most of its time with the collector on
    goes into the collector chasing them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return block()
    finally:
        if enabled:
            gc.enable()


def run_fresh(block: Callable[[], T]) -> T:
    """``block()`` run at the top of a new thread, as if called from a script's top level: the
    call depth it can reach does not depend on how deep the suite itself is. Its exception, if
    any, is raised here."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = block()
        except BaseException as error:  # handed over to the calling thread below
            outcome["error"] = error

    thread = threading.Thread(target=target, name="bench-block")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_deep(block: Callable[[], T], depth: int) -> T:
    """``block()`` run in a new thread with room for ``depth`` nested Python calls.

    For recursive code such as micrograd's topological sort, which needs one call per node of a
    chain. The recursion limit is raised for the call and restored afterwards; the block's
    exception (``RecursionError`` if even that is not enough) is raised here.
    """
    old_limit, old_stack = sys.getrecursionlimit(), threading.stack_size()
    try:
        sys.setrecursionlimit(max(old_limit, depth + 1_000))
        threading.stack_size(DEEP_STACK_BYTES)
        return run_fresh(block)
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)


@dataclass(frozen=True)
class Memory:
    """Bytes per node of a graph while it is alive, and what is left once its last reference is
    dropped with the cyclic garbage collector off (what reference counting alone gives back),
    with the number of objects the collector then had to find."""

    alive: float
    after_del: float
    unreachable: int

    @property
    def freed_by_refcount(self) -> bool:
        """True when dropping the graph gave it all back without the cyclic collector."""
        return self.unreachable == 0 and self.after_del <= 0.02 * self.alive


def memory_per_node(build: Callable[[], Any], nodes: int) -> Memory:
    """Traced memory of ``build()``'s result per node, alive and after ``del``.

    The collector is off from the start until after the ``del``, so that what stays allocated
    is what reference counting could not free; ``gc.collect()`` then counts the objects it had
    to find, and the collector's state is restored. ``build()`` runs twice: first to fill
    CPython's free lists (memory they keep is not the graph's leftovers), then measured.
    ``build()`` should use inputs made beforehand, so that only the graph is counted.
    """
    was_tracing = tracemalloc.is_tracing()
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    if not was_tracing:
        tracemalloc.start()
    try:
        warm_up = build()
        del warm_up
        # The youngest generation only: a full collection would empty the free lists again.
        gc.collect(0)
        before = tracemalloc.get_traced_memory()[0]
        graph = build()
        alive = tracemalloc.get_traced_memory()[0] - before
        del graph
        after = tracemalloc.get_traced_memory()[0] - before
        unreachable = gc.collect()
    finally:
        if not was_tracing:
            tracemalloc.stop()
        if was_enabled:
            gc.enable()
    return Memory(alive / nodes, max(after, 0) / nodes, unreachable)


def deepest(runs: Callable[[int], bool], start: int, limit: int) -> tuple[int, bool]:
    """The largest n <= ``limit`` for which ``runs(n)`` holds, assuming it holds up to some n.

    Doubles n from ``start`` until ``runs`` fails, then bisects between the last success and
    the first failure. Returns ``(n, reached_limit)``; ``(start - 1, False)`` if even ``start``
    fails.
    """
    good, bad = start - 1, None
    n = start
    while n < limit:
        if not runs(n):
            bad = n
            break
        good, n = n, 2 * n
    if bad is None:
        if runs(limit):
            return limit, True
        bad = limit
    while bad - good > 1:
        middle = (good + bad) // 2
        if runs(middle):
            good = middle
        else:
            bad = middle
    return good, False
