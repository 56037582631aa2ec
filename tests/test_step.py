"""The one-step layer, the activations at their edges, and init_params.

- Looping ``step_forward`` / ``step_backward`` over time by hand (full BPTT, the read-out
  gradient added by hand) reproduces ``rnn_ref.forward`` and ``rnn_ref.gradients``.
- relu'(0) = 0 (docs/contract.md §1); sigmoid at +-1000 is exactly 1 / 0 without a warning.
- init_params follows docs/contract.md §5: shapes, zero biases, the xavier bound, and the draw
  order W_xh, W_hh, W_hy from one ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import assert_close, uniform_params

import rnn_ref
from rnn_ref import Params, Spec, step_backward, step_forward

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")


def make(activation: str, loss: str, *, T=5, B=2, D=3, H=4, O=3):
    rng = np.random.default_rng(7 + 10 * ACTIVATIONS.index(activation) + LOSSES.index(loss))
    params = uniform_params(rng, D, H, O, recurrent=0.8, bias=(-0.2, 0.6))
    xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
    h0 = rng.uniform(-0.5, 0.5, size=(B, H))
    weights = rng.uniform(0.5, 2.0, size=(T, B))
    weights[1, 1] = 0.0  # padding
    if loss == "mse":
        targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
        targets[1, 1] = np.nan
    else:
        targets = rng.integers(0, O, size=(T, B))
        targets[1, 1] = -1
    return params, xs, targets, h0, weights


def by_hand_dy(y_t, z_t, w_t, loss):
    """dL/dy_t = w (y - z) (mse) or w (softmax(y) - e_c) (softmax_ce), 0 at padding."""
    live = w_t > 0
    if loss == "mse":
        residual = y_t - np.where(live[:, None], z_t, 0.0)
    else:
        p = np.exp(y_t - y_t.max(axis=-1, keepdims=True))
        p /= p.sum(axis=-1, keepdims=True)
        residual = p - (np.arange(y_t.shape[-1]) == np.where(live, z_t, 0)[:, None])
    return np.where(live[:, None], w_t[:, None] * residual, 0.0)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_looping_steps_by_hand_reproduces_forward_and_gradients(activation, loss):
    params, xs, targets, h0, weights = make(activation, loss)
    config = f"{activation}, {loss}, full BPTT by steps"
    T = xs.shape[0]

    h, hs, caches = h0, [h0], []
    for t in range(T):
        h, cache = step_forward(params, xs[t], h, activation)
        hs.append(h)
        caches.append(cache)
    hs = np.stack(hs)
    assert_close(hs, rnn_ref.forward(params, xs, h0, activation=activation).hs, "hs", config)

    grads = {name: np.zeros_like(getattr(params, name)) for name in Params.FIELDS}
    dxs = np.zeros_like(xs)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        y_t = hs[t + 1] @ params.W_hy.T + params.b_y  # y_t = W_hy h_t + b_y
        dy = by_hand_dy(y_t, targets[t], weights[t], loss)
        grads["W_hy"] += dy.T @ hs[t + 1]  # dy_t h_t^T
        grads["b_y"] += dy.sum(axis=0)
        dh = dy @ params.W_hy + dh_next  # dL/dh_t = W_hy^T dy_t + W_hh^T delta_{t+1}
        dxs[t], dh_next, step = step_backward(dh, caches[t])
        for name in ("W_xh", "W_hh", "b_h"):
            grads[name] += getattr(step, name)

    spec = Spec(activation=activation, loss=loss)
    g = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)
    for name in Params.FIELDS:
        assert_close(grads[name], getattr(g.params, name), f"dL/d{name}", config)
    assert_close(dxs, g.xs, "dL/dxs", config)
    assert_close(dh_next, g.h0, "dL/dh0", config)


def test_relu_derivative_at_the_kink_is_zero():
    """a = (0, 1, -1) exactly: phi' = (0, 1, 0), in the step layer and in the unrolled net."""
    H, D, B = 3, 2, 2
    params = Params(
        W_xh=np.zeros((H, D)),
        W_hh=np.zeros((H, H)),
        b_h=np.array([0.0, 1.0, -1.0]),
        W_hy=np.ones((1, H)),
        b_y=np.zeros(1),
    )
    xs = np.ones((1, B, D))
    h_t, cache = step_forward(params, xs[0], np.ones((B, H)), "relu")
    np.testing.assert_array_equal(h_t, [[0.0, 1.0, 0.0]] * B)
    _, _, step = step_backward(np.ones((B, H)), cache)
    np.testing.assert_array_equal(step.b_h, [0.0, B, 0.0])  # sum_b phi'(a) * 1

    targets = np.full((1, B, 1), -1.0)  # dL/dy = y - z = 2 for every sequence
    g = rnn_ref.gradients(params, xs, targets, Spec(activation="relu"))
    np.testing.assert_array_equal(g.params.b_h, [0.0, 2.0 * B, 0.0])


