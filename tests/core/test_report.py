"""One report base: rows, truthiness, a table as text and HTML, and a picture as a hook.

``gradcheck``'s report, ``nn.compare_with_torch``'s, an exercise's and the mistakes lab's share
it; a new report is a few lines. ``assert report`` fails with the table as its message, read
from the bytecode of a bare ``assert`` on every Python from 3.10 to 3.14, and falls back to a
plain ``False`` where the bytecode cannot be read.
"""

from __future__ import annotations

import ast
import dis
import inspect
from dataclasses import dataclass

import pytest

import autograd
from autograd import BaseReport, GradcheckReport, Mistake, Report, format_number, gradcheck
from autograd.core import report as base


@dataclass(frozen=True)
class SignReport(BaseReport):
    """A new report in a few lines: numbers that should not be negative."""

    rows: tuple[tuple[str, float], ...]
    columns = ("name", "number", "")

    def row_ok(self, row: tuple[str, float]) -> bool:
        return row[1] >= 0

    def cells(self, row: tuple[str, float]) -> tuple[str, ...]:
        return (row[0], format_number(row[1]), "ok" if self.row_ok(row) else "NEGATIVE")

    def below(self) -> list[str]:
        return ["all >= 0" if self.passed else "some are negative"]


GOOD = SignReport((("a", 1.0), ("b", 0.0)))
BAD = SignReport((("a", 1.0), ("b", -2.5)))


def test_a_new_report_is_truthy_when_every_row_passes():
    assert bool(GOOD) is True and bool(BAD) is False


def test_a_new_report_prints_its_table():
    assert str(BAD) == ("name  number\n"
                        "a     1.0     ok\n"
                        "b     -2.5    NEGATIVE\n"
                        "some are negative")


def test_a_new_report_displays_as_an_html_table_with_failing_rows_marked():
    html = BAD._repr_html_()
    assert html.count("<tr>") == 4  # heading, two rows, the line below
    failing = html[html.index(">b<") - 200:html.index(">b<")]
    assert base.FAIL_FILL in failing
    bundle = BAD._repr_mimebundle_()
    assert bundle["text/plain"] == str(BAD) and "image/svg+xml" not in bundle


def test_a_bare_assert_of_a_new_report_fails_with_its_table():
    with pytest.raises(AssertionError) as failure:
        exec(compile("assert report", "<cell>", "exec"), {"report": BAD})
    assert str(failure.value) == f"\n{BAD}"
    exec(compile("assert report", "<cell>", "exec"), {"report": GOOD})


def test_a_bare_assert_inside_a_function_fails_with_the_table_too():
    namespace: dict = {}
    # compiled here, not in this file, whose asserts pytest rewrites
    exec(compile("def check(report):\n    assert report\n", "<grader>", "exec"), namespace)
    with pytest.raises(AssertionError, match="NEGATIVE"):
        namespace["check"](BAD)


@pytest.mark.parametrize("code", [
    "assert report, 'mine'",
    "ok = bool(report)",
    "ok = 'yes' if report else 'no'",
    "assert not report",
    "ok = report and 1",
])
def test_other_truth_tests_of_a_failing_report_are_plain_false(code):
    namespace = {"report": BAD}
    if code.startswith("assert report,"):
        with pytest.raises(AssertionError, match="^mine$"):
            exec(compile(code, "<cell>", "exec"), namespace)
    else:
        exec(compile(code, "<cell>", "exec"), namespace)


def test_gradcheck_s_report_is_a_base_report_and_asserts_with_its_table():
    def wrong(x):  # a cube whose derivative is wrong: 2x where 3x^2 belongs
        return autograd.custom_op("cube", x.data ** 3, (x,), (2 * x.data,))

    report = gradcheck(wrong, 2.0)
    assert isinstance(report, GradcheckReport) and isinstance(report, BaseReport)
    with pytest.raises(AssertionError) as failure:
        exec(compile("assert report", "<cell>", "exec"), {"report": report})
    assert "MISMATCH" in str(failure.value) and "gradients DISAGREE" in str(failure.value)
    assert "<table" in report._repr_html_() and "MISMATCH" in report._repr_html_()


def test_every_report_of_the_library_is_a_base_report():
    import nn

    for kind in (GradcheckReport, Report, Mistake, nn.TorchComparison):
        assert issubclass(kind, BaseReport), kind


def test_the_base_imports_nothing_of_pictures_or_teaching():
    tree = ast.parse(inspect.getsource(base))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    ours = {name for name in imported if name.split(".")[0] in ("autograd", "nn")}
    assert all(name.startswith("autograd.core.") for name in ours), ours


# ---------------------------------------------------------------- reading the bytecode ------

def test_this_python_s_bare_assert_is_recognised():
    code = compile("assert report", "<cell>", "exec")
    instructions = [(i.opname, i.argrepr) for i in dis.get_instructions(code)]
    start = next(k for k, (op, _) in enumerate(instructions)
                 if op in ("TO_BOOL",) or op.startswith("POP_JUMP"))
    assert base.is_bare_assert(instructions[start:])


@pytest.mark.parametrize("instructions", [
    # 3.10
    [("POP_JUMP_IF_TRUE", "to 8"), ("LOAD_ASSERTION_ERROR", ""), ("RAISE_VARARGS", "1")],
    # 3.11
    [("POP_JUMP_FORWARD_IF_TRUE", "to 12"), ("LOAD_ASSERTION_ERROR", ""),
     ("RAISE_VARARGS", "1")],
    # 3.13
    [("TO_BOOL", ""), ("POP_JUMP_IF_TRUE", "to L1"), ("CACHE", ""), ("LOAD_ASSERTION_ERROR", ""),
     ("RAISE_VARARGS", "1")],
    # 3.14: the branch-monitoring NOT_TAKEN after the jump, and AssertionError as a common
    # constant
    [("TO_BOOL", ""), ("POP_JUMP_IF_TRUE", "to L1"), ("NOT_TAKEN", ""),
     ("LOAD_COMMON_CONSTANT", "AssertionError"), ("RAISE_VARARGS", "1")],
])
def test_the_bare_assert_of_every_python_from_3_10_to_3_14_is_recognised(instructions):
    assert base.is_bare_assert(instructions)


@pytest.mark.parametrize("instructions", [
    [],
    [("POP_JUMP_IF_FALSE", "to 8"), ("LOAD_ASSERTION_ERROR", ""), ("RAISE_VARARGS", "1")],
    [("POP_JUMP_IF_TRUE", "to 8"), ("LOAD_ASSERTION_ERROR", ""), ("LOAD_CONST", "'mine'"),
     ("CALL", "0"), ("RAISE_VARARGS", "1")],
    [("TO_BOOL", ""), ("POP_JUMP_IF_TRUE", "to L1"), ("NOT_TAKEN", ""),
     ("LOAD_COMMON_CONSTANT", "AssertionError"), ("LOAD_CONST", "'mine'"), ("CALL", "0")],
    [("RETURN_VALUE", "")],
])
def test_other_bytecode_is_not_a_bare_assert(instructions):
    assert not base.is_bare_assert(instructions)


def test_where_the_bytecode_cannot_be_read_a_report_is_a_plain_false(monkeypatch):
    def unreadable(code):
        raise ValueError("no bytecode here")

    monkeypatch.setattr(dis, "get_instructions", unreadable)
    assert bool(BAD) is False
    with pytest.raises(AssertionError) as failure:
        exec(compile("assert report", "<cell>", "exec"), {"report": BAD})
    assert str(failure.value) == ""
    assert "NEGATIVE" in str(BAD)  # the table is still there to print
