"""Test-suite settings shared by every test file."""

import os

from hypothesis import HealthCheck, settings

# Machines here are shared and noisy: no per-example deadline. On CI the examples are
# derandomized so a red run can be reproduced exactly.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")
