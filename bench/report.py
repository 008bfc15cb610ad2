"""The suite's results as a table: medians, ratios, and the targets the project promises.

Ratios are "ours / micrograd" (smaller is better). A time ratio is the median over rounds of the
ratio within each round, where the two engines ran back to back: a busy moment of the machine
then slows both sides of one ratio instead of one side of the comparison. PyTorch runs in a
process of its own: its ratios are ratios of medians.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.measure import Memory

#: A chain that deep must run backward (ours), the issue's promise.
DEEP_CHAIN = 1_000_000


@dataclass
class Results:
    """Everything one run of the suite measured. Times are seconds, one entry per round;
    ``None`` in place of a list means the engine could not run that measurement at all."""

    smoke: bool
    rounds: int
    points: int
    chain_nodes: int
    #: Demo step times: "micrograd", "lecture" (micrograd's code on our Value), "ours" (nn),
    #: "compiled" (nn, autograd.compile) and "floats" (the floor).
    demo: dict[str, list[float]]
    chain_forward: dict[str, list[float]]
    chain_backward: dict[str, list[float] | None]
    memory: dict[str, Memory]
    deepest: dict[str, tuple[int, bool]]
    #: The largest relative difference between the engines' demo losses and chain gradients.
    disagreement: float
    machine: dict[str, str] = field(default_factory=dict)
    #: The compiled step's first two calls (recording and compiling it, once), in seconds.
    compile_seconds: float = 0.0
    #: Whether the compiled step trained to the very numbers nn did, bit for bit.
    bitwise: bool = True
    #: Why the compiled step did not replay every round ("" when it did).
    compiled_note: str = ""
    #: PyTorch's demo step times ("scalar", "batched") and "version", from its own process;
    #: None when torch is not installed, {"error": ...} when that process failed.
    torch: dict | None = None
    #: Seconds for ``demo_steps`` whole demo steps: "ours" on the engine, "compiled" with its
    #: recording and compiling included.
    whole: dict[str, float] = field(default_factory=dict)
    demo_steps: int = 100
    #: The Numba backend from its own processes (``bench/numba_demo.py``): "kernel" (seconds
    #: to load it from the cache), "cold" (to build it, or None), "first_calls" (the demo's
    #: first two steps: recording it and making its tape, the kernel loaded), "end_to_end",
    #: "wide", "note"; None without Numba, {"error": ...} on failure.
    numba: dict | None = None


@dataclass(frozen=True)
class Target:
    """One promise: what it is, the measured figure, and whether it holds (``None``: not
    measured in this run)."""

    promise: str
    measured: str
    met: bool | None


def median_ratio(ours: Sequence[float] | None, theirs: Sequence[float] | None) -> float | None:
    """The median of the per-round ratios ours[k] / theirs[k]; None if either side is missing."""
    if not ours or not theirs:
        return None
    return statistics.median(a / b for a, b in zip(ours, theirs))


def agrees(disagreement: float) -> bool:
    """Whether the implementations computed the same numbers, up to rounding: summation order
    differs between them (a ``dot`` node against micrograd's chain of ``+``)."""
    return disagreement <= 1e-9


def targets(r: Results) -> list[Target]:
    """The issue's targets, judged on this run's figures."""
    demo = median_ratio(r.demo["ours"], r.demo["micrograd"])
    compiled = median_ratio(r.demo["compiled"], r.demo["floats"])
    forward = median_ratio(r.chain_forward["ours"], r.chain_forward["micrograd"])
    backward = median_ratio(r.chain_backward["ours"], r.chain_backward["micrograd"])
    memory = r.memory["ours"].alive / r.memory["micrograd"].alive
    ours = r.memory["ours"]
    depth, _ = r.deepest["ours"]

    def at_most(name: str, ratio: float | None, bound: float, whose: str = "micrograd's"
                ) -> Target:
        if ratio is None:  # micrograd failed: nothing to divide by, nothing promised
            return Target(f"{name} <= {bound:.2f} of {whose}", "micrograd fails", None)
        return Target(f"{name} <= {bound:.2f} of {whose}", f"{ratio:.3f}", ratio <= bound)

    return [
        at_most("nn demo step time", demo, 0.05),
        at_most("compiled demo step time", compiled, 1.20, "the plain-float floor's"),
        Target("compiled gradients are the engine's, bit for bit",
               "the same parameters and losses, every round" if r.bitwise
               else "the numbers differ", r.bitwise),
        at_most("chain backward time", backward, 0.5),
        at_most("chain forward time", forward, 0.3),
        at_most("memory per node", memory, 0.35),
        Target(f"a {DEEP_CHAIN:,}-node chain runs backward",
               f"{depth:,} nodes ran" if depth >= DEEP_CHAIN
               else f"not tried (this run went to {depth:,} nodes)",
               True if depth >= DEEP_CHAIN else None),
        Target("a dropped graph is freed without the cyclic collector",
               f"{_bytes(ours.after_del)} of {_bytes(ours.alive)} bytes per node left, "
               f"{ours.unreachable:,} objects for the collector",
               ours.freed_by_refcount),
        *_numba_targets(r),
    ]


def _numba_targets(r: Results) -> list[Target]:
    """The Numba backend against PyTorch's batched float64 step (issue 22)."""
    fast, torch = r.numba or {}, r.torch or {}
    measured = "demo" in fast or "numba" in r.demo
    if not measured or "error" in fast or "batched" not in torch:
        why = ("Numba not installed" if r.numba is None else
               fast.get("error") or torch.get("error") or "PyTorch not installed")
        return [Target(promise, why, None) for promise in _NUMBA_PROMISES]
    demo = statistics.median(r.demo["numba"]) / statistics.median(torch["batched"])
    wide = statistics.median(fast["wide"]) / statistics.median(torch["wide"])
    ours, theirs = fast["end_to_end"], torch["end_to_end"]
    return [Target(_NUMBA_PROMISES[0], f"{demo:.2f}", demo <= 1.0),
            Target(_NUMBA_PROMISES[1], f"{wide:.2f}", wide <= 2.0),
            Target(_NUMBA_PROMISES[2], f"{ours:.2f} s against {theirs:.2f} s", ours < theirs)]


_NUMBA_PROMISES = (
    "Numba demo step <= 1.00 of PyTorch batched float64's",
    "Numba MLP(2, [64, 64, 1]) step, batch 100, <= 2.00 of PyTorch batched's",
    "Numba's 100-step demo, compile included, faster than PyTorch batched's",
)


def _numba_section(r: Results) -> list[str]:
    fast, torch = r.numba, r.torch or {}
    if fast is None:
        return ["Numba is not installed (`pip install backprop-lab[fast]`): no Numba rows."]
    if "error" in fast:
        return [f"The Numba backend failed: {fast['error']}"]
    floor = statistics.median(r.demo["floats"])

    def steps(seconds: float) -> str:
        return f"{seconds:,.2f} s = {seconds / floor:,.0f} plain-float demo steps"

    ms = _scaled(1e3, 2)
    rows = [("build the kernel, empty cache (once per machine and version)",
             steps(fast["cold"]) if fast.get("cold") is not None else "not measured (--smoke)"),
            ("load the kernel from the cache (a new process)", steps(fast["kernel"])),
            ("record the demo step and make its tape (first two calls)",
             steps(fast["first_calls"])),
            ("the demo's 100 steps end to end, compile included",
             f"{fast['end_to_end']:.2f} s" + (f"; PyTorch batched: {torch['end_to_end']:.2f} s"
                                              if "end_to_end" in torch else "")),
            ("MLP(2, [64, 64, 1]) step, batch 100, ms",
             ms(fast["wide"]) + (f"; PyTorch batched: {ms(torch['wide'])}"
                                 if "wide" in torch else ""))]
    note = f" **{fast['note']}.**" if fast.get("note") else ""
    return [f"Numba {fast['version']}, the kernel of `autograd.compile(backend=\"numba\")`, "
            "measured in processes of its own (`bench/numba_demo.py`; importing numba, as "
            f"importing torch, not timed).{note}", "",
            *_table(("Numba backend", "measured"), rows)]


def render(r: Results) -> str:
    """The report as Markdown: machine, the demo step, the engine, targets, how it was
    measured."""
    forward, backward = r.chain_forward, r.chain_backward
    ns = _scaled(1e9 / r.chain_nodes, 0)
    rows = [
        (f"chain forward, ns per node ({r.chain_nodes:,} nodes)", ns(forward["ours"]),
         ns(forward["micrograd"]), _ratio(median_ratio(forward["ours"], forward["micrograd"]))),
        (f"chain backward, ns per node ({r.chain_nodes:,} nodes)", ns(backward["ours"]),
         ns(backward["micrograd"]), _ratio(median_ratio(backward["ours"], backward["micrograd"]))),
    ]
    for label, attribute in (("alive", "alive"),
                             ("after `del`, collector off", "after_del")):
        ours, theirs = (getattr(r.memory[e], attribute) for e in ("ours", "micrograd"))
        rows.append((f"memory {label}, bytes per node", _bytes(ours), _bytes(theirs),
                     _ratio(ours / theirs if theirs else None)))
    rows.append(("deepest chain that runs backward, nodes",
                 _depth(r.deepest["ours"]), _depth(r.deepest["micrograd"]), ""))

    checks = targets(r)
    met = sum(t.met is True for t in checks)
    lines = [
        "# Benchmarks: backprop-lab against micrograd 0.1.0",
        "",
        "Written by `make bench` (`bench/run.py`)" + (" in smoke mode: tiny sizes, figures "
                                                       "not meaningful." if r.smoke else "."),
        "Absolute times depend on the machine; the ratios (ours / micrograd) are what the "
        "project promises.",
        "",
        *[f"- {key}: {value}" for key, value in r.machine.items()],
        "",
        f"## The demo step (medians of {r.rounds} rounds)",
        "",
        *_table((f"demo step, {r.points} points", "ms", "/ micrograd", "/ plain floats"),
                _demo_rows(r)),
        "",
        f"Recording and compiling the step (its first two calls, once): "
        f"{r.compile_seconds * 1e3:,.0f} ms, the time of {_compile_steps(r)} nn steps on the "
        "engine." + (f" **{r.compiled_note}.**" if r.compiled_note else ""),
        "",
        *_whole_rows(r),
        "## The Numba backend",
        "",
        *_numba_section(r),
        "",
        f"## The engine (medians of {r.rounds} rounds)",
        "",
        *_table(("measurement", "ours", "micrograd 0.1.0", "ours / micrograd"), rows),
        "",
        f"## Targets: {met} of {len(checks)} met",
        "",
        *_table(("target", "measured", "result"),
                [(t.promise, t.measured, _verdict(t.met)) for t in checks]),
        "",
        "## How it was measured",
        "",
        f"- Demo step: micrograd's demo, MLP(2, [16, 16, 1]) on {r.points} two-moons points, "
        "SVM hinge loss plus 1e-4 L2, forward + backward + SGD update; every row starts from "
        "the same weights and runs the same loss code (`bench/workloads.py`).",
        "- *micrograd's code on our Value*: micrograd's model as its README writes it, one node "
        "per `*` and per `+`: a neuron of n inputs is 2n nodes, and a graph that size costs "
        "our engine time too. *nn*: the same model with `nn.MLP`, one `dot` node per neuron "
        "(its n products and sums inside one node), which is why it is several times faster. "
        "*compiled*: the nn step through `autograd.compile`, recorded once and replayed as "
        "generated plain-float Python, no graph built; its gradients are asserted equal to "
        "nn's, bit for bit, round after round (the target above). *plain floats*: the step "
        "written by hand on lists of floats (`bench/floats.py`), with a backward that skips "
        "the examples and units where nothing flows, the floor for a graph-building engine.",
        "- *Numba kernel*: the same compiled step run by `autograd.compile(backend=\"numba\")`"
        ": the recorded program handed as data to one Numba kernel written from the rules "
        "(`autograd/compiled/numba_backend.py`), no fast-math; asserted equal to nn's, bit for "
        "bit, round after round, like the Python replay. Its compile cost, its 100-step demo "
        "and the wider model are measured in processes of its own (`bench/numba_demo.py`), "
        "against PyTorch's in its own (`bench/torch_demo.py`: the same step on "
        "MLP(2, [64, 64, 1]), and the demo's 100 steps with its tensors made).",
        "- PyTorch (when installed) runs in a process of its own (`bench/torch_demo.py`, one "
        "thread): importing torch adds ~146k objects the cyclic collector tracks, which slow "
        "micrograd's collector down and would flatter our ratio. Its ratios are ratios of "
        "medians across processes.",
        _agreement(r.disagreement),
        "- Engines take turns in every round, the order flipping each round; `gc.collect()` "
        "runs untimed before every timed block. Garbage-collector settings are the defaults, "
        "except in the row that switches micrograd's collector off: each micrograd step "
        "leaves a graph of reference cycles (every node's `_backward` closure refers to the "
        "node), and most of its step time with the collector on is the collector chasing "
        "them, a cost that grows with everything else alive in the process. So the headline "
        "ratio against micrograd depends on the heap's size; the collector-off row is "
        "micrograd's own arithmetic, the fairer peer for the engine's speed. "
        "A step's time includes freeing its graph when the engine frees it at once (ours); "
        "micrograd's graphs are reference cycles, left to its collector runs or the untimed "
        "`gc.collect()`.",
        f"- Chain: `x = x * a + c` until {r.chain_nodes:,} operation nodes. micrograd's "
        "recursive backward runs in a thread with a large stack and a raised recursion limit "
        "(restored afterwards), so that it can be compared at all.",
        "- Memory: tracemalloc, the chain's traced bytes per node after the forward pass, and "
        "what remains once it is `del`eted with the cyclic collector switched off (then "
        "switched back on); measured on a second build, after a first one has filled CPython's "
        "free lists.",
        "- Deepest chain: micrograd's under the default recursion limit, found by doubling and "
        f"bisection; ours confirmed at {r.deepest['ours'][0]:,} nodes.",
    ]
    return "\n".join(lines) + "\n"


def _compile_steps(r: Results) -> str:
    """Recording and compiling, in nn steps on the engine (the compiled step's own first
    replay, part of the first two calls, taken out)."""
    ours = statistics.median(r.demo["ours"])
    replay = statistics.median(r.demo["compiled"])
    return f"{(r.compile_seconds - replay) / ours:.1f}"


def _whole_rows(r: Results) -> list[str]:
    if not r.whole:
        return []
    n = r.demo_steps
    theirs = {name: n * statistics.median(r.demo[name])
              for name in ("micrograd", "micrograd, no gc") if name in r.demo}
    rows = [(label, f"{seconds:,.2f}", _ratio(seconds / theirs["micrograd"]))
            for label, seconds in (
                ("micrograd 0.1.0 (its median step times the steps)", theirs["micrograd"]),
                ("micrograd 0.1.0, collector off (the same)", theirs.get("micrograd, no gc")),
                ("nn on our Value", r.whole["ours"]),
                ("nn, compiled: recording and compiling included", r.whole["compiled"]))
            if seconds is not None]
    return [f"## The whole demo: {n} steps, as a user waits for them", "",
            *_table((f"{n} demo steps", "s", "/ micrograd"), rows), ""]


def _demo_rows(r: Results) -> list[tuple[str, ...]]:
    demo, ms = r.demo, _scaled(1e3, 1)
    names = [("micrograd", "micrograd 0.1.0"),
             ("micrograd, no gc", "micrograd 0.1.0, cyclic garbage collector off"),
             ("lecture", "micrograd's code on our Value: a node per + and *"),
             ("ours", "nn on our Value: a dot node per neuron"),
             ("compiled", "nn, compiled (autograd.compile), Python replay"),
             ("numba", "nn, compiled, Numba kernel (backend=\"numba\")"),
             ("floats", "plain floats, backward by hand (the floor)")]
    rows = [(label, ms(demo[name]), _ratio(median_ratio(demo[name], demo["micrograd"])),
             _ratio(median_ratio(demo[name], demo["floats"]), 2))
            for name, label in names if name in demo]
    torch = r.torch or {}
    if "error" in torch:
        rows.append(("PyTorch", f"failed: {torch['error']}", "", ""))
    for name, label in (("scalar", "a 0-d tensor per scalar"),
                        ("batched", "batched float64 tensors")):
        if name in torch:
            seconds = statistics.median(torch[name])
            rows.append((f"PyTorch {torch['version']}, {label} (own process)", ms(torch[name]),
                         _ratio(seconds / statistics.median(demo["micrograd"])),
                         _ratio(seconds / statistics.median(demo["floats"]), 2)))
    return rows


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    info = {
        "machine": f"{platform.platform()}, {_cpu_name()}, {os.cpu_count()} CPUs",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    if hasattr(os, "getloadavg"):
        info["load average at start"] = f"{os.getloadavg()[0]:.1f}"
    return info


def _agreement(disagreement: float) -> str:
    if agrees(disagreement):
        return ("- Every implementation computed the same numbers: the demo losses and chain "
                f"gradients agree to a relative {disagreement:.1e}.")
    return (f"- **The implementations disagree** (relative difference {disagreement:.1e} in "
            "the demo losses or chain gradients): they did not compute the same thing, so the "
            "comparison above is not valid.")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
            *(line(row) for row in rows)]


def _scaled(factor: float, digits: int) -> Callable[[Sequence[float] | None], str]:
    def show(seconds: Sequence[float] | None) -> str:
        if not seconds:
            return "fails"
        return f"{statistics.median(seconds) * factor:,.{digits}f}"
    return show


def _ratio(ratio: float | None, digits: int = 3) -> str:
    return "-" if ratio is None else f"{ratio:.{digits}f}"


def _bytes(per_node: float) -> str:
    return f"{per_node:,.1f}"


def _depth(deepest: tuple[int, bool]) -> str:
    n, reached_limit = deepest
    return f">= {n:,} (all tried)" if reached_limit else f"{n:,}"


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("pass" if met else "FAIL")


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for entry in cpuinfo:
                if entry.startswith("model name"):
                    return entry.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
