"""A backward pass for slides and handouts: an animation, a PDF page per step, Beamer overlays.

Each format is made from the same frames as the HTML player (``stepthrough.frames``: one picture
per step, every frame laid out the same way, so nodes never move):

- ``.gif``, ``.apng``, ``.webp``: an animation that PowerPoint, Keynote, Google Slides and every
  browser play, one frame per step for ``seconds_per_step`` seconds, looping. Graphviz draws each
  frame as a PNG (at ``dpi``) and Pillow puts them together.
- ``.pdf``: one page per step, for Beamer's ``\\includegraphics[page=k]`` and for print.
  Graphviz draws each page as vector PDF and pypdf binds them into one file.
- ``.tex``: a Beamer frame that steps through the pass, one overlay (slide) per step: a TikZ
  picture with Graphviz's layout, each node's text and highlight changing from overlay to
  overlay, the step's narration under it. ``pdflatex`` compiles the file as it is, or a talk
  ``\\input``s it after copying the header's preamble block (see ``autograd.pictures.tikz``).

The animations and the PDF pages carry each step's title and chain-rule lines above the graph.
"""

from __future__ import annotations

import io
from itertools import groupby
from typing import Any

from autograd.pictures.draw import GraphTooLargeError
from autograd.pictures.options import PictureOptions
from autograd.pictures.render import (
    INSTALL_HINT,
    check_raster_size,
    layout,
    render,
    render_checked_png,
)
from autograd.pictures.tikz import (
    Colours,
    Layout,
    how_to_use,
    latex_text,
    picture_elements,
    preamble_block,
    standalone_opening,
)
from autograd.stepthrough.frames import Frame, RecordedPass, step_frames

__all__ = ["ANIMATIONS", "BEAMER_MAX_NODES", "SLIDE_EXTENSIONS", "animation", "beamer",
           "check_beamer_size", "pdf_pages"]

#: Animation formats by extension, as Pillow names them.
ANIMATIONS = {".gif": "GIF", ".apng": "PNG", ".webp": "WEBP"}
#: Every format ``Trace.save`` writes besides the HTML player.
SLIDE_EXTENSIONS = (*ANIMATIONS, ".pdf", ".tex")
#: The largest graph, in values, whose steps make Beamer slides: beyond it a slide's text is too
#: small to read (and the deck has as many slides as values).
BEAMER_MAX_NODES = 40
# Heights in points a Beamer frame gives to other things than the picture: its title, and each
# line of narration (\footnotesize under an 11pt body).
_FRAME_TITLE = 30
_NARRATION_LINE = 11
# The text width and height in points of a 16:9 Beamer frame (160mm x 90mm, 11pt body), that
# the picture's layout is chosen for; and the frame TikZ draws around a picture, each side.
_FRAME_WIDTH = 398
_FRAME_HEIGHT = 252
_PICTURE_MARGIN = 6
# Helvetica's widths (its font metrics, in thousandths of the font size) of the characters of
# a value box's text; a probe of them calibrates Graphviz's measure (``_measured_size``). The
# minus is LaTeX's, as numbers are set in math mode: wider than a hyphen.
_HELVETICA = {**dict.fromkeys("0123456789adg", 556), ".": 278, " ": 278, "t": 278, "-": 778,
              "r": 333}
_PROBE = "data -0.1234 grad 56.789"
# How much wider than Helvetica a box leaves room for LaTeX's text (its minus sign is wider).
_LATEX_ROOM = 1.04
# How a slide's value boxes may set their cells (``Marks.box_rows``): side by side, name and
# data over grad, one over another.
_BOX_FORMS = (1, 2, 3)
# Graphviz's spacing on a slide, in inches (pictures elsewhere use 0.35 between ranks, 0.25
# between nodes).
_SLIDE_SPACING = "ranksep=0.14, nodesep=0.1"


