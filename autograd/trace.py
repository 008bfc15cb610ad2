"""Backward, one step at a time: ``trace_backward(L)`` runs backprop and records every ``+=``.

``backward()`` visits the nodes in reverse topological order (each node after every node that
uses it, so its gradient is complete) and passes its gradient to each parent (lecture 003)::

    dL/dx += dL/dy * dy/dx        for each parent x of the node y

A ``Trace`` is that loop written down: one ``Step`` per node with parents, in the order applied,
and for each parent the local derivative dy/dx, the contribution, and dL/dx before and after.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, overload

from autograd.draw import value_list
from autograd.engine import Constant, Value, backprop
from autograd.files import write_atomically
from autograd.format import format_number
from autograd.names import label_text, printable

__all__ = ["ParentUpdate", "Step", "Trace", "trace_backward"]

#: Names for unlabeled results, by operation: the 2nd unlabeled product is "mul2".
_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "neg": "neg"}


@dataclass(frozen=True, eq=False)
class ParentUpdate:
    """One ``dL/dparent += dL/dnode * dnode/dparent`` of a step.

    Attributes:
        parent: the Value receiving gradient.
        name: its name in the narration (its label, or a made-up one such as ``mul1``).
        local_grad: dnode/dparent, the local derivative.
        contribution: dL/dnode * dnode/dparent.
        grad_before: dL/dparent before the ``+=`` (in this backward pass).
        grad_after: dL/dparent after it.
    """

    parent: Value
    name: str
    local_grad: float
    contribution: float
    grad_before: float
    grad_after: float


@dataclass(frozen=True, eq=False)
class Step:
    """Backprop through one node: its gradient passed on to each of its parents.

    Attributes:
        index: 1 for the first step applied (the output's), 2 for the next...
        node: the Value whose gradient is passed on.
        name: its name in the narration.
        upstream: dL/dnode, complete by the time the step runs.
        updates: one ``ParentUpdate`` per parent, in argument order (``x * x`` has two).
        output: the output's name (the L in dL/dx).
    """

    index: int
    node: Value
    name: str
    upstream: float
    updates: tuple[ParentUpdate, ...]
    output: str

    def lines(self) -> list[str]:
        """One chain-rule line per parent: ``dL/dw1 += dL/dn * dn/dw1 = 0.5 * 2.0 = 1.0``."""
        out, node, g = self.output, self.name, format_number(self.upstream)
        lines = []
        for u in self.updates:
            line = (f"d{out}/d{u.name} += d{out}/d{node} * d{node}/d{u.name} = "
                    f"{g} * {format_number(u.local_grad)} = {format_number(u.contribution)}")
            if u.grad_before != 0:  # accumulation: a second path into the same value
                line += (f"  (d{out}/d{u.name}: {format_number(u.grad_before)} -> "
                         f"{format_number(u.grad_after)})")
            lines.append(line)
        return lines

    def formula(self) -> str:
        """How the node was computed, with names: ``n = add1 + b``, ``o = tanh(n)``."""
        args = [u.name for u in self.updates]
        return f"{self.name} = {_formula(printable(self.node.op), args)}"

    def __str__(self) -> str:
        return "\n".join(self.lines())


class Trace(Sequence[Step]):
    """The steps of one backward pass, in the order applied (``len``, indexing, iteration):
    one per node that has parents; leaves have nothing to pass on.

    ``explain()`` prints the whole table; ``save("steps.html")`` writes a step-by-step player
    (one picture per step, previous/next buttons and a slider; a plain self-contained page), which
    is also how a trace displays in Jupyter.
    """

    def __init__(self, root: Value, nodes: list[Value], names: dict[Value, str],
                 steps: list[Step], params: frozenset[Value] = frozenset()) -> None:
        self.root = root
        #: the leaves the player colours as parameters (``trace_backward``'s ``params``)
        self.params = params
        self.steps = tuple(steps)
        #: every value of the graph, inputs first; with the data and names as they were traced
        self.nodes = tuple(nodes)
        self.names = names
        self.data = {node: node.data for node in nodes}
        self.made_up_names = {node for node in nodes if not node.label}

    @property
    def output(self) -> str:
        """The output's name: its label, or ``L``."""
        return self.names[self.root]

    def __len__(self) -> int:
        return len(self.steps)

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Step, ...]: ...

    def __getitem__(self, index: int | slice) -> Step | tuple[Step, ...]:
        return self.steps[index]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def explain(self, file: TextIO | None = None) -> str:
        """Print the whole backward pass, one chain-rule line per ``+=``; also return the text."""
        text = str(self)
        print(text, file=file)
        return text

    def __str__(self) -> str:
        out = self.output
        head = (f"backward from {out} = {format_number(self.data[self.root])}: start with "
                f"d{out}/d{out} = 1; then {len(self.steps)} "
                f"{'step' if len(self.steps) == 1 else 'steps'}, each node after every node "
                "that uses it")
        formulas = [f"{s.index}. {s.formula()}" for s in self.steps]
        width = min(max((len(f) for f in formulas), default=0), 40)
        rows = [head]
        for formula, step in zip(formulas, self.steps):
            for i, line in enumerate(step.lines()):
                rows.append(f"{formula if i == 0 else '':<{width}}  {line}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return (f"<Trace: {len(self.steps)} steps of backward from {self.output} = "
                f"{format_number(self.data[self.root])}; .explain() prints them>")

    def to_html(self, rankdir: str = "LR", max_nodes: int | None = None) -> str:
        """The step player as a complete HTML page (see ``save``)."""
        from autograd.player import PLAYER_MAX_NODES, player_html  # it imports this module

        return player_html(self, rankdir=rankdir, page=True,
                           max_nodes=PLAYER_MAX_NODES if max_nodes is None else max_nodes)

    def save(self, path: str | os.PathLike, rankdir: str = "LR",
             max_nodes: int | None = None, *, overwrite: bool = False) -> Path:
        """Write the step player to ``path`` (``.html``): one frame per step, the graph with the
        gradients known so far and the current node and edges highlighted, with previous/next
        buttons and a slider.

        The page is self-contained (no network: pictures are inline SVG, the script inline).
        Where scripts do not run it shows every frame, one after another. Without Graphviz the
        frames are text. Graphs with more than ``max_nodes`` values (default 100) are refused
        with ``GraphTooLargeError``: one picture per step grows as the square of the graph.
        The page is written atomically (see ``autograd.files``); a read-only file is replaced
        only with ``overwrite=True``.
        """
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(f"cannot save the step player as {str(path)!r}: it is an HTML "
                             "page; use a name ending in .html")
        return write_atomically(path, self.to_html(rankdir, max_nodes), overwrite=overwrite)

    def _repr_html_(self) -> str:
        from autograd.player import player_html_or_message  # it imports this module

        return player_html_or_message(self)


