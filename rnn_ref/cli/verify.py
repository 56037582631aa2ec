"""``rnn-ref verify``: its parser and its run."""

from __future__ import annotations

import argparse
import sys

from ..containers import ACTIVATIONS, LOSSES, TRUNCATION_MODES
from ._common import (
    _integer,
    _missing_extra,
)

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
        from verification import crosscheck, crosscheck_report, twin
    except ModuleNotFoundError as error:
        how = "install the verify extra: pip install '.[verify]' in a checkout of rnn-ref"
        return _missing_extra(error, "verify", _VERIFY_DEPENDENCIES, how)
    if args.no_jax_cache:
        twin.configure_cache(False)
    report = crosscheck.run(args.examples, args.seed, args.only, progress=sys.stderr.isatty())
    if args.json:
        sys.stdout.write(crosscheck_report.to_json_text(report))
    else:
        sys.stdout.write(crosscheck_report.format_table(report))
    return 0 if report.agree else 1
