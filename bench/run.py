"""``make bench``: this engine against micrograd 0.1.0, measured side by side in one run.

    .venv/bin/python bench/run.py             # the full suite; writes bench/RESULTS.md
    .venv/bin/python bench/run.py --smoke     # tiny sizes, seconds; writes nothing

Measures micrograd's demo training step (on micrograd; micrograd's code on our Value; nn; nn
compiled; plain floats, the floor; and PyTorch when it is installed, in a process of its own), a
100,000-node chain's forward and backward passes, memory per node, and the deepest chain that
still runs backward. Prints the table and writes it with the machine's description to
``--output``. micrograd is installed on first use into ``bench/.reference`` (see
``bench/reference.py``).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script (`python bench/run.py`), Python puts bench/ itself on the path, not the
# project: add the project so that `bench`, `autograd` and `nn` import from this checkout.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import autograd  # noqa: E402
from autograd import Value  # noqa: E402
from autograd.compiled import numba_backend  # noqa: E402
from autograd.core.files import write_atomically  # noqa: E402
from bench import reference  # noqa: E402
from bench.floats import FloatMLP  # noqa: E402
from bench.measure import (  # noqa: E402
    deepest,
    memory_per_node,
    run_deep,
    run_fresh,
    take_turns,
    timed,
    without_collector,
)
from bench.moons import make_moons  # noqa: E402
from bench.report import (  # noqa: E402
    DEEP_CHAIN,
    Results,
    agrees,
    machine,
    render,
)
from bench.workloads import (  # noqa: E402
    SIZES,
    LectureMLP,
    chain,
    compiled_train_step,
    hinge_loss,
    initial_weights,
    load_weights,
    train_step,
)
from nn import MLP  # noqa: E402

#: The chain's constants: x = x * A + C stays at 1.0 from x = 1.0, however long the chain.
A, C = 0.999, 0.001


@dataclass(frozen=True)
class Sizes:
    rounds: int
    points: int
    chain_nodes: int
    deepest: int
    demo_steps: int


FULL = Sizes(rounds=7, points=100, chain_nodes=100_000, deepest=DEEP_CHAIN, demo_steps=100)
SMOKE = Sizes(rounds=2, points=8, chain_nodes=2_000, deepest=10_000, demo_steps=3)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parser().parse_args(argv)
    sizes = SMOKE if options.smoke else FULL
    rounds = sizes.rounds if options.rounds is None else options.rounds
    if rounds < 1 or (rounds < 5 and not options.smoke):
        _parser().error(f"--rounds {rounds}: the full suite needs at least 5 rounds for its "
                        "medians to mean something (use --smoke for a quick check)")
    output = options.output
    if output is None and not options.smoke:
        output = ROOT / "bench" / "RESULTS.md"
    try:
        theirs_engine, theirs_nn = reference.load(options.reference)
    except reference.ReferenceUnavailable as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2

    results = measure_all(theirs_engine.Value, theirs_nn.MLP, sizes, rounds, options.smoke)
    text = render(results)
    print(text)
    if not agrees(results.disagreement):
        print("bench: the implementations computed different numbers; results not written",
              file=sys.stderr)
        return 1
    if not results.bitwise:
        print("bench: the compiled step's numbers are not the engine's, bit for bit; results "
              "not written", file=sys.stderr)
        return 1
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(output, text)
        print(f"wrote {output}")
    return 0


def measure_all(theirs: type, theirs_mlp: Callable[..., Any], sizes: Sizes, rounds: int,
                smoke: bool) -> Results:
    """Every measurement of the suite, ours against micrograd's ``Value`` and ``MLP``."""
    info = machine()
    agree = Agreement()

    _progress(f"demo step: {rounds} rounds of {sizes.points} points")
    points, labels = make_moons(sizes.points)
    weights = initial_weights()
    ours_model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
    compiled_model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
    lecture_model = LectureMLP(Value)
    theirs_model = theirs_mlp(SIZES[0], list(SIZES[1:]))
    theirs_no_gc = theirs_mlp(SIZES[0], list(SIZES[1:]))
    for model in (ours_model, compiled_model, lecture_model, theirs_model, theirs_no_gc):
        load_weights(model, weights)
    floor = FloatMLP(weights)
    step, compile_seconds = _compiled(compiled_model, points, labels, "python")
    replayed_before = {"compiled": step.replays}
    compiled_params = compiled_model.parameters()
    contenders = {
        "micrograd": lambda k: train_step(theirs_model, points, labels, theirs, k),
        "micrograd, no gc": lambda k: without_collector(
            lambda: train_step(theirs_no_gc, points, labels, theirs, k)),
        "lecture": lambda k: train_step(lecture_model, points, labels, Value, k),
        "ours": lambda k: train_step(ours_model, points, labels, Value, k),
        "compiled": lambda k: compiled_train_step(compiled_params, step, points, labels, k),
        "floats": lambda k: floor.train_step(points, labels, k),
    }
    numba_model = numba_step = None
    if numba_backend.available() is None:
        numba_model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
        load_weights(numba_model, weights)
        numba_step, _ = _compiled(numba_model, points, labels, "numba")
        replayed_before["numba"] = numba_step.replays
        numba_params = numba_model.parameters()
        contenders["numba"] = lambda k: compiled_train_step(numba_params, numba_step, points,
                                                            labels, k)
    demo = take_turns({name: _demo_step(run, agree, name)
                       for name, run in contenders.items()}, rounds)
    bitwise = _bits(compiled_model) == _bits(ours_model) and agree.same("demo loss", "ours",
                                                                         "compiled")
    if numba_model is not None:
        bitwise = bitwise and _bits(numba_model) == _bits(ours_model) and \
            agree.same("demo loss", "ours", "numba")
    replayed = step.replays - replayed_before["compiled"]
    compiled_note = step.fallback_reason or ("" if replayed == rounds else
                                             f"{replayed} of {rounds} calls replayed")
    torch = _torch_demo(sizes.points, rounds, agree)
    fast = _numba_demo(sizes.points, rounds, smoke) if numba_model is not None else None
    if fast is not None and "error" not in fast:
        replayed = numba_step.replays - replayed_before["numba"]
        fast["note"] = (numba_step.backend_note or numba_step.fallback_reason or
                        ("" if replayed == rounds else f"{replayed} of {rounds} calls replayed"))
    _progress(f"the whole demo: {sizes.demo_steps} steps, compiling included")
    whole = _whole_demo(points, labels, weights, sizes.demo_steps)
    # The demo's models and compiled steps (their recordings) go before the chains: a heap kept
    # alive makes every collection the chains' allocations set off longer, for both engines.
    # (Names the contenders' lambdas read are cells: they are emptied, not deleted.)
    contenders.clear()
    step = numba_step = ours_model = compiled_model = numba_model = lecture_model = None
    theirs_model = theirs_no_gc = floor = compiled_params = None
    gc.collect()

    nodes = sizes.chain_nodes
    _progress(f"chain: {rounds} rounds of {nodes:,} nodes")
    chains = take_turns({
        "ours": _chain_run(Value, nodes, agree, lambda backward: backward()),
        "micrograd": _chain_run(theirs, nodes, agree,
                                lambda backward: run_deep(backward, nodes + 100)),
    }, rounds)

    _progress("memory per node")
    memory = {name: _chain_memory(engine, nodes)
              for name, engine in (("ours", Value), ("micrograd", theirs))}

    _progress(f"deepest chain (micrograd: search up to {sizes.deepest:,}; "
              f"ours: {sizes.deepest:,})")
    deepest = {"micrograd": deepest_chain(theirs, sizes.deepest)}
    # Ours should simply run the deepest chain; only if it does not is a search worth its time.
    deepest["ours"] = ((sizes.deepest, True) if _runs_backward(Value, sizes.deepest)
                       else deepest_chain(Value, sizes.deepest))

    if hasattr(os, "getloadavg"):
        info["load average at end"] = f"{os.getloadavg()[0]:.1f}"
    return Results(
        smoke=smoke, rounds=rounds, points=sizes.points, chain_nodes=nodes,
        demo={name: times["step"] for name, times in demo.items()},
        compile_seconds=compile_seconds, bitwise=bitwise, compiled_note=compiled_note,
        whole=whole, demo_steps=sizes.demo_steps,
        torch=torch, numba=fast,
        chain_forward={name: times["forward"] for name, times in chains.items()},
        chain_backward={name: None if None in times["backward"] else times["backward"]
                        for name, times in chains.items()},
        memory=memory, deepest=deepest, disagreement=agree.largest, machine=info)


