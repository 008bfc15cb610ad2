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
- Reading checks everything before changing anything: a file that is not UTF-8 JSON, is cut
  short, belongs to something else, comes from a newer version, holds a number beyond a float's
  range (1e400), or describes another architecture raises ``ModelFileError`` saying which, and
  the model is left untouched.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from autograd import write_atomically
from nn.module import MLP, Layer, Module, Neuron
from nn.perceptron import Perceptron

FORMAT = "backprop-lab/nn-model"
VERSION = 1

#: The classes ``load`` can rebuild from their config.
MODELS: dict[str, type[Module]] = {cls.__name__: cls for cls in (MLP, Layer, Neuron, Perceptron)}

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


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
    return f"{cls_name}(" + ", ".join(f"{k}={v!r}" for k, v in config.items()) + ")"


def save(model: Module, path: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Write ``model`` to ``path`` (see the module doc); replaces an existing file atomically,
    keeping its permissions (a read-only file only with ``overwrite=True``)."""
    if not isinstance(model, Module):
        raise TypeError(f"save takes an nn Module, got {type(model).__name__}")
    config = model._config()
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
    with open(where, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise ModelFileError(f"{where} is empty, not a saved model")
    text = _text(raw)
    if text is None:
        raise ModelFileError(f"{where} is a binary file, not a saved model (model files are "
                             "JSON text written by model.save)")
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


def _check_parameters(model: Module, numbers: dict[str, float], where: str) -> list:
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


def load_state(model: Module, path: str | os.PathLike) -> None:
    """Fill ``model``'s parameters from ``path``; the file must describe the same architecture."""
    if not isinstance(model, Module):
        raise TypeError(f"load_state takes an nn Module, got {type(model).__name__}")
    cls_name, config, numbers = _read(path)
    where = os.fspath(path)
    ours = (type(model).__name__, model._config())
    if (cls_name, config) != ours:
        raise ModelFileError(f"{where} holds a {_describe(cls_name, config)} but this model is "
                             f"a {_describe(*ours)}; build the same architecture, or use "
                             "nn.load(path) to get the saved model itself")
    _check_parameters(model, numbers, where)
    for name, p in model.named_parameters():
        p.data = numbers[name]


def load(path: str | os.PathLike) -> Module:
    """Rebuild the model saved in ``path``: its class from the config, then its parameters."""
    cls_name, config, numbers = _read(path)
    where = os.fspath(path)
    cls = MODELS.get(cls_name)
    if cls is None or config is None:
        raise ModelFileError(f"{where} holds a {cls_name}, which nn.load cannot rebuild (it "
                             f"rebuilds {', '.join(MODELS)}); create the model yourself and "
                             "call model.load_state(path)")
    try:
        model = cls(**config)
    except (TypeError, ValueError) as error:
        raise ModelFileError(f"{where}: the saved configuration {config} does not build a "
                             f"{cls_name}: {error}") from None
    _check_parameters(model, numbers, where)
    for name, p in model.named_parameters():
        p.data = numbers[name]
    return model
