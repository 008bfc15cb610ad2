"""A graph's worked solution: what backprop knows about every value, read once.

Exercises grade against it (within a ``Tolerance``) and the mistakes lab compares its wrong
passes with it. For every value v of the graph of L it holds v's name, its data,
d(node)/d(parent) on every edge (the local derivatives) and dL/dv (lecture 003)::

    dL/dL = 1;   dL/dx = sum over the uses y of x:  dL/dy * dy/dx

The gradients come from ``autograd.gradients``, which leaves every ``.grad`` as it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from autograd.core.value import Constant, Value, closure_local_grads, forward_order, gradients
from autograd.pictures.draw import GraphTooLargeError
from autograd.pictures.names import node_names

#: Exercises and the mistakes lab draw every value: more than this is no exercise.
MAX_NODES = 100

#: Students round: right means within 1% of the expected number, or within 0.005 of it (half the
#: last digit of an answer rounded to two decimals), whichever is larger.
RTOL = 0.01
ATOL = 0.005

#: An edge of the graph: (the value computed, the position of the parent among its parents).
Edge = tuple[Value, int]


@dataclass(frozen=True)
class Tolerance:
    """How close a number must be to backprop's: |yours - expected| <= max(rtol |expected|,
    atol)."""

    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

    def close(self, yours: float, expected: float) -> bool:
        if yours == expected:  # also equal infinities
            return True
        return abs(yours - expected) <= max(self.rtol * abs(expected), self.atol)

    def __str__(self) -> str:
        return (f"right means within {self.rtol:.0%} of the expected value, or within "
                f"{self.atol:g} of it for answers near zero")


@dataclass(frozen=True, eq=False)
class Solution:
    """Everything backprop computes for the graph of ``root``, with the data as it was.

    Attributes:
        root: the output L.
        nodes: every value, each after its parents (``forward_order``).
        names: each value's name (``node_names``).
        data: each value's number.
        local: each value's local derivatives d(value)/d(parent), one per parent, in order.
        uses: for each value, the edges out of it, ``(child, position)``: ``x * x`` is two.
        grads: dL/dv for every value.
        held: the ``.grad`` each value held when the solution was made (an earlier backward's).
    """

    root: Value
    nodes: tuple[Value, ...]
    names: dict[Value, str]
    data: dict[Value, float]
    local: dict[Value, tuple[float, ...]]
    uses: dict[Value, list[Edge]]
    grads: dict[Value, float]
    held: dict[Value, float]

    @property
    def output(self) -> str:
        """The output's name, the L of dL/dv."""
        return self.names[self.root]

    def d(self, node: Value) -> str:
        """``dL/dv`` written with names: ``dy/dx``."""
        return f"d{self.output}/d{self.names[node]}"

    def parent(self, edge: Edge) -> Value:
        child, i = edge
        return child.parents[i]

    def local_of(self, edge: Edge) -> float:
        child, i = edge
        return self.local[child][i]

    def edge_name(self, edge: Edge) -> str:
        """``dz1/dx``; ``dmul1/dx#2`` for the second edge when a value is used twice."""
        child, i = edge
        parent = child.parents[i]
        text = f"d{self.names[child]}/d{self.names[parent]}"
        if child.parents.count(parent) > 1:
            text += f"#{child.parents[:i + 1].count(parent)}"
        return text

    def edges(self) -> list[Edge]:
        """Every edge, in the order backward passes gradients along them, but for those from
        the numbers written into the expression (constants), whose gradients nobody needs."""
        return [(child, i) for child in reversed(self.nodes)
                for i, parent in enumerate(child.parents) if not isinstance(parent, Constant)]

    def backward_order(self) -> list[Value]:
        """Every value, each after every value that uses it: the order of a backward pass."""
        return list(reversed(self.nodes))

    def graded(self) -> list[Value]:
        """The values whose gradients a student works out: all but the output (dL/dL = 1 is
        where backprop starts) and the numbers written into the expression (``Constant``)."""
        return [v for v in self.backward_order()
                if v is not self.root and not isinstance(v, Constant)]


def solve(root: Value, what: str) -> Solution:
    """Work out the graph of ``root``; ``what`` names the caller in errors ("make an exercise of").

    Refuses a lone value (nothing to backpropagate through) and graphs of more than
    ``MAX_NODES`` values (``GraphTooLargeError``)."""
    if not isinstance(root, Value):
        raise TypeError(f"cannot {what} a {type(root).__name__}: pass the output Value of a "
                        "computation, e.g. L = x * w + b")
    if not root.parents:
        raise ValueError(f"cannot {what} a single Value: it was computed from nothing, so there "
                         "is no graph to backpropagate through; pass the output of an expression")
    order = forward_order(root)
    if len(order) > MAX_NODES:
        raise GraphTooLargeError(
            f"cannot {what} a graph of {len(order):,} values: more than {MAX_NODES} is too many "
            f"to work by hand or to draw; take a smaller piece, e.g. one neuron's output or the "
            f"loss on a single example with a small network")
    nodes = _parents_first(order)
    local = {node: tuple(closure_local_grads(node) if node.local_grads is None
                         else node.local_grads) for node in nodes}
    uses: dict[Value, list[Edge]] = {node: [] for node in nodes}
    for child in nodes:
        for i, parent in enumerate(child.parents):
            uses[parent].append((child, i))
    return Solution(
        root=root, nodes=tuple(nodes), names=node_names(root),
        data={node: node.data for node in nodes}, local=local, uses=uses,
        grads={node: _number(g) for node, g in gradients(root).items()},
        held={node: _number(node.grad) for node in nodes})


def _parents_first(order: list[Value]) -> list[Value]:
    """``forward_order`` with every input listed just before its first use, in argument order.

    The engine's walk lists an input when it first reaches it, which may be well before the node
    that uses it: harmless for backward, where inputs pass nothing on, but an exercise lists the
    values in the order they were computed, and asks each gradient after the ones it needs.
    """
    placed: set[Value] = set()
    listed: list[Value] = []
    for node in order:
        if not node.parents:
            continue  # listed with its first use
        for parent in node.parents:
            if not parent.parents and parent not in placed:
                placed.add(parent)
                listed.append(parent)
        listed.append(node)
    return listed


def _number(grad: float | Value | None) -> float:
    if grad is None:
        return 0.0
    return grad.data if isinstance(grad, Value) else float(grad)
