"""no_grad(): no graph is recorded, only where and while it is active."""

from __future__ import annotations

import asyncio
import threading

import pytest

from autograd import AnomalyError, Value, detect_anomaly, enable_grad, is_grad_enabled, no_grad


def test_results_under_no_grad_are_leaves():
    x = Value(2.0)
    with no_grad():
        y = (x * 3 + 1).tanh()
    assert (y.parents, y.op) == ((), "")
    assert y.data == pytest.approx(0.99999833)


def test_recording_resumes_after_the_block_even_after_an_error():
    x = Value(2.0)
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert is_grad_enabled()
    assert (x * 3).parents[0] is x


def test_no_grad_works_as_a_decorator():
    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(Value(3.0)).parents == ()
    assert is_grad_enabled()


def test_no_grad_in_one_thread_does_not_affect_another():
    inside = threading.Event()
    done = threading.Event()
    seen = {}

    def evaluating():
        with no_grad():
            inside.set()
            done.wait(5)
            seen["evaluating"] = (Value(1.0) * 2).parents

    def training():
        inside.wait(5)
        seen["training"] = (Value(1.0) * 2).parents
        done.set()

    threads = [threading.Thread(target=evaluating), threading.Thread(target=training)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["evaluating"] == ()
    assert len(seen["training"]) == 2


def test_no_grad_in_one_async_task_does_not_affect_another():
    async def evaluating(ready, release):
        with no_grad():
            ready.set()
            await release.wait()
            return (Value(1.0) * 2).parents

    async def training(ready, release):
        await ready.wait()
        parents = (Value(1.0) * 2).parents
        release.set()
        return parents

    async def main():
        ready, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(evaluating(ready, release), training(ready, release))

    evaluated, trained = asyncio.run(main())
    assert evaluated == () and len(trained) == 2


def test_backward_with_create_graph_inside_no_grad_is_refused():
    x = Value(1.0)
    y = x * x
    with no_grad(), pytest.raises(RuntimeError, match="leave the no_grad"):
        y.backward(create_graph=True)


def test_plain_backward_inside_no_grad_still_computes_gradients():
    # As in PyTorch: no_grad stops recording, not differentiating an existing graph.
    x = Value(3.0)
    y = x * x
    with no_grad():
        y.backward()
    assert x.grad == 6.0


def test_enable_grad_records_again_inside_no_grad():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            y = x * x
        z = x * x
    assert y.parents == (x, x) and z.parents == ()


def test_no_grad_inside_detect_anomaly_still_checks_and_records_nothing():
    with detect_anomaly(), no_grad():
        y = Value(2.0) * 3
        assert y.parents == ()
        with pytest.raises(AnomalyError):
            Value(0.0).log()


def test_enable_grad_inside_no_grad_inside_detect_anomaly_keeps_checking():
    with detect_anomaly(), no_grad(), enable_grad():
        x = Value(2.0)
        assert (x * x).parents == (x, x)
        with pytest.raises(AnomalyError):
            Value(-1.0).sqrt()
    assert Value(-1.0).sqrt().data != Value(-1.0).sqrt().data  # nan again, no error
