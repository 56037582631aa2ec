"""``rnn-ref check`` in a child process: the verdict comes only from a report received.

In one process, the user's code can end the check before it reports: ``os._exit(0)`` at
import or in the function gave exit 0 and no output, which a CI job reads as a pass. So the
CLI runs ``check_gradients`` in a child (``python -m verification.check.isolated``) and
judges only from the report the child sends back over a pipe of its own:

- no report (the child exited, with any status, or was killed) is exit 2, never 0;
- the child tells the parent when the user's code starts and ends (``harness.set_progress``:
  the import and every call), and the parent kills it when one runs ``timeout + GRACE``
  seconds, whatever the code does with SIGALRM (a bare ``except:`` in a retry loop, a module
  that sleeps at import);
- once the report is sent the child ends at once (``os._exit``): a non-daemon thread left
  running by the user's code cannot keep it alive;
- the child's stdout is its stderr, so the user's prints never mix into the report or
  ``--json``;
- the report is one line of JSON, and the parent reads up to its newline, not to the end
  of the pipe: a process the user's code forked holds a copy of the pipe open as long as it
  lives, and waiting for the end used to lose the report ("ended before it could report");
- the modules the check needs after the user's code runs are imported before it: code that
  poisons ``sys.modules["verification"]`` gets a verdict or one line, not a traceback.

This guards against mistakes, not malice: code that sets out to forge a report can still
write to the pipe (docs/checker.md, "What a check can promise").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

#: Seconds a call may run past ``timeout`` before the parent kills the child: the alarm
#: raises in the user's code at ``timeout``; this is the slack for it to unwind.
GRACE = 2.0


@dataclass
class Outcome:
    """What the child sent (``message``), or why nothing came (``reason``)."""

    message: dict | None
    reason: str = ""


def run(kwargs: dict, *, timeout: float | None, no_jax_cache: bool) -> Outcome:
    """``check_gradients(**kwargs)`` in a child; its report as a message, or why none came.

    The message holds ``text``, ``json``, ``exit_code`` and ``reason`` of the report, or
    ``error`` (a bad argument: one line) or ``missing`` (a module not installed).
    """
    report_r, report_w = os.pipe()
    progress_r, progress_w = os.pipe()
    command = [sys.executable, "-m", __name__, str(report_w), str(progress_w)]
    try:
        child = subprocess.Popen(
            command, stdin=subprocess.PIPE, pass_fds=(report_w, progress_w), close_fds=True
        )
    finally:
        os.close(report_w)
        os.close(progress_w)
    report = _Reader(report_r)
    progress = _Progress(progress_r)
    try:
        assert child.stdin is not None
        with child.stdin:
            child.stdin.write(json.dumps({"kwargs": kwargs, "no_jax_cache": no_jax_cache}).encode())
        stopped = _watch(child, progress, timeout)
    except BaseException:  # Ctrl-C, SIGTERM: the child goes with the parent
        child.kill()
        child.wait()
        raise
    # the report ends at its newline; a grandchild that kept a copy of the pipe holds its
    # end open, so without one the wait is bounded
    report.join(timeout=5.0)
    progress.join(timeout=1.0)
    if report.data:
        try:
            return Outcome(json.loads(report.data))
        except ValueError:
            pass
    if stopped:
        return Outcome(None, stopped)
    status = child.returncode
    how = f"exit status {status}" if status >= 0 else f"signal {-status}"
    return Outcome(
        None,
        f"the check's process ended ({how}) before it could report, in your code or at its "
        "import: nothing was judged",
    )


def _watch(child: subprocess.Popen, progress: _Progress, timeout: float | None) -> str:
    """Wait for the child; kill it if the user's code runs past the bound. Returns why it
    was stopped, or ''."""
    while True:
        try:
            child.wait(timeout=0.05)
            return ""
        except subprocess.TimeoutExpired:
            pass
        what, since = progress.state
        if timeout is None or what not in ("import", "call"):
            continue
        if time.monotonic() - since > timeout + GRACE:
            child.kill()
            child.wait()
            if what == "import":
                return (
                    f"importing TARGET took longer than --timeout {timeout:g} s, so nothing "
                    "could be compared; it was stopped"
                )
            return (
                f"a call took longer than --timeout {timeout:g} s and did not give way to the "
                "alarm, so nothing could be compared; it was stopped"
            )


class _Reader(threading.Thread):
    """Reads one line from a pipe (the report can be larger than a pipe's buffer): up to
    its newline, or the end of the pipe, whichever comes first."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd, self.data = fd, b""
        self.start()

    def run(self) -> None:
        with os.fdopen(self.fd, "rb") as pipe:
            self.data = pipe.readline()


class _Progress(threading.Thread):
    """The last mark the child sent (``import``, ``call``, ``done``) and when it came."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.fd = fd
        self.state = ("", time.monotonic())
        self.start()

    def run(self) -> None:
        with os.fdopen(self.fd, "rb") as pipe:
            for line in pipe:
                self.state = (line.strip().decode("ascii", "replace"), time.monotonic())


def _child(report_fd: int, progress_fd: int) -> None:
    """The child: read the arguments, run the check, send the report, end at once."""
    request = json.loads(sys.stdin.buffer.read())
    if sys.stdout is not None:  # None when the command's stdout was closed (``>&-``)
        sys.stdout.flush()
    os.dup2(2, 1)  # the user's prints go to stderr: stdout carries only the parent's report
    progress = os.fdopen(progress_fd, "w", buffering=1)

    def mark(what: str) -> None:
        progress.write(what + "\n")

    from .. import fingerprints  # noqa: F401  (imported before the user's code: see above)
    from . import cases, diagnose, harness, search, tolerance, verdict  # noqa: F401

    harness.set_progress(mark)
    if request["no_jax_cache"]:
        try:
            from .. import runtime
        except ModuleNotFoundError:
            pass
        else:
            runtime.configure_cache(False)
    try:
        report = search.check_gradients(**request["kwargs"])
        message = {
            "text": report.text(),
            "json": report.to_json_text(),
            "exit_code": report.exit_code,
            "reason": report.reason,
        }
    except ModuleNotFoundError as error:
        message = {"missing": error.name or "", "error": str(error)}
    except (ValueError, TypeError) as error:
        message = {"error": str(error)}
    with os.fdopen(report_fd, "wb") as pipe:
        pipe.write(json.dumps(message).encode() + b"\n")  # one line: json escapes newlines
    os._exit(0)  # no wait for threads the user's code left running


if __name__ == "__main__":
    _child(int(sys.argv[1]), int(sys.argv[2]))
