"""What a step reaches besides its arguments, and a fingerprint of it that a replay re-checks.

A replay repeats what the step did when it was recorded. Numbers and objects the step reads
from outside its arguments are part of that: a module's training mode (``train()``/``eval()``),
a global scale factor, a closure's number, the layers of a model (a replaced layer, a model
reloaded into the same global). ``reach(fn)`` walks from the step's function through its
closure, its defaults and the globals its code names (and the functions and objects those hold)
and returns every ``Value`` found (followed from the start of a recording) and a fingerprint:
every plain number, string and flag met, by value, and every other object by identity. A replay
whose fingerprint differs records anew.

The walk does not look into the Values' numbers (parameters are read afresh at every call) nor
into the library's engine (``autograd``).
"""

from __future__ import annotations

import functools
import struct
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from autograd.core.value import Value

#: A step reaching more objects than this is not watched (and not compiled).
MAX_OBJECTS = 200_000


#: The numbers and strings a fingerprint holds by value (floats by their bits).
_PLAIN = frozenset((int, bool, str, bytes, complex, type(None)))


class TooMuchState(Exception):
    """The step reaches more objects than ``MAX_OBJECTS``."""


def _names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


class _Walk:
    def __init__(self) -> None:
        self.values: list[Value] = []
        self.seen: set[int] = set()
        self.key: list[Any] = []
        self.listed = 0  # Values met in lists of Values

    def object(self, x: Any, names: frozenset[str] = frozenset()) -> None:
        kind = type(x)
        add = self.key.append
        if kind is float:
            add(struct.pack("<d", x))
            return
        if kind in _PLAIN:
            add((kind, x))
            return
        if id(x) in self.seen:
            add(("again", id(x)))
            return
        self.seen.add(id(x))
        if len(self.seen) + self.listed > MAX_OBJECTS:
            raise TooMuchState
        add((kind, id(x)))
        if isinstance(x, Value):
            self.values.append(x)
            return
        if kind is list or kind is tuple:
            add(len(x))
            # A layer's weights: a list of Values, leaves of the walk, known by their
            # identities; checked at C speed (a replay walks them at every call), and counted
            # apart from ``seen``, which only objects walked into need.
            if all(issubclass(item_kind, Value) for item_kind in set(map(type, x))):
                self.listed += len(x)
                if len(self.seen) + self.listed > MAX_OBJECTS:
                    raise TooMuchState
                self.values.extend(x)
                add(tuple(map(id, x)))
                return
            for item in x:
                self.object(item)
            return
        if kind is dict:
            add(tuple(x))
            for item in x.values():
                self.object(item)
            return
        if kind is FunctionType:
            self.function(x)
            return
        if kind is MethodType:
            self.object(x.__self__)
            self.object(x.__func__)
            return
        if kind is functools.partial:
            self.object(x.func)
            self.object(x.args)
            self.object(x.keywords)
            return
        if kind is ModuleType:
            for name in sorted(names):
                if name in vars(x):
                    add(name)
                    self.object(vars(x)[name], names)
            return
        if isinstance(x, (type, BuiltinFunctionType)):
            return
        attributes = getattr(x, "__dict__", None)
        if type(attributes) is dict:
            add(tuple(attributes))
            for item in attributes.values():
                if type(item) in _PLAIN:  # as ``object`` adds them, without the call
                    add((type(item), item))
                else:
                    self.object(item, names)

    def function(self, fn: FunctionType) -> None:
        module = fn.__globals__.get("__name__", "")
        if module == "autograd" or module.startswith("autograd."):
            return  # the engine itself, not state
        names = frozenset(_names(fn.__code__))
        self.key.append(fn.__code__)
        for cell in fn.__closure__ or ():
            try:
                self.object(cell.cell_contents, names)
            except ValueError:  # an empty cell
                self.key.append("empty")
        self.object(fn.__defaults__)
        self.object(fn.__kwdefaults__)
        scope = fn.__globals__
        for name in sorted(names):
            if name in scope:
                self.key.append(name)
                self.object(scope[name], names)


def reach(fn: Any) -> tuple[list[Value], tuple]:
    """The Values ``fn`` reaches and the fingerprint of everything else it reaches."""
    walk = _Walk()
    walk.object(fn)
    return walk.values, tuple(walk.key)
