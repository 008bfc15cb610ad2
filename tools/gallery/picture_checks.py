"""Machine checks of a picture, as a reader would judge it: every text readable on what is behind
it, no two texts on top of each other, no text across its box's border or the picture's edge,
and in the print theme nothing but greys.

``svg_problems(svg, greys_only=False)`` reads the SVG Graphviz writes (``draw_dot``,
``nn.draw_network``, the step frames, reports): each ``<text>``'s position, size, weight and
baseline shift (subscripts, superscripts), and the filled shapes drawn before it (the page,
node outlines, table cells). ``figure_problems(fig, greys_only=False)`` does the same for a
matplotlib figure (the plots) from its artists. Both return a list of sentences, one per
problem, empty when the picture passes.

Text is measured with DejaVu Sans' advance widths, the font Graphviz's bundled fontconfig falls
back to for Helvetica and the widest of the fonts a viewer may pick: a text that fits in
DejaVu fits in Helvetica, Arial and Liberation Sans too.

Contrast is WCAG 2's: (L1 + 0.05) / (L2 + 0.05) of the relative luminances, at least 4.5 for
text below 18 points and 3 for larger text.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

__all__ = ["contrast", "figure_problems", "svg_problems", "svg_texts"]

#: WCAG 2 AA: normal text, and text of 18 points or more.
MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0
LARGE_TEXT_POINTS = 18.0

# Advance widths of ASCII 32..126 in DejaVu Sans (regular, bold), in thousandths of an em.
_WIDTHS = {
    False: [int(w) for w in (
        "318 401 460 838 636 950 780 275 390 390 500 838 318 361 318 337 636 636 636 636 636 "
        "636 636 636 636 636 337 337 838 838 838 531 1000 684 686 698 770 632 575 775 752 295 "
        "295 656 557 863 748 787 603 787 695 635 611 732 684 989 685 611 685 390 337 390 838 "
        "500 500 613 635 550 635 615 352 635 634 278 278 579 278 974 634 612 635 635 411 521 "
        "392 634 592 818 592 592 525 636 337 636 838").split()],
    True: [int(w) for w in (
        "348 456 521 838 696 1002 872 306 457 457 523 838 380 415 380 365 696 696 696 696 696 "
        "696 696 696 696 696 400 400 838 838 838 580 1000 774 762 734 830 683 683 821 837 372 "
        "372 775 637 995 837 850 733 850 770 720 682 812 774 1103 771 724 725 457 365 457 838 "
        "500 500 675 716 593 716 678 435 716 712 343 343 665 343 1042 712 687 716 716 493 595 "
        "478 712 652 924 645 652 582 712 365 712 838").split()],
}
_NON_ASCII_WIDTH = 750  # Greek letters, marks, arrows: about a wide Latin letter
# Heights in ems above and below the baseline: capitals and digits, letters such as x, and
# descenders (g, p, y, brackets).
_CAP, _X_HEIGHT, _DESCENT = 0.73, 0.56, 0.24
_SHORT = set("acemnorsuvwxz.,:-=+~*<> ")
_DESCENDERS = set("gjpqyQ()[]{}|_@$;,/\\")
# How far a viewer moves sub- and superscripts, in ems (browsers 0.2 to 0.33 down, about
# 0.33 to 0.4 up; cairo, which draws Graphviz's PNG and PDF, the most): the larger of each.
_SHIFT = {"sub": 0.33, "super": -0.4}
# Slack for rounding in the SVG (two decimals) and for anti-aliasing: half a point.
_SLACK = 0.5

_SVG = "{http://www.w3.org/2000/svg}"
_NAMED = {"black": "#000000", "white": "#ffffff", "none": None, "transparent": None}


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width of ``text`` at ``size`` points."""
    widths = _WIDTHS[bold]
    return size / 1000 * sum(widths[ord(c) - 32] if 32 <= ord(c) < 127 else _NON_ASCII_WIDTH
                             for c in text)


