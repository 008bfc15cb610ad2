"""Names for the values of a graph: ``node_names(L)``, the one naming every picture shares.

A value's name is its label. Values without one still need a name in the pictures, the
step-through and its narration: the output is ``L`` (the lectures' loss), and every other value
is named by its operation and counted in the order the expression reads, so in
``tanh(x*w + 2*x)`` the products are ``mul1`` (x*w) and ``mul2`` (2*x), their sum ``add1``, the
number 2 ``const1``. ``draw_dot``, the step player, ``Trace.explain()`` and the command line all
use these names, so a value is called the same everywhere.
"""

from __future__ import annotations

import re

from autograd.engine import Constant, Value, forward_order

__all__ = ["made_up", "name_nodes", "node_names"]

#: Names for unlabeled results, by operation: the 2nd unlabeled product is "mul2".
_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "neg": "neg"}


def node_names(root: Value) -> dict[Value, str]:
    """A name for every value of ``root``'s graph, the same in every picture and narration.

    A value's name is its ``label``; the output without a label is ``L`` (``L1``, ``L2`` if an
    input is already called that); other unlabeled values are named by their operation and
    numbered in the order the expression reads (``forward_order``): ``mul1``, ``add1``,
    ``tanh1``, ``dot1``, ``const1`` for a number written into the expression, ``leaf1`` for an
    unlabeled input. A made-up name never repeats a label in use.

        >>> from autograd import Value
        >>> x, w = Value(2.0, label="x"), Value(3.0, label="w")
        >>> names = node_names((x * w + 2 * x).tanh())
        >>> sorted(names.values())
        ['L', 'add1', 'const1', 'mul1', 'mul2', 'w', 'x']

    The names depend only on the graph's shape and labels, so building the same expression
    twice names it the same way.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names needs a Value (the output), got {type(root).__name__}")
    return name_nodes(forward_order(root), root)


def name_nodes(nodes: list[Value], root: Value) -> dict[Value, str]:
    """``node_names`` for a graph already listed in ``forward_order`` (spares a second walk)."""
    taken = {node.label for node in nodes if node.label}
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in nodes:
        if node.label:
            names[node] = node.label
        elif node is root:  # the lectures' L, unless an input is called that already
            names[node] = next(name for name in ("L", *(f"L{i}" for i in range(1, len(nodes) + 2)))
                               if name not in taken)
        else:
            word = _word(node)
            while True:
                counts[word] = counts.get(word, 0) + 1
                name = f"{word}{counts[word]}"
                if name not in taken:
                    break
            names[node] = name
    return names


def made_up(nodes: list[Value]) -> set[Value]:
    """The values whose names ``node_names`` made up (no label): pictures set them in italics."""
    return {node for node in nodes if not node.label}


def _word(node: Value) -> str:
    if not node.parents:
        return "const" if isinstance(node, Constant) else "leaf"
    if node.op.startswith("**"):
        return "pow"
    return _OP_WORDS.get(node.op) or re.sub(r"\W", "", node.op) or "op"
