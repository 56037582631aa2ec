"""Metamorphic properties of rnn_ref: relations between calls that need no oracle.

rnn_ref alone, no JAX, so these run many examples. Each property is a consequence of the
contract (docs/contract.md §2, §3):

- the loss and every gradient are linear in the loss weights;
- permuting the batch permutes dL/dxs and dL/dh0 and leaves the rest unchanged;
- a batch is the sum of its single sequences;
- window(k >= T) == chunk(k >= T) == full;
- chunk(k) is the sum of the chunks run independently, each from the state entering it;
- truncation leaves the forward values and the loss unchanged;
- zero weights give zero gradients (and sequences weighted 0 contribute nothing).

Tolerance: both sides are rnn_ref, evaluated in different orders (a reordered sum over the
batch, products of other shapes); they differ by at most ~2 gamma_N of the magnitude of
what is summed (``strategies.magnitudes``), ~1e-13 for these sizes. RTOL = 1e-10, the
bound of docs/verification.md, "Tolerance of twin equality", which covers it with a
margin. Where the relation is exact in floating point (scaling the weights by a power of
two, sequences weighted 0), it is checked exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import rnn_ref
from rnn_ref import Gradients, Params, Spec
from verification import compare
from verification.strategies import (
    MODES,
    Case,
    assert_twin_close,
    cases,
    loss_weights,
    scaled_examples,
    scales,
)

# docs/verification.md, "Tolerance of twin equality" (see the module docstring).
RTOL = 1e-10
EXAMPLES = scaled_examples(1)


def gradients(case: Case, **changes: object) -> Gradients:
    """rnn_ref.gradients of ``case`` with some of its fields replaced."""
    case = case.replace(**changes) if changes else case
    return rnn_ref.gradients(*case.args(), **case.kwargs())


def assert_same(ours: Gradients, theirs: Gradients, case: Case, what: str) -> None:
    """The two agree to RTOL of ``case``'s magnitudes (its weights are the larger ones)."""
    assert_twin_close(
        ours, theirs, scales=scales(case), rtol=RTOL, config=case.config(relation=what)
    )


def combine(parts: list[Gradients], xs: np.ndarray, h0: np.ndarray) -> Gradients:
    """The sum of the losses and parameter gradients of ``parts``, with the given dL/dxs
    and dL/dh0."""
    fields = zip(*(p.params.arrays() for p in parts), strict=True)
    params = Params(*(sum(arrays) for arrays in fields))
    return Gradients(loss=sum(p.loss for p in parts), params=params, xs=xs, h0=h0)


def scaled(g: Gradients, c: float) -> Gradients:
    return Gradients(c * g.loss, Params(*(c * a for a in g.params.arrays())), c * g.xs, c * g.h0)


@settings(max_examples=EXAMPLES)
@given(case=cases(), data=st.data())
def test_linear_in_the_weights(case: Case, data, tally) -> None:
    """G(w1 + w2) = G(w1) + G(w2), and G(2^j w) = 2^j G(w) exactly (scaling by a power of
    two is exact in floating point, and everything after dL/dy is linear in it)."""
    T, B, *_ = case.sizes
    _, w2 = data.draw(loss_weights(T, B, ("random", "zero_columns", "last")), label="w2")
    c = 2.0 ** data.draw(st.integers(-8, 8), label="log2 c")
    tally.record("test_linear_in_the_weights", case)
    w1 = case.weights_or_ones()
    if case.spec.loss == "mse":  # padding of w1 may be read under w1 + w2: no garbage
        targets = np.nan_to_num(case.targets)
    else:
        targets = np.where(case.targets < 0, 0, case.targets)
    case = case.replace(targets=targets)
    both = case.replace(weights=w1 + w2)
    parts = [gradients(case), gradients(case, weights=w2)]
    expected = combine(parts, xs=parts[0].xs + parts[1].xs, h0=parts[0].h0 + parts[1].h0)
    assert_same(gradients(both), expected, both, "w1 + w2")

    exact = assert_twin_close(
        gradients(case, weights=c * w1),
        scaled(gradients(case), c),
        scales=scales(case),
        rtol=0.0,
        config=case.config(relation=f"{c} w"),
    )
    assert max(exact.values()) == 0.0


@settings(max_examples=EXAMPLES)
@given(case=cases(min_B=2), data=st.data())
def test_batch_permutation(case: Case, data, tally) -> None:
    """Permuting the sequences permutes dL/dxs and dL/dh0; L and the parameter
    gradients are unchanged (up to the order of the sum over the batch)."""
    B = case.sizes[1]
    perm = np.array(data.draw(st.permutations(range(B)), label="permutation"))
    tally.record("test_batch_permutation", case)
    permuted = case.replace(
        xs=case.xs[:, perm],
        targets=case.targets[:, perm],
        h0=None if case.h0 is None else case.h0[perm],
        weights=None if case.weights is None else case.weights[:, perm],
    )
    g = gradients(case)
    expected = dataclasses.replace(g, xs=g.xs[:, perm], h0=g.h0[perm])
    assert_same(gradients(permuted), expected, permuted, f"permutation {perm.tolist()}")


