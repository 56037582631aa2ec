"""The ``rnn-ref`` console command.

    rnn-ref explain                          # T=3, B=1, D=2, H=3, O=2, seed 0, full BPTT
    rnn-ref explain -T 4 --truncation 2 --mode chunk --loss softmax_ce
    python -m rnn_ref explain --help         # the same, without the console script
    rnn-ref verify                           # rnn_ref against JAX and finite differences
    rnn-ref check mine.py:gradients          # your own RNN's gradients against rnn_ref
    rnn-ref vectors --out vectors            # golden test vectors for any language
    rnn-ref train sine --out runs/sine       # train a task with exact gradients
    rnn-ref predict sine --params runs/sine/params.npz

Output goes to stdout and nothing else goes there; errors go to stderr, as one line
``rnn-ref COMMAND: error: ...`` and never a traceback. Exit status:

- 0 on success;
- 2 for bad usage (argparse), a ``ValueError``/``TypeError`` from rnn_ref, its
  ``FloatingPointError`` for inputs too large for float64, or a stdout that cannot be
  written (``rnn-ref explain > /dev/full``);
- 1 when stdout is closed early (``rnn-ref explain | head -3``), as Python's own recipe
  for SIGPIPE does, quietly; ``train`` still finishes and writes its run whole;
- 130 on Ctrl-C (SIGINT), with one line ``rnn-ref COMMAND: interrupted``, and 143 on
  SIGTERM (``terminated``); ``train`` leaves ``--out`` as it was.

``verify`` also exits 1 when an oracle disagrees, and 2 when JAX or tqdm is missing;
``check`` and ``vectors`` exit 0, 1 or 2 as their help says;
``train`` exits 2 when training diverges, when ``--out`` cannot take a run (checked
before training), or when matplotlib is missing and plots are asked for.
``docs/reliability.md`` lists what each fault gets.

Adding a command: write ``_add_<name>(subparsers)``, which builds its parser and sets
``run`` to a function of the parsed arguments that returns the exit status, and append it
to ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence

from . import __version__, _process
from .containers import ACTIVATIONS, LOSSES, TRUNCATION_MODES
from .explain import (
    H0_CHOICES,
    MAX_LINES,
    MAX_NUMBERS,
    MAX_PRECISION,
    WEIGHT_CHOICES,
    ExplainConfig,
    write_explain,
)
from .initialise import SCHEMES

PROG = "rnn-ref"


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show each option's default, and keep the line breaks of descriptions and epilogs.

    A default of ``None`` is not shown: its help text says what leaving the option out
    means ("default: the sonnets shipped with rnn-ref"), better than "(default: None)".
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None:
            return action.help
        return super()._get_help_string(action)


class _Explicit(argparse.Action):
    """Store the value, and remember in ``args.explicit`` that the option was given.

    For the older truncation flags, which ``--bptt`` may not be combined with: their
    defaults cannot tell "not given" from "given the default value".
    """

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        namespace.explicit = {*getattr(namespace, "explicit", ()), option_string}


def _integer(minimum: int, maximum: int | None = None):
    """An argparse ``type`` for an integer in [minimum, maximum]; its errors exit 2."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
            raise argparse.ArgumentTypeError(f"expected an integer {bound}, got {value}")
        return value

    parse.__name__ = "integer"  # what argparse calls the type in "invalid integer value"
    return parse


def _truncation(text: str) -> int | None:
    """``full`` (None) or an integer k >= 1."""
    if text == "full":
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 'full' or an integer k >= 1, got {text!r}")
    return value


BPTT_FORMS = "full, window:K or chunk:K with an integer K >= 1"


def _bptt(text: str) -> tuple[int | None, str | None]:
    """The value of ``--bptt``: ``full``, ``window:K`` or ``chunk:K`` as ``(k, mode)``.

    ``full`` is ``(None, None)``; ``window:3`` is ``(3, "window")``, the arguments
    ``truncation`` and ``truncation_mode`` of ``rnn_ref.Spec``. An ``ArgumentTypeError``
    (exit 2 with the command's usage) names the forms and what came.
    """
    if text == "full":
        return None, None
    mode, colon, k = text.partition(":")
    if colon and mode in TRUNCATION_MODES and k.isdecimal() and int(k) >= 1:
        return int(k), mode
    hint = f" (window:{text} or chunk:{text}?)" if text.isdecimal() and int(text) >= 1 else ""
    raise argparse.ArgumentTypeError(f"expected {BPTT_FORMS}, got {text!r}{hint}")


