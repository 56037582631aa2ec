"""Fault cases of ``rnn-ref explain`` on a hostile case file (docs/reliability.md counts them).

A case file's comment is untrusted text that the HTML page sets as MathML, and the reader
of that notation recurses once per script level. A comment nested thousands deep used to
end in a RecursionError after part of the page was written. Its maths is now bounded
(``MAX_NESTING``) when the file is read: one line, exit 2, nothing on stdout, in every
format, and no ``--save-case`` written either.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import rnn_ref
from rnn_ref import cli
from rnn_ref.explain import ExplainConfig, build_case
from rnn_ref.explain.mathml import to_mathml
from rnn_ref.explain.text import MAX_NESTING, script_depth

pytestmark = pytest.mark.fault

DEEP = 3000
#: Maths nested DEEP levels, each way the reader can be made to recurse: braces, brackets,
#: groups never closed, a closing of the other kind (which the reader does not count), and
#: braces and brackets in turn.
HOSTILE = {
    "braces": "x_{" * DEEP + "x" + "}" * DEEP,
    "brackets": "x^(" * DEEP + "x" + ")" * DEEP,
    "never-closed": "x_{" * DEEP + "x",
    "other-closing": "x_{)" * DEEP,
    "alternating": "x_{y^(" * (DEEP // 2) + "x" + ")}" * (DEEP // 2),
}


def case_file(path: Path, comment: str) -> Path:
    case = build_case(ExplainConfig(steps=2, batch=1))
    problem = rnn_ref.Problem(
        params=case.params,
        xs=case.xs,
        targets=case.targets,
        spec=case.spec,
        h0=case.h0,
        weights=case.weights,
        comment=comment,
    )
    return rnn_ref.save_case(path, problem)


@pytest.mark.parametrize("fmt", ["html", "markdown", "text"])
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_comment_nested_deep_is_refused_before_any_output(
    tmp_path: Path, capsys, kind: str, fmt: str
) -> None:
    path = case_file(tmp_path / "deep.npz", f"see ${HOSTILE[kind]}$ here")
    saved = tmp_path / "saved.npz"
    args = ["explain", "--case", str(path), "--format", fmt, "--save-case", str(saved)]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing written before the refusal
    assert captured.err.count("\n") == 1 and captured.err.startswith("rnn-ref explain: error: ")
    assert f"case file {path}, comment: expected maths whose scripts" in captured.err
    assert f"nest at most {MAX_NESTING} deep, got" in captured.err
    assert not saved.exists()


def test_a_comment_at_the_limit_is_set_as_maths(tmp_path: Path, capsys) -> None:
    maths = "x_{" * MAX_NESTING + "y" + "}" * MAX_NESTING
    path = case_file(tmp_path / "limit.npz", f"${maths}$")
    assert cli.main(["explain", "--case", str(path), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.count("<msub>") >= MAX_NESTING and page.rstrip().endswith("</html>")


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_mathml_reader_refuses_rather_than_recurses(kind: str) -> None:
    """The renderer bounds what it reads itself, whoever calls it."""
    assert script_depth(HOSTILE[kind]) >= DEEP // 2
    with pytest.raises(ValueError, match=re.escape(f"nest at most {MAX_NESTING} deep")):
        to_mathml(HOSTILE[kind])


def test_the_depth_never_undercounts_the_readers_calls() -> None:
    """Every prefix of every hostile string: what the reader accepts it reads without
    exhausting a stack of 3 frames per level allowed and some to spare."""
    import inspect
    import sys

    limit = sys.getrecursionlimit()
    # the frames below this test, 3 per level allowed, and a few for to_mathml's own calls
    sys.setrecursionlimit(len(inspect.stack(0)) + 3 * MAX_NESTING + 30)
    try:
        for text in HOSTILE.values():
            for n in range(0, 400, 7):
                try:
                    to_mathml(text[:n])
                except ValueError:
                    assert script_depth(text[:n]) > MAX_NESTING
    finally:
        sys.setrecursionlimit(limit)
