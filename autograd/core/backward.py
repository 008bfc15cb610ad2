"""The backward pass: the multivariable chain rule, each node after every node that uses it.

The whole idea (lecture 003), which ``chain_rule`` below is::

    L.grad = 1.0                                   # dL/dL = 1
    for node in topological_order(L):              # L first, each node before its parents
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad       # dL/dparent += dnode/dparent * dL/dnode

``backward`` wraps it in three named phases, so that it can run on a graph that already holds
gradients, and accumulates as PyTorch's does:

1. ``from_zero``: each node's gradient from an earlier pass is set aside; this pass starts
   from zero, so an interior node's old gradient is never propagated a second time;
2. ``chain_rule``;
3. ``add_back``: the old gradients are added to this pass's (``gradients()`` reads this pass's
   instead and puts the old ones back).

If anything interrupts the pass (an error, ``detect_anomaly``, Ctrl-C), ``from_zero`` leaves
every ``.grad`` exactly as it was before it.

Beside ``chain_rule``, ``chain_rule_watched`` is the same loop for the slow modes, one parent
at a time: gradients that are Values (``create_graph=True``), anomaly checks, and a recorder
that sees every step (``trace_backward``). A micrograd-style node (``local_grads is None``)
runs its own ``_backward`` closure in both: the step it takes is the user's, and a debugging
mode records what the closure did rather than computing something else.

The graph algorithms here know only a node's ``parents``, ``local_grads``, ``grad``, ``op``
and ``_backward`` (the minitorch way), so this module needs nothing of ``Value`` itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from autograd.core.format import format_number
from autograd.core.modes import ANOMALY, NO_GRAD, RECORD, AnomalyError, mode, recorder
from autograd.core.rules import NO_FLOW, VALUES, rule_of

Node = Any  # a Value: anything with parents, local_grads, grad, op and _backward

#: trace_backward's recorder: called once per node with parents, after its step, with the
#: node, dL/dnode and, per parent, ``(parent, local derivative, contribution, before, after)``.
Recorder = Callable[[Node, float, list[tuple[Node, float, float, float, float]]], None]

#: Nodes and the gradients an earlier pass had left in them, set aside by this pass.
Saved = list[tuple[Node, Any]]


# ---------------------------------------------------------------- the order ----------------

def forward_order(root: Node) -> list[Node]:
    """Every node of ``root``'s graph, each after its parents, in the order the expression
    reads: ``x1*w1 + x2*w2`` lists x1, w1, x1*w1, x2, w2, x2*w2, the sum.

    The one walk of the graph: backward goes through it in reverse, pictures and the
    step-through name and draw nodes in it. A depth-first search, parents in argument order,
    iterative, so depth is limited by memory, not by Python's recursion limit.

    From a node the walk goes straight on into its first unseen operation; the nodes walked
    through form a ``run``, listed backwards (deepest first) once finished. Parents still unseen
    behind the one walked into wait on the stack, above the run, so they are listed before it,
    in argument order. A leaf has nothing to wait for: it is listed as soon as its turn comes,
    and at the latest when another node that uses it is reached. (So a shared leaf may be listed
    earlier than a recursive search would list it; never after a node that uses it.) Walking
    runs rather than pushing every node keeps the walk from allocating an object per node, which
    on a long chain would keep the cyclic collector busy.
    """
    order: list[Node] = []
    seen: set[Node] = set()
    # Leaves waiting on the stack. One that a deeper node uses is listed there and then, rather
    # than waiting a second time: on a chain x = x * a + c that keeps c from waiting at every
    # link (three times the work).
    waiting_leaves: set[Node] = set()
    mark = seen.add

    def list_leaf(leaf: Node) -> None:
        mark(leaf)
        order.append(leaf)

    stack: list = [root]
    push, pop = stack.append, stack.pop
    while stack:
        item = pop()
        if type(item) is list:  # a finished run
            item.reverse()
            order += item
            continue
        if type(item) is tuple:  # (leaf,): a leaf whose turn has come, unless listed already
            if item[0] not in seen:
                list_leaf(item[0])
            continue
        if item in seen:  # waited, and was reached another way meanwhile
            continue
        if not item.parents:  # the root is a leaf
            list_leaf(item)
            continue
        node = item
        run = [node]
        push(run)
        while True:
            mark(node)
            walk_on = None
            waiting = None
            for parent in node.parents:
                if parent in seen:
                    continue
                if not parent.parents:  # a leaf
                    if walk_on is None or parent in waiting_leaves:
                        list_leaf(parent)  # its turn, or this node is the first to use it
                    else:
                        waiting_leaves.add(parent)
                        waiting = waiting or []
                        waiting.append((parent,))
                elif walk_on is None:
                    walk_on = parent
                else:
                    waiting = waiting or []
                    waiting.append(parent)
            if walk_on is None:
                break
            if waiting:  # they come off the stack in argument order, before this run
                waiting.reverse()
                stack += waiting
                run = []
                push(run)
            run.append(walk_on)
            node = walk_on
    return order


def topological_order(root: Node) -> list[Node]:
    """Every node of ``root``'s graph, each before its parents (root first): the order in
    which backward visits nodes, each after every node that uses it."""
    order = forward_order(root)
    order.reverse()
    return order


# ---------------------------------------------------------------- the chain rule -----------

def chain_rule(order: list[Node]) -> None:
    """dL/dparent += dnode/dparent * dL/dnode for every node in ``order`` (root first): the hot
    loop of every training step."""
    for node in order:
        local = node.local_grads
        if local is NO_FLOW:  # relu(x <= 0), step, x ** 0: nothing flows back
            continue
        if local is None:  # a micrograd-style node: its closure takes the step
            node._backward()
            continue
        g = node.grad
        if len(local) == 2:  # most nodes: two parents, unpacked without a zip object per node
            (a, b), (da, db) = node.parents, local
            a.grad += da * g
            b.grad += db * g
        else:
            for parent, d in zip(node.parents, local):
                parent.grad += d * g


def chain_rule_watched(order: list[Node], create_graph: bool = False, check: bool = False,
                       record: Recorder | None = None) -> None:
    """``chain_rule`` one parent at a time, for the slow modes.

    ``create_graph``: local derivatives as Values (each rule evaluated with ``rules.VALUES``),
    so gradients are Values with graphs of their own. ``check`` (``detect_anomaly``): the
    first non-finite contribution raises ``AnomalyError``. ``record``: see ``Recorder``.
    """
    for node in order:
        if node.local_grads is None:  # a closure's step, leaf or not: the user's own
            updates = _closure_step(node, create_graph)
        elif node.parents:
            updates = _rule_step(node, create_graph)
        else:
            continue
        if check:
            for parent, _, contribution, _, _ in updates:
                _check_contribution(node, parent, contribution)
        if record is not None and node.parents:
            record(node, node.grad, updates)


def _rule_step(node: Node, create_graph: bool) -> list[tuple]:
    g = node.grad
    local = local_values(node) if create_graph else node.local_grads
    flows = node.local_grads is not NO_FLOW
    updates = []
    for parent, d in zip(node.parents, local):
        contribution = d * g if flows else 0.0
        old = parent.grad
        # Starting from the contribution itself keeps "0.0 + ..." out of gradient graphs.
        fresh = create_graph and type(old) is float and old == 0.0
        parent.grad = contribution if fresh else old + contribution
        updates.append((parent, d, contribution, old, parent.grad))
    return updates


def _closure_step(node: Node, create_graph: bool) -> list[tuple]:
    """A micrograd-style node's step, taken by its own closure: the update each parent gets is
    what the closure added to it, whatever it does with dL/dnode (clip it, ignore it)."""
    if create_graph:
        raise RuntimeError(
            f"backward(create_graph=True) cannot differentiate through the micrograd-style "
            f"node {node.op!r}: its _backward closure works on numbers; build it from Value "
            f"operations, or use create_graph=False")
    local = closure_local_grads(node)
    parents = node.parents
    before = {p: p.grad for p in parents}
    node._backward()
    updates = []
    counted: set = set()
    for parent, d in zip(parents, local):
        old = before[parent]
        # A parent listed twice (x * x) gets both of its contributions at its first place.
        contribution = 0.0 if parent in counted else parent.grad - old
        after = parent.grad if parent not in counted else old
        counted.add(parent)
        updates.append((parent, d, contribution, old, after))
    return updates


def local_values(node: Node) -> tuple:
    """A node's local derivatives as Values (``create_graph``): its rule, evaluated on Values."""
    found = rule_of(node)
    if found is None:
        raise RuntimeError(
            f"backward(create_graph=True) cannot differentiate through the custom operation "
            f"{node.op!r}: its local derivatives are numbers, not Values; use "
            f"create_graph=False")
    rule, params = found
    return rule.local(VALUES, node, *node.parents, *params)


