"""Training: ``fit`` runs gradient descent over a dataset; ``accuracy`` scores a classifier.

One step of gradient descent on a batch B (notes 000, 001, 004)::

    L = (1/|B|) sum_{i in B} loss(model(x_i), y_i)  +  l1 * sum |w|  +  l2 * sum w^2
    zero the gradients;  L.backward();  optimizer.step()

``fit`` takes the first three from a step (``nn.objective``: ``EngineStep`` builds the graph and
calls ``backward()``, ``CompiledStep`` replays it compiled) and updates with the optimizer. The
test and validation sets are ``MeasuredSet``s (``nn.measured``), checked before the first epoch
so that bad data there fails before any parameter has moved.

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

from autograd import Value, no_grad
from nn import checks
from nn.data import DataLoader
from nn.interactive import ProgressBar
from nn.losses import binary_cross_entropy, mse_loss
from nn.measured import MeasuredSet
from nn.module import Module, in_mode
from nn.objective import CompiledStep, EngineStep, Loss, Objective, is_correct
from nn.optim import Optimizer


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


def _measured_sets(test: object, validation: object, history: History) -> list[MeasuredSet]:
    """The test and validation sets given to ``fit``, each checked to be a pair ``(X, y)``."""
    sets = []
    for name, short, pair, losses, accuracies in (
            ("test", "test", test, history.test_loss, history.test_accuracy),
            ("validation", "val", validation, history.val_loss, history.val_accuracy)):
        if pair is None:
            continue
        try:
            X, y = pair  # type: ignore[misc]
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a pair (X_{short}, y_{short})") from None
        checks.dataset(X, y, f"the {name} set")
        sets.append(MeasuredSet(name, X, y, losses, accuracies))
    return sets


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
        seed: int | None = None, progress: bool | None = None, compile: bool | str = False
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
            ``True`` or ``"auto"``: by Numba where it is installed, else by Python;
            ``"numba"`` or ``"python"``: by that backend (``autograd.compile``'s ``backend``).
    """
    _check_model(model)
    n = checks.dataset(X, y, "the training set")
    history = History()
    measured = _measured_sets(test, validation, history)
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
    objective = Objective(model, loss, params, l1, l2, _threshold(loss, accuracy))
    loader = DataLoader(X, y, batch_size, seed=seed)
    if loader.batch_size >= n:
        loader.shuffle = False  # one batch holds every example: no order to draw
    for measured_set in measured:
        measured_set.check(model)
    stopper = None if early_stopping is None else _EarlyStopping(early_stopping, params)
    step = (CompiledStep(objective, optimizer, "auto" if compile is True else compile)
            if compile else EngineStep(objective, optimizer))
    bar = ProgressBar(epochs, progress)
    # Training mode while fitting; the model's own modes are put back afterwards.
    with in_mode(model, training=True), closing(bar):
        for epoch in range(epochs):
            if lr_schedule is not None:
                optimizer.lr = lr_schedule(epoch)
            _train_one_epoch(step, optimizer, loader, objective, history,
                             measured if epoch == 0 else ())
            for measured_set in measured:
                measured_set.measure(objective)
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


def _train_one_epoch(step: EngineStep | CompiledStep, optimizer: Optimizer, loader: DataLoader,
                     objective: Objective, history: History,
                     measured: Sequence[MeasuredSet] = ()) -> None:
    """One pass over the batches, a step and an update each; appends the epoch's loss (the
    batches' objectives weighted by their sizes) and accuracy to ``history``. ``measured``
    (the first epoch's): sets whose labels to try with the loss on the first prediction, before
    the first update."""
    total, right, n = 0.0, 0, 0
    for batch, (Xb, yb) in enumerate(loader):
        value, preds = step(Xb, yb)
        if batch == 0:
            for measured_set in measured:
                measured_set.check_labels(objective, preds[0])
        optimizer.step()
        total += value * len(Xb)
        right += objective.hits(preds, yb)
        n += len(Xb)
    history.loss.append(total / n)
    if objective.threshold is not None:
        history.accuracy.append(right / n)


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
