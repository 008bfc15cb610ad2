"""A fresh exercise for every seed: ``random_exercise(seed)`` builds an expression graph and asks
for its gradients. The same seed always gives the same graph, so each student can have their own
(seed it with their student number) and an autograder can rebuild it from the seed alone.
"""

from __future__ import annotations

import math
import operator
import random

from autograd.core.value import Value, forward_order, gradients
from autograd.teach.exercise import Ask, Exercise, exercise
from autograd.teach.solution import ATOL, RTOL

__all__ = ["random_exercise"]

#: The inputs' numbers: short decimals, so every step stays easy to compute by hand.
INPUTS = (-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0)
#: Results and gradients stay this small: a by-hand exercise, not a test of arithmetic.
MAX_DATA = 20.0
MAX_GRAD = 100.0
SIZES = range(2, 21)
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def random_exercise(seed: int | str, size: int = 6, *, ask: Ask = None, rtol: float = RTOL,
                    atol: float = ATOL) -> Exercise:
    """An exercise on a random expression graph of ``size`` operations, made from ``seed``.

    The graph has inputs ``a``, ``b``, ``c``..., intermediate values ``z1``, ``z2``... and the
    output ``L``, built from ``+``, ``-``, ``*``, ``**2`` and ``tanh`` (at most one, as in the
    lecture neuron). It always has fan-out (a value used twice, so that gradients must add up),
    every input reaches L with a non-zero gradient, and every number stays small (data within
    +-20, gradients within +-100).

    Args:
        seed: an int or a str (a student number, a name): the same seed, the same graph, on
            every machine and Python version.
        size: the number of operations, 2 to 20.
        ask, rtol, atol: as for ``autograd.exercise``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, str)):
        raise TypeError(f"seed must be an int or a str (a student number, say), got "
                        f"{type(seed).__name__}: the same seed must give the same exercise")
    if isinstance(size, bool) or not isinstance(size, int) or size not in SIZES:
        raise ValueError(f"size is the number of operations, an int from {SIZES.start} to "
                         f"{SIZES.stop - 1}; got {size!r}")
    rng = random.Random(f"backprop-lab exercise {seed!r}, {size} operations")
    while True:  # draw until a graph is a good exercise; a few draws on average
        root, inputs = _draw(rng, size)
        if _good(root, inputs):
            break
    # Numbered in the order the expression reads, so z1, z2, ... come one after another.
    steps = [node for node in forward_order(root) if node.parents and node is not root]
    for k, node in enumerate(steps, start=1):
        node.label = f"z{k}"
    return exercise(root, ask, rtol=rtol, atol=atol)


def _draw(rng: random.Random, size: int) -> tuple[Value, list[Value]]:
    """A random expression of ``size`` operations, and its inputs."""
    inputs = [Value(rng.choice(INPUTS), label=name) for name in "abcdefgh"[:2 + size // 3]]
    pool = list(inputs)
    unused = list(inputs)  # values nothing uses yet: each must feed the output in the end
    tanh_used = False
    for k in range(1, size + 1):
        left = size - k  # operations still to come after this one
        first = unused.pop(0) if unused else rng.choice(pool)
        if rng.random() < 0.25 and len(unused) <= left:
            if tanh_used or rng.random() < 0.5:
                out = first ** 2
            else:
                out, tanh_used = first.tanh(), True
        else:
            if unused and len(unused) > left:
                second = unused.pop(0)
            else:
                second = rng.choice(pool)  # maybe used already: fan-out
                if second in unused:
                    unused.remove(second)
            # x - x is always 0: a trick, not an exercise; x + x and x * x are fan-out
            ops = ("+", "*") if second is first else ("+", "-", "*")
            out = BINARY[rng.choice(ops)](first, second)
        out.label = "L" if not left else ""
        pool.append(out)
        unused.append(out)
    return pool[-1], inputs


def _good(root: Value, inputs: list[Value]) -> bool:
    """Every input used on the way to the output, some value used twice, small numbers, and
    every input with a gradient."""
    nodes = forward_order(root)
    uses: dict[Value, int] = {}
    for node in nodes:
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    grads = gradients(root)
    return (all(node in uses for node in inputs)
            and max(uses.values()) >= 2
            and all(abs(node.data) <= MAX_DATA for node in nodes)
            and all(math.isfinite(g) and abs(g) <= MAX_GRAD for g in grads.values())
            and all(abs(grads[node]) >= 0.01 for node in inputs))
