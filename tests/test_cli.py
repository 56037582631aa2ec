"""``rnn-ref explain`` and the ``rnn-ref`` command line.

- The text: the sections are there; every activation x loss x truncation agrees with
  ``rnn_ref.gradients`` on its check line; the printed numbers (read back at 17 decimals)
  are the real forward values and gradients; the reach lines and the carried terms of
  window(2) and chunk(2) at T=4 are exactly right; the case is drawn in the documented
  order; the same seed gives the same text.
- The command: ``--version``, ``--help``, bad usage exits 2 with one message and no
  traceback, an error from rnn_ref is one line and exit 2, a closed pipe exits quietly.
  The command runs as ``python -m rnn_ref`` so that it works in any fresh venv.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnn_ref
from rnn_ref import cli
from rnn_ref.explain import ExplainConfig, build_case, explain

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
TRUNCATIONS = {  # name: (truncation, mode)
    "full": (None, "window"),
    "window(1)": (1, "window"),
    "window(2)": (2, "window"),
    "chunk(2)": (2, "chunk"),
}
CHECK_NAMES = ["dW_xh", "dW_hh", "db_h", "dW_hy", "db_y", "dxs", "dh0", "L"]
NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?")


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """``rnn-ref ARGS`` in a fresh interpreter, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "rnn_ref", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


def check_line(text: str) -> dict[str, float]:
    """The numbers of the last line, ``check, max |sum above - rnn_ref.gradients|: ...``."""
    last = text.splitlines()[-1]
    assert last.startswith("check, max |sum above - rnn_ref.gradients|: "), last
    pairs = re.findall(r"(\w+) (\d\.\de[+-]\d+)", last.split(": ", 1)[1])
    return {name: float(value) for name, value in pairs}


def printed(text: str, label: str) -> np.ndarray:
    """The numbers printed after ``label`` on its line (B = 1; one line per label)."""
    lines = [line for line in text.splitlines() if line.startswith(f"  {label} ")]
    assert len(lines) == 1, f"{label!r}: expected one line, found {len(lines)}"
    return np.array([float(x) for x in NUMBER.findall(lines[0][len(label) + 2 :])])


def section(text: str, start: str, end: str) -> list[str]:
    """The lines from the one that starts with ``start`` up to the next blank or ``end``."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(start))
    out = []
    for line in lines[i + 1 :]:
        if not line or line.startswith(end):
            break
        out.append(line)
    return out


def test_default_text_has_every_section_and_agrees():
    text = explain()
    for heading in (
        "rnn-ref explain: T=3 B=1 D=2 H=3 O=2, seed 0",
        "  activation tanh, loss mse, truncation full, init xavier, h0 zeros, weights all",
        "Parameters",
        "  W_xh (H, D)",
        "  W_hh (H, H)",
        "  b_h (H,)",
        "  W_hy (O, H)",
        "  b_y (O,)",
        "Data",
        "  x_3",
        "  z_3 (target)",
        "  h0",
        "  w_3 (loss weight)",
        "Which transitions each loss term reaches",
        "Forward pass",
        "  (1) a_1 = W_xh x_1 + W_hh h_0 + b_h",
        "  (4) L = sum of the loss terms",
        "Backward pass, t = T..1",
        "step t=3 (transition 3 is reached by loss term 3)",
        "step t=1 (transition 1 is reached by loss terms 1..3)",
        "  (9) delta_1 = phi'(a_1) * dL/dh_1",
        "  (11) dW_hh += delta_2 h_1^T",
        "  (13) dL/dx_1 = W_xh^T delta_1",
        "  (14) dL/dh0 = W_hh^T delta_1",
        "Totals (the sums of the contributions above)",
    ):
        assert any(line.startswith(heading) for line in text.splitlines()), heading
    assert "\x1b" not in text, "no ANSI escape codes"
    assert max(check_line(text).values()) < 1e-12


@pytest.mark.parametrize("truncation", TRUNCATIONS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_check_line_agrees_with_gradients(activation, loss, truncation):
    k, mode = TRUNCATIONS[truncation]
    config = ExplainConfig(
        steps=4, batch=2, outputs=3, activation=activation, loss=loss, truncation=k, mode=mode
    )
    text = explain(config)
    assert f"truncation {truncation}," in text.splitlines()[1]
    diffs = check_line(text)
    assert list(diffs) == CHECK_NAMES
    config_name = f"{activation}, {loss}, {truncation}"
    for name, diff in diffs.items():
        assert diff < 1e-12, f"{name} ({config_name}): {diff:.1e} from rnn_ref.gradients"
    # A check of zeros against zeros proves nothing: the gradient must be there.
    case = build_case(config)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    assert np.max(np.abs(ref.params.W_hh)) > 1e-3, config_name


@pytest.mark.parametrize("truncation", ["full", "window(2)", "chunk(2)"])
def test_printed_numbers_are_the_real_ones(truncation):
    """Read back at 17 decimals, the lines are rnn_ref's forward values and gradients."""
    k, mode = TRUNCATIONS[truncation]
    config = ExplainConfig(steps=4, truncation=k, mode=mode, h0="random", precision=17)
    text = explain(config)
    case = build_case(config)
    traj = rnn_ref.forward(case.params, case.xs, case.h0, activation=case.spec.activation)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    p = case.params
    tol = dict(rtol=0, atol=1e-14)
    for t in range(1, 5):
        a = case.xs[t - 1, 0] @ p.W_xh.T + traj.hs[t - 1, 0] @ p.W_hh.T + p.b_h
        np.testing.assert_allclose(printed(text, f"(1) a_{t} ="), a, **tol, err_msg=f"a_{t}")
        np.testing.assert_allclose(printed(text, f"(2) h_{t} ="), traj.hs[t, 0], **tol)
        np.testing.assert_allclose(printed(text, f"(3) y_{t} ="), traj.ys[t - 1, 0], **tol)
        np.testing.assert_allclose(printed(text, f"(13) dL/dx_{t} ="), ref.xs[t - 1, 0], **tol)
    loss = printed(text, "(4) L = sum of the loss terms")
    np.testing.assert_allclose(loss, [ref.loss], **tol, err_msg="L")
    # With B = 1, db_h is the sum of the printed deltas and of the printed (12) lines.
    deltas = sum(printed(text, f"(9) delta_{t} = phi'(a_{t}) * dL/dh_{t}") for t in range(1, 5))
    np.testing.assert_allclose(deltas, ref.params.b_h, **tol, err_msg="sum of delta_t")
    db_h = sum(printed(text, f"(12) db_h  += delta_{t}") for t in range(1, 5))
    np.testing.assert_allclose(db_h, ref.params.b_h, **tol, err_msg="sum of (12)")
    dh0 = printed(text, "(14) dL/dh0 = W_hh^T delta_1")
    np.testing.assert_allclose(dh0, ref.h0[0], **tol, err_msg="dL/dh0")


