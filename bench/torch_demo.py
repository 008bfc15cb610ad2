"""The demo step on PyTorch, measured in a process of its own (``bench/run.py`` starts it).

    python -m bench.torch_demo --points 100 --rounds 7     # prints the timings as JSON

Importing torch fills the interpreter with ~146k objects the cyclic garbage collector tracks,
which slow micrograd's collector down by ~40%: measured in the suite's own process, torch would
flatter our ratio to micrograd. Here nothing else is measured.

Two ways of writing the step: one 0-d tensor per scalar (micrograd's program, tensor by tensor),
and batched float64 tensors (a matrix per layer), each from the suite's weights, on its points.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.measure import timed  # noqa: E402
from bench.moons import make_moons  # noqa: E402
from bench.workloads import (  # noqa: E402
    ALPHA,
    WIDE,
    LectureMLP,
    flat,
    initial_weights,
    learning_rate,
)

#: The demo's length: micrograd's README trains for 100 steps.
STEPS = 100


def scalar_step(model: LectureMLP, points: list, labels: list) -> Callable[[int], float]:
    """micrograd's demo step with every number a 0-d float64 tensor."""
    params = model.parameters()

    def step(k: int) -> float:
        inputs = [[torch.tensor(x, dtype=torch.float64) for x in row] for row in points]
        scores = [model(x) for x in inputs]
        losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= learning_rate(k) * p.grad
        return loss.item()

    return step


def batched_step(weights: Sequence, points: list, labels: list) -> Callable[[int], float]:
    """The same step with a weight matrix and a bias vector per layer."""
    layers = [(torch.tensor([w for w, _ in layer], dtype=torch.float64, requires_grad=True),
               torch.tensor([b for _, b in layer], dtype=torch.float64, requires_grad=True))
              for layer in weights]
    X = torch.tensor(points, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)

    def step(k: int) -> float:
        h = X
        for i, (W, b) in enumerate(layers):
            h = h @ W.T + b
            if i < len(layers) - 1:
                h = h.relu()
        loss = (1 - y * h[:, 0]).relu().mean()
        loss = loss + ALPHA * sum((p * p).sum() for layer in layers for p in layer)
        for layer in layers:
            for p in layer:
                p.grad = None
        loss.backward()
        with torch.no_grad():
            for layer in layers:
                for p in layer:
                    p -= learning_rate(k) * p.grad
        return loss.item()

    return step


def measure(points_count: int, rounds: int) -> dict[str, Any]:
    """``{"version", "scalar": [...], "batched": [...]}``: seconds per step and round, and the
    losses of each round (``"losses"``), to check that the same thing was computed."""
    points, labels = make_moons(points_count)
    weights = initial_weights()
    model = LectureMLP(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    with torch.no_grad():
        for p, number in zip(model.parameters(), flat(weights), strict=True):
            p.fill_(number)
    steps = {"scalar": scalar_step(model, points, labels),
             "batched": batched_step(weights, points, labels)}
    result: dict[str, Any] = {"version": torch.__version__, "losses": {}}
    for name, step in steps.items():
        result[name] = []
        result["losses"][name] = []
        for k in range(rounds):
            loss, seconds = timed(lambda: step(k))  # noqa: B023  (called right away)
            result[name].append(seconds)
            result["losses"][name].append(loss)
    # The wider model, batched; and the demo's 100 steps end to end, tensors made included.
    wide = batched_step(initial_weights(WIDE), points, labels)
    wide(0)
    result["wide"] = [timed(lambda: wide(k))[1] for k in range(1, rounds + 1)]  # noqa: B023
    result["end_to_end"] = timed(lambda: [step(k) for step in [batched_step(weights, points,
                                                                            labels)]
                                          for k in range(STEPS)])[1]
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.torch_demo",
                                     description="The demo step on PyTorch, as JSON.")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args(argv)
    torch.set_num_threads(1)  # the engines it is compared with use one core
    print(json.dumps(measure(options.points, options.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
