"""The scalar reverse-mode autodiff engine: ``Value`` and ``backward()``.

A ``Value`` wraps one float and remembers how it was made: its ``parents`` (in argument order)
and, for each parent, the local derivative d(out)/d(parent). ``backward()`` applies the
multivariable chain rule in reverse topological order (lecture 003)::

    init  dL/dv = 0 for every node v, dL/dL = 1
    for each node y, after every node that uses y:
        for each parent x of y:    dL/dx += dL/dy * dy/dx

Every operation below computes its result and its local derivatives side by side, as floats. For
``backward(create_graph=True)`` the same derivative is needed as a Value with a graph of its own;
``_ON_GRAPH[op]``, written right under each operation, states the same formula on Values.

Memory: a node holds only its float, its parents tuple and its local-derivative tuple. Nothing
points back from a parent to a child and no closure refers to its node, so a graph has no
reference cycles and is freed by reference counting the moment its last reference goes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import Union

from autograd import floatmath as fm
from autograd.format import format_number
from autograd.modes import ANOMALY, NO_GRAD, AnomalyError, mode

Number = int | float
Operand = Union["Value", int, float]

#: op -> the local derivatives as Values, from (node, *parents). backward(create_graph=True)
#: multiplies by these instead of the float ``local_grads``, so that each gradient records how it
#: depends on the inputs. Each entry sits right under the operation it belongs to.
_ON_GRAPH: dict[str, Callable[..., tuple]] = {}

_ONES = (1.0, 1.0)
_PLUS_MINUS = (1.0, -1.0)
_MINUS_ONE = (-1.0,)
_ONE = (1.0,)


class Value:
    """One scalar in a computation graph.

    Attributes:
        data: the number, a float.
        grad: dL/d(this value) after ``L.backward()``; 0.0 before. A plain attribute: assign
            ``v.grad = 0.0`` to reset it (micrograd's idiom), or call ``L.zero_grad()`` to reset a
            whole graph. After ``backward(create_graph=True)`` it is a Value.
        label: a name for pictures and reprs (``"w1"``); ``""`` if none.
        op: the operation that made it (``"+"``, ``"*"``, ``"tanh"``, ``"**2"``...); ``""`` for
            leaves.
        parents: the Values it was computed from, in argument order; ``x * x`` has ``(x, x)``.
        local_grads: d(this value)/d(parent) for each parent, as floats, in the same order (the
            lectures' local gradients); backward multiplies each by dL/d(this value).
    """

    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        if type(data) is not float:
            data = _to_float(data, "Value()")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    # ---------------------------------------------------------------- arithmetic ---------

    def __add__(self, other: Operand) -> Value:
        """a + b;  d/da = 1, d/db = 1."""
        if type(other) is not Value:
            other = _operand(other, "+", self)
        return _make(self.data + other.data, (self, other), _ONES, "+")

    _ON_GRAPH["+"] = lambda out, a, b: (1.0, 1.0)

    def __radd__(self, other: Operand) -> Value:
        return _operand(other, "+", self, reflected=True) + self

    def __sub__(self, other: Operand) -> Value:
        """a - b;  d/da = 1, d/db = -1."""
        if type(other) is not Value:
            other = _operand(other, "-", self)
        return _make(self.data - other.data, (self, other), _PLUS_MINUS, "-")

    _ON_GRAPH["-"] = lambda out, a, b: (1.0, -1.0)

    def __rsub__(self, other: Operand) -> Value:
        return _operand(other, "-", self, reflected=True) - self

    def __mul__(self, other: Operand) -> Value:
        """a * b;  d/da = b, d/db = a."""
        if type(other) is not Value:
            other = _operand(other, "*", self)
        a, b = self.data, other.data
        return _make(a * b, (self, other), (b, a), "*")

    _ON_GRAPH["*"] = lambda out, a, b: (b, a)

    def __rmul__(self, other: Operand) -> Value:
        return _operand(other, "*", self, reflected=True) * self

    def __truediv__(self, other: Operand) -> Value:
        """a / b;  d/da = 1/b, d/db = -a/b^2."""
        if type(other) is not Value:
            other = _operand(other, "/", self)
        a, b = self.data, other.data
        q = fm.div(a, b)
        return _make(q, (self, other), (fm.div(1.0, b), -fm.div(q, b)), "/")

    _ON_GRAPH["/"] = lambda out, a, b: (1.0 / b, -out / b)

    def __rtruediv__(self, other: Operand) -> Value:
        return _operand(other, "/", self, reflected=True) / self

    def __neg__(self) -> Value:
        """-a;  d/da = -1."""
        return _make(-self.data, (self,), _MINUS_ONE, "neg")

    _ON_GRAPH["neg"] = lambda out, a: (-1.0,)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Operand) -> Value:
        """a ** b.  For a number n: d/da a^n = n a^(n-1); op is ``"**n"``, n is no node.

        For a Value b:  d/da = b a^(b-1),  d/db = a^b ln a  (0 where a = 0 and b >= 0)."""
        a = self.data
        if isinstance(other, Value):
            b = other.data
            out = fm.power(a, b)
            da = 0.0 if b == 0.0 else b * fm.power(a, b - 1.0)
            db = 0.0 if (a == 0.0 and b >= 0.0) else out * fm.log(a)
            return _make(out, (self, other), (da, db), "**")
        n = _to_float(other, "**", self)
        da = 0.0 if n == 0.0 else n * fm.power(a, n - 1.0)
        return _make(fm.power(a, n), (self,), (da,), "**" + _exponent_text(other, n))

    _ON_GRAPH["**"] = lambda out, a, b: (
        0.0 if b.data == 0.0 else b * a ** (b - 1.0),
        0.0 if (a.data == 0.0 and b.data >= 0.0) else out * a.log(),
    )
    # "**n" ops (a number exponent) carry n in their name: see _power_on_graph.

    def __rpow__(self, other: Operand) -> Value:
        return _operand(other, "**", self, reflected=True) ** self

    def __abs__(self) -> Value:
        """|a|;  d/da = sign(a), with |a|'(0) = 0 as in PyTorch."""
        a = self.data
        return _make(abs(a), (self,), (fm.sign(a),), "abs")

    _ON_GRAPH["abs"] = lambda out, a: (fm.sign(a.data),)

    # ---------------------------------------------------------------- functions ----------

    def exp(self) -> Value:
        """e^x;  d/dx e^x = e^x."""
        e = fm.exp(self.data)
        return _make(e, (self,), (e,), "exp")

    _ON_GRAPH["exp"] = lambda out, a: (out,)

    def log(self) -> Value:
        """ln x (natural log);  d/dx ln x = 1/x.  log(0) = -inf, log(x < 0) = nan."""
        x = self.data
        return _make(fm.log(x), (self,), (fm.div(1.0, x),), "log")

    _ON_GRAPH["log"] = lambda out, a: (1.0 / a,)

    def tanh(self) -> Value:
        """tanh(x) = (e^x - e^-x) / (e^x + e^-x);  d/dx tanh(x) = 1 - tanh(x)^2."""
        t = math.tanh(self.data)
        return _make(t, (self,), (1.0 - t * t,), "tanh")

    _ON_GRAPH["tanh"] = lambda out, a: (1.0 - out * out,)

    def sigmoid(self) -> Value:
        """s(x) = 1 / (1 + e^-x);  d/dx s(x) = s(x) (1 - s(x))  (lectures 000, 001, 003)."""
        s = fm.sigmoid(self.data)
        return _make(s, (self,), (s * (1.0 - s),), "sigmoid")

    _ON_GRAPH["sigmoid"] = lambda out, a: (out * (1.0 - out),)

    def relu(self) -> Value:
        """ReLU(x) = max(0, x);  d/dx = 1 for x > 0, else 0 (so relu'(0) = 0)."""
        x = self.data
        return _make(0.0 if x <= 0.0 else x, (self,), (1.0 if x > 0.0 else 0.0,), "relu")

    _ON_GRAPH["relu"] = lambda out, a: (1.0 if a.data > 0.0 else 0.0,)

    def sin(self) -> Value:
        """sin x;  d/dx sin x = cos x."""
        x = self.data
        return _make(fm.sin(x), (self,), (fm.cos(x),), "sin")

    _ON_GRAPH["sin"] = lambda out, a: (a.cos(),)

    def cos(self) -> Value:
        """cos x;  d/dx cos x = -sin x."""
        x = self.data
        return _make(fm.cos(x), (self,), (-fm.sin(x),), "cos")

    _ON_GRAPH["cos"] = lambda out, a: (-a.sin(),)

    def sqrt(self) -> Value:
        """sqrt(x);  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(x < 0) = nan."""
        r = fm.sqrt(self.data)
        return _make(r, (self,), (fm.div(0.5, r),), "sqrt")

    _ON_GRAPH["sqrt"] = lambda out, a: (0.5 / out,)

    # ---------------------------------------------------------------- comparisons --------
    # They compare the numbers. == and hash stay by identity, so Values can be dict keys.

    def __lt__(self, other: Operand) -> bool:
        return self.data < _compare_data(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compare_data(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compare_data(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compare_data(other)

    __hash__ = object.__hash__

    def __float__(self) -> float:
        return self.data

    def item(self) -> float:
        """The number, as in PyTorch's ``tensor.item()``."""
        return self.data

    # ---------------------------------------------------------------- backprop -----------

    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` on every node of the graph with dself/dnode (seeding dself/dself = 1).

        Gradients accumulate, as in PyTorch: a second ``backward()`` adds to what the first left
        (each node ends with twice its gradient). Reset with ``self.zero_grad()`` (the whole
        graph) or ``v.grad = 0.0`` (one node) before backpropagating again.

        With ``create_graph=True`` every gradient is a Value with a graph of its own, so it can be
        differentiated again (second derivatives). A leaf's gradient then refers back to the leaf:
        set ``x.grad = 0.0`` when done so the graph can be freed without the cyclic collector.
        """
        add_back(_backward_pass(self, create_graph)[2])

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node of the graph that produced this Value."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        grad = self.grad
        if isinstance(grad, Value):
            grad = grad.data
        text = f"Value(data={format_number(self.data)}, grad={format_number(grad)}"
        return text + (f", label={self.label!r})" if self.label else ")")


class Constant(Value):
    """A leaf made from a plain number in an expression (the 2 in ``2 * x``).

    A Value like any other; its own type lets pictures tell constants from inputs."""

    __slots__ = ()


class Parameter(Value):
    """A leaf that training changes: a weight or a bias (PyTorch's ``nn.Parameter``).

    A Value like any other; ``nn``'s modules make their weights and biases Parameters, and
    pictures and the step-through colour them as parameters without being told."""

    __slots__ = ()


def _power_on_graph(out: Value, a: Value) -> tuple:
    n = float(out.op[2:])
    return (0.0 if n == 0.0 else n * a ** (n - 1.0),)


def _local_grads_on_graph(node: Value) -> tuple:
    rule = _ON_GRAPH.get(node.op)
    if rule is not None:
        return rule(node, *node.parents)
    if node.op.startswith("**"):  # "**n": the exponent is written in the op
        return _power_on_graph(node, *node.parents)
    raise RuntimeError(
        f"backward(create_graph=True) cannot differentiate through the custom operation "
        f"{node.op!r}: its local derivatives are numbers, not Values; use create_graph=False")


def custom_op(op: str, data: Number, parents: Sequence[Value],
              local_grads: Sequence[Number]) -> Value:
    """A node for an operation you define yourself: its value and its local derivatives.

    For example, a hand-written sigmoid whose derivative you want ``gradcheck`` to confirm::

        def my_sigmoid(x):
            s = 1 / (1 + math.exp(-x.data))
            return custom_op("my_sigmoid", s, (x,), (s * (1 - s),))

    ``backward()`` then treats it like any built-in operation. Only first derivatives:
    ``create_graph=True`` needs derivatives that are Values, which a number cannot give.
    """
    if not isinstance(op, str) or not op:
        raise ValueError("custom_op needs a name for the operation, e.g. 'my_sigmoid'")
    if op in _ON_GRAPH or op.startswith("**"):
        raise ValueError(f"{op!r} is a built-in operation's name; give yours another one")
    parents = tuple(parents)
    for p in parents:
        if not isinstance(p, Value):
            raise TypeError(f"custom_op {op!r}: parents must be Values, got {type(p).__name__}")
    local_grads = tuple(_to_float(d, f"custom_op {op!r} local_grads") for d in local_grads)
    if len(local_grads) != len(parents):
        raise ValueError(f"custom_op {op!r}: {len(parents)} parents but {len(local_grads)} "
                         "local derivatives; give one derivative per parent")
    return _make(_to_float(data, f"custom_op {op!r} data"), parents, local_grads, op)


# ---------------------------------------------------------------- fused operation ----------

def dot(a: Sequence[Operand], b: Sequence[Operand], bias: Operand | None = None) -> Value:
    """sum_i a_i b_i + bias as one node: what a neuron computes, w . x + b.

    d/da_i = b_i, d/db_i = a_i, d/dbias = 1. One node instead of 2n (micrograd's chain of * and
    +) makes an MLP's graph several times smaller and its backward several times faster. Plain
    numbers are wrapped as constants; parents are ``(a_1, b_1, a_2, b_2, ..., bias)``.
    """
    if len(a) != len(b):
        raise ValueError(f"dot needs sequences of the same length, got {len(a)} and {len(b)}")
    parents: list[Value] = []
    local: list[float] = []
    total = 0.0
    for x, y in zip(a, b):
        if not isinstance(x, Value):
            x = _operand(x, "dot", None)
        if not isinstance(y, Value):
            y = _operand(y, "dot", None)
        xd, yd = x.data, y.data
        total += xd * yd
        parents += (x, y)
        local += (yd, xd)
    if bias is not None:
        if not isinstance(bias, Value):
            bias = _operand(bias, "dot", None)
        total += bias.data
        parents.append(bias)
        local.append(1.0)
    return _make(total, tuple(parents), tuple(local), "dot")


# Parents are pairs (a_i, b_i), then the bias if any: each factor's derivative is its partner.
_ON_GRAPH["dot"] = lambda out, *p: tuple(
    p[i ^ 1] if i < len(p) - len(p) % 2 else 1.0 for i in range(len(p)))


# ---------------------------------------------------------------- node creation ------------

_new = object.__new__


def _make(data: float, parents: tuple, local_grads: tuple, op: str) -> Value:
    """Create the result node of an operation (the one hot path every operation shares)."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    flags = mode.get()
    if flags:
        if flags & ANOMALY and not math.isfinite(data):
            inputs = ", ".join(format_number(p.data) for p in parents)
            raise AnomalyError(
                f"detect_anomaly: {op}({inputs}) = {data}: the first non-finite value in the "
                f"forward pass; check this operation's inputs")
        if flags & NO_GRAD:
            out.op = ""
            out.parents = ()
            out.local_grads = ()
            return out
    out.op = op
    out.parents = parents
    out.local_grads = local_grads
    return out


def _to_float(x: object, op: str, value: Value | None = None) -> float:
    if isinstance(x, (float, int)) or isinstance(x, Real):
        return float(x)
    if value is None:
        raise TypeError(f"{op} takes a real number (int or float), got {type(x).__name__}")
    raise TypeError(f"cannot apply '{op}' to Value and {type(x).__name__}: "
                    "expected a number or a Value")


def _operand(x: object, op: str, value: Value | None, reflected: bool = False) -> Value:
    """The other operand of ``op`` as a Value: Values pass, numbers become Constants."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (float, int)) or isinstance(x, Real):
        return Constant(float(x))
    name = type(x).__name__
    pair = f"{name} and Value" if reflected else f"Value and {name}"
    raise TypeError(f"cannot apply '{op}' to {pair}: expected a number or a Value")


def _compare_data(x: object) -> float:
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (float, int)) or isinstance(x, Real):
        return x  # type: ignore[return-value]
    raise TypeError(f"cannot compare Value with {type(x).__name__}: expected a number or a Value")


def _exponent_text(n: object, value: float) -> str:
    # "**2" for micrograd's x**2; repr keeps every digit so the op states the exponent exactly.
    return repr(n) if isinstance(n, int) else repr(value)


# ---------------------------------------------------------------- graph traversal ----------

def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, each listed before its parents (root first).

    This is the order backward visits nodes: a node comes after every node that uses it.
    """
    operations, leaves = operations_and_leaves(root)
    return operations + leaves


#: A node and the non-zero gradient a backward pass took from it, to be added back.
Saved = list[tuple[Value, "float | Value"]]


def operations_and_leaves(root: Value, saved: Saved | None = None
                          ) -> tuple[list[Value], list[Value]]:
    """The graph's operation nodes in topological order (root first), and its leaves.

    Depth-first search, iterative so that depth is limited by memory and not by Python's
    recursion limit. A walk goes from a node into its last unseen parent, and on, collecting the
    nodes it expands in a ``run``; a node's other unseen parents wait on the stack. A run sits on
    the stack below whatever was pushed while it was collected, so it comes off only after all
    of that is finished: then its nodes are finished too, deepest first. Where a node leaves
    parents waiting, the walk starts a new run, which must finish before those parents do.
    A leaf has no ancestors, so it is listed when first seen; leaves go after all operations,
    which keeps every node before its parents.

    With a ``saved`` list, the walk also readies a backward pass, which must start from zero
    (a node still holding an earlier pass's gradient would pass it on again): each non-zero
    ``.grad`` is moved into ``saved`` as ``(node, grad)`` and set to 0.0. Doing it here, while
    each node is at hand, spares a second trip through the whole graph.
    """
    clear = saved is not None
    if not root.parents:
        if clear and root.grad:
            saved.append((root, root.grad))
            root.grad = 0.0
        return [], [root]
    finished: list[Value] = []  # each node after all its ancestors
    leaves: list[Value] = []
    seen: set[Value] = set()
    stack: list = [root]
    push, pop, mark = stack.append, stack.pop, seen.add
    while stack:
        item = pop()
        if type(item) is list:  # a run whose every ancestor is finished
            item.reverse()
            finished += item
            continue
        if item in seen:  # pushed twice before it was expanded
            continue
        node = item
        run = [node]
        push(run)
        while True:
            mark(node)
            if clear and node.grad:
                saved.append((node, node.grad))
                node.grad = 0.0
            walk_on = None
            waiting = False
            for parent in node.parents:
                if parent not in seen:
                    if not parent.parents:
                        mark(parent)
                        leaves.append(parent)
                        if clear and parent.grad:
                            saved.append((parent, parent.grad))
                            parent.grad = 0.0
                    else:  # the last such parent is walked into, as if pushed last
                        if walk_on is not None:
                            push(walk_on)
                            waiting = True
                        walk_on = parent
            if walk_on is None:
                break
            if waiting:
                run = []
                push(run)
            run.append(walk_on)
            node = walk_on
    finished.reverse()
    return finished, leaves


def gradients(root: Value, create_graph: bool = False) -> dict[Value, float | Value]:
    """d(root)/d(node) for every node of ``root``'s graph; every ``.grad`` is left as it was.

    The functional form behind ``autograd.grad``: it runs the same backward pass as
    ``root.backward()`` (which needs ``.grad`` for the running sums), reads the result, and then
    puts back the gradients the pass overwrote. Like ``backward()``, it is not meant to run on a
    graph that another thread is backpropagating through at the same moment.
    """
    operations, leaves, saved = _backward_pass(root, create_graph)
    nodes = operations + leaves
    result = {node: node.grad for node in nodes}
    put_back(nodes, saved)
    return result


def add_back(saved: Saved) -> None:
    """Add the gradients a pass took away (see ``operations_and_leaves``) back into ``.grad``:
    accumulation, as in PyTorch."""
    for node, old in saved:
        node.grad = old + node.grad


def put_back(nodes: Iterable[Value], saved: Saved) -> None:
    """Leave ``.grad`` on ``nodes`` exactly as it was before a pass took ``saved``: what
    ``gradients()`` does after reading a pass, and any pass that fails half-way."""
    for node in nodes:
        node.grad = 0.0
    for node, old in saved:
        node.grad = old


def identity(x: Value) -> Value:
    """A new node equal to ``x`` (d/dx = 1): a handle on one use of ``x``.

    ``autograd.grad`` differentiates with respect to such a node for each Value argument, so
    that ``f(x, x)`` differentiated in its first argument gives that partial derivative, not the
    derivative through both.
    """
    return _make(x.data, (x,), _ONE, "id")


_ON_GRAPH["id"] = lambda out, a: (1.0,)


def _backward_pass(root: Value, create_graph: bool) -> tuple[list[Value], list[Value], list]:
    """Set every node's ``.grad`` to d(root)/d(node), from zero; return the operations, the
    leaves and the non-zero gradients the pass overwrote (see ``operations_and_leaves``).

    The chain rule in reverse topological order: by the time a node is reached, every node that
    uses it has added its share (``dL/dx += dL/dy * dy/dx``), so its gradient is complete and can
    be passed on. Leaves have nothing to pass on.
    """
    flags = mode.get()
    if create_graph and flags & NO_GRAD:
        raise RuntimeError("backward(create_graph=True) inside no_grad(): no graph can be built "
                           "for the gradients; leave the no_grad() block first")
    saved: Saved = []
    operations: list[Value] = []
    leaves: list[Value] = []
    try:
        operations, leaves = operations_and_leaves(root, saved)
        root.grad = 1.0
        if create_graph or flags & ANOMALY:
            _propagate_checked(operations, create_graph, bool(flags & ANOMALY))
        else:
            _propagate(operations)
    except BaseException:  # an anomaly, Ctrl-C half-way: leave every .grad as it was
        put_back(operations + leaves, saved)
        raise
    return operations, leaves, saved


def _propagate(operations: list[Value]) -> None:
    """The hot loop of every training step: plain floats. Most nodes are binary operations;
    unpacking their two parents directly is several times faster than a zip per node."""
    for node in operations:
        g = node.grad
        parents = node.parents
        if len(parents) == 2:
            a, b = parents
            da, db = node.local_grads
            a.grad += da * g
            b.grad += db * g
        else:
            for parent, d in zip(parents, node.local_grads):
                parent.grad += d * g


def _propagate_checked(operations: list[Value], create_graph: bool, check: bool) -> None:
    """The same loop for the slow modes: Value gradients (create_graph) and anomaly checks."""
    for node in operations:
        g = node.grad
        local = _local_grads_on_graph(node) if create_graph else node.local_grads
        for parent, d in zip(node.parents, local):
            contribution = d * g
            if check:
                _check_contribution(node, parent, contribution)
            old = parent.grad
            # Starting from the contribution itself keeps "0.0 + ..." out of gradient graphs.
            fresh = type(old) is float and old == 0.0
            parent.grad = contribution if fresh else old + contribution


def _check_contribution(node: Value, parent: Value, contribution: float | Value) -> None:
    number = contribution.data if isinstance(contribution, Value) else contribution
    if not math.isfinite(number):
        inputs = ", ".join(format_number(p.data) for p in node.parents)
        name = f" {parent.label!r}" if parent.label else ""
        raise AnomalyError(
            f"detect_anomaly: backward through {node.op}({inputs}) gave a non-finite gradient "
            f"{number} for its input{name} = {format_number(parent.data)}")


def as_value(x: Operand) -> Value:
    """``x`` if it is a Value, else a new leaf Value holding the number ``x``."""
    if isinstance(x, Value):
        return x
    return Value(_to_float(x, "as_value"))

