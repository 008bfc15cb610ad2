"""Graphs as TikZ pictures for LaTeX: Graphviz's layout, LaTeX's text.

Graphviz lays the graph out (``Graph.layout()``: its ``json0`` output, positions in points); this
module writes each node at Graphviz's position and size, each edge along Graphviz's own Bezier
curve, and a colour legend under the picture. The words come from each node's ``tex`` attribute
(``draw_dot`` and ``nn.draw_network`` write one: the name, data and grad as LaTeX), so the text is
LaTeX's and the numbers are the picture's. The colours, shapes and line styles are read from the
nodes' and edges' own DOT attributes, so every theme carries over.

``tikz_document`` is a file that works two ways. ``pdflatex`` compiles it as it is (the
``standalone`` class: a page the size of the picture). And a document of your own takes it with
``\\input``: its header holds a block between a line ``% preamble:`` and a line
``% end preamble``, the preamble lines the picture needs (tikz, its libraries, adjustbox, the
colours), one per line after ``% ``; copy them into your preamble (``article``, ``beamer``, any
class) and ``\\input{graph.tex}`` where the picture goes. There it shrinks to the text width
(and to 0.8 of the text height, which in Beamer is the frame's) when it is larger. The file
tells the two cases apart by whether ``\\documentclass`` has been used already.

TeX's lengths stop at 16383.99 points: a picture larger than ``MAX_EXTENT`` (a chain of 90
values is 17,000 points wide) is written at a smaller scale, positions, nodes, text and lines
alike, so it compiles and then shrinks to the page as any other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from autograd.pictures.themes import KINDS

__all__ = ["Colours", "Layout", "latex_text", "picture_elements", "tikz_document", "tikz_picture"]

#: The TikZ libraries every picture needs (arrow tips, ellipses, clipped-corner boxes).
LIBRARIES = "arrows.meta,shapes.geometric,shapes.misc,backgrounds"
#: The largest width or height, in points, written as it is: beyond it a picture is scaled down,
#: half TeX's largest length (16383.99pt), as TikZ adds to positions as it goes.
MAX_EXTENT = 8000.0
#: How large an ``\\input`` picture may be: the line's width, and this much of the text height
#: (in Beamer the frame's), so a tall picture leaves room for a frame title.
MAX_HEIGHT = r"0.8\textheight"

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}"}
# The check and cross of graded exercises, in symbols every LaTeX has.
_MARKS = {"\u2713": r"$\surd$", "\u2717": r"$\times$"}
# Greek capitals LaTeX has commands for; the others look like Latin letters (Alpha is A).
_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                   "Psi", "Omega"}


def latex_text(text: str) -> str:
    """``text`` as LaTeX that pdflatex typesets with no package beyond the standard ones.

    TeX's special characters are escaped (``x_1`` stays ``x_1`` on the page); Greek letters
    become math symbols (``α`` is ``$\\alpha$``), check marks and crosses too; any other
    character beyond ASCII is shown by its code point (``[U+0445]``), as pdflatex has no glyph
    for most of them by default.
    """
    out = []
    for c in text:
        if c.isascii():
            out.append(_SPECIAL.get(c, c) if c.isprintable() else f"[U+{ord(c):04X}]")
        else:
            out.append(_MARKS.get(c) or _greek(c) or f"[U+{ord(c):04X}]")
    return "".join(out)


def _greek(c: str) -> str | None:
    name = unicodedata.name(c, "")
    match = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if not match:
        return None
    letter = match.group(2).capitalize()
    if match.group(1) == "SMALL":
        letter = {"Final_sigma": "varsigma", "Omicron": "o"}.get(letter, letter.lower())
        return None if letter == "lamda" else f"$\\{letter}$"
    return f"$\\{letter}$" if letter in _GREEK_CAPITALS else None


@dataclass
class Layout:
    """Graphviz's layout of a graph: its bounding box and attributes, nodes and edges, from
    ``-Tjson0`` (positions in points, y upwards)."""

    bounding_box: tuple[float, float, float, float]
    graph: Mapping[str, str]
    nodes: list[dict]
    edges: list[dict]

    @classmethod
    def from_json(cls, data: Mapping) -> Layout:
        objects = {item["_gvid"]: item for item in data.get("objects", ())}
        nodes = [item for item in objects.values() if "pos" in item and "nodes" not in item]
        edges = []
        for edge in data.get("edges", ()):
            edge = dict(edge)
            edge["tail"], edge["head"] = (objects[edge["tail"]]["name"],
                                          objects[edge["head"]]["name"])
            edges.append(edge)
        box = tuple(float(v) for v in data["bb"].split(","))
        graph = {k: v for k, v in data.items() if isinstance(v, str)}
        return cls(box, graph, nodes, edges)  # type: ignore[arg-type]


class Colours:
    """``\\definecolor`` names for the ``#rrggbb`` colours a picture uses."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, colour: str | None, default: str = "#000000") -> str:
        colour = (colour or default).strip()
        if colour.lower() in ("black", "white"):
            colour = "#000000" if colour.lower() == "black" else "#ffffff"
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            colour = default
        key = colour[1:].upper()
        return self.names.setdefault(key, f"bp{key}")

    def definitions(self) -> str:
        return "\n".join(rf"\definecolor{{{name}}}{{HTML}}{{{key}}}"
                         for key, name in self.names.items())


