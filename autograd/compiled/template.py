"""From a recording to a ``Program``: one example's operations, looped over the batch.

A training step computes the same thing for every example of its batch and then averages: the
recording of a batch of N examples holds N copies of one example's operations. ``program``
finds them and keeps one copy, the *template*, which the replay loops over the batch, so that
the generated code (and the time to compile it) does not grow with the batch.

It is a proof, not a guess: the template is used only when every example's operations are the
first one's, operation for operation (the same ops on the same parameters and constants, each
example reading its own inputs), when they come in the engine's order one example after the
other (so the backward loop, examples last first, adds the gradients in the engine's order),
and when what joins the examples is a ``dot`` of each example's result with one weight (the
mean of the losses). Anything else is generated as it was recorded, without a loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd.compiled.ir import BODY, Entry, Program, Ref

_SHARED = None
_MANY = -2
#: At most this many variants of the body (``_Template._variants``).
MAX_VARIANTS = 16


def flat(entries: list[Entry], inputs: int, params: int, constants: list[Any],
         order: list[int], results: list[tuple], places: list[str]) -> Program:
    """The program of a recording as it is: no loop."""
    def shared(ref: Ref) -> Ref:
        return Ref("s", ref.index) if ref.kind == "x" else ref

    renamed = [e._replace(args=tuple(shared(r) for r in e.args)) for e in entries]
    return Program(inputs, 0, params, constants, renamed, len(renamed), 0, list(order),
                   [_rename_result(r, shared) for r in results], places)


def program(entries: list[Entry], examples: Sequence[Sequence[int]] | None, inputs: int,
            params: int, constants: list[Any], order: list[int], results: list[tuple],
            places: list[str]) -> Program:
    """The recording as a ``Program``: looped over the batch when ``examples`` (each example's
    input numbers) shows one and the recording is one example's operations repeated."""
    found = None
    if examples is not None and len(examples) >= 2:
        found = _Template(entries, examples, inputs, params, constants, order, results,
                          places).find()
    return found or flat(entries, inputs, params, constants, order, results, places)


def _rename_result(tree: tuple, rename: Any) -> tuple:
    if tree[0] == "ref":
        return ("ref", rename(tree[1]))
    if tree[0] in ("list", "tuple"):
        return (tree[0], [_rename_result(t, rename) for t in tree[1]])
    return tree


class _NoTemplate(Exception):
    pass


