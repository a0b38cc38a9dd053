"""How many examples a property test draws: all of them in `make test`, a tenth in `make quick`;
and that none is judged by the clock.

`make quick` runs pytest with `--hypothesis-profile=quick` (registered in tests/conftest.py);
every other run uses the `thorough` profile loaded here, so `make test` draws each test's full
count. Neither has a deadline per example or the too-slow health check: on a loaded machine
both fail tests that are correct.
"""

from hypothesis import HealthCheck, settings

THOROUGH = 100
"""Hypothesis's default `max_examples`: the profile every run but `make quick` uses."""

QUICK = 10
"""The quick profile's `max_examples`: a tenth of the thorough count."""

UNTIMED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", UNTIMED, max_examples=THOROUGH)
settings.register_profile("quick", UNTIMED, max_examples=QUICK)
settings.load_profile("thorough")


def examples(thorough: int) -> int:
    """`thorough` under the default profile, scaled down (to at least 5) under the quick one."""
    return max(5, thorough * settings.default.max_examples // THOROUGH)
