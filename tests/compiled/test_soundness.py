"""The review's scenarios: a compiled step gives eager's numbers on every call, or falls back
with one warning naming the user's line. Never code from data, never a stale number."""

from __future__ import annotations

import math
import threading
import warnings

import pytest

import autograd
import nn
from autograd import CompileWarning, Parameter, Value
from nn import MLP, data, fit
from tests.compiled.agreement import agree, bits

# ---------------------------------------------------------------- code from data ------------

@pytest.mark.parametrize("label", ["w\nimport os; os._exit(3)", "w\rraise SystemExit(4)",
                                   "w #", "w\x00", "w\u2028x = 1", "'''\"\"\"\\"])
def test_labels_never_reach_the_generated_code(label):
    w = Parameter(0.5, label=label)

    def fn(x):
        y = w * x
        y.label = label + "\n1/0"  # a label set inside the step
        return y.tanh()

    step, caught = agree(fn, [(1.0,), (2.0,), (3.0,)], [w])
    assert not caught and step.replays == 2
    assert label not in step.source and "1/0" not in step.source
    compile(step.source, "<check>", "exec")


def test_a_file_name_with_a_newline_never_reaches_the_generated_code():
    w = Parameter(0.5)
    namespace = {"w": w}
    exec(compile("def fn(x):\n    y = w * x\n    return y if y > 0 else -y\n",
                 "cell\nimport os; os._exit(5)", "exec"), namespace)
    step, caught = agree(namespace["fn"], [(1.0,), (2.0,), (-1.0,), (3.0,)], [w])
    assert not caught and "\nimport os" not in step.source


# ---------------------------------------------------------------- silent wrong numbers ------

def test_zero_grad_inside_the_step_is_part_of_it():
    model = MLP(2, [3, 1], seed=0)

    def fn(x1, x2):
        model.zero_grad()
        return model([x1, x2]) ** 2

    params = model.parameters()
    step = autograd.compile(fn)
    for _ in range(6):
        step(1.0, -0.5)  # gradients do not pile up: each call zeroes them first
    expected = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    fn(1.0, -0.5).backward()
    assert [p.grad for p in params] == expected and step.replays == 5


def test_max_between_parameters_follows_both_sides():
    w1, w2 = Parameter(1.0), Parameter(2.0)

    def between(k):
        w1.data, w2.data = [(1.0, 2.0), (3.0, 2.0), (1.5, 2.5), (4.0, -1.0)][k % 4]

    agree(lambda x: max(w1, w2) * x, [(1.0,)] * 8, [w1, w2], between)


def test_train_and_eval_are_guarded():
    model = MLP(2, [4, 1], seed=0, dropout=1.0)  # training mode drops every unit, no draws

    def between(k):
        model.train([False, False, True, True, False, True][k])

    step, caught = agree(lambda a, b: model([a, b]), [(0.5, -1.0)] * 6, model.parameters(),
                         between)
    assert not caught and step.replays >= 2


def test_a_global_scale_factor_is_guarded():
    global SCALE
    w = Parameter(0.5)
    SCALE = 2.0

    def between(k):
        global SCALE
        SCALE = [2.0, 2.0, 3.0, 0.5][k % 4]

    step, caught = agree(lambda x: w * x * SCALE, [(1.0,)] * 8, [w], between)
    assert not caught and step.replays >= 2


def test_a_closure_number_is_guarded():
    w = Parameter(0.5)
    settings = {"scale": 2.0}

    def between(k):
        settings["scale"] = [2.0, 2.0, 3.0, 0.5][k % 4]

    step, caught = agree(lambda x: w * x * settings["scale"], [(1.0,)] * 8, [w], between)
    assert not caught


def test_a_value_read_only_through_data_is_followed():
    w, gate = Parameter(0.5), Parameter(1.0)

    def between(k):
        gate.data = [1.0, 1.0, -1.0, 2.0][k % 4]

    agree(lambda x: w * x * gate.data if gate.data > 0 else w - x, [(1.0,)] * 8, [w],
          between)


def test_a_replaced_layer_and_a_reloaded_model_record_anew(tmp_path):
    holder = {"model": MLP(2, [3, 1], seed=0)}
    other = MLP(2, [3, 1], seed=1)
    path = tmp_path / "m.json"
    other.save(path)

    def fn(a, b):
        return holder["model"]([a, b]) ** 2

    step = autograd.compile(fn)
    for _ in range(3):
        step(1.0, 2.0)
    holder["model"].layers[0] = other.layers[0]  # a replaced layer
    for p in holder["model"].parameters():
        p.grad = 0.0
    assert step(1.0, 2.0) == fn(1.0, 2.0).data
    holder["model"] = nn.load(path)  # a reloaded model
    assert step(1.0, 2.0) == fn(1.0, 2.0).data


