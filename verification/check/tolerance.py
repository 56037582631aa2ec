"""The truth a user's gradients are held to, and the rounding noise they are allowed.

The truth is ``rnn_ref.gradients`` in float64, times the factor of the user's reduction:
1 (sum), 1/B (batch-mean), 1/sum(w) (mean).

The noise. Every entry of a gradient is a sum, over loss terms and paths through time, of
products ``w dl/dy W_hy phi' W_hh ... phi' (x | h | 1)``. Any evaluation order of such a
sum of n terms, in a floating-point format of unit roundoff u, is off by at most about
``n u`` times the sum of the terms' magnitudes (gamma_n = n u / (1 - n u)). ``magnitudes``
runs the backward recurrence on absolute values to get that sum, M, for each entry, with
two changes that make it a bound for *another* correct implementation, not only ours:

- the residual dl/dy enters as |y| + |z| (mse) and p + 1 (softmax), not |y - z| or
  |p - onehot|: a residual that cancels to nearly 0 still carries the rounding of y;
- phi'(a_t) may be computed another way (1 - tanh(a)^2 or 1 / cosh(a)^2; s (1 - s) with
  s rounded): its absolute error is at most ``PHI_ERROR`` u. On a saturated unit that is a
  large *relative* error of a tiny phi', so it is carried separately: E_t = PHI_ERROR u
  |dL/dh_t| + phi'_t |W_hh|^T E_{t+1}, fed into the same outer products as M.

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


def magnitudes(case: CheckCase) -> tuple[dict[str, float], dict[str, float]]:
    """(max M_g, max E_g) per canonical name: the magnitude of every sum, and the error
    from phi' computed another way, each per unit of u (module docstring)."""
    p, xs, spec = case.params, case.xs, case.spec
    w = case.weights
    hs, pre = surrogate.forward_states(p, xs, case.h0, spec.activation)
    ys = hs[1:] @ p.W_hy.T + p.b_y
    O = ys.shape[-1]
    if spec.loss == "mse":
        residual = np.abs(ys) + np.abs(case.targets)
        loss = 0.5 * np.sum(w[..., None] * residual**2)
    else:
        shifted = ys - ys.max(axis=-1, keepdims=True)
        p_y = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        residual = p_y + (np.arange(O) == case.targets[..., None])
        loss = np.sum(w * (2 * np.abs(ys).max(axis=-1) + np.log(O)))
    dy = w[..., None] * residual
    h = hs[1:]
    if spec.activation == "tanh":
        dphi = 1.0 - h * h
    elif spec.activation == "sigmoid":
        dphi = h * (1.0 - h)
    else:
        dphi = (pre > 0).astype(np.float64)
    phi_error = 0.0 if spec.activation == "relu" else PHI_ERROR
    W_xh, W_hh, W_hy = (np.abs(a) for a in (p.W_xh, p.W_hh, p.W_hy))
    d, e = np.empty_like(pre), np.empty_like(pre)
    d_next, e_next = np.zeros_like(case.h0), np.zeros_like(case.h0)
    for t in reversed(range(xs.shape[0])):
        incoming = dy[t] @ W_hy + d_next @ W_hh  # |dL/dh_t|
        d[t] = dphi[t] * incoming
        e[t] = phi_error * incoming + dphi[t] * (e_next @ W_hh)
        d_next, e_next = d[t], e[t]

    def of(delta: np.ndarray, dy: np.ndarray) -> dict[str, float]:
        T, B, D = xs.shape
        rows = delta.reshape(T * B, -1)
        out = {
            "W_xh": rows.T @ np.abs(xs).reshape(T * B, D),
            "W_hh": rows.T @ np.abs(hs[:-1]).reshape(T * B, -1),
            "b_h": rows.sum(axis=0),
            "W_hy": dy.reshape(T * B, -1).T @ np.abs(h).reshape(T * B, -1),
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
