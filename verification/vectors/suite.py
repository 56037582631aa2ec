"""The golden vectors: which cases the suite holds, and how each one's arrays are drawn.

Every case is a ``VectorCase``: an id, a one-line comment, a tier, flags (each defined once
in ``FLAGS``), a tolerance, the ``Spec``, the sizes and a recipe for its arrays. ``SUITE``
lists them all; ``VectorCase.problem()`` draws the arrays from
``np.random.default_rng(seed)``, so a case is the same numbers on every machine.

The arrays are asymmetric on purpose: every weight matrix is U(-1, 1) scaled by
``gain / sqrt(fan_in)``, with a different seed per case, never a constant or a symmetric
matrix (a transposed W_hh agrees with the truth on a symmetric one).

Tolerances (``TOLERANCE``, ``docs/golden-vectors.md`` gives the measured margins): a
quantity q agrees when ``max|theirs_q - expected_q| <= tolerance * max|expected_q|``, one
normwise relative error per quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_ref.containers import Params, Spec, truncation_label
from rnn_ref.files.casefile import Problem

#: The tiers, in the order the manifest lists them.
TIERS = ("basic", "edge", "hard")

#: The normwise relative tolerance of each tier (docs/golden-vectors.md#tolerances).
TOLERANCE = {"basic": 1e-10, "edge": 1e-10, "hard": 1e-8}

#: Every flag a case may carry, and what it targets. The manifest holds this table.
FLAGS = {
    "tanh": "phi = tanh.",
    "sigmoid": "phi = the logistic sigmoid.",
    "relu": "phi = max(a, 0), phi'(0) = 0.",
    "mse": "l = 1/2 ||y - z||^2 with float targets.",
    "softmax-ce": "l = logsumexp(y) - y[c] with integer class ids.",
    "full": "full BPTT: the exact gradient of L.",
    "window": "window(k): each loss term sees only its k most recent transitions.",
    "chunk": "chunk(k): the state entering every chunk of k transitions is held constant.",
    "transpose-detecting": (
        "asymmetric W_hh, W_xh and W_hy with H != D != O where the sizes allow: a "
        "transposed matrix or a swapped outer product gives other numbers or other shapes."
    ),
    "nonzero-h0": "a random initial state: dL/dh0 and the first transition are exercised.",
    "many-to-many": "every step has a loss term of weight 1.",
    "many-to-one": "only the last step of each sequence has a loss term (weight 1).",
    "loss-weights": "loss weights drawn in [0, 2): each term must be multiplied by its weight.",
    "padding": (
        "variable-length sequences: weight 0 after each sequence's end, and a target there "
        "that must never be read (null in JSON; NaN or -1 in the .npz)."
    ),
    "T-1": "a single time step: no recurrence, dL/dW_hh = delta_1 h0^T.",
    "B-1": "a single sequence.",
    "k-1": "k = 1: only the transition that produced h_t reaches the loss term at t.",
    "k-eq-T-1": "k = T - 1: differs from full BPTT by the first transition only.",
    "k-ge-T": "k >= T: must equal full BPTT exactly.",
    "size-1": "one input, hidden unit or output: broadcasting mistakes show up here.",
    "zero-weights": "every parameter 0: exact zeros that must stay zeros.",
    "saturated": "|a| of 10 to 100: phi' at most 5e-5, and exactly 0 once phi(a) rounds to 1.",
    "exploding": "T = 200 with a W_hh that amplifies: gradients grow by orders of magnitude.",
    "vanishing": "T = 200 with a contracting W_hh: early steps' gradients fall below 1e-20.",
    "long": "T = 200.",
}


@dataclass(frozen=True)
class VectorCase:
    """One golden vector: what it is, and the recipe of its arrays.

    Attributes:
        id: unique, ``[a-z0-9-]``, also the file name.
        comment: one line: what the case shows.
        tier: ``"basic"``, ``"edge"`` or ``"hard"``.
        flags: names from ``FLAGS``.
        spec: activation, loss, truncation.
        sizes: (T, B, D, H, O).
        seed: of ``np.random.default_rng``, which draws every array.
        gains: ``x`` (inputs), ``xh``, ``hh``, ``hy`` (weights, over sqrt(fan_in)),
            ``b`` (biases), ``h0`` (0: zeros), ``z`` (mse targets).
        weights: ``"ones"``, ``"last"``, ``"random"`` or ``"padded"``.
        zero_params: every parameter 0.
        W_hh: ``"uniform"``, or ``"orthogonal"`` (a random orthogonal matrix times
            ``gains["hh"]``: every direction grows or shrinks by the same factor).
    """

    id: str
    comment: str
    tier: str
    flags: tuple[str, ...]
    spec: Spec
    sizes: tuple[int, int, int, int, int]
    seed: int
    gains: dict[str, float] = field(default_factory=dict)
    weights: str = "ones"
    zero_params: bool = False
    W_hh: str = "uniform"

    @property
    def tolerance(self) -> float:
        return TOLERANCE[self.tier]

    def problem(self) -> Problem:
        """The case's arrays as an ``rnn_ref.Problem`` (no expected values yet)."""
        gain = {"x": 1.0, "xh": 1.0, "hh": 0.9, "hy": 1.0, "b": 0.5, "h0": 0.5, "z": 1.0}
        gain |= self.gains
        T, B, D, H, O = self.sizes
        rng = np.random.default_rng(self.seed)

        def matrix(rows: int, cols: int, g: float) -> np.ndarray:
            return g / np.sqrt(cols) * rng.uniform(-1.0, 1.0, size=(rows, cols))

        W_xh = matrix(H, D, gain["xh"])
        if self.W_hh == "orthogonal":
            q, r = np.linalg.qr(rng.normal(size=(H, H)))
            W_hh = gain["hh"] * q * np.sign(np.diag(r))
        else:
            W_hh = matrix(H, H, gain["hh"])
        params = Params(
            W_xh=W_xh,
            W_hh=W_hh,
            b_h=gain["b"] * rng.uniform(-1.0, 1.0, size=H),
            W_hy=matrix(O, H, gain["hy"]),
            b_y=gain["b"] * rng.uniform(-1.0, 1.0, size=O),
        )
        if self.zero_params:
            params = Params(*(np.zeros_like(a) for a in params.arrays()))
        xs = gain["x"] * rng.uniform(-1.0, 1.0, size=(T, B, D))
        h0 = gain["h0"] * rng.uniform(-1.0, 1.0, size=(B, H))
        weights = _loss_weights(rng, self.weights, T, B)
        if self.spec.loss == "mse":
            targets = gain["z"] * rng.uniform(-1.0, 1.0, size=(T, B, O))
            targets[weights == 0] = np.nan  # padding: never read
        else:
            targets = rng.integers(0, O, size=(T, B))
            targets[weights == 0] = -1
        return Problem(
            params=params,
            xs=xs,
            targets=targets,
            spec=self.spec,
            h0=h0,
            weights=weights,
            comment=self.comment,
        )


