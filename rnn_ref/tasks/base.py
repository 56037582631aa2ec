"""What every task provides, and the two entry points ``train`` and ``predict``.

A ``Task`` bundles its default configuration, its own options (a frozen dataclass, with
the argparse flags that set them), and three functions: ``run`` trains with ``loop.fit``
on the task's data and measures the trained parameters, ``plot`` draws the PNGs, and
``predict`` reloads a ``params.npz`` and measures it again in the same way, so that it
reproduces the figures of ``metrics.json`` exactly.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rnn_ref.files import rundir
from rnn_ref.files._npz import require_field

from . import runs
from .loop import TrainConfig
from .runs import Run


@dataclass(frozen=True)
class Prediction:
    """What ``predict`` reports: the figures (as in ``metrics.json``) and its lines."""

    metrics: dict
    text: str


@dataclass(frozen=True)
class Task:
    """One training task of ``rnn-ref train``.

    Attributes:
        name: the command-line name.
        help: one line for ``rnn-ref train --help``.
        description: a paragraph for ``rnn-ref train NAME --help``.
        defaults: the configuration that the common flags start from.
        options: a frozen dataclass of the task's own settings (all with defaults).
        add_arguments: adds the flags of ``options`` to a parser.
        run: ``run(config, options, progress) -> Run``.
        plot: ``plot(run, out) -> [paths]``.
        predict: ``predict(params, meta, options) -> Prediction``.
        predict_options: the dataclass of ``predict``'s own settings.
        add_predict_arguments: adds the flags of ``predict_options`` to a parser.
        epilog: examples for ``--help``.
        write_files: ``write_files(run, out) -> [paths]``, files other than plots (chars'
            samples), written with or without plots.
        sizes: ``sizes(meta, where) -> (D, O)``, the network's input and output sizes for
            the ``meta`` of a ``params.npz`` (its vocabulary, say), after checking the
            task's own fields of ``meta``; ``where`` names ``meta`` in the messages.
    """

    name: str
    help: str
    description: str
    defaults: TrainConfig
    options: type
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[..., Run]
    plot: Callable[[Run, Path], list[Path]]
    predict: Callable[..., Prediction]
    predict_options: type
    add_predict_arguments: Callable[[argparse.ArgumentParser], None]
    sizes: Callable[[dict, str], tuple[int, int]]
    epilog: str = ""
    write_files: Callable[[Run, Path], list[Path]] | None = None


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """For a task without options of its own."""


@dataclass(frozen=True)
class NoOptions:
    """A task without options of its own."""


def options_from(cls: type, values: dict):
    """Build the options dataclass ``cls`` from ``values``; an unknown name is an error.

    A misspelt option (``seq_lenght=50``) must not be dropped without a word, and a common
    setting passed as an option (``epochs=5``) belongs in the ``TrainConfig`` instead.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = [name for name in values if name not in names]
    if not unknown:
        return cls(**values)
    expected = f"one of {', '.join(names)}" if names else "none (this task has no options)"
    message = f"options: expected {expected}, got {', '.join(map(repr, unknown))}"
    settings = [name for name in unknown if name in TRAIN_CONFIG_FIELDS]
    if settings:
        are = "is a setting" if len(settings) == 1 else "are settings"
        message += (
            f"; {' and '.join(settings)} {are} of the TrainConfig, which train takes as "
            f"config=dataclasses.replace(task.defaults, {settings[0]}=...)"
        )
    raise TypeError(message)


TRAIN_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(TrainConfig))


def train(
    task: Task,
    config: TrainConfig | None = None,
    *,
    out: str | Path | None = None,
    plots: bool = True,
    progress: bool | None = False,
    **options,
) -> tuple[Run, list[Path]]:
    """Train ``task`` and, with ``out``, write its files there, whole or not at all.

    ``out`` is checked before training (``runs.check_out``): a new directory, an empty
    one, or one holding only a previous run's files, which the new run replaces whole.
    The files are written into a stage beside ``out`` and appear together when the run
    is complete; an exception or Ctrl-C leaves ``out`` as it was.

    Args:
        task: the task.
        config: the common settings; ``None`` means ``task.defaults``.
        out: a directory for ``metrics.json``, ``params.npz`` and the PNGs, or ``None``.
        plots: draw the PNGs (needs matplotlib).
        progress: ``None`` for a progress bar when stderr is a terminal.
        options: the task's own settings, by name (``TypeError`` for a name it lacks).

    Returns:
        The run and the paths of the files written (in ``out``).
    """
    config = task.defaults if config is None else config
    task_options = options_from(task.options, options)
    if out is None:
        return task.run(config, task_options, progress), []
    place = runs.check_out(out)
    with rundir.staged(place, lambda: runs.check_out(place)) as stage:
        run = task.run(config, task_options, progress)
        with rundir.writing(place):
            files = runs.write_run(stage, run)
            if task.write_files is not None:
                files += task.write_files(run, stage)
            if plots:
                files += task.plot(run, stage)
        unknown = [path.name for path in files if path.name not in runs.RUN_FILES]
        if unknown:  # check_out would refuse to replace this run later
            raise RuntimeError(f"task {task.name!r} wrote files missing from RUN_FILES: {unknown}")
    return run, [Path(out) / path.name for path in files]  # as the caller named the place


def predict(task: Task, params_file: str | Path, **options) -> Prediction:
    """Reload ``params_file`` (a ``params.npz`` of ``task``) and report its figures again."""
    settings = options_from(task.predict_options, options)  # the flags before the file
    params, meta = runs.load_params(params_file, task.name)
    return task.predict(params, meta, settings)


def fixed_sizes(D: int, O: int) -> Callable[[dict, str], tuple[int, int]]:
    """``Task.sizes`` of a task whose network has the same sizes whatever it was trained on."""

    def sizes(meta: dict, where: str) -> tuple[int, int]:
        return D, O

    return sizes


def distinct_strings(meta: dict, key: str, where: str, *, characters: bool = False) -> list[str]:
    """``meta[key]``: a non-empty list of distinct strings (of one character each)."""
    what = "single characters" if characters else "strings"
    value = require_field(meta, key, list, where, f"a list of distinct {what}")
    if not value:
        raise ValueError(f"{where}.{key}: expected a list of distinct {what}, got an empty list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or (characters and len(item) != 1):
            raise ValueError(
                f"{where}.{key}: expected a list of distinct {what}, got {item!r} at index {i}"
            )
    if len(set(value)) != len(value):
        raise ValueError(f"{where}.{key}: expected a list of distinct {what}, got repetitions")
    return value


def require(meta: dict, key: str):
    """``meta[key]``, or a clear error if the file lacks it."""
    if key not in meta:
        raise ValueError(f"--params: the file has no {key!r}; was it written by rnn-ref train?")
    return meta[key]
