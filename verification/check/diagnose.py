"""From the trials of a search to a ``CheckReport``: the verdict, and where a failure lies.

For a failure, on the smallest failing case: every quantity's verdict, the smallest
prefix of the case that already fails, the mistakes recognised
(``verification.fingerprints``), the JAX twin's confirmation and the saved case; over all
the trials, which value of each open scope flag fails (a tanh-only implementation checked
without ``--activation tanh`` fails on sigmoid and relu, and is told to pass the flag).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rnn_ref.containers import Params

from .report import CheckReport
from .scope import OPEN_FLAGS, Scope
from .tolerance import NAMES, factor, noise_levels, truth

if TYPE_CHECKING:  # the strategy module imports Hypothesis, needed only to search
    from .cases import CheckCase

#: A flag value "passes" when at least this many cases drawn with it all agreed.
MIN_PASSING = 5

_FATAL_REASON = {
    "exception": "your function raised an exception, so nothing could be compared",
    "signature": (
        "your function cannot be called as fn(params, xs, targets, spec, h0, weights) in the "
        "{convention} convention: {detail}"
    ),
    "timeout": "a call took longer than --timeout {timeout:g} s, so nothing could be compared",
    "mutated": "your function changed its arguments: {detail}",
    "nondeterministic": (
        "two calls on the same case gave different answers: {detail}; the function carries "
        "state between calls (a gradient added into a buffer that is not reset, a hidden "
        "state kept) or draws at random, and no verdict can rest on it"
    ),
}


def localise(
    report: CheckReport,
    harness,
    trials: list,
    scope: Scope,
    examples: int,
    seed: int,
    save_case: str | None,
    shrink: Callable,
) -> None:
    """Fill ``report`` from the exploration's ``trials`` (module docstring)."""
    kinds = [t.kind for t in trials]
    report.counts = {
        "checked": sum(k in ("agree", "fail") for k in kinds),
        "agreed": kinds.count("agree"),
        "failed": kinds.count("fail"),
        "out_of_scope": kinds.count("out-of-scope"),
    }
    judged = [t for t in trials if t.verdict is not None]
    returned = {n for t in judged for n in t.verdict.result.values}
    returned |= {
        n for t in judged for n in t.verdict.result.batch_axis + t.verdict.result.malformed
    }
    report.not_returned = [n for n in NAMES if judged and n not in returned]
    report.ignored = sorted({n for t in judged for n in t.verdict.result.ignored})
    last = trials[-1] if trials else None
    if last is not None and last.kind in _FATAL_REASON:
        cannot_compare = last.kind in ("exception", "signature", "timeout")
        report.status = "error" if cannot_compare else "fail"
        detail = last.traceback_line() if last.kind == "signature" else last.detail
        report.reason = _FATAL_REASON[last.kind].format(
            timeout=harness.timeout or 0, detail=detail, convention=report.convention
        )
        report.case = last.case.describe()
        if last.kind in ("exception", "signature"):
            report.traceback = last.detail
        if save_case is not None:
            report.saved_case, why = save(save_case, last.case, report.reason)
            if why:
                report.notes.append(f"the case was not saved: {why}")
        return
    if report.counts["checked"] == 0:
        report.status = "error"
        report.reason = (
            f"no case could be compared: all {len(trials)} raised NotImplementedError "
            "(out of scope); narrow the scope with the flags your code supports"
        )
        return
    if not report.counts["failed"] and not returned & set(NAMES[1:]):
        # {}, the loss alone, or every gradient under another name: agreeing on nothing is
        # no verdict
        report.status = "error"
        report.reason = (
            f"no gradient could be compared: in {report.counts['checked']} cases your function "
            f"returned none of {', '.join(NAMES[1:])} (the names of the {report.convention} "
            "convention)"
        )
        return
    if not report.counts["failed"]:
        report.reason = f"all {report.counts['checked']} cases agree"
        return
    report.status = "fail"
    report.by_value, report.advice = by_value(trials, scope)
    case = shrink(harness, scope, examples, seed) or next(
        t.case for t in trials if t.kind == "fail"
    )
    explain_case(report, harness, case, save_case)


def explain_case(report: CheckReport, harness, case: CheckCase, save_case: str | None) -> None:
    """The verdict on one failing case, its smallest failing prefix, mistakes, confirmation."""
    trial = harness.run(case)
    report.case = case.describe()
    if trial.verdict is None or not trial.verdict.failing:  # it does not fail again
        report.reason = (
            f"a failing case gave {'agreement' if trial.verdict else trial.kind} when run "
            "again: the function's answers change from call to call (state carried between "
            "calls, or a random draw)"
        )
        return
    verdict = trial.verdict
    problems = [*verdict.result.problems]
    problems += [
        f"{n}: returned with an extra batch axis (B, ...); its sum over the batch is "
        f"{'right' if verdict.quantities[n].status == 'agree' else 'still wrong'}: return the "
        f"sum over the batch"
        for n in verdict.result.batch_axis
    ]
    report.problems = problems
    report.forward_differs = verdict.forward_differs
    report.quantities = [dataclasses.asdict(q) for q in verdict.quantities.values()]
    wrong = verdict.disagreeing
    if verdict.forward_differs:  # said first: no BPTT diagnosis before the loss is right
        others = [_label(n) for n in wrong if n != "loss"]
        report.reason = "the forward pass differs: L disagrees" + (
            f", and so do {', '.join(others)}" if others else ""
        )
    elif wrong:
        report.reason = f"{', '.join(_label(n) for n in wrong)} disagree"
    else:
        report.reason = f"a malformed result: {problems[0]}"
    report.smallest_T = smallest_failing_T(harness, case)
    report.mistakes = fingerprints(verdict, case, harness.reduction)
    if not report.scope.bias:
        # zeros returned for a bias the model does not have: its gradient at b = 0 is not 0
        report.advice += [
            f"--no-bias: your {name} is all zeros, but dL/d{name} at b = 0 is not 0; a model "
            f"without biases returns no {name} (a gradient left out is not checked)"
            for name in ("b_h", "b_y")
            if name in wrong
            and name in verdict.result.values
            and not np.any(verdict.result.values[name])
        ]
    report.confirmation = confirm(case, harness.reduction)
    if report.confirmation.startswith("BUG"):
        report.status = "bug"
        report.reason = "the JAX twin and rnn_ref disagree on this case: this is a bug in rnn-ref"
    if save_case is not None:
        report.saved_case, why = save(save_case, case, report.reason)
        if why:
            report.notes.append(f"the smallest failing case was not saved: {why}")


