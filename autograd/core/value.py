"""``Value``: one number in a computation graph, and the operations that build graphs.

A ``Value`` wraps one float and remembers how it was made: its ``parents`` (in argument order)
and, for each parent, the local derivative d(out)/d(parent). Each operation below applies its
rule from ``autograd/core/rules.py``, where its value and its local derivatives are written
once; ``backward()`` (``autograd/core/backward.py``) applies the multivariable chain rule in
reverse topological order (lecture 003)::

    init  dL/dv = 0 for every node v, dL/dL = 1
    for each node y, after every node that uses y:
        for each parent x of y:    dL/dx += dL/dy * dy/dx

Memory: a node holds only its float, its parents tuple and its local-derivative tuple. Nothing
points back from a parent to a child and no closure refers to its node, so a graph has no
reference cycles and is freed by reference counting the moment its last reference goes.

micrograd's way of writing an operation works too: ``out = Value(t, (x,), 'tanh')`` and then
``out._backward = a closure`` that adds to each child's ``.grad``. Such a node has no
``local_grads`` (``None``); backward calls its closure instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any, Union

from autograd.core import release
from autograd.core.backward import (
    backprop,
    closure_local_grads,
    forward_order,
    gradients,
    topological_order,
)
from autograd.core.format import format_number
from autograd.core.kernels import kernel
from autograd.core.modes import ANOMALY, NO_GRAD, RECORD, AnomalyError, mode, recorder
from autograd.core.rules import NO_FLOW, is_builtin

Number = int | float
Operand = Union["Value", int, float]

__all__ = ["Constant", "Number", "Operand", "Parameter", "Value", "as_value", "backprop",
           "closure_local_grads", "custom_op", "dot", "forward_order", "gradients", "identity",
           "to_float", "topological_order"]

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
            data = to_float(data, "Value()")
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

    @property
    def _backward(self) -> Any:
        """This one node's chain-rule step, as micrograd's ``_backward``: for each parent x,
        ``dL/dx += d(this)/dx * dL/d(this)``. Nothing for a leaf.

        The lecture calls it node by node (``o.grad = 1.0; o._backward(); n._backward() ...``);
        ``backward()`` does the same for every node, in reverse topological order.

        Assign a closure to it, as micrograd does, and the node takes that step instead, from
        then on, in ``backward()`` and every debugging mode alike: ``y._backward = lambda:
        None`` stops the gradient at ``y`` (micrograd's stop-gradient trick).
        """
        if self.local_grads is None:
            closure = self.__dict__.get("_backward")
            return closure if closure is not None else self._missing_backward
        return self._local_step

    @_backward.setter
    def _backward(self, closure: Any) -> None:
        if not callable(closure):
            raise TypeError(f"_backward must be a function taking no arguments (micrograd's "
                            f"closure), got {type(closure).__name__}")
        if self.local_grads is not None:  # the step the closure replaces, which it may call
            self.__dict__["_replaced_local_grads"] = self.local_grads
        self.__dict__["_backward"] = closure
        self.local_grads = None  # from now on backward runs the closure

    def _local_step(self) -> None:
        local = self.local_grads
        if local is None:  # a closure took this step's place: the step it replaced
            local = self.__dict__.get("_replaced_local_grads", ())
        if local is NO_FLOW:  # relu(x <= 0), x ** 0, step: nothing flows back
            return
        g = self.grad
        for parent, d in zip(self.parents, local):
            old = parent.grad
            parent.grad = d * g if old is None else old + d * g

    def _missing_backward(self) -> None:
        raise TypeError(
            f"cannot backpropagate through the node {self.op or 'Value'!r} "
            f"(data={format_number(self.data)}): it was made micrograd's way, "
            f"Value(data, _children, _op), but has no _backward. Assign one that adds to each "
            f"child's grad, e.g. out._backward = lambda: setattr(x, 'grad', x.grad + d * "
            f"out.grad), or make the node with autograd.custom_op(op, data, parents, "
            f"local_grads)")

    # ---------------------------------------------------------------- arithmetic ---------
    # Each operation applies its rule (autograd/core/rules.py), where its math is written.

    def __add__(self, other: Operand) -> Value:
        """a + b;  d/da = 1, d/db = 1."""
        if type(other) is not Value:
            other = _operand(other, "+", self)
        return _ADD(self, other)

    def __radd__(self, other: Operand) -> Value:
        return _operand(other, "+", self, reflected=True) + self

    def __sub__(self, other: Operand) -> Value:
        """a - b;  d/da = 1, d/db = -1."""
        if type(other) is not Value:
            other = _operand(other, "-", self)
        return _SUB(self, other)

    def __rsub__(self, other: Operand) -> Value:
        return _operand(other, "-", self, reflected=True) - self

    def __mul__(self, other: Operand) -> Value:
        """a * b;  d/da = b, d/db = a."""
        if type(other) is not Value:
            other = _operand(other, "*", self)
        return _MUL(self, other)

    def __rmul__(self, other: Operand) -> Value:
        return _operand(other, "*", self, reflected=True) * self

    def __truediv__(self, other: Operand) -> Value:
        """a / b;  d/da = 1/b, d/db = -a/b^2."""
        if type(other) is not Value:
            other = _operand(other, "/", self)
        return _DIV(self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return _operand(other, "/", self, reflected=True) / self

    def __neg__(self) -> Value:
        """-a;  d/da = -1."""
        return _NEG(self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Operand) -> Value:
        """a ** b.  For a number n: d/da a^n = n a^(n-1); op is ``"**n"``, n is no node.

        For a Value b:  d/da = b a^(b-1),  d/db = a^b ln a  (0 where a = 0 and b >= 0)."""
        if isinstance(other, Value):
            return _POW(self, other)
        n = to_float(other, "**", self)
        return _POWN(self, n, "**" + _exponent_text(other, n))

    def __rpow__(self, other: Operand) -> Value:
        return _operand(other, "**", self, reflected=True) ** self

    def __abs__(self) -> Value:
        """|a|;  d/da = sign(a), with |a|'(0) = 0 as in PyTorch."""
        return _ABS(self)

    # ---------------------------------------------------------------- functions ----------

    def exp(self) -> Value:
        """e^x;  d/dx e^x = e^x."""
        return _EXP(self)

    def log(self) -> Value:
        """ln x (natural log);  d/dx ln x = 1/x.  log(0) = -inf, log(x < 0) = nan."""
        return _LOG(self)

    def tanh(self) -> Value:
        """tanh(x) = (e^x - e^-x) / (e^x + e^-x);  d/dx tanh(x) = 1 - tanh(x)^2."""
        return _TANH(self)

    def sigmoid(self) -> Value:
        """s(x) = 1 / (1 + e^-x);  d/dx s(x) = s(x) (1 - s(x))  (lectures 000, 001, 003)."""
        return _SIGMOID(self)

    def softplus(self) -> Value:
        """softplus(x) = ln(1 + e^x), a smooth ReLU;  d/dx softplus(x) = s(x), the sigmoid.

        Computed as max(x, 0) + ln(1 + e^-|x|): finite for any finite x, and exact to the last
        digits where e^-|x| is tiny. Binary cross-entropy from a logit z is
        y softplus(-z) + (1 - y) softplus(z) (``nn.bce_with_logits``)."""
        return _SOFTPLUS(self)

    def relu(self) -> Value:
        """ReLU(x) = max(0, x);  d/dx = 1 for x > 0, else 0 (so relu'(0) = 0).

        Where x <= 0 nothing flows back at all, as in PyTorch: dL/dx is 0 even when dL/d(relu) is
        inf or nan (``sqrt(relu(x))`` at x = -1 gives dx = 0, not 0 * inf = nan)."""
        return _RELU(self)

    def step(self) -> Value:
        """The hard threshold (Heaviside step) of notes 003: g(z) = 1 for z >= 0, else 0.

        dg/dz = 0 everywhere (at z = 0 it jumps and has none): as autodiff sees it, nothing
        flows back, so gradient descent cannot train a step unit; the perceptron rule can,
        because it never asks for a derivative."""
        return _STEP(self)

    def sin(self) -> Value:
        """sin x;  d/dx sin x = cos x."""
        return _SIN(self)

    def cos(self) -> Value:
        """cos x;  d/dx cos x = -sin x."""
        return _COS(self)

    def sqrt(self) -> Value:
        """sqrt(x);  d/dx sqrt(x) = 1 / (2 sqrt(x)).  sqrt(x < 0) = nan."""
        return _SQRT(self)

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

        The pass itself is ``autograd/core/backward.py``.
        """
        backprop(self, create_graph=create_graph)

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every node of the graph that produced this Value."""
        for node in forward_order(self):
            node.grad = 0.0

    def __repr__(self) -> str:
        grad = self.grad
        if isinstance(grad, Value):
            grad = grad.data
        shown = "None" if grad is None else format_number(grad)
        text = f"Value(data={format_number(self.data)}, grad={shown}"
        return text + (f", label={self.label!r})" if self.label else ")")


# The kernels (kernels.py) read their arguments' numbers as ``_data``: the ``data`` slot itself
# under a second name, which no subclass overrides. While ``autograd.compile`` records a step,
# the Values it follows have a ``data`` property that tells the step's own reads from the
# engine's; the engine's reads then still go straight to the float in the slot, at full speed.
Value._data = _DATA = vars(Value)["data"]


class Constant(Value):
    """A leaf made from a plain number in an expression (the 2 in ``2 * x``).

    A Value like any other; its own type lets pictures tell constants from inputs."""

    __slots__ = ()


class Parameter(Value):
    """A leaf that training changes: a weight or a bias (PyTorch's ``nn.Parameter``).

    A Value like any other; ``nn``'s modules make their weights and biases Parameters, and
    pictures and the step-through colour them as parameters without being told."""

    __slots__ = ()


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
    if is_builtin(op):
        raise ValueError(f"{op!r} is a built-in operation's name; give yours another one")
    parents = tuple(parents)
    for p in parents:
        if not isinstance(p, Value):
            raise TypeError(f"custom_op {op!r}: parents must be Values, got {type(p).__name__}")
    local_grads = tuple(to_float(d, f"custom_op {op!r} local_grads") for d in local_grads)
    if len(local_grads) != len(parents):
        raise ValueError(f"custom_op {op!r}: {len(parents)} parents but {len(local_grads)} "
                         "local derivatives; give one derivative per parent")
    return _make(to_float(data, f"custom_op {op!r} data"), parents, local_grads, op)


# ---------------------------------------------------------------- fused operation ----------

def dot(a: Sequence[Operand], b: Sequence[Operand], bias: Operand | None = None) -> Value:
    """sum_i a_i b_i + bias as one node: what a neuron computes, w . x + b.

    d/da_i = b_i, d/db_i = a_i, d/dbias = 1. One node instead of 2n (micrograd's chain of * and
    +) makes an MLP's graph several times smaller and its backward several times faster. Plain
    numbers are wrapped as constants; parents are ``(a_1, b_1, a_2, b_2, ..., bias)``, summed
    from the bias as micrograd's neuron sums, so its numbers are micrograd's to the last bit.
    """
    if len(a) != len(b):
        raise ValueError(f"dot needs sequences of the same length, got {len(a)} and {len(b)}")
    parents: list[Value] = []
    for x, y in zip(a, b):
        parents += (x if isinstance(x, Value) else _operand(x, "dot", None),
                    y if isinstance(y, Value) else _operand(y, "dot", None))
    if bias is not None:
        parents.append(bias if isinstance(bias, Value) else _operand(bias, "dot", None))
    return kernel("dot", len(parents), _make)(tuple(parents))


def identity(x: Value) -> Value:
    """A new node equal to ``x`` (d/dx = 1): a handle on one use of ``x``.

    ``autograd.grad`` differentiates with respect to such a node for each Value argument, so
    that ``f(x, x)`` differentiated in its first argument gives that partial derivative, not the
    derivative through both.
    """
    return _ID(x)


# ---------------------------------------------------------------- node creation ------------
# An operation's node is made by its kernel (autograd/core/kernels.py): its rule, written out as
# Python once, which computes the value and local derivatives and calls _make.

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
            # (into the slot itself: the node now has the followed class, whose data property
            # would first ask who is writing)
            _DATA.__set__(out, recorder.get().node(out, data, parents, op, flags & NO_GRAD))
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


def to_float(x: object, op: str, value: Value | None = None) -> float:
    """``x`` as a float for ``op``, or a TypeError saying what ``op`` takes."""
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
    # "**2" for micrograd's x**2; repr keeps every digit so the op states the exponent exactly
    # (rules.exponent reads it back). A bool or an IntEnum is the integer it stands for:
    # x ** True is x ** 1, op "**1".
    return str(int(n)) if isinstance(n, int) else repr(value)


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
    return Value(to_float(x, "as_value"))


_ADD, _SUB, _MUL, _DIV, _POW = (kernel(op, 2, _make) for op in ("+", "-", "*", "/", "**"))
_NEG, _ABS, _EXP, _LOG, _TANH, _SIGMOID, _SOFTPLUS, _RELU, _STEP, _SIN, _COS, _SQRT, _ID = (
    kernel(op, 1, _make) for op in ("neg", "abs", "exp", "log", "tanh", "sigmoid", "softplus",
                                    "relu", "step", "sin", "cos", "sqrt", "id"))
_POWN = kernel("**n", 1, _make)
