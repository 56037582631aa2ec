"""Hypothesis strategies that draw a whole rnn_ref problem, and the scale to compare it at.

``check_cases(scope)``, the checker's strategy (``verification.check.cases``), is exported
here too: it reaches the saturated, long and large cases that ``cases()`` keeps out.

``cases()`` draws one ``Case``: small dependent sizes first, then bounded arrays, then the
spec. Everything it draws is a valid call of ``rnn_ref.gradients``:

- sizes: T in 1..16, B in 1..4, D, H in 1..6, O in 1..6 (2..6 for ``softmax_ce``);
- spec: activation x loss x truncation mode (full, window, chunk), k in {1, T-1, >= T,
  anything in 1..T};
- parameters on several scales (``GAINS``), inputs, targets, ``h0`` (``None``, zeros or
  random) and loss weights of one of ``WEIGHT_KINDS`` (all ones, last step only, variable
  lengths, random non-negative, random with some all-zero columns); targets where the
  weight is 0 are sometimes garbage (NaN, class -1), which nothing may read.

Well-scaled by construction (``docs/verification.md``, "Tolerance of twin equality"). Each
array is drawn in [-1, 1] and multiplied by a gain divided by its fan-in, so that every
row sum of |W_xh| is at most ``g_x``, of |W_hh| at most ``g_h``, |b_h| <= ``g_b``:

- ``|a_t| <= g_x + g_h max|h| + g_b <= 4`` for tanh and sigmoid (|h| <= 1), so
  1 - h^2 >= 1.3e-3 and h (1 - h) >= 1.8e-2: no saturation;
- relu has ``g_h <= 1/2``, so ``|h_t| <= max(1, 2 (g_x + g_b)) <= 6`` does not grow;
- ``||W_hh||_inf <= 1``: no Jacobian product of the backward pass grows, in any norm
  that ``|W_hh|`` shares with ``W_hh`` (the infinity norm), so the absolute-value bound of
  ``magnitudes`` stays within T of the gradient's own size;
- ``|y| <= 4``: every softmax probability is at least e^-8 / O, so 1 - p_c keeps its
  digits.

Saturated, exploding and vanishing regimes are not drawn here: ``tests/test_hard_cases.py``
builds them with their own tolerances.

Two arithmetic facts shape the elements:

- XLA on CPU flushes subnormal numbers to zero and NumPy does not, so no element has a
  magnitude below ``TINY_ELEMENT`` = 2^-20 other than 0 itself: then a product along a
  path of the backward pass (at most T factors W_hh phi', each at least 2^-37 when it is
  not 0, and a few more of at least 2^-30) stays above ~2^-800, far from the subnormal
  range (below 2^-1022).
- relu has a kink at 0: a pre-activation within rounding of 0 may fall on different sides
  in two correct implementations (or in one implementation and a reordered sum of it). A
  relu case is drawn only if every pre-activation is exactly 0 with all its terms 0, or
  is further than ``KINK_MARGIN`` times the sum of its terms' magnitudes from 0
  (``assume``; it rejects about one relu case in five, 7% of all cases).
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnn_ref.containers import Gradients, Params, Problem, Spec

from . import compare, surrogate
from .check.cases import check_cases as check_cases  # re-exported: the checker's cases

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
MODES = ("full", "window", "chunk")
#: The 18 activation x loss x truncation mode combinations, as ``Case.combination`` names them.
COMBINATIONS = tuple(f"{a}/{l}/{m}" for a, l, m in itertools.product(ACTIVATIONS, LOSSES, MODES))
WEIGHT_KINDS = ("ones", "last", "lengths", "random", "zero_columns")

#: The size ranges of the issue.
MAX_T, MAX_B, MAX_SIZE = 16, 4, 6

#: Gains, powers of two. g_x: input rows, g_h: recurrent rows, g_b: hidden bias, g_y: the
#: read-out. relu keeps g_h <= 1/2 so that its states stay bounded (module docstring).
GAINS = {
    "x": (1 / 16, 1 / 2, 1.0, 2.0),
    "h": (1 / 16, 1 / 2, 1.0),
    "h_relu": (1 / 16, 1 / 2),
    "b": (1 / 16, 1 / 2, 1.0),
    "y": (1 / 16, 1 / 2, 1.0, 2.0),
}

#: The bounds that make a case well-scaled (module docstring), checked by the twin test:
#: |a| of tanh and sigmoid <= g_x + g_h + g_b; |h| of relu <= (g_x + g_b) / (1 - g_h);
#: |y| <= 2 g_y.
MAX_PREACTIVATION = max(GAINS["x"]) + max(GAINS["h"]) + max(GAINS["b"])
MAX_RELU_STATE = (max(GAINS["x"]) + max(GAINS["b"])) / (1 - max(GAINS["h_relu"]))
MAX_OUTPUT = 2 * max(GAINS["y"])

#: Elements of magnitude below this are drawn as 0 (XLA flushes subnormals).
TINY_ELEMENT = 2.0**-20

#: A relu pre-activation must be this far from 0, relative to the sum of |terms| in it.
KINK_MARGIN = 1e-8


def _no_tiny(value: float) -> float:
    return value if abs(value) >= TINY_ELEMENT else 0.0


#: Finite floats in [-1, 1], no subnormals, nothing in (0, 2^-20).
UNIT = st.floats(-1.0, 1.0, allow_subnormal=False).map(_no_tiny)


def unit_arrays(shape: tuple[int, ...], low: float = -1.0) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of ``shape`` with elements in [low, 1] (``low`` is -1 or 0)."""
    elements = UNIT if low < 0 else st.floats(0.0, 1.0, allow_subnormal=False).map(_no_tiny)
    return arrays(np.float64, shape, elements=elements)