@pytest.mark.parametrize("loss", LOSSES)
def test_sigmoid_at_plus_minus_1000_is_exact_and_quiet(loss):
    """Pre-activations of +-1000 give h = 1 and 0 exactly, no overflow, finite gradients.

    Warnings are errors in this suite; the errstate also turns any overflow, division or
    invalid operation that NumPy would otherwise count silently into an error (underflow
    of exp(-1000) to 0 is the intended, quiet behaviour and stays allowed).
    """
    T, B, O = 3, 2, 2
    params = Params(
        W_xh=np.array([[1.0], [-1.0]]),
        W_hh=np.zeros((2, 2)),
        b_h=np.zeros(2),
        W_hy=np.array([[1.0, -1.0], [0.5, 2.0]]),
        b_y=np.zeros(O),
    )
    xs = np.full((T, B, 1), 1000.0)
    targets = np.zeros((T, B, O)) if loss == "mse" else np.zeros((T, B), dtype=np.int64)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        h_t, cache = step_forward(params, xs[0], np.zeros((B, 2)), "sigmoid")
        np.testing.assert_array_equal(h_t, [[1.0, 0.0]] * B)
        _, _, step = step_backward(np.ones((B, 2)), cache)
        np.testing.assert_array_equal(step.b_h, [0.0, 0.0])  # sigma' = 0 at both ends
        hs = rnn_ref.forward(params, xs, activation="sigmoid").hs
        np.testing.assert_array_equal(hs[1:], np.broadcast_to([1.0, 0.0], (T, B, 2)))
        spec = Spec(activation="sigmoid", loss=loss)
        g = rnn_ref.gradients(params, xs, targets, spec)
    assert np.isfinite(g.loss)
    for array in (*g.params.arrays(), g.xs, g.h0):
        assert np.all(np.isfinite(array))


def test_init_params_shapes_zero_biases_and_determinism():
    D, H, O = 4, 5, 3
    params = rnn_ref.init_params(D, H, O, seed=3)
    shapes = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
    for name, shape in shapes.items():
        array = getattr(params, name)
        assert array.shape == shape, name
        assert array.dtype == np.float64, name
    np.testing.assert_array_equal(params.b_h, 0.0)
    np.testing.assert_array_equal(params.b_y, 0.0)
    again = rnn_ref.init_params(D, H, O, seed=3)
    other = rnn_ref.init_params(D, H, O, seed=4)
    for name in ("W_xh", "W_hh", "W_hy"):
        np.testing.assert_array_equal(getattr(again, name), getattr(params, name))
        assert not np.array_equal(getattr(other, name), getattr(params, name)), name


def test_init_params_xavier_bound():
    """|W| < r = sqrt(6 / (fan_in + fan_out)), and the bound is reached (max > 0.9 r), so a
    smaller or larger r would fail; large matrices make the maximum close to r."""
    D, H, O = 30, 50, 20
    params = rnn_ref.init_params(D, H, O, seed=0, scheme="xavier")
    for name in ("W_xh", "W_hh", "W_hy"):
        W = getattr(params, name)
        fan_out, fan_in = W.shape
        r = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.max(np.abs(W)) <= r, name
        assert np.max(np.abs(W)) > 0.9 * r, name
        assert W.min() < -0.9 * r and W.max() > 0.9 * r, f"{name} is not symmetric"


@pytest.mark.parametrize("scheme", ["xavier", "uniform01"])
@pytest.mark.parametrize("seed", [0, 12345])
def test_init_params_draw_order(scheme, seed):
    """docs/contract.md §5: one default_rng(seed) draws W_xh, W_hh, W_hy in that order with
    rng.uniform(low, high, size); written here directly from the contract's words."""
    D, H, O = 3, 4, 2
    rng = np.random.default_rng(seed)
    expected = {}
    for name, (rows, cols) in (("W_xh", (H, D)), ("W_hh", (H, H)), ("W_hy", (O, H))):
        if scheme == "xavier":
            r = np.sqrt(6.0 / (cols + rows))
            expected[name] = rng.uniform(-r, r, size=(rows, cols))
        else:
            expected[name] = rng.uniform(0.0, 1.0, size=(rows, cols))
    params = rnn_ref.init_params(D, H, O, seed=seed, scheme=scheme)
    for name, W in expected.items():
        np.testing.assert_array_equal(getattr(params, name), W, err_msg=f"{name} ({scheme})")