def _add_bptt(group: argparse._ArgumentGroup, older: str) -> None:
    group.add_argument(
        "--bptt",
        type=_bptt,
        metavar="full|window:K|chunk:K",
        help=f"the gradient in one flag, as rnn-ref check names it; instead of {older}",
    )


def _truncation_of(args: argparse.Namespace, mode: str) -> tuple[int | None, str]:
    """``(k, mode)`` from ``--bptt`` or from ``--truncation`` and the mode flag ``mode``."""
    if args.bptt is None:
        return args.truncation, getattr(args, mode)
    given = sorted(getattr(args, "explicit", ()))
    if given:
        raise ValueError(f"--bptt: expected either --bptt or {' and '.join(given)}, not both")
    k, chosen = args.bptt
    return k, chosen or getattr(args, mode)


_EXPLAIN_EPILOG = f"""\
The case is drawn from the seed alone: one np.random.default_rng(SEED) draws W_xh, W_hh,
W_hy (as rnn_ref.init_params does; the biases are zero), then xs ~ U(-1, 1) of shape
(T, B, D), then the targets (mse: z ~ U(-1, 1) of shape (T, B, O); softmax_ce: class ids
rng.integers(0, O, size=(T, B))), then h0 ~ U(-1, 1) of shape (B, H) with --h0 random.

Every number is computed step by step with rnn_ref.step_forward / rnn_ref.step_backward
(one loss term at a time under window truncation); the last line compares the sums with
rnn_ref.gradients.

examples:
  rnn-ref explain
  rnn-ref explain -T 4 --truncation 2                 # window(2)
  rnn-ref explain -T 4 --truncation 2 --mode chunk    # chunk(2)
  rnn-ref explain -T 4 --bptt chunk:2                 # the same
  rnn-ref explain --loss softmax_ce --weights last -O 3

The text has every value of the network, so its size is bounded: a case that would
print more than {MAX_LINES:,} lines or {MAX_NUMBERS:,} numbers (about 10 s) is refused.
"""


def _add_explain(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="print every forward and backward value of a tiny network, step by step",
        description=(
            "Print every forward value and every step of backpropagation through time for a\n"
            "tiny Elman RNN, so that a hand computation can be compared line by line."
        ),
        epilog=_EXPLAIN_EPILOG,
        formatter_class=_HelpFormatter,
    )
    default = ExplainConfig()
    sizes = parser.add_argument_group("sizes")
    positive = _integer(1)
    for letter, name, what in (
        ("T", "steps", "number of time steps T"),
        ("B", "batch", "number of sequences B"),
        ("D", "inputs", "number of inputs D"),
        ("H", "hidden", "number of hidden units H"),
        ("O", "outputs", "number of outputs O (classes for softmax_ce)"),
    ):
        sizes.add_argument(
            f"-{letter}",
            f"--{name}",
            type=positive,
            default=getattr(default, name),
            metavar=letter,
            help=what,
        )
    model = parser.add_argument_group("model and loss")
    model.add_argument(
        "--activation", choices=ACTIVATIONS, default=default.activation, help="the activation phi"
    )
    model.add_argument(
        "--loss",
        choices=LOSSES,
        default=default.loss,
        help="mse: 1/2 |y - z|^2; softmax_ce: logsumexp(y) - y[c]",
    )
    model.add_argument(
        "--truncation",
        type=_truncation,
        action=_Explicit,
        default="full",  # argparse passes a string default through _truncation: None
        metavar="K",
        help="'full' for full BPTT, or k >= 1 for window(k) or chunk(k), see --mode",
    )
    model.add_argument(
        "--mode",
        choices=TRUNCATION_MODES,
        action=_Explicit,
        default=default.mode,
        help="window: every loss term sees its k most recent transitions; "
        "chunk: the time axis is cut into chunks of k (ignored without "
        "--truncation)",
    )
    _add_bptt(model, "--truncation and --mode")
    model.add_argument(
        "--weights",
        choices=(*WEIGHT_CHOICES, "ones"),
        default=default.weights,
        help="loss weights: all ones (many-to-many; 'ones' is the same, as rnn-ref check "
        "names it) or the last step only (many-to-one)",
    )
    data = parser.add_argument_group("data and printing")
    data.add_argument(
        "--seed",
        type=_integer(0),
        default=default.seed,
        help="seed of the one np.random.default_rng that draws everything",
    )
    data.add_argument(
        "--init", choices=SCHEMES, default=default.init, help="rnn_ref.init_params scheme"
    )
    data.add_argument(
        "--h0",
        choices=H0_CHOICES,
        default=default.h0,
        help="initial state: zeros, or drawn from U(-1, 1)",
    )
    data.add_argument(
        "--precision",
        type=_integer(1, MAX_PRECISION),
        default=default.precision,
        metavar="DIGITS",
        help="decimals printed (sums always use full float64 values)",
    )
    parser.set_defaults(run=_run_explain)


