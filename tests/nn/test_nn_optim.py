"""Optimizers: PyTorch's update rules, checked against sequences computed by hand."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import MLP, SGD, Adam, l2_penalty


def run(optimizer_factory, grads, start=1.0):
    """Apply one step per gradient in ``grads`` (set by hand) to one parameter; its values."""
    p = Value(start)
    opt = optimizer_factory([p])
    seen = []
    for g in grads:
        p.grad = g
        opt.step()
        seen.append(p.data)
    return seen


GRADS = [0.5, -0.2, 0.1]


def test_sgd_steps_against_the_gradient():
    assert run(lambda ps: SGD(ps, lr=0.1), GRADS) == pytest.approx(
        [1.0 - 0.05, 1.0 - 0.05 + 0.02, 1.0 - 0.05 + 0.02 - 0.01], rel=1e-15)


def test_sgd_momentum_buffer_starts_as_the_first_gradient():
    # PyTorch: b1 = g1; b_t = mu b_{t-1} + g_t; p <- p - lr b_t.
    b1 = 0.5
    b2 = 0.9 * b1 - 0.2
    b3 = 0.9 * b2 + 0.1
    expected = [1.0 - 0.1 * b1, 1.0 - 0.1 * (b1 + b2), 1.0 - 0.1 * (b1 + b2 + b3)]
    assert expected == pytest.approx([0.95, 0.925, 0.8925])
    assert run(lambda ps: SGD(ps, lr=0.1, momentum=0.9), GRADS) == pytest.approx(
        expected, rel=1e-12)


def test_sgd_dampening_scales_new_gradients_after_the_first_step():
    b1 = 0.5
    b2 = 0.9 * b1 + (1 - 0.5) * -0.2
    assert run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.5), GRADS[:2]) == \
        pytest.approx([1.0 - 0.1 * b1, 1.0 - 0.1 * (b1 + b2)], rel=1e-12)


def test_sgd_nesterov_steps_with_the_gradient_plus_momentum_times_buffer():
    b1 = 0.5
    p1 = 1.0 - 0.1 * (0.5 + 0.9 * b1)
    b2 = 0.9 * b1 - 0.2
    p2 = p1 - 0.1 * (-0.2 + 0.9 * b2)
    assert run(lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True), GRADS[:2]) == \
        pytest.approx([p1, p2], rel=1e-12)


def test_sgd_weight_decay_adds_decay_times_parameter_to_the_gradient():
    p1 = 1.0 - 0.1 * (0.5 + 0.01 * 1.0)
    p2 = p1 - 0.1 * (-0.2 + 0.01 * p1)
    assert run(lambda ps: SGD(ps, lr=0.1, weight_decay=0.01), GRADS[:2]) == \
        pytest.approx([p1, p2], rel=1e-12)


def test_sgd_weight_decay_equals_an_l2_penalty_of_half_its_strength():
    w_decay, w_penalty = Value(0.8), Value(0.8)
    SGD([w_decay], lr=0.1, weight_decay=0.02).step()       # grad 0 + 0.02 * w
    (0.01 * l2_penalty([w_penalty])).backward()            # grad 2 * 0.01 * w
    SGD([w_penalty], lr=0.1).step()
    assert w_decay.data == pytest.approx(w_penalty.data, rel=1e-15)


def sgd_reference(starts, grads, lrs, momentum, dampening, nesterov, weight_decay):
    """PyTorch's published SGD algorithm (torch.optim.SGD docs), one buffer b per parameter:

        g_t = grad + weight_decay * theta_{t-1}
        b_t = g_t                                     for t = 1
        b_t = momentum * b_{t-1} + (1 - dampening) g_t  for t > 1
        g_t = g_t + momentum * b_t  if nesterov  else  b_t
        theta_t = theta_{t-1} - lr_t * g_t
    """
    thetas, buffers, history = list(starts), [None] * len(starts), []
    for lr, step_grads in zip(lrs, grads):
        for i, grad in enumerate(step_grads):
            g = grad + weight_decay * thetas[i]
            if buffers[i] is None:
                buffers[i] = g
            else:
                buffers[i] = momentum * buffers[i] + (1 - dampening) * g
            g = g + momentum * buffers[i] if nesterov else buffers[i]
            thetas[i] = thetas[i] - lr * g
        history.append(list(thetas))
    return history


@pytest.mark.parametrize("options", [
    {"momentum": 0.9, "dampening": 0.3, "nesterov": False, "weight_decay": 0.05},
    {"momentum": 0.8, "dampening": 0.0, "nesterov": True, "weight_decay": 0.1},
], ids=["momentum-dampening", "nesterov"])
def test_sgd_matches_pytorchs_algorithm_for_several_parameters_over_eight_steps(options):
    starts = [1.0, -2.0, 0.5]
    # Different gradients per parameter and per step, and a learning rate changed every step.
    grads = [[0.5 - 0.1 * t, 0.2 * (-1) ** t, 0.05 * t * t] for t in range(8)]
    lrs = [0.1, 0.05, 0.2, 0.02, 0.15, 0.1, 0.0, 0.3]
    params = [Value(v) for v in starts]
    opt = SGD(params, lr=lrs[0], **options)
    seen = []
    for lr, step_grads in zip(lrs, grads):
        opt.lr = lr
        for p, g in zip(params, step_grads):
            p.grad = g
        opt.step()
        seen.append([p.data for p in params])
    expected = sgd_reference(starts, grads, lrs, **options)
    assert len(seen) == 8
    for got, want in zip(seen, expected):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-15)


def adam_reference(grads, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, decay=0.0, p=1.0):
    """Kingma and Ba's algorithm, written out: bias-corrected moments m_hat, v_hat."""
    m = v = 0.0
    values = []
    for t, g in enumerate(grads, start=1):
        g = g + decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        values.append(p)
    return values


