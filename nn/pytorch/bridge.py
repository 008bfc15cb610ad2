"""Handing a model to PyTorch and back: ``to_torch`` and ``from_torch``.

A layer of neurons is what PyTorch calls a ``Linear`` layer followed by an activation. Neuron j of
a layer computes a_j = g(sum_k w_jk x_k + b_j); stacked, that is a = g(W x + b) with the weights
of neuron j in row j of the matrix W. So neuron j's weight ``w<k>`` (1-based, multiplying input
x_k) is ``weight[j, k - 1]`` of the ``Linear`` layer, and its bias ``b`` is ``bias[j]``::

    MLP(2, [16, 16, 1], activation="relu")   <->   Sequential(Linear(2, 16), ReLU(),
                                                              Linear(16, 16), ReLU(),
                                                              Linear(16, 1))
    layers.0.neurons.3.w1                    <->   0.weight[3, 0]
    layers.2.neurons.0.b                     <->   4.bias[0]

Activations map to ``ReLU``, ``Tanh`` and ``Sigmoid``; a linear layer has none (an MLP's output
layer, unless it has an ``output_activation``). PyTorch has no step layer, so step units stay
here. An MLP's dropout is a ``Dropout(p)`` after each hidden layer's activation, and the
Sequential starts in the model's mode (``training``). ``Layer`` and
``Neuron`` become the same kind of ``Sequential`` with one ``Linear`` layer (a neuron is a layer
of one). Because a one-layer ``Sequential`` could come from either of those or from an MLP,
``to_torch`` notes the model it came from (class and constructor arguments, as in a saved model
file) in the Sequential's attribute ``backprop_lab_model``, and ``from_torch`` rebuilds that model
when the layers still fit it; for a ``Sequential`` built in PyTorch it returns an ``MLP``.

PyTorch is an optional extra, imported only when these functions are called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograd import Value, import_torch
from nn.module import MLP, Layer, Module, Neuron

#: our activation -> the name of PyTorch's layer (``torch.nn.<name>``); "linear" has none.
ACTIVATION_LAYERS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

#: the attribute of a ``to_torch`` result that notes the model it came from: its class and
#: constructor arguments, as a saved model file's "model" entry.
MODEL_ATTRIBUTE = "backprop_lab_model"

CONVERTIBLE = (MLP, Layer, Neuron)


@dataclass
class Dense:
    """One layer of neurons as PyTorch sees it: ``g(W x + b)``.

    ``rows[j]`` holds neuron j's weights (Values, w1 first) and ``biases[j]`` its bias.
    """

    rows: list[list[Value]]
    biases: list[Value]
    activation: str
    dropout: float = 0.0  # the p of a Dropout after the activation (0: none)

    @property
    def nin(self) -> int:
        return len(self.rows[0])

    @property
    def nout(self) -> int:
        return len(self.rows)


def dense_layers(model: Module) -> list[Dense]:
    """The model as a list of ``Dense`` layers, input to output (refusing other models)."""
    if type(model) is Neuron:
        return [Dense([model.w], [model.b], _torch_activation(model.activation))]
    if type(model) is Layer:
        return [Dense([n.w for n in model.neurons], [n.b for n in model.neurons],
                      _torch_activation(model.activation))]
    if type(model) is MLP:
        layers = [layer for sub in model.layers for layer in dense_layers(sub)]
        for hidden in layers[:-1]:
            hidden.dropout = model.dropout.p
        return layers
    raise TypeError(f"to_torch converts nn.MLP, nn.Layer and nn.Neuron models, got "
                    f"{type(model).__name__}; for your own Module, build the same layers with "
                    f"torch.nn and copy the numbers of model.state_dict() into them")


def _torch_activation(activation: str) -> str:
    """``activation``, if PyTorch has a layer for it (or it is linear)."""
    if activation != "linear" and activation not in ACTIVATION_LAYERS:
        raise TypeError(f"to_torch cannot convert {activation!r} units: PyTorch has no layer "
                        f"for them (a step's derivative is 0, so PyTorch could not train it "
                        f"either); use one of {', '.join(map(repr, ACTIVATION_LAYERS))}")
    return activation


#: Where a parameter sits in ``to_torch(model)``: the position of its Linear layer in the
#: Sequential, ``"weight"`` or ``"bias"``, and its index in that tensor.
Place = tuple[int, str, tuple[int, ...]]


def torch_places(model: Module) -> dict[Value, Place]:
    """Each parameter's place in the module ``to_torch(model)`` makes: neuron j's weight ``w<k>``
    of the layer at position i is ``(i, "weight", (j, k - 1))``, its bias ``(i, "bias", (j,))``."""
    places: dict[Value, Place] = {}
    position = 0  # each Linear layer, then its activation if it has one
    for layer in dense_layers(model):
        for j, (row, bias) in enumerate(zip(layer.rows, layer.biases)):
            for k, w in enumerate(row):
                places[w] = (position, "weight", (j, k))
            places[bias] = (position, "bias", (j,))
        position += 1 + (layer.activation != "linear") + (layer.dropout > 0)
    return places


def torch_name(place: Place) -> str:
    """A place as PyTorch's ``state_dict`` name and an index: ``"0.weight[3, 0]"``."""
    position, tensor, index = place
    return f"{position}.{tensor}[{', '.join(str(i) for i in index)}]"


