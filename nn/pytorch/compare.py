"""Running the same batch through a model and its PyTorch twin: ``compare_with_torch``.

Both sides compute the mean loss over the batch, L = (1/N) sum_i loss(f(x_i), y_i), as ``nn.fit``
does, and its gradient with respect to every parameter: ours with this engine's ``backward``,
PyTorch's with ``to_torch(model)`` (float64), a batch tensor and PyTorch's own loss function:

    ===========================  ==============================================================
    ours                         PyTorch
    ===========================  ==============================================================
    ``mse_loss``                 ``F.mse_loss`` (the mean over all N x K numbers = ours: the
                                 mean over the batch of each example's mean over its K outputs)
    ``binary_cross_entropy``     ``F.binary_cross_entropy`` (both clamp each log at -100)
    ``bce_with_logits``          ``F.binary_cross_entropy_with_logits``
    ``cross_entropy``            ``F.cross_entropy`` with class indices
    ``hinge_loss``, K scores     ``K * F.multi_margin_loss``: PyTorch's ``MultiMarginLoss``
                                 divides each example's sum_{j != y} max(0, 1 - s_y + s_j) by
                                 the number of classes K; the notes' SVM loss does not
    ``hinge_loss``, one score    ``relu(1 - y s).mean()``: PyTorch has no binary hinge loss, so
                                 the formula itself in PyTorch operations
    ===========================  ==============================================================

One place where the two may differ by design: for a probability p within about 1e-12 of 0 or 1,
PyTorch bounds the denominator p (1 - p) of ``binary_cross_entropy``'s gradient below by 1e-12,
while a clamped log passes no gradient here; use ``bce_with_logits`` for such confident outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import BaseReport, Value, dot, format_number, gradients, import_torch
from nn import checks
from nn.losses import bce_with_logits, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from nn.module import Module, in_mode
from nn.pytorch.bridge import dense_layers, to_torch, torch_name, torch_places

#: The stated tolerance: two numbers agree when |ours - PyTorch's| <= ATOL + RTOL |PyTorch's|.
#: Both sides compute in float64, where rounding alone leaves about 1e-16 relative to each term
#: of a sum; these bounds leave room for sums of thousands of terms taken in another order, and
#: any wrong formula misses them by many orders of magnitude.
RTOL = 1e-9
ATOL = 1e-10


def _torch_loss(loss: Callable, scalar_outputs: bool) -> Callable[..., Any]:
    """PyTorch's counterpart of ``loss``: f(torch, outputs (N, K), targets) -> the mean loss."""

    def mse(torch: Any, out: Any, y: Any) -> Any:
        return torch.nn.functional.mse_loss(out, torch.tensor(y, dtype=torch.float64))

    def bce(torch: Any, out: Any, y: Any) -> Any:
        return torch.nn.functional.binary_cross_entropy(out, torch.tensor(y, dtype=out.dtype))

    def bce_logits(torch: Any, out: Any, y: Any) -> Any:
        return torch.nn.functional.binary_cross_entropy_with_logits(
            out, torch.tensor(y, dtype=out.dtype))

    def ce(torch: Any, out: Any, y: Any) -> Any:
        return torch.nn.functional.cross_entropy(out, torch.tensor(y, dtype=torch.long))

    def multiclass_hinge(torch: Any, out: Any, y: Any) -> Any:
        classes = out.shape[1]
        return classes * torch.nn.functional.multi_margin_loss(
            out, torch.tensor(y, dtype=torch.long))

    def binary_hinge(torch: Any, out: Any, y: Any) -> Any:
        return torch.relu(1.0 - torch.tensor(y, dtype=out.dtype) * out).mean()

    mapping = {mse_loss: mse, binary_cross_entropy: bce, bce_with_logits: bce_logits,
               cross_entropy: ce,
               hinge_loss: binary_hinge if scalar_outputs else multiclass_hinge}
    if loss not in mapping:
        known = ", ".join(f"nn.{f.__name__}" for f in mapping)
        name = getattr(loss, "__name__", type(loss).__name__)
        raise ValueError(f"compare_with_torch knows the PyTorch counterparts of {known}; got "
                         f"{name}. For a graph of your own, autograd.torch_gradients(loss) "
                         f"checks any Value against PyTorch")
    return mapping[loss]


@dataclass(frozen=True)
class GradientRow:
    """One parameter's gradient, ours and PyTorch's."""

    name: str
    torch_name: str
    ours: float
    torch: float
    difference: float
    ok: bool


@dataclass(frozen=True)
class TorchComparison(BaseReport):
    """What ``compare_with_torch`` found: truthy when the outputs, the loss and every gradient
    agree within the tolerance (|ours - PyTorch's| <= atol + rtol |PyTorch's|).

    ``print(report)`` shows the loss on both sides and a table of every parameter's gradient,
    ours, PyTorch's and the difference; ``assert report`` fails with it as its message, and
    Jupyter shows it as an HTML table.
    """

    loss: float
    torch_loss: float
    max_output_difference: float
    outputs_ok: bool
    rows: tuple[GradientRow, ...]
    rtol: float
    atol: float

    columns = ("parameter", "in PyTorch", "our gradient", "PyTorch's", "difference", "")

    @property
    def loss_difference(self) -> float:
        return _difference(self.loss, self.torch_loss)

    @property
    def loss_ok(self) -> bool:
        return _close(self.loss, self.torch_loss, self.rtol, self.atol)

    @property
    def max_gradient_difference(self) -> float:
        return max((row.difference for row in self.rows), default=0.0)

    @property
    def passed(self) -> bool:
        return self.outputs_ok and self.loss_ok and all(row.ok for row in self.rows)

    def cells(self, row: GradientRow) -> tuple[str, ...]:
        return (row.name, row.torch_name, format_number(row.ours), format_number(row.torch),
                f"{row.difference:.1e}", "ok" if row.ok else "MISMATCH")

    def above(self) -> list[str]:
        return [f"loss: ours {self.loss!r}, PyTorch's {self.torch_loss!r}, difference "
                f"{self.loss_difference:.1e}" + ("" if self.loss_ok else "  MISMATCH"),
                f"outputs: largest difference {self.max_output_difference:.1e}"
                + ("" if self.outputs_ok else "  MISMATCH")]

    def below(self) -> list[str]:
        verdict = "PyTorch agrees" if self.passed else "PyTorch DISAGREES"
        return [f"{verdict}: {len(self.rows)} gradients, largest difference "
                f"{self.max_gradient_difference:.1e} (rtol={self.rtol:g}, atol={self.atol:g})"]