def _label(name: str) -> str:
    return "L" if name == "loss" else f"dL/d{name}"


def by_value(trials: list, scope: Scope) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Per open flag, the values on which some case failed and those on which all of at
    least ``MIN_PASSING`` cases agreed; and one line of advice per flag whose failures are
    confined to some of its values."""
    judged = [t for t in trials if t.kind in ("agree", "fail")]
    groups, advice = {}, []
    for flag, field_name in OPEN_FLAGS.items():
        if getattr(scope, field_name) is not None:
            continue
        cases: dict[str, list[bool]] = {}
        for t in judged:
            cases.setdefault(t.case.labels[flag], []).append(t.kind == "fail")
        fails = sorted(v for v, failed in cases.items() if any(failed))
        # "passes" needs enough cases: a few lucky ones are no evidence
        passes = sorted(
            v for v, failed in cases.items() if not any(failed) and len(failed) >= MIN_PASSING
        )
        groups[flag] = {"fails": fails, "passes": passes}
        if fails and passes:
            suggestion = " ".join(f"--{flag} {v}" for v in passes)
            advice.append(
                f"your code fails on {flag} {' and '.join(fails)}: if it supports only "
                f"{' and '.join(passes)}, pass {suggestion}"
            )
    return groups, advice


def smallest_failing_T(harness, case: CheckCase) -> int | None:
    """The smallest T such that the first T steps of ``case`` already fail."""
    T = case.xs.shape[0]
    for t in range(1, T + 1):
        if harness.run(case.prefix(t)).kind == "fail":
            return t
    return None


def fingerprints(verdict, case: CheckCase, reduction: str) -> list[dict]:
    """The mistakes ``verification.fingerprints.identify`` recognises in what disagrees."""
    from rnn_ref import gradients

    from ..fingerprints import identify

    noise = noise_levels(case, reduction)

    def close(name: str, a, b) -> bool:
        return bool(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0) <= noise[name])

    result = verdict.result
    wrong = {*verdict.disagreeing, *result.batch_axis, *result.malformed}
    theirs = {  # only real numbers can be fingerprinted (complex: a ComplexWarning, no finding)
        name: result.raw[name]
        for name in NAMES
        if name in wrong and name in result.raw and result.raw[name].dtype.kind in "fiu"
    }
    if not theirs:
        return []
    findings = identify(
        theirs,
        params=case.params,
        xs=case.xs,
        targets=case.targets,
        spec=case.spec,
        h0=case.h0,
        weights=case.weights,
        truth=gradients(
            case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
        ),
        factor=factor(case, reduction),
        close=close,
    )
    return [dataclasses.asdict(f) for f in findings]


def confirm(case: CheckCase, reduction: str) -> str:
    """The JAX twin's ``jax.grad`` on ``case`` against rnn_ref: ``"confirmed by autodiff"``,
    why it could not run, or ``"BUG..."`` when the two disagree."""
    try:
        from .. import twin
    except ModuleNotFoundError as error:
        missing = (error.name or "the JAX twin").split(".")[0]
        return (
            f"not confirmed by autodiff: {missing} could not be imported "
            "(pip install 'rnn-ref[check]' brings JAX)"
        )
    exact = dataclasses.replace(case, dtype="float64")
    g = twin.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    from .tolerance import scaled

    theirs = scaled(g, factor(case, reduction))
    ours = truth(case, reduction)
    noise = noise_levels(exact, reduction)
    for name in NAMES:
        if not np.max(np.abs(theirs[name] - ours[name]), initial=0.0) <= noise[name]:
            return f"BUG in rnn-ref: the JAX twin's {_label(name)} differs from rnn_ref's"
    return "confirmed by autodiff: the JAX twin (jax.grad) gives the same truth on this case"


def save(path: str, case: CheckCase, comment: str) -> tuple[str | None, str]:
    """Save ``case`` in rnn_ref's case format (``docs/case-format.md``), with rnn_ref's
    gradients (sum reduction) as its expected values: (the path, '') or (None, why not)."""
    from rnn_ref import gradients, save_case

    g = gradients(case.params, case.xs, case.targets, case.spec, **case.kwargs())
    expected = {"loss": g.loss, **dict(zip(Params.FIELDS, g.params.arrays(), strict=True))}
    expected.update(xs=g.xs, h0=g.h0)
    comment = f"rnn-ref check: {comment}; {case.describe()}"
    problem = dataclasses.replace(case, comment=comment, expected=expected)
    try:
        return str(save_case(Path(path), problem)), ""
    except ValueError as error:
        return None, str(error)