def _loss_weights(rng: np.random.Generator, kind: str, T: int, B: int) -> np.ndarray:
    """(T, B) loss weights of the given kind; ``padded``: sequence b has length
    ``lengths[b]`` in 1..T (the first one T, the others drawn), weight 0 after it."""
    if kind == "ones":
        return np.ones((T, B))
    if kind == "last":
        weights = np.zeros((T, B))
        weights[-1] = 1.0
        return weights
    if kind == "random":
        return rng.uniform(0.0, 2.0, size=(T, B))
    lengths = np.concatenate([[T], rng.integers(1, T, size=B - 1, endpoint=True)])
    return (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)


def _spec(activation: str, loss: str, bptt: str = "full", k: int | None = None) -> Spec:
    if bptt == "full":
        return Spec(activation=activation, loss=loss)
    return Spec(activation=activation, loss=loss, truncation=k, truncation_mode=bptt)


def _flags(spec: Spec, *more: str) -> tuple[str, ...]:
    bptt = "full" if spec.truncation is None else spec.truncation_mode
    return (spec.activation, spec.loss.replace("_", "-"), bptt, *more)


def _basic() -> list[VectorCase]:
    """Every activation x loss x truncation mode, twice: many-to-many from a nonzero h0
    (T = 6, B = 3, D = 4, H = 5, O = 3), and a smaller one with random loss weights."""
    cases = []
    seed = 100
    for activation in ("tanh", "sigmoid", "relu"):
        for loss in ("mse", "softmax_ce"):
            for bptt, k in (("full", None), ("window", 3), ("chunk", 2)):
                spec = _spec(activation, loss, bptt, k)
                name = f"{activation}-{loss.replace('_', '-')}-{bptt}"
                what = truncation_label(k, bptt)
                seed += 1
                cases.append(
                    VectorCase(
                        id=f"basic-{name}",
                        comment=f"{activation}, {loss}, {what}; many-to-many from a random h0",
                        tier="basic",
                        flags=_flags(spec, "transpose-detecting", "nonzero-h0", "many-to-many"),
                        spec=spec,
                        sizes=(6, 3, 4, 5, 3),
                        seed=seed,
                    )
                )
                seed += 1
                cases.append(
                    VectorCase(
                        id=f"basic-{name}-weighted",
                        comment=f"{activation}, {loss}, {what}; loss weights in [0, 2)",
                        tier="basic",
                        flags=_flags(spec, "transpose-detecting", "loss-weights"),
                        spec=spec,
                        sizes=(5, 2, 3, 4, 2),
                        seed=seed,
                        gains={"h0": 0.0},
                        weights="random",
                    )
                )
    return cases


