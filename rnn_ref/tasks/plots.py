"""The PNG plots of the training tasks.

matplotlib is imported inside each function, so that ``import rnn_ref`` needs NumPy only.
The figures are built with ``matplotlib.figure.Figure`` rather than pyplot: no backend is
selected, no window can open, and no global state of the caller's session changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

DPI = 80


def figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    return path


def losses(
    path: Path,
    train: Sequence[float],
    val: Sequence[float] = (),
    *,
    title: str,
    val_label: str = "validation",
    ylabel: str = "mean loss per scored term",
    log: bool = True,
) -> Path:
    """The loss of every epoch, training and (if given) validation."""
    fig = figure(6, 3.6)
    ax = fig.add_subplot()
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, label="train", color="tab:blue")
    if len(val):
        ax.plot(epochs, val, label=val_label, color="tab:orange")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return save(fig, path)


def predictions(
    path: Path,
    panels: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    *,
    title: str,
) -> Path:
    """Predictions against the truth, one column per ``(name, x, truth, prediction)``.

    The top row shows both curves; the bottom row the error, prediction - truth, whose
    scale is far smaller once the network has learned.
    """
    fig = figure(4.2 * len(panels), 4.4)
    axes = fig.subplots(2, len(panels), sharex="col", height_ratios=[2, 1], squeeze=False)
    for column, (name, x, truth, predicted) in enumerate(panels):
        top, bottom = axes[0, column], axes[1, column]
        top.plot(x, truth, "o", ms=3, color="tab:gray", label="truth")
        top.plot(x, predicted, "-", lw=1.2, color="tab:blue", label="prediction")
        rmse = float(np.sqrt(np.mean((predicted - truth) ** 2)))
        top.set_title(f"{name}: RMSE {rmse:.2e}")
        if column == 0:
            top.legend(loc="lower left", fontsize="x-small", framealpha=0.95)
        bottom.plot(x, predicted - truth, ".-", ms=3, lw=0.8, color="tab:red")
        bottom.axhline(0.0, color="black", lw=0.6)
        bottom.set_ylabel("error")
        bottom.set_xlabel("index of the predicted value")
        bottom.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    fig.suptitle(title)
    return save(fig, path)


def confusion(path: Path, matrix: np.ndarray, labels: Sequence[str], *, title: str) -> Path:
    """A confusion matrix: rows are the true classes, columns the predicted ones."""
    fig = figure(3.8, 3.4)
    ax = fig.add_subplot()
    ax.imshow(matrix, cmap="Blues", vmin=0)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    high = matrix.max() if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > high / 2 else "black"
        ax.text(j, i, str(int(count)), ha="center", va="center", color=color, fontsize=14)
    ax.set_title(title)
    return save(fig, path)
