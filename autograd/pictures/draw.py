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
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from autograd.core.format import format_number
from autograd.core.value import Constant, Parameter, Value, forward_order
from autograd.pictures.names import made_up, name_nodes, printable
from autograd.pictures.options import MAX_NODES, RANKDIRS, PictureOptions
from autograd.pictures.render import Graph, GraphvizError, RendererNotFoundError
from autograd.pictures.themes import THEMES, Theme
from autograd.pictures.tikz import latex_text

__all__ = ["COLORS", "MAX_NODES", "RANKDIRS", "Graph", "GraphContent", "GraphTooLargeError",
           "GraphvizError", "Marks", "RendererNotFoundError", "dot_source", "draw_dot"]

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

#: An edge of the graph: (the value computed, the position of the parent among its arguments).
Edge = tuple[Value, int]


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
    options = PictureOptions(theme=theme, rankdir=rankdir, max_nodes=max_nodes)
    nodes = graph_nodes(root, options.max_nodes, "draw")
    members = set(nodes)
    marked = _members(highlight, members, "highlight")
    sources = _members(highlight_paths_from, members, "highlight_paths_from")
    on_path = _on_paths(nodes, sources)
    path_ops = {n for n in on_path if any(p in on_path for p in n.parents)}
    path_edges = {(n, i) for n in path_ops for i, p in enumerate(n.parents) if p in on_path}
    content = GraphContent(nodes, root, name_nodes(nodes, root), {n: n.data for n in nodes},
                           params=set(value_list(params, "params")), italic=made_up(nodes))
    marks = Marks(grads={n: n.grad for n in nodes} if show_grad else None,
                  marked=marked | on_path, marked_ops=path_ops, marked_edges=path_edges)
    return Graph(dot_source(content, marks, options), format)


def graph_nodes(root: Value, max_nodes: int, what: str) -> list[Value]:
    """Every value of ``root``'s graph in ``forward_order``, or ``GraphTooLargeError`` if
    there are more than ``max_nodes``."""
    order = forward_order(root)
    check_size(order, max_nodes, what)
    return order


def check_size(nodes: Sequence[Value], max_nodes: int, what: str) -> None:
    """Refuse a graph of more than ``max_nodes`` values (a checked ``PictureOptions.max_nodes``)
    with a message saying what to do."""
    if len(nodes) > max_nodes:
        operations = sum(1 for n in nodes if n.parents)
        raise GraphTooLargeError(
            f"cannot {what} this graph: it has {len(nodes):,} values and {operations:,} "
            f"operations, more than max_nodes={max_nodes:,} (a picture that size is unreadable "
            f"and slow to lay out). Draw a smaller piece instead, e.g. one neuron's output or "
            f"the loss on a single example, or pass max_nodes={len(nodes)} to draw it anyway")


@dataclass(frozen=True, eq=False)
class GraphContent:
    """What every picture of one graph writes in its boxes, whatever it marks on them.

    Attributes:
        nodes: every value, inputs first (``forward_order``).
        root: the output.
        names: each value's name (``autograd.node_names``; a value missing from it shows none).
        data: each value's number.
        params: more values to colour as parameters besides ``Parameter`` instances.
        italic: values whose names are made up, not labels: set in italics.
    """

    nodes: Sequence[Value]
    root: Value
    names: Mapping[Value, str]
    data: Mapping[Value, float]
    params: AbstractSet[Value] = frozenset()
    italic: AbstractSet[Value] = frozenset()

    def kind(self, node: Value) -> str:
        """The kind of value box (``autograd.pictures.themes.KINDS``) ``node`` is drawn as."""
        if node is self.root:
            return "output"
        if isinstance(node, Constant):
            return "constant"
        if node.parents:
            return "value"
        return "parameter" if isinstance(node, Parameter) or node in self.params else "input"


