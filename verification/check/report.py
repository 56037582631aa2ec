"""``CheckReport``: what ``rnn-ref check`` found, as text and as JSON.

The text reads top-down in the order a person debugging needs it: the verdict line; for a
failure, the case; whether the forward pass differs (then the loss is wrong and no BPTT
diagnosis comes first); each quantity (agree, disagree, not returned) with its relative
error and the noise allowed; the worst elements, never elided; where in time it goes
wrong; the mistakes recognised; which scope values fail; the command that reproduces it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from rnn_ref._output import json_text, printable

from .scope import Scope, describe
from .tolerance import NAMES

#: Exit status by ``CheckReport.status``.
EXIT = {"agree": 0, "fail": 1, "error": 2, "bug": 2}
_LABEL = {n: ("L" if n == "loss" else f"dL/d{n}") for n in NAMES}


@dataclass
class CheckReport:
    """The result of ``verification.check_gradients``.

    Attributes:
        target: what was checked (TARGET, or the function's qualified name).
        convention: the convention's name.
        scope: the cases drawn.
        status: ``"agree"`` (exit 0), ``"fail"`` (1: the code ran and something is wrong),
            ``"error"`` (2: nothing could be compared) or ``"bug"`` (2: the JAX twin and
            rnn_ref disagree, a bug in rnn-ref).
        reason: one line saying why, for every status but ``"agree"``.
        examples, seed: the search's settings.
        counts: ``checked``, ``agreed``, ``failed``, ``out_of_scope`` cases.
        not_returned: quantities the function never returned (not checked).
        ignored: returned names that are not canonical (not checked).
        case: one line describing the smallest failing case (or the case of an error).
        problems: malformed results on that case (shapes, dtypes, NaN, extra batch axis).
        forward_differs: the returned loss disagrees on that case.
        quantities: per quantity on that case, dicts of ``verdict.Quantity`` fields.
        smallest_T: the smallest prefix length of that case that already fails.
        mistakes: recognised mistakes, dicts with ``id``, ``line`` and more.
        by_value: per open scope flag, ``{"fails": [...], "passes": [...]}``.
        advice: lines telling the user which flags their code needs.
        confirmation: ``"confirmed by autodiff"`` or why not.
        traceback: the user's traceback (an exception).
        saved_case: the path of the saved smallest failing case.
        reproduce: one command that runs the same check again.
        notes: anything else worth a line (timeouts unavailable, ...).
        seconds: wall time of the check.
    """

    target: str
    convention: str
    scope: Scope
    status: str = "agree"
    reason: str = ""
    examples: int = 0
    seed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    not_returned: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    case: str = ""
    problems: list[str] = field(default_factory=list)
    forward_differs: bool = False
    quantities: list[dict] = field(default_factory=list)
    smallest_T: int | None = None
    mistakes: list[dict] = field(default_factory=list)
    by_value: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    advice: list[str] = field(default_factory=list)
    confirmation: str = ""
    traceback: str = ""
    saved_case: str | None = None
    reproduce: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 all agree, 1 the code ran and something is wrong, 2 nothing could be compared."""
        return EXIT[self.status]

    @property
    def ok(self) -> bool:
        return self.status == "agree"

    def __str__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The report as text, one fact per line, nothing elided."""
        c = self.counts
        lines = [f"rnn-ref check {self.target} (convention {self.convention})"]
        flags = describe(self.scope)
        lines.append(f"scope: {flags or 'everything (no flag given)'}")
        lines.append(
            f"cases: {c.get('checked', 0)} checked, {c.get('agreed', 0)} agree, "
            f"{c.get('failed', 0)} fail, {c.get('out_of_scope', 0)} out of scope "
            f"(NotImplementedError); {self.examples} examples, seed {self.seed}, "
            f"{self.seconds:.1f} s"
        )
        if self.not_returned:
            lines.append(f"not returned, so not checked: {', '.join(self.not_returned)}")
        if self.ignored:
            lines.append(f"returned but not checked (unknown names): {', '.join(self.ignored)}")
        lines.extend(f"note: {note}" for note in self.notes)
        verdict = {"agree": "AGREE", "fail": "FAIL", "error": "ERROR", "bug": "BUG IN RNN-REF"}
        head = f"{verdict[self.status]}: {self.reason}" if self.reason else verdict[self.status]
        lines.append(head)
        if self.case:
            lines.append(f"case: {self.case}")
        if self.traceback:
            lines.append("traceback (from your code):")
            lines.extend("  " + line for line in self.traceback.rstrip().split("\n"))
        lines.extend(f"problem: {p}" for p in self.problems)
        if self.forward_differs:
            lines.append(
                "the forward pass differs: the returned loss is not L, so fix the forward "
                "pass (or the loss) before the gradients"
            )
        for q in self.quantities:
            lines.extend(_quantity_lines(q))
        if self.smallest_T is not None:
            lines.append(f"smallest T that fails: {self.smallest_T} (prefixes of this case)")
        for m in self.mistakes:
            lines.append(f"mistake: {m['id']}: {m['line']}")
            lines.extend(f"  {what}: {m[what]}" for what in ("explanation", "fix") if m.get(what))
        for flag, values in self.by_value.items():
            if values["fails"] and values["passes"]:
                lines.append(
                    f"--{flag}: fails on {', '.join(values['fails'])}; passes on "
                    f"{', '.join(values['passes'])}"
                )
        lines.extend(self.advice)
        if self.confirmation:
            lines.append(self.confirmation)
        if self.saved_case:
            lines.append(f"smallest failing case saved to {self.saved_case}")
        if self.reproduce:
            lines.append(f"reproduce: {self.reproduce}")
        # the user's text (TARGET, an exception's message, names returned) is printed with
        # its control characters escaped: an ESC sequence or a newline of theirs cannot
        # forge a line of the report
        return "".join(printable(line) + "\n" for line in lines)

    def to_json(self) -> dict:
        """The report as a JSON-ready dict (non-finite numbers are left as floats:
        ``to_json_text`` writes them as strings)."""
        flags = describe(self.scope)
        return {
            "target": self.target,
            "convention": self.convention,
            "scope": flags,
            "status": self.status,
            "exit_code": self.exit_code,
            "reason": self.reason,
            "examples": self.examples,
            "seed": self.seed,
            "counts": self.counts,
            "not_returned": self.not_returned,
            "ignored": self.ignored,
            "case": self.case,
            "problems": self.problems,
            "forward_differs": self.forward_differs,
            "quantities": [_json_quantity(q) for q in self.quantities],
            "smallest_T": self.smallest_T,
            "mistakes": self.mistakes,
            "mistake_ids": [m["id"] for m in self.mistakes],
            "by_value": self.by_value,
            "advice": self.advice,
            "confirmation": self.confirmation,
            "traceback": self.traceback,
            "saved_case": self.saved_case,
            "reproduce": self.reproduce,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }

    def to_json_text(self) -> str:
        """Strict JSON: a non-finite number is written as a string (``"inf"``, ``"nan"``)."""
        return json_text(self.to_json())


def _quantity_lines(q: dict) -> list[str]:
    label = _LABEL[q["name"]]
    if q["status"] in ("not returned", "malformed"):
        return [f"  {label:9} {q['status']}"]
    relative_noise = q["noise"] / q["scale"] if q["scale"] else math.inf
    head = (
        f"  {label:9} {q['status']:8} relative error {_relative_error(q['error'])} "
        f"(noise allowed {q['noise']:.2e} = {relative_noise:.1e} of max|truth| {q['scale']:.3g})"
    )
    lines = [head]
    if q["status"] == "disagree":
        bad, total = q["disagreeing"]
        shown = "" if bad == len(q["worst"]) else f", the {len(q['worst'])} largest differences"
        lines.append(f"            {bad} of {total} elements differ{shown}:")
        for index, theirs, ours in q["worst"]:
            lines.append(f"            at {index}: theirs {theirs!r}, ours {ours!r}")
        if q["first_step"] is not None:
            lines.append(
                f"            first time step whose dL/dx_t disagrees: t = {q['first_step']}"
            )
    return lines


#: Below this a relative error is the rounding of a few float64 operations (about 9 u): its
#: digits change with the order in which a BLAS adds (0.00e+00 on one CPU, 2.10e-16 on another),
#: so the text says only that it is below (docs/reliability.md); the JSON keeps the number.
ROUNDING_LEVEL = 1e-15


def _relative_error(error: float) -> str:
    return f"below {ROUNDING_LEVEL:.0e}" if error < ROUNDING_LEVEL else f"{error:.2e}"


def _json_quantity(q: dict) -> dict:
    out = dict(q)
    out["worst"] = [
        {"index": list(index), "theirs": theirs, "ours": ours} for index, theirs, ours in q["worst"]
    ]
    out["disagreeing"] = list(q["disagreeing"])
    return out
