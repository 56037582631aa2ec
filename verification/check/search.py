"""``check_gradients``: search for a case where the user's gradients are wrong, and explain it.

1. Explore: Hypothesis draws ``examples`` cases inside the scope (``check_cases``); each is
   judged and recorded, none stops the search, so that every flag value is tallied. The
   first call of all is made twice (a function whose two answers to the same case differ
   by more than rounding carries state between calls: no verdict can rest on it; answers
   that differ by rounding alone, summed in another order, are a correct implementation's),
   what every call returns is copied at once, and every call is checked for mutated
   arguments. An exception, a timeout, a call the
   function's signature refuses, a mutated argument or a second answer that differs stops
   the search: no verdict can rest on the rest.
2. Shrink: if a case failed, Hypothesis searches again from the same seed, this time
   stopping at a failure, and shrinks it to the smallest failing case.
3. Explain that case (``diagnose.localise``): every quantity, the smallest prefix that
   fails, the recognised mistakes, autodiff's confirmation, the saved case.

No example database is used (``database=None``), and Hypothesis' other files (its cache
of the constants in the user's source) go to a temporary directory removed afterwards: a
check leaves no ``.hypothesis/`` folder behind.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .conventions import CONVENTIONS
from .harness import (
    MAX_COPY,
    TargetError,
    call,
    load_target,
    mutated,
    snapshot,
    timeouts_work,
)
from .report import CheckReport
from .scope import Scope, describe, make_scope
from .tolerance import NAMES, noise_levels
from .verdict import CaseVerdict, judge

if TYPE_CHECKING:  # the strategy module imports Hypothesis, needed only to search
    from .cases import CheckCase

#: Defaults of ``rnn-ref check``.
DEFAULT_EXAMPLES = 100
DEFAULT_TIMEOUT = 10.0


class _Stop(Exception):
    """Ends the exploration at an exception, a timeout or a broken harness rule."""


class _Failing(Exception):
    """Raised at a failing case in the shrinking run, for Hypothesis to shrink."""


@dataclass
class Trial:
    """One case and what the user's function did with it.

    Attributes:
        kind: ``"agree"``, ``"fail"``, ``"out-of-scope"``, ``"exception"``,
            ``"signature"``, ``"timeout"``, ``"mutated"`` or ``"nondeterministic"``.
        detail: the traceback, or the mutated arguments, or the first difference.
    """

    case: CheckCase
    kind: str
    verdict: CaseVerdict | None = None
    detail: str = ""

    def traceback_line(self) -> str:
        """The last line of the traceback in ``detail``: the exception and its message."""
        lines = self.detail.strip().splitlines()
        return lines[-1] if lines else ""


@dataclass
class Harness:
    """The user's canonical function with everything a call needs."""

    fn: Callable[..., dict]
    reduction: str
    timeout: float | None
    checked_twice: bool = False
    trials: list[Trial] = field(default_factory=list)

    def run(self, case: CheckCase) -> Trial:
        args = case.canonical_args()
        before = snapshot(args)
        outcome = call(self.fn, args, self.timeout)
        if outcome.kind != "ok":
            return Trial(case, outcome.kind, detail=outcome.traceback)
        changed = mutated(before, args)
        if changed:
            return Trial(case, "mutated", detail=", ".join(changed))
        if not self.checked_twice:
            self.checked_twice = True
            again = call(self.fn, case.canonical_args(), self.timeout)
            if again.kind != "ok":
                return Trial(case, again.kind, detail=again.traceback)
            noise = noise_levels(case, self.reduction)
            difference = _first_difference(outcome.value, again.value, noise)
            if difference:
                return Trial(case, "nondeterministic", detail=difference)
        verdict = judge(case, outcome.value, self.reduction)
        return Trial(case, "fail" if verdict.failing else "agree", verdict)


