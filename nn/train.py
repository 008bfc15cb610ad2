"""Training: ``fit`` runs gradient descent over a dataset; ``accuracy`` scores a classifier.

One step of gradient descent on a batch B (notes 000, 001, 004)::

    L = (1/|B|) sum_{i in B} loss(model(x_i), y_i)  +  l1 * sum |w|  +  l2 * sum w^2
    zero the gradients;  L.backward();  optimizer.step()

``batch_size`` picks the notes' three variants: ``None`` (or the dataset size) is full-batch
gradient descent (one step per epoch), 1 is stochastic gradient descent (one step per example),
anything between is minibatch gradient descent. An epoch is one pass over the shuffled data.

Modes: ``fit`` trains in training mode (dropout drops units) and measures the test and
validation sets in evaluation mode (dropout off), then leaves the model in the mode it found it
in. ``accuracy`` evaluates in evaluation mode too.

Early stopping (notes 004: "train the network until the loss on the validation set begins to
increase"): with ``validation=(X_val, y_val)`` and ``early_stopping=patience``, training stops
once the validation loss has not improved for ``patience`` epochs in a row, and the parameters
of the epoch with the lowest validation loss are put back.

Accuracy conventions (``accuracy`` and the history):

- K scores (a list): the predicted class is the argmax, compared with the class index.
- one score: the prediction is positive when the score is > ``threshold``, and the example is
  positive when its label is > 0, so labels may be -1/+1 (the notes' SVM) or 0/1 (BCE). The
  threshold is 0 for scores and logits (an MLP's linear output); ``fit`` uses 0.5 when the loss is
  ``binary_cross_entropy``, whose input is a probability.
- ``mse_loss`` is taken as regression: no accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import autograd
from autograd import Value, dot, no_grad
from nn import checks
from nn.data import DataLoader
from nn.interactive import ProgressBar
from nn.losses import binary_cross_entropy, l1_penalty, l2_penalty, mse_loss
from nn.module import Module, in_mode
from nn.optim import Optimizer

Loss = Callable[[Any, Any], Value]


def is_correct(pred: Value | float | Sequence[Value], target: Any, threshold: float = 0.0) -> bool:
    """Whether one prediction gets its label right (see the module's accuracy conventions)."""
    if isinstance(pred, (list, tuple)) and len(pred) == 1:
        pred = pred[0]  # a one-unit layer's list holds a single score
    if isinstance(pred, (list, tuple)):
        scores = [p.data if isinstance(p, Value) else float(p) for p in pred]
        return bool(max(range(len(scores)), key=scores.__getitem__) == target)
    score = pred.data if isinstance(pred, Value) else float(pred)
    return bool((score > threshold) == (target > 0))  # bool: a NumPy label gives numpy.bool_


def accuracy(model: Callable, X: Sequence, y: Sequence, threshold: float = 0.0) -> float:
    """The fraction of examples whose label ``model`` gets right, computed without a graph and
    in evaluation mode (dropout off; the model's modes are put back afterwards).

    ``X`` and ``y`` may be lists or NumPy arrays (see ``nn.checks``)."""
    n = checks.dataset(X, y, "accuracy's dataset")
    with no_grad(), in_mode(model, training=False):
        right = sum(is_correct(model(x), t, threshold) for x, t in zip(X, y))
    return right / n


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    ``loss`` is the training objective, the mean loss plus the L1/L2 penalty, as computed for the
    updates: the batches' objectives weighted by their sizes, i.e. (1/N) sum_i L_i over the N
    training examples plus the penalty (each batch's own). ``accuracy`` is the accuracy of those
    same predictions. Both come from the predictions made during the epoch, each batch's before
    its own update, so the weights move while they are measured. ``test_loss`` (also the mean
    loss plus the penalty, so comparable with ``loss``) and ``test_accuracy`` are measured on the
    test split after the epoch, with the weights it ended with (empty without a test split).
    ``val_loss`` and ``val_accuracy`` are the same on the validation split. Accuracies stay
    empty for regression. With dropout, ``loss`` and ``accuracy`` are those of the training
    mode's predictions (units dropped), the test and validation ones of evaluation mode.

    With early stopping, ``best_epoch`` is the epoch (counted from 1, as the plots' x axis) with
    the lowest validation loss, whose parameters the model was given back, and
    ``stopped_epoch`` the epoch after which training stopped (``None`` when it ran every epoch).
    A ``best_epoch`` of 0 means no epoch had a validation loss that was a number (all nan): the
    starting parameters are put back.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __repr__(self) -> str:
        if not self.loss:
            return "History(0 epochs)"
        parts = [f"loss {_trend(self.loss, _number)}"]
        if self.accuracy:
            parts.append(f"accuracy {_trend(self.accuracy, _percent)}")
        if self.test_loss:
            parts.append(f"test loss {_trend(self.test_loss, _number)}")
        if self.test_accuracy:
            parts.append(f"test accuracy {_trend(self.test_accuracy, _percent)}")
        if self.val_loss:
            parts.append(f"validation loss {_trend(self.val_loss, _number)}")
        if self.val_accuracy:
            parts.append(f"validation accuracy {_trend(self.val_accuracy, _percent)}")
        if self.stopped_epoch is not None:
            parts.append(f"stopped early after epoch {self.stopped_epoch}")
        if self.best_epoch == 0:  # every validation loss was nan
            parts.append("no epoch had a validation loss: the starting parameters restored")
        elif self.best_epoch is not None:
            parts.append(f"parameters of epoch {self.best_epoch} restored (validation loss "
                         f"{_number(self.val_loss[self.best_epoch - 1])})")
        return f"History({self.epochs} epochs: " + ", ".join(parts) + ")"


def _number(x: float) -> str:
    return f"{x:.4g}"


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def _trend(values: list[float], show: Callable[[float], str]) -> str:
    return show(values[0]) if len(values) == 1 else f"{show(values[0])} -> {show(values[-1])}"


def _regularization(params: list[Value], l1: float, l2: float) -> Value | None:
    term = None
    if l1:
        term = l1 * l1_penalty(params)
    if l2:
        penalty = l2 * l2_penalty(params)
        term = penalty if term is None else term + penalty
    return term


def _objective(model: Callable, X: Sequence, y: Sequence, loss: Loss, reg: Value | None,
               threshold: float | None) -> tuple[Value, int]:
    """The batch objective L (a Value to backpropagate from) and how many predictions were right."""
    objective, preds = _predict(model, X, y, loss, reg)
    return objective, _hits(preds, y, threshold)


def _hits(preds: Sequence, y: Sequence, threshold: float | None) -> int:
    """How many predictions (Values or numbers) get their label right; 0 for regression."""
    if threshold is None:
        return 0
    return sum(is_correct(pred, t, threshold) for pred, t in zip(preds, y))


def _predict(model: Callable, X: Sequence, y: Sequence, loss: Loss, reg: Value | None
             ) -> tuple[Value, list]:
    """The batch objective L and the model's predictions."""
    losses, preds = [], []
    for x, t in zip(X, y):
        pred = model(x)
        if not isinstance(pred, (Value, list)):
            raise TypeError(f"fit needs a model returning a Value or a list of Values, got "
                            f"{type(pred).__name__}; a Perceptron learns with perceptron.fit()")
        example_loss = loss(pred, t)
        if not isinstance(example_loss, Value):
            raise TypeError(f"loss must return a Value computed from the prediction, got "
                            f"{type(example_loss).__name__}")
        losses.append(example_loss)
        preds.append(pred)
    # The mean as one node: sum_i L_i / N, a dot with weights 1/N.
    total = dot(losses, [1.0 / len(losses)] * len(losses))
    return (total if reg is None else total + reg), preds


def _check_model(model: object) -> None:
    if isinstance(model, type):
        got = f"the class {model.__name__} itself (create one first, e.g. {model.__name__}(...))"
    elif not callable(model) or not callable(getattr(model, "parameters", None)):
        got = type(model).__name__
    else:
        return
    raise TypeError(f"model must be an nn Module (callable on an example, with parameters()) "
                    f"such as nn.MLP(2, [16, 16, 1]), got {got}")


def _check_optimizer(optimizer: object, params: list[Value]) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError("optimizer must be an nn optimizer such as nn.SGD(model.parameters(), "
                        f"lr=0.1), got {type(optimizer).__name__}")
    ours = {id(p) for p in params}
    if not any(id(p) in ours for p in optimizer.params):
        raise ValueError("the optimizer holds none of this model's parameters: build it with "
                         "nn.SGD(model.parameters(), ...)")


def _threshold(loss: Loss, accuracy_mode: object) -> float | None:
    if accuracy_mode is False or (accuracy_mode == "auto" and loss is mse_loss):
        return None
    if accuracy_mode == "auto":
        return 0.5 if loss is binary_cross_entropy else 0.0
    if isinstance(accuracy_mode, (int, float)) and not isinstance(accuracy_mode, bool):
        return float(accuracy_mode)
    raise ValueError(f"accuracy must be 'auto', False or a threshold number, got "
                     f"{accuracy_mode!r}")


def _split_pair(pair: object, name: str, short: str) -> tuple[Sequence, Sequence, int]:
    """``(X, y)`` given as ``test=`` or ``validation=``, and its number of examples."""
    try:
        X, y = pair  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (X_{short}, y_{short})") from None
    return X, y, checks.dataset(X, y, f"the {name} set")


class _EarlyStopping:
    """Keeps the parameters of the epoch with the lowest validation loss so far, and says when
    ``patience`` epochs in a row have not improved on it."""

    def __init__(self, patience: int, params: list[Value]) -> None:
        self.patience = patience
        self.params = params
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_data = [p.data for p in params]

    def should_stop(self, epoch: int, val_loss: float) -> bool:
        if val_loss < self.best_loss:  # nan is never an improvement
            self.best_loss, self.best_epoch = val_loss, epoch
            self.best_data = [p.data for p in self.params]
        return epoch - self.best_epoch >= self.patience

    def restore(self) -> None:
        for p, data in zip(self.params, self.best_data):
            p.data = data


def fit(model: Module, X: Sequence, y: Sequence, *, loss: Loss, optimizer: Optimizer,
        epochs: int = 100, batch_size: int | None = None, l1: float = 0.0, l2: float = 0.0,
        test: tuple[Sequence, Sequence] | None = None,
        validation: tuple[Sequence, Sequence] | None = None,
        early_stopping: int | None = None,
        lr_schedule: Callable[[int], float] | None = None, accuracy: object = "auto",
        seed: int | None = None, progress: bool | None = None, compile: bool = False
        ) -> History:
    """Train ``model`` on ``(X, y)`` with gradient descent; return the per-epoch ``History``.

    Args:
        model: an nn Module (``nn.MLP``, ``nn.Neuron``, your own ``Module``).
        loss: a per-example loss ``loss(prediction, target) -> Value`` such as ``hinge_loss``,
            ``bce_with_logits``, ``cross_entropy`` or ``mse_loss``; averaged over each batch.
        optimizer: ``nn.SGD(model.parameters(), lr=...)`` or ``nn.Adam(...)``, holding the
            parameters to train (some of the model's, e.g. only the last layer's, is fine).
        epochs: passes over the data (at most, with ``early_stopping``).
        batch_size: ``None`` full batch, 1 stochastic, k minibatches of k (see the module doc).
        l1, l2: regularization strengths lambda >= 0: ``l1 * sum |w| + l2 * sum w^2`` over
            every parameter (biases included) is added to each batch's loss (notes 001, 004).
        test: ``(X_test, y_test)`` to measure after each epoch.
        validation: ``(X_val, y_val)`` to measure after each epoch, as ``test``: the set early
            stopping watches (``nn.data.train_val_test_split`` makes the three sets).
        early_stopping: a patience: stop once the validation loss has not improved for this
            many epochs in a row, and give the model back the parameters of the epoch with the
            lowest validation loss (``History.best_epoch``, ``History.stopped_epoch``).
        lr_schedule: ``epoch -> learning rate``, applied before each epoch (0-based), e.g.
            micrograd's ``lambda k: 1.0 - 0.9 * k / 100``.
        accuracy: ``"auto"`` (see the module doc), ``False`` for none, or a threshold for
            single-score outputs.
        seed: seeds the order in which minibatches are drawn (``None``: a new order each run).
        progress: a progress bar with the latest loss and accuracy (``nn.interactive``'s: an
            HTML bar in a notebook, tqdm's in a terminal); ``None`` shows it only in a terminal
            or a notebook, ``False`` never.
        compile: run each batch's step compiled (``autograd.compile``): recorded once per batch
            size, then replayed as plain-float code; the same numbers, bit for bit, several
            times faster when the batches build the same graph (full batches especially).
    """
    _check_model(model)
    n = checks.dataset(X, y, "the training set")
    measured = []  # (X, y, n, the History's loss list, its accuracy list)
    history = History()
    if test is not None:
        measured.append((*_split_pair(test, "test", "test"), history.test_loss,
                         history.test_accuracy))
    if validation is not None:
        measured.append((*_split_pair(validation, "validation", "val"), history.val_loss,
                         history.val_accuracy))
    if early_stopping is not None:
        early_stopping = checks.count(early_stopping, "early_stopping (a patience in epochs)")
        if validation is None:
            raise ValueError("early_stopping watches the validation loss: pass validation="
                             "(X_val, y_val) too (nn.data.train_val_test_split makes one)")
    epochs = checks.count(epochs, "epochs")
    params = model.parameters()
    _check_optimizer(optimizer, params)
    if not callable(loss):
        raise TypeError(f"loss must be a function (prediction, target) -> Value, got "
                        f"{type(loss).__name__}")
    l1 = checks.amount(l1, "l1 (a regularization strength lambda)")
    l2 = checks.amount(l2, "l2 (a regularization strength lambda)")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a function epoch -> learning rate, e.g. "
                        f"lambda k: 0.1 * 0.9 ** k, or None; got {type(lr_schedule).__name__}")
    threshold = _threshold(loss, accuracy)
    loader = DataLoader(X, y, batch_size, seed=seed)
    if loader.batch_size >= n:
        loader.shuffle = False  # one batch holds every example: no order to draw
    stopper = None if early_stopping is None else _EarlyStopping(early_stopping, params)
    step = _compiled_step(model, loss, params, l1, l2) if compile else None
    bar = ProgressBar(epochs, progress)
    # Training mode while fitting; the model's own modes are put back afterwards.
    with in_mode(model, training=True), closing(bar):
        for epoch in range(epochs):
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            total, right = 0.0, 0
            for Xb, yb in loader:
                if step is None:
                    objective, hits = _objective(model, Xb, yb, loss,
                                                 _regularization(params, l1, l2), threshold)
                    optimizer.zero_grad()
                    objective.backward()
                    value = objective.data
                else:
                    optimizer.zero_grad()
                    value, preds = step([_numbers(x) for x in Xb], _numbers(yb))
                    hits = _hits(preds, yb, threshold)
                optimizer.step()
                total += value * len(Xb)
                right += hits
            history.loss.append(total / n)
            if threshold is not None:
                history.accuracy.append(right / n)
            for X_m, y_m, n_m, losses, accuracies in measured:
                with no_grad(), in_mode(model, training=False):
                    measure, measure_right = _objective(
                        model, X_m, y_m, loss, _regularization(params, l1, l2), threshold)
                losses.append(measure.data)
                if threshold is not None:
                    accuracies.append(measure_right / n_m)
            bar.update(_progress_stats(history))
            if stopper is not None and stopper.should_stop(epoch + 1, history.val_loss[-1]):
                history.stopped_epoch = epoch + 1 if epoch + 1 < epochs else None
                if history.stopped_epoch is not None:
                    bar.stop_early(f"stopped early (best validation loss at epoch "
                                   f"{stopper.best_epoch})")
                break
    if stopper is not None:
        stopper.restore()
        history.best_epoch = stopper.best_epoch
    return history


def _compiled_step(model: Callable, loss: Loss, params: list[Value], l1: float, l2: float
                   ) -> autograd.CompiledStep:
    """One batch's objective, compiled: ``step(X, y)`` returns the objective's number and the
    predictions' numbers, and leaves the gradients in ``.grad``."""
    return autograd.compile(
        lambda X, y: _predict(model, X, y, loss, _regularization(params, l1, l2)), has_aux=True)


def _numbers(x: Any) -> Any:
    # A compiled step takes lists of numbers: a NumPy row becomes one.
    return x.tolist() if hasattr(x, "tolist") else x


def _progress_stats(history: History) -> dict[str, str]:
    """The latest epoch's numbers, as the progress bar shows them."""
    stats = {"loss": _number(history.loss[-1])}
    if history.accuracy:
        stats["acc"] = _percent(history.accuracy[-1])
    if history.test_accuracy:
        stats["test_acc"] = _percent(history.test_accuracy[-1])
    if history.val_loss:
        stats["val_loss"] = _number(history.val_loss[-1])
    return stats
