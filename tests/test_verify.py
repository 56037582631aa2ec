"""``rnn-ref verify``: the cross-check of rnn_ref against three oracles on random cases.

- A small run of all 18 combinations exits 0 with 18 rows that agree; ``--json`` holds the
  same numbers as the table; the same seed gives the same JSON, in this process, with
  ``--only`` and in a fresh process (whose stderr stays empty: no progress bar in a pipe).
- A wrong reference (``rnn_ref.gradients`` patched to move one entry of dL/dW_hh by 1e-6
  ||g|| in one kind of case) makes exactly the combinations of those cases disagree, in
  all three oracles, exit 1, and each disagreement's reproduce command finds it again. A
  case on which rnn_ref raises is a disagreement too.
- The cases are drawn as ``verification.crosscheck`` documents.
- The command: the progress bar on a terminal only, the one-line message and exit 2 when
  JAX or tqdm is missing, bad usage exits 2, and ``import rnn_ref`` does not import JAX.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import shlex
import subprocess
import sys

import numpy as np
import pytest

import rnn_ref
import verification
from rnn_ref import cli
from rnn_ref.cli import verify as cli_verify
from verification import crosscheck, crosscheck_report, oracles
from verification.surrogate import forward_states

EXAMPLES = 2
ORACLES = ("reverse", "forward", "fd")


def run_main(*argv: str) -> tuple[int, str, str]:
    """``cli.main(argv)`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, out.getvalue(), err.getvalue()


def table_rows(text: str) -> list[list[str]]:
    """The cells of the table's rows: the lines after the header, up to the blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("activation  loss"))
    rows = []
    for line in lines[start + 1 :]:
        if not line:
            break
        rows.append(line.split())
    return rows


def without_timing(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "seconds"}


@pytest.fixture(scope="module")
def small_run():
    """``rnn-ref verify --examples 2`` and the same with ``--json``, in this process."""
    table = run_main("verify", "--examples", str(EXAMPLES))
    as_json = run_main("verify", "--examples", str(EXAMPLES), "--json")
    return table, as_json


def test_small_run_agrees_in_18_rows(small_run):
    (status, out, err), _ = small_run
    assert status == 0 and err == ""
    rows = table_rows(out)
    combinations = [
        (a, l, m)
        for a in cli_verify.ACTIVATIONS
        for l in cli_verify.LOSSES
        for m in cli_verify._VERIFY_MODES
    ]
    assert [tuple(row[:3]) for row in rows] == combinations
    for row in rows:
        assert row[3] == str(EXAMPLES) and row[-1] == "ok", row
        errors = [float(x) for x in row[4:7]]
        assert errors[0] <= 1e-10 and errors[1] <= 1e-10 and errors[2] <= 1, row
    assert out.splitlines()[-1].startswith("agree: all 18 combinations (36 cases, 108 fd ")
    assert out.startswith("rnn-ref verify: 18 combinations x 2 random cases, seed 0,")


def test_json_has_the_same_content(small_run):
    (_, table, _), (status, out, err) = small_run
    assert status == 0 and err == ""
    report = json.loads(out)
    assert report["verdict"] == "ok" and report["seed"] == 0 and report["examples"] == EXAMPLES
    assert report["thresholds"] == {"reverse": 1e-10, "forward": 1e-10, "fd": 1.0}
    assert set(report["versions"]) == {"rnn_ref", "python", "numpy", "jax", "jaxlib"}
    assert report["versions"]["rnn_ref"] == rnn_ref.__version__
    assert isinstance(report["seconds"], float)
    combinations = report["combinations"]
    assert len(combinations) == 18
    for entry, row in zip(combinations, table_rows(table), strict=True):
        assert [entry["activation"], entry["loss"], entry["mode"]] == row[:3]
        assert entry["cases"] == EXAMPLES and entry["verdict"] == "ok"
        assert entry["disagreeing_oracles"] == []
        # The table prints the JSON's numbers (the same seed, so the same numbers).
        numbers = [entry["worst"][name] for name in ORACLES] + [entry["fd_bound_over_norm"]]
        assert [f"{x:.1e}" for x in numbers] == row[4:8]
        for name in ORACLES:
            worst = entry["worst_case"][name]
            assert worst["error"] == entry["worst"][name]
            assert worst["case"].startswith("case ") and worst["reproduce"].startswith(
                "rnn-ref verify --seed 0 --only "
            )
        assert entry["fd_directions_checked"] + entry["fd_directions_skipped"] == 2 * 3


def test_same_seed_same_numbers_with_only_and_across_processes(small_run):
    _, (_, out, _) = small_run
    full = without_timing(json.loads(out))
    by_name = {(c["activation"], c["loss"], c["mode"]): c for c in full["combinations"]}
    only = [("relu", "mse", "chunk"), ("tanh", "softmax_ce", "window")]

    assert without_timing(crosscheck_report.to_json(crosscheck.run(EXAMPLES, 0))) == full
    # A case depends on the seed, its combination and its number only, not on --only.
    again = crosscheck_report.to_json(crosscheck.run(EXAMPLES, 0, only))
    assert again["combinations"] == [by_name[c] for c in crosscheck.combinations(only)]
    other = crosscheck_report.to_json(crosscheck.run(EXAMPLES, 1, only))
    for entry in other["combinations"]:
        name = (entry["activation"], entry["loss"], entry["mode"])
        assert entry["worst"] != by_name[name]["worst"], name

    # A fresh process, as a pipe: no progress bar, nothing at all on stderr.
    result = subprocess.run(
        [
            *(sys.executable, "-m", "rnn_ref", "verify", "--examples", str(EXAMPLES)),
            *("--json", "--only", "sigmoid,softmax_ce,window"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    fresh = without_timing(json.loads(result.stdout))
    assert fresh["combinations"] == [by_name["sigmoid", "softmax_ce", "window"]]
    assert {k: v for k, v in fresh.items() if k != "combinations"} == {
        k: v for k, v in full.items() if k != "combinations"
    }


def _wrong_in_chunked_softmax(monkeypatch):
    """rnn_ref.gradients with dL/dW_hh[0, 0] moved by 1e-6 ||g||, for softmax_ce under
    chunk(k) only (k >= T included: the bug is in the code path, not the result)."""
    right = rnn_ref.gradients

    def wrong(params, xs, targets, spec=rnn_ref.Spec(), **kwargs):
        g = right(params, xs, targets, spec, **kwargs)
        if spec.loss != "softmax_ce" or spec.truncation is None or spec.truncation_mode != "chunk":
            return g
        W_hh = g.params.W_hh.copy()
        W_hh[0, 0] += 1e-6 * oracles.gradient_norm(g)
        return dataclasses.replace(g, params=dataclasses.replace(g.params, W_hh=W_hh))

    monkeypatch.setattr(rnn_ref, "gradients", wrong)


def test_a_wrong_reference_disagrees_where_it_is_wrong(monkeypatch):
    _wrong_in_chunked_softmax(monkeypatch)
    report = crosscheck.run(EXAMPLES, 0)
    assert not report.agree
    wrong = {(a, "softmax_ce", "chunk") for a in ("tanh", "sigmoid", "relu")}
    for row in report.rows:
        if (row.activation, row.loss, row.mode) in wrong:
            assert row.verdict == "DISAGREE" and row.disagreeing == list(ORACLES), row
        else:
            assert row.verdict == "ok", row

    text = crosscheck_report.format_table(report)
    (summary,) = [line for line in text.splitlines() if line.startswith("DISAGREE: ")]
    assert summary.startswith("DISAGREE: 3 of 18 combinations (36 cases,")
    assert "  sigmoid softmax_ce chunk: reverse " in text and "(dL/dW_hh)" in text
    assert sum(row[-1] == "DISAGREE" for row in table_rows(text)) == 3

    # Every reproduce command finds the same worst error again, and exits 1.
    for row in report.rows:
        for name in row.disagreeing:
            argv = shlex.split(row.worst[name].reproduce)
            assert argv[:2] == ["rnn-ref", "verify"] and "--only" in argv
            status, out, err = run_main(*argv[1:], "--json")
            assert status == 1 and err == ""
            (entry,) = json.loads(out)["combinations"]
            assert entry["worst"][name] == row.worst[name].error
            assert entry["worst_case"][name]["case"] == row.worst[name].case


def test_a_reference_that_raises_disagrees(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("xs: expected finite values, got nan at index (0, 0, 0)")

    monkeypatch.setattr(rnn_ref, "gradients", broken)
    status, out, err = run_main("verify", "--examples", "1", "--only", "tanh,mse,full", "--json")
    assert status == 1 and err == ""
    (entry,) = json.loads(out)["combinations"]
    assert entry["verdict"] == "disagree" and entry["worst"] == dict.fromkeys(ORACLES, "inf")
    assert entry["worst_case"]["reverse"]["what"] == (
        "raised ValueError: xs: expected finite values, got nan at index (0, 0, 0)"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["verify", "--examples", "2", "--only", "tanh,mse,window"])
    assert status == 0
    assert "tanh mse window" in terminal.getvalue() and "/2 [" in terminal.getvalue()
    assert "tanh mse window" not in out.getvalue()  # the bar is not in the table


@pytest.mark.parametrize("dependency", ["jax", "tqdm"])
def test_missing_dependency_is_one_line_and_exit_2(monkeypatch, dependency):
    monkeypatch.setitem(sys.modules, dependency, None)  # "import jax" raises
    monkeypatch.delitem(sys.modules, "verification.crosscheck")
    monkeypatch.delattr(verification, "crosscheck")
    status, out, err = run_main("verify")
    assert status == 2 and out == ""
    assert err == (
        f"rnn-ref verify: error: {dependency} is not installed; install the verify extra: "
        "pip install '.[verify]' in a checkout of rnn-ref\n"
    )


def test_another_missing_module_is_not_blamed_on_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "verification.oracles", None)
    monkeypatch.delitem(sys.modules, "verification.crosscheck")
    monkeypatch.delattr(verification, "crosscheck")
    monkeypatch.delattr(verification, "oracles")
    with pytest.raises(ModuleNotFoundError):
        run_main("verify")


def test_import_rnn_ref_and_explain_need_no_jax():
    code = (
        "import sys, io, contextlib\n"
        "import rnn_ref\n"
        "from rnn_ref import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['explain']) == 0\n"
        "print(sorted(m for m in ('jax', 'tqdm', 'verification') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == "[]\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["--examples", "0"],
        ["--examples", "two"],
        ["--seed", "-1"],
        ["--only", "tanh,mse"],
        ["--only", "tanh,mse,sliding"],
        ["--only", "softplus,mse,full"],
        ["--examples"],
    ],
    ids=" ".join,
)
def test_bad_usage_exits_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["verify", *argv])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "rnn-ref verify: error:" in err


def test_help_documents_the_options_and_the_exit_status(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["verify", "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--examples N", "--seed SEED", "--only ACTIVATION,LOSS,MODE", "--json"):
        assert option in text, option
    assert f"(default: {crosscheck.DEFAULT_EXAMPLES})" in text
    assert "exit status: 0 when every combination agrees, 1 on any disagreement, 2" in text
    assert "pip install '.[verify]'" in text


def test_the_command_default_is_the_module_default():
    assert cli_verify._VERIFY_EXAMPLES == crosscheck.DEFAULT_EXAMPLES
    assert cli_verify._VERIFY_MODES == crosscheck.MODES


def test_cases_are_drawn_as_documented():
    seen = {"k": set(), "weights": set(), "h0": set()}
    for combination in crosscheck.combinations():
        activation, loss, mode = combination
        for index in range(12):
            case = crosscheck.draw_case(3, *combination, index)
            T, B, D = case.xs.shape
            H, O = case.params.W_hh.shape[0], case.params.W_hy.shape[0]
            assert 1 <= T <= 16 and 1 <= B <= 4 and 1 <= D <= 6 and 1 <= H <= 6
            assert (2 if loss == "softmax_ce" else 1) <= O <= 6
            assert np.linalg.norm(case.params.W_hh, 2) <= crosscheck.W_HH_NORM * (1 + 1e-12)
            spec = case.spec
            assert (spec.activation, spec.loss) == (activation, loss)
            if mode == "full":
                assert spec.truncation is None
            else:
                k = spec.truncation
                assert spec.truncation_mode == mode and 1 <= k <= T + 3
                seen["k"] |= {"1"} if k == 1 else set()
                seen["k"] |= {"T-1"} if k == T - 1 else set()
                seen["k"] |= {">=T"} if k >= T else set()
            seen["weights"].add(case.weight_kind)
            seen["h0"].add(case.h0 is None)
            padding = case.weights == 0
            if loss == "mse":
                assert np.isnan(case.targets[padding]).all()
                assert np.isfinite(case.targets[~padding]).all()
            else:
                assert (case.targets[padding] == -1).all()
                assert ((case.targets[~padding] >= 0) & (case.targets[~padding] < O)).all()
            if activation == "relu":
                h0 = np.zeros((B, H)) if case.h0 is None else case.h0
                _, pre = forward_states(case.params, case.xs, h0, "relu")
                assert np.min(np.abs(pre)) > crosscheck.RELU_MARGIN
            assert len(case.directions) == crosscheck.N_DIRECTIONS
            # A case depends on the seed, the combination and its index only.
            again = crosscheck.draw_case(3, *combination, index)
            assert np.array_equal(again.xs, case.xs) and again.describe() == case.describe()
    assert seen == {
        "k": {"1", "T-1", ">=T"},
        "weights": set(crosscheck.WEIGHT_KINDS),
        "h0": {True, False},
    }


def test_run_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"^examples: expected an integer >= 1, got 0"):
        crosscheck.run(0)
    with pytest.raises(ValueError, match=r"^seed: expected an integer >= 0, got -1"):
        crosscheck.run(1, -1)
    with pytest.raises(ValueError, match=r"^only: expected combinations"):
        crosscheck.run(1, 0, [("tanh", "mse", "sliding")])
