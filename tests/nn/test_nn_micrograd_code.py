"""Code written against micrograd's API runs here with only its import lines changed, and gives
micrograd's numbers: a forked micrograd's XOR script that feeds ``bytes``, a course's tests
that pass ``nonlin`` by position, and the early-stopping idiom ``best = copy.deepcopy(model)``
(issue 24, items 1 to 3). Each program is written once, as its authors typed it, and run on
both engines."""

from __future__ import annotations

import textwrap

import pytest

OURS = "from nn import MLP, Neuron\nfrom autograd import Value\n"
MICROGRAD = "from micrograd.nn import MLP, Neuron\nfrom micrograd.engine import Value\n"




def run(program: str, imports: str) -> dict:
    """Run ``program`` (its import lines replaced by ``imports``) and return its globals."""
    namespace: dict = {"__name__": "program"}
    exec(imports + textwrap.dedent(program), namespace)
    return namespace


# A forked micrograd's XOR script: its examples are bytes objects, which micrograd zips over.
XOR_SCRIPT = """
import random

random.seed(1337)
model = MLP(2, [4, 1])
xs = [bytes([0, 0]), bytes([0, 1]), bytes([1, 0]), bytes([1, 1])]
ys = [0.0, 1.0, 1.0, 0.0]

losses = []
for k in range(40):
    ypred = [model(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data += -0.05 * p.grad
    losses.append(loss.data)
predictions = [model(x).data for x in xs]
"""


def test_the_xor_script_feeding_bytes_trains_here():
    ours = run(XOR_SCRIPT, OURS)
    assert ours["losses"][-1] < ours["losses"][0]


def test_the_xor_script_feeding_bytes_gives_micrograds_numbers(micrograd):
    ours, theirs = run(XOR_SCRIPT, OURS), run(XOR_SCRIPT, MICROGRAD)
    # The first forward pass is micrograd's bit for bit; later ones may differ in the last
    # bits, as backward adds a node's gradient contributions in another order.
    assert ours["losses"][0] == theirs["losses"][0]
    assert ours["losses"] == pytest.approx(theirs["losses"], rel=1e-9)
    assert ours["predictions"] == pytest.approx(theirs["predictions"], rel=1e-9, abs=1e-12)


# A course's unit tests for micrograd's Neuron(nin, nonlin=True), passing the flag by position.
COURSE_TESTS = """
def test_a_linear_neuron_computes_w_x_plus_b():
    n = Neuron(1, False)
    n.w[0].data = 2.0
    n.b.data = -1.0
    out = n([Value(3.0)])
    assert out.data == 5.0
    assert not n.nonlin
    assert len(n.parameters()) == 2


def test_a_relu_neuron_clamps_negative_sums():
    n = Neuron(2, True)
    for p in n.parameters():
        p.data = -1.0
    assert n([1.0, 1.0]).data == 0.0
    assert n.nonlin


def test_the_gradient_of_a_linear_neuron_is_its_input():
    n = Neuron(3, False)
    x = [Value(1.0), Value(-2.0), Value(0.5)]
    n(x).backward()
    assert [w.grad for w in n.w] == [1.0, -2.0, 0.5]
    assert n.b.grad == 1.0
"""


@pytest.mark.parametrize("test", ["test_a_linear_neuron_computes_w_x_plus_b",
                                  "test_a_relu_neuron_clamps_negative_sums",
                                  "test_the_gradient_of_a_linear_neuron_is_its_input"])
def test_a_courses_neuron_tests_pass_here(test):
    run(COURSE_TESTS, OURS)[test]()


def test_a_courses_neuron_tests_pass_on_micrograd_too(micrograd):
    program = run(COURSE_TESTS, MICROGRAD)
    for name in [n for n in program if n.startswith("test_")]:
        program[name]()


# Early stopping as a micrograd user writes it: keep a deep copy of the best model so far.
EARLY_STOPPING = """
import copy
import random

random.seed(1337)
model = MLP(2, [8, 1])
X = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(24)]
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
X_train, Y_train, X_val, Y_val = X[:16], Y[:16], X[16:], Y[16:]

best, best_val = None, float("inf")
val_losses = []
for k in range(30):
    loss = sum((model(x) - y) ** 2 for x, y in zip(X_train, Y_train)) * (1.0 / len(X_train))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.2 * p.grad
    val = sum((model(x) - y) ** 2 for x, y in zip(X_val, Y_val)).data / len(X_val)
    val_losses.append(val)
    if val < best_val:
        best_val, best = val, copy.deepcopy(model)
best_parameters = [p.data for p in best.parameters()]
"""


def test_the_deepcopy_early_stopping_idiom_keeps_the_best_model_here():
    program = run(EARLY_STOPPING, OURS)
    best, model = program["best"], program["model"]
    assert program["best_val"] == min(program["val_losses"])
    assert best is not model and not set(map(id, best.parameters())) & set(
        map(id, model.parameters()))
    val = sum((best(x) - y) ** 2 for x, y in zip(program["X_val"], program["Y_val"]))
    assert val.data / len(program["X_val"]) == program["best_val"]


def test_the_deepcopy_early_stopping_idiom_gives_micrograds_numbers(micrograd):
    ours, theirs = run(EARLY_STOPPING, OURS), run(EARLY_STOPPING, MICROGRAD)
    assert ours["val_losses"] == pytest.approx(theirs["val_losses"], rel=1e-9)
    assert ours["best_parameters"] == pytest.approx(theirs["best_parameters"], rel=1e-9)