def _run_explain(args: argparse.Namespace) -> int:
    truncation, mode = _truncation_of(args, "mode")
    config = ExplainConfig(
        steps=args.steps,
        batch=args.batch,
        inputs=args.inputs,
        hidden=args.hidden,
        outputs=args.outputs,
        seed=args.seed,
        activation=args.activation,
        loss=args.loss,
        truncation=truncation,
        mode=mode,
        init=args.init,
        h0=args.h0,
        weights="all" if args.weights == "ones" else args.weights,
        precision=args.precision,
    )
    write_explain(config, sys.stdout.write)  # line by line: the first lines show at once
    return 0


_VERIFY_EXAMPLES = 10  # verification.crosscheck.DEFAULT_EXAMPLES, kept equal by a test
_VERIFY_MODES = ("full", *TRUNCATION_MODES)
#: What ``rnn-ref verify`` needs beyond NumPy: the ``verify`` extra of pyproject.toml.
_VERIFY_DEPENDENCIES = ("jax", "jaxlib", "tqdm")

_VERIFY_EPILOG = """\
For each combination of activation x loss x mode, random small well-scaled cases are
drawn (T <= 16, B <= 4, D, H, O <= 6; k for window and chunk drawn among 1, T-1, >= T
and 1..T; loss weights all ones, last step, padded lengths or random; h0 zeros or
random) and rnn_ref.gradients is compared with three oracles:
  reverse  jax.grad of the JAX twin, every quantity      agrees when <= 1e-10
  forward  jax.jvp of the twin along random directions   agrees when <= 1e-10
  fd       finite differences along the same directions  agrees when <= 1 (its bound)
Case I of a combination depends only on the seed, the combination and I, so
--only with --examples I+1 runs a reported case again.

The compiled JAX programs are kept in $XDG_CACHE_HOME/rnn-ref/jax (~/.cache/rnn-ref/jax),
so that the next run does not compile them again; RNN_REF_JAX_CACHE=DIR puts them
elsewhere, RNN_REF_JAX_CACHE=0 or --no-jax-cache runs without that cache.

exit status: 0 when every combination agrees, 1 on any disagreement, 2 on bad usage or
when JAX or tqdm is missing (pip install '.[verify]' in a checkout).

examples:
  rnn-ref verify
  rnn-ref verify --examples 50 --seed 3
  rnn-ref verify --only tanh,mse,window --only relu,softmax_ce,chunk
  rnn-ref verify --json > verify.json
"""


def _combination(text: str) -> tuple[str, str, str]:
    """``ACTIVATION,LOSS,MODE``, e.g. ``tanh,mse,window``."""
    parts = tuple(part.strip() for part in text.split(","))
    if (
        len(parts) != 3
        or parts[0] not in ACTIVATIONS
        or parts[1] not in LOSSES
        or parts[2] not in _VERIFY_MODES
    ):
        raise argparse.ArgumentTypeError(
            f"expected ACTIVATION,LOSS,MODE with ACTIVATION in {'|'.join(ACTIVATIONS)}, "
            f"LOSS in {'|'.join(LOSSES)}, MODE in {'|'.join(_VERIFY_MODES)}, got {text!r}"
        )
    return parts  # type: ignore[return-value]


