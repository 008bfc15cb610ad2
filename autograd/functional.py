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
from typing import Any

from autograd.engine import Value, _to_float, gradients, identity
from autograd.modes import enable_grad

ArgNums = int | Sequence[int]

#: How many grad computations are under way in this thread or task (they nest).
_depth: ContextVar[int] = ContextVar("autograd_grad_depth", default=0)


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple]:
    """A function returning ``(f(*args), df/d args[argnums])``.

    ``argnums`` is an index, or a sequence of indices for a tuple of partial derivatives. ``f``
    must return a scalar (a Value or a number; a number means f does not depend on its inputs
    and every derivative is 0).
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
                               else Value(_to_float(a, f"grad argument {i}")))
                for i, a in enumerate(args):
                    # Other numbers become Values too, so f can call Value methods on them.
                    if isinstance(a, (int, float)) and not isinstance(a, bool):
                        args[i] = Value(a)
                out = f(*args, **kwargs)
                if not isinstance(out, Value):
                    if isinstance(out, (int, float)):  # f ignored its inputs: derivatives are 0
                        derivs = tuple(0.0 for _ in positions)
                        return out, (derivs[0] if single else derivs)
                    raise TypeError(f"grad needs f to return a scalar Value or number, got "
                                    f"{type(out).__name__}")
                grads = gradients(out, create_graph=nested)
        finally:
            _depth.reset(token)
        derivs = tuple(grads.get(args[i], 0.0) for i in positions)
        value = out if nested else out.data
        return value, (derivs[0] if single else derivs)

    return wrapped


def grad(f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The derivative of ``f`` with respect to argument ``argnums`` (a tuple for several).

    ``grad(f)(x)`` is f'(x); ``grad(grad(f))(x)`` is f''(x); ``grad(f, argnums=(0, 1))(x, y)`` is
    ``(df/dx, df/dy)``.
    """
    value_and_derivative = value_and_grad(f, argnums)

    def derivative(*args: Any, **kwargs: Any) -> Any:
        return value_and_derivative(*args, **kwargs)[1]

    return derivative
