"""Themes: one look shared by every picture (graphs, step-throughs, network diagrams, plots).

``theme="light"`` (the default), ``"dark"`` (for dark slides) or ``"print"`` (greyscale handouts)
is accepted by ``draw_dot``, ``trace.save``, ``nn.draw_network`` and ``nn``'s plots alike.

The light theme's fills are Paul Tol's "light" scheme, made for cells with black text and kept
distinct under the three common kinds of colour blindness (protanopia, deuteranopia,
tritanopia): parameters light blue, inputs light yellow, the output mint green, constants pale
grey. Lines and classes in plots use the Okabe-Ito palette, the usual colour-blind-safe choice.
The dark theme keeps those fills on a dark background, with light text for the plain values.
The print theme uses greys only and tells kinds apart by shape and line: parameters have a double
border, inputs square corners, constants a dashed border, the output clipped corners, and
highlights are thick black lines where everything else is thin and grey. Graded numbers are green
or red in the light theme, dark green or dark red under light text in the dark one, and white or
grey in print, where a check or a cross and a solid or dashed border tell them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from autograd.core.report import FAIL_FILL, PASS_FILL

__all__ = ["KINDS", "THEMES", "Theme", "get_theme"]

#: What each kind of node is, as legends say it, in the order legends list them.
KINDS = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "value": "intermediate value",
    "operation": "operation",
    "hidden": "hidden unit",
    "bias": "bias unit (+1)",
    "output": "output",
}

_OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
              "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: How graded numbers look (exercises, the mistakes lab), right and wrong: (fill, mark, border
#: colour, border style, border width). The mark and the border style tell them apart without
#: colour too (greyscale prints, colour blindness). The light fills are those of the reports'
#: HTML tables.
Verdicts = Mapping[bool, tuple[str, str, str, str, float]]
_LIGHT_VERDICTS: Verdicts = {
    True: (PASS_FILL, "\u2713", "#238b45", "solid", 2),  # right: light green, a check mark
    False: (FAIL_FILL, "\u2717", "#cb181d", "dashed", 3),  # wrong: light red, a cross
}
_BOXES = {kind: {"shape": "box", "style": "rounded,filled"}
          for kind in ("parameter", "input", "constant", "output", "value")}
_UNITS = {kind: {"shape": "circle", "style": "filled"}
          for kind in ("input", "hidden", "output", "bias")}


@dataclass(frozen=True)
class Theme:
    """Colours, and for the print theme shapes and line styles, of every picture.

    Attributes:
        name: ``"light"``, ``"dark"`` or ``"print"``.
        background, text, muted, line: the page, the text, secondary text (``grad ?``, layer
            titles) and edges and borders.
        highlight: what highlighted borders and edges are drawn in.
        highlight_width: their line width in points (other lines are 1).
        fills: fill colour by kind of node (see ``KINDS``).
        shapes: DOT shape, style and peripheries by kind of value box (``box_attributes``).
        units: the same for the units (circles) of network diagrams.
        series: colours of plot lines and classes, in order.
        markers: matplotlib markers of the classes, in order (every theme: shape as well as
            colour tells classes apart).
        hatches: matplotlib hatches of the decision regions (print only).
        positive, negative: edge colours for positive and negative weights; ``negative_style``
            the DOT style of negative ones (dashed in print).
        grid: the grid lines of plots.
        verdicts: how right and wrong numbers look, by ``True`` and ``False``: (fill, mark,
            border colour, border style, border width); text on the fill is ``text_on(fill)``.
    """

    name: str
    background: str
    text: str
    muted: str
    line: str
    highlight: str
    fills: Mapping[str, str]
    shapes: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _BOXES)
    units: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _UNITS)
    highlight_width: float = 3.0
    series: tuple[str, ...] = _OKABE_ITO
    markers: tuple[str, ...] = _MARKERS
    hatches: tuple[str, ...] = ()
    positive: str = "#0072b2"
    negative: str = "#d55e00"
    negative_style: str = "solid"
    grid: str = "#b0b0b0"
    verdicts: Verdicts = field(default_factory=lambda: _LIGHT_VERDICTS)

    def text_on(self, fill: str) -> str:
        """A readable text colour on ``fill``: near-black on light fills, the theme's light
        text on dark ones (the WCAG relative luminance decides)."""
        return "#111111" if luminance(fill) > 0.3 else self.text

    def muted_on(self, fill: str) -> str:
        """Secondary text (``grad ?``) on ``fill``: the palest grey that still reads on it
        (WCAG contrast 4.5:1), dark on light fills, light on dark ones."""
        greys = _DARK_GREYS if luminance(fill) > 0.3 else (self.muted, *_LIGHT_GREYS)
        return next((g for g in greys if contrast(g, fill) >= 4.5), greys[-1])

    def box_attributes(self, kind: str, marked: bool = False) -> str:
        """DOT attributes of a value box of ``kind`` (shape, style, peripheries, colours),
        with the highlight border when ``marked``."""
        return self._attributes(self.shapes[kind], kind, marked)

    def unit_attributes(self, kind: str, marked: bool = False) -> str:
        """DOT attributes of a network diagram's unit (a circle) of ``kind``."""
        return self._attributes(self.units[kind], kind, marked)

    def _attributes(self, look: Mapping[str, str], kind: str, marked: bool) -> str:
        fill = self.fills[kind]
        parts = [f'{key}="{value}"' for key, value in look.items()]
        parts += [f'fillcolor="{fill}"', f'fontcolor="{self.text_on(fill)}"']
        if marked:
            parts.append(f'color="{self.highlight}", penwidth={self.highlight_width:g}, '
                         'marked="true"')
        else:
            parts.append(f'color="{self.line}"')
        parts.append(f'kind="{kind}"')
        return ", ".join(parts)


