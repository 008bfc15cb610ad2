"""Saving and loading models as JSON: no pickle, no eval, every float exactly.

The file is a JSON object::

    {
      "format": "backprop-lab/nn-model",
      "version": 1,
      "model": {"class": "MLP", "config": {"nin": 2, "nouts": [16, 16, 1], ...}},
      "parameters": {"layers.0.neurons.0.w1": 0.23141..., ..., "layers.2.neurons.0.b": 0.0}
    }

- ``config`` holds the constructor arguments (``null`` for a custom Module, which ``load_state``
  can still fill but ``load`` cannot rebuild). ``parameters`` lists every parameter by its
  ``named_parameters()`` name, in that order.
- Numbers are written with ``repr``, the shortest text that reads back as the same float, so a
  round trip is exact (-0.0 included). JSON has no nan or infinity: those are written as the
  strings ``"nan"``, ``"inf"`` and ``"-inf"`` (a diverged model can be saved and inspected).
- Writing is atomic: the text goes to a temporary file in the same folder, is flushed to disk,
  and then replaces the target in one step (``os.replace``), so a crash leaves either the old
  file or the new one, never half of one.
- Writing keeps a replaced file's permissions and writes through a symbolic link; a read-only
  file is replaced only with ``save(path, overwrite=True)`` (see ``autograd.core.files``).
- Reading checks everything before changing anything: a file that is not UTF-8 JSON, is cut
  short, belongs to something else, comes from a newer version, holds a number beyond a float's
  range (1e400), or describes another architecture raises ``ModelFileError`` saying which, and
  the model is left untouched.
- Reading bounds its work before it trusts the file: a missing file, a folder, anything that is
  not a regular file (a device such as /dev/zero, a pipe) and files over ``MAX_FILE_BYTES`` are
  refused before a byte is read; and ``load`` asks the class how many parameters the saved
  configuration implies (``parameter_count``), and refuses it unless the file holds exactly that
  many, before it builds anything (a 200-byte file cannot make it allocate gigabytes).

This module names no model class. A model is anything with ``named_parameters()`` and
``get_config()`` (the constructor arguments, ``None`` when unknown); a class that ``load`` may
rebuild puts itself in ``MODELS`` with the ``@loadable`` decorator and says, in its
``parameter_count(config)`` class method, how many parameters a configuration implies.
"""

from __future__ import annotations

import json
import math
import os
import random
import reprlib
import stat
from typing import Any, Protocol, TypeVar

from autograd import Value, write_atomically

FORMAT = "backprop-lab/nn-model"
VERSION = 1

#: The largest model file ``load`` and ``load_state`` read: 64 MiB. A saved parameter takes
#: about 40 to 60 bytes, so that is about a million parameters (an MNIST ``MLP(784, [128, 10])``
#: has 101,770, a 6 MB file).
MAX_FILE_BYTES = 64 * 2**20


class Model(Protocol):
    """What this module reads and writes: a model's parameters by name and its configuration."""

    def named_parameters(self) -> list[tuple[str, Value]]: ...

    def get_config(self) -> dict[str, Any] | None: ...


#: The classes ``load`` can rebuild from their config, by class name (see ``loadable``).
MODELS: dict[str, Any] = {}

ModelClass = TypeVar("ModelClass", bound=type)


def loadable(cls: ModelClass) -> ModelClass:
    """Class decorator: ``nn.load`` may rebuild ``cls`` from a saved config, as
    ``cls(**config)`` once ``cls.parameter_count(config)`` agrees with the file."""
    MODELS[cls.__name__] = cls
    return cls

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

#: The deepest nesting of JSON lists and objects ``load`` reads: files ``save`` writes nest 4
#: deep (the document, "model", "config", "nouts"). Checked before parsing, because the parser
#: recurses once a level: under Pyodide a 100,000-deep file overflows the browser's stack and
#: kills the kernel before Python's RecursionError can be raised.
MAX_NESTING = 32
#: bytes.translate's table and deletions: brackets become parentheses, all else goes.
_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


class ModelFileError(ValueError):
    """A model file that cannot be used: unreadable, not a model file, or another model."""


def _number_to_json(x: float) -> float | str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _describe(cls_name: str, config: dict[str, Any] | None) -> str:
    if config is None:
        return cls_name
    # reprlib: a file's config may hold a list of a million sizes; the message shows a few.
    return f"{cls_name}(" + ", ".join(f"{k}={reprlib.repr(v)}" for k, v in config.items()) + ")"


def _check_model(model: object, what: str) -> None:
    if not all(callable(getattr(model, name, None))
               for name in ("named_parameters", "get_config")):
        raise TypeError(f"{what} takes an nn Module, got {type(model).__name__}")


