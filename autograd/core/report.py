"""What every report of checked numbers shares: rows, truthiness, a table as text and as HTML,
and a picture where one is drawn.

``gradcheck``, ``nn.compare_with_torch``, ``Exercise.check`` and the mistakes lab each return a
report: a row per number checked, truthy when every row passes, printed as a table, displayed
in Jupyter as an HTML table (beside a picture, for the reports that draw one). A new report
says only what is its own::

    @dataclass(frozen=True)
    class SignReport(BaseReport):
        rows: tuple[tuple[str, float], ...]   # (name, number)
        columns = ("name", "number", "")

        def row_ok(self, row) -> bool:
            return row[1] >= 0

        def cells(self, row) -> tuple[str, ...]:
            return (row[0], format_number(row[1]), "ok" if self.row_ok(row) else "NEGATIVE")

``assert report`` then fails with the table as its message, ``print(report)`` shows it, and
Jupyter shows it as HTML. The picture is a hook, ``picture_bundle()``: this module draws
nothing, so the core of the library needs no pictures to report.
"""

from __future__ import annotations

import dis
import html
import sys
import types
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autograd.core.format import format_table

__all__ = ["BaseReport", "bare_assert", "html_table", "is_bare_assert", "report_bundle",
           "report_html"]

#: The HTML table's colours. Every cell sets its own text and fill, so a notebook's dark theme
#: never puts its light text on them: near-black text (WCAG contrast above 12:1 on each fill)
#: on white, a light grey heading, light green rows that pass and light red rows that fail.
TEXT = "#111111"
BACKGROUND = "#ffffff"
HEADING = "#f0f0f0"
RULE = "#bdbdbd"
PASS_FILL = "#c7e9c0"
FAIL_FILL = "#fcbba1"


class BaseReport(ABC):
    """Rows of checked numbers: truthy when every row passes, a table when printed.

    A subclass gives ``rows``, the table's ``columns`` and each row's ``cells``; it may say how
    a row passes (``row_ok``, default ``row.ok``), what passing means for the whole
    (``passed``), the lines above and below the table (``above``, ``below``) and a picture
    (``picture_bundle``).
    """

    #: The table's column headings.
    columns: tuple[str, ...] = ()
    rows: Sequence[Any]

    @abstractmethod
    def cells(self, row: Any) -> Sequence[str]:
        """The row as text, one string per column."""

    def row_ok(self, row: Any) -> bool:
        """Whether ``row`` passes."""
        return bool(row.ok)

    @property
    def passed(self) -> bool:
        """Whether the report as a whole passes: every row does (a subclass may ask more)."""
        return all(self.row_ok(row) for row in self.rows)

    def __bool__(self) -> bool:
        if self.passed:
            return True
        # A bare `assert report` would fail with no message at all; the table is the message a
        # reader (and an autograder such as nbgrader or otter-grader) should see.
        if bare_assert(sys._getframe(1)):
            raise AssertionError(f"\n{self}")
        return False

    def above(self) -> list[str]:
        """Lines printed above the table (a title)."""
        return []

    def below(self) -> list[str]:
        """Lines printed below the table (the verdict)."""
        return []

    def table(self) -> list[Sequence[str]]:
        """The headings, then each row's cells."""
        return [self.columns, *(self.cells(row) for row in self.rows)]

    def __str__(self) -> str:
        return "\n".join([*self.above(), *format_table(self.table()), *self.below()])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython prints the table
        printer.text(str(self))

    # ---------------------------------------------------------------- Jupyter ---------------

    def picture_bundle(self) -> Mapping[str, str] | None:
        """The report's picture as a Jupyter MIME bundle (``"image/svg+xml"`` and
        ``"text/html"``, or ``"text/plain"`` saying why there is none); None: no picture."""
        return None

    def table_html(self) -> str:
        """The table as HTML, at the page's font size, in colours that read on any page."""
        table = self.table()
        width = len(table[0])
        rows = [_html_row(table[0], HEADING, heading=True)]
        rows += [_html_row(cells, PASS_FILL if self.row_ok(row) else FAIL_FILL)
                 for row, cells in zip(self.rows, table[1:])]
        return html_table(self.above(), rows, self.below(), width)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        return report_bundle(str(self), self.table_html(), self.picture_bundle())

    def _repr_html_(self) -> str:
        return self._repr_mimebundle_()["text/html"]


# ---------------------------------------------------------------- HTML ------------------------

def _cell_style(fill: str) -> str:
    return (f"text-align: left; vertical-align: top; padding: 0.15em 0.6em; "
            f"border: 1px solid {RULE}; background: {fill}; color: {TEXT}")


