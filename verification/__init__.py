"""Independent oracles for rnn_ref.

- ``verification.twin``: the same model, loss and truncations in JAX, differentiated by
  ``jax.grad`` (it imports only the containers from ``rnn_ref``).
- ``verification.surrogate``: the spec's surrogate losses in plain NumPy loops, for finite
  differences of the truncated modes.
- ``verification.oracles``: reverse mode, forward mode (``jax.jvp``) and finite differences
  along random directions.
- ``verification.runtime``: the scope in which the JAX code runs: float64 for our calls
  only, and a persistent compilation cache (``configure_cache``).
- ``verification.compare``: one comparison helper whose failures name the quantity, the
  config, the worst element and the relative error.
"""
