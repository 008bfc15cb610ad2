"""Choices made by random draws: ``autograd.where`` makes them part of a compiled step's replay
(dropout's mask); any other use of a draw's answer runs the step on the engine, with a warning.
Never a replay that keeps one mask, or mixes up which draw chose which number."""

from __future__ import annotations

import itertools
import random

import pytest

import autograd
import nn
from autograd import Parameter, where
from nn import MLP
from tests.compiled import agreement


def agree(fn, xs, params, rng):
    """Eager and compiled agree on every call, drawing the same numbers."""
    return agreement.agree(fn, [(x,) for x in xs], params, rng=rng, backend="python")


def test_where_outside_a_compiled_step_is_a_plain_choice():
    assert where(True, 1.5, 2.5) == 1.5 and where(0, "a", "b") == "b"
    assert where(3.0 < 2.0, [1], [2]) == [2]


def test_a_mask_chosen_with_where_is_drawn_again_at_every_call():
    w = [Parameter(0.1 * k - 0.3) for k in range(8)]
    rng = random.Random(1)

    def fn(x):
        masks = [where(rng.random() < 0.5, 0.0, 2.0) for _ in w]
        return sum((wi * x * m for wi, m in zip(w, masks)), start=w[0] * 0.0).tanh()

    step, caught = agree(fn, [0.5, 1.0, -2.0, 3.0] * 5, w, rng)
    assert not caught and step.records == 1 and step.replays == 19
    assert "if v" in step.source  # the choice is in the replay's code


def test_two_draws_deciding_one_number_run_on_the_engine():
    # m depends on two answers: no replay can tell which draw chose it (an earlier scheme,
    # probing each answer turned around, credited a third draw and replayed wrong numbers)
    w = Parameter(0.5)
    rng = random.Random(0)

    def fn(x):
        a, b, c = rng.random() < 0.5, rng.random() < 0.5, rng.random() < 0.5
        m = 1.0 if a != b else 2.0
        return w * x * m + where(c, 0.0, 0.0)

    step, caught = agree(fn, [1.0] * 40, [w], rng)
    assert len(caught) == 1 and step.replays == 0
    message = str(caught[0].message)
    assert "a random draw (!=)" in message and "test_where.py" in message
    assert "autograd.where" in message


@pytest.mark.parametrize("use,how", [
    (lambda a: 1.0 if a else 2.0, "if"),
    (lambda a: 1.0 + a, "+"),
    (lambda a: float(int(a)), "int"),
    (lambda a: 1.0 if str(a) == "True" else 2.0, "str"),
    (lambda a: [1.0, 2.0][a], "as an index"),
    (lambda a: 2.0 * (a & True), "&"),
])
def test_any_other_use_of_a_draws_answer_runs_on_the_engine(use, how):
    w = Parameter(0.5)
    rng = random.Random(3)

    def fn(x):
        return w * x * use(rng.random() < 0.5)

    step, caught = agree(fn, [1.0, 2.0, 3.0, 4.0], [w], rng)
    assert len(caught) == 1 and step.replays == 0
    assert f"({how}" in str(caught[0].message)


def test_where_between_values_or_two_kinds_of_number_runs_on_the_engine():
    w = Parameter(0.5)
    rng = random.Random(5)
    for choice in (lambda a: where(a, w * 2.0, w * 3.0), lambda a: w * where(a, 1, 2.5)):
        def fn(x, choice=choice):
            return choice(rng.random() < 0.5) * x

        step, caught = agree(fn, [1.0, 2.0, 3.0], [w], rng)
        assert len(caught) == 1 and "autograd.where at" in str(caught[0].message)


def test_a_dropout_step_records_once_and_replays_new_masks():
    model = MLP(2, [6, 6, 1], seed=0, dropout=0.5)
    runs = itertools.count()  # (a list would change what the step reaches at every run)

    def fn(x):
        next(runs)
        return nn.mse_loss(model(x), 0.5)

    rng = model.dropout._rng
    step, caught = agree(fn, [[0.5, -1.0], [1.0, 2.0], [0.0, 0.3]] * 4, model.parameters(), rng)
    # one eager run per call, and the compiled step ran fn once: no probes run it again
    assert not caught and next(runs) == 12 + 1 and step.replays == 11


def test_dropouts_multipliers_are_labelled_by_what_they_did():
    model = MLP(2, [8, 1], seed=2, dropout=0.5)
    out = model([1.0, 2.0])
    multipliers = [v for v in autograd.forward_order(out)
                   if isinstance(v, autograd.Constant) and v.label in ("dropped", "kept")]
    assert len(multipliers) == 8
    assert {v.label for v in multipliers} == {"dropped", "kept"}
    assert all((v.label == "dropped") == (v.data == 0.0) for v in multipliers)
    multipliers[0].label = "mine"  # a label set by hand stays
    assert multipliers[0].label == "mine"
