"""``sentiment``: is a short sentence happy or sad? Many-to-one classification of words.

The corpus, ``data/sentiment.tsv``, is 380 short sentences written for rnn-ref, 190 happy
and 190 sad; ``data/sentiment_split.tsv`` fixes which 300 train, which 40 validate (the
loss curve, the choice of the defaults) and which 40 test. The test sentences are never
trained on and never chose anything: they are only scored, at the end.

Each word is one step, a one-hot vector over the words of the training sentences (a word
that no training sentence has is a zero vector: it moves the state only through the
recurrence). A tanh hidden layer with biases, Xavier initialisation, a read-out of two
scores and the softmax cross-entropy at each sentence's last word. Sentences of different
lengths share a batch: they are padded at the end to the longest one, and the loss weight
is 1 at each sentence's own last word and 0 elsewhere, so the padding changes nothing.
"""

from __future__ import annotations

import argparse
import csv
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref import Params

from . import plots
from .base import NoOptions, Prediction, Task, distinct_strings, no_arguments, require
from .loop import Batch, Problem, TrainConfig, fit
from .runs import Run

LABELS = ("happy", "sad")
SPLITS = ("train", "validation", "test")
WORD = re.compile(r"[a-z']+")

DEFAULTS = TrainConfig(
    activation="tanh",
    hidden=64,
    optimizer="adam",
    lr=0.003,
    clip=1.0,
    clip_mode="norm",
    epochs=40,
    batch_size=16,
)


@dataclass(frozen=True)
class Example:
    id: int
    label: int  # an index into LABELS
    sentence: str
    split: str


def words(sentence: str) -> list[str]:
    """Lower-case words: runs of letters and apostrophes."""
    return WORD.findall(sentence.lower())


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = resources.files("rnn_ref.tasks").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


def corpus() -> list[Example]:
    """Every labelled sentence of the shipped corpus, with its split."""
    split = {int(row["id"]): row["split"] for row in _read_tsv("sentiment_split.tsv")}
    examples = [
        Example(
            id=int(row["id"]),
            label=LABELS.index(row["label"]),
            sentence=row["sentence"],
            split=split[int(row["id"])],
        )
        for row in _read_tsv("sentiment.tsv")
    ]
    if {e.id for e in examples} != set(split) or not set(split.values()) <= set(SPLITS):
        raise RuntimeError("data/sentiment_split.tsv does not match data/sentiment.tsv")
    return examples


def split(name: str) -> list[Example]:
    return [e for e in corpus() if e.split == name]


def vocabulary(examples: list[Example]) -> list[str]:
    """The sorted words of ``examples`` (the training sentences)."""
    return sorted({w for e in examples for w in words(e.sentence)})


@dataclass(frozen=True, eq=False)
class Encoded:
    """Sentences in the layout of ``rnn_ref``, padded at the end.

    Attributes:
        xs: (T, B, V) one-hot words; zeros for an unknown word and for padding.
        targets: (T, B) the class of each sentence, at every step.
        weights: (T, B) 1 at each sentence's last word, else 0.
        labels: (B,) the classes.
    """

    xs: np.ndarray
    targets: np.ndarray
    weights: np.ndarray
    labels: np.ndarray = field(repr=False)


def encode(sentences: list[str], labels: list[int], vocab: list[str]) -> Encoded:
    index = {w: i for i, w in enumerate(vocab)}
    tokens = [words(s) or [""] for s in sentences]  # an empty sentence is one unknown word
    T, B = max(len(t) for t in tokens), len(tokens)
    xs = np.zeros((T, B, len(vocab)))
    weights = np.zeros((T, B))
    for b, sentence in enumerate(tokens):
        for t, word in enumerate(sentence):
            if word in index:
                xs[t, b, index[word]] = 1.0
        weights[len(sentence) - 1, b] = 1.0
    labels = np.asarray(labels, dtype=np.int64)
    targets = np.broadcast_to(labels, (T, B)).copy()
    return Encoded(xs=xs, targets=targets, weights=weights, labels=labels)


def encode_examples(examples: list[Example], vocab: list[str]) -> Encoded:
    return encode([e.sentence for e in examples], [e.label for e in examples], vocab)


def scores(params: Params, data: Encoded, activation: str) -> np.ndarray:
    """(B, 2) the read-out at each sentence's last word."""
    ys = rnn_ref.forward(params, data.xs, activation=activation).ys  # (T, B, 2)
    last = data.weights.argmax(axis=0)
    return ys[last, np.arange(ys.shape[1])]


