"""random_exercise(seed, size): a fresh, readable exercise per seed, rebuilt from the seed alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Exercise, forward_order, gradients, random_exercise

ROOT = Path(__file__).resolve().parents[2]


def graph(ex):
    nodes = forward_order(ex.root)
    return nodes, [n for n in nodes if not n.parents], [n for n in nodes if n.parents]


@given(st.integers(0, 10**9), st.integers(2, 20))
def test_the_graph_has_size_operations_and_every_input_reaches_the_output(seed, size):
    ex = random_exercise(seed, size=size)
    nodes, inputs, operations = graph(ex)
    assert len(operations) == size
    assert len(inputs) == 2 + size // 3
    assert sorted(n.label for n in inputs) == list("abcdefgh"[:len(inputs)])


@given(st.integers(0, 10**9), st.integers(2, 20))
def test_some_value_is_used_twice(seed, size):
    nodes, _, _ = graph(random_exercise(seed, size=size))
    uses = [p for n in nodes for p in n.parents]
    assert any(uses.count(p) > 1 for p in uses)


@given(st.integers(0, 10**9))
def test_no_value_is_subtracted_from_itself(seed):
    nodes, _, _ = graph(random_exercise(seed, size=12))
    assert not any(n.op == "-" and n.parents[0] is n.parents[1] for n in nodes)


@given(st.integers(0, 10**9), st.integers(2, 20))
def test_the_numbers_stay_readable_and_every_input_has_a_gradient(seed, size):
    ex = random_exercise(seed, size=size)
    nodes, inputs, _ = graph(ex)
    grads = gradients(ex.root)
    assert all(abs(n.data) <= 20 for n in nodes)
    assert all(abs(g) <= 100 for g in grads.values())
    assert all(abs(grads[n]) >= 0.01 for n in inputs)
    assert sum(n.op == "tanh" for n in nodes) <= 1
    assert {n.op for n in nodes if n.parents} <= {"+", "-", "*", "**2", "tanh"}


@given(st.integers(0, 10**9))
def test_intermediate_values_are_z1_z2_in_reading_order_and_the_output_is_L(seed):
    ex = random_exercise(seed)
    _, _, operations = graph(ex)
    assert [n.label for n in operations] == [f"z{k}" for k in range(1, len(operations))] + ["L"]


def test_the_same_seed_gives_the_same_exercise():
    assert str(random_exercise(7)) == str(random_exercise(7))
    assert random_exercise("s1234567").answer_key() == random_exercise("s1234567").answer_key()


def test_different_seeds_give_different_exercises():
    texts = {str(random_exercise(seed)) for seed in range(20)}
    assert len(texts) == 20


def test_size_changes_the_exercise():
    assert str(random_exercise(7, size=5)) != str(random_exercise(7, size=6))


def test_an_autograder_in_another_process_rebuilds_the_same_exercise():
    code = ("from autograd import random_exercise; "
            "print(sorted(random_exercise('student-42', size=8).answer_key().items()))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=ROOT,
                              env={**os.environ, "PYTHONHASHSEED": str(h)}).stdout
               for h in (0, 1, 12345)}
    assert len(outputs) == 1
    assert outputs.pop() == str(sorted(random_exercise("student-42", size=8)
                                       .answer_key().items())) + "\n"


def test_seed_2024_is_the_exercise_it_always_was():
    # Pinned: changing the generator would change every student's exercise and answer key.
    text = str(random_exercise(2024, size=4))
    assert text.splitlines()[:9] == [
        "Backpropagate by hand through L = 5.0.",
        "The graph, in the order it was computed:",
        "  c  = 3.0  (an input)",
        "  b  = -1.0  (an input)",
        "  z1 = c + b = 2.0",
        "  a  = -1.5  (an input)",
        "  z2 = a * b = 1.5",
        "  z3 = z2 + z2 = 3.0",
        "  L  = z1 + z3 = 5.0",
    ]


def test_a_random_exercise_is_an_exercise_its_own_answers_pass():
    ex = random_exercise(3, size=6)
    assert isinstance(ex, Exercise)
    assert ex.check(ex.answer_key())


def test_ask_and_tolerance_pass_through():
    ex = random_exercise(3, ask="local", rtol=0.0, atol=0.0)
    assert ex.local and ex.tolerance.atol == 0.0


@pytest.mark.parametrize("seed", [None, 1.5, b"x", True])
def test_a_seed_must_be_an_int_or_a_str(seed):
    with pytest.raises(TypeError, match="seed must be an int or a str"):
        random_exercise(seed)


@pytest.mark.parametrize("size", [0, 1, 21, 3.0, True])
def test_size_must_be_an_int_from_2_to_20(size):
    with pytest.raises(ValueError, match="size is the number of operations, an int from 2 to 20"):
        random_exercise(1, size=size)
