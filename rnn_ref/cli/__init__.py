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

One module per command (``explain``, ``verify``, ``check``, ``vectors``, ``train`` with
``predict``); what
their parsers share is in ``_common``. Adding a command: write a module with
``_add_<name>(subparsers)``, which builds its parser and sets ``run`` to a function of the
parsed arguments that returns the exit status, and append it to ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .._output import printable
from ..files import _process
from ._common import PROG
from .check import _add_check
from .explain import _add_explain
from .train import _add_predict, _add_train
from .vectors import _add_vectors
from .verify import _add_verify

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
            # escaped: the message can quote what the user gave (a file name, a comment)
            print(f"{PROG} {args.command}: error: {printable(message)}", file=sys.stderr)
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
