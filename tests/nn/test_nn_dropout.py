"""Dropout (notes 004) with PyTorch's semantics, and the training and evaluation modes of every
module: inverted dropout keeps the expected value, evaluation is the identity, nothing flows
back through a dropped unit, runs repeat from a seed, and pictures show what was dropped."""

from __future__ import annotations

import random
import statistics

import pytest

import nn
from autograd import Value, draw_dot, no_grad
from nn import MLP, Dropout, Layer, Module, Neuron


class Recorder(Module):
    """A model whose calls record the mode its dropout was in."""

    def __init__(self) -> None:
        self.body = Layer(2, 1, activation="linear", seed=0)
        self.dropout = Dropout(0.5, seed=0)
        self.modes: list[bool] = []

    def __call__(self, x):
        self.modes.append(self.dropout.training)
        return self.dropout(self.body(x))


# ---------------------------------------------------------------- what dropout computes

@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_keeps_the_expected_value_over_many_seeds(p):
    x = [1.0, -2.0, 3.5]
    outs = [Dropout(p, seed=seed)(x) for seed in range(4000)]
    for i, xi in enumerate(x):
        mean = statistics.fmean(out[i] for out in outs)
        # out_i is 0 or x_i / (1 - p): standard deviation |x_i| sqrt(p / (1 - p)).
        standard_error = abs(xi) * (p / (1 - p)) ** 0.5 / 4000 ** 0.5
        assert abs(mean - xi) < 5 * standard_error


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_each_unit_is_dropped_with_probability_p(p):
    outs = [v for seed in range(500) for v in Dropout(p, seed=seed)([1.0] * 10)]
    dropped = sum(out == 0.0 for out in outs) / len(outs)
    assert abs(dropped - p) < 5 * (p * (1 - p) / len(outs)) ** 0.5


def test_kept_units_are_scaled_by_one_over_one_minus_p():
    outs = {v for seed in range(50) for v in Dropout(0.75, seed=seed)([2.0] * 8)}
    assert outs == {0.0, 8.0}


def test_p_zero_passes_every_unit_through_and_p_one_drops_them_all():
    x = [Value(1.0), Value(-2.0)]
    assert Dropout(0.0, seed=0)(x) == x
    assert [v.data for v in Dropout(1.0, seed=0)(x)] == [0.0, 0.0]


def test_one_value_in_gives_one_value_out_and_a_list_gives_a_list():
    assert isinstance(Dropout(0.5, seed=0)(Value(3.0)), Value)
    assert len(Dropout(0.5, seed=0)([1.0, 2.0, 3.0])) == 3


@pytest.mark.parametrize("training", [True, False])
def test_values_stay_values_and_numbers_stay_numbers_in_either_mode(training):
    dropout = Dropout(0.5, seed=0).train(training)
    out = dropout([Value(1.0), 2.0, Value(3.0), 4.0])
    assert [isinstance(v, Value) for v in out] == [True, False, True, False]
    assert all(isinstance(v, float) for v in out[1::2])
    assert isinstance(dropout(5.0), float)


def test_evaluation_mode_is_the_identity():
    dropout = Dropout(0.5, seed=0).eval()
    x = [Value(1.0), Value(2.0)]
    assert dropout(x) == x


def test_gradients_through_dropped_units_are_zero_and_kept_ones_scaled():
    x = [Value(float(i + 1)) for i in range(20)]
    out = Dropout(0.5, seed=3)(x)
    total = sum(out, Value(0.0))
    total.backward()
    dropped = [xi.grad for xi, o in zip(x, out) if o.data == 0.0]
    kept = [xi.grad for xi, o in zip(x, out) if o.data != 0.0]
    assert dropped and kept
    assert dropped == [0.0] * len(dropped)
    assert kept == [2.0] * len(kept)


