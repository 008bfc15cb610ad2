"""Exercises that grade themselves: exercise(root, ask) -> Exercise, check(answers) -> Report.

The lectures' worked examples are the exercises: their answers must check as right.
"""

import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd import Exercise, Report, Value, exercise
from autograd.pictures.draw import VERDICT_LOOKS, GraphTooLargeError
from autograd.pictures.render import available_renderer

RIGHT_FILL, WRONG_FILL = VERDICT_LOOKS[True][0], VERDICT_LOOKS[False][0]
needs_renderer = pytest.mark.skipif(available_renderer() is None and not os.environ.get("CI"),
                                    reason="no Graphviz renderer")

B = 6.8813735870195432  # the lecture neuron's bias: n = 0.8814, o = tanh(n) = 0.7071


def lecture_g1_g2(x=1.5):
    """Notes 003: g1 = 3x, g2 = 5x, f = 2 z1 + 7 z2, so dy/dx = 2*3 + 7*5 = 41."""
    x = Value(x, label="x")
    z1 = 3 * x
    z1.label = "z1"
    z2 = 5 * x
    z2.label = "z2"
    y = 2 * z1 + 7 * z2
    y.label = "y"
    return y, x, z1, z2


def lecture_sin_cube(x=0.5):
    """Notes 003: z1 = sin x, z2 = x^3, y = z1^4 e^z2 + 5 z1 + 7 z2."""
    x = Value(x, label="x")
    z1 = x.sin()
    z1.label = "z1"
    z2 = x ** 3
    z2.label = "z2"
    y = z1 ** 4 * z2.exp() + 5 * z1 + 7 * z2
    y.label = "y"
    return y, x, z1, z2


