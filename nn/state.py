"""A model's parameters as a mapping of names to numbers: PyTorch's ``state_dict`` protocol.

``model.state_dict()`` is an ordered mapping ``name -> float`` in ``named_parameters()`` order
(``layers.0.neurons.3.w1 -> 0.42``); ``model.load_state_dict(d)`` copies numbers back in. As in
PyTorch, ``strict=True`` (the default) refuses a mapping whose names are not exactly the model's
and lists the missing and the unexpected ones; ``strict=False`` loads the names that match and
returns both lists as ``IncompatibleKeys(missing_keys, unexpected_keys)``.

Unlike PyTorch, a refused mapping changes nothing: every name and number is checked before the
first parameter is written. Files are ``model.save`` / ``nn.load``'s business; a PyTorch model's
own state dict (tensors under names like ``0.weight``) is refused with a pointer to
``nn.from_torch``, which knows how its matrices map onto neurons.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from autograd import Value
from nn import checks


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` did not match: PyTorch's ``(missing_keys, unexpected_keys)``.

    ``missing_keys`` are the model's parameter names the mapping lacks, in the model's order;
    ``unexpected_keys`` are the mapping's names the model does not have, in the mapping's order.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


def _quoted(keys: list[str]) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _tensor_shape(value: object) -> tuple | None:
    """The shape of a tensor or array with at least one dimension; None for anything else."""
    try:
        shape = tuple(getattr(value, "shape", None))  # type: ignore[arg-type]
    except TypeError:  # no shape at all
        return None
    return shape or None


def _number(key: str, value: object) -> float | str:
    """``value`` as a float, or the reason it is not one (for the error message).

    Any real number is taken (NumPy's scalars, ``Fraction``, ``Decimal``, a 0-d tensor or
    array), as long as a float can hold it: 10**400 or ``numpy.longdouble("1e4000")`` would
    become inf, another number than the one given, and are refused as model files refuse 1e400.
    An infinity given as one (``math.inf``) stays one.
    """
    if checks.is_number(value) or isinstance(value, Decimal):
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int or a Fraction beyond a float's range
            number = math.inf
        except ValueError:  # Decimal("sNaN") refuses to become a float
            return f'"{key}" holds {checks.shown(value)}, not a number'
        if math.isinf(number) and not _is_infinite(value):
            return (f'"{key}" holds {checks.shown(value)}, too large for a float (the largest is '
                    f'about 1.8e308); an infinity is written float("inf")')
        return number
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a 0-d tensor or array
        return _number(key, value.item())
    return f'"{key}" holds a {type(value).__name__}, not a number'


def _is_infinite(value: object) -> bool:
    """Whether ``value`` is itself an infinity (not a finite number too large for a float)."""
    try:
        return bool(value == math.inf or value == -math.inf)
    except (TypeError, ArithmeticError):
        return False


def load_state_dict(named: list[tuple[str, Value]], state_dict: Mapping, strict: bool,
                    owner: str) -> IncompatibleKeys:
    """Copy the numbers of ``state_dict`` into the parameters ``named`` (``named_parameters()``).

    ``owner`` names the model in messages (``"MLP"``). Raises ``RuntimeError`` with PyTorch's
    "Error(s) in loading state_dict for ..." message, and writes nothing, when a value is not a
    number or, with ``strict``, when names are missing or unexpected.
    """
    if isinstance(state_dict, (str, bytes, os.PathLike)):
        raise TypeError("load_state_dict takes a mapping of parameter names to numbers, such as "
                        "another model's state_dict(), not a file name; to read a file written "
                        "by model.save use model.load_state(path) or nn.load(path)")
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"load_state_dict takes a mapping of parameter names to numbers, such as "
                        f"model.state_dict(); got {type(state_dict).__name__}")
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, got {strict!r}")
    ours = dict(named)
    example = named[0][0] if named else "w1"
    tensors = [(key, shape) for key, value in state_dict.items()
               if (shape := _tensor_shape(value)) is not None]
    if tensors:
        key, shape = tensors[0]
        size = "x".join(str(n) for n in shape)
        raise RuntimeError(
            f"Error(s) in loading state_dict for {owner}:\n\t\"{key}\" holds a tensor of "
            f"shape {size}: this looks like a PyTorch model's state_dict, while a backprop-lab "
            f"model keeps one number per name (\"{example}\"). Use nn.from_torch(module) to "
            f"bring a PyTorch model here, or model.load_state_dict("
            f"nn.from_torch(module).state_dict()) to copy its weights into this model.")
    numbers, errors = {}, []
    for key, value in state_dict.items():
        if key in ours:
            number = _number(key, value)
            if isinstance(number, str):
                errors.append(number + ".")
            else:
                numbers[key] = number
    missing = [name for name in ours if name not in state_dict]
    unexpected = [key for key in state_dict if key not in ours]
    if strict:
        if unexpected:
            errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}.")
        if missing:
            errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}.")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {owner}:\n\t"
                           + "\n\t".join(errors))
    for key, number in numbers.items():
        ours[key].data = number
    return IncompatibleKeys(missing, unexpected)