def _close(ours: float, theirs: float, rtol: float, atol: float) -> bool:
    """|ours - theirs| <= atol + rtol |theirs|; equal infinities agree, and so does nan with
    nan (both sides computed no number: they agree; nan against a number disagrees)."""
    if ours == theirs or (math.isnan(ours) and math.isnan(theirs)):
        return True
    return abs(ours - theirs) <= atol + rtol * abs(theirs)


def _difference(ours: float, theirs: float) -> float:
    """|ours - theirs| as the tables show it: 0 where they agree exactly (equal infinities,
    nan and nan), inf where only one side is nan."""
    if ours == theirs or (math.isnan(ours) and math.isnan(theirs)):
        return 0.0
    difference = abs(ours - theirs)
    return math.inf if math.isnan(difference) else difference


def _batch(X: Sequence) -> list[list[float]]:
    """The examples as rows of floats: one number per example is accepted when nin = 1."""
    rows = []
    for x in X:
        row = [x] if isinstance(x, (int, float, Value)) else list(x)
        rows.append([v.data if isinstance(v, Value) else float(v) for v in row])
    return rows


def _number(t: object) -> object:
    return t.data if isinstance(t, Value) else t


def _targets(y: Sequence) -> list:
    """The targets as plain numbers (a list of them per example for vector targets)."""
    return [[_number(v) for v in t] if hasattr(t, "__len__") and not isinstance(t, str)
            else _number(t) for t in y]


def compare_with_torch(model: Module, X: Sequence, y: Sequence, *, loss: Callable,
                       rtol: float = RTOL, atol: float = ATOL) -> TorchComparison:
    """Run the batch ``(X, y)`` through ``model`` here and through ``to_torch(model)`` in
    PyTorch, and compare the mean loss L = (1/N) sum_i loss(model(x_i), y_i) and dL/dw for every
    parameter w. Both run in evaluation mode (dropout off), where they compute the same function.

    Args:
        model: an ``nn.MLP``, ``nn.Layer`` or ``nn.Neuron``.
        X, y: the examples and their targets, as for ``nn.fit``.
        loss: ``nn.mse_loss``, ``nn.binary_cross_entropy``, ``nn.bce_with_logits``,
            ``nn.cross_entropy`` or ``nn.hinge_loss`` (see the module doc for their PyTorch
            counterparts).
        rtol, atol: the tolerance, finite numbers >= 0; a number agrees when |ours - PyTorch's|
            <= atol + rtol |PyTorch's| (nan agrees with nan: neither side has a number). The
            defaults are far below any formula's error and well above float64 rounding.

    Returns a ``TorchComparison``: truthy when outputs, loss and every gradient agree; it prints
    as a table. The model's parameters and their ``.grad`` are left as they were.
    """
    rtol = checks.amount(rtol, "compare_with_torch rtol (a relative tolerance)")
    atol = checks.amount(atol, "compare_with_torch atol (an absolute tolerance)")
    torch = import_torch("nn.compare_with_torch")
    dense_layers(model)  # refuses, before any work, the models to_torch cannot convert
    checks.dataset(X, y, "compare_with_torch")
    with in_mode(model, training=False):  # dropout off on both sides: the same function
        preds = [model(x) for x in X]
    scalar_outputs = isinstance(preds[0], Value)
    torch_loss = _torch_loss(loss, scalar_outputs)
    losses = [loss(p, t) for p, t in zip(preds, y)]
    ours = dot(losses, [1.0 / len(losses)] * len(losses))
    ours_grads = gradients(ours)

    twin = to_torch(model, torch.float64).eval()
    with torch.enable_grad():
        out = twin(torch.tensor(_batch(X), dtype=torch.float64))
        if scalar_outputs:
            out = out.reshape(-1)
        theirs = torch_loss(torch, out, _targets(y))
        theirs.backward()

    flat = [p.data for pred in preds for p in ([pred] if scalar_outputs else pred)]
    out_numbers = out.detach().reshape(-1).tolist()
    output_ok = all(_close(a, b, rtol, atol) for a, b in zip(flat, out_numbers))
    max_output = max((_difference(a, b) for a, b in zip(flat, out_numbers)), default=0.0)

    rows = []
    places = torch_places(model)
    for name, p in model.named_parameters():
        position, tensor, index = places[p]
        a = float(ours_grads.get(p, 0.0))
        b = getattr(twin[position], tensor).grad[index].item()
        rows.append(GradientRow(name, torch_name(places[p]), a, b, _difference(a, b),
                                _close(a, b, rtol, atol)))
    return TorchComparison(ours.data, theirs.item(), max_output, output_ok, tuple(rows),
                           rtol, atol)
