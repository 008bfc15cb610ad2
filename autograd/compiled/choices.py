"""Choices made by random draws (dropout's mask), followed into the replay.

Dropout decides each unit with ``0.0 if rng.random() < p else keep``: a comparison of a drawn
number (a *question*, ``recording.Recording.guard``), then a Python ``if`` that the compiler
cannot see, choosing one of two numbers that the step then uses as constants. Freezing the
answer would replay one mask forever; guarding it would record anew at almost every call.

So the compiler finds out what each answer decides by asking: it runs the step again with some
answers turned around (a *probe*; the generators rewound, so every probe draws the same numbers)
and compares the recordings. In probe k the answer to question q is the other one exactly when
bit k of q + 1 is set, so ceil(log2(Q + 1)) probes tell Q questions apart: a constant that
changes in the probes whose bits spell q + 1 is chosen by question q, between the number it had
and the number it has in those probes. ``link`` turns each such constant into a ``select``
entry, ``(if_true if question else if_false)``, placed just before its use; the replay asks the
questions of its own draws and picks the numbers, as the step's code would.

A probe that builds anything else (other operations, another shape) means the draws decide more
than numbers: the step then runs on the engine (``link`` returns None).
"""

from __future__ import annotations

import struct
from typing import Any

from autograd.compiled.ir import Entry, Ref
from autograd.compiled.recording import Draw, Recording


def probes_needed(questions: int) -> int:
    """How many probes tell ``questions`` questions apart (q + 1 written in binary)."""
    return questions.bit_length()


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, Draw) or isinstance(y, Draw):
        return isinstance(x, Draw) and isinstance(y, Draw) and (x.generator, x.name, x.args) \
            == (y.generator, y.name, y.args)
    if type(x) is not type(y):
        return False
    if type(x) is float:
        return struct.pack("<d", x) == struct.pack("<d", y)
    return bool(x == y)


def link(real: Recording, probes: list[Recording]) -> dict[int, int] | None:
    """Make the constants the real recording's questions choose into ``select`` entries (in
    place); returns the entries' new numbers by their old ones, or None when a probe built
    something else."""
    sites: dict[tuple[int, int], list[Any]] = {}  # (entry, argument) -> [bits, other number]
    for k, probe in enumerate(probes):
        if len(probe.entries) != len(real.entries) or \
                len(probe.questions) != len(real.questions):
            return None
        for j, (a, b) in enumerate(zip(real.entries, probe.entries)):
            if (a.kind, a.op, a.flows, len(a.args)) != (b.kind, b.op, b.flows, len(b.args)) \
                    or (a.kind != "question" and a.params != b.params):
                return None
            for i, (ra, rb) in enumerate(zip(a.args, b.args)):
                if ra == rb and ra.kind != "k":
                    continue
                if ra.kind != rb.kind:
                    return None
                if ra.kind != "k":
                    return None
                va, vb = real.constants[ra.index], probe.constants[rb.index]
                if _same(va, vb):
                    continue
                if isinstance(va, Draw) or isinstance(vb, Draw):
                    return None
                site = sites.setdefault((j, i), [0, vb])
                if not _same(site[1], vb):
                    return None
                site[0] |= 1 << k
    if not sites:
        return {j: j for j in range(len(real.entries))}
    selects: dict[int, list[tuple[int, Entry]]] = {}
    for (j, i), (bits, other) in sorted(sites.items()):
        q = bits - 1
        if not 0 <= q < len(real.questions) or real.questions[q] >= j:
            return None
        question = real.entries[real.questions[q]]
        here = real.entries[j].args[i]
        there = real.constant(other)
        if_true, if_false = (here, there) if question.params[0] else (there, here)
        selects.setdefault(j, []).append(
            (i, Entry("number", "select", (Ref("v", real.questions[q]), if_true, if_false))))
    return _insert(real, selects)


def _insert(real: Recording, selects: dict[int, list[tuple[int, Entry]]]) -> dict[int, int]:
    """Put each select just before the entry that uses it, renumbering every reference."""
    new: dict[int, int] = {}
    entries: list[Entry] = []

    def renamed(ref: Ref) -> Ref:
        return Ref("v", new[ref.index]) if ref.kind == "v" else ref

    for j, entry in enumerate(real.entries):
        args = [renamed(r) for r in entry.args]
        for i, select in selects.get(j, ()):
            entries.append(select._replace(args=tuple(renamed(r) for r in select.args)))
            args[i] = Ref("v", len(entries) - 1)
        new[j] = len(entries)
        entries.append(entry._replace(args=tuple(args)))
    real.entries[:] = entries
    real.questions[:] = [new[j] for j in real.questions]
    for key, j in real.nodes.items():
        real.nodes[key] = new[j]
    return new