def colour(value: str | None, default: str | None = "#000000") -> tuple[str, float] | None:
    """``(#rrggbb, opacity)`` of an SVG colour, or None for none/transparent."""
    if value is None:
        return None if default is None else (default, 1.0)
    value = value.strip().lower()
    if value in _NAMED:
        named = _NAMED[value]
        return None if named is None else (named, 1.0)
    match = re.fullmatch(r"#([0-9a-f]{6})([0-9a-f]{2})?", value)
    if match:
        alpha = int(match.group(2), 16) / 255 if match.group(2) else 1.0
        return ("#" + match.group(1), alpha) if alpha > 0 else None
    match = re.fullmatch(r"#([0-9a-f])([0-9a-f])([0-9a-f])", value)
    if match:
        return "#" + "".join(c * 2 for c in match.groups()), 1.0
    raise ValueError(f"colour {value!r}: the checks read #rgb, #rrggbb, #rrggbbaa and "
                     f"{', '.join(_NAMED)}")


def luminance(hex_colour: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``, 0 (black) to 1 (white)."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(top: tuple[str, float], under: str) -> str:
    """``top`` (a colour and its opacity) painted over the opaque ``under``."""
    hex_top, alpha = top
    mixed = [round(alpha * int(hex_top[i:i + 2], 16) + (1 - alpha) * int(under[i:i + 2], 16))
             for i in (1, 3, 5)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def is_grey(hex_colour: str) -> bool:
    return hex_colour[1:3] == hex_colour[3:5] == hex_colour[5:7]


@dataclass
class Shape:
    """A filled or outlined shape Graphviz drew: an ellipse or a polygon (paths are taken by
    their points, which for Graphviz's rounded boxes lie on the outline)."""

    group: str  # the node's or edge's title; "" for the graph's own
    fill: tuple[str, float] | None
    stroke_width: float
    ellipse: tuple[float, float, float, float] | None = None  # cx, cy, rx, ry
    points: list[tuple[float, float]] | None = None
    rounded: bool = False  # a path: its points include curves' control points

    def contains(self, x: float, y: float, inset: float = 0.0) -> bool:
        """Whether (x, y) lies inside, at least ``inset`` from the outline."""
        if self.ellipse is not None:
            cx, cy, rx, ry = self.ellipse
            rx, ry = rx - inset, ry - inset
            return rx > 0 and ry > 0 and ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        if not (min(xs) + inset <= x <= max(xs) - inset
                and min(ys) + inset <= y <= max(ys) - inset):
            return False
        return self.rounded or len(self.points) <= 5 or _in_polygon(x, y, self.points)

    @property
    def area(self) -> float:
        if self.ellipse is not None:
            return math.pi * self.ellipse[2] * self.ellipse[3]
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (max(xs) - min(xs)) * (max(ys) - min(ys))


def _in_polygon(x: float, y: float, points: list[tuple[float, float]]) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


@dataclass
class Text:
    """One ``<text>``: its words, box (left, top, right, bottom; y grows downwards), size in
    points, colour, the node or edge it belongs to and what is painted behind it."""

    words: str
    box: tuple[float, float, float, float]
    size: float
    colour: tuple[str, float]
    group: str
    group_kind: str  # "node", "edge", "graph" or "cluster"
    behind: str  # the opaque colour behind it
    container: Shape | None  # the node's shape it sits in, None for free text
    run: int  # texts of one line of one label share a run (spans of x, subscript 1, ...)
    baseline: float


def svg_texts(svg: str) -> tuple[list[Text], tuple[float, float, float, float], list[str]]:
    """Every text of a Graphviz SVG, the picture's extent (left, top, right, bottom) and every
    colour it paints with."""
    root = ET.fromstring(svg)
    extent = _extent(root)
    shapes: list[Shape] = []
    texts: list[Text] = []
    colours: list[str] = []
    page = "#ffffff"
    runs = itertools.count()

    def walk(element: ET.Element, group: str, kind: str) -> None:
        nonlocal page
        for child in element:
            tag = child.tag.removeprefix(_SVG)
            if tag == "g":
                klass = child.get("class", "")
                title = child.find(f"{_SVG}title")
                if klass in ("node", "edge", "cluster", "graph"):
                    walk(child, title.text if title is not None else "", klass)
                else:
                    walk(child, group, kind)
            elif tag == "a":
                walk(child, group, kind)
            elif tag in ("ellipse", "polygon", "path", "polyline"):
                for attribute in ("fill", "stroke"):
                    painted = colour(child.get(attribute), None)
                    if painted is not None:
                        colours.append(painted[0])
                shape = _shape(child, tag, group)
                if shape is not None:
                    if kind == "graph" and not shapes and shape.fill and shape.fill[1] == 1:
                        page = shape.fill[0]  # the page: the graph's first polygon
                    shapes.append(shape)
            elif tag == "text":
                text_colour = colour(child.get("fill"))
                if text_colour is None:
                    continue
                colours.append(text_colour[0])
                size = float(child.get("font-size", 14))
                x, y = float(child.get("x")), float(child.get("y"))
                words = child.text or ""
                box = _text_box(words, x, y, size, child.get("text-anchor", "start"),
                                child.get("font-weight") == "bold",
                                _SHIFT.get(child.get("baseline-shift", ""), 0.0))
                # Spans of one line of a label (x, then its subscript 1) follow on from each
                # other: one run, whose parts touch by design.
                before = texts[-1] if texts else None
                follows = (before is not None and before.group == group
                           and before.baseline == y and abs(before.box[2] - box[0]) < 0.2 * size)
                run = before.run if follows else next(runs)
                centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
                behind = page
                for shape in shapes:  # later shapes are painted over earlier ones
                    if shape.fill is not None and shape.contains(*centre):
                        behind = blend(shape.fill, behind)
                texts.append(Text(words, box, size, text_colour, group, kind, behind,
                                  _container(shapes, group, kind, centre), run, y))

    walk(root, "", "graph")
    return texts, extent, colours


def _shape(element: ET.Element, tag: str, group: str) -> Shape | None:
    fill = colour(element.get("fill"), "#000000" if tag != "polyline" else None)
    width = float(element.get("stroke-width", 1))
    if tag == "ellipse":
        geometry = tuple(float(element.get(a)) for a in ("cx", "cy", "rx", "ry"))
        return Shape(group, fill, width, ellipse=geometry)  # type: ignore[arg-type]
    if tag == "polyline":
        return None  # lines only (table rules, diagonals): nothing painted behind text
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?",
                                            element.get("points") or element.get("d") or "")]
    if len(numbers) < 6:
        return None
    return Shape(group, fill, width, points=list(zip(numbers[0::2], numbers[1::2])),
                 rounded=tag == "path")


