"""Argument checks for all of ``nn``, each written once.

Every check returns the value to use, or raises an error that names the argument, says what it
should be and shows what was given. What counts as what:

- a number is a real number of any kind (``int``, ``float``, ``fractions.Fraction``, NumPy's
  scalars such as ``numpy.float32``), never a ``bool``;
- one example's inputs are any iterable of numbers in order (a list, a tuple, a NumPy row,
  ``bytes``, a ``range``, a generator), as micrograd zips over whatever it is given; never a
  string, a dict or a set, whose items are characters, keys, or in no order;
- a dataset is a sequence with ``len`` and indexing (a list, a tuple, a NumPy array); its truth
  is never asked (a NumPy array refuses to say), and NumPy itself is never imported.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping, Sequence, Set
from itertools import islice
from numbers import Integral, Real

from autograd import Value


def is_number(x: object) -> bool:
    """A real number that is not a bool."""
    return isinstance(x, Real) and not isinstance(x, bool)


def shown(x: object) -> str:
    """``repr(x)`` cut to a readable length: a message quoting 10**400 shows a few digits."""
    return reprlib.repr(x)


def size(value: object) -> int | None:
    """``value`` if it is a size (an int >= 1, not a bool), else None: for computing with sizes
    the constructor itself has not checked yet (a saved file's configuration)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return value if ok else None  # type: ignore[return-value]


def count(n: object, what: str, minimum: int = 1) -> int:
    """``n`` as an int of at least ``minimum``: a size, a number of epochs, a batch size."""
    if not isinstance(n, Integral) or isinstance(n, bool) or n < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"{what} must be {wanted}, got {n!r}")
    return int(n)


def amount(x: object, what: str, *, positive: bool = False, below: float | None = None,
           at_most: float | None = None, hint: str = "") -> float:
    """``x`` as a finite float >= 0 (> 0 with ``positive``), and < ``below`` or <= ``at_most``
    when given: a learning rate, a noise level, a penalty strength, a momentum."""
    low = "(0" if positive else "[0"
    if below is not None:
        wanted = f"a number in {low}, {below:g})"
    elif at_most is not None:
        wanted = f"a number in {low}, {at_most:g}]"
    else:
        wanted = f"a finite number {'>' if positive else '>='} 0"
    try:
        value = float(x) if is_number(x) else math.nan  # type: ignore[arg-type]
    except OverflowError:  # an int or a fraction beyond a float's range, such as 10**400
        value = math.nan
    ok = math.isfinite(value) and (value > 0 if positive else value >= 0)
    if ok and below is not None:
        ok = value < below
    if ok and at_most is not None:
        ok = value <= at_most
    if not ok:
        raise ValueError(f"{what} must be {wanted}, got {shown(x)}"
                         + (f" ({hint})" if hint else ""))
    return value


def choice(value: object, choices: Sequence[str], what: str) -> str:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{what} must be one of {options}; got {value!r}")
    return value  # type: ignore[return-value]


def activation(value: str | bool | None, nonlin: object, choices: Sequence[str],
               owner: str) -> str:
    """The activation's name from ``value`` and micrograd's ``nonlin`` flag (True: ``"relu"``,
    False: ``"linear"``); neither given: ``"relu"``, as micrograd. A bool given as ``value`` is
    that flag passed by position, as micrograd's ``Neuron(nin, nonlin)`` takes it."""
    if nonlin is not None and not isinstance(nonlin, bool):
        raise TypeError(f"{owner} nonlin must be True (ReLU) or False (linear), as in "
                        f"micrograd; got {nonlin!r}")
    if isinstance(value, bool):  # micrograd's flag where it puts it: Neuron(nin, False)
        if nonlin is not None and nonlin != value:
            raise ValueError(f"{owner} got {value} (micrograd's nonlin) and nonlin={nonlin}, "
                             "which disagree; pass only one of them")
        value, nonlin = None, value
    implied = None if nonlin is None else ("relu" if nonlin else "linear")
    if value is None:
        return implied or "relu"
    value = choice(value, choices, "activation")
    if implied is not None and implied != value:
        raise ValueError(f"{owner} got nonlin={nonlin} (activation {implied!r}) and "
                         f"activation={value!r}, which disagree; pass only one of them")
    return value


def seed(value: object) -> int | None:
    """A seed for ``random.Random``: an int (reproducible) or None (fresh entropy)."""
    if value is not None and (not isinstance(value, Integral) or isinstance(value, bool)):
        raise TypeError(f"seed must be an int or None, got {type(value).__name__}")
    return None if value is None else int(value)


def class_labels(y: Sequence, what: str) -> None:
    """Labels that are class indices: ints >= 0 (NumPy's too)."""
    for label in y:
        if not isinstance(label, Integral) or isinstance(label, bool) or label < 0:
            raise ValueError(f"{what} takes class labels 0, 1, ..., C-1 (ints), got {label!r}")


def class_count(y: Sequence, what: str) -> int:
    """The number of classes C of labels ``y`` that must be the class indices 0, 1, ..., C-1,
    each at least once, with C >= 2."""
    class_labels(y, what)
    classes = int(max(y)) + 1
    missing = sorted(set(range(classes)) - {int(label) for label in y})
    if missing:
        raise ValueError(f"{what}: no example has class {missing[0]}; the labels must be the "
                         f"classes 0, 1, ..., C-1 with every class present (renumber them)")
    if classes < 2:
        raise ValueError(f"{what} needs at least two classes; every label is 0")
    return classes


