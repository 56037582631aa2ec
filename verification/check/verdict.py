"""The verdict on one case: each returned quantity against the truth, within its noise.

A quantity agrees when ``max|theirs - truth| <= noise`` (``tolerance.noise_levels``). The
relative error reported is ``max|theirs - truth| / max(max|truth|, noise)``: the size of
the difference next to the size of the gradient (the noise keeps a gradient that is 0
everywhere from dividing by 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .harness import Result, read_result
from .tolerance import NAMES, noise_levels, truth

if TYPE_CHECKING:  # the strategy module imports Hypothesis, needed only to search
    from .cases import CheckCase

#: The worst elements listed per disagreeing quantity (all of them when there are fewer).
WORST = 5


@dataclass
class Quantity:
    """The verdict on one quantity (``loss``, ``W_hh``, ``xs``, ...).

    Attributes:
        name: the canonical name.
        status: ``"agree"``, ``"disagree"``, ``"malformed"`` (a wrong shape or dtype,
            NaN or infinity: ``Result.problems`` says which) or ``"not returned"``.
        error: max|theirs - truth| / max(max|truth|, noise); None if not returned.
        noise: the largest |theirs - truth| allowed (absolute).
        scale: max|truth|.
        worst: the elements that differ by more than the noise, at most ``WORST`` of them,
            as ``(index, theirs, truth)``, the largest differences first.
        disagreeing: how many elements differ by more than the noise, and of how many.
        first_step: for ``xs``, the first time step t (1-based) whose dL/dx_t disagrees.
    """

    name: str
    status: str
    error: float | None = None
    noise: float = 0.0
    scale: float = 0.0
    worst: list[tuple[tuple[int, ...], float, float]] = field(default_factory=list)
    disagreeing: tuple[int, int] = (0, 0)
    first_step: int | None = None


@dataclass
class CaseVerdict:
    """The verdict on one case.

    Attributes:
        failing: True when the user's answer is wrong: a quantity disagrees, or the result
            is malformed (``result.problems``), or has an extra batch axis.
        quantities: by name, in ``NAMES`` order.
        result: the read result (problems, batch axis, ignored names).
        truth: the true values by name (scaled by the reduction).
    """

    failing: bool
    quantities: dict[str, Quantity]
    result: Result
    truth: dict[str, np.ndarray]

    @property
    def forward_differs(self) -> bool:
        """Whether the returned loss disagrees: the forward pass, not BPTT, is wrong."""
        return self.quantities["loss"].status == "disagree"

    @property
    def disagreeing(self) -> list[str]:
        return [n for n, q in self.quantities.items() if q.status == "disagree"]


def compare(name: str, theirs: np.ndarray, ours: np.ndarray, noise: float) -> Quantity:
    """The ``Quantity`` of one returned array against the truth."""
    diff = np.abs(theirs - ours)
    scale = float(np.max(np.abs(ours), initial=0.0))
    worst_abs = float(np.max(diff, initial=0.0))
    error = worst_abs / max(scale, noise, np.finfo(np.float64).tiny)
    if worst_abs <= noise:
        return Quantity(name, "agree", error, noise, scale)
    count = (int(np.sum(diff > noise)), int(diff.size))
    order = np.argsort(diff, axis=None, kind="stable")[::-1][: min(WORST, count[0])]
    worst = []
    for flat in order:
        index = tuple(int(i) for i in np.unravel_index(int(flat), diff.shape))
        worst.append((index, float(theirs[index]), float(ours[index])))
    first_step = None
    if name == "xs":
        steps = np.nonzero((diff > noise).any(axis=(1, 2)))[0]
        first_step = int(steps[0]) + 1
    return Quantity(name, "disagree", error, noise, scale, worst, count, first_step)


def judge(case: CheckCase, value: object, reduction: str) -> CaseVerdict:
    """Read the user's returned ``value`` on ``case`` and compare every quantity."""
    true = truth(case, reduction)
    noise = noise_levels(case, reduction)
    result = read_result(value, true, case.dtype)
    quantities = {}
    for name in NAMES:
        if name in result.values:
            quantities[name] = compare(name, result.values[name], true[name], noise[name])
        elif name in result.malformed:
            quantities[name] = Quantity(name, "malformed", noise=noise[name])
        else:
            quantities[name] = Quantity(name, "not returned", noise=noise[name])
    failing = bool(
        result.problems
        or result.batch_axis
        or any(q.status == "disagree" for q in quantities.values())
    )
    return CaseVerdict(failing, quantities, result, true)