def _edge() -> list[VectorCase]:
    """The boundaries where off-by-one and broadcasting mistakes live."""
    cases = []

    def add(id, comment, spec, sizes, flags, seed, **kw):
        cases.append(
            VectorCase(
                id=f"edge-{id}",
                comment=comment,
                tier="edge",
                flags=_flags(spec, *flags),
                spec=spec,
                sizes=sizes,
                seed=seed,
                **kw,
            )
        )

    for i, loss in enumerate(("mse", "softmax_ce")):
        name = loss.replace("_", "-")
        add(
            f"T1-{name}",
            f"T = 1, {loss}: one step",
            _spec("tanh", loss),
            (1, 3, 4, 5, 3),
            ("T-1", "nonzero-h0", "transpose-detecting"),
            200 + i,
        )
        add(
            f"B1-{name}",
            f"B = 1, {loss}: one sequence",
            _spec("sigmoid", loss),
            (7, 1, 3, 4, 2),
            ("B-1", "nonzero-h0"),
            210 + i,
        )
        add(
            f"many-to-one-{name}",
            f"many-to-one, {loss}: a loss at the last step only",
            _spec("tanh", loss),
            (8, 3, 3, 5, 4),
            ("many-to-one",),
            220 + i,
            weights="last",
        )
        add(
            f"padded-{name}",
            f"variable lengths, {loss}: padded steps have weight 0",
            _spec("tanh", loss),
            (7, 4, 3, 5, 3),
            ("padding", "nonzero-h0"),
            230 + i,
            weights="padded",
        )
        add(
            f"zero-params-{name}",
            f"every parameter 0, {loss}",
            _spec("tanh", loss),
            (4, 2, 3, 4, 3),
            ("zero-weights", "nonzero-h0"),
            240 + i,
            zero_params=True,
        )
    T = 6
    for i, mode in enumerate(("window", "chunk")):
        for j, (k, flag) in enumerate(
            ((1, "k-1"), (T - 1, "k-eq-T-1"), (T, "k-ge-T"), (T + 3, "k-ge-T"))
        ):
            loss = ("mse", "softmax_ce")[j % 2]
            add(
                f"{mode}-k{k}-T{T}",
                f"{mode}({k}) at T = {T}, {loss}",
                _spec(("tanh", "sigmoid")[i], loss, mode, k),
                (T, 2, 3, 4, 3),
                (flag, "nonzero-h0", "transpose-detecting"),
                250 + 10 * i + j,
            )
    add(
        "window-k1-T1",
        "window(1) at T = 1: equal to full BPTT",
        _spec("tanh", "mse", "window", 1),
        (1, 2, 3, 4, 2),
        ("k-ge-T", "T-1", "nonzero-h0"),
        270,
    )
    add(
        "size-1",
        "D = H = O = 1, mse: every matrix 1 x 1",
        _spec("tanh", "mse"),
        (5, 2, 1, 1, 1),
        ("size-1", "nonzero-h0"),
        271,
    )
    add(
        "H1-softmax-ce",
        "H = 1, softmax_ce with O = 3",
        _spec("sigmoid", "softmax_ce"),
        (5, 2, 2, 1, 3),
        ("size-1",),
        272,
    )
    add(
        "padded-window",
        "variable lengths with window(2), softmax_ce",
        _spec("tanh", "softmax_ce", "window", 2),
        (8, 3, 3, 4, 3),
        ("padding", "window"),
        273,
        weights="padded",
    )
    add(
        "padded-chunk",
        "variable lengths with chunk(3), mse",
        _spec("sigmoid", "mse", "chunk", 3),
        (8, 3, 3, 4, 3),
        ("padding",),
        274,
        weights="padded",
    )
    add(
        "relu-many-to-one",
        "relu, many-to-one, mse",
        _spec("relu", "mse"),
        (6, 2, 3, 5, 2),
        ("many-to-one", "nonzero-h0"),
        275,
        weights="last",
    )
    return cases


