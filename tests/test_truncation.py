"""Truncation semantics (docs/contract.md §3) on cases small enough to check by hand.

- window(1): every loss term sees one transition, so the gradient is the read-out's
  dL/dh_t pushed through phi' once, with no path through W_hh beyond one step.
- chunk(k): the gradient is the sum of independent full-BPTT runs on each chunk, each
  starting from the forward state at the chunk's start, held constant.
- k >= T: window(k) == chunk(k) == full.
- The loss value never depends on the truncation.
- window(k): dL/dh0 comes only from loss terms at t <= k.
- The window algorithm itself (``_window_deltas``) at k = T agrees with full BPTT.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import assert_close, relative_error, uniform_params

import rnn_ref
from rnn_ref import Params, Spec
from rnn_ref.truncation import _window_deltas, backprop_deltas

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
ACT_LOSS = [(a, l) for a in ACTIVATIONS for l in LOSSES]
QUANTITIES = (*Params.FIELDS, "xs", "h0")


def as_dict(g: rnn_ref.Gradients) -> dict[str, np.ndarray]:
    out = {name: getattr(g.params, name) for name in Params.FIELDS}
    out["xs"], out["h0"] = g.xs, g.h0
    return out


def assert_gradients_close(ours, theirs, config: str, rtol: float = 1e-12) -> None:
    """Every gradient of ``ours`` against ``theirs`` (each a Gradients or a dict)."""
    ours = ours if isinstance(ours, dict) else as_dict(ours)
    theirs = theirs if isinstance(theirs, dict) else as_dict(theirs)
    for quantity in QUANTITIES:
        assert_close(ours[quantity], theirs[quantity], f"dL/d{quantity}", config, rtol)


def make(activation: str, loss: str, *, T=6, B=2, D=2, H=3, O=3, seed=0, padding=True):
    """params, xs, targets, h0 (nonzero), weights (non-uniform, with padding if asked)."""
    rng = np.random.default_rng(seed + 10 * ACTIVATIONS.index(activation) + LOSSES.index(loss))
    # relu: a positive bias keeps most units alive, so that gradients are not all zero
    bias = (0.5, 1.0) if activation == "relu" else (0.0, 0.5)
    params = uniform_params(rng, D, H, O, bias=bias)
    xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
    h0 = rng.uniform(-0.5, 0.5, size=(B, H))
    weights = rng.uniform(0.5, 2.0, size=(T, B))
    if padding and T > 1:
        weights[T // 2, 0] = 0.0
    if loss == "mse":
        targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
        targets[weights == 0] = np.nan
    else:
        targets = rng.integers(0, O, size=(T, B))
        targets[weights == 0] = -1
    return params, xs, targets, h0, weights


def by_hand_dys(ys, targets, weights, loss):
    """dL/dy_t = w (y - z) for mse, w (softmax(y) - e_c) for softmax_ce; 0 at padding."""
    live = (weights > 0)[..., None]
    if loss == "mse":
        return np.where(live, weights[..., None] * (ys - np.where(live, targets, 0.0)), 0.0)
    p = np.exp(ys - ys.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    onehot = np.arange(ys.shape[-1]) == np.where(weights > 0, targets, 0)[..., None]
    return np.where(live, weights[..., None] * (p - onehot), 0.0)


def by_hand_phi_prime(a, activation):
    """phi'(a) from the pre-activation itself (rnn_ref uses h = phi(a) instead)."""
    if activation == "tanh":
        return 1.0 - np.tanh(a) ** 2
    if activation == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-a))
        return s * (1.0 - s)
    return (a > 0).astype(np.float64)


def spec(activation, loss, k=None, mode="window"):
    return Spec(activation=activation, loss=loss, truncation=k, truncation_mode=mode)


@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_window_1_is_one_transition_per_loss_term(activation, loss):
    params, xs, targets, h0, weights = make(activation, loss)
    config = f"{activation}, {loss}, window(1)"
    hs = rnn_ref.forward(params, xs, h0, activation=activation).hs
    ys = hs[1:] @ params.W_hy.T + params.b_y  # y_t = W_hy h_t + b_y
    a = xs @ params.W_xh.T + hs[:-1] @ params.W_hh.T + params.b_h  # a_t, (T, B, H)
    dys = by_hand_dys(ys, targets, weights, loss)
    # delta_t = phi'(a_t) * W_hy^T dy_t: no term carried from step t+1
    delta = by_hand_phi_prime(a, activation) * (dys @ params.W_hy)
    expected = {
        "W_xh": np.einsum("tbh,tbd->hd", delta, xs),
        "W_hh": np.einsum("tbh,tbg->hg", delta, hs[:-1]),  # sum_t delta_t h_{t-1}^T
        "b_h": delta.sum(axis=(0, 1)),
        "W_hy": np.einsum("tbo,tbh->oh", dys, hs[1:]),
        "b_y": dys.sum(axis=(0, 1)),
        "xs": delta @ params.W_xh,
        "h0": delta[0] @ params.W_hh,  # only the loss term at t = 1 reaches h0
    }
    g = rnn_ref.gradients(params, xs, targets, spec(activation, loss, 1), h0=h0, weights=weights)
    assert_gradients_close(g, expected, config)
    # The case is one where the path through W_hh matters: full BPTT is different.
    full = rnn_ref.gradients(params, xs, targets, spec(activation, loss), h0=h0, weights=weights)
    assert relative_error(full.params.W_hh, expected["W_hh"]) > 1e-3


