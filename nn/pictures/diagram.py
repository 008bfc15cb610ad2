"""``draw_network(model)``: the textbook picture of a network, layer by layer.

Units are circles: inputs x_k on the left, hidden units h_j^(l) of layer l, outputs on the right
(y_hat for one output, f_k for K, as notes 000). An edge from unit k of layer l-1 to unit j of
layer l carries the weight w_jk^(l) (notes 000, 004): in this library that is the parameter
``layers.<l-1>.neurons.<j-1>.w<k>`` (indices j, k, l count from 1 in the picture, as in the
notes). The picture is DOT text wrapped in the same ``Graph`` as ``autograd.draw_dot``'s.

The layout is this module's own, so that no two labels can overlap: layers are columns, each
layer's title on one line above it. A weight's label sits on its own edge, where the edge
crosses a column of labels kept for the edge's source unit: the label columns of one source
never share x with another's, and along a column the labels are at least a label's height apart
(the units of the next layer are spaced so). Graphviz then draws the nodes where they were put
(``neato -n``), edges as straight lines.

An MLP with dropout says so in its hidden layers' titles; given an input while the model is in
training mode, the picture is one training-mode forward pass, and the units dropout dropped in
it are drawn dashed and muted, their outgoing edges too: they take no part in that pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import (
    Graph,
    GraphTooLargeError,
    Parameter,
    Theme,
    Value,
    format_number,
    get_theme,
    latex_text,
    no_grad,
)
from nn.module import MLP, Layer, Module, Neuron
from nn.perceptron import Perceptron

#: Above this many edges the picture is unreadable and slow to lay out.
MAX_EDGES = 1000
#: A layer with more units than this is wide: ``weights="auto"`` leaves its edges unlabelled.
WIDE_LAYER = 6
WEIGHTS = ("auto", "names", "values", None)

# Sizes in points: a unit's diameter, the least distance between units' centres, the space kept
# around labels, a label's height (8-point text on its chip, with room for the superscript) and
# Helvetica's widest average character at 8 and 11 points (estimates on the safe side: Graphviz
# measures the real text).
_UNIT = 46.8  # room for a number such as -0.3693 inside a highlighted (thick) circle
_BIAS_UNIT = 28.8
_PITCH = _UNIT + 12
_GAP = 6.0
_LABEL_HEIGHT = 20.0
_CHAR_8PT = 5.0
_CHAR_11PT = 6.6


@dataclass
class _Unit:
    node: str  # the DOT id
    label: str  # HTML-like label
    tex: str  # the same in LaTeX
    kind: str  # input, hidden, output or bias
    value: float | None = None
    at: tuple[float, float] = (0.0, 0.0)  # along the layers, across them
    dropped: bool = False  # by dropout, in the training pass drawn


@dataclass
class _Column:
    title: str
    units: list[_Unit]
    pitch: float = _PITCH
    labels_from: list[float] = field(default_factory=list)  # label columns' offsets


def _stages(model: Module) -> tuple[list[tuple[str, list[Any], str]], int]:
    """The model as (parameter prefix, units, activation) per layer, and its number of inputs;
    each unit has ``.w`` (weights) and ``.b`` (bias)."""
    if isinstance(model, MLP):
        return ([(f"layers.{i}.neurons.", layer.neurons, layer.activation)
                 for i, layer in enumerate(model.layers)], model.nin)
    if isinstance(model, Layer):
        return [("neurons.", model.neurons, model.activation)], model.nin
    if isinstance(model, Neuron):
        return [("", [model], model.activation)], model.nin
    if isinstance(model, Perceptron):
        return [("", [model], "sign")], model.nin
    raise TypeError(f"draw_network draws an MLP, Layer, Neuron or Perceptron, got "
                    f"{type(model).__name__}")


def _activations(model: Module, x: Sequence) -> tuple[list[list[float]], list[set[int]]]:
    """The value of every unit for input ``x``: the inputs, then each layer's outputs; and per
    layer, the units dropout dropped (only in an MLP with dropout in training mode)."""
    layers = model.layers if isinstance(model, MLP) else [model]
    dropout = model.dropout if isinstance(model, MLP) else None
    values: list[list] = [list(x)]
    dropped: list[set[int]] = [set()]
    with no_grad():
        for depth, layer in enumerate(layers, start=1):
            out = layer(values[-1])  # one unit gives a Value, several a list
            out = [v.data if isinstance(v, Value) else float(v)
                   for v in (out if isinstance(out, list) else [out])]
            gone: set[int] = set()
            if dropout is not None and dropout.training and dropout.p and depth < len(layers):
                mask = dropout.mask(len(out))
                out = [v * m for v, m in zip(out, mask)]
                gone = {j for j, m in enumerate(mask) if m == 0.0}
            values.append(out)
            dropped.append(gone)
    values[0] = [v.data if isinstance(v, Value) else float(v) for v in values[0]]
    return values, dropped


def _sub(name: str, sub: str, sup: str = "") -> tuple[str, str]:
    """A name with a subscript and an optional superscript (the layer): as an HTML-like DOT
    label and as LaTeX."""
    html = f"{name}<sub>{sub}</sub>" + (f"<sup>({sup})</sup>" if sup else "")
    tex = f"${name}_{{{sub}}}" + (f"^{{({sup})}}" if sup else "") + "$"
    return html, tex


def _pair(j: int, k: int) -> str:
    # w_jk reads as two indices only while both are single digits; then w_12,3.
    return f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"


def draw_network(model: Module, x: Sequence[float] | None = None, weights: str | None = "auto",
                 show_bias: bool = False, rankdir: str = "LR", max_edges: int = MAX_EDGES, *,
                 highlight_paths_from: Value | str | None = None,
                 theme: str | Theme = "light") -> Graph:
    """The layered diagram of ``model`` (an MLP, Layer, Neuron or Perceptron).

    Args:
        x: an input example; each unit then shows its value for it (the forward pass).
        weights: ``"names"`` labels each edge w_jk^(l); ``"values"`` adds the weight's number
            and colours the edge by sign (blue positive, orange negative; dashed negative in
            print) with its width growing with |w|; ``None`` draws bare edges; ``"auto"`` (the
            default) names the weights unless a layer has more than ``WIDE_LAYER`` (6) units,
            where labels would only crowd the picture: ask for them and they are drawn anyway,
            the layers spaced so that none overlaps. Every edge's tooltip (in SVG) is the
            parameter's dotted name.
        show_bias: draw each layer's bias as an extra unit "+1" whose edge to unit j carries
            b_j^(l) (the notes' fixed input a_0 with weight w_0j).
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top).
        max_edges: refuse larger networks (their picture is unreadable); raise it to draw anyway.
        highlight_paths_from: a weight or bias of the model (the Value, or its dotted name such
            as ``"layers.0.neurons.0.w1"``): its edge and every path from it to the outputs are
            drawn in the highlight colour. Those paths carry the weights used in computing
            dC/dw (notes 004: "highlight the weights used in computing dC/dw11").
        theme: ``"light"`` (default), ``"dark"`` or ``"print"``, as for ``autograd.draw_dot``.

    Colours: inputs yellow, hidden units white, outputs green, bias units grey, units dropped
    by dropout (given ``x`` while training) dashed and muted with their edges, and each
    weight's label on parameter blue (as in ``autograd.draw_dot``, where weights and biases,
    ``autograd.Parameter`` instances, are blue boxes). Returns an ``autograd.Graph``:
    ``.source`` is the DOT text, ``.save("net.svg")`` writes svg/png/pdf/tex/dot (``dpi=``
    for PNG), and Jupyter displays it inline.
    """
    stages, nin = _stages(model)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be 'auto', 'names', 'values' or None, got {weights!r}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    look = get_theme(theme)
    n_edges = sum(len(units) * (len(units[0].w) + show_bias) for _, units, _ in stages)
    if n_edges > max_edges:
        raise GraphTooLargeError(
            f"cannot draw this network: it has {n_edges:,} edges, more than max_edges="
            f"{max_edges:,} (a picture that size is unreadable); draw a smaller model or pass "
            f"max_edges={n_edges} to draw it anyway")
    if weights == "auto":
        widest = max([nin] + [len(units) for _, units, _ in stages])
        weights = "names" if widest <= WIDE_LAYER else None
    values, dropped = _activations(model, x) if x is not None else (None, None)
    dropout = model.dropout.p if isinstance(model, MLP) else 0.0
    columns, edges = _network(stages, nin, values, show_bias, weights, dropout, dropped)
    marked = _paths(model, stages, highlight_paths_from, show_bias)
    _place(columns, edges, weights, rankdir)
    return Graph(_source(columns, edges, weights, marked, look, rankdir, n_edges))


@dataclass
class _Edge:
    source: _Unit
    target: _Unit
    label: tuple[str, str]  # w_jk^(l) as HTML and LaTeX
    weight: Value
    name: str  # the parameter's dotted name
    layer: int
    at: tuple[float, float] = (0.0, 0.0)  # the label's centre


def _network(stages: list, nin: int, values: list[list[float]] | None, show_bias: bool,
             weights: str | None, dropout: float = 0.0, dropped: list[set[int]] | None = None
             ) -> tuple[list[_Column], list[_Edge]]:
    """The columns of units (with their titles) and the edges, not yet placed; ``dropout`` is
    the p of the dropout after each hidden layer, ``dropped`` the units it dropped per layer."""
    inputs = [_Unit(f"x{k}", *_sub("x", str(k)), "input", values[0][k - 1] if values else None)
              for k in range(1, nin + 1)]
    columns = [_Column("input layer", inputs)]
    edges = []
    last = len(stages)
    for depth, (prefix, units, activation) in enumerate(stages, start=1):
        if depth == last:
            title, kind = "output layer", "output"
            texts = ([("y&#770;", r"$\hat{y}$")] if len(units) == 1
                     else [_sub("f", str(j)) for j in range(1, len(units) + 1)])
        else:
            title, kind = f"hidden layer {depth}", "hidden"
            texts = [_sub("h", str(j), str(depth)) for j in range(1, len(units) + 1)]
        notes = [activation] if activation != "linear" else []
        if dropout and depth < last:
            notes.append(f"dropout {dropout:g}")
        if notes:
            title += f" ({', '.join(notes)})"
        sources = list(columns[-1].units)
        if show_bias:
            # The bias is the weight of a fixed input +1 (notes 003's a_0), drawn with the
            # units that feed this layer.
            bias = _Unit(f"bias{depth}", "+1", "$+1$", "bias")
            columns[-1].units.append(bias)
        targets = [_Unit(f"u{depth}_{j}", html, tex, kind, values[depth][j - 1] if values else None,
                         dropped=bool(dropped) and j - 1 in dropped[depth])
                   for j, (html, tex) in enumerate(texts, start=1)]
        for j, (unit, target) in enumerate(zip(units, targets), start=1):
            for k, (w, source) in enumerate(zip(unit.w, sources), start=1):
                edges.append(_Edge(source, target, _sub("w", _pair(j, k), str(depth)), w,
                                   f"{prefix}{j - 1}.w{k}" if prefix else f"w{k}", depth))
            if show_bias:
                edges.append(_Edge(bias, target, _sub("b", str(j), str(depth)), unit.b,
                                   f"{prefix}{j - 1}.b" if prefix else "b", depth))
        columns.append(_Column(title, targets))
    return columns, edges


def _paths(model: Module, stages: list, start: Value | str | None,
           show_bias: bool) -> tuple[set[str], set[tuple[str, str]]]:
    """The units and (source, target) edges on every path from the weight ``start`` to the
    outputs: its own edge, its unit, and everything downstream of that unit."""
    if start is None:
        return set(), set()
    named = model.named_parameters()
    if isinstance(start, str):
        found = [(name, p) for name, p in named if name == start]
    elif isinstance(start, Value):
        found = [(name, p) for name, p in named if p is start]
    else:
        raise TypeError(f"highlight_paths_from takes a weight of the model (a Value) or its "
                        f"name, got {type(start).__name__}")
    if not found:
        raise ValueError(f"highlight_paths_from: {start!r} is not a weight or bias of this "
                         f"model; pass one of model.parameters() or a name from "
                         f"model.named_parameters(), such as {named[0][0]!r}")
    for depth, (_, units, _) in enumerate(stages, start=1):
        for j, unit in enumerate(units, start=1):
            for k, w in enumerate([*unit.w, unit.b], start=1):
                if w is found[0][1]:
                    source = f"bias{depth}" if w is unit.b else (
                        f"x{k}" if depth == 1 else f"u{depth - 1}_{k}")
                    return _downstream(stages, depth, j, source, show_bias or w is not unit.b)
    return set(), set()


def _downstream(stages: list, depth: int, j: int, source: str,
                with_source: bool) -> tuple[set[str], set[tuple[str, str]]]:
    here = {f"u{depth}_{j}"}
    units, edges = set(here), set()
    if with_source:
        units.add(source)
        edges.add((source, f"u{depth}_{j}"))
    for next_depth in range(depth + 1, len(stages) + 1):
        targets = {f"u{next_depth}_{i}" for i in range(1, len(stages[next_depth - 1][1]) + 1)}
        edges |= {(s, t) for s in here for t in targets}
        units |= targets
        here = targets
    return units, edges


def _label_width(edges: list[_Edge], weights: str | None) -> float:
    """The widest label of ``edges`` in points (chip margins included), an estimate on the
    safe side."""
    widest = 0.0
    for edge in edges:
        chars = len(edge.name.rsplit(".", 1)[-1]) + 4  # w, j, k and "(l)"
        if weights == "values":
            chars += 3 + len(format_number(edge.weight.data))
        widest = max(widest, chars * _CHAR_8PT + 10)
    return widest


def _place(columns: list[_Column], edges: list[_Edge], weights: str | None,
           rankdir: str) -> None:
    """Give every unit and label its place: u along the layers, v across them (v grows
    downwards), in points."""
    u = 0.0
    for index, column in enumerate(columns):
        if index:
            layer = [e for e in edges if e.layer == index]
            gap = _layer_gap(columns[index - 1], column, layer, weights, rankdir)
            u += gap
        for i, unit in enumerate(column.units):
            unit.at = (u, (i - (len(column.units) - 1) / 2) * column.pitch)
    if weights is not None:
        for edge in edges:
            (u0, v0), (u1, v1) = edge.source.at, edge.target.at
            offset = columns[edge.layer - 1].labels_from[columns[edge.layer - 1].units.index(
                edge.source)]
            t = offset / (u1 - u0)
            edge.at = (u0 + offset, v0 + t * (v1 - v0))


def _layer_gap(before: _Column, after: _Column, layer: list[_Edge], weights: str | None,
               rankdir: str) -> float:
    """The distance between two columns, and the spacing of the second column's units: room
    for the titles side by side and, with labels, one column of labels per source unit, each
    label at least a label apart from the next along the column."""
    title_room = _CHAR_11PT * (len(before.title) + len(after.title)) / 2 + 3 * _GAP
    least = max(_UNIT + 6 * _GAP, title_room if rankdir == "LR" else 0.0)
    if weights is None:
        return max(least, 3 * _UNIT)
    width = _label_width(layer, weights)
    along, across = (width, _LABEL_HEIGHT) if rankdir == "LR" else (_LABEL_HEIGHT, width)
    sources = len(before.units)
    clear = _UNIT / 2 + _GAP + along / 2  # from a unit's centre to a label column's
    before.labels_from = [clear + i * (along + _GAP) for i in range(sources)]
    gap = max(least, 2 * clear + (sources - 1) * (along + _GAP))
    # Along the first label column, edges to neighbouring targets are t * pitch apart.
    t = clear / gap
    after.pitch = max(after.pitch, (across + _GAP) / t)
    return gap


def _source(columns: list[_Column], edges: list[_Edge], weights: str | None,
            marked: tuple[set[str], set[tuple[str, str]]], look: Theme, rankdir: str,
            n_edges: int) -> str:
    marked_units, marked_edges = marked
    dense = n_edges > 64 and weights is None
    edge_width = 0.6 if dense else 1.0
    # A mesh of many edges in full colour is a solid block: thin, half-transparent lines.
    edge_colour = f"{look.line}80" if dense else look.line
    arrows = "none" if dense else "normal"  # in a mesh, arrowheads pile up into a smudge

    def point(at: tuple[float, float]) -> str:
        u, v = at
        x, y = (u, -v) if rankdir == "LR" else (v, -u)
        return f'pos="{x:.1f},{y:.1f}!"'

    lines = [
        "digraph network {",
        # neato with every node pinned (pos "x,y!", in points): the nodes stay where _place put
        # them, edges are straight lines, and labels (nodes drawn after edges) lie on top.
        f'  graph [layout=neato, inputscale=72, splines=line, outputorder=edgesfirst, '
        f'bgcolor="{look.background}", fontname="Helvetica", fontsize=11, '
        f'fontcolor="{look.text}", pad=0.2, margin=0];',
        f'  node [shape=circle, style=filled, fontname="Helvetica", fontsize=11, '
        f'color="{look.line}", fixedsize=true, width={_UNIT / 72:.2f}];',
        f'  edge [color="{edge_colour}", penwidth={edge_width}, arrowsize=0.5, '
        f"arrowhead={arrows}];",
    ]
    top = min(unit.at[1] for column in columns for unit in column.units)
    for column in columns:
        u = column.units[0].at[0]
        title_at = (u, top - _UNIT / 2 - 2 * _GAP - 8) if rankdir == "LR" else (
            u, top - _UNIT / 2 - _GAP - _CHAR_11PT * len(column.title) / 2)
        lines.append(f'  "title {column.units[0].node}" [shape=plaintext, style="", '
                     f'fixedsize=false, fontcolor="{look.muted}", label="{column.title}", '
                     f'tex="{latex_text(column.title)}", {point(title_at)}];')
        for unit in column.units:
            html, tex = unit.label, unit.tex
            if unit.value is not None:
                number = format_number(unit.value)
                html = _name_over_number(html, number)
                tex += f"\\\\[-2pt]{{\\scriptsize ${number}$}}"
            size = f", width={_BIAS_UNIT / 72:.2f}" if unit.kind == "bias" else ""
            attributes = (_dropped_attributes(look) if unit.dropped
                          else look.unit_attributes(unit.kind, marked=unit.node in marked_units))
            lines.append(f'  {unit.node} [{attributes}{size}, label=<{html}>, tex="{tex}", '
                         f"{point(unit.at)}];")
    for i, edge in enumerate(edges):
        ends = (edge.source.node, edge.target.node)
        look_edge = [f'tooltip="{edge.name}"']
        if edge.source.dropped:  # it carries nothing in this pass
            look_edge += ['style="dashed"', f'color="{look.muted}"']
        elif weights == "values":
            negative = edge.weight.data < 0
            look_edge += [f'color="{look.negative if negative else look.positive}"',
                          f"penwidth={0.5 + min(abs(edge.weight.data), 3.0):.2f}"]
            if negative and look.negative_style != "solid":
                look_edge.append(f'style="{look.negative_style}"')
        if ends in marked_edges:
            look_edge += [f'color="{look.highlight}"', f"penwidth={look.highlight_width - 0.5:g}",
                          'marked="true"']
        lines.append(f"  {ends[0]} -> {ends[1]} [{', '.join(look_edge)}];")
        if weights is not None:
            lines.append(_label(i, edge, weights, ends in marked_edges, look, point(edge.at)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _name_over_number(name: str, number: str) -> str:
    """A unit's name over its value, as an HTML-like label.

    Graphviz gives a line with a subscript or superscript no more height than a plain one, so
    with a bare ``<br/>`` the subscript of x_1 would sit on the number under it: the name and
    the number are rows of a table with a small gap between them, and the indices are a size
    smaller than the letter (as in print), which keeps the three lines inside the circle.
    """
    small = name.replace("<sub>", '<sub><font point-size="8">').replace(
        "</sub>", "</font></sub>").replace("<sup>", '<sup><font point-size="8">').replace(
        "</sup>", "</font></sup>")
    return ('<table border="0" cellspacing="0" cellpadding="0">'
            f'<tr><td>{small}</td></tr><tr><td height="2"></td></tr>'
            f'<tr><td><font point-size="9">{number}</font></td></tr></table>')


def _dropped_attributes(look: Theme) -> str:
    """A unit dropout dropped: dashed and muted on the page's colour, in every theme."""
    return (f'shape="circle", style="filled,dashed", fillcolor="{look.background}", '
            f'fontcolor="{look.muted}", color="{look.muted}", kind="dropped", '
            'tooltip="dropped by dropout in this pass"')


def _label(index: int, edge: _Edge, weights: str, marked: bool, look: Theme, at: str) -> str:
    """A weight's label: a small node of its own on the edge, on parameter blue when the
    weight is an ``autograd.Parameter`` (as every picture colours parameters)."""
    html, tex = edge.label
    if weights == "values":
        number = format_number(edge.weight.data)
        html += f" = {number}"
        tex = f"{tex[:-1]} = {number}$"
    parameter = isinstance(edge.weight, Parameter)
    fill = look.fills["parameter"] if parameter else look.background
    border = (f'color="{look.highlight}", penwidth={look.highlight_width - 1:g}, marked="true"'
              if marked else f'color="{fill}"')
    # margin: a superscript rises above the line height Graphviz reserves; the vertical margin
    # keeps w_jk^(l)'s (l) inside the chip and its highlight border.
    return (f'  "w {index}" [shape=box, style="rounded,filled", fixedsize=false, width=0, '
            f'height=0, margin="0.03,0.06", fontsize=8, fillcolor="{fill}", '
            f'fontcolor="{look.text_on(fill)}", {border}, tooltip="{edge.name}", '
            f'{"kind=parameter, " if parameter else ""}'
            f'label=<{html}>, tex="{tex}", {at}];')
