"""A directory is written whole or not at all: a training run, a suite of golden vectors.

``rnn-ref train --out DIR`` and ``rnn-ref vectors --out DIR`` never write into ``DIR``
itself. Before any time is spent, the caller decides whether ``DIR`` may receive its files
(a run: ``rnn_ref.tasks.runs.check_out``; a suite: ``verification.vectors.generate.check_out``),
and ``staged`` creates an empty temporary directory beside it, ``.DIR.partial-XXXX``: that
proves the place writable. The files are written there; when all of them are on disk (each
fsynced), the stage is renamed to ``DIR``. So ``DIR`` holds either the previous contents,
whole, or the new ones, whole, never a mix: a full disk, a file-size limit, Ctrl-C or an
exception at any point leaves ``DIR`` as it was and removes the stage.

``DIR`` may already exist when it holds nothing but what the caller would write there (the
caller's check says so): the old contents are then replaced whole. A directory with
anything else in it is refused, never emptied. Replacing a directory means renaming it, so
``DIR`` cannot be the working directory or one that contains it (the shell would be left in
a deleted directory).

The commit is two renames, ``DIR`` to ``.DIR.old-XXXX`` and the stage to ``DIR``, then the
old contents are deleted; SIGINT and SIGTERM are held back during these three steps, so that
Ctrl-C or ``kill`` cannot leave ``DIR`` missing. Only a crash of the machine between the
two renames can, and the old contents are then still in ``.DIR.old-XXXX``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

PARTIAL = ".partial-"
OLD = ".old-"


@contextlib.contextmanager
def staged(out: Path, recheck: Callable[[], object]) -> Iterator[Path]:
    """An empty directory beside ``out``; renamed to ``out`` when the block ends cleanly.

    ``out`` is a path that the caller's check returned; ``recheck`` runs that check again
    just before the commit (it raises ``ValueError`` if something foreign arrived in
    ``out`` meanwhile). Missing parent directories are created
    first, and removed again (when still empty) if the block fails. On any exception,
    ``KeyboardInterrupt`` included, the stage is deleted and ``out`` is left as it was.

    Raises:
        ValueError: the stage cannot be created (a read-only or virtual file system, a
            missing permission); ``out`` changed during training so that it may no
            longer be replaced.
    """
    created: list[Path] = []
    stage = None
    try:
        # Signals held: a Ctrl-C just after the stage is made (before it is known here)
        # would leave it behind; held, it arrives inside this try, which removes it.
        with _signals_held():
            created = _make_parents(out.parent)
            stage = _make_stage(out)
        yield stage
        with writing(out):
            for name in sorted(stage.rglob("*")):  # every file on disk before it is visible
                _fsync(name)
            _fsync(stage)
            # mkdtemp creates 0700; the directory gets the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(stage, 0o777 & ~umask)
            _commit(stage, out, recheck)
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(created)
        raise


def _make_stage(out: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=f".{out.name}{PARTIAL}", dir=out.parent))
    except OSError as error:
        raise ValueError(
            f"--out: expected a place where a directory can be created, got "
            f"{str(out)!r} ({error.strerror or error})"
        ) from None


@contextlib.contextmanager
def writing(out: Path) -> Iterator[None]:
    """Turn an ``OSError`` while the files are written (a full disk, a file-size limit)
    into a ``ValueError`` that names ``out``: the user's place, not our bug."""
    try:
        yield
    except OSError as error:
        raise ValueError(
            f"--out: expected room for the run in {str(out)!r}, got an error while writing "
            f"it ({error.strerror or error}); {str(out)!r} is left as it was"
        ) from None


def _make_parents(directory: Path) -> list[Path]:
    """Create ``directory`` and its missing parents; return those created, deepest first."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except OSError as error:
            _remove_empty(missing[missing.index(path) + 1 :])
            raise ValueError(
                f"--out: expected a place where a directory can be created, got "
                f"{str(path)!r} ({error.strerror or error})"
            ) from None
    return missing


def _remove_empty(directories: list[Path]) -> None:
    for path in directories:  # deepest first
        with contextlib.suppress(OSError):
            path.rmdir()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back (they arrive when the block ends), where POSIX can."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _commit(stage: Path, out: Path, recheck: Callable[[], object]) -> None:
    """Rename ``stage`` to ``out``, replacing its old contents whole; Ctrl-C waits for it.

    ``recheck`` runs first, with the signals held: whatever it finds (something foreign
    in ``out``, a signal a caller deferred) stops the commit, and what arrives after it
    waits for the renames."""
    with _signals_held():
        recheck()  # nothing foreign arrived in out meanwhile
        old = None
        if out.exists() and any(out.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}{OLD}", dir=out.parent))
            os.replace(out, old)  # onto the empty directory just made: atomic
        try:
            os.replace(stage, out)  # out is now missing or empty: atomic
        except BaseException:
            if old is not None:
                os.replace(old, out)
            raise
        _fsync(out.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