def _container(shapes: list[Shape], group: str, kind: str,
               centre: tuple[float, float]) -> Shape | None:
    """The smallest shape of the text's own node around its centre (the node's outline or a
    table cell); None for text with no shape of its own (edge labels, titles, captions)."""
    if kind != "node":
        return None
    own = [s for s in shapes if s.group == group and (s.fill is not None or s.stroke_width)]
    if not own:
        return None
    around = [s for s in own if s.contains(*centre)]
    return min(around, key=lambda s: s.area) if around else max(own, key=lambda s: s.area)


def _text_box(words: str, x: float, y: float, size: float, anchor: str, bold: bool,
              shift: float) -> tuple[float, float, float, float]:
    width = text_width(words, size, bold)
    left = {"start": x, "middle": x - width / 2, "end": x - width}.get(anchor, x)
    body = words.strip()
    up = _X_HEIGHT if body and set(body) <= _SHORT else _CAP
    down = _DESCENT if set(body) & _DESCENDERS else 0.02
    baseline = y + shift * size
    return left, baseline - up * size, left + width, baseline + down * size


def _extent(root: ET.Element) -> tuple[float, float, float, float]:
    """The picture's extent in the coordinates its texts use (Graphviz translates its graph
    group so that y runs from -height to 0)."""
    view = [float(v) for v in (root.get("viewBox") or "0 0 0 0").split()]
    group = root.find(f"{_SVG}g")
    dx = dy = 0.0
    scale = 1.0
    if group is not None and group.get("transform"):
        transform = group.get("transform")
        found = re.search(r"translate\(([-\d.]+)[ ,]+([-\d.]+)\)", transform)
        if found:
            dx, dy = float(found.group(1)), float(found.group(2))
        found = re.search(r"scale\(([-\d.]+)", transform)
        if found:
            scale = float(found.group(1))
    left, top, width, height = view
    return (left / scale - dx, top / scale - dy, (left + width) / scale - dx,
            (top + height) / scale - dy)


