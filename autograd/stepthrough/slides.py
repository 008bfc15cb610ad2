"""A backward pass for slides and handouts: an animation, a PDF page per step, Beamer overlays.

Each format is made from the same frames as the HTML player (``stepthrough.frames``: one picture
per step, every frame laid out the same way, so nodes never move):

- ``.gif``, ``.apng``, ``.webp``: an animation that PowerPoint, Keynote, Google Slides and every
  browser play, one frame per step for ``seconds_per_step`` seconds, looping. Graphviz draws each
  frame as a PNG (at ``dpi``) and Pillow puts them together.
- ``.pdf``: one page per step, for Beamer's ``\\includegraphics[page=k]`` and for print.
  Graphviz draws each page as vector PDF and pypdf binds them into one file.
- ``.tex``: a Beamer document whose one frame steps through the pass, one overlay (slide) per
  step: a TikZ picture with Graphviz's layout, each node's text and highlight changing from
  overlay to overlay, the step's narration under it.

The animations and the PDF pages carry each step's title and chain-rule lines above the graph.
"""

from __future__ import annotations

import io
from itertools import groupby
from typing import Any

from autograd.pictures.options import PictureOptions
from autograd.pictures.render import INSTALL_HINT, layout, render
from autograd.pictures.tikz import Colours, latex_text, picture_elements, preamble_lines
from autograd.stepthrough.frames import RecordedPass, step_frames

__all__ = ["ANIMATIONS", "SLIDE_EXTENSIONS", "animation", "beamer", "pdf_pages"]

#: Animation formats by extension, as Pillow names them.
ANIMATIONS = {".gif": "GIF", ".apng": "PNG", ".webp": "WEBP"}
#: Every format ``Trace.save`` writes besides the HTML player.
SLIDE_EXTENSIONS = (*ANIMATIONS, ".pdf", ".tex")


def animation(trace: RecordedPass, extension: str, options: PictureOptions) -> bytes:
    """The animated picture (GIF, APNG or WebP by ``extension``): one frame per step at
    ``options.dpi``, each shown ``options.seconds_per_step`` seconds, looping for ever."""
    Image = _pillow()
    frames = []
    for frame in step_frames(trace, options, captions=True):
        with Image.open(io.BytesIO(render(frame.source, "png", dpi=options.dpi))) as picture:
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
    """A Beamer document: one frame, one overlay per step (``pdflatex`` compiles it; copy the
    frame into a talk of your own with the preamble's ``\\usetikzlibrary`` and colours)."""
    frames = step_frames(trace, options)
    layouts = [layout(frame.source) for frame in frames]
    colours = Colours()
    elements = [picture_elements(laid_out, colours) for laid_out in layouts]
    head = elements[0]["frame"]
    body = []
    for key in elements[0]:
        if key == "frame":
            continue
        body += _overlays([picture.get(key, []) for picture in elements])
    picture = "\n".join([*head, *body, r"\end{tikzpicture}"])
    captions = "\n".join(
        f"\\onslide<{k + 1}>\\textbf{{{latex_text(frame.title)}}}\\par\n"
        + "\\\\\n".join(f"\\texttt{{{latex_text(line)}}}" for line in frame.narration.splitlines())
        for k, frame in enumerate(frames))
    title = latex_text(f"Backward from {trace.output}, step by step")
    return "\n".join([
        "% Made by backprop-lab: one overlay per step of backward; node positions from Graphviz.",
        "% Compile with pdflatex. In a talk of your own: the \\usetikzlibrary and \\definecolor",
        "% lines go in the preamble, the frame where it belongs.",
        r"\documentclass[aspectratio=169]{beamer}",
        r"\usepackage{adjustbox}",
        *preamble_lines(colours),
        r"\setbeamertemplate{navigation symbols}{}",
        r"\begin{document}",
        rf"\begin{{frame}}{{{title}}}",
        r"\centering",
        r"\adjustbox{max width=\linewidth, max totalheight=0.55\textheight}{%",
        picture + "}",
        r"\par\medskip\raggedright\footnotesize",
        r"\begin{overprint}",
        captions,
        r"\end{overprint}",
        r"\end{frame}",
        r"\end{document}",
        ""])


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