@dataclass(frozen=True, eq=False, kw_only=True)
class Case(Problem):
    """One drawn problem (``rnn_ref.Problem``; ``h0`` and ``weights`` may be ``None``: zeros
    and ones) and how it was drawn.

    Attributes:
        weight_kind: one of ``WEIGHT_KINDS``.
        gains: the gains ``g_x, g_h, g_b, g_y`` the parameters were drawn with.
    """

    weight_kind: str = "ones"
    gains: tuple[float, ...] = ()

    @property
    def mode(self) -> str:
        """``"full"``, ``"window"`` or ``"chunk"``."""
        return "full" if self.spec.truncation is None else self.spec.truncation_mode

    @property
    def combination(self) -> str:
        """``"activation/loss/mode"``, one of ``COMBINATIONS``."""
        return f"{self.spec.activation}/{self.spec.loss}/{self.mode}"

    def args(self, spec: Spec | None = None) -> tuple:
        """``(params, xs, targets, spec)``, with another ``spec`` if given."""
        return (self.params, self.xs, self.targets, self.spec if spec is None else spec)

    def h0_or_zeros(self) -> np.ndarray:
        _, B, _, H, _ = self.sizes
        return np.zeros((B, H)) if self.h0 is None else self.h0

    def weights_or_ones(self) -> np.ndarray:
        T, B, *_ = self.sizes
        return np.ones((T, B)) if self.weights is None else self.weights

    def replace(self, **changes: object) -> Case:
        return dataclasses.replace(self, **changes)

    def config(self, **extra: object) -> str:
        """One line for failure messages: spec, sizes, weights, h0 and gains."""
        h0 = "None" if self.h0 is None else ("zeros" if not self.h0.any() else "random")
        gains = "/".join(f"{g:g}" for g in self.gains)
        return compare.describe(
            self.spec, self.params, self.xs, weights=self.weight_kind, h0=h0, gains=gains, **extra
        )


# ---------------------------------------------------------------------------------------
# Sub-strategies.


@st.composite
def truncations(draw, T: int, modes: tuple[str, ...] = MODES) -> tuple[int | None, str]:
    """(k, mode): ``(None, "window")`` for full, else k in {1, T-1, >= T, 1..T}."""
    mode = draw(st.sampled_from(modes))
    if mode == "full":
        return None, "window"
    k = draw(
        st.one_of(
            st.just(1),
            st.just(max(1, T - 1)),
            st.integers(T, 2 * T + 1),
            st.integers(1, T),
        )
    )
    return k, mode