# Secondary text from most to least muted: on light fills, on dark ones.
_DARK_GREYS = ("#595959", "#4a4a4a", "#3a3a3a", "#2a2a2a", "#111111")
_LIGHT_GREYS = ("#b0b0b0", "#c8c8c8", "#e0e0e0", "#ffffff")


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def luminance(colour: str) -> float:
    """The relative luminance (0 black to 1 white) of a ``#rrggbb`` colour, as WCAG defines it."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# Tol's pale grey (#dddddd) a shade darker, so constants stand apart from white values too.
_TOL_LIGHT = {"parameter": "#77aadd", "input": "#eedd88", "constant": "#d0d0d0",
              "output": "#44bb99", "bias": "#d0d0d0"}

_GREYS = ("#000000", "#555555", "#999999", "#333333", "#777777", "#bbbbbb", "#222222",
          "#666666")

THEMES = {
    "light": Theme(
        name="light", background="#ffffff", text="#111111", muted="#737373", line="#4d4d4d",
        highlight="#d55e00",
        fills={**_TOL_LIGHT, "value": "#ffffff", "operation": "#ece2f0", "hidden": "#ffffff"}),
    "dark": Theme(
        name="dark", background="#1e2127", text="#e6e6e6", muted="#a0a4ab", line="#b8bcc4",
        highlight="#ee7733", grid="#5a5f69",
        fills={**_TOL_LIGHT, "constant": "#9a9a9a", "bias": "#9a9a9a", "value": "#343a44",
               "operation": "#4a4360", "hidden": "#343a44"},
        # dark green and dark red under the light text, with bright borders on the dark page
        verdicts={True: ("#1e4d2b", "\u2713", "#5fd38d", "solid", 2),
                  False: ("#5c1e1e", "\u2717", "#ff7f6e", "dashed", 3)},
        series=("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00", "#0072b2",
                "#ffffff"),
        positive="#56b4e9", negative="#e69f00"),
    "print": Theme(
        name="print", background="#ffffff", text="#000000", muted="#555555", line="#000000",
        highlight="#000000", highlight_width=3.5,
        fills={"parameter": "#d9d9d9", "input": "#f2f2f2", "constant": "#ffffff",
               "output": "#bdbdbd", "value": "#ffffff", "operation": "#f2f2f2",
               "hidden": "#ffffff", "bias": "#ffffff"},
        shapes={"parameter": {"shape": "box", "style": "rounded,filled", "peripheries": "2"},
                "input": {"shape": "box", "style": "filled"},
                "constant": {"shape": "box", "style": "rounded,filled,dashed"},
                "output": {"shape": "box", "style": "filled,diagonals"},
                "value": {"shape": "box", "style": "rounded,filled"}},
        units={"input": {"shape": "circle", "style": "filled"},
               "hidden": {"shape": "circle", "style": "filled"},
               "output": {"shape": "circle", "style": "filled", "peripheries": "2"},
               "bias": {"shape": "circle", "style": "filled,dashed"}},
        verdicts={True: ("#ffffff", "\u2713", "#000000", "solid", 2),
                  False: ("#d9d9d9", "\u2717", "#000000", "dashed", 3)},
        series=_GREYS, hatches=("", "//", "\\\\", "..", "xx", "oo", "++", "--"),
        positive="#000000", negative="#000000", negative_style="dashed", grid="#cccccc"),
}


def get_theme(theme: str | Theme) -> Theme:
    """The ``Theme`` called ``theme`` (``"light"``, ``"dark"`` or ``"print"``), or ``theme``
    itself when it is already one."""
    if isinstance(theme, Theme):
        return theme
    if isinstance(theme, str) and theme in THEMES:
        return THEMES[theme]
    raise ValueError(f"unknown theme {theme!r}: use 'light' (the default), 'dark' (for dark "
                     "slides) or 'print' (greyscale, kinds told apart by shape and line)")
