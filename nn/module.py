"""Modules: ``Module``, ``Neuron``, ``Layer``, ``Dropout`` and ``MLP`` (micrograd's shapes,
PyTorch's names).

A neuron computes  a = g(w . x + b) = g(w1 x1 + ... + wn xn + b)  (notes 000, 003) with an
activation g (ReLU, tanh, sigmoid, the hard threshold "step", or none). A layer is a list of
neurons reading the same inputs; an MLP chains layers, each reading the previous layer's
outputs. Hidden layers use the activation, the output layer is linear unless told otherwise:
"no activation function applied in output layer" (notes 000). ``MLP(3, [4, 4, 1],
activation="tanh", output_activation="tanh")`` is the micrograd lecture's network, tanh
everywhere. ``MLP(..., dropout=p)`` puts ``Dropout(p)`` between its layers (notes 004);
``model.train()`` and ``model.eval()`` switch it on and off, as PyTorch's.

micrograd's code runs unchanged: ``Neuron(nin, nonlin=True)`` (ReLU; ``nonlin=False`` is linear),
``Layer(nin, nout, nonlin=False)``, and ``random.seed(1337); MLP(2, [16, 16, 1])`` draws the very
weights micrograd 0.1.0 draws (see ``generator``).

Parameter names are dotted paths, as PyTorch's ``named_parameters()``: ``layers.0.neurons.3.w1``
is weight w1 of neuron 3 (0-based, Python indices) of layer 0. Weights inside a neuron count from
1, as the notes' w1, w2 multiply x1, x2: ``w1`` multiplies the neuron's first input. The bias is
``b``. Built-in modules set these names as the parameters' labels when they are constructed, so
graph pictures name them.
"""

from __future__ import annotations

import math
import os
import random
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from autograd import Constant, Parameter, Value, dot, format_number, where
from nn import checks, serialize
from nn.serialize import loadable
from nn.state import IncompatibleKeys, load_state_dict

Seed = int | random.Random | None
#: What initialisation draws from: a ``random.Random``, or the ``random`` module itself (its
#: functions draw from the generator that ``random.seed`` seeds).
Draws = random.Random | ModuleType

#: activation name -> the gain of the fan-in-scaled ("kaiming") initialisation, as PyTorch's
#: ``torch.nn.init.calculate_gain``. The step has none (PyTorch has no step): 1, as linear.
ACTIVATIONS = {"relu": math.sqrt(2.0), "tanh": 5.0 / 3.0, "sigmoid": 1.0, "linear": 1.0,
               "step": 1.0}
INITS = ("uniform", "kaiming")


