"""The Learning pages send a student to places that exist.

- Every link into docs/mistakes.md (``mistakes.md#some-id``) names an anchor that the gallery
  defines (``{#some-id}``): the symptom table of not-learning.md is only useful if its links
  land. mkdocs checks anchors too, but only when the site is built; this runs in a second.
- names.md names and links each tutorial it promises, and each tutorial's section compares
  gradients on the page: a python block that calls ``agree(...)`` and prints True (some
  also print False, where the page shows what a wrong rule computes).
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest

# they read docs/mistakes.md, a stored text: run again on other BLAS kernels with the rest
pytestmark = pytest.mark.printed

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
MISTAKE_LINK = re.compile(r"\(mistakes\.md#([\w-]+)\)")
ANCHOR = re.compile(r"\{#([\w-]+)\}")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# section heading of names.md -> what its text must link or name
TUTORIALS = {
    "## min-char-rnn": "https://gist.github.com/karpathy/d4dee566867f8291f086",
    "## CS231n `rnn_layers.py`": "rnn_layers.py",
    "## WildML, parts 2 and 3": "recurrent-neural-networks-tutorial-part-3",
    "## d2l.ai: Backpropagation Through Time": "https://d2l.ai/chapter_recurrent-neural-networks/bptt.html",
    "## deeplearning.ai: Step by Step": "Building your Recurrent Neural Network - Step by Step",
    "## Deep Learning, section 10.2.2": "https://www.deeplearningbook.org/contents/rnn.html",
}


def _anchors() -> set[str]:
    return set(ANCHOR.findall((ROOT / "docs" / "mistakes.md").read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_every_link_into_the_gallery_lands_on_an_anchor(page: Path) -> None:
    linked = set(MISTAKE_LINK.findall(page.read_text(encoding="utf-8")))
    missing = sorted(linked - _anchors())
    assert not missing, f"docs/{page.name} links to mistakes.md anchors that are not: {missing}"


def test_the_symptom_table_links_into_the_gallery() -> None:
    text = (ROOT / "docs" / "not-learning.md").read_text(encoding="utf-8")
    table = text[text.index("## Symptom → cause") :]
    linked = set(MISTAKE_LINK.findall(table))
    assert len(linked) >= 10, f"the symptom table links only {sorted(linked)}"
    assert linked <= _anchors()


def test_the_link_check_can_fail() -> None:
    assert "no-such-mistake" not in _anchors()
    assert MISTAKE_LINK.findall("see [x](mistakes.md#no-such-mistake).") == ["no-such-mistake"]


@pytest.mark.parametrize("heading", TUTORIALS)
def test_each_tutorial_is_linked_and_compared_at_the_gradient(heading: str) -> None:
    text = (ROOT / "docs" / "names.md").read_text(encoding="utf-8")
    assert TUTORIALS[heading] in text, f"names.md does not name or link {TUTORIALS[heading]}"
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else len(text)]
    fences = list(FENCE.finditer(section))
    outputs = [
        after.group(2)
        for fence, after in pairwise(fences)
        if fence.group(1) == "python" and after.group(1) == "text"
    ]
    assert any("True" in out for out in outputs), f"{heading}: no executed comparison"
    assert any("agree(" in f.group(2) for f in fences), f"{heading}: no gradient compared"
