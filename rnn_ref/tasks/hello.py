"""``hello``: the four steps h, e, l, l must predict e, l, l, o (many-to-many).

Characters are one-hot vectors over the word's own alphabet; the read-out gives one score
per character and the loss is the softmax cross-entropy at every step. The third and fourth
inputs are both "l", so the network has to use its state to tell them apart.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref import Params

from . import plots
from .base import NoOptions, Prediction, Task, fixed_sizes, no_arguments, require
from .characters import mean_loss, one_hot
from .loop import Batch, Problem, TrainConfig, fit
from .runs import Run

HELLO = "hello"

HELLO_DEFAULTS = TrainConfig(
    activation="tanh",
    hidden=8,
    optimizer="adam",
    lr=0.05,
    epochs=100,
)


def hello_data() -> tuple[list[str], np.ndarray, np.ndarray]:
    """The alphabet, the inputs (4, 1, 4) for "hell" and the class ids (4, 1) of "ello"."""
    alphabet = sorted(set(HELLO))
    ids = np.array([alphabet.index(c) for c in HELLO])
    return alphabet, one_hot(ids[:-1, None], len(alphabet)), ids[1:, None]


def hello_evaluate(params: Params, activation: str) -> dict:
    alphabet, xs, targets = hello_data()
    ys = rnn_ref.forward(params, xs, activation=activation).ys[:, 0]
    predicted = "".join(alphabet[i] for i in ys.argmax(axis=1))
    return {
        "predicted": predicted,
        "correct": int(sum(p == c for p, c in zip(predicted, HELLO[1:], strict=True))),
        "loss": mean_loss(params, xs, targets, activation),
    }


def hello_run(config: TrainConfig, options: NoOptions, progress: bool | None) -> Run:
    alphabet, xs, targets = hello_data()
    batch = Batch(xs=xs, targets=targets, weights=np.ones(targets.shape))
    problem = Problem(
        loss="softmax_ce",
        input_size=len(alphabet),
        output_size=len(alphabet),
        epoch=lambda rng: [batch],
        batches_per_epoch=1,
    )
    params, history = fit(problem, config, name="hello", progress=progress)
    metrics = hello_evaluate(params, config.activation)
    metrics["epochs"] = config.epochs
    metrics["train_seconds"] = history.seconds
    summary = (
        f"hello: h,e,l,l -> {','.join(metrics['predicted'])} ({metrics['correct']}/4 right), "
        f"loss {metrics['loss']:.3g} after {config.epochs} epochs in {history.seconds:.2f} s "
        f"({config.describe()})"
    )
    return Run("hello", config, {}, params, history, metrics, summary, {"alphabet": alphabet})


def hello_plot(run: Run, out: Path) -> list[Path]:
    title = f"hello: cross-entropy per character ({run.metrics['correct']}/4 right at the end)"
    return [
        plots.losses(
            out / "loss.png", run.history.train_loss, title=title, ylabel="mean cross-entropy"
        )
    ]


def hello_predict(params: Params, meta: dict, options: NoOptions) -> Prediction:
    activation = require(meta, "config")["activation"]
    metrics = hello_evaluate(params, activation)
    lines = [f"{a} -> {p}" for a, p in zip(HELLO[:-1], metrics["predicted"], strict=True)]
    lines.append(f"hello ({activation}): {metrics['correct']}/4 right, loss {metrics['loss']:.3g}")
    return Prediction(metrics=metrics, text="\n".join(lines) + "\n")


HELLO_TASK = Task(
    name="hello",
    help='learn the next character of "hello", many-to-many',
    description=(
        "Feed h, e, l, l and predict e, l, l, o: one-hot characters, softmax cross-entropy\n"
        "at every step. The two l's need different predictions, so the state must help."
    ),
    defaults=HELLO_DEFAULTS,
    options=NoOptions,
    add_arguments=no_arguments,
    run=hello_run,
    plot=hello_plot,
    predict=hello_predict,
    predict_options=NoOptions,
    add_predict_arguments=no_arguments,
    sizes=fixed_sizes(len(set(HELLO)), len(set(HELLO))),
    epilog=(
        "examples:\n"
        "  rnn-ref train hello --out runs/hello\n"
        "  rnn-ref train hello --optimizer sgd --lr 0.5 --epochs 300 --out runs/hello-sgd\n"
        "  rnn-ref predict hello --params runs/hello/params.npz\n"
    ),
)
