"""Graded answers: a ``Report`` is a table of numbers compared with backprop's, and a picture.

``Exercise.check`` returns one for a student's answers, and each call of ``autograd.mistakes``
returns one for a wrong backward pass. It is truthy when every number is right, so
``assert ex.check(answers)`` works as an autograder test (nbgrader, otter-grader); when it fails,
the table is the assertion's message (``autograd.core.report.BaseReport``, which every report
shares).

The answer key stays with the instructor: a report shows backprop's number for a wrong or
missing answer only when made with ``reveal=True`` (``ex.check(answers, reveal=True)``), in its
text, its picture and its table alike; the hints then diagnose without giving the number.

In Jupyter the table is HTML beside the picture, at the notebook's font size; in files
(``save``) it is set under the picture, large enough to read at least like 9 pt once the
picture is shrunk to a page's width, and in ``.tex`` it is LaTeX text under the TikZ picture.
"""

from __future__ import annotations

import math
import os
import textwrap
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd.core.files import write_atomically
from autograd.core.format import format_number
from autograd.core.report import BaseReport, report_bundle
from autograd.core.value import Parameter, Value
from autograd.pictures.draw import GraphContent, Marks, dot_source, html_text
from autograd.pictures.names import made_up
from autograd.pictures.options import PictureOptions
from autograd.pictures.render import Graph, RendererNotFoundError, check_dpi
from autograd.pictures.themes import Theme, get_theme
from autograd.pictures.tikz import latex_text, tikz_document
from autograd.teach.solution import Edge, Solution, Tolerance

#: A page's text width in points (16 cm: A4 with 2.5 cm margins). A picture saved to a file is
#: shrunk to that width on a page; the table under it is set large enough to read at least
#: like ``PAGE_POINTS`` then.
PAGE_WIDTH = 453.0
PAGE_POINTS = 9.0
#: The table's size in a picture no wider than a page.
TABLE_POINTS = 11.0
#: Lines of the table in a picture wrap at these many characters: a narrow table keeps the
#: picture narrow, so that shrinking it to a page keeps the text large.
HINT_WIDTH = 44
LINE_WIDTH = 72


@dataclass(frozen=True, eq=False)
class ReportRow:
    """One graded number.

    Attributes:
        name: what it is called in answers: a value's name (``x``) or an edge's (``dz1/dx``).
        question: what was asked, ``dy/dx`` or ``dz1/dx``.
        key: the Value, or for a local derivative the edge ``(child, parent position)``.
        yours: the number given (None: no answer).
        expected: backprop's number (left out of the row's repr: the answer key).
        right: within the tolerance.
        hint: why it is wrong, for a wrong one; "" for a right one.
    """

    name: str
    question: str
    key: Value | Edge
    yours: float | None
    expected: float = field(repr=False)
    right: bool
    hint: str


class Pictured(ABC):
    """Shown as a picture of its graph with a table beside it (an exercise's questions, a
    report's grades): ``save(path)`` writes both, Jupyter displays both (the table as
    ``table_html()``), ``str()`` is the text for plain-text front ends."""

    @abstractmethod
    def picture(self, rankdir: str = "LR", theme: str | Theme = "light",
                caption: str = "") -> Graph:
        """The graph alone, with ``caption`` (an HTML-like ``<table>``) set under it."""

    @abstractmethod
    def caption(self, theme: Theme) -> str:
        """The table as Graphviz's HTML-like label, in ``theme``'s colours."""

    @abstractmethod
    def table_tex(self) -> str:
        """The table as LaTeX, for ``.tex`` files."""

    def graph(self, rankdir: str = "LR", theme: str | Theme = "light") -> Graph:
        """The picture with the table under it, as files show it: the table is set at 11 pt,
        or larger under a graph wider than a page, so that it reads at least like 9 pt once
        the picture is shrunk to the page's width."""
        theme = get_theme(theme)
        size = TABLE_POINTS
        try:
            x0, _, x1, _ = self.picture(rankdir, theme).layout().bounding_box
        except RendererNotFoundError:  # only the DOT text can be had: no width to fit
            pass
        else:
            size = max(size, 1.05 * PAGE_POINTS * (x1 - x0) / PAGE_WIDTH)
        # Graphviz sets text in whole points: round up
        return self.picture(rankdir, theme, caption=f'<font point-size="{math.ceil(size)}">'
                                                    f"{self.caption(theme)}</font>")

    def save(self, path: str | os.PathLike, rankdir: str = "LR", *,
             theme: str | Theme = "light", dpi: float | None = None,
             overwrite: bool = False) -> Path:
        """Write the picture and its table to ``path``: ``.svg``, ``.png`` (``dpi=300`` for
        slides), ``.pdf``, ``.tex`` (a TikZ picture with the table as LaTeX under it) or
        ``.dot``; ``theme`` as for ``draw_dot``."""
        if Path(path).suffix.lower() == ".tex":
            check_dpi(dpi)
            text = tikz_document(self.picture(rankdir, theme).layout(), below=self.table_tex())
            return write_atomically(path, text, overwrite=overwrite)
        return self.graph(rankdir, theme).save(path, dpi=dpi, overwrite=overwrite)

    def picture_bundle(self) -> Mapping[str, str]:
        """The graph alone as a Jupyter MIME bundle (the table is HTML beside it)."""
        return self.picture()._repr_mimebundle_()

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        return report_bundle(str(self), self.table_html(), self.picture_bundle())


