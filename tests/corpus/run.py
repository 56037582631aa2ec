"""Run `rnn-ref check` on every implementation of the corpus and count what it got right.

Each corpus file is a standalone implementation in one of the checker's conventions, with a
module docstring saying what it does and a module-level ``EXPECT`` dict (read here with
``ast``, never imported):

    verdict   "fail" (a wrong implementation) or "pass" (a correct one)
    mistake   the id the report should name (a gallery id, a generic fingerprint such as
              "transpose", or a planned id of issue 17), or None where no name fits
    accept    further ids that also count as named right (a generic fingerprint that
              describes the same thing, a gallery id of the same mistake)
    equation  the equation of docs/bptt.md or docs/truncation.md that is wrong, or None
    quantity  the quantities that differ from the truth on a large case ("loss", "W_xh",
              ..., "xs", "h0"): the report's disagreeing ones must be among them
    target    the function(s) after the colon of TARGET
    scope     the command-line flags the implementation supports (convention included)
    narrow    True for a function that raises NotImplementedError outside a small scope and
              is checked with no flag: the number of cases compared is what matters

Per file the runner records the exit status, the verdict line, the cases compared, the
``mistake:`` ids (with the ones a line names as giving "the same numbers"), the quantities
reported as disagreeing or malformed, the wall time of the whole command and its CPU time
(user + system: less at the mercy of a shared machine's load). Then:

    caught        a wrong implementation that exits 1
    named right   caught, and every id named is ``mistake`` or in ``accept``
    partly        caught, one id right and another one not
    named wrongly caught, and no id named is right
    no name       caught, with no ``mistake:`` line (right when ``mistake`` is None)
    false alarm   a correct implementation that does not exit 0

Usage (from the repository root, in its virtual environment)::

    python tests/corpus/run.py                      # every file, the table and the totals
    python tests/corpus/run.py --json out.json      # also every record, for a later run
    python tests/corpus/run.py --compare out.json   # this run next to a stored one
    python tests/corpus/run.py phi_prime torch      # only files whose name contains one

No test of the default suite runs this: today's checker fails many of these by design.
"""

from __future__ import annotations

import argparse
import ast
import functools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# the machine is shared: two checks at a time at most
MAX_JOBS = 2

#: The ids the corpus expects that neither the gallery nor the generic fingerprints have yet:
#: names the redesign of issue 17 may give, each with what it means. An EXPECT naming an id
#: outside these, the gallery's and GENERIC is refused, so that a typo cannot count as a miss.
PLANNED = {
    "phi-prime-of-output": "phi' formula of a_t fed h_t: 1 - tanh(h_t)^2, s(h_t)(1 - s(h_t))",
    "phi-prime-one-step-early": "phi' at h_{t-1}: 1 - h_{t-1}^2",
    "carried-phi-prime-wrong-step": "the carried term times phi' of step t+1, not t",
    "relu-prime-at-zero": "relu'(0) = 1 (a_t >= 0)",
    "relu-prime-always-one": "relu' as h >= 0, which is 1 everywhere",
    "states-shifted-by-one": "h_{t-1} read as h_t everywhere, wrapping to h_T at t = 1",
    "cache-aliased": "every cached state is the last one (one buffer updated in place)",
    "bias-gradient-before-phi-prime": "dL/db_h sums dL/dh_t instead of delta_t",
    "bias-gradient-misses-first-step": "dL/db_h without the term of step 1",
    "w-hy-paired-with-h-prev": "dL/dW_hy pairs dL/dy_t with h_{t-1}",
    "dh0-is-delta-1": "dL/dh0 returned as delta_1, without W_hh^T",
    "dh0-dropped": "dL/dh0 returned as zeros",
    "carried-term-skips-w-hh": "the carried term is delta_{t+1}, without W_hh^T",
    "carried-term-accumulated": "dh_next += W_hh^T delta_t (never replaced)",
    "carried-term-norm-clipped": "the carried term rescaled to a norm bound at every step",
    "backward-loop-skips-first-step": "the reverse loop never visits step 1",
    "backward-loop-runs-forward": "the backward loop runs t = 1..T",
    "accumulator-overwritten": "a weight gradient assigned (=) instead of accumulated (+=)",
    "input-gradients-reversed": "dL/dx_t stored at step T + 1 - t",
    "outer-product-of-batch-sums": "(sum_b delta)(sum_b x)^T instead of sum_b delta x^T",
    "loss-weights-applied-twice": "w^2 where w belongs",
    "weight-on-one-hot-only": "softmax CE gradient p - w e_c instead of w (p - e_c)",
    "mean-over-outputs": "mse averaged over the outputs without the 1/2: a factor 2/O",
    "loss-convention": "a self-consistent loss a constant times ours (2/T: mean over time, no 1/2)",
    "clipped-by-global-norm": "every parameter gradient scaled by one factor: a global-norm clip",
    "clipped-per-step": "each step's contribution clipped before the sum over time",
    "window-k-minus-one": "window(k) computed as window(k-1)",
    "float32-states": "float32 states inside float64 code",
    "h0-ignored": "the forward pass starts from zeros whatever h0 is",
}
#: the generic fingerprints of today's checker (verification/fingerprints.py)
GENERIC = ("forward", "factor", "transpose", "clipped", "truncation", "extra-batch-axis")

