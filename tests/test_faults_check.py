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
