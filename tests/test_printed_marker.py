"""Every test that compares computed numbers with a stored or printed text is marked
``printed``, so that ``.ci/run`` runs it again on other OpenBLAS kernels (docs/reliability.md,
"Across machines").

The stored texts that hold computed floats: the code blocks of the docs and the text blocks
after them (``BLOCKS`` of tests/test_docs.py), the command transcripts (``TRANSCRIPTS``),
docs/mistakes.md and the numbers behind the Learning figures (``STORED``,
docs/img/teaching_figures.json). A test that names one of them, in its body or its
decorators, must carry the mark, itself or through its module's ``pytestmark``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
STORED_TEXT = re.compile(r"\bBLOCKS\b|\bTRANSCRIPTS\b|mistakes\.md|\bSTORED\b|teaching_figures")


def _marked(node: ast.AST, source: str) -> bool:
    return "printed" in (ast.get_source_segment(source, node) or "")


def unmarked() -> list[str]:
    found = []
    for path in sorted(TESTS.glob("test_*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        module_marked = any(
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            and _marked(node.value, source)
            for node in tree.body
        )
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            text = "\n".join(
                ast.get_source_segment(source, n) or "" for n in [*node.decorator_list, node]
            )
            marked = module_marked or any(_marked(d, source) for d in node.decorator_list)
            if STORED_TEXT.search(text) and not marked:
                found.append(f"{path.name}::{node.name}")
    return found


def test_every_test_that_reads_a_stored_text_is_marked_printed() -> None:
    assert unmarked() == [], "mark these @pytest.mark.printed (docs/reliability.md)"


def test_the_guard_sees_the_tests_it_guards() -> None:
    """Not vacuous: without the marks, the tests of the stored texts would be listed."""
    source = (TESTS / "test_mistakes.py").read_text(encoding="utf-8")
    assert "@pytest.mark.printed\ndef test_the_page_is_up_to_date" in source
    assert STORED_TEXT.search(source.split("def test_the_page_is_up_to_date", 1)[1][:400])