def _overlap(a: tuple[float, ...], b: tuple[float, ...], slack: float = _SLACK) -> bool:
    return (a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3]
            and b[1] + slack < a[3])


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (inner[0] >= outer[0] - _SLACK and inner[1] >= outer[1] - _SLACK
            and inner[2] <= outer[2] + _SLACK and inner[3] <= outer[3] + _SLACK)


def svg_problems(svg: str | bytes, greys_only: bool = False) -> list[str]:
    """What is wrong with a Graphviz SVG, one sentence a problem (empty: nothing)."""
    if isinstance(svg, bytes):
        svg = svg.decode("utf-8")
    texts, extent, colours = svg_texts(svg)
    problems = [_contrast_problem(t) for t in texts]
    for text in texts:
        if not _inside(text.box, extent):
            problems.append(f"{text.words!r} ({text.group}) runs over the picture's edge")
        shape = text.container
        if shape is not None and not _within(text.box, shape):
            problems.append(f"{text.words!r} crosses the outline of its box ({text.group})")
    for a, b in itertools.combinations(texts, 2):
        if a.run != b.run and _overlap(a.box, b.box):
            problems.append(f"{a.words!r} ({a.group}) and {b.words!r} ({b.group}) overlap")
    if greys_only:
        problems += [f"{c} is not a grey (the print theme uses greys only)"
                     for c in sorted(set(colours)) if not is_grey(c)]
    return [p for p in problems if p]


def _within(box: tuple[float, float, float, float], shape: Shape) -> bool:
    inset = shape.stroke_width / 2 - _SLACK
    left, top, right, bottom = box
    return all(shape.contains(x, y, inset) for x, y in
               ((left, top), (right, top), (left, bottom), (right, bottom)))


def _contrast_problem(text: Text) -> str:
    if not text.words.strip():
        return ""
    ink = blend(text.colour, text.behind)
    ratio = contrast(ink, text.behind)
    least = MIN_CONTRAST_LARGE if text.size >= LARGE_TEXT_POINTS else MIN_CONTRAST
    if ratio + 1e-9 >= least:
        return ""
    return (f"{text.words!r} ({text.group or 'the graph'}): {ink} on {text.behind} has "
            f"contrast {ratio:.2f}, below {least}")


