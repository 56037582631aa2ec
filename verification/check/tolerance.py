"""The truth a user's gradients are held to, and the rounding noise they are allowed.

The truth is ``rnn_ref.gradients`` in float64, times the factor of the user's reduction:
1 (sum), 1/B (batch-mean), 1/sum(w) (mean).

The noise. Every entry of a gradient is a sum, over loss terms and paths through time, of
products ``w dl/dy W_hy phi' W_hh ... phi' (x | h | 1)``. Any evaluation order of such a
sum of n terms, in a floating-point format of unit roundoff u, is off by at most about
``n u`` times the sum of the terms' magnitudes (gamma_n = n u / (1 - n u)). ``magnitudes``
runs the forward and backward recurrences on absolute values to get that sum, M, for each
entry, with three changes that make it a bound for *another* correct implementation, not
only ours:

- a state enters as H_t = |h_t| + phi'_t A_t, where A_t = |W_xh| |x_t| + |W_hh| H_{t-1}
  + |b_h| is the magnitude of a_t's terms: a pre-activation that cancels to nearly 0 is
  known only to about u A_t, not to u |a_t|, and so is h_t;
- the residual dl/dy enters as Y + |z| (mse, Y = |W_hy| H_t + |b_y|) and (p + 1)(1 + 2 Y)
  (softmax), not |y - z| or |p - onehot|: a residual that cancels to nearly 0 still
  carries the rounding of y;
- phi'(a_t) may be computed another way (1 - tanh(a)^2 or 1 / cosh(a)^2; s (1 - s) with
  s rounded) and at an a_t off by u F_t (F_t = (D + H + 2) A_t + |W_hh| (phi' F + |h|)_{t-1},
  the rounding of a_t and what the previous state brings in): its absolute error is at
  most u (PHI_ERROR + 2 phi'_t F_t), since |phi''| <= 2 phi'. On a saturated unit that is
  a large *relative* error of a tiny phi', so it is carried separately:
  E_t = (PHI_ERROR + 2 phi'_t F_t) |dL/dh_t| + phi'_t |W_hh|^T E_{t+1}, fed into the same
  outer products as M.

The allowed noise of a gradient g is one number, normwise:
``noise_g = SAFETY (u (n max M_g + max E_g) + n tiny max(1, |x|, |h|))``, with
``n = T (B + D + 2 H + 2 O + 4)``, a bound on the length of the longest chain of roundings
(the forward recurrence, the backward recurrence and the final sums over time and batch).
The last term is underflow: a vanishing gradient of 1e-53 is 0 in float32 (whose smallest
normal number, tiny, is 1.2e-38), and rightly so. The bound needs the forward pass not to
amplify rounding, which the cases guarantee (rows of |W_hh| sum to at most 1,
``verification.check.cases``). ``docs/checker.md`` gives the measured margins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import rnn_ref
from rnn_ref.containers import Gradients

from .. import surrogate

if TYPE_CHECKING:  # the strategy module imports Hypothesis, needed only to search
    from .cases import CheckCase

#: Multiplies the rounding bound: measured margins are in docs/checker.md.
SAFETY = 8.0
#: |computed phi' - exact phi'| <= PHI_ERROR u for tanh and sigmoid (relu's is exact).
PHI_ERROR = 4.0
#: The names of the quantities, as the canonical convention returns them.
NAMES = ("loss", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "h0")


def factor(case: CheckCase, reduction: str) -> float:
    """What the user's loss is, as a multiple of L: 1, 1/B or 1/sum(w)."""
    if reduction == "sum":
        return 1.0
    if reduction == "batch-mean":
        return 1.0 / case.xs.shape[1]
    return 1.0 / float(case.weights.sum())


def truth(case: CheckCase, reduction: str) -> dict[str, np.ndarray]:
    """``rnn_ref.gradients`` of the case times the reduction's factor, by canonical name."""
    g = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    return scaled(g, factor(case, reduction))


def scaled(g: Gradients, c: float) -> dict[str, np.ndarray]:
    """The ``Gradients`` ``g`` times ``c``, as a dict by canonical name."""
    values = (np.float64(g.loss), *g.params.arrays(), g.xs, g.h0)
    return {name: c * np.asarray(v) for name, v in zip(NAMES, values, strict=True)}


def unit_roundoff(dtype: str) -> float:
    """u = eps / 2: 2^-53 for float64, 2^-24 for float32."""
    return float(np.finfo(np.dtype(dtype)).eps) / 2


def chain_length(case: CheckCase) -> int:
    """n = T (B + D + 2 H + 2 O + 4), the bound on the roundings in one chain."""
    T, B, D, H, O = case.sizes
    return T * (B + D + 2 * H + 2 * O + 4)


def _phi_prime(hs: np.ndarray, pre: np.ndarray, activation: str) -> np.ndarray:
    """phi'(a_t) from h_t = phi(a_t) (relu: from a_t, 0 at the kink)."""
    if activation == "tanh":
        return 1.0 - hs * hs
    if activation == "sigmoid":
        return hs * (1.0 - hs)
    return (pre > 0).astype(np.float64)


