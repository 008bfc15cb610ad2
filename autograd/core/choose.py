"""``where(condition, if_true, if_false)``: a choice between two numbers, as ``torch.where``.

In plain code it is ``if_true if condition else if_false``. It exists for choices made by a
random draw, such as dropout's mask (notes 004)::

    m = where(rng.random() < p, 0.0, 1.0 / (1.0 - p))     # 0: dropped, 1/(1-p): kept

A Python ``if`` on the draw would hide the choice from ``autograd.compile``, which replays a
step with new draws at every call: written with ``where``, the choice is part of the replay (the
same question asked of the replay's own draw, the same two numbers), so a compiled step with
dropout gives the engine's numbers, mask after mask.
"""

from __future__ import annotations

from typing import Any, TypeVar

from autograd.core.modes import recorder

T = TypeVar("T")


def where(condition: Any, if_true: T, if_false: T) -> T:
    """``if_true`` if ``condition`` holds, else ``if_false`` (PyTorch's ``torch.where`` for one
    number). While ``autograd.compile`` records a step and ``condition`` compares a random
    draw, the choice is recorded: the replay asks again and chooses again."""
    recording = recorder.get()
    if recording is not None:
        chosen = recording.choose(condition, if_true, if_false)
        if chosen is not NotImplemented:
            return chosen
    return if_true if condition else if_false