def figure_problems(fig: object, greys_only: bool = False) -> list[str]:
    """The same checks for a matplotlib figure: each visible text's contrast against the axes,
    legend or figure behind it, overlaps between texts, texts beyond the figure's edge; in
    print, every colour of every artist a grey."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_hex, to_rgba
    from matplotlib.legend import Legend
    from matplotlib.text import Text as MplText

    canvas = FigureCanvasAgg(fig)  # figures made without pyplot have no renderer of their own
    canvas.draw()
    renderer = canvas.get_renderer()
    page = to_hex(fig.get_facecolor())
    width, height = canvas.get_width_height()
    undrawn = _undrawn_tick_labels(fig)
    texts = []
    for artist in fig.findobj(MplText):
        if not artist.get_visible() or not artist.get_text().strip() or id(artist) in undrawn:
            continue
        box = artist.get_window_extent(renderer)
        if box.width == 0:
            continue
        behind = page
        axes = artist.axes
        centre = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        if axes is not None and axes.get_window_extent(renderer).contains(*centre) \
                and axes.patch.get_visible():
            behind = blend((to_hex(axes.get_facecolor()), to_rgba(axes.get_facecolor())[3]),
                           behind)
        legend = next((a for a in _parents(artist) if isinstance(a, Legend)), None)
        if legend is not None and legend.get_frame().get_visible():
            face = legend.get_frame().get_facecolor()
            behind = blend((to_hex(face), face[3]), behind)
        texts.append((artist, (box.x0, height - box.y1, box.x1, height - box.y0), behind))
    problems = []
    for artist, box, behind in texts:
        ink = blend((to_hex(artist.get_color()), to_rgba(artist.get_color())[3]), behind)
        points = artist.get_fontsize()
        least = MIN_CONTRAST_LARGE if points >= LARGE_TEXT_POINTS else MIN_CONTRAST
        if contrast(ink, behind) < least:
            problems.append(f"{artist.get_text()!r}: {ink} on {behind} has contrast "
                            f"{contrast(ink, behind):.2f}, below {least}")
        if not _inside(box, (0, 0, width, height)):
            problems.append(f"{artist.get_text()!r} runs over the figure's edge")
    for (a, box_a, _), (b, box_b, _) in itertools.combinations(texts, 2):
        if _overlap(box_a, box_b, slack=1.0):
            problems.append(f"{a.get_text()!r} and {b.get_text()!r} overlap")
    if greys_only:
        problems += [f"{c} is not a grey (the print theme uses greys only)"
                     for c in sorted(_figure_colours(fig)) if not is_grey(c)]
    return problems


def _undrawn_tick_labels(fig: object) -> set[int]:
    """The tick labels matplotlib keeps but does not draw: those of ticks beyond the axes'
    limits."""
    hidden = set()
    for axes in fig.axes:
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    hidden |= {id(tick.label1), id(tick.label2)}
    return hidden


def _parents(artist: object) -> list[object]:
    """The artists that hold ``artist`` (legends hold their texts in boxes of boxes)."""
    chain = []
    for legend in artist.figure.legends + [a.get_legend() for a in artist.figure.axes]:
        if legend is not None and artist in legend.findobj():
            chain.append(legend)
    return chain


def _figure_colours(fig: object) -> set[str]:
    """Every colour of every artist of ``fig`` (faces, edges, lines, texts, images' maps)."""
    from matplotlib.colors import to_hex

    found = set()
    for artist in fig.findobj():
        for getter in ("get_facecolor", "get_edgecolor", "get_color", "get_markerfacecolor",
                       "get_markeredgecolor"):
            method = getattr(artist, getter, None)
            if method is None:
                continue
            try:
                value = method()
            except (TypeError, ValueError, AttributeError):
                continue
            for single in _colour_list(value):
                found.add(to_hex(single))
        cmap = getattr(artist, "get_cmap", None)
        if cmap is not None and getattr(artist, "get_array", lambda: None)() is not None:
            found |= {to_hex(cmap()(i / 8)) for i in range(9)}
    return found


def _colour_list(value: object) -> list[object]:
    from matplotlib.colors import is_color_like

    if isinstance(value, str):
        return [value] if is_color_like(value) and value != "none" else []
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        return []
    if items and all(isinstance(v, (int, float)) for v in items) and len(items) in (3, 4):
        return [tuple(items)] if len(items) == 3 or items[3] > 0 else []
    out = []
    for item in items:
        out += _colour_list(item)
    return out
