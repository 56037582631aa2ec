"""The per-step losses l(y, z) and their gradients with respect to the read-out y.

$$L = \\sum_{t=1}^{T} \\sum_{b=1}^{B} w_{t,b}\\, l(y_{t,b}, z_{t,b})$$

- ``mse``: $l = \\tfrac12 \\lVert y - z \\rVert^2$, so $\\partial l / \\partial y = y - z$.
- ``softmax_ce``: $l = \\operatorname{logsumexp}(y) - y_c$, so
  $\\partial l / \\partial y = \\operatorname{softmax}(y) - e_c$.

Positions with weight 0 are padding: their targets are never read, so a padded batch may
hold NaN or -1 there (docs/contract.md §5). Both functions replace those targets by a harmless
value before any arithmetic, rather than relying on ``0 * NaN``, which is NaN.
"""

from __future__ import annotations

import numpy as np


def _log_softmax(ys: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, shifted by the maximum so that exp never overflows."""
    shifted = ys - ys.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def loss_and_dys(
    ys: np.ndarray, targets: np.ndarray, weights: np.ndarray, loss: str
) -> tuple[float, np.ndarray]:
    """The weighted loss L and dL/dys, which is written over ``ys``.

    The read-outs are not needed once the loss has them, and a buffer of T*B*O numbers
    that is reused costs no fresh memory: on a machine whose kernel supplies each new page
    with a fault, that is a few percent of a gradient call. Both callers pass a fresh
    ``ys``.

    Args:
        ys: (T, B, O) read-outs; overwritten with dL/dys.
        targets: (T, B, O) floats for ``mse``; (T, B) integer class ids for ``softmax_ce``.
        weights: (T, B) non-negative loss weights w.
        loss: ``"mse"`` or ``"softmax_ce"``.

    Returns:
        L as a Python float, and dL/dys of shape (T, B, O): $w_{t,b}\\,\\partial l/\\partial y$,
        which is the array ``ys``.
    """
    live = weights > 0
    w = weights[..., None]
    if loss == "mse":
        if live.all():
            residual = np.subtract(ys, targets, out=ys)  # a third of the masked one's time
        else:
            # y - z where the weight is nonzero; padded targets are not read, and their
            # residual is 0
            residual = np.subtract(ys, targets, where=live[..., None], out=ys)
            residual[~live] = 0.0
        # (4) with l = |y - z|^2 / 2: the squared norms come per (t, b) and are weighted
        # there, so that no second array of T*B*O numbers is needed.
        value = 0.5 * float(np.sum(weights * np.vecdot(residual, residual)))
        residual *= w  # (5) dL/dy_t = w_t (y_t - z_t)
        return value, residual
    classes = np.where(live, targets, 0)[..., None]  # padding may hold -1: read class 0
    log_p = _log_softmax(ys)
    value = -float(np.sum(weights * np.take_along_axis(log_p, classes, axis=-1)[..., 0]))  # (4)
    # (5) dL/dy_t = w_t (softmax(y_t) - e_c), into ys
    probabilities = np.exp(log_p, out=ys)
    np.put_along_axis(  # (5), - e_c
        probabilities, classes, np.take_along_axis(probabilities, classes, axis=-1) - 1.0, axis=-1
    )
    probabilities *= w  # (5), times w_t
    return value, probabilities