def _first_difference(a: object, b: object, noise: dict[str, float]) -> str:
    """'' if two answers to the same case agree within the rounding noise, else what
    differs, as words for the report.

    A correct implementation may add in another order on each call (a parallel reduction,
    a GPU): its answers differ by rounding, which the checker's noise model bounds
    (``tolerance.noise_levels``, what each answer may differ from the truth by). Answers
    further apart than that carry state from call to call. Only the convention's names
    are compared: a value that is not a dict, a name the convention does not know, or a
    value that is not an array of numbers is malformed whatever the second call says, and
    ``read_result`` reports it as such.
    """
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return ""
    for name in NAMES:
        if (name in a) != (name in b):
            return f"{name} was returned by one call only"
        if name not in a:
            continue
        x, y = _numbers(a[name]), _numbers(b[name])
        if x is None or y is None:
            continue
        if x.shape != y.shape:
            return f"{name} came with shapes {x.shape} and {y.shape}"
        finite = np.isfinite(x) & np.isfinite(y)
        if not np.array_equal(x[~finite], y[~finite], equal_nan=True):
            return f"{name} has NaN or infinity in different places"
        worst = float(np.max(np.abs(x[finite] - y[finite]), initial=0.0))
        if worst > noise[name]:
            # two digits: the doc's transcript of this line must read the same on any CPU
            return (
                f"{name} differs by up to {worst:.1e}, more than the rounding noise allowed "
                f"({noise[name]:.1e})"
            )
    return ""


def _numbers(value: object) -> np.ndarray | None:
    """``value`` as a float64 array, or None when it is not an array of real numbers."""
    try:
        array = np.asarray(value)
    except Exception:
        return None
    if array.dtype.kind not in "fiu" or array.size > MAX_COPY:  # too large: a wrong shape
        return None
    return array.astype(np.float64)


def _settings(examples: int, shrink: bool):
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    return settings(
        database=None,
        max_examples=examples,
        deadline=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
    )


FATAL = ("exception", "signature", "timeout", "mutated", "nondeterministic")


@contextlib.contextmanager
def _private_storage() -> Iterator[None]:
    """Point Hypothesis' storage (default: ``./.hypothesis``) at a temporary directory."""
    from hypothesis import configuration

    where = configuration.storage_directory(intent_to_write=False)
    # A StorageDirectory in recent Hypothesis, the home directory's Path in older ones
    # (6.100, the floor of pyproject.toml).
    previous = getattr(where, "home_directory", where)
    with tempfile.TemporaryDirectory(prefix="rnn-ref-check-") as directory:
        configuration.set_hypothesis_home_dir(directory)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(previous)


def explore(harness: Harness, scope: Scope, examples: int, seed: int) -> list[Trial]:
    """Run ``examples`` cases; stop at the first fatal trial (module docstring, 1)."""
    from hypothesis import given
    from hypothesis import seed as seeded

    from .cases import check_cases

    trials: list[Trial] = []

    @seeded(seed)
    @_settings(examples, shrink=False)
    @given(check_cases(scope))
    def search(case: CheckCase) -> None:
        if trials and trials[-1].kind in FATAL:
            raise _Stop  # Hypothesis replays the failing example: do not call again
        trial = harness.run(case)
        trials.append(trial)
        if trial.kind in FATAL:
            raise _Stop

    from hypothesis.errors import Unsatisfiable

    with _private_storage():
        try:
            search()
        except _Stop:
            pass
        except Unsatisfiable:
            if not trials:
                raise ValueError(
                    "scope: no case could be drawn inside it (every relu case drawn had a "
                    "pre-activation at the kink); widen the scope"
                ) from None
    return trials


def shrink(harness: Harness, scope: Scope, examples: int, seed: int) -> CheckCase | None:
    """The smallest failing case Hypothesis finds from ``seed`` (module docstring, 2)."""
    from hypothesis import given
    from hypothesis import seed as seeded

    from .cases import check_cases

    failing: list[CheckCase] = []

    @seeded(seed)
    @_settings(examples, shrink=True)
    @given(check_cases(scope))
    def search(case: CheckCase) -> None:
        if harness.run(case).kind == "fail":
            failing.append(case)
            raise _Failing

    with _private_storage():
        try:
            search()
        except _Failing:
            pass
        except Exception:  # Hypothesis' own: a final replay that passed (Flaky), ...
            # The user's errors never get here (``Harness.run`` catches them); whatever
            # stopped the shrinking, the last failing case seen is still a failing case.
            pass
    return failing[-1] if failing else None  # the last one is Hypothesis' final replay


#: The longest --timeout (one day): the alarm's timer takes no more than it can count.
DAY = 86_400


def check_gradients(
    fn: Callable | tuple[Callable, ...] | str,
    *,
    convention: str = "canonical",
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    timeout: float | None = DEFAULT_TIMEOUT,
    save_case: str | None = None,
    **scope: object,
) -> CheckReport:
    """Check a user's RNN gradients against ``rnn_ref.gradients`` on drawn cases.

    Args:
        fn: the user's function in ``convention`` (a tuple of functions for conventions
            that take several), or a TARGET string ``path/file.py:name``.
        convention: a name of ``verification.check.conventions.CONVENTIONS``.
        examples: cases drawn (Hypothesis' ``max_examples``).
        seed: the search's seed; the same seed draws the same cases.
        timeout: seconds one call may take (``None``: no limit; SIGALRM, main thread only).
        save_case: where to save the smallest failing case (``.npz``); None: not saved.
        **scope: ``activation``, ``loss``, ``bptt``, ``weights``, ``reduction``, ``h0``,
            ``bias``, ``batch_one``, ``dtype`` (``verification.check.scope.make_scope``)
            and the convention's options (``layout`` for ``layer``).

    Returns:
        A ``CheckReport``; its ``exit_code`` is 0, 1 or 2 as for ``rnn-ref check``.

    Raises:
        ValueError, TypeError: a bad argument (an unknown convention, scope value, ...).
    """
    from .diagnose import localise

    started = time.perf_counter()
    if convention not in CONVENTIONS:
        raise ValueError(
            f"convention: expected one of {', '.join(CONVENTIONS)}, got {convention!r}"
        )
    conv = CONVENTIONS[convention]
    options = {name: scope.pop(name) for name in conv.options if name in scope}
    unknown = sorted(set(scope) - set(inspect.signature(make_scope).parameters))
    if unknown:
        own = f"its options: {', '.join(conv.options)}" if conv.options else "it has none"
        raise TypeError(
            f"{unknown[0]}: expected a scope keyword or an option of the {convention} "
            f"convention ({own}), got {unknown[0]}={scope[unknown[0]]!r}"
        )
    for name, value, low in (("examples", examples, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name}: expected an integer >= {low}, got {value!r}")
    if timeout is not None and not (
        isinstance(timeout, int | float) and not isinstance(timeout, bool) and 0 < timeout <= DAY
    ):
        raise ValueError(
            f"timeout: expected a number of seconds in (0, {DAY}] or None, got {timeout!r}"
        )
    # resolved before any user code runs: a function that calls os.chdir must not move the
    # saved case elsewhere than the report says
    save_to = None if save_case is None else os.path.abspath(save_case)
    user_scope = make_scope(**scope)  # type: ignore[arg-type]
    drawn = conv.restrict(user_scope, options)
    target = fn if isinstance(fn, str) else _name(fn)
    report = CheckReport(target, convention, user_scope, examples=examples, seed=seed)
    report.reproduce = _reproduce(target, convention, user_scope, options, examples, seed)
    if timeout is not None and not timeouts_work():
        report.notes.append("calls are not timed out here (SIGALRM needs the main thread)")
    try:
        if isinstance(fn, str):
            functions = load_target(fn, conv.functions)
        else:
            functions = fn if isinstance(fn, tuple) else (fn,)
            if len(functions) != conv.functions or not all(map(callable, functions)):
                raise TypeError(
                    f"fn: expected {conv.functions} function(s) for the {convention} "
                    f"convention, got {fn!r}"
                )
    except TargetError as error:
        report.status, report.reason = "error", str(error)
        report.seconds = time.perf_counter() - started
        return report
    harness = Harness(conv.wrap(functions, options), user_scope.reduction, timeout)
    trials = explore(harness, drawn, examples, seed)
    localise(report, harness, trials, drawn, examples, seed, save_to, shrink)
    if report.saved_case is not None and save_case is not None:
        report.saved_case = os.fspath(save_case)  # the name as given, relative to the caller
    report.seconds = time.perf_counter() - started
    return report


def assert_gradients_match(
    fn: Callable | tuple[Callable, ...] | str, **kwargs: object
) -> CheckReport:
    """``check_gradients(fn, **kwargs)``, raising ``AssertionError`` with the report as its
    message unless every case agrees: one line in a user's pytest suite."""
    report = check_gradients(fn, **kwargs)  # type: ignore[arg-type]
    if not report.ok:
        raise AssertionError(report.text())
    return report


def _name(fn: object) -> str:
    functions = fn if isinstance(fn, tuple) else (fn,)
    module = getattr(functions[0], "__module__", "?")
    names = ",".join(getattr(f, "__qualname__", repr(f)) for f in functions)
    return f"{module}:{names}"


def _reproduce(target, convention, scope: Scope, options, examples, seed) -> str:
    parts = ["rnn-ref check", target]
    if convention != "canonical":
        parts.append(f"--convention {convention}")
    parts += [f"--{k} {v}" for k, v in options.items() if v is not None]
    flags = describe(scope)
    if flags:
        parts.append(flags)
    parts.append(f"--examples {examples} --seed {seed}")
    return " ".join(parts)
