"""Independent oracles for rnn_ref, and the checker of other people's RNNs.

- ``verification.twin``: the same model, loss and truncations in JAX, differentiated by
  ``jax.grad`` (it imports only the containers from ``rnn_ref``).
- ``verification.surrogate``: the contract's surrogate losses in plain NumPy loops, for finite
  differences of the truncated modes.
- ``verification.oracles``: reverse mode, forward mode (``jax.jvp``) and finite differences
  along random directions.
- ``verification.runtime``: the scope in which the JAX code runs: float64 for our calls
  only, and a persistent compilation cache (``configure_cache``).
- ``verification.compare``: one comparison helper whose failures name the quantity, the
  config, the worst element and the relative error.
- ``verification.mistakes``: the gallery of wrong BPTT implementations (``GALLERY``), each
  the correct BPTT of ``mistakes.base`` with one seam changed (``docs/mistakes.md``).
- ``verification.fingerprints``: ``identify`` names what a wrong gradient equals: a gallery
  mistake, a constant factor, the transpose, the truth clipped, another truncation.
- ``verification.vectors``: the golden test vectors (``rnn-ref vectors``,
  ``docs/golden-vectors.md``): written, verified, and used to judge other implementations.
- ``verification.check``: ``check_gradients`` and ``assert_gradients_match``, re-exported
  here, check a user's gradients against rnn_ref (``rnn-ref check``, ``docs/checker.md``).

``import verification`` stays cheap: the checker's API is loaded on first use, and JAX
only when a confirmation or an oracle needs it.
"""

from __future__ import annotations

__all__ = ["CheckReport", "assert_gradients_match", "check_gradients"]


def __getattr__(name: str):
    if name in __all__:
        from . import check

        return getattr(check, name)
    raise AttributeError(f"module 'verification' has no attribute {name!r}")