def _add_verify(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="cross-check rnn_ref.gradients against JAX and finite differences on random cases",
        description=(
            "Cross-check rnn_ref.gradients against three independent oracles on random cases\n"
            "of every activation x loss x truncation mode, and print the worst error of each."
        ),
        epilog=_VERIFY_EPILOG,
        # Defaults are in the help texts: "(default: None)" would say nothing about --only.
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--examples",
        type=_integer(1),
        default=_VERIFY_EXAMPLES,
        metavar="N",
        help="random cases per combination (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=_integer(0),
        default=0,
        help="the seed from which every case is drawn (default: %(default)s)",
    )
    parser.add_argument(
        "--only",
        type=_combination,
        action="append",
        metavar="ACTIVATION,LOSS,MODE",
        help="run only this combination, e.g. tanh,mse,window (repeatable; default: all 18)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the same content as JSON instead of a table"
    )
    parser.add_argument(
        "--no-jax-cache",
        action="store_true",
        help="compile the JAX programs afresh, without reading or writing the persistent cache",
    )
    parser.set_defaults(run=_run_verify)


def _run_verify(args: argparse.Namespace) -> int:
    # Imported here, not at the top: ``import rnn_ref`` and ``rnn-ref explain`` need NumPy
    # only, and JAX takes a second to import.
    try:
        from verification import crosscheck, twin
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in _VERIFY_DEPENDENCIES:
            raise
        print(
            f"{PROG} verify: error: {missing} is not installed; install the verify extra: "
            "pip install '.[verify]' in a checkout of rnn-ref",
            file=sys.stderr,
        )
        return 2
    if args.no_jax_cache:
        twin.configure_cache(False)
    report = crosscheck.run(args.examples, args.seed, args.only, progress=sys.stderr.isatty())
    if args.json:
        sys.stdout.write(crosscheck.to_json_text(report))
    else:
        sys.stdout.write(crosscheck.format_table(report))
    return 0 if report.agree else 1


