"""A differential fuzzer: random steps, compiled and eager, must agree by ``repr`` of every number
on every call, or the compiled step must have fallen back to the engine with a CompileWarning.

Each random step is a small program over every operation of ``autograd.core.rules.RULES``
(iterated from the registry, so a new rule is fuzzed the day it lands), with control flow on
followed numbers (``if a > b``, ``max``), arithmetic on ``.data``, ``zero_grad`` inside the
step, gradients that start at nan, +-0, +-inf or None, parameters changed between calls, and
inputs that include nan, +-0 and +-inf. Minibatch steps add random batch sizes, dropout and
train/eval switches; ``fit(compile=True)`` is held to ``fit()`` over seeds and losses.

A fast slice runs in ``make test``; ``BACKPROP_LAB_FUZZ=long`` (``make fuzz``) runs many more.
"""

from __future__ import annotations

import math
import os
import random
import warnings

import pytest

import autograd
import nn
from autograd import CompileWarning, Parameter, Value
from autograd.core.rules import RULES
from autograd.core.value import identity
from nn import MLP, data, fit

LONG = os.environ.get("BACKPROP_LAB_FUZZ", "") == "long"
#: Random programs (and calls of each) in the fast slice and in the long run.
PROGRAMS = 2000 if LONG else 60
CALLS = 8
FIT_SEEDS = 40 if LONG else 4

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 2.0, 0.5, 1e-300, 1e300]
STARTS = [0.0, -0.0, math.nan, math.inf, -math.inf, None, 1.5, 0]


def _pow_number(rng: random.Random):
    n = rng.choice([2, 3, 0, 1, -1, 0.5, -0.5, 2.5, 2.0])
    return lambda a: a ** n


#: How the fuzzer applies each rule: a function of the rule's arguments (built for each use, so
#: that a number exponent is drawn per use). Every rule of the registry must have one.
APPLY = {
    "+": lambda rng: lambda a, b: a + b,
    "-": lambda rng: lambda a, b: a - b,
    "*": lambda rng: lambda a, b: a * b,
    "/": lambda rng: lambda a, b: a / b,
    "neg": lambda rng: lambda a: -a,
    "**": lambda rng: lambda a, b: a ** b,
    "**n": _pow_number,
    "abs": lambda rng: lambda a: abs(a),
    "exp": lambda rng: lambda a: a.exp(),
    "log": lambda rng: lambda a: a.log(),
    "tanh": lambda rng: lambda a: a.tanh(),
    "sigmoid": lambda rng: lambda a: a.sigmoid(),
    "softplus": lambda rng: lambda a: a.softplus(),
    "relu": lambda rng: lambda a: a.relu(),
    "step": lambda rng: lambda a: a.step(),
    "sin": lambda rng: lambda a: a.sin(),
    "cos": lambda rng: lambda a: a.cos(),
    "sqrt": lambda rng: lambda a: a.sqrt(),
    "id": lambda rng: lambda a: identity(a),
    "dot": lambda rng: lambda *xs: autograd.dot(xs[0::2], xs[1::2], None),
}


def test_the_fuzzer_covers_every_rule():
    assert set(APPLY) == set(RULES)


def _arity(op: str, rng: random.Random) -> int:
    arity = RULES[op].arity
    return 2 * rng.randint(1, 3) if arity is None else arity


