"""The gallery of BPTT mistakes: wrong implementations that real code contains.

Each is a small function in the canonical convention (``verification.check.conventions``)
whose docstring says what is wrong, why it is tempting and the fix. Most are the one
correct BPTT of ``base`` with one seam changed, so that the mistake is the only difference
from the truth; the modules group them by family:

- ``derivative``: phi' and the values each step reads;
- ``recurrence``: the carried term, W_hh's pairing, dL/dh0 and dL/dxs;
- ``truncation``: the right cut at the wrong place;
- ``readout``: dL/dy, the read-out, the bias sums, rescaling and clipping;
- ``tutorial``: a published update rule.

``GALLERY`` lists them all; ``verification.fingerprints`` runs them to name what a user's
wrong gradient equals, and ``docs/mistakes.md`` is generated from them.
"""

from __future__ import annotations

from . import derivative, readout, recurrence, truncation, tutorial
from .base import CORRECT, Seams, bptt, correct, with_seams
from .registry import APPLIES_KEYS, Mistake, mistake, mode_of, weight_kinds

GALLERY: tuple[Mistake, ...] = (
    *derivative.MISTAKES,
    *recurrence.MISTAKES,
    *truncation.MISTAKES,
    *readout.MISTAKES,
    *tutorial.MISTAKES,
)

BY_ID: dict[str, Mistake] = {m.id: m for m in GALLERY}
if len(BY_ID) != len(GALLERY):
    raise RuntimeError("verification.mistakes: two mistakes share an id")

__all__ = [
    "APPLIES_KEYS",
    "BY_ID",
    "CORRECT",
    "GALLERY",
    "Mistake",
    "Seams",
    "bptt",
    "correct",
    "mistake",
    "mode_of",
    "weight_kinds",
    "with_seams",
]
