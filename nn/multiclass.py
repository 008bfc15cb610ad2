"""Multiclass classification from binary classifiers: one-versus-all and one-versus-one, the
"black-box techniques to convert multiclass classification to binary" of notes 002.

Classes are 0, 1, ..., C-1. ``make_model()`` returns a fresh binary model (one output score,
e.g. ``nn.MLP(2, [8, 1])``); each reduction trains several on relabelled copies of the data,
exactly as the notes do:

- **one-versus-all** trains C classifiers h_k, "is class k or not?": every example of class k
  is relabelled +1, every other example -1.
- **one-versus-one** trains C(C-1)/2 classifiers h_(k,k'), k < k', "is class k or k'?": the
  examples of class k are relabelled +1, those of k' -1, and all other examples are discarded.

A classifier says +1 where its margin, score - threshold, is > 0 (the threshold is 0 for scores
and logits, 0.5 for a probability: ``nn.fit``'s accuracy convention). Losses whose targets are
probabilities (``bce_with_logits``, ``binary_cross_entropy``) get 1/0 instead of +1/-1.

The number of classifiers grows with C, and one-versus-one's as C^2: 150 classes are 11,175
models to train and to ask at every prediction. Both refuse more than ``max_classifiers``
(``MAX_CLASSIFIERS``, 1,000, by default: one-versus-one up to 45 classes) before training any,
saying how many it would be; pass a larger ``max_classifiers`` to mean it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any

from autograd import Value, no_grad
from nn import checks
from nn.losses import bce_with_logits, binary_cross_entropy
from nn.module import Module, in_mode
from nn.optim import Optimizer
from nn.train import History, fit

#: A binary task: the class k (one-versus-all) or the pair (k, k') (one-versus-one).
Task = Any

#: The most binary classifiers a reduction trains unless told otherwise (``max_classifiers``).
MAX_CLASSIFIERS = 1000


class _Reduction(Module, ABC):
    """What both reductions share: the binary models, their training, their margins."""

    def __init__(self, make_model: Callable[[], Module], *,
                 max_classifiers: int = MAX_CLASSIFIERS) -> None:
        name = type(self).__name__
        if isinstance(make_model, Module) or not callable(make_model):
            raise TypeError(f"{name} takes a function that makes a fresh binary model, e.g. "
                            f"{name}(lambda: nn.MLP(2, [8, 1])), got {type(make_model).__name__}"
                            "; every binary classifier needs a model of its own")
        self.make_model = make_model
        self.max_classifiers = checks.count(max_classifiers, f"{name} max_classifiers")
        self.classes = 0
        self.tasks: list[Task] = []
        self.models: list[Module] = []
        self.histories: list[History] = []
        self.threshold = 0.0

    @abstractmethod
    def _tasks(self, classes: int) -> list[Task]:
        """The binary tasks, one per classifier, for ``classes`` classes."""

    @abstractmethod
    def classifier_count(self, classes: int) -> int:
        """How many binary classifiers ``classes`` classes take."""

    def _checked_tasks(self, classes: int) -> list[Task]:
        """The tasks for ``classes`` classes, refusing more than ``max_classifiers``."""
        count = self.classifier_count(classes)
        if count > self.max_classifiers:
            name = type(self).__name__
            other = (f"; OneVsAll would train {classes:,}, one per class" if name == "OneVsOne"
                     and classes <= self.max_classifiers else "")
            raise ValueError(f"{name} would train {count:,} binary classifiers for {classes:,} "
                             f"classes, more than max_classifiers={self.max_classifiers:,}, and "
                             f"ask every one of them at each prediction{other}. If you mean "
                             f"it, pass max_classifiers={count} to {name}(...)")
        return self._tasks(classes)

    @abstractmethod
    def _relabel(self, task: Task, label: int) -> int | None:
        """+1, -1, or None to discard the example, for the binary task ``task``."""

    def training_sets(self, X: Sequence, y: Sequence) -> dict[Task, tuple[list, list[int]]]:
        """The binary training set of each task, ``{task: (X_task, y_task)}`` with labels +1/-1,
        in the order the classifiers are trained (examples keep their order)."""
        name = type(self).__name__
        checks.dataset(X, y, f"{name}'s dataset")
        classes = checks.class_count(y, f"{name}'s labels")
        return self._relabelled(X, y, self._checked_tasks(classes))

    def _relabelled(self, X: Sequence, y: Sequence, tasks: list[Task]
                    ) -> dict[Task, tuple[list, list[int]]]:
        sets = {}
        for task in tasks:
            kept = [(x, label) for x, t in zip(X, y)
                    if (label := self._relabel(task, int(t))) is not None]
            sets[task] = ([x for x, _ in kept], [label for _, label in kept])
        return sets

    def fit(self, X: Sequence, y: Sequence, *, loss: Callable,
            optimizer: Callable[[list[Value]], Optimizer], test: tuple | None = None,
            validation: tuple | None = None, **fit_options: Any) -> list[History]:
        """Train one fresh binary model per task with ``nn.fit``; return their Histories.

        Args:
            X, y: the examples and their classes 0, 1, ..., C-1 (each class at least once).
            loss: a binary loss, as ``nn.fit``'s: ``hinge_loss`` or ``mse_loss`` (+1/-1
                targets), ``bce_with_logits`` or ``binary_cross_entropy`` (1/0 targets).
            optimizer: a function from parameters to an optimizer, called for each model:
                ``lambda params: nn.SGD(params, lr=0.1)`` (one optimizer cannot serve several
                models).
            test, validation: ``(X, y)`` with class labels, relabelled for each task as the
                training set (``validation`` with ``early_stopping=`` stops each model).
            fit_options: anything else ``nn.fit`` takes: ``epochs``, ``batch_size``, ``l2``,
                ``early_stopping``, ``seed``, ``progress``...

        The models replace any earlier ones only once every one of them has trained.
        """
        name = type(self).__name__
        if isinstance(optimizer, Optimizer) or not callable(optimizer):
            raise TypeError(f"{name}.fit takes optimizer= a function that makes one optimizer "
                            "per binary model, e.g. optimizer=lambda params: nn.SGD(params, "
                            f"lr=0.1); got {type(optimizer).__name__}")
        checks.dataset(X, y, f"{name}.fit's training set")
        classes = checks.class_count(y, f"{name}.fit's labels")
        tasks = self._checked_tasks(classes)
        sets = self._relabelled(X, y, tasks)
        measured = {key: self._measured_sets(pair, key, tasks)
                    for key, pair in (("test", test), ("validation", validation))
                    if pair is not None}
        probability = loss in (bce_with_logits, binary_cross_entropy)
        models: list[Module] = []
        histories = []
        for task, (X_task, y_task) in sets.items():
            model = self._new_model(models, X_task[0])
            extra = {key: (sets_m[task][0], self._targets(sets_m[task][1], probability))
                     for key, sets_m in measured.items()}
            histories.append(fit(model, X_task, self._targets(y_task, probability), loss=loss,
                                 optimizer=optimizer(model.parameters()), **extra,
                                 **fit_options))
            models.append(model)
        self.classes, self.tasks, self.models, self.histories = classes, tasks, models, histories
        self.threshold = 0.5 if loss is binary_cross_entropy else 0.0
        return histories

    def _measured_sets(self, pair: object, key: str, tasks: list[Task]
                       ) -> dict[Task, tuple[list, list[int]]]:
        """A test or validation set relabelled for each task, as the training set."""
        where = f"{type(self).__name__}.fit's {key} set"
        try:
            X, y = pair  # type: ignore[misc]
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a pair (X, y) with class labels") from None
        checks.dataset(X, y, where)
        checks.class_labels(y, where)
        sets = self._relabelled(X, y, tasks)
        for task, (X_task, _) in sets.items():
            if not X_task:
                raise ValueError(f"{where} has no example for the classifier of "
                                 f"{self._task_text(task)}; give it a larger {key} set")
        return sets

    @staticmethod
    def _targets(labels: list[int], probability: bool) -> list[int]:
        return [1 if t > 0 else 0 for t in labels] if probability else labels

    def _new_model(self, models: list[Module], example: Sequence) -> Module:
        name = type(self).__name__
        model = self.make_model()
        if not isinstance(model, Module):
            raise TypeError(f"{name}: make_model() must return an nn model such as "
                            f"nn.MLP(2, [8, 1]), got {type(model).__name__}")
        if any(model is m for m in models):
            raise ValueError(f"{name}: make_model() returned the same model twice; it must make "
                             "a new one on each call, e.g. lambda: nn.MLP(2, [8, 1])")
        with no_grad(), in_mode(model, training=False):
            out = model(example)
        if isinstance(out, (list, tuple)) and len(out) != 1:
            raise ValueError(f"{name}: make_model() must return a binary model with one output "
                             f"score, e.g. nn.MLP(2, [8, 1]); this one has {len(out)} outputs")
        return model

    def _margins(self, x: Sequence) -> list[float]:
        """Each classifier's margin on ``x``: score - threshold, > 0 for its +1 class."""
        if not self.models:
            raise RuntimeError(f"this {type(self).__name__} has not been trained: call "
                               ".fit(X, y, loss=..., optimizer=...) first")
        margins = []
        with no_grad(), in_mode(self, training=False):
            for model in self.models:
                out = model(x)
                if isinstance(out, (list, tuple)):
                    out = out[0]
                margins.append((out.data if isinstance(out, Value) else float(out))
                               - self.threshold)
        return margins

    def predict(self, x: Sequence) -> int:
        """The predicted class of one example: the index of the largest of ``self(x)``."""
        scores = self(x)
        return max(range(len(scores)), key=scores.__getitem__)

    @abstractmethod
    def _task_text(self, task: Task) -> str:
        """How a task reads in the repr: "class 2 vs the rest", "1 vs 2"."""

    def __repr__(self) -> str:
        name = type(self).__name__
        if not self.models:
            return f"{name}(not trained yet: call .fit(X, y, loss=..., optimizer=...))"
        lines = [f"{name}({self.classes} classes, {len(self.models)} binary classifiers; "
                 f"{len(self.parameters())} parameters)"]
        lines += [f"  (models.{i}): {self._task_text(task)}: {repr(model).splitlines()[0]}"
                  for i, (task, model) in enumerate(zip(self.tasks, self.models))]
        return "\n".join(lines)


