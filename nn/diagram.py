"""``draw_network(model)``: the textbook picture of a network, layer by layer.

Units are circles: inputs x_k on the left, hidden units h_j^(l) of layer l, outputs on the right
(y_hat for one output, f_k for K, as notes 000). An edge from unit k of layer l-1 to unit j of
layer l carries the weight w_jk^(l) (notes 000, 004): in this library that is the parameter
``layers.<l-1>.neurons.<j-1>.w<k>`` (indices j, k, l count from 1 in the picture, as in the
notes). The picture is DOT text wrapped in the same ``Graph`` as ``autograd.draw_dot``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import Parameter, Value, format_number, no_grad
from nn.module import MLP, Layer, Module, Neuron
from nn.perceptron import Perceptron

#: Above this many edges the picture is unreadable and slow to lay out.
MAX_EDGES = 1000

#: Colours as in autograd.draw_dot's legend; "parameter" is behind each weight's label.
FILL = {"input": "#ffe08a", "hidden": "#ffffff", "output": "#b2df8a", "bias": "#e0e0e0",
        "parameter": "#a6cee3"}
POSITIVE, NEGATIVE = "#2166ac", "#b2182b"  # weight colours when values are shown
WEIGHTS = ("names", "values", None)


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


def _activations(model: Module, x: Sequence) -> list[list[float]]:
    """The value of every unit for input ``x``: the inputs, then each layer's outputs."""
    with no_grad():
        layers = model.layers if isinstance(model, MLP) else [model]
        values = [x]
        for layer in layers:
            out = layer(values[-1])  # one unit gives a Value, several a list
            values.append(out if isinstance(out, list) else [out])
    return [[v.data if isinstance(v, Value) else float(v) for v in layer] for layer in values]


def _sub(name: str, sub: str, sup: str = "") -> str:
    """HTML-like DOT label text: name with a subscript and an optional superscript."""
    return f"{name}<sub>{sub}</sub>" + (f"<sup>({sup})</sup>" if sup else "")


def _pair(j: int, k: int) -> str:
    # w_jk reads as two indices only while both are single digits; then w_12,3.
    return f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"


