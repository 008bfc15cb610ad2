"""What compiling a step costs besides its numbers: the cyclic collector is paused while a step
records and compiles and left as it was; nothing the recording made is left for it to find;
the replay's code does not grow with the number of parameters. (How long compiling takes is
measured by the bench, not asserted here.)"""

from __future__ import annotations

import gc

import pytest

import autograd
import nn
from autograd import Parameter, Value
from tests.compiled.agreement import agree


def mean_square_loss(model: nn.MLP, X: list, y: list) -> Value:
    losses = [(model(x) - t) ** 2 for x, t in zip(X, y)]
    return sum(losses) * (1.0 / len(losses))


X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0], [1.0, 1.0]]
Y = [1.0, -1.0, 0.5, 0.0]


@pytest.fixture
def collector():
    """The collector's state put back after the test, whatever it does with it."""
    enabled = gc.isenabled()
    yield
    gc.set_debug(0)
    (gc.enable if enabled else gc.disable)()


def test_the_collector_is_paused_while_a_step_records_and_runs_as_before_after(collector):
    model = nn.MLP(2, [3, 1], seed=0)
    seen = []

    def loss(X, y):
        seen.append(gc.isenabled())
        return mean_square_loss(model, X, y)

    step = autograd.compile(loss, backend="python")
    gc.enable()
    step(X, Y)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    step(X[:2], Y[:2])  # another shape records again; a collector paused before stays so
    assert seen == [False, False] and not gc.isenabled()


def test_the_collector_runs_again_when_the_step_raises_while_recording(collector):
    def failing(x):
        raise ZeroDivisionError("the step's own error")

    gc.enable()
    with pytest.raises(ZeroDivisionError):
        autograd.compile(failing, backend="python")(1.0)
    assert gc.isenabled()


def test_a_recording_leaves_nothing_of_the_graph_for_the_collector_to_find(collector):
    # The followed numbers refer back to the recording (a cycle): the recording lets go of the
    # graph and its entries when the compiler is done, so they are freed at once.
    model = nn.MLP(2, [4, 1], seed=0)
    step = autograd.compile(lambda X, y: mean_square_loss(model, X, y), backend="python")
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    step(X, Y)
    gc.collect()
    left = [o for o in gc.garbage if isinstance(o, Value)]
    gc.garbage.clear()
    assert left == []
    assert step.records == 1 and step.fallback_reason is None


def test_a_step_recorded_with_the_collector_paused_replays_the_engines_numbers(collector):
    w = [Parameter(0.5 + i / 8) for i in range(40)]

    def loss(xs):
        return sum(wi * xi for wi, xi in zip(w, xs)).tanh() + sum(wi * wi for wi in w)

    xs = [float(i % 7) - 3.0 for i in range(40)]
    step, caught = agree(loss, [(xs,)] * 3, w, backend="python")
    assert not caught and step.replays == 2


def weight_decay_step(n: int) -> autograd.CompiledStep:
    """A step whose every parameter is used only by a sum over them (an L2 penalty, which the
    replay writes as a loop): it checks that the replay gives the engine's numbers."""
    w = [Parameter(1.0 / (i + 1)) for i in range(n)]

    def loss(x):
        return (w[0] * x).tanh() + 1e-4 * sum(wi * wi for wi in w)

    step, caught = agree(loss, [(0.75,)] * 3, w, backend="python")
    assert not caught and step.replays == 2
    return step


def test_the_replay_grows_by_less_than_a_line_per_parameter():
    # Each parameter's gradient starts from 0.0 (or from a zero .grad held) and is added to
    # what .grad held in one loop each, not in a line per parameter.
    small, large = weight_decay_step(40), weight_decay_step(400)
    grown = len(large.source.splitlines()) - len(small.source.splitlines())
    assert grown < 360, large.source