def _number(text: str) -> float:
    """A finite number > 0 (learning rates, clipping thresholds)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    """A number in [0, 1) (Adam's betas)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value


def _clip(text: str) -> float | None:
    """``none`` (no clipping) or a threshold > 0."""
    return None if text == "none" else _number(text)


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
    from .tasks import TASKS  # here, not at the top: explain needs none of it

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
    from .tasks.loop import CLIP_MODES, OPTIMIZERS, SCHEDULES

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


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def _run_train(args: argparse.Namespace) -> int:
    import dataclasses

    from .tasks import base, get
    from .tasks.loop import TrainConfig

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
    from .tasks import TASKS

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
    import json

    from .tasks import base, get

    task = get(args.task)
    options = {f.name: getattr(args, f.name) for f in dataclasses.fields(task.predict_options)}
    prediction = base.predict(task, args.params, **options)
    if args.json:
        sys.stdout.write(json.dumps(prediction.metrics, indent=2) + "\n")
    else:
        sys.stdout.write(prediction.text)
    return 0


_CHECK_EPILOG = """\
TARGET is path/to/file.py:function or package.module:function (the working directory
is on the import path). In the canonical convention the function is called as
  fn(params, xs, targets, spec, h0, weights) -> dict of gradients
with rnn-ref's names (docs/checker.md). Cases are drawn only inside the scope the flags
give; a flag left out (activation, loss, bptt, weights, h0) draws all its values, and a
failure says which values fail. Each gradient agrees when it is within the rounding noise
of a correct implementation, derived from the case (docs/checker.md, "Tolerance").

On a failure the smallest failing case is explained, confirmed by the JAX twin's autodiff
(when JAX is installed) and saved to --save-case.

exit status: 0 all agree; 1 the code ran and something is wrong (a gradient disagrees,
NaN or inf, a wrong shape or dtype, a mutated argument, different answers to the same
case); 2 nothing could be compared (TARGET does not import, an exception, a timeout, bad
usage, Hypothesis missing), with one line saying why.

examples:
  rnn-ref check examples/check/canonical_rnn.py:gradients
  rnn-ref check mine.py:grads --activation tanh --loss mse --bptt window:5 --batch-one
  rnn-ref check mine.py:grads --reduction batch-mean --dtype float32 --json
"""
#: What ``rnn-ref check`` needs beyond NumPy: the ``check`` extra of pyproject.toml.
_CHECK_DEPENDENCIES = ("hypothesis",)
#: The conventions' own options, passed on only when given.
_CHECK_OPTIONS = ("layout", "inputs", "names")


def _add_check(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check your own RNN's gradients against rnn-ref on drawn cases",
        description=(
            "Check the gradients of your RNN implementation against rnn_ref.gradients on\n"
            "cases drawn inside the scope you give, and explain any disagreement."
        ),
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", metavar="TARGET", help="path/to/file.py:function")
    parser.add_argument(
        "--convention",
        default="canonical",
        help="how your code is called: canonical, layer, ... (docs/checker.md; "
        "default: %(default)s)",
    )
    scope = parser.add_argument_group("scope: what your code supports")
    scope.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        action="append",
        help="an activation your code supports (repeatable; default: all)",
    )
    scope.add_argument(
        "--loss",
        choices=LOSSES,
        action="append",
        help="a loss it supports (repeatable; default: both)",
    )
    scope.add_argument(
        "--bptt",
        metavar="full|window[:K]|chunk[:K]",
        help="the truncation it implements; without K, any k read from spec (default: all)",
    )
    scope.add_argument(
        "--weights",
        choices=("any", "ones", "mask", "last"),
        help="per-step loss weights: drawn freely, all ones, 0/1 masks of padded batches, "
        "or the last step only (default: all kinds)",
    )
    scope.add_argument(
        "--reduction",
        choices=("sum", "batch-mean", "mean"),
        default="sum",
        help="your loss is the sum of its terms, / B, or / sum of the weights "
        "(default: %(default)s)",
    )
    scope.add_argument("--h0", choices=("any", "zeros"), help="the initial state (default: both)")
    scope.add_argument("--no-bias", action="store_true", help="your model has no biases")
    scope.add_argument("--batch-one", action="store_true", help="it takes one sequence (B = 1)")
    scope.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="the dtype of the arrays passed in (default: %(default)s)",
    )
    options = parser.add_argument_group("the conventions' own options (docs/checker.md)")
    options.add_argument("--layout", help="layer: batch-first or time-major (default: batch-first)")
    options.add_argument(
        "--inputs", help="column: ids (class ids, softmax_ce) or columns (mse) (default: ids)"
    )
    options.add_argument(
        "--names", help="column: the weights' names, Wxh (Wxh, Whh, ...) or UVW (U, W, V)"
    )
    search = parser.add_argument_group("search and output")
    search.add_argument(
        "--examples",
        type=_integer(1),
        default=100,
        metavar="N",
        help="cases drawn (default: %(default)s)",
    )
    search.add_argument(
        "--seed",
        type=_integer(0),
        default=0,
        help="the same seed draws the same cases (default: 0)",
    )
    search.add_argument(
        "--timeout",
        type=_number,
        default=10.0,
        metavar="SECONDS",
        help="the longest one call may take (default: %(default)s)",
    )
    search.add_argument(
        "--save-case",
        default="rnn-ref-check-case.npz",
        metavar="PATH",
        help="where the smallest failing case is saved, only on a failure; 'none' for "
        "nowhere (default: %(default)s)",
    )
    search.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    # Imported here: the checker needs Hypothesis, which rnn-ref's other commands do not.
    from verification import check

    given = {name: getattr(args, name) for name in _CHECK_OPTIONS}
    options = {name: value for name, value in given.items() if value is not None}
    try:
        report = check.check_gradients(
            args.target,
            convention=args.convention,
            examples=args.examples,
            seed=args.seed,
            timeout=args.timeout,
            save_case=None if args.save_case == "none" else args.save_case,
            activation=args.activation,
            loss=args.loss,
            bptt=args.bptt,
            weights=args.weights,
            reduction=args.reduction,
            h0=args.h0,
            bias=not args.no_bias,
            batch_one=args.batch_one,
            dtype=args.dtype,
            **options,
        )
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if missing not in _CHECK_DEPENDENCIES:
            raise
        print(
            f"{PROG} check: error: {missing} is not installed; install the check extra: "
            "pip install 'rnn-ref[check]' (or '.[check]' in a checkout of rnn-ref)",
            file=sys.stderr,
        )
        return 2
    sys.stdout.write(report.to_json_text() if args.json else report.text())
    if report.exit_code == 2:
        print(f"{PROG} check: error: {report.reason}", file=sys.stderr)
    return report.exit_code


