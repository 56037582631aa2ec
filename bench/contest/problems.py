"""The problems of ``bench/peers.py``: the shapes, the arrays of one problem, the flop count."""

from __future__ import annotations

import math

import numpy as np

import rnn_ref

SHAPES = [
    (50, 1, 1, 100, 1),  # the tutorials' sine task
    (100, 32, 32, 128, 32),
    (200, 64, 64, 256, 64),
    (100, 16, 64, 1024, 64),
]
MODES_SHAPE = (200, 64, 64, 256, 64)  # where window(k) and chunk(k) are timed too
QUICK_SHAPES = [(6, 1, 1, 8, 1), (5, 3, 2, 4, 2)]
QUANTITIES = (*rnn_ref.Params.FIELDS, "xs", "h0")

Shape = tuple[int, int, int, int, int]
Grads = dict[str, np.ndarray]


#: One problem: ``rnn_ref``'s own (its ``sizes`` are the shape); the spec is the contender's.
Problem = rnn_ref.Problem


def make_problem(shape: Shape, seed: int = 0) -> Problem:
    """Xavier weights, small random biases, N(0, 1) inputs and targets, a random h0."""
    T, B, D, H, O = shape
    rng = np.random.default_rng(seed)
    xavier = rnn_ref.init_params(D, H, O, seed=seed)
    params = rnn_ref.Params(
        W_xh=xavier.W_xh,
        W_hh=xavier.W_hh,
        b_h=0.1 * rng.normal(size=H),
        W_hy=xavier.W_hy,
        b_y=0.1 * rng.normal(size=O),
    )
    xs = rng.normal(size=(T, B, D))
    targets = rng.normal(size=(T, B, O))
    h0 = rng.uniform(-0.5, 0.5, size=(B, H))
    return Problem(params, xs, targets, rnn_ref.Spec(), h0, weights=None)


def flops(shape: Shape, mode: str = "full", k: int = 0) -> float:
    """Flops of the matrix products of one gradient call (a multiply-add is 2 flops)."""
    T, B, D, H, O = shape
    full = 6.0 * T * B * H * (D + H + O)
    if mode == "window" and k < T:
        # The k-1 batched products of depths 1..k-1 replace full's T carried products.
        return full + 2.0 * B * H * H * (sum(T - j for j in range(1, k)) - T)
    if mode == "chunk" and k < T:
        return full - 2.0 * B * H * H * (math.ceil(T / k) - 1)
    return full
