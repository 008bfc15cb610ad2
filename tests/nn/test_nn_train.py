"""Training: fit's three kinds of gradient descent, history, accuracy conventions, progress,
and the perceptron as the contrast: XOR solved by an MLP, never by the perceptron."""

from __future__ import annotations

import sys

import pytest

from autograd import Value
from nn import (
    MLP,
    SGD,
    Adam,
    History,
    Neuron,
    Perceptron,
    accuracy,
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    data,
    fit,
    hinge_loss,
    l2_penalty,
    mse_loss,
)


class CountingSGD(SGD):
    """SGD that counts its steps."""

    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


def moons(n: int = 40, seed: int = 0):
    X, y = data.make_moons(n, noise=0.1, seed=seed)
    return X, [2 * t - 1 for t in y]


# ---------------------------------------------------------------- gradient descent variants

@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (40, 1), (16, 3), (1, 40)])
def test_batch_size_picks_full_batch_minibatch_or_stochastic_descent(batch_size, steps_per_epoch):
    X, y = moons()
    model = MLP(2, [4, 1], seed=0)
    opt = CountingSGD(model.parameters(), lr=0.01)
    fit(model, X, y, loss=hinge_loss, optimizer=opt, epochs=2, batch_size=batch_size, seed=0,
        progress=False)
    assert opt.steps == 2 * steps_per_epoch


def test_one_full_batch_epoch_is_one_step_on_the_mean_loss_plus_regularization():
    X, y = moons(12)
    model = MLP(2, [3, 1], seed=1)
    twin = MLP(2, [3, 1], seed=1)
    # By hand: L = (1/N) sum_i max(0, 1 - y_i s_i) + lam * sum w^2, then w <- w - lr dL/dw.
    objective = sum((hinge_loss(twin(x), t) for x, t in zip(X, y)), Value(0.0)) / len(X)
    objective = objective + 1e-3 * l2_penalty(twin.parameters())
    objective.backward()
    expected = [p.data - 0.5 * p.grad for p in twin.parameters()]
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.5),
                  epochs=1, l2=1e-3, progress=False)
    assert history.loss == [pytest.approx(objective.data, rel=1e-12)]
    assert [p.data for p in model.parameters()] == pytest.approx(expected, rel=1e-12)


def test_l1_regularization_adds_lambda_times_the_sum_of_magnitudes():
    X, y = moons(10)
    model = MLP(2, [3, 1], seed=2)
    plain = MLP(2, [3, 1], seed=2)
    l1 = sum(abs(p.data) for p in model.parameters())
    with_l1 = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.0),
                  epochs=1, l1=0.01, progress=False)
    without = fit(plain, X, y, loss=hinge_loss, optimizer=SGD(plain.parameters(), lr=0.0),
                  epochs=1, progress=False)
    assert with_l1.loss[0] == pytest.approx(without.loss[0] + 0.01 * l1, rel=1e-12)


