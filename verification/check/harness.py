"""Calling a user's function safely: loading it, the timeout, and reading what it returns.

Nothing the user's code does may crash the checker: every call goes through ``call``,
which turns an exception, a timeout or ``NotImplementedError`` into an ``Outcome``; and
``read_result`` checks the returned dict (names, shapes, dtypes, finiteness) before any
number of it is compared.

The timeout is ``signal.setitimer(ITIMER_REAL)`` with a SIGALRM handler that raises in
the user's code: exact, no thread left running, but only in the main thread of a POSIX
process. Elsewhere (a worker thread, Windows) calls are not timed out, and the report
says so.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import signal
import stat
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .tolerance import NAMES


class TargetError(ValueError):
    """TARGET cannot be loaded: a one-line reason (exit 2)."""


def load_target(target: str, functions: int = 1) -> tuple[Callable, ...]:
    """The functions named by ``path/to/file.py:f`` or ``package.module:f`` (``:f,g`` for
    two); the working directory is on the import path.

    Raises:
        TargetError: a malformed TARGET, a file or module that does not import, a missing
            or non-callable name, or the wrong number of names.
    """
    where, sep, names_text = target.rpartition(":")
    names = [n.strip() for n in names_text.split(",")] if sep else []
    if not where or not names or not all(n.isidentifier() for n in names):
        raise TargetError(
            f"TARGET: expected path/to/file.py:function or package.module:function, got {target!r}"
        )
    if len(names) != functions:
        raise TargetError(
            f"TARGET: expected {functions} function name{'s' * (functions > 1)} after ':', "
            f"got {len(names)} in {target!r}"
        )
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        _mark("import")
        module = _import(where)
    except TargetError:
        raise
    except BaseException as error:  # the user's module may raise anything, even SystemExit
        parts = traceback.format_exception_only(type(error), error)
        # a SyntaxError comes with its line of source and a caret: its last part says what;
        # any other exception's message is kept whole (printed with its newlines escaped)
        line = (parts[-1] if isinstance(error, SyntaxError) else "".join(parts)).strip()
        raise TargetError(f"TARGET: importing {where} failed: {line}") from None
    finally:
        _mark("done")
    found = []
    for name in names:
        fn = getattr(module, name, None)
        if not callable(fn):
            raise TargetError(f"TARGET: {where} has no function {name!r}")
        found.append(fn)
    return tuple(found)


def _import(where: str):
    if where.endswith(".py") or "/" in where or "\\" in where:
        path = Path(where)
        if not path.is_file():
            what = _what_is(path)
            if what is None:
                raise TargetError(f"TARGET: no such file: {where}")
            raise TargetError(f"TARGET: {where} is {what}, expected a Python file (.py)")
        name = f"{_MODULE_PREFIX}{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise TargetError(f"TARGET: cannot import {where} (expected a .py file)")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses and pickling look modules up here
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(where)


#: TARGET's file ``mine.py`` is imported as the module ``_rnn_ref_check_mine``.
_MODULE_PREFIX = "_rnn_ref_check_"


def _what_is(path: Path) -> str | None:
    """What is at ``path``, which is not a regular file: a directory, a device...; None
    for nothing."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as error:  # a loop of links, a path through a file, no permission
        return f"a path that cannot be read ({error.strerror})"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (a named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class _Timeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that the user's ``except
    Exception`` cannot swallow it."""


def timeouts_work() -> bool:
    """Whether ``call`` can time out here: SIGALRM exists and this is the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@dataclass
class Outcome:
    """What one call did.

    Attributes:
        kind: ``"ok"``, ``"out-of-scope"`` (NotImplementedError), ``"exception"``,
            ``"signature"`` (a TypeError from the call itself: the function cannot be
            called with these arguments) or ``"timeout"``.
        value: the returned value (``"ok"`` only).
        traceback: the user's traceback, our frames removed (``"exception"``,
            ``"signature"``).
    """

    kind: str
    value: object = None
    traceback: str = ""


def call(fn: Callable, args: tuple, timeout: float | None) -> Outcome:
    """``fn(*args)``, never raising: its value, or what went wrong.

    The alarm repeats every ``_REPEAT`` seconds after ``timeout`` until the call returns,
    so a retry loop whose bare ``except:`` swallowed the first ``_Timeout`` meets another;
    it is armed inside the ``try``, so that a timeout shorter than the set-up is caught too.
    """
    use_alarm = timeout is not None and timeouts_work()
    armed = [use_alarm]
    previous = None

    def alarm(signum, frame):
        if armed[0]:
            raise _Timeout

    _mark("call")
    try:
        if use_alarm:
            previous = signal.signal(signal.SIGALRM, alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout, _REPEAT)
        value = freeze(fn(*args))  # copied before anything else can change it
        armed[0] = False
        return Outcome("ok", value)
    except _Timeout:
        return Outcome("timeout")
    except NotImplementedError:
        return Outcome("out-of-scope")
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # sys.exit(), GeneratorExit, BaseException: no verdict
        tb = error.__traceback__.tb_next if error.__traceback__ else None  # drop this frame
        text = "".join(traceback.format_exception(type(error), error, tb))
        # No frame of the user's left: the call itself failed, before the function ran.
        kind = "signature" if isinstance(error, TypeError) and tb is None else "exception"
        return Outcome(kind, traceback=text)
    finally:
        armed[0] = False
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if previous is not None:
                signal.signal(signal.SIGALRM, previous)
        _mark("done")


#: After the first alarm of a call, the next ones come this often (seconds).
_REPEAT = 0.05
#: Called with "import", "call" and "done" around the user's code, or None. The isolated
#: CLI run (``isolated.py``) reports these to its parent, which bounds every call and the
#: import whatever the user's code does with signals.
_progress: Callable[[str], None] | None = None


def set_progress(progress: Callable[[str], None] | None) -> None:
    """Report ``"import"``, ``"call"`` and ``"done"`` to ``progress`` (None: to nobody)."""
    global _progress
    _progress = progress


def _mark(what: str) -> None:
    if _progress is not None:
        with contextlib.suppress(OSError):  # the parent is gone: it will judge nothing
            _progress(what)


def snapshot(args: tuple) -> tuple:
    """A deep copy of the arguments, to find out later whether a call changed them."""
    return copy.deepcopy(args)


def mutated(before: tuple, after: tuple) -> list[str]:
    """The arguments (``params["W_hh"]``, ``xs``, ...) whose values changed."""
    names = ("params", "xs", "targets", "spec", "h0", "weights")
    changed = []
    for name, a, b in zip(names, before, after, strict=True):
        if isinstance(a, dict):
            keys = sorted(set(a) | set(b), key=str)
            changed += [f'{name}["{k}"]' for k in keys if not same_value(a.get(k), b.get(k))]
        elif not same_value(a, b):
            changed.append(name)
    return changed


def same_value(a: object, b: object) -> bool:
    """Whether two arguments or results are identical (arrays: shape, dtype and values;
    dicts, lists and tuples: item by item). Never raises: two values that cannot be
    compared (an array-like whose ``==`` is not a bool, nesting past ``MAX_DEPTH``, an
    ``__eq__`` that fails) are not the same."""
    try:
        return _same(a, b, 0)
    except Exception:  # RecursionError, a torch tensor's ambiguous truth value, ...
        return False


def _same(a: object, b: object, depth: int) -> bool:
    if a is b:
        return True
    if depth > MAX_DEPTH:
        return False
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
        )
    equal = a == b
    if isinstance(equal, bool | np.bool_):
        return bool(equal)
    return bool(np.all(np.asarray(equal)))  # an array-like's elementwise answer


