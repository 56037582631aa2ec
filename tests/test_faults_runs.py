"""Faults around a run: what ``rnn-ref`` does when a write fails, the reader goes away,
the user presses Ctrl-C, ``--out`` is a bad place, or an input is far too large.

Each case is marked ``fault`` (``pytest -m fault`` runs them; ``docs/reliability.md``
gives their count) and asserts what the user gets: one line on stderr and exit 2 (or the
documented 1 and 130), never a traceback, and a run directory that holds the previous
run or the new one, whole, and nothing beside it (no stage left over).

Commands that need a process of their own (a file-size limit, a signal, a closed pipe,
``/dev/full``) run as ``python -m rnn_ref`` in a child; the rest call ``cli.main``. Every
run is tiny (``hello`` for 3 epochs), so the whole file takes a few seconds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import rnn_ref
from rnn_ref import cli, tasks
from rnn_ref.explain import MAX_LINES, ExplainConfig, write_explain
from rnn_ref.tasks import chars

ROOT = Path(__file__).resolve().parents[1]
HELLO = ["train", "hello", "--epochs", "3"]
fault = pytest.mark.fault


def child(args, **kwargs) -> subprocess.Popen:
    """``python -m rnn_ref ARGS`` in a child process, with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)
    return subprocess.Popen(
        [sys.executable, "-m", "rnn_ref", *args],
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=subprocess.PIPE,
        env=env,
        **kwargs,
    )


