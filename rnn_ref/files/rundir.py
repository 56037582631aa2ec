"""A run directory is written whole or not at all.

``rnn-ref train --out DIR`` never writes into ``DIR`` itself. Before training starts,
``check_out`` decides whether ``DIR`` may receive a run, and ``staged`` creates an empty
temporary directory beside it, ``.DIR.partial-XXXX``: that proves the place writable
before any time is spent. The run's files are written there; when all of them are on
disk (each fsynced), the stage is renamed to ``DIR``. So ``DIR`` holds either the
previous run, whole, or the new one, whole, never a mix: a full disk, a file-size limit,
Ctrl-C or an exception at any point leaves ``DIR`` as it was and removes the stage.

``DIR`` may already exist when it holds nothing but the files of a run (``RUN_FILES``):
the old run is then replaced whole. A directory with anything else in it is refused,
never emptied. Replacing a directory means renaming it, so ``DIR`` cannot be the working
directory or one that contains it (the shell would be left in a deleted directory).

The commit is two renames, ``DIR`` to ``.DIR.old-XXXX`` and the stage to ``DIR``, then the
old run is deleted; SIGINT and SIGTERM are held back during these three steps, so that
Ctrl-C or ``kill`` cannot leave ``DIR`` missing. Only a crash of the machine between the
two renames can, and the old run is then still in ``.DIR.old-XXXX``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..tasks.runs import RUN_FILES

PARTIAL = ".partial-"
OLD = ".old-"


def check_out(out: str | os.PathLike) -> Path:
    """The absolute path of ``out`` if a run may be written there, else a ``ValueError``.

    Accepted: a path that does not exist yet (below directories, existing or not), an
    empty directory, or a directory that holds only a previous run's files.
    """
    if not isinstance(out, str | os.PathLike):
        raise TypeError(f"--out: expected a directory path, got {type(out).__name__}")
    if str(out) == "":
        raise ValueError("--out: expected a directory path, got ''")
    path = Path(os.path.abspath(out))
    shown = str(out)
    if path.is_symlink():
        raise ValueError(f"--out: expected a directory, got a symbolic link {shown!r}")
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"--out: expected a directory, got the existing file {shown!r}")
        cwd = Path.cwd().resolve()
        if cwd == path.resolve() or path.resolve() in cwd.parents:
            raise ValueError(
                f"--out: expected a directory other than the working directory or one "
                f"containing it (a run replaces its directory whole), got {shown!r}"
            )
        others = sorted(entry.name for entry in path.iterdir() if not _is_run_file(entry))
        if others:
            listed = ", ".join(map(repr, others[:3])) + (", ..." if len(others) > 3 else "")
            raise ValueError(
                f"--out: expected a new directory, an empty one or one holding only a "
                f"previous run's files, got {shown!r}, which also holds {listed}"
            )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(
                    f"--out: expected a path below a directory, got {shown!r}, below the "
                    f"file {str(parent)!r}"
                )
            break
    return path


def _is_run_file(entry: Path) -> bool:
    """A regular file whose name is one that ``rnn-ref train`` writes."""
    return entry.name in RUN_FILES and stat.S_ISREG(entry.lstat().st_mode)


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """An empty directory beside ``out``; renamed to ``out`` when the block ends cleanly.

    ``out`` is a path that ``check_out`` returned. Missing parent directories are created
    first, and removed again (when still empty) if the block fails. On any exception,
    ``KeyboardInterrupt`` included, the stage is deleted and ``out`` is left as it was.

    Raises:
        ValueError: the stage cannot be created (a read-only or virtual file system, a
            missing permission); ``out`` changed during training so that it may no
            longer be replaced.
    """
    created = _make_parents(out.parent)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}{PARTIAL}", dir=out.parent))
    except OSError as error:
        _remove_empty(created)
        raise ValueError(
            f"--out: expected a place where a directory can be created, got "
            f"{str(out)!r} ({error.strerror or error})"
        ) from None
    try:
        yield stage
        with writing(out):
            for name in os.listdir(stage):  # every file on disk before it becomes visible
                _fsync(stage / name)
            _fsync(stage)
            # mkdtemp creates 0700; a run directory gets the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(stage, 0o777 & ~umask)
            check_out(out)  # nothing foreign arrived in out while training
            _commit(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(created)
        raise


@contextlib.contextmanager
def writing(out: Path) -> Iterator[None]:
    """Turn an ``OSError`` while the run's files are written (a full disk, a file-size
    limit) into a ``ValueError`` that names ``out``: the user's place, not our bug."""
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


def _commit(stage: Path, out: Path) -> None:
    """Rename ``stage`` to ``out``, replacing a previous run whole; Ctrl-C waits for it."""
    with _signals_held():
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
