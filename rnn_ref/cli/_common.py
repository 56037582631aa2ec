"""What every command's parser shares: the help format, the argument types, the
``--bptt`` vocabulary and its older spellings."""

from __future__ import annotations

import argparse
import math
import sys

from ..containers import TRUNCATION_MODES

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


class _SetByCase(argparse.Action):
    """Store the value, and remember in ``args.set_by_case`` that an option a case file
    also sets was given (``rnn-ref explain --case`` refuses them)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        namespace.set_by_case = [*getattr(namespace, "set_by_case", ()), option_string]


class _ExplicitSetByCase(_Explicit, _SetByCase):
    def __call__(self, parser, namespace, values, option_string=None) -> None:
        _Explicit.__call__(self, parser, namespace, values, option_string)
        _SetByCase.__call__(self, parser, namespace, values, option_string)


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


def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def _missing_extra(error: ModuleNotFoundError, command: str, modules: tuple[str, ...], how: str):
    """Exit status 2 and one line when ``error`` is a missing optional dependency.

    ``modules`` are the top-level modules the command's extra brings; any other missing
    module is a bug of ours, and the error is raised again.
    """
    missing = (error.name or "").split(".")[0]
    if missing not in modules:
        raise error
    print(f"{PROG} {command}: error: {missing} is not installed; {how}", file=sys.stderr)
    return 2
