"""One-versus-all and one-versus-one (notes 002): C or C(C-1)/2 binary classifiers trained on
the data relabelled exactly as the notes say, and their predictions, ties included."""

from __future__ import annotations

import pytest

import nn
from nn import SGD, History, Neuron, OneVsAll, OneVsOne

#: Five examples of three classes, each example its own index so relabelled sets can be read.
X5 = [[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]]
Y5 = [0, 1, 2, 0, 1]


def linear():
    return nn.MLP(2, [1], seed=0)


def constants(*scores: float):
    """make_model for classifiers that answer the same score whatever the input: linear neurons
    with zero weights and the score as bias (trained below with a learning rate of 0)."""
    models = []
    for score in scores:
        neuron = Neuron(2, "linear", seed=0)
        for w in neuron.w:
            w.data = 0.0
        neuron.b.data = score
        models.append(neuron)
    return iter(models).__next__


def frozen(reduction, X=X5, y=Y5):
    """Fit with a learning rate of 0: the classifiers keep the scores they were given."""
    reduction.fit(X, y, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.0),
                  epochs=1, progress=False)
    return reduction


# ---------------------------------------------------------------- the training sets

def test_one_vs_all_relabels_class_k_plus_one_and_every_other_example_minus_one():
    sets = OneVsAll(linear).training_sets(X5, Y5)
    assert list(sets) == [0, 1, 2]
    for k, (X_k, y_k) in sets.items():
        assert X_k == X5  # every example, in order
        assert y_k == [1 if label == k else -1 for label in Y5]
    assert sets[0][1] == [1, -1, -1, 1, -1]


def test_one_vs_one_keeps_only_the_two_classes_k_plus_one_and_k_prime_minus_one():
    sets = OneVsOne(linear).training_sets(X5, Y5)
    assert list(sets) == [(0, 1), (0, 2), (1, 2)]
    assert sets[(0, 1)] == ([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [4.0, 0.0]], [1, -1, 1, -1])
    assert sets[(0, 2)] == ([[0.0, 0.0], [2.0, 0.0], [3.0, 0.0]], [1, -1, 1])
    assert sets[(1, 2)] == ([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0]], [1, -1, 1])


def test_one_vs_one_trains_c_choose_2_classifiers_and_one_vs_all_c():
    y = [0, 1, 2, 3, 4] * 2
    X = [[float(i), 0.0] for i in range(10)]
    assert len(OneVsOne(linear).training_sets(X, y)) == 10
    assert len(OneVsAll(linear).training_sets(X, y)) == 5


def test_each_classifier_is_fitted_on_its_own_training_set(monkeypatch):
    seen = []

    def recording_fit(model, X, y, **options):
        seen.append((X, y))
        return History()

    monkeypatch.setattr("nn.multiclass.fit", recording_fit)
    ovo = OneVsOne(linear)
    ovo.fit(X5, Y5, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.1))
    assert seen == list(ovo.training_sets(X5, Y5).values())


def test_losses_that_take_probabilities_get_one_and_zero_instead_of_plus_and_minus_one(
        monkeypatch):
    seen = []
    monkeypatch.setattr("nn.multiclass.fit",
                        lambda model, X, y, **options: seen.append(y) or History())
    OneVsAll(linear).fit(X5, Y5, loss=nn.bce_with_logits,
                         optimizer=lambda params: SGD(params, lr=0.1))
    assert seen[0] == [1, 0, 0, 1, 0]


def test_each_classifier_is_a_fresh_model_with_an_optimizer_of_its_own():
    made, optimizers = [], []

    def make():
        made.append(linear())
        return made[-1]

    def optimizer(params):
        optimizers.append(SGD(params, lr=0.1))
        return optimizers[-1]

    ovo = OneVsOne(make)
    ovo.fit(X5, Y5, loss=nn.hinge_loss, optimizer=optimizer, epochs=1, progress=False)
    assert ovo.models == made and len(made) == 3
    assert [opt.params for opt in optimizers] == [m.parameters() for m in made]


def test_test_and_validation_sets_are_relabelled_per_classifier_like_the_training_set():
    ova = OneVsAll(linear)
    histories = ova.fit(X5, Y5, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.1),
                        epochs=4, test=(X5, Y5), validation=(X5, Y5), early_stopping=2,
                        progress=False)
    assert len(histories) == 3 and ova.histories == histories
    assert all(len(h.test_loss) == h.epochs and h.best_epoch for h in histories)


# ---------------------------------------------------------------- predictions

def test_one_vs_all_predicts_the_most_confident_classifier():
    ova = frozen(OneVsAll(constants(-0.5, 2.0, 0.7)))
    assert ova([0.0, 0.0]) == [-0.5, 2.0, 0.7]
    assert ova.predict([9.0, 9.0]) == 1


def test_one_vs_all_predicts_even_where_no_classifier_says_plus_one():
    assert frozen(OneVsAll(constants(-0.5, -2.0, -0.1))).predict([0.0, 0.0]) == 2