def to_torch(model: Module, dtype: Any = None) -> Any:
    """The model as a ``torch.nn.Sequential`` of ``Linear`` and activation layers, holding the
    same weights (copies), so that its output equals the model's to rounding for any input.

    Args:
        model: an ``nn.MLP``, ``nn.Layer`` or ``nn.Neuron``.
        dtype: the tensors' type, ``torch.float64`` by default (the engine's floats, so outputs
            agree to the last bits; ``torch.float32`` is PyTorch's usual, faster type).

    The result takes a batch, a tensor of shape (N, nin), and returns shape (N, nout); for a
    Neuron nout is 1. Its ``backprop_lab_model`` attribute notes the model it came from (see
    ``from_torch``). PyTorch's random generator is not used. An MLP's dropout becomes
    ``torch.nn.Dropout(p)`` after each hidden layer, and the result is in the model's mode:
    in training mode both drop units at random (each with its own generator), so outputs agree
    in evaluation mode.
    """
    torch = import_torch("nn.to_torch")
    layers = dense_layers(model)
    dtype = torch.float64 if dtype is None else dtype
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"to_torch: dtype must be a floating-point torch.dtype such as "
                        f"torch.float64 or torch.float32, got {dtype!r}")
    modules = []
    for layer in layers:
        # skip_init: the weights are overwritten at once, so PyTorch's initialisation (and its
        # draws from torch's global random generator) is skipped.
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.nin, layer.nout, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in row] for row in layer.rows],
                                             dtype=torch.float64))
            linear.bias.copy_(torch.tensor([b.data for b in layer.biases], dtype=torch.float64))
        modules.append(linear)
        if layer.activation != "linear":
            modules.append(getattr(torch.nn, ACTIVATION_LAYERS[layer.activation])())
        if layer.dropout:
            modules.append(torch.nn.Dropout(layer.dropout))
    result = torch.nn.Sequential(*modules).train(model.training)
    setattr(result, MODEL_ATTRIBUTE, {"class": type(model).__name__, "config": model.get_config()})
    return result


@dataclass
class _TorchLayer:
    """A Linear layer read from PyTorch: its numbers as floats, and the activation after it."""

    weight: list[list[float]]
    bias: list[float]
    activation: str = "linear"
    dropout: float = 0.0


def _what_we_take(torch: Any) -> str:
    names = ", ".join(ACTIVATION_LAYERS.values())
    return (f"a torch.nn.Sequential of Linear layers (with bias), each followed by at most one "
            f"of {names} or Identity and then at most one Dropout (what nn.to_torch makes)")