def test_weights_reading_a_dropped_unit_get_no_gradient():
    random.seed(5)
    model = MLP(2, [6, 1], dropout=0.5)  # no seed: dropout draws from the random module
    hidden = [n([0.5, -1.0]).data for n in model.layers[0].neurons]
    state = random.getstate()
    model([0.5, -1.0]).backward()
    random.setstate(state)
    mask = model.dropout.mask(6)  # the mask that forward pass drew
    output = model.layers[1].neurons[0]
    for w, m, h in zip(output.w, mask, hidden):
        assert w.grad == (0.0 if m == 0.0 else pytest.approx(m * h))
    assert 0.0 in mask and 2.0 in mask


# ---------------------------------------------------------------- seeds

def test_the_same_seed_draws_the_same_masks():
    first = Dropout(0.5, seed=7)([1.0] * 30)
    again = Dropout(0.5, seed=7)([1.0] * 30)
    other = Dropout(0.5, seed=8)([1.0] * 30)
    assert first == again != other


def test_without_a_seed_dropout_draws_from_the_random_module():
    dropout = Dropout(0.5)
    random.seed(11)
    first = dropout([1.0] * 30)
    random.seed(11)
    assert dropout([1.0] * 30) == first


def test_a_seeded_mlp_with_dropout_repeats_its_training_run():
    X, y = nn.data.make_moons(20, noise=0.1, seed=0)

    def run() -> list[float]:
        model = MLP(2, [8, 1], seed=0, dropout=0.5)
        nn.fit(model, X, y, loss=nn.bce_with_logits, optimizer=nn.SGD(model.parameters(), lr=0.1),
               epochs=3, progress=False)
        return [p.data for p in model.parameters()]

    assert run() == run()


def test_dropout_leaves_the_starting_weights_of_the_mlp_as_they_were():
    plain = MLP(3, [5, 4, 1], seed=2)
    dropped = MLP(3, [5, 4, 1], seed=2, dropout=0.3)
    assert [p.data for p in plain.parameters()] == [p.data for p in dropped.parameters()]
    random.seed(1337)
    plain = MLP(2, [16, 16, 1])
    random.seed(1337)
    dropped = MLP(2, [16, 16, 1], dropout=0.5)
    assert [p.data for p in plain.parameters()] == [p.data for p in dropped.parameters()]


# ---------------------------------------------------------------- in an MLP

def test_mlp_dropout_acts_between_layers_while_training():
    model = MLP(2, [50, 1], seed=0, dropout=0.5)
    x = [0.3, -0.7]
    outs = {model(x).data for _ in range(5)}
    assert len(outs) == 5


def test_mlp_in_evaluation_mode_is_deterministic_and_equals_the_mlp_without_dropout():
    model = MLP(2, [8, 8, 1], seed=4, dropout=0.5).eval()
    plain = MLP(2, [8, 8, 1], seed=4)
    x = [0.3, -0.7]
    assert model(x).data == model(x).data == plain(x).data


def test_mlp_with_dropout_zero_builds_the_same_graph_as_without():
    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, 2.0])
    assert "kept" not in draw_dot(out, show_grad=False).source


def test_no_dropout_on_the_inputs_or_the_outputs():
    model = MLP(2, [3, 2], seed=0, dropout=0.999)
    with no_grad():
        out = model([1.0, 2.0])
    # Every hidden unit is dropped, so each output is its bias alone (0 at the start).
    assert [o.data for o in out] == [0.0, 0.0]
    assert Dropout(0.5).p == 0.5


def test_mlp_repr_says_dropout():
    model = MLP(2, [4, 1], seed=0, dropout=0.25)
    assert repr(model).splitlines()[0] == "MLP(2 -> 4 -> 1, relu, dropout 0.25; 17 parameters)"
    assert "(dropout): Dropout(p=0.25) after each hidden layer" in repr(model)
    assert "dropout" not in repr(MLP(2, [4, 1], seed=0))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_a_probability_outside_zero_to_one_is_refused(p):
    with pytest.raises(ValueError, match=r"Dropout p \(the probability of dropping a unit\) must "
                                         r"be a number in \[0, 1\]"):
        Dropout(p)
    with pytest.raises(ValueError, match="Dropout p"):
        MLP(2, [3, 1], dropout=p)