def test_one_weight_replaced_in_a_neurons_list_records_anew():
    model = MLP(2, [3, 1], seed=0)

    def fn(a, b):
        return model([a, b]) ** 2

    step = autograd.compile(fn)
    for _ in range(3):
        step(1.0, 2.0)
    neuron = model.layers[0].neurons[1]
    neuron.w[0] = Parameter(5.0)  # a new Value in the list: the replay must read it
    assert step(1.0, 2.0) == fn(1.0, 2.0).data
    assert step.records == 2
    neuron.w[1] = 2.5  # a plain number among the Values: walked item by item
    assert step(1.0, 2.0) == fn(1.0, 2.0).data
    assert step.records == 3


def test_str_and_isinstance_of_a_followed_number_fall_back_or_agree():
    w = Parameter(0.5)

    def fn(x):
        y = w * x
        return y * 2 if str(y.data).startswith("1") else y

    step, caught = agree(fn, [(2.0,), (2.0,), (3.0,), (2.0,)], [w])
    assert len(caught) == 1 and "into text" in str(caught[0].message)


def test_divmod_and_real_of_a_followed_number_fall_back():
    w = Parameter(0.5)
    for fn in (lambda x: w * divmod((w * x).data, 1.0)[0],
               lambda x: w * (w * x).data.real):
        step, caught = agree(fn, [(2.0,), (3.0,), (5.0,)], [w])
        assert len(caught) == 1


def test_plain_numbers_in_has_aux_are_not_frozen():
    w = Parameter(0.5)
    counter = [0]

    def fn(x):
        counter[0] += 1
        return w * x, counter[0] * 1.0

    step = autograd.compile(fn, has_aux=True)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        answers = [step(1.0)[1] for _ in range(4)]
    assert answers == [1.0, 2.0, 3.0, 4.0]


def test_a_complex_result_raises_as_eager_does():
    w = Parameter(2.0)
    fn = lambda x: w * Value(x ** 0.5)  # noqa: E731  a negative x gives a complex number
    step = autograd.compile(fn)
    step(4.0)
    step(9.0)
    with pytest.raises(TypeError):
        fn(-4.0)
    with pytest.raises(TypeError):
        step(-4.0)


def test_numpy_scalars_and_odd_subclasses_are_their_numbers():
    np = pytest.importorskip("numpy")

    class Odd(float):
        def __repr__(self):
            return "1/0"

    class OddInt(int):
        def __int__(self):
            return 7

    w = Parameter(0.5)
    fn = lambda x, n: w * x * n + w  # noqa: E731
    step = autograd.compile(fn)
    for x, n in [(np.float64(1.5), 2), (Odd(2.5), OddInt(3)), (np.float64(-1.0), np.int64(4)),
                 (Odd(0.5), 1), (1.0, 2), (np.float64(2.0), 3)]:
        w.grad = 0.0
        loss = step(x, n)
        assert loss == 0.5 * float(x) * int.__index__(n) + 0.5 if not isinstance(n, np.integer) \
            else loss == 0.5 * float(x) * int(n) + 0.5
        assert type(loss) is float


# ---------------------------------------------------------------- faults ------------------

def test_another_thread_sees_only_floats_while_a_step_records():
    w = Parameter(0.5)
    kinds = set()

    def fn(x):
        y = w * x
        thread = threading.Thread(target=lambda: kinds.add(type(w.data)))
        thread.start()
        thread.join()
        return y * w

    step = autograd.compile(fn)
    for _ in range(3):
        step(1.0)
    assert kinds == {float}


@pytest.mark.parametrize("at", [1, 5, 20, 60, 150, 400, 900, 2000])
def test_ctrl_c_anywhere_in_a_recording_leaves_plain_floats_and_raises_keyboard_interrupt(at):
    import sys

    model = MLP(2, [3, 1], seed=0)
    step = autograd.compile(lambda a, b: model([a, b]) ** 2)
    events = [0]

    def interrupt(frame, event, arg):  # Ctrl-C at the at-th call or return, wherever it is
        events[0] += 1
        if events[0] == at:
            raise KeyboardInterrupt

    sys.setprofile(interrupt)
    try:
        step(1.0, 2.0)
    except KeyboardInterrupt:
        pass
    finally:
        sys.setprofile(None)
    for p in model.parameters():
        assert type(p.data) is float and type(p) is autograd.Parameter
    assert all(type(v) is float for v in model.state_dict().values())
    for p in model.parameters():
        p.grad = 0.0
    expected = (model([1.0, 2.0]) ** 2)
    expected.backward()
    grads = [p.grad for p in model.parameters()]
    for p in model.parameters():
        p.grad = 0.0
    assert step(1.0, 2.0) == expected.data and [p.grad for p in model.parameters()] == grads