def _read_layers(module: Any, torch: Any) -> list[_TorchLayer]:
    """The Linear layers and their activations of ``module``, refusing anything else."""
    if type(module) is torch.nn.Linear:
        children = [("0", module)]
    elif type(module) is torch.nn.Sequential:
        # Not named_children(): it lists a module used twice (one ReLU after every layer) once.
        children = list(module._modules.items())
    else:
        raise TypeError(f"from_torch cannot take a {type(module).__name__}: it takes "
                        f"{_what_we_take(torch)}")
    activations = {getattr(torch.nn, name): ours for ours, name in ACTIVATION_LAYERS.items()}
    activations[torch.nn.Identity] = "linear"
    layers: list[_TorchLayer] = []
    activated = False  # whether the last Linear layer already has its activation
    dropped = False  # whether it already has its dropout
    for name, child in children:
        where = _layer_text(name, child)
        if type(child) is torch.nn.Linear:
            _check_linear(child, where, layers)
            layers.append(_TorchLayer(child.weight.detach().double().tolist(),
                                      child.bias.detach().double().tolist()))
            activated = dropped = False
        elif type(child) in activations:
            if not layers or activated or dropped:
                before = ("a Linear layer" if not layers else "a Dropout" if dropped
                          else "another activation")
                raise ValueError(f"from_torch cannot take {where}: it follows {before}, and "
                                 f"an activation here belongs to the Linear layer before it "
                                 f"(a dropout comes after it)")
            layers[-1].activation = activations[type(child)]
            activated = True
        elif type(child) is torch.nn.Dropout:
            if not layers or dropped:
                before = "a Linear layer" if not layers else "another Dropout"
                raise ValueError(f"from_torch cannot take {where}: it follows {before}; a "
                                 f"dropout here comes after a Linear layer and its activation")
            layers[-1].dropout = float(child.p)
            dropped = True
        else:
            raise ValueError(f"from_torch cannot take {where}: it takes {_what_we_take(torch)}")
    if not layers:
        raise ValueError(f"from_torch got an empty Sequential; it takes {_what_we_take(torch)}")
    return layers


def _layer_text(name: str, child: Any) -> str:
    """How a layer is named in messages: its repr, or only its class for a container, whose
    repr lists everything inside it (and never ends for one that contains itself)."""
    if getattr(child, "_modules", None):
        return f"layer {name} (a {type(child).__name__} of {len(child._modules)} modules)"
    return f"layer {name} ({child!r})"


def _check_linear(child: Any, where: str, layers: list[_TorchLayer]) -> None:
    """A Linear layer as neurons need it: W of shape (out, in) and a bias b of shape (out,),
    so that neuron j reads row j of W and b_j (a broadcast bias of one number is refused:
    here it would be neuron 0's alone), taking what the layer before gives."""
    weight, bias = child.weight, child.bias
    if bias is None:
        raise ValueError(f"from_torch cannot take {where}: it has no bias, and every neuron "
                         "here has one; build it with bias=True")
    if not weight.is_floating_point():
        raise ValueError(f"from_torch cannot take {where}: its weights are {weight.dtype}, not "
                         "floating-point numbers")
    if weight.dim() != 2 or 0 in weight.shape:
        raise ValueError(f"from_torch cannot take {where}: its weight has shape "
                         f"{tuple(weight.shape)}, and a Linear layer's is (out_features, "
                         "in_features), one row per neuron")
    outputs, inputs = weight.shape
    if tuple(bias.shape) != (outputs,):
        raise ValueError(f"from_torch cannot take {where}: its bias has shape "
                         f"{tuple(bias.shape)} for a weight of shape {tuple(weight.shape)}; "
                         f"each of its {outputs} neurons needs its own bias, shape ({outputs},)")
    if layers and inputs != len(layers[-1].weight):
        raise ValueError(f"from_torch cannot take {where}: it takes {inputs} inputs but the "
                         f"layer before it gives {len(layers[-1].weight)}")


