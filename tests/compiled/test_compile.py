"""autograd.compile: a replayed step gives the engine's numbers to the last bit, for every
operation and every kind of number; guards record anew; what cannot be replayed runs on the
engine with one warning saying why."""

from __future__ import annotations

import math
import struct
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import CompileWarning, Constant, Parameter, Value, custom_op, dot, no_grad
from autograd.core import value as engine_module

# ---------------------------------------------------------------- how results are compared --


def bits(x: object) -> object:
    """A number as its 64 bits (so -0.0 and 0.0 are told apart); anything else as itself (a
    Value gradient is compared by its number's bits and its type).

    A nan is a nan: which of two nans a product keeps (its sign, its payload) is not even the
    same between two runs of the same engine code, as CPython's specialized float arithmetic
    orders the operands differently from its generic one."""
    if isinstance(x, float):
        return "nan" if x != x else struct.pack("<d", x)
    if isinstance(x, Value):
        return ("Value", bits(x.data))
    return (type(x).__name__, x)


def run_engine(fn, args, params, olds):
    for p, g in zip(params, olds):
        p.grad = g
    loss = fn(*args)
    loss.backward()
    return bits(loss.data), [bits(p.grad) for p in params]


def run_step(step, args, params, olds):
    for p, g in zip(params, olds):
        p.grad = g
    loss = step(*args)
    return bits(loss), [bits(p.grad) for p in params]


def assert_replays_like_the_engine(fn, calls, params, olds=None, replays_expected=True):
    """Call a compiled ``fn`` with each argument tuple in ``calls`` (after the two recording
    calls) and check loss and every gradient against the engine, bit for bit."""
    step = autograd.compile(fn)
    olds = olds if olds is not None else [0.0] * len(params)
    for args in calls:
        expected = run_engine(fn, args, params, olds)
        assert run_step(step, args, params, olds) == expected, args
    if replays_expected:
        assert step.replays == len(calls) - step.records, step.source
    return step


def parameters(*numbers: float) -> list[Value]:
    return [Parameter(n, label=f"w{i}") for i, n in enumerate(numbers, start=1)]


# ---------------------------------------------------------------- the lecture's neuron ------

def test_the_lectures_neuron_replays_the_engines_gradients():
    w1, w2, b = parameters(-3.0, 1.0, 6.8813735870195432)

    def neuron(x1, x2):
        return (x1 * w1 + x2 * w2 + b).tanh()

    assert_replays_like_the_engine(neuron, [(2.0, 0.0), (1.0, -1.0), (0.5, 0.25), (2.0, 0.0)],
                                   [w1, w2, b])


def test_after_two_recording_calls_every_call_replays():
    w = Parameter(0.5)
    step = autograd.compile(lambda x: (w * x).tanh())
    for x in (1.0, 2.0, 3.0, 4.0, 5.0):
        step(x)
    assert (step.records, step.replays) == (1, 4)


def test_a_replay_builds_no_graph(monkeypatch):
    w = Parameter(0.5)
    step = autograd.compile(lambda x: (w * x + 1.0).relu())
    step(1.0)
    step(1.0)

    def no_nodes(*args):
        raise AssertionError("a replay made a node")

    monkeypatch.setattr(engine_module, "_make", no_nodes)
    w.grad = 0.0
    assert step(2.0) == 2.0
    assert w.grad == 2.0


def test_parameters_are_read_afresh_and_changed_between_calls():
    w, b = parameters(0.3, -0.2)

    def fn(x):
        return (w * x + b).sigmoid() * (w - b) ** 2

    step = autograd.compile(fn)
    for k in range(8):
        w.data, b.data = 0.3 + 0.1 * k, -0.2 * k
        expected = run_engine(fn, (1.5 - k,), [w, b], [0.0, 0.0])
        assert run_step(step, (1.5 - k,), [w, b], [0.0, 0.0]) == expected


