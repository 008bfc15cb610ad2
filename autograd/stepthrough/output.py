"""A backward pass shown or written out, by the file's extension: the HTML step player
(``.html``), an animation (``.gif``, ``.apng``, ``.webp``), a PDF with a page per step (``.pdf``)
or Beamer overlays (``.tex``).

``Trace.save``, ``Trace.to_html`` and a trace's display in Jupyter come here, with the options
already checked (``autograd.pictures.options``); the formats themselves are made by
``stepthrough.player`` and ``stepthrough.slides`` from the same frames (``stepthrough.frames``).
This module and those read a trace through ``frames.RecordedPass`` and never import ``trace``,
so that ``trace`` can import them: dependencies point one way.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograd.pictures.draw import check_size
from autograd.pictures.options import PictureOptions
from autograd.stepthrough.frames import RecordedPass
from autograd.stepthrough.player import PLAYER_MAX_NODES, player_html, player_html_or_message
from autograd.stepthrough.slides import ANIMATIONS, SLIDE_EXTENSIONS, animation, beamer, pdf_pages

__all__ = ["PAGE_EXTENSIONS", "PLAYER_MAX_NODES", "STEPS_EXTENSIONS", "display_html",
           "page_html", "steps_contents", "steps_extension"]

#: The step player's extensions.
PAGE_EXTENSIONS = (".html", ".htm")
#: What ``Trace.save`` writes: the HTML player, animations, a PDF of pages, Beamer slides.
STEPS_EXTENSIONS = (*PAGE_EXTENSIONS, *SLIDE_EXTENSIONS)


def steps_extension(path: str | os.PathLike) -> str:
    """``path``'s extension, lower case, if the steps can be written in that format; else a
    ``ValueError`` listing the ones they can."""
    extension = Path(path).suffix.lower()
    if extension not in STEPS_EXTENSIONS:
        raise ValueError(f"cannot save the steps as {os.fspath(path)!r}: use a name ending "
                         f"in {', '.join(STEPS_EXTENSIONS)}")
    return extension


def steps_contents(trace: RecordedPass, extension: str, options: PictureOptions) -> bytes:
    """The file of ``trace``'s steps in the format of ``extension`` (one of
    ``STEPS_EXTENSIONS``). Graphs of more than ``options.max_nodes`` values are refused
    (``GraphTooLargeError``) before any picture is made."""
    if extension in PAGE_EXTENSIONS:
        return page_html(trace, options).encode("utf-8")
    check_size(trace.nodes, options.max_nodes, "draw every step of")
    if extension in ANIMATIONS:
        return animation(trace, extension, options)
    if extension == ".pdf":
        return pdf_pages(trace, options)
    return beamer(trace, options).encode("utf-8")


def page_html(trace: RecordedPass, options: PictureOptions) -> str:
    """The step player as a complete HTML page."""
    return player_html(trace, options, page=True)


def display_html(trace: RecordedPass) -> str:
    """What Jupyter shows for a trace: the player with the default options, or a short message
    saying why not (displaying never raises)."""
    return player_html_or_message(trace)