def _length(data: object, name: str, what: str) -> int:
    if not isinstance(data, (str, bytes, Mapping)) and hasattr(data, "__getitem__"):
        try:
            return len(data)  # type: ignore[arg-type]
        except TypeError:  # a NumPy scalar or 0-d array has __len__ but no length
            pass
    raise TypeError(f"{what}: {name} must be a sequence such as a list or an array, got "
                    f"{type(data).__name__}")


def dataset(X: object, y: object, what: str = "the dataset") -> int:
    """The number of examples of ``(X, y)``: ``X`` a sequence of examples, ``y`` one label per
    example, at least one example."""
    n, labels = _length(X, "X", what), _length(y, "y", what)
    if n != labels:
        raise ValueError(f"{what}: got {n} examples and {labels} labels; give one label per "
                         "example")
    if n == 0:
        raise ValueError(f"{what} is empty: give at least one example")
    return n


def check_inputs(x: object, nin: int, owner: str) -> Sequence:
    """``x`` as a sequence of ``nin`` numbers or Values; a lone number is accepted when
    ``nin == 1``.

    Any iterable of numbers in order is accepted, as micrograd's ``zip`` takes it: a list, a
    tuple, a NumPy row, ``bytes``, a ``range``, a generator (read at most ``nin + 1`` items, so
    an endless one is refused rather than read forever). A dict, a set or a string is refused
    rather than read as its keys, in no order, or its characters.
    """
    x = _example(x, nin, owner)
    for i, xi in enumerate(x, start=1):
        if not isinstance(xi, Value) and not is_number(xi):
            raise _not_an_input(xi, i, owner)
    return x


def _example(x: object, nin: int, owner: str) -> Sequence:
    """``x`` as a sequence of ``nin`` items, its items not checked yet (see ``check_inputs``)."""
    if type(x) is list or type(x) is tuple:  # what a layer passes on: checked first, and fast
        items: Sequence = x  # type: ignore[assignment]
    elif isinstance(x, Value) or is_number(x):
        if nin == 1:
            return (x,)
        raise TypeError(f"{owner} takes a list of {nin} inputs per example, got one number")
    elif isinstance(x, (str, Mapping, Set)) or not isinstance(x, Iterable):
        raise TypeError(f"{owner} takes a list of {nin} inputs per example, got "
                        f"{type(x).__name__}")
    elif hasattr(x, "__len__") and hasattr(x, "__getitem__"):  # a NumPy row, bytes, a range
        items = x  # type: ignore[assignment]
        try:
            len(items)
        except TypeError:  # a NumPy 0-d array has __len__ but no length
            raise TypeError(f"{owner} takes a list of {nin} inputs per example, got "
                            f"{type(x).__name__} without a length") from None
    else:  # an iterator: read what it takes to know whether it has nin items
        items = list(islice(x, nin + 1))
        if len(items) > nin:
            raise ValueError(f"{owner} takes {nin} inputs per example, got more than {nin}")
    if len(items) != nin:
        raise ValueError(f"{owner} takes {nin} inputs per example, got {len(items)}")
    return items


def _not_an_input(xi: object, i: int, owner: str) -> TypeError:
    return TypeError(f"{owner} takes numbers or Values as inputs, got {type(xi).__name__} for "
                     f"input {i}")


def units(x: object, owner: str) -> tuple[list, bool]:
    """``x`` as a list of units (numbers or Values), and whether it was a single one: what a
    module that works unit by unit (``Dropout``) takes, a Value or a layer's list of them."""
    if isinstance(x, Value) or is_number(x):
        return [x], True
    wanted = f"{owner} takes a Value, a number or a list of them (a layer's outputs)"
    if (isinstance(x, (str, bytes, Mapping)) or not hasattr(x, "__len__")
            or not hasattr(x, "__getitem__")):
        raise TypeError(f"{wanted}, got {type(x).__name__}")
    found = list(x)  # type: ignore[call-overload]
    for i, xi in enumerate(found, start=1):
        if not isinstance(xi, Value) and not is_number(xi):
            raise TypeError(f"{wanted}, got {type(xi).__name__} for unit {i}")
    return found, False


def input_values(x: object, nin: int, owner: str) -> list[Value]:
    """One example's inputs as Values: numbers become leaves labelled ``x1 ... xn``.

    Wrapping each number once lets every neuron of a layer share the same input node (graph
    pictures then show x1 once, with all its edges), instead of a constant per neuron.
    """
    values = []
    for i, xi in enumerate(_example(x, nin, owner), start=1):
        if isinstance(xi, Value):
            values.append(xi)
        elif is_number(xi):
            values.append(Value(xi, label=f"x{i}"))
        else:
            raise _not_an_input(xi, i, owner)
    return values


def parameters(params: object, owner: str) -> list[Value]:
    """``params`` (such as ``model.parameters()``) as a list of Values."""
    if isinstance(params, Value):
        raise TypeError(f"{owner} takes an iterable of Values such as model.parameters(), not "
                        "a single Value: wrap it in a list")
    if callable(getattr(params, "parameters", None)):
        raise TypeError(f"{owner} takes the parameters: pass model.parameters(), not the model "
                        f"({type(params).__name__})")
    if not isinstance(params, Iterable) or isinstance(params, (str, bytes)):
        raise TypeError(f"{owner} takes an iterable of Values such as model.parameters(), got "
                        f"{type(params).__name__}")
    found = list(params)
    for p in found:
        if not isinstance(p, Value):
            raise TypeError(f"{owner} takes Values (model.parameters()), got "
                            f"{type(p).__name__}")
    return found
