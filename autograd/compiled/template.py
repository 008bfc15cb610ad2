"""From a recording to a ``Program``: one example's operations, looped over the batch.

A training step computes the same thing for every example of its batch and then averages: the
recording of a batch of N examples holds N copies of one example's operations. ``program``
finds them and keeps one copy, the *template*, which the replay loops over the batch, so that
the generated code (and the time to compile it) does not grow with the batch.

It is a proof, not a guess. The entries are grouped by dataflow, not by position: an entry
belongs to the example whose inputs it reads (through the entries it reads), so examples may
be recorded one after the other or in phases (every example's forward, then every example's
loss, as micrograd's demo writes it). The template is used only when

- every example's operations are the first one's, operation for operation (the same ops on the
  same parameters and constants, each example reading its own inputs);
- what joins the examples is a ``dot`` of each example's result with one weight (the mean of
  the losses), or a chain of ``+`` over them in the batch's order (Python's ``sum``, from 0 or
  from the first result), followed by anything that reads only the join;
- the engine's forward order lists every example's nodes together, example after example, each
  in the same order (so the backward loop, examples last first, adds every parameter's
  gradients in the engine's order), with only the chain's additions in between;
- random draws come in the order the step drew them.

Anything else is generated as it was recorded, without a loop.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Collection, Sequence
from itertools import chain
from typing import Any, NamedTuple

from autograd.compiled.ir import BODY, Entry, Program, Ref, is_add, result_refs

#: An entry's owner (``_Template._owners``): an example's number, or one of these.
_SHARED = None  # no example's inputs: the same for the whole batch
_JOINED = -2  # two examples' or more: a join over the batch, or what follows it
#: Operations whose result is an int when their arguments are (else a float).
_INT_PRESERVING = frozenset(("+", "-", "*", "neg", "abs", "relu", "id", "dot"))
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
            places: list[str], int_inputs: Collection[int] | None = None) -> Program:
    """The recording as a ``Program``: looped over the batch when ``examples`` (each example's
    input numbers) shows one and the recording is one example's operations repeated.
    ``int_inputs``: the inputs that are ints (``None``: any may be). The program's constants
    are ``constants`` and maybe more after them (the sum of a chain's 1.0 and -0.0)."""
    found = None
    if examples is not None and len(examples) >= 2:
        found = _Template(entries, examples, inputs, params, constants, order, results,
                          places, int_inputs).find()
    return found or flat(entries, inputs, params, constants, order, results, places)


def _is_example(owner: Any) -> bool:
    return owner is not _SHARED and owner != _JOINED


def _rename_result(tree: tuple, rename: Any) -> tuple:
    if tree[0] == "ref":
        return ("ref", rename(tree[1]))
    if tree[0] in ("list", "tuple"):
        return (tree[0], [_rename_result(t, rename) for t in tree[1]])
    return tree


class _NoTemplate(Exception):
    pass


class _Memo(dict):
    """``memo[key]`` is ``work(key)``, worked out once per key: a dict look-up (no Python call)
    for every use after the first."""

    def __init__(self, work: Any) -> None:
        super().__init__()
        self.work = work

    def __missing__(self, key: Any) -> Any:
        found = self[key] = self.work(key)
        return found


class _Join(NamedTuple):
    """What joins the examples: the sum over the batch of ``items[i] * weight`` (``items[i]``
    example i's result), from ``bias`` (0.0 when None); ``node`` is the entry it stands for,
    ``dropped`` the entries it replaces besides, ``takes`` which example's result each of
    its entries adds (the last one it adds)."""

    items: list[Ref]
    weight: Ref
    bias: Ref | None
    flows: bool
    node: int
    dropped: list[int]
    takes: dict[int, int]


class _Template:
    def __init__(self, entries: list[Entry], examples: Sequence[Sequence[int]], inputs: int,
                 params: int, constants: list[Any], order: list[int], results: list[tuple],
                 places: list[str], int_inputs: Collection[int] | None) -> None:
        self.entries = entries
        self.examples = examples
        self.inputs = inputs
        self.params = params
        self.constants = list(constants)
        self.int_inputs = None if int_inputs is None else set(int_inputs)
        self.order = order
        self.results = results
        self.places = places
        self._ints: dict[int, bool] = {}  # entry -> whether it may be an int (_maybe_int)
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
        joins = self._joins(owner)
        dropped = {j for join in joins.values() for j in join.dropped}
        bodies: list[list[int]] = [[] for _ in range(n)]
        for j, who in enumerate(owner):
            if _is_example(who):
                bodies[who].append(j)
        size = len(bodies[0])
        if size == 0 or any(len(b) != size for b in bodies):
            raise _NoTemplate
        position = {}
        for i in range(n):
            for k, j in enumerate(bodies[i]):
                position[j] = k
        last = max(body[-1] for body in bodies)
        # before the loop: what no example depends on, made before the last example's last
        # entry; after it: the rest, the joins' chains but their last node left out
        prologue = [j for j in range(last) if owner[j] is _SHARED]
        epilogue = [j for j in range(len(self.entries)) if j not in dropped and (
            owner[j] is _JOINED or owner[j] is _SHARED and j > last)]
        self._draws_in_order(prologue, bodies, epilogue)
        reps, variant_of = self._variants(bodies, position, owner)
        sums = self._sums(joins, owner, position, epilogue)
        self._engine_order(owner, position, [reps[v] for v in variant_of], joins, dropped)
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
                if _is_example(owner[ref.index]) and not body:
                    return Ref("v", new[bodies[0][position[ref.index]]])
                return Ref("v", new[ref.index])
            return ref

        entries: list[Entry] = []
        for j in prologue + bodies[0]:
            entries.append(self.entries[j]._replace(
                args=tuple(rename(r, body=True) for r in self.entries[j].args)))
        for j in epilogue:
            entry = sums.get(j, self.entries[j])
            entries.append(entry._replace(args=tuple(rename(r) for r in entry.args)))
        outside = [new[j] for j in self.order if j in new and not _is_example(owner[j])]
        body_order = [new[j] for j in self.order if owner[j] == 0]
        order = outside[:self._split] + [BODY] + body_order + outside[self._split:]
        results = [self._result(r, owner, position, bodies, rename) for r in self.results]
        variants = [[self.entries[j]._replace(args=tuple(rename(r) for r in self.entries[j].args))
                     for j in bodies[rep]] for rep in reps[1:]]
        body_start = len(prologue)
        variant_orders = [[body_start + position[j] for j in self.order if owner[j] == rep]
                          for rep in reps[1:]]
        return Program(len(self.shared_rank), len(self.examples[0]), self.params,
                       self.constants, entries, len(prologue), size, order, results,
                       self.places, variants, variant_orders)

    def _draws_in_order(self, prologue: list[int], bodies: list[list[int]],
                        epilogue: list[int]) -> None:
        """The replay draws in the order it runs (before the loop, each example, after it):
        that must be the order the step drew in, or another example gets another number."""
        draws = [j for j in prologue if self.entries[j].kind == "draw"]
        for body in bodies:
            draws += [j for j in body if self.entries[j].kind == "draw"]
        draws += [j for j in epilogue if self.entries[j].kind == "draw"]
        if any(a > b for a, b in zip(draws, draws[1:])):
            raise _NoTemplate

    def _variants(self, bodies: list[list[int]], position: dict, owner: list
                  ) -> tuple[list[int], list[int]]:
        """The examples that stand for each variant of the body, and each example's variant.

        Examples whose questions got other answers (a class label picking its score) do other
        things: each kind is a variant, replayed by the examples whose answers are its own. The
        replay tells them apart by those answers, so two variants must first differ at a
        question asked alike (the same question, another answer). A variant that draws (dropout
        before the label's question) and is not the example's has consumed draws when it
        stops: the replay rewinds the generators before trying the next one."""
        self._keys = self._template_keys(owner, position)
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
        return reps, variant_of

    def _alike(self, bodies: list[list[int]], rep: int, i: int, position: dict, owner: list
               ) -> int | None:
        """Where example i first does something else than example ``rep`` (None: nowhere)."""
        keys = self._keys
        mine, theirs = [keys[j] for j in bodies[i]], [keys[j] for j in bodies[rep]]
        if mine == theirs:
            return None
        return next(t for t, (a, b) in enumerate(zip(theirs, mine)) if a != b)

    def _template_keys(self, owner: list, position: dict) -> dict[int, tuple]:
        """For each example's entry, what it does as seen from its example: two examples do
        the same thing where their keys are equal. An argument is its own reference (a
        parameter, a constant, a shared input), or the offset of the example's input it reads,
        or the position in its example of the entry it reads (an entry reads only its own
        example's, or it would join two). A shared node read inside an example is never the
        same (its gradient would have no order), nor is what a question was answered (the
        replay asks it again)."""
        entries = self.entries
        unlike: list[Ref] = []

        def seen_from_example(ref: Ref) -> Any:  # a reference to nothing of an example's
            if ref.kind == "v" and entries[ref.index].kind == "node":
                unlike.append(ref)
                return None  # (told apart below: unlike anything)
            return ref

        # each reference worked out once: an example's entries and inputs now (a Ref is a
        # tuple: ("v", j) finds Ref("v", j)), anything else at its first use
        normal = _Memo(seen_from_example)
        slots = [("v", k) for k in range(len(position) // len(self.examples))]
        normal.update({("v", j): slots[k] for j, k in position.items()})
        normal.update({("x", x): ("x", self.offset[x]) for x in self.example_of})
        look_up = normal.__getitem__
        keys: dict[int, tuple] = {}
        for j in position:
            entry = entries[j]
            args = tuple(map(look_up, entry.args))
            if unlike and None in args:
                args = (object(),)
            keys[j] = (entry.kind, entry.op, entry.flows,
                       None if entry.kind == "question" else entry.params, args)
        return keys

    def _owners(self) -> list[Any]:
        """Each entry's example: the one whose inputs it depends on (through the entries it
        reads), ``_SHARED`` for none, ``_JOINED`` for two or more (a join, what follows it)."""
        owner: list[Any] = []
        # each reference's owner (a Ref is a tuple: ("v", j) finds Ref("v", j)); none: shared
        of: dict[tuple, Any] = {("x", x): i for x, i in self.example_of.items()}
        owner_of = of.get
        latest: Any = _SHARED  # the example whose operations came last
        for j, entry in enumerate(self.entries):
            if entry.kind == "draw":  # a draw belongs where it was made: its example's
                who: Any = latest
            else:
                found = set(map(owner_of, entry.args))
                found.discard(_SHARED)
                if not found:
                    owner.append(_SHARED)
                    continue
                who = found.pop() if len(found) == 1 else _JOINED
            owner.append(who)
            if who is not _SHARED:
                of["v", j] = who
                if who != _JOINED:
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

    # ---- what joins the examples

    def _joins(self, owner: list[Any]) -> dict[int, _Join]:
        """The entries that join the examples' results into one number, by the entry standing
        for each (the dot, the chain's last addition); the chains' other additions become
        ``_JOINED`` (the first one read only example 0)."""
        joins: dict[int, _Join] = {}
        n = len(self.examples)
        entries = self.entries
        # A chain's additions are example 0's (the first, when it adds to a constant) or joined
        # ones (the rest), and so is every entry reading one of them (it depends on example 0's
        # inputs): their uses are all counted among those entries and the results.
        near = [j for j, who in enumerate(owner) if who == 0 or who == _JOINED]
        for j in near:
            entry = entries[j]
            if owner[j] == _JOINED and entry.kind == "node" and entry.op == "dot":
                join = self._dot_join(j, entry, owner)
                if join is not None:
                    joins[j] = join
        uses = Counter(chain.from_iterable(entries[j].args for j in near))
        uses.update(ref for tree in self.results for ref in result_refs(tree))
        follows: dict[int, int] = {}  # an addition -> the addition adding to it, its one use
        for j in near:
            entry = entries[j]
            if is_add(entry) and entry.args[0].kind == "v":
                before = entry.args[0].index
                if owner[before] in (0, _JOINED) and is_add(entries[before]) and \
                        uses[entry.args[0]] == 1:
                    follows[before] = j
        followed = set(follows.values())
        for head, entry in enumerate(self.entries):
            if not is_add(entry) or head in followed:
                continue
            first = entry.args[0]
            if not (first.kind == "k" or first.kind == "v" and owner[first.index] == 0 and
                    entry.args[1].kind == "v" and owner[entry.args[1].index] == 1):
                continue
            join = self._chain_join(head, follows, owner)
            if join is not None:
                joins[join.node] = join
                for j in join.dropped + [join.node]:
                    owner[j] = _JOINED
        if len(joins) > 0 and n >= 2:
            return joins
        raise _NoTemplate

    def _dot_join(self, j: int, entry: Entry, owner: list[Any]) -> _Join | None:
        """``dot(results, [w] * n)`` (or the weights first), maybe with a constant bias."""
        n = len(self.examples)
        args = entry.args
        bias = len(args) % 2 == 1
        if len(args) - bias != 2 * n or bias and args[-1].kind != "k":
            return None
        side = 0 if args[0].kind == "v" and owner[args[0].index] == 0 else 1
        weight = args[1 - side]
        if weight.kind != "k" or entry.flows[1 - side]:
            return None
        items = []
        for i in range(n):
            out, w = args[2 * i + side], args[2 * i + 1 - side]
            if out.kind != "v" or owner[out.index] != i or w != weight or \
                    entry.flows[2 * i + side] != entry.flows[side]:
                return None
            items.append(out)
        return _Join(items, weight, args[-1] if bias else None, entry.flows[side], j, [],
                     {j: n - 1})

    def _chain_join(self, head: int, follows: dict[int, int], owner: list[Any]
                    ) -> _Join | None:
        """``sum(results)``: the additions ``((c + r_0) + r_1) + ...`` from a constant c (0 for
        Python's ``sum``), or ``(r_0 + r_1) + r_2 ...``, one result of each example in turn.

        Each addition passes its gradient on unchanged: 0.0 + 1.0 * g, whichever addition it
        goes through, so every result gets the 0.0 + g that a dot with weight 1.0 gives it. The
        sum over the batch adds them as the chain does, from c, or from -0.0 (-0.0 + r is r,
        bit for bit), each result times 1.0 (r itself, for a float: a result that may be an
        int, which the chain would keep an int, is not joined this way)."""
        n = len(self.examples)
        first = self.entries[head].args[0]
        items = [] if first.kind == "k" else [first]
        flows = [] if first.kind == "k" else [self.entries[head].flows[0]]
        chain: list[int] = []
        takes: dict[int, int] = {}
        j: int | None = head
        while len(items) < n:
            if j is None:
                return None
            item = self.entries[j].args[1]
            if item.kind != "v" or owner[item.index] != len(items):
                return None
            items.append(item)
            flows.append(self.entries[j].flows[1])
            chain.append(j)
            takes[j] = len(items) - 1
            j = follows.get(j)
        if len(set(flows)) != 1 or any(self._maybe_int(r.index) for r in items):
            return None
        bias = first if first.kind == "k" else self._constant(-0.0)
        return _Join(items, self._constant(1.0), bias, flows[0], chain[-1], chain[:-1], takes)

    def _constant(self, number: float) -> Ref:
        """A reference to the float constant ``number`` (added to the constants if new)."""
        for i, c in enumerate(self.constants):
            if type(c) is float and struct.pack("<d", c) == struct.pack("<d", number):
                return Ref("k", i)
        self.constants.append(number)
        return Ref("k", len(self.constants) - 1)

    def _maybe_int(self, j: int) -> bool:
        """Whether entry j's number may be an int on the engine: a draw, or an operation that
        keeps ints on numbers that may all be ints (a parameter may hold one), or arithmetic of
        the step's own on numbers of which one may be (``7 // 2``).

        Worked out for the entries a chain's results read, each argument only until the answer
        is known (as ``all``/``any`` stop), without recursion (a graph may be deep); answers
        are kept in ``self._ints`` for the next result."""
        known = self._ints
        stack = [(j, 0)]  # (entry, its next argument to look at)
        while stack:
            k, start = stack.pop()
            entry = self.entries[k]
            if start == 0:
                if k in known:
                    continue
                if entry.kind == "node" and entry.op not in _INT_PRESERVING or \
                        entry.kind in ("guard", "question") or \
                        entry.kind == "number" and entry.op in ("float", "/"):
                    known[k] = False
                    continue
                if entry.kind == "draw":
                    known[k] = True
                    continue
            one = entry.kind == "number"  # any of them (else all of them)
            answer = not one  # (all() of nothing is true, any() false)
            waiting = None
            args = entry.args
            for at in range(start, len(args)):
                ref = args[at]
                found = known.get(ref.index) if ref.kind == "v" else self._int_ref(ref)
                if found is None:  # an entry not worked out yet
                    waiting = ref.index
                    break
                if found == one:  # the answer, whatever the rest
                    answer = one
                    break
            if waiting is None:
                known[k] = answer
            else:  # that entry first, then on from this argument
                stack.append((k, at))
                stack.append((waiting, 0))
        return known[j]

    def _int_ref(self, ref: Ref) -> bool:
        """Whether an input, constant or parameter may be an int."""
        if ref.kind == "x":
            return self.int_inputs is None or ref.index in self.int_inputs
        if ref.kind == "k":
            return type(self.constants[ref.index]) is not float
        return True  # a parameter's .data, read at every call

    def _sums(self, joins: dict[int, _Join], owner: list[Any], position: dict,
              epilogue: list[int]) -> dict[int, Entry]:
        """The joins as ``sum`` entries, each a sum over the batch of the template's result
        times one weight, from its bias: each example's result must sit where the template's
        does, and no other entry after the loop may read an example's value."""
        sums: dict[int, Entry] = {}
        for j, join in joins.items():
            if any(position[r.index] != position[join.items[0].index] for r in join.items):
                raise _NoTemplate
            bias = () if join.bias is None else (join.bias,)
            sums[j] = Entry("sum", "sum", (join.items[0], join.weight) + bias, (),
                            (join.flows, False) + (False,) * len(bias))
        for j in epilogue:
            if j not in sums and any(r.kind == "v" and _is_example(owner[r.index])
                                     for r in self.entries[j].args):
                raise _NoTemplate
        return sums

    def _engine_order(self, owner: list, position: dict, like: list[int],
                      joins: dict[int, _Join], dropped: set[int]) -> None:
        """The engine's forward order must be: nodes outside the examples, example 0, 1, ...,
        nodes outside them (each example's nodes in the order of the example standing for its
        variant, ``like[i]``). A chain's additions may come between examples, each after every
        node of the example it adds: backward, each result gets the chain's gradient first."""
        n = len(like)
        takes: dict[int, int] = {}
        for join in joins.values():
            takes.update(join.takes)
        runs: list[list[int]] = [[] for _ in range(n)]
        current = -1  # the example whose nodes come now: 0, then 1, ..., never back
        closed = -1  # the examples up to this one are added into a join: none of theirs after
        after = False
        split = 0
        for j in self.order:
            if j in takes:
                closed = max(closed, takes[j])
                if j in dropped:
                    continue
            who = owner[j]
            if not _is_example(who):
                if current >= 0:
                    after = True
                else:
                    split += 1
                continue
            if after or who <= closed or who not in (current, current + 1):
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
                    ref.kind == "v" and _is_example(owner[ref.index]):
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
        return found.pop() if len(found) == 1 else _JOINED

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