def animation(trace: RecordedPass, extension: str, options: PictureOptions) -> bytes:
    """The animated picture (GIF, APNG or WebP by ``extension``): one frame per step at
    ``options.dpi``, each shown ``options.seconds_per_step`` seconds, looping for ever."""
    Image = _pillow()
    frames = []
    steps = step_frames(trace, options, captions=True)
    # Every frame has the first one's layout: one check covers them all, before any drawing.
    check_raster_size(steps[0].source, options.dpi, len(steps), "an animation")
    for frame in steps:
        with Image.open(io.BytesIO(render_checked_png(frame.source, options.dpi))) as picture:
            frames.append(picture.convert("RGB"))
    buffer = io.BytesIO()
    lossless = {"lossless": True} if extension == ".webp" else {}
    frames[0].save(buffer, format=ANIMATIONS[extension], save_all=True,
                   append_images=frames[1:], duration=round(options.seconds_per_step * 1000),
                   loop=0, **lossless)
    return buffer.getvalue()


def pdf_pages(trace: RecordedPass, options: PictureOptions) -> bytes:
    """One PDF page per step, each a vector picture of that step (with its narration)."""
    try:
        from pypdf import PdfReader, PdfWriter
    except ImportError:
        raise ImportError(f"a PDF of the steps needs pypdf: {INSTALL_HINT} (or pip install "
                          "pypdf)") from None
    writer = PdfWriter()
    for frame in step_frames(trace, options, captions=True):
        writer.append(PdfReader(io.BytesIO(render(frame.source, "pdf"))))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def beamer(trace: RecordedPass, options: PictureOptions) -> str:
    """A Beamer frame with one overlay per step, as a file that ``pdflatex`` compiles on its own
    (a 16:9 deck of one frame) and that a talk of your own ``\\input``s between its frames after
    copying the header's ``% preamble:`` block into its preamble (see
    ``autograd.pictures.tikz``).

    The picture takes the frame's width and all of its height that the step's narration leaves,
    drawn as large as that room allows (``slide_frames``): each operation sits in the box of the
    value it makes rather than in a rank of its own, the boxes set their cells in the rows that
    suit the graph's shape, and the colour legend is left out. Graphs of more than
    ``BEAMER_MAX_NODES`` values are refused with what to make instead: their text would be too
    small to read on a slide.
    """
    check_beamer_size(trace)
    narration = step_frames(trace, options)
    lines = max(1 + len(frame.narration.splitlines()) for frame in narration)
    # What the picture leaves: the frame's title and the narration's lines at \footnotesize.
    room = _FRAME_TITLE + lines * _NARRATION_LINE
    frames, first = slide_frames(trace, options, _FRAME_WIDTH, _FRAME_HEIGHT - room)
    layouts = [first, *(layout(_closer(frame.source)) for frame in frames[1:])]
    colours = Colours()
    elements = [picture_elements(laid_out, colours, legend=False) for laid_out in layouts]
    head = elements[0]["frame"]
    body = []
    for key in elements[0]:
        if key == "frame":
            continue
        body += _overlays([picture.get(key, []) for picture in elements])
    picture = "\n".join([*head, *body, r"\end{tikzpicture}"])
    captions = "\n".join(
        f"\\onslide<{k + 1}>\\textbf{{{latex_text(frame.title)}}}\\par\n"
        + "\\\\\n".join(f"\\texttt{{{latex_text(line)}}}"
                         for line in frame.narration.splitlines())
        for k, frame in enumerate(frames))
    title = latex_text(f"Backward from {trace.output}, step by step")
    return "\n".join([
        "% Made by backprop-lab: one overlay per step of backward; node positions from Graphviz.",
        *how_to_use("\\input this file between two frames of your talk"),
        *preamble_block(colours),
        *standalone_opening(colours, (r"\documentclass[aspectratio=169]{beamer}",
                                      r"\setbeamertemplate{navigation symbols}{}")),
        rf"\begin{{frame}}{{{title}}}",
        r"\centering",
        rf"\adjustbox{{max width=\linewidth, max totalheight=\dimexpr\textheight-{room}pt\relax}}"
        "{%",
        picture + "}",
        r"\par\smallskip\raggedright\footnotesize",
        r"\begin{overprint}",
        captions,
        r"\end{overprint}",
        r"\end{frame}",
        r"\backproplabend{document}",
        ""])