#: How deep a returned value is copied (``freeze``) and compared (``same_value``): no array
#: nests deeper (NumPy stops at 64 dimensions), and deeper would end in a RecursionError.
MAX_DEPTH = 64


#: The most numbers ``freeze`` copies from one returned array (128 MiB of float64).
MAX_COPY = 2**24


def freeze(value: object, depth: int = 0) -> object:
    """A copy of what a call returned, taken as it returns: a buffer returned by reference
    and changed by the next call (``self.dW += ...; return self.dW``) would otherwise
    change an answer already given. Arrays and array-likes (a torch tensor) are copied
    into NumPy arrays, dicts, lists and tuples item by item, anything else deep-copied
    when it can be; what cannot be copied (a generator) is kept as it came."""
    if isinstance(value, np.ndarray):
        # no quantity of a check case comes near MAX_COPY numbers: a larger array (a view
        # broadcast to 10^12 entries) has the wrong shape, which read_result reports
        # without the copy that would exhaust memory
        return value.copy() if value.size <= MAX_COPY else value
    if isinstance(value, int | float | str | bytes | bool | None):
        return value
    if depth > MAX_DEPTH:
        return value  # no array of ours: read_result reports it
    if isinstance(value, dict):
        return {k: freeze(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        copied = [freeze(v, depth + 1) for v in value]
        return copied if isinstance(value, list) else tuple(copied)
    if hasattr(value, "__array__"):
        try:
            return np.array(value, copy=True)
        except Exception:  # a tensor that requires grad: read_result says so
            pass
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def describe(value: object) -> str:
    """What a value is, in a few words: ``a generator``, ``a tuple of 5``, ``None``."""
    if value is None:
        return "None"
    kind = type(value)
    name = kind.__qualname__
    if kind.__module__ != "builtins":  # a class of the user's, a torch.Tensor
        return f"an object of type {kind.__module__.removeprefix(_MODULE_PREFIX)}.{name}"
    if isinstance(value, tuple | list | dict):
        return f"a {name} of {len(value)}"
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"


@dataclass
class Result:
    """A user's returned dict, read and checked.

    Attributes:
        values: float64 arrays by canonical name, for the names returned well-formed.
        problems: one line per returned value that is malformed (not a dict, an unknown
            name, a wrong shape or dtype, NaN or infinity).
        malformed: the names whose value is malformed (each has a line in ``problems``).
        batch_axis: names returned with an extra leading batch axis (B, *shape).
        ignored: returned names that are not the canonical ones.
        raw: every canonical name returned as an array, as it came (for fingerprints).
    """

    values: dict[str, np.ndarray] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)
    batch_axis: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    raw: dict[str, np.ndarray] = field(default_factory=dict)

    def problem(self, name: str, what: str) -> None:
        self.malformed.append(name)
        self.problems.append(f"{name}: {what}")


def read_result(value: object, truth: dict[str, np.ndarray], dtype: str) -> Result:
    """Check the returned value against the shapes of ``truth`` (module docstring)."""
    result = Result()
    if not isinstance(value, dict):
        result.problems.append(
            f"the function returned {describe(value)}, expected a dict of the quantities by "
            f"name ({', '.join(NAMES)})"
        )
        return result
    B = truth["h0"].shape[0]
    for key, v in value.items():
        if key not in NAMES:
            # a gradient under another name (dW_xh, Wxh) would go unchecked while the rest
            # agrees: an unknown name makes the result malformed, not ignored
            result.ignored.append(str(key))
            result.problems.append(
                f"{str(key)[:40]!r}: not a name of this convention (expected {', '.join(NAMES)})"
            )
            continue
        try:
            a = np.asarray(v)
        except Exception as error:  # an array-like that fails to convert
            result.problem(key, f"expected an array, got {type(v).__name__} ({error})")
            continue
        result.raw[key] = a
        if a.dtype.kind not in "fiu" or (a.dtype.kind in "iu" and key != "loss"):
            result.problem(key, f"expected a float array, got dtype {a.dtype}")
            continue
        if dtype == "float64" and a.dtype.kind == "f" and a.dtype != np.float64:
            result.problem(
                key, f"expected float64 (the arrays passed in are float64), got {a.dtype}"
            )
            continue
        want = truth[key].shape
        if a.shape != want:
            if key != "loss" and a.shape == (B, *want):
                result.batch_axis.append(key)
                a = a.sum(axis=0)
            elif key == "loss" and a.size == 1:
                a = a.reshape(())
            else:
                result.problem(key, f"expected shape {want}, got {a.shape}")
                continue
        a = a.astype(np.float64)
        if not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a))[0] if a.ndim else ()
            result.problem(
                key,
                f"{int(np.sum(~np.isfinite(a)))} non-finite value(s) (NaN or inf), the first "
                f"{float(a[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}",
            )
            continue
        result.values[key] = a
    return result
