"""Graphs the picture tests draw in more than one file."""

from __future__ import annotations

from autograd import Value


def chain(length: int) -> Value:
    """y = x * 1.01 * 1.01 ...: a graph as wide as it is long, after backward."""
    y = Value(0.5, label="x")
    for _ in range(length):
        y = y * 1.01
    y.backward()
    return y