def test_one_vs_all_breaks_equal_margins_towards_the_lowest_class():
    assert frozen(OneVsAll(constants(-1.0, 3.0, 3.0))).predict([0.0, 0.0]) == 1


def test_one_vs_one_predicts_the_class_with_the_most_votes():
    # h(0,1) votes 1, h(0,2) votes 2, h(1,2) votes 1: class 1 has two votes.
    ovo = frozen(OneVsOne(constants(-1.0, -1.0, 5.0)))
    assert ovo.votes([0.0, 0.0]) == ([0, 2, 1], [-2.0, 6.0, -4.0])
    assert ovo.predict([0.0, 0.0]) == 1


def test_one_vs_one_breaks_a_tie_in_votes_by_confidence():
    # h(0,1) votes 0 (margin 1), h(0,2) votes 2 (margin -3), h(1,2) votes 1 (margin 0.5):
    # one vote each; confidences 0: 1 - 3 = -2, 1: -1 + 0.5 = -0.5, 2: 3 - 0.5 = 2.5.
    ovo = frozen(OneVsOne(constants(1.0, -3.0, 0.5)))
    votes, confidence = ovo.votes([0.0, 0.0])
    assert votes == [1, 1, 1] and confidence == [-2.0, -0.5, 2.5]
    assert ovo.predict([0.0, 0.0]) == 2


def test_one_vs_one_breaks_a_tie_in_votes_and_confidence_towards_the_lowest_class():
    ovo = frozen(OneVsOne(constants(1.0, -1.0, 1.0)))
    assert ovo.votes([0.0, 0.0]) == ([1, 1, 1], [0.0, 0.0, 0.0])
    assert ovo.predict([0.0, 0.0]) == 0


def test_one_vs_one_confidence_never_outweighs_a_vote():
    # Class 0 wins two votes by a hair; class 2's one vote is very confident.
    ovo = frozen(OneVsOne(constants(1e-9, 1e-9, -1e9)))
    votes, confidence = ovo.votes([0.0, 0.0])
    assert votes == [2, 0, 1] and confidence[2] > 1e8
    assert ovo.predict([0.0, 0.0]) == 0


def test_a_margin_of_exactly_zero_votes_for_the_second_class():
    ovo = frozen(OneVsOne(constants(0.0, 0.0, 0.0)))
    assert ovo.votes([0.0, 0.0])[0] == [0, 1, 2]


def test_a_probability_model_answers_plus_one_above_one_half():
    models = constants(0.6, 0.4)
    ovo = OneVsOne(models)
    ovo.fit([[0.0, 0.0], [1.0, 1.0]], [0, 1], loss=nn.binary_cross_entropy,
            optimizer=lambda params: SGD(params, lr=0.0), epochs=1, progress=False)
    assert ovo.votes([0.0, 0.0]) == ([1, 0], [pytest.approx(0.1), pytest.approx(-0.1)])


@pytest.mark.parametrize("reduction", [OneVsAll, OneVsOne])
def test_accuracy_and_decision_boundaries_work_on_the_reductions(reduction):
    X, y = nn.data.make_blobs(60, centers=[[-3.0, 0.0], [0.0, 3.0], [3.0, 0.0]], std=0.5,
                              seed=0)
    model = reduction(linear)
    model.fit(X, y, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.1),
              epochs=30, progress=False)
    accuracy = nn.accuracy(model, X, y)
    assert accuracy == sum(model.predict(x) == t for x, t in zip(X, y)) / len(X) > 0.95
    pytest.importorskip("matplotlib")
    assert nn.plot_decision_boundary(model, X, y, resolution=5) is not None


def test_one_vs_one_separates_three_classes_in_a_row_where_one_vs_all_cannot():
    # The middle class is no linearly separable "class k or not" problem (notes 002: one-versus-
    # all "can make a mistake as long as one of h_k errs"); every pair of classes is separable.
    X, y = nn.data.make_blobs(90, centers=[[-4.0, 0.0], [0.0, 0.0], [4.0, 0.0]], std=0.6,
                              seed=1)
    options = {"loss": nn.hinge_loss, "optimizer": lambda params: SGD(params, lr=0.05),
               "epochs": 60, "progress": False}
    ova, ovo = OneVsAll(linear), OneVsOne(linear)
    ova.fit(X, y, **options)
    ovo.fit(X, y, **options)
    assert nn.accuracy(ovo, X, y) > 0.95 > 0.8 > nn.accuracy(ova, X, y)


# ---------------------------------------------------------------- what is refused

@pytest.mark.parametrize("reduction", [OneVsAll, OneVsOne])
def test_a_model_instead_of_a_function_making_models_is_refused(reduction):
    with pytest.raises(TypeError, match=r"takes a function that makes a fresh binary model, "
                                        r"e\.g\. One"):
        reduction(linear())


def test_make_model_returning_the_same_model_twice_is_refused():
    model = linear()
    with pytest.raises(ValueError, match="returned the same model twice"):
        frozen(OneVsAll(lambda: model))


