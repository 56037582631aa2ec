"""What ``rnn-ref verify`` prints: the report of ``verification.crosscheck.run`` as a table
(``format_table``) or as JSON (``to_json``, ``to_json_text``), the same content both ways."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict

from .crosscheck import DEFINITIONS, N_DIRECTIONS, ORACLES, THRESHOLDS, Report, versions

_COLUMNS = ("activation", "loss", "mode", "cases", "reverse", "forward", "fd", "bound/|g|")
_WIDTHS = (10, 10, 6, 5, 8, 8, 8, 9)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1e}"


def _line(cells: Sequence[str]) -> str:
    parts = [
        cell.ljust(width) if i < 3 else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(cells, _WIDTHS, strict=False))
    ]
    return "  ".join(parts + list(cells[len(_WIDTHS) :])).rstrip()


def format_table(report: Report) -> str:
    """The report as text: a header, one row per combination, then the verdict."""
    n = len(report.rows)
    limits = {**{name: f"{limit:g}" for name, limit in THRESHOLDS.items()}, "bound/|g|": ""}
    out = [
        f"rnn-ref verify: {_count(n, 'combination')} x {_count(report.examples, 'random case')}, "
        f"seed {report.seed}, {_count(N_DIRECTIONS, 'direction')} per case",
        "worst error of each oracle against g = rnn_ref.gradients (agrees when <= the limit):",
        *(f"  {name:10} {limits[name]:6} {text}" for name, text in DEFINITIONS.items()),
        "",
        _line([*_COLUMNS, "verdict"]),
    ]
    for row in report.rows:
        errors = [_number(row.worst[name].error) for name in ORACLES]
        cells = [row.activation, row.loss, row.mode, str(row.cases), *errors]
        out.append(_line([*cells, _number(row.fd_bound), row.verdict]))
    out.append("")
    cases = sum(row.cases for row in report.rows)
    checked = sum(row.fd_checked for row in report.rows)
    skipped = sum(row.fd_skipped for row in report.rows)
    skip = f", {skipped} skipped near a relu kink" if skipped else ""
    tally = (
        f"{_count(cases, 'case')}, {_count(checked, 'fd direction')}{skip}, {report.seconds:.1f} s"
    )
    bad = [row for row in report.rows if row.verdict != "ok"]
    if not bad:
        every = "all " if n > 1 else ""
        out.append(f"agree: {every}{_count(n, 'combination')} ({tally})")
    else:
        out.append(f"DISAGREE: {len(bad)} of {_count(n, 'combination')} ({tally})")
        for row in bad:
            for name in row.disagreeing:
                w = row.worst[name]
                out.append(
                    f"  {row.activation} {row.loss} {row.mode}: {name} {_number(w.error)} "
                    f"({w.what})"
                )
                out.append(f"    at {w.case}")
                out.append(f"    reproduce: {w.reproduce}")
    return "\n".join(out) + "\n"


def _json_number(value: float) -> float | str | None:
    """A float for JSON: NaN is null and infinity "inf" (JSON has neither)."""
    if math.isnan(value):
        return None
    return "inf" if math.isinf(value) else value


def to_json(report: Report) -> dict:
    """The report as JSON-ready data: the same content as ``format_table``."""
    rows = []
    for row in report.rows:
        worst = {name: asdict(w) for name, w in row.worst.items()}
        for w in worst.values():
            w["error"] = _json_number(w["error"])
        rows.append(
            {
                "activation": row.activation,
                "loss": row.loss,
                "mode": row.mode,
                "cases": row.cases,
                "worst": {name: worst[name]["error"] for name in ORACLES},
                "worst_case": worst,
                "fd_bound_over_norm": _json_number(row.fd_bound),
                "fd_directions_checked": row.fd_checked,
                "fd_directions_skipped": row.fd_skipped,
                "verdict": row.verdict.lower(),
                "disagreeing_oracles": row.disagreeing,
            }
        )
    return {
        "command": "rnn-ref verify",
        "seed": report.seed,
        "examples": report.examples,
        "directions": N_DIRECTIONS,
        "thresholds": dict(THRESHOLDS),
        "definitions": {
            **{name: DEFINITIONS[name] for name in ORACLES},
            "fd_bound_over_norm": DEFINITIONS["bound/|g|"],
        },
        "versions": versions(),
        "combinations": rows,
        "verdict": "ok" if report.agree else "disagree",
        "seconds": report.seconds,
    }


def to_json_text(report: Report) -> str:
    """``to_json`` as indented JSON text, one trailing newline."""
    return json.dumps(to_json(report), indent=2, allow_nan=False) + "\n"
