"""The suite's results as a table: medians, ratios, and the targets the project promises.

Ratios are "ours / micrograd" (smaller is better). A time ratio is the median over rounds of the
ratio within each round, where the two engines ran back to back: a busy moment of the machine
then slows both sides of one ratio instead of one side of the comparison.
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
    demo: dict[str, list[float]]
    chain_forward: dict[str, list[float]]
    chain_backward: dict[str, list[float] | None]
    memory: dict[str, Memory]
    deepest: dict[str, tuple[int, bool]]
    #: The largest relative difference between the engines' demo losses and chain gradients.
    disagreement: float
    machine: dict[str, str] = field(default_factory=dict)


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
    forward = median_ratio(r.chain_forward["ours"], r.chain_forward["micrograd"])
    backward = median_ratio(r.chain_backward["ours"], r.chain_backward["micrograd"])
    memory = r.memory["ours"].alive / r.memory["micrograd"].alive
    ours = r.memory["ours"]
    depth, _ = r.deepest["ours"]

    def at_most(name: str, ratio: float | None, bound: float) -> Target:
        if ratio is None:  # micrograd failed: nothing to divide by, nothing promised
            return Target(f"{name} <= {bound:.2f} of micrograd's", "micrograd fails", None)
        return Target(f"{name} <= {bound:.2f} of micrograd's", f"{ratio:.3f}", ratio <= bound)

    return [
        at_most("demo step time", demo, 0.10),
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
    ]


def render(r: Results) -> str:
    """The report as Markdown: machine, measurements, floor, targets, how it was measured."""
    demo, forward, backward = r.demo, r.chain_forward, r.chain_backward
    ms = _scaled(1e3, 1)
    ns = _scaled(1e9 / r.chain_nodes, 0)
    rows = [
        (f"demo step, ms ({r.points} points)", ms(demo["ours"]), ms(demo["micrograd"]),
         _ratio(median_ratio(demo["ours"], demo["micrograd"]))),
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

    floor = r.demo["floats"]
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
        f"## Measurements (medians of {r.rounds} rounds)",
        "",
        *_table(("measurement", "ours", "micrograd 0.1.0", "ours / micrograd"), rows),
        "",
        "## The floor: the demo step on plain floats with a hand-written backward",
        "",
        *_table(("plain floats, ms", "ours / floor", "micrograd / floor"),
                [(ms(floor), _ratio(median_ratio(demo["ours"], floor), 1),
                  _ratio(median_ratio(demo["micrograd"], floor), 1))]),
        "",
        f"## Targets: {met} of {len(checks)} met",
        "",
        *_table(("target", "measured", "result"),
                [(t.promise, t.measured, _verdict(t.met)) for t in checks]),
        "",
        "## How it was measured",
        "",
        f"- Demo step: micrograd's demo, MLP(2, [16, 16, 1]) on {r.points} two-moons points, "
        "SVM hinge loss plus 1e-4 L2, forward + backward + SGD update; every engine starts from "
        "the same weights. Our side uses `nn.MLP` (one `dot` node per neuron).",
        _agreement(r.disagreement),
        "- Engines take turns in every round, the order flipping each round; `gc.collect()` "
        "runs untimed before every timed block. Garbage-collector settings are the defaults. "
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
