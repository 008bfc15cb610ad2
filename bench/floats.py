"""The floor: micrograd's demo step on plain floats, with its backward pass written by hand.

No graph is built and no node is allocated: every number is a float in a list and every
derivative is worked out in advance. No graph-building engine can be faster than this, so
"ours / floor" says how much the graph costs. The arithmetic is the engines' arithmetic, so
from the same weights it gives the same losses (the suite checks that).
"""

from __future__ import annotations

from bench.workloads import ALPHA, Layer, learning_rate


class FloatMLP:
    """MLP(2, [16, 16, 1]) with ReLU hidden layers and a linear output, as float lists.

    Layer l computes s_j = b_j + sum_i w_ji a_i and a'_j = relu(s_j) (the last layer: a'_j = s_j).
    """

    def __init__(self, weights: list[Layer]) -> None:
        self.w = [[list(w) for w, _ in layer] for layer in weights]
        self.b = [[b for _, b in layer] for layer in weights]

    def parameters(self) -> list[float]:
        """Each neuron's weights, then its bias: micrograd's order."""
        return [p for ws, bs in zip(self.w, self.b) for w, b in zip(ws, bs) for p in (*w, b)]

    def gradients(self, points: list[list[float]], labels: list[float]
                  ) -> tuple[float, list[list[list[float]]], list[list[float]]]:
        """The demo loss L (see ``bench.workloads.hinge_loss``) and dL/dw, dL/db.

        Per point: dL/ds = -y/n where the margin 1 - y s is positive, else 0. Back through a
        layer: dL/dw_ji = d_j a_i, dL/db_j = d_j, dL/da_i = sum_j d_j w_ji; through a ReLU,
        d_j = dL/da'_j where a'_j > 0, else 0. The decay term adds 2 alpha p to each dL/dp.
        """
        last = len(self.w) - 1
        grad_w = [[[0.0] * len(w) for w in ws] for ws in self.w]
        grad_b = [[0.0] * len(bs) for bs in self.b]
        n = len(points)
        data_loss = 0.0
        for x, y in zip(points, labels):
            activations = [x]
            for layer, (ws, bs) in enumerate(zip(self.w, self.b)):
                inputs = activations[-1]
                outputs = []
                for w, b in zip(ws, bs):
                    s = b
                    for wi, ai in zip(w, inputs):
                        s += wi * ai
                    outputs.append(s if layer == last or s > 0.0 else 0.0)
                activations.append(outputs)
            margin = 1.0 - y * activations[-1][0]
            if margin <= 0.0:
                continue  # max(0, margin) is flat here: this point adds nothing to L or dL
            data_loss += margin
            deltas = [-y / n]
            for layer in range(last, -1, -1):
                inputs, outputs = activations[layer], activations[layer + 1]
                back = [0.0] * len(inputs)
                for j, d in enumerate(deltas):
                    if layer != last and outputs[j] <= 0.0:
                        continue  # relu'(s) = 0
                    w, gw = self.w[layer][j], grad_w[layer][j]
                    grad_b[layer][j] += d
                    for i, ai in enumerate(inputs):
                        gw[i] += d * ai
                        back[i] += d * w[i]
                deltas = back
        reg_loss = 0.0
        for ws, bs, gws, gbs in zip(self.w, self.b, grad_w, grad_b):
            for j, (w, gw) in enumerate(zip(ws, gws)):
                for i, wi in enumerate(w):
                    reg_loss += wi * wi
                    gw[i] += 2.0 * ALPHA * wi
                reg_loss += bs[j] * bs[j]
                gbs[j] += 2.0 * ALPHA * bs[j]
        return data_loss / n + ALPHA * reg_loss, grad_w, grad_b

    def train_step(self, points: list[list[float]], labels: list[float], k: int) -> float:
        """One step of micrograd's demo (forward, backward, SGD); returns the loss before it."""
        loss, grad_w, grad_b = self.gradients(points, labels)
        rate = learning_rate(k)
        for ws, bs, gws, gbs in zip(self.w, self.b, grad_w, grad_b):
            for j, (w, gw) in enumerate(zip(ws, gws)):
                for i, g in enumerate(gw):
                    w[i] -= rate * g
                bs[j] -= rate * gbs[j]
        return loss