def _fits(model: Module, layers: list[_TorchLayer]) -> bool:
    ours = dense_layers(model)
    return len(ours) == len(layers) and all(
        (a.nin, a.nout, a.activation, a.dropout)
        == (len(b.weight[0]), len(b.weight), b.activation, b.dropout)
        for a, b in zip(ours, layers))


def _noted(module: Any, layers: list[_TorchLayer]) -> Module | None:
    """The model ``to_torch`` noted on ``module`` (class and config), if the layers still fit it."""
    note = getattr(module, MODEL_ATTRIBUTE, None)
    classes = {cls.__name__: cls for cls in CONVERTIBLE}
    if not (isinstance(note, dict) and note.get("class") in classes
            and isinstance(note.get("config"), dict)):
        return None
    cls = classes[note["class"]]
    # The note is only a claim: its size is checked against the layers before it is built.
    if cls.parameter_count(note["config"]) != sum(len(layer.bias) * (len(layer.weight[0]) + 1)
                                                  for layer in layers):
        return None
    try:
        model = cls(**note["config"], seed=0)
    except (TypeError, ValueError):
        return None
    return model if _fits(model, layers) else None


def _inferred(layers: list[_TorchLayer]) -> Module:
    """An MLP with these layers: one activation shared by the hidden layers, and the last
    layer's as its ``output_activation``."""
    hidden = [layer.activation for layer in layers[:-1]]
    for i, activation in enumerate(hidden):
        if activation != hidden[0]:
            raise ValueError(f"from_torch cannot take hidden Linear layer {i} with activation "
                             f"{activation!r}: the first has {hidden[0]!r}, and nn.MLP uses "
                             f"one activation for all hidden layers")
    dropouts = [layer.dropout for layer in layers[:-1]]
    if layers[-1].dropout or any(p != dropouts[0] for p in dropouts):
        ps = [*dropouts, layers[-1].dropout]
        raise ValueError(f"from_torch cannot take these dropouts: p = {ps} "
                         f"after the Linear layers in turn (0: none), and nn.MLP has one dropout "
                         f"p after every hidden layer and none after the output layer")
    return MLP(len(layers[0].weight[0]), [len(layer.weight) for layer in layers],
               hidden[0] if hidden else "relu", seed=0,
               output_activation=layers[-1].activation,
               dropout=dropouts[0] if dropouts else 0.0)


def from_torch(module: Any) -> Module:
    """A new model holding the weights of a PyTorch module (copies, as float64 numbers).

    Takes what ``to_torch`` makes: a ``torch.nn.Sequential`` of ``Linear`` layers (with bias),
    each followed by at most one ``ReLU``, ``Tanh``, ``Sigmoid`` (or ``Identity``), or a single
    ``Linear`` layer. The model is the one ``to_torch`` noted in ``backprop_lab_model`` when the
    layers still fit it, so ``from_torch(to_torch(model))`` is the same model (class,
    configuration, every number). Otherwise it is an ``MLP``: its hidden layers share one
    activation, and an activation after the last ``Linear`` layer is its ``output_activation``;
    a ``Dropout(p)`` after every hidden layer (the same p) is its ``dropout``. The model starts
    in the module's mode (``training``). Anything else, a ``Conv2d``, a module with its own
    ``forward``, a dropout elsewhere, is refused with an error naming the layer.
    """
    torch = import_torch("nn.from_torch")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch takes a torch.nn.Module, got {type(module).__name__}")
    layers = _read_layers(module, torch)
    model = _noted(module, layers) or _inferred(layers)
    for ours, theirs in zip(dense_layers(model), layers):
        for row, numbers in zip(ours.rows, theirs.weight):
            for w, number in zip(row, numbers):
                w.data = number
        for b, number in zip(ours.biases, theirs.bias):
            b.data = number
    return model.train(module.training)
