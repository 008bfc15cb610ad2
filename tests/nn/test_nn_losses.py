"""Losses: the notes' worked examples, hand-computed values, gradients, stability."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, gradcheck, sigmoid
from nn import (
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

# Notes 001: scores of three images (columns cat, car, frog) for the classes cat, car, frog.
CAT_IMAGE = [3.2, 5.1, -1.7]
CAR_IMAGE = [1.3, 4.9, 2.0]
FROG_IMAGE = [2.2, 2.5, -3.1]
CAT, CAR, FROG = 0, 1, 2

moderate = st.floats(-20, 20, allow_nan=False)
logit_lists = st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=2, max_size=6)


# ---------------------------------------------------------------- notes 001 worked examples

def test_svm_losses_of_the_cat_car_frog_example_are_2_9_0_and_12_9():
    losses = [hinge_loss(CAT_IMAGE, CAT), hinge_loss(CAR_IMAGE, CAR),
              hinge_loss(FROG_IMAGE, FROG)]
    assert [loss.data for loss in losses] == pytest.approx([2.9, 0.0, 12.9], abs=1e-12)


def test_svm_loss_over_the_three_images_averages_to_5_27():
    mean = sum(hinge_loss(s, y).data for s, y in
               [(CAT_IMAGE, CAT), (CAR_IMAGE, CAR), (FROG_IMAGE, FROG)]) / 3
    assert round(mean, 2) == 5.27


def test_svm_loss_spelled_out_as_in_the_notes():
    # max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1) = max(0, 2.9) + max(0, -3.9) = 2.9
    loss = hinge_loss(CAT_IMAGE, CAT)
    assert loss.data == pytest.approx(max(0, 5.1 - 3.2 + 1) + max(0, -1.7 - 3.2 + 1))


def test_svm_loss_with_all_scores_equal_is_classes_minus_one():
    # Notes 001: "At initialization W is small so all s = 0. What is the loss?"  C - 1.
    assert hinge_loss([0.0] * 10, 4).data == 9.0


def test_softmax_of_the_cat_scores_is_0_13_0_87_0_00():
    probs = [p.data for p in softmax(CAT_IMAGE)]
    assert [round(p, 2) for p in probs] == [0.13, 0.87, 0.00]
    assert sum(probs) == pytest.approx(1.0, abs=1e-15)


def test_cross_entropy_of_the_cat_scores_for_cat_is_2_04():
    assert round(cross_entropy(CAT_IMAGE, CAT).data, 2) == 2.04


def test_cross_entropy_with_equal_scores_is_log_of_the_class_count():
    # Notes 001: at initialization all s are about equal; the loss is log(C).
    assert cross_entropy([0.0] * 10, 3).data == pytest.approx(math.log(10), rel=1e-15)


# ---------------------------------------------------------------- gradients from the notes

def test_cross_entropy_gradient_is_p_minus_y():
    # Notes 004: dC/dz_k = a_k - y_k.
    scores = [Value(s) for s in CAT_IMAGE]
    cross_entropy(scores, CAR).backward()
    probs = [p.data for p in softmax(CAT_IMAGE)]
    onehot = [0.0, 1.0, 0.0]
    assert [s.grad for s in scores] == pytest.approx(
        [p - y for p, y in zip(probs, onehot)], abs=1e-15)


@pytest.mark.parametrize("y", [0, 1])
def test_bce_gradient_through_a_sigmoid_is_y_hat_minus_y_times_x(y):
    # Notes 000: l = -y log(y_hat) - (1 - y) log(1 - y_hat), y_hat = sigmoid(w.x + b);
    # dl/dw_j = (y_hat - y) x_j.
    x = [1.5, -0.5]
    w = [Value(0.3), Value(-0.8)]
    b = Value(0.1)
    y_hat = sigmoid(w[0] * x[0] + w[1] * x[1] + b)
    binary_cross_entropy(y_hat, y).backward()
    assert [wj.grad for wj in w] == pytest.approx([(y_hat.data - y) * xj for xj in x],
                                                  rel=1e-12)
    assert b.grad == pytest.approx(y_hat.data - y, rel=1e-12)


@pytest.mark.parametrize("z", [-3.0, -0.5, 0.0, 0.5, 3.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_with_logits_gradient_is_sigmoid_minus_y_including_at_zero(z, y):
    logit = Value(z)
    bce_with_logits(logit, y).backward()
    assert logit.grad == pytest.approx(1 / (1 + math.exp(-z)) - y, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------- hand-computed values

@pytest.mark.parametrize("z, y", [(-2.0, 0), (-2.0, 1), (0.0, 1), (0.7, 0), (4.0, 1)])
def test_bce_with_logits_equals_bce_of_the_sigmoid(z, y):
    p = 1 / (1 + math.exp(-z))
    expected = -(y * math.log(p) + (1 - y) * math.log(1 - p))
    assert bce_with_logits(z, y).data == pytest.approx(expected, rel=1e-12)
    assert binary_cross_entropy(p, y).data == pytest.approx(expected, rel=1e-12)


def test_binary_cross_entropy_of_a_certain_wrong_prediction_is_clamped_at_100():
    # As PyTorch: ln(0) is clamped to -100, so the loss stays finite.
    assert binary_cross_entropy(0.0, 1).data == 100.0
    assert binary_cross_entropy(1.0, 0).data == 100.0
    assert binary_cross_entropy(1.0, 1).data == 0.0


def test_binary_cross_entropy_of_a_certain_right_answer_is_zero():
    for p, y in [(0.0, 0), (1.0, 1), (Value(0.0), Value(0.0))]:
        assert binary_cross_entropy(p, y).data == 0.0


def test_binary_cross_entropy_lets_nan_through():
    # A diverged model's nan must show in the loss, not be clamped to a plausible 100.
    assert math.isnan(binary_cross_entropy(math.nan, 1).data)
    assert math.isnan(binary_cross_entropy(Value(math.nan), 0).data)


def test_mse_loss_is_the_squared_error_and_its_gradient_twice_the_error():
    pred = Value(2.5)
    loss = mse_loss(pred, 1.0)
    loss.backward()
    assert loss.data == 2.25
    assert pred.grad == 3.0


def test_mse_loss_of_vectors_is_the_mean_over_components():
    preds = [Value(1.0), Value(3.0)]
    loss = mse_loss(preds, [0.0, 1.0])
    loss.backward()
    assert loss.data == (1.0 + 4.0) / 2
    assert [p.grad for p in preds] == [1.0, 2.0]


@pytest.mark.parametrize("score, y, expected", [
    (0.3, 1, 0.7), (0.3, -1, 1.3), (2.0, 1, 0.0), (-2.0, -1, 0.0), (-0.5, 1, 1.5),
])
def test_binary_hinge_is_max_of_zero_and_margin_minus_y_times_score(score, y, expected):
    assert hinge_loss(score, y).data == pytest.approx(expected)


def test_binary_hinge_gradient_is_minus_y_inside_the_margin_and_zero_beyond():
    inside, beyond = Value(0.3), Value(2.0)
    hinge_loss(inside, -1).backward()
    hinge_loss(beyond, 1).backward()
    assert (inside.grad, beyond.grad) == (1.0, 0.0)


def test_multiclass_hinge_gradient_counts_each_violated_margin():
    scores = [Value(s) for s in CAT_IMAGE]
    hinge_loss(scores, CAT).backward()
    # car violates the margin (2.9 > 0), frog does not (-3.9): ds_car = 1, ds_cat = -1.
    assert [s.grad for s in scores] == [-1.0, 1.0, 0.0]


def test_hinge_margin_is_a_parameter():
    assert hinge_loss(CAR_IMAGE, CAR, margin=4.0).data == pytest.approx(0.4 + 1.1)
    assert hinge_loss(0.5, 1, margin=2.0).data == 1.5


def test_l2_penalty_is_the_sum_of_squares_without_a_half():
    w = [Value(3.0), Value(-4.0)]
    penalty = l2_penalty(w)
    penalty.backward()
    assert penalty.data == 25.0
    assert [p.grad for p in w] == [6.0, -8.0]


def test_l1_penalty_is_the_sum_of_magnitudes_with_sign_gradients():
    w = [Value(3.0), Value(-4.0), Value(0.0)]
    penalty = l1_penalty(w)
    penalty.backward()
    assert penalty.data == 7.0
    assert [p.grad for p in w] == [1.0, -1.0, 0.0]


def test_penalties_of_no_parameters_are_zero():
    assert l2_penalty([]).data == 0.0 and l1_penalty([]).data == 0.0


def test_losses_accept_plain_numbers_and_return_values():
    for loss in (mse_loss(1, 2), bce_with_logits(0.5, 1), binary_cross_entropy(0.5, 0),
                 cross_entropy([1, 2], 0), hinge_loss([1, 2, 3], 2), hinge_loss(1, -1)):
        assert isinstance(loss, Value)


def test_log_softmax_is_the_log_of_softmax():
    logs = [v.data for v in log_softmax(CAT_IMAGE)]
    assert logs == pytest.approx([math.log(p.data) for p in softmax(CAT_IMAGE)], rel=1e-12)


# ---------------------------------------------------------------- numerical stability

def test_scores_of_plus_minus_1000_give_finite_losses_and_gradients():
    scores = [Value(1000.0), Value(-1000.0)]
    loss = cross_entropy(scores, 1)
    loss.backward()
    assert loss.data == 2000.0
    assert [s.grad for s in scores] == [1.0, -1.0]
    assert [p.data for p in softmax([1000.0, -1000.0])] == [1.0, 0.0]
    assert [v.data for v in log_softmax([1000.0, -1000.0])] == [0.0, -2000.0]


@pytest.mark.parametrize("z, y, expected, slope", [
    (1000.0, 0, 1000.0, 1.0), (1000.0, 1, 0.0, 0.0),
    (-1000.0, 1, 1000.0, -1.0), (-1000.0, 0, 0.0, 0.0),
])
def test_bce_with_logits_is_exact_at_plus_minus_1000(z, y, expected, slope):
    logit = Value(z)
    loss = bce_with_logits(logit, y)
    loss.backward()
    assert (loss.data, logit.grad) == (expected, slope)


@pytest.mark.parametrize("z", [5.0, 20.0, 36.0, 40.0, 100.0, 700.0])
def test_bce_with_logits_of_a_confident_right_answer_has_log1p_precision(z):
    # L = ln(1 + e^-|z|) there; computing 1 + e^-|z| first would round it away (to 0 from
    # |z| = 37 on), as math.log1p does not.
    exact = math.log1p(math.exp(-z))
    assert bce_with_logits(z, 1).data == pytest.approx(exact, rel=4e-16, abs=0.0)
    assert bce_with_logits(-z, 0).data == pytest.approx(exact, rel=4e-16, abs=0.0)


def sigmoid_minus_label(z: float, y: int) -> float:
    """s(z) - y for a label 0 or 1, without cancellation: s(z) - 1 = -s(-z)."""
    def s(t: float) -> float:
        return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))
    return s(z) if y == 0 else -s(-z)


@given(st.floats(-700, 700, allow_nan=False), st.sampled_from([0, 1]))
def test_bce_with_logits_gradient_is_sigmoid_minus_y_to_rounding_for_any_logit(z, y):
    logit = Value(z)
    bce_with_logits(logit, y).backward()
    assert logit.grad == pytest.approx(sigmoid_minus_label(z, y), rel=1e-14, abs=0.0)


@pytest.mark.parametrize("z", [-50.0, -3.0, -1e-9, 0.0, 0.5, 30.0, 40.0])
def test_bce_with_logits_second_derivative_is_s_times_one_minus_s(z):
    # d2L/dz2 = s(z) (1 - s(z)), through backward(create_graph=True).
    logit = Value(z)
    bce_with_logits(logit, 1.0).backward(create_graph=True)
    slope = logit.grad
    logit.grad = 0.0
    slope.backward()
    s = 1 / (1 + math.exp(-z))
    assert logit.grad == pytest.approx(s * (1 - s), rel=1e-12)


@given(logit_lists)
def test_softmax_is_a_probability_distribution_for_any_scores(scores):
    probs = [p.data for p in softmax(scores)]
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)
    assert probs[scores.index(max(scores))] == max(probs)


@given(logit_lists, st.floats(-1e3, 1e3, allow_nan=False))
def test_softmax_does_not_change_when_every_score_shifts(scores, shift):
    shifted = [s + shift for s in scores]
    assert [p.data for p in softmax(shifted)] == pytest.approx(
        [p.data for p in softmax(scores)], abs=1e-9)


@given(logit_lists, st.data())
def test_cross_entropy_is_finite_with_finite_gradients_for_any_scores(scores, data):
    target = data.draw(st.integers(0, len(scores) - 1))
    values = [Value(s) for s in scores]
    loss = cross_entropy(values, target)
    loss.backward()
    assert math.isfinite(loss.data) and loss.data >= 0.0
    assert all(math.isfinite(v.grad) for v in values)
    assert sum(v.grad for v in values) == pytest.approx(0.0, abs=1e-12)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0, 1]))
def test_bce_with_logits_is_finite_and_nonnegative_for_any_logit(z, y):
    logit = Value(z)
    loss = bce_with_logits(logit, y)
    loss.backward()
    assert math.isfinite(loss.data) and loss.data >= 0.0
    assert -1.0 <= logit.grad <= 1.0


# ---------------------------------------------------------------- gradcheck

@given(st.lists(moderate, min_size=3, max_size=3), st.integers(0, 2))
def test_cross_entropy_passes_gradcheck(scores, target):
    assert gradcheck(lambda *s: cross_entropy(list(s), target), *scores, rtol=1e-4, atol=1e-7)


@given(st.lists(moderate, min_size=3, max_size=3), st.integers(0, 2))
def test_log_softmax_passes_gradcheck(scores, k):
    assert gradcheck(lambda *s: log_softmax(list(s))[k], *scores, rtol=1e-4, atol=1e-7)


@given(st.lists(moderate, min_size=3, max_size=3), st.integers(0, 2))
def test_softmax_passes_gradcheck(scores, k):
    assert gradcheck(lambda *s: softmax(list(s))[k], *scores, rtol=1e-4, atol=1e-7)


@given(st.lists(moderate, min_size=3, max_size=3), st.integers(0, 2))
def test_multiclass_hinge_passes_gradcheck_away_from_its_kinks(scores, target):
    assume(all(abs(s - scores[target] + 1.0) > 1e-3
               for j, s in enumerate(scores) if j != target))
    assert gradcheck(lambda *s: hinge_loss(list(s), target), *scores, atol=1e-6)


@given(moderate, st.sampled_from([-1, 1]))
def test_binary_hinge_passes_gradcheck_away_from_its_kink(score, y):
    assume(abs(1.0 - y * score) > 1e-3)
    assert gradcheck(lambda s: hinge_loss(s, y), score, atol=1e-6)


@given(moderate, st.floats(0, 1))
def test_bce_with_logits_passes_gradcheck(z, y):
    assert gradcheck(lambda s: bce_with_logits(s, y), z, rtol=1e-4, atol=1e-7)


@given(st.floats(0.01, 0.99), st.floats(0, 1))
def test_binary_cross_entropy_passes_gradcheck(p, y):
    assert gradcheck(lambda q: binary_cross_entropy(q, y), p, rtol=1e-4, atol=1e-7)


@given(moderate, moderate, moderate)
def test_mse_loss_passes_gradcheck_in_prediction_and_target(pred, target, other):
    assert gradcheck(lambda a, b: mse_loss(a, b), pred, target, rtol=1e-4, atol=1e-6)
    assert gradcheck(lambda a, b: mse_loss([a, b], [target, other]), pred, other,
                     rtol=1e-4, atol=1e-6)


@given(st.lists(moderate, min_size=1, max_size=4))
def test_l1_and_l2_penalties_pass_gradcheck(ws):
    assume(all(abs(w) > 1e-3 for w in ws))
    assert gradcheck(lambda *p: l2_penalty(p), *ws, rtol=1e-4, atol=1e-6)
    assert gradcheck(lambda *p: l1_penalty(p), *ws, atol=1e-6)


# ---------------------------------------------------------------- bad input

def test_class_index_out_of_range_is_refused():
    with pytest.raises(ValueError, match="not a class index 0..2"):
        cross_entropy(CAT_IMAGE, 3)
    with pytest.raises(ValueError, match="not a class index"):
        hinge_loss(CAT_IMAGE, -1)


def test_class_index_must_be_an_integer():
    with pytest.raises(TypeError, match="int index"):
        cross_entropy(CAT_IMAGE, "cat")
    with pytest.raises(ValueError, match="not a class index"):
        cross_entropy(CAT_IMAGE, True)
    assert cross_entropy(CAT_IMAGE, 0.0).data == cross_entropy(CAT_IMAGE, 0).data


def test_binary_hinge_with_a_0_1_label_says_how_to_convert():
    with pytest.raises(ValueError, match=r"2 \* y - 1"):
        hinge_loss(0.5, 0)


def test_a_single_score_is_refused_where_a_list_of_scores_is_needed():
    with pytest.raises(TypeError, match="list of class scores"):
        cross_entropy(Value(1.0), 0)
    with pytest.raises(TypeError, match="list of class scores"):
        softmax(2.0)
    with pytest.raises(ValueError, match="at least 2"):
        cross_entropy([1.0], 0)


def test_non_numbers_are_refused_with_the_loss_name():
    with pytest.raises(TypeError, match="softmax takes Values or numbers, got str"):
        softmax(["a", "b"])
    with pytest.raises(TypeError, match="mse_loss"):
        mse_loss(1.0, "2")
    with pytest.raises(TypeError, match="l2_penalty takes Values"):
        l2_penalty([1.0, 2.0])


def test_mse_loss_of_vectors_of_different_lengths_is_refused():
    with pytest.raises(ValueError, match="as many targets as predictions"):
        mse_loss([1.0, 2.0], [1.0])


def test_mse_loss_of_a_list_against_a_single_target_says_how_many_of_each():
    with pytest.raises(ValueError, match="got 2 predictions and one target"):
        mse_loss([Value(1.0), Value(2.0)], 1.0)
    with pytest.raises(ValueError, match="got one prediction and 2 targets"):
        mse_loss(Value(1.0), [1.0, 2.0])


@pytest.mark.parametrize("p", [1.5, -0.25, Value(1.5), 2])
def test_binary_cross_entropy_refuses_a_number_that_is_not_a_probability(p):
    with pytest.raises(ValueError, match=r"takes a probability p in \[0, 1\].*use bce_with_logits"):
        binary_cross_entropy(p, 1)


def test_binary_cross_entropy_of_a_score_points_to_bce_with_logits():
    with pytest.raises(ValueError) as error:
        binary_cross_entropy(1.5, 1)
    assert str(error.value) == ("binary_cross_entropy takes a probability p in [0, 1], got 1.5; "
                                "for a score (an MLP's linear output) use bce_with_logits")


# ---------------------------------------------------------------- targets of binary cross-entropy

@pytest.mark.parametrize("loss, prediction", [(bce_with_logits, 2.0),
                                              (binary_cross_entropy, 0.8)],
                         ids=["bce_with_logits", "binary_cross_entropy"])
@pytest.mark.parametrize("target", [5, -1, 1.5, -0.01, math.nan, math.inf, Value(-1.0)],
                         ids=repr)
def test_a_binary_target_outside_0_1_is_refused_with_a_pointer_to_hinge_loss(loss, prediction,
                                                                              target):
    with pytest.raises(ValueError) as refusal:
        loss(prediction, target)
    message = str(refusal.value)
    assert "target y in [0, 1]" in message and "hinge_loss" in message and "-1/+1" in message


@pytest.mark.parametrize("target", [0, 1, 0.0, 1.0, 0.25, Value(0.7)], ids=repr)
def test_binary_targets_in_0_1_are_accepted(target):
    y = target.data if isinstance(target, Value) else target
    assert bce_with_logits(0.5, target).data == pytest.approx(
        math.log1p(math.exp(0.5)) - y * 0.5, rel=1e-12)
    assert binary_cross_entropy(0.6, target).data == pytest.approx(
        -y * math.log(0.6) - (1 - y) * math.log(0.4), rel=1e-12)


def test_bce_with_logits_gives_no_negative_loss_for_5_anymore():
    with pytest.raises(ValueError, match="got 5"):
        bce_with_logits(2.0, 5)


def test_fit_with_bce_and_plus_minus_one_labels_stops_before_training():
    from nn import MLP, SGD, fit

    model = MLP(2, [2, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="hinge_loss"):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], loss=bce_with_logits,
            optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    assert [p.data for p in model.parameters()] == before