def tikz_picture(layout: Layout, *, legend: bool = True,
                 colours: Colours | None = None) -> str:
    """The ``tikzpicture`` of ``layout``: nodes at Graphviz's positions and sizes, edges along
    its curves, and (``legend=True``) a legend of the kinds of node drawn. ``colours`` collects
    the colours used, for their ``\\definecolor`` lines."""
    elements = picture_elements(layout, colours or Colours(), legend=legend)
    return "\n".join([line for lines in elements.values() for line in lines]
                     + [r"\end{tikzpicture}"])


def picture_scale(layout: Layout) -> float:
    """1, or the factor that brings a picture larger than ``MAX_EXTENT`` points down to it."""
    x0, y0, x1, y1 = layout.bounding_box
    extent = max(x1 - x0, y1 - y0 + 40)  # the legend's rows go under the picture
    return 1.0 if extent <= MAX_EXTENT else MAX_EXTENT / extent


def picture_elements(layout: Layout, colours: Colours, *,
                     legend: bool = True) -> dict[str, list[str]]:
    """The lines of the picture of ``layout``, by element: ``"frame"`` (its opening), then
    ``"edge <i>"`` and ``"node <name>"`` for each edge and node, and ``"legend"``. Two
    layouts of the same graph have the same keys (Beamer overlays compare them). A layout
    larger than ``MAX_EXTENT`` is drawn smaller (``picture_scale``): positions, nodes (with
    their text) and lines alike."""
    scale = picture_scale(layout)
    background = colours(layout.graph.get("bgcolor", "#ffffff"), "#ffffff")
    frame = [
        f"\\begin{{tikzpicture}}[x=1pt, y=1pt, "
        f">={{Stealth[length={_f(5 * scale, 3)}pt, width={_f(4 * scale, 3)}pt]}},",
        f"  show background rectangle, inner frame sep={_f(6 * scale, 3)}pt, "
        f"background rectangle/.style={{fill={background}, draw=none}}"]
    if scale != 1:
        frame[-1] += f", every node/.append style={{scale={_f(scale, 4)}}}"
    frame[-1] += "]"
    elements = {"frame": frame}
    for i, edge in enumerate(layout.edges):
        elements[f"edge {i}"] = _edge(edge, colours, scale)
    # Where the edges into an operation drawn in its value's box (``op_tex``) arrive: the
    # operation's side facing its parents, "op:w" or "op:n".
    arrivals = {edge["head"]: (edge["headport"], edge["pos"].split()[0])
                for edge in layout.edges
                if edge.get("headport", "").startswith("op:") and edge["pos"].startswith("e,")}
    for node in layout.nodes:
        elements[f"node {node['name']}"] = _node(node, colours, scale,
                                                 arrivals.get(node["name"]))
    if legend:
        elements["legend"] = _legend(layout, colours, scale)
    return elements


