"""PyTorch is optional: the engine and nn import without it, and every function that needs it
says what to install when it is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import autograd
import nn

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_engine_and_nn_does_not_import_torch():
    code = "import sys, autograd, nn; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("name, call", [
    ("torch_gradients", lambda: autograd.torch_gradients(autograd.Value(1.0))),
    ("nn.to_torch", lambda: nn.to_torch(nn.Neuron(2, seed=0))),
    ("nn.from_torch", lambda: nn.from_torch(object())),
    ("nn.compare_with_torch",
     lambda: nn.compare_with_torch(nn.Neuron(1, seed=0), [1.0], [1.0], loss=nn.mse_loss)),
])
def test_without_pytorch_each_function_says_what_to_install(monkeypatch, name, call):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError) as error:
        call()
    message = str(error.value)
    assert message.startswith(f"{name} needs PyTorch, which is not installed")
    assert "make torch" in message and "pip install torch --index-url" in message
    assert error.value.__cause__ is None and error.value.__suppress_context__
