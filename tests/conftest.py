"""Test settings: Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE variable.

- ``dev`` (the default locally): few examples, fast feedback.
- ``ci``: derandomized, no example database, prints a reproduction blob on failure.
- ``thorough``: many examples, for long runs by hand.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
