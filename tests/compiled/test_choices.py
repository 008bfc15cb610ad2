"""What random draws' answers choose (compiled/choices.py): ``link`` compares the real recording
with its probes and makes each constant a question chooses into a ``select``, or says None when
a probe built anything else. The recordings here are written by hand, as dropout's would be:
draw, ask ``draw < 0.5``, later multiply an input by the mask value the answer chose."""

from __future__ import annotations

import gc
import random
import warnings
from contextlib import contextmanager

import pytest

import autograd
import nn
from autograd import Value
from autograd.compiled.choices import link, probes_needed
from autograd.compiled.ir import Entry, Ref
from autograd.compiled.recording import Draw, Recording, Traced
from autograd.core.modes import recorder
from autograd.core.value import forward_order
from nn import MLP, data

GENERATOR = random.Random(0)


def recording(masks, answers, *, op="*", draw=("random", ()), order=None):
    """Questions ``draw < 0.5`` answered ``answers``, then ``x_i * masks[i]`` for each mask,
    then their sum. ``order``: the numbers interned as constants first, in that order (each
    recording numbers its constants as it meets them)."""
    rec = Recording()
    for number in order or ():
        rec.constant(number)
    drawn = Ref("k", len(rec.constants))
    rec.constants.append(Draw(GENERATOR, *draw))
    for answer in answers:
        rec.entries.append(Entry("draw", draw[0], (drawn,)))
        rec.questions.append(len(rec.entries))
        rec.entries.append(Entry("question", "<", (Ref("v", len(rec.entries) - 1),
                                                   rec.constant(0.5)), (answer,)))
    uses = []
    for i, mask in enumerate(masks):
        uses.append(len(rec.entries))
        rec.entries.append(Entry("node", op, (Ref("x", i), rec.constant(mask)),
                                 flows=(True, False)))
    rec.entries.append(Entry("node", "+", tuple(Ref("v", j) for j in uses),
                             flows=(True,) * len(uses)))
    return rec


def probes(masks_per_probe, answers, **kwargs):
    return [recording(masks, answers, **kwargs) for masks in masks_per_probe]


def selects(rec):
    """Each select as (question's answer in the real run, the number if true, if false), and the
    entry that uses it."""
    found = []
    for j, entry in enumerate(rec.entries):
        if entry.op == "select":
            question, if_true, if_false = entry.args
            user = rec.entries[j + 1]
            assert Ref("v", j) in user.args
            found.append((rec.entries[question.index].params[0], rec.constants[if_true.index],
                          rec.constants[if_false.index], user.op))
    return found


# ---------------------------------------------------------------- link's verdicts --------

def test_each_mask_value_becomes_a_select_on_its_own_question():
    # real: q0 True (dropped, 0.0), q1 False (kept, 2.0); probe k flips q where bit k of q + 1
    real = recording([0.0, 2.0], [True, False])
    assert probes_needed(len(real.questions)) == 2
    new = link(real, probes([[2.0, 2.0], [0.0, 0.0]], [True, False]))
    assert new is not None
    assert selects(real) == [(True, 0.0, 2.0, "*"), (False, 0.0, 2.0, "*")]
    # every reference renumbered: the questions, the sum over both products
    assert [real.entries[j].kind for j in real.questions] == ["question", "question"]
    total = real.entries[-1]
    assert [real.entries[r.index].op for r in total.args] == ["*", "*"]
    assert new[len(new) - 1] == len(real.entries) - 1


def test_a_constant_numbered_alike_but_another_number_in_a_probe_is_a_choice():
    # The probe met 2.0 first, the real run 0.0: the same index holds another number, and the
    # entries are equal tuple for tuple. Still a choice, found.
    real = recording([0.0, 2.0], [True, False], order=[0.0, 2.0])
    first = recording([2.0, 2.0], [True, False], order=[2.0, 0.0])
    assert real.entries[-3] == first.entries[-3]  # x0 * k0 in both, k0 another number
    second = recording([0.0, 0.0], [True, False], order=[0.0, 2.0])
    assert link(real, [first, second]) is not None
    assert selects(real) == [(True, 0.0, 2.0, "*"), (False, 0.0, 2.0, "*")]


def test_minus_zero_is_another_number():
    real = recording([0.0, 2.0], [True, False])
    assert link(real, probes([[-0.0, 2.0], [0.0, 0.0]], [True, False])) is not None
    assert [repr(t) for _, t, _, _ in selects(real)] == ["0.0", "0.0"]
    assert [repr(f) for _, _, f, _ in selects(real)] == ["-0.0", "2.0"]


def test_probes_that_change_nothing_leave_the_recording_as_it_is():
    real = recording([2.0, 2.0], [True, False])
    before = list(real.entries)
    new = link(real, probes([[2.0, 2.0], [2.0, 2.0]], [True, False]))
    assert new == {j: j for j in range(len(before))} and real.entries == before


def test_a_probe_with_another_operation_is_not_linked():
    real = recording([0.0, 2.0], [True, False])
    other = probes([[2.0, 2.0], [0.0, 0.0]], [True, False])
    other[1].entries[-2] = other[1].entries[-2]._replace(op="+")
    assert link(real, other) is None


