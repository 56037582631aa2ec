"""Mistakes in truncation: the right idea applied to the wrong span of transitions
(``docs/truncation.md`` defines window(k) and chunk(k))."""

from __future__ import annotations

from .base import bptt, with_seams
from .registry import mistake


def _one_transition_more(s: int, T: int, spec: dict) -> int:
    return max(1, s - spec["truncation"])


def window_k_plus_one(params, xs, targets, spec, h0, weights) -> dict:
    """window(k) done as window(k+1): each loss term goes back k+1 transitions.

    What is wrong: the loop counts the k steps it goes back after the loss term's own step,
    so each term reaches k+1 transitions; the result is the exact gradient of window(k+1).

    Why it is tempting: a well-known tutorial's ``bptt_truncate = k`` loop is written this
    way, and "truncate after k steps back" reads naturally as k extra steps.

    The fix: the loss term at step s reaches transitions max(1, s-k+1)..s: k transitions,
    its own included.
    """
    seams = with_seams(reach=_one_transition_more)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _last_k_of_the_sequence(s: int, T: int, spec: dict) -> int:
    return max(1, T - spec["truncation"] + 1)


def truncation_from_sequence_end(params, xs, targets, spec, h0, weights) -> dict:
    """Truncation counted from the end of the sequence: only the last k transitions get a delta.

    What is wrong: window(k) cuts each loss term's path k transitions back from that term;
    here the backward loop runs over the last k steps of the sequence only, so every loss
    term before step T-k+1 sends nothing back through the hidden state.

    Why it is tempting: "backpropagate k steps" becomes ``for t in reversed(range(T-k, T))``;
    with one loss at the last step (many-to-one) that is even correct.

    The fix: apply the window to every loss term: the term at step s reaches transitions
    max(1, s-k+1)..s.
    """
    seams = with_seams(reach=_last_k_of_the_sequence)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _chunk_start(s: int, T: int, spec: dict) -> int:
    k = spec["truncation"]
    return (s - 1) // k * k + 1


def window_done_as_chunk(params, xs, targets, spec, h0, weights) -> dict:
    """window(k) done as chunk(k): the state is detached every k steps.

    What is wrong: window(k) gives every loss term its own k most recent transitions;
    detaching the state every k steps gives the term at the start of a chunk only one
    transition and the term at its end k. The result is the exact gradient of chunk(k).

    Why it is tempting: both are called "truncated BPTT with k steps", and the
    detach-every-k loop of the deep learning frameworks is the one most people have seen.

    The fix: decide which truncation is meant; for window(k), walk each loss term back k
    transitions (``rnn_ref.Spec(truncation=k, truncation_mode="window")``).
    """
    seams = with_seams(reach=_chunk_start)
    return bptt(params, xs, targets, spec, h0, weights, seams)


def _chunks_counted_from_zero(s: int, T: int, spec: dict) -> int:
    k = spec["truncation"]
    return max(1, s // k * k)


def chunk_boundary_off_by_one(params, xs, targets, spec, h0, weights) -> dict:
    """chunk(k) cut one step early: the chunks are 1..k-1, k..2k-1, ...

    What is wrong: the test that says where a chunk starts mixes the 0-based array index
    with the 1-based step, so the state is detached at h_{k-1}, h_{2k-1}, ... instead of
    h_k, h_{2k}, ...: the first chunk is one transition short and the rest are shifted.

    Why it is tempting: ``if t % k == 0`` is right in one indexing and wrong in the other,
    and the shifted chunks still have k transitions, so the result looks plausible.

    The fix: hold constant the states h_k, h_{2k}, ... that enter each chunk after the
    first: the loss term at step s reaches back to transition (s-1)//k*k + 1.
    """
    seams = with_seams(reach=_chunks_counted_from_zero)
    return bptt(params, xs, targets, spec, h0, weights, seams)


MISTAKES = (
    mistake("window-k-plus-one", window_k_plus_one, mode=("window",)),
    mistake(
        "truncation-from-sequence-end",
        truncation_from_sequence_end,
        mode=("window",),
        weights=("any", "ones", "mask"),
    ),
    mistake("window-done-as-chunk", window_done_as_chunk, mode=("window",)),
    mistake("chunk-boundary-off-by-one", chunk_boundary_off_by_one, mode=("chunk",)),
)
