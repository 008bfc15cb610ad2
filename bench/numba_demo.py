"""The Numba backend measured in a process of its own, as a user's script meets it
(``bench/run.py`` starts it; PyTorch's counterpart is ``bench/torch_demo.py``).

    python -m bench.numba_demo --points 100 --rounds 7     # prints the timings as JSON

- ``kernel``: seconds to get the kernel: loaded from the cache folder, or built when the
  folder is empty (``BACKPROP_LAB_CACHE`` chooses the folder; ``built`` says which happened);
- ``first_calls``: seconds of the demo's first two steps, which record the step and make its
  tape (the kernel already loaded);
- ``end_to_end``: the demo's 100 training steps, compile included: getting the kernel (as
  ``kernel``), recording the step and making its tape;
- ``demo``: seconds per step of the demo's model (``MLP(2, [16, 16, 1])``), round by round;
- ``wide``: seconds per step of ``MLP(2, [64, 64, 1])`` on the same points, round by round.

Importing numba is not timed, as importing torch is not in ``torch_demo``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402, F401  (imported before any clock starts, as torch is)

import autograd  # noqa: E402
from autograd import Value  # noqa: E402
from autograd.compiled import numba_backend  # noqa: E402
from bench.measure import timed  # noqa: E402
from bench.moons import make_moons  # noqa: E402
from bench.workloads import (  # noqa: E402
    SIZES,
    WIDE,
    compiled_train_step,
    hinge_loss,
    initial_weights,
    load_weights,
)
from nn import MLP  # noqa: E402

#: The demo's length: micrograd's README trains for 100 steps.
STEPS = 100


def _model(sizes: Sequence[int]) -> MLP:
    model = MLP(sizes[0], list(sizes[1:]), seed=0)
    load_weights(model, initial_weights(sizes))
    return model


def measure(points_count: int, rounds: int) -> dict[str, Any]:
    points, labels = make_moons(points_count)
    built = not numba_backend.cached()
    _, kernel = timed(numba_backend.kernel)

    first_calls = []

    def demo() -> list[float]:
        model = _model(SIZES)
        params = model.parameters()
        step = autograd.compile(lambda X, y: hinge_loss(model, X, y, Value), backend="numba")
        losses = []
        for k in range(STEPS):
            start = time.perf_counter()
            losses.append(compiled_train_step(params, step, points, labels, k))
            if k < 2:
                first_calls.append(time.perf_counter() - start)
        return losses

    losses, steps = timed(demo)
    return {"version": numba.__version__, "built": built, "kernel": kernel,
            "first_calls": sum(first_calls), "end_to_end": kernel + steps, "losses": losses,
            **{name: _steps(sizes, points, labels, rounds)
               for name, sizes in (("demo", SIZES), ("wide", WIDE))}}


def _steps(sizes: Sequence[int], points: list, labels: list, rounds: int) -> list[float]:
    """Seconds per training step of ``MLP(*sizes)`` on the Numba backend, round by round (the
    first call, which records, not counted)."""
    model = _model(sizes)
    params = model.parameters()
    step = autograd.compile(lambda X, y: hinge_loss(model, X, y, Value), backend="numba")
    compiled_train_step(params, step, points, labels, 0)  # records
    if step.backend != "numba":
        raise RuntimeError(f"the step runs on {step.backend}: {step.backend_note}")
    return [timed(lambda: compiled_train_step(params, step, points, labels, k))[1]  # noqa: B023
            for k in range(1, rounds + 1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.numba_demo",
                                     description="The Numba backend's timings, as JSON.")
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args(argv)
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the JSON alone
        result = measure(options.points, options.rounds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