def tikz_document(layout: Layout, *, legend: bool = True, below: str = "") -> str:
    """The picture of ``layout`` as a LaTeX file that ``pdflatex`` compiles on its own (a page
    the size of the picture) and that a document of your own ``\\input``s after copying the
    lines of its ``% preamble:`` block (see this module's docstring).

    ``below``: LaTeX set under the picture at the text's own size (an exercise's questions, a
    report's table), not shrunk with the picture.
    """
    colours = Colours()
    picture = tikz_picture(layout, legend=legend, colours=colours)
    # On a page of its own, varwidth lets the page hold paragraphs (the picture, then the text
    # under it) and still be as narrow as they are.
    opening = r"\documentclass[varwidth=\maxdimen]{standalone}" if below else \
        r"\documentclass{standalone}"
    return "\n".join([
        "% Made by backprop-lab: node positions and edges from Graphviz's layout.",
        *how_to_use("\\input this file where the picture goes (it shrinks to the text width)"),
        *preamble_block(colours),
        *standalone_opening(colours, (opening,)),
        rf"\providecommand\backproplabfit[1]{{\par\noindent\adjustbox{{max width=\linewidth, "
        rf"max totalheight={MAX_HEIGHT}}}{{#1}}\par}}",
        r"\backproplabfit{%",
        picture + "}",
        *([r"\par\medskip\noindent", below, r"\par"] if below else []),
        r"\backproplabend{document}",
        ""])


def how_to_use(where: str) -> list[str]:
    """The header's comment lines: compile the file, or copy the preamble block and ``where``."""
    return ["% Compile it with pdflatex as it is. In a document of your own (article, beamer,",
            "% ...): copy the lines of the preamble block below into your preamble, each",
            "% without its '% '.", f"% Then {where}."]


def preamble_lines(colours: Colours) -> list[str]:
    """What a document needs before a picture that used ``colours``: TikZ and its libraries,
    adjustbox (which fits the picture to the page) and the colours, one line each."""
    return [r"\usepackage{tikz}", rf"\usetikzlibrary{{{LIBRARIES}}}", r"\usepackage{adjustbox}",
            *colours.definitions().splitlines()]


def preamble_block(colours: Colours) -> list[str]:
    """The header's ``% preamble:`` ... ``% end preamble`` block: ``preamble_lines``, each
    after ``% ``."""
    return ["% preamble:", *(f"% {line}" for line in preamble_lines(colours)), "% end preamble"]


def standalone_opening(colours: Colours,
                       opening: Sequence[str] = (r"\documentclass{standalone}",)) -> list[str]:
    """The lines that make a file compile on its own, skipped when it is ``\\input``: the
    class (``opening``: the ``\\documentclass`` line and any settings of a document of its own),
    the preamble, ``\\begin{document}``; and ``\\backproplabend``, which ends the
    document at the file's end only then (input, it swallows its argument).

    LaTeX turns ``\\documentclass`` into an error message once a class is loaded: while it is
    not that, the file is being compiled on its own. On a page of its own a picture keeps its
    natural size (``\\backproplabfit`` does nothing)."""
    return [
        r"\expandafter\ifx\csname @twoclasseserror\endcsname\documentclass\else",
        *opening,
        *preamble_lines(colours),
        r"\newcommand\backproplabfit[1]{#1}",
        r"\let\backproplabend\end",
        r"\begin{document}",
        r"\fi",
        r"\providecommand\backproplabend[1]{}"]


def _point(text: str, scale: float = 1.0) -> tuple[float, float]:
    x, y = text.split(",")[:2]
    return float(x) * scale, float(y) * scale