def test_source_shows_the_generated_forward_and_backward():
    w = Parameter(2.0, label="w")
    step = autograd.compile(lambda x: (w * x).tanh())
    assert "nothing recorded yet" in step.source
    step(1.0)
    source = step.source
    assert source.startswith("def replay(s, e, p, g, k):")
    assert "tanh(v0)  # tanh1" in source and "(1.0 - (v1 * v1))" in source
    assert "(p0 * s0)  # mul1" in source
    compile(source, "<source>", "exec")


# ---------------------------------------------------------------- every operation, every number

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, -1e300, 1e308, math.inf, -math.inf, math.nan,
           5e-324, 709.0, 710.0, -745.0, 3.0, 2.0]
numbers = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(-5, 5))

UNARY = {
    "neg": lambda a: -a, "abs": abs, "exp": lambda a: a.exp(), "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(), "sigmoid": lambda a: a.sigmoid(), "relu": lambda a: a.relu(),
    "softplus": lambda a: a.softplus(),
    "step": lambda a: a.step(), "sin": lambda a: a.sin(), "cos": lambda a: a.cos(),
    "sqrt": lambda a: a.sqrt(), "square": lambda a: a ** 2, "cube": lambda a: a ** 3,
    "inverse": lambda a: a ** -1, "root": lambda a: a ** 0.5, "zeroth": lambda a: a ** 0,
    "nan power": lambda a: a ** math.nan, "huge power": lambda a: a ** 1e300,
    "true power": lambda a: a ** True, "id": lambda a: engine_module.identity(a),
}
BINARY = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, b: a ** b, "rsub": lambda a, b: 2.0 - a * b,
    "dot": lambda a, b: dot([a, b, a], [b, b, 3.0], a),
    "dot without bias": lambda a, b: dot([a, b], [b, a]),
    "x * x": lambda a, b: a * a + b * b,
}


def check_operation(op, *xs):
    """One op, applied to parameters holding ``xs`` and then scaled, so that a gradient of any
    size (inf, nan) flows into it from above; replayed and run on the engine."""
    params = parameters(*xs)
    scale = Parameter(xs[0] if len(xs) > 0 else 1.0)

    def fn(c):
        return op(*params) * scale * c

    step = autograd.compile(fn)
    for c in (1.0, -2.0, 0.0, math.inf, 3.0):
        olds = [0.0] * (len(params) + 1)
        expected = run_engine(fn, (c,), params + [scale], olds)
        assert run_step(step, (c,), params + [scale], olds) == expected, step.source
    assert step.replays == 4


@pytest.mark.parametrize("name", UNARY)
@given(x=numbers)
def test_every_unary_operation_replays_bitwise(name, x):
    check_operation(UNARY[name], x)


@pytest.mark.parametrize("name", BINARY)
@given(x=numbers, y=numbers)
def test_every_binary_operation_replays_bitwise(name, x, y):
    check_operation(BINARY[name], x, y)


@pytest.mark.parametrize("x", [-1.0, 0.0, -0.0, 2.0, math.nan])
def test_relu_passes_nothing_back_where_x_is_not_positive_even_an_infinite_gradient(x):
    w = Parameter(x)
    fn = lambda c: w.relu().sqrt() * c  # noqa: E731  sqrt'(0) = inf flows down to relu
    step = assert_replays_like_the_engine(fn, [(1.0,)] * 4, [w])
    assert w.grad == 0.0 or x > 0 or x != x
    assert step.replays == 3


def test_constants_of_every_kind_are_written_exactly():
    w = Parameter(1.5)
    values = [-0.0, 1e-320, -math.inf, math.nan, 0.1, -7.0, 2 ** 60]

    def fn(c):
        total = w * c
        for v in values:
            total = total + w * v
        return total * Constant(-math.nan)

    assert_replays_like_the_engine(fn, [(2.0,), (3.0,), (-1.0,)], [w])


# ---------------------------------------------------------------- gradients accumulate -----

