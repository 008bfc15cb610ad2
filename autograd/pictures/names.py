"""Names of a graph's values: what each is called, and how names and labels are shown.

``node_names(L)`` is the one naming every picture shares. A value's name is its label. Values
without one still need a name in the pictures, the step-through and its narration: the output is
``L`` (the lectures' loss), and every other value is named by its operation and counted in the
order the expression reads, so in ``tanh(x*w + 2*x)`` the products are ``mul1`` (x*w) and
``mul2`` (2*x), their sum ``add1``, the number 2 ``const1``. ``draw_dot``, the step player,
``Trace.explain()`` and the command line all use these names, so a value is called the same
everywhere.

A label may hold anything a Python string can: a NUL, an escape sequence for the terminal, a
lone surrogate that UTF-8 cannot encode. Pictures, the step player, ``explain`` and the command
line show such characters as Python writes them in a string literal (``\\x01``, ``\\x1b``,
``\\u200b``), never raw. And a name may look like another one (a Cyrillic ``х`` is not the
Latin ``x``): messages about names list the code points of every character beyond ASCII.
"""

from __future__ import annotations

import re
import unicodedata

from autograd.core.rules import RULES, exponent
from autograd.core.value import Constant, Value, forward_order

__all__ = ["d_name", "label_text", "made_up", "name_nodes", "node_names", "printable",
           "quoted_name"]



def node_names(root: Value) -> dict[Value, str]:
    """A name for every value of ``root``'s graph, the same in every picture and narration.

    A value's name is its ``label`` (shown safely, see ``label_text``); the output without a
    label is ``L`` (``L1``, ``L2`` if an input is already called that); other unlabeled values
    are named by their operation and numbered in the order the expression reads
    (``forward_order``): ``mul1``, ``add1``,
    ``tanh1``, ``dot1``, ``const1`` for a number written into the expression, ``leaf1`` for an
    unlabeled input. A made-up name never repeats a label in use.

        >>> from autograd import Value
        >>> x, w = Value(2.0, label="x"), Value(3.0, label="w")
        >>> names = node_names((x * w + 2 * x).tanh())
        >>> sorted(names.values())
        ['L', 'add1', 'const1', 'mul1', 'mul2', 'w', 'x']

    The names depend only on the graph's shape and labels, so building the same expression
    twice names it the same way.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names needs a Value (the output), got {type(root).__name__}")
    return name_nodes(forward_order(root), root)


def name_nodes(nodes: list[Value], root: Value) -> dict[Value, str]:
    """``node_names`` for a graph already listed in ``forward_order`` (spares a second walk)."""
    labels = {node: label_text(node) for node in nodes}
    taken = set(labels.values())
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in nodes:
        if labels[node]:
            names[node] = labels[node]
        elif node is root:  # the lectures' L, unless an input is called that already
            names[node] = next(name for name in ("L", *(f"L{i}" for i in range(1, len(nodes) + 2)))
                               if name not in taken)
        else:
            word = _word(node)
            while True:
                counts[word] = counts.get(word, 0) + 1
                name = f"{word}{counts[word]}"
                if name not in taken:
                    break
            names[node] = name
    return names


def made_up(nodes: list[Value]) -> set[Value]:
    """The values whose names ``node_names`` made up (no label): pictures set them in italics."""
    return {node for node in nodes if not label_text(node)}


def _word(node: Value) -> str:
    if not node.parents:
        return "const" if isinstance(node, Constant) else "leaf"
    # The operation's word, from its rule (the 2nd product is "mul2"); an operation of the
    # user's own is named by its op's letters.
    rule = RULES.get(node.op) or (RULES["**n"] if exponent(node.op) is not None else None)
    if rule is not None:
        return rule.word
    return re.sub(r"\W", "", node.op) or "op"


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


def d_name(name: str) -> str:
    """``d`` and a name, as in dL/dx1: bracketed unless the name is a letter and digits, so that
    dL/d(dot1) does not read as d times o times t1."""
    return f"d{name}" if re.fullmatch(r"[^\W\d_]\d*", name) else f"d({name})"
