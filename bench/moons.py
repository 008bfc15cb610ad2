"""Two interleaving half circles ("two moons"): the data of micrograd's demo.

Generated here, from a seed, so that every engine in the suite trains on the very same points
and the bench depends on nothing but the standard library.
"""

from __future__ import annotations

import math
import random


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 1337
               ) -> tuple[list[list[float]], list[float]]:
    """``n`` points ``[x1, x2]`` and labels ``y`` in {-1.0, +1.0} (the SVM convention).

    The upper moon is (cos t, sin t), the lower (1 - cos t, 1/2 - sin t), t in [0, pi], each
    point shifted by Gaussian noise of standard deviation ``noise``. Labels: -1 upper, +1 lower.
    """
    rng = random.Random(seed)
    points: list[list[float]] = []
    labels: list[float] = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x1, x2, label = math.cos(t), math.sin(t), -1.0
        else:
            x1, x2, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        points.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
        labels.append(label)
    return points, labels