def _f(number: float, digits: int = 2) -> str:
    text = f"{number:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _edge(edge: Mapping[str, str], colours: Colours, scale: float = 1.0) -> list[str]:
    style = edge.get("style", "")
    if "invis" in style or "pos" not in edge:
        return []
    options = [f"draw={colours(edge.get('color'), '#666666')}",
               f"line width={_f(float(edge.get('penwidth', 1)) * 0.8 * scale, 3)}pt"]
    if "dashed" in style:
        options.append("dashed")
    if "dotted" in style:
        options.append("dotted")
    end = None
    points = []
    for part in edge["pos"].split():
        if part.startswith("e,"):
            end = _point(part[2:], scale)
        elif not part.startswith("s,"):
            points.append(_point(part, scale))
    if end is not None and edge.get("arrowhead", "normal") != "none":
        options.append("->")
    path = [f"({_f(points[0][0])}, {_f(points[0][1])})"]
    for i in range(1, len(points) - 2, 3):
        (ax, ay), (bx, by), (cx, cy) = points[i:i + 3]
        path.append(f".. controls ({_f(ax)}, {_f(ay)}) and ({_f(bx)}, {_f(by)}) .. "
                    f"({_f(cx)}, {_f(cy)})")
    if end is not None:
        path.append(f"-- ({_f(end[0])}, {_f(end[1])})")
    lines = [f"\\draw[{', '.join(options)}] " + " ".join(path) + ";"]
    if edge.get("label") and "lp" in edge:  # words on the edge, where Graphviz put them
        x, y = _point(edge["lp"], scale)
        lines.append(f"\\node[font=\\sffamily\\footnotesize, "
                     f"text={colours(edge.get('fontcolor'), '#000000')}] at ({_f(x)}, {_f(y)}) "
                     f"{{{latex_text(edge['label'])}}};")
    return lines


# Graphviz's Helvetica at 11 points is about as wide as LaTeX's sans serif at 10.
_FONT_SIZES = ((11, r"\normalsize"), (10, r"\small"), (9, r"\footnotesize"), (7, r"\scriptsize"),
               (0, r"\tiny"))


def _font(size: str | None) -> str:
    points = float(size or 14)
    return next(command for limit, command in _FONT_SIZES if points >= limit)


def _node_options(node: Mapping[str, str], colours: Colours) -> list[str]:
    """TikZ options for a node drawn as its DOT attributes say (shape, style, colours, size)."""
    shape = node.get("shape", "ellipse")
    style = node.get("style", "")
    width, height = float(node["width"]) * 72, float(node["height"]) * 72
    # LaTeX's size (``tex_fontsize``) where the layout measured the text at another.
    size = node.get("tex_fontsize") or node.get("fontsize")
    options = [f"font=\\sffamily{_font(size)}",
               f"text={colours(node.get('fontcolor'), '#000000')}", "inner sep=1pt",
               "align=center"]
    if shape in ("plain", "plaintext", "none"):
        return options
    tikz_shape = {"box": "rectangle", "rect": "rectangle", "rectangle": "rectangle",
                  "circle": "circle", "doublecircle": "circle"}.get(shape, "ellipse")
    if "diagonals" in style:
        tikz_shape = "chamfered rectangle, chamfered rectangle xsep=3pt"
    options += [tikz_shape, f"minimum width={_f(width)}pt", f"minimum height={_f(height)}pt",
                f"draw={colours(node.get('color'), '#000000')}",
                f"line width={_f(float(node.get('penwidth', 1)) * 0.8)}pt"]
    if "filled" in style:
        options.append(f"fill={colours(node.get('fillcolor'), '#d3d3d3')}")
    if "rounded" in style and tikz_shape == "rectangle":
        options.append("rounded corners=3pt")
    if "dashed" in style:
        options.append("dashed")
    if node.get("peripheries") == "2" or shape == "doublecircle":
        options.append("double, double distance=1.2pt")
    return options


def _node(node: Mapping[str, str], colours: Colours, scale: float = 1.0,
          arrival: tuple[str, str] | None = None) -> list[str]:
    """A node at Graphviz's position; and, for a value box that holds its operation
    (``op_tex``), the operation's oval where its edges arrive (``arrival``: the port, as
    ``"op:w"``, and an edge's ``e,x,y`` end)."""
    if "invis" in node.get("style", ""):
        return []
    x, y = _point(node["pos"], scale)
    text = node.get("tex")
    if text is None:  # a graph not drawn by this library: its plain label, tags removed
        label = node.get("label", "\\N").replace("\\N", node["name"])
        text = latex_text(re.sub(r"<[^>]*>", " ", label).strip())
    name = re.sub(r"[^A-Za-z0-9_]", "_", node["name"])
    options = ", ".join(_node_options(node, colours))
    lines = [f"\\node[{options}] ({name}) at ({_f(x)}, {_f(y)}) {{{text}}};"]
    if "op_tex" in node and arrival is not None:
        lines.append(_operation_in_box(node, colours, scale, arrival))
    return lines


