"""``python -m nn.demo``: micrograd's demo, with the lectures' pictures.

Trains ``MLP(2, [16, 16, 1])`` on two moons with the notes' SVM loss plus L2 regularization::

    L = (1/N) sum_i max(0, 1 - y_i s_i)  +  1e-4 * sum w^2        (labels y_i = -1 or +1)

by full-batch gradient descent whose learning rate falls from 1.0 to 0.1 (micrograd's schedule),
prints train and test accuracy, and writes to ``out/``: the loss curve, the decision boundary,
the network diagram, the computation graph of one neuron and its step-by-step backward player,
and the trained model (JSON).

Every epoch builds the same graph, so the step is compiled (``autograd.compile``): recorded
once, then replayed as generated plain-float code, to the same numbers bit for bit
(``--no-compile`` trains on the engine).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field

from nn import data
from nn.losses import hinge_loss
from nn.module import MLP
from nn.optim import SGD
from nn.train import History, accuracy, fit

ALPHA = 1e-4  # the L2 strength of micrograd's demo


@dataclass
class DemoResult:
    """What a demo run produced: accuracies, the history, and the files written."""

    train_accuracy: float
    test_accuracy: float
    history: History
    seconds: float
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def run(samples: int = 200, epochs: int = 100, seed: int = 0, out: str = "out",
        progress: bool | None = None, compile: bool = True) -> DemoResult:
    """Train and write the pictures; see the module doc. Returns what happened."""
    X, y = data.make_moons(samples, noise=0.1, seed=seed)
    y = [2 * t - 1 for t in y]  # the SVM's labels: -1 and +1
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    print(f"two moons: {len(X_train)} training and {len(X_test)} test examples (noise 0.1)")
    print(f"model: {model!r}".splitlines()[0])
    print(f"loss: mean max(0, 1 - y * score) + {ALPHA:g} * sum w^2; full-batch SGD, lr 1.0 -> "
          f"0.1 over {epochs} epochs")
    if compile:
        print("training compiled (autograd.compile): the step is recorded once, then replayed "
              "as plain-float code, the engine's numbers bit for bit")
    else:
        print("training on the engine: a graph built, sorted and freed every step")
    start = time.perf_counter()
    history = fit(model, X_train, y_train, loss=hinge_loss,
                  optimizer=SGD(model.parameters(), lr=1.0), epochs=epochs, l2=ALPHA,
                  lr_schedule=lambda k: 1.0 - 0.9 * k / epochs, test=(X_test, y_test),
                  progress=progress, compile=compile)
    seconds = time.perf_counter() - start
    result = DemoResult(accuracy(model, X_train, y_train), accuracy(model, X_test, y_test),
                        history, seconds)
    print(f"train accuracy {100 * result.train_accuracy:.1f}%, test accuracy "
          f"{100 * result.test_accuracy:.1f}% ({seconds:.1f} s)")
    os.makedirs(out, exist_ok=True)
    _pictures(model, X_train, y_train, history, out, result)
    for name in result.files:
        print(f"wrote {name}")
    for note in result.skipped:
        print(f"skipped {note}")
    return result


def _pictures(model: MLP, X: list, y: list, history: History, out: str,
              result: DemoResult) -> None:
    from nn.pictures.plots import plot_decision_boundary, plot_loss

    def path(name: str) -> str:
        return os.path.join(out, name)

    try:
        plot_loss(history, path("loss.png"), title="two moons")
        plot_decision_boundary(model, X, y, path("decision_boundary.png"),
                               title="MLP(2, [16, 16, 1]) on two moons")
        result.files += [path("loss.png"), path("decision_boundary.png")]
    except ImportError as error:
        result.skipped.append(f"the plots: {error}")

    from autograd import RendererNotFoundError, draw_dot, trace_backward
    from nn.pictures.diagram import draw_network

    # One neuron of the first layer on the first example, one that fires (ReLU > 0), so its
    # gradients are not all zero. Gradients from training are cleared first: the picture shows
    # this backward pass alone.
    neuron = next((n for n in model.layers[0].neurons if n(X[0]).data > 0),
                  model.layers[0].neurons[0])
    model.zero_grad()
    output = neuron(X[0])
    trace = trace_backward(output)  # the weights and bias are Parameters: drawn blue
    trace.save(path("neuron_steps.html"))
    result.files.append(path("neuron_steps.html"))
    pictures = [("neuron", draw_dot(output)),
                ("network", draw_network(model, weights=None))]
    for name, graph in pictures:
        try:
            graph.save(path(f"{name}.svg"))
            result.files.append(path(f"{name}.svg"))
        except RendererNotFoundError as error:
            graph.save(path(f"{name}.dot"))
            result.files.append(path(f"{name}.dot"))
            result.skipped.append(f"{name}.svg (wrote its DOT text instead): {error}")
    model.save(path("model.json"))
    result.files.append(path("model.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nn.demo",
        description="Train MLP(2, [16, 16, 1]) on two moons with the SVM loss plus L2 and "
                    "write pictures to a folder.")
    parser.add_argument("--samples", type=int, default=200, help="examples (default 200)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="data and weights seed (default 0)")
    parser.add_argument("--out", default="out", help="output folder (default out)")
    parser.add_argument("--no-compile", action="store_true",
                        help="train on the engine instead of compiling the step")
    args = parser.parse_args(argv)
    if args.samples < 8:
        parser.error("--samples must be at least 8")
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    run(args.samples, args.epochs, args.seed, args.out, compile=not args.no_compile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
