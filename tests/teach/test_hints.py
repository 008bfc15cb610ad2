"""Hints: the classic backprop mistakes, recognised from the student's numbers.

Each test gives a lecture exercise the wrong answer a student typically writes and checks the
hint names that mistake.
"""

import math

import pytest

import nn
from autograd import Value, exercise
from tests.teach.test_exercise import NEURON_ANSWERS, lecture_g1_g2, lecture_neuron


def hint(report, name):
    (row,) = [row for row in report.rows if row.name == name]
    assert not row.right, f"{name} was graded right"
    return row.hint


# ---------------------------------------------------------------- one path only -----------

@pytest.mark.parametrize("answer, path", [(6, "z1"), (35, "z2")])
def test_one_path_of_a_fan_out_says_add_both_paths(answer, path):
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[z1, z2, x]).check({"x": answer, "z1": 2, "z2": 7}, reveal=True)
    assert hint(report, "x") == (f"x feeds 2 nodes (z1, z2): that is the path through {path} "
                                 "only; add both paths (+=): 6.0 + 35.0 = 41.0")


def test_one_edge_of_x_times_x_says_add_both_edges():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    report = exercise(y).check({"x": 3.0}, reveal=True)
    assert hint(report, "x") == ("x is used twice by y: that is one edge only; add both edges "
                                 "(+=): 3.0 + 3.0 = 6.0")


def test_forgetting_the_minus_y_of_p_minus_y_is_one_path_of_two():
    scores = [Value(3.2, label="s_cat"), Value(5.1, label="s_car"), Value(-1.7, label="s_frog")]
    loss = nn.cross_entropy(scores, 0)
    report = exercise(loss, ask=scores).check({"s_cat": 0.13, "s_car": 0.87, "s_frog": 0.0},
                                              reveal=True)
    assert hint(report, "s_cat").startswith("s_cat feeds 2 nodes")
    assert "add both paths (+=): 0.13 + (-1.0) = -0.87" in hint(report, "s_cat")


# ---------------------------------------------------------------- the local derivative alone

def test_the_local_derivative_without_the_upstream_gradient():
    o, _ = lecture_neuron()
    report = exercise(o).check(dict(NEURON_ANSWERS, w1=2.0), reveal=True)  # dmul1/dw1 = x1 = 2
    assert hint(report, "w1") == ("that is the local derivative dmul1/dw1 = 2.0 alone; multiply "
                                  "it by the upstream gradient do/dmul1 = 0.5 (the chain rule)")


# ---------------------------------------------------------------- the sign -----------------

def test_y_minus_p_is_the_sign_flipped_by_the_subtraction():
    scores = [Value(3.2, label="s_cat"), Value(5.1, label="s_car"), Value(-1.7, label="s_frog")]
    loss = nn.cross_entropy(scores, 0)
    report = exercise(loss, ask=scores).check({"s_cat": 0.87, "s_car": -0.87, "s_frog": 0.0})
    assert hint(report, "s_cat").startswith("the sign is flipped")
    assert hint(report, "s_car").startswith("the sign is flipped")


def test_a_subtracted_value_with_the_wrong_sign_names_d_a_minus_b_db():
    a, b = Value(2.0, label="a"), Value(5.0, label="b")
    d = a - b
    d.label = "d"
    report = exercise(d).check({"a": 1.0, "b": 1.0})
    assert hint(report, "b") == "the sign is flipped: b is subtracted in d, and d(a - b)/db = -1"


# ---------------------------------------------------------------- tanh' with the input ----

def test_tanh_prime_written_with_the_input_n_instead_of_the_output_o():
    o, v = lecture_neuron()
    wrong_dn = 1 - v["n"].data ** 2  # 1 - 0.8814^2 = 0.2232, not 1 - 0.7071^2 = 0.5
    report = exercise(o).check(dict(NEURON_ANSWERS, n=round(wrong_dn, 4)))
    assert hint(report, "n") == ("tanh'(n) is 1 - o² with the output o = 0.7071, not 1 - n² "
                                 "with the input n")


def test_sigmoid_prime_written_with_the_input():
    x = Value(0.5, label="x")
    s = x.sigmoid()
    s.label = "s"
    report = exercise(s).check({"x": 0.5 * (1 - 0.5)})
    assert hint(report, "x").startswith("sigmoid'(x) is s (1 - s) with the output s = 0.6225")


# ---------------------------------------------------------------- an earlier backward -----

