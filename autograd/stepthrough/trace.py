"""Backward, one step at a time: ``trace_backward(L)`` runs backprop and records every ``+=``.

``backward()`` visits the nodes in reverse topological order (each node after every node that
uses it, so its gradient is complete) and passes its gradient to each parent (lecture 003)::

    dL/dx += dL/dy * dy/dx        for each parent x of the node y

A ``Trace`` is that loop written down. Step 0 is the seed ``dL/dL = 1``; then one ``Step`` per
node with parents, in the order applied, and for each parent the local derivative dy/dx, the
contribution, and dL/dx before and after. ``trace[k]`` is the step numbered k in ``explain()``
and in the player. Values are named as in every picture (``autograd.node_names``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, overload

from autograd.core.files import write_atomically
from autograd.core.format import format_number
from autograd.core.rules import RULES, exponent
from autograd.core.value import Value, backprop
from autograd.pictures.draw import value_list
from autograd.pictures.names import d_name, made_up, name_nodes, printable
from autograd.pictures.options import PictureOptions
from autograd.pictures.themes import Theme
from autograd.stepthrough.output import (
    PLAYER_MAX_NODES,
    display_html,
    page_html,
    steps_contents,
    steps_extension,
)

__all__ = ["ParentUpdate", "Step", "Trace", "trace_backward"]


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

    Step 0 is the seed: the output itself, ``dL/dL = 1``, with no updates. Every later step is a
    node with parents, after every node that uses it.

    Attributes:
        index: the step's number, 0 for the seed, 1 for the output's step...: ``trace[index]``.
        node: the Value whose gradient is passed on (the output, for the seed).
        name: its name (``autograd.node_names``).
        upstream: dL/dnode, complete by the time the step runs (1 for the seed).
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
        """One chain-rule line per parent: ``dL/dw1 += dL/dn * dn/dw1 = 0.5 * 2.0 = 1.0``;
        for the seed, ``dL/dL = 1``.

        Names longer than a letter and digits are bracketed (``d(dot1)/dx1``). The local
        derivative is d(node)/d(parent), with the node's own name; at the output's step that
        name is L itself, so its formula stands there instead (``d(tanh(n))/dn``).
        """
        out = d_name(self.output)
        if not self.updates:
            return [f"{out}/{out} = 1"]
        # d(L)/dx would read as the gradient being computed: say what L is instead.
        node = d_name(self.expression() if self.name == self.output else self.name)
        g = format_number(self.upstream)
        lines = []
        for u in self.updates:
            parent = d_name(u.name)
            line = (f"{out}/{parent} += {out}/{d_name(self.name)} * {node}/{parent} = "
                    f"{g} * {format_number(u.local_grad)} = {format_number(u.contribution)}")
            if u.grad_before != 0:  # accumulation: a second path into the same value
                line += (f"  ({out}/{parent}: {format_number(u.grad_before)} -> "
                         f"{format_number(u.grad_after)})")
            lines.append(line)
        return lines

    def expression(self) -> str:
        """The node's operation applied to its parents' names: ``add1 + b``, ``tanh(n)``."""
        return op_formula(printable(self.node.op), [u.name for u in self.updates])

    def formula(self) -> str:
        """How the node was computed, with names: ``n = add1 + b``, ``o = tanh(n)``; for the
        seed (step 0), ``start``."""
        if not self.updates:
            return "start"
        return f"{self.name} = {self.expression()}"

    def __str__(self) -> str:
        return "\n".join(self.lines())


class Trace(Sequence[Step]):
    """The steps of one backward pass, in the order applied (``len``, indexing, iteration):
    ``trace[0]`` is the seed dL/dL = 1, then one step per node that has parents (leaves have
    nothing to pass on). ``trace[k]`` is the step numbered k in ``explain()`` and the player.

    ``explain()`` prints the whole table; ``save("steps.html")`` writes a step-by-step player
    (one picture per step, previous/next buttons and a slider; a plain self-contained page), which
    is also how a trace displays in Jupyter.
    """

    def __init__(self, root: Value, nodes: list[Value], names: dict[Value, str],
                 steps: list[Step], params: frozenset[Value] = frozenset()) -> None:
        self.root = root
        #: Values the player colours as parameters besides ``Parameter``s (``params``)
        self.params = params
        self.steps = tuple(steps)
        #: every value of the graph, inputs first; with the data and names as they were traced
        self.nodes = tuple(nodes)
        self.names = names
        self.data = {node: node.data for node in nodes}
        self.made_up_names = made_up(nodes)

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

    def explain(self, file: TextIO | None = None) -> None:
        """Print the whole backward pass as a table: step 0, the seed dL/dL = 1, then one
        chain-rule line per ``+=``, each step numbered k as ``trace[k]`` is.

        The text is ``str(trace)``. Nothing is returned, so a notebook cell that ends with
        ``trace.explain()`` shows the table once.
        """
        print(self, file=file)

    def __str__(self) -> str:
        head = (f"backward from {self.output} = {format_number(self.data[self.root])}: one "
                "step per node, each after every node that uses it")
        formulas = [f"{s.index}. {s.formula()}" for s in self.steps]
        width = min(max((len(f) for f in formulas), default=0), 40)
        rows = [head]
        for formula, step in zip(formulas, self.steps):
            for i, line in enumerate(step.lines()):
                rows.append(f"{formula if i == 0 else '':<{width}}  {line}")
        return "\n".join(rows)

    def __repr__(self) -> str:
        return (f"<Trace: steps 0 to {len(self.steps) - 1} of backward from {self.output} = "
                f"{format_number(self.data[self.root])}; .explain() prints them>")

    def to_html(self, rankdir: str = "LR", max_nodes: int | None = None, *,
                theme: str | Theme = "light") -> str:
        """The step player as a complete HTML page (see ``save``)."""
        return page_html(self, _options(theme, rankdir, max_nodes))

    def save(self, path: str | os.PathLike, rankdir: str = "LR",
             max_nodes: int | None = None, *, theme: str | Theme = "light",
             dpi: float | None = None, seconds_per_step: float = 2.0,
             overwrite: bool = False) -> Path:
        """Write the steps to ``path``, in the format its extension names; returns the path.

        - ``.html``: the step player, one frame per step (the graph with the gradients known so
          far, the current node and edges highlighted) with previous/next buttons and a slider.
          Self-contained (no network: pictures are inline SVG, the script inline); where scripts
          do not run it shows every frame, one after another; without Graphviz, text frames.
        - ``.gif``, ``.apng``, ``.webp``: an animation for slides (PowerPoint, Keynote, Google
          Slides), one frame per step, each shown ``seconds_per_step`` seconds, looping; every
          frame has the same layout and size, so nodes never move. ``dpi`` sets its resolution
          (Graphviz's default is 96; 150 or 200 for a projector).
        - ``.pdf``: one vector page per step, for Beamer (``\\includegraphics[page=k]``) and
          for print.
        - ``.tex``: a Beamer document, one overlay per step: a TikZ picture with Graphviz's
          layout, the step's narration under it (``pdflatex`` compiles it as it is).

        Animations and PDF pages show each step's title and chain-rule lines above the graph.
        ``theme`` is ``"light"``, ``"dark"`` or ``"print"`` as for ``draw_dot``. Graphs with
        more than ``max_nodes`` values (default 100) are refused with ``GraphTooLargeError``:
        one picture per step grows as the square of the graph. The file is written atomically
        (see ``autograd.core.files``); a read-only file is replaced only with ``overwrite=True``.
        """
        contents = self.file_contents(path, rankdir, max_nodes, theme=theme, dpi=dpi,
                                      seconds_per_step=seconds_per_step)
        return write_atomically(path, contents, overwrite=overwrite)

    def file_contents(self, path: str | os.PathLike, rankdir: str = "LR",
                      max_nodes: int | None = None, *, theme: str | Theme = "light",
                      dpi: float | None = None, seconds_per_step: float = 2.0) -> bytes:
        """The bytes ``save(path, ...)`` writes (the format from ``path``'s extension)."""
        extension = steps_extension(path)
        return steps_contents(self, extension, _options(theme, rankdir, max_nodes, dpi=dpi,
                                                        seconds_per_step=seconds_per_step))

    def _repr_html_(self) -> str:
        return display_html(self)


def _options(theme: str | Theme, rankdir: str, max_nodes: int | None, *,
             dpi: float | None = None, seconds_per_step: float = 2.0) -> PictureOptions:
    """The checked options of a trace's pictures; ``max_nodes=None`` is the step pictures' own
    limit, ``PLAYER_MAX_NODES``."""
    return PictureOptions(theme=theme, rankdir=rankdir, dpi=dpi, seconds_per_step=seconds_per_step,
                          max_nodes=PLAYER_MAX_NODES if max_nodes is None else max_nodes)


def trace_backward(root: Value, params: Iterable[Value] = ()) -> Trace:
    """Run ``root.backward()`` and record each step: the same ``.grad`` values result.

    The player's pictures colour ``Parameter`` values (``nn``'s weights and biases) as
    parameters, as ``draw_dot`` does; ``params`` names more Values to colour so.

    Gradients accumulate as with ``backward()``: this pass computes dL/dx from zero (the
    ``grad_before``/``grad_after`` of the steps are this pass's), then adds it to whatever
    ``.grad`` held. Inside ``detect_anomaly()`` the first non-finite contribution raises.
    """
    if not isinstance(root, Value):
        raise TypeError(f"trace_backward needs a Value (the output), got {type(root).__name__}")
    params = frozenset(value_list(params, "trace_backward params"))
    recorded: list[tuple[Value, float, list[tuple]]] = []
    nodes = backprop(root, record=lambda *step: recorded.append(step))
    names = name_nodes(nodes, root)
    output = names[root]
    steps = [Step(0, root, output, 1.0, (), output)]  # the seed, dL/dL = 1
    steps += [Step(index, node, names[node], upstream,
                   tuple(ParentUpdate(parent, names[parent], *numbers)
                         for parent, *numbers in updates), output)
              for index, (node, upstream, updates) in enumerate(recorded, start=1)]
    return Trace(root, nodes, names, steps, params)


def op_formula(op: str, args: list[str]) -> str:
    """``op`` written with its arguments' names, as its rule writes it (``rules.Rule.text``):
    ``x * w``, ``x**2``, ``tanh(n)``, ``-x``; a ``dot`` as its sum, ``w1*x1 + w2*x2 + b``."""
    rule = RULES.get(op)
    if rule is not None and rule.arity is None:  # a dot: its pairs, then the bias
        terms = [f"{args[i]}*{args[i + 1]}" for i in range(0, len(args) - 1, 2)]
        if len(args) % 2:
            terms.append(args[-1])
        return " + ".join(terms)
    if rule is not None and rule.arity == len(args):
        return rule.text.format(*args)
    if exponent(op) is not None and len(args) == 1:
        return f"{args[0]}{op}"
    return f"{op}({', '.join(args)})"
