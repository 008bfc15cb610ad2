"""Generating the replay of a recorded step: Python source that computes, on plain floats, what
the engine computed, in the same order. It reads only the IR (``compiled/ir.py``): this is the
one place text is made, and every identifier in it is made here from a number (``v3``, ``p0``),
never from a label or anything else the user wrote.

The generated function, for a batch of examples::

    def replay(s, e, p, g, k):
        p0, p1, p2 = p               # the parameters' .data
        k0, k1 = k                   # constants (0.5, 2.0)
        v4 = 0.0                     # a sum over the batch (the mean of the losses)
        saved = []
        for x0, x1 in e:             # one example: the same code for every example
            v0 = dot(...)            # dot1: each node, as the engine computes it
            v1 = tanh(v0)            # tanh1
            v4 += v1 * k0
            saved.append((v0, v1))
        dv4 = 1.0                    # backward: the engine's loop; the examples last first
        for v0, v1 in reversed(saved):
            ...
        return v4, (...)             # the new gradients, added to the old as backward() adds

Forward, every node's value is its operation's rule evaluated with ``codemath.CODE``, the same
expression the engine evaluates with floats. Backward is the engine's loop: from the last node to
the first, each adds d(node)/d(arg) * dL/d(node) to each argument's gradient, which starts at 0.0
as in the engine. The same additions in the same order give the same bits. One thing the engine
does and the replay skips: a ``dot`` whose gradient is 0 (behind a dead ReLU) would only add
zeros, which change no sum (a sum that starts at 0.0 is never -0.0), so the replay passes
nothing on, unless its value is inf or nan (0 * inf is nan) or a ``.grad`` held -0.0 or an int
0 (a zero added would change those).
"""

from __future__ import annotations

import linecache
import math
import struct
import weakref
from collections.abc import Callable
from itertools import count
from typing import Any, NamedTuple

from autograd.compiled.ir import BODY, Entry, Program, Ref, is_add, result_refs
from autograd.core.codemath import CODE, HELPERS, NO_FLOW, Code, Unless, literal, text
from autograd.core.rules import RULES

#: A sum of more terms than this is split over several lines (Python's compiler recurses into
#: long expressions).
TERMS_PER_LINE = 64

#: What a replay returns when a guard fails: the step must record again.
AGAIN = object()

_files = count(1)


class CannotCompile(Exception):
    """The recorded step cannot be turned into code; the message says why."""


def _same(x: Any, y: Any) -> bool:
    """Whether ``x`` is the very float ``y`` (-0.0 and each nan told apart by their bits)."""
    return type(x) is float and struct.pack("<d", x) == struct.pack("<d", y)


def _power(a: Any, b: Any) -> Any:
    """``a ** b`` as the step's own code computes it; a complex result, which the step would
    have refused, sends the call back to the engine (which then raises as the step does)."""
    result = a ** b
    if type(result) is complex:
        raise TypeError("a complex number")
    return result


#: The generated code's other names: guards' and fn's own arithmetic.
_NAMESPACE = {**HELPERS, "same": _same, "npow": _power, "trunc": math.trunc,
              "floor": math.floor, "ceil": math.ceil, "copysign": math.copysign}

_NUMBER_OPS = {"+": "({0} + {1})", "-": "({0} - {1})", "*": "({0} * {1})", "/": "({0} / {1})",
               "//": "({0} // {1})", "%": "({0} % {1})", "**": "npow({0}, {1})",
               "neg": "(-{0})", "pos": "(+{0})", "abs": "abs({0})", "float": "float({0})",
               "select": "({1} if {0} else {2})"}

_GUARDS = {"<": "({0} < {1})", "<=": "({0} <= {1})", ">": "({0} > {1})", ">=": "({0} >= {1})",
           "==": "({0} == {1})", "!=": "({0} != {1})", "bool": "bool({0})",
           "is_integer": "{0}.is_integer()"}
_VALUED = {"int": "int({0})", "trunc": "trunc({0})", "floor": "floor({0})",
           "ceil": "ceil({0})", "round": "round({0})", "index": "{0}"}


class Replay:
    """A compiled program: ``function(s, e, p, g, k)`` returns ``(*results, new_grads)`` or
    ``(AGAIN, guard)``. ``grads`` lists the parameters (indices into the program's) whose
    gradients it computes, in the order of ``g`` and of the new gradients."""

    def __init__(self, source: str, function: Callable[..., Any], grads: list[int]) -> None:
        self.source = source
        self.function = function
        self.grads = grads