def test_reading_grad_after_another_backward_includes_what_grad_held():
    o, v = lecture_neuron()
    o.backward()
    ex = exercise(o)  # made with every .grad holding one backward's gradient
    o.backward()  # the student's own pass, without zero_grad: dL/dn reads 0.5 + 0.5
    report = ex.check({name: node.grad for name, node in v.items()}, reveal=True)
    assert hint(report, "n") == ("that includes the 0.5 left in .grad by an earlier backward(): "
                                 "gradients accumulate across calls, so zero them "
                                 "(o.zero_grad()) before backward()")


def test_reading_grad_after_two_backward_calls_is_twice_the_gradient():
    o, v = lecture_neuron()
    o.backward()
    o.backward()  # forgot zero_grad: every .grad is twice dL/dv
    report = exercise(o).check({name: node.grad for name, node in v.items()}, reveal=True)
    assert hint(report, "n").startswith("that is 2 x 0.5: a gradient from an earlier backward()")


def test_twice_the_gradient_says_a_gradient_is_still_accumulated():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[x]).check({"x": 82}, reveal=True)
    assert hint(report, "x") == ("that is 2 x 41.0: a gradient from an earlier backward() is "
                                 "still accumulated in .grad; zero the gradients (y.zero_grad()) "
                                 "before each backward()")


# ---------------------------------------------------------------- downstream --------------

def test_a_wrong_answer_that_follows_from_a_wrong_answer_upstream_is_not_blamed_twice():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[z1, z2, x]).check({"z1": 3, "z2": 7, "x": 3 * 3 + 7 * 5}, reveal=True)
    assert hint(report, "x") == ("this follows from your answer for z1 (3.0, not 2.0): correct "
                                 "that first")
    assert hint(report, "z1").startswith("dy/dz1 = dy/dmul1 * dmul1/dz1")


def test_every_downstream_wrong_of_the_neuron_points_at_its_own_upstream():
    o, _ = lecture_neuron()
    doubled_n = {name: (2 * g if name != "w2" else g) for name, g in NEURON_ANSWERS.items()}
    report = exercise(o).check(doubled_n, reveal=True)
    assert hint(report, "n").startswith("that is 2 x 0.5")
    assert hint(report, "b") == ("this follows from your answer for n (1.0, not 0.5): correct "
                                 "that first")
    assert hint(report, "w1").startswith("this follows from your answer for mul1")


def test_a_one_path_mistake_on_top_of_a_wrong_upstream_answer_is_still_one_path():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[z1, z2, x]).check({"z1": 3, "z2": 7, "x": 3 * 3})
    assert "the path through z1 only" in hint(report, "x")


# ---------------------------------------------------------------- other wrong answers -----

def test_an_unrecognised_answer_gets_the_chain_rule_in_names_and_numbers():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[x]).check({"x": 100}, reveal=True)
    assert hint(report, "x") == "dy/dx = dy/dz1 * dz1/dx + dy/dz2 * dz2/dx = 2.0 * 3.0 + 7.0 * 5.0"


def test_a_near_miss_says_keep_more_decimals():
    y, x, *_ = lecture_g1_g2()
    assert hint(exercise(y, ask=[x]).check({"x": 42}), "x").startswith(
        "close, but outside the tolerance")


def test_asking_for_the_output_itself_says_backprop_starts_at_one():
    y, x, *_ = lecture_g1_g2()
    assert hint(exercise(y, ask=[y]).check({"y": 0}, reveal=True), "y").startswith("dy/dy = 1")


# ---------------------------------------------------------------- local derivatives -------

def test_local_tanh_derivative_written_with_the_input():
    o, v = lecture_neuron()
    report = exercise(o, ask="local").check({"do/dn": 1 - v["n"].data ** 2})
    assert hint(report, "do/dn").startswith("tanh'(n) is 1 - o² with the output o")


def test_local_product_derivative_answered_with_its_own_factor():
    o, _ = lecture_neuron()
    report = exercise(o, ask="local").check({"dmul1/dw1": -3.0}, reveal=True)  # w1 itself, not x1
    assert hint(report, "dmul1/dw1") == "dmul1/dw1 is the other factor, x1 = 2.0, not w1 itself"


@pytest.mark.parametrize("answer, start", [
    (2.0 ** 2, "the power rule brings the exponent down"),  # x^(n-1) without the n
    (3 * 2.0 ** 3, "lower the exponent by one"),  # n x^n
    (-12.0, "the sign is flipped"),
])
def test_local_power_rule_mistakes(answer, start):
    x = Value(2.0, label="x")
    y = x ** 3
    y.label = "y"
    assert hint(exercise(y, ask="local").check({"dy/dx": answer}), "dy/dx").startswith(start)


