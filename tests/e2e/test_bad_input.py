"""Bad operands and arguments get a TypeError saying which operation got which type."""

from __future__ import annotations

import pytest

from autograd import Value, dot


@pytest.mark.parametrize("bad", ["2", None, [1, 2], 1 + 2j, {"x": 1}, object()])
@pytest.mark.parametrize("op, apply", [
    ("+", lambda v, o: v + o), ("-", lambda v, o: v - o), ("*", lambda v, o: v * o),
    ("/", lambda v, o: v / o), ("**", lambda v, o: v ** o),
])
def test_bad_operand_on_the_right_names_the_operation_and_type(op, apply, bad):
    with pytest.raises(TypeError) as info:
        apply(Value(1.0), bad)
    message = str(info.value)
    assert f"'{op}'" in message and type(bad).__name__ in message


@pytest.mark.parametrize("bad", ["2", None, 1 + 2j])
@pytest.mark.parametrize("op, apply", [
    ("+", lambda o, v: o + v), ("-", lambda o, v: o - v), ("*", lambda o, v: o * v),
    ("/", lambda o, v: o / v), ("**", lambda o, v: o ** v),
])
def test_bad_operand_on_the_left_names_the_operation_and_type(op, apply, bad):
    with pytest.raises(TypeError) as info:
        apply(bad, Value(1.0))
    assert type(bad).__name__ in str(info.value)


def test_list_times_value_is_refused_not_repeated():
    with pytest.raises(TypeError, match="cannot apply '\\*' to list and Value"):
        [1, 2] * Value(2.0)


@pytest.mark.parametrize("bad", ["1.5", None, [1.0], 1j, Value(1.0)])
def test_value_needs_a_real_number(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_value_label_must_be_text():
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)


def test_comparing_with_a_non_number_is_refused():
    with pytest.raises(TypeError, match="cannot compare Value with str"):
        assert Value(1.0) < "2"


def test_dot_refuses_non_numbers():
    with pytest.raises(TypeError, match="dot.*str"):
        dot([Value(1.0)], ["x"])


def test_numbers_of_other_real_types_are_accepted():
    from fractions import Fraction
    assert (Value(1.0) + Fraction(1, 2)).data == 1.5
    assert Value(True).data == 1.0