def test_adam_matches_the_published_algorithm():
    assert run(lambda ps: Adam(ps, lr=0.1), GRADS) == pytest.approx(
        adam_reference(GRADS), rel=1e-12)


def test_adam_first_step_moves_by_the_learning_rate_whatever_the_gradient_scale():
    # Bias correction: m_hat = g, v_hat = g^2, so the first step is lr * g / |g|.
    for g in (1e-3, 0.5, 250.0):
        assert run(lambda ps: Adam(ps, lr=0.1), [g]) == pytest.approx([0.9], abs=1e-6)


def test_adam_with_weight_decay_and_other_betas_matches_the_reference():
    got = run(lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
              GRADS)
    assert got == pytest.approx(
        adam_reference(GRADS, lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6, decay=0.1), rel=1e-12)


def test_adam_hand_computed_second_step():
    # t = 1: m = 0.05, v = 0.00025 -> p = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    # t = 2: m = 0.045 - 0.02 = 0.025, v = 0.999 * 0.00025 + 0.001 * 0.04 = 0.00028975
    p1 = 1 - 0.1 * 0.5 / (0.5 + 1e-8)
    p2 = p1 - 0.1 * (0.025 / 0.19) / (math.sqrt(0.00028975 / (1 - 0.999 ** 2)) + 1e-8)
    assert run(lambda ps: Adam(ps, lr=0.1), GRADS[:2]) == pytest.approx([p1, p2], rel=1e-12)


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: Adam(ps, lr=0.1),
])
def test_the_learning_rate_can_change_between_steps(make):
    p = Value(1.0)
    opt = make([p])
    p.grad = 1.0
    opt.step()
    before = p.data
    opt.lr = 0.0
    opt.step()
    assert p.data == before
    assert opt.lr == 0.0


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
])
def test_updates_build_no_graph_and_keep_the_same_parameter_objects(make):
    w = Value(2.0, label="w")
    opt = make([w])
    (w * w).backward()
    opt.step()
    assert opt.params[0] is w
    assert (w.op, w.parents, type(w.data)) == ("", (), float)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.2)])
def test_optimizers_minimize_a_quadratic(make):
    target = [3.0, -1.0, 0.5]
    ws = [Value(0.0) for _ in target]
    opt = make(ws)
    for _ in range(300):
        opt.zero_grad()
        loss = sum(((w - t) ** 2 for w, t in zip(ws, target)), Value(0.0))
        loss.backward()
        opt.step()
    assert [w.data for w in ws] == pytest.approx(target, abs=1e-3)


def test_zero_grad_clears_every_parameter_gradient():
    ws = [Value(1.0), Value(2.0)]
    opt = SGD(ws, lr=0.1)
    for w in ws:
        w.grad = 3.0
    opt.zero_grad()
    assert [w.grad for w in ws] == [0.0, 0.0]


def test_gradients_that_are_values_are_used_by_their_number():
    w = Value(2.0)
    (w ** 3).backward(create_graph=True)
    assert isinstance(w.grad, Value)
    SGD([w], lr=0.01).step()
    assert w.data == pytest.approx(2.0 - 0.01 * 12.0)


def test_parameters_may_be_given_as_a_generator():
    ws = [Value(1.0), Value(2.0)]
    assert SGD((w for w in ws), lr=0.1).params == ws


@pytest.mark.parametrize("make, error, message", [
    (lambda: SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: SGD(Value(1.0), lr=0.1), TypeError, "single Value"),
    (lambda: SGD([1.0], lr=0.1), TypeError, "SGD takes Values"),
    (lambda: SGD([Value(1.0)], lr=-1.0), ValueError, "lr"),
    (lambda: SGD([Value(1.0)], lr=float("nan")), ValueError, "lr"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=-0.5), ValueError, "momentum"),
    (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "nesterov"),
    (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, "beta2"),
    (lambda: Adam([Value(1.0)], betas=0.9), ValueError, "pair"),
    (lambda: Adam([Value(1.0)], eps=-1e-8), ValueError, "eps"),
])
def test_bad_optimizer_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_passing_the_model_instead_of_its_parameters_says_what_to_pass(optimizer):
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match=r"pass model\.parameters\(\), not the model"):
        optimizer(model, lr=0.1)


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_parameters_that_are_not_iterable_are_refused_with_what_to_pass(optimizer):
    with pytest.raises(TypeError, match=r"iterable of Values such as model\.parameters\(\), "
                                        r"got float"):
        optimizer(0.5, lr=0.1)


