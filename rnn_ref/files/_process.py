"""How a command meets its process: a stdout that stops taking output, and signals.

- A reader that goes away (``rnn-ref explain | head``: ``BrokenPipeError``) or a full
  device (``> /dev/full``: ``OSError`` ENOSPC) makes a write to stdout fail, at any
  ``print`` or at the final flush; a stdout closed from the start (``>&-``) leaves
  ``sys.stdout`` None, and the first write fails as EBADF. ``guarded_stdout`` catches
  that failure once, in one place, so that a command can end with one line (or quietly)
  instead of a traceback.
- SIGTERM (``kill PID``) ends Python at once, without running ``finally`` blocks, so a
  training run would leave its stage behind. ``sigterm_raises`` turns it into an
  exception, which unwinds like Ctrl-C's ``KeyboardInterrupt``.
- An exception raised by a signal handler is raised wherever Python happens to be, and
  where that is a garbage-collection callback (JAX installs one) or a ``__del__``, Python
  prints it as "Exception ignored" and goes on: Ctrl-C one second into ``rnn-ref vectors
  --out`` was lost so, and the suite was written. ``signals_kept`` raises SIGINT and
  SIGTERM as usual and also records them, and the work raises them again at the points it
  chooses (``Pending.check``): one that Python dropped is raised there.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
from collections.abc import Iterator


class OutputLost(Exception):
    """stdout cannot be written any more; ``GuardedStdout.lost`` says why."""


class Terminated(BaseException):
    """SIGTERM arrived. A ``BaseException``, like ``KeyboardInterrupt``, so that no
    ``except Exception`` swallows it."""


class GuardedStdout:
    """A stand-in for ``sys.stdout`` that records the first ``OSError`` of a write or flush.

    After it, output is dropped. With ``keep_going`` that is all (``train`` goes on to
    write its run); otherwise the failing call raises ``OutputLost``.
    """

    def __init__(self, stream, keep_going: bool) -> None:
        self.stream = stream
        self.keep_going = keep_going
        self.lost: OSError | None = None

    def _guard(self, method: str, *args) -> None:
        if self.lost is not None:
            return
        try:
            if self.stream is None:  # closed from the start: nothing to flush, no write
                if method == "write":
                    raise OSError(errno.EBADF, "stdout is closed")
                return
            getattr(self.stream, method)(*args)
        except OSError as error:
            self.lost = error
            if not self.keep_going:
                raise OutputLost from error

    def write(self, text: str) -> int:
        self._guard("write", text)
        return len(text)

    def flush(self) -> None:
        self._guard("flush")

    def __getattr__(self, name: str):  # isatty, fileno, encoding: the real stream's
        return getattr(self.stream, name)


@contextlib.contextmanager
def guarded_stdout(keep_going: bool) -> Iterator[GuardedStdout]:
    """``sys.stdout`` guarded for the block; see ``GuardedStdout``.

    When output was lost, stdout's descriptor is pointed at devnull on the way out: what
    is still buffered would otherwise fail again when Python flushes stdout at exit, with
    a second traceback ("Exception ignored ... BrokenPipeError").
    """
    stdout = GuardedStdout(sys.stdout, keep_going)
    sys.stdout = stdout
    try:
        yield stdout
    finally:
        sys.stdout = stdout.stream
        if stdout.lost is not None and sys.stdout is not None:
            with contextlib.suppress(OSError, ValueError):  # a stdout without a descriptor
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)


def _terminate(signum, frame) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises ``Terminated`` (only the main thread can set this;
    elsewhere SIGTERM keeps its handler)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


class Pending:
    """The first SIGINT or SIGTERM received within ``signals_kept``."""

    def __init__(self) -> None:
        self.received: int | None = None

    def record(self, signum: int, frame) -> None:
        """The handler: record the signal, then raise it at once (the usual way)."""
        if self.received is None:
            self.received = signum
        self.check()

    def check(self) -> None:
        """Raise what was received: ``KeyboardInterrupt`` (SIGINT), ``Terminated`` (SIGTERM)."""
        if self.received == signal.SIGINT:
            raise KeyboardInterrupt
        if self.received is not None:
            raise Terminated


@contextlib.contextmanager
def signals_kept() -> Iterator[Pending]:
    """Within the block SIGINT and SIGTERM raise as usual and are also recorded, so that the
    block can raise them again where it calls ``check()``, and leaving the block does.

    A signal's exception that Python dropped (raised in a GC callback or a ``__del__``) is
    not lost: it comes back at the next check, so call it between units of work and before
    a commit. Outside the main thread the handlers cannot be set, and the block runs with
    those it has.
    """
    pending = Pending()
    previous = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, pending.record)
    except ValueError:  # not the main thread
        pass
    hook = sys.unraisablehook

    def unraisable(info) -> None:
        # The dropped exception would be printed with a traceback ("Exception ignored in
        # ..."); it was recorded and comes back at the next check, so it is not printed.
        if not (pending.received and isinstance(info.exc_value, KeyboardInterrupt | Terminated)):
            hook(info)

    sys.unraisablehook = unraisable
    try:
        yield pending
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    pending.check()
