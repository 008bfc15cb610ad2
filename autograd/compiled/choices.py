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
from itertools import compress, count
from operator import ne
from typing import Any

from autograd.compiled.ir import Entry, Ref
from autograd.compiled.recording import Draw, Recording


def probes_needed(questions: int) -> int:
    """How many probes tell ``questions`` questions apart (q + 1 written in binary)."""
    return questions.bit_length()


def _same(x: Any, y: Any) -> bool:
    """Whether two constants are the same number (bit for bit: 0.0 is not -0.0) or draw."""
    if type(x) is float and type(y) is float:  # equal and not zero: the same bits
        return x == y and x != 0.0 or struct.pack("<d", x) == struct.pack("<d", y)
    if isinstance(x, Draw) or isinstance(y, Draw):
        return isinstance(x, Draw) and isinstance(y, Draw) and x.generator is y.generator \
            and x.name == y.name and len(x.args) == len(y.args) and all(map(_same, x.args, y.args))
    return type(x) is type(y) and bool(x == y)


def link(real: Recording, probes: list[Recording]) -> dict[int, int] | None:
    """Make the constants the real recording's questions choose into ``select`` entries (in
    place); returns the entries' new numbers by their old ones, or None when a probe built
    something else.

    Most entries of a probe are the real recording's, tuple for tuple: those are compared at C
    speed and only the others are looked at closely, with the entries that read a constant whose
    number differs between the two (each recording numbers its constants as it meets them)."""
    sites: dict[tuple[int, int], list[Any]] = {}  # (entry, argument) -> [bits, other number]
    readers: dict[int, list[int]] | None = None
    for k, probe in enumerate(probes):
        if len(probe.entries) != len(real.entries) or \
                len(probe.questions) != len(real.questions):
            return None
        look = list(compress(count(), map(ne, real.entries, probe.entries)))
        changed = _changed(real.constants, probe.constants)
        if changed:
            if readers is None:
                readers = _readers(real.entries)
            look = sorted(set(look).union(*[readers.get(c, ()) for c in changed]))
        for j in look:
            a, b = real.entries[j], probe.entries[j]
            if a.kind != b.kind or a.op != b.op or a.flows != b.flows or \
                    len(a.args) != len(b.args) or (a.kind != "question" and a.params != b.params):
                return None
            if a.args == b.args and not (changed and _reads(a, changed)):
                continue  # (a question the probe answered the other way)
            for i, ra, rb in zip(count(), a.args, b.args):
                if ra.kind != "k" or rb.kind != "k":
                    if ra != rb:
                        return None
                    continue
                va, vb = real.constants[ra.index], probe.constants[rb.index]
                if _same(va, vb):
                    continue
                if isinstance(va, Draw) or isinstance(vb, Draw):
                    return None
                site = sites.get((j, i))
                if site is None:
                    sites[j, i] = [1 << k, vb]
                elif _same(site[1], vb):
                    site[0] |= 1 << k
                else:
                    return None
    if not sites:
        return dict(zip(range(len(real.entries)), range(len(real.entries))))
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


def _changed(real: list[Any], probe: list[Any]) -> list[int]:
    """The constants (by index) whose number differs between two recordings."""
    return [c for c, (x, y) in enumerate(zip(real, probe)) if not _same(x, y)]


def _reads(entry: Entry, constants: list[int]) -> bool:
    return any(ref.kind == "k" and ref.index in constants for ref in entry.args)


def _readers(entries: list[Entry]) -> dict[int, list[int]]:
    """The entries reading each constant (by its index)."""
    readers: dict[int, list[int]] = {}
    for j, entry in enumerate(entries):
        for ref in entry.args:
            if ref.kind == "k":
                readers.setdefault(ref.index, []).append(j)
    return readers


def _insert(real: Recording, selects: dict[int, list[tuple[int, Entry]]]) -> dict[int, int]:
    """Put each select just before the entry that uses it, renumbering every reference."""
    new: list[int] = []
    entries: list[Entry] = []
    moved: dict[Ref, Ref] = {}  # the references to entries that a select has pushed on

    for j, entry in enumerate(real.entries):
        args = tuple(map(moved.get, entry.args, entry.args)) if moved else entry.args
        if j in selects:
            args = list(args)
            for i, select in selects[j]:
                entries.append(_with_args(select, tuple(map(moved.get, select.args,
                                                            select.args))))
                args[i] = Ref("v", len(entries) - 1)
            args = tuple(args)
        if len(entries) != j:
            moved[_new_tuple(Ref, ("v", j))] = _new_tuple(Ref, ("v", len(entries)))
        new.append(len(entries))
        entries.append(entry if args == entry.args else _with_args(entry, args))
    real.entries[:] = entries
    real.questions[:] = [new[j] for j in real.questions]
    for key, j in real.nodes.items():
        real.nodes[key] = new[j]
    return dict(enumerate(new))


def _with_args(entry: Entry, args: tuple[Ref, ...]) -> Entry:
    """``entry._replace(args=args)``, without its keyword machinery (thousands of calls)."""
    return _new_tuple(Entry, (entry.kind, entry.op, args, entry.params, entry.flows,
                              entry.where))


_new_tuple = tuple.__new__  # a namedtuple made without its Python-level __new__
