"""``rnn-ref verify``: rnn_ref against three oracles on random cases of every combination.

For each of the 18 combinations activation {tanh, sigmoid, relu} x loss {mse, softmax_ce} x
mode {full, window, chunk}, ``run`` draws ``examples`` random cases and compares
``rnn_ref.gradients`` (g) with three oracles (``verification.oracles``):

- reverse: the largest relative error over the eight quantities L, dL/dW_xh, ..., dL/db_y,
  dL/dxs, dL/dh0, each max|g - twin| / max|twin| (``compare.difference``), where twin is
  ``jax.grad`` of the JAX twin's surrogate. Agrees when <= ``RTOL`` = 1e-10.
- forward: max over directions v of |jvp(v) - <g, v>| / ||g||, where jvp(v) is ``jax.jvp``
  of the twin's surrogate along v. Agrees when <= ``RTOL`` = 1e-10.
- fd: max over directions v of |D(v) - <g, v>| / bound(v), where D(v) is the central
  difference of the NumPy loss (or surrogate loss) along v and bound(v) the error bound
  that ``oracles.finite_differences`` derives for that very case and direction. Agrees
  when <= 1.

The directions v are ``N_DIRECTIONS`` random unit vectors of the point (params, xs, h0),
the same ones for the forward and finite-difference oracles. ||g|| is the 2-norm of all
seven gradient arrays together, the largest |<g, v>| can be for a unit v. A combination
agrees when every oracle agrees on every one of its cases; the worst case of each oracle
is kept, so that a disagreement names a case that can be run again.

Why these thresholds: twin and reference are two float64 evaluations of the same sums in
different orders. On the well-scaled cases drawn here they agree to about 1e-15 relative
(the table shows it), so 1e-10 leaves five orders of margin for rounding and still catches
an error of 1e-6 ||g|| in a single entry (``tests/test_verify.py`` plants one), far
smaller than what a wrong term of BPTT changes. The finite-difference
oracle has no fixed tolerance: its bound is derived per case and direction (truncation
term + rounding term, see ``verification.oracles``), typically 1e-10..1e-9 ||g||; the
``bound/|g|`` column reports the loosest bound of a combination, i.e. how small an error
the fd oracle could have missed.

The cases
---------
Case i of the combination (activation, loss, mode) is drawn by its own generator,
``np.random.default_rng([seed, a, l, m, i])`` with a, l, m the positions of the three
names in ``ACTIVATIONS``, ``LOSSES``, ``MODES``, so a case does not depend on
``examples`` or on which combinations run (``--only``). From it, in this order:

1. sizes T in 1..16, B in 1..4, D, H in 1..6, O in 1..6 (2..6 for softmax_ce);
2. k (window and chunk; None for full), one of four kinds with equal chances: 1, T-1
   (at least 1), T..T+3 (k >= T: the same as full), or uniform in 1..T;
3. the loss weights (T, B), one of four kinds with equal chances: ``all`` ones
   (many-to-many), ``last`` (ones at the last step: many-to-one), ``lengths`` (ones up to
   a length in 1..T per sequence, zeros after: a padded variable-length batch; the padded
   targets are NaN for mse and -1 for softmax_ce, which must never be read), ``random``
   (U(0, 2));
4. whether h0 is random U(-0.8, 0.8) (probability 1/2) or ``None`` (zeros);
5. the parameters, well scaled so that tanh and sigmoid stay out of saturation:
   W_xh ~ U(-r_D, r_D), W_hh ~ U(-r_H, r_H), W_hy ~ U(-r_H, r_H) with r_n = sqrt(3 / n)
   (a row's expected squared norm is 1), then W_hh scaled down, where needed, to spectral
   norm ``W_HH_NORM`` = 0.9, so that neither the states (relu) nor the gradients grow over
   time; b_h, b_y ~ U(-0.5, 0.5); then xs ~ U(-1, 1), the targets (mse: U(-1, 1);
   softmax_ce: class ids uniform in [0, O)) and h0. On 900 cases of seed 0 this gives
   |a_t| <= 4.0, tanh'(a_t) >= 7.8e-3 and sigmoid'(a_t) >= 5.0e-2.
   For relu, step 5 is repeated (up to ``RELU_ATTEMPTS`` times) until every pre-activation
   is at least ``RELU_MARGIN`` away from the kink at 0, where no derivative exists;
6. the ``N_DIRECTIONS`` directions (``oracles.random_directions``).

A relu direction along which a pre-activation could still cross 0 within the finite
differences' stencil (``FiniteDifferences.smooth`` is False) is not compared by the fd
oracle, and is counted as skipped.

A case on which any computation raises (``rnn_ref.gradients`` rejecting a valid case, an
overflow) is a disagreement of every oracle, with the error as its description.

``run`` returns a ``Report``; ``verification.crosscheck_report`` prints it as a table or as
JSON.

``run`` and ``check_case`` run inside ``runtime.jax_scope()``: float64, and the compiled
programs of an earlier run read from the persistent compilation cache. A cache directory
that cannot be created raises before the first case, not as a disagreement.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import jax
import numpy as np
from tqdm import tqdm

import rnn_ref
from rnn_ref.containers import ACTIVATIONS, LOSSES, Params, Problem, Spec

from . import compare, oracles
from .runtime import in_jax_scope
from .surrogate import forward_states

MODES = ("full", "window", "chunk")
ORACLES = ("reverse", "forward", "fd")

#: Cases per combination of ``rnn-ref verify`` without ``--examples``.
DEFAULT_EXAMPLES = 10
#: Random unit directions per case for the forward-mode and finite-difference oracles.
N_DIRECTIONS = 3
#: The tolerance on the reverse and forward errors (relative, see the module docstring).
RTOL = 1e-10
#: The fd error is measured in units of its own derived bound.
FD_LIMIT = 1.0
THRESHOLDS = {"reverse": RTOL, "forward": RTOL, "fd": FD_LIMIT}
#: What each error is, as the report states it (g = rnn_ref.gradients).
DEFINITIONS = {
    "reverse": "max over L and the 7 gradients of max|g - jax.grad| / max|jax.grad|",
    "forward": "max over directions v of |jax.jvp(v) - <g, v>| / ||g||",
    "fd": "max over directions v of |finite difference(v) - <g, v>| / its bound",
    "bound/|g|": "the loosest finite-difference bound, relative to ||g|| (information)",
}

MAX_T, MAX_B, MAX_SIZE = 16, 4, 6
W_HH_NORM = 0.9
RELU_MARGIN = 1e-3
RELU_ATTEMPTS = 50
WEIGHT_KINDS = ("all", "last", "lengths", "random")
K_KINDS = ("1", "T-1", ">=T", "random")


# ---------------------------------------------------------------------------------------
# Drawing a case.


@dataclass(frozen=True, eq=False, kw_only=True)
class Case(Problem):
    """One random case (``rnn_ref.Problem``: h0 (B, H) or None, weights (T, B); the spec's
    ``truncation_mode`` is "window" for full, where it is ignored) and where it came from.

    Attributes:
        seed, index: it was drawn by ``default_rng([seed, a, l, m, index])``.
        mode: ``"full"``, ``"window"`` or ``"chunk"``.
        weight_kind: one of ``WEIGHT_KINDS``. directions: the oracles' unit directions.
    """

    seed: int
    index: int
    mode: str
    weight_kind: str
    directions: list[tuple[np.ndarray, ...]]

    def describe(self) -> str:
        """One line: the case number, the sizes, k, the weights and h0."""
        T, B, D = self.xs.shape
        H, O = self.params.W_hh.shape[0], self.params.W_hy.shape[0]
        k = "" if self.spec.truncation is None else f" k={self.spec.truncation}"
        h0 = "zeros" if self.h0 is None else "random"
        return (
            f"case {self.index}: T={T} B={B} D={D} H={H} O={O}{k} "
            f"weights={self.weight_kind} h0={h0}"
        )


def _uniform(rng: np.random.Generator, r: float, shape) -> np.ndarray:
    return rng.uniform(-r, r, size=shape)


def _draw_k(rng: np.random.Generator, T: int) -> int:
    kind = K_KINDS[int(rng.integers(len(K_KINDS)))]
    if kind == "1":
        return 1
    if kind == "T-1":
        return max(1, T - 1)
    if kind == ">=T":
        return int(rng.integers(T, T + 4))
    return int(rng.integers(1, T + 1))


def _draw_weights(rng: np.random.Generator, kind: str, T: int, B: int) -> np.ndarray:
    if kind == "all":
        return np.ones((T, B))
    if kind == "last":
        weights = np.zeros((T, B))
        weights[-1] = 1.0
        return weights
    if kind == "lengths":
        lengths = rng.integers(1, T + 1, size=B)
        return (np.arange(T)[:, None] < lengths[None, :]).astype(np.float64)
    return rng.uniform(0.0, 2.0, size=(T, B))


def draw_case(seed: int, activation: str, loss: str, mode: str, index: int) -> Case:
    """Case ``index`` of the combination, drawn as the module docstring says."""
    key = [seed, ACTIVATIONS.index(activation), LOSSES.index(loss), MODES.index(mode), index]
    rng = np.random.default_rng(key)
    T = int(rng.integers(1, MAX_T + 1))
    B = int(rng.integers(1, MAX_B + 1))
    D = int(rng.integers(1, MAX_SIZE + 1))
    H = int(rng.integers(1, MAX_SIZE + 1))
    O = int(rng.integers(2 if loss == "softmax_ce" else 1, MAX_SIZE + 1))
    k = None if mode == "full" else _draw_k(rng, T)
    weight_kind = WEIGHT_KINDS[int(rng.integers(len(WEIGHT_KINDS)))]
    weights = _draw_weights(rng, weight_kind, T, B)
    random_h0 = bool(rng.random() < 0.5)
    spec = Spec(activation, loss, k, "chunk" if mode == "chunk" else "window")

    for _ in range(RELU_ATTEMPTS):
        r_D, r_H = math.sqrt(3 / D), math.sqrt(3 / H)
        W_xh = _uniform(rng, r_D, (H, D))
        W_hh = _uniform(rng, r_H, (H, H))
        W_hh *= min(1.0, W_HH_NORM / np.linalg.norm(W_hh, 2))  # no state or gradient explodes
        params = Params(
            W_xh=W_xh,
            W_hh=W_hh,
            b_h=_uniform(rng, 0.5, (H,)),
            W_hy=_uniform(rng, r_H, (O, H)),
            b_y=_uniform(rng, 0.5, (O,)),
        )
        xs = _uniform(rng, 1.0, (T, B, D))
        if loss == "mse":
            targets = _uniform(rng, 1.0, (T, B, O))
            targets[weights == 0] = np.nan  # padding: never read
        else:
            targets = rng.integers(0, O, size=(T, B))
            targets[weights == 0] = -1  # padding: never read
        h0 = _uniform(rng, 0.8, (B, H)) if random_h0 else None
        if activation != "relu":
            break
        start = np.zeros((B, H)) if h0 is None else h0
        _, pre = forward_states(params, xs, start, "relu")
        if np.min(np.abs(pre)) > RELU_MARGIN:
            break
    shapes = oracles.point_shapes(params, xs, h0)
    directions = oracles.random_directions(shapes, N_DIRECTIONS, rng)
    return Case(
        params, xs, targets, spec, h0, weights,
        seed=seed, index=index, mode=mode, weight_kind=weight_kind, directions=directions,
    )  # fmt: skip


# ---------------------------------------------------------------------------------------
# Checking a case.


@dataclass(frozen=True)
class CaseResult:
    """The error of each oracle on one case.

    Attributes:
        errors: ``{"reverse": ..., "forward": ..., "fd": ...}`` as in the module docstring;
            ``inf`` where a computation raised or returned NaN.
        what: per oracle, the quantity or direction of the worst error, for the report.
        fd_bound: the loosest fd bound of the case divided by ||g|| (NaN if none).
        fd_checked, fd_skipped: directions compared by the fd oracle, and skipped for a
            relu kink within reach.
    """

    errors: dict[str, float]
    what: dict[str, str]
    fd_bound: float
    fd_checked: int
    fd_skipped: int


def _finite(value: float) -> float:
    return float("inf") if math.isnan(value) else float(value)


@in_jax_scope
def check_case(case: Case) -> CaseResult:
    """Compare ``rnn_ref.gradients`` on ``case`` with the three oracles."""
    args = (case.params, case.xs, case.targets, case.spec)
    kwargs = case.kwargs()
    try:
        g = rnn_ref.gradients(*args, **kwargs)
        twin = oracles.reverse(*args, **kwargs)
        theirs = compare.gradient_fields(twin)
        reverse = {"L": compare.difference(g.loss, twin.loss).error}
        for name, array in compare.gradient_fields(g).items():
            reverse[name] = compare.difference(array, theirs[name]).error
        worst_quantity = max(reverse, key=lambda name: _finite(reverse[name]))

        predicted = np.array([oracles.directional(g, v) for v in case.directions])
        norm = oracles.gradient_norm(g)
        jvp = oracles.forward_mode(*args, case.directions, **kwargs)
        forward = compare.difference(predicted, jvp, scale=norm)

        fd = oracles.finite_differences(*args, case.directions, **kwargs)
        smooth = fd.smooth
        ratios = np.abs(fd.values - predicted) / np.maximum(fd.bounds, compare.TINY)
        ratios = np.where(np.isnan(ratios), np.inf, ratios)[smooth]
        fd_error = float(np.max(ratios, initial=0.0))
        bounds = fd.bounds[smooth]
        fd_bound = float(np.max(bounds)) / max(norm, compare.TINY) if bounds.size else math.nan
    except Exception as error:  # any failure on a valid case is a disagreement, reported
        message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return CaseResult(
            errors=dict.fromkeys(ORACLES, float("inf")),
            what=dict.fromkeys(ORACLES, f"raised {message}"),
            fd_bound=float("nan"),
            fd_checked=0,
            fd_skipped=0,
        )
    direction = f"direction {int(np.argmax(ratios))}" if ratios.size else "no direction"
    return CaseResult(
        errors={
            "reverse": _finite(reverse[worst_quantity]),
            "forward": _finite(forward.error),
            "fd": fd_error,
        },
        what={
            "reverse": worst_quantity,
            "forward": f"direction {forward.index[0]}",
            "fd": direction,
        },
        fd_bound=fd_bound,
        fd_checked=int(smooth.sum()),
        fd_skipped=int((~smooth).sum()),
    )


# ---------------------------------------------------------------------------------------
# Running every combination.


@dataclass
class Worst:
    """The worst case of one oracle within a combination."""

    error: float
    case: str
    what: str
    reproduce: str


@dataclass
class Row:
    """One combination: its cases, the worst error of each oracle and its verdict."""

    activation: str
    loss: str
    mode: str
    cases: int = 0
    worst: dict[str, Worst] = field(default_factory=dict)
    fd_bound: float = float("nan")
    fd_checked: int = 0
    fd_skipped: int = 0

    @property
    def disagreeing(self) -> list[str]:
        """The oracles whose worst error is above (or NaN, not within) its threshold."""
        return [name for name, w in self.worst.items() if not w.error <= THRESHOLDS[name]]

    @property
    def verdict(self) -> str:
        return "ok" if not self.disagreeing else "DISAGREE"

    def add(self, case: Case, result: CaseResult, reproduce: str) -> None:
        self.cases += 1
        for name in ORACLES:
            error = result.errors[name]
            if name not in self.worst or error > self.worst[name].error:
                self.worst[name] = Worst(error, case.describe(), result.what[name], reproduce)
        self.fd_bound = float(np.fmax(self.fd_bound, result.fd_bound))  # NaN: no bound
        self.fd_checked += result.fd_checked
        self.fd_skipped += result.fd_skipped


@dataclass
class Report:
    """Everything ``rnn-ref verify`` prints."""

    seed: int
    examples: int
    rows: list[Row]
    seconds: float = 0.0

    @property
    def agree(self) -> bool:
        return all(row.verdict == "ok" for row in self.rows)


def combinations(only: Iterable[Sequence[str]] | None = None) -> list[tuple[str, str, str]]:
    """(activation, loss, mode) in table order, or only those listed in ``only``."""
    every = [(a, l, m) for a in ACTIVATIONS for l in LOSSES for m in MODES]
    if only is None:
        return every
    wanted = {tuple(c) for c in only}
    unknown = wanted - set(every)
    if unknown:
        raise ValueError(f"only: expected combinations of {every}, got {sorted(unknown)}")
    return [c for c in every if c in wanted]


def reproduce_command(seed: int, combination: Sequence[str], index: int) -> str:
    """The command that runs ``combination`` again up to and including case ``index``."""
    return f"rnn-ref verify --seed {seed} --only {','.join(combination)} --examples {index + 1}"


@in_jax_scope
def run(
    examples: int = DEFAULT_EXAMPLES,
    seed: int = 0,
    only: Iterable[Sequence[str]] | None = None,
    *,
    progress: bool = False,
) -> Report:
    """Draw ``examples`` cases of every combination (or of those in ``only``), check them.

    Args:
        examples: cases per combination, at least 1.
        seed: the seed of every case's generator (see the module docstring).
        only: (activation, loss, mode) triples to run instead of all 18.
        progress: show a tqdm progress bar on stderr (the command: when it is a terminal).
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 1:
        raise ValueError(f"examples: expected an integer >= 1, got {examples!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    start = time.perf_counter()
    rows = []
    chosen = combinations(only)
    bar = tqdm(
        total=len(chosen) * examples,
        unit="case",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    with bar:
        for combination in chosen:
            row = Row(*combination)
            bar.set_description(" ".join(combination))
            for index in range(examples):
                case = draw_case(seed, *combination, index)
                row.add(case, check_case(case), reproduce_command(seed, combination, index))
                bar.update()
            rows.append(row)
    return Report(seed, examples, rows, time.perf_counter() - start)


def versions() -> dict[str, str]:
    """The versions that produced a report."""
    import jaxlib

    return {
        "rnn_ref": rnn_ref.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }
