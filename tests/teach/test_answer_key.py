"""The answer key stays with the instructor.

``ex.check(answers)`` says which answers are right and why the others are wrong; backprop's
number for a wrong or unanswered question appears in none of the report's text, picture, HTML
table or failing ``assert`` message. ``ex.check(answers, reveal=True)`` shows them all.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from autograd import Value, exercise, random_exercise
from autograd.core.format import format_number
from tests.teach.test_exercise import NEURON_ANSWERS, lecture_g1_g2, lecture_neuron


def _scenarios():
    """(what, exercise, answers): wrong and missing answers as students give them."""
    y, x, z1, z2 = lecture_g1_g2()
    fan_out = exercise(y, ask=[z1, z2, x])
    mine = random_exercise("s1234567", size=6)  # notebook 07's "try it" exercise
    o, _ = lecture_neuron()
    return [
        ("one path of two, one missing", fan_out, {"z1": 3, "z2": None, "x": 35}),
        ("nothing answered", mine, {name: None for name in mine.answer_key()}),
        ("every sign flipped", mine, {k: -v for k, v in mine.answer_key().items()}),
        ("twice every gradient", mine, {k: 2 * v for k, v in mine.answer_key().items()}),
        ("the neuron, tanh' with the input", exercise(o),
         dict(NEURON_ANSWERS, n=1 - 0.8814 ** 2, w1=2.0)),
        ("local derivatives", exercise(o, ask="local"),
         {"do/dn": 0.2232, "dmul1/dw1": -3.0, "dmul1/dx1": None}),
    ]


SCENARIOS = {what: (ex, answers) for what, ex, answers in _scenarios()}


def _hidden(report) -> list[str]:
    """Backprop's numbers for the wrong and unanswered rows, as a report would write them,
    but for those the student gave as an answer themselves."""
    given = {format_number(row.yours) for row in report.rows if row.yours is not None}
    return sorted({format_number(row.expected) for row in report.rows if not row.right}
                  - given)


def _shows(text: str, number: str) -> bool:
    """Whether ``number`` stands in ``text`` on its own (not as part of -3.0 or 13.05)."""
    return re.search(rf"(?<![\d.\-]){re.escape(number)}(?![\d])", text) is not None


@pytest.mark.parametrize("what", sorted(SCENARIOS))
def test_the_report_text_and_html_do_not_give_the_expected_numbers(what):
    ex, answers = SCENARIOS[what]
    report = ex.check(answers)
    hidden = _hidden(report)
    assert hidden
    for text in (str(report), report.table_html()):
        assert [n for n in hidden if _shows(text, n)] == [], text
    assert "expected" not in report.columns


@pytest.mark.parametrize("what", sorted(SCENARIOS))
def test_the_report_picture_does_not_give_the_expected_numbers(what):
    ex, answers = SCENARIOS[what]
    report = ex.check(answers)
    source = report.graph().source
    graded = [a or b for a, b in re.findall(
        r"grad ([^<]*)</td>|label=\"[\u2713\u2717] \d+: ([^\"]*)\"", source)]
    if len(graded) == len(report.rows) + 1:
        graded.remove("1.0")  # dL/dL = 1, where backprop starts: given
    assert len(graded) == len(report.rows)
    shown = " ".join(graded)
    assert [n for n in _hidden(report) if _shows(shown, n)] == [], shown


@pytest.mark.parametrize("what", sorted(SCENARIOS))
def test_a_failing_bare_assert_does_not_give_the_expected_numbers(what):
    ex, answers = SCENARIOS[what]
    with pytest.raises(AssertionError) as failure:
        exec(compile("assert ex.check(answers)", "<autograder cell>", "exec"),
             {"ex": ex, "answers": answers})
    message = str(failure.value)
    assert "wrong" in message  # the table is the message
    assert [n for n in _hidden(ex.check(answers)) if _shows(message, n)] == [], message


@pytest.mark.parametrize("what", sorted(SCENARIOS))
def test_reveal_shows_every_expected_number_in_text_picture_and_table(what):
    ex, answers = SCENARIOS[what]
    report = ex.check(answers, reveal=True)
    assert "expected" in report.columns
    hidden = _hidden(report)
    for text in (str(report), report.table_html(), report.graph().source):
        assert [n for n in hidden if not _shows(text, n)] == []


def test_the_picture_marks_a_wrong_answer_with_a_question_mark_and_the_given_number():
    y, x, z1, _ = lecture_g1_g2()
    source = exercise(y, ask=[x, z1]).check({"x": 6}).graph().source
    assert "grad ? (yours 6.0)" in source and "grad ? (no answer)" in source


def test_the_local_picture_marks_a_wrong_edge_with_a_question_mark():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    source = exercise(y, ask="local").check({"dy/dx#1": 3, "dy/dx#2": 9}).graph().source
    assert "\u2717 2: ? (yours 9.0)" in source and "\u2713 1: 3.0" in source


def test_a_report_row_s_repr_leaves_the_expected_number_out():
    y, x, *_ = lecture_g1_g2()
    row = exercise(y, ask=[x]).check({"x": 6}).rows[0]
    assert "41" not in repr(row) and "6.0" in repr(row)


def test_reveal_must_be_a_bool():
    y, x, *_ = lecture_g1_g2()
    with pytest.raises(TypeError, match="reveal must be True or False"):
        exercise(y, ask=[x]).check({"x": 41}, reveal="yes")


# ---------------------------------------------------------------- numbers students type ----

@pytest.mark.parametrize("answer", [Decimal("41.0"), Decimal("41")])
def test_a_decimal_answer_is_graded(answer):
    y, x, *_ = lecture_g1_g2()
    assert exercise(y, ask=[x]).check({"x": answer})


def test_numpy_numbers_and_zero_dimensional_arrays_are_graded():
    np = pytest.importorskip("numpy")
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[x, z1, z2])
    report = ex.check({"x": np.array(41.0), "z1": np.float32(2.0), "z2": np.int64(7)})
    assert report and [row.yours for row in report.rows] == [41.0, 2.0, 7.0]
    assert not ex.check({"x": np.array(35.0)})


def test_an_array_with_dimensions_is_still_refused():
    np = pytest.importorskip("numpy")
    y, x, *_ = lecture_g1_g2()
    with pytest.raises(TypeError, match=r"the answer for x is array\(\[41.\]\) \(ndarray\): "
                                        "give a number"):
        exercise(y, ask=[x]).check({"x": np.array([41.0])})
