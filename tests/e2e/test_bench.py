"""The benchmark suite runs (smoke mode, so it cannot rot), its parts measure what they say, and
the engine has the structure that makes it fast: no reference cycles, little memory per node.

Benchmarks are not timed tests: nothing here asserts a speed.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import re
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import required_on_ci

import autograd
from autograd import Constant, Parameter, Value, dot, topological_order
from autograd.core.files import write_atomically
from bench import reference
from bench.floats import FloatMLP
from bench.measure import Memory, deepest, memory_per_node, run_deep, take_turns
from bench.moons import make_moons
from bench.report import Results, median_ratio, render, targets
from bench.workloads import (
    SIZES,
    LectureMLP,
    chain,
    compiled_train_step,
    flat,
    hinge_loss,
    initial_weights,
    load_weights,
    train_step,
)
from nn import MLP

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"


@pytest.fixture(scope="module")
def micrograd():
    """micrograd 0.1.0's engine module, from the bench's cache (installed on first use)."""
    try:
        engine, _ = reference.load()
    except reference.ReferenceUnavailable as error:
        pytest.skip(f"micrograd 0.1.0 is not installable here: {error}")
    return engine


def run_suite(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN), *arguments], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


# ---------------------------------------------------------------- the suite runs ------------

@pytest.fixture(scope="module")
def smoke(micrograd, tmp_path_factory):
    output = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    done = run_suite("--smoke", "--output", str(output))
    assert done.returncode == 0, done.stderr
    return done, output


def test_smoke_run_reports_every_measurement(smoke):
    done, _ = smoke
    for row in ("| micrograd 0.1.0 ", "| micrograd's code on our Value: a node per + and *",
                "| nn on our Value: a dot node per neuron", "| nn, compiled (autograd.compile)",
                "| plain floats, backward by hand (the floor)",
                "Recording and compiling the step (its first two calls, once):",
                "chain forward, ns per node", "chain backward, ns per node",
                "memory alive, bytes per node", "memory after `del`, collector off",
                "deepest chain that runs backward"):
        assert row in done.stdout


def test_smoke_run_has_a_pytorch_row_exactly_when_torch_is_installed(smoke):
    done, _ = smoke
    installed = importlib.util.find_spec("torch") is not None
    rows = re.findall(r"^\| PyTorch [^|]*\(own process\) \|", done.stdout, re.M)
    assert len(rows) == (2 if installed else 0), rows
    # Without it, the targets measured against PyTorch say so instead of giving a number.
    assert ("| PyTorch not installed " in done.stdout) == (not installed)


def test_smoke_run_judges_every_target(smoke):
    done, _ = smoke
    for promise in ("nn demo step time <= 0.05 of micrograd's",
                    "compiled demo step time <= 1.20 of the plain-float floor's",
                    "| compiled gradients are the engine's, bit for bit | the same parameters "
                    "and losses, every round | pass",
                    "chain backward time <= 0.50", "chain forward time <= 0.30",
                    "memory per node <= 0.35", "1,000,000-node chain runs backward",
                    "a dropped graph is freed without the cyclic collector"):
        assert promise in " ".join(done.stdout.split()), promise
    assert "## Targets:" in done.stdout


def test_smoke_run_finds_micrograds_recursion_limit(smoke):
    done, _ = smoke
    row = next(line for line in done.stdout.splitlines() if line.startswith("| deepest"))
    micrograd_depth = int(row.split("|")[3].replace(",", ""))
    assert 900 < micrograd_depth < 1000


def test_smoke_run_writes_the_printed_report_to_output(smoke):
    done, output = smoke
    text = output.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks")
    assert text in done.stdout
    assert "- Python: " in text and "- date: " in text and "CPUs" in text
    assert [p.name for p in output.parent.iterdir()] == ["RESULTS.md"]  # no temporary left


def test_smoke_run_writes_nothing_unless_asked(micrograd):
    results = ROOT / "bench" / "RESULTS.md"
    before = results.stat().st_mtime_ns if results.exists() else None
    done = run_suite("--smoke")
    assert done.returncode == 0, done.stderr
    assert "wrote" not in done.stdout
    assert (results.stat().st_mtime_ns if results.exists() else None) == before


def test_full_suite_refuses_too_few_rounds():
    done = run_suite("--rounds", "3")
    assert done.returncode == 2
    assert "at least 5 rounds" in done.stderr


# ---------------------------------------------------------------- its parts -----------------

def test_an_installed_reference_is_reused_without_pip(tmp_path, monkeypatch):
    folder = tmp_path / "micrograd-0.1.0"
    (folder / "micrograd").mkdir(parents=True)
    (folder / "micrograd-0.1.0.dist-info").mkdir()
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("pip was run"))
    assert reference.install(tmp_path) == folder


def test_a_failed_install_says_how_to_install_by_hand_and_leaves_nothing(tmp_path, monkeypatch):
    failed = subprocess.CompletedProcess([], 1, stdout="", stderr="ERROR: no network")
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(reference.ReferenceUnavailable) as info:
        reference.install(tmp_path)
    message = str(info.value)
    assert "no network" in message and "pip install --target" in message
    assert list(tmp_path.iterdir()) == []


def test_moons_are_reproducible_and_balanced():
    points, labels = make_moons(100, seed=7)
    assert (points, labels) == make_moons(100, seed=7)
    assert points != make_moons(100, seed=8)[0]
    assert len(points) == 100 and all(len(p) == 2 for p in points)
    assert labels.count(1.0) == labels.count(-1.0) == 50


def test_float_floor_computes_the_engines_loss_and_gradients():
    weights = initial_weights(seed=3)
    points, labels = make_moons(20, seed=3)
    model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
    load_weights(model, weights)
    loss = hinge_loss(model, points, labels, Value)
    loss.backward()

    floor_loss, grad_w, grad_b = FloatMLP(weights).gradients(points, labels)

    floor_grads = flat([list(zip(gw, gb)) for gw, gb in zip(grad_w, grad_b)])
    assert floor_loss == pytest.approx(loss.data, rel=1e-12)
    assert floor_grads == pytest.approx([p.grad for p in model.parameters()], rel=1e-9,
                                        abs=1e-15)


def test_float_floor_trains_like_the_engine():
    weights = initial_weights(seed=4)
    points, labels = make_moons(20, seed=4)
    model = MLP(SIZES[0], list(SIZES[1:]), seed=0)
    load_weights(model, weights)
    floor = FloatMLP(weights)
    for k in range(3):
        assert floor.train_step(points, labels, k) == pytest.approx(
            train_step(model, points, labels, Value, k), rel=1e-9)
    assert floor.parameters() == pytest.approx([p.data for p in model.parameters()], rel=1e-9)


def test_micrograds_code_on_our_value_builds_a_node_per_product_and_sum(micrograd):
    weights = initial_weights(seed=5)
    points, labels = make_moons(6, seed=5)
    ours, theirs = LectureMLP(Value), micrograd_mlp(micrograd)
    load_weights(ours, weights)
    load_weights(theirs, weights)
    score = ours(points[0])
    # 2 * 16 + 16 * 16 + 16 products, as many sums, 32 ReLUs: one node each
    assert len([n for n in topological_order(score) if n.parents]) == 2 * (32 + 256 + 16) + 32
    for k in range(2):
        assert train_step(ours, points, labels, Value, k) == pytest.approx(train_step(
            theirs, points, labels, micrograd.Value, k), rel=1e-12)
    # (micrograd adds a parameter's gradients in another order: the last bits may differ)
    assert [p.data for p in ours.parameters()] == pytest.approx(
        [p.data for p in theirs.parameters()], rel=1e-12)


def micrograd_mlp(micrograd_engine):
    _, micrograd_nn = reference.load()
    return micrograd_nn.MLP(SIZES[0], list(SIZES[1:]))


def test_the_compiled_demo_step_trains_to_the_engines_very_numbers():
    weights = initial_weights(seed=6)
    points, labels = make_moons(10, seed=6)
    engine, compiled = MLP(2, [16, 16, 1], seed=0), MLP(2, [16, 16, 1], seed=0)
    load_weights(engine, weights)
    load_weights(compiled, weights)
    step = autograd.compile(lambda X, y: hinge_loss(compiled, X, y, Value))
    params = compiled.parameters()
    for k in range(5):
        assert compiled_train_step(params, step, points, labels, k) == train_step(
            engine, points, labels, Value, k)
    assert step.replays == 4  # recorded at the first call, replayed from the second
    assert ([struct.pack("<d", p.data) for p in params]
            == [struct.pack("<d", p.data) for p in engine.parameters()])


needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None and not required_on_ci("torch"),
    reason="PyTorch is not installed (the bench's PyTorch rows are optional)")


@needs_torch
def test_the_pytorch_process_times_both_ways_of_writing_the_step_on_the_same_numbers():
    done = subprocess.run([sys.executable, "-m", "bench.torch_demo", "--points", "6",
                           "--rounds", "2"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["version"] and len(result["scalar"]) == len(result["batched"]) == 2
    model = MLP(2, [16, 16, 1], seed=0)
    load_weights(model, initial_weights())
    points, labels = make_moons(6)
    expected = [train_step(model, points, labels, Value, k) for k in range(2)]
    for name in ("scalar", "batched"):
        assert result["losses"][name] == pytest.approx(expected, rel=1e-12)


def test_loading_weights_into_a_model_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="MLP\\(2, \\[16, 16, 1\\]\\)"):
        load_weights(MLP(2, [4, 1], seed=0), initial_weights())


def test_chain_has_exactly_the_asked_number_of_nodes():
    for nodes in (1, 2, 7, 10):
        x, a, c = Value(1.0), Value(2.0), Value(3.0)
        out = chain(x, a, c, nodes)
        operations = [n for n in topological_order(out) if n.parents]
        assert len(operations) == nodes


def test_contenders_take_turns_in_alternating_order():
    calls = []

    def contender(name):
        def run(k):
            calls.append(name)
            return {"time": float(k)}
        return run

    results = take_turns({"a": contender("a"), "b": contender("b")}, rounds=3)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert results == {"a": {"time": [0.0, 1.0, 2.0]}, "b": {"time": [0.0, 1.0, 2.0]}}


def test_deepest_finds_the_last_size_that_runs():
    assert deepest(lambda n: n <= 995, start=64, limit=1_000_000) == (995, False)
    assert deepest(lambda n: True, start=64, limit=5_000) == (5_000, True)
    assert deepest(lambda n: n <= 10, start=64, limit=5_000) == (63, False)


def test_run_deep_runs_recursion_past_the_limit_and_restores_it():
    limit = sys.getrecursionlimit()

    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    assert run_deep(lambda: depth(5 * limit), 5 * limit + 100) == 5 * limit
    assert sys.getrecursionlimit() == limit
    with pytest.raises(RecursionError):
        run_deep(lambda: depth(5 * limit), 100)


def test_memory_probe_restores_the_collector_state():
    assert gc.isenabled()
    memory_per_node(lambda: [object() for _ in range(10)], 10)
    assert gc.isenabled()
    gc.disable()
    try:
        memory_per_node(lambda: [object() for _ in range(10)], 10)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_memory_probe_tells_cycles_from_trees():
    def cycles():
        nodes = [[] for _ in range(1_000)]
        for node in nodes:
            node.append(node)
        return nodes

    assert not memory_per_node(cycles, 1_000).freed_by_refcount
    assert memory_per_node(lambda: [[] for _ in range(1_000)], 1_000).freed_by_refcount


def test_median_ratio_compares_round_by_round():
    assert median_ratio([1.0, 2.0, 30.0], [10.0, 20.0, 30.0]) == 0.1
    assert median_ratio([1.0], None) is None


def test_targets_pass_and_fail_on_the_figures():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    assert [t.met for t in targets(results)] == [True] * 8 + [None] * 3  # (no Numba)
    results = _results(ours_step=0.06, micrograd_step=1.0)
    assert targets(results)[0].met is False
    assert "FAIL" in render(results)


def test_the_compiled_step_is_judged_against_the_floor_and_for_its_bits():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    results.demo["compiled"] = [0.0125] * 5  # 1.25 x the floor's 0.01
    assert targets(results)[1].met is False
    results = _results(ours_step=0.04, micrograd_step=1.0)
    results.bitwise = False
    assert targets(results)[2].met is False and "the numbers differ" in render(results)


def test_the_numba_targets_are_judged_against_pytorch_batched_in_the_same_run():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    assert [t.measured for t in targets(results)[8:]] == ["Numba not installed"] * 3
    assert "Numba is not installed (`pip install backprop-lab[fast]`)" in render(results)
    results.demo["numba"] = [0.0009] * 5
    results.torch = {"version": "2.13.0", "scalar": [2.0] * 5, "batched": [0.001] * 5,
                     "wide": [0.002] * 5, "end_to_end": 0.1}
    results.numba = {"version": "0.68.1", "kernel": 0.3, "cold": 9.0, "first_calls": 0.5,
                     "end_to_end": 0.09, "wide": [0.005] * 5, "note": ""}
    judged = targets(results)[8:]
    assert [t.met for t in judged] == [True, False, True]
    assert [t.measured for t in judged] == ["0.90", "2.50", "0.09 s against 0.10 s"]
    text = render(results)
    assert "9.00 s = 900 plain-float demo steps" in text  # the floor's step is 0.01 s
    assert "0.30 s = 30 plain-float demo steps" in text
    results.numba = {"error": "ImportError: no numba"}
    assert "The Numba backend failed: ImportError: no numba" in render(results)


def test_a_compiled_step_that_did_not_replay_says_so():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    results.compiled_note = "3 of 5 calls replayed"
    assert "**3 of 5 calls replayed.**" in render(results)


def test_pytorch_rows_show_its_version_or_why_it_failed():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    assert "PyTorch" not in render(results).split("## The engine")[0]
    results.torch = {"version": "2.13.0", "scalar": [2.0] * 5, "batched": [0.005] * 5}
    table = render(results)
    assert "| PyTorch 2.13.0, a 0-d tensor per scalar (own process) | 2,000.0" in table
    assert "| PyTorch 2.13.0, batched float64 tensors (own process)" in table
    results.torch = {"error": "ImportError: no torch"}
    assert "failed: ImportError: no torch" in render(results)


def test_a_target_is_not_judged_when_micrograd_fails():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    results.chain_backward["micrograd"] = None
    judged = targets(results)[3]
    assert judged.met is None and judged.measured == "micrograd fails"
    assert "fails" in render(results)


def test_report_says_when_the_implementations_disagree():
    results = _results(ours_step=0.04, micrograd_step=1.0)
    assert "computed the same numbers" in render(results)
    results.disagreement = 1e-3
    assert "The implementations disagree" in render(results)


def test_results_file_is_replaced_whole(tmp_path):
    path = tmp_path / "RESULTS.md"
    write_atomically(path, "old\n")
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]


def _results(ours_step: float, micrograd_step: float) -> Results:
    return Results(
        smoke=False, rounds=5, points=100, chain_nodes=100_000,
        demo={"micrograd": [micrograd_step] * 5, "lecture": [0.2] * 5, "ours": [ours_step] * 5,
              "compiled": [0.009] * 5, "floats": [0.01] * 5},
        chain_forward={"ours": [0.2] * 5, "micrograd": [1.0] * 5},
        chain_backward={"ours": [0.4] * 5, "micrograd": [1.0] * 5},
        memory={"ours": Memory(188.0, 0.0, 0), "micrograd": Memory(688.0, 688.0, 900_000)},
        deepest={"ours": (1_000_000, True), "micrograd": (995, False)},
        disagreement=1e-16)


# ---------------------------------------------------------------- what makes speed possible -

def _every_operation() -> Value:
    """A small graph using each operation once, with reuse (x feeds several nodes)."""
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    z = (x * y + x - y / 2 + (-x) ** 2 + x ** y + abs(y)).tanh()
    z = z.exp() + z.log() + z.sigmoid() + z.relu() + z.sin() + z.cos() + z.sqrt()
    return dot([x, y, z], [y, 2.0, x], 1.0)


def _refers_back(node: object) -> bool:
    """Whether anything ``node`` refers to, directly or not, refers to ``node`` (classes and
    modules aside: they lead to the whole interpreter, not into the graph)."""
    stack, reached = list(gc.get_referents(node)), set()
    while stack:
        item = stack.pop()
        if item is node:
            return True
        if id(item) not in reached and not isinstance(item, (type, ModuleType)):
            reached.add(id(item))
            stack.extend(gc.get_referents(item))
    return False


def test_no_node_is_part_of_a_reference_cycle():
    out = _every_operation()
    out.backward()
    for node in topological_order(out):
        assert not _refers_back(node), f"a {node.op!r} node is part of a reference cycle"


def test_micrograds_nodes_are_reference_cycles(micrograd):
    """The check above can fail: micrograd's nodes refer to themselves through closures."""
    x = micrograd.Value(2.0)
    assert _refers_back(x * x + 1)