class _Template:
    def __init__(self, entries: list[Entry], examples: Sequence[Sequence[int]], inputs: int,
                 params: int, constants: list[Any], order: list[int], results: list[tuple],
                 places: list[str]) -> None:
        self.entries = entries
        self.examples = examples
        self.inputs = inputs
        self.params = params
        self.constants = constants
        self.order = order
        self.results = results
        self.places = places
        self.example_of: dict[int, int] = {}
        self.offset: dict[int, int] = {}
        for i, numbers in enumerate(examples):
            for k, x in enumerate(sorted(numbers)):
                self.example_of[x] = i
                self.offset[x] = k
        shared = [x for x in range(inputs) if x not in self.example_of]
        self.shared_rank = {x: k for k, x in enumerate(shared)}

    def find(self) -> Program | None:
        try:
            return self._find()
        except _NoTemplate:
            return None

    def _find(self) -> Program:
        n = len(self.examples)
        if len({len(x) for x in self.examples}) != 1:
            raise _NoTemplate
        owner = self._owners()
        bodies: list[list[int]] = [[] for _ in range(n)]
        for j, who in enumerate(owner):
            if who is not _SHARED and who != _MANY:
                bodies[who].append(j)
        size = len(bodies[0])
        if size == 0 or any(len(b) != size for b in bodies):
            raise _NoTemplate
        first, last = bodies[0][0], bodies[-1][-1]
        for i in range(1, n):  # one example after the other, nothing shared in between
            if bodies[i][0] < bodies[i - 1][-1]:
                raise _NoTemplate
        position = {}
        for i in range(n):
            for k, j in enumerate(bodies[i]):
                position[j] = k
        for j in range(first, last + 1):
            if owner[j] is _SHARED or owner[j] == _MANY:
                raise _NoTemplate
        reps, variant_of = self._variants(bodies, position, owner)
        sums = self._sums(owner, position, bodies, last)
        self._engine_order(owner, position, bodies, [reps[v] for v in variant_of])
        # renumbering: prologue (shared, before), the template, the epilogue (after)
        prologue = list(range(first))
        epilogue = list(range(last + 1, len(self.entries)))
        new: dict[int, int] = {}
        for j in prologue:
            new[j] = len(new)
        for j in bodies[0]:
            new[j] = len(new)
        for j in epilogue:
            new[j] = len(new)

        def rename(ref: Ref, body: bool = False) -> Ref:
            if ref.kind == "x":
                if ref.index in self.example_of:
                    return Ref("x", self.offset[ref.index])
                return Ref("s", self.shared_rank[ref.index])
            if ref.kind == "v":
                if owner[ref.index] not in (_SHARED, _MANY) and not body:
                    return Ref("v", new[bodies[0][position[ref.index]]])
                return Ref("v", new[ref.index])
            return ref

        entries: list[Entry] = []
        for j in prologue + bodies[0]:
            entries.append(self.entries[j]._replace(
                args=tuple(rename(r, body=True) for r in self.entries[j].args)))
        for j in epilogue:
            if j in sums:
                entries.append(sums[j]._replace(args=tuple(rename(r) for r in sums[j].args)))
            else:
                entries.append(self.entries[j]._replace(
                    args=tuple(rename(r) for r in self.entries[j].args)))
        shared_order = [new[j] for j in self.order if owner[j] is _SHARED or owner[j] == _MANY]
        body_order = [new[j] for j in self.order if owner[j] == 0]
        order = shared_order[:self._split] + [BODY] + body_order + shared_order[self._split:]
        results = [self._result(r, owner, position, bodies, rename) for r in self.results]
        variants = [[self.entries[j]._replace(args=tuple(rename(r) for r in self.entries[j].args))
                     for j in bodies[rep]] for rep in reps[1:]]
        body_start = len(prologue)
        variant_orders = [[body_start + position[j] for j in self.order if owner[j] == rep]
                          for rep in reps[1:]]
        return Program(len(self.shared_rank), len(self.examples[0]), self.params,
                       self.constants, entries, len(prologue), size, order, results,
                       self.places, variants, variant_orders)

    def _variants(self, bodies: list[list[int]], position: dict, owner: list
                  ) -> tuple[list[int], list[int]]:
        """The examples that stand for each variant of the body, and each example's variant.

        Examples whose questions got other answers (a class label picking its score) do other
        things: each kind is a variant, replayed by the examples whose answers are its own. The
        replay tells them apart by those answers, so two variants must first differ at a
        question asked alike (the same question, another answer); draws are never made in a
        variant that might not be the example's (a failed try would have consumed them)."""
        reps, variant_of = [0], [0]
        for i in range(1, len(bodies)):
            for k, rep in enumerate(reps):
                if self._alike(bodies, rep, i, position, owner) is None:
                    variant_of.append(k)
                    break
            else:
                if len(reps) >= MAX_VARIANTS:
                    raise _NoTemplate
                for rep in reps:
                    t = self._alike(bodies, rep, i, position, owner)
                    a, b = self.entries[bodies[rep][t]], self.entries[bodies[i][t]]
                    if a.kind != "guard" or b.kind != "guard" or a.op != b.op or \
                            a.params == b.params:
                        raise _NoTemplate
                variant_of.append(len(reps))
                reps.append(i)
        if len(reps) > 1 and any(self.entries[j].kind in ("draw", "question")
                                 for rep in reps for j in bodies[rep]):
            raise _NoTemplate
        return reps, variant_of

    def _alike(self, bodies: list[list[int]], rep: int, i: int, position: dict, owner: list
               ) -> int | None:
        """Where example i first does something else than example ``rep`` (None: nowhere)."""
        for t, (j0, j) in enumerate(zip(bodies[rep], bodies[i])):
            try:
                self._same(self.entries[j0], self.entries[j], position, owner, i)
            except _NoTemplate:
                return t
        return None

    def _owners(self) -> list[Any]:
        owner: list[Any] = []
        latest: Any = _SHARED  # the example whose operations came last
        for entry in self.entries:
            if entry.kind == "draw":  # a draw belongs where it was made: its example's
                owner.append(latest)
                continue
            who: Any = _SHARED
            for ref in entry.args:
                if ref.kind == "x":
                    mine = self.example_of.get(ref.index, _SHARED)
                elif ref.kind == "v":
                    mine = owner[ref.index]
                    if mine == _MANY:  # after a sum over the batch: one value, not per example
                        mine = _SHARED
                else:
                    continue
                if mine is _SHARED:
                    continue
                if who is _SHARED:
                    who = mine
                elif who != mine:
                    who = _MANY
            owner.append(who)
            if who is not _SHARED and who != _MANY:
                latest = who
        return owner

    def _same(self, a: Entry, b: Entry, position: dict, owner: list, i: int) -> None:
        # (a question's answer is the example's own: the replay asks it again)
        if (a.kind, a.op, a.flows, len(a.args)) != (b.kind, b.op, b.flows, len(b.args)) or \
                a.kind != "question" and a.params != b.params:
            raise _NoTemplate
        for ra, rb in zip(a.args, b.args):
            if ra.kind != rb.kind:
                raise _NoTemplate
            if ra.kind == "x":
                if (ra.index in self.example_of) != (rb.index in self.example_of):
                    raise _NoTemplate
                if ra.index in self.example_of:
                    if self.offset[ra.index] != self.offset[rb.index] or \
                            self.example_of[rb.index] != i:
                        raise _NoTemplate
                elif ra.index != rb.index:
                    raise _NoTemplate
            elif ra.kind == "v":
                oa, ob = owner[ra.index], owner[rb.index]
                if oa is _SHARED or ob is _SHARED:
                    # a shared value inside the loop: only a number (no gradient to order)
                    if ra.index != rb.index or self.entries[ra.index].kind == "node":
                        raise _NoTemplate
                elif ob != i or position[ra.index] != position[rb.index]:
                    raise _NoTemplate
            elif ra != rb:
                raise _NoTemplate

    def _sums(self, owner: list, position: dict, bodies: list[list[int]], last: int
              ) -> dict[int, Entry]:
        """The entries that join the examples, each a dot of every example's result with one
        weight, as ``sum`` entries."""
        n = len(bodies)
        sums: dict[int, Entry] = {}
        used_by_sum: set[int] = set()
        for j, entry in enumerate(self.entries):
            if owner[j] != _MANY:
                continue
            if entry.kind != "node" or entry.op != "dot" or j < last:
                raise _NoTemplate
            args = entry.args
            bias = len(args) % 2 == 1
            if len(args) - bias != 2 * n:
                raise _NoTemplate
            side = 0 if args[0].kind == "v" and owner[args[0].index] == 0 else 1
            out = args[side]
            weight = args[1 - side]
            if out.kind != "v" or owner[out.index] != 0 or weight.kind != "k" or \
                    entry.flows[1 - side] or (bias and args[-1].kind != "k"):
                raise _NoTemplate
            for i in range(n):
                o, w = args[2 * i + side], args[2 * i + 1 - side]
                if o.kind != "v" or owner[o.index] != i or \
                        position[o.index] != position[out.index] or w != weight or \
                        entry.flows[2 * i + side] != entry.flows[side]:
                    raise _NoTemplate
                used_by_sum.add(o.index)
            sums[j] = Entry("sum", "sum", (out, weight) + ((args[-1],) if bias else ()), (),
                            (entry.flows[side], False) + ((False,) if bias else ()))
        # body values are used after the loop only by the sums (and the results)
        for j, entry in enumerate(self.entries):
            if j in sums or owner[j] not in (_SHARED, _MANY) or j < last:
                continue
            for ref in entry.args:
                if ref.kind == "v" and owner[ref.index] not in (_SHARED, _MANY):
                    raise _NoTemplate
        if not sums:
            raise _NoTemplate
        return sums

    def _engine_order(self, owner: list, position: dict, bodies: list[list[int]],
                      like: list[int]) -> None:
        """The engine's forward order is: shared nodes, example 0, 1, ..., shared nodes (each
        example's nodes in the order of the example standing for its variant, ``like[i]``)."""
        n = len(bodies)
        runs: list[list[int]] = [[] for _ in range(n)]
        current = -1  # the example whose nodes come now: 0, then 1, ..., never back
        after = False
        split = 0
        for j in self.order:
            who = owner[j]
            if who is _SHARED or who == _MANY:
                if current >= 0:
                    after = True
                else:
                    split += 1
                continue
            if after or who not in (current, current + 1):
                raise _NoTemplate
            current = who
            runs[who].append(position[j])
        if any(run != runs[like[i]] for i, run in enumerate(runs)):
            raise _NoTemplate
        self._split = split

    def _result(self, tree: tuple, owner: list, position: dict, bodies: list[list[int]],
                rename: Any) -> tuple:
        kind = tree[0]
        if kind == "ref":
            ref = tree[1]
            if ref.kind == "x" and ref.index in self.example_of or \
                    ref.kind == "v" and owner[ref.index] not in (_SHARED, _MANY):
                raise _NoTemplate
            return ("ref", rename(ref))
        if kind not in ("list", "tuple"):
            return tree
        items = tree[1]
        mine = [self._example(t, owner) for t in items]
        if kind == "list" and len(items) == len(bodies) and mine == list(range(len(bodies))):
            shape = self._shape(items[0], owner, position)
            if all(self._shape(t, owner, position) == shape for t in items):
                return ("each", self._result_in_body(items[0], rename))
        return (kind, [self._result(t, owner, position, bodies, rename) for t in items])

    def _example(self, tree: tuple, owner: list) -> Any:
        found = set()

        def walk(t: tuple) -> None:
            if t[0] == "ref":
                ref = t[1]
                if ref.kind == "v":
                    found.add(owner[ref.index])
                elif ref.kind == "x":
                    found.add(self.example_of.get(ref.index, _SHARED))
            elif t[0] in ("list", "tuple"):
                for item in t[1]:
                    walk(item)
        walk(tree)
        return found.pop() if len(found) == 1 else _MANY

    def _shape(self, tree: tuple, owner: list, position: dict) -> Any:
        if tree[0] == "ref":
            ref = tree[1]
            if ref.kind == "v":
                return ("v", position.get(ref.index, ("shared", ref.index)))
            if ref.kind == "x":
                return ("x", self.offset.get(ref.index, ("shared", ref.index)))
            return ref
        if tree[0] in ("list", "tuple"):
            return (tree[0], tuple(self._shape(t, owner, position) for t in tree[1]))
        return tree

    def _result_in_body(self, tree: tuple, rename: Any) -> tuple:
        if tree[0] == "ref":
            return ("ref", rename(tree[1], body=True))
        if tree[0] in ("list", "tuple"):
            return (tree[0], [self._result_in_body(t, rename) for t in tree[1]])
        return tree
