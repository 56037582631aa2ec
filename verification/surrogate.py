"""The surrogate losses of docs/contract.md §3, written out literally: the finite-difference oracle.

Every truncation mode of ``rnn_ref.gradients`` is defined (docs/contract.md §3) as the exact
gradient of a *surrogate* loss in which some hidden states are held constant
("stop-gradient"). A held state is a number computed once, at the point where the
gradient is taken; it does not move when the parameters move. This module evaluates
those surrogates as plain functions of (params, xs, h0), with the held states computed
at a separate *anchor* point:

    S(theta; anchor) = sum over loss terms of w * l(y_t, z_t), where y_t is unrolled with
    theta from h0 (live) or from a state h_s computed by a forward run at the anchor.

At theta = anchor, S equals the true loss L (the unrolls reproduce the forward states),
and because the held states do not depend on theta,

    d/dtheta S(theta; anchor = theta0) at theta = theta0

is exactly the truncated gradient that the contract defines, for every mode. Its central
finite differences are therefore an oracle for ``rnn_ref.gradients`` that knows nothing
about deltas, carried terms or how the backward loops are organised:

- full: the loss L of docs/contract.md §2, one unroll from the live h0.
- window(k): the loss term at step t unrolls transitions t-k+1..t from the held
  h_{t-k} when t-k >= 1, and from the live h0 when t-k <= 0 (then it has only t
  transitions).
- chunk(k): steps are cut into chunks 1..k, k+1..2k, ...; every chunk after the first
  unrolls from the held state that enters it (h_k, h_2k, ...), the first from the live h0.

It is deliberately simple and slow: explicit Python loops over loss terms, chunks,
transitions and sequences, one equation per line. It shares no math with ``rnn_ref``:
only the containers ``Params`` and ``Spec`` are imported, and phi, the stable sigmoid and
logsumexp are written again here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rnn_ref.containers import Params, Spec

# ---------------------------------------------------------------------------------------
# The model, docs/contract.md §1, written again.


def _tanh(a: np.ndarray) -> np.ndarray:
    return np.tanh(a)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)), evaluated so that exp only sees non-positive numbers."""
    out = np.empty_like(a)
    positive = a >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-a[positive]))
    e = np.exp(a[~positive])  # a < 0, so e is in (0, 1)
    out[~positive] = e / (1.0 + e)
    return out


def _relu(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0, a, 0.0)


_ACTIVATIONS = {"tanh": _tanh, "sigmoid": _sigmoid, "relu": _relu}


