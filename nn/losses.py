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

import operator
from collections.abc import Iterable, Sequence

from autograd import Value, dot, log

Number = int | float
Scalar = Value | Number

#: Each log in binary_cross_entropy is clamped here, as PyTorch does, so p = 0 or 1 costs 100
#: instead of infinity.
LOG_CLAMP = -100.0


def _value(x: object, fn: str) -> Value:
    """``x`` as a Value: Values pass, a number becomes a new leaf."""
    if isinstance(x, Value):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(f"{fn} takes Values or numbers, got {type(x).__name__}")


def _scores(logits: object, fn: str, at_least: int = 1) -> list[Value]:
    if isinstance(logits, (Value, int, float)):
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
    if isinstance(target, float) and target.is_integer():
        target = int(target)
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


def mse_loss(pred: Scalar | Sequence[Scalar], target: Scalar | Sequence[Scalar]) -> Value:
    """Squared error (notes 003): L = (y_hat - y)^2;  dL/dy_hat = 2 (y_hat - y).

    For vector outputs, the mean over the components, as PyTorch's ``mse_loss``:
    L = (1/K) sum_k (y_hat_k - y_k)^2.
    """
    if isinstance(pred, (Value, int, float)):
        diff = _value(pred, "mse_loss") - _value(target, "mse_loss")
        return diff * diff
    preds, targets = list(pred), list(target)  # type: ignore[arg-type]
    if len(preds) != len(targets) or not preds:
        raise ValueError(f"mse_loss needs as many targets as predictions, got {len(preds)} "
                         f"predictions and {len(targets)} targets")
    diffs = [p - t for p, t in zip(preds, targets)]
    return dot(diffs, diffs) / len(preds)


def _clamped_log(p: Value) -> Value:
    out = p.log()
    return out if out.data >= LOG_CLAMP else Value(LOG_CLAMP)


def binary_cross_entropy(prob: Scalar, target: Scalar) -> Value:
    """Binary cross-entropy of a probability (notes 000): L = -y ln p - (1 - y) ln(1 - p).

    ``prob`` is p = P(y = 1), e.g. a sigmoid output; ``target`` y is 0 or 1 (or in between).
    Through p = sigmoid(z = w . x + b) the gradient is the notes' dL/dw = (p - y) x.
    Each log is clamped at -100 as in PyTorch (a term whose log is clamped passes no gradient).
    From scores, prefer ``bce_with_logits``: it is exact where this one has to clamp.
    """
    p = _value(prob, "binary_cross_entropy")
    y = _value(target, "binary_cross_entropy").data
    terms = []
    # A zero-weight term is left out rather than multiplied by 0: 0 * ln(0) would be nan.
    if y != 0.0 or isinstance(target, Value):
        terms.append(target * _clamped_log(p))
    if y != 1.0 or isinstance(target, Value):
        terms.append((1 - target) * _clamped_log(1 - p))
    return -_total(terms)


def bce_with_logits(logit: Scalar, target: Scalar) -> Value:
    """Binary cross-entropy from a score z (a logit): L = -y ln s(z) - (1 - y) ln(1 - s(z)).

    Computed in the stable form  L = ln(1 + e^z) - y z, where for z >= 0 the softplus is
    z + ln(1 + e^-z): no exponent is ever positive, so z = +-1000 gives a finite loss.
    dL/dz = s(z) - y, the notes' (y_hat - y). ``target`` y is 0 or 1 (or in between).
    """
    z = _value(logit, "bce_with_logits")
    _value(target, "bce_with_logits")
    if z.data >= 0.0:
        return z * (1 - target) + log(1 + (-z).exp())
    return -z * target + log(1 + z.exp())


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
    if isinstance(scores, (Value, int, float)):
        if target_index not in (-1, 1) or isinstance(target_index, bool):
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
    terms = [abs(p) for p in _parameters(params, "l1_penalty")]
    return dot(terms, [1.0] * len(terms))


def l2_penalty(params: Iterable[Value]) -> Value:
    """L2 regularization R(W) = sum w^2 (notes 001, 004: no factor 1/2); dR/dw = 2 w.

    One ``dot`` node (w . w), however many parameters. ``lam * l2_penalty(ps)`` has the
    gradient of ``weight_decay = 2 * lam`` in ``nn.SGD``.
    """
    ps = _parameters(params, "l2_penalty")
    return dot(ps, ps)


def _parameters(params: Iterable[Value], fn: str) -> list[Value]:
    try:
        ps = list(params)
    except TypeError:
        raise TypeError(f"{fn} takes an iterable of Values, e.g. model.parameters(); got "
                        f"{type(params).__name__}") from None
    for p in ps:
        if not isinstance(p, Value):
            raise TypeError(f"{fn} takes Values (model.parameters()), got {type(p).__name__}")
    return ps
