"""Test settings: Hypothesis profiles, chosen by the HYPOTHESIS_PROFILE variable, and a tally.

- ``dev`` (the default): 10 examples per property test (the twin test draws 4x that),
  ~130 in all, ~20 s for the property tests, most of it JAX compilation.
- ``ci``: derandomized (the same examples on every run), no example database, prints a
  reproduction blob on failure; 200 examples per property test, scaled per test, 2,550
  over the whole suite (``docs/verification.md``, "Hypothesis profiles").
- ``thorough``: 2,000 per property test, random, for long runs by hand.

``deadline=None`` everywhere: the first call of a twin program compiles it (~1 s).

The twin's persistent compilation cache goes to a temporary directory of the session
(``RNN_REF_JAX_CACHE``, inherited by the processes that tests start), never to the user's.

The ``tally`` fixture counts the examples that the property tests run, per test and per
activation x loss x truncation mode; the terminal summary prints the counts and the worst
relative errors that the tests reported, so that the coverage of a CI run is visible.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from verification.strategies import COMBINATIONS, Case

settings.register_profile("dev", max_examples=10, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


class Tally:
    """Examples per test and per combination, and the worst error of each kind."""

    def __init__(self) -> None:
        self.tests: Counter[str] = Counter()
        self.combinations: Counter[str] = Counter()
        self.worst: dict[str, tuple[float, str]] = defaultdict(lambda: (0.0, ""))

    def record(self, test: str, *cases: Case) -> None:
        """Count one example of ``test``, and the combination of each case it checks."""
        self.tests[test] += 1
        self.combinations.update(case.combination for case in cases)

    def error(self, kind: str, value: float, where: str = "") -> None:
        """Keep the largest ``value`` reported under ``kind``."""
        if value > self.worst[kind][0]:
            self.worst[kind] = (value, where)

    def lines(self) -> list[str]:
        total = sum(self.tests.values())
        lines = [f"hypothesis examples: {total} in {len(self.tests)} property tests"]
        lines += [f"  {count:5d}  {test}" for test, count in sorted(self.tests.items())]
        if self.combinations:
            counts = [self.combinations[c] for c in COMBINATIONS]
            lines.append(
                f"examples per activation/loss/mode ({len(COMBINATIONS)} combinations): "
                f"min {min(counts)}, max {max(counts)}"
            )
            lines += [
                "  " + "  ".join(f"{c} {self.combinations[c]}" for c in COMBINATIONS[i : i + 3])
                for i in range(0, len(COMBINATIONS), 3)
            ]
        for kind, (value, where) in sorted(self.worst.items()):
            lines.append(f"worst {kind}: {value:.2e}  ({where})")
        return lines


TALLY = Tally()


@pytest.fixture(scope="session", autouse=True)
def jax_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The directory of the twin's persistent compilation cache for this session."""
    directory = tmp_path_factory.mktemp("jax-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNN_REF_JAX_CACHE", str(directory))
        yield directory


@pytest.fixture(scope="session")
def golden_vectors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One golden-vector suite written for the session (tests that change files copy it)."""
    from verification.vectors import write_suite

    out = tmp_path_factory.mktemp("vectors") / "suite"
    write_suite(out)
    return out


@pytest.fixture(scope="session")
def tally() -> Tally:
    """The session's ``Tally`` (session-scoped, so Hypothesis may share it across examples)."""
    return TALLY


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if TALLY.tests:
        terminalreporter.section("property tests")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