def random_program(seed: int):
    """A random step ``fn(*xs)`` over parameters ``params``, as (fn, params, n_inputs)."""
    rng = random.Random(seed)
    params = [Parameter(rng.choice([rng.uniform(-2, 2), rng.choice(SPECIAL)]))
              for _ in range(rng.randint(1, 4))]
    n_inputs = rng.randint(0, 3)
    instructions = []
    for _ in range(rng.randint(1, 10)):
        kind = rng.random()
        op = rng.choice(list(RULES))
        args = [rng.randrange(1000) for _ in range(_arity(op, rng))]
        if kind < 0.7:
            instructions.append(("op", APPLY[op](rng), args))
        elif kind < 0.8:  # control flow on followed numbers
            other = rng.choice(list(RULES))
            instructions.append(("if", APPLY[op](rng), APPLY[other](rng), args,
                                 [rng.randrange(1000) for _ in range(_arity(other, rng))],
                                 rng.randrange(1000), rng.randrange(1000)))
        elif kind < 0.87:
            instructions.append(("max", rng.randrange(1000), rng.randrange(1000)))
        elif kind < 0.94:  # arithmetic on .data, back into the graph as a plain number
            instructions.append(("data", rng.randrange(1000), rng.randrange(1000),
                                 rng.choice(["+", "*", "-"])))
        else:
            instructions.append(("const", rng.choice(SPECIAL)))
    zero_grad = [i for i in range(len(params)) if rng.random() < 0.2]

    def fn(*xs):
        for i in zero_grad:
            params[i].grad = 0.0
        pool: list = list(params) + [x * 1.0 if isinstance(x, Value) else x for x in xs]
        values = list(params)

        def pick(k):
            return pool[k % len(pool)]

        def value(k):
            return values[k % len(values)]

        for ins in instructions:
            if ins[0] == "op":
                out = ins[1](*[value(k) if i == 0 else pick(k) for i, k in enumerate(ins[2])])
            elif ins[0] == "if":
                _, then, otherwise, a, b, left, right = ins
                if value(left).data > value(right).data:
                    out = then(*[value(k) for k in a])
                else:
                    out = otherwise(*[value(k) for k in b])
            elif ins[0] == "max":
                out = max(value(ins[1]), value(ins[2])) * 1.0
            elif ins[0] == "data":
                x, y = value(ins[1]).data, value(ins[2]).data
                number = x + y if ins[3] == "+" else x * y if ins[3] == "*" else x - y
                out = value(ins[1]) * number
            else:
                out = value(0) * ins[1]
            if not isinstance(out, Value):
                out = value(0) + out
            values.append(out)
            pool.append(out)
        loss = values[-1]
        return loss + values[len(params)] if also_first else loss

    also_first = rng.random() < 0.3
    return fn, params, n_inputs


def _run(step_or_fn, params, starts, args, eager: bool):
    for p, g in zip(params, starts):
        p.grad = g
    try:
        if eager:
            loss = step_or_fn(*args)
            loss.backward()
            out = loss.data
        else:
            out = step_or_fn(*args)
    except Exception as error:  # noqa: BLE001 - the two must raise the same
        return ("raised", type(error).__name__), None
    return repr(out), [repr(p.grad) for p in params]