def magnitudes(case: CheckCase) -> tuple[dict[str, float], dict[str, float]]:
    """(max M_g, max E_g) per canonical name: the magnitude of every sum, and the error
    from phi' computed another way, each per unit of u (module docstring)."""
    p, xs, spec, w = case.params, case.xs, case.spec, case.weights
    T, B, D = xs.shape
    hs, pre = surrogate.forward_states(p, xs, case.h0, spec.activation)
    dphi = np.abs(_phi_prime(hs[1:], pre, spec.activation))
    W_xh, W_hh, b_h, W_hy, b_y = (np.abs(a) for a in p.arrays())  # Params.FIELDS order
    # Forward: A_t, the magnitude of a_t's terms, and H_t = |h_t| + phi'_t A_t, that of
    # h_t with the rounding of a_t in it (a pre-activation that cancels to nearly 0 is
    # known only to u A_t, not to u |a_t|).
    # F_t, the rounding error of a_t in units of u: the D + H + 2 roundings of its own sum,
    # and the error of h_{t-1} (phi' F_{t-1} + |h_{t-1}|) carried in through W_hh.
    A, F = np.empty_like(pre), np.empty_like(pre)
    H = np.empty_like(hs)
    H[0] = np.abs(case.h0)
    h_error = np.zeros_like(case.h0)
    roundings = D + W_hh.shape[0] + 2
    for t in range(T):
        A[t] = np.abs(xs[t]) @ W_xh.T + H[t] @ W_hh.T + b_h
        F[t] = roundings * A[t] + h_error @ W_hh.T
        H[t + 1] = np.abs(hs[t + 1]) + dphi[t] * A[t]
        h_error = dphi[t] * F[t] + np.abs(hs[t + 1])
    Y = H[1:] @ W_hy.T + b_y  # the magnitude of y_t's terms
    O = Y.shape[-1]
    if spec.loss == "mse":
        residual = Y + np.abs(case.targets)
        loss = 0.5 * np.sum(w[..., None] * residual**2)
    else:
        ys = hs[1:] @ p.W_hy.T + p.b_y
        shifted = ys - ys.max(axis=-1, keepdims=True)
        p_y = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        # softmax moves by p (dy - sum p dy): relative errors of up to 2 max|dy| of its own
        residual = (p_y + (np.arange(O) == case.targets[..., None])) * (
            1.0 + 2.0 * Y.max(axis=-1, keepdims=True)
        )
        loss = np.sum(w * (2.0 * Y.max(axis=-1) + np.log(O)))
    dy = w[..., None] * residual
    # phi' computed another way, or at an a_t off by u F_t: an absolute error of
    # PHI_ERROR u, plus |phi''| <= 2 phi' (tanh; sigmoid: phi') times that of a_t
    if spec.activation == "relu":
        phi_error = np.zeros_like(dphi)
    else:
        phi_error = PHI_ERROR + 2.0 * dphi * F
    d, e = np.empty_like(pre), np.empty_like(pre)
    d_next, e_next = np.zeros_like(case.h0), np.zeros_like(case.h0)
    for t in reversed(range(T)):
        incoming = dy[t] @ W_hy + d_next @ W_hh  # |dL/dh_t|
        d[t] = dphi[t] * incoming
        e[t] = phi_error[t] * incoming + dphi[t] * (e_next @ W_hh)
        d_next, e_next = d[t], e[t]

    def of(delta: np.ndarray, dy: np.ndarray) -> dict[str, float]:
        rows = delta.reshape(T * B, -1)
        out = {
            "W_xh": rows.T @ np.abs(xs).reshape(T * B, D),
            "W_hh": rows.T @ H[:-1].reshape(T * B, -1),
            "b_h": rows.sum(axis=0),
            "W_hy": dy.reshape(T * B, -1).T @ H[1:].reshape(T * B, -1),
            "b_y": dy.reshape(T * B, -1).sum(axis=0),
            "xs": delta @ W_xh,
            "h0": delta[0] @ W_hh,
        }
        return {name: float(np.max(a, initial=0.0)) for name, a in out.items()}

    M = {"loss": float(loss), **of(d, dy)}
    E = {"loss": 0.0, **of(e, np.zeros_like(dy))}
    return M, E


def underflow_floor(case: CheckCase) -> float:
    """n tiny max(1, |x|, |h|): what numbers below the format's smallest normal, rounded
    or flushed to 0 along a chain of n operations, can change a result by."""
    tiny = float(np.finfo(np.dtype(case.dtype)).tiny)
    hs, _ = surrogate.forward_states(case.params, case.xs, case.h0, case.spec.activation)
    largest = max(1.0, float(np.max(np.abs(case.xs))), float(np.max(np.abs(hs))))
    return chain_length(case) * tiny * largest


def noise_levels(case: CheckCase, reduction: str) -> dict[str, float]:
    """The absolute difference allowed for each quantity:
    SAFETY (u (n M + E) + n tiny max(1, |x|, |h|)), times the reduction's factor."""
    u = unit_roundoff(case.dtype)
    n = chain_length(case)
    M, E = magnitudes(case)
    floor = underflow_floor(case)
    c = factor(case, reduction)
    return {name: c * SAFETY * (u * (n * M[name] + E[name]) + floor) for name in NAMES}
