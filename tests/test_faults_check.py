"""Fault cases of ``rnn-ref check``'s verdict (docs/reliability.md counts them).

A check that compared no gradient never passes: a function that returns ``{}``, the loss
alone, or its gradients under names the convention does not know gets exit 2 (nothing
compared) or exit 1 (a malformed result, named), never AGREE.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from _check import EXAMPLE, ROOT, check, correct

from rnn_ref.cli import main
from verification.check import harness

pytestmark = pytest.mark.fault

LAYER = EXAMPLE.parent / "layer_rnn.py"
(layer_forward, layer_backward) = harness.load_target(f"{LAYER}:forward,backward", functions=2)


def returns_nothing(*args):
    return {}


def returns_the_loss_only(*args):
    return {"loss": correct(*args)["loss"]}


def renamed(*args):
    """Every gradient right, under the names of another convention (and doubled)."""
    return {"d" + name: 2 * value for name, value in correct(*args).items()}


def renamed_but_one(*args):
    """W_xh under its own name and right; the rest renamed and doubled."""
    g = correct(*args)
    return {"W_xh": g["W_xh"]} | {"d" + n: 2 * v for n, v in g.items() if n != "W_xh"}


@pytest.mark.parametrize("fn", [returns_nothing, returns_the_loss_only])
def test_nothing_compared_never_agrees(fn) -> None:
    report = check(fn, examples=10)
    assert report.exit_code == 2 and report.status == "error"
    assert report.reason.startswith("no gradient could be compared: in 10 cases your function")


@pytest.mark.parametrize("fn", [renamed, renamed_but_one])
def test_a_gradient_under_another_name_is_malformed(fn) -> None:
    report = check(fn, examples=10)
    assert report.exit_code == 1, report.text()
    assert "'dW_hh': not a name of this convention" in report.text()


@pytest.mark.parametrize("empty", [{}, (None, None, None, None, None)])
def test_a_layer_backward_returning_nothing_never_agrees(empty) -> None:
    def backward(dh, cache):
        return dict(empty) if isinstance(empty, dict) else empty

    report = check((layer_forward, backward), convention="layer", activation="tanh", examples=10)
    assert report.exit_code == 2, report.text()
    assert report.reason.startswith("no gradient could be compared")


def test_the_cli_says_so_in_one_verdict_line(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "empty.py").write_text("def gradients(*args):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    args = ["check", "empty.py:gradients", "--examples", "5", "--save-case", "none"]
    assert main(args) == 2
    out = capsys.readouterr().out
    assert "AGREE" not in out
    assert "ERROR: no gradient could be compared" in out


def test_the_correct_example_still_agrees() -> None:
    """The rule does not touch a function that returns its gradients by their names."""
    report = check(correct, examples=10)
    assert report.exit_code == 0, report.text()
    assert np.isfinite(report.counts["checked"]) and report.counts["checked"] == 10


def wrong(*args):
    """W_hh's gradient doubled: a failing check, so that the case is saved."""
    g = correct(*args)
    return g | {"W_hh": 2 * g["W_hh"]}


@pytest.mark.parametrize("kind", ["source", "fifo", "symlink", "directory"])
def test_save_case_never_replaces_what_is_not_a_case_file(tmp_path, kind: str) -> None:
    import os

    target = tmp_path / "victim.py"
    if kind == "source":
        target.write_text("def gradients(*args): ...\n")
    elif kind == "fifo":
        os.mkfifo(target)  # as /dev/null would be: not a regular file
    elif kind == "symlink":
        (tmp_path / "real.txt").write_text("mine")
        target.symlink_to(tmp_path / "real.txt")
    else:
        target.mkdir()
    before = os.lstat(target)
    wanted = "file name" if kind == "directory" else "new file or a case file"
    report = check(wrong, examples=5, save_case=str(target))
    assert report.exit_code == 1 and report.saved_case is None
    assert any(f"case was not saved: path: expected a {wanted}" in n for n in report.notes), (
        report.notes
    )
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_size) == (
        before.st_mode,
        before.st_ino,
        before.st_size,
    )