@pytest.mark.parametrize("x, got", [("ab", "str"), ({"a": 1}, "dict"), (None, "NoneType"),
                                    ([1.0, "b"], "str for unit 2")])
def test_dropout_refuses_what_is_not_values_or_numbers(x, got):
    with pytest.raises(TypeError, match=f"Dropout takes a Value, a number or a list of them "
                                        f"\\(a layer's outputs\\), got {got}"):
        Dropout(0.5, seed=0)(x)


# ---------------------------------------------------------------- train() and eval()

def test_every_module_starts_in_training_mode():
    assert MLP(2, [3, 1], seed=0).training and Neuron(2).training and Dropout().training


def test_eval_and_train_reach_every_module_inside_and_return_the_module():
    model = MLP(2, [3, 3, 1], seed=0, dropout=0.5)
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.layers[1].neurons[2].training and not model.dropout.training


def test_modules_lists_the_model_and_everything_inside_once_outer_first():
    model = MLP(2, [3, 1], seed=0, dropout=0.5)
    model.alias = model.layers[0]  # the same layer under a second name
    found = model.modules()
    assert found[0] is model
    assert len(found) == len({id(m) for m in found}) == 1 + 2 + 3 + 1 + 1
    assert found.index(model.layers[0]) < found.index(model.layers[0].neurons[0])


def test_custom_modules_reach_their_submodules_modes():
    recorder = Recorder().eval()
    assert not recorder.dropout.training and not recorder.body.training


def test_train_refuses_a_mode_that_is_not_a_bool():
    with pytest.raises(TypeError, match=r"train\(mode\) takes True \(training\) or False"):
        MLP(2, [1], seed=0).train("eval")


# ---------------------------------------------------------------- who switches modes

def test_fit_trains_in_training_mode_and_measures_in_evaluation_mode():
    model = Recorder()
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1, 0]
    nn.fit(model, X, y, loss=nn.bce_with_logits, optimizer=nn.SGD(model.parameters(), lr=0.1),
           epochs=2, test=(X, y), validation=(X, y), progress=False)
    # Per epoch: two training predictions, then two for the test set and two for validation.
    assert model.modes == [True, True, False, False, False, False] * 2


@pytest.mark.parametrize("start", [True, False])
def test_fit_leaves_the_model_in_the_mode_it_found_it_in(start):
    model = MLP(2, [3, 1], seed=0, dropout=0.5).train(start)
    model.layers[0].training = not start  # a mode of its own, kept too
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1, 0]
    nn.fit(model, X, y, loss=nn.bce_with_logits, optimizer=nn.SGD(model.parameters(), lr=0.1),
           epochs=1, test=(X, y), progress=False)
    assert model.training is start and model.dropout.training is start
    assert model.layers[0].training is not start


def test_fit_leaves_the_modes_as_they_were_when_training_fails():
    model = MLP(2, [3, 1], seed=0, dropout=0.5).eval()

    def broken(pred, target):
        raise RuntimeError("no loss today")

    with pytest.raises(RuntimeError, match="no loss today"):
        nn.fit(model, [[0.0, 1.0]], [1], loss=broken, optimizer=nn.SGD(model.parameters(), lr=0.1),
               progress=False)
    assert not any(m.training for m in model.modules())


def test_accuracy_evaluates_in_evaluation_mode_and_puts_the_mode_back():
    model = Recorder()
    nn.accuracy(model, [[0.0, 1.0], [1.0, 0.0]], [1, 0])
    assert model.modes == [False, False]
    assert model.training and model.dropout.training


