"""Files written whole or not at all.

A reader must never find half a file where we write one: a full disk, a file-size limit,
Ctrl-C or a crash in the middle of a write must leave the old file (or no file) in place.
So every file is written to a temporary file in the same directory, flushed to disk, and
renamed over its final name with ``os.replace``, which POSIX makes atomic within one file
system (the same directory guarantees one file system).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit, move it over ``path``.

    On an exception (including ``KeyboardInterrupt``) the temporary file is removed and
    ``path`` is untouched. ``mode`` is ``"wb"`` or ``"w"`` (UTF-8 text).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode: expected 'wb' or 'w', got {mode!r}")
    path = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        # mkstemp creates the file 0600; a written file gets the usual permissions.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