def _hard() -> list[VectorCase]:
    """Saturation and long sequences: rounding is no longer benign (a wider tolerance)."""
    cases = []
    seed = 300
    for activation in ("tanh", "sigmoid"):
        for loss in ("mse", "softmax_ce"):
            seed += 1
            spec = _spec(activation, loss)
            cases.append(
                VectorCase(
                    id=f"hard-saturated-{activation}-{loss.replace('_', '-')}",
                    comment=f"{activation}, {loss}: |a| of 10 to 100 for most units",
                    tier="hard",
                    flags=_flags(spec, "saturated", "nonzero-h0"),
                    spec=spec,
                    sizes=(6, 2, 3, 4, 3),
                    seed=seed,
                    gains={"x": 50.0, "xh": 2.0, "b": 5.0},
                )
            )
    long = (
        ("exploding-tanh", "tanh", "mse", "full", None, 1.5, "ones", ("exploding",)),
        ("exploding-relu", "relu", "mse", "full", None, 1.45, "last", ("exploding", "many-to-one")),
        ("exploding-relu-ce", "relu", "softmax_ce", "chunk", 50, 1.45, "ones", ("exploding",)),
        (
            "vanishing-tanh",
            "tanh",
            "softmax_ce",
            "full",
            None,
            0.5,
            "last",
            ("vanishing", "many-to-one"),
        ),
        (
            "vanishing-sigmoid",
            "sigmoid",
            "mse",
            "full",
            None,
            0.5,
            "last",
            ("vanishing", "many-to-one"),
        ),
        ("vanishing-tanh-window", "tanh", "mse", "window", 20, 0.5, "ones", ("vanishing",)),
    )
    for name, activation, loss, bptt, k, g, weights, flags in long:
        seed += 1
        spec = _spec(activation, loss, bptt, k)
        what = truncation_label(k, bptt)
        cases.append(
            VectorCase(
                id=f"hard-{name}",
                comment=f"T = 200, {activation}, {loss}, {what}, orthogonal W_hh times {g}",
                tier="hard",
                flags=_flags(spec, "long", *flags),
                spec=spec,
                sizes=(200, 2, 3, 6, 3),
                seed=seed,
                gains={"hh": g, "x": 0.5},
                weights=weights,
                W_hh="orthogonal",
            )
        )
    return cases


SUITE: tuple[VectorCase, ...] = (*_basic(), *_edge(), *_hard())
