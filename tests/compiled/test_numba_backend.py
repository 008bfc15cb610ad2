"""autograd.compile(backend="numba"): the Numba kernel gives the engine's numbers bit for bit, for
every operation in the registry, every activation and loss, and 100 steps of the demo; without
Numba, "auto" says it runs on Python and "numba" says how to install it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import CompileWarning, Parameter, Value, dot
from autograd.compiled import numba_backend
from autograd.core import floatmath
from autograd.core.rules import RULES
from autograd.core.value import identity

ROOT = Path(__file__).resolve().parents[2]
numba = pytest.importorskip("numba", reason="the fast extra: pip install backprop-lab[fast]")

#: Numbers where IEEE semantics show: zeros of both signs, infinities, nan, tiny and huge.
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, -1e300, 1e308, math.inf, -math.inf,
           math.nan, 2.0 ** 64]


def same(x: object, y: object) -> bool:
    """Equal by repr (a nan is a nan: its sign is not the engine's to keep either)."""
    return repr(x) == repr(y)


def engine_and_numba(fn, calls, params):
    """Loss and every gradient, by repr, from the engine and from the Numba step, call by call
    (the first call records on the engine; the others run the kernel)."""
    step = autograd.compile(fn, backend="numba")
    for args in calls:
        for p in params:
            p.grad = 0.0
        loss = fn(*args)
        loss.backward()
        expected = [repr(loss.data)] + [repr(p.grad) for p in params]
        for p in params:
            p.grad = 0.0
        got = step(*args)
        assert [repr(got)] + [repr(p.grad) for p in params] == expected, (args, step)
    return step


# ---------------------------------------------------------------- every rule --------------

#: How a step applies each operation of the registry to two numbers of an example.
APPLY = {
    "+": lambda u, v: u + v,
    "-": lambda u, v: u - v,
    "*": lambda u, v: u * v,
    "/": lambda u, v: u / v,
    "neg": lambda u, v: -u,
    "**": lambda u, v: u ** v,
    "**n": lambda u, v: u ** 3 + u ** 0 + u ** -0.5 + u ** 2.0,
    "abs": lambda u, v: abs(u),
    "exp": lambda u, v: u.exp(),
    "log": lambda u, v: u.log(),
    "tanh": lambda u, v: u.tanh(),
    "sigmoid": lambda u, v: u.sigmoid(),
    "softplus": lambda u, v: u.softplus(),
    "relu": lambda u, v: u.relu() * v,  # a large or infinite gradient must not pass a dead relu
    "step": lambda u, v: u.step() * v + u,
    "sin": lambda u, v: u.sin(),
    "cos": lambda u, v: u.cos(),
    "sqrt": lambda u, v: u.sqrt(),
    "id": lambda u, v: identity(u) * v,
    "dot": lambda u, v: dot([u, v, u], [v, u, 2.0], v),
}


def test_every_rule_of_the_registry_has_a_step_here():
    assert set(APPLY) == set(RULES)


def _batches():
    pairs = [(x, y) for x in SPECIAL for y in SPECIAL]
    return [pairs[i:i + 14] for i in range(0, len(pairs), 14)]


@pytest.mark.parametrize("op", sorted(RULES))
@pytest.mark.parametrize("joined", ["dot", "sum"])
def test_every_rule_runs_on_the_kernel_bitwise_on_special_numbers(op, joined):
    w1, w2 = Parameter(0.75), Parameter(-1.5)

    def loss(X):
        losses = [APPLY[op](w1 * x1, w2 + x2) for x1, x2 in X]
        if joined == "dot":  # the mean as one node: the kernel loops one example's template
            return dot(losses, [1.0 / len(losses)] * len(losses))
        return sum(losses)  # a chain of additions: the kernel runs the recording as it is

    step = engine_and_numba(loss, [(b,) for b in _batches()], [w1, w2])
    assert step.backend == "numba" and "numba" in repr(step) and step.replays > 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(allow_nan=True), st.floats(allow_nan=True)), min_size=2,
                max_size=5), st.sampled_from(sorted(RULES)))
def test_every_rule_runs_on_the_kernel_bitwise_on_any_floats(batch, op):
    w1, w2 = Parameter(1.25), Parameter(0.5)
    step = engine_and_numba(
        lambda X: dot([APPLY[op](w1 * x1, w2 + x2) for x1, x2 in X], [0.5] * len(X)),
        [(batch,), (batch,), (batch,)], [w1, w2])
    assert step.backend == "numba"


