"""Checking a graph's gradients against PyTorch: ``torch_gradients(root)``.

``gradcheck`` compares backprop with central differences; this compares it with PyTorch. The
graph that made ``root`` is computed again with PyTorch tensors, one float64 scalar tensor per
leaf and, for every node, the PyTorch function of the same operation
(``a * b`` -> ``a * b``, ``tanh`` -> ``torch.tanh``, ``dot`` -> ``torch.dot(a, b) + bias``, ...).
PyTorch's own autograd then differentiates it, so the numbers it returns owe nothing to this
engine's derivative formulas::

    >>> L = (x * w + b).tanh()
    >>> L.backward()
    >>> ours, theirs = x.grad, torch_gradients(L)[x]      # equal to rounding

PyTorch is optional: it is imported when ``torch_gradients`` is called, and a missing install
gets an ``ImportError`` that says what to install.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from autograd.core.rules import rule_of
from autograd.core.value import Value, forward_order

# A plain `pip install torch` (or the project's torch extra) on Linux pulls a CUDA build of several
# GB; the Makefile installs a CPU build.
INSTALL_HINT = ("make torch in a backprop-lab checkout (a CPU build into .venv), or pip install "
                "torch --index-url https://download.pytorch.org/whl/cpu")


def import_torch(needed_by: str) -> Any:
    """``import torch``, or an ``ImportError`` saying that ``needed_by`` needs it and how to get
    it (PyTorch is an optional extra)."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{needed_by} needs PyTorch, which is not installed here: "
                          f"{INSTALL_HINT}") from None
    return torch


def _name(node: Value) -> str:
    return f"the operation {node.op!r}" + (f" ({node.label})" if node.label else "")


def _rule(node: Value) -> Callable[..., Any]:
    """The node's operation on tensors: its rule's ``torch`` (autograd/core/rules.py)."""
    found = rule_of(node)
    if found is not None:
        rule, params = found
        return lambda torch, *parents: rule.torch(torch, *parents, *params)
    if node.local_grads is None:  # made micrograd's way, Value(data, _children, _op)
        raise ValueError(
            f"torch_gradients cannot recompute {_name(node)}: a node made micrograd's way is "
            f"recomputed from its _op, and this one is not an engine operation's name ('+', "
            f"'*', '**2', 'tanh', 'exp', 'relu', ...). Name it as the engine does, or check its "
            f"_backward against central differences with gradcheck.")
    raise ValueError(
        f"torch_gradients cannot recompute {_name(node)}: it is not one of the engine's "
        f"operations but one written by hand (custom_op), and PyTorch cannot know its "
        f"formula. Check its derivative against central differences with gradcheck instead.")


def _recompute(torch: Any, node: Value, rule: Callable[..., Any], parents: list) -> Any:
    """The node's tensor from its parents'. A micrograd-style node carries only a name for its
    operation, so its own number is checked against what that operation gives."""
    try:
        out = rule(torch, *parents)
    except TypeError:  # a micrograd-style node with the wrong number of children
        raise ValueError(f"torch_gradients cannot recompute {_name(node)} from "
                         f"{len(parents)} children") from None
    if node.local_grads is None:
        theirs = out.item()
        if not (theirs == node.data or math.isclose(theirs, node.data, rel_tol=1e-9,
                                                     abs_tol=1e-12)
                or (math.isnan(theirs) and math.isnan(node.data))):
            raise ValueError(
                f"torch_gradients: the micrograd-style node {_name(node)} holds "
                f"{node.data!r}, but {node.op} of its children is {theirs!r}; its forward "
                f"computation does not match its _op, so its gradient cannot be checked")
    return out


def torch_gradients(root: Value) -> dict[Value, float]:
    """PyTorch's d(root)/d(leaf) for every leaf of ``root``'s graph, keyed by the leaf Value.

    The graph is recomputed with float64 PyTorch tensors (one per leaf, ``requires_grad=True``)
    and differentiated by ``torch.autograd.grad``; nothing of this engine's ``backward`` is used,
    and no ``.grad`` is changed. Compare with ``root.backward()``::

        grads = torch_gradients(L)
        L.backward()
        assert all(math.isclose(v.grad, grads[v], rel_tol=1e-12, abs_tol=1e-15) for v in grads)

    Leaves include the constants of an expression (the 2 in ``2 * x``), as ``backward`` gives
    them gradients too. Every engine operation is covered. A node made micrograd's way,
    ``Value(data, (a, b), "+")`` with a ``_backward`` of your own, is recomputed from its ``_op``
    (micrograd's names: ``+``, ``*``, ``**2``, ``tanh``, ``exp``, ``ReLU``), so this checks your
    ``_backward`` against PyTorch. A ``custom_op`` node is refused with a ``ValueError``: its
    formula is yours alone, so PyTorch cannot know it (use ``gradcheck``).
    """
    if not isinstance(root, Value):
        raise TypeError(f"torch_gradients takes the Value to differentiate (a loss), got "
                        f"{type(root).__name__}")
    torch = import_torch("torch_gradients")
    order = forward_order(root)  # every operation after its parents (leaves: anywhere)
    leaves = [node for node in order if not node.parents]
    rules = [(node, _rule(node)) for node in order if node.parents]  # refuse before any work
    with torch.enable_grad():  # even inside a caller's torch.no_grad()
        tensors = {leaf: torch.tensor(leaf.data, dtype=torch.float64, requires_grad=True)
                   for leaf in leaves}
        for node, rule in rules:
            tensors[node] = _recompute(torch, node, rule, [tensors[p] for p in node.parents])
        if not tensors[root].requires_grad:  # every path from the leaves passes a step
            return {leaf: 0.0 for leaf in leaves}
        found = torch.autograd.grad(tensors[root], [tensors[leaf] for leaf in leaves],
                                    allow_unused=True)
    return {leaf: 0.0 if g is None else g.item() for leaf, g in zip(leaves, found)}