class RecordingMLP(MLP):
    """An MLP that records every example it is called on."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[tuple[float, ...]] = []

    def __call__(self, x):
        self.seen.append(tuple(x))
        return super().__call__(x)


def test_fit_draws_a_new_order_every_epoch_and_a_seed_repeats_it():
    X = [[float(i), -float(i)] for i in range(10)]
    y = [1 if i % 2 else -1 for i in range(10)]

    def orders(seed: int) -> list[list[tuple[float, ...]]]:
        model = RecordingMLP(2, [2, 1], seed=0)
        fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.0), epochs=3,
            batch_size=3, seed=seed, progress=False)
        return [model.seen[k * 10:(k + 1) * 10] for k in range(3)]

    epochs = orders(seed=7)
    examples = sorted(tuple(x) for x in X)
    assert all(sorted(epoch) == examples for epoch in epochs)  # each epoch: every example once
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2] and epochs[0] != epochs[2]
    assert epochs[0] != sorted(epochs[0])  # shuffled, not in the given order
    assert orders(seed=7) == epochs


def test_minibatch_history_is_the_mean_loss_plus_penalty_and_the_accuracy_of_every_example():
    # With lr = 0 the weights never move, so the epoch's numbers can be computed directly:
    # the mean of the 10 per-example losses plus the penalty, whatever the batches (3, 3, 3, 1).
    X, y = moons(10)
    model = MLP(2, [3, 1], seed=5)
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.0),
                  epochs=1, batch_size=3, l2=0.01, seed=0, progress=False)
    mean_loss = sum(hinge_loss(model(x), t).data for x, t in zip(X, y)) / len(X)
    penalty = 0.01 * sum(p.data ** 2 for p in model.parameters())
    assert history.loss == [pytest.approx(mean_loss + penalty, rel=1e-12)]
    assert history.accuracy == [accuracy(model, X, y)]
    assert 0.0 < history.accuracy[0] < 1.0  # a number that can be told apart from a batch's


def test_test_loss_includes_the_penalty_as_the_training_loss_does():
    X, y = moons(12)
    X_test, y_test = moons(6, seed=3)
    model = MLP(2, [3, 1], seed=2)
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.0),
                  epochs=1, l1=0.02, test=(X_test, y_test), progress=False)
    mean_loss = sum(hinge_loss(model(x), t).data for x, t in zip(X_test, y_test)) / 6
    penalty = 0.02 * sum(abs(p.data) for p in model.parameters())
    assert history.test_loss == [pytest.approx(mean_loss + penalty, rel=1e-12)]


def test_fit_with_the_same_seeds_repeats_exactly():
    def train():
        X, y = moons()
        model = MLP(2, [6, 1], seed=4)
        fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
            epochs=3, batch_size=8, seed=11, progress=False)
        return [p.data for p in model.parameters()]
    assert train() == train()


def test_lr_schedule_sets_the_learning_rate_before_each_epoch():
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    seen = []

    class Recorder(SGD):
        def step(self) -> None:
            seen.append(self.lr)
            super().step()

    opt = Recorder(model.parameters(), lr=1.0)
    fit(model, X, y, loss=hinge_loss, optimizer=opt, epochs=4,
        lr_schedule=lambda k: 1.0 - 0.9 * k / 4, progress=False)
    assert seen == pytest.approx([1.0, 0.775, 0.55, 0.325])


# ---------------------------------------------------------------- history and accuracy

def test_history_records_loss_and_accuracy_per_epoch_and_the_test_split():
    X, y = moons(40)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X_train, y_train, loss=hinge_loss,
                  optimizer=SGD(model.parameters(), lr=0.1), epochs=5, test=(X_test, y_test),
                  progress=False)
    assert history.epochs == 5
    assert all(len(v) == 5 for v in (history.loss, history.accuracy, history.test_loss,
                                     history.test_accuracy))
    assert all(0.0 <= a <= 1.0 for a in history.accuracy + history.test_accuracy)
    assert history.test_accuracy[-1] == accuracy(model, X_test, y_test)


def test_history_repr_reads_as_a_summary():
    history = History(loss=[0.9, 0.5, 0.1234567], accuracy=[0.5, 0.75, 1.0])
    assert repr(history) == ("History(3 epochs: loss 0.9 -> 0.1235, accuracy 50.0% -> 100.0%)")
    assert repr(History()) == "History(0 epochs)"


def test_accuracy_of_single_scores_uses_the_sign_for_minus_one_plus_one_labels():
    scores = iter([Value(0.3), Value(-2.0), Value(0.0), Value(5.0)])
    assert accuracy(lambda x: next(scores), [[0]] * 4, [1, -1, 1, -1]) == 0.5


def test_accuracy_of_single_scores_works_with_zero_one_labels():
    scores = iter([0.3, -2.0, 1.0])
    assert accuracy(lambda x: next(scores), [[0]] * 3, [1, 0, 0]) == pytest.approx(2 / 3)


def test_accuracy_of_k_scores_is_argmax_against_the_class_index():
    outputs = iter([[0.1, 2.0, -1.0], [3.0, 0.0, 0.0]])
    assert accuracy(lambda x: next(outputs), [[0]] * 2, [1, 2]) == 0.5


def test_a_one_element_list_counts_as_a_single_score():
    outputs = iter([[Value(0.4)], [Value(-0.4)]])
    assert accuracy(lambda x: next(outputs), [[0]] * 2, [1, 1]) == 0.5


def test_binary_cross_entropy_training_thresholds_probabilities_at_one_half():
    # A sigmoid neuron outputs probabilities; "auto" accuracy thresholds them at 0.5.
    X, y = data.make_blobs(40, centers=[[-2.0, 0.0], [2.0, 0.0]], std=0.5, seed=0)
    neuron = Neuron(2, "sigmoid", seed=0)
    history = fit(neuron, X, y, loss=binary_cross_entropy,
                  optimizer=SGD(neuron.parameters(), lr=0.5), epochs=30, progress=False)
    assert history.accuracy[-1] == 1.0
    assert accuracy(neuron, X, y, threshold=0.5) == 1.0


def test_mse_training_is_regression_and_records_no_accuracy():
    X, y = data.make_regression_1d(20, fn=lambda v: 0.5 * v - 0.2, x_range=(-1, 1), seed=0)
    model = MLP(1, [1], seed=0)  # one linear unit: y = w x + b
    history = fit(model, X, y, loss=mse_loss, optimizer=SGD(model.parameters(), lr=0.3),
                  epochs=150, progress=False)
    assert history.accuracy == []
    assert history.loss[-1] < 1e-6
    w, b = (p.data for p in model.parameters())
    assert (w, b) == (pytest.approx(0.5, abs=1e-3), pytest.approx(-0.2, abs=1e-3))


def test_accuracy_can_be_switched_off():
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1),
                  epochs=1, accuracy=False, progress=False)
    assert history.accuracy == []


# ---------------------------------------------------------------- what an MLP learns

def test_mlp_learns_two_moons():
    X, y = moons(60, seed=1)
    model = MLP(2, [16, 16, 1], seed=0)
    history = fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.5),
                  epochs=40, l2=1e-4, lr_schedule=lambda k: 0.5 - 0.4 * k / 40, progress=False)
    assert accuracy(model, X, y) >= 0.95
    assert history.loss[-1] < history.loss[0] / 3


def test_mlp_learns_k_way_blobs_with_cross_entropy_and_minibatches():
    X, y = data.make_blobs(60, centers=3, std=0.5, seed=2)
    model = MLP(2, [8, 3], seed=0)
    fit(model, X, y, loss=cross_entropy, optimizer=Adam(model.parameters(), lr=0.05),
        epochs=15, batch_size=10, seed=0, progress=False)
    assert accuracy(model, X, y) >= 0.95


def test_mlp_solves_xor():
    X, y = data.make_xor()
    model = MLP(2, [8, 1], seed=0)
    fit(model, X, y, loss=bce_with_logits, optimizer=Adam(model.parameters(), lr=0.05),
        epochs=150, progress=False)
    assert accuracy(model, X, y) == 1.0


def test_perceptron_never_solves_xor():
    X, y = data.make_xor()
    perceptron = Perceptron(2)
    mistakes = perceptron.fit(X, y, epochs=100)
    assert len(mistakes) == 100 and min(mistakes) > 0
    assert accuracy(perceptron, X, y) < 1.0


@pytest.mark.parametrize("labels", [[0, 0, 0, 1], [0, 1, 1, 1]], ids=["AND", "OR"])
def test_perceptron_learns_linearly_separable_and_or(labels):
    X, _ = data.make_xor()
    perceptron = Perceptron(2)
    mistakes = perceptron.fit(X, labels, epochs=100)
    assert mistakes[-1] == 0 and len(mistakes) < 100
    assert [perceptron(x) for x in X] == [1 if t else -1 for t in labels]


def test_perceptron_rule_updates_w_by_lr_times_error_times_x():
    # Notes 003: h(x) = sign(w.x + b) with sign(0) = +1. From w = 0: h = +1, so the -1
    # example is a mistake: w <- w + lr (y - y_hat) x = 0.5 * (-2) * (2, 3) = (-2, -3).
    perceptron = Perceptron(2)
    assert perceptron([2.0, 3.0]) == 1
    perceptron.fit([[2.0, 3.0]], [-1], epochs=1, lr=0.5)
    assert [w.data for w in perceptron.w] == [-2.0, -3.0]
    assert perceptron.b.data == -1.0


def test_perceptron_takes_minus_one_plus_one_or_zero_one_labels_alike():
    X, y = data.make_blobs(30, centers=[[-2.0, -1.0], [2.0, 1.0]], std=0.3, seed=0)
    a, b = Perceptron(2), Perceptron(2)
    assert a.fit(X, y) == b.fit(X, [2 * t - 1 for t in y])
    assert [w.data for w in a.parameters()] == [w.data for w in b.parameters()]


def test_perceptron_refuses_text_inputs_with_a_type_error():
    with pytest.raises(TypeError, match="list of 2 inputs per example, got str"):
        Perceptron(2)("ab")
    with pytest.raises(TypeError, match="numbers or Values as inputs, got str"):
        Perceptron(2)(["a", "b"])


def test_perceptron_fit_checks_every_example_before_changing_a_weight():
    # The first example is a mistake (sign(0) = +1 but y = -1), the third has 3 inputs: nothing
    # may be learnt from the first before the third is found wrong.
    perceptron = Perceptron(2)
    with pytest.raises(ValueError, match="takes 2 inputs per example, got 3"):
        perceptron.fit([[1.0, 1.0], [0.0, 1.0], [1.0, 2.0, 3.0]], [-1, 1, 1])
    assert [p.data for p in perceptron.parameters()] == [0.0, 0.0, 0.0]


def test_perceptron_refuses_other_labels():
    with pytest.raises(ValueError, match="-1/\\+1 or 0/1"):
        Perceptron(2).fit([[0.0, 0.0]] * 3, [0, 1, 2])


# ---------------------------------------------------------------- progress

def test_progress_false_prints_nothing(capsys):
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=2,
        progress=False)
    assert capsys.readouterr() == ("", "")


def test_progress_is_silent_by_default_when_not_interactive(capsys):
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=2)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_shows_loss_and_accuracy_on_stderr(capsys):
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=3,
        progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "3/3" in err and "loss=" in err and "acc=" in err


def test_progress_without_tqdm_prints_plain_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    X, y = moons(8)
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, loss=hinge_loss, optimizer=SGD(model.parameters(), lr=0.1), epochs=20,
        progress=True)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("epoch 20/20: loss ")


# ---------------------------------------------------------------- bad input

def test_a_perceptron_cannot_be_fitted_by_gradient_descent():
    perceptron = Perceptron(2)
    with pytest.raises(TypeError, match="perceptron.fit"):
        fit(perceptron, [[0.0, 1.0]], [1], loss=hinge_loss,
            optimizer=SGD(perceptron.parameters(), lr=0.1), progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"X": [[0.0, 0.0]] * 3, "y": [1, -1]}, ValueError, "one label per example"),
    ({"X": [], "y": []}, ValueError, "empty"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"optimizer": "sgd"}, TypeError, "optimizer"),
    ({"loss": "hinge"}, TypeError, "loss"),
    ({"test": ([[0.0, 0.0]], [1, 1])}, ValueError, "test set"),
    ({"test": [[0.0, 0.0]]}, ValueError, "pair"),
    ({"accuracy": "yes"}, ValueError, "accuracy"),
    ({"l1": -0.1}, ValueError, "l1"),
    ({"l2": float("nan")}, ValueError, "l2"),
    ({"l2": float("inf")}, ValueError, "l2"),
    ({"l1": "0.1"}, ValueError, "l1"),
    ({"l2": True}, ValueError, "l2"),
    ({"lr_schedule": 0.1}, TypeError, "lr_schedule must be a function"),
])
def test_bad_fit_arguments_are_refused(kwargs, error, message):
    model = MLP(2, [2, 1], seed=0)
    arguments = {"X": [[0.0, 0.0], [1.0, 1.0]], "y": [1, -1], "loss": hinge_loss,
                 "optimizer": SGD(model.parameters(), lr=0.1), "progress": False}
    arguments.update(kwargs)
    X, y = arguments.pop("X"), arguments.pop("y")
    with pytest.raises(error, match=message):
        fit(model, X, y, **arguments)



class StartCounter(SGD):
    """SGD that records whether any step was taken."""

    stepped = False

    def step(self) -> None:
        self.stepped = True
        super().step()


@pytest.mark.parametrize("kwargs", [{"l2": -1.0}, {"lr_schedule": "cosine"}])
def test_bad_fit_arguments_are_refused_before_any_training(kwargs):
    # The bad value would only be used later (at the first penalty or epoch 0's schedule):
    # it must be refused before a single step changes the model.
    model = MLP(2, [2, 1], seed=0)
    before = [p.data for p in model.parameters()]
    opt = StartCounter(model.parameters(), lr=0.1)
    with pytest.raises((TypeError, ValueError)):
        fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], loss=hinge_loss, optimizer=opt,
            epochs=2, progress=False, **kwargs)
    assert not opt.stepped and [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("model", [lambda x: x[0], "mlp", MLP], ids=["function", "str", "class"])
def test_fit_refuses_a_model_that_is_not_a_module(model):
    opt = SGD(MLP(2, [1], seed=0).parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"model must be an nn Module .*parameters\(\)"):
        fit(model, [[0.0, 1.0]], [1], loss=hinge_loss, optimizer=opt, progress=False)


def test_fit_refuses_an_optimizer_holding_none_of_the_models_parameters():
    model, other = MLP(2, [2, 1], seed=0), MLP(2, [2, 1], seed=1)
    with pytest.raises(ValueError) as error:
        fit(model, [[0.0, 1.0]], [1], loss=hinge_loss, optimizer=SGD(other.parameters(), lr=0.1),
            progress=False)
    assert str(error.value) == ("the optimizer holds none of this model's parameters: build it "
                                "with nn.SGD(model.parameters(), ...)")


def test_an_optimizer_holding_some_of_the_parameters_trains_only_those():
    model = MLP(2, [2, 1], seed=0)
    head = model.layers[-1].parameters()
    body = [p.data for p in model.layers[0].parameters()]
    fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], loss=hinge_loss,
        optimizer=SGD(head, lr=0.1), epochs=2, progress=False)
    assert [p.data for p in model.layers[0].parameters()] == body


def test_fit_refuses_a_loss_that_returns_a_plain_number():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError) as error:
        fit(model, [[0.0, 1.0]], [1], loss=lambda pred, t: (pred.data - t) ** 2,
            optimizer=SGD(model.parameters(), lr=0.1), progress=False)
    assert str(error.value) == "loss must return a Value computed from the prediction, got float"
