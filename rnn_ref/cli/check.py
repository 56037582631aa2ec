"""``rnn-ref check``: its parser and its run, a thin layer over
``verification.check_gradients``."""

from __future__ import annotations

import argparse
import sys

from .._output import printable
from ..containers import ACTIVATIONS, LOSSES
from ._common import (
    PROG,
    _integer,
    _missing_extra,
    _number,
)

_CHECK_EPILOG = """\
TARGET is path/to/file.py:function or package.module:function (the working directory
is on the import path). In the canonical convention the function is called as
  fn(params, xs, targets, spec, h0, weights) -> dict of gradients
with rnn-ref's names (docs/checker.md). Cases are drawn only inside the scope the flags
give; a flag left out (activation, loss, bptt, weights, h0) draws all its values, and a
failure says which values fail. Each gradient agrees when it is within the rounding noise
of a correct implementation, derived from the case (docs/checker.md, "Tolerance").

On a failure the smallest failing case is explained, confirmed by the JAX twin's autodiff
(when JAX is installed) and saved to --save-case. The twin's compiled programs persist in
the user's cache directory (docs/verification.md); --no-jax-cache or RNN_REF_JAX_CACHE=0
compiles them afresh.

exit status: 0 all agree; 1 the code ran and something is wrong (a gradient disagrees,
NaN or inf, a wrong shape or dtype, a name the convention does not know, a mutated
argument, answers to the same case further apart than rounding); 2 nothing could be
compared (TARGET does not import, an exception, a timeout, no gradient returned, the
process ended before it reported, bad usage, Hypothesis missing), with one line saying why.
Your code runs in a child process; its prints go to stderr.

examples:
  rnn-ref check examples/check/canonical_rnn.py:gradients
  rnn-ref check mine.py:grads --activation tanh --loss mse --bptt window:5 --batch-one
  rnn-ref check mine.py:grads --reduction batch-mean --dtype float32 --json
"""
#: What ``rnn-ref check`` needs beyond NumPy: the ``check`` extra of pyproject.toml.
_CHECK_DEPENDENCIES = ("hypothesis",)
_CHECK_HOW = "install the check extra: pip install 'rnn-ref[check]' (or '.[check]' in a checkout)"
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
    scope.add_argument(
        "--no-bias",
        action="store_true",
        help="your model has no biases: b = 0 in every case; return no bias gradient (one "
        "returned is compared with dL/db at b = 0, which is not 0)",
    )
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
    search.add_argument(
        "--no-jax-cache",
        action="store_true",
        help="confirm a failure with JAX programs compiled afresh, without the persistent cache",
    )
    parser.set_defaults(run=_run_check)


def _no_jax_cache() -> None:
    """Turn the twin's persistent compilation cache off, if JAX is there to have one."""
    try:
        from verification import runtime
    except ModuleNotFoundError:  # no JAX: no confirmation, and no cache to turn off
        return
    runtime.configure_cache(False)


def _run_check(args: argparse.Namespace) -> int:
    # Imported here: the checker needs Hypothesis, which rnn-ref's other commands do not.
    try:
        import hypothesis  # noqa: F401  (the child needs it: say so before starting one)

        from verification.check import isolated
    except ModuleNotFoundError as error:
        return _missing_extra(error, "check", _CHECK_DEPENDENCIES, _CHECK_HOW)
    if args.no_jax_cache:
        _no_jax_cache()
    given = {name: getattr(args, name) for name in _CHECK_OPTIONS}
    options = {name: value for name, value in given.items() if value is not None}
    kwargs = dict(
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
    # The user's code runs in a child process: the verdict comes only from the report it
    # sends (verification/check/isolated.py), so os._exit(0) cannot pass for AGREE.
    outcome = isolated.run(
        {"fn": args.target, **kwargs}, timeout=args.timeout, no_jax_cache=args.no_jax_cache
    )
    message = outcome.message
    if message is None:
        print(f"{PROG} check: error: {outcome.reason}", file=sys.stderr)
        return 2
    if "missing" in message and message["missing"].split(".")[0] in _CHECK_DEPENDENCIES:
        error = ModuleNotFoundError(message["error"], name=message["missing"])
        return _missing_extra(error, "check", _CHECK_DEPENDENCIES, _CHECK_HOW)
    if "missing" in message:  # not an extra: the user's code removed one of ours
        print(
            f"{PROG} check: error: the check could not import {message['missing']} after "
            f"your code ran ({message['error']}): nothing was judged",
            file=sys.stderr,
        )
        return 2
    if "error" in message:
        print(f"{PROG} check: error: {printable(message['error'])}", file=sys.stderr)
        return 2
    sys.stdout.write(message["json"] if args.json else message["text"])
    if message["exit_code"] == 2:
        print(f"{PROG} check: error: {printable(message['reason'])}", file=sys.stderr)
    return message["exit_code"]
