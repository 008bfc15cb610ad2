"""Compiled training steps on nn's models: every activation and loss, minibatches of changing
size, parameters updated between calls, all bit for bit the engine's; and fit(compile=True)
reaching exactly the parameters fit reaches."""

from __future__ import annotations

import random
import struct
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from nn import MLP, data, fit

ACTIVATIONS = ["relu", "tanh", "sigmoid", "linear"]


def bits(x):
    if isinstance(x, float):
        return "nan" if x != x else struct.pack("<d", x)
    return x


def check(model, loss_of, batches, l1=0.0, l2=1e-3, lr=0.1):
    """For each batch ``(X, y)``: the compiled step and the engine give the same loss and
    gradients, bit for bit; then SGD moves the parameters, so every call sees new ones."""
    params = model.parameters()

    def objective(X, y):
        losses = [loss_of(model(x), t) for x, t in zip(X, y)]
        total = autograd.dot(losses, [1.0 / len(losses)] * len(losses))
        if l1:
            total = total + l1 * nn.l1_penalty(params)
        if l2:
            total = total + l2 * nn.l2_penalty(params)
        return total

    step = autograd.compile(objective)
    for X, y in batches:
        model.zero_grad()
        loss = objective(X, y)
        loss.backward()
        expected = [bits(loss.data)] + [bits(p.grad) for p in params]
        model.zero_grad()
        got = [bits(step(X, y))] + [bits(p.grad) for p in params]
        assert got == expected, step.source
        for p in params:
            p.data -= lr * p.grad
    return step


def batches(nin, sizes, label, seed=0):
    rng = random.Random(seed)
    return [([[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)],
             [label(rng) for _ in range(n)]) for n in sizes]


def epochs(nin, label, seed=0):
    """Minibatches of 4 and 3 examples (the last of an epoch smaller), each seen again and
    again, with the parameters changing in between."""
    four, three = batches(nin, [4, 3], label, seed)
    return [four, four, four, three, three, four, three, four, three]


# ---------------------------------------------------------------- losses and activations ----

def softmax_nll(scores, t):
    return -nn.softmax(scores)[t].log()


def log_softmax_nll(scores, t):
    return -nn.log_softmax(scores)[t]


def binary_bce(score, t):
    return nn.binary_cross_entropy(score.sigmoid(), t)


LOSSES = {
    # name: (loss, outputs, label maker)
    "mse": (nn.mse_loss, 1, lambda r: r.uniform(-1, 1)),
    "mse vector": (nn.mse_loss, 2, lambda r: [r.uniform(-1, 1), r.uniform(-1, 1)]),
    "binary_cross_entropy": (binary_bce, 1, lambda r: r.choice([0, 1])),
    "bce_with_logits": (nn.bce_with_logits, 1, lambda r: r.choice([0.0, 1.0])),
    "cross_entropy": (nn.cross_entropy, 3, lambda r: r.randrange(3)),
    "softmax": (softmax_nll, 3, lambda r: r.randrange(3)),
    "log_softmax": (log_softmax_nll, 3, lambda r: r.randrange(3)),
    "hinge multiclass": (nn.hinge_loss, 3, lambda r: r.randrange(3)),
    "hinge binary": (nn.hinge_loss, 1, lambda r: r.choice([-1, 1])),
}


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_and_activation_replays_the_engines_step(loss, activation):
    loss_of, outputs, label = LOSSES[loss]
    model = MLP(3, [5, outputs], activation=activation, seed=1)
    step = check(model, loss_of, epochs(3, label), l1=1e-3)
    assert step.fallback_reason is None and step.replays >= 1, step


@pytest.mark.parametrize("nouts", [[1], [4, 1], [8, 8, 1], [3, 6, 2, 3]], ids=str)
def test_mlps_of_several_shapes_replay_the_engines_step(nouts):
    loss = nn.mse_loss if nouts[-1] == 1 else nn.cross_entropy
    label = (lambda r: r.uniform(-1, 1)) if nouts[-1] == 1 else (lambda r: r.randrange(nouts[-1]))
    step = check(MLP(2, nouts, seed=2), loss, epochs(2, label, seed=3), lr=0.01)
    assert step.fallback_reason is None and step.replays >= 3, step


