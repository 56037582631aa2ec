"""``rnn-ref explain --case FILE.npz``: the walk-through of the user's own case.

- A case that ``rnn-ref check`` saved walks through, with the file's spec, h0, weights and
  comment, and its numbers are those of ``rnn_ref.gradients`` on the loaded case.
- Padded cases (targets NaN or -1 where the weight is 0) walk through: the data show the
  file's NaN, the walk-through has none.
- A damaged file is one line on stderr, exit 2, nothing on stdout; so are options that the
  file sets (sizes, seed, model, truncation, h0, weights); the printing options are allowed.
- The limits hold for a file as for a drawn case.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from _check import EXAMPLE
from _explain import READERS, key, read_text

import rnn_ref
from rnn_ref import cli
from rnn_ref.explain import ExplainConfig, build_case, explain


def save(path: Path, T=3, B=2, loss="mse", spec=None, comment="", pad=False) -> Path:
    case = build_case(ExplainConfig(steps=T, batch=B, loss=loss, outputs=3, h0="random"))
    targets, weights = case.targets.copy(), case.weights.copy()
    if pad:  # sequence 2 is one step shorter: its last target is padding, never read
        weights[-1, 1] = 0.0
        targets[-1, 1] = np.nan if loss == "mse" else -1
    problem = rnn_ref.Problem(
        params=case.params, xs=case.xs, targets=targets, spec=spec or case.spec, h0=case.h0,
        weights=weights, comment=comment,
    )  # fmt: skip
    return rnn_ref.save_case(path, problem)


def agrees(text: str) -> float:
    last = text.splitlines()[-1]
    assert last.startswith("check, max |sum above - rnn_ref.gradients|: "), last
    return max(float(part.split()[1]) for part in last.split(": ", 1)[1].split(", "))


def test_a_case_saved_by_rnn_ref_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text(
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('c', {str(EXAMPLE)!r})\n"
        "base = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(base)\n"
        "def gradients(*args):\n    g = base.gradients(*args)\n    g['W_hy'] = -g['W_hy']\n"
        "    return g\n",
        encoding="utf-8",
    )
    argv = ["check", "mine.py:gradients", "--examples", "10", "--save-case", "saved.npz"]
    assert cli.main(argv) == 1
    capsys.readouterr()
    problem = rnn_ref.load_case(tmp_path / "saved.npz")
    assert cli.main(["explain", "--case", "saved.npz", "--precision", "17", "--full"]) == 0
    text, err = capsys.readouterr()
    assert err == ""
    T, B, D = problem.xs.shape
    H, O = problem.params.hidden_size, problem.params.output_size
    assert text.startswith(f"rnn-ref explain: T={T} B={B} D={D} H={H} O={O}, case file saved.npz")
    assert f"  comment: {problem.comment.splitlines()[0]}" in text
    assert agrees(text) < 1e-12
    ref = rnn_ref.gradients(
        problem.params, problem.xs, problem.targets, problem.spec, **problem.kwargs()
    )
    rows = read_text(text)
    np.testing.assert_allclose(rows[key("dL/dW_hy")], ref.params.W_hy.ravel(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(rows[key("dL/dh0")], ref.h0.ravel(), rtol=0, atol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("format", ["text", "html"])
def test_a_padded_case_walks_through_without_nan(tmp_path, loss, format):
    spec = rnn_ref.Spec(loss=loss, truncation=2, truncation_mode="chunk")
    path = save(tmp_path / "case.npz", T=4, loss=loss, spec=spec, pad=True, comment="padded")
    page = explain(ExplainConfig(case=str(path), precision=17), format)
    data, walk = page.split("Forward pass", 1)
    assert ("nan" in data) == (loss == "mse")  # the file's padding, shown as it is
    assert "nan" not in walk.lower()
    rows = READERS[format](page)
    problem = rnn_ref.load_case(path)
    ref = rnn_ref.gradients(
        problem.params, problem.xs, problem.targets, problem.spec, **problem.kwargs()
    )
    for name in rnn_ref.Params.FIELDS:
        expected = getattr(ref.params, name).ravel()
        np.testing.assert_allclose(rows[key(f"dL/d{name}")], expected, rtol=0, atol=1e-14)
    loss_rows = [v for k, v in rows.items() if k.startswith("(4) L =")]
    np.testing.assert_allclose(loss_rows, [[ref.loss]], rtol=0, atol=1e-14)
    if format == "text":
        assert "truncation chunk(2); parameters, data, h0 and loss weights from the file" in page
        assert "loss term t=4 (weight [1. 0.])" in page


def damaged(tmp_path: Path) -> dict[str, Path]:
    good = save(tmp_path / "good.npz")
    files = {"garbage": tmp_path / "garbage.npz", "truncated": tmp_path / "truncated.npz"}
    files["garbage"].write_bytes(b"not a case file\n" * 10)
    files["truncated"].write_bytes(good.read_bytes()[:300])
    files["no meta"] = tmp_path / "no-meta.npz"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(files["no meta"], "w") as target:
        for name in source.namelist():
            if name != "meta.npy":
                target.writestr(name, source.read(name))
    files["missing"] = tmp_path / "missing.npz"
    return files


def test_a_damaged_file_is_one_line_and_exit_2(tmp_path, capsys):
    for what, path in damaged(tmp_path).items():
        assert cli.main(["explain", "--case", str(path)]) == 2, what
        out, err = capsys.readouterr()
        assert out == "", what
        assert err.count("\n") == 1 and "Traceback" not in err, (what, err)
        assert err.startswith(f"rnn-ref explain: error: path {str(path)!r}"), (what, err)


@pytest.mark.parametrize(
    "flags",
    [["-T", "5"], ["--seed", "1"], ["--activation", "relu"], ["--bptt", "window:2"],
     ["--truncation", "2"], ["--mode", "chunk"], ["--h0", "random"], ["--weights", "last"],
     ["--init", "uniform01"], ["-O", "2"]],
)  # fmt: skip
def test_options_the_file_sets_are_refused_with_it(tmp_path, capsys, flags):
    path = save(tmp_path / "case.npz")
    assert cli.main(["explain", "--case", str(path), *flags]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"rnn-ref explain: error: --case: expected no {flags[0]} with a case file (the file "
        f"sets the sizes, seed, model, loss, truncation, h0 and weights), got {flags[0]}\n"
    )


def test_printing_options_go_with_a_file(tmp_path, capsys):
    path = save(tmp_path / "case.npz", T=12)
    argv = ["explain", "--case", str(path), "--precision", "6", "--format", "markdown"]
    assert cli.main([*argv, "--summary-after", "12"]) == 0
    out = capsys.readouterr().out
    assert out == explain(ExplainConfig(case=str(path), precision=6, summary_after=12), "markdown")
    assert "### step t=12 " in out


def test_the_limits_hold_for_a_file(tmp_path, capsys):
    T = 3000
    spec = rnn_ref.Spec(truncation=T - 1)
    problem = rnn_ref.Problem(
        params=rnn_ref.init_params(1, 1, 1), xs=np.zeros((T, 1, 1)), targets=np.zeros((T, 1, 1)),
        spec=spec, h0=np.zeros((1, 1)), weights=np.ones((T, 1)),
    )  # fmt: skip
    path = rnn_ref.save_case(tmp_path / "long.npz", problem)
    assert cli.main(["explain", "--case", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "at most 100,000 lines" in err and "T=3000" in err