def _preactivation(params: Params, x_t: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """a_t = W_xh x_t + W_hh h_{t-1} + b_h, for row vectors (B, D) and (B, H)."""
    return x_t @ params.W_xh.T + h_prev @ params.W_hh.T + params.b_h


def _transition(params: Params, x_t: np.ndarray, h_prev: np.ndarray, activation: str):
    """h_t = phi(a_t)."""
    return _ACTIVATIONS[activation](_preactivation(params, x_t, h_prev))


def forward_states(
    params: Params, xs: np.ndarray, h0: np.ndarray, activation: str
) -> tuple[np.ndarray, np.ndarray]:
    """The oracle's own forward run: hs (T+1, B, H) with hs[0] = h0, and the
    pre-activations ``pre`` (T, B, H) with pre[t-1] = a_t.

    Tests use ``pre`` to check that no relu pre-activation sits near the kink.
    """
    T = xs.shape[0]
    hs = [np.asarray(h0, dtype=np.float64)]
    pre = []
    for t in range(1, T + 1):
        a_t = _preactivation(params, xs[t - 1], hs[t - 1])
        pre.append(a_t)
        hs.append(_ACTIVATIONS[activation](a_t))
    return np.stack(hs), np.stack(pre)


# ---------------------------------------------------------------------------------------
# The loss, docs/contract.md §2, one sequence at a time.


def _logsumexp(y: np.ndarray) -> float:
    m = float(np.max(y))
    return m + float(np.log(np.sum(np.exp(y - m))))


def _step_loss(
    params: Params, h_t: np.ndarray, z_t: np.ndarray, w_t: np.ndarray, loss: str
) -> float:
    """sum_b w[t, b] * l(y_{t,b}, z_{t,b}) for one step; padding (w = 0) is never read."""
    total = 0.0
    for b in range(h_t.shape[0]):
        if w_t[b] == 0:
            continue  # padding: the target may be NaN or -1, and is not looked at
        y = params.W_hy @ h_t[b] + params.b_y  # y_t = W_hy h_t + b_y
        if loss == "mse":
            r = y - z_t[b]
            total += float(w_t[b]) * 0.5 * float(r @ r)  # l = 1/2 ||y - z||^2
        else:
            total += float(w_t[b]) * (_logsumexp(y) - float(y[int(z_t[b])]))  # lse(y) - y[c]
    return total


# ---------------------------------------------------------------------------------------
# The surrogates, docs/contract.md §3.


def surrogate_loss(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    anchor: Params | None = None,
    anchor_xs: np.ndarray | None = None,
    anchor_h0: np.ndarray | None = None,
) -> float:
    """The surrogate loss of ``spec``'s truncation mode, with held states from the anchor.

    Args:
        params: the live parameters theta.
        xs: (T, B, D) live inputs.
        targets: (T, B, O) floats (mse) or (T, B) class ids (softmax_ce); not read where
            the weight is 0.
        spec: activation, loss, truncation and mode.
        h0: (B, H) live initial state; ``None`` means zeros.
        weights: (T, B) loss weights; ``None`` means ones.
        anchor, anchor_xs, anchor_h0: the point at which the held states h_s (s >= 1)
            are computed; each defaults to its live counterpart. The held states are a
            forward run of the anchor, so they do not move when the live values move.

    Returns:
        The surrogate value, a Python float. At the anchor it is the loss L.
    """
    xs = np.asarray(xs, dtype=np.float64)
    T, B, _ = xs.shape
    H = params.W_hh.shape[0]
    h0 = np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    weights = np.ones((T, B)) if weights is None else np.asarray(weights, dtype=np.float64)
    targets = np.asarray(targets)
    act = spec.activation

    anchor = params if anchor is None else anchor
    anchor_xs = xs if anchor_xs is None else np.asarray(anchor_xs, dtype=np.float64)
    anchor_h0 = h0 if anchor_h0 is None else np.asarray(anchor_h0, dtype=np.float64)
    held, _ = forward_states(anchor, anchor_xs, anchor_h0, act)  # held[s] = h_s, constant

    k = spec.truncation
    total = 0.0
    if k is None:
        # full: one unroll of all T transitions from the live h0.
        h = h0
        for t in range(1, T + 1):
            h = _transition(params, xs[t - 1], h, act)
            total += _step_loss(params, h, targets[t - 1], weights[t - 1], spec.loss)
    elif spec.truncation_mode == "window":
        # window(k): the loss term at t sees transitions t-k+1..t only.
        for t in range(1, T + 1):
            start = t - k
            if start >= 1:
                h = held[start]  # stop_gradient(h_{t-k})
            else:
                start, h = 0, h0  # fewer than k transitions back to the live h0
            for m in range(start + 1, t + 1):
                h = _transition(params, xs[m - 1], h, act)
            total += _step_loss(params, h, targets[t - 1], weights[t - 1], spec.loss)
    else:
        # chunk(k): chunks 1..k, k+1..2k, ...; a state entering a later chunk is held.
        for start in range(0, T, k):
            h = h0 if start == 0 else held[start]  # live h0, or stop_gradient(h_start)
            for t in range(start + 1, min(start + k, T) + 1):
                h = _transition(params, xs[t - 1], h, act)
                total += _step_loss(params, h, targets[t - 1], weights[t - 1], spec.loss)
    return total


# ---------------------------------------------------------------------------------------
# Central finite differences of the surrogate.

#: The relative step of the central differences. For f(x +- h) the difference quotient
#: (f(x+h) - f(x-h)) / 2h has truncation error h^2 |f'''| / 6 and round-off error about
#: u |L| / h (each f is exact to a few ulps of |L|, u = 2^-53 ~ 1.1e-16). Their sum is
#: smallest at h ~ (3 u |L| / |f'''|)^(1/3) ~ 7e-6 for unit-sized L and f''', where both
#: parts are ~1e-11. 2^-17 ~ 7.6e-6 is that step; it is scaled by max(1, |x|) so that a
#: large entry is moved by the same relative amount.
RELATIVE_STEP = 2.0**-17


@dataclass(frozen=True, eq=False)
class FiniteDifferences:
    """Central differences of the surrogate, shaped like ``rnn_ref.Gradients``.

    Attributes:
        loss: the surrogate at the anchor, i.e. L.
        params: the five parameter derivatives in a ``Params``.
        xs: (T, B, D). h0: (B, H).
    """

    loss: float
    params: Params
    xs: np.ndarray
    h0: np.ndarray


def _central_differences(f, x: np.ndarray, step: float) -> np.ndarray:
    """d f / d x for every element of x, by central differences; f takes an array like x."""
    x = np.array(x, dtype=np.float64)  # a private copy to perturb
    grad = np.empty_like(x)
    for index in np.ndindex(*x.shape):
        x0 = x[index]
        h = step * max(1.0, abs(x0))
        plus, minus = x0 + h, x0 - h
        x[index] = plus
        f_plus = f(x)
        x[index] = minus
        f_minus = f(x)
        x[index] = x0
        # Divide by the step that was actually taken: plus - minus is exact in floating
        # point, whereas 2h may differ from it by an ulp of x0.
        grad[index] = (f_plus - f_minus) / (plus - minus)
    return grad


def finite_differences(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    relative_step: float = RELATIVE_STEP,
) -> FiniteDifferences:
    """Central differences of ``surrogate_loss`` w.r.t. every element of every parameter,
    of xs and of h0, with the held states anchored at the unperturbed point.

    Everything is float64. The cost is two surrogate evaluations per element, so this is
    for small cases only (a few hundred elements).
    """
    params = Params(
        **{name: np.asarray(getattr(params, name), np.float64) for name in Params.FIELDS}
    )
    xs = np.asarray(xs, dtype=np.float64)
    B = xs.shape[1]
    H = params.W_hh.shape[0]
    h0 = np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    anchor = {"anchor": params, "anchor_xs": xs, "anchor_h0": h0}

    def at(p: Params, x: np.ndarray, h: np.ndarray) -> float:
        return surrogate_loss(p, x, targets, spec, h0=h, weights=weights, **anchor)

    dparams = {}
    for name in Params.FIELDS:
        dparams[name] = _central_differences(
            lambda value, name=name: at(dataclasses.replace(params, **{name: value}), xs, h0),
            getattr(params, name),
            relative_step,
        )
    dxs = _central_differences(lambda value: at(params, value, h0), xs, relative_step)
    dh0 = _central_differences(lambda value: at(params, xs, value), h0, relative_step)
    return FiniteDifferences(loss=at(params, xs, h0), params=Params(**dparams), xs=dxs, h0=dh0)