def finish(process: subprocess.Popen) -> tuple[int, bytes, bytes]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout or b"", stderr


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file's name and bytes (a directory's: None): what must stay untouched."""
    return {p.name: None if p.is_dir() else p.read_bytes() for p in sorted(directory.iterdir())}


def leftovers(parent: Path) -> list[str]:
    """Stages and old runs that ``rundir`` failed to remove."""
    return [p.name for p in parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def one_error_line(stderr: str, command: str = "train") -> str:
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith(f"rnn-ref {command}: error: "), stderr
    return stderr


@pytest.fixture
def previous_run(tmp_path, capsys) -> Path:
    """``tmp_path/run`` holding a finished hello run with its plot."""
    out = tmp_path / "run"
    assert cli.main([*HELLO, "--out", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["loss.png", "metrics.json", "params.npz"]
    return out


def no_training(monkeypatch):
    """Make any training fail loudly: ``--out`` must be refused before it starts."""

    def run(*args):
        raise AssertionError("training started before --out was checked")

    hello = tasks.TASKS["hello"]
    monkeypatch.setitem(tasks.TASKS, "hello", dataclasses.replace(hello, run=run))


# Runs are written whole ---------------------------------------------------------------------


@fault
def test_a_file_size_limit_leaves_the_previous_run_whole(previous_run):
    """RLIMIT_FSIZE in the child: params.npz cannot be written. Python ignores SIGXFSZ,
    so the write fails with EFBIG: one line, exit 2, the old run byte for byte."""
    before = snapshot(previous_run)
    args = [*HELLO, "--seed", "1", "--out", str(previous_run)]
    # The limit is set by the child itself: a preexec_fn would fork this process, which
    # has JAX's threads once the twin tests ran (and fork with threads is a warning).
    code = (
        "import resource, sys; from rnn_ref.cli import main; "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500)); "
        f"sys.exit(main({args!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    status, _, stderr = finish(process)
    assert status == 2
    assert "--out: expected room for the run" in one_error_line(stderr.decode())
    assert snapshot(previous_run) == before
    assert leftovers(previous_run.parent) == []


@fault
def test_no_plots_replaces_the_old_plots_too(previous_run, capsys):
    """A run directory holds one run: the old loss.png does not stay beside new metrics."""
    assert cli.main([*HELLO, "--seed", "1", "--no-plots", "--out", str(previous_run)]) == 0
    assert sorted(p.name for p in previous_run.iterdir()) == ["metrics.json", "params.npz"]
    assert '"seed": 1' in (previous_run / "metrics.json").read_text()
    assert leftovers(previous_run.parent) == []


@fault
def test_an_error_while_writing_leaves_the_previous_run_whole(previous_run, monkeypatch, capsys):
    before = snapshot(previous_run)

    def plot(run, out):
        raise OSError(28, "No space left on device")

    hello = tasks.TASKS["hello"]
    monkeypatch.setitem(tasks.TASKS, "hello", dataclasses.replace(hello, plot=plot))
    assert cli.main([*HELLO, "--seed", "1", "--out", str(previous_run)]) == 2
    assert "No space left on device" in one_error_line(capsys.readouterr().err)
    assert snapshot(previous_run) == before
    assert leftovers(previous_run.parent) == []


@fault
def test_ctrl_c_while_writing_leaves_the_previous_run_whole(previous_run, monkeypatch, capsys):
    before = snapshot(previous_run)

    def plot(run, out):
        raise KeyboardInterrupt

    hello = tasks.TASKS["hello"]
    monkeypatch.setitem(tasks.TASKS, "hello", dataclasses.replace(hello, plot=plot))
    assert cli.main([*HELLO, "--seed", "1", "--out", str(previous_run)]) == 130
    assert capsys.readouterr().err == "rnn-ref train: interrupted\n"
    assert snapshot(previous_run) == before
    assert leftovers(previous_run.parent) == []


@fault
def test_a_failed_run_removes_the_directories_it_created(tmp_path, monkeypatch, capsys):
    def run(*args):
        raise ValueError("--text: expected something, got nothing")

    hello = tasks.TASKS["hello"]
    monkeypatch.setitem(tasks.TASKS, "hello", dataclasses.replace(hello, run=run))
    assert cli.main([*HELLO, "--out", str(tmp_path / "a" / "b" / "run")]) == 2
    one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


@fault
@pytest.mark.parametrize("where", ["previous run", "new path"])
def test_sigint_during_training_exits_130_and_leaves_out_as_it_was(where, tmp_path, capsys):
    """SIGINT to a training child once it has printed its first sample: exit 130, one
    line, and --out as it was (the previous run byte for byte, or nothing at all)."""
    if where == "previous run":
        out = tmp_path / "run"
        assert cli.main([*HELLO, "--out", str(out)]) == 0
        before = snapshot(out)
    else:
        out, before = tmp_path / "new" / "run", None
    args = ["train", "chars", "--hidden", "4", "--epochs", "100000", "--sample-every", "1"]
    process = child([*args, "--sample-length", "5", "--out", str(out)])
    assert process.stdout.readline().startswith(b"--- sample after epoch 1 ---")
    process.send_signal(signal.SIGINT)
    status, _, stderr = finish(process)
    assert status == 130
    assert stderr == b"rnn-ref train: interrupted\n"
    if before is None:
        assert list(tmp_path.iterdir()) == []
    else:
        assert snapshot(out) == before
        assert leftovers(tmp_path) == []


@fault
def test_sigterm_during_training_exits_143_and_removes_the_stage(tmp_path):
    out = tmp_path / "run"
    args = ["train", "chars", "--hidden", "4", "--epochs", "100000", "--sample-every", "1"]
    process = child([*args, "--sample-length", "5", "--out", str(out)])
    assert process.stdout.readline().startswith(b"--- sample after epoch 1 ---")
    process.send_signal(signal.SIGTERM)
    status, _, stderr = finish(process)
    assert status == 143
    assert stderr == b"rnn-ref train: terminated\n"
    assert list(tmp_path.iterdir()) == []


@fault
def test_sigint_during_explain_exits_130_with_one_line():
    process = child(["explain", "-T", "200", "--truncation", "199", "--full"])
    assert process.stdout.readline().startswith(b"rnn-ref explain: T=200")
    process.send_signal(signal.SIGINT)
    status, _, stderr = finish(process)
    assert status == 130
    assert stderr == b"rnn-ref explain: interrupted\n"


# Where --out may not go: refused before training ---------------------------------------------


@fault
@pytest.mark.parametrize(
    "place, expected",
    [
        ("file", "got the existing file"),
        ("file/run", "below the file"),
        ("", "expected a directory path, got ''"),
        ("/proc/rnn-ref-run", "a place where a directory can be created"),
        ("/proc/self/rnn-ref/run", "a place where a directory can be created"),
        ("link", "symbolic link"),
    ],
)
def test_a_bad_out_is_refused_before_training(place, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("mine\n")
    (tmp_path / "link").symlink_to(tmp_path)
    no_training(monkeypatch)
    assert cli.main([*HELLO, "--out", place]) == 2
    assert expected in one_error_line(capsys.readouterr().err)
    assert (tmp_path / "file").read_text() == "mine\n"
    assert leftovers(tmp_path) == []


@fault
def test_out_dot_in_a_folder_of_other_files_is_refused_not_emptied(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "metrics.json").write_text("{}\n")
    no_training(monkeypatch)
    for out in (".", str(tmp_path)):
        assert cli.main([*HELLO, "--out", out]) == 2
        assert "working directory" in one_error_line(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "notes.txt"]


@fault
def test_a_directory_with_other_files_is_refused_not_emptied(previous_run, monkeypatch, capsys):
    (previous_run / "notes.txt").write_text("mine\n")
    (previous_run / "data").mkdir()
    before = snapshot(previous_run)
    no_training(monkeypatch)
    assert cli.main([*HELLO, "--out", str(previous_run)]) == 2
    err = one_error_line(capsys.readouterr().err)
    assert "which also holds 'data', 'notes.txt'" in err
    assert snapshot(previous_run) == before


@fault
def test_files_that_arrive_during_training_stop_the_replacement(previous_run, monkeypatch, capsys):
    """check_out runs again just before the commit: a file put into --out meanwhile is
    not deleted with the old run."""
    hello = tasks.TASKS["hello"]

    def run(*args):
        (previous_run / "notes.txt").write_text("mine\n")
        return hello.run(*args)

    monkeypatch.setitem(tasks.TASKS, "hello", dataclasses.replace(hello, run=run))
    before = snapshot(previous_run) | {"notes.txt": b"mine\n"}
    assert cli.main([*HELLO, "--seed", "1", "--out", str(previous_run)]) == 2
    assert "notes.txt" in one_error_line(capsys.readouterr().err)
    assert snapshot(previous_run) == before
    assert leftovers(previous_run.parent) == []


# stdout: a full device, a closed pipe ---------------------------------------------------------


@fault
def test_explain_to_a_full_device_is_one_line_and_exit_2():
    with open("/dev/full", "wb") as full:
        status, _, stderr = finish(child(["explain"], stdout=full))
    assert status == 2
    assert stderr == b"rnn-ref explain: error: cannot write to stdout: No space left on device\n"


@fault
def test_train_to_a_full_device_still_writes_the_run(tmp_path):
    out = tmp_path / "run"
    with open("/dev/full", "wb") as full:
        status, _, stderr = finish(child([*HELLO, "--no-plots", "--out", str(out)], stdout=full))
    assert status == 2
    assert "the run's files were written" in one_error_line(stderr.decode())
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "params.npz"]


@fault
def test_train_into_a_closed_pipe_exits_quietly_and_writes_the_run(tmp_path):
    """``train chars --sample-every 1 | head -1``: the samples go on into the void, the run
    finishes, its files are written whole."""
    out = tmp_path / "run"
    args = ["train", "chars", "--hidden", "4", "--epochs", "30", "--sample-every", "1"]
    process = child([*args, "--sample-length", "400", "--no-plots", "--out", str(out)])
    assert process.stdout.readline().startswith(b"--- sample after epoch 1 ---")
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 1
    assert stderr == b""
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json", "params.npz", "samples.txt"]
    assert "=== after epoch 30 ===" in (out / "samples.txt").read_text()


@fault
def test_explain_streams_its_lines():
    """The first line is written before the rest is computed: a writer that fails at once
    stops explain after one line, whatever the size of the case."""
    lines = []

    def write(text):
        lines.append(text)
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        write_explain(ExplainConfig(steps=500, truncation=100), write)
    assert lines == ["rnn-ref explain: T=500 B=1 D=2 H=3 O=2, seed 0\n"]


# Bounded inputs ----------------------------------------------------------------------------


@fault
@pytest.mark.parametrize(
    "args, expected",
    [
        (["-T", "3000", "--truncation", "2999"], "about 9,084,040 lines"),
        (["-H", "100000"], "70,005,900,038 numbers"),
        (["-B", "1000000", "-T", "1000000"], "lines"),
    ],
)
def test_explain_refuses_a_case_too_large_to_print(args, expected, capsys, monkeypatch):
    def draw(*args, **kwargs):
        raise AssertionError("explain drew a case it refuses")

    # Refused from the sizes alone, before anything is drawn (np.random.default_rng draws
    # the weights, through rnn_ref.init_params, and the inputs): at -H 100000 W_hh alone
    # would be 80 GB.
    monkeypatch.setattr(np.random, "default_rng", draw)
    assert cli.main(["explain", *args]) == 2
    err = one_error_line(capsys.readouterr().err, "explain")
    assert expected in err and f"at most {MAX_LINES:,} lines" in err


@fault
@pytest.mark.parametrize("kind", ["device", "fifo", "directory", "too large"])
def test_chars_refuses_a_text_that_is_not_a_bounded_file(kind, tmp_path, monkeypatch, capsys):
    if kind == "device":
        path = "/dev/zero"
    elif kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)  # no writer: a blocking open would wait forever
    elif kind == "directory":
        path = str(tmp_path)
    else:
        path = str(tmp_path / "big.txt")
        with open(path, "wb") as file:
            file.truncate(chars.MAX_TEXT_BYTES + 1)  # sparse: no disk used
    no_training_text = ["train", "chars", "--text", path, "--no-plots"]
    assert cli.main([*no_training_text, "--out", str(tmp_path / "run")]) == 2
    err = one_error_line(capsys.readouterr().err)
    assert "--text: expected a" in err
    assert not (tmp_path / "run").exists() and leftovers(tmp_path) == []


def evaluation_peak(characters: int) -> int:
    """The peak bytes that scoring a random text of a 100-letter alphabet takes."""
    alphabet = [chr(c) for c in range(0x100, 0x164)]
    text = "".join(np.random.default_rng(0).choice(alphabet, size=characters))
    params = rnn_ref.init_params(len(alphabet), 4, len(alphabet), seed=0)
    tracemalloc.start()
    try:
        chars.chars_evaluate(params, text, sorted(alphabet), "tanh", 16)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@fault
def test_chars_memory_follows_the_batch_not_the_text_times_its_alphabet():
    """One-hot inputs of the whole text would take 800 bytes per character here. Scored
    a block at a time (as train and predict do), a longer text costs only its ids: the
    peak grows by far less than that per extra character."""
    small, large = evaluation_peak(50_000), evaluation_peak(250_000)
    per_character = (large - small) / 200_000
    assert per_character < 40, per_character


@fault
def test_a_too_short_text_says_how_many_characters_and_why(tmp_path, capsys):
    text = tmp_path / "short.txt"
    text.write_text("hello")
    args = ["train", "chars", "--text", str(text), "--batch-size", "8", "--no-plots"]
    assert cli.main([*args, "--out", str(tmp_path / "run")]) == 2
    assert one_error_line(capsys.readouterr().err) == (
        "rnn-ref train: error: --text: expected at least 9 characters, got 5: the text is "
        "read as 8 parallel streams (--batch-size), each needing a character and the one "
        "after it\n"
    )


# Messages that say what is wrong -------------------------------------------------------------


@fault
@pytest.mark.parametrize(
    "argv, given",
    [
        (["explain", "--bptt", "full", "--truncation", "2"], "--truncation"),
        (["explain", "--mode", "chunk", "--bptt", "chunk:2"], "--mode"),
        ([*HELLO, "--bptt", "window:2", "--truncation-mode", "chunk"], "--truncation-mode"),
    ],
)
def test_bptt_with_the_older_flags_is_a_usage_error(argv, given, tmp_path, capsys):
    assert cli.main([*argv, "--out", str(tmp_path / "run")] if "train" in argv else argv) == 2
    err = one_error_line(capsys.readouterr().err, argv[0])
    assert f"--bptt: expected either --bptt or {given}, not both" in err
    assert not (tmp_path / "run").exists()


@fault
def test_train_bptt_without_a_mode_names_the_forms_in_the_tasks_usage():
    """``train sine --bptt 5`` used to print the top-level usage and no hint."""
    status, stdout, stderr = finish(child(["train", "sine", "--bptt", "5"]))
    assert status == 2 and stdout == b""
    err = stderr.decode()
    assert err.startswith("usage: rnn-ref train sine ")
    assert err.endswith(
        "rnn-ref train sine: error: argument --bptt: expected full, window:K or chunk:K with "
        "an integer K >= 1, got '5' (window:5 or chunk:5?)\n"
    )


def test_train_bptt_reaches_the_configuration(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main([*HELLO, "--bptt", "chunk:2", "--no-plots", "--out", str(out)]) == 0
    config = json.loads((out / "metrics.json").read_text())["config"]
    assert (config["truncation"], config["truncation_mode"]) == (2, "chunk")


def test_chars_help_gives_one_default_for_text():
    status, stdout, _ = finish(child(["train", "chars", "--help"]))
    assert status == 0
    text = " ".join(stdout.decode().split())  # argparse wraps the help text
    assert "default: the sonnets shipped with rnn-ref)" in text
    assert "(default: None)" not in text


def test_the_reliability_page_gives_the_count_of_these_cases():
    """docs/reliability.md states how many fault cases this file tries: the true count."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "fault", __file__],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    count = sum(1 for line in result.stdout.splitlines() if "::" in line)
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert count > 30
    assert f"{count} fault cases in `tests/test_faults_runs.py`" in page, count
