"""How the twin's JAX programs run: in float64, and compiled once per machine, not per process.

Every public entry point of ``verification.twin``, ``verification.oracles`` and
``verification.crosscheck`` that runs JAX runs inside ``jax_scope()``, which sets up two
things for the duration of the call and undoes both on the way out:

1. **float64**, by ``jax.enable_x64(True)``, a thread-local setting. The user's own JAX code
   keeps its default (float32) before, after and beside our calls. JAX keys its compiled
   programs on this setting: a program traced inside the scope (float64) is never reused
   outside it, nor the other way round, and a second call inside the scope finds the
   program the first one compiled.
2. **A persistent compilation cache** in our own directory (``cache_dir()``): a later
   process loads the compiled programs from disk instead of compiling them again (~0.4 s
   each on a quiet machine; 30 of them for ``rnn-ref verify``, which then takes a third of
   the CPU time, ``docs/verification.md``). JAX keeps one persistent cache per process and
   reads its directory when it first compiles, so the scope swaps caches: on entry it
   points JAX at our directory and lowers the minimum compile time of an entry to 0 (JAX's
   default of 1 s would keep none of our programs) and the minimum entry size to none; on
   exit it restores the four settings it changed and drops the cache object, so that the
   user's next compilation opens the user's own cache again, or none. The swap costs 20
   to 50 us of CPU time per call, against ~600 us for a twin gradient. Only the outermost
   scope swaps (entry points call one another), and one thread at a time runs inside it:
   JAX's cache settings are process-wide, so a program that *another* thread compiles
   while we are inside the scope would use our cache.

The cache directory, in order of precedence: ``configure_cache(...)`` (the CLI's
``--no-jax-cache`` calls ``configure_cache(False)``); the environment variable
``RNN_REF_JAX_CACHE`` (``0`` turns the cache off, any other value is the directory);
``$XDG_CACHE_HOME/rnn-ref/jax``, or ``~/.cache/rnn-ref/jax`` when XDG_CACHE_HOME is unset.
A directory named explicitly that cannot be created is a ``ValueError``; when the default
cannot be created (a read-only home), the programs run without a persistent cache.

JAX writes the entries itself, one file per compiled program, and trusts them: it loads
executable code from that directory, so it must not be writable by anyone else.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ParamSpec, TypeVar

import jax
from jax.experimental.compilation_cache import compilation_cache

#: The environment variable that names the cache directory, or turns the cache off with 0.
CACHE_ENV = "RNN_REF_JAX_CACHE"

#: The JAX settings that the scope changes while it holds our cache, and their values
#: there: no minimum compile time (ours take ~0.4 s) and no minimum entry size.
_CACHE_SETTINGS = {
    "jax_enable_compilation_cache": True,
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": -1,
}

#: What ``configure_cache`` chose: None (the environment decides), False or a directory.
_choice: Path | bool | None = None
#: The directories already created (or found) in this process.
_made: set[Path] = set()

#: The outermost scope swaps the cache; nested scopes (an entry point calling another)
#: find it in place. One thread at a time (see the module docstring).
_lock = threading.RLock()
_depth = 0

P = ParamSpec("P")
R = TypeVar("R")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rnn-ref/jax``, or ``~/.cache/rnn-ref/jax`` without XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rnn-ref" / "jax"


def _created(directory: Path, name: str) -> Path:
    """``directory``, created if missing; a ValueError naming ``name`` if that fails."""
    if directory in _made:  # once per process, not a system call per twin call
        return directory
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"{name}: expected a directory for the JAX compilation cache, got "
            f"{str(directory)!r} ({error.strerror or type(error).__name__})"
        ) from None
    _made.add(directory)
    return directory


def configure_cache(enabled: bool | str | os.PathLike | None) -> None:
    """Choose where the twin's compiled programs persist, for the rest of the process.

    Args:
        enabled: ``False``: no persistent cache (every process compiles again).
            ``True``: the default directory, ``default_cache_dir()``, whatever
            ``RNN_REF_JAX_CACHE`` says. A path: that directory (created if missing).
            ``None``: back to the environment's choice (``RNN_REF_JAX_CACHE``, else the
            default directory).

    Raises:
        TypeError: ``enabled`` is none of these.
        ValueError: the directory cannot be created.
    """
    global _choice
    if enabled is None or isinstance(enabled, bool):
        _choice = enabled if enabled is not True else default_cache_dir()
    elif isinstance(enabled, str | os.PathLike):
        if not os.fspath(enabled):
            raise ValueError("enabled: expected True, False, None or a directory, got ''")
        _choice = _created(Path(enabled), "enabled")
    else:
        raise TypeError(
            f"enabled: expected True, False, None or a directory path, "
            f"got {type(enabled).__name__} {enabled!r}"
        )


def cache_dir() -> Path | None:
    """The directory of the persistent compilation cache, created; None when it is off.

    Raises:
        ValueError: ``RNN_REF_JAX_CACHE`` names a directory that cannot be created.
    """
    if _choice is False:
        return None
    if isinstance(_choice, Path):
        return _created(_choice, "enabled")
    setting = os.environ.get(CACHE_ENV, "")
    if setting == "0":
        return None
    if setting:
        return _created(Path(setting), CACHE_ENV)
    try:
        return _created(default_cache_dir(), "the default cache directory")
    except ValueError:
        return None  # a read-only home: run without the cache rather than not at all


class _Quiet(logging.Filter):
    """Drops the records of JAX's cache logger while ``on``: our resets, twice per call."""

    on = False

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.on


_quiet = _Quiet()
logging.getLogger(compilation_cache.reset_cache.__module__).addFilter(_quiet)


def _drop_cache() -> None:
    """Drop JAX's cache object: the next compilation opens the directory configured then.

    JAX opens its cache once, from the directory set when it first compiles. Its reset
    logs a line at INFO level, which a user logging at INFO would otherwise see twice per
    twin call. (A filter, not ``setLevel``: that clears every logger's cache, ~70 us.)
    """
    _quiet.on = True
    try:
        compilation_cache.reset_cache()
    finally:
        _quiet.on = False


@contextlib.contextmanager
def _persistent_cache(directory: Path) -> Iterator[None]:
    """JAX's persistent compilation cache in ``directory``, and the user's back on exit."""
    names = ["jax_compilation_cache_dir", *_CACHE_SETTINGS]
    saved = {name: getattr(jax.config, name) for name in names}
    _drop_cache()
    try:
        jax.config.update("jax_compilation_cache_dir", str(directory))
        for name, value in _CACHE_SETTINGS.items():
            jax.config.update(name, value)
        yield
    finally:
        _drop_cache()
        for name, value in saved.items():
            jax.config.update(name, value)


@contextlib.contextmanager
def jax_scope() -> Iterator[None]:
    """Run the JAX code inside in float64, with our persistent compilation cache.

    Re-entrant: only the outermost scope sets up the cache. The module docstring says what
    changes and what is restored.

    Raises:
        ValueError: ``RNN_REF_JAX_CACHE`` names a directory that cannot be created.
    """
    global _depth
    with _lock, contextlib.ExitStack() as stack:
        if _depth == 0 and (directory := cache_dir()) is not None:
            stack.enter_context(_persistent_cache(directory))
        stack.enter_context(jax.enable_x64(True))
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1


def in_jax_scope(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run inside ``jax_scope()``: the decorator of the public entry points."""

    @functools.wraps(function)
    def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        with jax_scope():
            return function(*args, **kwargs)

    return scoped
