"""Independent oracles for rnn_ref.

- ``verification.twin``: the same model, loss and truncations in JAX, differentiated by
  ``jax.grad`` (it imports only the containers from ``rnn_ref``).
- ``verification.surrogate``: the spec's surrogate losses in plain NumPy loops, for finite
  differences of the truncated modes.
- ``verification.oracles``: reverse mode, forward mode (``jax.jvp``) and finite differences
  along random directions.
- ``verification.compare``: one comparison helper whose failures name the quantity, the
  config, the worst element and the relative error.
- ``verification.mistakes``: the gallery of wrong BPTT implementations (``GALLERY``), each
  the correct BPTT of ``mistakes.base`` with one seam changed (``docs/mistakes.md``).
- ``verification.fingerprints``: ``identify`` names what a wrong gradient equals: a gallery
  mistake, a constant factor, the transpose, the truth clipped, another truncation.
"""