@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_window_1_dxs_depends_only_on_the_loss_term_at_its_step(activation, loss):
    params, xs, targets, h0, weights = make(activation, loss, padding=False)
    T, O = xs.shape[0], params.W_hy.shape[0]

    def dxs(targets, k):
        s = spec(activation, loss, k)
        return rnn_ref.gradients(params, xs, targets, s, h0=h0, weights=weights).xs

    for t in range(T):
        others = np.arange(T) != t
        changed = targets.copy()  # every target except the one at step t
        if loss == "mse":
            changed[others] += 1.0
        else:
            changed[others] = (changed[others] + 1) % O
        np.testing.assert_array_equal(
            dxs(changed, 1)[t], dxs(targets, 1)[t], err_msg=f"window(1) dL/dxs[{t}], {activation}"
        )
        # The change is visible where it should be, so the equality above can fail:
        # at the other steps, and at step t under window(2) (the term at t+1 reaches x_t).
        assert relative_error(dxs(changed, 1)[others], dxs(targets, 1)[others]) > 1e-6
        if t < T - 1:
            assert relative_error(dxs(changed, 2)[t], dxs(targets, 2)[t]) > 1e-6, (t, activation)


@pytest.mark.parametrize("k", [1, 2, 3, 6])
@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_chunk_is_the_sum_of_independent_chunks(activation, loss, k):
    T = 7
    params, xs, targets, h0, weights = make(activation, loss, T=T)
    config = f"{activation}, {loss}, chunk({k}), T={T}"
    hs = rnn_ref.forward(params, xs, h0, activation=activation).hs
    whole = rnn_ref.gradients(
        params, xs, targets, spec(activation, loss, k, "chunk"), h0=h0, weights=weights
    )
    parts = []
    for start in range(0, T, k):
        end = min(start + k, T)
        # Each chunk is a full-BPTT run from the constant state that enters it.
        parts.append(
            rnn_ref.gradients(
                params,
                xs[start:end],
                targets[start:end],
                spec(activation, loss),
                h0=hs[start],
                weights=weights[start:end],
            )
        )
    expected = {name: sum(getattr(p.params, name) for p in parts) for name in Params.FIELDS}
    expected["xs"] = np.concatenate([p.xs for p in parts])
    expected["h0"] = parts[0].h0
    assert_gradients_close(whole, expected, config)
    assert whole.loss == pytest.approx(sum(p.loss for p in parts), rel=1e-13)
    if k < T:  # the cut matters on this case
        full = rnn_ref.gradients(
            params, xs, targets, spec(activation, loss), h0=h0, weights=weights
        )
        assert relative_error(full.params.W_hh, whole.params.W_hh) > 1e-3


@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_k_at_least_T_is_full(activation, loss, T):
    params, xs, targets, h0, weights = make(activation, loss, T=T)
    full = rnn_ref.gradients(params, xs, targets, spec(activation, loss), h0=h0, weights=weights)
    for k in (T, T + 1, 50):
        for mode in ("window", "chunk"):
            config = f"{activation}, {loss}, {mode}({k}), T={T}"
            g = rnn_ref.gradients(
                params, xs, targets, spec(activation, loss, k, mode), h0=h0, weights=weights
            )
            assert_gradients_close(g, full, config, rtol=1e-13)
            assert g.loss == full.loss, config


