"""The twin's compiled programs: the model of ``verification.twin.model``, run by ``jax.jit``.

Precision: ``loss``, ``gradients``, ``loss_of``, ``gradients_of`` and ``trajectory`` run
inside ``verification.runtime.jax_scope()``, i.e. in float64 and with the persistent
compilation cache, and leave the user's JAX settings as they found them (importing the twin
changes none).

Compilation: fixed shape buckets
--------------------------------
Every distinct shape costs a compilation, and a Hypothesis suite draws hundreds of shapes.
Measured on the project machine (2 cores, jax 0.10.2, CPU) for small problems (T <= 16,
B <= 4, D, H, O <= 6), one ``gradients`` call per distinct shape:

- eager (no ``jit``): ~1.9 s per call. ``lax.scan`` and every primitive under ``jax.grad``
  are still compiled, per shape, op by op;
- ``jit`` at the exact shape: ~0.8 s per call (50 shapes in 40 s), nearly all compilation;
- ``jit`` on shape buckets (the choice here): each program compiles once, ~0.4 s, and
  then every call costs ~0.6 ms (50 shapes x 18 specs in 6.7 s, of which 6.6 s were the
  18 first compilations: 12 gradient programs and 6 loss programs).

So the public functions pad every problem to a bucket, ``T -> max(16, 2^ceil(log2 T))``,
``B -> max(4, ...)``, ``D, H, O -> max(8, ...)``, and run one compiled program per (bucket,
activation, loss, number of window depths). k is data, not a static argument: full and
chunk(k) share one program for every k, and window(k) unrolls ``max(16, 2^ceil(log2 k))``
depths (at most the T bucket), so the whole small regime is one bucket and one program per
(activation, loss, scan or window). A larger problem costs what its size costs: T = 100,
B = 32, D = 32, H = 128, O = 32 takes ~40 ms (full, chunk) and ~0.4 s (window(8), whose
unroll is 16 depths for each of the 128 padded terms) per call.

The padding is exact: it changes no real entry of L or of any gradient in exact arithmetic
(the floating-point results may differ from unpadded ones by a few ulps, the rounding of a
reordered sum). Padded parameter entries may get nonzero gradients; they are discarded.

- padded steps t > T and padded sequences b > B have weight 0, zero inputs and zero h0.
  Sequences never mix and a state at step t only reaches loss terms at steps >= t, so the
  padding adds terms 0 * l (l finite) to L and nothing to any real derivative.
- a padded input column d > D has x = 0 and W_xh[:, d] = 0: it adds 0 to every a_t.
- a padded hidden unit j > H has zero rows and columns in W_xh, W_hh, W_hy, b_h[j] = 0 and
  h0[:, j] = 0. Its h_t[j] = phi(0) (0.5 for sigmoid) reaches nothing, because every weight
  leaving it is 0, so the real a_t, y_t are unchanged; and dL/dh_t[j] = 0 (the weights
  leaving it are 0), so delta_t[j] = 0 and it sends nothing back to the real units.
- a padded output o > O has W_hy[o] = 0 and b_y[o] = 0 under mse (y = z = 0 there, a zero
  residual), and b_y[o] = -1e300 under softmax_ce: exp(y_o - max y) underflows to exactly 0
  for any |y| < 1e299, so logsumexp and softmax over the real outputs are unchanged and
  dl/dy_o = softmax(y)_o = 0.
- k is clipped to the bucket length Tp >= T: for every real term (t <= T), window(k) and
  window(Tp) both start from the live h0 when k >= T, and chunk(Tp) cuts only at t = Tp,
  which no real term reaches. Window unrolls ``depths`` >= min(k, T) transitions per term,
  enough for every real term (a term at t needs min(k, t)).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from rnn_ref.containers import Gradients, Params, Spec, Trajectory

from ..runtime import in_jax_scope
from .model import P, _scan_states, surrogate, true_loss

#: The smallest bucket per size; above it, sizes round up to a power of two.
MIN_BUCKET = {"T": 16, "B": 4, "D": 8, "H": 8, "O": 8}

#: b_y of a padded output under softmax_ce: exp(y_o - max y) underflows to exactly 0.
_NO_CLASS = -1e300


def bucket(n: int, minimum: int) -> int:
    """The padded size of n: max(minimum, the smallest power of two >= n)."""
    return max(minimum, 1 << (n - 1).bit_length())


def _pad(a, shape: tuple[int, ...], value: float = 0.0, dtype: type = np.float64) -> np.ndarray:
    """``a`` (any real array-like) in the leading corner of a ``shape`` array of ``value``."""
    a = np.asarray(a, dtype=dtype)
    out = np.full(shape, value, dtype=dtype)
    out[tuple(slice(0, n) for n in a.shape)] = a
    return out


@dataclass(frozen=True, eq=False)
class Problem:
    """One call's arguments converted to float64 (int64 class ids) and padded.

    Attributes:
        p, xs, h0, targets, weights, held, k: the arguments of ``surrogate``, padded to
            ``padded`` = (Tp, Bp, Dp, Hp, Op): xs (Tp, Bp, Dp), h0 (Bp, Hp), targets
            (Tp, Bp, Op) or (Tp, Bp), weights (Tp, Bp), held (Tp,) bool, k an int64.
        sizes: the real (T, B, D, H, O).
        static: the static keyword arguments of ``surrogate``.
    """

    p: P
    xs: np.ndarray
    h0: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    held: np.ndarray
    k: np.ndarray
    sizes: tuple[int, int, int, int, int]
    padded: tuple[int, int, int, int, int]
    static: dict[str, object]

    def args(self) -> tuple:
        """The positional arguments of ``surrogate``."""
        return (self.p, self.xs, self.h0, self.targets, self.weights, self.held, self.k)

    def pad_point(
        self, params: Params, xs: np.ndarray, h0: np.ndarray
    ) -> tuple[P, np.ndarray, np.ndarray]:
        """(params, xs, h0), e.g. a tangent, padded with zeros to this problem's buckets."""
        return _pad_point(params, xs, h0, self.padded)

    def unpad(self, p: P, xs: np.ndarray, h0: np.ndarray) -> tuple[Params, np.ndarray, np.ndarray]:
        """The real corner of a padded (p, xs, h0) of NumPy arrays, as new, writable arrays."""
        T, B, D, H, O = self.sizes
        params = Params(
            W_xh=np.array(p.W_xh[:H, :D]),
            W_hh=np.array(p.W_hh[:H, :H]),
            b_h=np.array(p.b_h[:H]),
            W_hy=np.array(p.W_hy[:O, :H]),
            b_y=np.array(p.b_y[:O]),
        )
        return params, np.array(xs[:T, :B, :D]), np.array(h0[:B, :H])