def test_a_full_batch_step_replays_once_recorded():
    model = MLP(2, [6, 1], seed=0)
    batch = batches(2, [12], lambda r: r.choice([-1, 1]))
    step = check(model, nn.hinge_loss, batch * 8)
    assert (step.records, step.replays) == (1, 7)


@settings(max_examples=15)
@given(st.lists(st.lists(st.floats(-3, 3), min_size=2, max_size=2), min_size=1, max_size=5),
       st.integers(0, 2 ** 16))
def test_any_inputs_replay_the_engines_step(X, seed):
    rng = random.Random(seed)
    y = [rng.choice([-1, 1]) for _ in X]
    check(MLP(2, [3, 1], seed=seed), nn.hinge_loss, [(X, y)] * 4)


def test_a_model_with_one_input_takes_plain_numbers():
    check(MLP(1, [4, 1], activation="tanh", seed=0), nn.mse_loss,
          [([0.5, -1.0, 2.0], [0.1, 0.2, 0.3])] * 4 + [([1.5], [0.7])] * 3)


@pytest.mark.parametrize("loss", [nn.cross_entropy, nn.hinge_loss])
def test_minibatches_whose_labels_change_every_call_replay_a_variant_per_label(loss):
    model = MLP(2, [4, 3], seed=0)
    shuffled = batches(2, [4] * 12, lambda r: r.randrange(3), seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", autograd.CompileWarning)
        step = check(model, loss, shuffled)
    assert step.replays >= 8 and "def variant2(" in step.source  # (a new label: recorded)


# ---------------------------------------------------------------- fit(compile=True) ---------

def trained(compile, **options):
    X, y = data.make_moons(40, noise=0.1, seed=0)
    labels = options.pop("labels", [2 * t - 1 for t in y])
    model = MLP(2, options.pop("nouts", [8, 1]), activation=options.pop("activation", "relu"),
                seed=0)
    optimizer = options.pop("optimizer", nn.SGD)(model.parameters(), lr=0.3)
    history = fit(model, X, labels, optimizer=optimizer, progress=False, compile=compile,
                  **{"loss": nn.hinge_loss, "epochs": 6, "seed": 5, **options})
    return [bits(p.data) for p in model.parameters()], history


# Shuffled minibatches of changing labels make some of these run on the engine after a warning
# (see above): the numbers are the same either way.
@pytest.mark.filterwarnings("ignore::autograd.CompileWarning")
@pytest.mark.parametrize("options", [
    {},
    {"batch_size": 16, "l2": 1e-3},
    {"batch_size": 1, "l1": 1e-3, "epochs": 2},
    {"batch_size": 12, "loss": nn.bce_with_logits, "labels": [0, 1] * 20, "optimizer": nn.Adam},
    {"batch_size": 7, "loss": nn.cross_entropy, "labels": [0, 1, 2, 1] * 10, "nouts": [5, 3],
     "activation": "tanh"},
    {"loss": nn.mse_loss, "labels": [0.1 * k for k in range(40)], "activation": "sigmoid",
     "lr_schedule": lambda k: 0.3 / (1 + k)},
], ids=["full batch", "minibatches + l2", "stochastic + l1", "bce_with_logits + Adam",
        "cross_entropy", "mse"])
def test_compiled_fit_reaches_the_very_parameters_fit_reaches(options):
    engine, engine_history = trained(False, **dict(options))
    compiled, compiled_history = trained(True, **dict(options))
    assert compiled == engine
    assert compiled_history.loss == engine_history.loss
    assert compiled_history.accuracy == engine_history.accuracy


def test_compiled_fit_measures_the_test_split_as_fit_does():
    X, y = data.make_moons(30, noise=0.1, seed=1)
    y = [2 * t - 1 for t in y]
    histories = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=0)
        histories.append(fit(model, X[:20], y[:20], loss=nn.hinge_loss, epochs=3,
                             optimizer=nn.SGD(model.parameters(), lr=0.5),
                             test=(X[20:], y[20:]), progress=False, compile=compile))
    assert histories[0] == histories[1]