REACH_WINDOW_2 = """\
  window(2): each loss term sees its 2 most recent transitions
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transitions 2..3, from stop_gradient(h_1)
  loss term t=4 (weight 1): transitions 3..4, from stop_gradient(h_2)"""

REACH_CHUNK_2 = """\
  chunk(2): chunks of 2 transitions: 1..2, 3..4; held constant: h_2
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transition 3, from stop_gradient(h_2)
  loss term t=4 (weight 1): transitions 3..4, from stop_gradient(h_2)"""

REACH_FULL = """\
  full BPTT: every loss term reaches back to h0
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transitions 1..3, from h0 (live)
  loss term t=4 (weight 1): transitions 1..4, from h0 (live)"""

REACH_CHUNK_3_LAST = """\
  chunk(3): chunks of 3 transitions: 1..3, 4..5; held constant: h_3
  loss term t=1 (weight 0): transition 1, from h0 (live); weight 0: adds nothing
  loss term t=2 (weight 0): transitions 1..2, from h0 (live); weight 0: adds nothing
  loss term t=3 (weight 0): transitions 1..3, from h0 (live); weight 0: adds nothing
  loss term t=4 (weight 0): transition 4, from stop_gradient(h_3); weight 0: adds nothing
  loss term t=5 (weight 1): transitions 4..5, from stop_gradient(h_3)"""


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (ExplainConfig(steps=4, truncation=2, mode="window"), REACH_WINDOW_2),
        (ExplainConfig(steps=4, truncation=2, mode="chunk"), REACH_CHUNK_2),
        (ExplainConfig(steps=4), REACH_FULL),
        (ExplainConfig(steps=5, truncation=3, mode="chunk", weights="last"), REACH_CHUNK_3_LAST),
    ],
    ids=["window(2)", "chunk(2)", "full", "chunk(3)-last"],
)
def test_reach_lines(config, expected):
    text = explain(config)
    lines = section(text, "Which transitions each loss term reaches", "Forward")
    assert "\n".join(lines) == expected


