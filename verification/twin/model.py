"""The twin's model: docs/contract.md §1-§3 transcribed in JAX, on one screen.

``surrogate`` is the whole model:

    a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = phi(a_t),   y_t = W_hy h_t + b_y      (contract §1)
    L = sum_{t,b} w[t-1, b] l(y_{t,b}, z_{t,b})                                     (contract §2)

and the truncated modes are the contract's surrogates (contract §3), with ``jax.lax.stop_gradient``
on exactly the states the contract holds constant:

- full: one ``lax.scan`` from the live h0, nothing held.
- chunk(k): the same scan, but the state that enters transition t+1 is
  ``stop_gradient(h_t)`` when t is a positive multiple of k.
- window(k): the loss term at t unrolls transitions t-k+1..t (a second ``lax.scan``, over
  depths, vectorised over t) from ``stop_gradient(h_{t-k})`` when t-k >= 1, from the live
  h0 otherwise.

``jax.grad`` of the surrogate is the gradient; its value equals L (truncation holds states
constant, it does not change them), and the reported loss is L from the live states.

``surrogate`` and ``true_loss`` are traced inside the compiled programs of
``verification.twin.programs``; called on their own, they compute in the caller's precision.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax import lax
from jax.scipy.special import logsumexp


class P(NamedTuple):
    """The parameters as a JAX pytree: W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (O, H), b_y (O,)."""

    W_xh: jax.Array
    W_hh: jax.Array
    b_h: jax.Array
    W_hy: jax.Array
    b_y: jax.Array


def _phi(a: jax.Array, activation: str) -> jax.Array:
    """h = phi(a): tanh, sigmoid or relu. relu by ``where`` so that phi'(0) = 0 (contract §1)."""
    if activation == "tanh":
        return jnp.tanh(a)
    if activation == "sigmoid":
        return jax.nn.sigmoid(a)
    return jnp.where(a > 0, a, 0.0)


def _transition(p: P, h_prev: jax.Array, x_t: jax.Array, activation: str) -> jax.Array:
    """h_t = phi(W_xh x_t + W_hh h_{t-1} + b_h) for row vectors h_prev (..., H), x_t (..., D)."""
    return _phi(x_t @ p.W_xh.T + h_prev @ p.W_hh.T + p.b_h, activation)


def _weighted_loss(
    p: P, hs: jax.Array, targets: jax.Array, weights: jax.Array, loss: str
) -> jax.Array:
    """L = sum_{t,b} w[t,b] l(y_{t,b}, z_{t,b}), y = W_hy h + b_y, for hs (T, B, H).

    Padding (w = 0) is never read: its targets are replaced *before* any arithmetic, so
    that a NaN there reaches neither the value nor the gradient.
    """
    ys = hs @ p.W_hy.T + p.b_y  # (T, B, O)
    live = weights > 0
    if loss == "mse":
        z = jnp.where(live[..., None], targets, 0.0)
        l = 0.5 * jnp.sum((ys - z) ** 2, axis=-1)  # 1/2 ||y - z||^2
    else:
        c = jnp.where(live, targets, 0)
        l = logsumexp(ys, axis=-1) - jnp.take_along_axis(ys, c[..., None], axis=-1)[..., 0]
    return jnp.sum(weights * l)


def _scan_states(p: P, xs: jax.Array, h0: jax.Array, held: jax.Array, activation: str) -> jax.Array:
    """h_1..h_T, shape (T, B, H); the state h_t entering transition t+1 is
    ``stop_gradient(h_t)`` where ``held[t]`` (t = 0..T-1; full: never)."""

    def step(h, x_and_held):
        x_t, held_t = x_and_held
        h = jnp.where(held_t, lax.stop_gradient(h), h)
        h = _transition(p, h, x_t, activation)
        return h, h

    return lax.scan(step, h0, (xs, held))[1]


def _window_states(
    p: P, xs: jax.Array, h0: jax.Array, k: jax.Array, depths: int, activation: str
) -> jax.Array:
    """The state each loss term sees under window(k), shape (T, B, H).

    Term t unrolls transitions max(t-k, 0)+1..t from stop_gradient(h_{t-k}) if t-k >= 1,
    else from the live h0. All terms are unrolled together: depth d = depths-1, ..., 0
    applies transition m = t - d to term t when m > t-k and m >= 1 (else the term waits),
    which needs depths >= min(k, T).
    """
    T = xs.shape[0]
    hs = _scan_states(p, xs, h0, jnp.zeros(T, bool), activation)  # live h_1..h_T
    t = jnp.arange(1, T + 1)
    start = t - k  # term t starts from h_{t-k}
    h_start = hs[jnp.clip(start - 1, 0, T - 1)]  # h_{t-k}, read only where t-k >= 1
    g = jnp.where((start >= 1)[:, None, None], lax.stop_gradient(h_start), h0)

    def depth(g, d):
        m = t - d  # the transition applied to term t at this depth
        x_m = xs[jnp.clip(m - 1, 0, T - 1)]
        active = (m >= 1) & (m > start)
        return jnp.where(active[:, None, None], _transition(p, g, x_m, activation), g), None

    return lax.scan(depth, g, jnp.arange(depths - 1, -1, -1))[0]


def surrogate(
    p: P,
    xs: jax.Array,
    h0: jax.Array,
    targets: jax.Array,
    weights: jax.Array,
    held: jax.Array,
    k: jax.Array,
    *,
    activation: str,
    loss: str,
    depths: int,
) -> jax.Array:
    """The surrogate loss of contract §3; its ``jax.grad`` is the (truncated) gradient.

    Shapes: xs (T, B, D), h0 (B, H), targets (T, B, O) floats or (T, B) class ids,
    weights (T, B), held (T,) bool, k an integer scalar.

    ``depths=0``: full (``held`` all False) or chunk(k) (``held[t] = t % k == 0, t > 0``).
    ``depths>0``: window(k) for the scalar ``k``, unrolled over ``depths`` >= min(k, T)
    depths. At the evaluation point the value is L: holding a state constant keeps it.
    """
    if depths:
        seen = _window_states(p, xs, h0, k, depths, activation)
    else:
        seen = _scan_states(p, xs, h0, held, activation)
    return _weighted_loss(p, seen, targets, weights, loss)


def true_loss(
    p: P,
    xs: jax.Array,
    h0: jax.Array,
    targets: jax.Array,
    weights: jax.Array,
    *,
    activation: str,
    loss: str,
) -> jax.Array:
    """L of contract §2: the weighted loss of the live states, nothing held."""
    hs = _scan_states(p, xs, h0, jnp.zeros(xs.shape[0], bool), activation)
    return _weighted_loss(p, hs, targets, weights, loss)
