"""The lectures' loss functions and regularizers, per example, built from engine operations.

Each loss takes one example's prediction and target (Values or plain numbers) and returns a
Value to backpropagate from; ``nn.fit`` averages them over a batch, L = (1/N) sum_i L_i
(notes 001: "we average the loss over the training data"). Logarithms are natural.

Numerical stability: every function that exponentiates scores subtracts their maximum first
(log-sum-exp), and the logistic loss uses its stable form, so scores of +-1000 give finite losses
and finite gradients. Because each is a composition of engine operations, gradients (and second
derivatives with ``create_graph=True``) come from the engine's own rules.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from numbers import Integral

from autograd import Constant, Value, dot
from nn import checks

Number = int | float
Scalar = Value | Number

#: Each log in binary_cross_entropy is clamped here, as PyTorch does, so p = 0 or 1 costs 100
#: instead of infinity.
LOG_CLAMP = -100.0


def _value(x: object, fn: str) -> Value:
    """``x`` as a Value: Values pass, a number (NumPy's too) becomes a ``Constant``."""
    if isinstance(x, Value):
        return x
    if checks.is_number(x):
        # A Constant, as the 2 in 2 * x: a number in the step's code, not a new input (a
        # followed number, while autograd.compile records, stays followed)
        return Constant(x)
    raise TypeError(f"{fn} takes Values or numbers, got {type(x).__name__}")


def _probability_target(target: object, fn: str) -> Value | float:
    """A binary cross-entropy's target y: a Value, or a number as a float, in [0, 1]."""
    y = _value(target, fn).data
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"{fn} takes a target y in [0, 1] (a 0/1 label or a probability), got "
                         f"{y!r}; -1/+1 labels belong to hinge_loss (or turn them into 0/1 "
                         "with (y + 1) / 2)")
    # A float, not a NumPy scalar: on the left of * it would go through NumPy's own operators.
    return target if isinstance(target, Value) else y


def _scores(logits: object, fn: str, at_least: int = 1) -> list[Value]:
    if isinstance(logits, Value) or checks.is_number(logits):
        raise TypeError(f"{fn} takes a list of class scores, got a single number")
    try:
        items = list(logits)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{fn} takes a list of class scores, got "
                        f"{type(logits).__name__}") from None
    scores = [_value(s, fn) for s in items]
    if len(scores) < at_least:
        raise ValueError(f"{fn} needs scores for at least {at_least} class(es), got "
                         f"{len(scores)}")
    return scores


def _class_index(target: object, k: int, fn: str) -> int:
    # (target % 1 == 0 rather than float(target).is_integer(): autograd.compile can follow it)
    if checks.is_number(target) and not isinstance(target, Integral) and target % 1 == 0:
        target = int(target)  # 2.0, or a NumPy float label
    try:
        index = operator.index(target)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{fn} takes the correct class as an int index, got "
                        f"{type(target).__name__}") from None
    if isinstance(target, bool) or not 0 <= index < k:
        raise ValueError(f"{fn}: target_index {target!r} is not a class index 0..{k - 1} "
                         f"for {k} scores")
    return index


def _total(terms: Sequence[Value]) -> Value:
    # A plain sum of few terms reads best in graph pictures: one "+" per term.
    return sum(terms[1:], terms[0])


def _components(x: object) -> list | None:
    """A vector's components as a list; None for anything else (one number, or bad input)."""
    if isinstance(x, (Value, str, bytes)) or checks.is_number(x):
        return None
    try:
        return list(x)  # type: ignore[call-overload]
    except TypeError:
        return None


def _how_many(items: list | None, noun: str) -> str:
    if items is None:
        return f"one {noun}"
    return f"{len(items)} {noun}" + ("" if len(items) == 1 else "s")


def mse_loss(pred: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]) -> Value:
    """Squared error (notes 003): L = (y_hat - y)^2;  dL/dy_hat = 2 (y_hat - y).

    For vector outputs, the mean over the components, as PyTorch's ``mse_loss``:
    L = (1/K) sum_k (y_hat_k - y_k)^2.
    """
    preds, targets = _components(pred), _components(target)
    if preds is None and targets is None:
        diff = _value(pred, "mse_loss") - _value(target, "mse_loss")
        return diff * diff
    if preds is None or targets is None:
        _value(pred if preds is None else target, "mse_loss")  # a number, or a TypeError
    if preds is None or targets is None or len(preds) != len(targets) or not preds:
        raise ValueError(f"mse_loss needs as many targets as predictions, got "
                         f"{_how_many(preds, 'prediction')} and {_how_many(targets, 'target')}")
    diffs = [p - t for p, t in zip(preds, targets)]
    return dot(diffs, diffs) / len(preds)


def _clamped_log(p: Value) -> Value:
    out = p.log()
    # nan is kept (it compares false): a diverged model must show a nan loss, not 100.
    return Constant(LOG_CLAMP) if out.data < LOG_CLAMP else out


def binary_cross_entropy(prob: Scalar, target: Scalar) -> Value:
    """Binary cross-entropy of a probability (notes 000): L = -y ln p - (1 - y) ln(1 - p).

    ``prob`` is p = P(y = 1) in [0, 1], e.g. a sigmoid output (nan passes through); ``target``
    y is 0 or 1 (or in between; anything else, such as the -1 of -1/+1 labels, is refused).
    Through p = sigmoid(z = w . x + b) the gradient is the notes' dL/dw = (p - y) x. Each log
    is clamped at -100 as in PyTorch (a term whose log is clamped passes no gradient). From
    scores, use ``bce_with_logits``: it is exact where this one has to clamp.
    """
    p = _value(prob, "binary_cross_entropy")
    if not 0.0 <= p.data <= 1.0 and not math.isnan(p.data):
        raise ValueError(f"binary_cross_entropy takes a probability p in [0, 1], got "
                         f"{p.data!r}; for a score (an MLP's linear output) use bce_with_logits")
    target = _probability_target(target, "binary_cross_entropy")
    # Both terms, whatever y: the graph is the formula for every label (a compiled step replays
    # one graph), and a term weighted 0 adds -0.0, which changes no sum. A log that would be
    # -inf is the constant -100, so 0 * log never makes a nan.
    return -(target * _clamped_log(p) + (1 - target) * _clamped_log(1 - p))