@pytest.mark.parametrize("old", [0.0, -0.0, 1.5, -2.0, None, math.inf, math.nan, 0],
                         ids=repr)
def test_gradients_are_added_to_what_grad_held_as_backward_adds(old):
    w, v = parameters(0.7, -0.3)
    fn = lambda x: (w * x - v * w).relu() + (v * 0.0).relu()  # noqa: E731
    assert_replays_like_the_engine(fn, [(1.0,), (2.0,), (-3.0,), (4.0,)], [w, v], [old, old])


@pytest.mark.parametrize("old", [0.0, -0.0, 0, False, 2.0], ids=repr)
def test_a_dot_behind_a_dead_relu_still_adds_its_zeros_where_a_grad_would_change(old):
    # The replay skips a dot whose gradient is 0; its zeros would turn -0.0 into 0.0 and an
    # int 0 into a float, so then they are added.
    w, v = parameters(0.5, -0.25)
    fn = lambda x: dot([w, v], [x, x], v).relu() * 3  # noqa: E731
    assert_replays_like_the_engine(fn, [(1.0,), (-1.0,), (-2.0,), (4.0,), (-8.0,)], [w, v],
                                   [old, old])


def test_a_dot_of_an_infinite_number_passes_nan_back_even_with_a_zero_gradient():
    w = Parameter(1.0)
    fn = lambda x: dot([w], [x]) * 0.0  # noqa: E731  inf * 0 = nan flows into w
    assert_replays_like_the_engine(fn, [(math.inf,), (2.0,), (math.inf,), (-math.inf,)], [w])


def test_a_value_gradient_left_by_create_graph_is_added_to_as_backward_adds():
    w = Parameter(2.0)
    (w * w * 3.0).backward(create_graph=True)
    old = w.grad  # a Value: 6 w
    assert isinstance(old, Value)
    assert_replays_like_the_engine(lambda c: w * c, [(1.0,), (2.0,), (3.0,)], [w], [old])
    assert isinstance(w.grad, Value) and w.grad.data == old.data + 3.0


def test_the_loss_itself_as_a_parameter_gets_a_gradient_of_one():
    w = Parameter(4.0)
    step = autograd.compile(lambda: w)
    for old in (0.0, 2.0, None, 0.0):
        w.grad = old
        assert step() == 4.0
        assert w.grad == (1.0 if old is None else old + 1.0)


# ---------------------------------------------------------------- arguments ----------------

def test_nested_lists_and_tuples_of_numbers_are_inputs():
    w = parameters(0.5, -1.0, 2.0)

    def fn(rows, pair):
        (a, b), (c,) = pair
        return sum(w[i] * x for row in rows for i, x in enumerate(row)) * a - b * c

    calls = [([[1.0, 2.0, 3.0]], ((1, 2), (3.5,))), ([[0.5, 0.0, -1.0]], ((4, -2), (1.0,))),
             ([[9.0, 8.0, 7.0]], ((0, 0), (0.0,))), ([[1.0, 1.0, 1.0]], ((1, 1), (1.0,)))]
    assert_replays_like_the_engine(fn, calls, w)


def test_shared_numbers_between_batches_reach_every_example():
    w = parameters(0.5, -1.0)

    def fn(X, scale, pairs, bias):
        return sum(((w[0] * x + w[1] * a * b) * scale + bias).tanh()
                   for x, (a, b) in zip(X, pairs))

    calls = [([1.0, 2.0, 3.0], 0.5, [(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)], 0.25),
             ([-1.0, 0.0, 2.5], 2.0, [(0.5, -2.0), (1.5, 1.0), (-3.0, 0.0)], -1.0),
             ([4.0, -4.0, 0.5], -0.5, [(2.0, 2.0), (0.0, 1.0), (1.0, -1.0)], 0.0)]
    step = assert_replays_like_the_engine(fn, calls, w)
    assert step._latest.split.shared == [3, 10]  # scale and bias: no example's own


