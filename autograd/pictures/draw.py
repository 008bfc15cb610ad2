"""Pictures of computation graphs: ``draw_dot(root)``, micrograd's function, made for teaching.

Each value is a box with its label, data and grad; each operation is a small oval of its own
between the values it combines and the value it makes. Edges point the way the forward pass
goes (parent -> operation -> result); backprop walks them backwards.

The DOT text is written here directly rather than with the ``graphviz`` package, so a graph's
text exists (and can be saved or read) even where no Graphviz is installed.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from autograd.core.format import format_number
from autograd.core.value import Constant, Parameter, Value, forward_order
from autograd.pictures.names import made_up, name_nodes, printable
from autograd.pictures.render import Graph, GraphvizError, RendererNotFoundError
from autograd.pictures.themes import THEMES, Theme, get_theme
from autograd.pictures.tikz import latex_text

__all__ = ["COLORS", "MAX_NODES", "Graph", "GraphTooLargeError", "GraphvizError",
           "RendererNotFoundError", "draw_dot"]

#: Above this many values a picture is unreadable and slow to lay out; ``max_nodes`` overrides.
MAX_NODES = 500

#: The default (light) theme's fill colours by kind of node, and the colour of highlighted nodes
#: and edges: parameters blue (what training changes), inputs yellow (the data fed in),
#: constants grey (numbers written into the expression), the output green (where backward
#: starts), intermediate values white, operations lavender, highlights orange-red.
COLORS = {**{kind: THEMES["light"].fills[kind] for kind in
             ("parameter", "input", "constant", "output", "value", "operation")},
          "highlight": THEMES["light"].highlight}

#: How graded numbers look in the light theme (each theme has its own ``verdicts``):
#: right? -> (fill, mark, border colour, border style, border width).
VERDICT_LOOKS = THEMES["light"].verdicts

RANKDIRS = ("LR", "TB")


class GraphTooLargeError(ValueError):
    """A graph has more values than a picture can usefully show (see ``max_nodes``)."""


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    params: Iterable[Value] = (),
    highlight: Value | Iterable[Value] | None = None,
    highlight_paths_from: Value | Iterable[Value] | None = None,
    max_nodes: int = MAX_NODES,
    theme: str | Theme = "light",
) -> Graph:
    """A picture of the graph that computed ``root``: every value and operation behind it.

    Each value node shows ``name | data | grad`` (grad after ``root.backward()``; numbers with at
    most 4 decimals). The name is the value's label (characters a picture cannot show, such as
    control characters, written as escapes like ``\\x01``); values without one get the name the
    step player and ``Trace.explain()`` use (``autograd.node_names``: ``mul1``, ``tanh1``, the
    output ``L``), in italics. Each operation (``+``, ``*``, ``tanh``, ``**2``, ``dot`` ...) is
    its own small node. Every use of a value is its own edge: ``x * x`` draws two edges from
    ``x`` to ``*``.

    Colour legend (fill colours of the default theme, also in ``COLORS``; Paul Tol's
    colour-blind-safe "light" scheme):

    - blue ``#77aadd``: parameters (``autograd.Parameter``, as ``nn`` makes every weight and
      bias, and the leaves passed in ``params``);
    - yellow ``#eedd88``: inputs (every other leaf Value);
    - grey ``#d0d0d0``: constants (numbers written into the expression, ``autograd.Constant``);
    - green ``#44bb99``: the output, ``root``;
    - white: intermediate values;
    - lavender ``#ece2f0``: operations (small ovals);
    - orange-red ``#d55e00`` thick border or edge: highlighted.

    ``theme="dark"`` puts the same colours on a dark background (for dark slides);
    ``theme="print"`` is greyscale and tells the kinds apart by their outline: parameters
    double, inputs square-cornered, constants dashed, the output with clipped corners,
    highlights thick and black (see ``autograd.pictures.themes``).

    Args:
        root: the output, e.g. the loss L.
        format: the picture format of ``render()`` and ``pipe()``: ``"svg"``, ``"png"`` or
            ``"pdf"`` (micrograd's ``draw_dot(root, format='svg', rankdir='LR')`` order).
        rankdir: ``"LR"`` (left to right, inputs on the left) or ``"TB"`` (top to bottom).
        show_grad: False hides the grad column (for pictures drawn before ``backward()``).
        params: more Values to colour as parameters (``Parameter`` instances need not be
            listed); ones not in this graph are ignored.
        highlight: Values whose boxes get the highlight border.
        highlight_paths_from: a Value (or several): highlight every path from it to ``root``:
            the nodes and edges backprop goes through to compute dL/dw. For the exercise
            "highlight the weights used in computing dC/dw11", pass ``w11``: the weights used
            are the other inputs of the highlighted operations, whose values are the local
            derivatives multiplied along the paths.
        max_nodes: refuse graphs with more values than this (``GraphTooLargeError``) before any
            layout work; raise it to draw a large graph anyway.
        theme: ``"light"`` (default), ``"dark"`` or ``"print"``.

    Returns:
        A ``Graph``: ``.source`` is the DOT text, ``.save("g.svg")`` writes svg/png/pdf/dot,
        ``.save("g.png", dpi=300)`` a sharper picture, ``.save("g.tex")`` a TikZ picture for
        LaTeX, and Jupyter displays it inline. Like the graphviz ``Digraph`` micrograd's
        ``draw_dot`` returns, ``.render("gout")`` writes ``gout`` (DOT) and ``gout.svg`` and
        ``.pipe()`` gives the picture's bytes.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value (the output), got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), "
                         f"got {rankdir!r}")
    look = get_theme(theme)
    nodes = graph_nodes(root, max_nodes, "draw")
    members = set(nodes)
    marked = _members(highlight, members, "highlight")
    sources = _members(highlight_paths_from, members, "highlight_paths_from")
    on_path = _on_paths(nodes, sources)
    path_ops = {n for n in on_path if any(p in on_path for p in n.parents)}
    path_edges = {(n, i) for n in path_ops for i, p in enumerate(n.parents) if p in on_path}
    return Graph(dot_source(
        nodes, root, rankdir=rankdir,
        names=name_nodes(nodes, root),
        data={n: n.data for n in nodes},
        grads={n: n.grad for n in nodes} if show_grad else None,
        params=set(value_list(params, "params")),
        marked=marked | on_path, marked_ops=path_ops, marked_edges=path_edges,
        italic=made_up(nodes), theme=look,
    ), format)