def _add_vectors(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "vectors",
        help="write or verify the golden test vectors (JSON and .npz, any language)",
        description=(
            "Golden test vectors for an RNN in any language (docs/golden-vectors.md):\n"
            "  rnn-ref vectors --out DIR       write the suite (confirmed by the JAX twin)\n"
            "  rnn-ref vectors --verify DIR    check every SHA-256, recompute every case\n"
            "  rnn-ref vectors --check-results RESULTS.json --vectors DIR\n"
            "                                  judge your implementation's numbers"
        ),
        epilog="Exit status: 0 all right, 1 a problem found (named), 2 nothing could be checked.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--out", metavar="DIR", help="write the suite to DIR (replaced whole)")
    action.add_argument("--verify", metavar="DIR", help="check the suite in DIR")
    action.add_argument(
        "--check-results",
        metavar="RESULTS",
        help="judge the results file RESULTS (JSON, docs/golden-vectors.md) on --vectors DIR",
    )
    parser.add_argument("--vectors", metavar="DIR", help="the suite that --check-results uses")
    parser.set_defaults(run=_run_vectors)


def _run_vectors(args: argparse.Namespace) -> int:
    # Imported here: verification is not needed by rnn-ref's other commands.
    from verification import vectors

    if (args.check_results is None) != (args.vectors is None):
        raise ValueError("--check-results and --vectors: expected both or neither, got one")
    if args.check_results is not None:
        report = vectors.check_results(args.check_results, args.vectors)
        sys.stdout.write(report.text())
        if report.exit_code == 2:
            print(f"{PROG} vectors: error: {report.reason}", file=sys.stderr)
        return report.exit_code
    if args.verify is not None:
        report = vectors.verify(args.verify)
        sys.stdout.write(report.text())
        return report.exit_code
    try:
        manifest = vectors.write_suite(args.out)
    except ModuleNotFoundError as error:  # writing needs JAX: the twin confirms every number
        if (error.name or "").split(".")[0] != "jax":
            raise
        print(
            f"{PROG} vectors: error: jax is not installed, and the JAX twin confirms every "
            "number written: pip install 'rnn-ref[verify]'",
            file=sys.stderr,
        )
        return 2
    except vectors.GenerationError as error:
        print(f"{PROG} vectors: error: {error}", file=sys.stderr)
        return 2
    tiers = ", ".join(f"{t['cases']} {name}" for name, t in manifest["tiers"].items())
    print(f"wrote {manifest['case_count']} cases ({tiers}) to {args.out}")
    return 0


_COMMANDS = (_add_explain, _add_verify, _add_check, _add_vectors, _add_train, _add_predict)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``rnn-ref`` with one subparser per entry of ``_COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="rnn-ref: a reference Elman RNN with exact and truncated BPTT.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in _COMMANDS:
        add(subparsers)
    return parser


def _run(args: argparse.Namespace) -> int:
    """Run the parsed command with a guarded stdout; turn the user's faults into one line."""
    # train keeps going when stdout fails: its real output is the run it writes.
    with _process.guarded_stdout(keep_going=args.command == "train") as stdout:
        try:
            status = args.run(args)
            stdout.flush()  # a closed pipe or a full device shows up here at the latest
        except _process.OutputLost:
            status = 0
        except (ValueError, TypeError, FloatingPointError) as error:
            # FloatingPointError: finite inputs too large for float64 (rnn_ref's overflow
            # check), e.g. a params.npz edited by hand; like a bad argument, the input's fault.
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            print(f"{PROG} {args.command}: error: {message}", file=sys.stderr)
            return 2
    if stdout.lost is None:
        return status
    if isinstance(stdout.lost, BrokenPipeError):
        return 1  # the reader went away (| head): a quiet exit, as Python's recipe does
    reason = stdout.lost.strerror or type(stdout.lost).__name__
    done = " (the run's files were written)" if args.command == "train" and status == 0 else ""
    print(f"{PROG} {args.command}: error: cannot write to stdout: {reason}{done}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rnn-ref`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    command = None
    with _process.sigterm_raises():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            command = args.command
            return _run(args)
        except (KeyboardInterrupt, _process.Terminated) as stop:
            # Whatever was being written is left as it was (train removes its stage).
            interrupted = isinstance(stop, KeyboardInterrupt)
            what = "interrupted" if interrupted else "terminated"
            print(f"{PROG}{'' if command is None else ' ' + command}: {what}", file=sys.stderr)
            return 130 if interrupted else 143


if __name__ == "__main__":
    sys.exit(main())