def test_examples_whose_numbers_come_from_arguments_in_other_shares_are_split_right():
    # Example 0 reads one number of X and two of Y, example 1 two of X and one of Y: the same
    # template over numbers not evenly spaced among the arguments'.
    w = Parameter(0.5)

    def fn(X, Y):
        total = 0.0
        for x, y in zip(X, Y):
            a, b, c = [*x, *y]
            total = total + (w * a + b * c).tanh()
        return total

    calls = [([[1.0], [2.0, 3.0], [0.5]], [[4.0, 5.0], [6.0], [1.5, 2.5]]),
             ([[-1.0], [0.5, 2.0], [1.5]], [[0.25, -3.0], [2.0], [0.5, 0.5]]),
             ([[3.0], [-2.0, 1.0], [0.0]], [[1.0, 1.0], [-6.0], [2.5, -1.5]])]
    step = assert_replays_like_the_engine(fn, calls, [w])
    assert step._latest.split.shared == []  # every number is an example's


def test_argument_shapes_key_a_record_each():
    w = Parameter(0.5)
    step = autograd.compile(lambda xs: sum(w * x for x in xs).tanh())
    for xs in ([1.0], [1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0, 3.0], [3.0], [5.0, 6.0]):
        w.grad = 0.0
        expected_loss = math.tanh(sum(0.5 * x for x in xs))
        assert step(xs) == pytest.approx(expected_loss)
    # Each shape (a batch of 1, 2 or 3) is recorded once, then replayed.
    assert step.records == 3 and step.replays == 4


def test_an_int_and_a_float_are_different_shapes():
    w = Parameter(0.5)
    step = autograd.compile(lambda x: w * x * 3)
    for x in (1.0, 1.0, 2, 2, 3.0, 4):
        assert step(x) == 1.5 * x
    assert step.records == 2 and step.replays == 4


def test_numpy_scalars_are_numbers_and_arrays_are_refused():
    np = pytest.importorskip("numpy")
    w = Parameter(0.5)
    step = autograd.compile(lambda x: w * x)
    assert step(np.float64(2.0)) == 1.0 and step(np.int64(3)) == 1.5
    with pytest.raises(TypeError, match=r"\.tolist\(\)"):
        step(np.array([1.0, 2.0]))


@pytest.mark.parametrize("bad", ["a", None, {1: 2}, True, 1j])
def test_arguments_that_are_not_numbers_are_refused_with_a_hint(bad):
    step = autograd.compile(lambda x: Parameter(1.0) * 2)
    with pytest.raises(TypeError, match="numbers and .nested. lists or tuples of numbers"):
        step(bad)


def test_keyword_arguments_are_refused():
    step = autograd.compile(lambda x: Parameter(1.0) * x)
    with pytest.raises(TypeError, match="positional"):
        step(x=1.0)


def test_fn_must_return_a_value():
    step = autograd.compile(lambda x: math.sin(x))
    with pytest.raises(TypeError, match="loss as a Value"):
        step(1.0)
    with pytest.raises(TypeError, match="function returning the loss"):
        autograd.compile(3)


def test_with_has_aux_the_step_returns_the_loss_and_fns_other_numbers():
    w = Parameter(0.5)

    def fn(xs):
        preds = [w * x for x in xs]
        return sum(preds), (preds, [x + 1 for x in xs])

    step = autograd.compile(fn, has_aux=True)
    for xs in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]):
        loss, (preds, shifted) = step(xs)
        assert loss == 0.5 * xs[0] + 0.5 * xs[1]
        assert preds == [0.5 * x for x in xs] and shifted == [x + 1 for x in xs]
        assert all(type(p) is float for p in preds)
    assert step.replays == 2


def test_has_aux_needs_a_pair_and_without_it_a_pair_is_refused():
    w = Parameter(0.5)
    with pytest.raises(TypeError, match=r"pair \(loss, aux\)"):
        autograd.compile(lambda x: w * x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="loss as a Value"):
        autograd.compile(lambda x: (w * x, [x]))(1.0)


