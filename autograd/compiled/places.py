"""Where in the user's code something happened, for messages: ``file:line: code``.

The user's line is the innermost frame outside the library (autograd, nn) and outside Python's
own modules (``random``, ``operator``...): the line of the notebook cell or script that built
the step, not ``nn/losses.py:71``. When the library's line differs, it is named too, as the
detail of how the user's line got there.

A recording asks this for every comparison the step makes, thousands of times from the same
few lines, so what a frame is (library, engine, Python's own) is worked out once per module
name and once per file name, the two things it depends on, and looked up after that.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
from types import FrameType

_LIBRARY = ("autograd", "nn")
_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"])

#: What a frame is, as bits: backprop-lab's code (autograd or nn), the engine's (autograd), and
#: Python's own (a file in the standard library's folder).
LIBRARY, ENGINE, PYTHON = 1, 2, 4

#: The bits a module's ``__name__`` gives (LIBRARY, ENGINE), by that name, and the bit a code
#: object's file name gives (PYTHON), by that file name: all a frame's answer depends on.
_BY_NAME: dict[object, int] = {}
_BY_FILE: dict[str, int] = {}


def kind(frame: FrameType) -> int:
    """What the code running in ``frame`` is: its ``LIBRARY``, ``ENGINE`` and ``PYTHON`` bits
    (by its module's ``__name__`` and its file's name)."""
    name = frame.f_globals.get("__name__")
    filename = frame.f_code.co_filename
    try:
        return _BY_NAME[name] | _BY_FILE[filename]
    except (KeyError, TypeError):  # met for the first time (or a name that is no key)
        return _learn(name, filename)


def _learn(name: object, filename: str) -> int:
    package = name.split(".", 1)[0] if isinstance(name, str) else ""
    by_name = (LIBRARY if package in _LIBRARY else 0) | (ENGINE if package == "autograd" else 0)
    by_file = PYTHON if os.path.normcase(filename).startswith(_STDLIB) else 0
    if len(_BY_NAME) + len(_BY_FILE) > 10_000:  # exec'd code may make up a name each time
        _BY_NAME.clear()
        _BY_FILE.clear()
    try:
        _BY_NAME[name] = by_name
    except TypeError:  # a __name__ that cannot be a key: asked again each time
        pass
    _BY_FILE[filename] = by_file
    return by_name | by_file


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


def where(depth: int = 1) -> str:
    """The user's line that led here, and the library's line when it is another one: the
    innermost frame outside the engine (autograd) and Python's own modules, which is the user's
    own or nn's."""
    frame = sys._getframe(depth)
    inner = user = None
    while frame is not None:  # inner comes first: a frame of the user's is outside autograd
        bits = kind(frame)
        if inner is None and not bits & (ENGINE | PYTHON):
            inner = frame
        if not bits & (LIBRARY | PYTHON):
            user = frame
            break
        frame = frame.f_back
    if user is None:
        return describe(inner) if inner is not None else "(unknown place)"
    text = describe(user)
    if inner is not user:
        text += f" (in {describe(inner)})"
    return text


def user_stacklevel(depth: int = 1) -> int:
    """The ``stacklevel`` for ``warnings.warn`` that points at the user's line."""
    level, frame = depth, sys._getframe(depth)
    while frame is not None and kind(frame) & (LIBRARY | PYTHON):
        level, frame = level + 1, frame.f_back
    return level


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
