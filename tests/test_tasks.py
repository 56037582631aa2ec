"""The training tasks and ``rnn-ref train`` / ``rnn-ref predict``.

- Tiny runs of every task: the loss goes down; the same seed gives the same numbers bit
  for bit (and another seed other numbers); the files are written (metrics.json with the
  summary's figures, params.npz, the PNGs, the samples); ``predict`` reloads params.npz
  and reproduces the figures of metrics.json exactly.
- The command line: every common flag reaches the configuration; bad flags exit 2.
- The data: the sentiment corpus and its fixed split (the test set is never trained on);
  sentences of different lengths batched with loss weights give exactly the gradient of
  training them one by one; the character streams read segment by segment with the state
  carried are exactly chunk(k) of each stream.
- Training imports neither the JAX twin nor, at import time, matplotlib or tqdm.
- The figures of the issue with the default settings, one test each: sine's validation
  RMSE (tanh <= 0.001, sigmoid <= 0.002, each in 1500 updates), hello all right,
  sentiment's test accuracy.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rnn_ref
from rnn_ref import cli, tasks
from rnn_ref.tasks import chars, hello, sentiment, sine
from rnn_ref.tasks.loop import TrainConfig

PNG = b"\x89PNG\r\n\x1a\n"
TINY = {  # name: (config, task options), each a fraction of a second
    "sine": (dataclasses.replace(sine.DEFAULTS, hidden=4, epochs=40), {}),
    "sentiment": (dataclasses.replace(sentiment.DEFAULTS, hidden=8, epochs=3), {}),
    "hello": (dataclasses.replace(hello.HELLO_DEFAULTS, epochs=30), {}),
    "chars": (
        dataclasses.replace(chars.CHARS_DEFAULTS, hidden=16, epochs=4, batch_size=4),
        {"seq_length": 10, "sample_every": 2, "sample_length": 20},
    ),
}
TINY_FLAGS = {
    "sine": ["--hidden", "4", "--epochs", "40"],
    "sentiment": ["--hidden", "8", "--epochs", "3"],
    "hello": ["--epochs", "30"],
    "chars": ["--hidden", "16", "--epochs", "4", "--batch-size", "4", "--seq-length", "10"],
}
PLOTS = {
    "sine": ["loss.png", "predictions.png"],
    "sentiment": ["loss.png", "confusion.png"],
    "hello": ["loss.png"],
    "chars": ["loss.png"],
}
EVALUATED = {  # the figures that predict recomputes
    "sine": ["train_rmse", "val_rmse"],
    "sentiment": ["train_accuracy", "validation_accuracy", "test_accuracy", "test_confusion"],
    "hello": ["predicted", "correct", "loss"],
    "chars": ["loss", "bits_per_char"],
}


def tiny(name: str, **changes) -> tasks.Run:
    config, options = TINY[name]
    run, _ = tasks.train(name, dataclasses.replace(config, **changes), **options)
    return run


def without_time(run: tasks.Run) -> dict:
    content = run.to_json()
    del content["metrics"]["train_seconds"]
    content["summary"] = None  # it prints the time
    return content


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """``rnn-ref ARGS`` in this process (argparse errors included); status, stdout, stderr."""
    try:
        status = cli.main(args)
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# The training loop ------------------------------------------------------------------------


@pytest.mark.parametrize("name", TINY)
def test_the_loss_goes_down(name):
    losses = tiny(name).history.train_loss
    assert losses[-1] < 0.9 * losses[0], f"{name}: {losses[0]:.4g} -> {losses[-1]:.4g}"


@pytest.mark.parametrize("name", TINY)
def test_the_same_seed_gives_the_same_numbers_bit_for_bit(name):
    first, second = tiny(name), tiny(name)
    assert without_time(first) == without_time(second)
    for a, b in zip(first.params.arrays(), second.params.arrays(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert first.extra.keys() == second.extra.keys()
    assert repr(first.extra) == repr(second.extra)  # the samples of chars, too
    other = tiny(name, seed=1)
    assert other.history.train_loss != first.history.train_loss


def test_truncation_and_the_optimiser_reach_the_gradient():
    """window(2) and SGD train differently from full BPTT and Adam, from the same start."""
    base = tiny("sine")
    window = tiny("sine", truncation=2)
    sgd = tiny("sine", optimizer="sgd", lr=0.05)
    assert window.history.train_loss[0] == base.history.train_loss[0]  # same start
    assert window.history.train_loss[-1] != base.history.train_loss[-1]
    assert sgd.history.train_loss[-1] != base.history.train_loss[-1]


# Files and the command line ---------------------------------------------------------------


@pytest.mark.parametrize("name", TINY)
def test_train_writes_its_files_and_predict_reproduces_the_metrics(name, tmp_path, capsys):
    out = tmp_path / name
    status, stdout, stderr = run_cli(["train", name, *TINY_FLAGS[name], "--out", str(out)], capsys)
    assert status == 0, stderr
    content = json.loads((out / "metrics.json").read_text())
    assert stdout.splitlines()[-1] == content["summary"].splitlines()[-1]  # the final line
    flags = TINY_FLAGS[name]
    epochs = int(flags[flags.index("--epochs") + 1])
    assert content["task"] == name and content["config"]["epochs"] == epochs
    assert len(content["history"]["train_loss"]) == content["config"]["epochs"]
    for png in PLOTS[name]:
        assert (out / png).read_bytes()[:8] == PNG, png
    if name == "chars":
        assert "=== after epoch 4 ===" in (out / "samples.txt").read_text()

    status, stdout, stderr = run_cli(
        ["predict", name, "--params", str(out / "params.npz"), "--json"], capsys
    )
    assert status == 0, stderr
    reproduced = json.loads(stdout)
    for key in EVALUATED[name]:
        assert reproduced[key] == content["metrics"][key], key
    status, stdout, _ = run_cli(["predict", name, "--params", str(out / "params.npz")], capsys)
    assert status == 0 and stdout.strip()


def test_every_common_flag_reaches_the_configuration(tmp_path, capsys):
    flags = [
        *("--activation", "sigmoid", "--hidden", "3", "--truncation", "5"),
        *("--truncation-mode", "chunk", "--init", "uniform01", "--optimizer", "sgd"),
        *("--lr", "0.02", "--betas", "0.5", "0.6", "--schedule", "constant"),
        *("--clip", "0.5", "--clip-mode", "elementwise", "--epochs", "3", "--seed", "7"),
    ]
    status, _, stderr = run_cli(
        ["train", "sine", *flags, "--out", str(tmp_path), "--no-plots"], capsys
    )
    assert status == 0, stderr
    config = json.loads((tmp_path / "metrics.json").read_text())["config"]
    assert config == {
        "activation": "sigmoid",
        "hidden": 3,
        "truncation": 5,
        "truncation_mode": "chunk",
        "optimizer": "sgd",
        "lr": 0.02,
        "betas": [0.5, 0.6],
        "schedule": "constant",
        "clip": 0.5,
        "clip_mode": "elementwise",
        "epochs": 3,
        "batch_size": None,
        "seed": 7,
        "init": "uniform01",
    }
    assert not list(tmp_path.glob("*.png"))


def test_predict_classifies_new_sentences(tmp_path, capsys):
    run_cli(["train", "sentiment", *TINY_FLAGS["sentiment"], "--out", str(tmp_path)], capsys)
    params = str(tmp_path / "params.npz")
    sentences = ["--sentence", "what a lovely day", "--sentence", "xyzzy"]
    status, stdout, _ = run_cli(["predict", "sentiment", "--params", params, *sentences], capsys)
    assert status == 0
    assert "'what a lovely day'" in stdout and "(unknown words: xyzzy)" in stdout


@pytest.mark.parametrize(
    "args",
    [
        ["train", "sine", "--lr", "-1"],
        ["train", "sine", "--lr", "nan"],
        ["train", "sine", "--truncation", "0"],
        ["train", "sine", "--truncation-mode", "sideways"],
        ["train", "sine", "--activation", "swish"],
        ["train", "sine", "--clip", "zero"],
        ["train", "sine", "--clip-mode", "max"],
        ["train", "sine", "--optimizer", "rmsprop"],
        ["train", "sine", "--betas", "0.9", "1.0"],
        ["train", "sine", "--epochs", "0"],
        ["train", "sine", "--batch-size", "4"],  # sine has one batch: no such flag
        ["train", "sine", "--text", "a.txt"],  # a flag of another task
        ["train", "poetry"],
        ["train"],
        ["predict", "sine"],
    ],
)
def test_bad_flags_exit_2(args, capsys):
    status, stdout, stderr = run_cli(args, capsys)
    assert status == 2 and not stdout
    assert "error:" in stderr and "Traceback" not in stderr


def test_bad_files_exit_2_with_one_line(tmp_path, capsys):
    run_cli(["train", "hello", "--epochs", "2", "--out", str(tmp_path), "--no-plots"], capsys)
    cases = [
        (["predict", "sine", "--params", str(tmp_path / "params.npz")], "of task 'sine'"),
        (["predict", "sine", "--params", str(tmp_path / "missing.npz")], "existing file"),
        (["train", "chars", "--text", str(tmp_path / "missing.txt")], "--text: expected"),
        (["train", "chars", "--seq-length", "0", "--out", str(tmp_path)], "--seq-length"),
    ]
    for args, message in cases:
        status, stdout, stderr = run_cli(args, capsys)
        assert status == 2 and not stdout, args
        assert stderr.count("\n") == 1 and message in stderr, stderr


def test_a_diverging_run_exits_2_with_one_line(tmp_path, capsys):
    args = ["train", "sine", "--optimizer", "sgd", "--lr", "1000", "--hidden", "4"]
    status, stdout, stderr = run_cli([*args, "--out", str(tmp_path), "--no-plots"], capsys)
    assert status == 2 and not stdout
    assert stderr.startswith("rnn-ref train: error: training diverged in epoch ")
    assert stderr.count("\n") == 1


def test_the_docs_script_writes_its_tables(tmp_path, monkeypatch):
    """docgen/task_plots.py, on tiny runs: the window(k) study and the tables."""
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    path = Path(__file__).resolve().parents[1] / "docgen" / "task_plots.py"
    spec = importlib.util.spec_from_file_location("task_plots", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rows = script.truncation_study(tmp_path, quick=True)
    assert [r["gradient"] for r in rows] == [f"window({k})" for k in script.WINDOWS] + ["full"]
    assert (tmp_path / "sine_truncation.png").read_bytes()[:8] == PNG
    table = script.truncation_table(rows)
    assert table.count("\n") == len(rows) + 2 and "| full |" in table
    run = tiny("hello")
    row = script.describe("hello", run.metrics) | {"train_seconds": 0.1, "wall_seconds": 1.0}
    assert "ello (4/4 right)" in script.results_table([row])


def test_training_imports_no_twin_and_plotting_only_when_used(tmp_path):
    """In a fresh interpreter: import rnn_ref and the tasks, train hello, look at sys.modules."""
    code = f"""