def _operation_in_box(node: Mapping[str, str], colours: Colours, scale: float,
                      arrival: tuple[str, str]) -> str:
    """The oval of the operation drawn in its value's box: Graphviz's cell for it is
    ``op_width`` by ``op_height`` points, its side facing the parents where the edges end."""
    port, end = arrival
    x, y = _point(end[2:], scale)
    oval = {key[3:]: value for key, value in node.items()
            if key in ("op_fillcolor", "op_fontcolor", "op_color", "op_penwidth")}
    # The oval 1pt inside its cell, so that the arrows point at it and it never meets the box.
    width, height = float(node["op_width"]) - 2, float(node["op_height"]) - 2
    oval.update(shape="ellipse", style="filled", fontsize="10", width=str(width / 72),
                height=str(height / 72))
    anchor, offset = ("west", (scale, 0)) if port.endswith(":w") else ("north", (0, -scale))
    options = ", ".join([*_node_options(oval, colours), f"anchor={anchor}", "inner sep=0pt"])
    return (f"\\node[{options}] at ({_f(x + offset[0])}, {_f(y + offset[1])}) "
            f"{{{node['op_tex']}}};")


def _legend(layout: Layout, colours: Colours, scale: float = 1.0) -> list[str]:
    """A row of swatches under the picture: one per kind of node drawn, styled as those nodes,
    and a line for highlighted edges when there are any."""
    # Each kind's swatch looks like an unhighlighted node of that kind.
    plain = next((n for n in layout.nodes if n.get("marked") != "true" and "kind" in n), {})
    seen: dict[str, Mapping[str, str]] = {}
    for node in sorted(layout.nodes, key=lambda n: n.get("marked") == "true"):
        kind = node.get("kind")
        if kind in KINDS and kind not in seen:
            seen[kind] = node if node.get("marked") != "true" else dict(
                node, color=plain.get("color", "#000000"), penwidth="1")
    marked = next((edge for edge in layout.edges if edge.get("marked") == "true"), None)
    if not seen and marked is None:
        return []
    x0, y0, x1, _ = layout.bounding_box
    text_colour = colours(layout.graph.get("fontcolor"), "#000000")
    x, y, lines = x0 + 4, y0 - 16, []
    entries = [(kind, KINDS[kind]) for kind in KINDS if kind in seen]
    if marked is not None:
        entries.append(("highlight", "highlighted: backprop's paths"))
    for kind, words in entries:
        width = 24 + 5.2 * len(words)
        if x + width > max(x1, 200) and x > x0 + 4:
            x, y = x0 + 4, y - 18
        if kind == "highlight":
            options = [f"draw={colours(marked.get('color'))}",
                       f"line width={_f(float(marked.get('penwidth', 1)) * 0.8 * scale, 3)}pt"]
            lines.append(f"\\draw[{', '.join(options)}] ({_f(x * scale)}, {_f(y * scale)}) -- "
                         f"({_f((x + 14) * scale)}, {_f(y * scale)});")
        else:
            swatch = dict(seen[kind], width="0.2", height="0.16")
            options = [o for o in _node_options(swatch, colours) if not o.startswith("font")]
            lines.append(f"\\node[{', '.join(options)}] at ({_f((x + 7) * scale)}, "
                         f"{_f(y * scale)}) {{}};")
        lines.append(f"\\node[anchor=west, font=\\sffamily\\scriptsize, text={text_colour}] "
                     f"at ({_f((x + 17) * scale)}, {_f(y * scale)}) {{{latex_text(words)}}};")
        x += width
    return lines