@settings(max_examples=EXAMPLES)
@given(case=cases(min_B=2))
def test_batch_is_the_sum_of_its_sequences(case: Case, tally) -> None:
    """L and the parameter gradients of a batch are the sums over its sequences; each
    sequence's dL/dxs and dL/dh0 are its own."""
    tally.record("test_batch_is_the_sum_of_its_sequences", case)
    B = case.sizes[1]
    h0, w = case.h0_or_zeros(), case.weights_or_ones()
    singles = [
        gradients(
            case,
            xs=case.xs[:, b : b + 1],
            targets=case.targets[:, b : b + 1],
            h0=h0[b : b + 1],
            weights=w[:, b : b + 1],
        )
        for b in range(B)
    ]
    total = combine(
        singles,
        xs=np.concatenate([s.xs for s in singles], axis=1),
        h0=np.concatenate([s.h0 for s in singles], axis=0),
    )
    assert_same(gradients(case), total, case, "sum of single sequences")


@settings(max_examples=EXAMPLES)
@given(case=cases(modes=("full",)), data=st.data())
def test_long_truncation_is_full(case: Case, data, tally) -> None:
    """window(k) == chunk(k) == full for every k >= T (docs/contract.md §3)."""
    T = case.sizes[0]
    k = data.draw(st.integers(T, 3 * T + 2), label="k")
    full = gradients(case)
    truncated = [
        case.replace(spec=dataclasses.replace(case.spec, truncation=k, truncation_mode=mode))
        for mode in ("window", "chunk")
    ]
    tally.record("test_long_truncation_is_full", *truncated)
    for other in truncated:
        assert_same(gradients(other), full, other, "k >= T vs full")


@settings(max_examples=EXAMPLES)
@given(case=cases(modes=("chunk",)))
def test_chunk_is_the_sum_of_independent_chunks(case: Case, tally) -> None:
    """chunk(k) = full BPTT on each chunk t = jk+1..(j+1)k separately, started from the
    state h_jk of the whole forward run: the parameter gradients and L add up, dL/dxs is
    the chunks' side by side, dL/dh0 is the first chunk's."""
    tally.record("test_chunk_is_the_sum_of_independent_chunks", case)
    T, *_ = case.sizes
    k = case.spec.truncation
    hs = rnn_ref.forward(case.params, case.xs, case.h0, activation=case.spec.activation).hs
    w = case.weights_or_ones()
    full = dataclasses.replace(case.spec, truncation=None)
    pieces = [
        gradients(
            case,
            xs=case.xs[s : s + k],
            targets=case.targets[s : s + k],
            spec=full,
            h0=hs[s],
            weights=w[s : s + k],
        )
        for s in range(0, T, k)
    ]
    total = combine(pieces, xs=np.concatenate([p.xs for p in pieces], axis=0), h0=pieces[0].h0)
    assert_same(gradients(case), total, case, f"{len(pieces)} chunks of {k}")


@settings(max_examples=EXAMPLES)
@given(case=cases(), k=st.integers(1, 20), mode=st.sampled_from(MODES))
def test_truncation_keeps_forward_values_and_loss(case: Case, k: int, mode: str, tally) -> None:
    """The loss of every mode is rnn_ref.loss (the same number, docs/contract.md §5), and the
    read-out gradients dL/dW_hy, dL/db_y, which depend on the forward values only, are
    those of full BPTT."""
    tally.record("test_truncation_keeps_forward_values_and_loss", case)
    loss = rnn_ref.loss(*case.args(), **case.kwargs())
    full = gradients(case, spec=dataclasses.replace(case.spec, truncation=None))
    activation, loss_name = case.spec.activation, case.spec.loss
    other = Spec(activation, loss_name) if mode == "full" else Spec(activation, loss_name, k, mode)
    for g in (gradients(case), gradients(case, spec=other)):
        assert g.loss == loss == full.loss, (g.loss, loss, full.loss, case.config())
        scale = scales(case)
        for name, ours, theirs in [
            ("dL/dW_hy", g.params.W_hy, full.params.W_hy),
            ("dL/db_y", g.params.b_y, full.params.b_y),
        ]:
            compare.assert_close(
                name, ours, theirs, rtol=RTOL, scale=scale[name], config=case.config()
            )


@settings(max_examples=EXAMPLES)
@given(case=cases(), data=st.data())
def test_zero_weights_give_zero_gradients(case: Case, data, tally) -> None:
    """All weights 0: L = 0 and every gradient is exactly 0, whatever the targets (NaN
    and -1 included). Some sequences weighted 0: their dL/dxs and dL/dh0 are exactly 0,
    and the rest is the gradient of the batch without them."""
    T, B, *_ = case.sizes
    dropped = np.array(data.draw(st.lists(st.booleans(), min_size=B, max_size=B), label="drop"))
    tally.record("test_zero_weights_give_zero_gradients", case)
    garbage = np.full_like(case.targets, np.nan if case.spec.loss == "mse" else -1)
    zero = gradients(case, weights=np.zeros((T, B)), targets=garbage)
    assert zero.loss == 0.0, case.config()
    for name, array in compare.gradient_fields(zero).items():
        assert not np.any(array), f"{name} is not exactly 0 under zero weights ({case.config()})"

    w = case.weights_or_ones() * ~dropped
    g = gradients(case, weights=w)
    assert not np.any(g.xs[:, dropped]) and not np.any(g.h0[dropped]), case.config()
    if dropped.all():
        return
    kept = ~dropped
    h0 = case.h0_or_zeros()
    without = gradients(
        case, xs=case.xs[:, kept], targets=case.targets[:, kept], h0=h0[kept], weights=w[:, kept]
    )
    expected = dataclasses.replace(g, xs=g.xs[:, kept], h0=g.h0[kept])
    assert_same(expected, without, case.replace(weights=w), "sequences weighted 0 dropped")
