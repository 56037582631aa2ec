"""The JAX twin of ``rnn_ref``: the same model, loss and truncations, by ``jax.grad``.

The twin is written from docs/contract.md alone. It imports the containers ``Params``,
``Spec``, ``Gradients`` and ``Trajectory`` from ``rnn_ref`` and none of its math. It is two modules:

- ``model``: the whole model, its loss and the contract's surrogates, on one screen
  (``surrogate``, ``true_loss``);
- ``programs``: how they are run: every problem padded to a shape bucket, one compiled
  program per bucket, and the functions with the signatures of ``rnn_ref``'s (``loss``,
  ``gradients``, ``trajectory``), and ``prepare``, ``loss_of``, ``gradients_of`` for a
  problem prepared once.

Input checking is the reference's job: the twin converts its arguments to float64 (class ids
to int64) and assumes they are valid, i.e. that ``rnn_ref.gradients`` would accept them. The
tests only feed it such input.

Precision: ``loss``, ``gradients``, ``loss_of`` and ``gradients_of`` run inside
``verification.runtime.jax_scope()``, i.e. in float64 and with the persistent compilation
cache, and leave the user's JAX settings as they found them (importing the twin changes
none). ``surrogate`` and ``true_loss`` are traced inside the compiled programs; called on
their own, they compute in the caller's precision.
"""

from ..runtime import configure_cache as configure_cache  # the CLI's --no-jax-cache
from .model import P, surrogate, true_loss
from .programs import (
    MIN_BUCKET,
    Problem,
    bucket,
    gradients,
    gradients_of,
    loss,
    loss_of,
    prepare,
    trajectory,
)

__all__ = [
    "MIN_BUCKET",
    "P",
    "Problem",
    "bucket",
    "configure_cache",
    "gradients",
    "gradients_of",
    "loss",
    "loss_of",
    "prepare",
    "surrogate",
    "trajectory",
    "true_loss",
]