class Module:
    """Base class of every model: parameters, names, gradients reset, save and load.

    A subclass stores its parameters (Values) and sub-modules as attributes, alone or in lists,
    and defines ``__call__``. ``named_parameters()`` finds them in the order they were assigned.

    Every module is in training mode (``training`` True) until ``eval()``, as in PyTorch; only
    ``Dropout`` behaves differently in the two modes.
    """

    #: True while training (``train()``), False while evaluating (``eval()``).
    training: bool = True

    def modules(self) -> list[Module]:
        """This module and every module inside it, each once, outer before inner (PyTorch's
        ``modules()``): for an MLP, the MLP, its layers, their neurons, its dropout."""
        found: list[Module] = []
        seen: set[int] = set()
        waiting: list[object] = [self]
        while waiting:
            item = waiting.pop()
            if isinstance(item, Module):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                found.append(item)
                inside = list(vars(item).values())
            else:  # a list or tuple, which may hold modules
                inside = list(item)  # type: ignore[call-overload]
            waiting += [x for x in reversed(inside) if isinstance(x, (Module, list, tuple))]
        return found

    def train(self, mode: bool = True) -> Module:
        """Put this module and every module inside it in training mode (``mode=False``:
        evaluation mode, as ``eval()``); returns the module, as PyTorch's ``train``.

        Only ``Dropout`` cares: it drops units while training and passes everything through
        while evaluating. ``nn.fit`` trains in training mode and measures in evaluation mode by
        itself; ``nn.accuracy`` and the plots evaluate; a model you call yourself is in the mode
        you left it in (a new model is training).
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) takes True (training) or False (evaluation), got "
                            f"{mode!r}; model.eval() is train(False)")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode for this module and every module inside it: dropout passes every
        unit through, so the same input always gives the same output. Returns the module."""
        return self.train(False)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, e.g. ``("layers.0.neurons.3.w1", Value)``.

        A parameter reachable under several names (a sub-module also kept under a second
        attribute, ``self.head = self.body.layers[-1]``) is listed once, under the first name,
        as in PyTorch: an optimizer must update it once per step.
        """
        found: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for name, item in vars(self).items():
            for path, p in _named(name, item):
                if id(p) not in seen:
                    seen.add(id(p))
                    found.append((path, p))
        return found

    def parameters(self) -> list[Value]:
        """Every parameter (the Values gradient descent changes), in ``named_parameters`` order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on every parameter, before the next ``backward()``."""
        for p in self.parameters():
            p.grad = 0.0

    def label_parameters(self) -> None:
        """Set each parameter's ``label`` to its dotted name (graph pictures show labels).

        Built-in modules call this at the end of construction; call it at the end of your own
        Module's ``__init__`` to name its parameters the same way.
        """
        for name, p in self.named_parameters():
            p.label = name

    def state_dict(self) -> OrderedDict[str, float]:
        """Every parameter's number by its ``named_parameters()`` name, in that order, as
        PyTorch's ``state_dict()``: ``{"layers.0.neurons.0.w1": 0.23, ...}``.

        The numbers are copies: training the model afterwards does not change the mapping, so
        it is a snapshot to go back to with ``load_state_dict``.
        """
        return OrderedDict((name, p.data) for name, p in self.named_parameters())

    def load_state_dict(self, state_dict: Mapping[str, float],
                        strict: bool = True) -> IncompatibleKeys:
        """Set each parameter named in ``state_dict`` to its number, as PyTorch's method.

        ``strict=True``: the names must be exactly this model's; otherwise a ``RuntimeError``
        lists the missing and unexpected keys. ``strict=False``: the matching names are loaded
        and ``(missing_keys, unexpected_keys)`` returned. Either way, a mapping that is refused
        (a name missing under ``strict``, a value that is not a number, a PyTorch model's
        tensors) leaves every parameter as it was. See ``nn.state``.
        """
        return load_state_dict(self.named_parameters(), state_dict, strict, type(self).__name__)

    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> None:
        """Write architecture and every parameter to ``path`` as JSON, atomically.

        See ``nn.serialize`` for the format. ``nn.load(path)`` rebuilds the model;
        ``model.load_state(path)`` fills a model of the same architecture. A replaced file
        keeps its permissions; a read-only one is replaced only with ``overwrite=True``.
        """
        serialize.save(self, path, overwrite=overwrite)

    def load_state(self, path: str | os.PathLike) -> None:
        """Fill this model's parameters from a file written by ``save``.

        The file must describe this very architecture. Anything wrong with it (truncated,
        not a model file, another architecture) raises ``nn.ModelFileError`` and leaves this
        model exactly as it was.
        """
        serialize.load_state(self, path)

    def get_config(self) -> dict[str, Any] | None:
        """The constructor arguments that make this architecture (``None``: unknown).

        ``nn.load`` rebuilds a model as ``type(model)(**config)`` and then sets its parameters,
        so how they were initialised is not part of it. Models without a config can still be
        filled with ``load_state``. A class of your own that gives its config and its
        ``parameter_count``, and is decorated with ``nn.serialize.loadable``, is rebuilt by
        ``nn.load`` as the built-in ones are.
        """
        return None

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """How many parameters ``cls(**config)`` has, computed without building it (``None``:
        unknown, or sizes its constructor would refuse). ``nn.load`` checks a file against it
        before it builds anything."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_count(self)})"


@contextmanager
def in_mode(model: object, training: bool) -> Iterator[None]:
    """Run a block with ``model`` in training (True) or evaluation (False) mode, then put each
    of its modules back in the mode it was in: how ``fit`` trains and measures, and how
    accuracy and the plots see a model with dropout. Anything that is not a ``Module`` (a plain
    function) is left alone."""
    if not isinstance(model, Module):
        yield
        return
    modes = [(module, module.training) for module in model.modules()]
    for module, _ in modes:
        module.training = training
    try:
        yield
    finally:
        for module, mode in modes:
            module.training = mode


def _named(name: str, item: object) -> list[tuple[str, Value]]:
    if isinstance(item, Value):
        return [(name, item)]
    if isinstance(item, Module):
        return [(f"{name}.{sub}", p) for sub, p in item.named_parameters()]
    if isinstance(item, (list, tuple)):
        found = []
        for i, element in enumerate(item):
            found += _named(f"{name}.{i}", element)
        return found
    return []


def _count(module: Module) -> str:
    n = len(module.parameters())
    return f"{n} parameter" if n == 1 else f"{n} parameters"


