"""The case that ``rnn-ref explain`` walks through: drawn from a seed, or read from a case file.

Drawn from the seed, one ``np.random.default_rng(seed)`` draws, in this order:

1. ``W_xh`` (H, D), ``W_hh`` (H, H), ``W_hy`` (O, H), exactly as
   ``rnn_ref.init_params(D, H, O, seed=seed, scheme=init)`` draws them (biases are zero);
2. ``xs`` (T, B, D) from U(-1, 1);
3. the targets: for ``mse`` z (T, B, O) from U(-1, 1), for ``softmax_ce`` class ids
   ``rng.integers(0, O, size=(T, B))``;
4. ``h0`` (B, H) from U(-1, 1), only with ``h0="random"`` (otherwise zeros, nothing drawn).

The loss weights are all ones (``weights="all"``, many-to-many) or ones at the last step
only (``weights="last"``, many-to-one).

Read from a case file (``ExplainConfig.case``, the format of ``docs/case-format.md``, as
``rnn-ref check`` saves a failing case): the file's parameters, data, ``h0``, weights and
``Spec`` are used as they are, and the sizes come from the file. The file is untrusted:
``rnn_ref.load_case`` validates it whole before anything is built from it.

Either way the case must fit the limits of ``check_size``: explain prints every value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _validation as v
from ..containers import Problem, Spec, truncation_label
from ..files.casefile import load_case, save_case
from ..initialise import init_params
from .text import check_maths

H0_CHOICES = ("zeros", "random")
WEIGHT_CHOICES = ("all", "last")
MAX_PRECISION = 17
# explain prints every value, so its size bounds its time and its output. Measured on
# one core: 0.09 to 0.11 ms of CPU per line, 8 us and 7.6 bytes per number; so a case at
# either limit below runs for about 10 s and prints at most about 8 MB. A case past them
# is refused before anything is drawn (``check_size``).
MAX_LINES = 100_000
MAX_NUMBERS = 1_000_000
# Past this many steps the per-step listing gives way to the per-step summary table.
SUMMARY_AFTER = 10


@dataclass(frozen=True)
class ExplainConfig:
    """Everything ``explain`` prints is determined by these values (and the case file).

    Attributes:
        steps: T. batch: B. inputs: D. hidden: H. outputs: O. Each at least 1.
        seed: the seed of the one ``np.random.default_rng`` that draws the case.
        activation, loss: as in ``rnn_ref.Spec``.
        truncation: ``None`` (full BPTT) or k >= 1. mode: ``"window"`` or ``"chunk"``.
        init: the ``rnn_ref.init_params`` scheme, ``"xavier"`` or ``"uniform01"``.
        h0: ``"zeros"`` or ``"random"``.
        weights: ``"all"`` (many-to-many) or ``"last"`` (many-to-one).
        precision: decimals printed, 1 to 17. Sums always use the full float64 values.
        case: ``None``, or the path of a case file whose case is walked instead of a drawn
            one; then the sizes, seed, activation, loss, truncation, init, h0 and weights
            above are not used.
        summary_after: list every step while T is at most this; past it, only the per-step
            summary table. ``None``: always list every step.
    """

    steps: int = 3
    batch: int = 1
    inputs: int = 2
    hidden: int = 3
    outputs: int = 2
    seed: int = 0
    activation: str = "tanh"
    loss: str = "mse"
    truncation: int | None = None
    mode: str = "window"
    init: str = "xavier"
    h0: str = "zeros"
    weights: str = "all"
    precision: int = 4
    case: str | os.PathLike | None = None
    summary_after: int | None = SUMMARY_AFTER


@dataclass(frozen=True, eq=False)
class Case(Problem):
    """The tiny problem that ``explain`` works through (``rnn_ref.Problem``, h0 and weights
    always given), and where it comes from.

    ``source`` says where it comes from (the seed, or the file); ``comment`` is the case
    file's comment (untrusted text: every renderer escapes it).
    """

    source: str = ""


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")


def check_printing(config: ExplainConfig) -> None:
    """The options of the text itself: ``precision`` and ``summary_after``."""
    precision = v.check_integer(config.precision, "precision", 1)
    if precision > MAX_PRECISION:
        raise ValueError(f"precision: expected at most {MAX_PRECISION} decimals, got {precision}")
    if config.summary_after is not None:
        v.check_integer(config.summary_after, "summary_after", 1)


def build_case(config: ExplainConfig) -> Case:
    """The case of ``config``: read from ``config.case``, or drawn as the module docstring says."""
    check_printing(config)
    if config.case is not None:
        return _read_case(config.case)
    T = v.check_integer(config.steps, "steps", 1)
    B = v.check_integer(config.batch, "batch", 1)
    D = v.check_integer(config.inputs, "inputs", 1)
    H = v.check_integer(config.hidden, "hidden", 1)
    O = v.check_integer(config.outputs, "outputs", 1)
    seed = v.check_integer(config.seed, "seed", 0)
    _check_choice("h0", config.h0, H0_CHOICES)
    _check_choice("weights", config.weights, WEIGHT_CHOICES)
    spec = Spec(config.activation, config.loss, config.truncation, config.mode)
    check_size(T, B, D, H, O, spec)

    params = init_params(D, H, O, seed=seed, scheme=config.init)
    rng = np.random.default_rng(seed)
    # Step past the three matrices that init_params drew from this same stream (one
    # double per entry, whatever the bounds), so that the data continue the stream.
    for shape in ((H, D), (H, H), (O, H)):
        rng.uniform(size=shape)
    xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
    if spec.loss == "mse":
        targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
    else:
        targets = rng.integers(0, O, size=(T, B))
    h0 = rng.uniform(-1.0, 1.0, size=(B, H)) if config.h0 == "random" else np.zeros((B, H))
    weights = np.ones((T, B))
    if config.weights == "last":
        weights[:-1] = 0.0
    return Case(
        params=params,
        xs=xs,
        targets=targets,
        h0=h0,
        weights=weights,
        spec=spec,
        source=f"seed {seed}",
    )


def _read_case(path: str | os.PathLike) -> Case:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"case: expected the path of a case file, got {type(path).__name__}")
    problem = load_case(path)  # validated whole; its errors name the path
    # The comment is untrusted: its maths is bounded here, in every format, so that a file
    # is walked through in all of them or refused before the first line is written.
    check_maths(problem.comment, f"case file {os.fspath(path)}, comment")
    T, B, D = problem.xs.shape
    check_size(T, B, D, problem.params.hidden_size, problem.params.output_size, problem.spec)
    return Case(
        params=problem.params,
        xs=problem.xs,
        targets=problem.targets,
        h0=problem.h0,
        weights=problem.weights,
        spec=problem.spec,
        source=f"case file {os.fspath(path)}",
        comment=problem.comment,
    )


def printed_size(T: int, B: int, D: int, H: int, O: int, spec: Spec) -> tuple[int, int]:
    """About how many lines and numbers ``explain`` prints for these sizes.

    Per step: the forward rows (a, h, y, the loss term) and the backward rows (dy, the
    read-out part, what is carried, dL/dh, phi', delta, dx), B each, and the step's
    contributions to the five parameter gradients. Under window(k), k < T, up to k loss
    terms carry a part back into each state, one row each.
    """
    k = spec.truncation
    depth = k + 1 if k is not None and k < T and spec.truncation_mode == "window" else 1
    per_step_lines = B * (14 + depth) + 2 * H + O + 6
    per_step_numbers = B * (7 * H + 2 * O + D + 2 + H * depth) + H * (D + H + 1 + O) + O
    fixed = 4 * (H * (D + H + 1 + O) + O)  # parameters and totals, twice each
    return T * per_step_lines + 2 * H + 2 * O + 30, T * per_step_numbers + fixed


def check_size(T: int, B: int, D: int, H: int, O: int, spec: Spec) -> None:
    """Refuse a case whose full listing would pass ``MAX_LINES`` or ``MAX_NUMBERS``.

    The summary prints less, but computes every value all the same: the limits hold for it.
    """
    lines, numbers = printed_size(T, B, D, H, O, spec)
    if lines > MAX_LINES or numbers > MAX_NUMBERS:
        label = truncation_label(spec.truncation, spec.truncation_mode, full="full")
        raise ValueError(
            f"sizes: expected a case that prints at most {MAX_LINES:,} lines and "
            f"{MAX_NUMBERS:,} numbers (explain shows every value of a tiny network), got "
            f"T={T} B={B} D={D} H={H} O={O} with truncation {label}, "
            f"about {lines:,} lines and {numbers:,} numbers; lower T, B, H or k"
        )


def reach(T: int, spec: Spec, t: int) -> int:
    """The first transition that the loss term at step t reaches (``docs/truncation.md``)."""
    k = spec.truncation
    if k is None:
        return 1
    if spec.truncation_mode == "window":
        return max(1, t - k + 1)
    return (t - 1) // k * k + 1  # the first transition of t's chunk


def last_reacher(T: int, spec: Spec, t: int) -> int:
    """The last loss term that reaches transition t (all terms t..this one do)."""
    return max(tau for tau in range(t, T + 1) if reach(T, spec, tau) <= t)


def interval(first: int, last: int) -> str:
    """``3`` or ``2..3``."""
    return f"{first}" if first == last else f"{first}..{last}"


def span(first: int, last: int, noun: str) -> str:
    """``transition 3`` or ``transitions 2..3``."""
    return f"{noun}{'' if first == last else 's'} {interval(first, last)}"


def save_explain_case(config: ExplainConfig, path: str | os.PathLike) -> Path:
    """Write the case ``explain(config)`` walks through to ``path``, a case file.

    The file (docs/case-format.md) holds the parameters, data, ``h0``, loss weights and
    ``Spec``, so a learner can load the exact numbers into their own code with
    ``rnn_ref.load_case``, or walk it again with ``--case``. It is written whole or not at
    all; an existing file is replaced only if it is a case file itself.

    Raises:
        ValueError, TypeError: the configuration (as in ``build_case``), or ``path`` names a
            directory, a file that is not a case file, or a place that cannot be written.
    """
    case = build_case(config)
    target = Path(path)  # save_case replaces only a case file (docs/case-format.md)
    comment = f"rnn-ref explain, {case.source}" + (f": {case.comment}" if case.comment else "")
    problem = Problem(
        params=case.params,
        xs=case.xs,
        targets=case.targets,
        spec=case.spec,
        h0=case.h0,
        weights=case.weights,
        comment=comment,
    )
    return save_case(target, problem)