# ---------------------------------------------------------------- the float helpers -------

HELPERS = ["div", "power", "exp", "log", "sqrt", "sin", "cos", "sigmoid", "softplus", "sign",
           "tanh"]


def _engine_helper(name):
    return math.tanh if name == "tanh" else getattr(floatmath, name)


@pytest.mark.parametrize("name", HELPERS)
def test_each_compiled_helper_gives_floatmaths_float_on_special_numbers(name):
    compiled = getattr(numba_backend.kernel(), name)
    engine = _engine_helper(name)
    arity = 2 if name in ("div", "power") else 1
    args = [(x, y) for x in SPECIAL for y in SPECIAL] if arity == 2 else [(x,) for x in SPECIAL]
    args += [(x, y) for x in (-8.0, -0.5, 0.0, 2.0) for y in (-3.0, -2.0, 0.5, 1e300, -1e300)
             ][:len(args) if arity == 2 else 0]
    for a in args:
        assert same(compiled(*a), engine(*a)), (name, a)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True), st.floats(allow_nan=True), st.sampled_from(HELPERS))
def test_each_compiled_helper_matches_the_engine_on_any_floats(x, y, name):
    compiled = getattr(numba_backend.kernel(), name)
    args = (x, y) if name in ("div", "power") else (x,)
    assert same(compiled(*args), _engine_helper(name)(*args))


# ---------------------------------------------------------------- activations and losses --

@pytest.mark.parametrize("activation", sorted(nn.module.ACTIVATIONS))
def test_every_activation_trains_bitwise_on_the_kernel(activation):
    X, y = nn.data.make_moons(12, noise=0.2, seed=1)
    model = nn.MLP(2, [5, 4, 1], activation=activation, seed=3)
    params = model.parameters()

    def objective(X, y):
        losses = [nn.mse_loss(model(x), t) for x, t in zip(X, y)]
        return dot(losses, [1.0 / len(losses)] * len(losses)) + 1e-3 * nn.l2_penalty(params)

    rows = [list(map(float, x)) for x in X]
    labels = [float(t) for t in y]
    step = engine_and_numba(objective, [(rows, labels)] * 3, params)
    assert step.backend == "numba", repr(step)


