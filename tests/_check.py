"""What the checker's tests share: the correct canonical example and a quick check."""

from __future__ import annotations

from pathlib import Path

import verification
from verification.check import harness

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "check" / "canonical_rnn.py"
#: examples/check/canonical_rnn.py:gradients, a correct implementation of every scope value
(correct,) = harness.load_target(f"{EXAMPLE}:gradients")


def check(fn, **kwargs) -> verification.CheckReport:
    """``verification.check_gradients`` with 20 examples unless told otherwise."""
    kwargs.setdefault("examples", 20)
    return verification.check_gradients(fn, **kwargs)
