"""How names and labels that users give are shown: safely, and so that they cannot deceive.

A label may hold anything a Python string can: a NUL, an escape sequence for the terminal, a
lone surrogate that UTF-8 cannot encode. Pictures, the step player, ``explain`` and the command
line show such characters as Python writes them in a string literal (``\\x01``, ``\\x1b``,
``\\u200b``), never raw. And a name may look like another one (a Cyrillic ``х`` is not the
Latin ``x``): messages about names list the code points of every character beyond ASCII.
"""

from __future__ import annotations

import unicodedata

__all__ = ["label_text", "printable", "quoted_name"]


def printable(text: str) -> str:
    """``text`` with every character that is not printable written as its escape, as ``repr``
    writes it (control characters, NUL, format characters, lone surrogates, line and paragraph
    separators, spaces other than " ").
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(c: str) -> str:
    return repr(c)[1:-1]  # a character that is not printable is never a quote


def label_text(node: object) -> str:
    """A Value's ``label`` ready to show (see ``printable``).

    ``Value(label=...)`` takes only a str, but a label may be assigned anything later: ``None``
    shows as no label, anything else as its text (``x.label = 5`` shows ``5``), so a picture is
    drawn rather than failing deep inside the drawing code.
    """
    label = getattr(node, "label", "")
    if label is None:
        return ""
    if type(label) is not str:
        try:
            label = str(label)
        except Exception:  # a __str__ that fails must not fail the picture
            label = f"<{type(label).__name__}>"
    return printable(label)


def quoted_name(name: str) -> str:
    """``'x1'``, or for a name with characters beyond ASCII, the name and their code points:
    ``'х' (х is U+0445 CYRILLIC SMALL LETTER HA)``, so that a look-alike of ``'x'`` shows itself
    in a message."""
    shown = repr(name)
    unusual = [c for c in dict.fromkeys(name) if not c.isascii() and c.isprintable()]
    if not unusual:
        return shown
    points = [f"{c} is U+{ord(c):04X} {unicodedata.name(c, 'without a name')}"
              for c in unusual[:4]]
    if len(unusual) > 4:
        points.append(f"and {len(unusual) - 4} more")
    return f"{shown} ({', '.join(points)})"