def test_compiled_fit_takes_numpy_rows():
    np = pytest.importorskip("numpy")
    X, y = data.make_moons(20, noise=0.1, seed=2)
    y = [2 * t - 1 for t in y]
    results = []
    for compile, inputs in ((False, X), (True, [np.array(row) for row in X])):
        model = MLP(2, [4, 1], seed=0)
        fit(model, inputs, y, loss=nn.hinge_loss, epochs=3, batch_size=8, progress=False, seed=0,
            optimizer=nn.SGD(model.parameters(), lr=0.5), compile=compile)
        results.append([p.data for p in model.parameters()])
    assert results[0] == results[1]


@pytest.mark.filterwarnings("ignore::autograd.CompileWarning")
def test_dropout_draws_new_masks_so_a_compiled_fit_runs_on_the_engine_to_fits_numbers():
    X, y = data.make_moons(30, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    results = []
    for compile in (False, True):
        model = MLP(2, [8, 8, 1], seed=0, dropout=0.3)
        fit(model, X, y, loss=nn.hinge_loss, epochs=6, progress=False, compile=compile,
            optimizer=nn.SGD(model.parameters(), lr=0.3))
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]


def test_a_compiled_fit_with_dropout_replays_its_masks_drawn_afresh():
    X, y = data.make_moons(20, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    results = []
    for compile in (False, True):
        model = MLP(2, [4, 1], seed=0, dropout=0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            fit(model, X, y, loss=nn.hinge_loss, epochs=5, progress=False, compile=compile,
                optimizer=nn.SGD(model.parameters(), lr=0.3))
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]


def test_draws_that_decide_the_graph_run_on_the_engine():
    import random

    w = autograd.Parameter(0.5)
    rng = random.Random(0)
    fn = lambda x: (w * x).tanh() if rng.random() < 0.5 else (w * x).exp()  # noqa: E731
    step = autograd.compile(fn)
    with pytest.warns(autograd.CompileWarning, match="the answer to a question about a random"):
        for x in (1.0, 2.0, 3.0):
            state = rng.getstate()
            w.grad = 0.0
            loss = fn(x)
            loss.backward()
            expected = loss.data, w.grad, rng.getstate()
            rng.setstate(state)
            w.grad = 0.0
            assert (step(x), w.grad, rng.getstate()) == expected


@pytest.mark.parametrize("batch_size", [None, 32, 1])
def test_a_cross_entropy_fit_compiles_and_gives_fits_numbers(batch_size):
    # the stable softmax's max is computed in the replay, not asked; each class label picks
    # its variant of the example's code (one example at a time: a recording per label, kept
    # side by side)
    X, y = data.make_moons(100, noise=0.2, seed=1)
    y = [int(t) + (i % 3 == 0) for i, t in enumerate(y)]  # three classes
    results = []
    for compile in (False, True):
        model = MLP(2, [8, 3], seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            fit(model, X, y, loss=nn.cross_entropy, epochs=8, progress=False, compile=compile,
                batch_size=batch_size, seed=2, optimizer=nn.SGD(model.parameters(), lr=0.5))
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]


@pytest.mark.parametrize("batch_size,dropout", [(7, 0.0), (1, 0.0), (None, 0.3), (7, 0.3)])
def test_a_bce_with_logits_fit_compiles_on_minibatches_and_with_dropout(batch_size, dropout):
    # the stable logistic loss branches inside softplus, not on the sign of each score, so
    # minibatches whose scores change sign (and dropout masks that flip them) build one graph
    X, y = data.make_moons(30, noise=0.2, seed=3)
    results = []
    for compile in (False, "python"):
        model = MLP(2, [8, 1], seed=1, dropout=dropout)
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            fit(model, X, y, loss=nn.bce_with_logits, epochs=4, progress=False, seed=2,
                compile=compile, batch_size=batch_size,
                optimizer=nn.SGD(model.parameters(), lr=0.05))
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]


