"""``rnn-ref train`` and ``rnn-ref predict``: their parsers and their runs."""

from __future__ import annotations

import argparse
import os
import sys

from ..containers import ACTIVATIONS, TRUNCATION_MODES
from ..initialise import SCHEMES
from ._common import (
    PROG,
    _add_bptt,
    _clip,
    _Explicit,
    _fraction,
    _HelpFormatter,
    _integer,
    _missing,
    _number,
    _truncation,
    _truncation_of,
)

_TRAIN_EPILOG = """\
Every task trains with rnn_ref.gradients (exact BPTT, or the exact gradient of the
window(k) or chunk(k) surrogate) and the optimisers of rnn_ref.optim. The run writes
metrics.json, params.npz and PNG plots into --out; a progress bar shows on a terminal,
and the last line printed is the summary. The same flags give the same numbers.

--out is checked before training. The run is written whole or not at all: into
.DIR.partial-XXXX beside it, renamed to DIR when every file is on disk. An existing DIR
must be empty or hold only a previous run's files, which the new run replaces whole;
a directory with other files is refused (exit 2), never emptied. Ctrl-C leaves DIR as
it was (exit 130).

examples:
  rnn-ref train sine --out runs/sine
  rnn-ref train sentiment --out runs/sentiment
  rnn-ref train hello
  rnn-ref train chars --text my.txt --temperature 0.5
  rnn-ref train sine --help          # a task's flags and its defaults
"""


def _add_train(subparsers: argparse._SubParsersAction) -> None:
    from ..tasks import TASKS  # here, not at the top: explain needs none of it

    parser = subparsers.add_parser(
        "train",
        help="train one of the tasks (sine, sentiment, hello, chars) with exact gradients",
        description="Train a vanilla Elman RNN on one of the tasks, with exact gradients.",
        epilog=_TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for task in TASKS.values():
        sub = tasks.add_parser(
            task.name,
            help=task.help,
            description=task.description,
            epilog=task.epilog,
            formatter_class=_HelpFormatter,
        )
        _add_training_flags(sub, task)
        task.add_arguments(sub.add_argument_group(f"{task.name} only"))
        sub.set_defaults(run=_run_train)


def _add_training_flags(parser: argparse.ArgumentParser, task) -> None:
    from ..tasks.loop import CLIP_MODES, OPTIMIZERS, SCHEDULES

    d = task.defaults
    model = parser.add_argument_group("model and gradient")
    model.add_argument(
        "--activation", choices=ACTIVATIONS, default=d.activation, help="the hidden layer's phi"
    )
    model.add_argument(
        "--hidden", type=_integer(1), default=d.hidden, metavar="H", help="hidden units H"
    )
    model.add_argument(
        "--truncation",
        type=_truncation,
        action=_Explicit,
        default="full" if d.truncation is None else str(d.truncation),
        metavar="K",
        help="'full' for exact BPTT, or k >= 1 for window(k) or chunk(k), see --truncation-mode",
    )
    model.add_argument(
        "--truncation-mode",
        choices=TRUNCATION_MODES,
        action=_Explicit,
        default=d.truncation_mode,
        help="window: every loss term sees its k most recent transitions; chunk: the time "
        "axis is cut into chunks of k",
    )
    _add_bptt(model, "--truncation and --truncation-mode")
    model.add_argument("--init", choices=SCHEMES, default=d.init, help="rnn_ref.init_params scheme")
    optimisation = parser.add_argument_group("optimisation")
    optimisation.add_argument(
        "--optimizer", choices=OPTIMIZERS, default=d.optimizer, help="plain SGD or Adam"
    )
    optimisation.add_argument(
        "--lr", type=_number, default=d.lr, help="learning rate (the initial one with --schedule)"
    )
    optimisation.add_argument(
        "--betas",
        type=_fraction,
        nargs=2,
        default=list(d.betas),
        metavar=("B1", "B2"),
        help="Adam's decay rates of the first and second moments",
    )
    optimisation.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default=d.schedule,
        help="cosine: the learning rate falls from --lr to 0 over all updates",
    )
    optimisation.add_argument(
        "--clip",
        type=_clip,
        default="none" if d.clip is None else f"{d.clip:g}",
        metavar="C",
        help="'none', or clip the gradients at C, see --clip-mode",
    )
    optimisation.add_argument(
        "--clip-mode",
        choices=CLIP_MODES,
        default=d.clip_mode,
        help="elementwise: every entry into [-C, C] (the tutorials' way); norm: scale all "
        "gradients together so that their global norm is at most C",
    )
    optimisation.add_argument(
        "--epochs", type=_integer(1), default=d.epochs, help="passes over the training data"
    )
    if d.batch_size is not None:
        optimisation.add_argument(
            "--batch-size",
            type=_integer(1),
            default=d.batch_size,
            metavar="B",
            help="sequences per batch" if task.name != "chars" else "parallel streams",
        )
    optimisation.add_argument(
        "--seed", type=_integer(0), default=d.seed, help="the seed of everything random"
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--out",
        default=os.path.join("runs", task.name),
        metavar="DIR",
        help="directory for metrics.json, params.npz and the plots: a new or empty one, or "
        "one that holds only a previous run's files, which the new run replaces whole",
    )
    output.add_argument("--no-plots", action="store_true", help="write no PNG (no matplotlib)")


