"""Graded answers: a ``Report`` is a table of numbers compared with backprop's, and a picture.

``Exercise.check`` returns one for a student's answers, and each call of ``autograd.mistakes``
returns one for a wrong backward pass. It is truthy when every number is right, so
``assert ex.check(answers)`` works as an autograder test (nbgrader, otter-grader); when it fails,
the table is the assertion's message.
"""

from __future__ import annotations

import dis
import math
import os
import sys
import textwrap
import types
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.core.format import format_number
from autograd.core.value import Parameter, Value
from autograd.pictures.draw import VERDICT_LOOKS, GraphContent, Marks, dot_source, html_text
from autograd.pictures.names import made_up
from autograd.pictures.options import PictureOptions
from autograd.pictures.render import Graph
from autograd.pictures.themes import Theme
from autograd.teach.solution import Edge, Solution

#: Students round: right means within 1% of the expected number, or within 0.005 of it (half the
#: last digit of an answer rounded to two decimals), whichever is larger.
RTOL = 0.01
ATOL = 0.005


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be: |yours - expected| <= max(rtol * |expected|, atol)."""

    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")

    def close(self, yours: float, expected: float) -> bool:
        if yours == expected:  # also equal infinities
            return True
        return abs(yours - expected) <= max(self.rtol * abs(expected), self.atol)

    def __str__(self) -> str:
        return (f"right means within {self.rtol:.0%} of the expected value, or within "
                f"{self.atol:g} of it for answers near zero")


@dataclass(frozen=True, eq=False)
class ReportRow:
    """One graded number.

    Attributes:
        name: what it is called in answers: a value's name (``x``) or an edge's (``dz1/dx``).
        question: what was asked, ``dy/dx`` or ``dz1/dx``.
        key: the Value, or for a local derivative the edge ``(child, parent position)``.
        yours: the number given (None: no answer).
        expected: backprop's number.
        right: within the tolerance.
        hint: why it is wrong, for a wrong one; "" for a right one.
    """

    name: str
    question: str
    key: Value | Edge
    yours: float | None
    expected: float
    right: bool
    hint: str


class Pictured(ABC):
    """Shown as a picture of its graph: ``save(path)`` writes it, Jupyter displays it (with the
    text of ``str()`` for plain-text front ends)."""

    @abstractmethod
    def graph(self, rankdir: str = "LR", theme: str | Theme = "light") -> Graph:
        """The picture: each kind of report draws its own."""

    def save(self, path: str | os.PathLike, rankdir: str = "LR", *,
             theme: str | Theme = "light", dpi: float | None = None,
             overwrite: bool = False) -> Path:
        """Write the picture to ``path``: ``.svg``, ``.png`` (``dpi=300`` for slides),
        ``.pdf``, ``.tex`` (TikZ) or ``.dot``; ``theme`` as for ``draw_dot``."""
        return self.graph(rankdir, theme).save(path, dpi=dpi, overwrite=overwrite)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        bundle = self.graph()._repr_mimebundle_()
        if "image/svg+xml" in bundle:
            bundle["text/plain"] = str(self)
        else:  # no picture: the text, and the one line saying why (a missing Graphviz)
            bundle["text/plain"] = f"{self}\n\n{bundle['text/plain'].splitlines()[0]}"
        return bundle


def draw(sol: Solution, rankdir: str, theme: str | Theme, **marks: Any) -> Graph:
    """The graph of ``sol`` with its names and data in ``theme``, and the ``marks``
    (``autograd.pictures.draw.Marks``: grads, verdicts, grad_text, edge_labels, caption...)."""
    options = PictureOptions(theme=theme, rankdir=rankdir)
    content = GraphContent(list(sol.nodes), sol.root, sol.names, sol.data,
                           params={v for v in sol.nodes if isinstance(v, Parameter)},
                           italic=made_up(list(sol.nodes)))
    return Graph(dot_source(content, Marks(**marks), options))


class Report(Pictured):
    """Numbers checked against backprop's: truthy when all are right.

    ``.wrong`` lists the names answered wrong or not at all, ``.score`` is the fraction right,
    ``print(report)`` shows the table (name, yours, expected, verdict, hint), and in Jupyter it
    displays as the graph with right answers green (a check mark, solid border) and wrong ones
    red (a cross, dashed border) and the table under it. ``save("report.svg")`` writes that
    picture (``.svg .png .pdf .dot``).
    """

    #: Column headings for the two numbers, and the two verdicts.
    headings = ("yours", "expected")
    verdicts = ("right", "wrong")
    #: The heading of the last column.
    explains = "hint"
    #: What the given number is called in the picture's boxes.
    given_word = "yours"

    def __init__(self, solution: Solution, rows: Sequence[ReportRow], tolerance: Tolerance,
                 title: str = "") -> None:
        self.solution = solution
        self.rows = tuple(rows)
        self.tolerance = tolerance
        self.title = title

    def __bool__(self) -> bool:
        if all(row.right for row in self.rows):
            return True
        # A bare `assert report` would fail with no message at all; the table is the message an
        # autograder (nbgrader, otter-grader) should show, so the assertion is raised here.
        if _is_bare_assert(sys._getframe(1)):
            raise AssertionError(f"\n{self}")
        return False

    @property
    def wrong(self) -> list[str]:
        """The names of the numbers that are wrong or missing, in the order asked."""
        return [row.name for row in self.rows if not row.right]

    @property
    def score(self) -> float:
        """The fraction right, from 0.0 to 1.0."""
        return sum(row.right for row in self.rows) / len(self.rows) if self.rows else 1.0

    def summary(self) -> str:
        right = sum(row.right for row in self.rows)
        return f"{right} of {len(self.rows)} {self.verdicts[0]} (score {self.score:.2f})"

    def footer(self) -> str:
        """The line under the table."""
        return f"{self.summary()}; {self.tolerance}."

    def __str__(self) -> str:
        header = ("name", *self.headings, "verdict", self.explains)
        table = [header] + [
            (row.name, _shown(row.yours), format_number(row.expected),
             self.verdicts[0] if row.right else self.verdicts[1], row.hint)
            for row in self.rows]
        widths = [max(len(line[c]) for line in table) for c in range(len(header) - 1)]
        lines = [self.title] if self.title else []
        lines += ["  ".join([*(cell.ljust(w) for cell, w in zip(line, widths)), line[-1]])
                  .rstrip() for line in table]
        lines.append(self.footer())
        return "\n".join(lines)

    def __repr__(self) -> str:
        wrong = f"; {self.verdicts[1]}: {', '.join(self.wrong)}" if self.wrong else ""
        return f"<{type(self).__name__}: {self.summary()}{wrong}; print it for the table>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython prints the table
        printer.text(str(self))

    # ---------------------------------------------------------------- the picture -----------

    def graph(self, rankdir: str = "LR", theme: str | Theme = "light") -> Graph:
        """The graph with every graded number marked right or wrong, and the table under it."""
        sol = self.solution
        verdicts: dict[Value | Edge, bool] = {}
        grad_text: dict[Value, str] = {}
        edge_labels: dict[Edge, str] = {}
        for k, row in enumerate(self.rows, start=1):
            verdicts[row.key] = row.right
            text = format_number(row.expected)
            if row.yours is None:
                text += " (no answer)"
            elif not row.right:
                text += f" ({self.given_word} {format_number(row.yours)})"
            if isinstance(row.key, Value):
                grad_text[row.key] = f"grad {text}"
            else:
                edge_labels[row.key] = f"{k}: {text}"
        local = any(not isinstance(row.key, Value) for row in self.rows)
        return draw(sol, rankdir, theme, grads=None if local else sol.grads, grad_text=grad_text,
                    verdicts=verdicts, edge_labels=edge_labels, caption=self._caption(),
                    **self._marks())

    def _marks(self) -> dict[str, Any]:
        """Extra highlights for the picture (the mistakes lab marks where a pass went wrong)."""
        return {}

    def _caption(self) -> str:
        head = [html_text(text) for text in ("", "name", *self.headings, self.explains)]
        rows = [_caption_row(head, header=True)]
        for row in self.rows:
            fill, mark, border = VERDICT_LOOKS[row.right][:3]
            hint = '<br align="left"/>'.join(html_text(line)
                                             for line in textwrap.wrap(row.hint, 64)) or " "
            rows.append(_caption_row(
                [f'<font color="{border}">{mark}</font>', html_text(row.name),
                 html_text(_shown(row.yours)), html_text(format_number(row.expected)),
                 hint + '<br align="left"/>' if row.hint else hint], fill=fill))
        footer = html_text(self.footer())
        return ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
                'color="#bdbdbd">' + "".join(rows)
                + f'<tr><td colspan="5" align="left" border="0">{footer}</td></tr></table>')


def _caption_row(cells: list[str], header: bool = False, fill: str = "") -> str:
    look = f' bgcolor="{fill}"' if fill else ""
    tds = [f'<td align="left"{look}>{"<b>" + c + "</b>" if header and c else c}</td>'
           for c in cells]
    return "<tr>" + "".join(tds) + "</tr>"


def _shown(number: float | None) -> str:
    return "no answer" if number is None else format_number(number)


def _is_bare_assert(frame: types.FrameType) -> bool:
    """Whether the truth test the code of ``frame`` is running is a bare ``assert x``: a jump
    over ``raise AssertionError`` with no message (its bytecode, in Python 3.10 to 3.13)."""
    try:
        following = [i for i in dis.get_instructions(frame.f_code)
                     if i.offset >= frame.f_lasti and i.opname not in ("TO_BOOL", "CACHE")]
    except Exception:  # no bytecode to read: behave as a plain False
        return False
    if len(following) < 3:
        return False
    jump, load, raise_ = following[:3]
    return (jump.opname.startswith("POP_JUMP") and jump.opname.endswith("IF_TRUE")
            and (load.opname == "LOAD_ASSERTION_ERROR" or load.argrepr == "AssertionError")
            and raise_.opname == "RAISE_VARARGS")