def closure_local_grads(node: Node) -> tuple[float, ...]:
    """The local derivatives of a micrograd-style node, read off its ``_backward`` closure:
    run with dL/dnode = 1 and every parent's gradient at 0, it adds d(node)/d(parent) to each
    parent. Every ``.grad`` is left as it was. A parent listed twice (``x * x``) receives both
    of its derivatives at once; they are counted at its first place."""
    parents = node.parents
    kept = [(p, p.grad) for p in parents]
    upstream = node.grad
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = 1.0
        node._backward()
        found = [p.grad for p in parents]
    finally:
        for p, old in kept:
            p.grad = old
        node.grad = upstream
    counted: set = set()
    local = []
    for p, d in zip(parents, found):
        local.append(0.0 if p in counted else _number(d, f"{node.op!r}'s _backward"))
        counted.add(p)
    return tuple(local)


# ---------------------------------------------------------------- the phases ---------------

@contextmanager
def from_zero(order: list[Node]) -> Iterator[Saved]:
    """Phase 1, and the net under phases 2 and 3: every non-zero ``.grad`` on ``order`` (and
    ``None``, PyTorch's "no gradient yet") is set aside, leaving 0.0, and handed to the block,
    which computes this pass's gradients from zero. If the block is interrupted (an error, an
    anomaly, Ctrl-C), every ``.grad`` is put back as it was before."""
    saved: Saved = []
    set_aside = False
    try:
        for node in order:
            if node.grad != 0.0:
                saved.append((node, node.grad))
                node.grad = 0.0
        set_aside = True
        yield saved
    except BaseException:
        if set_aside:
            restore(order, saved)
        else:  # interrupted while setting aside: put back only what was moved
            for node, old in saved:
                node.grad = old
        raise


