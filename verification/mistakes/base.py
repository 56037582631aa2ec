"""A correct BPTT in the canonical convention, written with named seams.

Every mistake of the gallery is this one function with one or a few seams replaced, so that
the mistake is the only difference from the truth. Equations as numbered in
``docs/bptt.md``, with the truncations of ``docs/truncation.md``::

    dL/dy_t      = w_t dl/dy_t                       (5)   seam: dys
    dL/dW_hy     = sum_t dy_t h_t^T                  (6)   seam: read_out
    dL/db_y      = sum_t dy_t                        (7)   seams: read_out, batch_sum
    dL/dh_t      = W_hy^T dy_t + W_hh^T delta_{t+1}  (8)   seam: carry
    delta_t      = phi'(a_t) * dL/dh_t               (9)   seams: phi_prime, delta
    dL/dW_xh     = sum_t delta_t x_t^T               (10)  seam: paired_input
    dL/dW_hh     = sum_t delta_t h_{t-1}^T           (11)  seam: paired_state
    dL/db_h      = sum_t delta_t                     (12)  seam: batch_sum
    dL/dx_t      = W_xh^T delta_t                    (13)  seam: input_gradient
    dL/dh0       = W_hh^T delta_1                    (14)  seam: h0_gradient

Truncation is where each loss term's path back ends (seam ``reach``): the loss term at step
s reaches the transitions ``reach(s)..s``, with ``reach(s)`` = 1 for full BPTT,
max(1, s-k+1) for window(k) and the first step of s's chunk for chunk(k). The backward
recursion (seam ``recursion``) walks each loss term back along its own path, the way
``bptt_truncate`` loops are written: it costs T*k steps rather than T, which is of no
account on the small cases that the gallery runs on, and it gives every truncation the same
code. Shapes: T steps, B sequences, D inputs, H hidden units, O outputs; row vectors, so
``W x`` is ``x @ W.T``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

import rnn_ref

#: phi'(a) written in terms of h = phi(a), the form that BPTT code stores.
DERIVATIVE_FROM_OUTPUT: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": lambda h: 1.0 - h * h,
    "sigmoid": lambda h: h * (1.0 - h),
    "relu": lambda h: (h > 0).astype(float),
}


def _rows(a: np.ndarray) -> np.ndarray:
    """(..., n) viewed as (rows, n): a sum over steps of outer products is one product."""
    return a.reshape(-1, a.shape[-1])


def softmax(ys: np.ndarray) -> np.ndarray:
    """softmax over the last axis, shifted by the maximum so that exp cannot overflow."""
    e = np.exp(ys - ys.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot(targets: np.ndarray, O: int) -> np.ndarray:
    """(T, B) class ids -> (T, B, O) one-hot vectors e_c."""
    return np.eye(O)[np.asarray(targets, dtype=np.int64)]


# The correct seams. Each mistake module replaces some of them.


def loss_gradient(ys: np.ndarray, targets: np.ndarray, weights: np.ndarray, loss: str):
    """(5) dL/dy_t = w_t (y_t - z_t) for mse, w_t (softmax(y_t) - e_c) for softmax_ce.

    ys (T, B, O); targets (T, B, O) or (T, B) class ids; weights (T, B). Returns (T, B, O).
    """
    w = weights[..., None]
    if loss == "mse":
        return w * (ys - targets)
    return w * (softmax(ys) - one_hot(targets, ys.shape[-1]))


def sum_over_time_and_batch(per_step: np.ndarray) -> np.ndarray:
    """(T, B, n) -> (n,): a bias is shared by every step and every sequence."""
    return per_step.sum(axis=(0, 1))


def read_out_gradients(dys: np.ndarray, hs: np.ndarray, batch_sum: Callable) -> tuple:
    """(6) dL/dW_hy = sum_t dy_t h_t^T, (O, H); (7) dL/db_y = sum_t dy_t, (O,)."""
    return _rows(dys).T @ _rows(hs[1:]), batch_sum(dys)


def phi_prime_at_state(a: np.ndarray, h: np.ndarray, activation: str) -> np.ndarray:
    """phi'(a_t) from the stored h_t = phi(a_t); a and h (T, B, H)."""
    return DERIVATIVE_FROM_OUTPUT[activation](h)


def first_transition(s: int, T: int, spec: dict) -> int:
    """The first transition (1-based) that the loss term at step s reaches."""
    k = spec["truncation"]
    if k is None:
        return 1
    if spec["truncation_mode"] == "window":
        return max(1, s - k + 1)
    return (s - 1) // k * k + 1  # chunk(k): chunks are 1..k, k+1..2k, ...


