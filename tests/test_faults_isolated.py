"""Fault cases of ``rnn-ref check`` found in issue 21's adversarial round
(docs/reliability.md counts them with the checker's verdicts).

A process forked by the user's code held the report's pipe open, and the parent, reading
to the end of the pipe, lost a report that had been sent ("ended before it could report");
code that removed the checker's modules from ``sys.modules`` ended the check in a
traceback; a complex result was fingerprinted, with a ComplexWarning on stderr.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from _check import EXAMPLE, check, correct

from rnn_ref.cli import main

pytestmark = pytest.mark.fault


def run_check(tmp_path: Path, monkeypatch, source: str) -> int:
    (tmp_path / "good.py").write_text(EXAMPLE.read_text())
    (tmp_path / "mine.py").write_text(source)
    monkeypatch.chdir(tmp_path)
    return main(["check", "mine.py:gradients", "--examples", "5", "--save-case", "none"])


@pytest.mark.parametrize("wrong", [False, True], ids=["right", "doubled"])
def test_a_forked_process_holding_the_pipe_does_not_lose_the_report(
    tmp_path: Path, monkeypatch, capsys, wrong: bool
) -> None:
    """The function forks once; the copy sleeps with every descriptor of the child."""
    source = (
        "import os, time\nfrom good import gradients as right\nforked = False\n"
        "def gradients(*args):\n"
        "    global forked\n"
        "    if not forked:\n"
        "        forked = True\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            time.sleep(60)\n"
        "            os._exit(0)\n"
        "        open('forked.pid', 'w').write(str(pid))\n"
        f"    return {{k: {2 if wrong else 1} * v for k, v in right(*args).items()}}\n"
    )
    try:
        status = run_check(tmp_path, monkeypatch, source)
    finally:
        pid = int((tmp_path / "forked.pid").read_text())
        os.kill(pid, signal.SIGKILL)  # the copy the test's code forked, by its id
    out = capsys.readouterr().out
    assert status == (1 if wrong else 0), out
    assert ("FAIL" if wrong else "AGREE: all 5 cases agree") in out


POISON = {
    # the packages alone: what the check imports later comes from modules already loaded
    "the-packages": 'sys.modules["verification"] = sys.modules["verification.check"] = None\n',
    # every module of ours: the parent says so in one line
    "every-module": (
        'for name in [n for n in sys.modules if n.startswith(("verification", "rnn_ref"))]:\n'
        "    sys.modules[name] = None\n"
    ),
}


@pytest.mark.parametrize(("poison", "status"), [("the-packages", 0), ("every-module", 2)])
def test_code_that_removes_the_checkers_modules_gets_a_verdict_or_one_line(
    tmp_path: Path, monkeypatch, capsys, poison: str, status: int
) -> None:
    source = "import sys\nfrom good import gradients\n" + POISON[poison]
    assert run_check(tmp_path, monkeypatch, source) == status
    captured = capsys.readouterr()
    if status == 0:
        assert "AGREE: all 5 cases agree" in captured.out
    else:
        assert captured.out == "" and captured.err.count("\n") == 1
        assert captured.err.startswith("rnn-ref check: error: the check could not import ")
        assert "nothing was judged" in captured.err


def test_a_complex_result_is_malformed_without_a_warning() -> None:
    """Tests run with warnings as errors: a ComplexWarning would fail this test."""

    def complex_gradients(*args):
        return {name: value + 0j for name, value in correct(*args).items()}

    report = check(complex_gradients, examples=5)
    assert report.exit_code == 1
    assert "W_xh: expected a float array, got dtype complex128" in report.text()
    assert report.mistakes == []