import sys
import rnn_ref, rnn_ref.tasks, rnn_ref.cli
rnn_ref.cli.build_parser()
heavy = ("matplotlib", "tqdm", "jax", "verification")
assert not [m for m in sys.modules if m.split(".")[0] in heavy], "imported at import time"
rnn_ref.tasks.train("hello", out={str(tmp_path)!r}, plots=False)
assert not [m for m in sys.modules if m.split(".")[0] in ("jax", "verification")], "twin"
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.stdout == "ok\n", result.stderr


# The data ---------------------------------------------------------------------------------


def test_the_corpus_and_its_fixed_split():
    corpus = sentiment.corpus()
    assert len(corpus) >= 150
    assert len({e.id for e in corpus}) == len(corpus)
    assert len({e.sentence for e in corpus}) == len(corpus), "a sentence appears twice"
    for split in sentiment.SPLITS:
        labels = [e.label for e in corpus if e.split == split]
        assert labels.count(0) == labels.count(1) > 0, split


def test_the_test_set_is_never_trained_on():
    vocab = sentiment.vocabulary(sentiment.split("train"))
    problem = sentiment.problem(16, vocab)
    seen = []
    for batch in problem.epoch(np.random.default_rng(0)):
        for b in range(batch.xs.shape[1]):
            length = int(batch.weights[:, b].argmax()) + 1
            seen.append(" ".join(vocab[i] for i in batch.xs[:length, b].argmax(axis=1)))
    train = [e.sentence for e in sentiment.split("train")]
    assert sorted(seen) == sorted(train)
    held_out = {e.sentence for e in corpus_split(("validation", "test"))}
    assert not held_out & set(seen)