def slide_frames(trace: RecordedPass, options: PictureOptions, width: float,
                 height: float) -> tuple[list[Frame], Layout]:
    """The step frames whose picture is largest in ``width`` x ``height`` points, and their
    first frame's layout (every frame's is the same shape).

    Each operation is drawn in its value's box (``Marks.ops_in_boxes``), so that a graph d
    operations deep is d + 1 boxes across, not 2d + 1 ranks. The boxes' cells may sit in one
    row, two or three (``Marks.box_rows``): one row makes short wide boxes, for graphs whose
    inputs stack high; three make narrow ones, for deep graphs. Graphviz lays out the first
    frame of each, and the picture is scaled by s = min(width / w, height / h) to fit: the
    form with the largest s, the largest text, wins.
    """
    best = None
    size = _measured_size()
    for rows in _BOX_FORMS:
        frames = step_frames(trace, options, box_rows=rows, ops_in_boxes=True,
                             measured_size=size)
        laid_out = layout(_closer(frames[0].source))
        x0, y0, x1, y1 = laid_out.bounding_box
        scale = min(width / (x1 - x0 + 2 * _PICTURE_MARGIN),
                    height / (y1 - y0 + 2 * _PICTURE_MARGIN))
        if best is None or scale > best[0]:
            best = (scale, frames, laid_out)
    return best[1], best[2]


def _measured_size() -> float:
    """The font size at which Graphviz measures 11pt text as wide as LaTeX sets it.

    Graphviz measures text with the fonts of the machine it runs on, rounded to whole pixels
    at 96 dpi: "0123456789" in 11pt Helvetica can measure 75pt where the font's own widths
    make 61pt. Boxes that wide leave a quarter of each empty on a slide, and the picture a
    quarter smaller than it could be. So the slide's boxes are laid out at the size at which
    Graphviz measures a probe of their characters as Helvetica's own widths say (and
    ``_LATEX_ROOM`` more), at most 11pt, while LaTeX sets their text at 11pt.
    """
    probe = layout(f'digraph {{ p [shape=plaintext, margin=0, width=0, height=0, '
                   f'fontname="Helvetica", fontsize=11, label="{_PROBE}"]; }}')
    measured = float(probe.nodes[0]["width"]) * 72
    exact = sum(_HELVETICA[c] for c in _PROBE) * 11 / 1000
    return min(11.0, 11 * exact * _LATEX_ROOM / measured)


def _closer(source: str) -> str:
    """DOT text ``source`` with its ranks and nodes closer together (a slide has no room to
    spare): a graph attribute set at the end wins over the one at the start."""
    return source.rstrip().removesuffix("}") + f"  graph [{_SLIDE_SPACING}];\n}}\n"


def check_beamer_size(trace: RecordedPass) -> None:
    """Refuse, before any layout, a trace whose graph is too large for a slide."""
    count = len(trace.nodes)
    if count > BEAMER_MAX_NODES:
        raise GraphTooLargeError(
            f"cannot make Beamer slides of this backward pass: its graph has {count} values "
            f"({count} steps, a slide each), and on a slide more than {BEAMER_MAX_NODES} values "
            "are too small to read. Step through a smaller piece (one neuron, the loss on one "
            "example), or save these steps as .html (a player that zooms) or .pdf (a page per "
            "step, which \\includegraphics[page=k] puts on a slide)")


def _overlays(versions: list[list[str]]) -> list[str]:
    """An element's TikZ lines in each frame, as overlays: lines that stay the same over a run
    of frames are written once, shown on those slides (slide k + 1 is frame k)."""
    out = []
    start = 1
    for lines, run in groupby(versions):
        count = len(list(run))
        end = start + count - 1
        if lines:
            if count == len(versions):
                out += lines
            else:
                spec = f"{start}-{end}" if end > start else f"{start}"
                out.append(f"\\only<{spec}>{{" + " ".join(lines) + "}")
        start = end + 1
    return out


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"an animation needs Pillow: {INSTALL_HINT} (or pip install "
                          "pillow)") from None
    return Image

