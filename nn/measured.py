"""The sets ``fit`` measures after every epoch (test and validation), checked before the first.

After each epoch ``fit`` computes each set's objective, the mean loss plus the penalty as for
training (so the numbers compare with the training loss), and its accuracy, without a graph and
with dropout off, and appends them to the ``History``. Before the first epoch it checks every
example of these sets, without calling the model: a row of the wrong length or a label that is
not a number would otherwise fail only after an epoch had changed the parameters (refused at
once), and a nan would make every validation loss nan, so that early stopping quietly gives back
the starting parameters (a ``RuntimeWarning`` says so before training). Then, on the first
batch's first prediction and before the first update, it tries every label with the loss,
which refuses what it cannot take (``hinge_loss`` a 0, ``cross_entropy`` a class out of range).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from autograd import Value, no_grad
from nn import checks
from nn.module import in_mode
from nn.objective import Objective, is_correct


@dataclass
class MeasuredSet:
    """A set ``fit`` measures after every epoch, in evaluation mode: the test or the validation
    set (``name``), its examples and labels, and the ``History`` lists its loss and accuracy
    go into."""

    name: str
    X: Sequence
    y: Sequence
    losses: list[float]
    accuracies: list[float]

    def measure(self, objective: Objective) -> None:
        """Append the set's objective (mean loss plus penalty) and accuracy, computed without a
        graph and with dropout off."""
        with no_grad(), in_mode(objective.model, training=False):
            value, preds = objective(self.X, self.y)
        self.losses.append(value.data)
        if objective.threshold is not None:
            self.accuracies.append(objective.hits(preds, self.y) / len(self.X))

    def check(self, model: object) -> None:
        """Before the first epoch changes any parameter, look at every example without calling
        the model: refuse what would otherwise fail only after that epoch (a row of another
        length than the model's ``nin``, a label that is not a number), and warn about nan or
        an infinity, which make every loss of the set nan (or infinite), so that early stopping
        finds no best epoch and gives back the starting parameters."""
        nin = checks.size(getattr(model, "nin", None))  # the built-in models say it
        owner = f"this {type(model).__name__}"
        spoiled = []
        for i, (x, t) in enumerate(zip(self.X, self.y)):
            where = (f"the {self.name} set's example {i} (inputs {checks.shown(x)}, label "
                     f"{checks.shown(t)})")
            try:
                if nin is not None and hasattr(x, "__len__"):  # an iterator is left unread
                    checks.check_inputs(x, nin, owner)
                _check_label(t)
            except (TypeError, ValueError) as error:
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"{where}: {error}. Nothing was trained: fit checks the test and "
                           "validation sets before the first epoch") from None
            bad = _not_finite(x, t)
            if bad is not None:
                spoiled.append(f"{where} holds {bad}")
        if spoiled:
            more = f" (and {len(spoiled) - 1} more examples)" if len(spoiled) > 1 else ""
            consequence = ("early stopping will find no best epoch and give back the starting "
                           "parameters" if self.name == "validation" else
                           "the test numbers will say nothing")
            warnings.warn(f"{spoiled[0]}{more}: every {self.name} loss will be nan or "
                          f"infinite, so {consequence}; remove those examples or fill in the "
                          "numbers", RuntimeWarning, stacklevel=3)

    def check_labels(self, objective: Objective, pred: Value | float | list) -> None:
        """Try every label with the loss (and the accuracy), on ``pred``, a prediction of the
        training set's first batch, before its update: a label the loss refuses (a 0 for
        ``hinge_loss``'s -1/+1, a class index out of range) is refused now rather than after an
        epoch has changed the parameters. The model is not called again."""
        if isinstance(pred, list):
            pred = [v if isinstance(v, Value) else Value(v) for v in pred]
        elif not isinstance(pred, Value):  # a compiled step's predictions are numbers
            pred = Value(pred)
        for i, t in enumerate(self.y):
            try:
                with no_grad():
                    objective.loss(pred, t)
                    if objective.threshold is not None:
                        is_correct(pred, t, objective.threshold)
            except (TypeError, ValueError, LookupError) as error:  # (a class index too large)
                kind = TypeError if isinstance(error, TypeError) else ValueError
                raise kind(f"the {self.name} set's label {i} ({checks.shown(t)}): {error}. "
                           "Nothing was trained: fit checks the test and validation labels "
                           "with the loss before the first update") from None


def _check_label(t: object) -> None:
    """A label is a number (a class index, -1/+1, 0/1, a target) or a list of numbers (a vector
    target); a string is refused rather than compared or subtracted."""
    if isinstance(t, Value) or checks.is_number(t) or getattr(t, "ndim", None) == 0:
        return  # (ndim 0: a NumPy or PyTorch scalar array)
    if (isinstance(t, (str, bytes, Mapping)) or not isinstance(t, Iterable)
            or not all(isinstance(v, Value) or checks.is_number(v) for v in t)):
        raise TypeError(f"labels are numbers (class indices, -1/+1, 0/1 or regression "
                        f"targets) or lists of numbers, got {type(t).__name__}")


def _numbers_in(item: object) -> Iterable:
    """The numbers (or Values) of an example's inputs or of a label, one level deep."""
    if getattr(item, "ndim", None) == 0 and hasattr(item, "item"):  # a 0-d array
        return (item.item(),)
    if isinstance(item, (str, bytes)) or not isinstance(item, Iterable):
        return (item,)
    return item


def _not_finite(x: object, t: object) -> str | None:
    """How an example shows nan or an infinity (``"nan (input 2)"``), or None when it does
    not; what is not a number is left to the model and the loss to refuse."""
    for part, item in (("input", x), ("label", t)):
        for i, v in enumerate(_numbers_in(item), start=1):
            number = v.data if isinstance(v, Value) else v
            if _is_nan_or_infinite(number):
                return f"{number} ({part} {i})" if part == "input" else f"{number} (its label)"
    return None


def _is_nan_or_infinite(number: object) -> bool:
    try:
        return checks.is_number(number) and not math.isfinite(number)  # type: ignore[arg-type]
    except OverflowError:  # an int too large for a float is neither
        return False