def corpus_split(names):
    return [e for e in sentiment.corpus() if e.split in names]


def test_batching_with_loss_weights_equals_training_one_by_one():
    """Padding at the end plus a weight at each sentence's last word changes nothing."""
    examples = sentiment.split("train")[:6]
    vocab = sentiment.vocabulary(sentiment.split("train"))
    batch = sentiment.encode_examples(examples, vocab)
    assert len({int(batch.weights[:, b].argmax()) for b in range(6)}) > 2, "lengths vary"
    params = rnn_ref.init_params(len(vocab), 5, 2, seed=3)
    spec = rnn_ref.Spec(loss="softmax_ce")
    together = rnn_ref.gradients(params, batch.xs, batch.targets, spec, weights=batch.weights)
    alone = [
        rnn_ref.gradients(params, one.xs, one.targets, spec, weights=one.weights)
        for one in (sentiment.encode_examples([e], vocab) for e in examples)
    ]
    assert together.loss == pytest.approx(sum(g.loss for g in alone), rel=1e-12)
    for name in rnn_ref.Params.FIELDS:
        expected = sum(getattr(g.params, name) for g in alone)
        np.testing.assert_allclose(getattr(together.params, name), expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("alphabet", [None, "unsorted"])
def test_streams_read_each_character_as_its_index_in_the_alphabet(alphabet):
    """The ids come from code points in NumPy; here against a dict, character by character,
    with letters beyond Latin-1 and beyond the BMP, and an alphabet in any order."""
    text = "Shall I compare thee, ça, ∑ and 🙂? " * 5
    letters = sorted(set(text))
    if alphabet == "unsorted":
        letters = letters[::-1]
    data = chars.streams(text, 3, letters if alphabet else None)
    assert data.alphabet == letters
    index = {c: i for i, c in enumerate(letters)}
    np.testing.assert_array_equal(data.ids, [index[c] for c in text])
    L = (len(text) - 1) // 3
    whole = data.batch()
    for b in range(3):
        stream = text[b * L : (b + 1) * L + 1]
        assert "".join(letters[i] for i in whole.xs[:, b].argmax(axis=1)) == stream[:-1]
        assert "".join(letters[i] for i in whole.targets[:, b]) == stream[1:]


@pytest.mark.parametrize("seq_length", [1, 4, 7])
def test_segments_with_the_state_carried_are_chunk_k_of_each_stream(seq_length):
    """The chars loop (fit with stateful=True) computes exactly the chunk(k) gradient."""
    data = chars.streams("the quick brown fox jumps over the lazy dog. " * 3, 3)
    params = rnn_ref.init_params(len(data.alphabet), 6, len(data.alphabet), seed=1)
    spec = rnn_ref.Spec(loss="softmax_ce")
    h, total = None, None
    for batch in chars.segments(data, seq_length):
        g = rnn_ref.gradients(params, batch.xs, batch.targets, spec, h0=h)
        h = rnn_ref.forward(params, batch.xs, h).hs[-1]  # as loop.fit carries it
        total = (
            g.params.arrays()
            if total is None
            else [a + b for a, b in zip(total, g.params.arrays(), strict=True)]
        )
    chunk = dataclasses.replace(spec, truncation=seq_length, truncation_mode="chunk")
    streams = data.batch()  # every step of the streams at once
    whole = rnn_ref.gradients(params, streams.xs, streams.targets, chunk)
    for name, mine, theirs in zip(rnn_ref.Params.FIELDS, total, whole.params.arrays(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-13, err_msg=name)


# The figures of the issue, with the default settings ----------------------------------------


@pytest.mark.parametrize("activation, bound", [("tanh", 1e-3), ("sigmoid", 2e-3)])
def test_sine_defaults_reach_the_validation_rmse_of_the_issue(activation, bound):
    config = dataclasses.replace(sine.DEFAULTS, activation=activation)
    run, _ = tasks.train("sine", config)
    assert run.metrics["val_rmse"] <= bound, run.summary
    # The issue's "in under 10 s" is a size of work: 1500 full-batch updates of H = 16 on
    # 100 windows of 50 steps. That is asserted here; its time is measured by
    # docgen/task_plots.py for docs/tasks.md, not on a shared test machine.
    assert run.metrics["epochs"] == len(run.history.train_loss) == 1500, run.summary
    assert (config.hidden, config.truncation, config.batch_size) == (16, None, None), config


def test_hello_defaults_get_all_four_right():
    run, _ = tasks.train("hello")
    assert run.metrics["predicted"] == "ello" and run.metrics["correct"] == 4, run.summary


def test_sentiment_defaults_generalise_to_the_test_set():
    run, _ = tasks.train("sentiment")
    assert run.metrics["train_accuracy"] >= 0.95, run.summary
    assert run.metrics["test_accuracy"] >= 0.7, run.summary
    assert np.sum(run.metrics["test_confusion"]) == len(sentiment.split("test"))


def test_defaults_are_what_the_docs_say():
    assert isinstance(sine.DEFAULTS, TrainConfig)
    assert tasks.TASKS.keys() == {"sine", "sentiment", "hello", "chars"}
    assert Path(chars.read_text(None)[1]).name == "sonnets.txt"


def test_predict_with_parameters_too_large_for_float64_is_a_clear_error(tmp_path, capsys):
    """Finite parameters that overflow float64 in the forward pass: exit status 2 and one
    line naming the command and the overflow, not a traceback."""
    run_cli(["train", "hello", *TINY_FLAGS["hello"], "--out", str(tmp_path)], capsys)
    with np.load(tmp_path / "params.npz", allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    # a_t = W_xh x_t + W_hh h_{t-1} + b_h = 1e308 + ... + 1e308 for a one-hot x_t: inf
    arrays["W_xh"] = np.full_like(arrays["W_xh"], 1e308)
    arrays["b_h"] = np.full_like(arrays["b_h"], 1e308)
    np.savez(tmp_path / "huge.npz", **arrays)
    status, stdout, stderr = run_cli(
        ["predict", "hello", "--params", str(tmp_path / "huge.npz")], capsys
    )
    assert status == 2 and not stdout
    assert stderr.startswith("rnn-ref predict: error: ") and "stay finite" in stderr
    assert len(stderr.strip().splitlines()) == 1
