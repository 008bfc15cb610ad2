"""What a compiled step reaches outside its arguments: a replay re-reads it at every call and
records anew when anything the step would read differently changed, and only then."""

from __future__ import annotations

import autograd
from autograd import Parameter, Value
from autograd.compiled import environment
from tests.compiled.agreement import one_call


def agrees(step, fn, params, *args) -> bool:
    """The compiled step and the engine give the same loss and gradients, bit for bit."""
    expected, got = one_call(step, fn, params, args)
    return got == expected


def replayed(fn, params, *args):
    """A step compiled from ``fn`` that has recorded once and replayed once."""
    step = autograd.compile(fn, backend="python")
    for _ in range(2):
        assert agrees(step, fn, params, *args)
    assert (step.records, step.replays) == (1, 1)
    return step


class Half:
    """A layer as a student might write one: its weight in an attribute."""

    def __init__(self, w: Value) -> None:
        self.w = w
        self.factor = 0.5

    def __call__(self, x: float) -> Value:
        return self.w * x * self.factor


class Twice(Half):
    def __call__(self, x: float) -> Value:
        return self.w * x * 2.0


def test_a_replay_reaching_the_same_objects_does_not_walk_them_again(monkeypatch):
    layer = Half(Parameter(0.5))
    step = replayed(lambda x: layer(x), [layer.w], 2.0)
    walks = []
    monkeypatch.setattr(environment, "reach", lambda fn: walks.append(fn))
    for _ in range(3):
        assert agrees(step, lambda x: layer(x), [layer.w], 2.0)
    assert walks == [] and step.replays == 4


def test_a_number_made_anew_with_the_same_value_still_replays():
    layer = Half(Parameter(0.5))
    fn = lambda x: layer(x)  # noqa: E731
    step = replayed(fn, [layer.w], 2.0)
    for _ in range(3):
        layer.factor = float("0.5")  # another object, the same number
        assert agrees(step, fn, [layer.w], 2.0)
    assert (step.records, step.replays) == (1, 4)
    layer.factor = float("-0.0")
    assert agrees(step, fn, [layer.w], 2.0) and step.records == 2


def test_attributes_replaced_as_a_whole_record_anew():
    layer = Half(Parameter(0.5))
    fn = lambda x: layer(x)  # noqa: E731
    step = replayed(fn, [layer.w], 2.0)
    layer.__dict__ = {"w": layer.w, "factor": 3.0}
    assert agrees(step, fn, [layer.w], 2.0) and step.records == 2


def test_an_object_whose_class_changes_records_anew():
    layer = Half(Parameter(0.5))
    fn = lambda x: layer(x)  # noqa: E731
    step = replayed(fn, [layer.w], 2.0)
    layer.__class__ = Twice
    assert agrees(step, fn, [layer.w], 2.0) and step.records == 2


def test_new_defaults_of_the_steps_function_record_anew():
    w = Parameter(0.5)

    def fn(x, scale=2.0):
        return w * x * scale

    step = replayed(fn, [w], 1.5)
    fn.__defaults__ = (3.0,)
    assert agrees(step, fn, [w], 1.5) and step.records == 2


def test_new_code_for_the_steps_function_records_anew():
    w = Parameter(0.5)

    def fn(x):
        return w * x * 2.0

    def other(x):
        return w * x + 2.0

    step = replayed(fn, [w], 1.5)
    fn.__code__ = other.__code__
    assert agrees(step, fn, [w], 1.5) and step.records == 2


def test_a_closure_variable_bound_anew_records_anew():
    w = Parameter(0.5)
    scale = 2.0

    def fn(x):
        return w * x * scale

    step = replayed(fn, [w], 1.5)
    scale = 3.0  # noqa: F841 - read by fn, through its closure cell
    assert agrees(step, fn, [w], 1.5) and step.records == 2


def fn_with_an_optional_bias(x):
    try:
        bias = BIAS  # noqa: F821 - a global the step reads once it exists
    except NameError:
        bias = 0.0
    return WEIGHT * x + bias


def test_a_global_that_appears_records_anew():
    global WEIGHT, BIAS
    WEIGHT = Parameter(0.5)
    step = replayed(fn_with_an_optional_bias, [WEIGHT], 1.5)
    BIAS = 0.25
    try:
        assert agrees(step, fn_with_an_optional_bias, [WEIGHT], 1.5) and step.records == 2
    finally:
        del BIAS


def test_a_weight_moved_from_one_list_to_the_next_records_anew():
    # The lists' items, one after the other, stay w1 w2 w3 w4: only their lengths tell.
    rows = [[Parameter(0.5), Parameter(-1.0)], [Parameter(2.0), Parameter(0.25)]]
    params = [w for row in rows for w in row]

    def fn(x):
        return sum((sum(w * x for w in row) ** 2 for row in rows), 0.0)

    step = replayed(fn, params, 1.5)
    rows[1].insert(0, rows[0].pop())
    assert agrees(step, fn, params, 1.5) and step.records == 2


def test_a_renamed_key_records_anew():
    weights = {"w1": Parameter(0.5), "w2": Parameter(-1.0)}
    params = list(weights.values())

    def fn(x):
        return sum((p * (x if name.startswith("w") else 0.5) for name, p in weights.items()),
                   0.0)

    step = replayed(fn, params, 1.5)
    weights.clear()
    weights.update({"w1": params[0], "b2": params[1]})  # the same Values in the same order
    assert agrees(step, fn, params, 1.5) and step.records == 2


def test_an_entry_moved_from_one_dict_to_the_next_records_anew():
    # The dicts' keys and values, one after the other, stay the same: only their sizes tell.
    first = {"w1": Parameter(0.5), "w2": Parameter(-1.0)}
    second = {"w3": Parameter(2.0)}
    params = [*first.values(), *second.values()]

    def fn(x):
        return sum((sum(w * x for w in group.values()) ** 2 for group in (first, second)), 0.0)

    step = replayed(fn, params, 1.5)
    moved, kept = first.pop("w2"), second.pop("w3")
    second.update({"w2": moved, "w3": kept})
    assert agrees(step, fn, params, 1.5) and step.records == 2
