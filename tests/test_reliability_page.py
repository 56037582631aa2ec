"""docs/reliability.md states how many fault cases the suite tries: the true counts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The page's groups of fault cases, by the test files that hold them.
GROUPS = {
    "on the runs we write": ("tests/test_faults_runs.py",),
    "on the files we read": (
        "tests/test_faults_files.py",
        "tests/test_casefile.py",
        "tests/test_atomic.py",
    ),
    "on the numbers": ("tests/test_faults_numbers.py",),
    "on explain's case files": ("tests/test_faults_explain.py",),
    "on the golden vectors": ("tests/test_faults_vectors.py",),
    "on the checker's verdicts": ("tests/test_faults_check.py", "tests/test_faults_isolated.py"),
}


def test_the_page_gives_the_true_count_of_fault_cases() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "fault", "tests"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    per_file = Counter(line.split("::")[0] for line in result.stdout.splitlines() if "::" in line)
    assert sum(per_file.values()) > 200, result.stdout[-2000:]
    grouped = {name: sum(per_file[f] for f in files) for name, files in GROUPS.items()}
    assert set(per_file) <= {f for files in GROUPS.values() for f in files}, per_file
    page = " ".join((ROOT / "docs" / "reliability.md").read_text(encoding="utf-8").split())
    assert f"**{sum(per_file.values())} fault cases in all**" in page
    for name, count in grouped.items():
        assert re.search(rf"\b{count} {name}", page), (name, count)