def write(program: Program) -> tuple[str, list[int]]:
    """The source of ``program``'s replay, and the parameters (indices) whose gradients it
    computes."""
    return _Writer(program).source()


def compile_source(source: str) -> Callable[..., Any]:
    filename = f"<autograd.compile replay {next(_files)}>"
    # Tracebacks and debuggers show the generated lines, for as long as the replay lives.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "autograd.compiled.replay", "AGAIN": AGAIN, **_NAMESPACE}
    exec(compile(source, filename, "exec"), namespace)
    replay = namespace.pop("replay")  # (its globals need not refer back to it)
    weakref.finalize(replay, linecache.cache.pop, filename, None)
    return replay


def _name(ref: Ref) -> str:
    return f"{ref.kind}{ref.index}"


class _Writer:
    def __init__(self, program: Program) -> None:
        self.prog = program
        self.entries = program.entries
        self.eaches: dict[int, int] = {}  # id of an "each" result -> its number
        self.words: dict[int, str] = {}
        self.in_variant = False
        self._name_nodes()
        # Sums over parameters (an L2 penalty), each written as one loop: by its last addition,
        # and the chains' other nodes, which that loop stands for
        self.chains = _chains(program)
        self.in_chain = {j for chain in self.chains.values() for j in chain.nodes[:-1]}

    def _name_nodes(self) -> None:
        counts: dict[str, int] = {}
        for j, entry in enumerate(self.entries):
            if entry.kind == "node":
                word = RULES[entry.op].word if entry.op in RULES else "op"
                counts[word] = counts.get(word, 0) + 1
                self.words[j] = f"{word}{counts[word]}"

    def _variant(self, k: int) -> list[int]:
        """Write variant k of the body from now on (0: the first); its body order."""
        prog = self.prog
        lo, hi = prog.prologue, prog.prologue + prog.body
        body = prog.entries[lo:hi] if k == 0 else prog.variants[k - 1]
        self.entries = prog.entries[:lo] + body + prog.entries[hi:]
        self._name_nodes()
        return [j for j in prog.order if lo <= j < hi] if k == 0 else prog.variant_orders[k - 1]

    # ---- what flows where

    def _needs_grad(self) -> tuple[set[int], set[int]]:
        """The node entries whose gradient some parameter's depends on, and those parameters."""
        # Backward reaches only what the loss depends on: a node the step made beside it, and
        # the parameters only it uses, get nothing (their .grad stays as it was, None included).
        reached: set[int] = set()
        params: set[int] = set()
        root = self.prog.results[0]
        if root[0] == "ref" and root[1].kind == "p":  # the loss is itself a parameter
            params.add(root[1].index)
        if root[0] == "ref" and root[1].kind == "v":
            reached.add(root[1].index)
        for j in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[j]
            if j not in reached or entry.kind not in ("node", "sum"):
                continue
            for ref, flows in zip(entry.args, entry.flows):
                if flows and ref.kind == "v":
                    reached.add(ref.index)
                elif flows and ref.kind == "p":
                    params.add(ref.index)
        nodes: set[int] = set()
        for j, entry in enumerate(self.entries):
            if j not in reached or entry.kind not in ("node", "sum"):
                continue
            if any(flows and (ref.kind == "p" or ref.kind == "v" and ref.index in nodes)
                   for ref, flows in zip(entry.args, entry.flows)):
                nodes.add(j)
        return nodes, params

    # ---- the source

    def source(self) -> tuple[str, list[int]]:
        prog = self.prog
        needs, grad_params = self._needs_grad()
        grads = sorted(grad_params)
        block = None
        if prog.variants:
            needs, grads, block, forward = self._variants(needs, grad_params)
        root = prog.results[0]
        lines = ["def replay(s, e, p, g, k):",
                 f'    """The recorded step: {sum(e.kind == "node" for e in self.entries):,} '
                 f'nodes{" per example" if prog.batched else ""}, {prog.params} parameters."""']
        lines += _unpack([f"s{i}" for i in range(prog.shared_inputs)], "s",
                         "the numbers in the step's arguments")
        lines += _unpack([f"p{i}" for i in range(prog.params)], "p", "the parameters' .data")
        lines += _unpack([f"k{i}" for i in range(len(prog.constants))], "k",
                         "constants: " + _constants_comment(prog.constants))
        if not prog.variants:
            body_backward, saved = self._backward_body(needs, grads) if prog.batched \
                else ([], [])
        lines.append("    # forward: each node's value, as the engine computes it")
        lines += self._forward(range(prog.prologue), "    ")
        if prog.variants:
            lines += forward
        elif prog.batched:
            lines += self._loop(saved)
        lines += self._forward(range(prog.prologue + prog.body, len(self.entries)), "    ",
                               skip_sums=True)
        if block is not None:
            lines += self._backward(needs, grads, root, [], [], block)
        else:
            lines += self._backward(needs, grads, root, body_backward, saved)
        results = ", ".join(self._result(r) for r in prog.results)
        if not grads:
            lines.append(f"    return {results}, ()  # no parameter gets a gradient")
            return "\n".join(lines) + "\n", grads
        # one loop over the parameters, not a line for each
        lines.append("    # the new gradients: this pass's added to what .grad held (g), as "
                     "backward() adds")
        lines += ["    " + line for line in _pack([f"dp{i}" for i in grads], "d")]
        lines.append(f"    return {results}, [new if old == 0.0 or old is None else old + new")
        lines.append(f"    {' ' * len(f'return {results}, [')}for new, old in zip(d, g)]")
        return "\n".join(lines) + "\n", grads

    def _result(self, tree: tuple) -> str:
        kind = tree[0]
        if kind == "ref":
            return _name(tree[1])
        if kind == "none":
            return "None"
        if kind == "each":
            return f"r{self.eaches.setdefault(id(tree), len(self.eaches))}"
        items = [self._result(t) for t in tree[1]]
        if kind == "list":
            return f"[{', '.join(items)}]"
        return f"({', '.join(items)}{',' if items else ''})"

    def _each_results(self, tree: tuple, found: list) -> None:
        if tree[0] == "each":
            found.append(tree)
        elif tree[0] in ("list", "tuple"):
            for t in tree[1]:
                self._each_results(t, found)

    # ---- forward

    def _forward(self, indices: range, indent: str, skip_sums: bool = False) -> list[str]:
        lines = []
        for j in indices:
            entry = self.entries[j]
            if entry.kind == "sum" or j in self.in_chain:
                continue
            if j in self.chains:
                lines += [indent + line for line in self._chain_forward(j, self.chains[j])]
                continue
            lines += [indent + line for line in self._entry_lines(j, entry)]
        return lines

    def _chain_forward(self, j: int, chain: _Chain) -> list[str]:
        """``sum(f(w) for w in params)``: the terms and the additions in one loop, in the
        engine's order, each by its rule."""
        term = RULES[chain.op].forward(CODE, *[Code("w")] * chain.arity, *chain.params)
        total = RULES["+"].forward(CODE, Code(f"v{j}"), Code("term"))
        first, last = self.words[chain.nodes[0]], self.words[j]
        return [f"v{j} = {_name(chain.start)}  # {first} ... {last}: a sum over "
                f"{len(chain.indices):,} parameters, a loop",
                *_over(chain.indices, "p", "w", reverse=False),
                f"    term = {text(term)}",
                f"    v{j} = {text(total)}"]

    def _chain_backward(self, j: int, chain: _Chain) -> list[str]:
        """Each term of the sum gets 0.0 + d(sum) (each addition passes its gradient on
        unchanged, into a gradient that starts at 0.0), and passes it to its parameter by its
        rule, the terms last first, as the engine's loop goes."""
        args = [Code("w")] * chain.arity
        local = RULES[chain.op].local(CODE, Code("term"), *args, *chain.params)
        lines = [f"dterm = 0.0 + dv{j}  # each term's gradient (the additions pass it on)"]
        if local is NO_FLOW:
            return lines
        cond = None
        if isinstance(local, Unless):
            cond, local = local.cond, local.local
        distinct = list(dict.fromkeys(chain.indices))
        position = {i: k for k, i in enumerate(distinct)}
        names = [f"dp{i}" for i in distinct]
        lines += _pack(names, "d")
        lines += _over(chain.indices, "p", "w", reverse=True,
                       positions=[position[i] for i in chain.indices])
        passes = [f"d[at] += {_times(d, 'dterm')}" for d in local]
        body = passes if cond is None else \
            [f"if not {cond.text}:  # else nothing flows back"] + ["    " + p for p in passes]
        if "term" in _identifiers(" ".join(body)):
            term = RULES[chain.op].forward(CODE, *args, *chain.params)
            body = [f"term = {text(term)}"] + body
        lines += ["    " + line for line in body]
        lines += [line[4:] for line in _unpack(names, "d", "")[1:]]
        return lines

    def _entry_lines(self, j: int, entry: Entry) -> list[str]:
        args = [Code(_name(r)) for r in entry.args]
        if entry.kind == "node":
            if _over_params(entry):  # (an L2 penalty: w . w over every parameter)
                indices = ", ".join(str(r.index) for r in entry.args)
                return [f"v{j} = dot_params(p, ({indices},))  # {self.words[j]}, a loop"]
            if entry.op == "dot":
                return self._dot_lines(j, args)
            rule = RULES[entry.op]
            value = rule.forward(CODE, *args, *entry.params)
            return [f"v{j} = {text(value)}  # {self.words[j]}"]
        if entry.kind == "number":
            if entry.op in ("max", "min"):  # the same numbers, in the same order
                return [f"v{j} = {entry.op}(({', '.join(a.text for a in args)},))"]
            if entry.op.startswith("round") and entry.op != "round":
                return [f"v{j} = round({args[0].text}, {int(entry.op[5:])})"]
            return [f"v{j} = " + _NUMBER_OPS[entry.op].format(*(a.text for a in args))]
        if entry.kind == "draw":  # the same call on the same generator, in the same order
            return [f"v{j} = {args[0].text}()  # a random draw, {entry.op}()"]
        if entry.kind == "question":  # asked of a draw: its answer picks the numbers
            return [f"v{j} = " + _GUARDS[entry.op].format(*(a.text for a in args))]
        if entry.kind == "guard":
            place = self.prog.places[entry.where] if entry.where < len(self.prog.places) else ""
            # (in a variant of the body: not this variant, try the next one)
            failed = "return None" if self.in_variant else f"return AGAIN, {entry.where}"
            return [f"if {self._failed(entry, args)}:  # the step asked, at {place!r}",
                    f"    {failed}"]
        raise CannotCompile(f"an entry of kind {entry.kind!r}")

    def _failed(self, entry: Entry, args: list[Code]) -> str:
        answer = entry.params[0]
        names = [a.text for a in args]
        if entry.op in _GUARDS:
            test = _GUARDS[entry.op].format(*names)
            return f"not {test}" if answer else test
        if entry.op == "same":
            return f"not same({names[0]}, {literal(struct.unpack('<d', answer)[0])})" \
                if isinstance(answer, bytes) else f"{names[0]} != {int(answer)!r}"
        if entry.op in _VALUED:
            return f"{_VALUED[entry.op].format(*names)} != {int(answer)!r}"
        raise CannotCompile(f"a question {entry.op!r}")

    def _dot_lines(self, j: int, args: list[Code]) -> list[str]:
        # The dot rule's sum, from the bias, as the engine's kernel adds it; split over lines
        # (Python's compiler recurses into long expressions).
        total = RULES["dot"].forward(CODE, *args)
        terms = [text(total.start)] + [f"{text(a)} * {text(b)}" for a, b in total.pairs]
        lines = []
        for start in range(0, len(terms), TERMS_PER_LINE):
            chunk = terms[start:start + TERMS_PER_LINE]
            head = [] if start == 0 else [f"v{j}"]
            lines.append(f"v{j} = {' + '.join(head + chunk)}")
        lines[0] += f"  # {self.words[j]}"
        return lines

    def _loop(self, saved: list[str]) -> list[str]:
        prog = self.prog
        sums = [(j, e) for j, e in enumerate(self.entries) if e.kind == "sum"]
        eaches: list = []
        for r in prog.results:
            self._each_results(r, eaches)
        lines = []
        for j, entry in sums:
            bias = entry.args[2] if len(entry.args) > 2 else None
            lines.append(f"    v{j} = {_name(bias) if bias else '0.0'}  # a sum over the batch")
        lines += [f"    {self._result(t)} = []" for t in eaches]
        if saved:
            lines.append("    saved = []")
        names = [f"x{i}" for i in range(prog.example_inputs)]
        head = ", ".join(names) + ("," if len(names) == 1 else "")
        lines.append(f"    for {head or '_'} in e:  # one example at a time, in the batch's order")
        lines += self._forward(range(prog.prologue, prog.prologue + prog.body), "        ")
        for j, entry in sums:
            a, b = entry.args[0], entry.args[1]
            lines.append(f"        v{j} += {_name(a)} * {_name(b)}")
        lines += [f"        {self._result(t)}.append({self._result(t[1])})" for t in eaches]
        if saved:
            lines.append(f"        saved.append(({', '.join(saved)},))")
        return lines

    # ---- backward

    def _node_backward(self, j: int, needs: set[int], started: set[str]) -> list[str]:
        """The lines passing node j's gradient to its arguments (in the engine's order)."""
        entry = self.entries[j]
        if entry.kind == "sum" or j in self.in_chain:
            return []  # (its examples' gradients are passed on around the loop; a chain's
            # nodes, by the loop of its last)
        if j in self.chains:
            return self._chain_backward(j, self.chains[j])
        grad = f"dv{j}"
        targets = []
        for i, (ref, flows) in enumerate(zip(entry.args, entry.flows)):
            if flows and (ref.kind == "p" or (ref.kind == "v" and ref.index in needs)):
                targets.append((i, f"d{_name(ref)}"))
        if not targets:
            return []
        lines = []
        for _, target in targets:
            if target not in started:
                lines.append(f"{target} = 0.0")
                started.add(target)
        args = [Code(_name(r)) for r in entry.args]
        if entry.op == "dot":
            local = CODE.dot_local(tuple(args))
        else:
            local = RULES[entry.op].local(CODE, Code(f"v{j}"), *args, *entry.params)
        if local is NO_FLOW:
            return lines
        if _over_params(entry) and all(entry.flows):
            return lines + self._params_backward(j, entry)
        cond = None
        if isinstance(local, Unless):
            cond, local = local.cond, local.local
        passes = [f"{target} += {_times(local[i], grad)}" for i, target in targets]
        if cond is not None:
            lines.append(f"if not {cond.text}:  # else nothing flows back")
            lines += ["    " + p for p in passes]
        elif entry.op == "dot":
            lines.append(f"if {grad} or v{j} - v{j} or add_zeros:  # else it adds only zeros")
            lines += ["    " + p for p in passes]
        else:
            lines += passes
        return lines

    def _params_backward(self, j: int, entry: Entry) -> list[str]:
        """A dot over parameters only passes its gradient back in a loop: each argument's
        gradient gets its partner times d(node), in the engine's order."""
        distinct = list(dict.fromkeys(r.index for r in entry.args))
        position = {i: k for k, i in enumerate(distinct)}
        pairs = len(entry.args) & ~1
        targets = ", ".join(str(position[r.index]) for r in entry.args)
        partners = [entry.args[i ^ 1].index if i < pairs else -1
                    for i in range(len(entry.args))]
        names = [f"dp{i}" for i in distinct]
        lines = [f"if dv{j} or v{j} - v{j} or add_zeros:  # else it adds only zeros"]
        lines += ["    " + line for line in _pack(names, "d")]
        lines.append(f"    pass_params(d, ({targets},), ({', '.join(map(str, partners))},), "
                     f"p, dv{j})")
        lines += _unpack(names, "d", "")[1:]  # (indented as the if's body)
        return lines

    def _variants(self, needs: set[int], grad_params: set[int]
                  ) -> tuple[set[int], list[int], list[str], list[str]]:
        """A body with variants (examples whose questions got other answers): each variant is
        a function computing one example, which returns None where its questions get other
        answers; the loop tries them in turn. Backward, each example goes through its own
        variant's lines. Returns the nodes needing gradients, the parameters getting them,
        the backward block and the forward lines."""
        prog = self.prog
        lo, hi = prog.prologue, prog.prologue + prog.body
        count = len(prog.variants) + 1
        per_variant = []
        shared_needs = {j for j in needs if not lo <= j < hi}
        for k in range(count):
            self._variant(k)
            needs_k, params_k = self._needs_grad()
            per_variant.append(needs_k)
            shared_needs |= {j for j in needs_k if not lo <= j < hi}
            grad_params |= params_k
        grads = sorted(grad_params)
        sums = [(j, e) for j, e in enumerate(prog.entries) if e.kind == "sum"]
        eaches: list = []
        for r in prog.results:
            self._each_results(r, eaches)
        names = [f"x{i}" for i in range(prog.example_inputs)]
        head = ", ".join(names)
        forward = [f"    v{j} = {_name(e.args[2]) if len(e.args) > 2 else '0.0'}  # a sum over "
                   "the batch" for j, e in sums]
        forward += [f"    {self._result(t)} = []" for t in eaches]
        forward.append("    saved = []")
        block = ["    for item in reversed(saved):  # the examples, last first"]
        for k in range(count):
            order = self._variant(k)
            body_needs = {j for j in per_variant[k] if lo <= j < hi} | shared_needs
            backward, saved = self._backward_body(body_needs, grads, order)
            self.in_variant = True
            forward.append(f"    def variant{k}({head}):  # one kind of example")
            forward += self._forward(range(lo, hi), "        ")
            self.in_variant = False
            returned = [_name(e.args[0]) for _, e in sums] + \
                [self._result(t[1]) for t in eaches]
            item = ", ".join([str(k)] + saved)
            forward.append(f"        return {', '.join(returned + [f'({item},)'])}")
            block.append(f"        {'if' if k == 0 else 'elif'} item[0] == {k}:")
            if saved:
                block.append(f"            _, {', '.join(saved)}, = item")
            block += ["            " + line for line in backward or ["pass"]]
        self._variant(0)
        rewind = self._generators_drawn_in_variants()
        if rewind:
            forward.append(f"    generators = ({', '.join(rewind)},)  # drawn from in the body")
        forward.append(f"    for {head} in e:  # one example at a time, in the batch's order")
        if rewind:
            forward.append("        states = [generator.getstate() for generator in generators]")
        forward.append(f"        r = variant0({head})")
        for k in range(1, count):
            indent = "    " * k
            forward.append(f"        {'    ' * (k - 1)}if r is None:")
            if rewind:  # the try that stopped drew; the example's own variant draws them again
                forward.append(f"        {indent}for generator, state in zip(generators, states):")
                forward.append(f"        {indent}    generator.setstate(state)")
            forward.append(f"        {indent}r = variant{k}({head})")
        forward.append(f"        {'    ' * (count - 1)}if r is None:  # a kind not seen yet")
        forward.append(f"        {'    ' * count}return AGAIN, None")
        for n, (j, entry) in enumerate(sums):
            forward.append(f"        v{j} += r[{n}] * {_name(entry.args[1])}")
        for n, t in enumerate(eaches):
            forward.append(f"        {self._result(t)}.append(r[{len(sums) + n}])")
        forward.append("        saved.append(r[-1])")
        return shared_needs | per_variant[0], grads, block, forward

    def _generators_drawn_in_variants(self) -> list[str]:
        """``k3.generator``, ... for each generator (once) that a variant of the body draws
        from: a variant that is not the example's rewinds them when it stops."""
        prog = self.prog
        found: dict[int, str] = {}
        for body in [prog.entries[prog.prologue:prog.prologue + prog.body], *prog.variants]:
            for entry in body:
                if entry.kind == "draw":
                    draw = prog.constants[entry.args[0].index]
                    found.setdefault(id(draw.generator), f"{_name(entry.args[0])}.generator")
        return list(found.values())

    def _backward_body(self, needs: set[int], grads: list[int], order: list[int] | None = None
                       ) -> tuple[list[str], list[str]]:
        prog = self.prog
        lo, hi = prog.prologue, prog.prologue + prog.body
        if order is None:
            order = [j for j in prog.order if lo <= j < hi]
        sums = {e.args[0].index: j for j, e in enumerate(self.entries)
                if e.kind == "sum" and e.args[0].kind == "v"}
        started = {f"dp{i}" for i in grads}
        lines = []
        for j in sums:
            if j in needs:
                lines.append(f"dv{j} = dsum{sums[j]}")
                started.add(f"dv{j}")
        for j in reversed(order):
            if j not in needs:
                continue
            if f"dv{j}" not in started:
                lines.append(f"dv{j} = 0.0  # nothing flows into it")
                started.add(f"dv{j}")
            lines += self._node_backward(j, needs, started)
        used = set(_identifiers(" ".join(lines)))
        saved = [f"v{j}" for j in range(lo, hi) if f"v{j}" in used]
        saved += [f"x{i}" for i in range(prog.example_inputs) if f"x{i}" in used]
        return lines, saved

    def _backward(self, needs: set[int], grads: list[int], root: tuple,
                  body: list[str], saved: list[str], block: list[str] | None = None
                  ) -> list[str]:
        prog = self.prog
        lines = [
            "    # backward: the engine's loop. From the last node to the first, each passes "
            "its gradient",
            "    # to its arguments, d(arg) += d(node)/d(arg) * d(node), in the engine's order.",
            "    # A parameter's starts from 0.0, or from what .grad held (g) if that was a 0."]
        if grads:
            lines += _unpack([f"dp{i}" for i in grads],
                             "[0.0 if old != 0.0 else old for old in g]", "")[1:]
        if prog.variants or any(self.entries[j].op == "dot" for j in needs):
            lines.append("    add_zeros = any(x == 0.0 and (type(x) is not float or "
                         "copysign(1.0, x) < 0.0) for x in g)")
        started = {f"dp{i}" for i in grads}
        root_ref = root[1] if root[0] == "ref" else None
        for j in reversed(prog.order):
            if j == BODY:
                lines += self._sums_backward(needs, started)
                if block is not None:
                    lines += block
                elif body:
                    names = ", ".join(saved) + ("," if len(saved) == 1 else "")
                    if saved:
                        lines.append(f"    for {names} in reversed(saved):  # the examples, "
                                     "last first")
                    else:
                        lines.append("    for _ in e:")
                    lines += ["        " + line for line in body]
                continue
            if j not in needs or prog.segment(j) == 1 or j in self.in_chain:
                continue
            if root_ref == Ref("v", j):
                lines.append(f"    dv{j} = 1.0")
                started.add(f"dv{j}")
            elif f"dv{j}" not in started:
                lines.append(f"    dv{j} = 0.0  # nothing flows into it")
                started.add(f"dv{j}")
            lines += ["    " + line for line in self._node_backward(j, needs, started)]
        if root_ref is not None and root_ref.kind == "p" and root_ref.index in grads:
            lines.append(f"    dp{root_ref.index} = 1.0")  # the loss is itself a parameter
        return lines

    def _sums_backward(self, needs: set[int], started: set[str]) -> list[str]:
        lines = []
        for j, entry in enumerate(self.entries):
            if entry.kind != "sum":
                continue
            grad = f"dv{j}" if f"dv{j}" in started else "0.0"
            # each example's d(out) += weight * d(sum), from 0.0: the same for every example
            lines.append(f"    dsum{j} = 0.0 + {_name(entry.args[1])} * {grad}")
        return lines


