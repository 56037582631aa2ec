"""The update rule published by a popular sine-wave RNN tutorial, written here from its
description: a many-to-one sigmoid RNN with the mse loss, one loss term at the last step.

Its weight "gradients" do not depend on the backward pass at all, and its backward pass
uses the last step's values at every step. The function below computes that rule for any
batch, so that a checker can name it when it meets it, with one simplification: each
forward product is counted once per step, where the tutorial adds it a number of times that
depends on its ``bptt_truncate`` and keeps running sums across steps. The four mistakes
that make it wrong are the same.
"""

from __future__ import annotations

import numpy as np

from .base import run_forward
from .registry import mistake

#: the tutorial clips every entry of its updates to [-10, 10]
TUTORIAL_CLIP = 10.0


def _column_copies(v: np.ndarray, columns: int) -> np.ndarray:
    """(H,) -> (H, columns): a vector added to a matrix, broadcast along its rows."""
    return np.repeat(v[:, None], columns, axis=1)


def sine_tutorial_update_rule(params, xs, targets, spec, h0, weights) -> dict:
    """The sine-wave tutorial's rule: forward products for gradients, sigmoid' at a_T, clip to ±10.

    What is wrong: four things at once. The "gradients" of W_hh and W_xh are the forward
    products W_hh h_{t-1} and W_xh x_t copied into every column, not the outer products
    delta_t h_{t-1}^T and delta_t x_t^T; the read-out's gradient pairs the last step's
    error with every step's state; the backward pass takes sigmoid' as a (1 - a) at the
    pre-activation a_T of the last step, at every step (so dL/dxs is wrong too); and every
    entry is then clipped to [-10, 10].

    Why it is tempting: the code runs, its shapes broadcast, and the clipping keeps the
    updates bounded, so the loss still falls on the easy task of predicting a sine wave;
    nothing in the tutorial compares the result with a gradient.

    The fix: delta_t = h_t (1 - h_t) * (W_hy^T dy_t + W_hh^T delta_{t+1}) with each step's
    own h_t, dL/dW_hh = sum_t delta_t h_{t-1}^T, dL/dW_xh = sum_t delta_t x_t^T,
    dL/dW_hy = sum_t dy_t h_t^T, and no clipping inside the gradient.
    """
    fw = run_forward(params, xs, targets, spec, h0, weights)
    p, hs, T = fw.params, fw.hs, fw.xs.shape[0]
    H, D = p["W_xh"].shape
    w_T = np.asarray(weights, float)[-1][:, None]
    z_T = np.where(w_T > 0, np.asarray(targets, float)[-1], 0.0)  # padding is not read
    dy = w_T * (fw.ys[-1] - z_T)  # (B, O): the error of step T only
    a_last = fw.a[-1]  # the pre-activation left over from the forward loop
    dphi = a_last * (1.0 - a_last)  # sigmoid' written for h, evaluated at a_T
    dW_hy = sum(dy.T @ hs[t] for t in range(1, T + 1))  # the last error with every state
    dW_hh = sum(_column_copies((hs[t - 1] @ p["W_hh"].T).sum(0), H) for t in range(1, T + 1))
    dW_xh = sum(_column_copies((fw.xs[t - 1] @ p["W_xh"].T).sum(0), D) for t in range(1, T + 1))
    dxs = np.empty_like(fw.xs)
    dh_next = np.zeros_like(h0, dtype=float)
    for t in range(T, 0, -1):
        delta = dphi * (dy @ p["W_hy"] + dh_next)  # the last step's error and a_T at every t
        dxs[t - 1] = delta @ p["W_xh"]
        dh_next = delta @ p["W_hh"]
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "W_hy": dW_hy}
    clipped = {n: np.clip(g, -TUTORIAL_CLIP, TUTORIAL_CLIP) for n, g in grads.items()}
    return {**clipped, "xs": dxs, "loss": fw.loss}


MISTAKES = (
    mistake(
        "sine-tutorial-update-rule",
        sine_tutorial_update_rule,
        activation=("sigmoid",),
        loss=("mse",),
        weights=("last",),
        mode=("full",),
    ),
)
