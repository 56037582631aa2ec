"""The checker's scope and cases, and no false alarm over every value of every scope flag.

``check_cases(scope)`` must draw inside the scope only and reach the long, saturated and
large cases where bugs hide; the correct example (``examples/check/canonical_rnn.py``, its
loss divided as each ``--reduction`` says) must agree on every value of every flag, pairs
of flags together in a pairwise design (every pair of values of two flags in some row),
not the whole product.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _check import check, correct
from hypothesis import given, settings

import rnn_ref
from verification.check.cases import LONG_T, check_cases
from verification.check.scope import Bptt, Scope, make_scope, parse_bptt
from verification.strategies import scaled_examples


def test_parse_bptt_and_make_scope() -> None:
    assert parse_bptt("full") == Bptt("full") and parse_bptt("chunk:3") == Bptt("chunk", 3)
    assert parse_bptt("window") == Bptt("window")
    for bad in ("full:2", "window:", "window:x", "chunk:0", "trunc"):
        with pytest.raises(ValueError, match="bptt: expected"):
            parse_bptt(bad)
    with pytest.raises(ValueError, match="activation: expected one or more of"):
        make_scope(activation="gelu")
    with pytest.raises(ValueError, match="reduction: expected one of sum"):
        make_scope(reduction="avg")
    with pytest.raises(TypeError, match="bias: expected True or False"):
        make_scope(bias=0)


SCOPE = Scope(activations=("relu",), bptt=Bptt("window", 3), weights="last", h0="zeros",
              bias=False, batch_one=True, dtype="float32")  # fmt: skip


@settings(max_examples=60, database=None)
@given(check_cases(SCOPE))
def test_check_cases_draws_inside_the_scope_only(case) -> None:
    T, B, *_ = case.sizes
    assert B == 1 and 1 <= T <= LONG_T and case.spec.activation == "relu"
    assert (case.spec.truncation, case.spec.truncation_mode) == (3, "window")
    assert not case.params.b_h.any() and not case.params.b_y.any() and not case.h0.any()
    assert case.weights[:-1].sum() == 0 and (case.weights[-1] == 1).all()
    args = case.canonical_args()
    assert all(a.dtype == np.float32 for a in (*args[0].values(), args[1], args[4], args[5]))
    assert np.array_equal(args[1].astype(np.float64), case.xs)  # the truth sees these values


def test_check_cases_reach_long_saturated_and_large_cases() -> None:
    seen = {"long": 0, "saturated": 0, "large": 0, "k near T": 0}

    @settings(max_examples=200, database=None)
    @given(check_cases(Scope(activations=("tanh",))))
    def draw(case):
        T = case.sizes[0]
        seen["long"] += T > 12
        h = rnn_ref.forward(case.params, case.xs, case.h0).hs
        seen["saturated"] += bool((np.abs(h) > 0.999).any())
        g = rnn_ref.gradients(case.params, case.xs, case.targets, case.spec, h0=case.h0,
                              weights=case.weights)  # fmt: skip
        seen["large"] += bool(np.abs(g.params.W_hy).max() > 10)
        k = case.spec.truncation
        seen["k near T"] += k is not None and abs(k - T) <= 1 and T > 2

    draw()
    assert all(count >= 10 for count in seen.values()), seen


# ---------------------------------------------------------------------------------------
# No false alarm: the correct implementation through every value of every scope flag.

FLAGS = {
    "activation": [None, "tanh", "sigmoid", "relu"],
    "loss": [None, "mse", "softmax_ce"],
    "bptt": [None, "full", "window", "chunk", "window:3", "chunk:2"],
    "weights": [None, "any", "ones", "mask", "last"],
    "reduction": ["sum", "batch-mean", "mean"],
    "h0": [None, "any", "zeros"],
    "bias": [True, False],
    "batch_one": [False, True],
    "dtype": ["float64", "float32"],
}


def pairwise(flags: dict[str, list]) -> list[dict]:
    """Rows that give every pair of values of two flags together at least once (greedy)."""
    names = list(flags)
    uncovered = {
        ((a, va), (b, vb))
        for a, b in itertools.combinations(names, 2)
        for va, vb in itertools.product(range(len(flags[a])), range(len(flags[b])))
    }
    rng = np.random.default_rng(0)
    rows = []
    while uncovered:
        (a, va), (b, vb) = min(uncovered, key=repr)  # start from a pair still missing
        best, gain = None, -1
        for _ in range(60):
            row = {n: int(rng.integers(len(flags[n]))) for n in names}
            row[a], row[b] = va, vb
            covered = sum(
                ((x, row[x]), (y, row[y])) in uncovered for x, y in itertools.combinations(names, 2)
            )
            if covered > gain:
                best, gain = row, covered
        uncovered -= {((x, best[x]), (y, best[y])) for x, y in itertools.combinations(names, 2)}
        rows.append({n: flags[n][i] for n, i in best.items()})
    return rows


ROWS = pairwise(FLAGS)


def reduced(reduction: str):
    """The correct example with its loss reduced as ``reduction`` says (it sums)."""

    def fn(params, xs, targets, spec, h0, weights):
        g = correct(params, xs, targets, spec, h0, weights)
        c = {"sum": 1.0, "batch-mean": 1.0 / xs.shape[1], "mean": 1.0 / weights.sum()}[reduction]
        return {name: c * value for name, value in g.items()}

    return fn


def test_the_pairwise_design_covers_every_value_and_pair() -> None:
    for a, b in itertools.combinations(FLAGS, 2):
        pairs = {(repr(row[a]), repr(row[b])) for row in ROWS}
        assert len(pairs) == len(FLAGS[a]) * len(FLAGS[b]), (a, b)
    assert len(ROWS) < 60  # far fewer than the 51,840 of the whole product


#: Cases per row of the design: the Hypothesis profile's examples, at least 12
#: (dev: 12, ci: 200, thorough: 2,000), so that CI checks the correct example on 31 x 200 cases.
FALSE_ALARM_EXAMPLES = max(12, scaled_examples(1.0))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: ",".join(f"{v}" for v in row.values()))
def test_no_false_alarm(row) -> None:
    report = check(reduced(row["reduction"]), examples=FALSE_ALARM_EXAMPLES, seed=len(ROWS), **row)
    assert report.exit_code == 0, report.text()
    assert report.counts["agreed"] > 0, report.text()


# ---------------------------------------------------------------------------------------
# The tolerance: wide enough for rounding, narrow enough for everything else.


def _case(seed, sizes, spec, gains, scope: Scope):
    import dataclasses

    from verification.check.cases import _fill

    case = _fill(seed, sizes, spec, gains, scope.weights or "ones", scope.h0 or "any", scope)
    return dataclasses.replace(case, labels={"weights": scope.weights or "ones"})


def test_a_cancelling_pre_activation_in_float32_is_no_false_alarm() -> None:
    # Found by a sweep of the pairwise design: a_1 = x_1 W_xh^T cancels to 1e-3 from terms
    # of 0.3, so float32 knows h_1 and dL/dW_hy to 2e-5 of themselves, not to 1e-7.
    from verification.check.verdict import judge

    scope = Scope(dtype="float32", bias=False, weights="ones", h0="zeros")
    case = _case(0, (1, 1, 4, 1, 1), rnn_ref.Spec("tanh", "mse", 3), (1, 0.5, 0.5, 1, 1), scope)
    verdict = judge(case, correct(*case.canonical_args()), "mean")
    assert not verdict.failing, [q for q in verdict.quantities.values() if q.status != "agree"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_small_change_of_one_element_is_caught(dtype) -> None:
    from verification.check.verdict import judge

    scope = Scope(dtype=dtype)
    case = _case(7, (6, 2, 3, 4, 2), rnn_ref.Spec("tanh", "mse"), (1, 0.5, 0.5, 1, 1), scope)
    g = correct(*case.canonical_args())
    assert not judge(case, g, "sum").failing
    relative = {"float64": 1e-9, "float32": 1e-3}[dtype]
    g["W_hh"] = g["W_hh"].copy()
    g["W_hh"][1, 2] += relative * np.abs(g["W_hh"]).max()
    verdict = judge(case, g, "sum")
    assert verdict.disagreeing == ["W_hh"] and verdict.quantities["W_hh"].worst[0][0] == (1, 2)