#: A dot over this many parameters or more (and nothing else), or a sum of this many terms
#: over parameters, is a loop in the replay.
LOOP_AT = 32


class _Chain(NamedTuple):
    """``c + f(w_0) + f(w_1) + ...``, added left to right (Python's ``sum`` of a generator,
    ``sum(p * p for p in model.parameters())``): ``nodes`` are its node entries in the
    engine's order (term, addition, term, addition...), ``indices`` each term's parameter, each
    term the rule ``op`` with ``params`` over ``arity`` copies of its parameter."""

    start: Ref
    nodes: list[int]
    indices: list[int]
    op: str
    params: tuple
    arity: int


def _chains(program: Program) -> dict[int, _Chain]:
    """The sums over parameters that the replay writes as loops, by their last addition.

    A chain is additions ``s_0 = c + t_0``, ``s_i = s_(i-1) + t_i`` from a constant c, each
    term ``t_i`` the same operation on one parameter alone; each s_i and t_i is used once, by
    the next addition (the last addition's use is free), and the engine's order holds them
    together, each term before the next. The loop then does what the unrolled code does, the
    same operations on the same numbers in the same order: forward, the terms and additions
    one by one; backward, every term gets 0.0 + d(sum) and passes it on, the last term first."""
    entries = program.entries
    if not program.params:
        return {}
    uses = [0] * len(entries)
    for entry in entries:
        for ref in entry.args:
            if ref.kind == "v":
                uses[ref.index] += 1
    for tree in program.results:
        for ref in result_refs(tree):
            if ref.kind == "v":
                uses[ref.index] += 1
    nexts: dict[int, int] = {}  # an addition -> the addition adding a term to it, its one use
    for j, entry in enumerate(entries):
        if is_add(entry) and entry.args[0].kind == "v" and uses[entry.args[0].index] == 1 \
                and is_add(entries[entry.args[0].index]):
            nexts[entry.args[0].index] = j
    position = {j: k for k, j in enumerate(program.order) if j >= 0}
    chains: dict[int, _Chain] = {}
    for j, entry in enumerate(entries):
        if not (is_add(entry) and entry.args[0].kind == "k" and entry.flows == (False, True)):
            continue
        first = _term(entries, entry.args[1], uses)
        if first is None:
            continue
        nodes: list[int] = []
        indices: list[int] = []
        at: int | None = j
        while at is not None:
            add = entries[at]
            term = _term(entries, add.args[1], uses)
            if term is None or term[1:] != first[1:] or at != j and add.flows != (True, True):
                break
            nodes += [add.args[1].index, at]
            indices.append(term[0])
            at = nexts.get(at)
        if len(indices) < LOOP_AT or any(program.segment(k) == 1 for k in nodes):
            continue
        places = [position.get(k, -1) for k in nodes]
        if places != list(range(places[0], places[0] + len(places))) or places[0] < 0:
            continue  # (another order, or other nodes between: written as they are)
        chains[nodes[-1]] = _Chain(entry.args[0], nodes, indices, *first[1:])
    return chains


