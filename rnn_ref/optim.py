"""Optimisers, gradient clipping and a learning-rate schedule over ``Params``, in NumPy.

Everything here is a pure function of its arguments: an update returns new ``Params`` and a
new state, and never writes into the parameters, the gradients or the old state. The
optimisers are small frozen classes that hold only hyperparameters, in the style of optax:

    opt = rnn_ref.Adam(lr=0.01)
    state = opt.init(params)
    params, state = opt.update(params, grads, state)      # grads: a Params of dL/dtheta

Notation: $\\theta$ is any one parameter array, $g_t$ its gradient at update $t = 1, 2,
\\dots$, $\\eta$ the learning rate; squares, roots and quotients act element by element.

- ``SGD``: $\\theta_t = \\theta_{t-1} - \\eta\\, g_t$.
- ``Adam`` (Kingma and Ba, 2015, Algorithm 1): moment estimates with bias correction.
- ``clip_elementwise``: every entry of every gradient into $[-c, c]$.
- ``clip_global_norm``: all five gradients scaled by one factor so that their joint norm is
  at most $c$; the direction is kept.
- ``cosine_decay``: $\\eta$ falls from its initial value to 0 along half a cosine.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _validation as v
from .containers import Params


def _positive(value: object, name: str) -> float:
    """A finite real number > 0, as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number > 0, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def _fraction(value: object, name: str) -> float:
    """A real number in [0, 1), as a float (Adam's decay rates)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {value!r}")
    return float(value)


def _check_grads(grads: object, like: Params | None = None, name: str = "grads") -> Params:
    """``grads`` as float64 ``Params``; with ``like``, every field must have its shape."""
    if not isinstance(grads, Params):
        raise TypeError(f"{name}: expected an rnn_ref.Params of gradients, got {grads!r:.100}")
    arrays = {}
    for field in Params.FIELDS:
        array = v.as_array(getattr(grads, field), f"{name}.{field}")
        if like is not None and array.shape != getattr(like, field).shape:
            raise ValueError(
                f"{name}.{field}: expected shape {getattr(like, field).shape} like "
                f"params.{field}, got {array.shape}"
            )
        v.check_finite(array, f"{name}.{field}")
        arrays[field] = array
    return Params(**arrays)


def _map(function, *trees: Params) -> Params:
    """Params whose every field is ``function`` of the same field of each tree."""
    return Params(*(function(*arrays) for arrays in zip(*(t.arrays() for t in trees), strict=True)))


# Clipping ---------------------------------------------------------------------------------


def global_norm(grads: Params) -> float:
    """The joint Euclidean norm of all five arrays: $\\sqrt{\\sum_i \\lVert g_i \\rVert_F^2}$."""
    grads = _check_grads(grads)
    return float(math.sqrt(sum(float(np.sum(a * a)) for a in grads.arrays())))


def clip_elementwise(grads: Params, limit: float) -> Params:
    """Clip every entry of every gradient into $[-c, c]$: $g \\leftarrow \\min(\\max(g, -c), c)$.

    This is what the classic from-scratch tutorials do (``np.clip(dW, -5, 5)``). It changes
    the direction of the gradient as soon as one entry is clipped.

    Args:
        grads: the gradients, a ``Params``.
        limit: c > 0.

    Returns:
        New ``Params``; ``grads`` is not modified.
    """
    grads = _check_grads(grads)
    c = _positive(limit, "limit")
    return _map(lambda g: np.clip(g, -c, c), grads)


def clip_global_norm(grads: Params, max_norm: float) -> Params:
    """Scale all gradients by one factor so that their joint norm is at most $c$.

    $$g_i \\leftarrow g_i \\cdot \\min\\!\\left(1, \\frac{c}{\\lVert g \\rVert}\\right),
    \\qquad \\lVert g \\rVert = \\sqrt{\\textstyle\\sum_i \\lVert g_i \\rVert_F^2}$$

    The direction of the whole gradient is kept (Pascanu, Mikolov and Bengio, 2013); below
    the threshold the gradients come back unchanged (as new arrays).

    Args:
        grads: the gradients, a ``Params``.
        max_norm: c > 0.

    Returns:
        New ``Params``; ``grads`` is not modified.
    """
    grads = _check_grads(grads)
    c = _positive(max_norm, "max_norm")
    norm = global_norm(grads)
    scale = 1.0 if norm <= c else c / norm
    return _map(lambda g: g * scale, grads)


# Learning-rate schedule -------------------------------------------------------------------


def cosine_decay(lr: float, step: int, total: int) -> float:
    """The learning rate of update ``step`` (1-based) out of ``total``, along half a cosine.

    $$\\eta_t = \\frac{\\eta}{2}\\left(1 + \\cos\\frac{\\pi (t - 1)}{n}\\right), \\quad t = 1..n$$

    so the first update uses $\\eta$ itself and the rate falls smoothly towards 0.
    """
    lr = _positive(lr, "lr")
    total = v.check_integer(total, "total", 1)
    step = v.check_integer(step, "step", 1)
    if step > total:
        raise ValueError(f"step: expected an integer in [1, total = {total}], got {step}")
    return 0.5 * lr * (1.0 + math.cos(math.pi * (step - 1) / total))


# Optimisers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SGDState:
    """The state of ``SGD``: only the number of updates done so far."""

    step: int = 0


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent: $\\theta_t = \\theta_{t-1} - \\eta\\, g_t$.

    Attributes:
        lr: the learning rate $\\eta > 0$.
    """

    lr: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _positive(self.lr, "lr"))

    def init(self, params: Params) -> SGDState:
        """The state before the first update."""
        v.check_params(params)
        return SGDState()

    def update(
        self, params: Params, grads: Params, state: SGDState, *, lr: float | None = None
    ) -> tuple[Params, SGDState]:
        """One step. ``lr`` overrides ``self.lr`` for this step (a schedule).

        Returns:
            The new parameters and the new state; nothing passed in is modified.
        """
        params, grads, eta = _update_arguments(self, params, grads, state, SGDState, lr)
        new = _map(lambda theta, g: theta - eta * g, params, grads)
        return new, SGDState(step=state.step + 1)