def probabilities(params: Params, data: Encoded, activation: str) -> np.ndarray:
    y = scores(params, data, activation)
    e = np.exp(y - y.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Rows: the true class; columns: the predicted class."""
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    return matrix


def mean_loss(params: Params, data: Encoded, activation: str) -> float:
    spec = rnn_ref.Spec(activation=activation, loss="softmax_ce")
    w = data.weights / data.weights.sum()
    return rnn_ref.loss(params, data.xs, data.targets, spec, weights=w)


def evaluate(params: Params, activation: str, vocab: list[str]) -> dict:
    """Accuracy and mean cross-entropy on each split, and the test confusion matrix."""
    metrics: dict = {}
    for name in SPLITS:
        data = encode_examples(split(name), vocab)
        predicted = scores(params, data, activation).argmax(axis=1)
        metrics[f"{name}_accuracy"] = float(np.mean(predicted == data.labels))
        metrics[f"{name}_loss"] = mean_loss(params, data, activation)
        if name == "test":
            metrics["test_confusion"] = confusion_matrix(data.labels, predicted).tolist()
    return metrics


def problem(batch_size: int, vocab: list[str]) -> Problem:
    train = split("train")
    validation = encode_examples(split("validation"), vocab)
    n_batches = -(-len(train) // batch_size)

    def epoch(rng: np.random.Generator) -> list[Batch]:
        order = rng.permutation(len(train))
        batches = []
        for i in range(n_batches):
            chosen = [train[j] for j in order[i * batch_size : (i + 1) * batch_size]]
            data = encode_examples(chosen, vocab)
            batches.append(Batch(xs=data.xs, targets=data.targets, weights=data.weights))
        return batches

    def validate(params: Params, spec: rnn_ref.Spec) -> float:
        return mean_loss(params, validation, spec.activation)

    return Problem(
        loss="softmax_ce",
        input_size=len(vocab),
        output_size=len(LABELS),
        epoch=epoch,
        batches_per_epoch=n_batches,
        validate=validate,
    )


def confusion_text(matrix: list[list[int]]) -> str:
    """The confusion table as text: rows true, columns predicted."""
    width = max(len(label) for label in LABELS) + 2
    lines = ["true \\ predicted".ljust(18) + "".join(f"{label:>{width}}" for label in LABELS)]
    for label, row in zip(LABELS, matrix, strict=True):
        lines.append(f"{label:<18}" + "".join(f"{count:>{width}}" for count in row))
    return "\n".join(lines)


def run(config: TrainConfig, options: NoOptions, progress: bool | None) -> Run:
    vocab = vocabulary(split("train"))
    batch_size = config.batch_size or 16
    params, history = fit(problem(batch_size, vocab), config, name="sentiment", progress=progress)
    metrics = evaluate(params, config.activation, vocab)
    metrics["epochs"] = config.epochs
    metrics["train_seconds"] = history.seconds
    n_test = int(np.sum(metrics["test_confusion"]))
    right = int(np.trace(metrics["test_confusion"]))
    summary = (
        f"sentiment: test accuracy {metrics['test_accuracy']:.1%} ({right}/{n_test}), "
        f"validation {metrics['validation_accuracy']:.1%}, training "
        f"{metrics['train_accuracy']:.1%} after {config.epochs} epochs in "
        f"{history.seconds:.1f} s ({config.describe()})"
    )
    return Run(
        task="sentiment",
        config=config,
        options={},
        params=params,
        history=history,
        metrics=metrics,
        summary=confusion_text(metrics["test_confusion"]) + "\n" + summary,
        meta={"vocabulary": vocab},
    )


def plot(run: Run, out: Path) -> list[Path]:
    loss_png = plots.losses(
        out / "loss.png",
        run.history.train_loss,
        run.history.val_loss,
        title="sentiment: cross-entropy per sentence",
        ylabel="mean cross-entropy",
    )
    accuracy = run.metrics["test_accuracy"]
    confusion_png = plots.confusion(
        out / "confusion.png",
        np.array(run.metrics["test_confusion"]),
        LABELS,
        title=f"sentiment, test set: {accuracy:.1%}",
    )
    return [loss_png, confusion_png]


@dataclass(frozen=True)
class PredictOptions:
    sentence: tuple[str, ...] | None = None


def add_predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sentence",
        action="append",
        metavar="TEXT",
        help="classify this sentence too (repeatable)",
    )


def predict(params: Params, meta: dict, options: PredictOptions) -> Prediction:
    activation = require(meta, "config")["activation"]
    vocab = require(meta, "vocabulary")
    metrics = evaluate(params, activation, vocab)
    lines = [
        confusion_text(metrics["test_confusion"]),
        f"sentiment ({activation}): test accuracy {metrics['test_accuracy']:.1%}, "
        f"validation {metrics['validation_accuracy']:.1%}, "
        f"training {metrics['train_accuracy']:.1%}",
    ]
    sentences = list(options.sentence or ())
    if sentences:
        data = encode(sentences, [0] * len(sentences), vocab)
        p = probabilities(params, data, activation)
        for sentence, row in zip(sentences, p, strict=True):
            unknown = [w for w in words(sentence) if w not in vocab]
            note = f"  (unknown words: {' '.join(unknown)})" if unknown else ""
            lines.append(f"{LABELS[row.argmax()]:<5} p(happy) {row[0]:.3f}  {sentence!r}{note}")
    return Prediction(metrics=metrics, text="\n".join(lines) + "\n")


def sizes(meta: dict, where: str) -> tuple[int, int]:
    """D: one input per word of the saved vocabulary; O: one score per label."""
    return len(distinct_strings(meta, "vocabulary", where)), len(LABELS)


TASK = Task(
    name="sentiment",
    help="happy or sad: many-to-one classification of short sentences",
    description=(
        "Classify 380 short sentences written for rnn-ref as happy or sad: 300 train, 40\n"
        "validate, 40 test (never trained on). One-hot words, a tanh hidden layer with\n"
        "biases, Xavier initialisation, softmax cross-entropy at each sentence's last word;\n"
        "sentences of different lengths are padded and batched, with 0/1 loss weights."
    ),
    defaults=DEFAULTS,
    options=NoOptions,
    add_arguments=no_arguments,
    run=run,
    plot=plot,
    predict=predict,
    predict_options=PredictOptions,
    add_predict_arguments=add_predict_arguments,
    sizes=sizes,
    epilog=(
        "examples:\n"
        "  rnn-ref train sentiment --out runs/sentiment\n"
        "  rnn-ref train sentiment --clip 5 --clip-mode elementwise --out runs/sentiment\n"
        "  rnn-ref predict sentiment --params runs/sentiment/params.npz \\\n"
        '      --sentence "the concert was wonderful" --sentence "i lost my keys"\n'
    ),
)