def _html_row(cells: Sequence[str], fill: str, heading: bool = False) -> str:
    tag = "th" if heading else "td"
    weight = "; font-weight: bold" if heading else ""
    return "<tr>" + "".join(
        f'<{tag} style="{_cell_style(fill)}{weight}">{_html_text(cell)}</{tag}>'
        for cell in cells) + "</tr>"


def _html_text(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def html_table(above: Iterable[str], rows: Iterable[str], below: Iterable[str],
               width: int) -> str:
    """A ``<table>`` of ``rows`` (``<tr>`` text) with the lines ``above`` and ``below`` it in
    rows of their own, at the page's font size: every cell has its own colours."""
    spanning = [f'<tr><td colspan="{width}" style="{_cell_style(BACKGROUND)}; border: none">'
                f"{_html_text(line)}</td></tr>" for line in above]
    closing = [f'<tr><td colspan="{width}" style="{_cell_style(BACKGROUND)}; border: none">'
               f"{_html_text(line)}</td></tr>" for line in below]
    # Notebook front ends style tables of their own (small, centred, fixed, zebra-striped):
    # the inline style wins over their style sheets.
    return ('<table class="bp-table" style="border-collapse: collapse; font-size: inherit; '
            f'margin: 0; table-layout: auto; width: auto; color: {TEXT}; '
            f'background: {BACKGROUND}">' + "".join([*spanning, *rows, *closing])
            + "</table>")


def report_html(table: str, picture: str = "") -> str:
    """The ``picture`` (HTML, e.g. an inline SVG) and the ``table`` (HTML) side by side where
    the page is wide enough, the table below the picture where it is not."""
    items = ([f'<div style="flex: 0 1 auto; min-width: 0; max-width: 100%">{picture}</div>']
             if picture else [])
    items.append(f'<div style="flex: 0 1 auto; min-width: 0; max-width: 100%">{table}</div>')
    return ('<div class="bp-report" style="display: flex; flex-wrap: wrap; '
            'align-items: flex-start; gap: 0.75em 1.5em">' + "".join(items) + "</div>")


def report_bundle(text: str, table: str, picture: Mapping[str, str] | None) -> dict:
    """A Jupyter MIME bundle: ``text`` for plain-text front ends, the ``table`` (HTML) beside
    the ``picture`` (a MIME bundle; None when there is none) for the others, and the picture's
    SVG alone for front ends that show only images. Without a picture (no Graphviz), the one
    line saying why follows the text."""
    bundle = {"text/plain": text}
    picture_html = ""
    if picture is not None:
        if "image/svg+xml" in picture:
            bundle["image/svg+xml"] = picture["image/svg+xml"]
            picture_html = picture.get("text/html", "")
        else:
            why = picture.get("text/plain", "").splitlines()[:1]
            if why:
                bundle["text/plain"] = f"{text}\n\n{why[0]}"
                picture_html = f"<p>{html.escape(why[0])}</p>"
    bundle["text/html"] = report_html(table, picture_html)
    return bundle


# ---------------------------------------------------------------- assert report -------------

#: Instructions between the truth test and its jump that do not change what an assert does:
#: the conversion to bool (3.13), inline caches, and 3.14's branch-monitoring marker.
_SKIPPED = frozenset({"TO_BOOL", "CACHE", "NOT_TAKEN", "EXTENDED_ARG", "NOP"})


def bare_assert(frame: types.FrameType) -> bool:
    """Whether the truth test the code of ``frame`` is running is a bare ``assert x`` (one with
    no message of its own), read from its bytecode. Where that cannot be read, False: the
    assertion then fails as a plain ``assert False`` would, and ``str(report)`` has the table."""
    try:
        instructions = [(i.opname, i.argrepr) for i in dis.get_instructions(frame.f_code)
                        if i.offset >= frame.f_lasti]
    except Exception:  # no bytecode to read (a frame of C code, say)
        return False
    return is_bare_assert(instructions)


def is_bare_assert(instructions: Iterable[tuple[str, str]]) -> bool:
    """Whether the instructions ``(opname, argrepr)`` from a truth test on are those of a bare
    ``assert``: a jump when true over ``raise AssertionError`` with no message. Python 3.10 to
    3.14 write it as::

        [TO_BOOL]  POP_JUMP[_FORWARD]_IF_TRUE  [NOT_TAKEN]
        LOAD_ASSERTION_ERROR (or LOAD_COMMON_CONSTANT AssertionError)  RAISE_VARARGS
    """
    following = [(op, arg) for op, arg in instructions if op not in _SKIPPED][:3]
    if len(following) < 3:
        return False
    (jump, _), (load, loaded), (raise_, _) = following
    return (jump.startswith("POP_JUMP") and jump.endswith("IF_TRUE")
            and (load == "LOAD_ASSERTION_ERROR" or loaded == "AssertionError")
            and raise_ == "RAISE_VARARGS")