def agree(fn, params, calls, between=None):
    """Every call, eager then compiled: the same numbers by repr, or a CompileWarning given."""
    step = autograd.compile(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k, (args, starts) in enumerate(calls):
            if between is not None:
                between(k)
            datas = [p.data for p in params]
            expected = _run(fn, params, starts, args, eager=True)
            for p, d in zip(params, datas):
                p.data = d
            got = _run(step, params, starts, args, eager=False)
            assert got == expected, (k, args, starts, step.source)
    return step, [w for w in caught if issubclass(w.category, CompileWarning)]


def _input(rng: random.Random) -> float:
    return rng.choice([rng.uniform(-3, 3), rng.uniform(-3, 3), rng.choice(SPECIAL)])


@pytest.mark.parametrize("chunk", range(4))
def test_random_steps_agree_with_eager(chunk):
    for seed in range(chunk, PROGRAMS, 4):
        fn, params, n_inputs = random_program(seed)
        rng = random.Random(10_000 + seed)
        calls = [(tuple(_input(rng) for _ in range(n_inputs)),
                  [rng.choice(STARTS) for _ in params]) for _ in range(CALLS)]

        def between(k, rng=rng, params=params):
            if k and rng.random() < 0.3:  # the parameters change between calls
                params[rng.randrange(len(params))].data = _input(rng)

        agree(fn, params, calls, between)


def _batch_step(seed: int):
    rng = random.Random(seed)
    model = MLP(2, [rng.randint(1, 4), 1], seed=seed, dropout=rng.choice([0.0, 0.0, 0.5]))
    loss = rng.choice([nn.hinge_loss, nn.mse_loss])
    l2 = rng.choice([0.0, 1e-3])

    def fn(X, y):
        if zero_grad:
            model.zero_grad()
        losses = [loss(model(x), t) for x, t in zip(X, y)]
        total = sum(losses[1:], losses[0]) * (1.0 / len(losses))
        return total + l2 * nn.l2_penalty(model.parameters()) if l2 else total

    zero_grad = rng.random() < 0.3
    return fn, model


@pytest.mark.parametrize("chunk", range(2))
def test_random_minibatch_steps_with_dropout_and_mode_switches_agree(chunk):
    for seed in range(chunk, PROGRAMS // 4, 2):
        fn, model = _batch_step(seed)
        params = model.parameters()
        rng = random.Random(20_000 + seed)
        X, y = data.make_moons(12, noise=0.1, seed=seed)
        y = [2 * t - 1 for t in y]
        calls = []
        for _ in range(CALLS):
            size = rng.randint(1, 12)
            rows = rng.sample(range(12), size)
            calls.append(((list(map(list, (X[i] for i in rows))), [y[i] for i in rows]),
                          [rng.choice(STARTS) for _ in params]))

        def between(k, rng=rng, model=model):
            if rng.random() < 0.3:
                model.eval() if model.training else model.train()

        agree_batches(fn, params, calls, between, model)


def agree_batches(fn, params, calls, between, model):
    """As ``agree``, the dropout generators rewound so that eager and compiled draw alike (and
    left as eager leaves them)."""
    step = autograd.compile(fn)
    rngs = [m._rng for m in model.modules() if hasattr(m, "_rng")]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for k, (args, starts) in enumerate(calls):
            between(k)
            states = [r.getstate() for r in rngs]
            expected = _run(fn, params, starts, args, eager=True)
            after = [r.getstate() for r in rngs]
            for r, s in zip(rngs, states):
                r.setstate(s)
            got = _run(step, params, starts, args, eager=False)
            assert got == expected, (k, step.source)
            assert [r.getstate() for r in rngs] == after, k  # the same draws, consumed alike


LOSSES = {"hinge": (nn.hinge_loss, lambda t: 2 * t - 1, 1),
          "mse": (nn.mse_loss, float, 1),
          "bce": (nn.binary_cross_entropy, float, "sigmoid"),
          "bce_with_logits": (nn.bce_with_logits, int, 1),
          "cross_entropy": (nn.cross_entropy, int, 2)}
#: fit(compile=True) against fit(): the same parameters by repr, with no fallback.


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_compiled_fit_gives_fits_numbers(name):
    loss, label, out = LOSSES[name]
    for seed in range(FIT_SEEDS):
        rng = random.Random(seed)
        X, y = data.make_moons(rng.randint(5, 40), noise=0.2, seed=seed)
        y = [label(t) for t in y]
        batch = rng.choice([None, 1, 7, 32])
        dropout = rng.choice([0.0, 0.5])
        l2 = rng.choice([0.0, 1e-3])
        results = []
        for compile in (False, True):
            model = MLP(2, [4, 2 if out == 2 else 1], seed=seed, dropout=dropout,
                        output_activation="sigmoid" if out == "sigmoid" else None)
            with warnings.catch_warnings():
                # no loss falls back, whatever the batch size and with dropout: a label picks
                # a variant of the example's code, or a recording kept beside the others
                warnings.simplefilter("error", CompileWarning)
                fit(model, X, y, loss=loss, epochs=2, batch_size=batch, seed=seed, l2=l2,
                    progress=False, optimizer=nn.SGD(model.parameters(), lr=0.1),
                    compile=compile)
            results.append([repr(p.data) for p in model.parameters()])
        assert results[0] == results[1], (name, seed)