# ---------------------------------------------------------------- guards -------------------

def test_a_comparison_of_values_is_a_guard_and_a_changed_answer_records_again():
    w = Parameter(1.0)

    def fn(x):
        y = w * x
        return y * 2 if y > 1 else -y  # Python branches on the data

    step = assert_replays_like_the_engine(
        fn, [(3.0,), (3.0,), (4.0,), (0.5,), (0.25,), (0.1,), (0.2,), (5.0,)], [w],
        replays_expected=False)
    # 3.0 and 4.0 replay; 0.5 answers y > 1 otherwise: recorded, and replayed from 0.25 on;
    # 5.0 is replayed by the first recording, kept beside the second.
    assert step.records == 2 and step.replays == 6
    assert "return AGAIN, 0" in step.source


def test_a_step_alternating_between_graphs_keeps_a_recording_of_each():
    w = Parameter(1.0)

    def fn(x):
        y = w * x
        return y * 2 if y > 1 else -y

    xs = [(3.0,), (0.5,)] * 6  # the answer changes at every call
    step = assert_replays_like_the_engine(fn, xs, [w])
    assert (step.records, step.replays) == (2, 10)


def test_more_graphs_than_kept_recordings_run_on_the_engine_with_a_warning():
    # twelve labels in turn, each its own graph: more than MAX_ALTERNATIVES recordings of one
    # shape, so every call misses and records; the step falls back, numbers unchanged
    from autograd.compiled.compiler import MAX_ALTERNATIVES

    ws = parameters(*[0.1 * k for k in range(12)])
    assert len(ws) > MAX_ALTERNATIVES

    def fn(x, label):
        return ws[label] * x  # a label indexes: a question per call

    calls = [(1.5, k % 12) for k in range(30)]
    with pytest.warns(CompileWarning, match="different graph every few calls"):
        step = assert_replays_like_the_engine(fn, calls, ws, replays_expected=False)
    assert step.fallback_reason is not None and step.records <= MAX_ALTERNATIVES + 3


SCALE = 2.0


def test_a_change_outside_the_arguments_drops_every_kept_recording():
    global SCALE
    w = Parameter(1.0)

    def fn(x):
        y = w * x * SCALE
        return y * 2 if y > 1 else -y

    step = autograd.compile(fn)
    calls = [(3.0,), (0.1,), (3.0,), (0.1,)]
    try:
        for scale in (2.0, 2.0, 0.5):  # 0.5: both recordings are stale
            SCALE = scale
            for args in calls:
                expected = run_engine(fn, args, [w], [0.0])
                assert run_step(step, args, [w], [0.0]) == expected, (scale, args)
    finally:
        SCALE = 2.0
    assert step.records == 4 and step.replays == 8


def test_comparisons_of_numbers_read_from_the_graph_are_guards():
    w = Parameter(1.0)

    def fn(x):
        y = w * x
        return y.exp() if y.data >= 0.0 else (-y).exp()  # the numerically stable branch

    step = assert_replays_like_the_engine(fn, [(2.0,)] * 3 + [(-2.0,)] * 4, [w],
                                          replays_expected=False)
    assert step.records == 2 and step.replays == 5


def test_max_of_values_picks_again_when_another_is_larger():
    a, b = parameters(1.0, 2.0)
    fn = lambda x: max(a * x, b) * 3  # noqa: E731
    step = assert_replays_like_the_engine(fn, [(1.0,), (1.0,), (1.5,), (5.0,), (6.0,), (7.0,)],
                                          [a, b], replays_expected=False)
    # Both sides of the comparison are followed (b is read afresh); 5.0 flips it.
    assert step.records == 2 and step.replays == 4


