"""The gallery of BPTT mistakes and the fingerprints that name them.

- The gallery's correct base equals ``rnn_ref.gradients`` on every activation, loss and
  truncation, so that each mistake, a change of one seam, is the only difference.
- Every mistake differs from the truth on its fixed case, and ``identify`` names it as
  itself: the confusion table is the identity.
- Each generic fingerprint is found on a gradient made wrong on purpose.

Fixed seeded cases with asymmetric random parameters (``verification.mistakes.table``), not
Hypothesis: the whole file runs in a few seconds.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest
from _helpers import assert_close

import rnn_ref
from rnn_ref import Spec
from verification.fingerprints import Finding, identify
from verification.mistakes import GALLERY, correct, mistake
from verification.mistakes.table import (
    NAMES,
    case_of,
    confusion,
    disagreeing,
    fixed_case,
    named,
    relative_close,
    truth_of,
)

TRUNCATIONS = [
    (None, "window"),
    (1, "window"),
    (2, "window"),
    (3, "chunk"),
    (1, "chunk"),
    (7, "window"),
    (9, "chunk"),
]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
@pytest.mark.parametrize("truncation", TRUNCATIONS, ids=lambda t: f"{t[1]}({t[0]})")
def test_the_correct_base_equals_rnn_ref(activation, loss, truncation) -> None:
    k, mode = truncation
    case = fixed_case(activation=activation, loss=loss, weights="mask", seed=5)
    spec = Spec(activation=activation, loss=loss, truncation=k, truncation_mode=mode)
    case = dataclasses.replace(case, spec=spec)
    ours, truth = case.run(correct), case.truth()
    config = f"{spec}"
    for name in (*NAMES, "loss"):
        assert_close(ours[name], truth_of(truth, name), name, config, rtol=1e-12)


def test_the_gallery_has_at_least_20_mistakes_with_stable_kebab_case_ids() -> None:
    ids = [m.id for m in GALLERY]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    for m in GALLERY:
        assert m.title and m.what and m.why and m.fix, m.id


def test_a_mistake_without_its_three_paragraphs_is_refused() -> None:
    def undocumented(params, xs, targets, spec, h0, weights):
        """Only a title."""

    with pytest.raises(ValueError, match="What is wrong:"):
        mistake("undocumented", undocumented)
    with pytest.raises(ValueError, match="id: expected kebab-case"):
        mistake("Not_Kebab", correct)
    with pytest.raises(ValueError, match="applies"):
        mistake("no-such-key", correct, optimiser=("adam",))


@pytest.mark.parametrize("m", GALLERY, ids=[m.id for m in GALLERY])
def test_each_mistake_differs_from_the_truth_and_is_named_as_itself(m) -> None:
    theirs, findings = named(m)
    assert theirs, f"{m.id} equals the truth on its fixed case"
    assert "loss" not in theirs, f"{m.id} changes the loss: a mistake of backward only"
    first = [f for f in findings if f.id != "forward"]
    assert first and first[0].id == m.id, f"{m.id}: identify says {findings}"
    assert set(first[0].gradients) == set(theirs), f"{m.id} explains {first[0].gradients}"


def test_the_confusion_table_is_the_identity(capsys) -> None:
    rows = confusion()
    with capsys.disabled():
        print("\nmistake -> named as")
        for made, seen in rows:
            print(f"  {made:35} {seen}{'' if made == seen else '   <-- WRONG'}")
    assert [made for made, _ in rows] == [m.id for m in GALLERY]
    assert all(made == seen for made, seen in rows)


# The generic fingerprints, on gradients made wrong on purpose.

CASE = fixed_case(mode="full", weights="any")
TRUTH = CASE.truth()


def _identify(theirs, case=CASE, truth=TRUTH, factor=1.0) -> list[Finding]:
    return identify(
        theirs,
        params=case.params,
        xs=case.xs,
        targets=case.targets,
        spec=case.spec,
        h0=case.h0,
        weights=case.weights,
        truth=truth,
        factor=factor,
        close=relative_close,
    )


def _only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_a_constant_factor_names_the_reduction() -> None:
    B = CASE.xs.shape[1]
    theirs = {n: truth_of(TRUTH, n) / B for n in ("W_xh", "b_y")}
    found = _only(_identify(theirs))
    assert (found.id, found.gradients) == ("factor", ("W_xh", "b_y"))
    assert "1/3 times the truth" in found.line and "--reduction batch-mean" in found.line
    # declared a batch mean (factor 1/B) but summed: B times what was expected
    theirs = {"W_hh": truth_of(TRUTH, "W_hh")}
    found = _only(_identify(theirs, factor=1.0 / B))
    assert found.id == "factor" and "--reduction sum" in found.line


def test_a_sign_flip_and_an_average_over_time_are_factors() -> None:
    found = _only(_identify({"xs": -TRUTH.xs}))
    assert found.id == "factor" and found.line.startswith("xs: -1 times") and "sign" in found.line
    found = _only(_identify({"h0": TRUTH.h0 / 7}))
    assert found.id == "factor" and "1/7 times" in found.line and "time steps" in found.line


def test_the_transpose() -> None:
    found = _only(_identify({"W_hh": TRUTH.params.W_hh.T}))
    assert (found.id, found.gradients) == ("transpose", ("W_hh",))
    found = _only(_identify({"W_xh": TRUTH.params.W_xh.T}))  # (D, H) for (H, D)
    assert found.id == "transpose"


def test_the_truth_clipped_and_its_bound() -> None:
    W_xh = TRUTH.params.W_xh
    c = 0.5 * float(np.max(np.abs(W_xh)))
    found = _only(_identify({"W_xh": np.clip(W_xh, -c, c)}))
    assert found.id == "clipped" and f"±{c:.6g}" in found.line


def test_one_smaller_entry_is_not_called_a_clip() -> None:
    """A clip is seen only where two entries or more stand cut at one bound: one entry made
    a little smaller (weight decay, say) could be the truth clipped at any value."""
    W_xh = TRUTH.params.W_xh.copy()
    i = np.unravel_index(np.argmax(np.abs(W_xh)), W_xh.shape)
    W_xh[i] *= 0.99
    assert all(f.id != "clipped" for f in _identify({"W_xh": W_xh}))


@pytest.mark.parametrize("j", [1, 2, 5])
def test_a_gradient_of_window_j_is_told_so_in_those_words(j) -> None:
    spec = Spec(truncation=j)
    other = rnn_ref.gradients(CASE.params, CASE.xs, CASE.targets, spec, h0=CASE.h0,
                              weights=CASE.weights)  # fmt: skip
    theirs = {"W_hh": other.params.W_hh, "xs": other.xs}
    found = _only(_identify(theirs))
    assert found.id == "truncation" and found.gradients == ("W_hh", "xs")
    assert f"equals the exact gradient of window({j})" in found.line


def test_window_k_plus_one_names_the_bptt_truncate_pitfall() -> None:
    case = fixed_case(mode="window")  # window(2)
    truth = case.truth()
    spec = Spec(truncation=3)
    other = rnn_ref.gradients(case.params, case.xs, case.targets, spec, h0=case.h0,
                              weights=case.weights)  # fmt: skip
    found = _only(_identify({"W_xh": other.params.W_xh}, case=case, truth=truth))
    assert found.id == "truncation"
    assert "equals the exact gradient of window(3)" in found.line
    assert "`bptt_truncate = 2`" in found.line


def test_chunk_j_and_the_last_j_steps() -> None:
    spec = Spec(truncation=3, truncation_mode="chunk")
    other = rnn_ref.gradients(CASE.params, CASE.xs, CASE.targets, spec, h0=CASE.h0,
                              weights=CASE.weights)  # fmt: skip
    found = _only(_identify({"b_h": other.params.b_h}))
    assert found.id == "truncation" and "chunk(3)" in found.line
    weights = CASE.weights.copy()
    weights[:5] = 0.0
    other = rnn_ref.gradients(CASE.params, CASE.xs, CASE.targets, CASE.spec, h0=CASE.h0,
                              weights=weights)  # fmt: skip
    found = _only(_identify({"W_hy": other.params.W_hy}))
    assert found.id == "truncation" and "the last 2 steps only" in found.line


def test_an_extra_batch_axis_whose_sum_is_right() -> None:
    b_h = TRUTH.params.b_h
    per_sequence = np.stack([b_h * 0.2, b_h * 0.3, b_h * 0.5])  # (B, H), sums to b_h
    found = _only(_identify({"b_h": per_sequence}))
    assert (found.id, found.gradients) == ("extra-batch-axis", ("b_h",))


def test_a_different_loss_is_said_first() -> None:
    theirs = {"loss": TRUTH.loss * 1.5, "W_xh": 2.0 * TRUTH.params.W_xh}
    findings = _identify(theirs)
    assert [f.id for f in findings] == ["forward", "factor"]
    assert findings[0].gradients == ("loss",) and "forward pass differs" in findings[0].line


def test_an_unexplained_gradient_is_in_no_finding() -> None:
    noise = np.random.default_rng(0).normal(size=TRUTH.params.W_hh.shape)
    assert _identify({"W_hh": TRUTH.params.W_hh + noise}) == []


def test_identify_mutates_nothing() -> None:
    theirs = {"W_hh": TRUTH.params.W_hh.T.copy()}
    before = [a.copy() for a in (CASE.xs, CASE.h0, CASE.weights, theirs["W_hh"])]
    _identify(theirs)
    after = (CASE.xs, CASE.h0, CASE.weights, theirs["W_hh"])
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_the_gallery_is_named_also_under_a_batch_mean_reduction() -> None:
    m = next(m for m in GALLERY if m.id == "no-carried-term")
    case = case_of(m)
    truth = case.truth()
    B = case.xs.shape[1]
    theirs = disagreeing({n: v / B for n, v in case.run(m.function).items() if n != "loss"},
                         truth)  # fmt: skip
    findings = _identify(theirs, case=case, truth=truth, factor=1.0 / B)
    assert findings[0].id == "no-carried-term"


@pytest.mark.printed
def test_the_page_is_up_to_date() -> None:
    """docs/mistakes.md is what docgen/mistakes_page.py writes from the gallery."""
    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("mistakes_page", root / "docgen/mistakes_page.py")
    page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(page)
    written = (root / "docs/mistakes.md").read_text(encoding="utf-8")
    assert written == page.render(), "docs/mistakes.md is stale: run python docgen/mistakes_page.py"


def test_window_t_minus_one_done_as_full_is_the_same_pitfall() -> None:
    case = dataclasses.replace(CASE, spec=Spec(truncation=6))  # T = 7: window(7) is full
    truth = case.truth()
    found = _only(_identify({"W_hh": TRUTH.params.W_hh}, case=case, truth=truth))
    assert found.id == "truncation" and "exact gradient of full BPTT" in found.line
    assert "`bptt_truncate = 6` computes window(7)" in found.line


SCOPES = [
    (activation, loss, mode)
    for activation in ("tanh", "sigmoid", "relu")
    for loss in ("mse", "softmax_ce")
    for mode in ("full", "window", "chunk")
]


@pytest.mark.parametrize("m", GALLERY, ids=[m.id for m in GALLERY])
def test_each_mistake_runs_on_every_spec_of_its_scope(m) -> None:
    """The mistake is the only difference: every spec in scope runs and returns finite
    gradients, of the truth's shapes except where the mistake is a shape."""
    shaped = {"input-gradient-through-w-hh": {"xs"}, "bias-not-summed-over-batch": {"b_h", "b_y"}}
    ran = 0
    for activation, loss, mode in SCOPES:
        spec = {"activation": activation, "loss": loss, "truncation": None,
                "truncation_mode": "window"}  # fmt: skip
        if not all(
            value in m.applies.get(key, (value,))
            for key, value in (("activation", activation), ("loss", loss), ("mode", mode))
        ):
            continue
        chosen = {key: values[0] for key, values in m.applies.items()}
        case = fixed_case(activation=activation, loss=loss, mode=mode,
                          weights=chosen.get("weights", "any"), seed=11)  # fmt: skip
        out, truth = case.run(m.function), case.truth()
        assert out["loss"] == pytest.approx(truth.loss, rel=1e-12), (m.id, spec)
        for name in NAMES:
            if name in out:
                assert np.all(np.isfinite(out[name])), (m.id, name, case.spec)
                if name not in shaped.get(m.id, ()):
                    assert np.shape(out[name]) == np.shape(truth_of(truth, name)), (m.id, name)
        ran += 1
    assert ran >= 1


