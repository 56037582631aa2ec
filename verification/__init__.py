"""Independent oracles for rnn_ref: the finite-difference surrogate now; the JAX twin later."""
