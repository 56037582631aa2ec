"""``rnn-ref vectors --check-results RESULTS.json --vectors DIR``: judge another
implementation's numbers on the golden vectors.

The results file (``docs/golden-vectors.md#results``)::

    {"format": "rnn-ref-results", "version": 1, "implementation": "a free-text name",
     "results": {"<case id>": {"loss": ..., "W_xh": [[...]], ..., "xs": ..., "h0": ...},
                 "<case id>": {"out_of_scope": "why (e.g. relu is not implemented)"}}}

Each result is read like a return value of the canonical convention of ``rnn-ref check``
(``check.harness.read_result``: shapes, dtypes, NaN, an extra batch axis), each quantity is
compared with the checker's ``verdict.compare``, its allowed difference being the case's
tolerance times max|expected|, and every case that disagrees goes through the checker's
fingerprints (``verification.fingerprints.identify``), printed on the checker's lines.
Exit codes are the checker's: 0 every case compared agrees, 1 some case disagrees or is
malformed, 2 nothing could be compared (an unreadable results file, an unknown case id,
no case in scope, or no gradient in any case).

A case whose result gives no gradient (the loss alone, agreeing) is no agreement: it is
reported as such, case by case, and a run in which no case gave a gradient exits 2, as a
check whose function returned none does. Every report, passing or not, ends its counts with
what was not checked: the quantities left out, the cases out of scope or not in the results.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnn_ref.containers import Gradients, Params

from ..check.harness import read_result
from ..check.report import EXIT, _quantity_lines
from ..check.tolerance import NAMES
from ..check.verdict import compare
from ..fingerprints import identify
from . import files
from .document import ReadCase
from .manifest import check_digests, read_cases, read_manifest

RESULTS_FORMAT = "rnn-ref-results"
RESULTS_VERSION = 1
RESULTS_KEYS = ("format", "version", "implementation", "results")
#: What a result must give at least one of for its case to agree: the gradients.
GRADIENT_NAMES = NAMES[1:]


@dataclass
class ResultsReport:
    """The verdict on a results file, case by case.

    Attributes:
        status: ``"agree"`` (0), ``"fail"`` (1) or ``"error"`` (2), as ``CheckReport``.
        counts: ``cases``, ``compared``, ``agreed``, ``failed``, ``no_gradient`` (the
            result agrees but holds no gradient: not an agreement), ``out_of_scope``,
            ``not_run`` (in the suite but not in the results). ``compared`` is
            ``agreed + failed + no_gradient``.
        failures: per failing case, its lines (quantities, problems, mistakes).
        mistake_ids: per failing case id, the ids of the mistakes recognised.
        no_gradient: per case id whose result gave no gradient, the names it gave.
        not_checked: per case id compared, the quantities its result left out.
        out_of_scope: per case id, the reason the implementation gave.
    """

    results: str
    implementation: str = ""
    status: str = "agree"
    reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    mistake_ids: dict[str, list[str]] = field(default_factory=dict)
    no_gradient: dict[str, list[str]] = field(default_factory=dict)
    not_checked: dict[str, list[str]] = field(default_factory=dict)
    out_of_scope: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT[self.status]

    def text(self) -> str:
        c = self.counts
        lines = [
            f"rnn-ref vectors --check-results {self.results} ({self.implementation})",
            f"cases: {c['cases']} in the suite, {c['compared']} compared, {c['agreed']} agree, "
            f"{c['failed']} fail, {c['out_of_scope']} out of scope, {c['not_run']} not in the "
            "results" + (f", {c['no_gradient']} with no gradient" if c["no_gradient"] else ""),
        ]
        for case_id, case_lines in self.failures.items():
            lines.append(f"case {case_id}: FAIL")
            lines += ["  " + line for line in case_lines]
        for case_id, given in self.no_gradient.items():
            lines.append(
                f"case {case_id}: NOT CHECKED: the result gives {', '.join(given)} and no "
                "gradient; agreeing on the loss alone is not an agreement"
            )
        reasons = sorted(set(self.out_of_scope.values()))
        for reason in reasons:
            ids = [i for i, r in self.out_of_scope.items() if r == reason]
            lines.append(f"out of scope ({len(ids)}): {reason}")
        lines += self._not_checked_lines()
        verdict = {"agree": "AGREE", "fail": "FAIL", "error": "ERROR"}[self.status]
        lines.append(f"{verdict}: {self.reason}")
        return "\n".join(lines) + "\n"

    def _not_checked_lines(self) -> list[str]:
        """What this run did not check, passing or not: the quantities left out (grouped
        by the names left out), the cases out of scope and those not in the results."""
        c = self.counts
        lines = []
        groups: dict[tuple[str, ...], int] = {}
        for names in self.not_checked.values():
            if names:
                groups[tuple(names)] = groups.get(tuple(names), 0) + 1
        for names, count in groups.items():
            lines.append(f"not checked: {', '.join(names)} (not in the results of {_cases(count)})")
        cases = [
            f"{_cases(c[key])} {what}"
            for key, what in (("out_of_scope", "out of scope"), ("not_run", "not in the results"))
            if c[key]
        ]
        if cases:
            lines.append(f"not checked: {' and '.join(cases)}")
        if not lines:
            lines.append("not checked: nothing (every quantity of every case was compared)")
        return lines


def check_results(results: str | os.PathLike, vectors: str | os.PathLike) -> ResultsReport:
    """Judge the results file ``results`` against the suite in ``vectors`` (module docstring).

    Raises:
        ValueError: the suite or the results file cannot be read (one line naming the
            file and the field): nothing could be compared, exit 2.
    """
    directory = Path(vectors)
    manifest = read_manifest(directory, "--vectors")
    # The numbers judged against are those the manifest's digests vouch for: an edited case
    # (its JSON and .npz agreeing, its digest stale) would make wrong results agree.
    problems = check_digests(directory, manifest)
    cases, more = read_cases(directory, manifest)
    problems += more
    if problems:
        raise ValueError(f"--vectors: expected an intact suite, got {problems[0]}")
    by_id = {case.id: case for case in cases}
    where = f"--check-results {str(results)!r}"
    document = files.read_json(Path(results), where, max_bytes=_results_bytes(directory))
    files.exact_keys(document, RESULTS_KEYS, where)
    if document["format"] != RESULTS_FORMAT:
        raise ValueError(f"{where}.format: expected {RESULTS_FORMAT!r}, got {document['format']!r}")
    version = files.field(document, "version", int, where, "an integer")
    if version != RESULTS_VERSION:
        raise ValueError(f"{where}.version: expected {RESULTS_VERSION}, got {version}")
    implementation = files.field(document, "implementation", str, where, "a name")
    entries = files.field(document, "results", dict, where, "an object of results by case id")
    unknown = sorted(set(entries) - set(by_id))
    if unknown:
        raise ValueError(f"{where}.results: expected case ids of the suite, got {unknown[0]!r}")
    report = ResultsReport(str(results), implementation)
    failed = agreed = 0
    for case_id, value in entries.items():
        if not isinstance(value, dict):
            raise ValueError(f"{where}.results[{case_id!r}]: expected an object, got another value")
        if "out_of_scope" in value:
            others = sorted(str(key)[:40] for key in value if key != "out_of_scope")
            if others:  # numbers beside "out of scope" would be silently left unchecked
                raise ValueError(
                    f"{where}.results[{case_id!r}]: expected out_of_scope alone, got also "
                    f"{others[0]!r}"
                )
            reason = files.field(
                value, "out_of_scope", str, f"{where}.results[{case_id!r}]", "a reason"
            )
            report.out_of_scope[case_id] = reason
            continue
        verdict = judge(by_id[case_id], value)
        report.not_checked[case_id] = verdict.not_checked
        if verdict.lines:
            failed += 1
            report.failures[case_id] = verdict.lines
            report.mistake_ids[case_id] = verdict.mistakes
        elif verdict.given and not set(verdict.given) & set(GRADIENT_NAMES):
            report.no_gradient[case_id] = verdict.given
        else:
            agreed += 1
    no_gradient = len(report.no_gradient)
    report.counts = {
        "cases": len(cases),
        "compared": failed + agreed + no_gradient,
        "agreed": agreed,
        "failed": failed,
        "no_gradient": no_gradient,
        "out_of_scope": len(report.out_of_scope),
        "not_run": len(cases) - len(entries),
    }
    if failed:
        report.status = "fail"
        report.reason = f"{failed} of {failed + agreed + no_gradient} cases compared disagree"
    elif agreed:
        report.reason = f"all {agreed} cases compared agree" + (
            f"; {no_gradient} more gave no gradient (not checked)" if no_gradient else ""
        )
    elif no_gradient:
        # the loss alone, agreeing: agreeing on no gradient is no verdict (as in a check)
        report.status = "error"
        report.reason = (
            f"no gradient could be compared: the results of {no_gradient} cases give none of "
            f"{', '.join(GRADIENT_NAMES)}"
        )
    else:
        report.status = "error"
        report.reason = "no case could be compared: every result is out of scope or missing"
    return report


@dataclass
class Verdict:
    """One case's result judged.

    Attributes:
        lines: the report lines (none when every quantity given agrees).
        mistakes: the ids of the mistakes recognised.
        given: the names given well-formed, in the order of ``NAMES``.
        not_checked: the names not given (so not compared), in the order of ``NAMES``.
    """

    lines: list[str]
    mistakes: list[str]
    given: list[str]
    not_checked: list[str]


def judge(case: ReadCase, value: dict) -> Verdict:
    """One case's result judged against the case (``Verdict``)."""
    lines, mistakes, result = _judge(case, value)
    given = [n for n in NAMES if n in result.values]
    missing = [n for n in NAMES if n not in result.values and n not in result.malformed]
    return Verdict(lines, mistakes, given, missing)


