"""The cases ``rnn-ref check`` draws: ``check_cases(scope)``, a public Hypothesis strategy.

Unlike the well-scaled ``verification.strategies.cases()`` (on which the twin tests'
tight tolerance rests), these cases go where real bugs hide:

- sizes: T in 1..12, and one case in four T in 13..64 (long sequences, where a carried
  term dropped at depth 20 still shows); B in 1..4 (1 with ``batch_one``); D, H, O in
  1..5 (O >= 2 for softmax_ce, O = H with an identity read-out);
- truncation: k in {1, T-1, T, T+1} or anything in 1..T+2 (k near T is where window and
  chunk start to differ from full, and off-by-one mistakes live);
- scales: each weight matrix is U(-1, 1) times a gain over its fan-in. Input gains up to
  8 and hidden biases up to 4 saturate tanh and sigmoid units; read-out gains up to 8 and
  targets up to 10 make gradients of hundreds (an implementation that clips inside
  backward differs only where the truth exceeds its clip). The recurrent gain stays
  <= 1 (rows of |W_hh| sum to at most 1): two correct implementations then differ by
  rounding only, since no forward perturbation can grow along the sequence, and
  ``docs/checker.md`` derives the tolerance from that;
- everything else inside the scope only: B = 1 with ``batch_one``, zero biases without
  bias, zero h0 with ``h0="zeros"``, the weight kind asked for, one-hot inputs and an
  identity read-out when the convention needs them.

Hypothesis draws only the sizes, the gains, the labels and a seed; the arrays come from
``np.random.default_rng(seed)``. Hypothesis' own array strategy fills most elements of an
array with one value, and a matrix whose entries are mostly equal hides a transposed
W_hh. Shrinking makes sizes and gains small and the seed 0: the smallest failing case.

Under ``dtype="float32"`` every array is rounded to float32 before it is stored, so that
the float64 reference computes on exactly the numbers the user's code receives.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from rnn_ref.containers import Params, Problem, Spec, truncation_label

from .. import surrogate
from .scope import ACTIVATIONS, BPTT_MODES, H0_KINDS, LOSSES, WEIGHT_KINDS, Scope

#: Gains, drawn independently; the first of each is where shrinking goes.
GAINS = {
    "x": (1.0, 0.25, 4.0, 8.0),
    "h": (0.5, 1.0, 0.125),
    "b": (0.5, 0.0, 4.0),
    "y": (1.0, 0.25, 8.0),
    "z": (1.0, 10.0),
}
#: T is drawn in 1..SHORT_T, or in SHORT_T+1..LONG_T one time in four.
SHORT_T, LONG_T = 12, 64
MAX_B, MAX_SIZE = 4, 5
#: A relu pre-activation this close to 0, relative to the sum of its terms' magnitudes,
#: could fall on either side of the kink in two correct implementations: not drawn. The
#: rounding of a pre-activation is a few u (2^-53, 2^-24) times its terms in practice, at
#: most n u (n <= 2,368 roundings, ``tolerance.chain_length``) in the worst case; the
#: margins are far above the first and about the second (float32: 2,368 u = 1.4e-4).
KINK_MARGIN = {"float64": 1e-6, "float32": 1e-4}


@dataclass(frozen=True, eq=False, kw_only=True)
class CheckCase(Problem):
    """One drawn problem (``rnn_ref.Problem``, float64 arrays; h0 (B, H) and weights (T, B)
    always given, the weights >= 0 and never all zero) and how it was drawn.

    Attributes:
        labels: the value of each scope flag this case was drawn with: ``activation``,
            ``loss``, ``bptt`` (full, window, chunk), ``weights``, ``h0``.
        dtype: ``"float64"`` or ``"float32"``, the dtype the user's code receives.
        seed: the seed of the generator that filled the arrays.
        gains: ``g_x, g_h, g_b, g_y, g_z``.
    """

    labels: dict[str, str]
    dtype: str = "float64"
    seed: int = 0
    gains: tuple[float, ...] = ()

    def canonical_args(self) -> tuple:
        """Fresh copies of ``(params, xs, targets, spec, h0, weights)`` in the canonical
        convention (``verification.check.conventions``), floats in the case's dtype."""
        dtype = np.dtype(self.dtype)
        params = {
            name: a.astype(dtype)
            for name, a in zip(Params.FIELDS, self.params.arrays(), strict=True)
        }
        targets = self.targets.astype(dtype) if self.spec.loss == "mse" else self.targets.copy()
        spec = {f.name: getattr(self.spec, f.name) for f in dataclasses.fields(Spec)}
        return (
            params,
            self.xs.astype(dtype),
            targets,
            spec,
            self.h0.astype(dtype),
            self.weights.astype(dtype),
        )

    def prefix(self, T: int) -> CheckCase:
        """The same case cut to its first T steps, its loss weights of the same kind."""
        weights = self.weights[:T].copy()
        if self.labels["weights"] == "last":
            weights[:] = 0.0
            weights[-1] = 1.0
        elif not weights.any():
            weights[-1] = 1.0
        return dataclasses.replace(self, xs=self.xs[:T], targets=self.targets[:T], weights=weights)

    def describe(self) -> str:
        """One line: spec, sizes, the labels, the gains and the seed."""
        T, B, D, H, O = self.sizes
        bptt = truncation_label(self.spec.truncation, self.spec.truncation_mode, full="full")
        gains = " ".join(f"g_{n}={g:g}" for n, g in zip("xhbyz", self.gains, strict=False))
        return (
            f"{self.spec.activation}, {self.spec.loss}, {bptt}, T={T} B={B} D={D} H={H} O={O}, "
            f"weights {self.labels['weights']}, h0 {self.labels['h0']}, {self.dtype}, "
            f"{gains}, seed {self.seed}"
        )


