"""Fault cases of ``rnn-ref check``'s verdict (docs/reliability.md counts them).

A check that compared no gradient never passes: a function that returns ``{}``, the loss
alone, or its gradients under names the convention does not know gets exit 2 (nothing
compared) or exit 1 (a malformed result, named), never AGREE.
"""

from __future__ import annotations

import numpy as np
import pytest
from _check import EXAMPLE, check, correct

from rnn_ref.cli import main
from verification.check import harness

pytestmark = pytest.mark.fault

LAYER = EXAMPLE.parent / "layer_rnn.py"
(layer_forward, layer_backward) = harness.load_target(f"{LAYER}:forward,backward", functions=2)


def returns_nothing(*args):
    return {}


def returns_the_loss_only(*args):
    return {"loss": correct(*args)["loss"]}


def renamed(*args):
    """Every gradient right, under the names of another convention (and doubled)."""
    return {"d" + name: 2 * value for name, value in correct(*args).items()}


def renamed_but_one(*args):
    """W_xh under its own name and right; the rest renamed and doubled."""
    g = correct(*args)
    return {"W_xh": g["W_xh"]} | {"d" + n: 2 * v for n, v in g.items() if n != "W_xh"}


@pytest.mark.parametrize("fn", [returns_nothing, returns_the_loss_only])
def test_nothing_compared_never_agrees(fn) -> None:
    report = check(fn, examples=10)
    assert report.exit_code == 2 and report.status == "error"
    assert report.reason.startswith("no gradient could be compared: in 10 cases your function")


@pytest.mark.parametrize("fn", [renamed, renamed_but_one])
def test_a_gradient_under_another_name_is_malformed(fn) -> None:
    report = check(fn, examples=10)
    assert report.exit_code == 1, report.text()
    assert "'dW_hh': not a name of this convention" in report.text()


@pytest.mark.parametrize("empty", [{}, (None, None, None, None, None)])
def test_a_layer_backward_returning_nothing_never_agrees(empty) -> None:
    def backward(dh, cache):
        return dict(empty) if isinstance(empty, dict) else empty

    report = check((layer_forward, backward), convention="layer", activation="tanh", examples=10)
    assert report.exit_code == 2, report.text()
    assert report.reason.startswith("no gradient could be compared")


def test_the_cli_says_so_in_one_verdict_line(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "empty.py").write_text("def gradients(*args):\n    return {}\n")
    monkeypatch.chdir(tmp_path)
    args = ["check", "empty.py:gradients", "--examples", "5", "--save-case", "none"]
    assert main(args) == 2
    out = capsys.readouterr().out
    assert "AGREE" not in out
    assert "ERROR: no gradient could be compared" in out


def test_the_correct_example_still_agrees() -> None:
    """The rule does not touch a function that returns its gradients by their names."""
    report = check(correct, examples=10)
    assert report.exit_code == 0, report.text()
    assert np.isfinite(report.counts["checked"]) and report.counts["checked"] == 10


def wrong(*args):
    """W_hh's gradient doubled: a failing check, so that the case is saved."""
    g = correct(*args)
    return g | {"W_hh": 2 * g["W_hh"]}


@pytest.mark.parametrize("kind", ["source", "fifo", "symlink", "directory"])
def test_save_case_never_replaces_what_is_not_a_case_file(tmp_path, kind: str) -> None:
    import os

    target = tmp_path / "victim.py"
    if kind == "source":
        target.write_text("def gradients(*args): ...\n")
    elif kind == "fifo":
        os.mkfifo(target)  # as /dev/null would be: not a regular file
    elif kind == "symlink":
        (tmp_path / "real.txt").write_text("mine")
        target.symlink_to(tmp_path / "real.txt")
    else:
        target.mkdir()
    before = os.lstat(target)
    report = check(wrong, examples=5, save_case=str(target))
    assert report.exit_code == 1 and report.saved_case is None
    assert any(
        "case was not saved: path: expected a new file or a case file" in n for n in report.notes
    ), report.notes
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_size) == (
        before.st_mode,
        before.st_ino,
        before.st_size,
    )


def test_a_saved_case_is_replaced_by_the_next(tmp_path) -> None:
    target = tmp_path / "case.npz"
    assert check(wrong, examples=5, save_case=str(target)).saved_case == str(target)
    first = target.stat().st_ino
    assert check(wrong, examples=5, seed=1, save_case=str(target)).saved_case == str(target)
    assert target.stat().st_ino != first  # replaced whole (a new file renamed into place)


def test_a_function_that_changes_directory_does_not_move_the_case(tmp_path, monkeypatch):
    import os

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(tmp_path)

    def wanders(*args):
        os.chdir(elsewhere)
        return wrong(*args)

    report = check(wanders, examples=5, save_case="rel.npz")
    assert report.saved_case == "rel.npz"
    assert (tmp_path / "rel.npz").is_file() and not (elsewhere / "rel.npz").exists()
