"""``nn.compare_with_torch``: forward, loss and every gradient equal to PyTorch's to rounding in
float64, for MLPs of several shapes, every activation and every loss; a report that prints as a
table and is falsy when PyTorch disagrees."""

from __future__ import annotations

import math

import pytest
from conftest import TORCH_MISSING, import_or_skip
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import MLP, Neuron, compare_with_torch

torch = import_or_skip("torch", TORCH_MISSING)


#: "To rounding": float64 leaves about 1e-16 per operation, relative to the numbers summed;
#: anything beyond 1e-13 of the largest gradient (or of the loss) is a different formula.
ROUNDING = 1e-13

X2, Y01 = nn.data.make_moons(24, noise=0.1, seed=0)
YPM = [2 * t - 1 for t in Y01]
X3, Y3 = nn.data.make_blobs(24, centers=[[-1, 0, 1], [1, 1, 0], [0, -1, -1]], std=0.8, seed=0)


def agrees(report) -> None:
    assert report, str(report)
    assert report.loss_difference <= ROUNDING * max(1.0, abs(report.torch_loss))
    scale = max(1.0, *(abs(row.torch) for row in report.rows))
    assert report.max_gradient_difference <= ROUNDING * scale
    assert report.max_output_difference <= ROUNDING * max(1.0, abs(report.torch_loss))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("sizes", [[1], [4, 1], [16, 16, 1], [3, 5, 2, 1]],
                         ids=lambda s: "-".join(map(str, s)))
def test_mlps_of_every_shape_and_activation_agree_with_pytorch(activation, sizes):
    model = MLP(2, sizes, activation=activation, seed=1)
    agrees(compare_with_torch(model, X2, YPM, loss=nn.hinge_loss))
    agrees(compare_with_torch(model, X2, Y01, loss=nn.bce_with_logits))


# One test per loss: numbers and gradients agree in float64.

@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_mse_loss_agrees_with_pytorchs_mse_loss_for_one_output(activation):
    model = MLP(2, [6, 1], activation=activation, seed=2)
    agrees(compare_with_torch(model, X2, [0.5 * t for t in YPM], loss=nn.mse_loss))


def test_mse_loss_agrees_with_pytorchs_mse_loss_for_vector_outputs():
    model = MLP(3, [5, 3], activation="tanh", seed=3)
    targets = [[float(t == k) for k in range(3)] for t in Y3]
    agrees(compare_with_torch(model, X3, targets, loss=nn.mse_loss))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_binary_cross_entropy_agrees_with_pytorchs_on_sigmoid_outputs(activation):
    model = MLP(2, [8, 8, 1], activation=activation, output_activation="sigmoid", seed=4)
    agrees(compare_with_torch(model, X2, Y01, loss=nn.binary_cross_entropy))
    agrees(compare_with_torch(Neuron(2, "sigmoid", seed=4), X2, Y01,
                              loss=nn.binary_cross_entropy))


def test_the_lectures_tanh_output_mlp_agrees_on_squared_error():
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    agrees(compare_with_torch(model, xs, [1.0, -1.0, -1.0, 1.0], loss=nn.mse_loss))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_bce_with_logits_agrees_with_pytorchs_binary_cross_entropy_with_logits(activation):
    model = MLP(2, [8, 8, 1], activation=activation, seed=5)
    agrees(compare_with_torch(model, X2, Y01, loss=nn.bce_with_logits))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_cross_entropy_agrees_with_pytorchs_cross_entropy(activation):
    model = MLP(3, [8, 3], activation=activation, seed=6)
    agrees(compare_with_torch(model, X3, Y3, loss=nn.cross_entropy))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_multiclass_hinge_agrees_with_k_times_pytorchs_multi_margin_loss(activation):
    model = MLP(3, [8, 3], activation=activation, seed=7)
    agrees(compare_with_torch(model, X3, Y3, loss=nn.hinge_loss))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_binary_hinge_agrees_with_the_same_formula_in_pytorch(activation):
    model = MLP(2, [8, 1], activation=activation, seed=8)
    agrees(compare_with_torch(model, X2, YPM, loss=nn.hinge_loss))


