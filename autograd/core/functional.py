"""Gradients as functions, HIPS autograd / JAX style: ``grad(f)(x)`` is f'(x).

    >>> from autograd import grad
    >>> f = lambda x: x ** 3
    >>> grad(f)(2.0), grad(grad(f))(2.0)      # 3x^2 and 6x at x = 2
    (12.0, 12.0)

``f`` receives Values and should compute with Value operations (``+ - * / **``, ``x.tanh()``,
``autograd.tanh(x)``...). Called with plain numbers, ``grad(f)`` returns floats; called with
Values (as the inner ``grad`` of ``grad(grad(f))`` is), it returns Values whose graph reaches the
arguments, which is what lets the outer ``grad`` differentiate again. No ``.grad`` attribute is
changed along the way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from numbers import Real
from typing import Any

from autograd.core.modes import enable_grad
from autograd.core.value import Constant, Value, gradients, identity, to_float

ArgNums = int | Sequence[int]

#: How many grad computations are under way in this thread or task (they nest).
_depth: ContextVar[int] = ContextVar("autograd_grad_depth", default=0)


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple]:
    """A function returning ``(f(*args), df/d args[argnums])``.

    ``argnums`` is an index, or a sequence of indices for a tuple of partial derivatives. ``f``
    must return a scalar Value: a plain number is refused, as JAX and ``torch.func`` refuse it,
    because it means the graph was cut (``math.sin(x)`` instead of ``autograd.sin(x)``).
    """
    single = isinstance(argnums, int)
    indices = (argnums,) if single else tuple(argnums)
    if not indices:
        raise ValueError("argnums is empty: name at least one argument to differentiate")

    def wrapped(*args: Any, **kwargs: Any) -> tuple:
        args = list(args)
        positions = []
        for i in indices:
            if not -len(args) <= i < len(args):
                raise IndexError(f"argnums {i} is out of range: f got {len(args)} positional "
                                 "argument(s)")
            positions.append(i % len(args))
        # Inside another grad (even when called with plain numbers: f may use the outer
        # variable), or when given Values, the derivatives must be Values whose graph reaches
        # the arguments, so that they can be differentiated again.
        nested = _depth.get() > 0 or any(isinstance(a, Value) for a in args)
        token = _depth.set(_depth.get() + 1)
        try:
            # Inside an outer no_grad() (numerical_grad evaluates f that way) f still needs
            # its graph: as torch.func.grad, differentiation records regardless.
            with enable_grad():
                for i in set(positions):
                    a = args[i]
                    # A node of its own per differentiated argument: f(x, x) differentiated in
                    # its first argument is the partial derivative, not the total one.
                    args[i] = (identity(a) if isinstance(a, Value)
                               else Value(to_float(a, f"grad argument {i}")))
                for i, a in enumerate(args):
                    # Other numbers become Values too, so f can call Value methods on them.
                    if isinstance(a, (int, float)) and not isinstance(a, bool):
                        args[i] = Value(a)
                out = f(*args, **kwargs)
                if not isinstance(out, Value):
                    raise _not_a_value(out)
                grads = gradients(out, create_graph=nested)
        finally:
            _depth.reset(token)
        derivs = tuple(grads.get(args[i], 0.0) for i in positions)
        if nested:  # a constant derivative (d/dx of x + 1) is still a Value: an outer grad
            derivs = tuple(d if isinstance(d, Value) else Constant(d) for d in derivs)
        value = out if nested else out.data
        return value, (derivs[0] if single else derivs)

    return wrapped


def _not_a_value(out: object) -> TypeError:
    # As jax.grad and torch.func.grad: a plain number means the graph was cut somewhere (a
    # Value passed through math.sin or float() is only a number afterwards), and a derivative
    # of 0 would be silently wrong.
    if isinstance(out, Real) and not isinstance(out, bool):
        return TypeError(
            f"grad: f returned the plain number {out!r}, not a Value, so its derivative cannot "
            f"be traced. If f uses math.sin, math.exp, float() or the like, use autograd's "
            f"functions instead (autograd.sin(x), x.exp(), ...): math.* turns a Value into a "
            f"number and cuts the graph. If f really is constant, return Value({out!r})")
    return TypeError(f"grad needs f to return a scalar Value, got {type(out).__name__}")


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The derivative of ``f`` with respect to argument ``argnums`` (a tuple for several).

    ``grad(f)(x)`` is f'(x); ``grad(grad(f))(x)`` is f''(x); ``grad(f, argnums=(0, 1))(x, y)`` is
    ``(df/dx, df/dy)``.
    """
    value_and_derivative = value_and_grad(f, argnums)

    def derivative(*args: Any, **kwargs: Any) -> Any:
        return value_and_derivative(*args, **kwargs)[1]

    return derivative