LOSSES = {
    "mse_loss": (lambda out, t: nn.mse_loss(out[0], t), 1),
    "hinge_loss (a score)": (lambda out, t: nn.hinge_loss(out[0], 2.0 * t - 1.0), 1),
    "bce_with_logits": (lambda out, t: nn.bce_with_logits(out[0], t), 1),
    "binary_cross_entropy": (lambda out, t: nn.binary_cross_entropy(out[0].sigmoid(), t), 1),
    "cross_entropy": (lambda out, t: nn.cross_entropy(out, int(t)), 2),
    "hinge_loss (classes)": (lambda out, t: nn.hinge_loss(out, int(t)), 2),
    "l1_penalty": (lambda out, t: nn.mse_loss(out[0], t) + nn.l1_penalty(out), 1),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_trains_bitwise_on_the_kernel(name):
    loss, outputs = LOSSES[name]
    X, y = nn.data.make_moons(10, noise=0.2, seed=2)
    model = nn.MLP(2, [4, outputs], activation="tanh", seed=5)
    rows = [list(map(float, x)) for x in X]
    labels = [float(t) for t in y]

    def objective(X, y):
        out = [model(x) for x in X]
        out = [o if isinstance(o, list) else [o] for o in out]
        losses = [loss(o, t) for o, t in zip(out, y)]
        return dot(losses, [1.0 / len(losses)] * len(losses))

    step = engine_and_numba(objective, [(rows, labels)] * 3, model.parameters())
    assert step.backend == "numba", repr(step)  # the losses' questions are guards it checks


# ---------------------------------------------------------------- the demo ----------------

def test_one_hundred_demo_steps_are_the_engines_bit_for_bit():
    sys.path.insert(0, str(ROOT))
    try:
        from bench.moons import make_moons
        from bench.workloads import hinge_loss, learning_rate
    finally:
        sys.path.remove(str(ROOT))
    points, labels = make_moons(100)
    engine_model = nn.MLP(2, [16, 16, 1], seed=0)
    numba_model = nn.MLP(2, [16, 16, 1], seed=0)
    step = autograd.compile(lambda X, y: hinge_loss(numba_model, X, y, Value), backend="numba")
    for k in range(100):
        loss = hinge_loss(engine_model, points, labels, Value)
        engine_model.zero_grad()
        loss.backward()
        numba_model.zero_grad()
        got = step(points, labels)
        assert repr(got) == repr(loss.data), k
        for a, b in zip(engine_model.parameters(), numba_model.parameters()):
            assert repr(a.grad) == repr(b.grad), k
            a.data -= learning_rate(k) * a.grad
            b.data -= learning_rate(k) * b.grad
    assert step.backend == "numba" and step.replays == 99


# ---------------------------------------------------------------- what it does not run ----

def _no_python(monkeypatch, step):
    monkeypatch.setattr(step._latest.replay, "python",
                        lambda *args: pytest.fail("the Python replay ran, not the kernel"))


def test_int_labels_run_on_the_kernel_with_the_engines_numbers(monkeypatch):
    w = Parameter(0.5)
    fn = lambda X, y: dot([(w * x).tanh() * -t for x, t in zip(X, y)], [0.5] * len(X))  # noqa
    step = engine_and_numba(fn, [([1.0, 2.0], [1, -1]), ([1.5, 2.5], [-1, 1])], [w])
    _no_python(monkeypatch, step)
    engine_and_numba(fn, [([3.0, -2.0], [1, 1])], [w])  # (a new step: the engine's numbers)
    assert repr(step([3.0, -2.0], [1, 1])) == repr(fn([3.0, -2.0], [1, 1]).data)


def test_an_int_result_or_a_grad_of_none_runs_on_the_python_replay_exactly():
    w = Parameter(0.5)

    def fn(X, y):
        return dot([(w * x).tanh() * t for x, t in zip(X, y)], [0.5] * len(X)), [-t for t in y]

    step = autograd.compile(fn, has_aux=True, backend="numba")
    for _ in range(3):
        w.grad = None
        loss, aux = step([1.0, 2.0], [1, -1])
        assert aux == [-1, 1] and all(type(a) is int for a in aux)  # the engine's ints
        assert repr(loss) == repr(fn([1.0, 2.0], [1, -1])[0].data) and w.grad is not None
    assert step.backend == "numba"


class Odd(float):
    """A float of a class of its own: the engine keeps it, the kernel would read its number."""


#: (a parameter's number, its .grad before the step, the inputs, whether the kernel runs it)
KERNEL_TAKES = {
    "floats": (0.5, 0.0, [1.0, 2.0], True),
    "small int inputs": (0.5, 0.0, [1, 2], True),
    "an int number": (2, 0.0, [1.0, 2.0], False),
    "a bool number": (True, 0.0, [1.0, 2.0], False),
    "a float subclass's number": (Odd(0.5), 0.0, [1.0, 2.0], False),
    "an int .grad": (0.5, 0, [1.0, 2.0], False),
    "a .grad of None": (0.5, None, [1.0, 2.0], False),
    "a float subclass's .grad": (0.5, Odd(-0.0), [1.0, 2.0], False),
    "an int input too large to stay exact": (0.5, 0.0, [1, numba_backend.INT_INPUTS], False),
}


@pytest.mark.parametrize(("data", "grad", "X", "on_kernel"), KERNEL_TAKES.values(),
                         ids=KERNEL_TAKES.keys())
def test_numbers_the_kernel_cannot_take_exactly_run_on_the_python_replay(
        monkeypatch, data, grad, X, on_kernel):
    w, b = Parameter(0.5), Parameter(-0.25)
    fn = lambda X: dot([(w * x + b).tanh() for x in X], [0.5] * len(X))  # noqa: E731
    step = autograd.compile(fn, backend="numba")
    for _ in range(2):  # a record for these inputs' types, and a replay of it
        step(X)
    python = step._latest.replay.python
    ran = []
    monkeypatch.setattr(step._latest.replay, "python", lambda *a: ran.append(a) or python(*a))
    w.data = data
    w.grad, b.grad = grad, 0.0
    loss = fn(X)
    loss.backward()
    expected = [repr(loss.data), repr(w.grad), repr(b.grad)]
    w.grad, b.grad = grad, 0.0
    assert [repr(step(X)), repr(w.grad), repr(b.grad)] == expected and step.replays == 2
    assert bool(ran) is not on_kernel


def test_what_the_kernel_does_not_run_stays_on_python_with_a_warning_naming_it():
    w = Parameter(0.5)
    with pytest.warns(CompileWarning, match="the Numba kernel does not run .*'%'"):
        step = engine_and_numba(lambda x: w * (x % 3.0), [(1.0,), (2.0,), (4.0,)], [w])
    assert step.backend == "python" and "'%'" in repr(step)


def test_auto_runs_on_numba_where_it_is_installed():
    w = Parameter(0.5)
    step = autograd.compile(lambda x: (w * x).tanh())
    step(1.0)
    assert step.backend == "numba" and repr(step).startswith("CompiledStep(<lambda>, numba,")


def test_without_numba_auto_picks_python_and_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba raises ImportError
    w = Parameter(0.5)
    step = autograd.compile(lambda x: (w * x).tanh())
    assert step(1.0) == step(1.0) == math.tanh(0.5)
    assert step.backend == "python"
    assert "Numba is not installed (pip install backprop-lab[fast] installs it)" in repr(step)


def test_without_numba_asking_for_it_is_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    with pytest.raises(ImportError, match=r"pip install backprop-lab\[fast\]"):
        autograd.compile(lambda x: x, backend="numba")


def test_an_unknown_backend_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="'auto', 'numba', 'python'"):
        autograd.compile(lambda x: x, backend="cuda")


