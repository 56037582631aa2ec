"""Mistakes in the recurrence: the carried term W_hh^T delta_{t+1}, the state W_hh pairs
with, and the gradients that leave through W_hh (dL/dh0) or should leave through W_xh
(dL/dxs)."""

from __future__ import annotations

import numpy as np

from .base import bptt, first_transition, with_seams
from .registry import mistake


def no_carried_term(params, xs, targets, spec, h0, weights) -> dict:
    """The carried term W_hh^T delta_{t+1} is dropped: dL/dh_t = W_hy^T dy_t only.

    What is wrong: h_t influences the loss through later steps too, so dL/dh_t has a second
    term, W_hh^T delta_{t+1}; without it no gradient flows back through time at all.

    Why it is tempting: a backward pass written step by step, like a feed-forward layer,
    sees only the loss of its own step; the result still trains a little and has the right
    shapes.

    The fix: carry dh_next = W_hh^T delta_t from step t to step t-1 and add it to the
    read-out's part: dL/dh_t = W_hy^T dy_t + dh_next.
    """
    seams = with_seams(carry=lambda delta, W_hh: np.zeros_like(delta))
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _phi_prime_on_the_read_out_part_only(dphi_t, dh, depth):
    return dphi_t * dh if depth == 0 else dh


def carried_term_skips_phi_prime(params, xs, targets, spec, h0, weights) -> dict:
    """The carried term is added after phi': delta_t = phi'(a_t) * W_hy^T dy_t + W_hh^T delta_{t+1}.

    What is wrong: both parts of dL/dh_t reach a_t through phi, so both must be multiplied
    by phi'(a_t); here the carried part skips it.

    Why it is tempting: the read-out's gradient is turned into a delta first, and the
    carried term, which "is already a delta", is added to it afterwards.

    The fix: sum first, then multiply: delta_t = phi'(a_t) * (W_hy^T dy_t + W_hh^T delta_{t+1}).
    """
    seams = with_seams(delta=_phi_prime_on_the_read_out_part_only)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def w_hh_not_transposed(params, xs, targets, spec, h0, weights) -> dict:
    """W_hh not transposed in the carried term: W_hh delta_{t+1} instead of W_hh^T delta_{t+1}.

    What is wrong: the forward pass maps h_{t-1} to a_t by W_hh, so the gradient goes back
    by its transpose; W_hh is square, so the wrong product has the right shape.

    Why it is tempting: the forward line is copied into the backward pass, and no shape
    error ever appears; a constant or symmetric W_hh in a test hides it too.

    The fix: dh_next = W_hh^T delta_t, which in row layout is ``delta @ W_hh``.
    """
    seams = with_seams(carry=lambda delta, W_hh: delta @ W_hh.T)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def w_hh_paired_with_h_t(params, xs, targets, spec, h0, weights) -> dict:
    """dL/dW_hh pairs delta_t with h_t instead of h_{t-1}.

    What is wrong: W_hh multiplies the previous state in a_t = W_xh x_t + W_hh h_{t-1} + b_h,
    so its gradient is sum_t delta_t h_{t-1}^T; pairing with h_t uses the state the step
    produces.

    Why it is tempting: in the loop over t, ``hs[t]`` is the state "of this step", and with
    hs holding h0 at index 0 the off-by-one between the math and the array is easy to miss.

    The fix: pair delta_t with hs[t-1] (the state before the step), hs[0] = h0.
    """
    seams = with_seams(paired_state=lambda hs: hs[1:])
    return bptt(params, xs, targets, spec, h0, weights, seams)


def h_prev_wraps_at_t0(params, xs, targets, spec, h0, weights) -> dict:
    """The state before the first step read as ``hs[t-1]`` at t = 0, which wraps to h_T.

    What is wrong: with the states stored without h0 (``hs[t]`` = h_{t+1}), the previous
    state of step 0 is read as ``hs[-1]``, which Python silently turns into the last state
    h_T; the first step's share of dL/dW_hh uses h_T in place of h0.

    Why it is tempting: ``hs[t-1]`` is the natural expression of h_{t-1}, negative indices
    are legal, and with h0 = 0 and a short sequence the error is small.

    The fix: store h0 with the states (hs[0] = h0) or handle t = 0 explicitly.
    """
    seams = with_seams(paired_state=lambda hs: np.roll(hs[1:], 1, axis=0))
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _dh_1(deltas, dh_out, W_hh, seams):
    later = seams.carry(deltas[1], W_hh) if len(deltas) > 1 else 0.0
    return dh_out[0] + later