def test_a_saved_case_is_replaced_by_the_next(tmp_path) -> None:
    target = tmp_path / "case.npz"
    assert check(wrong, examples=5, save_case=str(target)).saved_case == str(target)
    first = target.stat().st_ino
    assert check(wrong, examples=5, seed=1, save_case=str(target)).saved_case == str(target)
    assert target.stat().st_ino != first  # replaced whole (a new file renamed into place)


def test_a_function_that_changes_directory_does_not_move_the_case(tmp_path, monkeypatch):
    import os

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)

    def wanders(*args):
        os.chdir(elsewhere)
        return wrong(*args)

    report = check(wanders, examples=5, save_case="rel.npz")
    assert report.saved_case == "rel.npz"
    assert (tmp_path / "rel.npz").is_file() and not (elsewhere / "rel.npz").exists()


# The CLI runs the user's code in a child and judges only from the report it receives ------

EXAMPLE_SOURCE = EXAMPLE.read_text()
HOSTILE = {
    "exits-in-the-function": "import os\ndef gradients(*args):\n    os._exit(0)\n",
    "exits-at-import": "import os\nos._exit(0)\ndef gradients(*args): ...\n",
    "killed-by-a-signal": (
        "import os, signal\ndef gradients(*args):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    ),
}


def run_check(tmp_path, monkeypatch, source: str, *flags: str) -> int:
    (tmp_path / "mine.py").write_text(source)
    (tmp_path / "good.py").write_text(EXAMPLE_SOURCE)
    monkeypatch.chdir(tmp_path)
    args = ["check", "mine.py:gradients", "--examples", "5", "--save-case", "none", *flags]
    return main(args)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_code_that_ends_the_process_never_passes(tmp_path, monkeypatch, capsys, name) -> None:
    assert run_check(tmp_path, monkeypatch, HOSTILE[name]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "before it could report" in captured.err and "nothing was judged" in captured.err


@pytest.mark.parametrize(
    ("source", "what"),
    [
        (
            "import time\ndef gradients(*args):\n    while True:\n        try:\n"
            "            time.sleep(30)\n        except:\n            pass\n",
            "a call took longer than --timeout 0.5 s and did not give way to the alarm",
        ),
        (
            "import time\ntime.sleep(60)\ndef gradients(*args): ...\n",
            "importing TARGET took longer than --timeout 0.5 s",
        ),
    ],
    ids=["bare-except-retry-loop", "sleeps-at-import"],
)
def test_every_call_and_the_import_are_bounded(tmp_path, monkeypatch, capsys, source, what):
    assert run_check(tmp_path, monkeypatch, source, "--timeout", "0.5") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and what in err


def test_a_thread_left_running_does_not_keep_the_check_alive(tmp_path, monkeypatch, capsys):
    """A non-daemon thread sleeping for an hour: the report is out, the child ends."""
    source = (
        "import threading, time\nfrom good import gradients as right\n"
        "def gradients(*args):\n"
        "    threading.Thread(target=time.sleep, args=(3600,)).start()\n"
        "    return right(*args)\n"
    )
    assert run_check(tmp_path, monkeypatch, source) == 0
    assert "AGREE: all 5 cases agree" in capsys.readouterr().out


def test_the_users_prints_stay_out_of_json(tmp_path, monkeypatch, capfd) -> None:
    source = (
        "from good import gradients as right\n"
        "def gradients(*args):\n    print('loss is', 1.0)\n    return right(*args)\n"
    )
    assert run_check(tmp_path, monkeypatch, source, "--json") == 0
    captured = capfd.readouterr()
    assert json.loads(captured.out)["status"] == "agree"
    assert "loss is 1.0" in captured.err


@pytest.mark.parametrize("raised", ["BaseException('x')", "GeneratorExit()"])
def test_any_exception_of_the_users_is_reported(tmp_path, monkeypatch, capsys, raised) -> None:
    source = f"def gradients(*args):\n    raise {raised}\n"
    assert run_check(tmp_path, monkeypatch, source) == 2
    captured = capsys.readouterr()
    assert "your function raised an exception" in captured.out
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_a_timeout_past_a_day_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    """1e30 s overflowed the alarm's timer (OverflowError, a traceback)."""
    assert run_check(tmp_path, monkeypatch, EXAMPLE_SOURCE, "--timeout", "1e30") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "timeout: expected a number of seconds in (0, 86400]" in err


def test_a_timeout_shorter_than_the_set_up_is_a_timeout(tmp_path, monkeypatch, capsys) -> None:
    source = "import time\ndef gradients(*args):\n    time.sleep(1)\n"
    assert run_check(tmp_path, monkeypatch, source, "--timeout", "1e-9") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a call took longer than --timeout 1e-09 s" in err


# Repeated calls agree within the noise model; what a call returns is copied at once -------

_RNG = np.random.default_rng()  # unseeded on purpose: a different rounding on every call


def rounding_noise(*args):
    """A correct implementation that adds in another order on each call, as a parallel
    reduction or a GPU does: each value off by about 1e-15 of itself, differently each call."""
    return {
        name: np.asarray(value) * (1.0 + 1e-15 * _RNG.standard_normal(np.shape(value)))
        for name, value in correct(*args).items()
    }


def batch_in_random_order(params, xs, targets, spec, h0, weights):
    """The gradient summed over the batch's sequences in a random order on every call."""
    B = xs.shape[1]
    parts = [
        correct(params, xs[:, [b]], targets[:, [b]], spec, h0[[b]], weights[:, [b]])
        for b in range(B)
    ]
    out = {}
    for name in ("loss", "W_xh", "W_hh", "b_h", "W_hy", "b_y"):
        total = 0.0
        for b in _RNG.permutation(B):
            total = total + np.asarray(parts[b][name])
        out[name] = total
    out["xs"] = np.concatenate([p["xs"] for p in parts], axis=1)
    out["h0"] = np.concatenate([p["h0"] for p in parts], axis=0)
    return out


@pytest.mark.parametrize("fn", [rounding_noise, batch_in_random_order])
def test_bitwise_nondeterminism_within_rounding_agrees(fn) -> None:
    """Told "nondeterminism" and failed before: repeated calls compared bit for bit."""
    report = check(fn, examples=20)
    assert report.exit_code == 0, report.text()
    assert report.counts["agreed"] == 20


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_batch_summed_in_random_order_agrees_on_a_case_of_four_sequences(dtype: str) -> None:
    """The first case a check draws holds one sequence; here B = 4, so that the order of
    the sum changes the bits from call to call, and the harness's two calls still agree."""
    import dataclasses

    import rnn_ref
    from verification.check.cases import _fill
    from verification.check.scope import Scope
    from verification.check.search import Harness

    scope = Scope(dtype=dtype)
    spec = rnn_ref.Spec("tanh", "mse")
    case = _fill(3, (6, 4, 3, 4, 2), spec, (1, 0.5, 0.5, 1, 1), "any", "any", scope)
    case = dataclasses.replace(case, labels={"weights": "any"})
    answers = [batch_in_random_order(*case.canonical_args()) for _ in range(20)]
    assert any(not np.array_equal(a["W_hh"], answers[0]["W_hh"]) for a in answers[1:])
    for _ in range(5):  # a new draw of orders each time
        trial = Harness(batch_in_random_order, "sum", None).run(case)
        assert trial.kind == "agree", trial.detail or trial.verdict


class Model:
    """Gradients accumulated into buffers that are never reset, returned by reference."""

    def __init__(self) -> None:
        self.dW: np.ndarray | None = None
        self.grads: dict = {}

    def by_reference(self, *args):
        """``self.dW += ...; return self.dW``: the next call changes the answer given."""
        g = correct(*args)
        if self.dW is None or self.dW.shape != g["W_hh"].shape:
            self.dW = np.zeros_like(g["W_hh"])
        self.dW += g["W_hh"]
        return g | {"W_hh": self.dW}

    def accumulated(self, *args):
        for name, value in correct(*args).items():
            before = self.grads.get(name)
            same = before is not None and np.shape(before) == np.shape(value)
            self.grads[name] = before + value if same else np.array(value, dtype=float)
        return dict(self.grads)


@pytest.mark.parametrize("method", ["by_reference", "accumulated"])
def test_state_carried_between_calls_still_fails_by_its_name(method: str) -> None:
    """By reference, both answers were the same buffer: 'dL/dW_hh disagree' (a wrong name)."""
    report = check(getattr(Model(), method), examples=10)
    assert report.exit_code == 1, report.text()
    assert report.reason.startswith("two calls on the same case gave different answers: ")
    assert "more than the rounding noise allowed" in report.reason
    assert "carries state between calls" in report.reason
    assert not report.quantities  # no verdict on a gradient rests on it


# What a function returns is named, and comparing it never raises ----------------------


def returns_a_generator(*args):
    return (item for item in correct(*args).items())


class Thing:
    pass


def returns_an_object(*args):
    return Thing()


@pytest.mark.parametrize(
    ("fn", "what"),
    [(returns_a_generator, "a generator"), (returns_an_object, "an object of type ")],
    ids=["generator", "object"],
)
def test_what_was_returned_is_named(fn, what: str) -> None:
    """Called "nondeterminism" before, with "returned different the returned value"."""
    report = check(fn, examples=5)
    assert report.exit_code == 1
    assert report.reason.startswith(f"a malformed result: the function returned {what}")
    assert "expected a dict of the quantities by name (loss, W_xh" in report.reason
    assert "different" not in report.text()


class AmbiguousTruth:
    """What ``==`` gives for a multi-element torch tensor: no truth value."""

    def __bool__(self):
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")


class TensorLike:
    def __eq__(self, other):
        return AmbiguousTruth()

    __hash__ = object.__hash__


def nested(depth: int, inner: object, as_dict: bool) -> object:
    for _ in range(depth):
        inner = {"a": inner} if as_dict else [inner]
    return inner


UNKNOWN = "'extra': not a name of this convention"
EXTRAS = {
    "tensor-like-extra-key": ("extra", lambda: TensorLike(), UNKNOWN),
    "deep-list-as-a-gradient": (
        "W_hh",
        lambda: nested(100_000, [], as_dict=False),
        "W_hh: expected an array, got list",
    ),
    "deep-dict-extra-key": ("extra", lambda: nested(100_000, {}, as_dict=True), UNKNOWN),
}


@pytest.mark.parametrize("name", sorted(EXTRAS))
def test_odd_values_in_the_result_are_malformed_not_a_crash(name: str) -> None:
    """A RuntimeError and a RecursionError ended the check before (a traceback)."""
    key, make, problem = EXTRAS[name]

    def fn(*args):
        return correct(*args) | {key: make()}

    report = check(fn, examples=5)
    assert report.exit_code == 1, report.text()
    assert report.reason.startswith(f"a malformed result: {problem}"), report.reason


def test_a_multi_element_torch_tensor_in_the_result(tmp_path, monkeypatch, capsys) -> None:
    torch = pytest.importorskip("torch")  # the check extra does not bring torch
    del torch
    source = (
        "import torch\nfrom good import gradients as right\n"
        "def gradients(*args):\n    return right(*args) | {'extra': torch.ones(3)}\n"
    )
    assert run_check(tmp_path, monkeypatch, source) == 1
    captured = capsys.readouterr()
    assert "'extra': not a name of this convention" in captured.out
    assert captured.err == ""


@pytest.mark.parametrize(("make", "what"), [("directory", "a directory"), ("device", "a device")])
def test_a_target_that_is_no_file_is_named(tmp_path, monkeypatch, capsys, make, what) -> None:
    """Both were "no such file"."""
    monkeypatch.chdir(tmp_path)
    where = "/dev/null" if make == "device" else "mine.py"
    if make == "directory":
        (tmp_path / where).mkdir()
    assert main(["check", f"{where}:gradients", "--save-case", "none"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"rnn-ref check: error: TARGET: {where} is {what}, expected a Python file (.py)\n"
    )


# A stdout that is closed or whose reader is gone ----------------------------------------


def run_cli(tmp_path, *args: str, close_stdout: bool) -> subprocess.CompletedProcess:
    """``python -m rnn_ref ARGS`` with stdout closed (``>&-``) or its reader gone at once."""
    command = [sys.executable, "-m", "rnn_ref", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if close_stdout:
        return subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", *command],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    child = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    child.stdout.close()  # the reader is gone before the first line is written: | head -0
    _, err = child.communicate(timeout=600)
    return subprocess.CompletedProcess(command, child.returncode, None, err)


@pytest.mark.parametrize("close_stdout", [True, False], ids=["closed", "reader-gone"])
@pytest.mark.parametrize("command", ["check", "vectors"])
def test_a_stdout_that_cannot_be_written(tmp_path, golden_vectors, command, close_stdout):
    """A closed stdout was an AttributeError traceback (sys.stdout is None), in the
    child of check too."""
    (tmp_path / "good.py").write_text(EXAMPLE_SOURCE)
    args = (
        ["check", "good.py:gradients", "--examples", "3", "--save-case", "none"]
        if command == "check"
        else ["vectors", "--verify", str(golden_vectors)]
    )
    done = run_cli(tmp_path, *args, close_stdout=close_stdout)
    if close_stdout:
        assert done.returncode == 2
        assert (
            done.stderr == f"rnn-ref {command}: error: cannot write to stdout: stdout is closed\n"
        )
    else:  # quietly, as Python's recipe for SIGPIPE
        assert (done.returncode, done.stderr) == (1, "")


# The user's text never reaches the terminal raw ------------------------------------------

FORGED = "\n\x1b[2K\rAGREE: all 100 cases agree"


def raises_with_escapes(*args):
    raise ValueError("boom" + FORGED)


def returns_an_escaped_name(*args):
    return correct(*args) | {"x" + FORGED: 1.0}


def assert_no_forged_line(text: str) -> None:
    assert "\x1b" not in text and "\r" not in text
    assert not any(line.startswith("AGREE") for line in text.splitlines()), text
    assert "\\x1b[2K\\rAGREE: all 100 cases agree" in text


@pytest.mark.parametrize("fn", [raises_with_escapes, returns_an_escaped_name])
def test_the_users_text_is_escaped_in_the_report(fn) -> None:
    assert_no_forged_line(check(fn, examples=3).text())


def test_an_import_error_is_escaped_and_kept_whole(tmp_path, monkeypatch, capsys) -> None:
    """Its message was cut at its last line break: "failed: AGREE: all 100 cases agree"."""
    source = f"raise ImportError({'bad' + FORGED!r})\n"
    assert run_check(tmp_path, monkeypatch, source) == 2
    captured = capsys.readouterr()
    assert_no_forged_line(captured.out)
    assert captured.err.count("\n") == 1
    assert "importing mine.py failed: ImportError: bad\\n\\x1b[2K" in captured.err


def test_a_results_files_text_is_escaped(golden_vectors, tmp_path, capsys) -> None:
    """The implementation's name and a reason out of scope, as the results file gives them."""
    case_id = json.loads((golden_vectors / "manifest.json").read_text())["cases"][0]["id"]
    document = {
        "format": "rnn-ref-results",
        "version": 1,
        "implementation": "mine" + FORGED,
        "results": {case_id: {"out_of_scope": "relu" + FORGED}},
    }
    results = tmp_path / "results.json"
    results.write_text(json.dumps(document))
    main(["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)])
    out = capsys.readouterr().out
    assert_no_forged_line(out)
    assert "(mine\\n\\x1b[2K\\rAGREE" in out


# Strict JSON ------------------------------------------------------------------------------


def strict(text: str) -> dict:
    def refuse(constant: str):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_json_has_no_infinity() -> None:
    """A relative error of inf (a huge value where the truth and its noise are tiny) was
    printed as Infinity, which strict JSON readers refuse."""
    import dataclasses

    from verification.check.verdict import compare

    report = check(correct, examples=3)
    quantity = compare("b_y", np.array([1e300]), np.array([0.0]), 1e-300)
    assert quantity.error == float("inf")
    report.quantities = [dataclasses.asdict(quantity)]
    document = strict(report.to_json_text())
    assert document["quantities"][0]["error"] == "inf"


def test_the_cli_json_is_strict(tmp_path, monkeypatch, capsys) -> None:
    assert run_check(tmp_path, monkeypatch, f"{EXAMPLE_SOURCE}\n", "--json") == 0
    assert strict(capsys.readouterr().out)["status"] == "agree"


# --no-bias: a bias gradient returned is the true dL/db at b = 0 -------------------------


def without_biases(*args):
    g = correct(*args)
    return {name: value for name, value in g.items() if name not in ("b_h", "b_y")}


def zero_biases(*args):
    g = correct(*args)
    return g | {"b_h": np.zeros_like(g["b_h"]), "b_y": np.zeros_like(g["b_y"])}


@pytest.mark.parametrize(("fn", "exit_code"), [(correct, 0), (without_biases, 0), (zero_biases, 1)])
def test_no_bias_compares_a_returned_bias_gradient_with_the_truth(fn, exit_code) -> None:
    """docs/checker.md said 'compared with 0'; the code compares with dL/db at b = 0, which
    is what a model that holds its biases at 0 computes (the docs now say so)."""
    report = check(fn, bias=False, examples=10)
    assert report.exit_code == exit_code, report.text()
    if fn is without_biases:
        assert report.not_returned == ["b_h", "b_y"]
    if fn is zero_biases:
        assert {q["name"] for q in report.quantities if q["status"] == "disagree"} >= {"b_h"}
        assert "--no-bias: your b_h is all zeros, but dL/db_h at b = 0 is not 0; a model " in (
            report.text()
        )


def test_vectors_check_results_json_is_strict(golden_vectors, tmp_path, capsys) -> None:
    """The verdict on a results file as JSON: every field of the report, strict."""
    case_id = json.loads((golden_vectors / "manifest.json").read_text())["cases"][0]["id"]
    case = json.loads((golden_vectors / "json" / f"{case_id}.json").read_text())
    result = {"loss": case["expected"]["loss"], **case["expected"]["gradients"]}
    result["W_hh"] = (2 * np.asarray(result["W_hh"])).tolist()
    document = {"format": "rnn-ref-results", "version": 1, "implementation": "doubled W_hh"}
    results = tmp_path / "results.json"
    results.write_text(json.dumps(document | {"results": {case_id: result}}))
    args = ["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]
    assert main([*args, "--json"]) == 1
    verdict = strict(capsys.readouterr().out)
    assert (verdict["status"], verdict["exit_code"], verdict["counts"]["failed"]) == ("fail", 1, 1)
    assert list(verdict["failures"]) == [case_id]
    assert main(["vectors", "--verify", str(golden_vectors), "--json"]) == 2
    assert capsys.readouterr().err == (
        "rnn-ref vectors: error: --json: expected it with --check-results, the one verdict "
        "it prints\n"
    )


def test_a_result_broadcast_to_a_trillion_entries_is_malformed_not_copied() -> None:
    """7 TiB if copied or compared: its shape is reported instead (memory stays bounded)."""

    def huge(*args):
        g = correct(*args)
        return g | {"W_hh": np.broadcast_to(0.0, (10**6, 10**6))}

    report = check(huge, examples=5)
    assert report.exit_code == 1, report.text()
    assert "W_hh: expected shape" in report.text() and "(1000000, 1000000)" in report.text()
