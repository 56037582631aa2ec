"""What a wrong gradient equals: the fingerprints that name a BPTT mistake.

``identify`` takes the gradients of a user's code that disagree with the truth on one case
and tests, in this order, what each one equals:

1. ``forward``: the loss value itself differs, so the forward pass differs (said first);
2. a mistake of the gallery (``verification.mistakes.GALLERY``), run on the same case,
   reproduces it: the most specific name is given, with its generic equivalent if one holds;
3. ``factor``: c times the truth, for c a reduction or sign convention (1/B, 1/T, 2, 1/2,
   -1, 1/sum(w), B, T, ...);
4. ``transpose``: the transpose of the truth;
5. ``clipped``: the truth clipped to [-c, c], c read from theirs;
6. ``truncation``: the exact gradient of another truncation: window(j) or chunk(j) for
   j in 1..T-1, full BPTT, or the loss of the last j steps only (``rnn_ref.gradients``
   with another spec or with the earlier weights zeroed);
7. ``extra-batch-axis``: an extra axis of size B whose sum over the batch is right.

"Equals" is always the caller's own test ``close(name, theirs, candidate)``, the one by
which the checker found the disagreement. Every candidate is scaled by ``factor``, what
the user's reduction multiplies the sum-reduction truth by.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np

import rnn_ref
from rnn_ref import Gradients, Params, Spec

from .mistakes import GALLERY, Mistake

#: the gradients in the order the report lists them
NAMES = (*Params.FIELDS, "xs", "h0")
Close = Callable[[str, np.ndarray, np.ndarray], bool]


@dataclass(frozen=True)
class Finding:
    """One explanation of one or more wrong gradients.

    Attributes:
        id: ``"forward"``, ``"factor"``, ``"transpose"``, ``"clipped"``, ``"truncation"``,
            ``"extra-batch-axis"``, or the id of a gallery mistake.
        gradients: the canonical names it explains (``"W_hh"``, ``"xs"``, ``"loss"``).
        line: one line, printed as ``mistake: <id>: <line>``.
        explanation: why this happens, one or two sentences.
        fix: one sentence.
    """

    id: str
    gradients: tuple[str, ...]
    line: str
    explanation: str
    fix: str


@dataclass(frozen=True)
class _Match:
    """A generic fingerprint of one gradient; equal ``key``s are reported together."""

    id: str
    key: str
    text: str = field(compare=False)  # the line after the gradients' names


_GENERIC = {
    "factor": (
        "A constant factor is a convention, not a BPTT bug: the loss is reduced differently "
        "(a mean instead of a sum), a constant is lost or doubled, or the sign is flipped.",
        "Make the gradient that of the loss you report, or tell the checker your reduction "
        "with --reduction.",
    ),
    "transpose": (
        "The gradient has the layout of its transpose: an outer product taken in the wrong "
        "order (x delta^T for delta x^T), or a column-layout gradient returned as it is.",
        "Form dL/dW as delta (rows of W) times the input (columns of W), or transpose it "
        "when converting layouts.",
    ),
    "clipped": (
        "Every entry beyond a bound is cut to it: clipping inside the gradient computation, "
        "which hides exploding gradients from every check made on it.",
        "Return the exact gradient and clip in the optimiser (preferably by global norm).",
    ),
    "truncation": (
        "The code is exact for a truncation other than the one asked for: each loss term's "
        "path back through time ends at another place (docs/truncation.md).",
        "Decide which truncation is meant and make each loss term reach exactly its "
        "transitions: window(k) reaches t-k+1..t, chunk(k) back to its chunk's start.",
    ),
    "extra-batch-axis": (
        "The gradient is summed over time but not over the sequences of the batch, although "
        "every sequence shares the parameter.",
        "Sum over the batch axis too (NumPy broadcasting otherwise lets the update run).",
    ),
}


def identify(
    theirs: dict[str, np.ndarray],
    *,
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec,
    h0: np.ndarray,
    weights: np.ndarray,
    truth: Gradients,
    factor: float,
    close: Close,
) -> list[Finding]:
    """Name what the user's wrong gradients equal.

    Args:
        theirs: the disagreeing results by canonical name (``"W_hh"``, ``"xs"``, ``"h0"``,
            ``"loss"``), as the user's code returned them.
        params, xs, targets, spec, h0, weights: the case, as for ``rnn_ref.gradients``;
            ``h0`` (B, H) and ``weights`` (T, B) are arrays.
        truth: ``rnn_ref.gradients`` of the case (sum reduction).
        factor: what the user's reduction multiplies the truth by (1, 1/B or 1/sum(w)).
        close: ``close(name, a, b)``, the checker's own equality test.

    Returns:
        The findings: ``forward`` first if the loss differs, then one finding per mistake
        named, each listing the gradients it explains. Gradients that nothing explains are
        in no finding.
    """
    case = _Case(params, xs, targets, spec, h0, weights, truth, factor, close)
    with np.errstate(all="ignore"):
        findings = []
        if "loss" in theirs:
            findings += case.forward(theirs["loss"])
        names = [n for n in NAMES if n in theirs]
        # A gallery mistake first, but only one that leaves alone every parameter gradient
        # that the caller did not pass (those agree with the truth); then the generic
        # fingerprints; then, for what is left, any gallery mistake that reproduces it.
        findings += case.gallery(theirs, names, consistent=True)
        findings += case.generic(theirs, _unexplained(names, findings))
        findings += case.gallery(theirs, _unexplained(names, findings), consistent=False)
    return findings


def _unexplained(names: list[str], findings: list[Finding]) -> list[str]:
    explained = {n for f in findings for n in f.gradients}
    return [n for n in names if n not in explained]


class _Case:
    """One case and the candidates computed for it, each at most once."""

    def __init__(self, params, xs, targets, spec, h0, weights, truth, factor, close):
        self.params, self.spec = params, spec
        self.xs = np.asarray(xs, float)
        self.targets = np.asarray(targets)
        self.h0 = np.asarray(h0, float)
        self.weights = np.asarray(weights, float)
        self.truth, self.factor, self.close = truth, float(factor), close
        self.T, self.B = self.xs.shape[:2]

    def same(self, name: str, theirs, candidate) -> bool:
        theirs, candidate = np.asarray(theirs), np.asarray(candidate)
        if theirs.shape != candidate.shape or not np.all(np.isfinite(candidate)):
            return False
        return bool(self.close(name, theirs, candidate))

    def expected(self, name: str) -> np.ndarray:
        return self.factor * _array(self.truth, name)

    # 1. the forward pass

    def forward(self, loss) -> list[Finding]:
        ours = self.factor * self.truth.loss
        theirs = np.asarray(loss, float)
        if theirs.shape == () and self.same("loss", theirs, np.asarray(ours)):
            return []
        shown = (
            f"{float(theirs):.10g}" if theirs.shape == () else f"an array of shape {theirs.shape}"
        )
        return [
            Finding(
                id="forward",
                gradients=("loss",),
                line=f"loss: theirs {shown}, ours {ours:.10g}: the forward pass differs, so "
                "the gradients are those of another function",
                explanation="The loss value differs before any gradient is taken: the model, "
                "the loss or its reduction is computed differently (a missing bias, another "
                "activation, the 1/2 of the mse loss, a mean for a sum).",
                fix="Make the forward pass and the loss agree with docs/model.md first; only "
                "then look at the gradients.",
            )
        ]

    # 2. the gallery

    @cached_property
    def gallery_outputs(self) -> list[tuple[int, Mistake, dict]]:
        arrays = {n: np.array(getattr(self.params, n), float) for n in Params.FIELDS}
        spec = dataclasses.asdict(self.spec)
        outputs = []
        for order, m in enumerate(GALLERY):
            if not m.applies_to(spec, self.weights, self.h0):
                continue
            try:
                out = m.function(
                    dict(arrays), self.xs.copy(), self.targets.copy(), dict(spec),
                    self.h0.copy(), self.weights.copy(),
                )  # fmt: skip
            except (NotImplementedError, ArithmeticError, ValueError):
                continue  # outside what this mistake's code can run
            outputs.append((order, m, out))
        return outputs

    def gallery(self, theirs: dict, names: list[str], consistent: bool) -> list[Finding]:
        """Greedily, the mistake that reproduces the most of ``names`` exactly, then the next.

        With ``consistent``, only mistakes whose parameter gradients outside ``names``
        equal the truth: the caller passes every disagreeing gradient, so a mistake that
        changes one more of them is not the user's.
        """
        scored = []
        for order, m, out in self.gallery_outputs:
            matched = [
                n for n in names if n in out and self.same(n, theirs[n], self.factor * out[n])
            ]
            others = [n for n in Params.FIELDS if n in out and n not in names]
            if not matched or (
                consistent
                and not all(self.same(n, self.factor * out[n], self.expected(n)) for n in others)
            ):
                continue
            # the most gradients explained, then the narrowest scope, then the gallery's order
            scored.append(((len(matched), len(m.applies), -order), m, matched))
        scored.sort(key=lambda item: item[0], reverse=True)
        explained: set[str] = set()
        findings = []
        for _, m, matched in scored:
            new = [n for n in matched if n not in explained]
            if len(new) < len(matched):
                continue
            explained.update(new)
            line = f"{', '.join(new)}: {m.title.rstrip('.')}"
            # On some cases two mistakes give the same numbers (no carried term and chunk(k)
            # for window(k) on a many-to-one loss): the user should hear of both.
            twins = [other.id for _, other, same in scored if same == matched and other != m]
            if twins:
                line += f" (or, with the same numbers here: {', '.join(twins)})"
            generic = self.match(theirs, new[0])
            if generic is not None:
                same = [n for n in new if self.match(theirs, n) == generic]
                whose = "" if same == new else f"{', '.join(same)}: "
                line += f" ({whose}{generic.text})"
            findings.append(Finding(m.id, tuple(new), line, m.what, m.fix))
        return findings

    # 3-7. the generic fingerprints

    def generic(self, theirs: dict, names: list[str]) -> list[Finding]:
        groups: dict[_Match, list[str]] = {}
        for name in names:
            found = self.match(theirs, name)
            if found is not None:
                groups.setdefault(found, []).append(name)
        findings = []
        for found, grouped in groups.items():
            explanation, fix = _GENERIC[found.id]
            line = f"{', '.join(grouped)}: {found.text}"
            findings.append(Finding(found.id, tuple(grouped), line, explanation, fix))
        return findings

    def match(self, theirs: dict, name: str) -> _Match | None:
        """The first generic fingerprint that ``theirs[name]`` has, or None."""
        a = np.asarray(theirs[name])
        e = self.expected(name)
        for c, text in self.factors:
            if self.same(name, a, c * e):
                return _Match("factor", f"factor {c!r}", text)
        if a.ndim == 2 and self.same(name, a.T, e):
            return _Match("transpose", "transpose", "the transpose of the truth")
        bound = self.clip_bound(name, a, e)
        if bound is not None:
            return _Match("clipped", f"clip {bound!r}", f"the truth clipped to ±{bound:.6g}")
        for key, text, other in self.truncations:
            if self.same(name, a, self.factor * _array(other, name)):
                return _Match("truncation", key, text)
        if a.ndim == e.ndim + 1:
            for axis in range(a.ndim):
                if a.shape[axis] == self.B and self.same(name, a.sum(axis=axis), e):
                    text = f"an extra batch axis (axis {axis}); its sum over the batch is right"
                    return _Match("extra-batch-axis", f"axis {axis}", text)
        return None

    @cached_property
    def factors(self) -> list[tuple[float, str]]:
        """(c, what theirs = c * expected means), one per distinct multiple of the truth."""
        T, B, W = self.T, self.B, float(self.weights.sum())
        reductions = {
            "sum": (1.0, "a sum"),
            "batch-mean": (1.0 / B, "a mean over the batch"),
            "mean": (1.0 / W if W > 0 else 0.0, "a mean over the weighted terms"),
        }
        candidates = []  # (c relative to the truth, text)
        for name, (r, what) in reductions.items():
            candidates.append(
                (r, f"the gradient of the loss reduced as {what} (--reduction {name})")
            )
        to_expected = [
            (-1.0, "the sign is flipped: the gradient of -L, or the error taken as target "
                   "minus output"),
            (2.0, "the mse gradient 2 (y - z) for the loss l = 1/2 ||y - z||^2"),
            (0.5, "a 1/2 that the loss does not have"),
            (1.0 / T, f"averaged over the T = {T} time steps while the loss is their sum"),
            (float(T), f"each step counted T = {T} times (a loop over time nested in another)"),
            (1.0 / B, f"averaged over the B = {B} sequences of the batch"),
            (float(B), f"each sequence counted B = {B} times"),
        ]  # fmt: skip
        candidates += [(c * self.factor, text) for c, text in to_expected]
        seen, result = set(), []
        for r, text in candidates:
            key = Fraction(r).limit_denominator(10**6)
            if r == 0.0 or np.isclose(r, self.factor, rtol=1e-12) or key in seen:
                continue
            seen.add(key)
            result.append((r / self.factor, f"{_ratio(r / self.factor)} times the truth: {text}"))
        return result

    def clip_bound(self, name: str, a: np.ndarray, e: np.ndarray) -> float | None:
        """c such that ``a`` is ``e`` clipped to [-c, c], or None."""
        if a.shape != e.shape or not np.all(np.isfinite(a)):
            return None
        scale = float(np.max(np.abs(e), initial=0.0))
        differ = np.abs(a - e) > 1e-9 * scale
        if not differ.any():
            return None
        bound = float(np.max(np.abs(a[differ])))
        if not 0.0 < bound < scale:
            return None
        # A clip is seen only where two entries or more stand cut at the same bound: with a
        # single differing entry, any smaller value of the same sign (weight decay, a wrong
        # factor on one number) would pass for "the truth clipped" at that value.
        if np.count_nonzero(np.abs(e) > bound) < 2:
            return None
        return bound if self.same(name, a, np.clip(e, -bound, bound)) else None

    @cached_property
    def truncations(self) -> list[tuple[str, str, Gradients]]:
        """(key, text, gradients) of every other truncation of this case."""
        asked = _describe(self.spec, self.T)
        found = []

        def add(key: str, text: str, spec: Spec, weights: np.ndarray) -> None:
            try:
                g = rnn_ref.gradients(
                    self.params, self.xs, self.targets, spec, h0=self.h0, weights=weights
                )
            except (ArithmeticError, ValueError):
                return
            found.append((key, text, g))

        # window(k) asked, window(k+1) computed (which is full BPTT when k + 1 >= T)
        one_more = asked.startswith("window") and _describe(
            Spec(truncation=self.spec.truncation + 1), self.T
        )
        for spec, label in self._other_specs():
            text = f"equals the exact gradient of {label}, not of the {asked} asked for"
            if label == one_more:
                k = self.spec.truncation
                text += f": the tutorial pitfall, `bptt_truncate = {k}` computes window({k + 1})"
            add(label, text, spec, self.weights)
        for j in range(1, self.T):
            weights = self.weights.copy()
            weights[: self.T - j] = 0.0
            add(
                f"last {j}",
                f"equals the exact gradient of the loss of the last {j} steps only",
                self.spec,
                weights,
            )
        return found

    def _other_specs(self) -> Iterator[tuple[Spec, str]]:
        asked = _describe(self.spec, self.T)
        base = dict(activation=self.spec.activation, loss=self.spec.loss)
        candidates = [(Spec(**base), "full BPTT")]
        candidates += [
            (Spec(**base, truncation=j, truncation_mode="window"), f"window({j})")
            for j in range(1, self.T)
        ]
        candidates += [
            (Spec(**base, truncation=j, truncation_mode="chunk"), f"chunk({j})")
            for j in range(2, self.T)  # chunk(1) is window(1)
        ]
        for spec, label in candidates:
            if label != asked:
                yield spec, label


def _describe(spec: Spec, T: int) -> str:
    """``full BPTT``, ``window(k)`` or ``chunk(k)``; a k of T or more is full BPTT."""
    if spec.truncation is None or spec.truncation >= T:
        return "full BPTT"
    return f"{spec.truncation_mode}({spec.truncation})"


def _array(g: Gradients, name: str) -> np.ndarray:
    return getattr(g.params, name) if name in Params.FIELDS else getattr(g, name)


def _ratio(c: float) -> str:
    f = Fraction(c).limit_denominator(10**6)
    return str(f) if abs(float(f) - c) <= 1e-12 * abs(c) else f"{c:.6g}"