def dh0_missing_last_carry(params, xs, targets, spec, h0, weights) -> dict:
    """dL/dh0 returned as dL/dh_1: the last carried step, W_hh^T delta_1, is never taken.

    What is wrong: h0 reaches the loss through the first transition, so dL/dh0 =
    W_hh^T delta_1; the value returned is the gradient at h_1, one transition too late.

    Why it is tempting: the loop's running ``dh`` at its last iteration is "the gradient of
    the first state", and returning it looks natural; many tests never look at dL/dh0.

    The fix: after the loop, take one more carried step, dL/dh0 = W_hh^T delta_1 (the loop's
    last ``dh_next``).
    """
    seams = with_seams(h0_gradient=_dh_1)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def input_gradient_through_w_hh(params, xs, targets, spec, h0, weights) -> dict:
    """The input gradient taken through W_hh: dL/dx_t = W_hh^T delta_t instead of W_xh^T delta_t.

    What is wrong: x_t enters a_t through W_xh, so its gradient is W_xh^T delta_t; the
    recurrent matrix gives the gradient of h_{t-1}, not of x_t (and a wrong shape when D != H).

    Why it is tempting: the two backward products sit on adjacent lines and look alike,
    and when D = H (an embedding as wide as the state) nothing fails.

    The fix: dL/dx_t = W_xh^T delta_t (row layout: ``delta @ W_xh``).
    """
    seams = with_seams(input_gradient=lambda deltas, p: deltas @ p["W_hh"])
    return bptt(params, xs, targets, spec, h0, weights, seams)


#: where ``clipped_carried_term`` clips dh_next, element-wise
CARRY_CLIP = 1.0


def _textbook_loop_with_clipped_carry(dh_out, dphi, W_hh, spec, seams):
    if spec["truncation"] is not None and spec["truncation_mode"] == "window":
        raise NotImplementedError("the single backward loop computes full or chunk(k) only")
    T = dh_out.shape[0]
    deltas = np.empty_like(dh_out)
    dh_next = np.zeros_like(dh_out[0])
    for t in range(T, 0, -1):
        deltas[t - 1] = dphi[t - 1] * (dh_out[t - 1] + dh_next)  # (8), (9)
        if t > 1 and first_transition(t, T, spec) == t:
            dh_next = np.zeros_like(dh_next)  # chunk(k): h_{t-1} is held constant
        else:
            dh_next = np.clip(deltas[t - 1] @ W_hh, -CARRY_CLIP, CARRY_CLIP)  # the mistake
    return deltas


def clipped_carried_term(params, xs, targets, spec, h0, weights) -> dict:
    """The carried term clipped element-wise to [-1, 1] at every step of the backward loop.

    What is wrong: clipping inside the recursion changes the gradient itself wherever a
    carried term exceeds the bound, and the error compounds through every earlier step; it
    is no longer the gradient of any loss.

    Why it is tempting: it is meant to stop exploding gradients where they arise, and on
    short sequences with small weights it changes nothing, so tests on easy cases pass.

    The fix: compute the exact gradient and clip (by global norm) in the optimiser, where
    clipping is a choice of update rule and not a change of the gradient.
    """
    seams = with_seams(recursion=_textbook_loop_with_clipped_carry)
    return bptt(params, xs, targets, spec, h0, weights, seams)


MISTAKES = (
    mistake("no-carried-term", no_carried_term),
    mistake("carried-term-skips-phi-prime", carried_term_skips_phi_prime),
    mistake("w-hh-not-transposed", w_hh_not_transposed),
    mistake("w-hh-paired-with-h-t", w_hh_paired_with_h_t),
    mistake("h-prev-wraps-at-t0", h_prev_wraps_at_t0),
    mistake("dh0-missing-last-carry", dh0_missing_last_carry),
    mistake("input-gradient-through-w-hh", input_gradient_through_w_hh),
    mistake("clipped-carried-term", clipped_carried_term, mode=("full", "chunk")),
)