def test_a_number_fn_computes_from_its_inputs_is_replayed_not_frozen():
    w = Parameter(0.5)

    def fn(y, x):
        return (1 + -y * (w * x)).relu() + (1 - y) * w  # micrograd's demo loss, labels y

    assert_replays_like_the_engine(fn, [(1, 2.0), (-1, 2.0), (1, -0.5), (-1, 3.0), (1, 1.0)],
                                   [w])


def test_a_label_used_as_an_index_is_a_guard():
    scores = parameters(0.1, 0.5, 0.2)
    fn = lambda y: scores[y] * 2 - scores[0]  # noqa: E731
    step = assert_replays_like_the_engine(fn, [(1,), (1,), (1,), (2,), (2,), (2,)], scores,
                                          replays_expected=False)
    # y = 2 is another answer to the question "which index": recorded anew.
    assert step.records == 2 and step.replays == 4


def test_numbers_computed_from_the_graph_become_constants_of_the_replay():
    a, b, c = parameters(3.2, 5.1, -1.7)

    def fn(shift):
        scores = [a * shift, b, c]
        m = max(s.data for s in scores)  # log-sum-exp's shift: a number, not a node
        return sum((s - m).exp() for s in scores).log() + m - scores[0]

    assert_replays_like_the_engine(fn, [(1.0,), (1.0,), (1.1,), (0.9,), (1.2,)], [a, b, c],
                                   replays_expected=False)


def test_a_node_made_inside_no_grad_is_replayed_as_a_number_nothing_flows_through():
    w = Parameter(0.8)

    def fn(x):
        y = w * x
        with no_grad():
            scale = y.exp()  # computed from the graph, but not part of it
        return y * scale

    assert_replays_like_the_engine(fn, [(1.0,), (2.0,), (-3.0,), (0.5,)], [w])
    w.grad = 0.0
    autograd.compile(fn)(2.0)
    assert w.grad == 2.0 * math.exp(0.8 * 2.0)  # dL/dw = x * scale: nothing through scale


def test_a_graph_that_changes_at_every_call_runs_on_the_engine_after_a_warning():
    w = Parameter(1.0)
    calls = [(float(k),) for k in range(12)]

    def fn(k):
        return w ** int(k) if k > 0 else w  # a different exponent at every call

    with pytest.warns(CompileWarning, match="different graph every few calls"):
        step = assert_replays_like_the_engine(fn, calls, [w], replays_expected=False)
    assert step.fallback_reason is not None and "runs on the engine" in step.source


# ---------------------------------------------------------------- runs on the engine -------