def _term(entries: list[Entry], ref: Ref, uses: list[int]) -> tuple | None:
    """``(parameter, op, params, arity)`` when ``ref`` is a node used once that applies a rule
    to one parameter alone (``w * w``, ``w ** 2``, ``abs(w)``), gradient flowing into it."""
    if ref.kind != "v" or uses[ref.index] != 1:
        return None
    entry = entries[ref.index]
    if entry.kind != "node" or entry.op not in RULES or entry.op == "dot" or not entry.args \
            or entry.args[0].kind != "p" or any(r != entry.args[0] for r in entry.args) or \
            not all(entry.flows):
        return None
    return entry.args[0].index, entry.op, entry.params, len(entry.args)


def _over(indices: list[int], source: str, name: str, reverse: bool,
          positions: list[int] | None = None) -> list[str]:
    """A ``for`` over the parameters ``indices`` (last first if ``reverse``): each one's number
    as ``name``, and with ``positions``, ``at``: its place in a list of their gradients."""
    n = len(indices)
    steps = f"range({n - 1}, -1, -1)" if reverse else f"range({n})"
    contiguous = indices == list(range(indices[0], indices[0] + n))
    if positions is None:
        if contiguous and not reverse:
            return [f"for {name} in {source}[{indices[0]}:{indices[0] + n}]:"]
        return _literal_tuple("at_p", indices) + [f"for i in {steps}:",
                                                   f"    {name} = {source}[at_p[i]]"]
    lines = [] if contiguous else _literal_tuple("at_p", indices)
    if positions == list(range(n)) and contiguous:
        offset = f"{indices[0]} + " if indices[0] else ""
        return lines + [f"for at in {steps}:", f"    {name} = {source}[{offset}at]"]
    return lines + _literal_tuple("at_d", positions) + [
        f"for i in {steps}:",
        f"    {name} = {source}[{'at_p[i]' if not contiguous else f'{indices[0]} + i'}]",
        "    at = at_d[i]"]