def save(model: Model, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write ``model`` to ``path`` (see the module doc); replaces an existing file atomically,
    keeping its permissions (a read-only file only with ``overwrite=True``)."""
    _check_model(model, "save")
    config = model.get_config()
    document = {
        "format": FORMAT,
        "version": VERSION,
        "model": {"class": type(model).__name__, "config": config},
        "parameters": {name: _number_to_json(p.data) for name, p in model.named_parameters()},
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"), overwrite=overwrite)


def _read(path: str | os.PathLike) -> tuple[str, dict[str, Any] | None, dict[str, float]]:
    """Parse and validate a model file: (class name, config, parameters by name)."""
    where = os.fspath(path)
    raw = _read_bytes(where)
    if not raw.strip():
        raise ModelFileError(f"{where} is empty, not a saved model")
    text = _text(raw)
    if text is None:
        raise ModelFileError(f"{where} is a binary file, not a saved model (model files are "
                             "JSON text written by model.save)")
    if _nests_too_deeply(text):
        raise ModelFileError(f"{where} nests JSON too deeply to be a saved model (more than "
                             f"{MAX_NESTING} levels)")
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_float,
                              parse_int=_int)
    except _BareConstant as token:
        raise ModelFileError(f"{where} holds the bare JSON token {token}, which model files "
                             "never contain (they write \"nan\", \"inf\", \"-inf\" as "
                             "strings)") from None
    except _OutOfRange as number:
        raise ModelFileError(f"{where} holds the number {number}, too large for a float (the "
                             "largest is about 1.8e308); model files write an infinity as the "
                             "string \"inf\"") from None
    except RecursionError:
        raise ModelFileError(f"{where} nests JSON too deeply to be a saved model") from None
    except json.JSONDecodeError as error:
        body = text.strip()
        if body.startswith("{") and (not body.endswith("}") or error.pos >= len(body)):
            raise ModelFileError(f"{where} ends too early: the file is truncated (an "
                                 "interrupted write or copy?); save the model again") from None
        raise ModelFileError(f"{where} is not valid JSON (line {error.lineno}, column "
                             f"{error.colno}: {error.msg}), so not a saved model") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{where} is JSON but not a backprop-lab model file (it has no "
                             f"\"format\": \"{FORMAT}\" field)")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{where} has no valid format version")
    if version > VERSION:
        raise ModelFileError(f"{where} was written by a newer backprop-lab (format version "
                             f"{version}; this one reads up to {VERSION}); upgrade to load it")
    model = document.get("model")
    if (not isinstance(model, dict) or not isinstance(model.get("class"), str)
            or not (model.get("config") is None or isinstance(model.get("config"), dict))):
        raise ModelFileError(f"{where} has no valid \"model\" entry (class and config)")
    params = document.get("parameters")
    if not isinstance(params, dict):
        raise ModelFileError(f"{where} has no valid \"parameters\" object")
    numbers = {}
    for key, value in params.items():
        numbers[key] = _json_to_number(value, key, where)
    return model["class"], model["config"], numbers


def _nests_too_deeply(text: str) -> bool:
    """Whether ``text``'s lists and objects nest more than ``MAX_NESTING`` deep (brackets in
    strings do not count), found in C loops, without recursion.

    Each pass of ``replace`` drops every innermost pair, so after ``MAX_NESTING`` passes a pair
    remains only around deeper ones, and then one now innermost: ``"()"``. Unclosed brackets
    (a cut file) never go: more than ``MAX_NESTING`` of them is too deep too, so a cut file
    reaches the parser at most twice ``MAX_NESTING`` deep.
    """
    # Outside strings: without escaped backslashes, an escaped quote is one; then every other
    # piece between quotes. (JSON has no backslash outside strings: such a file is refused by
    # the parser whatever this counts.)
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside = "".join(unescaped.split('"')[::2])
    brackets = outside.encode("utf-8", "surrogatepass").translate(_PARENTHESES, _NOT_BRACKETS)
    for _ in range(MAX_NESTING):
        fewer = brackets.replace(b"()", b"")
        if len(fewer) == len(brackets):
            break
        brackets = fewer
    return b"()" in brackets or brackets.count(b"(") > MAX_NESTING


def _read_bytes(where: str) -> bytes:
    """The bytes of the model file ``where``, refusing anything but a regular file of at most
    ``MAX_FILE_BYTES`` before reading it."""
    # O_NONBLOCK: opening a pipe must not wait for a writer that never comes; the check below
    # then refuses it. (It changes nothing for a regular file.)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(where, flags)
    except FileNotFoundError:
        raise ModelFileError(f"{where}: there is no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{where} is a folder, not a saved model") from None
    except OSError as error:
        raise ModelFileError(f"cannot read {where}: {error.strerror or error}") from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise ModelFileError(f"{where} is a folder, not a saved model")
        if not stat.S_ISREG(status.st_mode):
            raise ModelFileError(f"{where} is not a regular file (a device, a pipe or a socket), "
                                 "so not a saved model; model files are files written by "
                                 "model.save")
        if status.st_size > MAX_FILE_BYTES:
            raise _too_large(where, status.st_size)
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        raw = file.read(MAX_FILE_BYTES + 1)  # the file may have grown since
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(where, len(raw))
    return raw


def _too_large(where: str, size: int) -> ModelFileError:
    return ModelFileError(f"{where} is {size:,} bytes; model files are at most {MAX_FILE_BYTES:,} "
                          f"bytes (nn.serialize.MAX_FILE_BYTES, about a million parameters), so "
                          "this is not one")


def _text(raw: bytes) -> str | None:
    """The file's text, or None for binary content (not UTF-8, or NUL bytes)."""
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