def trace_backward(root: Value, params: Iterable[Value] = ()) -> Trace:
    """Run ``root.backward()`` and record each step: the same ``.grad`` values result.

    ``params`` (e.g. ``neuron.parameters()``) are coloured as parameters in the player's
    pictures, as with ``draw_dot``.

    Gradients accumulate as with ``backward()``: this pass computes dL/dx from zero (the
    ``grad_before``/``grad_after`` of the steps are this pass's), then adds it to whatever
    ``.grad`` held. Inside ``detect_anomaly()`` the first non-finite contribution raises.
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward needs a Value (the output), got {type(root).__name__}")
    params = frozenset(value_list(params, "trace_backward params"))
    recorded: list[tuple[Value, float, list[tuple]]] = []
    nodes = backprop(root, record=lambda *step: recorded.append(step))
    names = readable_names(nodes, root)
    steps = [Step(index, node, names[node], upstream,
                  tuple(ParentUpdate(parent, names[parent], *numbers)
                        for parent, *numbers in updates), names[root])
             for index, (node, upstream, updates) in enumerate(recorded, start=1)]
    return Trace(root, nodes, names, steps, params)


def readable_names(nodes: list[Value], root: Value) -> dict[Value, str]:
    """A name for each of ``nodes`` (in ``forward_order``): its label (made printable, see
    ``autograd.names``); the output's is ``L`` if unlabeled; others are named by operation and
    counted in the order the expression reads: ``mul1``, ``tanh1``, ``const1`` (a number in the
    expression), ``leaf1`` (an unlabeled input)."""
    labels = {node: label_text(node) for node in nodes}
    taken = set(labels.values())
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in nodes:
        if labels[node]:
            names[node] = labels[node]
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


def _word(node: Value) -> str:
    if not node.parents:
        return "const" if isinstance(node, Constant) else "leaf"
    if node.op.startswith("**"):
        return "pow"
    return _OP_WORDS.get(node.op) or re.sub(r"\W", "", node.op) or "op"


def _formula(op: str, args: list[str]) -> str:
    if op in ("+", "-", "*", "/", "**") and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    if op.startswith("**") and len(args) == 1:
        return f"{args[0]}{op}"
    if op == "neg":
        return f"-{args[0]}"
    if op == "dot":
        terms = [f"{args[i]}*{args[i + 1]}" for i in range(0, len(args) - 1, 2)]
        if len(args) % 2:
            terms.append(args[-1])
        return " + ".join(terms)
    return f"{op}({', '.join(args)})"
