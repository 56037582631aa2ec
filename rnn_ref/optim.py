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
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from . import _validation as v
from .containers import Params


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


def _scaled_norm(arrays: tuple[np.ndarray, ...]) -> tuple[float, int]:
    """The joint norm as ``(n, e)`` with norm $= n \\cdot 2^e$, free of overflow and underflow.

    Squaring an entry of 1e160 overflows float64 (and ``np.linalg.norm`` returns inf there
    too), so every entry is first divided by $2^e$, the power of two just above the largest
    $|g|$. That division only changes exponents, so it is exact; it leaves every entry in
    $(-1, 1)$ and the largest in $[\\frac12, 1)$, so no square overflows and
    $n \\ge \\frac12$. A square that underflows belongs to an entry below $2^{-537}$ times the
    largest, far below one rounding of the sum. All zeros give ``(0.0, 0)``.
    """
    largest = max(float(np.max(np.abs(a))) for a in arrays)
    if largest == 0.0:
        return 0.0, 0
    e = math.frexp(largest)[1]  # largest = f 2^e with 1/2 <= f < 1
    with np.errstate(under="ignore"):
        total = sum(float(np.sum(np.square(_times_two_to(a, -e)))) for a in arrays)
    return math.sqrt(total), e


def _times_two_to(a: np.ndarray, k: int) -> np.ndarray:
    """$a \\cdot 2^k$, as exact as ``np.ldexp`` (one rounding, only for subnormal results).

    A product with a power of two is that too, and it is 18 times faster than ``np.ldexp``
    (6 against 110 us for 128 x 128). $2^k$ itself overflows past $k = 1023$, which only the
    scaling up of all-subnormal gradients needs: there it takes two factors.
    """
    if k > 1023:
        return (a * 2.0**1023) * 2.0 ** (k - 1023)
    return a * 2.0**k


def global_norm(grads: Params) -> float:
    """The joint Euclidean norm of all five arrays: $\\sqrt{\\sum_i \\lVert g_i \\rVert_F^2}$.

    Computed with the entries scaled by a power of two (``_scaled_norm``), so that it is
    right for every finite gradient, 1e-300 or 1e300, to within a few roundings of float64
    (the sum of squares is the only inexact step). It is ``inf`` only when the norm itself
    exceeds float64's largest number, 1.8e308.
    """
    return _ldexp_or_inf(*_scaled_norm(_check_grads(grads).arrays()))


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
    c = v.check_positive(limit, "limit")
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
    c = v.check_positive(max_norm, "max_norm")
    n, e = _scaled_norm(grads.arrays())
    if _ldexp_or_inf(n, e) <= c:
        return _map(np.copy, grads)
    # The factor c / ||g|| = (f_c / n) 2^(k_c - e), with c = f_c 2^(k_c) split by frexp and
    # 1/2 <= f_c, n: the ratio lies in (0, 2], and the factor is below 1, as ||g|| > c.
    f_c, k_c = math.frexp(c)
    ratio = f_c / n
    factor = math.ldexp(ratio, k_c - e)
    if factor >= sys.float_info.min:  # a normal float: g factor is right to two roundings
        return _map(lambda g: g * factor, grads)
    # A factor below 2.2e-308 (c of 1e-10 against a norm of 1e300) has lost digits or is 0,
    # yet g c / ||g|| need not be small. Each g = f_g 2^(k_g) is then scaled as
    # (f_g ratio) 2^(k_g + k_c - e): np.ldexp only moves the exponent of a number in (-2, 2).
    with np.errstate(under="ignore"):  # a result below float64's smallest is rounded to it
        return _map(lambda g: _shift(np.frexp(g), ratio, k_c - e), grads)


def _shift(fraction_and_exponent: tuple[np.ndarray, np.ndarray], ratio: float, shift: int):
    """``f ratio 2^(k + shift)`` for ``(f, k) = np.frexp(g)``: g scaled without overflow."""
    f, k = fraction_and_exponent
    return np.ldexp(f * ratio, k + shift)


def _ldexp_or_inf(n: float, e: int) -> float:
    """$n \\cdot 2^e$, or inf where that exceeds float64's largest number."""
    try:
        return math.ldexp(n, e)
    except OverflowError:
        return math.inf


# Learning-rate schedule -------------------------------------------------------------------


def cosine_decay(lr: float, step: int, total: int) -> float:
    """The learning rate of update ``step`` (1-based) out of ``total``, along half a cosine.

    $$\\eta_t = \\frac{\\eta}{2}\\left(1 + \\cos\\frac{\\pi (t - 1)}{n}\\right), \\quad t = 1..n$$

    so the first update uses $\\eta$ itself and the rate falls smoothly towards 0.
    """
    lr = v.check_positive(lr, "lr")
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
        object.__setattr__(self, "lr", v.check_positive(self.lr, "lr"))

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
        with _representable("SGD.update"):
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
    return params, grads, optimizer.lr if lr is None else v.check_positive(lr, "lr")