def _pad_point(
    params: Params, xs: np.ndarray, h0: np.ndarray, padded: tuple[int, ...]
) -> tuple[P, np.ndarray, np.ndarray]:
    """(params, xs, h0) padded with zeros to the sizes ``padded`` = (Tp, Bp, Dp, Hp, Op)."""
    Tp, Bp, Dp, Hp, Op = padded
    p = P(
        _pad(params.W_xh, (Hp, Dp)),
        _pad(params.W_hh, (Hp, Hp)),
        _pad(params.b_h, (Hp,)),
        _pad(params.W_hy, (Op, Hp)),
        _pad(params.b_y, (Op,)),
    )
    return p, _pad(xs, (Tp, Bp, Dp)), _pad(h0, (Bp, Hp))


def prepare(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    *,
    pad: bool = True,
) -> Problem:
    """A ``Problem`` from the arguments of ``loss`` / ``gradients`` (assumed valid).

    ``pad=False`` keeps the exact sizes (one compilation per shape): for checking that
    the padding changes nothing.
    """
    xs = np.asarray(xs, dtype=np.float64)
    sizes = (*xs.shape, np.shape(params.W_hh)[0], np.shape(params.W_hy)[0])
    T, B, _, H, _ = sizes
    if pad:
        padded = tuple(bucket(n, MIN_BUCKET[name]) for name, n in zip("TBDHO", sizes, strict=True))
    else:
        padded = sizes
    Tp, Bp, _, _, Op = padded
    h0 = np.zeros((B, H)) if h0 is None else h0
    weights = np.ones((T, B)) if weights is None else weights
    p, xs, h0 = _pad_point(params, xs, h0, padded)
    if spec.loss == "mse":
        targets = _pad(targets, (Tp, Bp, Op))
    else:
        targets = _pad(targets, (Tp, Bp), dtype=np.int64)
        p = p._replace(b_y=_pad(params.b_y, (Op,), value=_NO_CLASS))
    k = Tp if spec.truncation is None else min(spec.truncation, Tp)  # k >= T: full
    depths = 0  # full and chunk(k): one scan
    if spec.truncation is not None and spec.truncation_mode == "window":
        depths = min(Tp, bucket(k, MIN_BUCKET["T"])) if pad else k
    t = np.arange(Tp)
    held = np.zeros(Tp, bool) if depths else (t % k == 0) & (t > 0)
    static = {"activation": spec.activation, "loss": spec.loss, "depths": depths}
    return Problem(
        p, xs, h0, targets, _pad(weights, (Tp, Bp)), held, np.int64(k), sizes, padded, static
    )