def delta_through_phi(dphi_t: np.ndarray, dh: np.ndarray, depth: int) -> np.ndarray:
    """(9) delta_t = phi'(a_t) * dL/dh_t, at ``depth`` transitions back from the loss term."""
    return dphi_t * dh


def carry_through_W_hh(delta: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """(8) the carried term W_hh^T delta_t, a part of dL/dh_{t-1}; (B, H)."""
    return delta @ W_hh


def previous_states(hs: np.ndarray) -> np.ndarray:
    """(11) the state that W_hh multiplies at step t is h_{t-1}: hs[:-1], (T, B, H)."""
    return hs[:-1]


def inputs(xs: np.ndarray) -> np.ndarray:
    """(10) the input that W_xh multiplies at step t is x_t: xs itself, (T, B, D)."""
    return xs


def through_W_xh(deltas: np.ndarray, params: dict) -> np.ndarray:
    """(13) dL/dx_t = W_xh^T delta_t, (T, B, D)."""
    return deltas @ params["W_xh"]


def carried_into_h0(deltas: np.ndarray, dh_out: np.ndarray, W_hh: np.ndarray, seams) -> np.ndarray:
    """(14) dL/dh0 = W_hh^T delta_1: the terms that reach transition 1 all reach h0."""
    return seams.carry(deltas[0], W_hh)


def walk_each_loss_term(dh_out, dphi, W_hh, spec: dict, seams) -> np.ndarray:
    """The deltas: each loss term walked back along the transitions it reaches.

    Args:
        dh_out: (T, B, H) the read-out's part of dL/dh_t, W_hy^T dy_t.
        dphi: (T, B, H) phi'(a_t).
        W_hh: (H, H).
        spec: the canonical spec dict (its truncation).
        seams: the seams in use (reach, delta, carry).

    Returns:
        deltas (T, B, H): delta_t summed over the loss terms that reach transition t.
    """
    T = dh_out.shape[0]
    deltas = np.zeros_like(dh_out)
    for s in range(T, 0, -1):  # the loss term at step s, 1-based as in the docs
        if not dh_out[s - 1].any():
            continue  # a term of weight 0 sends nothing back
        dh = dh_out[s - 1]  # its part of dL/dh_s
        for depth, t in enumerate(range(s, seams.reach(s, T, spec) - 1, -1)):
            delta = seams.delta(dphi[t - 1], dh, depth)  # (9)
            deltas[t - 1] += delta
            dh = seams.carry(delta, W_hh)  # (8) along this term's path into h_{t-1}
    return deltas


def unchanged(grads: dict, T: int) -> dict:
    """The gradients as computed (the seam where some code rescales or clips them)."""
    return grads


@dataclass(frozen=True)
class Seams:
    """The places where BPTT code goes wrong; every default is the correct one.

    Attributes:
        dys: (ys, targets, weights, loss) -> dL/dys (T, B, O).
        read_out: (dys, hs, batch_sum) -> (dL/dW_hy (O, H), dL/db_y (O,)).
        batch_sum: (T, B, n) -> (n,), the sum of a bias's per-step gradients.
        phi_prime: (a, h, activation) -> phi'(a_t) (T, B, H); a and h are (T, B, H).
        reach: (s, T, spec) -> the first transition the loss term at step s reaches.
        delta: (phi'_t, dL/dh_t, depth) -> delta_t (B, H).
        carry: (delta_t, W_hh) -> the carried term into h_{t-1} (B, H).
        recursion: (dh_out, dphi, W_hh, spec, seams) -> deltas (T, B, H).
        paired_state: hs (T+1, B, H) -> the state paired with delta_t in dL/dW_hh.
        paired_input: xs (T, B, D) -> the input paired with delta_t in dL/dW_xh.
        input_gradient: (deltas, params) -> dL/dxs.
        h0_gradient: (deltas, dh_out, W_hh, seams) -> dL/dh0 (B, H).
        finish: (grads, T) -> grads, the last thing done before returning.
    """

    dys: Callable = loss_gradient
    read_out: Callable = read_out_gradients
    batch_sum: Callable = sum_over_time_and_batch
    phi_prime: Callable = phi_prime_at_state
    reach: Callable = first_transition
    delta: Callable = delta_through_phi
    carry: Callable = carry_through_W_hh
    recursion: Callable = walk_each_loss_term
    paired_state: Callable = previous_states
    paired_input: Callable = inputs
    input_gradient: Callable = through_W_xh
    h0_gradient: Callable = carried_into_h0
    finish: Callable = unchanged


CORRECT = Seams()


def with_seams(**changes: Callable) -> Seams:
    """The correct seams with ``changes`` made: ``with_seams(carry=...)``."""
    return replace(CORRECT, **changes)


@dataclass(frozen=True, eq=False)
class Forward:
    """What the backward pass reads from the forward pass.

    Attributes:
        params: the five arrays, float64. xs (T, B, D). hs (T+1, B, H), hs[0] = h0.
        a: (T, B, H) pre-activations. ys: (T, B, O). loss: L.
    """

    params: dict
    xs: np.ndarray
    hs: np.ndarray
    a: np.ndarray
    ys: np.ndarray
    loss: float


def run_forward(params: dict, xs, targets, spec: dict, h0, weights) -> Forward:
    """Equations (1)-(4) by ``rnn_ref``; the pre-activations a_t are formed again here."""
    p = rnn_ref.Params(**{name: np.asarray(params[name], float) for name in rnn_ref.Params.FIELDS})
    xs = np.asarray(xs, float)
    spec_ = rnn_ref.Spec(**spec)
    trajectory = rnn_ref.forward(p, xs, h0, activation=spec_.activation)
    hs = trajectory.hs
    a = xs @ p.W_xh.T + hs[:-1] @ p.W_hh.T + p.b_h  # (1)
    value = rnn_ref.loss(p, xs, targets, spec_, h0=h0, weights=weights)
    arrays = {name: getattr(p, name) for name in rnn_ref.Params.FIELDS}
    return Forward(params=arrays, xs=xs, hs=hs, a=a, ys=trajectory.ys, loss=value)


def _padding_read_as_zero(targets: np.ndarray, weights: np.ndarray, loss: str) -> np.ndarray:
    """Targets where the weight is 0 are padding, never read (they may be NaN or -1)."""
    live = weights > 0
    if loss == "mse":
        return np.where(live[..., None], targets, 0.0)
    return np.where(live, targets, 0)


def bptt(params: dict, xs, targets, spec: dict, h0, weights, seams: Seams = CORRECT) -> dict:
    """The gradients of the loss (sum reduction), built from ``seams``.

    Args:
        params: ``W_xh`` (H, D), ``W_hh`` (H, H), ``b_h`` (H,), ``W_hy`` (O, H), ``b_y`` (O,).
        xs: (T, B, D). targets: (T, B, O) floats or (T, B) class ids. spec: a dict of the
        ``rnn_ref.Spec`` fields. h0: (B, H). weights: (T, B).
        seams: the seams; the default gives the exact gradient.

    Returns:
        ``{"W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "h0", "loss"}``: the gradients under
        the parameters' names, dL/dxs (T, B, D), dL/dh0 (B, H) and L.
    """
    fw = run_forward(params, xs, targets, spec, h0, weights)
    p, hs = fw.params, fw.hs
    weights = np.asarray(weights, float)
    targets = _padding_read_as_zero(np.asarray(targets), weights, spec["loss"])
    dys = seams.dys(fw.ys, targets, weights, spec["loss"])  # (5)
    dW_hy, db_y = seams.read_out(dys, hs, seams.batch_sum)  # (6), (7)
    dh_out = dys @ p["W_hy"]  # (8), read-out part: W_hy^T dy_t
    dphi = seams.phi_prime(fw.a, hs[1:], spec["activation"])
    deltas = seams.recursion(dh_out, dphi, p["W_hh"], spec, seams)  # (8), (9)
    grads = {
        "W_xh": _rows(deltas).T @ _rows(seams.paired_input(fw.xs)),  # (10)
        "W_hh": _rows(deltas).T @ _rows(seams.paired_state(hs)),  # (11)
        "b_h": seams.batch_sum(deltas),  # (12)
        "W_hy": dW_hy,
        "b_y": db_y,
        "xs": seams.input_gradient(deltas, p),  # (13)
        "h0": seams.h0_gradient(deltas, dh_out, p["W_hh"], seams),  # (14)
    }
    grads = seams.finish(grads, fw.xs.shape[0])
    return {**grads, "loss": fw.loss}


def correct(params: dict, xs, targets, spec: dict, h0, weights) -> dict:
    """The exact gradient, in the canonical convention: ``bptt`` with every seam correct."""
    return bptt(params, xs, targets, spec, h0, weights)