def test_a_parameter_listed_twice_is_refused():
    w = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        Adam([w, w])


def test_setting_a_bad_learning_rate_later_is_refused():
    opt = SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = "fast"
    assert opt.lr == 0.1


# ---------------------------------------------------------------- hyperparameters refused at once

@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=math.inf), "lr"),
    (lambda p: SGD(p, lr=-math.inf), "lr"),
    (lambda p: SGD(p, lr=0.1, momentum=5), r"momentum must be a number in \[0, 1\)"),
    (lambda p: SGD(p, lr=0.1, momentum=1.0), "momentum"),
    (lambda p: SGD(p, lr=0.1, momentum=math.nan), "momentum"),
    (lambda p: SGD(p, lr=0.1, dampening=1.5), r"dampening must be a number in \[0, 1\]"),
    (lambda p: SGD(p, lr=0.1, dampening=-0.1), "dampening"),
    (lambda p: SGD(p, lr=0.1, weight_decay=math.inf), "weight_decay"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1e-4), "weight_decay"),
    (lambda p: Adam(p, lr=math.nan), "lr"),
    (lambda p: Adam(p, eps=0.0), "eps must be a finite number > 0"),
    (lambda p: Adam(p, eps=math.inf), "eps"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), "beta1"),
    (lambda p: Adam(p, betas=(-0.1, 0.999)), "beta1"),
    (lambda p: Adam(p, betas=(0.9, math.nan)), "beta2"),
    (lambda p: Adam(p, weight_decay=math.nan), "weight_decay"),
    (lambda p: SGD(p, lr="0.1"), "lr"),
    (lambda p: Adam(p, eps=True), "eps"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_hyperparameters_that_can_only_diverge_are_refused_when_constructed(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_the_refusal_says_what_the_hyperparameter_should_be_and_why():
    with pytest.raises(ValueError) as refusal:
        SGD([Value(1.0)], lr=0.1, momentum=5)
    assert str(refusal.value) == ("momentum must be a number in [0, 1), got 5 (the part of the "
                                  "last step kept; from 1 on, steps grow without end)")


@pytest.mark.parametrize("bad", [math.inf, math.nan, -0.5])
def test_a_learning_rate_set_later_is_checked_too(bad):
    opt = Adam([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = bad
    assert opt.lr == 0.1


@pytest.mark.parametrize("make", [
    lambda p: SGD(p, lr=0.0, momentum=0.0, dampening=1.0, weight_decay=0.0),
    lambda p: SGD(p, lr=10.0, momentum=0.999),
    lambda p: Adam(p, lr=0.0, betas=(0.0, 0.0), eps=1e-300),
], ids=["zeros", "large-but-fine", "adam-edges"])
def test_the_edges_of_every_range_are_accepted(make):
    p = Value(1.0)
    opt = make([p])
    p.grad = 0.5
    opt.step()
    assert math.isfinite(p.data)


# ---------------------------------------------------------------- "no gradient yet" (None)

@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.1, weight_decay=0.1),
], ids=["sgd", "sgd-momentum-decay", "adam-decay"])
def test_a_parameter_without_a_gradient_is_left_alone_by_step(make):
    frozen, trained = Value(1.0), Value(1.0)
    opt = make([frozen, trained])
    frozen.grad, trained.grad = None, 0.5
    opt.step()
    assert frozen.data == 1.0 and frozen.grad is None
    assert trained.data != 1.0


def test_sgd_momentum_starts_at_a_parameters_first_gradient_even_when_it_comes_late():
    # PyTorch keeps no buffer for a parameter until a step where it has a gradient: that step
    # starts its buffer at g, exactly like a first step.
    late, early = Value(1.0), Value(1.0)
    opt = SGD([late, early], lr=0.1, momentum=0.9)
    late.grad, early.grad = None, 0.5
    opt.step()
    late.grad = 0.5
    opt.step()
    assert late.data == pytest.approx(1.0 - 0.1 * 0.5, rel=1e-15)


def test_adam_counts_each_parameters_own_steps_for_bias_correction():
    # Skipped on step 1, a parameter's step 2 is its first: the same update a fresh Adam makes.
    late, other = Value(1.0), Value(1.0)
    opt = Adam([late, other], lr=0.1)
    late.grad, other.grad = None, 0.3
    opt.step()
    late.grad = 0.5
    opt.step()
    assert late.data == pytest.approx(run(lambda ps: Adam(ps, lr=0.1), [0.5])[0], rel=1e-15)
    assert opt.step_counts == [1, 2] and opt.t == 2