class OneVsAll(_Reduction):
    """One-versus-all (notes 002): C binary classifiers h_k, "is class k or not?".

    Training: for each class k, relabel the examples of class k +1 and all others -1, and train
    a fresh ``make_model()`` on that. Prediction: ask every h_k and take the most confident one,
    the class whose margin h_k(x) is the largest (the notes pick at random among the h_k that
    say +1; the largest margin decides among them, and still decides where none says +1).
    Equal margins: the lowest class.

    ``ova(x)`` returns the C margins (the argmax is the prediction, so ``nn.accuracy`` and
    ``nn.plot_decision_boundary`` work on it); ``ova.predict(x)`` returns the class.
    """

    def _tasks(self, classes: int) -> list[int]:
        return list(range(classes))

    def classifier_count(self, classes: int) -> int:
        """C: one per class."""
        return classes

    def _relabel(self, task: int, label: int) -> int:
        return 1 if label == task else -1

    def _task_text(self, task: int) -> str:
        return f"class {task} (+1) vs the rest (-1)"

    def __call__(self, x: Sequence) -> list[float]:
        """The margin of each class's classifier h_k on ``x``."""
        return self._margins(x)


class OneVsOne(_Reduction):
    """One-versus-one (notes 002): a binary classifier h_(k,k') for each pair of classes k < k'.

    Training: for each pair, relabel the examples of class k +1 and those of class k' -1,
    discard all other examples, and train a fresh ``make_model()`` on what is left. Prediction:
    each h_(k,k') votes for k (margin > 0) or k' (otherwise); the class with the most votes
    wins. Ties ("break tie in some way", the notes) are broken by confidence: among the classes
    with the most votes, the one whose classifiers' margins for it add up to the most (h_(k,k')
    gives k its margin m and k' -m); equal confidences: the lowest class.

    ``ovo(x)`` returns a score per class, its votes plus a fraction in (-1/2, 1/2) that grows
    with its confidence, so its argmax is the prediction (what ``nn.accuracy`` and
    ``nn.plot_decision_boundary`` use); ``ovo.predict(x)`` returns the class.
    """

    def _tasks(self, classes: int) -> list[tuple[int, int]]:
        return list(combinations(range(classes), 2))

    def classifier_count(self, classes: int) -> int:
        """C(C-1)/2: one per pair of classes."""
        return classes * (classes - 1) // 2

    def _relabel(self, task: tuple[int, int], label: int) -> int | None:
        k, k_other = task
        return 1 if label == k else -1 if label == k_other else None

    def _task_text(self, task: tuple[int, int]) -> str:
        return f"class {task[0]} (+1) vs class {task[1]} (-1)"

    def votes(self, x: Sequence) -> tuple[list[int], list[float]]:
        """Each class's votes and its confidence (the sum of the margins its classifiers give
        it) on ``x``."""
        votes = [0] * self.classes
        confidence = [0.0] * self.classes
        for (k, k_other), m in zip(self.tasks, self._margins(x)):
            votes[k if m > 0 else k_other] += 1
            confidence[k] += m
            confidence[k_other] -= m
        return votes, confidence

    def __call__(self, x: Sequence) -> list[float]:
        """votes_k + c_k / (2 (1 + |c_k|)) per class k, c_k its confidence: the fraction keeps
        the order of the confidences and never outweighs a vote."""
        votes, confidence = self.votes(x)
        return [v + c / (2.0 * (1.0 + abs(c))) for v, c in zip(votes, confidence)]
