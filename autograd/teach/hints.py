"""Why an answer is wrong: the classic backprop mistakes, recognised from the student's numbers.

For a wrong dL/dx the hint recomputes x's gradient the ways students get it wrong and says which
one the answer matches (lecture 003's rule is dL/dx = sum over the uses y of x: dL/dy * dy/dx):

- an answer that follows from a wrong answer further up (the chain rule applied correctly to
  the student's own dL/dy): the mistake is there, not here;
- one path only, where x feeds several nodes (or one node twice, ``x * x``): the paths add up;
- tanh' (or sigmoid') written with the input instead of the output;
- the local derivative dy/dx alone, without the upstream gradient dL/dy;
- the sign flipped;
- a gradient from an earlier ``backward()`` still accumulated in ``.grad``.

Each is tried with the student's own upstream answers first, then with backprop's.

A hint diagnoses without giving the answer away: it names the mistake and the rule, not the
numbers that would make the right answer (the paths' shares, the upstream gradient, the other
factor's value), unless asked to ``reveal`` them (self-study, the instructor's copy).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping

from autograd.core import floatmath as fm
from autograd.core.format import format_number as num
from autograd.core.rules import rule_of
from autograd.core.value import Value
from autograd.teach.solution import Edge, Solution, Tolerance


def rule_text(node: Value) -> str:
    """The derivative rule of the operation that made ``node``, as the lectures state it (its
    record in ``autograd/core/rules.py``); "" for an operation of the user's own."""
    found = rule_of(node)
    return found[0].math if found is not None else ""


#: Derivatives written with the output o: the formula students write with the input x instead.
_WITH_THE_OUTPUT = {
    "tanh": ("1 - {o}²", lambda x: 1.0 - x * x),
    "sigmoid": ("{o} (1 - {o})", lambda x: x * (1.0 - x)),
}

#: For more uses than this, only single paths are tried as "one path only" (2^n subsets).
_MAX_SUBSET_USES = 6


def follows_from(sol: Solution, node: Value, yours: float, given: Mapping[Value, float],
                 tolerance: Tolerance) -> list[Value]:
    """The wrong upstream gradients that ``yours`` follows from: when the chain rule applied to
    the ``given`` dL/dy of the nodes y using ``node`` gives ``yours``, and some of those are
    wrong, the mistake was made there. Empty when not."""
    wrong = [child for child, _ in sol.uses[node]
             if child in given and not tolerance.close(given[child], sol.grads[child])]
    if not wrong or not tolerance.close(yours, _chain(sol, node, _upstream(sol, given))):
        return []
    return list(dict.fromkeys(wrong))


def gradient_hint(sol: Solution, node: Value, yours: float | None,
                  given: Mapping[Value, float], tolerance: Tolerance, *,
                  reveal: bool = False) -> str:
    """Why ``yours`` is not dL/d(node); ``given`` holds every answer given, by Value. With
    ``reveal`` the hint also gives the numbers that make the right answer."""
    if yours is None:
        return "no answer given"
    if node is sol.root:
        if reveal:
            return (f"{sol.d(node)} = 1: backprop starts from the output's gradient with "
                    "respect to itself")
        return (f"backprop starts from the output's gradient with respect to itself, "
                f"{sol.d(node)}: how much does {sol.output} change per unit of {sol.output}?")
    blamed = follows_from(sol, node, yours, given, tolerance)
    if blamed:
        if reveal:
            theirs = ", ".join(f"{sol.names[b]} ({num(given[b])}, not {num(sol.grads[b])})"
                               for b in blamed)
            return f"this follows from your answer for {theirs}: correct that first"
        theirs = ", ".join(f"{sol.names[b]} ({num(given[b])})" for b in blamed)
        return f"this follows from your wrong answer for {theirs}: correct that first"
    expected = sol.grads[node]
    for up in (_upstream(sol, given), _upstream(sol, {})):
        for value, message in _gradient_mistakes(sol, node, up, reveal):
            if tolerance.close(yours, value) and not tolerance.close(value, expected):
                return message
    return _near_miss(yours, expected, tolerance) or _chain_rule(sol, node, reveal)


def local_hint(sol: Solution, edge: Edge, yours: float | None, tolerance: Tolerance, *,
               reveal: bool = False) -> str:
    """Why ``yours`` is not the local derivative on ``edge``; with ``reveal`` the hint also
    gives the numbers that make the right answer."""
    if yours is None:
        return "no answer given"
    expected = sol.local_of(edge)
    for value, message in _local_mistakes(sol, edge, reveal):
        if tolerance.close(yours, value) and not tolerance.close(value, expected):
            return message
    child, _ = edge
    rule = rule_text(child)
    return (_near_miss(yours, expected, tolerance)
            or (f"the rule for {child.op}: {rule}" if rule else
                f"{sol.edge_name(edge)} is how much {sol.names[child]} changes per unit of "
                f"{sol.names[sol.parent(edge)]}: see how {child.op!r} is defined"))


