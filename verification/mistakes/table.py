"""The gallery on fixed cases: one case per mistake inside its scope, the error each mistake
makes there, and what ``verification.fingerprints.identify`` names it.

``tests/test_mistakes.py`` asserts the confusion table (every mistake named as itself);
``docgen/mistakes_page.py`` prints the errors and the table into ``docs/mistakes.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

import rnn_ref
from rnn_ref import Gradients, Params, Problem, Spec

from . import GALLERY, Mistake

#: the sizes of every fixed case: T, B and D all differ from each other and from H, so that a
#: factor 1/T is not 1/B and a transposed W_xh has the wrong shape
SIZES = {"T": 7, "B": 3, "D": 3, "H": 4, "O": 2}
#: the k of the truncated cases: window(2) (window(3) is one more), chunk(3) (k = 1 hides
#: an off-by-one at the start of a chunk)
K = {"full": None, "window": 2, "chunk": 3}
SEED = 2024
NAMES = (*Params.FIELDS, "xs", "h0")


@dataclass(frozen=True, eq=False)
class Case(Problem):
    """A fixed case (``rnn_ref.Problem``: h0 (B, H) and weights (T, B) always given), with
    the truth and a way to call the code under test on it."""

    def truth(self) -> Gradients:
        return rnn_ref.gradients(
            self.params, self.xs, self.targets, self.spec, h0=self.h0, weights=self.weights
        )

    def run(self, fn) -> dict:
        """``fn`` called in the canonical convention, on copies."""
        arrays = {n: getattr(self.params, n).copy() for n in Params.FIELDS}
        return fn(
            arrays, self.xs.copy(), self.targets.copy(), dataclasses.asdict(self.spec),
            self.h0.copy(), self.weights.copy(),
        )  # fmt: skip


def fixed_case(
    activation: str = "tanh",
    loss: str = "mse",
    mode: str = "full",
    weights: str = "any",
    h0: str = "any",
    seed: int = SEED,
) -> Case:
    """A case with asymmetric random parameters (never constant matrices, which hide a
    transpose) and a recurrent matrix large enough that carried terms exceed 1.

    Args:
        activation, loss: as in ``rnn_ref.Spec``.
        mode: ``full``, ``window`` (k = 2) or ``chunk`` (k = 3).
        weights: ``any`` (U(0.5, 1.5)), ``ones``, ``mask`` (0/1, about 70% ones) or
            ``last`` (the last step only).
        h0: ``any`` (N(0, 1)) or ``zeros``.
        seed: of ``np.random.default_rng``.
    """
    T, B, D, H, O = SIZES.values()
    rng = np.random.default_rng(seed)
    params = Params(
        W_xh=rng.uniform(-1.0, 1.0, (H, D)),
        W_hh=rng.uniform(-1.2, 1.2, (H, H)),
        b_h=rng.uniform(-0.5, 0.5, H),
        W_hy=rng.uniform(-1.5, 1.5, (O, H)),
        b_y=rng.uniform(-0.5, 0.5, O),
    )
    xs = rng.normal(size=(T, B, D))
    initial = rng.normal(size=(B, H)) if h0 == "any" else np.zeros((B, H))
    if loss == "mse":
        targets = 2.0 * rng.normal(size=(T, B, O))
    else:
        targets = rng.integers(0, O, size=(T, B))
    w = {
        "any": lambda: rng.uniform(0.5, 1.5, (T, B)),
        "ones": lambda: np.ones((T, B)),
        "mask": lambda: (rng.uniform(size=(T, B)) < 0.7).astype(float),
        "last": lambda: np.vstack([np.zeros((T - 1, B)), np.ones((1, B))]),
    }[weights]()
    spec = Spec(
        activation=activation,
        loss=loss,
        truncation=K[mode],
        truncation_mode="chunk" if mode == "chunk" else "window",
    )
    return Case(params, xs, targets, spec, initial, w)


def case_of(m: Mistake) -> Case:
    """The fixed case of a mistake: the first value of each key of its ``applies``."""
    return fixed_case(**{key: values[0] for key, values in m.applies.items()})


def relative_close(name: str, a: np.ndarray, b: np.ndarray) -> bool:
    """The equality the gallery is tested with: max|a - b| <= 1e-9 max|b|, same shape.

    1e-9 is far above the rounding of these small cases (1e-15 relative) and far below any
    mistake's error (above 0.1 for every mistake of the gallery, docs/mistakes.md).
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return False
    scale = max(float(np.max(np.abs(b), initial=0.0)), np.finfo(float).tiny)
    return float(np.max(np.abs(a - b), initial=0.0)) <= 1e-9 * scale


def truth_of(truth: Gradients, name: str):
    if name == "loss":
        return truth.loss
    return getattr(truth.params, name) if name in Params.FIELDS else getattr(truth, name)


def disagreeing(out: dict, truth: Gradients, close=relative_close) -> dict:
    """The entries of ``out`` that differ from the truth (what the checker passes on)."""
    return {n: v for n, v in out.items() if not close(n, v, truth_of(truth, n))}


def relative_errors(out: dict, truth: Gradients) -> dict[str, float | tuple[int, ...]]:
    """Per gradient: max|theirs - truth| / max|truth|, or theirs' shape if it is another."""
    errors = {}
    for name in NAMES:
        if name not in out:
            continue
        theirs, ours = np.asarray(out[name], float), truth_of(truth, name)
        if theirs.shape != ours.shape:
            errors[name] = theirs.shape
        else:
            scale = max(float(np.max(np.abs(ours))), np.finfo(float).tiny)
            errors[name] = float(np.max(np.abs(theirs - ours))) / scale
    return errors


def named(m: Mistake, case: Case | None = None):
    """What ``identify`` says of ``m`` on its fixed case: (theirs, findings)."""
    from ..fingerprints import identify  # fingerprints imports this package

    case = case or case_of(m)
    truth = case.truth()
    theirs = disagreeing(case.run(m.function), truth)
    findings = identify(
        theirs,
        params=case.params,
        xs=case.xs,
        targets=case.targets,
        spec=case.spec,
        h0=case.h0,
        weights=case.weights,
        truth=truth,
        factor=1.0,
        close=relative_close,
    )
    return theirs, findings


def confusion() -> list[tuple[str, str]]:
    """(mistake id, the id that identify names first) for every mistake of the gallery."""
    rows = []
    for m in GALLERY:
        _, findings = named(m)
        first = next((f.id for f in findings if f.id != "forward"), "(nothing)")
        rows.append((m.id, first))
    return rows
