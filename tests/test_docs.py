"""The docs cannot rot.

- Every ```python block of README.md and docs/*.md runs. The blocks of one file run in order
  in one namespace, like a notebook; a ```text block right after a python block is what that
  block prints, and must match its stdout exactly.
- Every equation of docs/bptt.md and docs/truncation.md is tagged in rnn_ref (``# (9)``) and
  is linked to that code from its page (``{{ code: 9 }}``, see docs/hooks/equations.py).
- README.md and docs/index.md show the two commands verbatim.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.printed  # docs/reliability.md: the numbers we print

ROOT = Path(__file__).resolve().parents[1]
DOCS = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))] if p.exists()]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
COMMANDS = (
    "python3 -m venv .venv && .venv/bin/pip install '.[verify]' && .venv/bin/rnn-ref verify",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest",
)


@dataclass
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    code: str
    expected: str | None  # the text block right after it, if any

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def python_blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    blocks = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        after = fences[i + 1] if i + 1 < len(fences) else None
        follows = after is not None and not text[fence.end() : after.start()].strip()
        expected = after.group(2) if follows and after.group(1) == "text" else None
        line = text.count("\n", 0, fence.start()) + 1
        blocks.append(Block(path, line, fence.group(2), expected))
    return blocks


BLOCKS = [block for path in DOCS for block in python_blocks(path)]
DEFAULT_PRINTOPTIONS = np.get_printoptions()


@dataclass
class Notebook:
    """The shared namespace of one file's blocks, and how many of them have run."""

    namespace: dict = field(default_factory=lambda: {"__name__": "__docs__"})
    done: int = 0
    printoptions: dict = field(default_factory=lambda: dict(DEFAULT_PRINTOPTIONS))

    def run(self, block: Block) -> str:
        """Run ``block`` and return its stdout; NumPy's print options stay in this file."""
        # Leading newlines make a traceback show the line number within the markdown file.
        code = compile("\n" * block.line + block.code, block.name, "exec")
        stdout = io.StringIO()
        with np.printoptions(**self.printoptions), contextlib.redirect_stdout(stdout):
            exec(code, self.namespace)
            self.printoptions = np.get_printoptions()
        return stdout.getvalue()


NOTEBOOKS: dict[Path, Notebook] = {}


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_code_block(block: Block) -> None:
    blocks = [b for b in BLOCKS if b.path == block.path]
    index = blocks.index(block)
    notebook = NOTEBOOKS.setdefault(block.path, Notebook())
    if notebook.done > index:  # already run (e.g. the test is repeated): start afresh
        notebook = NOTEBOOKS[block.path] = Notebook()
    for earlier in blocks[notebook.done : index]:  # when run alone, e.g. with -k
        try:
            notebook.run(earlier)
        except Exception as error:
            pytest.fail(f"an earlier block, {earlier.name}, failed: {error!r}")
    notebook.done = index + 1
    stdout = notebook.run(block)
    if block.expected is not None:
        assert stdout == block.expected, f"{block.name} printed something else than its text block"


def _load_hook():
    spec = importlib.util.spec_from_file_location("docs_hook", ROOT / "docs/hooks/equations.py")
    hook = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hook  # dataclasses look their module up here
    spec.loader.exec_module(hook)
    return hook


HOOK = _load_hook()
TAGS = HOOK.all_tags()
PAGE_OF = {label: "bptt.md" if label.isdigit() else "truncation.md" for label in HOOK.EQUATIONS}


@pytest.mark.parametrize("label", HOOK.EQUATIONS)
def test_equation_is_tagged_in_the_code(label: str) -> None:
    assert any(tag.equation == label for tag in TAGS), (
        f"no comment in rnn_ref is tagged '# ({label})': tag the line that computes it"
    )


@pytest.mark.parametrize("label", HOOK.EQUATIONS)
def test_equation_is_numbered_and_linked_in_its_page(label: str) -> None:
    page = (ROOT / "docs" / PAGE_OF[label]).read_text(encoding="utf-8")
    assert f"\\tag{{{label}}}" in page, f"docs/{PAGE_OF[label]} does not number ({label})"
    linked = {m.group(1) for m in HOOK.PLACEHOLDER.finditer(page)}
    assert label in linked, f"docs/{PAGE_OF[label]} has no {{{{ code: {label} }}}}"


def test_every_tag_names_an_equation_of_the_docs() -> None:
    unknown = [t for t in TAGS if t.equation not in HOOK.EQUATIONS]
    assert not unknown, f"tags for equations the docs do not have: {unknown}"


@pytest.mark.parametrize("path", ["README.md", "docs/index.md"])
def test_the_two_commands_are_shown_verbatim(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    for command in COMMANDS:
        assert command in text, f"{path} does not show: {command}"
