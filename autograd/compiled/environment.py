"""What a step reaches besides its arguments, and a fingerprint of it that a replay re-checks.

A replay repeats what the step did when it was recorded. Numbers and objects the step reads
from outside its arguments are part of that: a module's training mode (``train()``/``eval()``),
a global scale factor, a closure's number, the layers of a model (a replaced layer, a model
reloaded into the same global). ``reach(fn)`` walks from the step's function through its
closure, its defaults and the globals its code names (and the functions and objects those hold)
and returns every ``Value`` found (followed from the start of a recording) and a
``Fingerprint``: every plain number, string and flag met, by value, and every other object by
identity. A replay whose fingerprint differs records anew.

A replay asks ``fingerprint.holds(fn)`` at every call, so the question must cost little next
to the replay. The walk is a function of what it reads: the type of each object it walks into,
each list's items, each dict's keys and values, an object's ``__dict__``, a function's code,
defaults and closure cells, a global's current object. The fingerprint keeps those reads, and
``holds`` reads them again, at C speed (``map`` over all of them at once). When every read
gives the very same object as before, a new walk would take the same path and make the same
key. When one differs (a layer replaced, a number assigned anew), it walks again and compares
the keys: an equal number made anew (``layer.factor = float(text)`` at every call) still
holds, by value.

The walk does not look into the Values' numbers (parameters are read afresh at every call) nor
into the library's engine (``autograd``). Nor does it re-read a Value's class in a list of
Values: ``__class__`` assigned to a class outside ``Value`` is not watched there.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from itertools import chain, repeat
from operator import is_
from types import BuiltinFunctionType, CellType, CodeType, FunctionType, MethodType, ModuleType
from typing import Any

from autograd.core.value import Value

#: A step reaching more objects than this is not watched (and not compiled).
MAX_OBJECTS = 200_000


#: The numbers and strings a fingerprint holds by value (floats by their bits).
_PLAIN = frozenset((int, bool, str, bytes, complex, type(None)))

#: What a read gives for a name a namespace lacks, or for an empty closure cell.
_ABSENT = object()

_pack = struct.Struct("<d").pack
_flatten = chain.from_iterable


class TooMuchState(Exception):
    """The step reaches more objects than ``MAX_OBJECTS``."""


def _names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def _contents(cell: CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _ABSENT


class _Reads:
    """Everything a walk read, with what each read gave; ``same()`` reads it all again."""

    def __init__(self) -> None:
        self.walked: list[Any] = []  # the objects walked into, and their types
        self.types: list[type] = []
        self.lists: list[list] = []  # lists: their lengths and items
        self.lengths: list[int] = []
        self.items: list[Any] = []
        self.dicts: list[dict] = []  # dicts read whole: their lengths, keys and values
        self.sizes: list[int] = []
        self.keys: list[Any] = []
        self.values: list[Any] = []
        self.spaces: list[dict] = []  # namespaces read one name at a time (globals, a module's)
        self.names: list[str] = []
        self.found: list[Any] = []
        self.owners: list[Any] = []  # attributes: getattr(owner, attribute, None)
        self.attributes: list[str] = []
        self.got: list[Any] = []
        self.cells: list[CellType] = []  # closure cells, and what they held
        self.contents: list[Any] = []
        self.watched = True  # False: a read ``same`` cannot repeat exactly; walk every time

    def attribute(self, owner: Any, attribute: str, got: Any) -> None:
        self.owners.append(owner)
        self.attributes.append(attribute)
        self.got.append(got)

    def name(self, space: dict, name: str) -> Any:
        """``space[name]`` (``_ABSENT`` when missing), read."""
        found = space.get(name, _ABSENT)
        self.spaces.append(space)
        self.names.append(name)
        self.found.append(found)
        return found

    def same(self) -> bool:
        """Whether every read gives the very object it gave: then the walk is the same.
        Lengths first, so that the items of all lists (and dicts) can be compared in one run
        without one list's loss lining up with another's gain."""
        if not self.watched:
            return False
        try:
            return (list(map(len, self.lists)) == self.lengths
                    and list(map(len, self.dicts)) == self.sizes
                    and all(map(is_, map(type, self.walked), self.types))
                    and all(map(is_, map(getattr, self.owners, self.attributes, repeat(None)),
                                self.got))
                    and all(map(is_, map(dict.get, self.spaces, self.names, repeat(_ABSENT)),
                                self.found))
                    and all(map(is_, map(_contents, self.cells), self.contents))
                    and all(map(is_, _flatten(self.dicts), self.keys))
                    and all(map(is_, _flatten(map(dict.values, self.dicts)), self.values))
                    and all(map(is_, _flatten(self.lists), self.items)))
        except Exception:  # noqa: BLE001 - a property that raises: the walk meets it again
            return False


class Fingerprint:
    """What ``reach`` found besides the Values: ``key``, every plain number by value and every
    other object by identity, in the order walked, and the reads that made it. It keeps the
    objects it read alive, so an identity in ``key`` is never another object's."""

    def __init__(self, key: tuple, reads: _Reads) -> None:
        self.key = key
        self._reads = reads

    def holds(self, fn: Callable[..., Any]) -> bool:
        """Whether ``fn`` reaches what it reached: every read the same object, or else a new
        walk's key equal to ``key`` (and then its reads are the ones to repeat). Raises
        ``TooMuchState`` when a new walk meets too many objects."""
        if self._reads.same():
            return True
        fingerprint = reach(fn)[1]
        if fingerprint.key != self.key:
            return False
        self._reads = fingerprint._reads
        return True