def generator(seed: Seed) -> Draws:
    """Where initial weights come from, given ``seed``:

    - an int: a ``random.Random(seed)`` of the model's own, reproducible, which leaves the
      ``random`` module's shared state alone;
    - ``None``: the ``random`` module's shared generator, as micrograd draws: after
      ``random.seed(1337)``, ``MLP(2, [16, 16, 1])`` has micrograd 0.1.0's starting weights
      (layer by layer, neuron by neuron, ``nin`` draws of ``random.uniform(-1, 1)`` each);
    - a ``random.Random``: drawn from in order (how an MLP shares one stream with its layers
      and neurons).
    """
    if isinstance(seed, random.Random) or seed is random:
        return seed
    if seed is None:
        return random
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, None or a random.Random, got {type(seed).__name__}")


def weights_text(w: Sequence[Value]) -> str:
    """A unit's weights as a short list for its repr: the first six, then "..."."""
    shown = ", ".join(format_number(p.data) for p in w[:6])
    return f"[{shown}, ...]" if len(w) > 6 else f"[{shown}]"


@loadable
class Neuron(Module):
    """One unit: a = g(w . x + b), computed as a single ``dot`` node and then g.

    Args:
        nin: number of inputs x1 ... xn.
        activation: g: ``"relu"`` (max(0, z), the default), ``"tanh"``, ``"sigmoid"``
            (1 / (1 + e^-z)), ``"linear"`` (g(z) = z) or ``"step"``, the hard threshold of notes
            003: g(z) = 1 for z >= 0, else 0. Its derivative is 0 wherever it has one, so
            backprop passes nothing through a step unit and gradient descent never moves the
            weights before it; the perceptron rule (``nn.Perceptron``) trains a threshold unit
            because it uses the error y - y_hat itself, never a derivative.
        seed: an int for a reproducible initialisation from a generator of the model's own,
            ``None`` to draw from the ``random`` module (as micrograd: ``random.seed`` first makes
            it reproducible), or a ``random.Random`` to draw from.
        init: ``"uniform"``: every weight from U(-1, 1), as micrograd; ``"kaiming"``: from
            U(-g sqrt(3/nin), g sqrt(3/nin)) with the activation's gain g (sqrt 2 for ReLU, 5/3
            for tanh, 1 otherwise), PyTorch's ``kaiming_uniform_``: the pre-activation keeps
            about the variance of the inputs however many there are. Biases start at 0.
        nonlin: micrograd's flag, instead of ``activation``: True is ReLU, False linear. It may
            also take ``activation``'s place, as micrograd's ``Neuron(nin, nonlin)``:
            ``Neuron(1, False)`` is a linear unit.

    Parameters are named ``w1 ... wn`` (``w1`` multiplies x1) and ``b``. ``nonlin`` reads as
    micrograd's attribute: True unless the neuron is linear.
    """

    def __init__(self, nin: int, activation: str | bool | None = None, seed: Seed = None,
                 init: str = "uniform", *, nonlin: bool | None = None) -> None:
        self.nin = checks.count(nin, "Neuron nin (its number of inputs)")
        self.activation = activation = checks.activation(activation, nonlin,
                                                         tuple(ACTIVATIONS), "Neuron")
        init = checks.choice(init, INITS, "init")
        rng = generator(seed)
        bound = 1.0 if init == "uniform" else ACTIVATIONS[activation] * math.sqrt(3.0 / nin)
        self.w = [Parameter(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Parameter(0.0)
        self.label_parameters()

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w{i}", w) for i, w in enumerate(self.w, start=1)] + [("b", self.b)]

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value:
        """a = g(w . x + b) for one example ``x`` (numbers or Values)."""
        x = checks.input_values(x, self.nin, "this Neuron")
        return self._forward(x)

    def _forward(self, x: list[Value]) -> Value:
        z = dot(self.w, x, self.b)  # w . x + b
        return z if self.activation == "linear" else getattr(z, self.activation)()

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: whether the neuron applies a nonlinearity (any activation but
        ``"linear"``)."""
        return self.activation != "linear"

    def get_config(self) -> dict[str, Any]:
        return {"nin": self.nin, "activation": self.activation}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """n weights and a bias: n + 1."""
        nin = checks.size(config.get("nin"))
        return None if nin is None else nin + 1

    def __repr__(self) -> str:
        return (f"Neuron({self.nin} -> 1, {self.activation}, w={weights_text(self.w)}, "
                f"b={format_number(self.b.data)})")


@loadable
class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; calling it returns their ``nout``
    outputs as a list, or the Value itself when ``nout == 1``, as micrograd's ``Layer`` (and as
    ``MLP`` does). A one-neuron layer still feeds the next: a layer of ``nin == 1`` takes a
    lone Value.

    Arguments as ``Neuron`` (``nonlin=`` included, which micrograd's ``Layer`` passes on); one
    generator (from ``seed``) initialises all its neurons in order. Parameters are named
    ``neurons.<j>.w<k>`` and ``neurons.<j>.b``.
    """

    def __init__(self, nin: int, nout: int, activation: str | bool | None = None,
                 seed: Seed = None, init: str = "uniform", *, nonlin: bool | None = None) -> None:
        self.nin = checks.count(nin, "Layer nin (its number of inputs)")
        self.nout = checks.count(nout, "Layer nout (its number of neurons)")
        self.activation = activation = checks.activation(activation, nonlin,
                                                         tuple(ACTIVATIONS), "Layer")
        init = checks.choice(init, INITS, "init")
        rng = generator(seed)
        self.neurons = [Neuron(nin, activation, rng, init) for _ in range(nout)]
        self.label_parameters()

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value | list[Value]:
        out = self._forward(checks.input_values(x, self.nin, "this Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: list[Value]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def get_config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """nout neurons of nin + 1 parameters each: (nin + 1) nout."""
        nin, nout = checks.size(config.get("nin")), checks.size(config.get("nout"))
        return None if nin is None or nout is None else (nin + 1) * nout

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, {self.activation}; {_count(self)})"


class _Multiplier(Constant):
    """A dropout multiplier m_i, labelled by what it did: ``dropped`` (0) or ``kept``
    (1/(1-p)). The label is read from the number when a picture asks, so making it decides
    nothing while a compiled step records (it would be a question about the draw)."""

    __slots__ = ()

    @property  # type: ignore[override]
    def label(self) -> str:
        return vars(self).get("label") or ("dropped" if self.data == 0.0 else "kept")

    @label.setter
    def label(self, text: str) -> None:
        vars(self)["label"] = text


@loadable
class Dropout(Module):
    """Inverted dropout, PyTorch's ``nn.Dropout(p)``: "randomly omitting units during training"
    (notes 004).

    While training, each unit of the input is dropped with probability p and kept otherwise,
    and the kept ones are scaled up::

        out_i = m_i x_i,   m_i = 0 with probability p,  1/(1-p) with probability 1 - p

    so E[out_i] = (1 - p) x_i / (1 - p) = x_i: the next layer sees on average what it sees
    without dropout, and in evaluation mode (``eval()``) dropout is the identity, out = x, with
    nothing to rescale. Backprop through it gives dL/dx_i = m_i dL/dout_i: nothing flows back
    through a dropped unit. In graph pictures each unit goes through a ``*`` with a constant
    labelled ``dropped`` (0) or ``kept`` (1/(1-p)), which is what dropout is.

    Args:
        p: the probability of dropping each unit, in [0, 1] (PyTorch's default 0.5; 0 drops
            nothing, 1 everything).
        seed: where the random draws come from, as ``generator``: an int for a generator of its
            own (runs repeat), ``None`` for the ``random`` module (``random.seed`` makes runs
            repeat, as ``torch.manual_seed``), or a ``random.Random`` to share.

    Call it on one Value (or number) or on a list of them (a layer's outputs); it returns the
    same shape, Values for Values and numbers for numbers.
    """

    def __init__(self, p: float = 0.5, seed: Seed = None) -> None:
        self.p = checks.amount(p, "Dropout p (the probability of dropping a unit)", at_most=1.0)
        self._rng = generator(seed)

    def __getstate__(self) -> dict[str, Any]:
        # copy and pickle cannot take the random module itself: a copy that drew from it draws
        # from it again (so after the same random.seed, the same masks); None stands for it.
        state = dict(vars(self))
        if state["_rng"] is random:
            state["_rng"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state)
        if self._rng is None:
            self._rng = random

    def mask(self, n: int) -> list[float]:
        """n fresh multipliers m_i: 0 with probability p, else 1/(1-p).

        Chosen with ``autograd.where`` rather than a Python ``if``: a compiled step
        (``autograd.compile``, ``fit(compile=True)``) then draws a new mask at every call."""
        if self.p == 1.0:
            return [0.0] * n
        keep = 1.0 / (1.0 - self.p)
        return [where(self._rng.random() < self.p, 0.0, keep) for _ in range(n)]

    def __call__(self, x: Sequence[Value | float] | Value | float
                 ) -> Value | float | list[Value | float]:
        units, single = checks.units(x, "Dropout")
        out = self._forward(units)
        return out[0] if single else out

    def _forward(self, x: list) -> list:
        if not self.training or self.p == 0.0:
            return x
        return [xi * _Multiplier(m) if isinstance(xi, Value) else xi * m  # numbers stay numbers
                for xi, m in zip(x, self.mask(len(x)))]

    def get_config(self) -> dict[str, Any]:
        return {"p": self.p}

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int:
        """0: dropout has no parameters, it only multiplies."""
        return 0

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"


@loadable
class MLP(Module):
    """A multilayer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs through two hidden layers
    of 16 units to 1 output (337 parameters, as micrograd's).

    Hidden layers use ``activation``; the last layer is linear (micrograd's package), so its
    outputs are scores (logits): pair them with a loss that expects scores (``hinge_loss``,
    ``bce_with_logits``, ``cross_entropy``, ``mse_loss``). ``output_activation`` gives the last
    layer an activation too: ``MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")``
    is the micrograd lecture's network, whose outputs lie in (-1, 1) like its targets. Calling
    the MLP on one example returns a Value when the last layer has one output, otherwise a list
    of Values.

    Args:
        nin: number of inputs.
        nouts: the number of units of each layer, the last one being the outputs.
        activation: the hidden layers' activation, as ``Neuron``.
        seed: an int makes the initialisation reproducible with a generator of its own (the
            ``random`` module's shared state is left alone); ``None`` draws from the ``random``
            module, so ``random.seed(1337); MLP(2, [16, 16, 1])`` starts from micrograd 0.1.0's
            weights.
        init: as ``Neuron``.
        output_activation: the last layer's activation; ``None`` (or ``"linear"``): none.
        dropout: p of a ``Dropout(p)`` on the outputs of every hidden layer, so each hidden
            unit is dropped with probability p while training (``self.dropout``; 0: none). Its
            draws come from the same generator as the weights, after them: the starting
            weights are those of the same MLP without dropout.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 seed: Seed = None, init: str = "uniform", *,
                 output_activation: str | None = None, dropout: float = 0.0) -> None:
        self.nin = checks.count(nin, "MLP nin (its number of inputs)")
        if isinstance(nouts, int) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP nouts must be a non-empty list of layer sizes such as "
                             f"[16, 16, 1], got {nouts!r}")
        self.nouts = [checks.count(n, "each MLP layer size") for n in nouts]
        self.activation = checks.choice(activation, tuple(ACTIVATIONS), "activation")
        self.output_activation = checks.choice(output_activation or "linear",
                                               tuple(ACTIVATIONS), "output_activation")
        init = checks.choice(init, INITS, "init")
        rng = generator(seed)
        sizes = [nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             self.output_activation if i == last else activation, rng, init)
                       for i in range(len(self.nouts))]
        self.dropout = Dropout(dropout, rng)
        self.label_parameters()

    def __call__(self, x: Sequence[Value | float] | Value | float) -> Value | list[Value]:
        x = checks.input_values(x, self.nin, "this MLP")
        for i, layer in enumerate(self.layers):
            if i and self.dropout.p:  # between layers: on the outputs of every hidden layer
                x = self.dropout(x)
            x = layer(x)
        return x

    def get_config(self) -> dict[str, Any]:
        config = {"nin": self.nin, "nouts": list(self.nouts), "activation": self.activation}
        if self.output_activation != "linear":  # files of linear-output MLPs stay as they were
            config["output_activation"] = self.output_activation
        if self.dropout.p:  # and so do those without dropout
            config["dropout"] = self.dropout.p
        return config

    @classmethod
    def parameter_count(cls, config: Mapping[str, Any]) -> int | None:
        """The layers' counts added up: sum over layers of (inputs + 1) x units (its dropout
        has none)."""
        nouts = config.get("nouts")
        if not isinstance(nouts, list) or not nouts:
            return None
        sizes = [checks.size(n) for n in [config.get("nin"), *nouts]]
        if None in sizes:
            return None
        return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))  # type: ignore

    def __repr__(self) -> str:
        shape = " -> ".join(str(n) for n in [self.nin, *self.nouts])
        if len(self.layers) == 1:  # no hidden layer: only the output layer's activation counts
            activations = self.output_activation
        elif self.output_activation == "linear":
            activations = self.activation
        else:
            activations = f"{self.activation}, {self.output_activation} output"
        dropout = f", dropout {self.dropout.p:g}" if self.dropout.p else ""
        lines = [f"MLP({shape}, {activations}{dropout}; {_count(self)})"]
        lines += [f"  (layers.{i}): {layer!r}" for i, layer in enumerate(self.layers)]
        if self.dropout.p:
            lines.append(f"  (dropout): {self.dropout!r} after each hidden layer")
        return "\n".join(lines)
