"""Freeing a deep graph one node at a time, for platforms whose stack is small.

A node refers to its parents, and nothing else refers to them on a chain: when the last
reference to its result goes, freeing the result frees its parent, which frees its parent, and
so on, each free nested inside the one before. CPython bounds that nesting itself. Under Pyodide
(``sys.platform == "emscripten"``: Python compiled to WebAssembly, in a browser or in Node) the
WebAssembly engine's own call stack overflows first, after a few thousand nested frees, and the
kernel dies with "Maximum call stack size exceeded".

``release`` is ``Value.__del__`` where ``SMALL_STACK`` is true. Python calls it as the last
reference to a node goes, before the node lets go of its parents. It takes the parents out of
the node into a queue of its own, so that they outlive the node, and the outermost call then lets
go of them one at a time: a parent freed that way runs ``release`` in turn, which only queues
its own parents and returns, because the outermost call is still emptying the queue. However
deep the graph, frees nest one level. CPython keeps its speed: there, ``Value`` has no
``__del__`` at all (the tests switch it on to test the mechanism).
"""

from __future__ import annotations

import sys

#: True where Python runs on a small stack: WebAssembly (Pyodide in a browser or Node, WASI).
SMALL_STACK = sys.platform in ("emscripten", "wasi")

#: What freed nodes referred to, waiting to be let go of by the outermost ``release``.
_queue: list[object] = []
_emptying = False


def release(node: object) -> None:
    """Free what ``node`` refers to through a queue instead of nested calls (``Value.__del__``).

    A node's references to other nodes are its ``parents`` and, after
    ``backward(create_graph=True)``, its gradient (a Value with a graph of its own). Both go into
    the queue; the outermost call empties it, and each node freed meanwhile adds its own. One
    thread at a time: Pyodide, where this runs, has one.
    """
    global _emptying
    # Taken out of the node, and held by the queue alone (no local name): the node lets go of
    # what it still holds right after this call, and this call of its locals as it returns;
    # either would free the parents there and then, nested as before.
    # (getattr: a Value whose __init__ refused its arguments is freed before it had any.)
    if getattr(node, "parents", ()):
        _queue.append(node.parents)
        node.parents = ()
    if getattr(node, "grad", 0.0).__class__ is not float:
        _queue.append(node.grad)
        node.grad = 0.0
    if _emptying:
        return
    _emptying = True
    try:
        while _queue:
            _queue.pop()  # the last reference: freeing it may queue more, never nest deeper
    finally:
        _emptying = False
