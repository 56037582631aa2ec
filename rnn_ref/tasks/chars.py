"""``chars``: predict the next character of a text, at every step (many-to-many).

Characters are one-hot vectors over the text's own alphabet (``characters``); the read-out
gives one score per character and the loss is the softmax cross-entropy at every step.

Any text file (by default a few of Shakespeare's sonnets, shipped in ``data/``) is cut into
``batch_size`` streams, read side by side, and each stream into segments of ``seq_length``
characters. Each segment is one update, and it starts in the state where the previous
segment ended, held constant: the gradient never crosses a segment boundary. That is
chunk(seq_length) truncation of every stream, the loop of the classic minimal
character-level RNN; ``--truncation`` can cut further inside a segment. As it trains, the
model writes samples, drawn one character at a time from softmax(y / temperature).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref import Params
from rnn_ref.files._atomic import atomic_file

from . import plots
from .base import (
    Prediction,
    Task,
    require,
)
from .characters import chars_sizes, one_hot, softmax
from .loop import Batch, Problem, TrainConfig, fit
from .runs import Run

DEFAULT_TEXT = "sonnets.txt"

CHARS_DEFAULTS = TrainConfig(
    activation="tanh",
    hidden=128,
    optimizer="adam",
    lr=0.005,
    schedule="cosine",
    clip=5.0,
    clip_mode="elementwise",
    epochs=100,
    batch_size=16,
)


@dataclass(frozen=True)
class CharsOptions:
    """The settings of ``chars`` beyond the common ones.

    Attributes:
        text: the text file; ``None`` means the shipped sonnets.
        seq_length: characters per stream in one update (the chunk length).
        temperature: tau > 0 of the samples: p is proportional to exp(y / tau).
        sample_every: epochs between samples (0: none while training).
        sample_length: characters per sample.
    """

    text: str | None = None
    seq_length: int = 25
    temperature: float = 0.8
    sample_every: int = 25
    sample_length: int = 200

    def __post_init__(self) -> None:
        if self.seq_length < 1:
            raise ValueError(f"--seq-length: expected an integer >= 1, got {self.seq_length}")
        if not self.temperature > 0:
            raise ValueError(f"--temperature: expected a number > 0, got {self.temperature}")
        if self.sample_every < 0 or self.sample_length < 1:
            raise ValueError("--sample-every >= 0 and --sample-length >= 1 expected")


# The largest --text. Memory no longer grows with the text times its alphabet (a 2 MB
# text peaks at 108 MB at the defaults), but time does: one epoch over 2 MB took 4.7
# minutes at the defaults on the project's busy 2-core machine, so 10 MB is about 25
# minutes per epoch. A larger file is far more likely a mistake (a log, a dump) than a
# corpus to train a reference RNN on.
MAX_TEXT_BYTES = 10_000_000
# Steps per block when the whole text is scored (evaluation): one-hot inputs of
# EVAL_STEPS x B x V numbers at a time, whatever the text's length.
EVAL_STEPS = 256


def read_text(path: str | None) -> tuple[str, str]:
    """The text and a name for it (its path, or the shipped file's name).

    Only a regular file of at most ``MAX_TEXT_BYTES`` is read: a FIFO or a device
    (``/dev/zero``) is refused without reading from it, and so is a larger file.
    """
    if path is None:
        data = resources.files("rnn_ref.tasks").joinpath("data", DEFAULT_TEXT)
        return data.read_text(encoding="utf-8"), f"rnn_ref/tasks/data/{DEFAULT_TEXT}"
    try:
        # O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, TypeError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise ValueError(
            f"--text: expected a readable text file, got {path!r} ({reason})"
        ) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ValueError(
            f"--text: expected a regular file, got {path!r} (a device, FIFO or directory)"
        )
    if info.st_size > MAX_TEXT_BYTES:
        os.close(fd)
        raise ValueError(
            f"--text: expected a file of at most {MAX_TEXT_BYTES:,} bytes, got {path!r} "
            f"({info.st_size:,} bytes)"
        )
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_TEXT_BYTES + 1)  # bounded, even if the file grows meanwhile
    if len(data) > MAX_TEXT_BYTES:
        raise ValueError(
            f"--text: expected a file of at most {MAX_TEXT_BYTES:,} bytes, got {path!r}"
        )
    try:
        return data.decode("utf-8"), path
    except UnicodeDecodeError as error:
        raise ValueError(f"--text: expected UTF-8 text, got {path!r} ({error})") from None


@dataclass(frozen=True, eq=False)
class Streams:
    """The text as ``B`` streams read side by side, each of ``L`` inputs.

    Stream b reads ``text[b*L : (b+1)*L]``, and its targets are the characters one
    further. Only the character ids are held; ``batch`` makes the one-hot inputs of a
    range of steps when they are needed, so memory grows with the batch, not with the
    text times its alphabet.

    Attributes:
        alphabet: the characters, sorted; a character's id is its index.
        ids: (N,) the id of every character of the text.
        batch_size: B. length: L = (N - 1) // B.
    """

    alphabet: list[str]
    ids: np.ndarray
    batch_size: int
    length: int

    def _steps(self, start: int, stop: int, shift: int) -> np.ndarray:
        starts = np.arange(self.batch_size) * self.length
        return self.ids[starts[None, :] + np.arange(start, stop)[:, None] + shift]

    def batch(self, start: int = 0, stop: int | None = None) -> Batch:
        """Steps ``start..stop-1``: xs (n, B, V) one-hot, targets (n, B) ids, weights ones."""
        stop = self.length if stop is None else min(stop, self.length)
        targets = self._steps(start, stop, 1)
        xs = one_hot(self._steps(start, stop, 0), len(self.alphabet))
        return Batch(xs=xs, targets=targets, weights=np.ones(targets.shape))


def streams(text: str, batch_size: int, alphabet: list[str] | None = None) -> Streams:
    """Cut ``text`` into ``batch_size`` streams (see ``Streams``)."""
    # Code points through numpy: no Python int per character of a long text.
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    alphabet = sorted(set(text)) if alphabet is None else alphabet
    known = np.array([ord(c) for c in alphabet], dtype=np.uint32)
    order = np.argsort(known)  # the identity for our sorted alphabets; any order works
    rank = np.minimum(np.searchsorted(known[order], codes), max(known.size - 1, 0))
    if codes.size and (known.size == 0 or np.any(known[order][rank] != codes)):
        unknown = sorted(set(text) - set(alphabet))
        raise ValueError(f"--text: characters not in the model's alphabet: {unknown[:10]}")
    ids = order[rank] if known.size else rank
    L = (len(ids) - 1) // batch_size
    if L < 1:
        raise ValueError(
            f"--text: expected at least {batch_size + 1} characters, got {len(ids)}: the text "
            f"is read as {batch_size} parallel streams (--batch-size), each needing a "
            "character and the one after it"
        )
    return Streams(alphabet=alphabet, ids=ids.astype(np.int64), batch_size=batch_size, length=L)


def segments(data: Streams, seq_length: int) -> Iterator[Batch]:
    """Consecutive segments of ``seq_length`` steps (the last one may be shorter), one at a
    time: each is built when the loop reaches it."""
    for s in range(0, data.length, seq_length):
        yield data.batch(s, s + seq_length)


def segment_count(data: Streams, seq_length: int) -> int:
    return -(-data.length // seq_length)


def sample(
    params: Params,
    alphabet: list[str],
    activation: str,
    length: int,
    temperature: float,
    rng: np.random.Generator,
    prime: str = "",
) -> str:
    """``length`` characters drawn one at a time from softmax(y / temperature).

    The state starts at zeros. The characters of ``prime`` (default: a newline, or the
    first character of the alphabet if the text has none) are fed first; then each drawn
    character is fed back in.
    """
    index = {c: i for i, c in enumerate(alphabet)}
    prime = prime or ("\n" if "\n" in index else alphabet[0])
    h = None
    for c in prime[:-1]:
        x = one_hot([[index[c]]], len(alphabet))
        h = rnn_ref.forward(params, x, h, activation=activation).hs[-1]
    current = index[prime[-1]]
    out = []
    for _ in range(length):
        x = one_hot([[current]], len(alphabet))
        trajectory = rnn_ref.forward(params, x, h, activation=activation)
        h = trajectory.hs[-1]
        p = softmax(trajectory.ys[0, 0] / temperature)
        current = int(rng.choice(len(alphabet), p=p))
        out.append(alphabet[current])
    return "".join(out)


def chars_evaluate(
    params: Params, text: str, alphabet: list[str], activation: str, batch_size: int
) -> dict:
    """The mean cross-entropy per character over the whole text, from zero states.

    Scored ``EVAL_STEPS`` steps at a time with the state carried from block to block:
    the forward values, and so the loss, are those of one pass over the whole streams.
    """
    data = streams(text, batch_size, alphabet)
    spec = rnn_ref.Spec(activation=activation, loss="softmax_ce")
    nats, h = 0.0, None
    for block in segments(data, EVAL_STEPS):
        nats += rnn_ref.loss(params, block.xs, block.targets, spec, h0=h)
        h = rnn_ref.forward(params, block.xs, h, activation=activation).hs[-1]
    nats /= data.length * batch_size
    return {"loss": nats, "bits_per_char": nats / np.log(2.0)}


def chars_run(config: TrainConfig, options: CharsOptions, progress: bool | None) -> Run:
    text, name = read_text(options.text)
    batch_size = config.batch_size or 16
    data = streams(text, batch_size)
    problem = Problem(
        loss="softmax_ce",
        input_size=len(data.alphabet),
        output_size=len(data.alphabet),
        epoch=lambda rng: segments(data, options.seq_length),
        batches_per_epoch=segment_count(data, options.seq_length),
        stateful=True,
    )
    rng = np.random.default_rng([config.seed, 2])  # the samples' own stream
    samples: list[tuple[int, str]] = []

    def on_epoch(epoch: int, params: Params, write) -> None:
        if options.sample_every and epoch % options.sample_every == 0:
            text = sample(
                params,
                data.alphabet,
                config.activation,
                options.sample_length,
                options.temperature,
                rng,
            )
            samples.append((epoch, text))
            write(f"--- sample after epoch {epoch} ---\n{text}\n---")

    params, history = fit(problem, config, name="chars", progress=progress, on_epoch=on_epoch)
    metrics = chars_evaluate(params, text, data.alphabet, config.activation, batch_size)
    if not samples or samples[-1][0] != config.epochs:  # a sample of the final model
        length, temperature = options.sample_length, options.temperature
        final = sample(params, data.alphabet, config.activation, length, temperature, rng)
        samples.append((config.epochs, final))
    metrics["epochs"] = config.epochs
    metrics["characters"] = len(text)
    metrics["distinct_characters"] = len(data.alphabet)
    metrics["train_seconds"] = history.seconds
    summary = (
        f"chars: {metrics['loss']:.3f} nats ({metrics['bits_per_char']:.3f} bits) per "
        f"character on {name} ({len(text)} characters, {len(data.alphabet)} distinct) after "
        f"{config.epochs} epochs in {history.seconds:.1f} s ({config.describe()}, segments "
        f"of {options.seq_length}, so at most chunk({options.seq_length}))"
    )
    meta = {
        "alphabet": data.alphabet,
        "text": name,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    options_dict = {
        "text": options.text,
        "seq_length": options.seq_length,
        "temperature": options.temperature,
        "sample_every": options.sample_every,
        "sample_length": options.sample_length,
    }
    return Run(
        "chars",
        config,
        options_dict,
        params,
        history,
        metrics,
        summary,
        meta,
        extra={"samples": samples},
    )


def chars_plot(run: Run, out: Path) -> list[Path]:
    loss_png = plots.losses(
        out / "loss.png",
        run.history.train_loss,
        title="chars: cross-entropy per character",
        ylabel="mean cross-entropy (nats)",
    )
    return [loss_png]


def chars_samples(run: Run, out: Path) -> list[Path]:
    """``samples.txt``: the samples drawn while training and the final one."""
    samples = out / "samples.txt"
    lines = [f"temperature {run.options['temperature']}\n"]
    for epoch, text in run.extra["samples"]:
        lines.append(f"=== after epoch {epoch} ===\n{text}\n")
    with atomic_file(samples, "w") as file:
        file.write("\n".join(lines))
    return [samples]


def add_chars_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = CharsOptions()
    parser.add_argument(
        "--text",
        metavar="FILE",
        help="a UTF-8 text file to train on (default: the sonnets shipped with rnn-ref)",
    )
    parser.add_argument(
        "--seq-length",
        type=int,
        default=defaults.seq_length,
        metavar="L",
        help="characters per stream in one update: the state is carried from segment to "
        "segment and held constant, so this is chunk(L) truncation",
    )
    _add_sampling_arguments(parser, defaults)
    parser.add_argument(
        "--sample-every",
        type=int,
        default=defaults.sample_every,
        metavar="N",
        help="print a sample every N epochs (0: only at the end)",
    )


def _add_sampling_arguments(parser: argparse.ArgumentParser, defaults) -> None:
    parser.add_argument(
        "--temperature",
        type=float,
        default=defaults.temperature,
        metavar="TAU",
        help="sampling temperature: p is proportional to exp(y / TAU); lower is more conservative",
    )
    parser.add_argument(
        "--sample-length",
        type=int,
        default=defaults.sample_length,
        metavar="N",
        help="characters per sample",
    )


@dataclass(frozen=True)
class CharsPredictOptions:
    """The settings of ``predict chars``, checked as ``train chars`` checks its own.

    Attributes:
        text: the text to score; ``None`` means the shipped sonnets.
        temperature: tau > 0 of the sample.
        sample_length: characters in the sample, at least 1.
        prime: characters fed before sampling.
        seed: the seed of the sample, >= 0.
    """

    text: str | None = None
    temperature: float = 0.8
    sample_length: int = 200
    prime: str = ""
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ValueError(f"--temperature: expected a number > 0, got {self.temperature}")
        if self.sample_length < 1:
            raise ValueError(f"--sample-length: expected an integer >= 1, got {self.sample_length}")
        if self.seed < 0:
            raise ValueError(f"--seed: expected an integer >= 0, got {self.seed}")


def add_chars_predict_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = CharsPredictOptions()
    parser.add_argument(
        "--text",
        metavar="FILE",
        help="the text to score (default: the shipped sonnets); must use the model's alphabet",
    )
    _add_sampling_arguments(parser, defaults)
    parser.add_argument(
        "--prime", default="", metavar="TEXT", help="feed these characters before sampling"
    )
    parser.add_argument("--seed", type=int, default=0, help="the seed of the sample")


def chars_predict(params: Params, meta: dict, options: CharsPredictOptions) -> Prediction:
    config = require(meta, "config")
    alphabet = require(meta, "alphabet")
    text, name = read_text(options.text)
    metrics = chars_evaluate(
        params, text, alphabet, config["activation"], config["batch_size"] or 16
    )
    if options.prime and set(options.prime) - set(alphabet):
        raise ValueError(f"--prime: characters not in the model's alphabet: {options.prime!r}")
    text_sample = sample(
        params,
        alphabet,
        config["activation"],
        options.sample_length,
        options.temperature,
        np.random.default_rng(options.seed),
        options.prime,
    )
    lines = [
        f"chars ({config['activation']}): {metrics['loss']:.3f} nats "
        f"({metrics['bits_per_char']:.3f} bits) per character on {name}",
        f"--- sample, temperature {options.temperature} ---",
        options.prime + text_sample,
    ]
    return Prediction(metrics=metrics, text="\n".join(lines) + "\n")


CHARS_TASK = Task(
    name="chars",
    help="a character-level model of any text file, with samples as it trains",
    description=(
        "Predict the next character of a text file (default: five of Shakespeare's\n"
        "sonnets, shipped with rnn-ref). The text is read as parallel streams in segments\n"
        "of --seq-length characters, one update each, with the state carried across\n"
        "segments and held constant (chunk truncation); samples are printed as it trains."
    ),
    defaults=CHARS_DEFAULTS,
    options=CharsOptions,
    add_arguments=add_chars_arguments,
    run=chars_run,
    plot=chars_plot,
    predict=chars_predict,
    predict_options=CharsPredictOptions,
    add_predict_arguments=add_chars_predict_arguments,
    sizes=chars_sizes,
    write_files=chars_samples,
    epilog=(
        "examples:\n"
        "  rnn-ref train chars --out runs/chars\n"
        "  rnn-ref train chars --text my.txt --seq-length 50 --temperature 0.5 --out runs/my\n"
        "  rnn-ref predict chars --params runs/chars/params.npz --prime 'Shall I' "
        "--temperature 0.5\n"
    ),
)