def bce_with_logits(logit: Scalar, target: Scalar) -> Value:
    """Binary cross-entropy from a score z (a logit): L = -y ln s(z) - (1 - y) ln(1 - s(z)).

    Since -ln s(z) = ln(1 + e^-z) = softplus(-z) and -ln(1 - s(z)) = softplus(z), it is

        L = y softplus(-z) + (1 - y) softplus(z)

    with softplus (``Value.softplus``) computed stably inside the operation: z = +-1000 gives a
    finite loss, a confident right answer (z = 40, y = 1) costs 4.25e-18, not 0, and the graph
    is the same whatever the sign of z (nothing for a compiled step to ask).
    dL/dz = -y s(-z) + (1 - y) s(z) = s(z) - y, the notes' (y_hat - y). ``target`` y is 0 or 1
    (or in between); -1/+1 labels are refused (they belong to ``hinge_loss``): with them the
    loss goes below zero and training runs away.
    """
    z = _value(logit, "bce_with_logits")
    target = _probability_target(target, "bce_with_logits")
    return target * (-z).softplus() + (1 - target) * z.softplus()


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """p_k = e^(s_k) / sum_j e^(s_j) (notes 001, 002): scores to probabilities summing to 1.

    The maximum score is subtracted first (the result is unchanged, every exponent is <= 0, so
    nothing overflows).
    """
    scores = _scores(logits, "softmax")
    m = max(s.data for s in scores)
    exps = [(s - m).exp() for s in scores]
    total = _total(exps)
    return [e / total for e in exps]


def _logsumexp(scores: Sequence[Value]) -> Value:
    """ln sum_j e^(s_j), computed as m + ln sum_j e^(s_j - m) with m = max_j s_j."""
    m = max(s.data for s in scores)
    exps = [(s - m).exp() for s in scores]
    return _total(exps).log() + m


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """ln p_k = s_k - ln sum_j e^(s_j), stable for any scores (log-sum-exp)."""
    scores = _scores(logits, "log_softmax")
    lse = _logsumexp(scores)
    return [s - lse for s in scores]


def cross_entropy(logits: Sequence[Scalar], target_index: int) -> Value:
    """Softmax cross-entropy (notes 001, 002, 004):  L = -ln p_y = ln sum_j e^(s_j) - s_y.

    ``logits`` are the scores s of the K classes (not probabilities), ``target_index`` the
    correct class y in 0..K-1. dL/ds_k = p_k - [k = y]: the notes' p - y. For the notes' cat
    scores (3.2, 5.1, -1.7) and class cat, L = 2.04.
    """
    scores = _scores(logits, "cross_entropy (for one score use bce_with_logits)", 2)
    y = _class_index(target_index, len(scores), "cross_entropy")
    return _logsumexp(scores) - scores[y]


def hinge_loss(scores: Sequence[Scalar] | Scalar, target_index: int,
               margin: float = 1.0) -> Value:
    """The SVM (hinge) loss (notes 001).

    Multiclass, with a list of K scores s and the correct class y = ``target_index``::

        L = sum_{j != y} max(0, s_j - s_y + margin)

    (the notes' cat/car/frog example: 2.9, 0 and 12.9). Binary, with a single score s and a
    label y = ``target_index`` of -1 or +1 (micrograd's demo loss)::

        L = max(0, margin - y s)

    zero once the score is on the right side of 0 by at least the margin. At the hinge's kink
    the gradient is 0, as ReLU's.
    """
    if isinstance(scores, Value) or checks.is_number(scores):
        # |y| = 1 rather than y in (-1, 1): one question for either label, so that a compiled
        # step (autograd.compile) holds for both
        if not checks.is_number(target_index) or abs(target_index) != 1:
            raise ValueError(f"hinge_loss with a single score needs a label of -1 or +1, got "
                             f"{target_index!r} (for 0/1 labels pass 2 * y - 1)")
        s = _value(scores, "hinge_loss")
        return (margin - target_index * s).relu()
    values = _scores(scores, "hinge_loss (multiclass)", 2)
    y = _class_index(target_index, len(values), "hinge_loss")
    correct = values[y]
    return _total([(s - correct + margin).relu() for j, s in enumerate(values) if j != y])


def l1_penalty(params: Iterable[Value]) -> Value:
    """L1 regularization R(W) = sum |w| (notes 001, 004); dR/dw = sign(w) (0 at w = 0)."""
    terms = [abs(p) for p in checks.parameters(params, "l1_penalty")]
    return dot(terms, [1.0] * len(terms))


def l2_penalty(params: Iterable[Value]) -> Value:
    """L2 regularization R(W) = sum w^2 (notes 001, 004: no factor 1/2); dR/dw = 2 w.

    One ``dot`` node (w . w), however many parameters. ``lam * l2_penalty(ps)`` has the
    gradient of ``weight_decay = 2 * lam`` in ``nn.SGD``.
    """
    ps = checks.parameters(params, "l2_penalty")
    return dot(ps, ps)