# ---------------------------------------------------------------- dL/dx ------------------

Upstream = Callable[[Value], float]


def _upstream(sol: Solution, given: Mapping[Value, float]) -> Upstream:
    """dL/dy as the student has it where given, else as backprop has it."""
    return lambda child: given.get(child, sol.grads[child])


def _chain(sol: Solution, node: Value, up: Upstream) -> float:
    return sum(up(child) * sol.local_of((child, i)) for child, i in sol.uses[node])


def _gradient_mistakes(sol: Solution, node: Value, up: Upstream,
                       reveal: bool) -> Iterator[tuple[float, str]]:
    """(the number a mistake gives, what to say) for each classic mistake that applies."""
    uses = sol.uses[node]
    parts = [up(child) * sol.local_of((child, i)) for child, i in uses]
    total = sum(parts)
    name = sol.names[node]
    if len(uses) > 1:
        yield from _one_path(sol, node, parts, reveal)
    for k, (child, _) in enumerate(uses):
        if child.op in _WITH_THE_OUTPUT:
            formula, wrong_local = _WITH_THE_OUTPUT[child.op]
            o, x = sol.names[child], name
            # the output's number is on the graph already: saying it gives nothing away
            yield (total - parts[k] + up(child) * wrong_local(sol.data[node]),
                   f"{child.op}'({x}) is {formula.format(o=o)} with the output {o} = "
                   f"{num(sol.data[child])}, not {formula.format(o=x)} with the input {x}")
    local = [sol.local_of(edge) for edge in uses]
    upstream = " and ".join(dict.fromkeys(sol.d(child) for child, _ in uses))
    if len(uses) == 1:
        (child, i), = uses
        edge = sol.edge_name((child, i))
        yield (local[0], f"that is the local derivative {edge} = {num(local[0])} alone; "
                         f"multiply it by the upstream gradient {upstream} = {num(up(child))} "
                         "(the chain rule)" if reveal else
                         f"that is the local derivative {edge} alone; multiply it by the "
                         f"upstream gradient {upstream} (the chain rule)")
    else:
        yield (sum(local), f"that is the local derivatives alone, "
                           f"{' + '.join(sol.edge_name(edge) for edge in uses)}; multiply each "
                           f"by its upstream gradient ({upstream}) before adding")
    if total != 0:
        yield -total, _sign_flipped(sol, node)
    held = sol.held[node]
    if held != 0:
        left = f"the {num(held)} left in .grad" if reveal else "what was left in .grad"
        yield (total + held, f"that includes {left} by an earlier backward(): gradients "
                             f"accumulate across calls, so zero them ({sol.output}.zero_grad()) "
                             "before backward()")
    for times in (2, 3):
        what = f"{times} x {num(total)}" if reveal else f"{times} times the gradient"
        yield (times * total, f"that is {what}: a gradient from an earlier "
                              f"backward() is still accumulated in .grad; zero the gradients "
                              f"({sol.output}.zero_grad()) before each backward()")


def uses_text(sol: Solution, node: Value) -> str:
    """How ``node`` is used: "x feeds 2 nodes (z1, z2)", "x is used twice by mul1",
    "x feeds 2 nodes (mul1 twice, mul2)"."""
    count: dict[Value, int] = {}
    for child, _ in sol.uses[node]:
        count[child] = count.get(child, 0) + 1
    name = sol.names[node]
    if len(count) == 1:
        (child, n), = count.items()
        return f"{name} is used {times(n)} by {sol.names[child]}"
    listed = ", ".join(sol.names[c] + ("" if n == 1 else f" {times(n)}")
                       for c, n in count.items())
    return f"{name} feeds {len(count)} nodes ({listed})"


def times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


#: Numbers of edges as words, for "one of mul1's two edges".
_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _one_path(sol: Solution, node: Value, parts: list[float],
              reveal: bool) -> Iterator[tuple[float, str]]:
    """Some of the paths out of ``node`` without the others."""
    uses = sol.uses[node]
    n = len(uses)
    count: dict[Value, int] = {}
    for child, _ in uses:
        count[child] = count.get(child, 0) + 1
    # "path" where every node using x uses it once; "edge" where one uses it more than once
    each = "path" if all(k == 1 for k in count.values()) else "edge"
    every = "both" if n == 2 else f"all {n}"
    shares = f": {_sum(parts)} = {num(sum(parts))}" if reveal else ""
    sizes = range(1, n) if n <= _MAX_SUBSET_USES else (1,)
    for size in sizes:
        for subset in itertools.combinations(range(n), size):
            yield (sum(parts[k] for k in subset),
                   f"{uses_text(sol, node)}: that is {_counted(sol, uses, subset, count)}; "
                   f"add {every} {each}s (+=){shares}")


