"""The regimes that the well-scaled strategy leaves out, each with a tolerance derived for it.

- saturation: tanh and sigmoid units with pre-activations of +-30 (drawn by Hypothesis:
  a well-scaled case with some hidden units pushed to +-30);
- T = 200 with W_hh of spectral radius above 1 (the gradient explodes) and far below 1
  (it vanishes), for tanh, sigmoid and relu.

Each tolerance is derived in docs/verification.md, "Hard cases"; the comments here give
the short form. None is a guess tuned to pass: each is a first-order bound on how far two
correct float64 implementations can be apart, computed from the case itself, and each
test also checks that its case is in the regime it claims (saturated, exploding,
vanishing) and that its tolerance is far below what a wrong term would change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnn_ref
from rnn_ref import Params, Spec
from verification import compare, twin
from verification.strategies import Case, cases, magnitudes, scaled_examples, scales
from verification.surrogate import forward_states

U = 2.0**-53  # unit roundoff of float64

# docs/verification.md, "Tolerance of twin equality": everything that is not saturated.
RTOL = 1e-10

# docs/verification.md, "Saturation". Two implementations' tanh and sigmoid differ by at
# most 6 and 3 ulps (NumPy against XLA, measured over 200,001 points of [-40, 40]); 8 ulps
# also cover the rounding of 1 - h and of the product in phi'.
ULPS = 8

SATURATION = 30.0


def phi_relative_error(hs: np.ndarray) -> np.ndarray:
    """A bound on the relative error of phi'(a) = h (1 - h) or 1 - h^2 computed from an h
    that is off by ULPS ulps: ULPS u (2 + 1 / (1 - |h|)). 1 - |h| is where the digits go:
    it is e^-30 ~ 1e-13 for sigmoid(+30), so phi' keeps only ~3 of them. Where |h| is
    exactly 1 (tanh beyond ~19), phi' = 0 exactly, and so must the other's be: bound 0."""
    gap = 1.0 - np.abs(hs)
    with np.errstate(divide="ignore"):
        return np.where(gap > 0, ULPS * U * (2.0 + 1.0 / gap), 0.0)


@settings(max_examples=scaled_examples(0.5))
@given(case=cases(activations=("tanh", "sigmoid")), data=st.data())
def test_saturated_units(case: Case, data, tally) -> None:
    """Some hidden units at a = +-30, the rest well-scaled. Every element of every
    gradient agrees within RTOL of its magnitude plus the first-order effect of each
    phi' error (``magnitudes(case, phi_error=...)``); tanh units at +-30 have phi' = 0,
    so their rows of dL/dW_xh, dL/dW_hh, dL/db_h are exactly 0 in both."""
    H = case.sizes[3]
    # at least one unit saturated, and one not (when H > 1): their paths mix
    units = data.draw(st.sets(st.integers(0, H - 1), min_size=1, max_size=max(1, H - 1)))
    units = sorted(units)
    signs = np.array(data.draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=H, max_size=H)))
    saturated = np.isin(np.arange(H), units)
    tally.record("test_saturated_units", case)
    p = case.params
    # b_h = +-30 and incoming weights / 16: |a - (+-30)| <= (g_x + g_h) / 16 <= 3/16
    case = case.replace(
        params=Params(
            W_xh=np.where(saturated[:, None], p.W_xh / 16, p.W_xh),
            W_hh=np.where(saturated[:, None], p.W_hh / 16, p.W_hh),
            b_h=np.where(saturated, SATURATION * signs, p.b_h),
            W_hy=p.W_hy,
            b_y=p.b_y,
        )
    )
    hs, pre = forward_states(case.params, case.xs, case.h0_or_zeros(), case.spec.activation)
    assert np.all(np.abs(np.abs(pre[..., saturated]) - SATURATION) <= 3 / 16)

    ours = rnn_ref.gradients(*case.args(), **case.kwargs())
    theirs = twin.gradients(*case.args(), **case.kwargs())
    config = case.config(saturated=units)
    size = magnitudes(case)
    scale = scales(case)
    budget = magnitudes(case, phi_error=phi_relative_error(hs[1:]))
    theirs_fields = {"L": theirs.loss, **compare.gradient_fields(theirs)}
    for name, array in {"L": ours.loss, **compare.gradient_fields(ours)}.items():
        bound = RTOL * scale[name] + budget[name]
        ratio = compare.assert_within(name, array, theirs_fields[name], bound, config=config)
        tally.error("saturated: |ours - twin| / bound", ratio, config)
        # How loose the phi' part is, element by element: ~8u e^30 per saturated step.
        m = np.asarray(size[name])
        loose = float(np.max(budget[name] / np.where(m > 0, m, np.inf), initial=0.0))
        tally.error(f"saturated {case.spec.activation}: phi' bound / magnitude", loose, config)
    if case.spec.activation == "tanh":  # tanh(29.8) rounds to 1: phi' = 0 exactly
        for g in (ours, theirs):
            for rows in (g.params.W_xh, g.params.W_hh, g.params.b_h):
                assert not np.any(rows[saturated]), config


# ---------------------------------------------------------------------------------------
# T = 200: exploding and vanishing.

T_LONG = 200
B, D, H, O = 2, 4, 4, 2


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def small_signal(activation: str, rho: float, signal: float, seed: int) -> Case:
    """W_hh = rho Q (Q orthogonal) and inputs so small that phi' is nearly constant: the
    Jacobians are nearly rho phi'(0) Q, so the gradient grows or shrinks like
    (rho phi'(0))^t, without chaos. Many-to-one, mse. For sigmoid the states sit at
    1/2: b_h = -W_hh 1/2, so that a = W_hh (h - 1/2) + W_xh x is small too."""
    rng = np.random.default_rng(seed)
    W_hh = rho * orthogonal(H, rng)
    centre = 0.5 if activation == "sigmoid" else 0.0
    params = Params(
        W_xh=rng.standard_normal((H, D)) / math.sqrt(D),
        W_hh=W_hh,
        b_h=-W_hh @ np.full(H, centre),
        W_hy=rng.standard_normal((O, H)),
        b_y=np.zeros(O),
    )
    xs = signal * rng.standard_normal((T_LONG, B, D))
    h0 = centre + signal * rng.standard_normal((B, H))
    weights = np.zeros((T_LONG, B))
    weights[-1] = 1.0
    targets = rng.standard_normal((T_LONG, B, O))
    return Case(params, xs, targets, Spec(activation, "mse"), h0, weights, weight_kind="last")


def positive_relu(rho: float, seed: int, spec: Spec) -> Case:
    """relu with every number positive (W_hh has Perron root rho > 1, targets below every
    output): all states, phi' = 1, dl/dy > 0, so every gradient entry is a sum of
    positive terms, and the states and the gradient grow like rho^t. Many-to-many."""
    rng = np.random.default_rng(seed)
    P = rng.uniform(0.5, 1.5, (H, H))
    params = Params(
        W_xh=rng.uniform(0.0, 1.0, (H, D)) / D,
        W_hh=rho * P / max(abs(np.linalg.eigvals(P))),
        b_h=np.full(H, 0.1),
        W_hy=rng.uniform(0.0, 1.0, (O, H)) / H,
        b_y=np.full(O, 0.1),
    )
    xs = rng.uniform(0.0, 1.0, (T_LONG, B, D))
    targets = -1.0 - rng.uniform(0.0, 1.0, (T_LONG, B, O))
    h0 = rng.uniform(0.0, 1.0, (B, H))
    return Case(params, xs, targets, spec, h0, None, weight_kind="ones")


def jacobian_spread(case: Case) -> float:
    """K = prod_t max_j phi'(a_tj) / min_j phi'(a_tj), over t and the batch: with
    W_hh = rho Q, every product of Jacobians has its singular values within a factor K of
    each other, so no rounding error grows faster than the product itself, up to K."""
    hs, _ = forward_states(case.params, case.xs, case.h0, case.spec.activation)
    h = hs[1:]
    dphi = 1.0 - h * h if case.spec.activation == "tanh" else h * (1.0 - h)
    return float(np.prod(dphi.max(axis=(1, 2)) / dphi.min(axis=(1, 2))))


def path_deltas(case: Case) -> np.ndarray:
    """delta_t (T, B, H) of full BPTT for the many-to-one mse case, only to measure how
    much the sums over t cancel (the factor R of the tolerance)."""
    p = case.params
    hs, _ = forward_states(p, case.xs, case.h0, case.spec.activation)
    h = hs[1:]
    dphi = 1.0 - h * h if case.spec.activation == "tanh" else h * (1.0 - h)
    dy = h[-1] @ p.W_hy.T + p.b_y - case.targets[-1]
    deltas = np.empty_like(h)
    deltas[-1] = dphi[-1] * (dy @ p.W_hy)
    for t in reversed(range(h.shape[0] - 1)):
        deltas[t] = dphi[t] * (deltas[t + 1] @ p.W_hh)
    return deltas


SMALL_SIGNAL = {
    # name: (activation, rho, signal, the growth factor of |dL/dh0| it must show)
    "exploding-tanh": ("tanh", 1.1, 1e-10, 1e6),
    "vanishing-tanh": ("tanh", 0.5, 1e-2, 1e-50),
    "vanishing-sigmoid": ("sigmoid", 1.0, 1e-2, 1e-100),
}


@pytest.mark.parametrize("name", SMALL_SIGNAL)
def test_long_sequences_small_signal(name: str, tally) -> None:
    """T = 200, W_hh = rho Q: the gradient explodes (rho = 1.1) or vanishes (tanh with
    rho = 0.5; sigmoid, whose phi' <= 1/4). Each delta_t is one product of up to T
    Jacobians, and its rounding error is at most T eps K relative, with eps the error of
    one transition (docs/verification.md, "Exploding and vanishing"); dL/dxs is compared
    step by step, so a vanishing gradient must keep its digits all the way to dL/dh0."""
    activation, rho, signal, growth = SMALL_SIGNAL[name]
    case = small_signal(activation, rho, signal, seed=list(SMALL_SIGNAL).index(name))
    ours = rnn_ref.gradients(*case.args(), **case.kwargs())
    theirs = twin.gradients(*case.args(), **case.kwargs())
    config = case.config(case=name)

    K = jacobian_spread(case)
    # eps: one transition's relative (2-norm) error: a dot product of length H, D or O
    # (gamma_n, times sqrt(H) = the bound on || |W| || / ||W||), phi' and one addition.
    eps = (H + D + O + 2) * math.sqrt(H) * U
    # two implementations, and as much again for the states' own error reaching phi'
    rtol = 4 * (T_LONG + 1) * eps * K
    assert K < 1.5 and rtol < 1e-11, (K, rtol)

    # The regime: |dL/dh0| relative to the last step's |delta_T| grew or shrank as claimed.
    deltas = path_deltas(case)
    ratio = np.linalg.norm(theirs.h0) / np.linalg.norm(deltas[-1])
    assert (ratio > growth) if growth > 1 else (ratio < growth), (ratio, config)

    # Per step (no sum over t): dL/dxs[t] and dL/dh0, Frobenius-normwise.
    for t in range(T_LONG):
        scale = np.linalg.norm(theirs.xs[t])
        compare.assert_close(
            f"dL/dxs[{t}]", ours.xs[t], theirs.xs[t], rtol=rtol, scale=scale, config=config
        )
    worst = compare.assert_close(
        "dL/dh0", ours.h0, theirs.h0, rtol=rtol, scale=np.linalg.norm(theirs.h0), config=config
    ).error
    # The parameter gradients sum delta_t (x) v_t over t: allow for the cancellation
    # R = sum_t ||delta_t (x) v_t|| / ||sum||, measured on this case.
    hs, _ = forward_states(case.params, case.xs, case.h0, activation)
    for field, v in [("W_xh", case.xs), ("W_hh", hs[:-1]), ("b_h", None)]:
        terms = deltas if v is None else np.einsum("tbi,tbj->tij", deltas, v)
        norms = np.linalg.norm(terms.reshape(T_LONG, -1), axis=1)
        theirs_field = getattr(theirs.params, field)
        R = float(np.sum(norms) / np.linalg.norm(theirs_field))
        d = compare.assert_close(
            f"dL/d{field}",
            getattr(ours.params, field),
            theirs_field,
            rtol=rtol * R,
            scale=np.linalg.norm(theirs_field),
            config=config + f" R={R:.1f}",
        )
        worst = max(worst, d.error / R)
    for field in ("W_hy", "b_y"):  # the last step's read-out only: its forward error
        a, b = getattr(ours.params, field), getattr(theirs.params, field)
        compare.assert_close(
            f"dL/d{field}", a, b, rtol=rtol, scale=np.linalg.norm(b), config=config
        )
    compare.assert_close("L", ours.loss, theirs.loss, rtol=rtol, config=config)
    tally.error(f"{name}: relative error / rtol", worst / rtol, f"rtol={rtol:.1e}")


@pytest.mark.parametrize(
    "spec",
    [Spec("relu", "mse"), Spec("relu", "mse", 64, "chunk"), Spec("relu", "mse", 16, "window")],
    ids=["full", "chunk64", "window16"],
)
def test_long_sequences_exploding_relu(spec: Spec, tally) -> None:
    """T = 200, relu, Perron root 1.1, everything positive: every gradient entry is a sum
    of positive products, so each implementation is within gamma_N of the exact value
    *elementwise* (docs/verification.md, "Exploding and vanishing"), N being the longest
    chain of roundings: T transitions of (H + 2) and the final sums over T B rows."""
    case = positive_relu(1.1, seed=3, spec=spec)
    hs, pre = forward_states(case.params, case.xs, case.h0, "relu")
    assert pre.min() > 0.1  # positive, far from the kink
    assert hs[-1].min() > 1e6 * hs[1].max()  # the states explode
    N = (T_LONG + 1) * (D + H + O + B + 4)
    rtol = 2 * N * U / (1 - N * U)  # two implementations, gamma_N each
    assert rtol < 1e-11

    ours = rnn_ref.gradients(*case.args(), **case.kwargs())
    theirs = twin.gradients(*case.args(), **case.kwargs())
    config = case.config()
    if spec.truncation is None:  # and so does the gradient (truncation caps it at rho^k)
        assert np.abs(theirs.xs[0]).min() > 1e6 * np.abs(theirs.xs[-1]).max()
    theirs_fields = {"L": theirs.loss, **compare.gradient_fields(theirs)}
    worst = 0.0
    for name, array in {"L": ours.loss, **compare.gradient_fields(ours)}.items():
        b = np.asarray(theirs_fields[name])
        worst = max(worst, compare.assert_within(name, array, b, rtol * np.abs(b), config=config))
    tally.error("exploding-relu: elementwise error / gamma_N bound", worst, config)