@dataclass(frozen=True, eq=False)
class Marks:
    """What one picture marks on its graph: gradients, highlights, grades, words.

    Attributes:
        grads: the gradient to show for each value; a value missing from it shows ``grad ?``
            (not known yet); None hides the grad column.
        grad_width: a minimum width in points of each grad cell, so that the boxes keep their
            size (and the layout its shape) while the numbers in them change from frame to frame.
        grad_text: words of its own in place of a value's grad cell ("" leaves the cell out).
        marked: highlighted values.
        marked_ops: values whose operation node, and its edge to them, are highlighted.
        marked_edges: highlighted edges, as (child, parent position).
        verdicts: graded values and (child, parent position) edges, right (True) or wrong
            (False): green or red, and also a check or a cross and a solid or dashed border, so
            that they differ in greyscale too; with verdicts, values not graded are drawn white.
        edge_labels: words on edges, by (child, parent position).
        caption: an HTML-like label (a ``<table>``) set under the graph.
        box_rows: how a value box sets its cells: 1, side by side (``name | data | grad``);
            2, name and data over grad; 3, one over another. Slides choose per graph the form
            whose picture fills a frame best.
        ops_in_boxes: each operation drawn in the first cell of the box of the value it makes
            (its edges end there) rather than as an oval of its own: a rank less per
            operation, and tighter margins, for the short wide frames of slides.
        measured_size: the font size at which Graphviz measures a value box's text, which
            LaTeX sets at 11pt (Helvetica's size in every picture). Slides give the size at
            which Graphviz's widths are Helvetica's own (``autograd.stepthrough.slides``):
            boxes as wide as the text LaTeX draws in them, not as Graphviz's rounding makes it.
    """

    grads: Mapping[Value, float | Value] | None = None
    grad_width: Mapping[Value, int] | None = None
    grad_text: Mapping[Value, str] | None = None
    marked: AbstractSet[Value] = frozenset()
    marked_ops: AbstractSet[Value] = frozenset()
    marked_edges: AbstractSet[Edge] = frozenset()
    verdicts: Mapping[Value | Edge, bool] = field(default_factory=dict)
    edge_labels: Mapping[Edge, str] = field(default_factory=dict)
    caption: str = ""
    box_rows: int = 1
    ops_in_boxes: bool = False
    measured_size: float = 11


