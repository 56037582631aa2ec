"""``rnn-ref explain``: its parser and its run."""

from __future__ import annotations

import argparse
import sys

from ..containers import ACTIVATIONS, LOSSES, TRUNCATION_MODES
from ..explain import (
    FORMATS,
    H0_CHOICES,
    MAX_LINES,
    MAX_NUMBERS,
    MAX_PRECISION,
    SUMMARY_AFTER,
    WEIGHT_CHOICES,
    ExplainConfig,
    save_explain_case,
    write_explain,
)
from ..initialise import SCHEMES
from ._common import (
    _add_bptt,
    _ExplicitSetByCase,
    _HelpFormatter,
    _integer,
    _SetByCase,
    _truncation,
    _truncation_of,
)

_EXPLAIN_EPILOG = f"""\
Without --case the case is drawn from the seed: one np.random.default_rng(SEED) draws
W_xh, W_hh, W_hy (as rnn_ref.init_params does; the biases are zero), then xs ~ U(-1, 1) of
shape (T, B, D), then the targets (mse: z ~ U(-1, 1) of shape (T, B, O); softmax_ce: class
ids rng.integers(0, O, size=(T, B))), then h0 ~ U(-1, 1) of shape (B, H) with --h0 random.

Every number is computed step by step with rnn_ref.step_forward / rnn_ref.step_backward
(one loss term at a time under window truncation); the last line compares the sums with
rnn_ref.gradients.

examples:
  rnn-ref explain
  rnn-ref explain -T 4 --truncation 2                 # window(2)
  rnn-ref explain -T 4 --truncation 2 --mode chunk    # chunk(2)
  rnn-ref explain -T 4 --bptt chunk:2                 # the same
  rnn-ref explain --loss softmax_ce --weights last -O 3
  rnn-ref explain -T 30 --bptt window:4               # the per-step summary
  rnn-ref explain --case failing-case.npz --format html > case.html
  rnn-ref explain -T 3 --save-case mine.npz           # the case, for your own code

With --case FILE.npz the case is read from a case file instead (docs/case-format.md; a
case that rnn-ref check saved, a golden vector): its parameters, data, h0, loss weights and
Spec are used, and the options that the file sets (sizes, --seed, --activation, --loss,
--truncation, --mode, --bptt, --init, --h0, --weights) are refused with it.

Up to --summary-after steps (default {SUMMARY_AFTER}) every step is listed; past them the data
and the step-by-step listing are left out and the per-step summary table (loss term,
||h_t||, ||dL/dh_t||, ||delta_t||, ||dL/dx_t||) stands for them; --full lists every step.
--format markdown writes the same as Markdown tables, --format html one self-contained
page (MathML, inline CSS, nothing fetched) with a coloured reach grid.

The text has every value of the network, so its size is bounded: a case that would
print more than {MAX_LINES:,} lines or {MAX_NUMBERS:,} numbers (about 10 s) is refused,
with --case too.
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
            action=_SetByCase,
            metavar=letter,
            help=what,
        )
    model = parser.add_argument_group("model and loss")
    model.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        default=default.activation,
        action=_SetByCase,
        help="the activation phi",
    )
    model.add_argument(
        "--loss",
        choices=LOSSES,
        action=_SetByCase,
        default=default.loss,
        help="mse: 1/2 |y - z|^2; softmax_ce: logsumexp(y) - y[c]",
    )
    model.add_argument(
        "--truncation",
        type=_truncation,
        action=_ExplicitSetByCase,
        default="full",  # argparse passes a string default through _truncation: None
        metavar="K",
        help="'full' for full BPTT, or k >= 1 for window(k) or chunk(k), see --mode",
    )
    model.add_argument(
        "--mode",
        choices=TRUNCATION_MODES,
        action=_ExplicitSetByCase,
        default=default.mode,
        help="window: every loss term sees its k most recent transitions; "
        "chunk: the time axis is cut into chunks of k (ignored without "
        "--truncation)",
    )
    _add_bptt(model, "--truncation and --mode")
    model.add_argument(
        "--weights",
        choices=(*WEIGHT_CHOICES, "ones"),
        action=_SetByCase,
        default=default.weights,
        help="loss weights: all ones (many-to-many; 'ones' is the same, as rnn-ref check "
        "names it) or the last step only (many-to-one)",
    )
    data = parser.add_argument_group("data and printing")
    data.add_argument(
        "--seed",
        type=_integer(0),
        action=_SetByCase,
        default=default.seed,
        help="seed of the one np.random.default_rng that draws everything",
    )
    data.add_argument(
        "--init",
        choices=SCHEMES,
        default=default.init,
        action=_SetByCase,
        help="rnn_ref.init_params scheme",
    )
    data.add_argument(
        "--h0",
        choices=H0_CHOICES,
        default=default.h0,
        action=_SetByCase,
        help="initial state: zeros, or drawn from U(-1, 1)",
    )
    data.add_argument(
        "--precision",
        type=_integer(1, MAX_PRECISION),
        default=default.precision,
        metavar="DIGITS",
        help="decimals printed (sums always use full float64 values)",
    )
    data.add_argument(
        "--case",
        metavar="FILE.npz",
        help="walk the case in this case file (docs/case-format.md) instead of a drawn one",
    )
    data.add_argument(
        "--save-case",
        metavar="FILE.npz",
        help="also write the case walked through to this case file (docs/case-format.md), "
        "for rnn_ref.load_case in your own code; an existing file is replaced only if it is "
        "a case file",
    )
    data.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text; markdown (tables, for a forge); html (one self-contained page)",
    )
    listing = data.add_mutually_exclusive_group()
    listing.add_argument(
        "--summary-after",
        type=positive,
        default=default.summary_after,
        metavar="N",
        help="list every step up to T = N; past it, the per-step summary table only",
    )
    listing.add_argument(
        "--full",
        action="store_true",
        default=None,  # not shown as "(default: False)"
        help="list every step, whatever T (no summary limit)",
    )
    parser.set_defaults(run=_run_explain)


def _run_explain(args: argparse.Namespace) -> int:
    given = getattr(args, "set_by_case", [])
    if args.case is not None and (given or args.bptt is not None):
        flag = given[0] if given else "--bptt"
        raise ValueError(
            f"--case: expected no {flag} with a case file (the file sets the sizes, seed, "
            f"model, loss, truncation, h0 and weights), got {flag}"
        )
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
        case=args.case,
        summary_after=None if args.full else args.summary_after,
    )
    if args.save_case is not None:
        try:
            saved = save_explain_case(config, args.save_case)
        except ValueError as error:
            message = str(error)
            if not message.startswith("path: "):
                raise
            raise ValueError(f"--save-case: {message.removeprefix('path: ')}") from None
        print(
            f"rnn-ref explain: the case is in {saved} (rnn_ref.load_case reads it)", file=sys.stderr
        )
    # Piece by piece: the first lines show at once.
    write_explain(config, sys.stdout.write, args.format)
    return 0