_CASES = re.compile(r"^cases: (\d+) checked, (\d+) agree, (\d+) fail, (\d+) out of scope")
_OWN_TIME = re.compile(r"seed \d+, ([0-9.]+) s$")
_QUANTITY = re.compile(r"^\s+(L|dL/d\w+)\s+(disagree|malformed)\b")
_MISTAKE = re.compile(r"^mistake: ([a-z0-9-]+): (.*)$")
_TWINS = re.compile(r"\(or, with the same numbers here: ([a-z0-9, -]+)\)")
_BY_VALUE = re.compile(r"^--[a-z0-9-]+: fails on .*; passes on .*$|.*if it supports only.*")
_VERDICT = re.compile(r"^(AGREE|FAIL|ERROR|BUG IN RNN-REF)\b(.*)$")


def expectation(path: Path) -> dict:
    """The file's ``EXPECT`` dict, read without importing the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXPECT" for t in node.targets
        ):
            expect = ast.literal_eval(node.value)
            break
    else:
        raise ValueError(f"{path.name}: no module-level EXPECT")
    missing = {"verdict", "mistake", "quantity", "target", "scope"} - set(expect)
    if missing or expect["verdict"] not in ("pass", "fail"):
        raise ValueError(f"{path.name}: EXPECT lacks {sorted(missing)} or has a bad verdict")
    known = known_ids()
    unknown = {expect["mistake"], *expect.get("accept", [])} - (known or set()) - {None}
    if known is not None and unknown:
        raise ValueError(f"{path.name}: unknown mistake ids {sorted(unknown)}")
    expect.setdefault("accept", [])
    expect.setdefault("equation", None)
    expect.setdefault("narrow", False)
    return expect


@functools.cache
def known_ids() -> set[str] | None:
    """PLANNED, GENERIC and the gallery's ids; None when the gallery does not import."""
    try:
        from verification.mistakes import BY_ID
    except ImportError:
        return None
    return set(PLANNED) | set(GENERIC) | set(BY_ID)


def corpus(patterns: list[str]) -> list[Path]:
    files = sorted(p for p in HERE.glob("*.py") if p.name.startswith(("wrong_", "right_")))
    if patterns:
        files = [p for p in files if any(s in p.stem for s in patterns)]
    return files