def test_every_node_type_has_slots():
    out = _every_operation()
    nodes = topological_order(out) + [Constant(2.0), Parameter(1.0)]
    assert {type(n) for n in nodes} == {Value, Constant, Parameter}
    assert all("__slots__" in vars(t) for t in (Value, Constant, Parameter))


def test_chain_memory_is_bounded_per_node_and_freed_by_refcounting():
    x, a, c = Value(1.0), Value(0.999), Value(0.001)
    memory = memory_per_node(lambda: chain(x, a, c, 20_000), 20_000)
    assert memory.alive < 240  # micrograd: 688 bytes per node
    assert memory.after_del < 1.0 and memory.unreachable == 0


def test_micrograds_chain_is_kept_alive_by_its_cycles(micrograd):
    x, a, c = micrograd.Value(1.0), micrograd.Value(0.999), micrograd.Value(0.001)
    memory = memory_per_node(lambda: chain(x, a, c, 2_000), 2_000)
    assert not memory.freed_by_refcount and memory.unreachable > 2_000
    assert math.isclose(memory.after_del, memory.alive, rel_tol=0.05)


def test_the_report_shows_the_whole_demo_and_compiling_in_steps():
    results = _results(0.02, 0.6)
    results.demo["micrograd, no gc"] = [0.1] * 5
    results.compile_seconds = 0.109
    results.whole = {"ours": 2.0, "compiled": 1.0}
    text = render(results)
    assert "the time of 5.0 nn steps on the engine" in text
    assert "## The whole demo: 100 steps" in text
    assert "| nn, compiled: recording and compiling included" in text
    assert "micrograd 0.1.0, cyclic garbage collector off" in text
    assert "depends on the heap's size" in text


def test_without_collector_switches_it_off_and_back():
    from bench.measure import without_collector

    assert gc.isenabled()
    assert without_collector(gc.isenabled) is False
    assert gc.isenabled()