def _counted(sol: Solution, uses: list[Edge], subset: tuple[int, ...],
             count: dict[Value, int]) -> str:
    """Which uses ``subset`` counts: "the path through z2 only", "one edge only" (x * x),
    "one of mul1's two edges only" (x * x + 2 * x)."""
    if len(count) == 1:
        return f"{_word(len(subset))} edge{'s' if len(subset) > 1 else ''} only"
    taken: dict[Value, int] = {}
    for k in subset:
        taken[uses[k][0]] = taken.get(uses[k][0], 0) + 1
    if all(count[c] == 1 for c in count):
        return f"the path through {' and '.join(sol.names[c] for c in taken)} only"
    phrases = []
    for child, k in taken.items():
        child_name, n = sol.names[child], count[child]
        if n == 1:
            phrases.append(f"the edge into {child_name}")
        elif k == n:
            phrases.append(f"{'both' if n == 2 else f'all {_word(n)}'} of {child_name}'s edges")
        else:
            phrases.append(f"{_word(k)} of {child_name}'s {_word(n)} edges")
    return f"{' and '.join(phrases)} only"


def _word(n: int) -> str:
    return _WORDS.get(n, str(n))


def _sum(terms: list[float]) -> str:
    """``6.0 + 35.0``; ``0.13 + (-1.0)``."""
    return " + ".join(num(t) if k == 0 or t >= 0 else f"({num(t)})" for k, t in enumerate(terms))


def _sign_flipped(sol: Solution, node: Value) -> str:
    for child, i in sol.uses[node]:
        if child.op == "-" and i == 1:
            return (f"the sign is flipped: {sol.names[node]} is subtracted in "
                    f"{sol.names[child]}, and d(a - b)/db = -1")
        if child.op == "neg":
            return f"the sign is flipped: d(-a)/da = -1 in {sol.names[child]}"
    return ("the sign is flipped: check the sign of each local derivative "
            "(d(a - b)/db = -1, d(cos x)/dx = -sin x, d(1/x)/dx = -1/x^2)")


def _chain_rule(sol: Solution, node: Value, reveal: bool) -> str:
    """The chain rule for dL/d(node), in names (and, revealed, in numbers)."""
    uses = sol.uses[node]
    names = " + ".join(f"{sol.d(child)} * {sol.edge_name((child, i))}" for child, i in uses)
    if not reveal:
        return (f"{sol.d(node)} = {names}: work out each factor, then multiply and add "
                "(the chain rule)")
    numbers = " + ".join(f"{num(sol.grads[child])} * {_factor(sol.local_of((child, i)))}"
                         for child, i in uses)
    return f"{sol.d(node)} = {names} = {numbers}"


def _factor(x: float) -> str:
    return num(x) if x >= 0 else f"({num(x)})"


def _near_miss(yours: float, expected: float, tolerance: Tolerance) -> str:
    allowed = max(tolerance.rtol * abs(expected), tolerance.atol)
    if abs(yours - expected) <= 10 * allowed:
        return (f"close, but outside the tolerance ({tolerance}): keep 3 or 4 decimals in "
                "every step")
    return ""


# ---------------------------------------------------------------- local derivatives -------

def _local_mistakes(sol: Solution, edge: Edge, reveal: bool) -> Iterator[tuple[float, str]]:
    child, i = edge
    parent = child.parents[i]
    x, o = sol.names[parent], sol.names[child]
    a = sol.data[parent]
    expected = sol.local_of(edge)
    if child.op in _WITH_THE_OUTPUT:
        formula, wrong_local = _WITH_THE_OUTPUT[child.op]
        yield (wrong_local(a), f"{child.op}'({x}) is {formula.format(o=o)} with the output "
                               f"{o} = {num(sol.data[child])}, not {formula.format(o=x)} "
                               f"with the input {x}")
    if child.op == "*" and len(child.parents) == 2:
        other = child.parents[1 - i]
        value = f" = {num(sol.data[other])}" if reveal else ""
        yield (a, f"d{o}/d{x} is the other factor, {sol.names[other]}{value}, not {x} itself")
    found = rule_of(child)
    if found is not None and found[0].op == "**n":
        n = found[1][0]
        numbers = f" = {num(n)} * {num(a)}^{num(n - 1)}" if reveal else ""
        yield (fm.power(a, n - 1), f"the power rule brings the exponent down: d(x^n)/dx = "
                                   f"n x^(n-1){numbers}")
        yield n * fm.power(a, n), "lower the exponent by one: d(x^n)/dx = n x^(n-1), not n x^n"
    if expected != 0:
        rule = rule_text(child)
        yield -expected, "the sign is flipped" + (f": {rule}" if rule else "")
