"""The command transcripts of the docs are what the commands print today.

A ```console block holding one ``$ rnn-ref ...`` command, followed right away by a ```text
block, is a transcript: the command runs (as ``python -m rnn_ref ...``, from the repository
root) and must print the text block, line for line. One exception: the closing ``check, max
|sum above - rnn_ref.gradients|: ...`` line of ``explain`` reports rounding differences whose
exact values depend on the BLAS and the order in which it adds, so there the names must match
and every difference must stay below 1e-14 on both sides.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.printed  # docs/reliability.md: the numbers we print

ROOT = Path(__file__).resolve().parents[1]
DOCS = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if p.exists()]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
ROUNDING = re.compile(r"(\w+) (\d\.\de[-+]\d+)")
ROUNDING_LINE = "check, max |sum above - rnn_ref.gradients|:"


@dataclass
class Transcript:
    path: Path
    line: int
    args: list[str]
    printed: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def transcripts(path: Path) -> list[Transcript]:
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    found = []
    for fence, after in itertools.pairwise(fences):
        command = fence.group(2).strip()
        follows = not text[fence.end() : after.start()].strip()
        if fence.group(1) != "console" or after.group(1) != "text" or not follows:
            continue
        assert command.startswith("$ rnn-ref ") and "\n" not in command, (
            f"{path.name}: a transcript runs one '$ rnn-ref ...' command, not {command!r}"
        )
        line = text.count("\n", 0, fence.start()) + 1
        found.append(Transcript(path, line, shlex.split(command)[2:], after.group(2)))
    return found


TRANSCRIPTS = [t for path in DOCS for t in transcripts(path)]


def _rounding(line: str) -> dict[str, float]:
    return {name: float(value) for name, value in ROUNDING.findall(line)}


def test_the_docs_have_a_transcript() -> None:
    """docs/bptt.md shows `rnn-ref explain` at T = 2: this test must not be vacuous."""
    assert any(t.path.name == "bptt.md" and t.args[0] == "explain" for t in TRANSCRIPTS)


@pytest.mark.parametrize("transcript", TRANSCRIPTS, ids=[t.name for t in TRANSCRIPTS])
def test_transcript_is_what_the_command_prints(transcript: Transcript) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "rnn_ref", *transcript.args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{transcript.name}: the command failed: {done.stderr}"
    printed, shown = done.stdout.splitlines(), transcript.printed.splitlines()
    assert len(printed) == len(shown), (
        f"{transcript.name}: {len(printed)} lines, shown {len(shown)}"
    )
    for number, (got, doc) in enumerate(zip(printed, shown, strict=True), start=1):
        if got.startswith(ROUNDING_LINE) and doc.startswith(ROUNDING_LINE):
            ours, theirs = _rounding(got), _rounding(doc)
            assert ours.keys() == theirs.keys(), f"{transcript.name}: line {number}: {got}"
            assert max(ours.values()) < 1e-14, f"{transcript.name}: line {number}: {got}"
            assert max(theirs.values()) < 1e-14, f"{transcript.name}: line {number}: {doc}"
        else:
            assert got == doc, f"{transcript.name}: line {number} prints {got!r}, shown {doc!r}"
