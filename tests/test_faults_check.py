"""Fault cases of ``rnn-ref check``'s verdict (docs/reliability.md counts them).

A check that compared no gradient never passes: a function that returns ``{}``, the loss
alone, or its gradients under names the convention does not know gets exit 2 (nothing
compared) or exit 1 (a malformed result, named), never AGREE.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _check import EXAMPLE, check, correct

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