class _Walk:
    def __init__(self) -> None:
        self.values: list[Value] = []
        self.seen: set[int] = set()
        self.key: list[Any] = []
        self.reads = _Reads()
        self.listed = 0  # Values met in lists of Values

    def object(self, x: Any, names: frozenset[str] = frozenset()) -> None:
        kind = type(x)
        if kind is float:
            self.key.append(_pack(x))
            return
        if kind in _PLAIN:
            self.key.append((kind, x))
            return
        if id(x) in self.seen:
            self.key.append(("again", id(x)))
            return
        self.seen.add(id(x))
        if len(self.seen) + self.listed > MAX_OBJECTS:
            raise TooMuchState
        self.key.append((kind, id(x)))
        self.reads.walked.append(x)
        self.reads.types.append(kind)
        # What the walk does next depends on the type alone (never on ``x.__class__``, which an
        # object may compute): the type is a read ``same`` repeats.
        walk = _BY_TYPE.get(kind)
        if walk is not None:
            walk(self, x, names)
        elif issubclass(kind, Value):
            self.values.append(x)
        elif not issubclass(kind, (type, BuiltinFunctionType)):
            self.attributes(x, names)

    def sequence(self, x: list | tuple, names: frozenset[str]) -> None:
        self.key.append(len(x))
        if type(x) is list:  # (a tuple's items cannot change)
            reads = self.reads
            reads.lists.append(x)
            reads.lengths.append(len(x))
            reads.items.extend(x)
        # A layer's weights: a list of Values, leaves of the walk, known by their identities;
        # counted apart from ``seen``, which only objects walked into need.
        if all(issubclass(item_kind, Value) for item_kind in set(map(type, x))):
            self.listed += len(x)
            if len(self.seen) + self.listed > MAX_OBJECTS:
                raise TooMuchState
            self.values.extend(x)
            self.key.append(tuple(map(id, x)))
            return
        for item in x:
            self.object(item)

    def dictionary(self, x: dict, names: frozenset[str]) -> None:
        self.entries(x, frozenset())  # (a dict's values go without the names, as a list's)

    def entries(self, x: dict, names: frozenset[str]) -> None:
        reads = self.reads
        reads.dicts.append(x)
        reads.sizes.append(len(x))
        reads.keys.extend(x)
        reads.values.extend(x.values())
        self.key.append(tuple(x))
        for item in x.values():
            if type(item) in _PLAIN:  # as ``object`` adds them, without the call
                self.key.append((type(item), item))
            else:
                self.object(item, names)

    def attributes(self, x: Any, names: frozenset[str]) -> None:
        attributes = getattr(x, "__dict__", None)
        self.reads.attribute(x, "__dict__", attributes)
        if type(attributes) is dict:
            self.entries(attributes, names)

    def method(self, x: MethodType, names: frozenset[str]) -> None:
        self.object(x.__self__)
        self.object(x.__func__)

    def partial(self, x: functools.partial, names: frozenset[str]) -> None:
        for attribute in ("func", "args", "keywords"):
            got = getattr(x, attribute)
            self.reads.attribute(x, attribute, got)
            self.object(got)

    def module(self, x: ModuleType, names: frozenset[str]) -> None:
        self.namespace(vars(x), names)

    def namespace(self, space: dict, names: frozenset[str]) -> None:
        if type(space) is not dict:  # a subclass may look names up its own way
            self.reads.watched = False
        for name in sorted(names):
            found = self.reads.name(space, name)
            if found is not _ABSENT:
                self.key.append(name)
                self.object(found, names)

    def function(self, fn: FunctionType, names: frozenset[str] = frozenset()) -> None:
        reads = self.reads
        module = reads.name(fn.__globals__, "__name__")
        if type(module) is str and (module == "autograd" or module.startswith("autograd.")):
            return  # the engine itself, not state
        code = fn.__code__
        reads.attribute(fn, "__code__", code)
        names = frozenset(_names(code))
        self.key.append(code)
        for cell in fn.__closure__ or ():
            contents = _contents(cell)
            reads.cells.append(cell)
            reads.contents.append(contents)
            if contents is _ABSENT:
                self.key.append("empty")
            else:
                self.object(contents, names)
        for attribute in ("__defaults__", "__kwdefaults__"):
            got = getattr(fn, attribute)
            reads.attribute(fn, attribute, got)
            self.object(got)
        self.namespace(fn.__globals__, names)


#: How the walk goes on from an object of each of these exact types.
_BY_TYPE: dict[type, Callable[[_Walk, Any, frozenset[str]], None]] = {
    list: _Walk.sequence,
    tuple: _Walk.sequence,
    dict: _Walk.dictionary,
    FunctionType: _Walk.function,
    MethodType: _Walk.method,
    functools.partial: _Walk.partial,
    ModuleType: _Walk.module,
}


def reach(fn: Any) -> tuple[list[Value], Fingerprint]:
    """The Values ``fn`` reaches and the fingerprint of everything else it reaches."""
    walk = _Walk()
    walk.object(fn)
    return walk.values, Fingerprint(tuple(walk.key), walk.reads)
