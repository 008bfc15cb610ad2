"""Backprop by hand, checked: ``exercise(L)`` asks for the gradients of a graph and grades them.

    >>> from autograd import Value, exercise
    >>> x = Value(1.5, label="x")
    >>> z1, z2 = 3 * x, 5 * x                  # lecture 003: g1 = 3x, g2 = 5x
    >>> z1.label, z2.label = "z1", "z2"
    >>> y = 2 * z1 + 7 * z2                    # f = 2 z1 + 7 z2
    >>> y.label = "y"
    >>> ex = exercise(y, ask=[x, z1, z2])
    >>> report = ex.check({"x": 35.0, "z1": 2.0, "z2": 7.0})
    >>> report.wrong, report.score
    (['x'], 0.6666666666666666)
    >>> print(report.rows[0].hint)
    x feeds 2 nodes (z1, z2): that is the path through z2 only; add both paths (+=)
    >>> print(ex.check({"x": 35.0}, reveal=True).rows[0].hint)   # the numbers too
    x feeds 2 nodes (z1, z2): that is the path through z2 only; add both paths (+=): 6.0 + ...

The report gives no right number for a wrong answer (the answer key stays with the instructor)
unless made with ``reveal=True``. The answers are worked out by backprop itself
(``autograd.gradients``), so any graph can be an exercise, before or after ``backward()``: every
``.grad`` is left as it was.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real

from autograd.core.format import format_number
from autograd.core.report import html_table
from autograd.core.value import Constant, Value
from autograd.pictures.draw import html_text
from autograd.pictures.render import Graph
from autograd.pictures.themes import Theme
from autograd.pictures.tikz import latex_text
from autograd.stepthrough.trace import op_formula
from autograd.teach.hints import gradient_hint, local_hint
from autograd.teach.report import LINE_WIDTH, Pictured, Report, ReportRow, draw
from autograd.teach.solution import ATOL, RTOL, Edge, Solution, Tolerance, solve

__all__ = ["Exercise", "Question", "exercise"]

#: What ``ask`` may be: None (dL/dv for every value), "local" (every edge's local derivative),
#: or the values to ask about, as Values or names.
Ask = None | str | Value | Iterable[Value | str]


@dataclass(frozen=True, eq=False)
class Question:
    """One number to find.

    Attributes:
        name: how answers refer to it: the value's name (``x``) or the edge's (``dz1/dx``).
        text: the question, ``dy/dx``.
        key: the Value, or for a local derivative the edge ``(child, parent position)``.
        expected: backprop's answer.
    """

    name: str
    text: str
    key: Value | Edge
    expected: float


def exercise(root: Value, ask: Ask = None, *, rtol: float = RTOL,
             atol: float = ATOL) -> Exercise:
    """An exercise in backpropagating by hand through the graph that computed ``root`` (L).

    Every value asked about is named by its label, or by the automatic name pictures and the
    step-through use (``mul1``, ``dot1``; the output is ``L`` if unlabeled).

    Args:
        root: the output L. The graph may be before or after ``backward()``; the answers are
            computed here and every ``.grad`` is left as it was.
        ask: what to ask. None (the default): dL/dv for every value v of the graph except the
            output (dL/dL = 1 is given: backprop starts there) and the numbers written into the
            expression (constants). ``"local"``: the local derivative d(child)/d(parent) on
            every edge but those from constants, named ``dz1/dx`` (``dy/dx#2`` for the second
            edge of ``y = x * x``). A list of Values or names: dL/dv for just those.
        rtol, atol: the tolerance. An answer is right when
            |yours - expected| <= max(rtol |expected|, atol): by default within 1%, or within
            0.005 for answers near zero, since students round to 2 to 4 decimals.

    Returns:
        An ``Exercise``: it displays in Jupyter as the graph with its values and ``grad ?``
        boxes beside the list of questions, prints as text, ``save("exercise.svg")`` writes the
        handout (``.svg .png .pdf .tex .dot``), and ``check(answers)`` grades a dict of answers.
    """
    sol = solve(root, "make an exercise of")
    tolerance = Tolerance(rtol, atol)
    if isinstance(ask, str) and ask == "local":
        questions = [Question(sol.edge_name(edge), sol.edge_name(edge), edge, sol.local_of(edge))
                     for edge in sol.edges()]
    else:
        questions = [Question(sol.names[v], sol.d(v), v, sol.grads[v])
                     for v in _asked(sol, ask)]
    if not questions:
        raise ValueError(f"nothing to ask: {sol.output} is computed from constants only; make "
                         "an exercise of an expression with inputs, e.g. Value(2.0, label='x')")
    return Exercise(sol, questions, tolerance)


class Exercise(Pictured):
    """Gradients to find by hand, and the means to grade them (see ``exercise``).

    ``save("exercise.svg")`` writes the handout, the graph with the questions under it
    (``.svg .png .pdf .tex .dot``); in Jupyter it displays as the graph with the questions
    beside it."""

    def __init__(self, solution: Solution, questions: list[Question],
                 tolerance: Tolerance) -> None:
        self.solution = solution
        self.questions = tuple(questions)
        self.tolerance = tolerance

    @property
    def root(self) -> Value:
        """The output L the gradients are of."""
        return self.solution.root

    @property
    def local(self) -> bool:
        """Whether the questions are local derivatives (``ask="local"``)."""
        return bool(self.questions) and not isinstance(self.questions[0].key, Value)

    def answer_key(self) -> dict[str, float]:
        """The right answers by name: for the instructor, or to check a worked solution."""
        return {q.name: q.expected for q in self.questions}

    def check(self, answers: Mapping[str | Value | tuple[Value, Value], object], *,
              reveal: bool = False) -> Report:
        """Grade ``answers``: a dict from each question's name (``"x"``, or ``"dy/dx"``) or its
        Value (for ``ask="local"``, the edge's name ``"dz1/dx"`` or the pair ``(z1, x)``) to a
        number (an int, float, ``Decimal``, NumPy number or 0-d array, or a Value). ``None``
        (or ``...``) means not answered yet; answers about values not asked are ignored.

        Returns a ``Report``: truthy when every answer is right, with ``.wrong``, ``.score``,
        a table with a hint for each wrong answer, and a picture. ``assert ex.check(answers)``
        fails with the table as its message.

        The answer key stays with the instructor: the report says which answers are right and
        why the others are wrong, but not what they should be. ``reveal=True`` (self-study,
        the instructor's copy) adds backprop's number for every question, in the table, the
        picture and the hints.
        """
        if not isinstance(reveal, bool):
            raise TypeError(f"reveal must be True or False, got {reveal!r}")
        given = self._read(answers)
        sol, tolerance = self.solution, self.tolerance
        by_value = {q.key: given[q.name] for q in self.questions if given.get(q.name) is not None}
        rows = []
        for q in self.questions:
            yours = given.get(q.name)
            right = yours is not None and tolerance.close(yours, q.expected)
            if right:
                hint = ""
            elif isinstance(q.key, Value):
                hint = gradient_hint(sol, q.key, yours, by_value, tolerance, reveal=reveal)
            else:
                hint = local_hint(sol, q.key, yours, tolerance, reveal=reveal)
            rows.append(ReportRow(q.name, q.text, q.key, yours, q.expected, right, hint))
        return Report(sol, rows, tolerance, reveal=reveal)

    def _read(self, answers: object) -> dict[str, float | None]:
        """The answers by question name, each a float or None; unknown names are refused."""
        if not isinstance(answers, Mapping):
            example = ", ".join(f"{q.name!r}: ..." for q in self.questions[:2])
            raise TypeError(f"check takes a dict of answers such as {{{example}}}, got "
                            f"{type(answers).__name__}")
        asked = {q.name for q in self.questions}
        read: dict[str, float | None] = {}
        for key, answer in answers.items():
            name = self._name(key)
            if name not in asked:
                continue  # a value of the graph that was not asked about
            number = _number(name, answer)
            if name in read and read[name] != number:
                raise ValueError(f"{name} is answered twice, as {read[name]} and {number}; "
                                 "give one answer per question")
            read[name] = number
        return read

    def _name(self, key: object) -> str:
        """The question name a key of the answers refers to."""
        sol = self.solution
        if self.local:
            if isinstance(key, tuple) and len(key) == 2 and all(isinstance(v, Value) for v in key):
                return self._edge_name(*key)
            if isinstance(key, str) and key in {q.name for q in self.questions}:
                return key
        elif isinstance(key, Value):
            if key not in sol.names:
                raise ValueError(f"{key!r} is not a value of this exercise's graph; answer with "
                                 f"{self._names_hint()}")
            return sol.names[key]
        elif isinstance(key, str):
            known = set(sol.names.values())
            prefix = f"d{sol.output}/d"  # "dy/dx" for "x"
            if key.startswith(prefix) and key not in known:
                key = key[len(prefix):]
            if key in known:
                return key
        if not isinstance(key, (str, Value, tuple)):
            raise TypeError(f"answers are keyed by name (a str) or by Value, got "
                            f"{type(key).__name__} {key!r}")
        raise ValueError(f"no question is called {key!r}; answer with {self._names_hint()}")

    def _edge_name(self, child: Value, parent: Value) -> str:
        sol = self.solution
        if child not in sol.names or parent not in child.parents:
            raise ValueError(f"({child!r}, {parent!r}) is not an edge of this graph: the pair "
                             "is (a value, one of the values it was computed from)")
        if child.parents.count(parent) > 1:
            raise ValueError(f"{sol.names[child]} uses {sol.names[parent]} more than once: "
                             f"name the edge, e.g. {sol.edge_name((child, 0))!r}")
        return sol.edge_name((child, child.parents.index(parent)))

    def _names_hint(self) -> str:
        names = [q.name for q in self.questions]
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        return f"the names asked: {shown}"

    # ---------------------------------------------------------------- showing it ------------

    def __str__(self) -> str:
        sol = self.solution
        out = sol.output
        lines = [f"Backpropagate by hand through {out} = {format_number(sol.data[sol.root])}.",
                 "The graph, in the order it was computed:"]
        width = max(len(sol.names[v]) for v in sol.nodes)
        for v in sol.nodes:
            value = format_number(sol.data[v])
            if v.parents:
                formula = op_formula(v.op, [sol.names[p] for p in v.parents])
                lines.append(f"  {sol.names[v]:<{width}} = {formula} = {value}")
            else:
                kind = "a constant" if isinstance(v, Constant) else "an input"
                lines.append(f"  {sol.names[v]:<{width}} = {value}  ({kind})")
        lines.append(self._task() + ":")
        lines += [f"  {k}. {q.text} = ?" for k, q in enumerate(self.questions, start=1)]
        lines.append(f"Give 3 or 4 decimals: {self.tolerance}.")
        return "\n".join(lines)

    def _task(self) -> str:
        if self.local:
            return "Find the local derivative on each edge, d(value)/d(input)"
        out = self.solution.output
        if self.solution.root in self._asked_values():
            return "Find by backprop"
        return f"Find by backprop, starting from d{out}/d{out} = 1"

    def _asked_values(self) -> set[Value]:
        return {q.key for q in self.questions if isinstance(q.key, Value)}

    def __repr__(self) -> str:
        n = len(self.questions)
        kind = ("local derivative" if self.local else "gradient") + ("s" if n > 1 else "")
        return (f"<Exercise: {n} {kind} of {self.solution.output}; print it "
                "or display it to see the questions, .check(answers) to grade>")

    def picture(self, rankdir: str = "LR", theme: str | Theme = "light",
                caption: str = "") -> Graph:
        """The graph with its values and ``grad ?`` where a gradient is asked (for
        ``ask="local"``, numbered edges), and ``caption`` under it; ``theme`` as
        ``draw_dot``'s. ``graph()`` is the handout: the questions under the picture."""
        sol = self.solution
        asked = self._asked_values()
        grads = None
        grad_text: dict[Value, str] = {}
        edge_labels: dict[Edge, str] = {}
        if self.local:
            edge_labels = {q.key: f"{k}: ?" for k, q in enumerate(self.questions, start=1)}
        else:
            grads = {} if sol.root in asked else {sol.root: 1.0}
            grad_text = {v: "" for v in sol.nodes if v not in asked and v is not sol.root}
        return draw(sol, rankdir, theme, grads=grads, grad_text=grad_text, edge_labels=edge_labels,
                    caption=caption)

    def _lines(self) -> tuple[str, list[str], list[str]]:
        """The task, the questions, and the advice on decimals wrapped to lines."""
        questions = [f"{k}. {q.text} = ?" for k, q in enumerate(self.questions, start=1)]
        advice = textwrap.wrap(f"Give 3 or 4 decimals: {self.tolerance}.", LINE_WIDTH)
        return f"{self._task()}:", questions, advice

    def caption(self, theme: Theme) -> str:
        task, questions, advice = self._lines()
        rows = [f"<b>{html_text(task)}</b>", *map(html_text, questions),
                "".join(html_text(line) + '<br align="left"/>' for line in advice)]
        return ('<table border="0" cellspacing="0" cellpadding="2">'
                + "".join(f'<tr><td align="left"><font color="{theme.text}">{row}</font></td>'
                          "</tr>" for row in rows) + "</table>")

    def table_html(self) -> str:
        """The questions as HTML, for Jupyter."""
        task, questions, advice = self._lines()
        rows = [f'<tr><td style="text-align: left; padding: 0.1em 0.6em">{html.escape(q)}'
                "</td></tr>" for q in questions]
        return html_table([task], rows, [" ".join(advice)], 1)

    def table_tex(self) -> str:
        """The task and the questions as LaTeX, for the handout's ``.tex``."""
        task, questions, advice = self._lines()
        return "\n".join([r"\sffamily", r"\begin{tabular}[t]{@{}l@{}}",
                          rf"\textbf{{{latex_text(task)}}}\\",
                          *(latex_text(q) + r"\\" for q in questions),
                          *(latex_text(line) + r"\\" for line in advice), r"\end{tabular}"])


def _asked(sol: Solution, ask: Ask) -> list[Value]:
    """The values whose gradients ``ask`` chooses, each once, in the order given."""
    if ask is None:
        chosen = sol.graded()
    elif isinstance(ask, str):
        raise ValueError(f"ask={ask!r}: ask takes None (every gradient), 'local' (every local "
                         f"derivative) or a list of values or names, e.g. ask=[{ask!r}]")
    else:
        items = [ask] if isinstance(ask, Value) else _items(ask)
        by_name: dict[str, list[Value]] = {}
        for v in sol.nodes:
            by_name.setdefault(sol.names[v], []).append(v)
        chosen = []
        for item in items:
            if isinstance(item, Value):
                if item not in sol.names:
                    raise ValueError(f"ask: {item!r} is not in this graph; pass values the "
                                     "output was computed from")
                chosen.append(item)
            elif isinstance(item, str) and len(by_name.get(item, ())) == 1:
                chosen.append(by_name[item][0])
            elif isinstance(item, str) and item in by_name:
                raise ValueError(f"ask: {len(by_name[item])} values are called {item!r}; pass "
                                 "the Value itself, or give them different labels")
            else:
                known = ", ".join(sol.names[v] for v in sol.graded()[:12])
                raise ValueError(f"ask: no value is called {item!r}; the graph's values "
                                 f"include {known}")
        chosen = list(dict.fromkeys(chosen))
        if not chosen:
            raise ValueError("ask is empty: name at least one value to ask about, or pass "
                             "ask=None to ask about every value")
    names = [sol.names[v] for v in chosen]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"more than one value asked about is called {twice[0]!r}: answers "
                         "could not tell them apart; give them different labels")
    return chosen


def _items(ask: object) -> list[object]:
    try:
        return list(ask)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"ask takes None, 'local' or a list of values or names, got "
                        f"{type(ask).__name__}") from None


def _number(name: str, answer: object) -> float | None:
    """An answer as a float (None: not answered): any real number but a bool, a ``Decimal``,
    a NumPy (or PyTorch) number with no dimensions, or a Value's number."""
    if answer is None or answer is Ellipsis:
        return None
    if isinstance(answer, Value):
        return answer.data
    if isinstance(answer, (Real, Decimal)) and not isinstance(answer, bool):
        return float(answer)
    if getattr(answer, "ndim", None) == 0 and hasattr(answer, "item"):  # a 0-d array or tensor
        return _number(name, answer.item())
    raise TypeError(f"the answer for {name} is {answer!r} ({type(answer).__name__}): give a "
                    f"number, e.g. {{{name!r}: 0.5}}, or None for no answer yet")