class _BareConstant(Exception):
    """NaN, Infinity or -Infinity in the text: Python's JSON extension, not JSON."""


def _refuse_constant(token: str) -> float:
    raise _BareConstant(token)


class _OutOfRange(Exception):
    """A number in the text beyond a float's range: 1e400, or an integer of 309 digits."""

    def __init__(self, text: str) -> None:
        shown = text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"
        super().__init__(shown)


def _float(text: str) -> float:
    # float() reads 1e400 as inf without complaint; the file would then load a different model.
    x = float(text)
    if math.isinf(x):
        raise _OutOfRange(text)
    return x


def _int(text: str) -> int:
    # Checked as a float first: the parameter becomes one, and int() refuses over 4300 digits.
    if math.isinf(float(text)):
        raise _OutOfRange(text)
    return int(text)


def _json_to_number(value: object, key: str, where: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise ModelFileError(f"{where}: parameter {key!r} is {value!r}, not a number")


def _check_parameters(model: Model, numbers: dict[str, float], where: str) -> list:
    names = [name for name, _ in model.named_parameters()]
    if list(numbers) != names:
        missing = [n for n in names if n not in numbers]
        extra = [n for n in numbers if n not in set(names)]
        detail = []
        if missing:
            detail.append(f"missing {len(missing)} (first: {missing[0]!r})")
        if extra:
            detail.append(f"{len(extra)} unknown (first: {extra[0]!r})")
        if not detail:
            detail.append("listed in another order")
        raise ModelFileError(f"{where}: its parameters do not match the model's: "
                             + "; ".join(detail))
    return names


def load_state(model: Model, path: str | os.PathLike) -> None:
    """Fill ``model``'s parameters from ``path``; the file must describe the same architecture."""
    _check_model(model, "load_state")
    cls_name, config, numbers = _read(path)
    where = os.fspath(path)
    ours = (type(model).__name__, model.get_config())
    if (cls_name, config) != ours:
        raise ModelFileError(f"{where} holds a {_describe(cls_name, config)} but this model is "
                             f"a {_describe(*ours)}; build the same architecture, or use "
                             "nn.load(path) to get the saved model itself")
    _check_parameters(model, numbers, where)
    for name, p in model.named_parameters():
        p.data = numbers[name]


def parameter_count(cls_name: str, config: dict[str, Any]) -> int | None:
    """How many parameters ``cls_name(**config)`` has, without building it: the class's own
    ``parameter_count(config)``. None when the class is not one of ``MODELS`` or cannot say
    (sizes that are not positive ints, which its constructor then refuses before it builds
    anything)."""
    cls = MODELS.get(cls_name)
    return None if cls is None else cls.parameter_count(config)


def load(path: str | os.PathLike) -> Model:
    """Rebuild the model saved in ``path``: its class from the config, then its parameters."""
    cls_name, config, numbers = _read(path)
    where = os.fspath(path)
    cls = MODELS.get(cls_name)
    if cls is None or config is None:
        raise ModelFileError(f"{where} holds a {cls_name}, which nn.load cannot rebuild (it "
                             f"rebuilds {', '.join(MODELS)}); create the model yourself and "
                             "call model.load_state(path)")
    expected = parameter_count(cls_name, config)
    if expected is not None and expected != len(numbers):
        gap = expected - len(numbers)
        detail = f"missing {gap:,}" if gap > 0 else f"{-gap:,} too many"
        raise ModelFileError(f"{where}: the saved configuration {_describe(cls_name, config)} "
                             f"has {expected:,} parameters but the file holds {len(numbers):,} "
                             f"({detail}); the file is damaged or was edited, so nothing was "
                             "built")
    state = random.getstate()
    try:
        model = cls(**config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: the saved configuration {_describe(cls_name, config)} "
                             f"does not build a {cls_name}: {error}") from None
    finally:  # the weights drawn are replaced below: loading leaves the random module's stream
        random.setstate(state)
    _check_parameters(model, numbers, where)
    for name, p in model.named_parameters():
        p.data = numbers[name]
    return model
