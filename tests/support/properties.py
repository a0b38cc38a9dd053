"""How many examples a property test draws: all of them in `make test`, a tenth in `make quick`.

`make quick` runs pytest with `--hypothesis-profile=quick` (registered in tests/conftest.py);
every other run uses Hypothesis's default profile, so `make test` draws each test's full count.
"""

from hypothesis import settings

THOROUGH = 100
"""Hypothesis's default `max_examples`: the profile every run but `make quick` uses."""

QUICK = 10
"""The quick profile's `max_examples`: a tenth of the thorough count."""

settings.register_profile("quick", max_examples=QUICK)


def examples(thorough: int) -> int:
    """`thorough` under the default profile, scaled down (to at least 5) under the quick one."""
    return max(5, thorough * settings.default.max_examples // THOROUGH)