@dataclass(frozen=True, eq=False)
class AdamState:
    """The state of ``Adam``.

    Attributes:
        step: t, the number of updates done so far.
        m: the first-moment estimates $m_t$, shaped like the parameters.
        sqrt_v: $\\sqrt{v_t}$, the square roots of the second-moment estimates, shaped like
            the parameters. The root, not $v_t$ itself: $v_t$ of a gradient of 1e200 is
            1e400, beyond float64 (see ``Adam``).
    """

    step: int
    m: Params
    sqrt_v: Params


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma and Ba, 2015): per-entry steps from bias-corrected moment estimates.

    $$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g_t, \\qquad
    v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g_t^2$$

    $$\\hat m_t = \\frac{m_t}{1 - \\beta_1^t}, \\qquad \\hat v_t = \\frac{v_t}{1 - \\beta_2^t},
    \\qquad \\theta_t = \\theta_{t-1} - \\eta\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}$$

    with $m_0 = v_0 = 0$.

    The state holds $\\sqrt{v_t}$, updated as the same number written without squares:

    $$\\sqrt{v_t} = \\operatorname{hypot}\\!\\left(\\sqrt{\\beta_2}\\,\\sqrt{v_{t-1}},\\;
    \\sqrt{1 - \\beta_2}\\, g_t\\right)$$

    Squared in float64, a gradient of 1e200 gives $v_t = $ inf and a step of 0 (the entry
    silently stops learning), and one below 1e-154 gives $v_t = 0$ (a step of
    $\\eta\\, \\hat m_t / \\epsilon$, far too large when $\\epsilon$ is small). ``np.hypot``
    never overflows or underflows in between, so every finite gradient up to 1e308 gets
    Adam's step to within a few roundings of float64 (about 1e-15 relative); the textbook
    form and this one agree to that accuracy wherever the squares fit. A new parameter
    beyond float64's range (1.8e308) raises ``FloatingPointError``, and so may gradients
    within a few roundings of that largest number, where $\\sqrt{\\hat v_t}$ can round past
    it.

    Attributes:
        lr: $\\eta > 0$. beta1: $\\beta_1 \\in [0, 1)$. beta2: $\\beta_2 \\in [0, 1)$.
        eps: $\\epsilon > 0$.
    """

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        object.__setattr__(self, "lr", v.check_positive(self.lr, "lr"))
        object.__setattr__(self, "beta1", v.check_fraction(self.beta1, "beta1"))
        object.__setattr__(self, "beta2", v.check_fraction(self.beta2, "beta2"))
        object.__setattr__(self, "eps", v.check_positive(self.eps, "eps"))

    def init(self, params: Params) -> AdamState:
        """The state before the first update: t = 0 and zero moments."""
        params = v.check_params(params)
        return AdamState(step=0, m=_map(np.zeros_like, params), sqrt_v=_map(np.zeros_like, params))

    def update(
        self, params: Params, grads: Params, state: AdamState, *, lr: float | None = None
    ) -> tuple[Params, AdamState]:
        """One step. ``lr`` overrides ``self.lr`` for this step (a schedule).

        Returns:
            The new parameters and the new state; nothing passed in is modified.
        """
        params, grads, eta = _update_arguments(self, params, grads, state, AdamState, lr)
        m_prev = _check_grads(state.m, params, "state.m")
        r_prev = _check_grads(state.sqrt_v, params, "state.sqrt_v")
        b1, b2, eps = self.beta1, self.beta2, self.eps
        t = state.step + 1
        root_b2, root_1_b2 = math.sqrt(b2), math.sqrt(1.0 - b2)
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t  # bias corrections: m_hat = m_t / c1, v_hat = v_t / c2
        root_c2 = math.sqrt(c2)
        with _representable("Adam.update"):
            # m_t = b1 m_{t-1} + (1 - b1) g_t
            m_t = _map(lambda m, g: b1 * m + (1.0 - b1) * g, m_prev, grads)
            # sqrt(v_t) = sqrt(b2 v_{t-1} + (1 - b2) g_t^2), with no square formed
            r_t = _map(lambda r, g: np.hypot(root_b2 * r, root_1_b2 * g), r_prev, grads)
            # theta_t = theta_{t-1} - eta m_hat / (sqrt(v_hat) + eps)
            new = _map(
                lambda theta, m, r: theta - eta * (m / c1) / (r / root_c2 + eps),
                params,
                m_t,
                r_t,
            )
        return new, AdamState(step=t, m=m_t, sqrt_v=r_t)


@contextmanager
def _representable(update: str) -> Iterator[None]:
    """Raise a clear error where a new parameter leaves float64's range, not return inf."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            yield
    except FloatingPointError:
        raise FloatingPointError(
            f"{update}: expected new parameters within float64's range (|x| <= 1.8e308), "
            "got an overflow: lower lr, or clip the gradients"
        ) from None