def test_window_2_carries_each_loss_term_and_drops_the_oldest():
    """At T=4, window(2): h_2 receives loss term 3's part only; loss term 4 stops at 3."""
    text = explain(ExplainConfig(steps=4, truncation=2, precision=17))
    step_2 = section(text, "step t=2 ", "step t=1")
    labels = [line.split("  ")[1].strip() if line.startswith("  ") else line for line in step_2]
    assert "(8) loss term 3 carries W_hh^T delta^(3)_3" in labels
    assert not any("loss term 4 carries" in line for line in step_2)
    assert "      (loss term 4 stops at transition 3: it holds h_2 constant)" in step_2
    # What h_2 receives is not W_hh^T delta_3: delta_3 also holds loss term 4's part.
    delta_3 = printed(text, "(9) delta_3 = phi'(a_3) * dL/dh_3")
    carried = printed(text, "(8) loss term 3 carries W_hh^T delta^(3)_3")
    case = build_case(ExplainConfig(steps=4, truncation=2))
    assert np.max(np.abs(carried - delta_3 @ case.params.W_hh)) > 1e-6


def test_chunk_2_holds_the_state_entering_a_chunk():
    text = explain(ExplainConfig(steps=4, truncation=2, mode="chunk"))
    step_2 = section(text, "step t=2 ", "step t=1")
    assert "step t=2 (transition 2 is reached by loss term 2)" in text.splitlines()
    carried = printed(text, "(8) carried from t=3: 0")
    np.testing.assert_array_equal(carried, np.zeros(3))
    assert "      (h_2 enters a chunk: held constant)" in step_2
    assert any(
        line.startswith("  (8) carried from t=2: W_hh^T delta_2") for line in text.split("\n")
    )


def test_batch_prints_each_sequence():
    text = explain(ExplainConfig(batch=2))
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("  (2) h_1 = tanh(a_1)"))
    assert "b=1 [" in lines[i] and lines[i + 1].lstrip().startswith("b=2 [")
    assert max(check_line(text).values()) < 1e-12


@pytest.mark.parametrize(("loss", "h0"), [("mse", "random"), ("softmax_ce", "zeros")])
def test_case_is_drawn_in_the_documented_order(loss, h0):
    config = ExplainConfig(steps=3, batch=2, inputs=2, hidden=3, outputs=4, seed=11)
    config = ExplainConfig(**{**config.__dict__, "loss": loss, "h0": h0})
    case = build_case(config)
    rng = np.random.default_rng(11)
    for name, (rows, cols) in {"W_xh": (3, 2), "W_hh": (3, 3), "W_hy": (4, 3)}.items():
        r = np.sqrt(6.0 / (rows + cols))
        np.testing.assert_array_equal(
            getattr(case.params, name), rng.uniform(-r, r, size=(rows, cols)), err_msg=name
        )
    np.testing.assert_array_equal(case.xs, rng.uniform(-1, 1, size=(3, 2, 2)))
    if loss == "mse":
        np.testing.assert_array_equal(case.targets, rng.uniform(-1, 1, size=(3, 2, 4)))
    else:
        np.testing.assert_array_equal(case.targets, rng.integers(0, 4, size=(3, 2)))
    expected_h0 = rng.uniform(-1, 1, size=(2, 3)) if h0 == "random" else np.zeros((2, 3))
    np.testing.assert_array_equal(case.h0, expected_h0)
    np.testing.assert_array_equal(case.weights, np.ones((3, 2)))


def test_many_to_one_weights():
    case = build_case(ExplainConfig(steps=3, batch=2, weights="last"))
    np.testing.assert_array_equal(case.weights, [[0, 0], [0, 0], [1, 1]])


def test_same_seed_same_text_other_seed_other_text():
    config = ExplainConfig(steps=4, truncation=2, h0="random", loss="softmax_ce")
    assert explain(config) == explain(config)
    assert explain(config) != explain(ExplainConfig(**{**config.__dict__, "seed": 1}))
    # And across processes, whatever the hash seed.
    runs = [
        run_cli("explain", "-T", "4", "--truncation", "2", env={**os.environ, "PYTHONHASHSEED": s})
        for s in ("1", "2")
    ]
    assert runs[0].returncode == 0 and runs[0].stdout == runs[1].stdout
    assert runs[0].stdout == explain(ExplainConfig(steps=4, truncation=2))


def test_explain_rejects_bad_config_by_name():
    with pytest.raises(ValueError, match=r"^steps: expected an integer >= 1, got 0"):
        explain(ExplainConfig(steps=0))
    with pytest.raises(ValueError, match=r"^h0: expected one of 'zeros', 'random'"):
        explain(ExplainConfig(h0="ones"))
    with pytest.raises(ValueError, match=r"^spec\.truncation"):
        explain(ExplainConfig(truncation=0))