def test_the_multiclass_hinge_is_k_times_pytorchs_multi_margin_loss():
    """The normalisation, pinned with the notes' cat/car/frog scores (cat image: L = 2.9)."""
    scores = torch.tensor([[3.2, 5.1, -1.7]], dtype=torch.float64)
    theirs = torch.nn.functional.multi_margin_loss(scores, torch.tensor([0])).item()
    ours = nn.hinge_loss([3.2, 5.1, -1.7], 0).data
    assert ours == pytest.approx(2.9) and ours == pytest.approx(3 * theirs, rel=1e-15)


def test_the_reported_pytorch_loss_is_pytorchs_own():
    model = MLP(3, [4, 3], seed=0)
    report = compare_with_torch(model, X3, Y3, loss=nn.cross_entropy)
    twin = nn.to_torch(model)
    expected = torch.nn.functional.cross_entropy(
        twin(torch.tensor(X3, dtype=torch.float64)), torch.tensor(Y3)).item()
    assert report.torch_loss == expected


def test_the_reported_gradients_are_pytorchs_own():
    model = MLP(2, [3, 1], seed=0)
    report = compare_with_torch(model, X2, Y01, loss=nn.bce_with_logits)
    twin = nn.to_torch(model)
    out = twin(torch.tensor(X2, dtype=torch.float64)).reshape(-1)
    torch.nn.functional.binary_cross_entropy_with_logits(
        out, torch.tensor(Y01, dtype=torch.float64)).backward()
    row = {r.name: r for r in report.rows}["layers.0.neurons.2.w1"]
    assert row.torch_name == "0.weight[2, 0]"
    assert row.torch == twin[0].weight.grad[2, 0].item()


@settings(max_examples=25)
@given(st.integers(1, 4), st.lists(st.integers(1, 6), min_size=1, max_size=3),
       st.sampled_from(["relu", "tanh", "sigmoid", "linear"]), st.integers(0, 10**6))
def test_random_mlps_agree_with_pytorch_on_random_regression_data(nin, hidden, activation,
                                                                 seed):
    data = nn.data.make_regression_1d(8, seed=seed)
    X = [[x[0] * (k + 1) for k in range(nin)] for x in data[0]]
    model = MLP(nin, [*hidden, 1], activation=activation, seed=seed)
    agrees(compare_with_torch(model, X, data[1], loss=nn.mse_loss))


def test_the_report_prints_the_loss_and_a_row_per_parameter():
    model = MLP(2, [2, 1], seed=0)
    text = str(compare_with_torch(model, X2, YPM, loss=nn.hinge_loss))
    lines = text.splitlines()
    assert lines[0].startswith("loss: ours ") and "PyTorch's" in lines[0]
    assert lines[2].split() == ["parameter", "in", "PyTorch", "our", "gradient", "PyTorch's",
                                "difference"]
    assert len(lines) == 3 + 9 + 1
    assert lines[3].split()[:2] == ["layers.0.neurons.0.w1", "0.weight[0,"]
    assert all(line.endswith("ok") for line in lines[3:-1])
    assert lines[-1].startswith("PyTorch agrees: 9 gradients")


def test_the_report_shows_in_ipython_as_its_table():
    report = compare_with_torch(Neuron(2, seed=0), X2, YPM, loss=nn.hinge_loss)

    class Printer:
        text_out = ""

        def text(self, s):
            self.text_out += s

    printer = Printer()
    report._repr_pretty_(printer, False)
    assert printer.text_out == str(report)


def confident_bce_case():
    """A sigmoid neuron whose probability is 1 - 9e-14 on a 0 label: within 1e-12 of 1, where
    PyTorch bounds binary_cross_entropy's gradient and the engine does not."""
    model = Neuron(1, "sigmoid", seed=0)
    model.load_state_dict({"w1": 30.0, "b": 0.0})
    return model, [[1.0]], [0.0]


def test_a_disagreement_makes_the_report_falsy_and_marks_the_rows():
    model, X, y = confident_bce_case()
    report = compare_with_torch(model, X, y, loss=nn.binary_cross_entropy)
    assert not report
    assert report.loss_ok  # both say ln(1 / (1 - p)) = 30
    assert "MISMATCH" in str(report) and "PyTorch DISAGREES" in str(report)
    assert report.rows[0].ours == pytest.approx(1.0, rel=1e-3)  # (p - y) x
    assert report.rows[0].torch < 0.5