def graph_nodes(root: Value, max_nodes: int, what: str) -> list[Value]:
    """Every value of ``root``'s graph in ``forward_order``, or ``GraphTooLargeError`` if
    there are more than ``max_nodes``."""
    order = forward_order(root)
    check_size(order, max_nodes, what)
    return order


def check_size(nodes: Sequence[Value], max_nodes: int, what: str) -> None:
    """Refuse a graph of more than ``max_nodes`` values with a message saying what to do."""
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if len(nodes) > max_nodes:
        operations = sum(1 for n in nodes if n.parents)
        raise GraphTooLargeError(
            f"cannot {what} this graph: it has {len(nodes):,} values and {operations:,} "
            f"operations, more than max_nodes={max_nodes:,} (a picture that size is unreadable "
            f"and slow to lay out). Draw a smaller piece instead, e.g. one neuron's output or "
            f"the loss on a single example, or pass max_nodes={len(nodes)} to draw it anyway")


def dot_source(
    nodes: list[Value],
    root: Value,
    *,
    rankdir: str,
    names: Mapping[Value, str],
    data: Mapping[Value, float],
    grads: Mapping[Value, float] | None,
    params: set[Value],
    marked: set[Value] = frozenset(),
    marked_ops: set[Value] = frozenset(),
    marked_edges: set[tuple[Value, int]] = frozenset(),
    italic: set[Value] = frozenset(),
    grad_width: Mapping[Value, int] | None = None,
    theme: Theme = THEMES["light"],
    grad_text: Mapping[Value, str] | None = None,
    verdicts: Mapping[Value | tuple[Value, int], bool] | None = None,
    edge_labels: Mapping[tuple[Value, int], str] | None = None,
    caption: str = "",
) -> str:
    """The DOT text for ``nodes`` (inputs first), shared by ``draw_dot`` and the step player.

    ``grads`` maps a node to the gradient to show (a node missing from it shows ``grad ?``: not
    known yet); None hides the grad column. ``marked`` are highlighted values, ``marked_ops``
    the values whose operation node (and its edge to them) is highlighted, ``marked_edges`` the
    highlighted (child, parent position) edges. ``italic`` names are made up, not labels.
    ``grad_width`` gives the grad cell a minimum width in points, so the boxes keep their size
    (and the layout its shape) while the numbers in them change from frame to frame.
    ``grad_text`` replaces a node's grad cell with text of its own ("" leaves the cell out).
    ``verdicts`` marks graded values and (child, parent position) edges right (True) or wrong
    (False): green or red, and also a check or a cross and a solid or dashed border, so they
    differ in greyscale too; with verdicts, values not graded are drawn white. ``edge_labels``
    writes text on edges; ``caption`` is an HTML-like label (a ``<table>``) set under the graph.
    ``theme`` gives the colours, and in print the shapes (``autograd.pictures.themes``).

    Every node also carries its text as LaTeX (``tex``) and its kind (``kind``), and every
    highlighted node and edge ``marked="true"``: Graphviz ignores them, the TikZ writer reads
    them.
    """
    ids = {node: f"v{i}" for i, node in enumerate(nodes)}
    accent = f'color="{theme.highlight}", penwidth={theme.highlight_width - 0.5:g}, marked="true"'
    lines = [
        "digraph backprop {",
        # margin=0: a PDF's page is the picture, its background colour to the edge
        f'  graph [rankdir={rankdir}, bgcolor="{theme.background}", margin=0, nodesep=0.25, '
        f'ranksep=0.35, fontname="Helvetica", fontsize=11, fontcolor="{theme.text}"];',
        f'  node [fontname="Helvetica", fontsize=11, color="{theme.line}"];',
        f'  edge [color="{theme.line}", arrowsize=0.6];',
    ]
    if caption:
        lines.append(f'  graph [labelloc=b, labeljust=l, fontname="Helvetica", fontsize=11, '
                     f"label=<{caption}>];")
    verdicts = verdicts or {}
    for node in nodes:
        kind = _kind(node, root, params)
        name = names.get(node, "")
        verdict = verdicts.get(node)
        cells, tex = [], []
        if name:
            tag = "i" if node in italic else "b"
            mark = "" if verdict is None else theme.verdicts[verdict][1] + " "
            cells.append(f"<td>{mark}<{tag}>{html_text(name)}</{tag}></td>")
            tex.append(f"{latex_text(mark)}\\text{'it' if tag == 'i' else 'bf'}"
                       f"{{{latex_text(name)}}}")
        cells.append(f"<td>data {format_number(data[node])}</td>")
        tex.append(f"data {_tex_number(data[node])}")
        if grads is not None:
            width = f' width="{grad_width[node]}"' if grad_width else ""
            if grad_text is not None and node in grad_text:
                if grad_text[node]:  # "" leaves the cell out
                    cells.append(f"<td{width}>{html_text(grad_text[node])}</td>")
                    tex.append(latex_text(grad_text[node]))
            elif node in grads:
                grad = _number(grads[node])
                cells.append(f"<td{width}>grad {format_number(grad)}</td>")
                tex.append(f"grad {_tex_number(grad)}")
            else:
                muted = theme.muted_on(theme.fills[kind])
                cells.append(f'<td{width}><font color="{muted}">grad ?</font></td>')
                tex.append("grad~?")
        label = ('<table border="0" cellborder="0" cellspacing="0" cellpadding="3"><tr>'
                 + "<vr/>".join(cells) + "</tr></table>")
        if verdict is None:  # with verdicts, only graded values carry colour
            look = theme.box_attributes("value" if verdicts else kind, marked=node in marked)
        else:
            fill, _, border, style, width = theme.verdicts[verdict]
            look = (f'shape=box, style="rounded,filled,{style}", fillcolor="{fill}", '
                    f'fontcolor="{theme.text_on(fill)}", color="{border}", penwidth={width}')
            if node in marked:
                look += f", {accent}"
        lines.append(f'  {ids[node]} [{look}, tex="{tex_attribute(TEX_SEPARATOR.join(tex))}", '
                     f"label=<{label}>];")
        if node.parents:
            op_id = f"{ids[node]}_op"
            fill = theme.fills["operation"]
            op_look = (f'shape=ellipse, style=filled, fillcolor="{fill}", '
                       f'fontcolor="{theme.text_on(fill)}", kind="operation", '
                       f'fontsize=10, width=0.3, height=0.25, margin="0.04,0.02"')
            edge_look = ""
            if node in marked_ops:
                op_look += f", {accent}"
                edge_look = f" [{accent}]"
            op = printable(node.op)
            lines.append(f'  {op_id} [{op_look}, tex="{tex_attribute(latex_text(op))}", '
                         f'label="{_quoted(op)}"];')
            lines.append(f"  {op_id} -> {ids[node]}{edge_look};")
            for i, parent in enumerate(node.parents):
                edge = (node, i)
                look = [accent] if edge in marked_edges else []
                text = edge_labels.get(edge, "") if edge_labels else ""
                if edge in verdicts:
                    _, mark, color, style, _ = theme.verdicts[verdicts[edge]]
                    look = [f'color="{color}", style={style}, penwidth=2']
                    text = f"{mark} {text}".rstrip()
                if text:
                    look.append(f'label="{_quoted(text)}", fontname="Helvetica", fontsize=10, '
                                f'fontcolor="{theme.text}"')
                attrs = f" [{', '.join(look)}]" if look else ""
                lines.append(f"  {ids[parent]} -> {op_id}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


#: Between the cells (name, data, grad) of a value box in LaTeX: a thin rule, as in the picture.
TEX_SEPARATOR = r"\enspace\vrule\enspace "


def _tex_number(x: float) -> str:
    text = format_number(x)
    return {"inf": r"$\infty$", "-inf": r"$-\infty$", "nan": "NaN"}.get(text, f"${text}$")


def _kind(node: Value, root: Value, params: set[Value]) -> str:
    if node is root:
        return "output"
    if isinstance(node, Constant):
        return "constant"
    if node.parents:
        return "value"
    return "parameter" if isinstance(node, Parameter) or node in params else "input"


def _on_paths(nodes: list[Value], sources: set[Value]) -> set[Value]:
    """Every node on a path from one of ``sources`` to the root: the sources and every node
    computed from them (``nodes`` lists parents before children, so one pass finds them)."""
    reached = set(sources)
    if reached:
        for node in nodes:
            if node not in reached and any(p in reached for p in node.parents):
                reached.add(node)
    return reached


def value_list(given: Value | Iterable[Value] | None, what: str) -> list[Value]:
    if given is None:
        return []
    items = [given] if isinstance(given, Value) else list(given)
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{what} takes Values, got {type(item).__name__}")
    return items


def _members(given: Value | Iterable[Value] | None, members: set[Value],
             what: str) -> set[Value]:
    chosen = set(value_list(given, what))
    for node in chosen:
        if node not in members:
            raise ValueError(f"{what}: {node!r} is not in this graph; pass Values that the "
                             "output was computed from")
    return chosen


def _number(grad: float | Value) -> float:
    # After backward(create_graph=True) a gradient is a Value; the picture shows its number.
    return grad.data if isinstance(grad, Value) else grad


def tex_attribute(text: str) -> str:
    """LaTeX text inside a quoted DOT attribute: only a double quote needs escaping there
    (Graphviz reads backslash escapes in labels, not in attributes of its own)."""
    return text.replace('"', '\\"')


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def html_text(text: str) -> str:
    """Text for an HTML-like label: markup escaped, and each backslash doubled, as Graphviz reads
    a backslash there as its own escape (``\\N`` is the node's id, ``\\E`` nothing at all)."""
    return html.escape(text).replace("\\", "\\\\")
