"""A lab of classic mistakes: backward written the wrong ways, next to backprop's answer.

Backprop (lecture 003) starts from dL/dL = 1 and visits every node after every node that uses
it, adding each use's share into its parents' gradients::

    for each node y, in reverse topological order:
        for each parent x of y:    dL/dx += dL/dy * dy/dx

Each function below runs that loop with one thing changed, the way students (and micrograd's
issue tracker) keep writing it, on any graph. The wrong pass is written out in a few lines at the
top of the function, working on a dict of gradients: no ``.grad`` is touched. It returns a
``Mistake``: the wrong gradients (``.grads``), a table of every gradient that differs from
backprop's and why, and a picture marking where (red, dashed, a cross) and the edges or nodes
where the mistake happened (orange).

- ``assign_instead_of_add(L)``: ``=`` instead of ``+=``; a value used twice keeps one path.
- ``non_topological_order(L, order=None)``: visiting nodes breadth-first from the output (or in
  any ``order`` you give): a node passes its gradient on before it is complete.
- ``set_of_parents(L)``: a set of parents; ``x * x`` keeps x once and loses an edge.
- ``forget_zero_grad(L, steps=2)``: no ``zero_grad()`` between training steps; the inputs' and
  parameters' gradients add up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd.core.format import format_number as num
from autograd.core.value import Value
from autograd.teach.hints import follows_from, times, uses_text
from autograd.teach.report import Report, ReportRow
from autograd.teach.solution import Edge, Solution, Tolerance, solve

__all__ = ["MISTAKES", "Mistake", "assign_instead_of_add", "breadth_first",
           "forget_zero_grad", "non_topological_order", "set_of_parents"]

#: The wrong passes add the same numbers in other orders: only rounding may differ.
_SAME = Tolerance(rtol=1e-9, atol=1e-12)


class Mistake(Report):
    """A wrong backward pass compared with backprop: a ``Report`` whose "answers" are the
    mistaken gradients. Truthy when the mistake happens to change nothing on this graph.

    Attributes:
        title: the mistake, ``"= instead of +="``.
        description: what the wrong pass does differently.
        grads: the wrong gradient of every value of the graph, by Value.
        rows, wrong, score: as a ``Report``: one row per value, ``.wrong`` names those whose
            gradient differs from backprop's.
    """

    headings = ("with the mistake", "backprop")
    verdicts = ("same", "differs")
    explains = "why"
    given_word = "mistake"

    def __init__(self, solution: Solution, rows: Sequence[ReportRow], title: str,
                 description: str, grads: dict[Value, float], marked: Iterable[Value] = (),
                 marked_edges: Iterable[Edge] = ()) -> None:
        # backprop's numbers are what the lab teaches: always shown
        super().__init__(solution, rows, _SAME, title, reveal=True)
        self.description = description
        self.grads = grads
        self._marked = set(marked)
        self._marked_edges = set(marked_edges)

    def summary(self) -> str:
        differ = len(self.wrong)
        if not differ:
            return (f"on this graph, {self.title} changes no gradient: try a graph where it "
                    "matters")
        return f"{differ} of {len(self.rows)} gradients differ from backprop's"

    def footer(self) -> str:
        marks = " Orange: where it happened." if self._marked or self._marked_edges else ""
        return f"{self.summary()}. {self.description}.{marks}"

    def _marks(self) -> dict[str, Any]:
        return {"marked": self._marked, "marked_edges": self._marked_edges}


def assign_instead_of_add(root: Value) -> Mistake:
    """Backward with ``dL/dx = dL/dy * dy/dx`` where the lecture writes ``+=``.

    Each use of a value overwrites what the use before passed, so a value that feeds several
    nodes (or one node twice, ``x * x``) keeps the last path's share and loses the others: the
    multivariable chain rule sums over every path.
    """
    sol = solve(root, "run a mistaken backward on")
    grad = {node: 0.0 for node in sol.nodes}
    grad[root] = 1.0
    for node in sol.backward_order():
        for i, parent in enumerate(node.parents):
            grad[parent] = grad[node] * sol.local[node][i]  # the mistake: = where += belongs

    edges = [(child, i) for child in sol.backward_order() for i in range(len(child.parents))]
    overwritten = {v: [e for e in edges if sol.parent(e) is v][:-1] for v in sol.nodes}

    def why(v: Value) -> str:
        if not overwritten[v]:
            return ""
        kept = [e for e in sol.uses[v] if e not in overwritten[v]][0]
        left = ("one edge's share is left" if all(c is kept[0] for c, _ in sol.uses[v])
                else f"only the path through {sol.names[kept[0]]} is left")
        return (f"{uses_text(sol, v)}: each = overwrote the one before, so {left}; they must "
                "add up (+=)")

    return _compare(sol, "= instead of +=", "Each use of a value overwrites the gradient the "
                    "use before passed to it (dL/dx = ..., not dL/dx += ...)", grad, why,
                    marked_edges=[e for lost in overwritten.values() for e in lost])


def breadth_first(root: Value) -> list[Value]:
    """The nodes in the order a breadth-first search from the output reaches them (a queue
    over each node's parents): a natural order to try, and not a topological one."""
    order, seen, queue = [], {root}, deque([root])
    while queue:
        node = queue.popleft()
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order


def non_topological_order(root: Value, order: Sequence[Value | str] | None = None) -> Mistake:
    """Backward visiting the nodes in an order that is not topological.

    By default the order is ``breadth_first(root)``; pass ``order`` (Values or names, every node
    with parents once) to try your own, e.g. ``forward_order(L)``, the order of a forgotten
    ``reversed(topo)``. A node must pass its gradient on only once every node using it has
    added its share; visited earlier, it passes on a part, and its parents never get the rest.
    """
    sol = solve(root, "run a mistaken backward on")
    visit = breadth_first(root) if order is None else _visit_order(sol, order)
    grad = {node: 0.0 for node in sol.nodes}
    grad[root] = 1.0
    passed = {}
    for node in visit:  # the mistake: not each node after every node that uses it
        passed[node] = grad[node]
        for i, parent in enumerate(node.parents):
            grad[parent] += grad[node] * sol.local[node][i]

    place = {node: k for k, node in enumerate(visit)}
    late = {node: [c for c, _ in sol.uses[node] if place[c] > place[node]]
            for node in visit if node.parents}
    early = {node for node, users in late.items() if users}

    def why(v: Value) -> str:
        for child, _ in sol.uses[v]:
            if child in early:
                after = ", ".join(dict.fromkeys(sol.names[u] for u in late[child]))
                return (f"{sol.names[child]} passed its gradient on before {after} (which "
                        f"uses it) had added its share: it passed {num(passed[child])}, not "
                        f"the complete {num(sol.grads[child])}")
        return ""

    how = "breadth-first from the output" if order is None else "in the order given"
    names = ", ".join(sol.names[node] for node in visit if node.parents)
    return _compare(sol, "a non-topological order", f"Visiting the nodes {how} ({names}) "
                    "lets a node pass its gradient on before it is complete", grad, why,
                    marked=early,
                    marked_edges=[(n, i) for n in early for i in range(len(n.parents))])


def set_of_parents(root: Value) -> Mistake:
    """Backward looping over a set of parents (micrograd keeps ``_prev`` as a set): ``x * x``
    has x once in it, so one of its two edges, and its share of the gradient, is lost."""
    sol = solve(root, "run a mistaken backward on")
    grad = {node: 0.0 for node in sol.nodes}
    grad[root] = 1.0
    for node in sol.backward_order():
        local = dict(zip(node.parents, sol.local[node]))  # the mistake: one entry per parent
        for parent, d in local.items():
            grad[parent] += grad[node] * d

    lost = [(child, i) for child in sol.nodes for i, p in enumerate(child.parents)
            if p in child.parents[i + 1:]]

    def why(v: Value) -> str:
        twice = [c for c, i in lost if c.parents[i] is v]
        if not twice:
            return ""
        child = twice[0]
        return (f"{sol.names[child]} uses {sol.names[v]} {times(child.parents.count(v))}; a "
                f"set of parents holds it once, so only one edge's share arrived")

    return _compare(sol, "a set of parents", "Looping over set(node.parents) visits a parent "
                    "used twice (x * x) once", grad, why, marked_edges=lost)


def forget_zero_grad(root: Value, steps: int = 2) -> Mistake:
    """Training ``steps`` steps without ``zero_grad()``: each step's forward pass makes new
    intermediate nodes, but the inputs and parameters live on, and ``backward()`` adds to the
    ``.grad`` the step before left in them (gradients accumulate, as in PyTorch).

    The graph's numbers stay the same from step to step here, so each leaf ends with ``steps``
    times its gradient; in real training the stale part is the previous steps' gradients.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int of at least 2 (one step cannot forget to zero "
                         f"between steps), got {steps!r}")
    sol = solve(root, "run a mistaken backward on")
    leaves = [node for node in sol.nodes if not node.parents]
    kept = {leaf: 0.0 for leaf in leaves}
    for _ in range(steps):
        this_step = sol.grads  # each step's backward is right...
        for leaf in leaves:
            kept[leaf] += this_step[leaf]  # the mistake: ...but adds to the last step's .grad
    grad = {**sol.grads, **kept}

    def why(v: Value) -> str:
        if v not in kept:
            return ""
        return (f"{steps} steps added up, {steps} x {num(sol.grads[v])}: each backward() added "
                f"to what the steps before left in .grad; call zero_grad() before each "
                f"backward()")

    return _compare(sol, "forgetting zero_grad()", f"{steps} training steps without zero_grad()"
                    " add up the gradients of the inputs and parameters", grad, why)


#: Every mistake of the lab, one call each: ``for mistake in MISTAKES: mistake(L)``.
MISTAKES: tuple[Callable[[Value], Mistake], ...] = (
    assign_instead_of_add, non_topological_order, set_of_parents, forget_zero_grad)


def _compare(sol: Solution, title: str, description: str, grads: dict[Value, float],
             why: Callable[[Value], str], marked: Iterable[Value] = (),
             marked_edges: Iterable[Edge] = ()) -> Mistake:
    """A row for every value a student would be asked about, with why each differs: the
    mistake itself (``why``), or a wrong gradient further up that it follows from."""
    rows = []
    for v in sol.graded():
        same = _SAME.close(grads[v], sol.grads[v])
        reason = ""
        if not same:
            blamed = follows_from(sol, v, grads[v], grads, _SAME)
            reason = why(v) or (f"follows from the wrong gradient of "
                                f"{', '.join(sol.names[b] for b in blamed)}" if blamed
                                else "differs")
        rows.append(ReportRow(sol.names[v], sol.d(v), v, grads[v], sol.grads[v], same, reason))
    return Mistake(sol, rows, title, description, grads, marked, marked_edges)


def _visit_order(sol: Solution, order: Sequence[Value | str]) -> list[Value]:
    """``order`` as Values: names looked up; every node with parents exactly once."""
    by_name = {name: v for v, name in sol.names.items()}
    visit = []
    for item in order:
        node = by_name.get(item) if isinstance(item, str) else item
        if not isinstance(node, Value) or node not in sol.names:
            raise ValueError(f"order: {item!r} is not a node of this graph; list the graph's "
                             "nodes (Values or their names)")
        visit.append(node)
    needed = [v for v in sol.nodes if v.parents]
    missing = [sol.names[v] for v in needed if v not in visit]
    twice = sorted({sol.names[v] for v in visit if visit.count(v) > 1})
    if missing or twice:
        problem = (f"it leaves out {', '.join(missing)}" if missing
                   else f"it lists {', '.join(twice)} more than once")
        raise ValueError(f"order must list every node with parents exactly once; {problem}")
    return visit