def lecture_neuron():
    """The lecture's tanh neuron: o = tanh(x1 w1 + x2 w2 + b)."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, n=n)


# The lecture's answers, as a student writes them (rounded).
NEURON_ANSWERS = {"n": 0.5, "b": 0.5, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0,
                  "add1": 0.5, "mul1": 0.5, "mul2": 0.5}


# ---------------------------------------------------------------- the seeds' answers -------

def test_the_multivariable_exercise_checks_41_as_right():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[x, z1, z2]).check({"x": 41, "z1": 2, "z2": 7})
    assert report
    assert report.score == 1.0 and report.wrong == []


@given(st.floats(-100, 100))
def test_the_multivariable_exercise_is_41_at_every_x(x):
    y, *_ = lecture_g1_g2(x)
    assert exercise(y, ask=["x"]).answer_key() == {"x": pytest.approx(41.0)}


def test_the_sin_and_cube_exercise_checks_the_lecture_formula_as_right():
    y, x, z1, z2 = lecture_sin_cube(0.5)
    s, c, cube = math.sin(0.5), math.cos(0.5), 0.5 ** 3
    dz1 = 4 * s ** 3 * math.exp(cube) + 5  # df/dz1
    dz2 = s ** 4 * math.exp(cube) + 7  # df/dz2
    answers = {"z1": round(dz1, 3), "z2": round(dz2, 3), "x": round(dz1 * c + dz2 * 3 * 0.25, 3)}
    assert exercise(y, ask=[z1, z2, x]).check(answers)


def test_the_lecture_neuron_checks_its_gradients_as_right():
    o, _ = lecture_neuron()
    assert exercise(o).check(NEURON_ANSWERS)


def test_the_p_minus_y_gradient_of_softmax_cross_entropy_checks_as_right():
    scores = [Value(3.2, label="s_cat"), Value(5.1, label="s_car"), Value(-1.7, label="s_frog")]
    loss = nn.cross_entropy(scores, 0)  # notes 004: dL/ds_k = p_k - y_k
    answers = {"s_cat": 0.13 - 1, "s_car": 0.87, "s_frog": 0.0}
    assert exercise(loss, ask=scores).check(answers)


# ---------------------------------------------------------------- what is asked -----------

def test_default_asks_every_value_but_the_output_and_constants_in_backward_order():
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y)
    assert [q.name for q in ex.questions] == ["mul2", "z2", "mul1", "z1", "x"]
    assert [q.text for q in ex.questions] == ["dy/dmul2", "dy/dz2", "dy/dmul1", "dy/dz1", "dy/dx"]


def test_unlabeled_values_are_named_as_pictures_and_the_step_through_name_them():
    x = Value(2.0, label="x")
    ex = exercise((x * x + 3 * x).tanh())
    assert ex.solution.output == "L"
    assert {q.name for q in ex.questions} == {"add1", "mul1", "mul2", "x"}


def test_ask_a_list_of_values_or_names_asks_just_those_in_that_order():
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=["z2", x])
    assert [q.name for q in ex.questions] == ["z2", "x"]
    assert ex.answer_key() == {"z2": 7.0, "x": 41.0}


def test_ask_local_asks_every_edge_from_a_value_and_its_local_derivative():
    o, v = lecture_neuron()
    ex = exercise(o, ask="local")
    key = ex.answer_key()
    assert key["do/dn"] == pytest.approx(0.5)  # 1 - tanh(n)^2
    assert key["dmul1/dw1"] == 2.0 and key["dmul1/dx1"] == -3.0
    assert key["dn/db"] == 1.0
    assert len(key) == 9  # 2 per product and per sum, 1 for tanh


def test_local_edges_from_constants_are_not_asked():
    y, *_ = lecture_g1_g2()
    names = exercise(y, ask="local").answer_key()
    assert not any("const" in name for name in names)


def test_a_value_used_twice_by_one_node_has_two_numbered_edges():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    ex = exercise(y, ask="local")
    assert ex.answer_key() == {"dy/dx#1": 3.0, "dy/dx#2": 3.0}


def test_making_an_exercise_leaves_every_grad_as_it_was():
    o, v = lecture_neuron()
    v["w1"].grad = 7.0
    exercise(o)
    assert v["w1"].grad == 7.0 and v["n"].grad == 0.0 and o.grad == 0.0


def test_an_exercise_after_backward_has_the_same_answers_and_keeps_the_grads():
    o, v = lecture_neuron()
    before = exercise(o).answer_key()
    o.backward()
    assert exercise(o).answer_key() == before
    assert v["w1"].grad == pytest.approx(1.0)


def test_micrograd_style_closure_nodes_can_be_exercises():
    x = Value(0.5, label="x")
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t ** 2) * out.grad

    out._backward = _backward
    out.label = "t"
    assert exercise(out).answer_key() == {"x": pytest.approx(1 - t ** 2)}


# ---------------------------------------------------------------- checking ----------------

def test_answers_may_be_keyed_by_value_by_name_or_as_dy_dx():
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[x, z1, z2])
    assert ex.check({x: 41, "z1": 2, "dy/dz2": 7})


def test_local_answers_may_be_keyed_by_edge_name_or_by_the_pair_of_values():
    o, v = lecture_neuron()
    ex = exercise(o, ask="local")
    answers = dict(ex.answer_key())
    answers[(v["n"].parents[0].parents[0], v["w1"])] = answers.pop("dmul1/dw1")
    assert ex.check(answers)


def test_report_lists_wrong_and_missing_names_in_the_order_asked_and_scores_the_rest():
    o, _ = lecture_neuron()
    answers = dict(NEURON_ANSWERS, w1=-1.0)
    del answers["x1"]
    report = exercise(o).check(answers)
    assert not report
    assert report.wrong == ["w1", "x1"]
    assert report.score == pytest.approx(7 / 9)


def test_none_or_ellipsis_means_not_answered_yet():
    y, x, z1, z2 = lecture_g1_g2()
    report = exercise(y, ask=[x, z1]).check({"x": None, "z1": ...})
    assert report.wrong == ["x", "z1"]
    assert all(row.hint == "no answer given" for row in report.rows)


def test_answers_about_values_not_asked_are_ignored():
    y, x, z1, z2 = lecture_g1_g2()
    assert exercise(y, ask=[x]).check({"x": 41, "z1": 99, "y": 1.0})


@pytest.mark.parametrize("answer, right", [
    (41.0, True), (41.4, True), (41.5, False),  # 1% of 41 is 0.41
    (40.6, True), (40.5, False),
])
def test_an_answer_is_right_within_one_percent(answer, right):
    y, x, *_ = lecture_g1_g2()
    assert bool(exercise(y, ask=[x]).check({"x": answer})) is right


@pytest.mark.parametrize("answer, right", [(0.0, True), (0.005, True), (-0.0049, True),
                                           (0.0051, False)])
def test_an_answer_near_zero_is_right_within_0_005(answer, right):
    o, v = lecture_neuron()  # do/dw2 = x2 * 0.5 = 0
    assert bool(exercise(o, ask=["w2"]).check({"w2": answer})) is right


def test_the_tolerance_can_be_set_and_is_stated_in_the_table():
    y, x, *_ = lecture_g1_g2()
    strict = exercise(y, ask=[x], rtol=0.0, atol=1e-9)
    assert not strict.check({"x": 41.001})
    assert "within 0% of the expected value, or within 1e-09" in str(strict.check({"x": 41}))


def test_the_report_prints_a_table_of_name_yours_expected_verdict_hint():
    y, x, z1, z2 = lecture_g1_g2()
    text = str(exercise(y, ask=[x, z1]).check({"x": 6, "z1": 2}, reveal=True))
    lines = text.splitlines()
    assert lines[0].split() == ["name", "yours", "expected", "verdict", "hint"]
    assert re.match(r"x\s+6\.0\s+41\.0\s+wrong\s+x feeds 2 nodes", lines[1])
    assert re.match(r"z1\s+2\.0\s+2\.0\s+right$", lines[2])
    assert "1 of 2 right (score 0.50)" in lines[-1] and "within 1%" in lines[-1]


def test_a_bare_assert_fails_with_the_table_as_its_message():
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[x, z1, z2])
    cell = compile("assert ex.check(answers)", "<autograder cell>", "exec")  # as nbgrader runs it
    with pytest.raises(AssertionError) as failure:
        exec(cell, {"ex": ex, "answers": {"x": 35, "z1": 2, "z2": 7}})
    message = str(failure.value)
    assert "x feeds 2 nodes (z1, z2)" in message
    assert "2 of 3 right" in message


def test_a_bare_assert_of_right_answers_passes():
    y, x, z1, z2 = lecture_g1_g2()
    ex = exercise(y, ask=[x, z1, z2])
    exec(compile("assert ex.check(answers)", "<cell>", "exec"),
         {"ex": ex, "answers": {"x": 41, "z1": 2, "z2": 7}})


def test_an_assert_with_its_own_message_keeps_it():
    y, x, *_ = lecture_g1_g2()
    ex = exercise(y, ask=[x])
    with pytest.raises(AssertionError, match="^mine$"):
        exec(compile("assert ex.check({'x': 1}), 'mine'", "<cell>", "exec"), {"ex": ex})


def test_a_wrong_report_is_simply_false_outside_assert():
    y, x, *_ = lecture_g1_g2()
    report = exercise(y, ask=[x]).check({"x": 1})
    assert bool(report) is False
    namespace = {"report": report}
    exec(compile("ok = 'yes' if report else 'no'\nnegated = not report", "<cell>", "exec"),
         namespace)
    assert namespace["ok"] == "no" and namespace["negated"] is True


def test_report_repr_names_the_wrong_answers_for_pytest_messages():
    y, x, z1, _ = lecture_g1_g2()
    report = exercise(y, ask=[x, z1]).check({"x": 1, "z1": 2})
    assert repr(report) == ("<Report: 1 of 2 right (score 0.50); wrong: x; print it for the "
                            "table>")


# ---------------------------------------------------------------- bad input ---------------

@pytest.mark.parametrize("answers, error, message", [
    ([41, 2], TypeError, "check takes a dict of answers such as"),
    ({"q": 1}, ValueError, "no question is called 'q'; answer with the names asked: x, z1"),
    ({"x": "41"}, TypeError, r"the answer for x is '41' \(str\): give a number"),
    ({"x": True}, TypeError, "the answer for x is True"),
    ({3: 41}, TypeError, "answers are keyed by name"),
    ({"x": 41, "dy/dx": 40}, ValueError, "x is answered twice"),
])
def test_bad_answers_get_a_message_saying_what_to_do(answers, error, message):
    y, x, z1, _ = lecture_g1_g2()
    with pytest.raises(error, match=message):
        exercise(y, ask=[x, z1]).check(answers)


def test_a_value_from_another_graph_is_refused_as_a_key():
    y, x, *_ = lecture_g1_g2()
    with pytest.raises(ValueError, match="is not a value of this exercise's graph"):
        exercise(y, ask=[x]).check({Value(1.5, label="x"): 41})


@pytest.mark.parametrize("root, ask, error, message", [
    (3.0, None, TypeError, "cannot make an exercise of a float: pass the output Value"),
    (Value(1.0), None, ValueError, "a single Value: it was computed from nothing"),
    ("y", "x", ValueError, r"ask='x': ask takes None .* e\.g\. ask=\['x'\]"),
    ("y", ["nope"], ValueError, "ask: no value is called 'nope'"),
    ("y", [], ValueError, "ask is empty"),
    ("y", [Value(2.0)], ValueError, "is not in this graph"),
    ("y", 5, TypeError, "ask takes None, 'local' or a list"),
])
def test_bad_exercises_are_refused_with_what_to_do(root, ask, error, message):
    y, *_ = lecture_g1_g2()
    with pytest.raises(error, match=message):
        exercise(y if root == "y" else root, ask=ask)


@pytest.mark.parametrize("ask", [None, "local"])
def test_a_graph_of_constants_only_has_nothing_to_ask(ask):
    from autograd import Constant

    with pytest.raises(ValueError, match="nothing to ask: L is computed from constants only"):
        exercise(Constant(2.0) * Constant(3.0), ask=ask)


def test_two_asked_values_with_one_name_are_refused():
    a, b = Value(1.0, label="x"), Value(2.0, label="x")
    with pytest.raises(ValueError, match="more than one value asked about is called 'x'"):
        exercise(a * b)


@pytest.mark.parametrize("rtol", [-0.1, float("nan"), "1%"])
def test_a_bad_tolerance_is_refused(rtol):
    y, *_ = lecture_g1_g2()
    with pytest.raises(ValueError, match="rtol must be a number >= 0"):
        exercise(y, rtol=rtol)


def test_graphs_too_large_for_an_exercise_are_refused():
    x = Value(1.0, label="x")
    total = x
    for _ in range(200):
        total = total + x
    with pytest.raises(GraphTooLargeError, match="cannot make an exercise of a graph of 201 "
                                                 "values: more than 100 is too many"):
        exercise(total)


# ---------------------------------------------------------------- showing it --------------

def test_the_text_lists_the_graph_in_order_and_what_is_asked():
    y, x, z1, z2 = lecture_g1_g2()
    text = str(exercise(y, ask=[x, z1]))
    assert "  z1     = const2 * x = 4.5" in text
    assert "  x      = 1.5  (an input)" in text
    assert text.index("x      = 1.5") < text.index("z1     = ")
    assert "Find by backprop, starting from dy/dy = 1:\n  1. dy/dx = ?\n  2. dy/dz1 = ?" in text
    assert "within 1% of the expected value, or within 0.005" in text


def test_inputs_are_listed_before_every_value_computed_from_them():
    a, d = Value(-2.0, label="a"), Value(1.5, label="d")
    z1 = a * d
    z1.label = "z1"
    z4 = z1 + d  # d is shared by z1 and z4
    z4.label = "z4"
    names = [line.split()[0] for line in str(exercise(z4)).splitlines()[2:6]]
    assert names == ["a", "d", "z1", "z4"]


def test_inputs_are_listed_in_the_order_the_expression_reads():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = x * w + x
    y.label = "y"
    names = [line.split()[0] for line in str(exercise(y)).splitlines()[2:6]]
    assert names == ["x", "w", "mul1", "y"]


@needs_renderer
def test_labels_with_markup_and_control_characters_are_shown_as_text(tmp_path):
    x = Value(2.0, label='x<b>&"\x1b')
    y = x * x
    y.label = "y"
    ex = exercise(y)
    assert ex.questions[0].name == 'x<b>&"\\x1b'
    report = ex.check({x: 4.0})
    assert report
    assert "\x1b" not in report.graph().source
    for picture in (report.save(tmp_path / "report.svg"), ex.save(tmp_path / "exercise.svg")):
        texts = [t.text or "" for t in _svg_root(picture.read_text()).iter()
                 if t.tag.endswith("text")]
        assert any('x<b>&"\\x1b' in text for text in texts), texts


def test_the_handout_shows_grad_question_marks_only_where_asked():
    y, x, z1, z2 = lecture_g1_g2()
    source = exercise(y, ask=[x, z1]).graph().source
    assert source.count("grad ?") == 2
    assert "grad 1.0" in source  # the output's dy/dy = 1, given
    assert "1. dy/dx = ?" in source and "2. dy/dz1 = ?" in source


def test_the_local_handout_numbers_the_edges_asked():
    y, *_ = lecture_g1_g2()
    source = exercise(y, ask="local").graph().source
    assert len(re.findall(r'label="\d+: \?"', source)) == 6
    assert "grad" not in re.sub(r"<table.*?</table>>\];$", "", source, flags=re.M)


def test_the_report_picture_marks_right_and_wrong_by_colour_mark_and_border():
    y, x, z1, _ = lecture_g1_g2()
    source = exercise(y, ask=[x, z1]).check({"x": 6, "z1": 2}, reveal=True).graph().source
    wrong = re.search(r"^  v\d+ \[(.*<b>x</b>.*)\];$", source, re.M).group(1)
    right = re.search(r"^  v\d+ \[(.*<b>z1</b>.*)\];$", source, re.M).group(1)
    assert f'fillcolor="{WRONG_FILL}"' in wrong and "dashed" in wrong and "\u2717" in wrong
    assert f'fillcolor="{RIGHT_FILL}"' in right and "dashed" not in right
    assert "\u2713" in right
    assert "grad 41.0 (yours 6.0)" in wrong and "grad 2.0" in right


def test_the_local_report_picture_marks_the_edges():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    source = exercise(y, ask="local").check({"dy/dx#1": 3, "dy/dx#2": 9},
                                            reveal=True).graph().source
    edges = re.findall(r"^  v0 -> v1_op \[(.*)\];$", source, re.M)
    assert len(edges) == 2
    assert "\u2713 1: 3.0" in edges[0] and "solid" in edges[0]
    assert "\u2717 2: 3.0 (yours 9.0)" in edges[1] and "dashed" in edges[1]


@needs_renderer
def test_an_exercise_displays_as_an_svg_with_the_questions_beside_it_as_html():
    y, *_ = lecture_g1_g2()
    ex = exercise(y)
    bundle = ex._repr_mimebundle_()
    assert _svg_root(bundle["image/svg+xml"]) is not None
    assert "dy/dx = ?" not in bundle["image/svg+xml"]  # the questions are HTML, not picture
    table = bundle["text/html"][bundle["text/html"].index("<table"):]
    assert "5. dy/dx = ?" in table and "<svg" not in table
    assert bundle["text/plain"] == str(ex)


@needs_renderer
def test_a_report_displays_as_an_svg_with_the_table_beside_it_as_html():
    y, x, *_ = lecture_g1_g2()
    report = exercise(y, ask=[x]).check({"x": 6})
    bundle = report._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert _svg_root(svg) is not None
    assert "x feeds 2 nodes" not in svg  # the table is HTML, at the notebook's font size
    html = bundle["text/html"]
    assert html.index("<svg") < html.index("<table") and "x feeds 2 nodes" in html
    assert bundle["text/plain"] == str(report)


def test_without_graphviz_an_exercise_displays_as_its_text_and_says_why(monkeypatch):
    monkeypatch.setattr("autograd.pictures.render.available_renderer", lambda: None)
    y, *_ = lecture_g1_g2()
    ex = exercise(y)
    bundle = ex._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert bundle["text/plain"].startswith(str(ex))
    assert bundle["text/plain"].endswith("No picture: Graphviz is missing. To draw graphs: "
                                         'pip install "backprop-lab[viz]"')


def test_exercise_repr_counts_its_questions():
    y, x, *_ = lecture_g1_g2()
    assert repr(exercise(y, ask=[x])).startswith("<Exercise: 1 gradient of y;")
    assert repr(exercise(y, ask="local")).startswith("<Exercise: 6 local derivatives of y;")


def _svg_root(svg: str):
    return ET.fromstring(svg[svg.index("<svg"):])


@needs_renderer
@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".dot"])
def test_the_handout_is_saved_in_every_picture_format(tmp_path, suffix):
    y, *_ = lecture_g1_g2()
    path = exercise(y).save(tmp_path / f"handout{suffix}")
    data = path.read_bytes()
    if suffix == ".svg":
        assert "dy/dx = ?" in ET.tostring(_svg_root(data.decode()), encoding="unicode")
    elif suffix == ".png":
        from PIL import Image

        with Image.open(path) as image:
            assert image.format == "PNG" and image.width > 300
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF") and b"%%EOF" in data[-64:]
    else:
        assert data.decode().startswith("digraph")


def test_saving_with_an_unknown_extension_says_which_work(tmp_path):
    y, *_ = lecture_g1_g2()
    with pytest.raises(ValueError, match=r"use one of \.svg, \.png, \.pdf, \.tex, \.dot"):
        exercise(y).save(tmp_path / "handout.txt")
    assert not list(tmp_path.iterdir())


def test_exercise_and_report_are_the_public_types():
    y, *_ = lecture_g1_g2()
    ex = exercise(y)
    assert isinstance(ex, Exercise) and isinstance(ex.check({}), Report)


@needs_renderer
def test_the_readme_example_prints_the_table_the_readme_shows(tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("## Exercises that grade themselves")[1].split("```python")[1]
    example = example.split("```")[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(example, "README.md", "exec"), {})
    shown = [line[2:] for line in example.splitlines() if line.startswith("# ")]
    assert capsys.readouterr().out.splitlines() == shown
    assert (tmp_path / "exercise.pdf").read_bytes().startswith(b"%PDF")
