"""``rnn-ref explain`` and the ``rnn-ref`` command line.

- The text: the same seed gives the same text, and the command prints it (what the text
  says, number by number, is tested in ``tests/test_explain.py``).
- The command: ``--version``, ``--help``, bad usage exits 2 with one message and no
  traceback, an error from rnn_ref is one line and exit 2, a closed pipe exits quietly.
  The command runs as ``python -m rnn_ref`` so that it works in any fresh venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import rnn_ref
from rnn_ref import cli
from rnn_ref.cli import _common as cli_common
from rnn_ref.cli import explain as cli_explain
from rnn_ref.explain import ExplainConfig, explain


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
        "--precision DIGITS", "--bptt full|window:K|chunk:K", "--case FILE.npz",
        "--format {text,markdown,html}", "--summary-after N", "--full",
    ):  # fmt: skip
        assert option in result.stdout, option
    assert "(default: full)" in result.stdout and "(default: 10)" in result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["explain", "-T", "0"],
        ["explain", "--steps", "three"],
        ["explain", "--truncation", "0"],
        ["explain", "--truncation", "two"],
        ["explain", "--summary-after", "0"],
        ["explain", "--full", "--summary-after", "3"],
        ["explain", "--format", "pdf"],
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
    def broken(config, write, format="text"):
        raise error("xs: expected finite values, got nan at index (0, 0, 0)\nsecond line")

    monkeypatch.setattr(cli_explain, "write_explain", broken)
    assert cli.main(["explain"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "rnn-ref explain: error: xs: expected finite values, got nan at index (0, 0, 0)\n"


def test_closed_pipe_exits_quietly():
    """``rnn-ref explain | head -1``: no BrokenPipeError traceback on stderr."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    # Far more than a pipe holds (64 KiB), so the writer is still writing when we close.
    process = subprocess.Popen(
        [sys.executable, "-m", "rnn_ref", "explain", "-T", "400", "--full"],
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
    assert cli_common._bptt(text) == expected


@pytest.mark.parametrize(
    "text", ["5", "window:0", "window:", "chunk:x", "window:-1", "sliding:2", "", "Full"]
)
def test_bptt_names_the_forms_it_expects(text):
    with pytest.raises(Exception, match="expected full, window:K or chunk:K") as error:
        cli_common._bptt(text)
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


@pytest.mark.parametrize(
    "argv, missing",
    [
        (["vectors", "--out", "never-written"], "jax"),
        (["verify"], "jax"),
        (["check", "examples/check/canonical_rnn.py"], "hypothesis"),
    ],
)
def test_a_missing_extra_is_one_line_and_exit_2(argv, missing, tmp_path):
    """Without the optional dependency a command needs: one line naming it, and the extra."""
    block = "import sys; sys.modules['jax'] = sys.modules['hypothesis'] = None; "
    run = "from rnn_ref.cli import main; sys.exit(main(sys.argv[1:]))"
    example = Path(__file__).resolve().parents[1] / argv[1] if argv[0] == "check" else None
    args = [str(example) + ":gradients"] if example else argv[1:]
    done = subprocess.run(
        [sys.executable, "-c", block + run, argv[0], *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"rnn-ref {argv[0]}: error: {missing} is not installed; ")
    assert "pip install" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written
