"""``rnn-ref vectors``: write, verify and judge the golden test vectors (docs/golden-vectors.md)."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from .._output import json_text, printable, printable_lines
from ._common import PROG, _missing_extra


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
    parser.add_argument(
        "--json",
        action="store_true",
        help="with --check-results: print the verdict as JSON (docs/golden-vectors.md)",
    )
    parser.set_defaults(run=_run_vectors)


def _run_vectors(args: argparse.Namespace) -> int:
    # Imported here: verification is not needed by rnn-ref's other commands.
    from verification import vectors

    if (args.check_results is None) != (args.vectors is None):
        raise ValueError("--check-results and --vectors: expected both or neither, got one")
    if args.json and args.check_results is None:
        raise ValueError("--json: expected it with --check-results, the one verdict it prints")
    if args.check_results is not None:
        report = vectors.check_results(args.check_results, args.vectors)
        if args.json:
            # every field of the report, as it is; strict JSON (json_text)
            sys.stdout.write(
                json_text({**dataclasses.asdict(report), "exit_code": report.exit_code})
            )
            if report.exit_code == 2:
                print(f"{PROG} vectors: error: {printable(report.reason)}", file=sys.stderr)
            return report.exit_code
        # the results file's text (its implementation's name, reasons out of scope) is
        # printed with its control characters escaped, newlines too: no forged report lines
        shown = dataclasses.replace(
            report,
            results=printable(report.results),
            implementation=printable(report.implementation),
            out_of_scope={k: printable(v) for k, v in report.out_of_scope.items()},
        )
        sys.stdout.write(printable_lines(shown.text()))
        if report.exit_code == 2:
            print(f"{PROG} vectors: error: {printable(report.reason)}", file=sys.stderr)
        return report.exit_code
    if args.verify is not None:
        report = vectors.verify(args.verify)
        sys.stdout.write(printable_lines(report.text()))
        return report.exit_code
    try:
        manifest = vectors.write_suite(args.out)
    except ModuleNotFoundError as error:  # writing needs JAX: the twin confirms every number
        how = "the JAX twin confirms every number written: pip install 'rnn-ref[verify]'"
        return _missing_extra(error, "vectors", ("jax",), how)
    except vectors.GenerationError as error:
        print(f"{PROG} vectors: error: {error}", file=sys.stderr)
        return 2
    tiers = ", ".join(f"{t['cases']} {name}" for name, t in manifest["tiers"].items())
    print(f"wrote {manifest['case_count']} cases ({tiers}) to {args.out}")
    return 0