@st.composite
def loss_weights(draw, T: int, B: int, kinds: tuple[str, ...] = WEIGHT_KINDS):
    """(kind, weights (T, B) or None) for a kind drawn from ``kinds``."""
    kind = draw(st.sampled_from(kinds))
    if kind == "ones":
        return kind, draw(st.sampled_from([None, np.ones((T, B))]))
    if kind == "last":  # many-to-one
        w = np.zeros((T, B))
        w[-1] = 1.0
        return kind, w
    if kind == "lengths":  # variable-length batch: ones up to each sequence's length
        lengths = draw(arrays(np.int64, B, elements=st.integers(1, T)))
        return kind, (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    w = 2.0 * draw(unit_arrays((T, B), low=0.0))
    if kind == "zero_columns":  # whole sequences weighted 0
        keep = draw(arrays(np.bool_, B, elements=st.booleans()))
        w = w * keep
    return kind, w


@st.composite
def scaled_params(draw, D: int, H: int, O: int, activation: str):
    """(Params, gains): entries in [-1, 1] times gain / fan-in (module docstring)."""
    g_x = draw(st.sampled_from(GAINS["x"]))
    g_h = draw(st.sampled_from(GAINS["h_relu" if activation == "relu" else "h"]))
    g_b = draw(st.sampled_from(GAINS["b"]))
    g_y = draw(st.sampled_from(GAINS["y"]))
    # The largest |h| the states can reach: 1 for tanh, sigmoid; relu's fixed-point bound.
    h_max = 1.0 if activation != "relu" else max(1.0, (g_x + g_b) / (1.0 - g_h))
    params = Params(
        W_xh=draw(unit_arrays((H, D))) * (g_x / D),
        W_hh=draw(unit_arrays((H, H))) * (g_h / H),
        b_h=draw(unit_arrays((H,))) * g_b,
        W_hy=draw(unit_arrays((O, H))) * (g_y / (H * h_max)),
        b_y=draw(unit_arrays((O,))) * g_y,
    )
    return params, (g_x, g_h, g_b, g_y)


def kink_free(params: Params, xs: np.ndarray, h0: np.ndarray) -> bool:
    """Whether every relu pre-activation is safely on one side of 0 (module docstring)."""
    hs, pre = surrogate.forward_states(params, xs, h0, "relu")
    terms = (np.abs(xs) @ np.abs(params.W_xh).T + np.abs(hs[:-1]) @ np.abs(params.W_hh).T) + np.abs(
        params.b_h
    )
    exact_zero = (pre == 0) & (terms == 0)
    return bool(np.all(exact_zero | (np.abs(pre) > KINK_MARGIN * terms)))


@st.composite
def cases(
    draw,
    *,
    activations: tuple[str, ...] = ACTIVATIONS,
    losses: tuple[str, ...] = LOSSES,
    modes: tuple[str, ...] = MODES,
    weight_kinds: tuple[str, ...] = WEIGHT_KINDS,
    min_T: int = 1,
    max_T: int = MAX_T,
    min_B: int = 1,
    max_B: int = MAX_B,
    garbage_padding: bool = True,
) -> Case:
    """A whole well-scaled ``Case`` (module docstring); the keywords narrow what is drawn."""
    activation = draw(st.sampled_from(activations))
    loss = draw(st.sampled_from(losses))
    T = draw(st.integers(min_T, max_T))
    B = draw(st.integers(min_B, max_B))
    D = draw(st.integers(1, MAX_SIZE))
    H = draw(st.integers(1, MAX_SIZE))
    O = draw(st.integers(2 if loss == "softmax_ce" else 1, MAX_SIZE))
    k, mode = draw(truncations(T, modes))
    spec = Spec(activation, loss, k, mode)

    params, gains = draw(scaled_params(D, H, O, activation))
    xs = draw(unit_arrays((T, B, D)))
    h0_kind = draw(st.sampled_from(["None", "zeros", "random"]))
    if h0_kind == "None":
        h0 = None
    elif h0_kind == "zeros":
        h0 = np.zeros((B, H))
    else:
        h0 = draw(unit_arrays((B, H), low=0.0 if activation == "sigmoid" else -1.0))
    weight_kind, weights = draw(loss_weights(T, B, weight_kinds))

    if loss == "mse":
        targets = 2.0 * draw(unit_arrays((T, B, O)))
    else:
        targets = draw(arrays(np.int64, (T, B), elements=st.integers(0, O - 1)))
    if garbage_padding and weights is not None and draw(st.booleans()):
        targets = targets.astype(np.float64) if loss == "mse" else targets.copy()
        targets[weights == 0] = np.nan if loss == "mse" else -1  # padding: never read

    if activation == "relu":
        assume(kink_free(params, xs, np.zeros((B, H)) if h0 is None else h0))
    return Case(params, xs, targets, spec, h0, weights, weight_kind=weight_kind, gains=gains)


# ---------------------------------------------------------------------------------------
# The scale of a comparison.


def _phi_prime(hs: np.ndarray, pre: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return 1.0 - hs * hs
    if activation == "sigmoid":
        return hs * (1.0 - hs)
    return (pre > 0).astype(np.float64)


def magnitudes(case: Case, phi_error: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The gradient of full BPTT computed in absolute values: the size of what is summed.

    Every entry of a gradient is a sum, over loss terms and paths through time, of products
    ``w * dl/dy * W_hy * phi' * W_hh * ... * phi' * (x | h | 1)``. Running the backward
    recurrence on |dl/dy|, |W_hy|, |W_hh|, phi' >= 0, |x|, |h| sums the *magnitudes* of those
    products instead: the quantity that bounds the rounding error of any evaluation order,
    |computed - exact| <= c n u * magnitude (a sum of n terms carries at most
    gamma_n = n u / (1 - n u) of the sum of their magnitudes). It is an upper bound for every
    truncation too, whose paths are a subset of full BPTT's.

    With ``phi_error`` (T, B, H), a bound on the relative error of each phi'(a_t) (e.g.
    of two implementations' tanh near saturation), it returns instead the first-order
    bound on the error that those errors cause: the same recurrence, fed at each step by
    ``phi_error * magnitude`` and carried back through |W_hh| and phi' (``L``, dL/dW_hy and
    dL/db_y do not involve phi' and get 0).

    Returns ``{"L": ..., "dL/dW_xh": ..., ..., "dL/dh0": ...}``: arrays shaped like the
    gradient; "L" is the loss itself (a sum of non-negative terms).
    """
    params, xs, spec = case.params, case.xs, case.spec
    h0, w = case.h0_or_zeros(), case.weights_or_ones()
    hs, pre = surrogate.forward_states(params, xs, h0, spec.activation)
    ys = hs[1:] @ params.W_hy.T + params.b_y
    live = w > 0
    if spec.loss == "mse":
        z = np.where(live[..., None], case.targets, ys)
        r = np.abs(ys - z)
        loss = 0.5 * np.sum(w[..., None] * r * r)
    else:
        c = np.where(live, case.targets, 0).astype(np.int64)
        shifted = ys - ys.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        r = np.abs(np.exp(log_p) - (np.arange(ys.shape[-1]) == c[..., None]))
        loss = -np.sum(w * np.take_along_axis(log_p, c[..., None], axis=-1)[..., 0])
    dy = w[..., None] * r  # |dL/dy_t|
    dphi = np.abs(_phi_prime(hs[1:], pre, spec.activation))
    W_xh, W_hh, W_hy = (np.abs(a) for a in (params.W_xh, params.W_hh, params.W_hy))
    d = np.empty_like(pre)
    carried = np.zeros_like(h0)
    for t in reversed(range(xs.shape[0])):
        d[t] = dphi[t] * (dy[t] @ W_hy + carried)
        carried = d[t] @ W_hh
    if phi_error is not None:
        # e_t = eps_t d_t + phi'_t (|W_hh|^T e_{t+1}): an error made at step t, carried back
        errors = np.empty_like(d)
        carried = np.zeros_like(h0)
        for t in reversed(range(xs.shape[0])):
            errors[t] = phi_error[t] * d[t] + dphi[t] * carried
            carried = errors[t] @ W_hh
        d, dy, loss = errors, np.zeros_like(dy), 0.0
    T, B, D = xs.shape
    rows = d.reshape(T * B, -1)
    return {
        "L": np.float64(loss),
        "dL/dW_xh": rows.T @ np.abs(xs).reshape(T * B, D),
        "dL/dW_hh": rows.T @ np.abs(hs[:-1]).reshape(T * B, -1),
        "dL/db_h": rows.sum(axis=0),
        "dL/dW_hy": dy.reshape(T * B, -1).T @ np.abs(hs[1:]).reshape(T * B, -1),
        "dL/db_y": dy.reshape(T * B, -1).sum(axis=0),
        "dL/dxs": d @ W_xh,
        "dL/dh0": d[0] @ W_hh,
    }


def scales(case: Case) -> dict[str, float]:
    """max of each of ``magnitudes``: the normwise denominator of a comparison."""
    return {name: float(np.max(np.abs(m), initial=0.0)) for name, m in magnitudes(case).items()}


def assert_twin_close(
    ours: Gradients, theirs: Gradients, *, scales: dict[str, float], rtol: float, config: str
) -> dict[str, float]:
    """``compare.assert_gradients_close`` with a denominator per quantity: L and the seven
    gradient arrays, each as max|ours - theirs| / ``scales[name]``. Every quantity is
    checked before anything is raised; a failure names each one that differs.

    Returns:
        The relative error of each quantity.
    """
    pairs = {"L": (ours.loss, theirs.loss)}
    theirs_fields = compare.gradient_fields(theirs)
    pairs.update((n, (a, theirs_fields[n])) for n, a in compare.gradient_fields(ours).items())
    errors, failures = {}, []
    for name, (a, b) in pairs.items():
        try:
            d = compare.assert_close(name, a, b, rtol=rtol, scale=scales[name], config=config)
            errors[name] = d.error
        except AssertionError as failure:
            failures.append(str(failure))
    if failures:
        raise AssertionError("\n".join(failures))
    return errors


def scaled_examples(factor: float) -> int:
    """``factor`` times the loaded profile's ``max_examples`` (at least 1)."""
    from hypothesis import settings

    return max(1, round(factor * settings.default.max_examples))