def test_accuracy_of_a_model_with_dropout_is_the_same_every_time():
    X, y = nn.data.make_moons(40, noise=0.2, seed=0)
    model = MLP(2, [16, 1], seed=0, dropout=0.5)
    assert len({nn.accuracy(model, X, y) for _ in range(5)}) == 1


def test_decision_boundaries_are_drawn_in_evaluation_mode():
    pytest.importorskip("matplotlib")
    model = Recorder()
    nn.plot_decision_boundary(model, [[0.0, 1.0], [1.0, 0.0]], [1, 0], resolution=3)
    assert set(model.modes) == {False}
    assert model.training


# ---------------------------------------------------------------- pictures

def test_graph_pictures_show_each_unit_multiplied_by_a_dropped_or_kept_constant():
    model = MLP(2, [6, 1], seed=0, dropout=0.5)
    out = model([0.5, -1.0])
    source = draw_dot(out, show_grad=False).source
    assert "dropped" in source and "kept" in source
    masks = [p for node in _nodes(out) if node.op == "*" for p in node.parents
             if p.label in ("dropped", "kept")]
    assert len(masks) == 6
    assert {(m.label, m.data) for m in masks} == {("dropped", 0.0), ("kept", 2.0)}


def _nodes(root: Value) -> list[Value]:
    found, stack, seen = [], [root], set()
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            found.append(v)
            stack += v.parents
    return found


def test_the_network_diagram_draws_the_units_dropped_in_a_training_pass():
    model = MLP(2, [6, 4, 1], seed=0, dropout=0.5)
    source = nn.draw_network(model, x=[0.5, -1.0]).source
    assert "hidden layer 1 (relu, dropout 0.5)" in source
    assert "hidden layer 2 (relu, dropout 0.5)" in source
    assert "output layer" in source and "output layer (" not in source
    dropped = [line for line in source.splitlines() if "dropped by dropout" in line]
    assert dropped and all("dashed" in line for line in dropped)
    assert 'style="dashed"' in source  # the edges out of a dropped unit


def test_the_network_diagram_in_evaluation_mode_drops_nothing():
    model = MLP(2, [6, 4, 1], seed=0, dropout=0.5).eval()
    source = nn.draw_network(model, x=[0.5, -1.0]).source
    assert "hidden layer 1 (relu, dropout 0.5)" in source
    assert "dropped by dropout" not in source and "dashed" not in source


# ---------------------------------------------------------------- saving

def test_an_mlp_with_dropout_saves_and_loads_with_its_p(tmp_path):
    model = MLP(2, [4, 1], seed=0, dropout=0.3)
    model.save(tmp_path / "m.json")
    loaded = nn.load(tmp_path / "m.json")
    assert loaded.dropout.p == 0.3
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert '"dropout": 0.3' in (tmp_path / "m.json").read_text()


def test_files_of_mlps_without_dropout_are_written_as_before(tmp_path):
    MLP(2, [4, 1], seed=0).save(tmp_path / "m.json")
    assert "dropout" not in (tmp_path / "m.json").read_text()
    assert nn.load(tmp_path / "m.json").dropout.p == 0.0


def test_a_dropout_module_saves_and_loads(tmp_path):
    Dropout(0.25).save(tmp_path / "d.json")
    loaded = nn.load(tmp_path / "d.json")
    assert isinstance(loaded, Dropout) and loaded.p == 0.25


@pytest.mark.parametrize("p", [10**400, -10**400], ids=["10**400", "-10**400"])
def test_a_probability_beyond_a_floats_range_is_refused_with_a_short_message(p):
    with pytest.raises(ValueError, match=r"Dropout p .* must be a number in \[0, 1\], got "
                                         r"-?1000.*\.\.\.") as error:
        Dropout(p)
    assert len(str(error.value)) < 200


def test_a_learning_rate_beyond_a_floats_range_is_refused_too():
    with pytest.raises(ValueError, match="lr"):
        nn.SGD(Neuron(2, seed=0).parameters(), lr=10**400)