@pytest.mark.parametrize(
    "sizes", [(1, 1, 1, 1, 1), (1, 3, 2, 2, 2), (4, 1, 2, 3, 1)], ids=["all-1", "T1", "B1"]
)
@pytest.mark.parametrize("mode", ["full", "window", "chunk"])
def test_identify_copes_with_the_smallest_cases(sizes, mode) -> None:
    """T = 1, B = 1, O = 1: nothing raises, a scaled gradient is still a factor."""
    T, B, D, H, O = sizes
    rng = np.random.default_rng(3)
    params = rnn_ref.Params(
        rng.uniform(-1, 1, (H, D)), rng.uniform(-1, 1, (H, H)), rng.uniform(-1, 1, H),
        rng.uniform(-1, 1, (O, H)), rng.uniform(-1, 1, O),
    )  # fmt: skip
    k = {"full": None, "window": 1, "chunk": 2}[mode]
    spec = Spec(activation="relu", loss="softmax_ce", truncation=k,
                truncation_mode="chunk" if mode == "chunk" else "window")  # fmt: skip
    case = dataclasses.replace(
        CASE, params=params, xs=rng.normal(size=(T, B, D)), targets=np.zeros((T, B), int),
        spec=spec, h0=np.zeros((B, H)), weights=np.ones((T, B)),
    )  # fmt: skip
    truth = case.truth()
    theirs = {"W_hy": -truth.params.W_hy}
    findings = _identify(theirs, case=case, truth=truth)
    assert findings and findings[0].gradients == ("W_hy",)


def test_two_mistakes_with_the_same_numbers_are_both_named() -> None:
    """Many-to-one with window(2): dropping the carried term and detaching every 2 steps
    leave only the last transition; the line names the other mistake too."""
    m = next(m for m in GALLERY if m.id == "no-carried-term")
    _, findings = named(m, fixed_case(mode="window", weights="last"))
    first = findings[0]
    assert {first.id, *re.findall(r"same numbers here: ([\w-]+)", first.line)} == {
        "no-carried-term",
        "window-done-as-chunk",
    }
