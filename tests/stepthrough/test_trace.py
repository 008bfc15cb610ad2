"""Stepping through backward: the recorded steps, their narration, and the HTML player."""

import html
import math
import os
import re
import shutil
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import (
    AnomalyError,
    Parameter,
    Value,
    detect_anomaly,
    dot,
    exp,
    forward_order,
    sin,
    sqrt,
    tanh,
    topological_order,
    trace_backward,
)
from autograd.core.format import format_number
from autograd.pictures.draw import COLORS, GraphTooLargeError
from autograd.pictures.render import available_renderer

B = 6.8813735870195432


def lecture_neuron():
    """Lecture notation: n = w1 x1 + w2 x2 + b as one node, L = tanh(n) unlabeled."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(B, label="b")
    n = dot([w1, w2], [x1, x2], b)
    n.label = "n"
    return tanh(n), dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, n=n)


def chain_rule_exercise(x_value):
    """Lecture 003: z1 = sin x, z2 = x^3, y = z1^4 e^z2 + 5 z1 + 7 z2."""
    x = Value(x_value, label="x")
    z1, z2 = sin(x), x**3
    z1.label, z2.label = "z1", "z2"
    y = z1**4 * exp(z2) + 5 * z1 + 7 * z2
    y.label = "y"
    return y, x


def leaf_grads(root):
    return [node.grad for node in topological_order(root) if not node.parents]


def all_grads(root):
    return [node.grad for node in topological_order(root)]


# ---------------------------------------------------------------- the steps ----------------

def test_trace_leaves_the_same_grads_as_backward():
    expected, _ = lecture_neuron()
    expected.backward()
    traced, _ = lecture_neuron()
    trace_backward(traced)
    assert all_grads(traced) == all_grads(expected)


@settings(max_examples=30)
@given(st.floats(-2.0, 2.0))
def test_trace_grads_equal_backward_on_the_chain_rule_exercise(x_value):
    expected, _ = chain_rule_exercise(x_value)
    expected.backward()
    traced, _ = chain_rule_exercise(x_value)
    trace_backward(traced)
    assert all_grads(traced) == all_grads(expected)


def test_trace_accumulates_like_backward():
    twice, _ = lecture_neuron()
    twice.backward()
    twice.backward()
    traced, _ = lecture_neuron()
    traced.backward()
    trace_backward(traced)
    assert all_grads(traced) == all_grads(twice)


def test_steps_after_the_seed_are_the_nodes_with_parents_in_backward_order():
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    assert [step.node for step in trace[1:]] == [n for n in topological_order(o) if n.parents]


def test_step_zero_is_the_seed_dL_dL_equals_1():
    o, _ = lecture_neuron()
    seed = trace_backward(o)[0]
    assert (seed.index, seed.node, seed.upstream, seed.updates) == (0, o, 1.0, ())
    assert seed.lines() == ["dL/dL = 1"] and seed.formula() == "start"


def test_each_step_is_numbered_as_its_index_in_the_trace_explain_and_player():
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    assert [step.index for step in trace] == list(range(len(trace)))
    text = str(trace)
    page = trace.to_html()
    for k, step in enumerate(trace):
        assert f"\n{k}. {step.formula()}  " in text
        assert f"<b>Step {k} of {len(trace) - 1}: {html.escape(step.formula())}</b>" in page


def test_a_step_records_upstream_local_derivative_contribution_and_grad_before_after():
    o, v = lecture_neuron()
    n_step = trace_backward(o)[2]
    assert n_step.node is v["n"]
    assert n_step.upstream == pytest.approx(0.5)
    w1 = n_step.updates[0]
    assert w1.parent is v["w1"] and w1.name == "w1"
    assert w1.local_grad == 2.0  # dn/dw1 = x1
    assert w1.contribution == pytest.approx(1.0)
    assert (w1.grad_before, w1.grad_after) == (0.0, w1.contribution)
    assert [u.name for u in n_step.updates] == ["w1", "x1", "w2", "x2", "b"]


def test_step_reads_as_the_chain_rule_with_numbers():
    o, _ = lecture_neuron()
    lines = str(trace_backward(o)[2]).splitlines()
    assert "dL/dw1 += dL/dn * dn/dw1 = 0.5 * 2.0 = 1.0" in lines
    assert "dL/dx1 += dL/dn * dn/dx1 = 0.5 * -3.0 = -1.5" in lines


def test_a_step_prints_one_line_per_parent():
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    for step in trace[1:]:
        assert len(str(step).splitlines()) == len(step.node.parents)


def test_the_outputs_step_is_not_circular():
    # Not dL/dn += dL/dL * dL/dn: the local derivative is written with what L is.
    o, v = lecture_neuron()
    assert trace_backward(o)[1].lines() == ["dL/dn += dL/dL * d(tanh(n))/dn = 1.0 * 0.5 = 0.5"]
    for o in (lecture_neuron()[0], chain_rule_exercise(0.7)[0], Value(2.0, label="x") * 3):
        for line in trace_backward(o)[1].lines():
            target, rest = line.split(" += ")
            assert target not in rest.split(" = ")[0], line


def test_local_derivatives_are_written_with_the_nodes_own_name():
    x1, w1, b = Value(0.5, label="x1"), Value(2.0, label="w1"), Value(-1.0, label="b")
    lines = trace_backward(tanh(dot([w1], [x1], b)))[2].lines()  # tanh'(0) = 1
    assert lines == ["dL/dw1 += dL/d(dot1) * d(dot1)/dw1 = 1.0 * 0.5 = 0.5",
                     "dL/dx1 += dL/d(dot1) * d(dot1)/dx1 = 1.0 * 2.0 = 2.0",
                     "dL/db += dL/d(dot1) * d(dot1)/db = 1.0 * 1.0 = 1.0"]


def test_narration_numbers_are_the_gradients():
    y, x = chain_rule_exercise(0.7)
    trace = trace_backward(y)
    name = r"(\w+|\(\w+\))"  # x, or a made-up name in brackets: (mul1)
    pattern = re.compile(rf"^dy/d{name} \+= dy/d{name} \* d(\(.+\)|\2)/d\1 = (\S+) \* (\S+) = "
                         r"(\S+)(?:  \(dy/d\1: (\S+) -> (\S+)\))?$")
    final_text = {}
    for step in trace[1:]:
        for update, line in zip(step.updates, step.lines()):
            name, node, _, upstream, local, contribution, before, after = (
                pattern.match(line).groups())
            assert (name.strip("()"), node.strip("()")) == (update.name, step.name)
            assert upstream == format_number(step.upstream)
            assert local == format_number(update.local_grad)
            assert contribution == format_number(update.contribution)
            final_text[update.parent] = after or contribution
            if before is not None:
                assert before == format_number(update.grad_before)
    for node in topological_order(y)[1:]:
        assert final_text[node] == format_number(node.grad)
    assert final_text[x] == format_number(x.grad)


def test_a_second_path_into_a_value_shows_the_accumulation():
    x = Value(3.0, label="x")
    trace = trace_backward(x * x)
    assert str(trace[1]).splitlines() == [
        "dL/dx += dL/dL * d(x * x)/dx = 1.0 * 3.0 = 3.0",
        "dL/dx += dL/dL * d(x * x)/dx = 1.0 * 3.0 = 3.0  (dL/dx: 3.0 -> 6.0)",
    ]
    assert x.grad == 6.0


def test_output_is_named_by_its_label_or_L():
    x = Value(2.0, label="x")
    assert trace_backward(x * 3).output == "L"
    y = x * 3
    y.label = "loss"
    assert str(trace_backward(y)[1]).startswith("d(loss)/dx += d(loss)/d(loss) * d(x * const1)/dx")


def test_unlabeled_values_get_stable_readable_names():
    def build():
        x, w = Value(2.0, label="x"), Value(3.0, label="w")
        return tanh(x * w + 2 * x)

    names = [[step.formula() for step in trace_backward(build())] for _ in range(2)]
    assert names[0] == names[1]
    # names count in the order the expression reads; steps go in the reverse of that order
    assert names[0] == ["start", "L = tanh(add1)", "add1 = mul1 + mul2", "mul2 = const1 * x",
                        "mul1 = x * w"]


def test_steps_visit_the_operations_in_the_reverse_of_the_forward_order():
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    out = (x * w + w * w).tanh() * x
    trace = trace_backward(out)
    operations = [n for n in forward_order(out) if n.parents]
    assert [step.node for step in trace[1:]] == operations[::-1]
    assert list(trace.nodes) == forward_order(out)


def test_made_up_names_avoid_labels_in_use():
    x = Value(1.0, label="mul1")
    trace = trace_backward(x * x * 2)
    assert "mul1" not in [step.name for step in trace]


def test_trace_is_a_sequence_of_steps():
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    assert len(trace) == 3
    assert trace[-1] is trace[2] and list(trace) == [trace[0], trace[1], trace[2]]
    assert trace[:1] == (trace[0],)


def test_explain_prints_the_whole_table_once_and_returns_nothing(capsys):
    o, _ = lecture_neuron()
    trace = trace_backward(o)
    assert trace.explain() is None  # a notebook cell ending with it shows the table once
    text = capsys.readouterr().out
    assert text == str(trace) + "\n"
    lines = text.splitlines()
    assert lines[0].startswith("backward from L = 0.7071")
    assert lines[1].split() == ["0.", "start", "dL/dL", "=", "1"]
    assert len(lines) == 2 + sum(len(step.updates) for step in trace)
    assert "dL/dw1 += dL/dn * dn/dw1 = 0.5 * 2.0 = 1.0" in text


def test_trace_keeps_the_numbers_it_saw():
    x = Value(2.0, label="x")
    y = x * x
    trace = trace_backward(y)
    x.data = 10.0
    assert "L = 4.0" in str(trace) and trace.data[x] == 2.0


def test_detect_anomaly_stops_the_trace_at_the_first_non_finite_gradient():
    x = Value(0.0, label="x")
    y = sqrt(x)
    with detect_anomaly(), pytest.raises(AnomalyError, match="sqrt"):
        trace_backward(y)


def test_trace_backward_needs_a_value():
    with pytest.raises(TypeError, match="Value"):
        trace_backward(1.5)


# ---------------------------------------------------------------- the player ---------------

# On CI the renderer is part of the install (the viz extra): missing there, it is a failure.
needs_renderer = pytest.mark.skipif(available_renderer() is None and not os.environ.get("CI"),
                                    reason="no Graphviz renderer")


@pytest.fixture(scope="module")
def neuron_player():
    o, v = lecture_neuron()
    trace = trace_backward(o)
    return trace, trace.to_html()


def frames(page):
    return re.findall(r'<figure class="bp-frame".*?</figure>', page, re.DOTALL)


def picture(frame):
    return frame[frame.index('<div class="bp-picture">'):]


@needs_renderer
def test_player_has_a_picture_for_every_step_from_the_start(neuron_player):
    trace, page = neuron_player
    assert len(frames(page)) == len(trace)
    assert all(frame.count("<svg") == 1 for frame in frames(page))


def test_player_is_self_contained(neuron_player):
    _, page = neuron_player
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "<script>" in page and "<link" not in page and "@import" not in page


def test_player_shows_every_frame_where_scripts_do_not_run(neuron_player):
    _, page = neuron_player
    for frame in frames(page):
        opening = frame.split(">", 1)[0]
        assert "hidden" not in opening and "display" not in opening
    # the script hides frames and reveals the controls; without it the controls stay hidden
    assert re.search(r'<div class="bp-controls" hidden>', page)
    assert 'style.display = i === current ? "" : "none"' in page


def test_no_style_rule_shows_the_controls_the_hidden_attribute_hides(neuron_player):
    # A display rule on the controls beats [hidden]: dead buttons where scripts do not run.
    _, page = neuron_player
    rules = re.findall(r"([^{}\n]*\.bp-controls[^{}\n]*)\{([^}]*)\}", page)
    assert rules
    for selector, body in rules:
        if "display" in body:
            assert ":not([hidden])" in selector, selector


def test_player_has_previous_next_buttons_and_a_slider(neuron_player):
    trace, page = neuron_player
    assert "bp-prev" in page and "bp-next" in page
    assert f'type="range" class="bp-slider" min="0" max="{len(trace) - 1}"' in page


def test_player_narrates_every_step(neuron_player):
    trace, page = neuron_player
    assert len(frames(page)) == len(trace)
    for step, frame in zip(trace, frames(page)):
        assert html.escape(str(step)) in frame
        assert html.escape(step.formula()) in frame


@needs_renderer
def test_frames_show_only_the_gradients_known_so_far(neuron_player):
    trace, page = neuron_player
    first, *_, last = [html.unescape(picture(frame)) for frame in frames(page)]
    assert first.count(">grad ?<") == len(trace.nodes) - 1  # all but dL/dL = 1
    assert "grad ?" not in last
    assert ">grad 1.0<" in last and ">grad -1.5<" in last  # dL/dw1, dL/dx1


@needs_renderer
def test_frames_keep_the_same_layout():
    x = Value(3.0, label="x")
    page = trace_backward(x * x + x).to_html()
    # value boxes are filled paths, operations ellipses: same places in every frame
    places = [(re.findall(r'<path fill="#\w+"[^>]*? d="([^"]*)"', frame),
               re.findall(r"<ellipse[^>]*?cx=\"([^\"]*)\" cy=\"([^\"]*)\"", frame))
              for frame in frames(page)]
    assert len(places[0][0]) == 3 and len(places[0][1]) == 2
    assert all(p == places[0] for p in places)


def test_save_writes_the_player_page(tmp_path, neuron_player):
    trace, _ = neuron_player
    path = trace.save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert len(frames(page)) == len(trace)


def test_save_refuses_a_name_that_is_not_html(tmp_path, neuron_player):
    trace, _ = neuron_player
    with pytest.raises(ValueError, match=r"\.html"):
        trace.save(tmp_path / "steps.svg")


def test_jupyter_shows_the_player(neuron_player):
    trace, _ = neuron_player
    shown = trace._repr_html_()
    assert shown.startswith('<div class="bp-steps"') and len(frames(shown)) == len(trace)


def test_two_players_on_one_page_do_not_share_an_id(neuron_player):
    trace, _ = neuron_player
    first, second = trace._repr_html_(), trace._repr_html_()
    assert re.search(r'id="([^"]+)"', first).group(1) != re.search(r'id="([^"]+)"',
                                                                    second).group(1)


def test_player_for_a_big_graph_is_refused_with_what_to_do():
    y = Value(1.0)
    for _ in range(60):
        y = y * 1.0
    trace = trace_backward(y)
    with pytest.raises(GraphTooLargeError, match="max_nodes=121"):
        trace.to_html()
    shown = trace._repr_html_()  # displaying never raises
    assert "121 values" in shown and "explain()" in shown


def test_player_max_nodes_can_be_raised(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # text frames: quick to make
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    y = Value(1.0)
    for _ in range(60):
        y = y * 1.0
    page = trace_backward(y).save(tmp_path / "big.html", max_nodes=121).read_text()
    assert len(frames(page)) == 61


def test_player_without_renderer_has_text_frames(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    monkeypatch.setattr("autograd.pictures.wasm.IN_BROWSER", False)
    o, v = lecture_neuron()
    trace = trace_backward(o)
    shown = trace._repr_html_()
    assert "<svg" not in shown
    assert 'pip install &quot;backprop-lab[viz]&quot;' in shown
    first, *_, last = frames(shown)
    assert re.search(r"w1\s+-3\.0\s+\?", first)
    assert re.search(r"w1\s+-3\.0\s+1\.0\s+&lt;-", last)


def test_chain_rule_exercise_gradient_matches_the_formula():
    # dy/dx = (4 z1^3 e^z2 + 5) cos x + (z1^4 e^z2 + 7) 3x^2
    y, x = chain_rule_exercise(0.7)
    trace_backward(y)
    z1, z2 = math.sin(0.7), 0.7**3
    expected = ((4 * z1**3 * math.exp(z2) + 5) * math.cos(0.7)
                + (z1**4 * math.exp(z2) + 7) * 3 * 0.7**2)
    assert x.grad == pytest.approx(expected, rel=1e-12)


@needs_renderer
def test_player_colours_the_given_parameters_as_draw_dot_does():
    o, v = lecture_neuron()
    plain = trace_backward(o).to_html()
    o, v = lecture_neuron()
    with_params = trace_backward(o, params=[v["w1"], v["w2"], v["b"]]).to_html()
    parameter_fill = COLORS["parameter"]
    assert parameter_fill not in plain
    assert parameter_fill in with_params


@needs_renderer
def test_player_colours_parameters_without_being_told():
    x, w = Value(2.0, label="x"), Parameter(-3.0, label="w")
    page = trace_backward((w * x).tanh()).to_html()
    first = frames(page)[0]
    assert first.count(f'fill="{COLORS["parameter"]}"') == 1  # w's box, in every frame
    assert first.count(f'fill="{COLORS["input"]}"') == 1  # x's


def test_trace_params_must_be_values():
    o, _ = lecture_neuron()
    with pytest.raises(TypeError, match="params takes Values"):
        trace_backward(o, params=[1.0])


def test_an_unlabeled_output_is_not_named_like_an_input_called_L():
    L = Value(3.0, label="L")
    trace = trace_backward(L * 2)
    assert trace.output == "L1"
    assert str(trace[1]).startswith("dL1/dL += dL1/dL1 * d(L * const1)/dL")


def test_a_trace_stopped_by_an_anomaly_leaves_every_grad_as_it_was():
    x, z = Value(1.0, label="x"), Value(0.0, label="z")
    x.grad = 5.0
    y = x * 2 + z.sqrt()
    with detect_anomaly(), pytest.raises(AnomalyError):
        trace_backward(y)
    assert (x.grad, z.grad, y.grad) == (5.0, 0.0, 0.0)