def test_a_probe_with_another_draw_is_not_linked():
    # the same entries, tuple for tuple; the draw behind the constant is another call
    def draws(first, second):
        return [recording([0.0, 2.0], [True, False], draw=("randrange", (first,))),
                recording([0.0, 2.0], [True, False], draw=("randrange", (second,)))]

    real = recording([0.0, 2.0], [True, False], draw=("randrange", (10,)))
    assert draws(11, 10)[0].entries == real.entries
    assert link(real, draws(11, 10)) is None
    assert link(real, draws(10, 10.0)) is None  # an int is no float
    assert link(real, draws(10, 10)) is not None


def test_a_probe_that_draws_more_is_not_linked():
    real = recording([0.0, 2.0], [True, False])
    assert link(real, [recording([2.0, 2.0], [True, False, True]),
                       recording([0.0, 0.0], [True, False])]) is None


def test_a_constant_that_changes_with_no_one_question_is_not_linked():
    # it changes in both probes: bits 11, question 2, which was never asked
    real = recording([0.0, 2.0], [True, False])
    assert link(real, probes([[2.0, 0.0], [0.0, 0.0]], [True, False])) is None
    # question 2 (bits 11) turned around in both probes: two other numbers are no one choice
    # between two numbers
    real = recording([0.0, 2.0, 3.0], [True, False, False])
    assert link(real, probes([[2.0, 2.0, 4.0], [0.0, 0.0, 5.0]], [True, False, False])) is None
    assert link(real, probes([[2.0, 2.0, 4.0], [0.0, 0.0, 4.0]], [True, False, False])) \
        is not None


def test_a_constant_used_before_its_question_is_not_linked():
    real = recording([0.0, 2.0], [True, False])
    chosen = probes([[2.0, 2.0], [0.0, 0.0]], [True, False])
    for rec in [real] + chosen:  # the second question moves after the products
        rec.questions[1] = len(rec.entries) - 1
        rec.entries[-1] = rec.entries[-1]._replace(kind="question", params=(False,))
    assert link(real, chosen) is None


# ---------------------------------------------------------------- probes ------------------

@contextmanager
def recording_as(rec):
    """``rec`` is the recording the step's numbers report to (as while a step records)."""
    token = recorder.set(rec)
    try:
        yield rec
    finally:
        recorder.reset(token)


def test_a_probe_answers_the_other_way_and_notes_the_comparisons_own_answer():
    with recording_as(Recording(flip=0)) as probe:
        drawn = probe.draw(GENERATOR, "random", (), {}, 0.25)
        assert (drawn < 0.5) is False  # question 0, bit 0 of 1: turned around
        assert probe.entries[-1].kind == "question" and probe.entries[-1].params == (True,)
        assert (probe.draw(GENERATOR, "random", (), {}, 0.25) < 0.5) is True  # bit 0 of 2


def test_a_probe_names_no_lines_and_the_real_recording_does():
    recordings = Recording(), Recording(flip=0)
    for rec in recordings:
        with recording_as(rec):
            asked = rec.draw(GENERATOR, "random", (), {}, 0.25) < 0.5
            assert rec.entries[-1].kind == "question" and asked is not None
    real, probe = (rec.places[rec.entries[-1].where] for rec in recordings)
    assert "test_choices.py:" in real and "asked = " in real
    assert probe == ""


def test_a_released_recording_holds_no_value_and_no_followed_number():
    w = autograd.Parameter(0.5)
    step = autograd.compile(lambda x: (w * x).tanh())
    probe = Recording(flip=0)
    root = step._run((2.0,), [w], probe)[0]
    probe.release()
    assert len(probe.entries) == 2 and probe.params == [w]
    held = [x for x in vars(probe).values() if isinstance(x, (list, dict))]
    found = [x for items in held for x in (items.values() if isinstance(items, dict) else items)]
    assert not [x for x in found if isinstance(x, Value) and x is not w]
    assert not [x for x in found if isinstance(x, Traced)]
    assert root.data == pytest.approx(0.7615941559557649)


def dropout_step(examples):
    X, y = data.make_moons(examples, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [4, 1], seed=0, dropout=0.5)

    def step(X, y):
        return sum(nn.hinge_loss(model(x), t) for x, t in zip(X, y)) * (1 / len(X))
    return model, step, X, y


def test_probes_leave_no_graph_for_the_cyclic_collector():
    model, fn, X, y = dropout_step(10)
    graph = len(forward_order(fn(X, y)))
    step = autograd.compile(fn)
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = sum(type(x) is Value for x in gc.get_objects())
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            step(X, y)
        after = sum(type(x) is Value for x in gc.get_objects())
    finally:
        if collecting:
            gc.enable()
    assert step.records == 1 and step.fallback_reason is None and probes_needed(10 * 4) == 6
    assert after - before <= 2 * graph  # the real recording's graph, not the six probes' too


@pytest.mark.parametrize("collecting", [True, False])
def test_the_cyclic_collector_is_left_as_it_was(collecting):
    model, fn, X, y = dropout_step(6)
    step = autograd.compile(fn)
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        step(X, y)
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
    assert step.records == 1 and step.fallback_reason is None

