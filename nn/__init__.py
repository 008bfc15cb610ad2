"""Neural networks on top of autograd: the lecture notes' models, losses and training.

    >>> import nn
    >>> X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    >>> y = [2 * t - 1 for t in y]                      # the SVM's labels -1/+1
    >>> model = nn.MLP(2, [16, 16, 1], seed=0)
    >>> opt = nn.SGD(model.parameters(), lr=0.5)
    >>> history = nn.fit(model, X, y, loss=nn.hinge_loss, optimizer=opt, epochs=50, l2=1e-4,
    ...                  progress=False)

Only the standard library is needed; the plots import matplotlib, ``draw_network`` the picture
renderer, and ``to_torch``, ``from_torch`` and ``compare_with_torch`` PyTorch, when they are
called.
"""

# nn needs this project's `autograd`, and another project uses that name (HIPS autograd, on
# Colab): check which one Python would import before anything imports it (see backprop_lab.py).
from backprop_lab import check_autograd

check_autograd()

from nn import data
from nn.losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    log_softmax,
    mse_loss,
    softmax,
)
from nn.module import MLP, Dropout, Layer, Module, Neuron
from nn.multiclass import OneVsAll, OneVsOne
from nn.optim import SGD, Adam, Optimizer
from nn.perceptron import Perceptron
from nn.pictures.diagram import draw_network
from nn.pictures.plots import plot_decision_boundary, plot_loss
from nn.pytorch.bridge import from_torch, to_torch
from nn.pytorch.compare import TorchComparison, compare_with_torch
from nn.serialize import ModelFileError, load
from nn.state import IncompatibleKeys
from nn.train import History, accuracy, fit

__all__ = [
    "MLP", "SGD", "Adam", "Dropout", "History", "Layer", "ModelFileError", "Module", "Neuron",
    "OneVsAll", "OneVsOne", "Optimizer", "Perceptron", "accuracy", "bce_with_logits",
    "binary_cross_entropy", "cross_entropy", "data",
    "draw_network", "fit", "hinge_loss", "l1_penalty", "l2_penalty", "load", "log_softmax",
    "mse_loss", "plot_decision_boundary", "plot_loss", "softmax",
    # PyTorch's state_dict protocol, and handing models to PyTorch (an optional extra)
    "IncompatibleKeys", "TorchComparison", "compare_with_torch", "from_torch", "to_torch",
]