@pytest.mark.parametrize("loss", [nn.cross_entropy, nn.hinge_loss])
def test_class_labels_and_dropout_together_replay_on_minibatches(loss):
    # each label picks a variant of the example's code, and dropout draws inside it: a variant
    # that is not the example's stops after drawing, and the generator is rewound for the next
    X, y = data.make_moons(40, noise=0.2, seed=1)
    y = [int(t) + (i % 3 == 0) for i, t in enumerate(y)]  # three classes
    results = []
    for compile in (False, "python"):
        model = MLP(2, [8, 3], seed=0, dropout=0.3)
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            fit(model, X, y, loss=loss, epochs=4, batch_size=8, seed=2, progress=False,
                compile=compile, optimizer=nn.SGD(model.parameters(), lr=0.1))
        results.append(([bits(p.data) for p in model.parameters()],
                        model.dropout._rng.getstate()))
    assert results[0] == results[1]


def test_max_and_min_of_followed_numbers_are_computed_in_the_replay():
    w1, w2 = autograd.Parameter(0.5), autograd.Parameter(-0.5)

    def fn(x):
        a, b = (w1 * x), (w2 * x)
        return a - max(a.data, b.data) + b * min(a.data, b.data, 0.25)

    step = autograd.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", autograd.CompileWarning)
        for x in (1.0, -1.0, 2.0, -3.0, 0.0):
            w1.grad = w2.grad = 0.0
            expected = fn(x)
            expected.backward()
            numbers = expected.data, w1.grad, w2.grad
            w1.grad = w2.grad = 0.0
            assert (step(x), w1.grad, w2.grad) == numbers
    assert step.records == 1 and "max((" in step.source


def test_an_l2_penalty_over_every_parameter_is_a_loop_with_fits_numbers():
    X, y = data.make_moons(10, noise=0.1, seed=3)
    y = [2 * t - 1 for t in y]
    results = []
    for compile in (False, True):
        model = MLP(2, [16, 16, 1], seed=0)
        model.layers[0].neurons[0].b.grad = -0.0  # a start a zero added would change
        with warnings.catch_warnings():
            warnings.simplefilter("error", autograd.CompileWarning)
            fit(model, X, y, loss=nn.hinge_loss, epochs=4, progress=False, compile=compile,
                l2=1e-3, optimizer=nn.SGD(model.parameters(), lr=0.3))
        results.append([bits(p.data) for p in model.parameters()])
    assert results[0] == results[1]
    step = autograd.compile(lambda: nn.l2_penalty(model.parameters()))
    step()
    step()
    # a line or two per parameter (its .grad in and out), none per term of the penalty
    lines = step.source.count("\n")
    assert lines < 2.5 * len(model.parameters()) and "pass_params" in step.source


def test_a_compiled_fits_step_names_its_objective_in_its_repr():
    # Its function is fit's objective, not a def: the repr named it "fn".
    from nn.objective import CompiledStep, Objective

    model = MLP(2, [3, 1], seed=0)
    objective = Objective(model, nn.mse_loss, model.parameters(), 0.0, 1e-4, 0.0)
    step = CompiledStep(objective, nn.SGD(model.parameters(), lr=0.1), "python")
    step([[1.0, 2.0], [0.5, 1.0]], [1.0, -1.0])
    assert repr(step.compiled).startswith("CompiledStep(objective: mse_loss + l2, python, ")


def test_a_compiled_callable_object_is_named_by_its_class():
    class Halve:
        def __call__(self, x):
            return x * 0.5

    assert repr(autograd.compile(Halve(), backend="python")).startswith("CompiledStep(Halve, ")