def test_the_kernel_is_cached_in_the_users_cache_folder_for_the_next_process(tmp_path):
    program = ("import autograd; from autograd import Parameter\n"
               "w = Parameter(0.5); s = autograd.compile(lambda x: (w * x).tanh())\n"
               "s(1.0); s(2.0); print(s.backend)\n")
    env = {**os.environ, "BACKPROP_LAB_CACHE": str(tmp_path), "PYTHONPATH": str(ROOT)}
    runs = [subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                           env=env, timeout=600) for _ in range(2)]
    assert runs[0].stdout.startswith("autograd.compile: building the Numba kernel"), runs
    assert runs[0].stdout.endswith("numba\n") and runs[1].stdout == "numba\n", runs
    assert runs[0].stderr == runs[1].stderr == ""  # the second loaded the kernel it cached
    assert list((tmp_path / "numba" / "__pycache__").glob("kernel_*.nbi"))


@pytest.mark.filterwarnings("error::autograd.CompileWarning")  # numba's step runs on numba
@pytest.mark.parametrize("compile", [False, True, "auto", "python", "numba"])
def test_fit_compiled_by_either_backend_trains_as_the_engine_does(compile):
    X, y = nn.data.make_moons(30, noise=0.1, seed=0)
    y = [2.0 * t - 1.0 for t in y]
    model = nn.MLP(2, [8, 8, 1], seed=0)
    history = nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(model.parameters(),
                     lr=0.3), epochs=4, batch_size=10, l2=1e-4, seed=0, progress=False,
                     compile=compile)
    reference = nn.MLP(2, [8, 8, 1], seed=0)
    expected = nn.fit(reference, X, y, loss=nn.hinge_loss, optimizer=nn.SGD(
        reference.parameters(), lr=0.3), epochs=4, batch_size=10, l2=1e-4, seed=0,
        progress=False)
    assert repr(history.loss) == repr(expected.loss)
    assert repr(history.accuracy) == repr(expected.accuracy)
    assert [repr(p.data) for p in model.parameters()] == \
        [repr(p.data) for p in reference.parameters()]


def test_fit_refuses_an_unknown_backend():
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="backend must be one of"):
        nn.fit(model, [[0.0, 1.0]], [1.0], loss=nn.mse_loss,
               optimizer=nn.SGD(model.parameters(), lr=0.1), epochs=1, compile="fast")


def test_a_cache_folder_it_cannot_write_keeps_the_step_on_python_saying_where(monkeypatch,
                                                                               tmp_path):
    monkeypatch.setattr(numba_backend, "_module", None)  # as in a new process
    monkeypatch.setenv("BACKPROP_LAB_CACHE", str(tmp_path / "a-file"))
    (tmp_path / "a-file").write_text("not a folder")
    w = Parameter(0.5)
    with pytest.warns(CompileWarning, match="could not be written to .*a-file.*BACKPROP_LAB"):
        step = engine_and_numba(lambda x: (w * x).tanh(), [(1.0,), (2.0,)], [w])
    assert step.backend == "python"
