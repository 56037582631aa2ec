"""The JAX twin and the three oracles against rnn_ref, on a deterministic grid.

- reverse mode: ``verification.twin.gradients`` equals ``rnn_ref.gradients`` field by field
  (L and the seven gradient arrays) for every activation x loss x truncation, with a nonzero
  h0, non-uniform weights and zero-weight padding (NaN / -1 targets there), and on T = 1.
- forward mode: ``jax.jvp`` of the twin's surrogate along random unit directions v equals
  <g, v> for rnn_ref's g.
- finite differences of the NumPy (surrogate) loss along the same directions equal <g, v>
  within the bound that the oracle derives per case.

And the machinery: the padding of the twin changes nothing, the oracles reject a slightly
wrong gradient, the comparison messages name what failed, and the twin imports no math
from rnn_ref.

Tolerances. Twin and reference are two float64 evaluations of the same sums in different
orders; on these well-scaled cases (tanh and sigmoid far from saturation) they agree to
~1e-15 relative, so ``RTOL = 1e-10`` leaves five orders of margin and still catches any
wrong term (a missing path changes a gradient at the 1e-3..1 level). The forward-mode
comparison uses the same RTOL on the scale ||g||, since |<dg, v>| <= ||dg|| for a unit v.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from _helpers import uniform_params

import rnn_ref
from rnn_ref import Gradients, Spec
from verification import compare, oracles, twin
from verification.surrogate import forward_states

RTOL = 1e-10
ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
N_DIRECTIONS = 4

# name: (T, B, D, H, O, padded weights, nonzero h0)
CASES = {"padded": (6, 3, 2, 4, 3, True, True), "T1": (1, 2, 3, 2, 2, False, False)}


def truncations(T: int) -> list[tuple[int | None, str]]:
    """full; window(k) for k in {1, 2, T-1, T, T+3}; chunk(k) for k in {1, 3, T, T+2}."""
    window = sorted({k for k in (1, 2, T - 1, T, T + 3) if k >= 1})
    chunk = sorted({k for k in (1, 3, T, T + 2) if k >= 1})
    return [(None, "window"), *((k, "window") for k in window), *((k, "chunk") for k in chunk)]


def make_case(name: str, activation: str, loss: str):
    """(params, xs, targets, h0, weights); for relu, the first seed whose pre-activations
    all stay 1e-3 away from the kink, so that finite differences are valid."""
    T, B, D, H, O, padded, nonzero_h0 = CASES[name]
    for attempt in range(100):
        rng = np.random.default_rng([ACTIVATIONS.index(activation), LOSSES.index(loss), attempt])
        params = uniform_params(rng, D, H, O)
        xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
        h0 = rng.uniform(-0.8, 0.8, size=(B, H)) if nonzero_h0 else None
        weights = rng.uniform(0.5, 2.0, size=(T, B))
        if padded:  # a shorter second sequence, and one more hole
            weights[4:, 1] = 0.0
            weights[0, 2] = 0.0
        if loss == "mse":
            targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
            targets[weights == 0] = np.nan  # padding: never read
        else:
            targets = rng.integers(0, O, size=(T, B))
            targets[weights == 0] = -1
        if activation != "relu":
            return params, xs, targets, h0, weights
        _, pre = forward_states(params, xs, np.zeros((B, H)) if h0 is None else h0, "relu")
        if np.min(np.abs(pre)) > 1e-3 and (pre < 0).any():
            return params, xs, targets, h0, weights
    raise AssertionError(f"no relu case {name} with a margin of 1e-3 from the kink")


def spec_id(k: int | None, mode: str) -> str:
    return "full" if k is None else f"{mode}{k}"


GRID = [
    pytest.param(
        name, activation, loss, k, mode, id=f"{name}-{activation}-{loss}-{spec_id(k, mode)}"
    )
    for name in CASES
    for activation in ACTIVATIONS
    for loss in LOSSES
    for k, mode in truncations(CASES[name][0])
]

ORACLE_GRID = [
    pytest.param(activation, loss, k, mode, id=f"{activation}-{loss}-{spec_id(k, mode)}")
    for activation in ACTIVATIONS
    for loss in LOSSES
    for k, mode in [(None, "window"), (2, "window"), (3, "chunk")]
]


@pytest.mark.parametrize(("name", "activation", "loss", "k", "mode"), GRID)
def test_twin_equals_reference(name, activation, loss, k, mode):
    params, xs, targets, h0, weights = make_case(name, activation, loss)
    spec = Spec(activation, loss, k, mode)
    config = compare.describe(spec, params, xs, case=name)

    ours = twin.gradients(params, xs, targets, spec, h0=h0, weights=weights)
    theirs = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)

    assert isinstance(ours, Gradients) and isinstance(ours.loss, float)
    for field, array in compare.gradient_fields(ours).items():
        assert isinstance(array, np.ndarray) and array.dtype == np.float64, field
        assert np.isfinite(array).all(), f"{field}: padding leaked a NaN ({config})"
    compare.assert_gradients_close(ours, theirs, rtol=RTOL, config=config)
    assert ours.loss == twin.loss(params, xs, targets, spec, h0=h0, weights=weights)


@pytest.mark.parametrize(
    ("activation", "loss", "k", "mode"),
    [
        ("sigmoid", "softmax_ce", 2, "window"),
        ("relu", "mse", 3, "chunk"),
        ("tanh", "mse", None, "window"),
    ],
)
def test_padding_to_a_bucket_changes_nothing(activation, loss, k, mode):
    """The bucketed programs against programs compiled for the exact shape (module
    docstring of twin: the padded hidden units of sigmoid are 0.5, the padded logits of
    softmax_ce are -1e300)."""
    params, xs, targets, h0, weights = make_case("padded", activation, loss)
    spec = Spec(activation, loss, k, mode)
    padded = twin.prepare(params, xs, targets, spec, h0, weights)
    exact = twin.prepare(params, xs, targets, spec, h0, weights, pad=False)
    assert padded.xs.shape != exact.xs.shape
    config = compare.describe(spec, params, xs, padding="bucket vs exact")
    compare.assert_gradients_close(
        twin.gradients_of(padded), twin.gradients_of(exact), rtol=1e-13, config=config
    )


def test_the_twin_truncates():
    """full, window(2) and chunk(2) give different dL/dW_hh: stop_gradient is in place."""
    params, xs, targets, h0, weights = make_case("padded", "tanh", "mse")
    dW_hh = [
        twin.gradients(
            params, xs, targets, Spec(truncation=k, truncation_mode=mode), h0=h0, weights=weights
        ).params.W_hh
        for k, mode in [(None, "window"), (2, "window"), (2, "chunk")]
    ]
    for i in range(3):
        for j in range(i):
            assert compare.relative_error(dW_hh[i], dW_hh[j]) > 1e-3


def _oracle_inputs(activation, loss, k, mode):
    params, xs, targets, h0, weights = make_case("padded", activation, loss)
    spec = Spec(activation, loss, k, mode)
    grads = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)
    rng = np.random.default_rng(7)
    directions = oracles.random_directions(oracles.point_shapes(params, xs, h0), N_DIRECTIONS, rng)
    expected = np.array([oracles.directional(grads, v) for v in directions])
    config = compare.describe(spec, params, xs)
    return (
        (params, xs, targets, spec),
        {"h0": h0, "weights": weights},
        grads,
        directions,
        expected,
        config,
    )


@pytest.mark.parametrize(("activation", "loss", "k", "mode"), ORACLE_GRID)
def test_forward_mode_equals_reference(activation, loss, k, mode):
    args, kwargs, grads, directions, expected, config = _oracle_inputs(activation, loss, k, mode)
    jvp = oracles.forward_mode(*args, directions, **kwargs)
    compare.assert_close(
        "<g, v> by jax.jvp",
        jvp,
        expected,
        rtol=RTOL,
        scale=oracles.gradient_norm(grads),
        config=config,
    )


@pytest.mark.parametrize(("activation", "loss", "k", "mode"), ORACLE_GRID)
def test_finite_differences_equal_reference(activation, loss, k, mode):
    args, kwargs, grads, directions, expected, config = _oracle_inputs(activation, loss, k, mode)
    fd = oracles.finite_differences(*args, directions, **kwargs)
    assert fd.smooth.all(), f"a relu pre-activation is within reach of the kink ({config})"
    compare.assert_within(
        "<g, v> by finite differences", fd.values, expected, fd.bounds, config=config
    )
    # The bound has teeth: far below what a wrong term in a gradient changes.
    assert np.max(fd.bounds) < 1e-8 * oracles.gradient_norm(grads), (fd.bounds, config)


def test_oracles_reject_a_slightly_wrong_gradient():
    """An error of 1e-6 ||g|| in one entry of dL/dW_hh: both oracles see it."""
    args, kwargs, grads, directions, _, config = _oracle_inputs("tanh", "softmax_ce", 2, "window")
    wrong_W_hh = grads.params.W_hh.copy()
    wrong_W_hh[1, 2] += 1e-6 * oracles.gradient_norm(grads)
    wrong = dataclasses.replace(grads, params=dataclasses.replace(grads.params, W_hh=wrong_W_hh))
    predicted = np.array([oracles.directional(wrong, v) for v in directions])

    fd = oracles.finite_differences(*args, directions, **kwargs)
    with pytest.raises(AssertionError, match="exceeds its bound"):
        compare.assert_within(
            "<g, v> by finite differences", fd.values, predicted, fd.bounds, config=config
        )
    jvp = oracles.forward_mode(*args, directions, **kwargs)
    with pytest.raises(AssertionError, match="relative error"):
        compare.assert_close(
            "<g, v> by jax.jvp",
            jvp,
            predicted,
            rtol=RTOL,
            scale=oracles.gradient_norm(grads),
            config=config,
        )


def test_the_comparison_message_names_what_failed():
    params, xs, targets, h0, weights = make_case("padded", "tanh", "mse")
    spec = Spec(truncation=2)
    theirs = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)
    W_hh = theirs.params.W_hh.copy()
    W_hh[1, 2] += 0.5
    ours = dataclasses.replace(theirs, params=dataclasses.replace(theirs.params, W_hh=W_hh))
    config = compare.describe(spec, params, xs, case="padded")

    with pytest.raises(AssertionError) as failure:
        compare.assert_gradients_close(ours, theirs, rtol=RTOL, config=config)
    message = str(failure.value)
    assert message.startswith("dL/dW_hh: relative error")
    assert "index (1, 2)" in message
    assert repr(float(W_hh[1, 2])) in message and repr(float(theirs.params.W_hh[1, 2])) in message
    assert config in message and "T=6 B=3 D=2 H=4 O=3" in message and "truncation=2" in message
    assert "dL/dW_xh" not in message and "dL/dxs" not in message  # only what differs

    nan = theirs.xs.copy()
    nan[2, 1, 0] = np.nan
    with pytest.raises(
        AssertionError, match=r"(?s)relative error inf .* index \(2, 1, 0\): ours = nan"
    ):
        compare.assert_close("dL/dxs", nan, theirs.xs, rtol=RTOL, config=config)


def test_elementwise_bounds_name_the_worst_element_in_any_shape():
    theirs = np.arange(12.0).reshape(3, 4)
    bounds = np.full((3, 4), 0.1)
    ours = theirs + 0.05  # within every bound: half of it
    assert compare.assert_within("x", ours, theirs, bounds, config="c") == pytest.approx(0.5)
    ours[2, 1] += 1.0  # 10.5 times its bound, the worst
    ours[0, 3] += 0.5
    with pytest.raises(AssertionError, match=r"\(10\.5 times\) at index \(2, 1\)") as failure:
        compare.assert_within("x", ours, theirs, bounds, config="c")
    assert f"ours = {float(ours[2, 1])!r}, theirs = 9.0" in str(failure.value)
    with pytest.raises(AssertionError, match=r"(?s)\(inf times\) at index 3\n.*ours = nan"):
        compare.assert_within("v", [0.0, 1.0, 2.0, np.nan], [0.0, 1.0, 2.0, 3.0], 0.1, config="c")


def test_random_directions_are_unit_and_reproducible():
    params, xs, _, h0, _ = make_case("padded", "tanh", "mse")
    shapes = oracles.point_shapes(params, xs, h0)
    first = oracles.random_directions(shapes, 3, np.random.default_rng(1))
    again = oracles.random_directions(shapes, 3, np.random.default_rng(1))
    for v, w in zip(first, again, strict=True):
        assert [a.shape for a in v] == shapes
        assert sum(float(np.sum(a * a)) for a in v) == pytest.approx(1.0, rel=1e-14)
        assert all(np.array_equal(a, b) for a, b in zip(v, w, strict=True))


def test_the_twin_imports_no_math_from_rnn_ref():
    """docs/contract.md §4: the twin shares only the containers with rnn_ref."""
    modules = []
    for path in sorted(Path(twin.__file__).parent.glob("*.py")):  # the twin's every module
        tree = ast.parse(path.read_text())
        modules += [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        modules += [
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        ]
    from_rnn_ref = [m for m in modules if m.split(".")[0] == "rnn_ref"]
    assert from_rnn_ref == ["rnn_ref.containers"], from_rnn_ref