def _literal_tuple(name: str, numbers: list[int]) -> list[str]:
    per_line = 24
    rows = [", ".join(map(str, numbers[i:i + per_line])) for i in range(0, len(numbers), per_line)]
    return [f"{name} = ({rows[0]},"] + [f"        {r}," for r in rows[1:]] + ["        )"]


def _over_params(entry: Entry) -> bool:
    return entry.kind == "node" and entry.op == "dot" and len(entry.args) >= LOOP_AT and \
        all(r.kind == "p" for r in entry.args)


def _dot_params(p: list, indices: tuple) -> float:
    """``dot`` of parameters, from the bias (or 0.0), one addition at a time as the rule's."""
    pairs = len(indices) & ~1
    total = p[indices[-1]] if len(indices) & 1 else 0.0
    for i in range(0, pairs, 2):
        total = total + p[indices[i]] * p[indices[i + 1]]
    return total


def _pass_params(d: list, targets: tuple, partners: tuple, p: list, g: float) -> None:
    """d[target] += partner * g for each argument of a dot over parameters, in order (the bias,
    partner -1, gets g itself: 1.0 * g is g)."""
    for t, k in zip(targets, partners):
        d[t] += g if k < 0 else p[k] * g


_NAMESPACE.update(dot_params=_dot_params, pass_params=_pass_params)