@functools.partial(jax.jit, static_argnames=("activation", "loss"))
def _loss_program(p, xs, h0, targets, weights, *, activation, loss):
    return true_loss(p, xs, h0, targets, weights, activation=activation, loss=loss)


@functools.partial(jax.jit, static_argnames=("activation", "loss", "depths"))
def _grad_program(p, xs, h0, targets, weights, held, k, *, activation, loss, depths):
    def f(p, xs, h0):
        return surrogate(
            p, xs, h0, targets, weights, held, k, activation=activation, loss=loss, depths=depths
        )

    return jax.grad(f, argnums=(0, 1, 2))(p, xs, h0)


@in_jax_scope
def loss_of(problem: Problem) -> float:
    """L of a prepared problem, a Python float."""
    static = {"activation": problem.static["activation"], "loss": problem.static["loss"]}
    return float(_loss_program(*problem.args()[:5], **static))


@in_jax_scope
def gradients_of(problem: Problem) -> Gradients:
    """The loss and the gradient of the contract's surrogate for a prepared problem."""
    # device_get first: slicing a JAX array to the real sizes would compile a new program
    # for every real shape, which is what the shape buckets are there to avoid.
    grads = jax.device_get(_grad_program(*problem.args(), **problem.static))
    params, dxs, dh0 = problem.unpad(*grads)
    return Gradients(loss=loss_of(problem), params=params, xs=dxs, h0=dh0)


@in_jax_scope
def loss(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec = Spec(),
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> float:
    """L = sum_{t,b} w[t-1, b] l(y_{t,b}, z_{t,b}) (contract §2); the signature of ``rnn_ref.loss``.

    Args:
        params: (H, D), (H, H), (H,), (O, H), (O,) arrays. xs: (T, B, D). targets: (T, B, O)
            floats (mse) or (T, B) class ids (softmax_ce), not read where the weight is 0.
        spec: activation and loss; the truncation does not change L.
        h0: (B, H), ``None`` for zeros. weights: (T, B) >= 0, ``None`` for ones.
    """
    return loss_of(prepare(params, xs, targets, spec, h0, weights))


@in_jax_scope
def gradients(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec = Spec(),
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> Gradients:
    """L and ``jax.grad`` of the contract's surrogate; the signature of ``rnn_ref.gradients``.

    Returns:
        ``Gradients(loss, params, xs, h0)`` with NumPy float64 arrays: L (a Python float,
        the same number ``loss`` returns), the five parameter gradients, dL/dxs (T, B, D)
        and dL/dh0 (B, H).
    """
    return gradients_of(prepare(params, xs, targets, spec, h0, weights))


@functools.partial(jax.jit, static_argnames=("activation",))
def _states_program(p, xs, h0, *, activation):
    hs = _scan_states(p, xs, h0, jnp.zeros(xs.shape[0], bool), activation)
    return hs, hs @ p.W_hy.T + p.b_y


@in_jax_scope
def trajectory(
    params: Params, xs: np.ndarray, h0: np.ndarray | None = None, *, activation: str = "tanh"
) -> Trajectory:
    """The forward pass (contract §1); the signature of ``rnn_ref.forward``.

    Returns:
        ``Trajectory(hs, ys)``: hs (T+1, B, H) with ``hs[0] = h0``, ys (T, B, O), NumPy
        float64. The problem is padded to its shape bucket like ``gradients``; the padded
        units and steps are cut off (a padded sigmoid unit holds phi(0) = 0.5, which reaches
        no real number).
    """
    spec = Spec(activation=activation)
    targets = np.zeros((*np.shape(xs)[:2], np.shape(params.W_hy)[0]))
    problem = prepare(params, xs, targets, spec, h0)
    hs, ys = jax.device_get(_states_program(*problem.args()[:3], activation=activation))
    T, B, _, H, O = problem.sizes
    h0 = problem.h0[:B, :H]
    return Trajectory(hs=np.concatenate([h0[None], hs[:T, :B, :H]]), ys=np.array(ys[:T, :B, :O]))
