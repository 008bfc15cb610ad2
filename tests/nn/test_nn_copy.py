"""``copy.deepcopy`` and ``pickle`` work for every module, however it draws its random numbers
(issue 24, item 3): ``best = copy.deepcopy(model)`` is how early stopping is usually written."""

from __future__ import annotations

import copy
import functools
import pickle
import random

import pytest

import nn
from nn import MLP, Dropout, Layer, Neuron, OneVsAll, OneVsOne, Perceptron

MODULES = {
    "MLP, micrograd's way (seed=None)": lambda: MLP(2, [4, 4, 1]),
    "MLP with dropout, seed=None": lambda: MLP(2, [4, 4, 1], dropout=0.5),
    "MLP with dropout, seeded": lambda: MLP(2, [4, 4, 1], seed=3, dropout=0.5),
    "Layer, seed=None": lambda: Layer(2, 3),
    "Neuron, seed=None": lambda: Neuron(2),
    "Dropout()": lambda: Dropout(),
    "Dropout, its own generator": lambda: Dropout(0.3, seed=random.Random(1)),
    "Perceptron": lambda: Perceptron(2),
}
every_module = pytest.mark.parametrize("make", MODULES.values(), ids=MODULES.keys())
COPIES = {"deepcopy": copy.deepcopy, "pickle": lambda m: pickle.loads(pickle.dumps(m))}
every_copy = pytest.mark.parametrize("duplicate", COPIES.values(), ids=COPIES.keys())


def numbers(model):
    return [p.data for p in model.parameters()]


@every_module
@every_copy
def test_a_copy_has_the_same_numbers_in_parameters_of_its_own(make, duplicate):
    model = make()
    twin = duplicate(model)
    assert type(twin) is type(model) and numbers(twin) == numbers(model)
    assert not {id(p) for p in twin.parameters()} & {id(p) for p in model.parameters()}
    for p in twin.parameters():
        p.data += 1.0
    assert numbers(twin) != numbers(model) or not model.parameters()


@every_module
@every_copy
def test_a_copy_computes_what_its_original_computes(make, duplicate):
    model = make().eval()
    twin = duplicate(model)
    assert repr(twin) == repr(model)
    x = [0.5, -1.5]
    out, twin_out = model(x), twin(x)
    if isinstance(out, list):
        assert [v if isinstance(v, float) else v.data for v in out] == [
            v if isinstance(v, float) else v.data for v in twin_out]
    else:
        assert getattr(out, "data", out) == getattr(twin_out, "data", twin_out)


@pytest.mark.parametrize("seed", [None, 7], ids=["seed=None", "seeded"])
@every_copy
def test_a_copy_draws_the_same_dropout_masks_after_the_same_seeding(seed, duplicate):
    model = MLP(2, [16, 16, 1], seed=seed, dropout=0.5)
    twin = duplicate(model)
    random.seed(5)
    masks = [model.dropout.mask(16) for _ in range(4)]
    random.seed(5)
    assert [twin.dropout.mask(16) for _ in range(4)] == masks


@every_copy
def test_a_copy_of_a_module_drawing_from_the_random_module_still_follows_random_seed(duplicate):
    twin = duplicate(Dropout(0.5))
    random.seed(11)
    first = twin.mask(32)
    random.seed(11)
    assert twin.mask(32) == first


def test_a_pickled_model_keeps_training_with_fit(tmp_path):
    model = MLP(2, [4, 1])
    path = tmp_path / "model.pickle"
    path.write_bytes(pickle.dumps(model))
    again = pickle.loads(path.read_bytes())
    X, y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [1, -1, 1]
    history = nn.fit(again, X, y, loss=nn.hinge_loss,
                     optimizer=nn.SGD(again.parameters(), lr=0.1), epochs=3, progress=False)
    assert history.epochs == 3


@pytest.mark.parametrize("cls", [OneVsAll, OneVsOne])
@every_copy
def test_a_trained_multiclass_model_copies_with_its_binary_models(cls, duplicate):
    # A function pickle can name (a lambda can be deep-copied but, as anywhere, not pickled).
    ova = cls(functools.partial(MLP, 2, [3, 1], seed=0))
    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5], [0.2, 0.9]]
    y = [0, 1, 2, 0, 1, 2]
    ova.fit(X, y, loss=nn.hinge_loss, optimizer=lambda params: nn.SGD(params, lr=0.1),
            epochs=2, progress=False)
    twin = duplicate(ova)
    assert [twin.predict(x) for x in X] == [ova.predict(x) for x in X]
    assert not {id(p) for p in twin.parameters()} & {id(p) for p in ova.parameters()}
