"""``rnn-ref check`` end to end in every convention: each example of ``examples/check`` passes,
and a copy with the carried term's transpose changed fails and is named as the gallery's
``w-hh-not-transposed``.

The adapters themselves are tested quantity by quantity in ``tests/test_conventions.py``;
here the whole command runs (loading TARGET, drawing inside the convention's scope, the
verdict, the fingerprint), as a user runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rnn_ref.cli import main
from verification.strategies import scaled_examples

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "check"
#: Cases per check: a quarter of the Hypothesis profile's examples, at least 20 (ci: 50).
EXAMPLES_PER_CHECK = max(20, scaled_examples(0.25))

#: (file, TARGET's names, flags, the line of the carried term, the line with W_hh not
#: transposed: ``dh_next = W_hh delta`` instead of ``W_hh^T delta``)
CONVENTIONS = {
    "canonical": (
        "canonical_rnn.py",
        "gradients",
        [],
        "        return da @ W_hh\n",
        "        return da @ W_hh.T\n",
    ),
    "layer": (
        "layer_rnn.py",
        "forward,backward",
        ["--convention", "layer", "--activation", "tanh"],
        "        dh_next = da @ Wh.T\n",
        "        dh_next = da @ Wh\n",
    ),
    "column": (
        "column_rnn.py",
        "lossFun",
        ["--convention", "column", "--activation", "tanh"],
        "        dh_next = Whh.T @ da\n",
        "        dh_next = Whh @ da\n",
    ),
    "torch": (
        "torch_rnn.py",
        "make",
        ["--convention", "torch"],
        "            dh_next = das[t] @ W_hh\n",
        "            dh_next = das[t] @ W_hh.T\n",
    ),
    "adapter": (
        "adapter.py",
        "canonical",
        ["--activation", "tanh", "--loss", "mse", "--bptt", "full"],
        "            dh_next = da @ self.Wh.T\n",
        "            dh_next = da @ self.Wh\n",
    ),
}


def check(tmp_path: Path, name: str, broken: bool, capsys) -> tuple[int, str]:
    file, names, flags, right, wrong = CONVENTIONS[name]
    source = (EXAMPLES / file).read_text(encoding="utf-8")
    assert source.count(right) == 1, f"{file} no longer has the line {right!r}"
    (tmp_path / file).write_text(source.replace(right, wrong) if broken else source)
    args = ["check", f"{file}:{names}", *flags, "--examples", str(EXAMPLES_PER_CHECK)]
    args += ["--save-case", "none"]
    status = main(args)
    return status, capsys.readouterr().out


@pytest.mark.parametrize("name", CONVENTIONS)
def test_the_example_passes_and_its_broken_copy_is_named(
    name: str, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out = check(tmp_path, name, broken=False, capsys=capsys)
    assert status == 0, out
    assert f"AGREE: all {EXAMPLES_PER_CHECK} cases agree" in out
    status, out = check(tmp_path, name, broken=True, capsys=capsys)
    assert status == 1, out
    assert "mistake: w-hh-not-transposed:" in out, out
    assert "confirmed by autodiff" in out
