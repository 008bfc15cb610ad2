"""backprop-lab's scalar reverse-mode automatic differentiation engine.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad          # dy/dx = 2x + 3
    7.0
"""

# Another project is imported as `autograd` too (HIPS autograd, on Colab): where it shares this
# package's folder, say so now rather than fail obscurely later (see backprop_lab.py).
from backprop_lab import check_autograd

check_autograd()

from autograd.core.choose import where
from autograd.core.files import write_atomically
from autograd.core.format import format_number, format_table
from autograd.core.functional import grad, value_and_grad
from autograd.core.functions import (
    cos,
    exp,
    log,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    step,
    tanh,
)
from autograd.core.gradcheck import GradcheckReport, gradcheck, numerical_grad
from autograd.core.modes import AnomalyError, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from autograd.core.report import BaseReport
from autograd.core.torch_check import import_torch, torch_gradients
from autograd.core.value import (
    Constant,
    Parameter,
    Value,
    backprop,
    custom_op,
    dot,
    forward_order,
    gradients,
    topological_order,
)
from autograd.pictures.draw import Graph, GraphTooLargeError, draw_dot
from autograd.pictures.names import node_names
from autograd.pictures.options import check_dpi
from autograd.pictures.render import GraphvizError, RendererNotFoundError
from autograd.pictures.themes import THEMES, Theme, get_theme
from autograd.pictures.tikz import latex_text
from autograd.stepthrough.trace import Step, Trace, trace_backward
from autograd.teach import mistakes
from autograd.teach.exercise import Exercise, exercise
from autograd.teach.mistakes import Mistake
from autograd.teach.random_exercise import random_exercise
from autograd.teach.report import Report

__all__ = [
    "AnomalyError", "Constant", "GradcheckReport", "Parameter", "Value", "backprop", "cos",
    "custom_op", "detect_anomaly", "dot", "enable_grad", "exp", "forward_order", "grad",
    "gradcheck", "gradients", "is_grad_enabled", "log", "no_grad", "numerical_grad", "relu",
    "sigmoid", "sin", "softplus", "sqrt", "step", "tanh", "topological_order", "value_and_grad",
    "where",
    # every report of checked numbers (gradcheck, exercises, the mistakes lab, nn's PyTorch
    # comparison) is one of these
    "BaseReport",
    # compiled steps
    "CompileWarning", "CompiledStep", "compile",
    # checking against PyTorch (an optional extra, imported only when called)
    "import_torch", "torch_gradients",
    # pictures and step-through
    "Graph", "GraphTooLargeError", "GraphvizError", "RendererNotFoundError", "Step", "Trace",
    "draw_dot", "node_names", "trace_backward",
    # one look for every picture, and text for LaTeX
    "THEMES", "Theme", "check_dpi", "get_theme", "latex_text",
    # showing numbers and tables and writing files, as every picture, report and saved model does
    "format_number", "format_table", "write_atomically",
    # backprop by hand: exercises that grade themselves, and the lab of classic mistakes
    "Exercise", "Mistake", "Report", "exercise", "mistakes", "random_exercise",
]


def __getattr__(name: str) -> object:
    # The compiler loads when first asked for: most programs never compile a step.
    if name in ("compile", "CompiledStep", "CompileWarning"):
        from autograd.compiled import compiler

        return getattr(compiler, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