def _update_arguments(optimizer, params, grads, state, state_type, lr):
    """The checks that open every ``update``: the state's type, params and grads, and the
    step size (``lr`` when given, else the optimiser's own). Returns params, grads, eta."""
    if not isinstance(state, state_type):
        raise TypeError(
            f"state: expected an {state_type.__name__} from {type(optimizer).__name__}.init, "
            f"got {state!r:.100}"
        )
    params = v.check_params(params)
    grads = _check_grads(grads, params)
    return params, grads, optimizer.lr if lr is None else _positive(lr, "lr")


@dataclass(frozen=True, eq=False)
class AdamState:
    """The state of ``Adam``.

    Attributes:
        step: t, the number of updates done so far.
        m: the first-moment estimates $m_t$, shaped like the parameters.
        v: the second-moment estimates $v_t$, shaped like the parameters.
    """

    step: int
    m: Params
    v: Params


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma and Ba, 2015): per-entry steps from bias-corrected moment estimates.

    $$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g_t, \\qquad
    v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g_t^2$$

    $$\\hat m_t = \\frac{m_t}{1 - \\beta_1^t}, \\qquad \\hat v_t = \\frac{v_t}{1 - \\beta_2^t},
    \\qquad \\theta_t = \\theta_{t-1} - \\eta\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}$$

    with $m_0 = v_0 = 0$.

    Attributes:
        lr: $\\eta > 0$. beta1: $\\beta_1 \\in [0, 1)$. beta2: $\\beta_2 \\in [0, 1)$.
        eps: $\\epsilon > 0$.
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", _positive(self.lr, "lr"))
        object.__setattr__(self, "beta1", _fraction(self.beta1, "beta1"))
        object.__setattr__(self, "beta2", _fraction(self.beta2, "beta2"))
        object.__setattr__(self, "eps", _positive(self.eps, "eps"))

    def init(self, params: Params) -> AdamState:
        """The state before the first update: t = 0 and zero moments."""
        params = v.check_params(params)
        return AdamState(step=0, m=_map(np.zeros_like, params), v=_map(np.zeros_like, params))

    def update(
        self, params: Params, grads: Params, state: AdamState, *, lr: float | None = None
    ) -> tuple[Params, AdamState]:
        """One step. ``lr`` overrides ``self.lr`` for this step (a schedule).

        Returns:
            The new parameters and the new state; nothing passed in is modified.
        """
        params, grads, eta = _update_arguments(self, params, grads, state, AdamState, lr)
        m_prev = _check_grads(state.m, params, "state.m")
        v_prev = _check_grads(state.v, params, "state.v")
        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = state.step + 1
        # m_t = b1 m_{t-1} + (1 - b1) g_t;  v_t = b2 v_{t-1} + (1 - b2) g_t^2
        m_t = _map(lambda m, g: b1 * m + (1.0 - b1) * g, m_prev, grads)
        v_t = _map(lambda s, g: b2 * s + (1.0 - b2) * (g * g), v_prev, grads)
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t  # bias corrections: m_hat = m_t / c1, v_hat = v_t / c2
        # theta_t = theta_{t-1} - eta m_hat / (sqrt(v_hat) + eps)
        new = _map(
            lambda theta, m, s: theta - eta * (m / c1) / (np.sqrt(s / c2) + eps), params, m_t, v_t
        )
        return new, AdamState(step=t, m=m_t, v=v_t)