def _run_train(args: argparse.Namespace) -> int:
    import dataclasses

    from ..tasks import base, get
    from ..tasks.loop import TrainConfig

    task = get(args.task)
    if not args.no_plots and _missing("matplotlib"):
        print(
            f"{PROG} train: error: matplotlib is not installed; install the train extra "
            "(pip install '.[train]' in a checkout of rnn-ref) or pass --no-plots",
            file=sys.stderr,
        )
        return 2
    truncation, truncation_mode = _truncation_of(args, "truncation_mode")
    config = TrainConfig(
        activation=args.activation,
        hidden=args.hidden,
        truncation=truncation,
        truncation_mode=truncation_mode,
        optimizer=args.optimizer,
        lr=args.lr,
        betas=tuple(args.betas),
        schedule=args.schedule,
        clip=args.clip,
        clip_mode=args.clip_mode,
        epochs=args.epochs,
        batch_size=getattr(args, "batch_size", None),
        seed=args.seed,
        init=args.init,
    )
    options = {f.name: getattr(args, f.name) for f in dataclasses.fields(task.options)}
    run, files = base.train(
        task, config, out=args.out, plots=not args.no_plots, progress=None, **options
    )
    print(f"wrote {', '.join(str(path) for path in files)}")
    print(run.summary)
    return 0


def _add_predict(subparsers: argparse._SubParsersAction) -> None:
    from ..tasks import TASKS

    parser = subparsers.add_parser(
        "predict",
        help="reload the params.npz of a training run and report its figures again",
        description=(
            "Reload the parameters that rnn-ref train wrote and compute the task's figures\n"
            "again (the same numbers as in metrics.json), with a few predictions."
        ),
        epilog="examples:\n  rnn-ref predict sine --params runs/sine/params.npz\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tasks = parser.add_subparsers(dest="task", metavar="TASK", required=True)
    for task in TASKS.values():
        sub = tasks.add_parser(
            task.name,
            help=f"reload a params.npz of '{task.name}'",
            description=f"Reload a params.npz of the task '{task.name}' and report it.",
            formatter_class=_HelpFormatter,
        )
        sub.add_argument(
            "--params", required=True, metavar="FILE", help="a params.npz of rnn-ref train"
        )
        sub.add_argument(
            "--json", action="store_true", help="print the figures as JSON instead of text"
        )
        task.add_predict_arguments(sub)
        sub.set_defaults(run=_run_predict)


def _run_predict(args: argparse.Namespace) -> int:
    import dataclasses

    from .._output import json_text
    from ..tasks import base, get

    task = get(args.task)
    options = {f.name: getattr(args, f.name) for f in dataclasses.fields(task.predict_options)}
    prediction = base.predict(task, args.params, **options)
    if args.json:
        sys.stdout.write(json_text(prediction.metrics))  # strict: inf as "inf"
    else:
        sys.stdout.write(prediction.text)
    return 0
