"""``sine``: predict the next value of sin(0), sin(1), ..., sin(199) from the 50 before it.

The data are the tutorials' split: window i holds sin(i), ..., sin(i + 49) and its target
is sin(i + 50); windows 0..99 train and windows 100..149 validate, so the validation
targets are sin(150), ..., sin(199), which no training window contains as a target.

The network reads one value per step (D = 1), has a tanh or sigmoid hidden layer and a
linear read-out (O = 1), and is scored at the last step only (many-to-one, mse). Training
is full-batch: all 100 windows are one batch, and one epoch is one update.

The defaults (H = 16, Adam with lr 0.01, beta2 0.99, a cosine decay over 1500 updates)
reach a validation RMSE below 0.001 with tanh and below 0.002 with sigmoid in a few
seconds; ``docs/tasks.md`` has the measured figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref import Params

from . import plots
from .base import NoOptions, Prediction, Task, fixed_sizes, no_arguments, require
from .loop import Batch, Problem, TrainConfig, fit
from .runs import Run

POINTS = 200  # sin(0), ..., sin(199)
WINDOW = 50  # values read per prediction
TRAIN = 100  # windows 0..99 train
VAL = 50  # windows 100..149 validate

DEFAULTS = TrainConfig(
    activation="tanh",
    hidden=16,
    optimizer="adam",
    lr=0.01,
    betas=(0.9, 0.99),
    schedule="cosine",
    epochs=1500,
)


@dataclass(frozen=True, eq=False)
class Split:
    """One split of the windows, in the layout of ``rnn_ref``.

    Attributes:
        xs: (50, N, 1) the windows, time-major.
        y: (N,) the value after each window.
        index: (N,) n such that ``y = sin(n)``.
    """

    xs: np.ndarray
    y: np.ndarray
    index: np.ndarray

    def targets(self) -> tuple[np.ndarray, np.ndarray]:
        """Targets (50, N, 1) and weights (50, N): the value after the window, last step."""
        N = self.y.shape[0]
        targets = np.zeros((WINDOW, N, 1))
        targets[-1, :, 0] = self.y
        weights = np.zeros((WINDOW, N))
        weights[-1] = 1.0
        return targets, weights


def data() -> tuple[Split, Split]:
    """The training and validation windows."""
    wave = np.sin(np.arange(POINTS, dtype=np.float64))
    starts = np.arange(TRAIN + VAL)
    windows = wave[starts[:, None] + np.arange(WINDOW)]  # (150, 50)
    index = starts + WINDOW
    splits = []
    for part in (slice(0, TRAIN), slice(TRAIN, TRAIN + VAL)):
        splits.append(Split(xs=windows[part].T[:, :, None], y=wave[index[part]], index=index[part]))
    return splits[0], splits[1]


def predict_values(params: Params, split: Split, activation: str) -> np.ndarray:
    """The network's prediction for each window of ``split``, shape (N,)."""
    return rnn_ref.forward(params, split.xs, activation=activation).ys[-1, :, 0]


def rmse(predicted: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - truth) ** 2)))


def evaluate(params: Params, activation: str) -> dict:
    """The figures of trained parameters: RMSE on the training and validation windows."""
    train, val = data()
    return {
        "train_rmse": rmse(predict_values(params, train, activation), train.y),
        "val_rmse": rmse(predict_values(params, val, activation), val.y),
    }


def problem() -> Problem:
    train, val = data()
    targets, weights = train.targets()
    batch = Batch(xs=train.xs, targets=targets, weights=weights)
    val_targets, val_weights = val.targets()

    def validate(params: Params, spec: rnn_ref.Spec) -> float:
        # The mean of 1/2 (y - z)^2 over the validation windows: weights 1/N at the end.
        return rnn_ref.loss(params, val.xs, val_targets, spec, weights=val_weights / VAL)

    return Problem(
        loss="mse",
        input_size=1,
        output_size=1,
        epoch=lambda rng: [batch],
        batches_per_epoch=1,
        validate=validate,
    )


def run(config: TrainConfig, options: NoOptions, progress: bool | None) -> Run:
    params, history = fit(problem(), config, name="sine", progress=progress)
    metrics = evaluate(params, config.activation)
    metrics["epochs"] = config.epochs
    metrics["train_seconds"] = history.seconds
    summary = (
        f"sine: validation RMSE {metrics['val_rmse']:.3g}, training RMSE "
        f"{metrics['train_rmse']:.3g} after {config.epochs} epochs in "
        f"{history.seconds:.1f} s ({config.describe()})"
    )
    return Run(
        task="sine",
        config=config,
        options={},
        params=params,
        history=history,
        metrics=metrics,
        summary=summary,
    )


def plot(run: Run, out: Path) -> list[Path]:
    train, val = data()
    activation = run.config.activation
    loss_png = plots.losses(
        out / "loss.png",
        run.history.train_loss,
        run.history.val_loss,
        title=f"sine, {activation}: loss per epoch",
        ylabel="mean of (y - z)^2 / 2",
    )
    panels = [
        ("train", train.index, train.y, predict_values(run.params, train, activation)),
        ("validation", val.index, val.y, predict_values(run.params, val, activation)),
    ]
    title = f"sine, {activation}: predicted sin(n) against the truth"
    return [loss_png, plots.predictions(out / "predictions.png", panels, title=title)]


def predict(params: Params, meta: dict, options: NoOptions) -> Prediction:
    activation = require(meta, "config")["activation"]
    metrics = evaluate(params, activation)
    _, val = data()
    values = predict_values(params, val, activation)
    lines = [
        f"sine ({activation}): validation RMSE {metrics['val_rmse']:.3g}, "
        f"training RMSE {metrics['train_rmse']:.3g}",
        "n    sin(n)       predicted    error",
    ]
    for n, truth, y in zip(val.index[:5], val.y[:5], values[:5], strict=True):
        lines.append(f"{n:<4d} {truth:+.8f} {y:+.8f} {y - truth:+.2e}")
    lines.append(f"... ({VAL} validation windows)")
    return Prediction(metrics=metrics, text="\n".join(lines) + "\n")


TASK = Task(
    name="sine",
    help="next-value prediction on sin(0..199), many-to-one, mse",
    description=(
        "Predict sin(i + 50) from the window sin(i), ..., sin(i + 49): windows 0..99 train,\n"
        "windows 100..149 validate. A tanh or sigmoid hidden layer, a linear read-out, the\n"
        "squared error at the last step (many-to-one), all 100 windows in one batch."
    ),
    defaults=DEFAULTS,
    options=NoOptions,
    add_arguments=no_arguments,
    run=run,
    plot=plot,
    predict=predict,
    predict_options=NoOptions,
    add_predict_arguments=no_arguments,
    sizes=fixed_sizes(1, 1),
    epilog=(
        "examples:\n"
        "  rnn-ref train sine --out runs/sine\n"
        "  rnn-ref train sine --activation sigmoid --out runs/sine-sigmoid\n"
        "  rnn-ref train sine --truncation 6 --out runs/sine-window6   # window(6)\n"
        "  rnn-ref predict sine --params runs/sine/params.npz\n"
    ),
)