@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_the_loss_value_never_depends_on_truncation(activation, loss):
    T = 6
    params, xs, targets, h0, weights = make(activation, loss, T=T)
    L = rnn_ref.loss(params, xs, targets, spec(activation, loss), h0=h0, weights=weights)
    assert isinstance(L, float)
    for k in (None, 1, 2, 3, T - 1, T, T + 1):
        for mode in ("window", "chunk"):
            s = spec(activation, loss, k, mode)
            g = rnn_ref.gradients(params, xs, targets, s, h0=h0, weights=weights)
            assert g.loss == L, f"Gradients.loss under {s} is {g.loss}, rnn_ref.loss is {L}"
            assert rnn_ref.loss(params, xs, targets, s, h0=h0, weights=weights) == L, s
    # ... and the loss is the weighted sum of the per-step losses of the forward values.
    ys = rnn_ref.forward(params, xs, h0, activation=activation).ys
    live = weights > 0
    if loss == "mse":
        per = 0.5 * np.sum((ys - np.where(live[..., None], targets, 0.0)) ** 2, axis=-1)
    else:
        m = ys.max(axis=-1)
        lse = m + np.log(np.exp(ys - m[..., None]).sum(axis=-1))
        c = np.where(live, targets, 0)
        per = lse - np.take_along_axis(ys, c[..., None], axis=-1)[..., 0]
    assert L == pytest.approx(float(np.sum(np.where(live, weights * per, 0.0))), rel=1e-13)


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize(("activation", "loss"), ACT_LOSS)
def test_window_dh0_comes_only_from_loss_terms_at_t_le_k(activation, loss, k):
    T = 6
    params, xs, targets, h0, _ = make(activation, loss, T=T, padding=False)

    def dh0(weights, k=k, mode="window"):
        s = spec(activation, loss, k, mode)
        return rnn_ref.gradients(params, xs, targets, s, h0=h0, weights=weights).h0

    late = np.ones((T, xs.shape[1]))
    late[:k] = 0.0  # every weighted term at t > k (1-indexed): rows k..T-1
    assert np.all(dh0(late) == 0.0), f"window({k}) dL/dh0 should be exactly 0"
    assert np.all(dh0(late, mode="chunk") == 0.0), f"chunk({k}) dL/dh0 should be exactly 0"
    assert np.max(np.abs(dh0(late, k=None))) > 1e-8, "full dL/dh0 should not be 0"

    at_k = np.zeros((T, xs.shape[1]))
    at_k[k - 1] = 1.0  # only the term at t = k, which still reaches h0
    assert np.max(np.abs(dh0(at_k))) > 1e-8, f"window({k}) dL/dh0 from the term at t = {k}"
    just_past = np.zeros((T, xs.shape[1]))
    just_past[k] = 1.0  # only the term at t = k + 1, which does not
    assert np.all(dh0(just_past) == 0.0), f"window({k}) dL/dh0 from the term at t = {k + 1}"


@pytest.mark.parametrize("T", [1, 2, 5])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_window_deltas_with_k_equal_T_is_full(activation, T):
    """backprop_deltas sends k >= T to the full loop, so test the window algorithm itself."""
    params, xs, _, h0, _ = make(activation, "mse", T=T)
    hs = rnn_ref.forward(params, xs, h0, activation=activation).hs
    rng = np.random.default_rng(T)
    dh_out = rng.normal(size=hs[1:].shape)
    full, _ = backprop_deltas(dh_out.copy(), hs, params.W_hh, activation, None, "window")
    window = _window_deltas(dh_out.copy(), hs, params.W_hh, activation, k=T)
    assert_close(window, full, "deltas", f"{activation}, _window_deltas(k=T={T}) vs full")
    if T > 1:  # a shorter window is a different gradient on this case
        short = _window_deltas(dh_out.copy(), hs, params.W_hh, activation, k=T - 1)
        assert relative_error(short, full) > 1e-6


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize(("k", "mode"), [(None, "window"), (2, "chunk"), (3, "chunk")])
@pytest.mark.parametrize("steps_per_block", [1, 2, 3, 5])
def test_phi_prime_blocks_do_not_change_the_gradient(
    monkeypatch, activation, k, mode, steps_per_block
):
    """The backward loop takes phi' for a block of steps at once. The test cases are small
    enough to fit in one block; here blocks of 1, 2, 3 and 5 steps (boundaries that fall
    inside chunks and on them) must give the same gradient, bit for bit, as one block."""
    from rnn_ref import truncation

    T, B, H = 7, 2, 3
    params, xs, targets, h0, weights = make(activation, "mse", T=T, B=B, H=H)
    s = spec(activation, "mse", k, mode)
    whole = rnn_ref.gradients(params, xs, targets, s, h0=h0, weights=weights)
    assert truncation._blocks_backward(T, B * H) == [(0, T)]  # one block by default
    monkeypatch.setattr(truncation, "_BLOCK_NUMBERS", steps_per_block * B * H)
    blocks = truncation._blocks_backward(T, B * H)
    assert len(blocks) == -(-T // steps_per_block) and blocks[0][1] == T and blocks[-1][0] == 0
    split = rnn_ref.gradients(params, xs, targets, s, h0=h0, weights=weights)
    for name in QUANTITIES:
        np.testing.assert_array_equal(as_dict(split)[name], as_dict(whole)[name], err_msg=name)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("views", [2, 3, 4, 6])
def test_forward_blocks_of_row_views_do_not_change_the_states(monkeypatch, activation, views):
    """The forward loop views hs a block at a time (consecutive blocks share a row).
    Blocks of 1, 2, 3 and 5 steps must give the states of one block, bit for bit."""
    from rnn_ref import bptt

    params, xs, _, h0, _ = make(activation, "mse", T=7, B=2, H=3)
    whole = rnn_ref.forward(params, xs, h0, activation=activation)
    monkeypatch.setattr(bptt, "_VIEWS_PER_BLOCK", views)
    split = rnn_ref.forward(params, xs, h0, activation=activation)
    np.testing.assert_array_equal(split.hs, whole.hs)
    np.testing.assert_array_equal(split.ys, whole.ys)


def test_backward_blocks_are_bounded_in_steps():
    """At B = H = 1 phi' alone would allow 32,768 steps a block; the views cap it at 256."""
    from rnn_ref import truncation

    blocks = truncation._blocks_backward(1000, 1)
    assert [stop - start for start, stop in blocks] == [256, 256, 256, 232]
    assert blocks[0][1] == 1000 and blocks[-1][0] == 0