def test_an_unrecognised_local_answer_gets_the_operation_s_rule():
    x = Value(0.3, label="x")
    y = x.sin()
    y.label = "y"
    report = exercise(y, ask="local").check({"dy/dx": 5.0})
    assert hint(report, "dy/dx") == "the rule for sin: d(sin x)/dx = cos x"
    assert math.isclose(report.rows[0].expected, math.cos(0.3))


# ---------------------------------------------------------------- the answer key ----------

def test_one_path_of_a_fan_out_does_not_state_the_right_sum_unless_revealed():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[z1, z2, x]).check({"x": 35, "z1": 2, "z2": 7})
    assert hint(report, "x") == ("x feeds 2 nodes (z1, z2): that is the path through z2 only; "
                                 "add both paths (+=)")


@pytest.mark.parametrize("answers, name, hidden", [
    ({"x": 82}, "x", "that is 2 times the gradient: a gradient from an earlier backward()"),
    ({"x": 100}, "x", "dy/dx = dy/dz1 * dz1/dx + dy/dz2 * dz2/dx: work out each factor"),
    ({"z1": 3, "x": 3 * 3 + 7 * 5}, "x", "this follows from your wrong answer for z1 (3.0): "
                                          "correct that first"),
    ({"y": 0}, "y", "backprop starts from the output's gradient with respect to itself, dy/dy"),
])
def test_hints_diagnose_without_giving_the_number(answers, name, hidden):
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[y, z1, z2, x])
    assert hint(ex.check(answers), name).startswith(hidden)
    revealed = hint(ex.check(answers, reveal=True), name)
    assert not revealed.startswith(hidden)


def test_the_local_derivative_alone_names_the_upstream_gradient_without_its_number():
    o, _ = lecture_neuron()
    report = exercise(o).check(dict(NEURON_ANSWERS, w1=2.0))
    assert hint(report, "w1") == ("that is the local derivative dmul1/dw1 alone; multiply it by "
                                  "the upstream gradient do/dmul1 (the chain rule)")


def test_a_gradient_left_in_grad_is_named_without_its_number():
    o, v = lecture_neuron()
    o.backward()
    ex = exercise(o)
    o.backward()
    assert hint(ex.check({name: node.grad for name, node in v.items()}), "n") == (
        "that includes what was left in .grad by an earlier backward(): gradients accumulate "
        "across calls, so zero them (o.zero_grad()) before backward()")


@pytest.mark.parametrize("answer, text", [
    (-3.0, "dmul1/dw1 is the other factor, x1, not w1 itself"),
])
def test_local_hints_name_the_factor_without_its_number(answer, text):
    o, _ = lecture_neuron()
    assert hint(exercise(o, ask="local").check({"dmul1/dw1": answer}), "dmul1/dw1") == text


def test_the_power_rule_hint_gives_its_numbers_only_when_revealed():
    x = Value(2.0, label="x")
    y = x ** 3
    y.label = "y"
    ex = exercise(y, ask="local")
    assert hint(ex.check({"dy/dx": 4.0}), "dy/dx") == (
        "the power rule brings the exponent down: d(x^n)/dx = n x^(n-1)")
    assert hint(ex.check({"dy/dx": 4.0}, reveal=True), "dy/dx").endswith("= 3.0 * 2.0^2.0")


# ---------------------------------------------------------------- one of x*x's edges -------

def test_one_edge_of_x_times_x_beside_another_use_says_one_of_its_two_edges():
    x = Value(3.0, label="x")
    y = x * x + 2 * x  # dy/dx = 2x + 2 = 8; one edge of x * x alone is 3
    y.label = "y"
    report = exercise(y, ask=[x]).check({"x": 3.0})
    assert hint(report, "x") == ("x feeds 2 nodes (mul1 twice, mul2): that is one of mul1's two "
                                 "edges only; add all 3 edges (+=)")
    revealed = exercise(y, ask=[x]).check({"x": 3.0}, reveal=True)
    assert hint(revealed, "x").endswith("add all 3 edges (+=): 3.0 + 3.0 + 2.0 = 8.0")


def test_both_edges_of_x_times_x_without_the_other_use_name_the_missing_edge():
    x = Value(3.0, label="x")
    y = x * x + 2 * x
    y.label = "y"
    report = exercise(y, ask=[x]).check({"x": 6.0})  # both edges of x * x, not 2 * x
    assert "that is both of mul1's edges only; add all 3 edges (+=)" in hint(report, "x")
    report = exercise(y, ask=[x]).check({"x": 5.0})  # one edge of x * x and 2 * x
    assert "that is one of mul1's two edges and the edge into mul2 only" in hint(report, "x")