def fallback(fn, calls, params, match):
    """Run ``fn`` compiled: it must warn once (``match``) and keep giving the engine's numbers."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        step = autograd.compile(fn)
        for args in calls:
            expected = run_engine(fn, args, params, [0.0] * len(params))
            assert run_step(step, args, params, [0.0] * len(params)) == expected
    messages = [str(w.message) for w in caught if issubclass(w.category, CompileWarning)]
    assert len(messages) == 1, messages
    assert match in messages[0], messages[0]
    assert step.fallback_reason is not None and step.replays == 0
    return messages[0]


def test_a_micrograd_style_tanh_computed_with_math_runs_on_the_engine():
    w = Parameter(0.4)

    def my_tanh(x):
        t = math.tanh(x.data)
        out = Value(t, (x,), "tanh")

        def _backward():
            x.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    message = fallback(lambda x: my_tanh(w * x) * 2, [(1.0,), (2.0,), (3.0,)], [w],
                       "float")
    assert "math function" in message


def test_a_closure_node_made_from_followed_numbers_runs_on_the_engine():
    w = Parameter(0.4)

    def double(x):
        out = Value(x.data * 2, (x,), "double")

        def _backward():
            x.grad += 2 * out.grad
        out._backward = _backward
        return out

    fallback(lambda x: double(w * x) + 1, [(1.0,), (2.0,), (3.0,)], [w], "micrograd-style node")


def test_a_custom_op_runs_on_the_engine():
    w = Parameter(0.4)

    def cube(x):
        return custom_op("cube", x.data ** 3, (x,), (3 * x.data ** 2,))

    fallback(lambda x: cube(w * x), [(1.0,), (2.0,), (3.0,)], [w], "custom operation 'cube'")


def test_a_backward_pass_inside_fn_runs_on_the_engine():
    w = Parameter(0.4)

    def penalty(x):
        y = (w * x) ** 2
        dy = autograd.grad(lambda v: (v * x) ** 2)(w)  # create_graph inside
        return y + dy * dy

    fallback(penalty, [(1.0,), (2.0,), (3.0,)], [w], "backward pass itself")


def test_a_number_turned_into_a_plain_float_runs_on_the_engine():
    w = Parameter(0.4)
    fallback(lambda x: w * math.exp((w * x).data), [(1.0,), (2.0,), (3.0,)], [w],
             "plain float")


def test_a_new_value_from_a_captured_number_runs_on_the_engine():
    w = Parameter(0.4)
    settings = {"scale": 2.0}
    fn = lambda x: w * x * Value(settings["scale"], label="scale")  # noqa: E731
    step = autograd.compile(fn)
    with pytest.warns(CompileWarning, match="new Value from a plain number at every call .'scale'"):
        for k in range(4):
            settings["scale"] = 2.0 + k  # what a replay would not see
            expected = run_engine(fn, (1.0,), [w], [0.0])
            assert run_step(step, (1.0,), [w], [0.0]) == expected
    assert step.replays == 0


def test_a_value_computed_before_the_call_runs_on_the_engine():
    w = Parameter(0.4)
    h = w * 3.0
    fallback(lambda x: h * x, [(1.0,), (2.0,)], [w], "computed before the step was called")


def test_assigning_to_data_inside_fn_runs_on_the_engine():
    w = Parameter(0.4)

    def fn(x):
        w.data = 0.5
        return w * x

    fallback(fn, [(1.0,), (2.0,)], [w], "assigns to .data")


def test_an_exponent_computed_from_the_graph_runs_on_the_engine():
    w = Parameter(1.5)
    fallback(lambda x: w ** (w * x).data, [(1.0,), (2.0,)], [w], "'**'")


def test_a_fallback_warns_once_and_names_where():
    w = Parameter(0.4)
    step = autograd.compile(lambda x: w * float(w * x))
    with pytest.warns(CompileWarning) as caught:
        for x in (1.0, 2.0, 3.0, 4.0):
            step(x)
    assert len(caught) == 1
    assert "test_compile.py" in str(caught[0].message)
    assert caught[0].filename == __file__


def test_no_grad_and_detect_anomaly_calls_run_on_the_engine():
    w = Parameter(0.4)
    step = autograd.compile(lambda x: (w * x).log())
    step(1.0)
    step(1.0)
    with autograd.detect_anomaly(), pytest.raises(autograd.AnomalyError):
        step(0.0)
    with no_grad():
        w.grad = 0.0
        assert step(2.0) == math.log(0.8)
        assert w.grad == 0.0  # no graph was built: nothing to backpropagate
    assert step.replays == 1 and step.fallback_reason is None


def test_a_step_called_inside_another_recording_is_recorded_by_it():
    w = Parameter(0.4)
    inner = autograd.compile(lambda x: w * x)
    outer = autograd.compile(lambda x: Value(inner(x)) * w)
    with pytest.warns(CompileWarning, match="backward pass itself"):
        for x in (1.0, 2.0, 3.0):
            outer(x)


def test_an_error_in_fn_propagates_and_leaves_the_parameters_as_they_were():
    w = Parameter(0.4)
    w.grad = 1.0

    def fn(x):
        y = w * x
        if x > 2:
            raise ValueError("bad input")
        return y

    step = autograd.compile(fn)
    step(1.0)
    step(1.0)
    with pytest.raises(ValueError, match="bad input"):
        step(3.0)
    assert w.data == 0.4 and type(w.data) is float and w.grad == 1.0 + 1.0 + 1.0


def test_nodes_fn_made_hold_plain_floats_after_recording():
    w = Parameter(0.4)
    kept = []

    def fn(x):
        y = w * x
        kept.append(y)
        return y.tanh()

    step = autograd.compile(fn)
    step(1.0)
    step(2.0)
    assert all(type(v.data) is float for v in kept)
    assert all(type(d) is float for v in kept for d in v.local_grads)
    assert type(w.data) is float


class Fragile(Parameter):
    """A parameter whose gradient writes are counted down in ``writes``: the one at 0 is
    interrupted (Ctrl-C), every other goes through."""

    __slots__ = ()
    writes = [-1]

    @property
    def grad(self):
        return Parameter.grad.__get__(self)

    @grad.setter
    def grad(self, g):
        self.writes[0] -= 1
        if self.writes[0] == 0:
            raise KeyboardInterrupt
        Parameter.grad.__set__(self, g)


def test_a_step_interrupted_while_writing_gradients_puts_every_old_one_back():
    a, b, c = Fragile(1.0), Fragile(2.0), Fragile(3.0)
    step = autograd.compile(lambda x: a * x + b * x + c * x)
    step(1.0)
    step(1.0)
    olds = [a.grad, b.grad, c.grad]
    Fragile.writes[0] = 3  # the third parameter's write is interrupted
    with pytest.raises(KeyboardInterrupt):
        step(5.0)
    assert [a.grad, b.grad, c.grad] == olds


def test_another_thread_using_the_parameters_while_a_step_records_is_not_recorded():
    import threading

    w = Parameter(0.5)
    seen = set()

    def other():
        seen.add(w.data * 2 > 0.5)  # a comparison another thread makes, not fn

    def fn(x):
        y = w * x
        thread = threading.Thread(target=other)  # runs while fn records
        thread.start()
        thread.join()
        return y

    step = autograd.compile(fn)
    for x in (1.0, 2.0, 3.0):
        assert step(x) == 0.5 * x
    assert seen == {True} and step.replays == 2 and "AGAIN" not in step.source


def test_random_draws_are_drawn_again_in_the_replay():
    import random

    w = Parameter(0.5)
    draws = random.Random(0)
    fn = lambda x: w * x * draws.random()  # noqa: E731
    step = autograd.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for x in (1.0, 2.0, 3.0, 4.0):
            state = draws.getstate()
            expected = run_engine(fn, (x,), [w], [0.0]), draws.getstate()
            draws.setstate(state)
            assert (run_step(step, (x,), [w], [0.0]), draws.getstate()) == expected
    assert step.replays == 3 and step.records == 1 and "random()" in step.source


def test_a_draw_the_compiler_cannot_repeat_runs_on_the_engine_and_the_warning_names_the_line():
    import random

    w = Parameter(0.5)
    draws = random.Random(0)
    fn = lambda x: w * x * draws.choice([1.0, 2.0])  # noqa: E731
    step = autograd.compile(fn)
    with pytest.warns(CompileWarning, match="draws random numbers at "
                      r"tests.compiled.test_compile.py:\d+: fn = lambda") as caught:
        for x in (1.0, 2.0, 3.0, 4.0):
            state = draws.getstate()
            expected = run_engine(fn, (x,), [w], [0.0])
            draws.setstate(state)
            assert run_step(step, (x,), [w], [0.0]) == expected
    assert step.replays == 0 and step.records == 1
    assert caught[0].filename == __file__


def test_the_generated_lines_show_in_tracebacks_while_the_step_lives():
    import linecache

    w = Parameter(0.5)
    step = autograd.compile(lambda x: (w * x).tanh(), backend="python")  # its generated code
    step(1.0)
    step(1.0)
    filename = step._latest.replay.function.__code__.co_filename
    assert linecache.getline(filename, 1).startswith("def replay(s, e, p, g, k):")
    del step  # freed by reference counting: nothing refers back to the replay
    assert filename not in linecache.cache
