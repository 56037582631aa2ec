"""rnn_ref against its oracles on drawn cases: the JAX twin, forward mode and finite differences.

Every case comes from ``verification.strategies.cases()``: the whole problem is drawn
(activation, loss, truncation mode and k, sizes, parameters on several scales, inputs,
targets, h0, loss weights), and it is well-scaled by construction (no saturation, no
growth), so one tolerance holds for all of them. Saturated, exploding and vanishing
regimes are in ``tests/test_hard_cases.py``.

The denominator of every relative error is the *magnitude* of the quantity
(``strategies.magnitudes``): the same sums evaluated in absolute values, which is what
bounds the rounding error of any evaluation order. max|theirs| would not do: a gradient
that is exactly 0 in exact arithmetic (the softmax rows sum to 0, and W_hy has equal
columns) is rounding noise of ~1e-17 in both implementations, and their "relative error"
is then of order 1 (``test_the_denominator_is_the_magnitude``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rnn_ref
from rnn_ref import Params, Spec
from verification import compare, oracles, twin
from verification.strategies import (
    MAX_OUTPUT,
    MAX_PREACTIVATION,
    MAX_RELU_STATE,
    Case,
    assert_twin_close,
    cases,
    magnitudes,
    scaled_examples,
    scales,
)
from verification.surrogate import forward_states

# docs/verification.md, "Tolerance of twin equality": on well-scaled cases the two
# implementations differ by at most ~2 gamma_N of the magnitude (N ~ 440 roundings along
# the longest path for T = 16, B = 4, D = H = O = 6: ~1e-13) plus the disagreement of
# their tanh (<= 6 ulps of h, amplified by 1 / (1 - |h|) <= 1500 at |a| <= 4: ~1e-12).
# 1e-10 is 100x that bound; the measured worst over the ci run is ~1e-15.
RTOL = 1e-10
N_DIRECTIONS = 2
SEEDS = st.integers(0, 2**32 - 1)


def magnitude_norm(case: Case) -> float:
    """The 2-norm of the gradient's magnitude over all seven arrays: for a unit v, it
    bounds |<g, v>| and the rounding error of <g, v> (Cauchy-Schwarz)."""
    arrays = [m for name, m in magnitudes(case).items() if name != "L"]
    return float(np.sqrt(sum(float(np.sum(m * m)) for m in arrays)))


def assert_well_scaled(case: Case) -> None:
    """The strategy's promise, on which RTOL rests: no saturation, no growth, |y| <= 4."""
    hs, pre = forward_states(case.params, case.xs, case.h0_or_zeros(), case.spec.activation)
    ys = hs[1:] @ case.params.W_hy.T + case.params.b_y
    config = case.config()
    if case.spec.activation == "relu":
        assert np.abs(hs).max() <= MAX_RELU_STATE, config
    else:
        assert np.abs(pre).max() <= MAX_PREACTIVATION, config
    assert np.abs(ys).max() <= MAX_OUTPUT, config


@settings(max_examples=scaled_examples(4))
@given(case=cases())
def test_twin_equals_reference(case: Case, tally) -> None:
    """L and all seven gradient arrays equal the twin's, each to RTOL of its magnitude."""
    tally.record("test_twin_equals_reference", case)
    assert_well_scaled(case)
    ours = rnn_ref.gradients(*case.args(), **case.kwargs())
    theirs = twin.gradients(*case.args(), **case.kwargs())
    config = case.config()
    errors = assert_twin_close(ours, theirs, scales=scales(case), rtol=RTOL, config=config)
    tally.error("relative error vs twin (magnitude)", max(errors.values()), config)
    # For the record only: the same errors against max|theirs| (module docstring).
    theirs_fields = compare.gradient_fields(theirs)
    plain = [compare.relative_error(ours.loss, theirs.loss)]
    plain += [
        compare.relative_error(a, theirs_fields[n])
        for n, a in compare.gradient_fields(ours).items()
    ]
    tally.error("relative error vs twin (max|theirs|)", max(plain), config)