# ---------------------------------------------------------------- cost --------------------

def _source_lines(batch: int) -> int:
    model = MLP(2, [8, 8, 1], seed=0)
    X, y = data.make_moons(batch, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    from nn.objective import Objective  # fit's batch objective: the mean loss, predictions

    objective = Objective(model, nn.hinge_loss, model.parameters(), 0.0, 0.0, 0.0)
    step = autograd.compile(lambda X, y: objective(X, y), has_aux=True)
    for _ in range(3):
        step([list(x) for x in X], y)
    assert step.replays >= 1
    return step.source.count("\n")


def test_generated_code_does_not_grow_with_the_batch():
    assert _source_lines(10) == _source_lines(100)


def test_minibatches_of_any_size_share_one_compiled_function():
    X, y = data.make_moons(70, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    results = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            fit(model, X, y, loss=nn.hinge_loss, epochs=3, batch_size=32, seed=1,
                progress=False, optimizer=nn.SGD(model.parameters(), lr=0.3), compile=compile)
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]


def test_dropout_in_a_compiled_fit_gives_eagers_numbers_for_every_seed():
    X, y = data.make_moons(12, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    for seed in range(8):
        results = []
        for compile in (False, True):
            model = MLP(2, [4, 1], seed=seed, dropout=0.5)
            with warnings.catch_warnings():
                warnings.simplefilter("error", CompileWarning)  # and never falls back
                fit(model, X, y, loss=nn.hinge_loss, epochs=3, batch_size=1, seed=seed,
                    progress=False, optimizer=nn.SGD(model.parameters(), lr=0.3),
                    compile=compile)
            results.append([bits(p.data) for p in model.parameters()])
        assert results[0] == results[1], seed


def test_randrange_draws_are_never_frozen():
    import random

    w = Parameter(0.5)
    rng = random.Random(0)
    fn = lambda x: w * x * rng.randrange(1, 100)  # noqa: E731
    step = autograd.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        for _ in range(8):
            state = rng.getstate()
            expected = fn(1.0).data, rng.getstate()
            rng.setstate(state)
            assert (step(1.0), rng.getstate()) == expected
    assert step.records == 1 and step.replays == 7


def test_two_recordings_drawing_the_same_number_never_freeze_it():
    import random

    w = Parameter(0.5)
    rng = random.Random(0)
    fn = lambda x: w * x * random.choice([2, 2]) * rng.randint(1, 2)  # noqa: E731
    step = autograd.compile(fn)
    random.seed(1)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for _ in range(6):
            state, module_state = rng.getstate(), random.getstate()
            expected = fn(1.0).data, rng.getstate()
            rng.setstate(state)
            random.setstate(module_state)
            assert (step(1.0), rng.getstate()) == expected


def test_a_warning_from_fit_names_the_users_line_and_no_fn():
    X, y = data.make_moons(10, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    model = MLP(2, [4, 1], seed=0)
    loss = lambda p, t: nn.hinge_loss(p, t) * float(p.data)  # noqa: E731  (a plain float)
    with pytest.warns(CompileWarning) as caught:
        fit(model, X, y, loss=loss, epochs=2, progress=False, compile=True,
            optimizer=nn.SGD(model.parameters(), lr=0.3))
    message = str(caught[0].message)
    assert "test_soundness.py" in message and " fn " not in message and "fn's" not in message
    assert caught[0].filename == __file__
    assert not math.isnan(len(message))


def test_a_parameter_used_only_beside_the_loss_keeps_its_grad():
    # (found by the fuzzer) backward reaches only what the loss depends on
    w, v = Parameter(0.5), Parameter(2.0)

    def fn(x):
        v * x  # made, but the loss does not depend on it
        return (w * x).tanh()

    for start in (None, math.nan, 1.5):
        v.grad = start
        step = autograd.compile(fn)
        for x in (1.0, 2.0, 3.0):
            step(x)
        assert repr(v.grad) == repr(start)