class Agreement:
    """Collects what each implementation computed, round by round, and how far they differ."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}
        self.by: dict[tuple[str, str], list[float]] = {}
        self.largest = 0.0

    def record(self, what: str, k: int, number: float, who: str = "") -> None:
        """Record a result; results of the same ``what`` in round ``k`` must agree."""
        self.by.setdefault((what, who), []).append(number)
        key = (what, k)
        if key in self.seen:
            first = self.seen[key]
            scale = max(abs(first), abs(number), 1e-300)
            self.largest = max(self.largest, abs(first - number) / scale)
        else:
            self.seen[key] = number

    def same(self, what: str, one: str, other: str) -> bool:
        """Whether two implementations recorded the very same numbers for ``what``, bit for
        bit, round after round."""
        numbers = [[struct.pack("<d", x) for x in self.by.get((what, who), [])]
                   for who in (one, other)]
        return bool(numbers[0]) and numbers[0] == numbers[1]


def _demo_step(step: Callable[[int], float], agree: Agreement, who: str
               ) -> Callable[[int], dict[str, float]]:
    def run(k: int) -> dict[str, float]:
        loss, seconds = timed(lambda: step(k))
        agree.record("demo loss", k, loss, who)
        return {"step": seconds}
    return run


def _compiled(model: MLP, points: list, labels: list, backend: str
              ) -> tuple[autograd.CompiledStep, float]:
    """The demo's loss compiled for ``backend``, and the seconds its first two calls took (they
    record and compile it, once); their gradients are cleared."""
    step = autograd.compile(lambda X, y: hinge_loss(model, X, y, Value), backend=backend)
    seconds = 0.0
    for _ in range(2):
        seconds += timed(lambda: step(points, labels))[1]
        model.zero_grad()
    return step, seconds


def _whole_demo(points: list, labels: list, weights: Any, steps: int) -> dict[str, float]:
    """Seconds for ``steps`` demo steps from the same weights, on the engine and compiled (its
    recording and compiling included): what a user waits for."""
    seconds = {}
    for name in ("ours", "compiled"):
        model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
        load_weights(model, weights)
        params = model.parameters()

        def run(model: MLP = model, params: list = params, name: str = name) -> None:
            if name == "ours":
                for k in range(steps):
                    train_step(model, points, labels, Value, k)
                return
            step = autograd.compile(lambda X, y: hinge_loss(model, X, y, Value),
                                    backend="python")
            for k in range(steps):
                compiled_train_step(params, step, points, labels, k)
        seconds[name] = timed(run)[1]
    return seconds


def _bits(model: MLP) -> list[bytes]:
    return [struct.pack("<d", p.data) for p in model.parameters()]


def _torch_demo(points: int, rounds: int, agree: Agreement) -> dict | None:
    """The demo step on PyTorch, measured in a process of its own (``bench/torch_demo.py``);
    ``None`` when torch is not installed, ``{"error": ...}`` when that process failed."""
    if importlib.util.find_spec("torch") is None:
        return None
    _progress("demo step on PyTorch, in its own process")
    done = subprocess.run([sys.executable, "-m", "bench.torch_demo", "--points", str(points),
                           "--rounds", str(rounds)], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1]}
    result = json.loads(done.stdout)
    for name, losses in result.pop("losses").items():
        for k, loss in enumerate(losses):
            agree.record("demo loss", k, loss, f"torch {name}")
    return result


def _numba_demo(points: int, rounds: int, smoke: bool) -> dict:
    """The Numba backend in processes of their own (``bench/numba_demo.py``): one with an
    empty cache folder, which builds the kernel (not with ``--smoke``: it takes seconds), then
    one with the user's, as a user's second script meets it."""
    _progress("the Numba backend, in processes of its own")
    command = [sys.executable, "-m", "bench.numba_demo", "--points", str(points), "--rounds",
               str(rounds)]
    cold = None
    if not smoke:
        with tempfile.TemporaryDirectory() as folder:
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                                  env={**os.environ, "BACKPROP_LAB_CACHE": folder})
            if done.returncode != 0:
                return {"error": (done.stderr or done.stdout).strip().splitlines()[-1]}
            cold = json.loads(done.stdout)["kernel"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1]}
    result = json.loads(done.stdout)
    result.pop("losses")
    result["cold"] = cold
    return result


def _chain_run(engine: type, nodes: int, agree: Agreement,
               run_backward: Callable[[Callable[[], float]], float]
               ) -> Callable[[int], dict[str, float | None]]:
    def run(k: int) -> dict[str, float | None]:
        x, a, c = engine(1.0), engine(A), engine(C)
        out, forward = timed(lambda: chain(x, a, c, nodes))
        try:
            backward: float | None = run_backward(lambda: timed(out.backward)[1])
        except RecursionError:
            backward = None
        else:
            agree.record("chain d/da", k, a.grad)
        return {"forward": forward, "backward": backward}
    return run


def _chain_memory(engine: type, nodes: int) -> Any:
    x, a, c = engine(1.0), engine(A), engine(C)
    return memory_per_node(lambda: chain(x, a, c, nodes), nodes)


def _runs_backward(engine: type, nodes: int) -> bool:
    """Whether backward() through a chain of ``nodes`` nodes completes, called from the top of
    a fresh thread under the default recursion limit (as from a script's top level)."""
    x, a, c = engine(1.0), engine(A), engine(C)
    out = chain(x, a, c, nodes)
    try:
        run_fresh(out.backward)
    except RecursionError:
        return False
    return True


def deepest_chain(engine: type, limit: int) -> tuple[int, bool]:
    """The most nodes (up to ``limit``) a chain can have and still run backward: ``(n, True)``
    when even ``limit`` nodes ran."""
    return deepest(lambda n: _runs_backward(engine, n), start=64, limit=limit)


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py", description="Benchmark backprop-lab against micrograd 0.1.0.")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes and 2 rounds: checks the suite runs, in seconds; "
                             "writes no results unless --output is given")
    parser.add_argument("--rounds", type=int, default=None,
                        help=f"rounds per measurement (default {FULL.rounds}; "
                             f"{SMOKE.rounds} with --smoke)")
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the results as Markdown "
                             "(default bench/RESULTS.md; none with --smoke)")
    parser.add_argument("--reference", type=Path, default=reference.DEFAULT_CACHE,
                        help="folder where micrograd 0.1.0 is installed and cached "
                             "(default bench/.reference)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
