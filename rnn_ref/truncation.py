"""The backward recurrence of BPTT under full, chunk(k) and window(k) truncation.

Every mode returns the same two things: ``deltas[t-1]`` $= \\delta_t = \\partial
\\tilde L / \\partial a_t$ for the mode's surrogate loss $\\tilde L$, and dL/dh0. Everything
else in the gradient (the five parameter gradients, dL/dxs) follows from the deltas by
one matrix product each, in ``rnn_ref.bptt``.

- full: equations (8) and (9) of ``docs/bptt.md``, from t = T down to 1.
- chunk(k): the same loop, but the term carried back into a state that enters a chunk
  (h_k, h_2k, ...) is dropped, because the surrogate holds that state constant.
- window(k): the loss term at t reaches transitions t-k+1..t. All loss terms move back
  one transition together, so the k depths cost k batched products, not T*k small ones.

See ``docs/truncation.md`` for the surrogates and the equations (W1)-(W3), (C1).
"""

from __future__ import annotations

import numpy as np

from .activations import phi_prime


def backprop_deltas(
    dh_out: np.ndarray,
    hs: np.ndarray,
    W_hh: np.ndarray,
    activation: str,
    truncation: int | None,
    mode: str,
) -> tuple[np.ndarray, np.ndarray]:
    """The deltas of every step and dL/dh0 under the chosen truncation.

    Args:
        dh_out: (T, B, H) the read-out's part of dL/dh_t, $W_{hy}^\\top \\partial L /
            \\partial y_t$. A buffer the caller owns: the loops overwrite it.
        hs: (T+1, B, H) the states of the forward pass.
        W_hh: (H, H) the recurrent matrix.
        activation: the name of phi.
        truncation: ``None`` (full) or k >= 1.
        mode: ``"window"`` or ``"chunk"``.

    Returns:
        deltas (T, B, H) and dh0 (B, H).
    """
    T = dh_out.shape[0]
    if truncation is None or truncation >= T:
        deltas = _chunk_deltas(dh_out, hs, W_hh, activation, k=T)  # k >= T: one chunk = full
    elif mode == "chunk":
        deltas = _chunk_deltas(dh_out, hs, W_hh, activation, k=truncation)
    else:
        deltas = _window_deltas(dh_out, hs, W_hh, activation, k=truncation)
    # (14) dL/dh0 = W_hh^T delta_1. True in every mode: the loss terms that reach the
    # first transition all reach h0 too (window: t <= k; chunk: the first chunk).
    dh0 = deltas[0] @ W_hh
    return deltas, dh0


def _chunk_deltas(
    dh_out: np.ndarray, hs: np.ndarray, W_hh: np.ndarray, activation: str, k: int
) -> np.ndarray:
    """Full BPTT inside chunks of k transitions; k = T is full BPTT. Writes into dh_out."""
    T, B, H = dh_out.shape
    deltas = dh_out
    dh_next = np.zeros((B, H))  # W_hh^T delta_{t+1}; nothing comes after step T
    for start, stop in _blocks_backward(T, B * H):
        # phi'(a_t) does not depend on the recursion: computed for a block of steps at
        # once, it is one vectorised call instead of a call and a temporary per step.
        dphi = phi_prime(hs[start + 1 : stop + 1], activation)
        # t is 0-based (transition t+1 of the math), and dh is the view deltas[t]: W_hy^T dy_t
        # on entry, delta_t when the step is done. list() makes the views of the block's rows
        # at once, cheaper than indexing two arrays at every step.
        steps = zip(
            reversed(range(start, stop)),
            reversed(list(deltas[start:stop])),
            reversed(list(dphi)),
            strict=True,
        )
        for t, dh, dphi_t in steps:
            # (8) dL/dh_t = W_hy^T dy_t + W_hh^T delta_{t+1}
            dh += dh_next
            # (9) delta_t = phi'(a_t) * dL/dh_t
            dh *= dphi_t
            # (C1) hs[t] enters a chunk when t is a multiple of k: held constant, so
            # nothing flows back into it (t = 0 is h0, which is live in the first chunk).
            if t % k == 0 and t > 0:
                dh_next[...] = 0.0
            else:
                np.dot(dh, W_hh, out=dh_next)
    return deltas


# A block of phi' values holds at most this many numbers (256 KiB): enough to take the
# whole sequence at once for small B*H, where the per-step call overhead dominates (at
# T = 50, B = 1, H = 100 the loop takes 0.13 ms instead of 0.21 with phi' per step), and a
# bounded extra beside hs when B*H is large.
_BLOCK_NUMBERS = 32768
# ... and at most this many steps: the loop also holds two views per step of the block
# (about 120 bytes each), which would be 7.9 MB, 30 times phi' itself, at B = H = 1.
_BLOCK_STEPS = 256


def _blocks_backward(T: int, per_step: int) -> list[tuple[int, int]]:
    """[start, stop) ranges of steps that cover 0..T-1, the last block first."""
    size = max(1, min(_BLOCK_STEPS, _BLOCK_NUMBERS // per_step))
    return [(max(0, stop - size), stop) for stop in range(T, 0, -size)]


def _window_deltas(
    dh_out: np.ndarray, hs: np.ndarray, W_hh: np.ndarray, activation: str, k: int
) -> np.ndarray:
    """window(k): every loss term goes back through its own k most recent transitions.

    At depth j, ``E[t-1]`` holds $\\delta^{(t+j)}_t$: the delta at transition t of the loss
    term j steps later, for t = 1..T-j. Moving every loss term back one transition is one
    product over all of them. Writes into dh_out.
    """
    T, B, H = dh_out.shape
    dphi = phi_prime(hs[1:], activation)  # (T, B, H), needed at every depth
    E = dh_out
    E *= dphi  # (W1) depth 0: delta^{(t)}_t = phi'(a_t) * W_hy^T dy_t
    deltas = E.copy()  # (W3), the terms of depth 0
    for j in range(1, k):
        # (W2) delta^{(t+j)}_t = phi'(a_t) * W_hh^T delta^{(t+j)}_{t+1}, for all t at once
        E = (E[1:].reshape(-1, H) @ W_hh).reshape(T - j, B, H)
        E *= dphi[: T - j]  # (W2), its factor phi'(a_t)
        deltas[: T - j] += E  # (W3) delta_t = the sum over the loss terms t..t+k-1
    return deltas