def add_back(saved: Saved) -> None:
    """Phase 3 of ``backward()``: gradients accumulate, as in PyTorch (``None`` counts as no
    gradient)."""
    for node, old in saved:
        if old is not None:
            node.grad = old + node.grad


def restore(nodes: Iterable[Node], saved: Saved) -> None:
    """Leave ``.grad`` on ``nodes`` exactly as it was before a pass set ``saved`` aside."""
    for node in nodes:
        node.grad = 0.0
    for node, old in saved:
        node.grad = old


def backprop(root: Node, *, create_graph: bool = False, record: Recorder | None = None,
             graph: list[Node] | None = None) -> list[Node]:
    """``root.backward()``: add d(root)/d(node) to every node's ``.grad``; return the graph's
    nodes in ``forward_order``. The modes (``create_graph``, ``detect_anomaly()``, ``record``)
    take ``chain_rule_watched``; plain floats take ``chain_rule``. ``graph``: the caller's
    ``forward_order(root)``, when it has walked the graph already (left as it is)."""
    check = _modes(create_graph)
    order = topological_order(root) if graph is None else graph[::-1]
    with from_zero(order) as saved:  # 1. earlier gradients set aside, restored on failure
        root.grad = 1.0  # 2. dL/dL = 1, then the chain rule
        if create_graph or check or record is not None:
            chain_rule_watched(order, create_graph, check, record)
        else:
            chain_rule(order)
        add_back(saved)  # 3. gradients accumulate
    order.reverse()
    return order


def gradients(root: Node, create_graph: bool = False) -> dict[Node, Any]:
    """d(root)/d(node) for every node of ``root``'s graph; every ``.grad`` is left as it was.

    The functional form behind ``autograd.grad``: the same pass as ``root.backward()``, read,
    and then the old gradients put back. Like ``backward()``, it must not run on a graph another
    thread is backpropagating through.
    """
    check = _modes(create_graph)
    order = topological_order(root)
    with from_zero(order) as saved:
        root.grad = 1.0
        if create_graph or check:
            chain_rule_watched(order, create_graph, check)
        else:
            chain_rule(order)
        found = {node: node.grad for node in reversed(order)}
        restore(order, saved)
    return found


def _modes(create_graph: bool) -> bool:
    """What the modes in force ask of a pass; True where ``detect_anomaly()`` checks it."""
    flags = mode.get()
    if flags & RECORD:  # autograd.compile is recording: the step's backward is part of it
        recorder.get().backward()
    if create_graph and flags & NO_GRAD:
        raise RuntimeError("backward(create_graph=True) inside no_grad(): no graph can be built "
                           "for the gradients; leave the no_grad() block first")
    return bool(flags & ANOMALY)


# ---------------------------------------------------------------- messages -----------------

def _check_contribution(node: Node, parent: Node, contribution: Any) -> None:
    number = contribution.data if hasattr(contribution, "data") else contribution
    if not math.isfinite(number):
        inputs = ", ".join(format_number(p.data) for p in node.parents)
        name = f" {parent.label!r}" if parent.label else ""
        raise AnomalyError(
            f"detect_anomaly: backward through {node.op}({inputs}) gave a non-finite gradient "
            f"{number} for its input{name} = {format_number(parent.data)}")


def _number(x: object, where: str) -> float:
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return float(x)
    if hasattr(x, "data"):
        raise TypeError(f"{where} left a Value in a gradient; it must add numbers")
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{where} left a {type(x).__name__} in a gradient; it must add "
                        "numbers") from None
