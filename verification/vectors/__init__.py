"""Golden test vectors any language can use (``rnn-ref vectors``, ``docs/golden-vectors.md``).

- ``suite``: the cases (ids, tiers, flags, tolerances) and how their arrays are drawn.
- ``generate``: ``write_suite(out)``, every expected number confirmed by the JAX twin.
- ``files``, ``document``, ``manifest``: the JSON written to round-trip, and read as
  untrusted input.
- ``verify``: ``verify(directory)``, the digests, then every case recomputed.
- ``results``: ``check_results(results, directory)``, someone else's numbers judged with
  the checker's comparison and fingerprints.
"""

from __future__ import annotations

from .generate import GenerationError, write_suite
from .results import ResultsReport, check_results
from .verify import VerifyReport, verify

__all__ = [
    "GenerationError",
    "ResultsReport",
    "VerifyReport",
    "check_results",
    "verify",
    "write_suite",
]