def parse(stdout: str) -> dict:
    """What the text report says: verdict line, counts, mistake ids, disagreeing quantities."""
    out = {"verdict_line": None, "cases": None, "check_seconds": None}
    out.update(named=[], twins=[], located=[], by_value=[])
    for line in stdout.splitlines():
        if out["verdict_line"] is None and (m := _VERDICT.match(line)):
            out["verdict_line"] = line
        elif m := _CASES.match(line):
            checked, agreed, failed, out_of_scope = map(int, m.groups())
            out["cases"] = {
                "checked": checked,
                "agreed": agreed,
                "failed": failed,
                "out_of_scope": out_of_scope,
            }
            if own := _OWN_TIME.search(line):
                out["check_seconds"] = float(own.group(1))
        elif _BY_VALUE.match(line):
            out["by_value"].append(line)
        elif m := _QUANTITY.match(line):
            name = m.group(1)
            name = "loss" if name == "L" else name.removeprefix("dL/d")
            if name not in out["located"]:
                out["located"].append(name)
        elif m := _MISTAKE.match(line):
            out["named"].append(m.group(1))
            if twins := _TWINS.search(m.group(2)):
                out["twins"] += [t.strip() for t in twins.group(1).split(",") if t.strip()]
    return out


# Runs the check and prints its CPU time (user + system, children included) last on stderr:
# on a shared machine the wall time says as much about the neighbours as about the checker.
_TIMED = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(f'cpu-seconds {u.ru_utime + u.ru_stime:.3f}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)
_CPU = re.compile(r"^cpu-seconds ([0-9.]+)$", re.MULTILINE)


def run_one(path: Path, rnn_ref: str, extra: list[str], timeout: float) -> dict:
    expect = expectation(path)
    rel = path.relative_to(ROOT)
    command = [rnn_ref, "check", *expect["scope"], *extra, "--save-case", "none"]
    command.append(f"{rel}:{expect['target']}")
    start = time.perf_counter()
    cpu = None
    try:
        done = subprocess.run(
            [sys.executable, "-c", _TIMED, *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        code, stdout, stderr = done.returncode, done.stdout, done.stderr
        if found := _CPU.search(stderr):
            cpu = float(found.group(1))
            stderr = _CPU.sub("", stderr)
    except subprocess.TimeoutExpired as stopped:
        code = "timeout"
        stdout = stopped.stdout.decode() if isinstance(stopped.stdout, bytes) else ""
        stderr = f"stopped after {timeout:g} s"
    seconds = time.perf_counter() - start
    record = {
        "file": path.name,
        "convention": convention_of(expect["scope"]),
        "expect": expect,
        "command": " ".join(command[1:]),
        "exit": code,
        "seconds": round(seconds, 2),
        "cpu_seconds": cpu,
        **parse(stdout),
        "stderr": stderr.strip().splitlines()[-1] if stderr.strip() else "",
        "stdout": stdout,
    }
    record.update(judge(record))
    return record


def convention_of(scope: list[str]) -> str:
    return scope[scope.index("--convention") + 1] if "--convention" in scope else "canonical"


def judge(r: dict) -> dict:
    """The verdict's and the name's grade, and whether the located quantities are right."""
    e = r["expect"]
    status = {0: "pass", 1: "fail", 2: "error"}.get(r["exit"], str(r["exit"]))
    out = {"status": status, "naming": None, "located_right": None}
    if e["verdict"] == "pass":
        out["grade"] = "ok" if status == "pass" else "false alarm"
        return out
    out["grade"] = {"fail": "caught", "pass": "missed"}.get(status, status)
    if status != "fail":
        return out
    named = set(r["named"]) | set(r["twins"])
    right = ({e["mistake"]} if e["mistake"] else set()) | set(e["accept"])
    if not named:
        out["naming"] = "none"
    elif named <= right:
        out["naming"] = "right"
    elif named & right:
        out["naming"] = "partly"
    else:
        out["naming"] = "wrong"
    located = set(r["located"])
    out["located_right"] = bool(located) and located <= set(e["quantity"])
    return out


def totals(records: list[dict]) -> dict:
    wrong = [r for r in records if r["expect"]["verdict"] == "fail"]
    right = [r for r in records if r["expect"]["verdict"] == "pass"]
    caught = [r for r in wrong if r["grade"] == "caught"]
    nameable = [r for r in caught if r["expect"]["mistake"] or r["expect"]["accept"]]
    unnameable = [r for r in caught if r not in nameable]

    def count(rows, key, value):
        return sum(1 for r in rows if r[key] == value)

    def times(rows):
        seconds = [r["seconds"] for r in rows]
        if not seconds:
            return None
        own = [r["check_seconds"] for r in rows if r.get("check_seconds") is not None]
        cpu = [r["cpu_seconds"] for r in rows if r.get("cpu_seconds") is not None]
        return {
            "n": len(seconds),
            "median": statistics.median(seconds),
            "max": max(seconds),
            # the time the report states (cases drawn, compared, diagnosed), without start-up
            "own_median": statistics.median(own) if own else None,
            "own_max": max(own) if own else None,
            "cpu_median": statistics.median(cpu) if cpu else None,
            "cpu_max": max(cpu) if cpu else None,
        }

    narrow = {
        r["file"]: (r["cases"] or {}).get("checked") for r in records if r["expect"]["narrow"]
    }
    return {
        "wrong": len(wrong),
        "correct": len(right),
        "caught": len(caught),
        "missed": count(wrong, "grade", "missed"),
        "error_on_wrong": sum(1 for r in wrong if r["grade"] not in ("caught", "missed")),
        "named_right": count(nameable, "naming", "right"),
        "named_partly": count(nameable, "naming", "partly"),
        "named_wrongly": count(caught, "naming", "wrong"),
        "no_name": count(caught, "naming", "none"),
        "nameable_caught": len(nameable),
        "unnameable_caught": len(unnameable),
        "unnameable_named": sum(1 for r in unnameable if r["naming"] != "none"),
        "located_right": sum(1 for r in caught if r["located_right"]),
        "false_alarms": sum(1 for r in right if r["grade"] != "ok"),
        "narrow_cases_compared": narrow,
        "reports_with_flag_value_lines": sum(1 for r in records if r.get("by_value")),
        "time_failing": times([r for r in records if r["status"] == "fail"]),
        "time_passing": times([r for r in records if r["status"] == "pass"]),
    }


def table(records: list[dict]) -> str:
    head = "| file | convention | expected | exit | grade | named | expected name | located |"
    head += " cases | wall s | CPU s |"
    rows = [head, "| --- | --- | --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |"]
    for r in records:
        e = r["expect"]
        named = ", ".join(dict.fromkeys(r["named"] + r["twins"])) or "-"
        want = e["mistake"] or "(none fits)"
        if e["accept"]:
            want += " / " + ", ".join(e["accept"])
        if e["verdict"] == "pass":
            want = "-"
        grade = r["grade"] + (f", {r['naming']}" if r["naming"] else "")
        located = {True: "right", False: "wrong", None: "-"}[r["located_right"]]
        cases = (r["cases"] or {}).get("checked", "-")
        cpu = "-" if r.get("cpu_seconds") is None else f"{r['cpu_seconds']:.1f}"
        rows.append(
            f"| {r['file'][:-3]} | {r['convention']} | {e['verdict']} | {r['exit']} | {grade} "
            f"| {named} | {want} | {located} | {cases} | {r['seconds']:.1f} | {cpu} |"
        )
    return "\n".join(rows)


def summary(t: dict) -> str:
    def timing(x):
        if x is None:
            return "-"
        text = f"median {x['median']:.1f} s, max {x['max']:.1f} s (n={x['n']})"
        if x.get("own_median") is not None:
            text += f"; as reported: median {x['own_median']:.1f} s, max {x['own_max']:.1f} s"
        if x.get("cpu_median") is not None:
            text += f"; CPU: median {x['cpu_median']:.1f} s, max {x['cpu_max']:.1f} s"
        return text

    narrow = ", ".join(f"{k[:-3]} {v}" for k, v in t["narrow_cases_compared"].items())
    return "\n".join(
        [
            f"wrong implementations: {t['wrong']}; correct ones: {t['correct']}",
            f"caught: {t['caught']} of {t['wrong']} (missed {t['missed']}, "
            f"exit 2 or timeout {t['error_on_wrong']})",
            f"named right: {t['named_right']} of {t['nameable_caught']} caught with a name "
            f"that fits (partly: {t['named_partly']})",
            f"named wrongly: {t['named_wrongly']} (of which on mistakes no name fits: "
            f"{t['unnameable_named']} of {t['unnameable_caught']})",
            f"no name: {t['no_name']}",
            f"located right (disagreeing quantities among the expected ones): "
            f"{t['located_right']} of {t['caught']}",
            f"false alarms on correct implementations: {t['false_alarms']} of {t['correct']}",
            f"cases compared, narrow functions: {narrow or '-'}",
            f"reports with lines on flag values (which fail, which pass): "
            f"{t['reports_with_flag_value_lines']}",
            f"wall time, failing checks: {timing(t['time_failing'])}",
            f"wall time, passing checks: {timing(t['time_passing'])}",
        ]
    )


def compare(old: dict, records: list[dict], t: dict) -> str:
    before = {r["file"]: r for r in old["records"]}
    lines = ["| file | before | now |", "| --- | --- | --- |"]
    for r in records:
        b = before.get(r["file"])

        def grade(x):
            return x["grade"] + (f", {x['naming']}" if x["naming"] else "")

        if b is None or grade(b) != grade(r):
            lines.append(f"| {r['file'][:-3]} | {grade(b) if b else '-'} | {grade(r)} |")
    lines += ["", "| total | before | now |", "| --- | --- | --- |"]
    for key, value in t.items():
        if not isinstance(value, dict | type(None)):
            lines.append(f"| {key} | {old['totals'].get(key, '-')} | {value} |")
    return "\n".join(lines)


def default_rnn_ref() -> str:
    beside = Path(sys.executable).with_name("rnn-ref")
    return str(beside) if beside.exists() else (shutil.which("rnn-ref") or "rnn-ref")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("patterns", nargs="*", help="only files whose name contains one")
    parser.add_argument("--rnn-ref", default=default_rnn_ref(), help="the rnn-ref command")
    parser.add_argument("--jobs", type=int, default=MAX_JOBS, help="checks at a time (<= 2)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per check")
    parser.add_argument("--examples", type=int, help="passed to rnn-ref check")
    parser.add_argument("--seed", type=int, help="passed to rnn-ref check")
    parser.add_argument("--json", type=Path, help="write every record and the totals here")
    parser.add_argument("--compare", type=Path, help="a JSON of an earlier run")
    parser.add_argument(
        "--report", type=Path, help="print the table and totals of a stored JSON, run nothing"
    )
    args = parser.parse_args(argv)
    if args.report:
        stored = json.loads(args.report.read_text())
        for r in stored["records"]:
            r.update(parse(r["stdout"]))  # read again by today's parser
            if (HERE / r["file"]).exists():
                r["expect"] = expectation(HERE / r["file"])  # today's EXPECT
            r.update(judge(r))  # graded again by today's rules
        print(table(stored["records"]))
        print()
        print(summary(totals(stored["records"])))
        return 0
    extra = []
    if args.examples is not None:
        extra += ["--examples", str(args.examples)]
    if args.seed is not None:
        extra += ["--seed", str(args.seed)]
    files = corpus(args.patterns)
    for path in files:
        expectation(path)  # a malformed EXPECT stops the run before any check
    jobs = max(1, min(args.jobs, MAX_JOBS))
    start = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        records = list(pool.map(lambda p: run_one(p, args.rnn_ref, extra, args.timeout), files))
    t = totals(records)
    print(table(records))
    print()
    print(summary(t))
    print(f"({len(records)} checks, {jobs} at a time, {time.perf_counter() - start:.0f} s)")
    if args.compare:
        print()
        print(compare(json.loads(args.compare.read_text()), records, t))
    if args.json:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        payload = {
            "commit": head,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load": os.getloadavg(),
            "extra": extra,
            "totals": t,
            "records": records,
        }
        tmp = args.json.with_name(args.json.name + ".tmp")
        tmp.write_text(json.dumps(payload, indent=1) + "\n")
        tmp.replace(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