def test_the_tolerance_is_the_callers_to_state():
    model, X, y = confident_bce_case()
    report = compare_with_torch(model, X, y, loss=nn.binary_cross_entropy, rtol=10.0)
    assert report and (report.rtol, report.atol) == (10.0, 1e-10)


def test_bce_with_logits_agrees_where_binary_cross_entropy_cannot():
    model, X, y = confident_bce_case()
    logits = MLP(1, [1], seed=0)
    logits.load_state_dict({"layers.0.neurons.0.w1": 30.0, "layers.0.neurons.0.b": 0.0})
    agrees(compare_with_torch(logits, X, y, loss=nn.bce_with_logits))


def test_the_models_numbers_and_gradients_are_left_as_they_were():
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 0.5
    before = model.state_dict()
    compare_with_torch(model, X2, YPM, loss=nn.hinge_loss)
    assert model.state_dict() == before
    assert all(p.grad == 0.5 for p in model.parameters())


def test_a_loss_without_a_pytorch_counterpart_is_refused_naming_the_known_ones():
    def my_loss(pred, target):
        return (pred - target) ** 4

    with pytest.raises(ValueError, match="nn.mse_loss.*nn.hinge_loss; got my_loss.*"
                                         "torch_gradients"):
        compare_with_torch(Neuron(2, seed=0), X2, Y01, loss=my_loss)


def test_a_model_to_torch_cannot_convert_is_refused():
    with pytest.raises(TypeError, match="got Perceptron"):
        compare_with_torch(nn.Perceptron(2), X2, YPM, loss=nn.hinge_loss)


def test_examples_and_targets_must_pair_up():
    with pytest.raises(ValueError, match="got 24 examples and 3 labels"):
        compare_with_torch(Neuron(2, seed=0), X2, YPM[:3], loss=nn.hinge_loss)
    with pytest.raises(ValueError, match="at least one example"):
        compare_with_torch(Neuron(2, seed=0), [], [], loss=nn.hinge_loss)


def test_single_numbers_are_examples_for_a_one_input_model():
    model = MLP(1, [4, 1], seed=0)
    xs = [-1.0, 0.5, 2.0]
    agrees(compare_with_torch(model, xs, [math.sin(x) for x in xs], loss=nn.mse_loss))


def test_numpy_arrays_work_as_for_fit():
    np = pytest.importorskip("numpy", reason="NumPy is not installed")
    model = MLP(3, [5, 3], seed=0)
    agrees(compare_with_torch(model, np.array(X3), np.array(Y3), loss=nn.cross_entropy))
    targets = np.array([[float(t == k) for k in range(3)] for t in Y3])
    agrees(compare_with_torch(model, np.array(X3), targets, loss=nn.mse_loss))


# ---------------------------------------------------------------- tolerances and nan ----

@pytest.mark.parametrize("option", ["rtol", "atol"])
@pytest.mark.parametrize("value", ["1e-9", -1.0, math.nan, math.inf, None, 10**400])
def test_a_tolerance_that_is_not_a_finite_number_at_least_0_is_refused(option, value):
    with pytest.raises(ValueError, match=f"compare_with_torch {option} .* must be a finite "
                                         "number >= 0"):
        compare_with_torch(MLP(2, [1], seed=0), X2[:2], YPM[:2], loss=nn.hinge_loss,
                           **{option: value})


def test_a_zero_tolerance_is_a_tolerance():
    report = compare_with_torch(MLP(2, [1], seed=0), X2[:2], YPM[:2], loss=nn.hinge_loss,
                                rtol=0, atol=0)
    assert (report.rtol, report.atol) == (0.0, 0.0)


def test_nan_on_both_sides_agrees():
    model = MLP(2, [3, 1], seed=0)
    model.layers[0].neurons[0].b.data = math.nan  # both engines compute nan from here on
    report = compare_with_torch(model, X2[:4], Y01[:4], loss=nn.mse_loss)
    assert math.isnan(report.loss) and math.isnan(report.torch_loss)
    assert report, str(report)
    assert "PyTorch agrees" in str(report) and "DISAGREES" not in str(report)
    assert report.loss_difference == 0.0