def draw_network(model: Module, x: Sequence[float] | None = None, weights: str | None = "names",
                 show_bias: bool = False, rankdir: str = "LR",
                 max_edges: int = MAX_EDGES) -> Any:
    """The layered diagram of ``model`` (an MLP, Layer, Neuron or Perceptron).

    Args:
        x: an input example; each unit then shows its value for it (the forward pass).
        weights: ``"names"`` labels each edge w_jk^(l); ``"values"`` adds the weight's number
            and colours the edge by sign (blue positive, red negative) with its width growing
            with |w|; ``None`` draws bare edges. Every edge's tooltip (in SVG) is the
            parameter's dotted name.
        show_bias: draw each layer's bias as an extra unit "+1" whose edge to unit j carries
            b_j^(l) (the notes' fixed input a_0 with weight w_0j).
        rankdir: ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top).
        max_edges: refuse larger networks (their picture is unreadable); raise it to draw anyway.

    Colours: inputs yellow, hidden units white, outputs green, bias units grey, and each
    weight's label on parameter blue (as in ``autograd.draw_dot``, where weights and biases,
    ``autograd.Parameter`` instances, are blue boxes). Returns an ``autograd.Graph``:
    ``.source`` is the DOT text, ``.save("net.svg")`` writes svg/png/pdf/dot, and Jupyter
    displays it inline.
    """
    from autograd import Graph, GraphTooLargeError

    stages, nin = _stages(model)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be 'names', 'values' or None, got {weights!r}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    n_edges = sum(len(units) * (len(units[0].w) + show_bias) for _, units, _ in stages)
    if n_edges > max_edges:
        raise GraphTooLargeError(
            f"cannot draw this network: it has {n_edges:,} edges, more than max_edges="
            f"{max_edges:,} (a picture that size is unreadable); draw a smaller model or pass "
            f"max_edges={n_edges} to draw it anyway")
    values = _activations(model, x) if x is not None else None
    # One column per layer: (title, [(node id, label, kind, value or None)]).
    columns = [("input layer", [(f"x{k}", _sub("x", str(k)), "input",
                                 values[0][k - 1] if values else None)
                                for k in range(1, nin + 1)])]
    edges = []
    last = len(stages)
    for depth, (prefix, units, activation) in enumerate(stages, start=1):
        sources = [node for node, _, kind, _ in columns[-1][1] if kind != "bias"]
        if depth == last:
            title, kind = "output layer", "output"
            texts = (["y&#770;"] if len(units) == 1
                     else [_sub("f", str(j)) for j in range(1, len(units) + 1)])
        else:
            title, kind = f"hidden layer {depth}", "hidden"
            texts = [_sub("h", str(j), str(depth)) for j in range(1, len(units) + 1)]
        if activation != "linear":
            title += f" ({activation})"
        ids = [f"u{depth}_{j}" for j in range(1, len(units) + 1)]
        if show_bias:
            # The bias is the weight of a fixed input +1 (notes 003's a_0), drawn with the
            # units that feed this layer.
            columns[-1][1].append((f"bias{depth}", "+1", "bias", None))
        for j, (unit, target) in enumerate(zip(units, ids), start=1):
            for k, (w, source) in enumerate(zip(unit.w, sources), start=1):
                edges.append(_edge(source, target, _sub("w", _pair(j, k), str(depth)), w,
                                   f"{prefix}{j - 1}.w{k}" if prefix else f"w{k}", weights))
            if show_bias:
                edges.append(_edge(f"bias{depth}", target, _sub("b", str(j), str(depth)),
                                   unit.b, f"{prefix}{j - 1}.b" if prefix else "b", weights))
        columns.append((title, [(node, text, kind, values[depth][j] if values else None)
                                for j, (node, text) in enumerate(zip(ids, texts))]))
    lines = [
        "digraph network {",
        f'  graph [rankdir={rankdir}, splines=line, nodesep=0.15, ranksep=1.6, '
        f'bgcolor="white", fontname="Helvetica", fontsize=11, forcelabels=true];',
        '  node [shape=circle, style=filled, fontname="Helvetica", fontsize=11, '
        'color="#4d4d4d", fixedsize=true, width=0.6];',
        # Weights are external labels (xlabel): Graphviz places them after the layout, each
        # by its edge where it overlaps no other label, instead of stacking them midway.
        '  edge [color="#7f7f7f", arrowsize=0.5, fontname="Helvetica", fontsize=8];',
    ]
    for index, (title, nodes) in enumerate(columns):
        lines += _column(index, title, nodes)
    lines += edges
    lines.append("}")
    return Graph("\n".join(lines) + "\n")


def _column(index: int, title: str, nodes: list[tuple[str, str, str, float | None]]
            ) -> list[str]:
    """One layer's units in one rank, under a title, kept in index order (1 on top).

    A same-rank chain of invisible edges fixes the order (Graphviz would otherwise permute
    the units of a fully connected layer); clusters cannot be used, as they drop it.
    """
    head = f"title{index}"
    lines = ["  subgraph {", "    rank=same;",
             f'    {head} [shape=plaintext, style="", fixedsize=false, fontcolor="#525252", '
             f'label="{title}"];']
    for node, text, kind, value in nodes:
        if value is not None:
            text += f'<br/><font point-size="9">{format_number(value)}</font>'
        size = ", width=0.4" if kind == "bias" else ""
        lines.append(f'    {node} [label=<{text}>, fillcolor="{FILL[kind]}"{size}];')
    chain = " -> ".join([head] + [node for node, *_ in nodes])
    lines += [f"    {chain} [style=invis];", "  }"]
    return lines


def _edge(source: str, target: str, name: str, w: Value, tooltip: str,
          weights: str | None) -> str:
    look = [f'tooltip="{tooltip}"']
    if weights == "values":
        name += f" = {format_number(w.data)}"
    if weights is not None:
        look.append(f"xlabel=<{_parameter_label(name) if isinstance(w, Parameter) else name}>")
    if weights == "values":
        look.append(f'color="{POSITIVE if w.data >= 0 else NEGATIVE}"')
        look.append(f"penwidth={0.5 + min(abs(w.data), 3.0):.2f}")
    return f"  {source} -> {target} [{', '.join(look)}];"


def _parameter_label(text: str) -> str:
    """A weight's label on draw_dot's parameter blue, as parameters are in every picture."""
    return (f'<table border="0" cellborder="0" cellspacing="0" cellpadding="2" '
            f'bgcolor="{FILL["parameter"]}" style="rounded"><tr><td>{text}</td></tr></table>')
