"""What a learner takes from ``rnn-ref explain`` into a notebook or their own code.

- ``explain(...)`` returns a ``str`` that Jupyter shows as the HTML page (``_repr_html_``,
  the page of ``--format html`` in a frame, unchanged) or as Markdown (``_repr_markdown_``,
  the text of ``--format markdown``). The methods are called here directly: Jupyter is not
  needed, and importing rnn_ref imports none of it.
- ``--save-case FILE.npz`` writes the drawn case as a case file that ``rnn_ref.load_case``
  reads back to the same numbers and ``--case`` walks to the same text; it replaces a case
  file but refuses any other file (one line, exit 2, the file untouched), a directory, or a
  place it cannot write.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import numpy as np
import pytest

import rnn_ref
from rnn_ref import cli
from rnn_ref.explain import ExplainConfig, Walkthrough, build_case, explain

CONFIG = ExplainConfig(steps=3, truncation=2, loss="softmax_ce", outputs=3)
SRCDOC = re.compile(r'^<iframe srcdoc="([^"]*)" title="rnn-ref explain" style="[^"]*"></iframe>$')


def test_the_walkthrough_is_the_text_and_remembers_its_case():
    text = explain(CONFIG)
    assert isinstance(text, str) and isinstance(text, Walkthrough)
    assert text.startswith("rnn-ref explain: T=3") and text.config == CONFIG
    assert str(text) == "".join(_pieces(CONFIG, "text"))


def _pieces(config, format):
    pieces = []
    rnn_ref.explain.write_explain(config, pieces.append, format)
    return pieces


@pytest.mark.parametrize("made_as", ["text", "markdown", "html"])
def test_jupyter_gets_the_html_page_in_a_frame(made_as):
    shown = explain(CONFIG, made_as)._repr_html_()
    found = SRCDOC.match(shown)
    assert found, shown[:200]
    assert html.unescape(found.group(1)) == explain(CONFIG, "html")
    assert "<script" not in shown and '"' not in found.group(1)


@pytest.mark.parametrize("made_as", ["text", "markdown", "html"])
def test_jupyter_gets_the_markdown(made_as):
    markdown = explain(CONFIG, made_as)._repr_markdown_()
    assert markdown == explain(CONFIG, "markdown")
    assert type(markdown) is str and "| " in markdown


def test_rnn_ref_imports_no_jupyter():
    code = (
        "import sys, rnn_ref\n"
        "from rnn_ref.explain import explain\n"
        "explain()._repr_html_(); explain()._repr_markdown_()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('IPython', 'ipykernel', 'jupyter', 'jupyter_client', 'notebook')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_save_case_writes_the_case_walked_through(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["explain", "-T", "4", "--bptt", "window:2", "--weights", "last", "--seed", "7"]
    assert cli.main([*argv, "--precision", "17", "--save-case", "mine.npz"]) == 0
    drawn, err = capsys.readouterr()
    assert err == "rnn-ref explain: the case is in mine.npz (rnn_ref.load_case reads it)\n"
    problem = rnn_ref.load_case("mine.npz")
    case = build_case(ExplainConfig(steps=4, truncation=2, weights="last", seed=7))
    for name in ("xs", "targets", "h0", "weights"):
        np.testing.assert_array_equal(getattr(problem, name), getattr(case, name), err_msg=name)
    for mine, theirs in zip(problem.params.arrays(), case.params.arrays(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert problem.spec == case.spec and "seed 7" in problem.comment
    # Walked again from the file: the same numbers, line for line after the header.
    assert cli.main(["explain", "--case", "mine.npz", "--precision", "17"]) == 0
    walked, _ = capsys.readouterr()
    assert _body(walked) == _body(drawn)
    # A case file is replaced, by another case.
    assert cli.main(["explain", "-T", "2", "--save-case", "mine.npz"]) == 0
    capsys.readouterr()
    assert rnn_ref.load_case("mine.npz").xs.shape[0] == 2


def _body(text):
    return text[text.index("\nParameters") :]


@pytest.mark.parametrize(
    "what, make, expected",
    [
        ("a text file", lambda p: p.write_text("my notes\n"), "which is not a case file"),
        ("an npz that is no case", lambda p: np.savez(p, a=np.ones(2)), "not a case file"),
        ("a directory", lambda p: p.mkdir(), "a directory"),
        ("a missing directory", None, "expected a file that can be written"),
    ],
)
def test_save_case_refuses_what_it_must_not_write(tmp_path, capsys, what, make, expected):
    path = tmp_path / "target.npz" if make else tmp_path / "missing" / "target.npz"
    if make:
        make(path)
    before = sorted(tmp_path.rglob("*"))
    content = path.read_bytes() if path.is_file() else None
    assert cli.main(["explain", "--save-case", str(path)]) == 2, what
    out, err = capsys.readouterr()
    assert out == "", f"{what}: the walk-through was printed"
    assert err.count("\n") == 1 and err.startswith("rnn-ref explain: error: --save-case: "), err
    assert expected in err, err
    assert sorted(tmp_path.rglob("*")) == before, f"{what}: a file was left behind"
    if content is not None:
        assert path.read_bytes() == content, f"{what}: the file was changed"
