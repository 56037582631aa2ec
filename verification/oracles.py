"""Three oracles for a gradient: reverse mode, forward mode and finite differences.

A gradient g of the (surrogate) loss S is trusted when three different methods agree with it.
Each works on the point x = (params, xs, h0), seven arrays in the order
``W_xh, W_hh, b_h, W_hy, b_y, xs, h0`` (``point_shapes``), along directions v of unit norm,
sum_i ||v_i||_F^2 = 1 (``random_directions``):

1. ``reverse``: the twin's ``jax.grad`` of S, a full ``Gradients``.
2. ``forward_mode``: ``jax.jvp`` of the twin's S along each v, i.e. dS(x + s v)/ds at s = 0,
   compared with <g, v> (``directional``). Forward mode pushes tangents through the
   transitions in time order; a bug shared by the reverse-mode code paths shows up here.
3. ``finite_differences``: central differences of S along each v, computed from NumPy
   code: ``rnn_ref.loss`` for full BPTT, ``verification.surrogate.surrogate_loss`` (held
   states fixed at the anchor x) for window(k) and chunk(k). Each comes with its own
   error bound, derived below.

``reverse`` and ``forward_mode`` run their JAX programs inside ``runtime.jax_scope()``
(float64 for that call only, and the persistent compilation cache); finite differences
are NumPy alone.

The finite-difference bound
---------------------------
Let f(s) = S(x + s v) with the held states fixed at x, and D(e) = (f(e) - f(-e)) / (2e). By
Taylor's theorem D(e) - f'(0) = e^2 f'''(xi) / 6 for some |xi| <= e, and each computed
f carries a rounding error of at most Delta, so

    |D(e) - f'(0)|  <=  e^2 M3 / 6  +  Delta / e,        M3 = max |f'''| on [-e, e].   (FD)

The step minimising the right-hand side is e* = (3 Delta / M3)^(1/3), where both terms are
of the same size, and the error is ~(Delta^2 M3)^(1/3) ~ u^(2/3) for unit-sized f and M3
(u = 2^-53: about 1e-11). Per case, the oracle

- estimates M3 by a pilot third difference at h = 2^-7, where rounding is negligible:
  M3 ~ |f(2h) - 2 f(h) + 2 f(-h) - f(-2h)| / (2 h^3);
- takes e = (3 Delta_0 / M3)^(1/3) with the a-priori noise Delta_0 = 8 u |L|, clipped to
  [2^-30, 2^-10];
- evaluates f at s = j e, j = -4..4, and from these nine values bounds both terms of (FD):
  the truncation term by |D(2e) - D(e)| (= 3 e^2 |f'''| / 6 up to O(e^4): three times the
  estimate) plus e^2 M3 / 2 from the pilot (again three times); the rounding term by
  Delta / e with Delta = max(4 sigma, u |L|), where sigma is the noise level estimated
  from sixth differences of the nine values (More and Wild, "Estimating computational
  noise", SIAM J. Sci. Comput. 33, 2011): a sixth difference of a smooth function at
  spacing e is e^6 f^(6) ~ 0, while independent rounding errors of standard deviation sigma
  give one of standard deviation sigma * sqrt(C(12, 6)) = sigma * sqrt(924).

So ``bound = |D(2e) - D(e)| + e^2 M3 / 2 + Delta / e``. Both estimates carry a factor of about
three, because (FD) takes M3 as a maximum over the interval, whereas the data measure it at
a point.

relu is not differentiable where a pre-activation is 0, and (FD) needs f''' on the whole
interval. ``FiniteDifferences.smooth`` says, per direction, whether every pre-activation of
the forward run stays on its side of 0 on [-4e, 4e] (with a margin of two for the
surrogate's unrolls, whose pre-activations move by as much); where it is False the bound
does not hold, and a test should pick another case.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import numpy as np

import rnn_ref
from rnn_ref.containers import Gradients, Params, Spec

from . import surrogate, twin
from .runtime import in_jax_scope

#: Unit roundoff of float64, 2^-53.
U = float(np.finfo(np.float64).eps) / 2


# ---------------------------------------------------------------------------------------
# Points and directions.


def point_shapes(params: Params, xs: np.ndarray, h0: np.ndarray | None = None) -> list[tuple]:
    """The seven shapes of a point: W_xh, W_hh, b_h, W_hy, b_y, xs (T, B, D), h0 (B, H)."""
    B, H = np.shape(xs)[1], np.shape(params.W_hh)[0]
    shapes = [np.shape(a) for a in params.arrays()]
    return [*shapes, np.shape(xs), (B, H) if h0 is None else np.shape(h0)]


def random_directions(
    shapes: Sequence[tuple[int, ...]], n: int, rng: np.random.Generator
) -> list[tuple[np.ndarray, ...]]:
    """n directions v, each a tuple of arrays of ``shapes`` with sum_i ||v_i||_F^2 = 1.

    Normal entries, then normalised jointly: uniform on the unit sphere of the point space.
    """
    directions = []
    for _ in range(n):
        v = tuple(rng.standard_normal(shape) for shape in shapes)
        norm = math.sqrt(sum(float(np.sum(a * a)) for a in v))
        directions.append(tuple(a / norm for a in v))
    return directions


def gradient_arrays(grads: Gradients) -> tuple[np.ndarray, ...]:
    """The seven arrays of a gradient in point order: dL/dW_xh, ..., dL/db_y, dL/dxs, dL/dh0."""
    return (*grads.params.arrays(), grads.xs, grads.h0)


def directional(grads: Gradients, direction: Sequence[np.ndarray]) -> float:
    """<g, v> = sum_i sum(g_i * v_i): the derivative along v that g predicts."""
    return sum(float(np.sum(g * v)) for g, v in zip(gradient_arrays(grads), direction, strict=True))


def gradient_norm(grads: Gradients) -> float:
    """||g||_2 over all seven arrays: the scale of <g, v> for unit v (|<g, v>| <= ||g||)."""
    return math.sqrt(sum(float(np.sum(g * g)) for g in gradient_arrays(grads)))


def _moved(params: Params, xs, h0, direction: Sequence[np.ndarray], s: float):
    """The point x + s v as (params, xs, h0)."""
    a = [np.asarray(x, dtype=np.float64) for x in (*params.arrays(), xs, h0)]
    moved = [x + s * v for x, v in zip(a, direction, strict=True)]
    return Params(*moved[:5]), moved[5], moved[6]


def _h0_or_zeros(params: Params, xs, h0) -> np.ndarray:
    B, H = np.shape(xs)[1], np.shape(params.W_hh)[0]
    return np.zeros((B, H)) if h0 is None else np.asarray(h0, dtype=np.float64)


# ---------------------------------------------------------------------------------------
# 1. Reverse mode.


@in_jax_scope
def reverse(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec = Spec(),
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> Gradients:
    """The twin's ``jax.grad`` of the contract's surrogate: ``verification.twin.gradients``."""
    return twin.gradients(params, xs, targets, spec, h0=h0, weights=weights)


# ---------------------------------------------------------------------------------------
# 2. Forward mode.


@functools.partial(jax.jit, static_argnames=("activation", "loss", "depths"))
def _jvp_program(p, xs, h0, targets, weights, held, k, tangent, *, activation, loss, depths):
    def f(p, xs, h0):
        return twin.surrogate(
            p, xs, h0, targets, weights, held, k, activation=activation, loss=loss, depths=depths
        )

    return jax.jvp(f, (p, xs, h0), tangent)[1]


@in_jax_scope
def forward_mode(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    directions: Sequence[Sequence[np.ndarray]],
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """dS(x + s v)/ds at s = 0 for every direction v, by ``jax.jvp`` of the twin's surrogate.

    ``stop_gradient`` has a zero tangent, so this is the derivative of the surrogate with
    its held states fixed: it should equal <g, v> for the truncated gradient g.

    Args:
        params, xs, targets, spec, h0, weights: as for ``rnn_ref.gradients``.
        directions: n directions, each seven arrays shaped like ``point_shapes``.

    Returns:
        (n,) the directional derivatives.
    """
    problem = twin.prepare(params, xs, targets, spec, h0, weights)
    values = []
    for v in directions:
        tangent = problem.pad_point(Params(*v[:5]), v[5], v[6])
        values.append(float(_jvp_program(*problem.args(), tangent, **problem.static)))
    return np.array(values)


# ---------------------------------------------------------------------------------------
# 3. Finite differences.

#: The pilot step for the third derivative, and the range of the chosen step.
PILOT_STEP = 2.0**-7
MIN_STEP, MAX_STEP = 2.0**-30, 2.0**-10

#: sqrt(C(12, 6)): the standard deviation of a sixth difference of unit-variance noise.
_SIXTH_DIFFERENCE_SCALE = math.sqrt(math.comb(12, 6))
_SIXTH_DIFFERENCE = np.array([math.comb(6, m) * (-1) ** m for m in range(7)], dtype=np.float64)


@dataclass(frozen=True, eq=False)
class FiniteDifferences:
    """Central differences along n directions, each with its error bound (FD).

    Attributes:
        values: (n,) D(e), the central difference at the chosen step.
        bounds: (n,) the bound on |D(e) - f'(0)|.
        steps: (n,) the chosen step e.
        third: (n,) the pilot estimate of |f'''|.
        noise: (n,) Delta, the estimated rounding error of one evaluation of f.
        smooth: (n,) False where a relu pre-activation may cross 0 within [-4e, 4e]: the
            bound does not hold there.
    """

    values: np.ndarray
    bounds: np.ndarray
    steps: np.ndarray
    third: np.ndarray
    noise: np.ndarray
    smooth: np.ndarray


def _objective(params, xs, targets, spec, h0, weights) -> Callable[..., float]:
    """f(params, xs, h0): rnn_ref.loss for full BPTT, else the surrogate anchored here."""

    def f(p: Params, x: np.ndarray, h: np.ndarray) -> float:
        if spec.truncation is None:
            return rnn_ref.loss(p, x, targets, spec, h0=h, weights=weights)
        return surrogate.surrogate_loss(
            p,
            x,
            targets,
            spec,
            h0=h,
            weights=weights,
            anchor=params,
            anchor_xs=xs,
            anchor_h0=h0,
        )

    return f


def _call(f: Callable[..., float], point: tuple) -> float:
    params, xs, h0 = point
    return float(f(params, xs, h0))


def _along(f, params, xs, h0, v, steps: Sequence[float]) -> np.ndarray:
    """f(x + s v) for every s in ``steps``."""
    return np.array([_call(f, _moved(params, xs, h0, v, s)) for s in steps])


def _smooth(params: Params, xs, h0, v, step: float, activation: str) -> bool:
    """Whether every relu pre-activation keeps its sign on [-4 step, 4 step] with margin 2."""
    if activation != "relu":
        return True
    _, pre = surrogate.forward_states(params, xs, h0, activation)
    moved = 0.0
    for s in (-4 * step, 4 * step):
        p, x, h = _moved(params, xs, h0, v, s)
        moved = max(
            moved, float(np.max(np.abs(surrogate.forward_states(p, x, h, "relu")[1] - pre)))
        )
    return bool(np.min(np.abs(pre)) > 2 * moved)


def finite_differences(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    directions: Sequence[Sequence[np.ndarray]],
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> FiniteDifferences:
    """Central differences of the NumPy (surrogate) loss along every direction, with bounds.

    The step e is chosen per case and per direction, and the bound is (FD) of the module
    docstring: ``|D(e) - D(2e)| + e^2 M3 / 2 + Delta / e``.

    Args:
        params, xs, targets, spec, h0, weights: as for ``rnn_ref.gradients``; the held
            states of a truncated mode are computed at this point (the anchor).
        directions: n directions of unit norm, each seven arrays shaped like
            ``point_shapes``.

    Returns:
        ``FiniteDifferences`` with (n,) values, bounds, steps, third, noise and smooth.
    """
    h0 = _h0_or_zeros(params, xs, h0)
    f = _objective(params, xs, targets, spec, h0, weights)
    L = abs(_call(f, (params, xs, h0)))
    rows = []
    for v in directions:
        h = PILOT_STEP
        pilot = _along(f, params, xs, h0, v, (2 * h, h, -h, -2 * h))
        third = abs(pilot[0] - 2 * pilot[1] + 2 * pilot[2] - pilot[3]) / (2 * h**3)
        e = MAX_STEP if third == 0 else (3 * 8 * U * L / third) ** (1 / 3)
        e = float(np.clip(e, MIN_STEP, MAX_STEP))
        fs = _along(f, params, xs, h0, v, [j * e for j in range(-4, 5)])  # fs[4 + j] = f(j e)
        d1 = (fs[5] - fs[3]) / (2 * e)
        d2 = (fs[6] - fs[2]) / (4 * e)
        sixth = [abs(float(_SIXTH_DIFFERENCE @ fs[i : i + 7])) for i in range(3)]
        sigma = max(sixth) / _SIXTH_DIFFERENCE_SCALE
        noise = max(4 * sigma, U * L)
        bound = abs(d2 - d1) + e * e * third / 2 + noise / e
        rows.append((d1, bound, e, third, noise, _smooth(params, xs, h0, v, e, spec.activation)))
    values, bounds, steps, thirds, noises, smooth = (np.array(c) for c in zip(*rows, strict=True))
    return FiniteDifferences(values, bounds, steps, thirds, noises, smooth.astype(bool))