def _judge(case: ReadCase, value: dict) -> tuple[list[str], list[str], object]:
    """The report lines of one case's result (none when it agrees), the mistake ids and
    the result as read."""
    p = case
    truth = {name: np.asarray(p.expected[name], dtype=np.float64) for name in NAMES}
    noise = {name: case.tolerance * float(np.max(np.abs(truth[name]))) for name in NAMES}
    result = read_result({k: _numbers(v) for k, v in value.items()}, truth, "float64")
    quantities = [
        compare(n, result.values[n], truth[n], noise[n]) for n in NAMES if n in result.values
    ]
    wrong = [q.name for q in quantities if q.status == "disagree"]
    if not (result.values or result.problems):  # {} would otherwise agree with anything
        return [f"problem: none of {', '.join(NAMES)} was returned"], [], result
    if not (wrong or result.problems or result.batch_axis):
        return [], [], result
    lines = [f"problem: {problem}" for problem in result.problems]
    lines += [f"{n}: returned with an extra batch axis (B, ...)" for n in result.batch_axis]
    if "loss" in wrong:
        lines.append("the forward pass differs: the loss is not L, so fix the forward pass first")
    for q in quantities:
        lines += _quantity_lines(dataclasses.asdict(q))
    missing = [n for n in NAMES if n not in result.values and n not in result.malformed]
    if missing:
        lines.append(f"not returned, so not checked: {', '.join(missing)}")
    findings = _fingerprints(case, result, wrong, noise)
    for finding in findings:
        lines.append(f"mistake: {finding.id}: {finding.line}")
    return lines, [finding.id for finding in findings], result


