"""The training tasks of ``rnn-ref train``: sine, sentiment, hello and chars.

Each task trains a vanilla Elman RNN with ``rnn_ref.gradients`` (exact BPTT, or the exact
gradient of a truncation surrogate) and the optimisers of ``rnn_ref.optim``, never with the
JAX twin. From Python:

    from rnn_ref import tasks
    run, files = tasks.train("sine", out="runs/sine")
    print(run.summary)
    tasks.predict("sine", "runs/sine/params.npz").metrics

matplotlib (plots) and tqdm (the progress bar) are imported only when they are used, so
``import rnn_ref`` and ``import rnn_ref.tasks`` need NumPy only.
"""

from __future__ import annotations

from pathlib import Path

from . import base, chars, hello, sentiment, sine
from .base import Prediction, Task
from .loop import TrainConfig
from .runs import Run, load_params

TASKS: dict[str, Task] = {
    task.name: task for task in (sine.TASK, sentiment.TASK, hello.HELLO_TASK, chars.CHARS_TASK)
}


def get(name: str) -> Task:
    """The task called ``name``."""
    if name not in TASKS:
        raise ValueError(f"task: expected one of {', '.join(map(repr, TASKS))}, got {name!r}")
    return TASKS[name]


def train(
    name: str,
    config: TrainConfig | None = None,
    *,
    out: str | Path | None = None,
    plots: bool = True,
    progress: bool | None = False,
    **options,
) -> tuple[Run, list[Path]]:
    """Train task ``name``; see ``rnn_ref.tasks.base.train``."""
    return base.train(get(name), config, out=out, plots=plots, progress=progress, **options)


def predict(name: str, params_file: str | Path, **options) -> Prediction:
    """Reload a ``params.npz`` of task ``name`` and report its figures again."""
    return base.predict(get(name), params_file, **options)


__all__ = [
    "TASKS",
    "Prediction",
    "Run",
    "Task",
    "TrainConfig",
    "get",
    "load_params",
    "predict",
    "train",
]
