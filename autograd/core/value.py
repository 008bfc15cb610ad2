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

micrograd's way of writing an operation works too: ``out = Value(t, (x,), 'tanh')`` and then
``out._backward = a closure`` that adds to each child's ``.grad``. Such a node has no
``local_grads`` (``None``); backward calls its closure instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import Any, Union

from autograd.core import floatmath as fm
from autograd.core import release
from autograd.core.format import format_number
from autograd.core.modes import ANOMALY, NO_GRAD, RECORD, AnomalyError, mode, recorder

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
#: The local derivative of an output that does not depend on its input here: relu(x) for
#: x <= 0, x ** 0 and step(x). Backward passes nothing back through it, whatever dL/d(output) is, as
#: PyTorch's threshold_backward does: an inf or nan from above must not turn 0 * inf into nan.
_NO_FLOW = tuple([0.0])  # built at run time: a literal (0.0,) elsewhere may be this very object


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
            lectures' local gradients); backward multiplies each by dL/d(this value). ``None``
            for a micrograd-style node, whose ``_backward`` closure does that work itself.

    micrograd's names work as well: ``_prev`` (the parents), ``_op`` (the op) and ``_backward()``
    (this one node's chain-rule step). Attributes of your own can be set on any Value
    (``p.m = 0.0`` for an optimizer's state); they cost nothing until the first one is set.
    """

    # __dict__ holds attributes of your own; it is created only when the first one is set.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads", "__dict__")

    if release.SMALL_STACK:  # free deep graphs through a queue, not one nested call a node
        __del__ = release.release

    def __init__(self, data: Number, _children: Iterable[Value] = (), _op: str = "",
                 label: str = "") -> None:
        """``Value(2.0, label="x")``; or micrograd's ``Value(data, (a, b), '+')`` for the result
        of an operation you write yourself, whose ``_backward`` closure you then assign."""
        if type(data) is not float:
            data = _to_float(data, "Value()")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] | None = ()
        if _children != ():
            _adopt_children(self, _children, _op)
        elif _op:
            self.op = _micrograd_op(_op)

    # ---------------------------------------------------------------- micrograd's names ---

    @property
    def _prev(self) -> tuple[Value, ...]:
        """micrograd's name for ``parents`` (a tuple in argument order here, not a set)."""
        return self.parents

    @property
    def _op(self) -> str:
        """micrograd's name for ``op``."""
        return self.op

    @_op.setter
    def _op(self, op: str) -> None:
        self.op = _micrograd_op(op)

    def _backward(self) -> None:
        """This one node's chain-rule step, as micrograd's ``_backward``: for each parent x,
        ``dL/dx += d(this)/dx * dL/d(this)``. Nothing for a leaf.

        The lecture calls it node by node (``o.grad = 1.0; o._backward(); n._backward() ...``);
        ``backward()`` does the same for every node, in reverse topological order. A
        micrograd-style node replaces this method with the closure assigned to it.
        """
        local = self.local_grads
        if local is None:
            raise _missing_backward(self)
        if local is _NO_FLOW:  # relu(x <= 0), x ** 0, step: nothing flows back
            return
        g = self.grad
        for parent, d in zip(self.parents, local):
            old = parent.grad
            parent.grad = d * g if old is None else old + d * g

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
        if n == 0.0:  # a ** 0 = 1 whatever a is: nothing flows back, as PyTorch's pow_backward
            return _make(fm.power(a, n), (self,), _NO_FLOW, "**" + _exponent_text(other, n))
        da = n * fm.power(a, n - 1.0)
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
        """ReLU(x) = max(0, x);  d/dx = 1 for x > 0, else 0 (so relu'(0) = 0).

        Where x <= 0 nothing flows back at all, as in PyTorch: dL/dx is 0 even when dL/d(relu) is
        inf or nan (``sqrt(relu(x))`` at x = -1 gives dx = 0, not 0 * inf = nan)."""
        x = self.data
        if x <= 0.0:
            return _make(0.0, (self,), _NO_FLOW, "relu")
        return _make(x, (self,), _ONE, "relu")  # x > 0, or nan (which passes on, as in PyTorch)

    _ON_GRAPH["relu"] = lambda out, a: (1.0 if a.data > 0.0 else 0.0,)

    def step(self) -> Value:
        """The hard threshold (Heaviside step) of notes 003: g(z) = 1 for z >= 0, else 0.

        dg/dz = 0 everywhere (at z = 0 it jumps and has none): as autodiff sees it, nothing
        flows back, so gradient descent cannot train a step unit; the perceptron rule can,
        because it never asks for a derivative."""
        return _make(1.0 if self.data >= 0.0 else 0.0, (self,), _NO_FLOW, "step")

    _ON_GRAPH["step"] = lambda out, a: (0.0,)

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
        return float(self.data)

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
        backprop(self, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node of the graph that produced this Value."""
        for node in topological_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        grad = self.grad
        if isinstance(grad, Value):
            grad = grad.data
        shown = "None" if grad is None else format_number(grad)
        text = f"Value(data={format_number(self.data)}, grad={shown}"
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
    if bias is not None and not isinstance(bias, Value):
        bias = _operand(bias, "dot", None)
    parents: list[Value] = []
    local: list[float] = []
    # Summed from the bias, as micrograd's neuron does (sum(w_i x_i, start=b)): the same
    # additions in the same order give micrograd's numbers to the last bit.
    total = 0.0 if bias is None else bias.data
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
            raise _forward_anomaly(op, parents, data)
        if flags & RECORD:  # autograd.compile is recording: the node's number is followed
            out.data = recorder.get().node(out, data, parents, op)
        if flags & NO_GRAD:
            out.op = ""
            out.parents = ()
            out.local_grads = ()
            return out
    out.op = op
    out.parents = parents
    out.local_grads = local_grads
    return out


def _forward_anomaly(op: str, parents: tuple, data: float) -> AnomalyError:
    inputs = ", ".join(format_number(p.data) for p in parents)
    return AnomalyError(f"detect_anomaly: {op}({inputs}) = {data}: the first non-finite value "
                        f"in the forward pass; check this operation's inputs")


def _to_float(x: object, op: str, value: Value | None = None) -> float:
    if isinstance(x, (float, int)):
        return float(x)
    if isinstance(x, Real):
        if mode.get() & RECORD:  # a number autograd.compile follows may be kept as it is
            return recorder.get().number(x, op)
        return float(x)
    if value is None:
        raise TypeError(f"{op} takes a real number (int or float), got {type(x).__name__}")
    raise TypeError(f"cannot apply '{op}' to Value and {type(x).__name__}: "
                    "expected a number or a Value")


def _operand(x: object, op: str, value: Value | None, reflected: bool = False) -> Value:
    """The other operand of ``op`` as a Value: Values pass, numbers become Constants."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (float, int)):
        return Constant(float(x))
    if isinstance(x, Real):
        return Constant(x)  # converted by Value(), where autograd.compile may follow it
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
    # A bool or an IntEnum is the integer it stands for: x ** True is x ** 1, op "**1".
    return str(int(n)) if isinstance(n, int) else repr(value)


# ---------------------------------------------------------------- the graph ----------------

def forward_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, each after its parents, in the order the expression
    reads: ``x1*w1 + x2*w2`` lists x1, w1, x1*w1, x2, w2, x2*w2, the sum.

    The one walk of the graph: backward goes through it in reverse, pictures and the
    step-through name and draw nodes in it.
    """
    return _walk(root, None)


def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, each listed before its parents (root first).

    This is the order backward visits nodes: a node comes after every node that uses it.
    """
    order = _walk(root, None)
    order.reverse()
    return order


#: A node and the gradient an earlier pass had left in it, set aside by this pass.
Saved = list[tuple[Value, "float | Value"]]


def _walk(root: Value, set_aside: Saved | None) -> list[Value]:
    """``forward_order``: a depth-first search, parents in argument order, each node listed
    after all its parents. Iterative, so depth is limited by memory, not by Python's recursion
    limit.

    From a node the walk goes straight on into its first unseen operation; the nodes walked
    through form a ``run``, listed backwards (deepest first) once finished. Parents still unseen
    behind the one walked into wait on the stack, above the run, so they are listed before it,
    in argument order. A leaf has nothing to wait for: it is listed as soon as its turn comes,
    and at the latest when another node that uses it is reached. (So a shared leaf may be listed
    earlier than a recursive search would list it; never after a node that uses it.)

    With ``set_aside``, the walk readies a backward pass, which must start from zero: each
    node's non-zero ``.grad`` (or ``None``, PyTorch's "no gradient yet") is moved into
    ``set_aside`` and set to 0.0. Doing it here, while each node is at hand, spares a second
    trip through memory.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    # Leaves waiting on the stack. One that a deeper node uses is listed there and then, rather
    # than waiting a second time: on a chain x = x * a + c that keeps c from waiting at every
    # link (three times the work).
    waiting_leaves: set[Value] = set()
    mark = seen.add
    clear = set_aside is not None

    def list_leaf(leaf: Value) -> None:
        mark(leaf)
        order.append(leaf)
        if clear and leaf.grad != 0.0:
            set_aside.append((leaf, leaf.grad))
            leaf.grad = 0.0

    stack: list = [root]
    push, pop = stack.append, stack.pop
    while stack:
        item = pop()
        if type(item) is list:  # a finished run
            item.reverse()
            order += item
            continue
        if type(item) is tuple:  # (leaf,): a leaf whose turn has come, unless listed already
            if item[0] not in seen:
                list_leaf(item[0])
            continue
        if item in seen:  # waited, and was reached another way meanwhile
            continue
        if not item.parents:  # the root is a leaf
            list_leaf(item)
            continue
        node = item
        run = [node]
        push(run)
        while True:
            mark(node)
            if clear and node.grad != 0.0:  # (None, "no gradient yet", is set aside too)
                set_aside.append((node, node.grad))
                node.grad = 0.0
            walk_on = None
            waiting = None
            for parent in node.parents:
                if parent in seen:
                    continue
                if not parent.parents:  # a leaf
                    if walk_on is None or parent in waiting_leaves:
                        list_leaf(parent)  # its turn, or this node is the first to use it
                    else:
                        waiting_leaves.add(parent)
                        waiting = waiting or []
                        waiting.append((parent,))
                elif walk_on is None:
                    walk_on = parent
                else:
                    waiting = waiting or []
                    waiting.append(parent)
            if walk_on is None:
                break
            if waiting:  # they come off the stack in argument order, before this run
                waiting.reverse()
                stack += waiting
                run = []
                push(run)
            run.append(walk_on)
            node = walk_on
    return order


# ---------------------------------------------------------------- backward -----------------
#
# One protocol serves backward(), gradients() (behind autograd.grad) and trace_backward():
#
#   1. walk the graph (forward_order), setting aside the gradients an earlier pass left;
#   2. dL/dL = 1; then, each node after every node that uses it, the chain rule
#          dL/dx += dL/dnode * dnode/dx        for each parent x of the node
#      so every gradient is this pass's alone, computed from zero;
#   3. finish: backward() adds what was set aside back (gradients accumulate, as in
#      PyTorch); gradients() reads the result and puts the old gradients back.
#
# If anything interrupts 1-3 (an error, an anomaly, Ctrl-C), every .grad is put back as it was.

#: trace_backward's recorder: called once per node with parents, after its step, with the
#: node, dL/dnode and, per parent, ``(parent, local derivative, contribution, before, after)``.
Recorder = Callable[[Value, float, list[tuple[Value, float, float, float, float]]], None]


def backprop(root: Value, *, create_graph: bool = False,
             record: Recorder | None = None) -> list[Value]:
    """``root.backward()``: add d(root)/d(node) to every node's ``.grad``; return the graph's
    nodes in ``forward_order``. ``record`` (see ``Recorder``) is told every step."""
    return _backprop(root, create_graph, record, _add_back)


def gradients(root: Value, create_graph: bool = False) -> dict[Value, float | Value]:
    """d(root)/d(node) for every node of ``root``'s graph; every ``.grad`` is left as it was.

    The functional form behind ``autograd.grad``: the same pass as ``root.backward()`` (which
    keeps its running sums in ``.grad``), read, and then the old gradients put back. Like
    ``backward()``, it must not run on a graph another thread is backpropagating through.
    """
    return _backprop(root, create_graph, None, _read_and_put_back)


def _backprop(root: Value, create_graph: bool, record: Recorder | None,
              finish: Callable[[list[Value], Saved], Any]) -> Any:
    flags = mode.get()
    if flags & RECORD:
        recorder.get().backward()
    if create_graph and flags & NO_GRAD:
        raise RuntimeError("backward(create_graph=True) inside no_grad(): no graph can be built "
                           "for the gradients; leave the no_grad() block first")
    saved: Saved = []
    order: list[Value] = []
    try:
        order = _walk(root, saved)  # 1. set earlier gradients aside
        root.grad = 1.0  # 2. dL/dL = 1, then the chain rule
        if create_graph or record is not None or flags & ANOMALY:
            _propagate_checked(order, create_graph, bool(flags & ANOMALY), record)
        else:
            _propagate(order)
        return finish(order, saved)  # 3. add back, or read and put back
    except BaseException:  # an error, an anomaly, Ctrl-C, even during 3: undo it all
        put_back(order, saved)
        raise


def _propagate(order: list[Value]) -> None:
    """Step 2 on plain floats: the hot loop of every training step.

    Most nodes are binary operations: unpacking their two parents directly is several times
    faster than a zip per node. A micrograd-style node has no local derivatives (``None``);
    unpacking them stops the loop with a TypeError, and the node's own ``_backward`` closure
    does its step before the loop carries on (a check on every node would cost more).
    """
    nodes = reversed(order)
    while True:
        try:
            for node in nodes:
                g = node.grad
                parents = node.parents
                if len(parents) == 2:
                    a, b = parents
                    da, db = node.local_grads
                    a.grad += da * g
                    b.grad += db * g
                elif parents and node.local_grads is not _NO_FLOW:  # _NO_FLOW passes none
                    for parent, d in zip(parents, node.local_grads):
                        parent.grad += d * g
            return
        except TypeError:
            if node.local_grads is not None:  # a real error, not a micrograd-style node
                raise
            node._backward()


def _propagate_checked(order: list[Value], create_graph: bool, check: bool,
                       record: Recorder | None) -> None:
    """Step 2 for the slow modes: Value gradients (create_graph), anomaly checks, a recorder.
    The same chain rule, one parent at a time."""
    for node in reversed(order):
        parents = node.parents
        if not parents:
            continue
        g = node.grad
        local = _local_grads_for(node, create_graph)
        flows = node.local_grads is not _NO_FLOW
        updates = []
        for parent, d in zip(parents, local):
            contribution = d * g if flows else 0.0
            if check:
                _check_contribution(node, parent, contribution)
            old = parent.grad
            # Starting from the contribution itself keeps "0.0 + ..." out of gradient graphs.
            fresh = create_graph and type(old) is float and old == 0.0
            parent.grad = contribution if fresh else old + contribution
            if record is not None:
                updates.append((parent, d, contribution, old, parent.grad))
        if record is not None:
            record(node, g, updates)


def _local_grads_for(node: Value, create_graph: bool) -> tuple:
    """A node's local derivatives for the slow loop: Values for create_graph, else floats."""
    if node.local_grads is None:
        if create_graph:
            raise RuntimeError(
                f"backward(create_graph=True) cannot differentiate through the micrograd-style "
                f"node {node.op!r}: its _backward closure works on numbers; build it from Value "
                f"operations, or use create_graph=False")
        return closure_local_grads(node)
    return _local_grads_on_graph(node) if create_graph else node.local_grads


def closure_local_grads(node: Value) -> tuple[float, ...]:
    """The local derivatives of a micrograd-style node, read off its ``_backward`` closure:
    run with dL/dnode = 1 and every parent's gradient at 0, it adds d(node)/d(parent) to each
    parent. Every ``.grad`` is left as it was. A parent listed twice (``x * x``) receives both
    of its derivatives at once; they are counted at its first place."""
    parents = node.parents
    kept = [(p, p.grad) for p in parents]
    upstream = node.grad
    try:
        for p in parents:
            p.grad = 0.0
        node.grad = 1.0
        node._backward()
        found = [p.grad for p in parents]
    finally:
        for p, old in kept:
            p.grad = old
        node.grad = upstream
    counted: set[Value] = set()
    local = []
    for p, d in zip(parents, found):
        local.append(0.0 if p in counted else _to_float(d, f"{node.op!r}'s _backward"))
        counted.add(p)
    return tuple(local)


def _add_back(order: list[Value], saved: Saved) -> list[Value]:
    """Step 3 of backward(): accumulation, as in PyTorch (``None`` counts as no gradient)."""
    for node, old in saved:
        if old is not None:
            node.grad = old + node.grad
    return order


def _read_and_put_back(order: list[Value], saved: Saved) -> dict[Value, float | Value]:
    """Step 3 of gradients(): read this pass's gradients, then leave ``.grad`` as it was."""
    result = {node: node.grad for node in order}
    put_back(order, saved)
    return result


def put_back(nodes: Iterable[Value], saved: Saved) -> None:
    """Leave ``.grad`` on ``nodes`` exactly as it was before a pass set ``saved`` aside."""
    for node in nodes:
        node.grad = 0.0
    for node, old in saved:
        node.grad = old


def _missing_backward(node: Value) -> TypeError:
    return TypeError(
        f"cannot backpropagate through the node {node.op or 'Value'!r} "
        f"(data={format_number(node.data)}): it was made micrograd's way, "
        f"Value(data, _children, _op), but has no _backward. Assign one that adds to each "
        f"child's grad, e.g. out._backward = lambda: setattr(x, 'grad', x.grad + d * out.grad), "
        f"or make the node with autograd.custom_op(op, data, parents, local_grads)")


def _check_contribution(node: Value, parent: Value, contribution: float | Value) -> None:
    number = contribution.data if isinstance(contribution, Value) else contribution
    if not math.isfinite(number):
        inputs = ", ".join(format_number(p.data) for p in node.parents)
        name = f" {parent.label!r}" if parent.label else ""
        raise AnomalyError(
            f"detect_anomaly: backward through {node.op}({inputs}) gave a non-finite gradient "
            f"{number} for its input{name} = {format_number(parent.data)}")


def identity(x: Value) -> Value:
    """A new node equal to ``x`` (d/dx = 1): a handle on one use of ``x``.

    ``autograd.grad`` differentiates with respect to such a node for each Value argument, so
    that ``f(x, x)`` differentiated in its first argument gives that partial derivative, not the
    derivative through both.
    """
    return _make(x.data, (x,), _ONE, "id")


_ON_GRAPH["id"] = lambda out, a: (1.0,)


def _adopt_children(node: Value, children: Iterable[Value], op: object) -> None:
    """Make ``node`` a micrograd-style result: parents given, derivatives from a closure."""
    if isinstance(children, str):
        raise TypeError(
            f"Value({format_number(node.data)}, {children!r}): the second argument is "
            f"micrograd's _children, a tuple of Values; give a name as label={children!r}")
    try:
        parents = tuple(children)
    except TypeError:
        raise TypeError(f"Value(data, _children, _op): _children must be a tuple of Values, "
                        f"got {type(children).__name__}") from None
    for p in parents:
        if not isinstance(p, Value):
            raise TypeError(f"Value(data, _children, _op): _children must be a tuple of "
                            f"Values; it holds a {type(p).__name__}")
    node.op = _micrograd_op(op)
    if parents:
        node.parents = parents
        node.local_grads = None  # backward calls the node's _backward closure
        if mode.get() & ANOMALY and not math.isfinite(node.data):
            raise _forward_anomaly(node.op, parents, node.data)


def _micrograd_op(op: object) -> str:
    if not isinstance(op, str):
        raise TypeError(f"Value _op must be a str such as 'tanh', got {type(op).__name__}")
    return op


def as_value(x: Operand) -> Value:
    """``x`` if it is a Value, else a new leaf Value holding the number ``x``."""
    if isinstance(x, Value):
        return x
    return Value(_to_float(x, "as_value"))

