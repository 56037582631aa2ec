"""What a training run leaves behind: ``metrics.json``, ``params.npz`` and the plots.

``params.npz`` holds the five arrays under their ``Params`` names and one more entry,
``meta``: a JSON string with the task, the configuration and whatever ``predict`` needs to
rebuild the data (a vocabulary, for one). It loads with ``np.load`` and no pickles;
``load_params`` reads it as an untrusted file.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnn_ref import Params
from rnn_ref._validation import check_params
from rnn_ref.files._npz import TEXT, Member, parse_json_object, read_npz, require_field

from .loop import History, TrainConfig

METRICS_FILE = "metrics.json"
PARAMS_FILE = "params.npz"
#: Every name that a run may write: a directory holding only these holds a previous run,
#: which a new run may replace (``check_out``). A task's new file joins this list.
RUN_FILES = frozenset(
    {METRICS_FILE, PARAMS_FILE, "loss.png", "predictions.png", "confusion.png", "samples.txt"}
)


def check_out(out: str | os.PathLike) -> Path:
    """The absolute path of ``out`` if a run may be written there, else a ``ValueError``.

    Accepted: a path that does not exist yet (below directories, existing or not), an
    empty directory, or a directory that holds only a previous run's files.
    """
    if not isinstance(out, str | os.PathLike):
        raise TypeError(f"--out: expected a directory path, got {type(out).__name__}")
    if str(out) == "":
        raise ValueError("--out: expected a directory path, got ''")
    path = Path(os.path.abspath(out))
    shown = str(out)
    if path.is_symlink():
        raise ValueError(f"--out: expected a directory, got a symbolic link {shown!r}")
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"--out: expected a directory, got the existing file {shown!r}")
        cwd = Path.cwd().resolve()
        if cwd == path.resolve() or path.resolve() in cwd.parents:
            raise ValueError(
                f"--out: expected a directory other than the working directory or one "
                f"containing it (a run replaces its directory whole), got {shown!r}"
            )
        others = sorted(entry.name for entry in path.iterdir() if not _is_run_file(entry))
        if others:
            listed = ", ".join(map(repr, others[:3])) + (", ..." if len(others) > 3 else "")
            raise ValueError(
                f"--out: expected a new directory, an empty one or one holding only a "
                f"previous run's files, got {shown!r}, which also holds {listed}"
            )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(
                    f"--out: expected a path below a directory, got {shown!r}, below the "
                    f"file {str(parent)!r}"
                )
            break
    return path


def _is_run_file(entry: Path) -> bool:
    """A regular file whose name is one that ``rnn-ref train`` writes."""
    return entry.name in RUN_FILES and stat.S_ISREG(entry.lstat().st_mode)


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


_MEMBERS = {
    "W_xh": Member(ranks=(2,)),
    "W_hh": Member(ranks=(2,)),
    "b_h": Member(ranks=(1,)),
    "W_hy": Member(ranks=(2,)),
    "b_y": Member(ranks=(1,)),
    "meta": TEXT,
}
# The JSON type of each setting of TrainConfig; a missing one takes its default.
_SETTINGS = {
    "activation": (str, "a string"),
    "hidden": (int, "an integer"),
    "truncation": ((int, type(None)), "null or an integer"),
    "truncation_mode": (str, "a string"),
    "optimizer": (str, "a string"),
    "lr": ((int, float), "a number"),
    "betas": (list, "a list of two numbers"),
    "schedule": (str, "a string"),
    "clip": ((int, float, type(None)), "null or a number"),
    "clip_mode": (str, "a string"),
    "epochs": (int, "an integer"),
    "batch_size": ((int, type(None)), "null or an integer"),
    "seed": (int, "an integer"),
    "init": (str, "a string"),
}
_LAYOUTS = {"W_xh": "(H, D)", "W_hh": "(H, H)", "b_h": "(H,)", "W_hy": "(O, H)", "b_y": "(O,)"}


def load_params(path: str | Path, task: str | None = None) -> tuple[Params, dict]:
    """The parameters and the ``meta`` dictionary that ``save_params`` wrote.

    The file is untrusted: ``rnn_ref.files._npz.read_npz`` checks it whole first (see
    ``docs/reliability.md``), then ``meta``: the task's name, the training settings (as
    ``TrainConfig`` checks them) and the task's own fields (a vocabulary, say). The shapes
    of the five arrays must be those of the network that ``meta`` describes: H from
    ``config.hidden``, D and O from the task (``Task.sizes``), never from the arrays.

    Returns:
        The parameters as float64 and ``meta``, whose ``config`` holds every setting.

    Raises:
        ValueError: anything wrong with the file, or it belongs to another task than
            ``task``; the message names the file and the member or field.
    """
    from . import TASKS  # here: the package imports this module before it builds TASKS

    where = f"--params {str(path)!r}"
    members = read_npz(path, _MEMBERS, name="--params")
    meta = parse_json_object(members.pop("meta"), f"{where}, member 'meta'")
    about = f"{where}, meta"
    name = require_field(meta, "task", str, about, "the name of the task")
    if name not in TASKS:
        raise ValueError(
            f"{about}.task: expected one of {', '.join(map(repr, TASKS))}, got {name!r}"
        )
    if task is not None and name != task:
        raise ValueError(
            f"--params: expected the parameters of task {task!r}, got those of {name!r} ({path})"
        )
    fields = require_field(meta, "config", dict, about, "an object of training settings")
    config = _config(fields, f"{about}.config")
    D, O = TASKS[name].sizes(meta, about)
    H = config.hidden
    origin = f"H from meta config.hidden, D and O of the task {name!r}"
    expected = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
    for field_name, shape in expected.items():
        found = members[field_name].shape
        if found != shape:
            raise ValueError(
                f"{where}, member {field_name!r}: expected shape {_LAYOUTS[field_name]} = "
                f"{shape} ({origin}), got {found}"
            )
    try:
        params = check_params(Params(*(members[field] for field in Params.FIELDS)))
    except (ValueError, TypeError) as error:
        raise ValueError(f"{where}: {error}") from None
    return params, meta | {"config": config.to_dict()}


def _config(fields: dict, where: str) -> TrainConfig:
    """The ``TrainConfig`` of a ``meta.config`` object: JSON types first, then its own checks."""
    unknown = sorted(set(fields) - set(_SETTINGS))
    if unknown:
        raise ValueError(f"{where}: expected settings among {', '.join(_SETTINGS)}, got {unknown}")
    for key in fields:
        types, what = _SETTINGS[key]
        require_field(fields, key, types, where, what)
    betas = fields.get("betas", [0.0, 0.0])
    if len(betas) != 2 or not all(isinstance(b, (int, float)) for b in betas):
        raise ValueError(f"{where}.betas: expected a list of two numbers, got {betas!r}"[:300])
    try:
        return TrainConfig(**fields)
    except (ValueError, TypeError) as error:
        # TrainConfig names its field as config.<name>; here that field is <where>.<name>.
        message = str(error).removeprefix("config.")
        raise ValueError(f"{where}.{message}") from None


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
