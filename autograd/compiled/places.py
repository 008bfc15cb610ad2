"""Where in the user's code something happened, for messages: ``file:line: code``.

The user's line is the innermost frame outside the library (autograd, nn) and outside Python's
own modules (``random``, ``operator``...): the line of the notebook cell or script that built
the step, not ``nn/losses.py:71``. When the library's line differs, it is named too, as the
detail of how the user's line got there.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
from types import FrameType

_LIBRARY = ("autograd", "nn")
_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"])


def _package(frame: FrameType) -> str:
    return frame.f_globals.get("__name__", "").split(".", 1)[0]


def is_library(frame: FrameType) -> bool:
    """Whether ``frame`` runs backprop-lab's own code."""
    return _package(frame) in _LIBRARY


def _is_python(frame: FrameType) -> bool:
    return os.path.normcase(frame.f_code.co_filename).startswith(_STDLIB)


#: Lines described so far: a step asks its questions from a few lines, thousands of times.
_DESCRIBED: dict[tuple[str, int], str] = {}


def describe(frame: FrameType) -> str:
    """``file:line: code`` of ``frame``, the file relative to the working directory when inside
    it. Control characters in the code or the file name are shown escaped."""
    key = (frame.f_code.co_filename, frame.f_lineno)
    text = _DESCRIBED.get(key)
    if text is None:
        if len(_DESCRIBED) > 10_000:
            _DESCRIBED.clear()
        text = _DESCRIBED[key] = _describe(frame)
    return text


def _describe(frame: FrameType) -> str:
    filename = frame.f_code.co_filename
    code = linecache.getline(filename, frame.f_lineno).strip()
    try:
        shorter = os.path.relpath(filename)
    except ValueError:  # another drive
        shorter = filename
    shown = filename if shorter.startswith("..") else shorter
    return _printable(f"{shown}:{frame.f_lineno}: {code}")


def user_frame(start: FrameType | None) -> FrameType | None:
    """The innermost frame from ``start`` outward that is the user's own code."""
    frame = start
    while frame is not None and (is_library(frame) or _is_python(frame)):
        frame = frame.f_back
    return frame


def where(depth: int = 1) -> str:
    """The user's line that led here, and the library's line when it is another one."""
    start = sys._getframe(depth)
    user = user_frame(start)
    inner = start
    while inner is not None and (_package(inner) == "autograd" or _is_python(inner)):
        inner = inner.f_back
    if user is None:
        return describe(inner) if inner is not None else "(unknown place)"
    text = describe(user)
    if inner is not None and inner is not user:
        text += f" (in {describe(inner)})"
    return text


def user_stacklevel(depth: int = 1) -> int:
    """The ``stacklevel`` for ``warnings.warn`` that points at the user's line."""
    level, frame = depth, sys._getframe(depth)
    while frame is not None and (is_library(frame) or _is_python(frame)):
        level, frame = level + 1, frame.f_back
    return level


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