def _loss_weights(rng: np.random.Generator, kind: str, T: int, B: int) -> np.ndarray:
    if kind == "ones":
        return np.ones((T, B))
    if kind == "last":  # many-to-one
        w = np.zeros((T, B))
        w[-1] = 1.0
        return w
    if kind == "mask":  # a padded batch: ones up to each sequence's length (>= 1)
        lengths = rng.integers(1, T + 1, size=B)
        return (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    w = rng.uniform(0.0, 2.0, size=(T, B)) * (rng.random((T, B)) > 0.2)
    if not w.any():
        w[-1] = 1.0
    return w


def _kink_free(params: Params, xs: np.ndarray, h0: np.ndarray, margin: float) -> bool:
    hs, pre = surrogate.forward_states(params, xs, h0, "relu")
    terms = np.abs(xs) @ np.abs(params.W_xh).T + np.abs(hs[:-1]) @ np.abs(params.W_hh).T
    terms = terms + np.abs(params.b_h)
    return bool(np.all(((pre == 0) & (terms == 0)) | (np.abs(pre) > margin * terms)))


def _k(draw, T: int) -> int:
    return draw(
        st.one_of(
            st.sampled_from(sorted({1, max(1, T - 1), T, T + 1})),
            st.integers(1, T + 2),
        )
    )


@st.composite
def check_cases(draw, scope: Scope = Scope()) -> CheckCase:  # noqa: B008 (frozen)
    """A ``CheckCase`` inside ``scope`` (module docstring).

    Usable in a user's own Hypothesis tests::

        @given(check_cases(Scope(activations=("tanh",))))
        def test_mine(case): ...
    """
    activation = draw(st.sampled_from(scope.activations or ACTIVATIONS))
    loss = draw(st.sampled_from(scope.losses or LOSSES))
    mode = scope.bptt.mode if scope.bptt else draw(st.sampled_from(BPTT_MODES))
    weight_kind = scope.weights or draw(st.sampled_from(WEIGHT_KINDS))
    h0_kind = scope.h0 or draw(st.sampled_from(H0_KINDS))
    long = draw(st.integers(0, 3)) == 3
    T = draw(st.integers(SHORT_T + 1, LONG_T) if long else st.integers(1, SHORT_T))
    B = 1 if scope.batch_one else draw(st.integers(1, MAX_B))
    D = draw(st.integers(1, MAX_SIZE))
    H = draw(st.integers(1, MAX_SIZE))
    O = H if scope.identity_readout else draw(st.integers(2 if loss == "softmax_ce" else 1, 5))
    k = None
    if mode != "full":
        k = scope.bptt.k if scope.bptt and scope.bptt.k is not None else _k(draw, T)
    spec = Spec(activation, loss, k, "window" if mode == "full" else mode)
    gains = tuple(draw(st.sampled_from(GAINS[name])) for name in "xhbyz")
    seed = draw(st.integers(0, 2**32 - 1))
    case = _fill(seed, (T, B, D, H, O), spec, gains, weight_kind, h0_kind, scope)
    if activation == "relu":
        assume(_kink_free(case.params, case.xs, case.h0, KINK_MARGIN[scope.dtype]))
    labels = {"activation": activation, "loss": loss, "bptt": mode, "weights": weight_kind}
    labels["h0"] = h0_kind
    return dataclasses.replace(case, labels=labels)


def _fill(seed, sizes, spec, gains, weight_kind, h0_kind, scope: Scope) -> CheckCase:
    """The arrays of a case, all from one ``np.random.default_rng(seed)`` in a fixed order."""
    T, B, D, H, O = sizes
    g_x, g_h, g_b, g_y, g_z = gains
    rng = np.random.default_rng(seed)
    W_xh = rng.uniform(-1, 1, (H, D)) * (g_x / D)
    W_hh = rng.uniform(-1, 1, (H, H)) * (g_h / H)  # rows of |W_hh| sum to <= g_h <= 1
    b_h = rng.uniform(-1, 1, H) * g_b
    W_hy = rng.uniform(-1, 1, (O, H)) * (g_y / H)
    b_y = rng.uniform(-1, 1, O) * g_y
    if scope.one_hot_inputs:
        xs = np.eye(D)[rng.integers(0, D, size=(T, B))]
    else:
        xs = rng.uniform(-1, 1, (T, B, D))
    if spec.loss == "mse":
        targets = rng.uniform(-1, 1, (T, B, O)) * g_z
    else:
        targets = rng.integers(0, O, size=(T, B)).astype(np.int64)
    h0 = rng.uniform(-1, 1, (B, H)) if h0_kind == "any" else np.zeros((B, H))
    weights = _loss_weights(rng, weight_kind, T, B)
    if not scope.bias:
        b_h, b_y = np.zeros(H), np.zeros(O)
    if scope.identity_readout:
        W_hy, b_y = np.eye(H), np.zeros(H)
    rounded = (
        (lambda a: a.astype(np.float32).astype(np.float64))
        if scope.dtype == "float32"
        else (lambda a: a)
    )
    params = Params(*(rounded(a) for a in (W_xh, W_hh, b_h, W_hy, b_y)))
    if spec.loss == "mse":
        targets = rounded(targets)
    return CheckCase(
        params=params,
        xs=rounded(xs),
        targets=targets,
        spec=spec,
        h0=rounded(h0),
        weights=rounded(weights),
        labels={},
        dtype=scope.dtype,
        seed=seed,
        gains=gains,
    )