def draw(sol: Solution, rankdir: str, theme: str | Theme, **marks: Any) -> Graph:
    """The graph of ``sol`` with its names and data in ``theme``, and the ``marks``
    (``autograd.pictures.draw.Marks``: grads, verdicts, grad_text, edge_labels, caption...)."""
    options = PictureOptions(theme=theme, rankdir=rankdir)
    content = GraphContent(list(sol.nodes), sol.root, sol.names, sol.data,
                           params={v for v in sol.nodes if isinstance(v, Parameter)},
                           italic=made_up(list(sol.nodes)))
    return Graph(dot_source(content, Marks(**marks), options))


class Report(Pictured, BaseReport):
    """Numbers checked against backprop's: truthy when all are right.

    ``.wrong`` lists the names answered wrong or not at all, ``.score`` is the fraction right,
    ``print(report)`` shows the table (name, yours, verdict, hint; and backprop's number, the
    "expected" column, when made with ``reveal=True``), and in Jupyter it displays as the graph
    with right answers green (a check mark, solid border) and wrong ones red (a cross, dashed
    border), with the table beside it. ``save("report.svg")`` writes that picture with the table
    under it (``.svg .png .pdf .tex .dot``).
    """

    #: Column headings for the two numbers, and the two verdicts.
    headings = ("yours", "expected")
    verdicts = ("right", "wrong")
    #: The heading of the last column.
    explains = "hint"
    #: What the given number is called in the picture's boxes.
    given_word = "yours"

    def __init__(self, solution: Solution, rows: Sequence[ReportRow], tolerance: Tolerance,
                 title: str = "", *, reveal: bool = False) -> None:
        self.solution = solution
        self.rows = tuple(rows)
        self.tolerance = tolerance
        self.title = title
        self.reveal = reveal

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

    # ---------------------------------------------------------------- the table -------------

    @property
    def columns(self) -> tuple[str, ...]:  # type: ignore[override]
        shown = self.headings if self.reveal else self.headings[:1]
        return ("name", *shown, "verdict", self.explains)

    def row_ok(self, row: ReportRow) -> bool:
        return row.right

    def cells(self, row: ReportRow) -> tuple[str, ...]:
        expected = (format_number(row.expected),) if self.reveal else ()
        return (row.name, _shown(row.yours), *expected,
                self.verdicts[0] if row.right else self.verdicts[1], row.hint)

    def above(self) -> list[str]:
        return [self.title] if self.title else []

    def below(self) -> list[str]:
        return [self.footer()]

    def __repr__(self) -> str:
        wrong = f"; {self.verdicts[1]}: {', '.join(self.wrong)}" if self.wrong else ""
        return f"<{type(self).__name__}: {self.summary()}{wrong}; print it for the table>"

    def caption(self, theme: Theme) -> str:
        """The table under the picture in a file: a check or a cross and the row's colours
        instead of the verdict column, hints and the footer wrapped to keep it narrow."""
        head = ["", *(c for c in self.columns if c != "verdict")]
        width = len(head)
        rows = [_caption_row([f"<b>{html_text(c)}</b>" if c else " " for c in head],
                             theme.background, theme.text)]
        for row in self.rows:
            fill, mark = theme.verdicts[row.right][:2]
            cells = [mark, *(c for k, c in enumerate(self.cells(row)) if k != width - 2)]
            cells[-1] = _lines(cells[-1], HINT_WIDTH)
            rows.append(_caption_row([html_text(c) if k < width - 1 else c
                                      for k, c in enumerate(cells)], fill, theme.text_on(fill)))
        def spanning(text: str) -> str:  # a line across the table, on the page's background
            return (f'<tr><td colspan="{width}" align="left" border="0">'
                    f'<font color="{theme.text}">{text}</font></td></tr>')

        if self.title:
            rows.insert(0, spanning(f"<b>{html_text(self.title)}</b>"))
        rows.append(spanning(_lines(self.footer(), LINE_WIDTH)))
        return ('<table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
                'color="#bdbdbd">' + "".join(rows) + "</table>")

    def table_tex(self) -> str:
        """The table as LaTeX: a check or a cross, the numbers, the hints in a wrapped
        column; the footer under it."""
        head = ["", *(c for c in self.columns if c != "verdict")]
        width = len(head)
        spec = "l" * (width - 1) + "p{6.5cm}"
        lines = [r"\sffamily", rf"\begin{{tabular}}[t]{{@{{}}{spec}@{{}}}}"]
        if self.title:
            lines.append(rf"\multicolumn{{{width}}}{{@{{}}l@{{}}}}{{\textbf{{"
                         rf"{latex_text(self.title)}}}}}\\")
        lines.append(" & ".join(rf"\textbf{{{latex_text(c)}}}" if c else "" for c in head)
                     + r"\\ \hline")
        for row in self.rows:
            mark = latex_text("\u2713" if row.right else "\u2717")
            cells = [c for k, c in enumerate(self.cells(row)) if k != width - 2]
            lines.append(" & ".join([mark, *(latex_text(c) for c in cells)]) + r"\\")
        lines.append(r"\hline")
        lines += [rf"\multicolumn{{{width}}}{{@{{}}l@{{}}}}{{{latex_text(line)}}}\\"
                  for line in textwrap.wrap(self.footer(), LINE_WIDTH)]
        lines.append(r"\end{tabular}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- the picture -----------

    def picture(self, rankdir: str = "LR", theme: str | Theme = "light",
                caption: str = "") -> Graph:
        """The graph with every graded number marked right or wrong, and ``caption`` under it.
        Backprop's numbers for wrong answers, and the gradients not asked about, are shown only
        with ``reveal``."""
        sol = self.solution
        verdicts: dict[Value | Edge, bool] = {}
        grad_text: dict[Value, str] = {}
        edge_labels: dict[Edge, str] = {}
        for k, row in enumerate(self.rows, start=1):
            verdicts[row.key] = row.right
            text = self._graded(row)
            if isinstance(row.key, Value):
                grad_text[row.key] = f"grad {text}"
            else:
                edge_labels[row.key] = f"{k}: {text}"
        grads = None if any(not isinstance(row.key, Value) for row in self.rows) else sol.grads
        if grads is not None and not self.reveal:
            # The gradients not asked about would give the asked ones away (a constant factor's
            # gradient divided by the other factor): only dL/dL = 1, where backprop starts.
            grad_text.update({v: "" for v in sol.nodes
                              if v not in grad_text and v is not sol.root})
        return draw(sol, rankdir, theme, grads=grads, grad_text=grad_text, verdicts=verdicts,
                    edge_labels=edge_labels, caption=caption, **self._marks())

    def _graded(self, row: ReportRow) -> str:
        """What a graded box or edge says: backprop's number where right (or revealed), ``?``
        where not, and the given number beside a wrong one."""
        text = format_number(row.expected) if row.right or self.reveal else "?"
        if row.yours is None:
            return f"{text} (no answer)"
        if not row.right:
            return f"{text} ({self.given_word} {format_number(row.yours)})"
        return text

    def _marks(self) -> dict[str, Any]:
        """Extra highlights for the picture (the mistakes lab marks where a pass went wrong)."""
        return {}


def _caption_row(cells: Iterable[str], fill: str, text: str) -> str:
    return "<tr>" + "".join(f'<td align="left" bgcolor="{fill}"><font color="{text}">{c}'
                            f"</font></td>" for c in cells) + "</tr>"


def _lines(text: str, width: int) -> str:
    """``text`` wrapped at ``width`` characters, as HTML-like label lines (escaped)."""
    return "".join(html_text(line) + '<br align="left"/>'
                   for line in textwrap.wrap(text, width)) or " "


def _shown(number: float | None) -> str:
    return "no answer" if number is None else format_number(number)