def _cases(count: int) -> str:
    return f"{count} case" if count == 1 else f"{count} cases"


def _results_bytes(directory: Path) -> int:
    """The largest results file read: 4 times the suite's JSON, which holds every input and
    expected number of every case (a result holds fewer, each written at most about twice
    as long, even indented); 1 MiB at least. A larger file is refused before it is parsed,
    so memory stays bounded by the suite, not by the file."""
    total = sum(path.stat().st_size for path in (directory / "json").glob("*.json"))
    return min(files.MAX_JSON_BYTES, max(2**20, 4 * total))


def _numbers(value: object) -> object:
    """JSON numbers as a float64 array (JSON writes 0.0 as 0 in many languages); anything
    else (null, strings, ragged lists) is left for ``read_result`` to report."""
    try:
        array = np.array(value, dtype=object)
    except ValueError:  # ragged
        return value
    flat = array.reshape(-1)
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in flat):
        return np.array([float(x) for x in flat], dtype=np.float64).reshape(array.shape)
    # NumPy reads true as 1.0: an object array is reported as malformed instead
    return array if any(isinstance(x, bool) for x in flat) else value


def _fingerprints(case: ReadCase, result, wrong: list[str], noise: dict[str, float]) -> list:
    p = case
    names = {*wrong, *result.batch_axis, *result.malformed}
    theirs = {  # only numbers can be fingerprinted (a null in JSON is an object array)
        name: result.raw[name]
        for name in NAMES
        if name in names and name in result.raw and result.raw[name].dtype.kind in "fiu"
    }
    if not theirs:
        return []
    expected = p.expected
    truth = Gradients(
        loss=float(expected["loss"]),
        params=Params(*(expected[name] for name in Params.FIELDS)),
        xs=expected["xs"],
        h0=expected["h0"],
    )

    def close(name: str, a, b) -> bool:
        return bool(np.max(np.abs(np.asarray(a) - np.asarray(b)), initial=0.0) <= noise[name])

    return identify(
        theirs,
        params=p.params,
        xs=p.xs,
        targets=p.targets,
        spec=p.spec,
        h0=p.h0,
        weights=p.weights,
        truth=truth,
        factor=1.0,
        close=close,
    )
