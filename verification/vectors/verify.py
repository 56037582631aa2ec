"""``rnn-ref vectors --verify DIR``: are these the vectors we wrote, and are they right here?

Two checks, both always run, so that a changed file is named by the first and the changed
number by the second:

1. every file's SHA-256 against ``manifest.json`` (a missing, changed or extra file);
2. every case read as untrusted JSON (``document.read_case``), its ``.npz`` holding the same
   numbers, and its loss, hs, ys and gradients recomputed by ``rnn_ref`` within the case's
   tolerance. Another BLAS may round differently in the last bits, which is why this is a
   tolerance and not equality; a number changed by a person is named, with its index.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref.containers import Params

from .document import ReadCase
from .generate import relative_error
from .manifest import check_digests, read_cases, read_manifest


@dataclass
class VerifyReport:
    """What ``verify`` found: ``problems`` empty means every file and number is right."""

    directory: str
    cases: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0

    def text(self) -> str:
        lines = [f"rnn-ref vectors --verify {self.directory}"]
        lines += [f"problem: {p}" for p in self.problems]
        if self.problems:
            lines.append(f"FAIL: {len(self.problems)} problem(s) in {self.cases} cases")
        else:
            lines.append(
                f"OK: {self.files} files match their SHA-256; all {self.cases} cases recomputed "
                f"by rnn_ref within their tolerance ({self.seconds:.1f} s)"
            )
        return "\n".join(lines) + "\n"


def verify(directory: str | os.PathLike) -> VerifyReport:
    """Check the suite in ``directory`` (module docstring).

    Raises:
        ValueError: there is no readable manifest there (nothing could be checked).
    """
    start = time.perf_counter()
    path = Path(directory)
    manifest = read_manifest(path, "--verify")
    report = VerifyReport(str(directory), len(manifest.entries), len(manifest.sha256))
    report.problems += check_digests(path, manifest)
    cases, problems = read_cases(path, manifest)
    report.problems += problems
    for case in cases:
        report.problems += recompute(case)
    report.seconds = time.perf_counter() - start
    return report


def recompute(case: ReadCase) -> list[str]:
    """One line per quantity of ``case`` that rnn_ref does not reproduce within tolerance."""
    p = case
    ours = rnn_ref.gradients(p.params, p.xs, p.targets, p.spec, **p.kwargs())
    trajectory = rnn_ref.forward(p.params, p.xs, p.h0, activation=p.spec.activation)
    values = {"loss": np.float64(ours.loss), "hs": trajectory.hs, "ys": trajectory.ys}
    values |= dict(zip(Params.FIELDS, ours.params.arrays(), strict=True))
    values |= {"xs": ours.xs, "h0": ours.h0}
    problems = []
    for name, value in values.items():
        stored = np.asarray(p.expected[name])
        error = relative_error(stored, value)
        if error <= case.tolerance:
            continue
        diff = np.abs(stored - value)
        index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
        where = "expected.loss" if name == "loss" else f"expected {name}{list(index)}"
        problems.append(
            f"{case.id}: {where} is {float(stored[index])!r} in the file, rnn_ref computes "
            f"{float(value[index])!r}: relative error {error:.2e} > tolerance {case.tolerance:g}"
        )
    return problems