def test_make_model_returning_a_model_with_several_outputs_is_refused():
    with pytest.raises(ValueError, match="one output score.*this one has 3 outputs"):
        frozen(OneVsOne(lambda: nn.MLP(2, [3], seed=0)))


def test_make_model_returning_something_else_is_refused():
    with pytest.raises(TypeError, match="make_model\\(\\) must return an nn model"):
        frozen(OneVsAll(lambda: "model"))


def test_one_optimizer_for_every_model_is_refused_with_the_fix():
    model = linear()
    with pytest.raises(TypeError, match="optimizer=lambda params: nn.SGD\\(params, lr=0.1\\)"):
        OneVsAll(linear).fit(X5, Y5, loss=nn.hinge_loss, optimizer=SGD(model.parameters(), lr=1))


@pytest.mark.parametrize("y, message", [
    ([0, 1, 2, 0, -1], "class labels 0, 1, ..., C-1"),
    ([0, 1, 3, 0, 1], "no example has class 2"),
    ([0, 0, 0, 0, 0], "at least two classes"),
    ([0.5, 1, 2, 0, 1], "class labels 0, 1, ..., C-1"),
])
def test_labels_that_are_not_the_classes_zero_to_c_minus_one_are_refused(y, message):
    with pytest.raises(ValueError, match=message):
        frozen(OneVsOne(linear), y=y)


def test_a_validation_set_without_examples_for_a_pair_is_refused():
    with pytest.raises(ValueError, match=r"validation set has no example for the classifier of "
                                         r"class 1 \(\+1\) vs class 2 \(-1\)"):
        OneVsOne(linear).fit(X5, Y5, loss=nn.hinge_loss,
                             optimizer=lambda params: SGD(params, lr=0.1),
                             validation=([[0.0, 0.0]], [0]), progress=False)


def test_predicting_before_training_says_to_fit_first():
    with pytest.raises(RuntimeError, match=r"has not been trained: call \.fit"):
        OneVsAll(linear).predict([0.0, 0.0])


def test_a_failed_fit_leaves_the_trained_models_in_place():
    ova = frozen(OneVsAll(constants(1.0, 2.0, 3.0)))
    before = list(ova.models)
    ova.make_model = linear
    with pytest.raises(TypeError, match="no_such_option"):
        ova.fit(X5, Y5, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.1),
                epochs=1, no_such_option=True)
    assert ova.models == before


def test_the_repr_lists_each_binary_classifier():
    assert repr(OneVsOne(linear)).startswith("OneVsOne(not trained yet")
    ovo = frozen(OneVsOne(linear))
    assert repr(ovo).splitlines() == [
        "OneVsOne(3 classes, 3 binary classifiers; 9 parameters)",
        "  (models.0): class 0 (+1) vs class 1 (-1): MLP(2 -> 1, linear; 3 parameters)",
        "  (models.1): class 0 (+1) vs class 2 (-1): MLP(2 -> 1, linear; 3 parameters)",
        "  (models.2): class 1 (+1) vs class 2 (-1): MLP(2 -> 1, linear; 3 parameters)",
    ]


# ---------------------------------------------------------------- a bound on the classifiers ----

def many_classes(classes: int) -> tuple[list, list]:
    return [[float(k), 0.0] for k in range(classes)], list(range(classes))


def test_one_versus_one_on_150_classes_is_refused_before_training_anything():
    def make_model():
        raise AssertionError("a classifier was made before the bound was checked")

    ovo = OneVsOne(make_model)
    X, y = many_classes(150)
    with pytest.raises(ValueError, match=r"OneVsOne would train 11,175 binary classifiers for "
                                         r"150 classes, more than max_classifiers=1,000") as no:
        ovo.fit(X, y, loss=nn.hinge_loss, optimizer=lambda params: SGD(params, lr=0.1),
                epochs=1, progress=False)
    assert "OneVsAll would train 150" in str(no.value)
    assert "max_classifiers=11175" in str(no.value)
    assert ovo.models == []


def test_the_bound_is_checked_before_the_training_sets_are_built():
    X, y = many_classes(100)  # 4,950 pairs
    with pytest.raises(ValueError, match="would train 4,950 binary classifiers"):
        OneVsOne(linear).training_sets(X, y)


def test_one_versus_one_up_to_the_bound_is_trained():
    ovo = OneVsOne(linear, max_classifiers=3)
    assert frozen(ovo).models and len(ovo.models) == 3


def test_one_versus_all_has_the_same_bound():
    X, y = many_classes(5)
    with pytest.raises(ValueError, match="OneVsAll would train 5 binary classifiers"):
        OneVsAll(linear, max_classifiers=4).training_sets(X, y)


def test_a_larger_bound_is_asked_for_by_name():
    ovo = OneVsOne(linear, max_classifiers=11175)
    assert ovo.max_classifiers == 11175 and ovo.classifier_count(150) == 11175


@pytest.mark.parametrize("bound", [0, -1, 2.5, "1000", True])
def test_the_bound_must_be_a_positive_int(bound):
    with pytest.raises(ValueError, match="max_classifiers must be a positive int"):
        OneVsOne(linear, max_classifiers=bound)
