"""What a training run leaves behind: ``metrics.json``, ``params.npz`` and the plots.

``params.npz`` holds the five arrays under their ``Params`` names and one more entry,
``meta``: a JSON string with the task, the configuration and whatever ``predict`` needs to
rebuild the data (a vocabulary, for one). It loads with ``np.load`` and no pickles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnn_ref import Params

from .loop import History, TrainConfig

METRICS_FILE = "metrics.json"
PARAMS_FILE = "params.npz"
#: Every name that a run may write: a directory holding only these holds a previous run,
#: which a new run may replace (``rundir.check_out``). A task's new file joins this list.
RUN_FILES = frozenset(
    {METRICS_FILE, PARAMS_FILE, "loss.png", "predictions.png", "confusion.png", "samples.txt"}
)


@dataclass(frozen=True, eq=False)
class Run:
    """One finished training run.

    Attributes:
        task: the task's name.
        config: the common settings. options: the task's own settings.
        params: the trained parameters.
        history: the loss of every epoch and the training time.
        metrics: every figure that ``summary`` prints (and a few more).
        summary: the final line, printed to stdout.
        meta: what ``predict`` needs besides the parameters.
        extra: task-specific data for the plots (predictions, samples), not saved as is.
    """

    task: str
    config: TrainConfig
    options: dict
    params: Params
    history: History
    metrics: dict
    summary: str
    meta: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "task": self.task,
            "summary": self.summary,
            "metrics": self.metrics,
            "config": self.config.to_dict(),
            "options": self.options,
            "history": {
                "train_loss": self.history.train_loss,
                "val_loss": self.history.val_loss,
            },
        }


def save_params(path: Path, params: Params, meta: dict) -> None:
    arrays = {name: getattr(params, name) for name in Params.FIELDS}
    np.savez(path, **arrays, meta=np.array(json.dumps(meta, sort_keys=True)))


def load_params(path: str | Path, task: str | None = None) -> tuple[Params, dict]:
    """The parameters and the ``meta`` dictionary that ``save_params`` wrote.

    Raises:
        ValueError: the file is missing, is not such a file, or belongs to another task.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            params = Params(*(np.array(data[name], dtype=np.float64) for name in Params.FIELDS))
            meta = json.loads(str(data["meta"]))
    except FileNotFoundError:
        raise ValueError(f"--params: expected an existing params.npz, got {str(path)!r}") from None
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"--params: expected a params.npz written by rnn-ref train, got {str(path)!r} ({error})"
        ) from None
    if task is not None and meta.get("task") != task:
        raise ValueError(
            f"--params: expected the parameters of task {task!r}, got those of "
            f"{meta.get('task')!r} ({path})"
        )
    return params, meta


def write_run(out: Path, run: Run) -> list[Path]:
    """Write ``metrics.json`` and ``params.npz`` into the directory ``out``; their paths.

    ``out`` is the stage of ``rundir.staged``, which makes the run appear whole.
    """
    metrics = out / METRICS_FILE
    metrics.write_text(json.dumps(run.to_json(), indent=2) + "\n", encoding="utf-8")
    params = out / PARAMS_FILE
    meta = {"task": run.task, "config": run.config.to_dict(), "options": run.options, **run.meta}
    save_params(params, run.params, meta)
    return [metrics, params]
