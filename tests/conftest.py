"""Test-suite settings shared by every test file."""

import importlib
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Machines here are shared and noisy: no per-example deadline. On CI the examples are
# derandomized so a red run can be reproduced exactly.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")


TORCH_MISSING = 'PyTorch is not installed (pip install -e ".[torch]")'


def import_or_skip(module: str, reason: str) -> Any:
    """``import module``; when it is missing, skip with ``reason`` (the calling test, or at the
    top of a test file the whole file), or fail where ``BACKPROP_LAB_CI`` is set: ``.ci/run``
    installs every optional tool, so there a missing one is a broken set-up."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("BACKPROP_LAB_CI"):
            pytest.fail(f"{module} is not installed, but BACKPROP_LAB_CI is set: .ci/run should "
                        f"have installed it ({reason})", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
