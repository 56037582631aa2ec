"""``rnn-ref check`` and ``verification.check_gradients`` on a correct RNN and broken copies.

The correct implementation is ``examples/check/canonical_rnn.py``; each broken variant is
made here, from it, by one change a real implementation makes (a transposed dW_hh, a 1/B
factor, a NaN, ...), and each must be reported as what it is, with its exit status
(``tests/test_check_scope.py`` has the scope, the cases and the no-false-alarm test).
Searches use few examples to keep this file quick: the defaults' speed is measured in
docs/checker.md, not timed here.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from _check import EXAMPLE, check, correct

import rnn_ref
import verification
from rnn_ref.cli import main


def with_change(change):
    """The correct function with ``change(result, args)`` applied to its result."""

    def fn(params, xs, targets, spec, h0, weights):
        g = correct(params, xs, targets, spec, h0, weights)
        change(g, (params, xs, targets, spec, h0, weights))
        return g

    return fn


def quantity(report: verification.CheckReport, name: str) -> dict:
    return next(q for q in report.quantities if q["name"] == name)


# ---------------------------------------------------------------------------------------
# The correct implementation agrees.


def test_the_correct_example_agrees() -> None:
    report = check(correct)
    assert report.exit_code == 0 and report.ok
    assert report.counts["checked"] == report.counts["agreed"] == 20
    assert report.not_returned == []
    assert "AGREE: all 20 cases agree" in report.text()


def test_the_cli_on_the_example_exits_0_and_leaves_no_hypothesis_folder(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    status = main(["check", f"{EXAMPLE}:gradients", "--examples", "15"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "AGREE" in out
    assert list(tmp_path.iterdir()) == []  # no .hypothesis/, no case file


def test_assert_gradients_match_passes_and_raises_with_the_report() -> None:
    assert verification.assert_gradients_match(correct, examples=10).ok
    wrong = with_change(lambda g, a: g.__setitem__("b_y", 2 * g["b_y"]))
    with pytest.raises(AssertionError, match=r"(?s)FAIL: dL/db_y disagree.*mistake: factor"):
        verification.assert_gradients_match(wrong, examples=10)


# ---------------------------------------------------------------------------------------
# Broken variants.


def test_a_transposed_dW_hh_is_found_located_and_named() -> None:
    report = check(with_change(lambda g, a: g.__setitem__("W_hh", g["W_hh"].T.copy())))
    assert report.exit_code == 1
    assert report.reason == "dL/dW_hh disagree"
    q = quantity(report, "W_hh")
    assert q["status"] == "disagree" and q["error"] > 1e-3
    index, theirs, ours = q["worst"][0]
    assert theirs != ours and len(index) == 2 and index[0] != index[1]
    assert [quantity(report, n)["status"] for n in ("W_xh", "b_h", "xs")] == ["agree"] * 3
    assert [m["id"] for m in report.mistakes] == ["transpose"]
    assert "mistake: transpose: W_hh" in report.text()
    assert report.smallest_T == 1
    assert report.confirmation.startswith("confirmed by autodiff")


def test_a_1_over_B_factor_names_the_batch_mean_and_agrees_when_declared() -> None:
    def over_B(g, args):
        for name in g:
            g[name] = g[name] / args[1].shape[1]

    wrong = with_change(over_B)
    report = check(wrong)
    assert report.exit_code == 1 and report.forward_differs
    assert report.reason.startswith("the forward pass differs: L disagrees, and so do dL/dW_xh")
    text = report.text()
    assert text.index("FAIL: the forward pass differs") < text.index("dL/dW_xh  disagree")
    factor = next(m for m in report.mistakes if m["id"] == "factor")
    assert "--reduction batch-mean" in factor["line"]
    assert check(wrong, reduction="batch-mean").exit_code == 0


def test_nan_is_reported_exit_1() -> None:
    report = check(with_change(lambda g, a: g.__setitem__("b_h", g["b_h"] * np.nan)))
    assert report.exit_code == 1
    assert quantity(report, "b_h")["status"] == "malformed"
    assert any("b_h" in p and "non-finite" in p for p in report.problems)


def test_a_wrong_shape_is_reported_exit_1() -> None:
    report = check(with_change(lambda g, a: g.__setitem__("h0", g["h0"][0])))
    assert report.exit_code == 1
    assert any(p.startswith("h0: expected shape") for p in report.problems)


def test_an_exception_exits_2_with_the_users_traceback_and_the_case() -> None:
    def boom(params, xs, targets, spec, h0, weights):
        return {"W_hh": params["W_hh"] @ np.ones((3, 3))}  # shapes do not fit when H != 3

    report = check(boom)
    assert report.exit_code == 2
    assert "raised an exception" in report.reason
    assert "in boom" in report.traceback and "ValueError" in report.traceback
    assert "search.py" not in report.traceback  # our frames are cut off
    assert report.case.startswith(("tanh", "sigmoid", "relu"))


def test_a_mutated_argument_exits_1_and_names_it() -> None:
    def mutating(params, xs, targets, spec, h0, weights):
        xs *= 2.0
        return correct(params, xs, targets, spec, h0, weights)

    report = check(mutating)
    assert report.exit_code == 1 and report.reason.endswith("changed its arguments: xs")


def test_state_carried_between_calls_exits_1() -> None:
    seen = []

    def stateful(params, xs, targets, spec, h0, weights):
        seen.append(1)
        g = correct(params, xs, targets, spec, h0, weights)
        g["W_xh"] = g["W_xh"] * len(seen)  # gradients accumulated across calls
        return g

    report = check(stateful)
    assert report.exit_code == 1 and "W_xh differs by up to" in report.reason


def test_a_call_past_the_timeout_is_interrupted_and_exits_2() -> None:
    calls = []

    def slow(*args):
        calls.append("started")
        time.sleep(30)
        calls.append("finished")  # reached only if the check waited the call out

    report = check(slow, timeout=0.2)
    assert report.exit_code == 2 and "--timeout 0.2 s" in report.reason
    assert calls == ["started"], calls


def test_not_implemented_is_out_of_scope_not_a_failure() -> None:
    def mse_only(params, xs, targets, spec, h0, weights):
        if spec["loss"] != "mse":
            raise NotImplementedError("mse only")
        return correct(params, xs, targets, spec, h0, weights)

    report = check(mse_only, examples=30)
    assert report.exit_code == 0
    assert report.counts["out_of_scope"] > 0 and report.counts["checked"] > 0
    nothing = check(lambda *args: (_ for _ in ()).throw(NotImplementedError()), examples=5)
    assert nothing.exit_code == 2 and "NotImplementedError" in nothing.reason


def test_gradients_not_returned_are_not_checked_and_listed() -> None:
    def params_only(*args):
        g = correct(*args)
        return {name: g[name] for name in ("W_xh", "W_hh", "b_h", "W_hy", "b_y")}

    report = check(params_only)
    assert report.exit_code == 0 and report.not_returned == ["loss", "xs", "h0"]
    assert "not returned, so not checked: loss, xs, h0" in report.text()


def test_a_tanh_only_implementation_is_told_to_pass_activation_tanh() -> None:
    def tanh_only(params, xs, targets, spec, h0, weights):
        return correct(params, xs, targets, {**spec, "activation": "tanh"}, h0, weights)

    report = check(tanh_only, examples=40)
    assert report.exit_code == 1
    assert report.by_value["activation"] == {"fails": ["relu", "sigmoid"], "passes": ["tanh"]}
    assert any("pass --activation tanh" in line for line in report.advice)
    assert check(tanh_only, activation="tanh").exit_code == 0


def test_a_window_2_implementation_fails_first_at_T_3_and_is_named() -> None:
    def window_2(params, xs, targets, spec, h0, weights):
        spec = {**spec, "truncation": 2, "truncation_mode": "window"}
        return correct(params, xs, targets, spec, h0, weights)

    report = check(window_2, bptt="full", examples=30)
    assert report.exit_code == 1
    assert report.smallest_T == 3  # window(2) is full BPTT for T <= 2
    assert any(m["id"] == "truncation" and "window(2)" in m["line"] for m in report.mistakes)
    q = quantity(report, "xs")
    if q["status"] == "disagree":
        T = int(report.case.split("T=")[1].split()[0])
        assert 1 <= q["first_step"] <= T - 2  # the steps 2 or more before some loss term


def test_the_saved_case_loads_and_still_fails(tmp_path) -> None:
    wrong = with_change(lambda g, a: g.__setitem__("W_hh", g["W_hh"].T.copy()))
    path = tmp_path / "case.npz"
    report = check(wrong, save_case=str(path))
    assert report.saved_case == str(path)
    problem = rnn_ref.load_case(path)
    truth = rnn_ref.gradients(*(problem.params, problem.xs, problem.targets, problem.spec),
                              **problem.kwargs())  # fmt: skip
    np.testing.assert_array_equal(problem.expected["W_hh"], truth.params.W_hh)
    params = {n: getattr(problem.params, n) for n in rnn_ref.Params.FIELDS}
    spec = dataclasses.asdict(problem.spec)
    args = (params, problem.xs, problem.targets, spec, problem.h0, problem.weights)
    assert not np.allclose(wrong(*args)["W_hh"], truth.params.W_hh)
    assert "dL/dW_hh disagree" in problem.comment


# ---------------------------------------------------------------------------------------
# The command line.


def write(tmp_path: Path, body: str) -> str:
    (tmp_path / "mine.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('c', {str(EXAMPLE)!r})\n"
        "base = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(base)\n" + body,
        encoding="utf-8",
    )
    return "mine.py:gradients"


def test_cli_failure_json_and_the_default_case_file(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    target = write(
        tmp_path,
        "def gradients(*args):\n    g = base.gradients(*args)\n    g['W_hy'] = -g['W_hy']\n"
        "    return g\n",
    )
    status = main(["check", target, "--examples", "10", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1 == data["exit_code"]
    assert data["status"] == "fail" and "factor" in data["mistake_ids"]
    W_hy = next(q for q in data["quantities"] if q["name"] == "W_hy")
    assert W_hy["status"] == "disagree" and W_hy["worst"][0]["theirs"] == -W_hy["worst"][0]["ours"]
    assert data["saved_case"] == "rnn-ref-check-case.npz"
    assert rnn_ref.load_case(tmp_path / "rnn-ref-check-case.npz").xs.ndim == 3
    left = {p.name for p in tmp_path.iterdir()} - {"__pycache__"}
    assert left == {"mine.py", "rnn-ref-check-case.npz"}  # and no .hypothesis/
    assert data["reproduce"].startswith(f"rnn-ref check {target} ")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nowhere.py:gradients"], "TARGET: no such file: nowhere.py"),
        (["mine.py"], "TARGET: expected path/to/file.py:function"),
        (["mine.py:missing"], "has no function 'missing'"),
        (["broken.py:gradients"], "importing broken.py failed: ZeroDivisionError"),
        (["mine.py:gradients", "--bptt", "window:0"], "bptt: expected full, window[:K]"),
        (["mine.py:gradients", "--convention", "nope"], "convention: expected one of"),
        (["mine.py:gradients", "--layout", "time-major"], "layout: expected a scope keyword"),
    ],
)
def test_cli_errors_exit_2_with_one_line(tmp_path, monkeypatch, capsys, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "gradients = base.gradients\n")
    (tmp_path / "broken.py").write_text("1 / 0\n", encoding="utf-8")
    assert main(["check", *argv, "--examples", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnn-ref check: error: ") and message in err


def test_cli_without_hypothesis_exits_2_with_the_install_line(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    assert main(["check", f"{EXAMPLE}:gradients", "--examples", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'rnn-ref[check]'" in err


# ---------------------------------------------------------------------------------------
# The confirmation by autodiff, and a function that cannot be called.


def test_a_twin_that_disagrees_with_rnn_ref_is_a_bug_in_rnn_ref(monkeypatch) -> None:
    from verification import twin

    real = twin.gradients

    def off(*args, **kwargs):
        g = real(*args, **kwargs)
        return rnn_ref.Gradients(g.loss, g.params, 1.5 * g.xs, g.h0)

    monkeypatch.setattr(twin, "gradients", off)
    report = check(with_change(lambda g, a: g.__setitem__("W_hh", g["W_hh"].T.copy())))
    assert report.exit_code == 2 and report.status == "bug"
    assert "this is a bug in rnn-ref" in report.reason


def test_without_jax_the_accusation_stands_unconfirmed(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "verification.twin", None)  # as if JAX were missing
    monkeypatch.delattr(verification, "twin", raising=False)
    report = check(with_change(lambda g, a: g.__setitem__("b_h", -g["b_h"])))
    assert report.exit_code == 1
    assert report.confirmation.startswith("not confirmed by autodiff")


def test_a_wrong_signature_exits_2_and_says_so(tmp_path) -> None:
    report = check(lambda params, xs, targets: {}, save_case=str(tmp_path / "case.npz"))
    assert report.exit_code == 2
    assert "cannot be called as fn(params, xs, targets, spec, h0, weights)" in report.reason
    assert "TypeError" in report.reason
    assert rnn_ref.load_case(tmp_path / "case.npz").xs.ndim == 3  # the case it was called with


def test_sys_exit_in_the_users_code_is_reported_not_obeyed() -> None:
    report = check(lambda *args: sys.exit(3))
    assert report.exit_code == 2 and "SystemExit: 3" in report.traceback


def test_a_failure_that_comes_and_goes_still_gets_a_failing_case() -> None:
    calls = []

    def flaky(*args):  # right on the first two calls (the hygiene check), then every other
        calls.append(1)
        g = correct(*args)
        if len(calls) > 2 and len(calls) % 2:
            g["b_y"] = g["b_y"] + 1.0
        return g

    report = check(flaky, examples=30)
    assert report.exit_code == 1 and report.case  # reported, never a crash


def test_importing_the_checker_imports_neither_jax_nor_hypothesis() -> None:
    import subprocess

    code = (
        "import sys, verification; verification.check_gradients; import verification.check; "
        "print(sorted(m for m in ('jax', 'hypothesis') if m in sys.modules))"
    )
    env = {"PYTHONPATH": str(EXAMPLE.parents[2]), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_jax_cache_turns_the_twins_persistent_cache_off(monkeypatch, tmp_path) -> None:
    """--no-jax-cache: a confirmed failure compiles afresh, as verify's flag does."""
    from verification import runtime

    chosen = []
    monkeypatch.setattr(runtime, "configure_cache", chosen.append)
    monkeypatch.chdir(tmp_path)
    args = ["check", f"{EXAMPLE}:gradients", "--examples", "3", "--no-jax-cache"]
    assert main(args) == 0
    assert chosen == [False]
    chosen.clear()
    assert main(args[:-1]) == 0
    assert chosen == []


@pytest.mark.printed
@pytest.mark.parametrize(
    ("error", "shown"),
    [(0.0, "below 1e-15"), (2.1e-16, "below 1e-15"), (1.37e-15, "1.37e-15"), (9.2e-3, "9.20e-03")],
)
def test_a_rounding_level_error_prints_as_below_1e_15(error: float, shown: str) -> None:
    """0.00e+00 on one CPU is 2.10e-16 on another: the text prints neither (the JSON keeps it)."""
    from verification.check.report import _relative_error

    assert _relative_error(error) == shown