def _pack(names: list[str], target: str) -> list[str]:
    per_line = 12
    rows = [", ".join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    if len(rows) == 1:
        return [f"{target} = [{rows[0]}]"]
    return [f"{target} = [{rows[0]},"] + [f"     {r}," for r in rows[1:-1]] + \
        [f"     {rows[-1]}]"]


def _times(derivative: Any, grad: str) -> str:
    """``derivative * grad``; 1.0 * g is g itself, to the last bit."""
    if not isinstance(derivative, Code) and derivative == 1.0 and type(derivative) is float:
        return grad
    return f"{text(derivative)} * {grad}"


def _constants_comment(constants: list) -> str:
    shown = [literal(c) if isinstance(c, float) else repr(c) if isinstance(c, (int, type(None)))
             else "a draw" for c in constants[:8]]
    return ", ".join(shown) + (", ..." if len(constants) > 8 else "")


def _unpack(names: list[str], source: str, comment: str) -> list[str]:
    if not names:
        return []
    lines = [f"    # {comment}"]
    per_line = 12
    rows = [", ".join(names[i:i + per_line]) for i in range(0, len(names), per_line)]
    if len(rows) == 1:
        return lines + [f"    {rows[0]}, = {source}"]
    return lines + ["    (" + rows[0] + ","] + [f"     {r}," for r in rows[1:-1]] + \
        [f"     {rows[-1]},) = {source}"]


def _identifiers(code: str) -> list[str]:
    return code.translate(_SEPARATORS).split()


_SEPARATORS = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