@settings(max_examples=scaled_examples(1))
@given(case=cases(), seed=SEEDS)
def test_forward_mode_equals_reference(case: Case, seed: int, tally) -> None:
    """jax.jvp of the twin's surrogate along random unit directions v equals <g, v>."""
    tally.record("test_forward_mode_equals_reference", case)
    grads = rnn_ref.gradients(*case.args(), **case.kwargs())
    shapes = oracles.point_shapes(case.params, case.xs, case.h0)
    directions = oracles.random_directions(shapes, N_DIRECTIONS, np.random.default_rng(seed))
    expected = np.array([oracles.directional(grads, v) for v in directions])
    jvp = oracles.forward_mode(*case.args(), directions, **case.kwargs())
    # |<g, v>| and its rounding error are bounded by the magnitudes' 2-norm for |v| = 1
    # (Cauchy-Schwarz); same RTOL as above (docs/verification.md, "The three oracles").
    d = compare.assert_close(
        "<g, v> by jax.jvp",
        jvp,
        expected,
        rtol=RTOL,
        scale=magnitude_norm(case),
        config=case.config(seed=seed),
    )
    tally.error("relative error vs jax.jvp", d.error, case.config(seed=seed))


@settings(max_examples=scaled_examples(0.25))
@given(case=cases(max_T=10), seed=SEEDS)
def test_finite_differences_equal_reference(case: Case, seed: int, tally) -> None:
    """Central differences of the NumPy surrogate along random directions, within the
    bound the oracle derives per case and direction (docs/verification.md, "The
    finite-difference bound"); relu directions that may cross a kink are skipped."""
    grads = rnn_ref.gradients(*case.args(), **case.kwargs())
    shapes = oracles.point_shapes(case.params, case.xs, case.h0)
    directions = oracles.random_directions(shapes, N_DIRECTIONS, np.random.default_rng(seed))
    expected = np.array([oracles.directional(grads, v) for v in directions])
    fd = oracles.finite_differences(*case.args(), directions, **case.kwargs())
    assume(fd.smooth.any())
    tally.record("test_finite_differences_equal_reference", case)
    config = case.config(seed=seed)
    smooth = fd.smooth
    ratio = compare.assert_within(
        "<g, v> by finite differences",
        fd.values[smooth],
        expected[smooth],
        fd.bounds[smooth],
        config=config,
    )
    tally.error("|FD - <g, v>| / its bound", ratio, config)
    scale = magnitude_norm(case)
    if scale > 0:  # else the gradient is exactly 0 and FD measured only rounding noise
        error = float(np.max(np.abs(fd.values[smooth] - expected[smooth]))) / scale
        tally.error("relative error vs finite differences (magnitude)", error, config)
        tally.error("FD bound / magnitude", float(np.max(fd.bounds[smooth])) / scale, config)


def test_the_denominator_is_the_magnitude() -> None:
    """Why the denominator is the magnitude: with softmax_ce and a W_hy whose entries are
    all equal, W_hy^T dl/dy = c sum_o (p_o - e_c,o) = 0 in exact arithmetic, so every
    hidden-side gradient is rounding noise in both implementations. Against max|theirs|
    they "differ" by O(1); against the magnitude of what was summed, by ~1e-16."""
    rng = np.random.default_rng(1)
    T, B, D, H, O = 5, 2, 3, 4, 3
    params = Params(
        W_xh=rng.uniform(-0.3, 0.3, (H, D)),
        W_hh=rng.uniform(-0.2, 0.2, (H, H)),
        b_h=rng.uniform(-0.3, 0.3, H),
        W_hy=np.full((O, H), 0.3),
        b_y=rng.uniform(-1.0, 1.0, O),
    )
    xs = rng.uniform(-1.0, 1.0, (T, B, D))
    case = Case(params, xs, rng.integers(0, O, (T, B)), Spec(loss="softmax_ce"), None, None)
    ours = rnn_ref.gradients(*case.args())
    theirs = twin.gradients(*case.args())
    scale = scales(case)["dL/dW_xh"]
    assert np.max(np.abs(theirs.params.W_xh)) < 1e-15 < 1e-3 < scale
    # The noise differs between the two (measured: 6.2 relative to max|theirs|).
    assert compare.relative_error(ours.params.W_xh, theirs.params.W_xh) > RTOL
    assert_twin_close(ours, theirs, scales=scales(case), rtol=RTOL, config=case.config())