def dot_source(content: GraphContent, marks: Marks, options: PictureOptions) -> str:
    """The DOT text of ``content`` with ``marks``, in ``options``' theme and direction: shared
    by ``draw_dot``, the step player's frames and the exercises' and reports' pictures.

    Each value is a box (``value_node``); each value computed by an operation also gets the
    operation's oval and the edge from it (``operation_node``), and one edge into the oval per
    use of a parent (``parent_edge``). With ``marks.ops_in_boxes`` the operation is the first
    cell of its value's box instead (port ``op``), and the parents' edges end at that cell's
    side facing them. Every node also carries its text as LaTeX (``tex``) and its kind
    (``kind``), and every highlighted node and edge ``marked="true"``: Graphviz ignores them,
    the TikZ writer reads them.
    """
    ids = {node: f"v{i}" for i, node in enumerate(content.nodes)}
    lines = graph_attributes(options, marks.caption)
    # Edges arrive from the parents' side: the left (LR) or the top (TB) of the operation.
    side = "w" if options.rankdir == "LR" else "n"
    for node in content.nodes:
        lines.append(value_node(node, ids[node], content, marks, options.theme))
        if not node.parents:
            continue
        if marks.ops_in_boxes:
            op_id = f"{ids[node]}:op:{side}"
        else:
            op_id = f"{ids[node]}_op"
            lines += operation_node(node, op_id, ids[node], node in marks.marked_ops,
                                    options.theme)
        lines += [parent_edge((node, i), ids[parent], op_id, marks, options.theme)
                  for i, parent in enumerate(node.parents)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_attributes(options: PictureOptions, caption: str = "") -> list[str]:
    """The graph's opening: direction, background, fonts, the default look of nodes and edges,
    and the caption under the graph when there is one."""
    theme = options.theme
    lines = [
        "digraph backprop {",
        # margin=0: a PDF's page is the picture, its background colour to the edge
        f'  graph [rankdir={options.rankdir}, bgcolor="{theme.background}", margin=0, '
        f'nodesep=0.25, ranksep=0.35, fontname="Helvetica", fontsize=11, '
        f'fontcolor="{theme.text}"];',
        f'  node [fontname="Helvetica", fontsize=11, color="{theme.line}"];',
        f'  edge [color="{theme.line}", arrowsize=0.6];',
    ]
    if caption:
        lines.append(f'  graph [labelloc=b, labeljust=l, fontname="Helvetica", fontsize=11, '
                     f"label=<{caption}>];")
    return lines


def value_node(node: Value, node_id: str, content: GraphContent, marks: Marks,
               theme: Theme) -> str:
    """A value's box: ``name | data | grad`` cells (``value_cells``), in the look of its kind,
    or green or red when it is graded, with the highlight border when it is marked."""
    kind = content.kind(node)
    verdict = marks.verdicts.get(node)
    cells, tex = value_cells(node, kind, content, marks, theme)
    op_cell, op_attributes = None, ""
    if marks.ops_in_boxes and node.parents:
        op_cell, op_attributes = _operation_cell(node, node in marks.marked_ops, theme)
    label, tex_text = _box_table(cells, tex, marks.box_rows, op_cell)
    if verdict is None:  # with verdicts, only graded values carry colour
        look = theme.box_attributes("value" if marks.verdicts else kind,
                                    marked=node in marks.marked)
    else:
        fill, _, border, style, width = theme.verdicts[verdict]
        look = (f'shape=box, style="rounded,filled,{style}", fillcolor="{fill}", '
                f'fontcolor="{theme.text_on(fill)}", color="{border}", penwidth={width}')
        if node in marks.marked:
            look += f", {_accent(theme)}"
    if marks.ops_in_boxes:  # hugging its text: no minimum size, thin margins
        look += ', width=0, height=0, margin="0.05,0.02"'
    if marks.measured_size != 11:
        look += f', fontsize={marks.measured_size:.2f}, tex_fontsize=11'
    return (f'  {node_id} [{look}{op_attributes}, tex="{tex_attribute(tex_text)}", '
            f"label=<{label}>];")


def _box_table(cells: list[str], tex: list[str], rows: int,
               op_cell: tuple[str, int] | None = None) -> tuple[str, str]:
    """A value box's HTML-like table and LaTeX text with its cells in ``rows`` rows (see
    ``Marks.box_rows``: the name in the first row, the grad in the last), after ``op_cell``
    (``_operation_cell``: its HTML and width) in the first row when there is one."""
    if rows == 1 or len(cells) == 1:
        groups = [cells]
        tex_groups = [tex]
    elif rows == 2:
        groups, tex_groups = [cells[:-1], cells[-1:]], [tex[:-1], tex[-1:]]
    else:
        groups, tex_groups = [[cell] for cell in cells], [[line] for line in tex]
    row_cells = ["<vr/>".join(group) for group in groups]
    # A row with fewer cells than the first spans it, so that the rows line up.
    columns = len(groups[0]) + bool(op_cell)
    for k, group in enumerate(groups[1:], 1):
        if len(group) == 1 and columns > 1:
            row_cells[k] = row_cells[k].replace("<td", f'<td colspan="{columns}"', 1)
    if op_cell:
        row_cells[0] = op_cell[0] + row_cells[0]
    padding = 3 if len(groups) == 1 else 1
    label = (f'<table border="0" cellborder="0" cellspacing="0" cellpadding="{padding}"><tr>'
             + "</tr><hr/><tr>".join(row_cells) + "</tr></table>")
    lines = [TEX_SEPARATOR.join(group) for group in tex_groups]
    if op_cell:  # LaTeX centres the first line: its start leaves the operation's room
        lines[0] = rf"\hspace*{{{op_cell[1]}pt}}" + lines[0]
    return label, r"\\".join(lines)


#: The operation's cell in a value box (``Marks.ops_in_boxes``), in points: at least this
#: wide and high, and this much wider per character of its symbol beyond the first.
_OP_CELL = 16
_OP_CELL_PER_CHAR = 6


def _operation_cell(node: Value, marked: bool,
                    theme: Theme) -> tuple[tuple[str, int], str]:
    """The operation that made ``node`` as the first cell of its box (port ``op``, where the
    parents' edges end), coloured as the oval of ``operation_node`` so that Graphviz's own
    picture shows it; and the DOT attributes the TikZ writer draws it from: ``op_tex``, its
    ``op_width`` and ``op_height`` in points and its look (``op_fillcolor``, ``op_color``...)."""
    op = printable(node.op)
    width = _OP_CELL + _OP_CELL_PER_CHAR * max(len(op) - 1, 0)
    look = _operation_look(theme, marked)
    cell = (f'<td port="op" width="{width}" height="{_OP_CELL}" '
            f'bgcolor="{look["fillcolor"]}" style="rounded" border="1" '
            f'color="{look["color"]}"><font point-size="10" color="{look["fontcolor"]}">'
            f"{html_text(op)}</font></td>")
    attributes = "".join(f', op_{key}="{value}"' for key, value in look.items())
    return (cell, width), (f', op_tex="{tex_attribute(latex_text(op))}", '
                           f'op_width="{width}", op_height="{_OP_CELL}"{attributes}')


def value_cells(node: Value, kind: str, content: GraphContent, marks: Marks,
                theme: Theme) -> tuple[list[str], list[str]]:
    """A value box's cells as HTML-like ``<td>``s and the same text as LaTeX: its name (italic
    if made up, bold if a label, after a check or a cross if graded), its data, and its grad
    (a number, ``grad ?`` while not known, words of its own, or no cell)."""
    cells, tex = [], []
    name = content.names.get(node, "")
    if name:
        verdict = marks.verdicts.get(node)
        tag = "i" if node in content.italic else "b"
        mark = "" if verdict is None else theme.verdicts[verdict][1] + " "
        cells.append(f"<td>{mark}<{tag}>{html_text(name)}</{tag}></td>")
        tex.append(f"{latex_text(mark)}\\text{'it' if tag == 'i' else 'bf'}"
                   f"{{{latex_text(name)}}}")
    cells.append(f"<td>data {format_number(content.data[node])}</td>")
    tex.append(f"data {_tex_number(content.data[node])}")
    if marks.grads is None:
        return cells, tex
    width = f' width="{marks.grad_width[node]}"' if marks.grad_width else ""
    if marks.grad_text is not None and node in marks.grad_text:
        if marks.grad_text[node]:  # "" leaves the cell out
            cells.append(f"<td{width}>{html_text(marks.grad_text[node])}</td>")
            tex.append(latex_text(marks.grad_text[node]))
    elif node in marks.grads:
        grad = _number(marks.grads[node])
        cells.append(f"<td{width}>grad {format_number(grad)}</td>")
        tex.append(f"grad {_tex_number(grad)}")
    else:
        muted = theme.muted_on(theme.fills[kind])
        cells.append(f'<td{width}><font color="{muted}">grad ?</font></td>')
        tex.append("grad~?")
    return cells, tex


def operation_node(node: Value, op_id: str, node_id: str, marked: bool,
                   theme: Theme) -> list[str]:
    """The small oval of the operation that computed ``node`` (``+``, ``tanh``, ``**2``...),
    and its edge to ``node``'s box; both highlighted when ``marked``."""
    colours = _operation_look(theme, marked=False)
    look = (f'shape=ellipse, style=filled, fillcolor="{colours["fillcolor"]}", '
            f'fontcolor="{colours["fontcolor"]}", kind="operation", '
            f'fontsize=10, width=0.3, height=0.25, margin="0.04,0.02"')
    edge_look = ""
    if marked:
        look += f", {_accent(theme)}"
        edge_look = f" [{_accent(theme)}]"
    op = printable(node.op)
    return [f'  {op_id} [{look}, tex="{tex_attribute(latex_text(op))}", label="{_quoted(op)}"];',
            f"  {op_id} -> {node_id}{edge_look};"]


def _operation_look(theme: Theme, marked: bool) -> dict[str, str]:
    """The colours and line of an operation (an oval, or a cell in its value's box)."""
    fill = theme.fills["operation"]
    highlighted = marked and {"color": theme.highlight,
                              "penwidth": f"{theme.highlight_width - 0.5:g}"}
    return {"fillcolor": fill, "fontcolor": theme.text_on(fill),
            **(highlighted or {"color": theme.line, "penwidth": "1"})}


def parent_edge(edge: Edge, parent_id: str, op_id: str, marks: Marks, theme: Theme) -> str:
    """The edge of one use of a parent, into the operation's oval: plain, highlighted (in
    ``marked_edges``) or graded (in ``verdicts``: green or red, solid or dashed, with a check or
    a cross before its words), with its words from ``edge_labels``."""
    look = [_accent(theme)] if edge in marks.marked_edges else []
    text = marks.edge_labels.get(edge, "")
    if edge in marks.verdicts:
        _, mark, color, style, _ = theme.verdicts[marks.verdicts[edge]]
        look = [f'color="{color}", style={style}, penwidth=2']
        text = f"{mark} {text}".rstrip()
    if text:
        look.append(f'label="{_quoted(text)}", fontname="Helvetica", fontsize=10, '
                    f'fontcolor="{theme.text}"')
    attrs = f" [{', '.join(look)}]" if look else ""
    return f"  {parent_id} -> {op_id}{attrs};"


def _accent(theme: Theme) -> str:
    """The highlight of an edge or an operation: the theme's colour, a thicker line."""
    return f'color="{theme.highlight}", penwidth={theme.highlight_width - 0.5:g}, marked="true"'


#: Between the cells (name, data, grad) of a value box in LaTeX: a thin rule, as in the picture.
TEX_SEPARATOR = r"\enspace\vrule\enspace "


def _tex_number(x: float) -> str:
    """A number as the pictures write it, in math mode for its minus sign; an exponent's e and
    sign stay as written (1.26e-05, not a subtraction "1.26e - 05" with an italic e)."""
    text = format_number(x)
    special = {"inf": r"$\infty$", "-inf": r"$-\infty$", "nan": "NaN"}.get(text)
    if special is not None:
        return special
    mantissa, e, power = text.partition("e")
    if e:
        sign = power[0] if power[0] in "+-" else ""
        return rf"${mantissa}\mathrm{{e}}{{{sign}}}{power[len(sign):]}$"
    return f"${text}$"


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