def test_main_prints_the_text(capsys):
    argv = ["explain", "-T", "4", "-B", "2", "-D", "3", "-H", "2", "-O", "3", "--seed", "5"]
    argv += ["--activation", "relu", "--loss", "softmax_ce", "--truncation", "2"]
    argv += ["--mode", "chunk", "--init", "uniform01", "--h0", "random", "--weights", "last"]
    argv += ["--precision", "6"]
    assert cli.main(argv) == 0
    out, err = capsys.readouterr()
    expected = ExplainConfig(
        steps=4, batch=2, inputs=3, hidden=2, outputs=3, seed=5, activation="relu",
        loss="softmax_ce", truncation=2, mode="chunk", init="uniform01", h0="random",
        weights="last", precision=6,
    )  # fmt: skip
    assert out == explain(expected)
    assert err == ""


def test_truncation_full_is_the_default(capsys):
    assert cli.main(["explain", "--truncation", "full"]) == 0
    assert capsys.readouterr().out == explain()


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"rnn-ref {rnn_ref.__version__}"


def test_explain_help_documents_every_option():
    result = run_cli("explain", "--help")
    assert result.returncode == 0 and result.stderr == ""
    for option in (
        "-T T, --steps T", "-B B, --batch B", "-D D, --inputs D", "-H H, --hidden H",
        "-O O, --outputs O", "--seed", "--activation {tanh,sigmoid,relu}",
        "--loss {mse,softmax_ce}", "--truncation K", "--mode {window,chunk}",
        "--init {xavier,uniform01}", "--h0 {zeros,random}", "--weights {all,last,ones}",
        "--precision DIGITS", "--bptt full|window:K|chunk:K",
    ):  # fmt: skip
        assert option in result.stdout, option
    assert "(default: full)" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["explain", "-T", "0"],
        ["explain", "--steps", "three"],
        ["explain", "--truncation", "0"],
        ["explain", "--truncation", "two"],
        ["explain", "--activation", "softplus"],
        ["explain", "--mode", "sliding"],
        ["explain", "--precision", "18"],
        ["explain", "--seed", "-1"],
        ["explain", "--bogus"],
    ],
    ids=lambda argv: " ".join(argv) or "no-command",
)
def test_bad_usage_exits_2_with_a_message(argv):
    result = run_cli(*argv)
    assert result.returncode == 2, result
    assert result.stdout == ""
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("error", [ValueError, TypeError])
def test_error_from_rnn_ref_is_one_line_and_exit_2(monkeypatch, capsys, error):
    def broken(config, write):
        raise error("xs: expected finite values, got nan at index (0, 0, 0)\nsecond line")

    monkeypatch.setattr(cli, "write_explain", broken)
    assert cli.main(["explain"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "rnn-ref explain: error: xs: expected finite values, got nan at index (0, 0, 0)\n"


def test_closed_pipe_exits_quietly():
    """``rnn-ref explain | head -1``: no BrokenPipeError traceback on stderr."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    # Far more than a pipe holds (64 KiB), so the writer is still writing when we close.
    process = subprocess.Popen(
        [sys.executable, "-m", "rnn_ref", "explain", "-T", "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 1
    assert first.startswith(b"rnn-ref explain: T=400")
    assert stderr == b""


def test_console_script_is_installed():
    script = Path(sys.executable).parent / ("rnn-ref.exe" if os.name == "nt" else "rnn-ref")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    result = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.strip() == f"rnn-ref {rnn_ref.__version__}"


# One vocabulary: --bptt, --weights ones -------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [("full", (None, None)), ("window:3", (3, "window")), ("chunk:12", (12, "chunk"))],
)
def test_bptt_reads_its_three_forms(text, expected):
    assert cli._bptt(text) == expected


@pytest.mark.parametrize(
    "text", ["5", "window:0", "window:", "chunk:x", "window:-1", "sliding:2", "", "Full"]
)
def test_bptt_names_the_forms_it_expects(text):
    with pytest.raises(Exception, match="expected full, window:K or chunk:K") as error:
        cli._bptt(text)
    assert error.type.__name__ == "ArgumentTypeError"
    assert repr(text) in str(error.value)


def test_bptt_gives_the_text_of_the_older_flags(capsys):
    for older, newer in [
        (["--truncation", "2", "--mode", "chunk"], ["--bptt", "chunk:2"]),
        (["--truncation", "2"], ["--bptt", "window:2"]),
        ([], ["--bptt", "full"]),
    ]:
        assert cli.main(["explain", "-T", "4", *older]) == 0
        expected = capsys.readouterr().out
        assert cli.main(["explain", "-T", "4", *newer]) == 0
        assert capsys.readouterr().out == expected, newer


def test_weights_ones_is_all(capsys):
    assert cli.main(["explain", "--weights", "ones"]) == 0
    assert capsys.readouterr().out == explain(ExplainConfig(weights="all"))
