"""The lab of classic mistakes: each wrong backward pass gives the gradients it really gives,
and marks where and why they differ from backprop's."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, forward_order, mistakes, random_exercise, topological_order
from autograd.pictures.draw import COLORS, VERDICT_LOOKS
from autograd.teach.mistakes import Mistake
from tests.teach.test_exercise import lecture_g1_g2, lecture_neuron

WRONG_FILL = VERDICT_LOOKS[False][0]


def lab_graph():
    """L = tanh(a b)^2 + a b, written k = g * g: h = a b feeds two nodes (fan-out through paths
    of different lengths) and k uses g twice, so every mistake shows."""
    a, b = Value(0.5, label="a"), Value(-1.0, label="b")
    h = a * b
    h.label = "h"
    g = h.tanh()
    g.label = "g"
    k = g * g
    k.label = "k"
    L = k + h
    L.label = "L"
    return L, dict(a=a, b=b, h=h, g=g, k=k)


G = math.tanh(-0.5)
RIGHT_DH = 1 + 2 * G * (1 - G * G)


def grads_by_name(mistake):
    names = mistake.solution.names
    return {names[v]: g for v, g in mistake.grads.items()}


def row(mistake, name):
    (found,) = [r for r in mistake.rows if r.name == name]
    return found


# ---------------------------------------------------------------- = instead of += ---------

def test_assignment_keeps_one_edge_of_x_times_x_and_one_path_of_a_fan_out():
    L, _ = lab_graph()
    wrong = grads_by_name(mistakes.assign_instead_of_add(L))
    assert wrong["g"] == pytest.approx(G)  # 2g with +=
    assert wrong["h"] == pytest.approx(G * (1 - G * G))  # the path through L overwritten
    assert wrong["a"] == pytest.approx(G * (1 - G * G) * -1.0)


def test_assignment_explains_the_overwritten_path_and_blames_the_rest_on_it():
    L, _ = lab_graph()
    result = mistakes.assign_instead_of_add(L)
    assert result.wrong == ["g", "h", "b", "a"]
    assert row(result, "h").hint == ("h feeds 2 nodes (g, L): each = overwrote the one before, "
                                     "so only the path through g is left; they must add up (+=)")
    assert row(result, "g").hint.startswith("g is used twice by k: each = overwrote the one "
                                            "before, so one edge's share is left")
    assert row(result, "a").hint == "follows from the wrong gradient of h"


def test_assignment_is_harmless_on_a_graph_where_nothing_fans_out():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    result = mistakes.assign_instead_of_add((a * b).tanh())
    assert result
    assert "changes no gradient" in str(result)


def test_the_lecture_multivariable_exercise_loses_a_path_with_assignment():
    y, x, *_ = lecture_g1_g2()
    result = mistakes.assign_instead_of_add(y)
    assert result.grads[x] in (6.0, 35.0)  # one path of 6 + 35


# ---------------------------------------------------------------- the order ---------------

def test_breadth_first_order_passes_h_on_before_g_added_its_share():
    L, v = lab_graph()
    assert [n.label for n in mistakes.breadth_first(L)] == ["L", "k", "h", "g", "a", "b"]
    result = mistakes.non_topological_order(L)
    wrong = grads_by_name(result)
    assert wrong["a"] == pytest.approx(-1.0)  # dL/dh = 1 (from L alone) times b
    assert wrong["b"] == pytest.approx(0.5)
    assert wrong["h"] == pytest.approx(RIGHT_DH)  # h itself ends complete, too late
    assert row(result, "a").hint == (f"h passed its gradient on before g (which uses it) had "
                                     f"added its share: it passed 1.0, not the complete "
                                     f"{RIGHT_DH:.4f}")


def test_the_order_picture_marks_the_node_that_passed_on_too_early():
    L, v = lab_graph()
    source = mistakes.non_topological_order(L).graph().source
    h_line = next(line for line in source.splitlines() if "<b>h</b>" in line)
    assert f'color="{COLORS["highlight"]}"' in h_line


def test_visiting_in_forward_order_forgot_to_reverse_the_topological_order():
    L, v = lab_graph()
    wrong = grads_by_name(mistakes.non_topological_order(L, order=forward_order(L)))
    assert wrong == {"a": 0.0, "b": 0.0, "h": 1.0, "g": 0.0, "k": 1.0, "L": 1.0}


def test_an_order_may_be_given_by_names():
    L, v = lab_graph()
    result = mistakes.non_topological_order(L, order=["L", "k", "g", "h"])
    assert result  # that order is topological: nothing differs


@given(st.integers(0, 10_000))
def test_a_topological_order_given_gives_backprop_s_gradients(seed):
    L = random_exercise(seed).root
    assert mistakes.non_topological_order(L, order=topological_order(L))


@pytest.mark.parametrize("order, message", [
    (["L", "k", "g"], "it leaves out h"),
    (["L", "k", "g", "h", "h"], "it lists h more than once"),
    (["L", "k", "g", "h", "q"], "'q' is not a node of this graph"),
])
def test_a_bad_order_is_refused_with_what_is_wrong(order, message):
    L, _ = lab_graph()
    with pytest.raises(ValueError, match=message):
        mistakes.non_topological_order(L, order=order)


# ---------------------------------------------------------------- a set of parents --------

def test_a_set_of_parents_loses_an_edge_of_g_times_g():
    L, _ = lab_graph()
    result = mistakes.set_of_parents(L)
    wrong = grads_by_name(result)
    assert wrong["g"] == pytest.approx(G)
    assert wrong["h"] == pytest.approx(1 + G * (1 - G * G))
    assert row(result, "g").hint == ("k uses g twice; a set of parents holds it once, so only "
                                     "one edge's share arrived")
    assert row(result, "h").hint == "follows from the wrong gradient of g"


def test_the_set_picture_marks_the_lost_edge():
    L, v = lab_graph()
    source = mistakes.set_of_parents(L).graph().source
    highlighted = [line for line in source.splitlines()
                   if " -> " in line and COLORS["highlight"] in line]
    assert len(highlighted) == 1 and "_op" in highlighted[0]


def test_a_set_of_parents_is_harmless_without_a_value_used_twice_by_one_node():
    y, *_ = lecture_g1_g2()
    assert mistakes.set_of_parents(y)


# ---------------------------------------------------------------- zero_grad ---------------

@pytest.mark.parametrize("steps", [2, 3])
def test_forgetting_zero_grad_adds_up_the_leaves_gradients_over_the_steps(steps):
    o, v = lecture_neuron()
    result = mistakes.forget_zero_grad(o, steps=steps)
    assert result.grads[v["w1"]] == pytest.approx(steps * 1.0)
    assert result.grads[v["n"]] == pytest.approx(0.5)  # made anew by each step's forward pass
    assert row(result, "w1").hint == (f"{steps} steps added up, {steps} x 1.0: each backward() "
                                      "added to what the steps before left in .grad; call "
                                      "zero_grad() before each backward()")


@pytest.mark.parametrize("steps", [1, 0, 2.0, True])
def test_forget_zero_grad_needs_at_least_two_steps(steps):
    o, _ = lecture_neuron()
    with pytest.raises(ValueError, match="steps must be an int of at least 2"):
        mistakes.forget_zero_grad(o, steps=steps)


# ---------------------------------------------------------------- every mistake -----------

@pytest.mark.parametrize("mistake", mistakes.MISTAKES, ids=lambda m: m.__name__)
def test_every_mistake_leaves_every_grad_as_it_was(mistake):
    L, v = lab_graph()
    L.backward()
    before = {name: node.grad for name, node in v.items()}
    mistake(L)
    assert {name: node.grad for name, node in v.items()} == before


@pytest.mark.parametrize("mistake", mistakes.MISTAKES, ids=lambda m: m.__name__)
def test_every_mistake_shows_on_the_lab_graph_as_a_report(mistake):
    L, _ = lab_graph()
    result = mistake(L)
    assert isinstance(result, Mistake) and not result
    text = str(result)
    assert text.splitlines()[0] == result.title
    assert text.splitlines()[1].split()[:6] == ["name", "with", "the", "mistake", "backprop",
                                                "verdict"]
    assert all(r.hint for r in result.rows if not r.right)


@pytest.mark.parametrize("mistake", mistakes.MISTAKES, ids=lambda m: m.__name__)
def test_every_mistake_marks_the_differing_gradients_red_in_its_picture(mistake):
    L, _ = lab_graph()
    result = mistake(L)
    source = result.graph().source
    for name in result.wrong:
        line = next(line for line in source.splitlines() if f"<b>{name}</b>" in line)
        assert f'fillcolor="{WRONG_FILL}"' in line and "dashed" in line


@pytest.mark.parametrize("mistake", mistakes.MISTAKES, ids=lambda m: m.__name__)
def test_a_mistake_refuses_what_is_not_a_graph(mistake):
    with pytest.raises(TypeError, match="cannot run a mistaken backward on a list"):
        mistake([1.0])
