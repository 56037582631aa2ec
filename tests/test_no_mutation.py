"""No argument is ever mutated, and no result shares memory with an argument (docs/contract.md §4).

Each test keeps deep copies of every argument, calls, and checks that every argument --
each ``Params`` field, xs, targets, h0, weights, dh_t and the contents of a ``StepCache``
-- is bitwise unchanged afterwards. float64 arrays matter most: NumPy does not copy them
on conversion, so a write anywhere inside would land in the caller's array. The inputs
hold -0.0 (so that a rewrite to +0.0 is caught) and, in mse targets, NaN padding.

Results must not alias arguments either: a user who edits an input in place after the
call (a training loop updating ``W -= lr * g``, a reused input buffer) must not change a
result, nor a cache that ``step_backward`` will read later.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

import rnn_ref
from rnn_ref import Params, Spec, StepCache

T, B, D, H, O = 5, 3, 2, 4, 3


def assert_unchanged(before: object, after: object, name: str) -> None:
    """``after`` is bitwise ``before``: same type, dtype, shape, bytes (NaN equal to NaN)."""
    if isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray), f"{name}: became {type(after).__name__}"
        assert (after.dtype, after.shape) == (before.dtype, before.shape), f"{name}: reshaped"
        assert np.array_equal(after, before, equal_nan=True), f"{name}: values changed"
        assert after.tobytes() == before.tobytes(), f"{name}: bits changed (-0.0 or NaN)"
    elif dataclasses.is_dataclass(before):
        assert type(after) is type(before), f"{name}: became {type(after).__name__}"
        for field in dataclasses.fields(before):
            assert_unchanged(
                getattr(before, field.name), getattr(after, field.name), f"{name}.{field.name}"
            )
    elif isinstance(before, tuple | list):
        assert type(after) is type(before) and len(after) == len(before), f"{name}: changed"
        for k, (old, new) in enumerate(zip(before, after, strict=True)):
            assert_unchanged(old, new, f"{name}[{k}]")
    else:
        assert type(after) is type(before) and after == before, f"{name}: changed"


def call_and_check(function, *args, **kwargs):
    """Call ``function`` and assert that no argument changed; return its result."""
    before = copy.deepcopy((args, kwargs))
    result = function(*args, **kwargs)
    for i, (old, new) in enumerate(zip(before[0], args, strict=True)):
        assert_unchanged(old, new, f"{function.__name__} argument {i}")
    for key in kwargs:
        assert_unchanged(before[1][key], kwargs[key], f"{function.__name__} {key}")
    return result


# --- the inputs: float64 (not copied on conversion), strided float64 views, float32, int ---


def _with_negative_zero(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flat[0] = -0.0
    return a


def make_inputs(kind: str, loss: str = "mse") -> dict:
    """params, xs, h0, targets (with padding) and weights as the caller would pass them."""
    rng = np.random.default_rng(7)
    raw = {
        "W_xh": rng.normal(size=(H, D)) * 0.6,
        "W_hh": rng.normal(size=(H, H)) * 0.4,
        "b_h": rng.normal(size=H) * 0.1,
        "W_hy": rng.normal(size=(O, H)) * 0.6,
        "b_y": rng.normal(size=O) * 0.1,
        "xs": rng.normal(size=(T, B, D)),
        "h0": rng.normal(size=(B, H)) * 0.3,
        "targets": rng.normal(size=(T, B, O)),
    }
    lengths = np.array([T, 3, 1])
    weights = (np.arange(T)[:, None] < lengths).astype(float) * rng.uniform(0.5, 2.0, (T, B))
    live = weights > 0
    raw["weights"] = weights
    if kind == "float64":
        arrays = {key: _with_negative_zero(value) for key, value in raw.items()}
    elif kind == "float64-strided":
        # Views into larger arrays: a write through them would show in the parent too.
        arrays = {key: np.repeat(value, 2, axis=-1)[..., ::2] for key, value in raw.items()}
        assert all(not a.flags.c_contiguous for a in arrays.values() if a.ndim > 1)
    elif kind == "float32":
        arrays = {key: value.astype(np.float32) for key, value in raw.items()}
    else:  # "int"
        arrays = {key: np.round(value * 3).astype(np.int64) for key, value in raw.items()}
        arrays["weights"] = live.astype(np.int64)
    if loss == "mse":
        targets = arrays["targets"]
        if targets.dtype.kind == "f":
            targets = np.where(live[..., None], targets, np.nan).astype(targets.dtype)
    else:
        targets = np.where(live, rng.integers(0, O, size=(T, B)), -1)
    params = Params(**{name: arrays[name] for name in Params.FIELDS})
    return {"params": params, "xs": arrays["xs"], "h0": arrays["h0"], "targets": targets,
            "weights": arrays["weights"]}  # fmt: skip


KINDS = ["float64", "float64-strided", "float32", "int"]
SPECS = [
    pytest.param(Spec(), id="full-mse-tanh"),
    pytest.param(Spec("sigmoid", "softmax_ce"), id="full-ce-sigmoid"),
    pytest.param(Spec("relu", "mse", 1, "window"), id="window1-mse-relu"),
    pytest.param(Spec("tanh", "softmax_ce", 2, "window"), id="window2-ce-tanh"),
    pytest.param(Spec("sigmoid", "mse", 2, "chunk"), id="chunk2-mse-sigmoid"),
    pytest.param(Spec("relu", "softmax_ce", 1, "chunk"), id="chunk1-ce-relu"),
    pytest.param(Spec("tanh", "mse", T + 3, "window"), id="window-k>T-mse-tanh"),
    pytest.param(Spec("tanh", "softmax_ce", T, "chunk"), id="chunk-k=T-ce-tanh"),
]


def _arrays_of(value: object) -> list[tuple[str, np.ndarray]]:
    if isinstance(value, np.ndarray):
        return [("", value)]
    if dataclasses.is_dataclass(value):
        return [
            (f".{field.name}{suffix}", array)
            for field in dataclasses.fields(value)
            for suffix, array in _arrays_of(getattr(value, field.name))
        ]
    if isinstance(value, dict | tuple | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return [(f"[{k}]{suffix}", a) for k, v in items for suffix, a in _arrays_of(v)]
    return []


def assert_no_alias(results: object, inputs: object) -> None:
    """No array in ``results`` shares memory with any array in ``inputs``."""
    for out_name, out in _arrays_of(results):
        for in_name, arg in _arrays_of(inputs):
            assert not np.shares_memory(out, arg), f"result{out_name} aliases input{in_name}"


# --- forward, loss, gradients ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_forward_mutates_nothing_and_aliases_nothing(kind, activation):
    i = make_inputs(kind)
    trajectory = call_and_check(
        rnn_ref.forward, i["params"], i["xs"], i["h0"], activation=activation
    )
    assert trajectory.hs.dtype == trajectory.ys.dtype == np.float64
    assert np.isfinite(trajectory.hs).all() and np.isfinite(trajectory.ys).all()
    assert_no_alias(trajectory, i)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spec", SPECS)
def test_loss_mutates_nothing(kind, spec):
    i = make_inputs(kind, spec.loss)
    value = call_and_check(
        rnn_ref.loss, i["params"], i["xs"], i["targets"], spec, h0=i["h0"], weights=i["weights"]
    )
    assert type(value) is float and np.isfinite(value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("spec", SPECS)
def test_gradients_mutate_nothing_and_alias_nothing(kind, spec):
    i = make_inputs(kind, spec.loss)
    grads = call_and_check(
        rnn_ref.gradients,
        i["params"],
        i["xs"],
        i["targets"],
        spec,
        h0=i["h0"],
        weights=i["weights"],
    )
    arrays = _arrays_of(grads)
    assert len(arrays) == 7
    assert all(a.dtype == np.float64 and np.isfinite(a).all() for _, a in arrays)
    assert_no_alias(grads, i)


def test_gradients_with_h0_none_mutate_nothing():
    i = make_inputs("float64")
    grads = call_and_check(
        rnn_ref.gradients, i["params"], i["xs"], i["targets"], h0=None, weights=i["weights"]
    )
    assert_no_alias(grads, i)


def test_editing_inputs_after_the_call_leaves_the_results_alone():
    i = make_inputs("float64")
    spec = Spec(truncation=2)
    trajectory = rnn_ref.forward(i["params"], i["xs"], i["h0"])
    grads = rnn_ref.gradients(
        i["params"], i["xs"], i["targets"], spec, h0=i["h0"], weights=i["weights"]
    )
    kept = copy.deepcopy((trajectory, grads))
    for _, array in _arrays_of(i):
        array[...] = 123.0  # what an in-place optimiser step or a reused buffer does
    assert_unchanged(kept[0], trajectory, "trajectory")
    assert_unchanged(kept[1], grads, "gradients")


# --- the step layer -------------------------------------------------------------------------


def _step_inputs(kind: str) -> tuple[Params, np.ndarray, np.ndarray, np.ndarray]:
    i = make_inputs(kind)
    dh_t = np.random.default_rng(3).normal(size=(B, H)).astype(i["xs"].dtype)
    return i["params"], i["xs"][1], i["h0"], dh_t


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_step_forward_mutates_nothing_and_its_cache_aliases_no_input(kind, activation):
    params, x_t, h_prev, _ = _step_inputs(kind)
    h_t, cache = call_and_check(rnn_ref.step_forward, params, x_t, h_prev, activation)
    assert isinstance(cache, StepCache) and h_t.dtype == np.float64
    assert_no_alias((h_t, cache), (params, x_t, h_prev))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_step_backward_mutates_neither_dh_t_nor_the_cache(kind, activation):
    params, x_t, h_prev, dh_t = _step_inputs(kind)
    _, cache = rnn_ref.step_forward(params, x_t, h_prev, activation)
    dx_t, dh_prev, grads = call_and_check(rnn_ref.step_backward, dh_t, cache)
    # Backward twice from the same cache gives the same numbers: the cache was not consumed.
    again = rnn_ref.step_backward(dh_t, cache)
    assert_unchanged((dx_t, dh_prev, grads), again, "step_backward twice")
    assert_no_alias((dx_t, dh_prev, grads), (dh_t, cache))


def test_editing_step_inputs_before_step_backward_leaves_its_result_alone():
    # The cache must hold its own copies: a loop that reuses one buffer for x_t, or that
    # updates the parameters in place, must not change the cache of an earlier step.
    params, x_t, h_prev, dh_t = _step_inputs("float64")
    _, cache = rnn_ref.step_forward(params, x_t, h_prev)
    want = rnn_ref.step_backward(dh_t, cache)
    for array in (*params.arrays(), x_t, h_prev):
        array[...] = -7.0
    assert_unchanged(want, rnn_ref.step_backward(dh_t, cache), "step_backward")


def test_editing_the_returned_h_t_leaves_the_cache_alone():
    params, x_t, h_prev, dh_t = _step_inputs("float64")
    h_t, cache = rnn_ref.step_forward(params, x_t, h_prev)
    want = rnn_ref.step_backward(dh_t, cache)
    h_t[...] = 0.0
    assert_unchanged(want, rnn_ref.step_backward(dh_t, cache), "step_backward")


# --- the checks above can fail --------------------------------------------------------------


def _flip_zero(a: np.ndarray) -> None:
    assert a.flat[0] == 0.0 and np.signbit(a.flat[0])
    a.flat[0] = 0.0  # -0.0 -> +0.0: equal by ==, different bits


def _fill_nan(a: np.ndarray) -> None:
    assert np.isnan(a.flat[-1])
    a.flat[-1] = 0.0  # a NaN of the padding overwritten


def _next_float(a: np.ndarray) -> None:
    a.flat[1] = np.nextafter(a.flat[1], np.inf)  # one ulp


@pytest.mark.parametrize(
    ("where", "mutate"),
    [
        pytest.param(lambda i: i["xs"], _flip_zero, id="xs-negative-zero"),
        pytest.param(lambda i: i["targets"], _fill_nan, id="targets-nan-padding"),
        pytest.param(lambda i: i["params"].W_hh, _next_float, id="params.W_hh-one-ulp"),
    ],
)
def test_assert_unchanged_catches_every_kind_of_write(where, mutate):
    i = make_inputs("float64")
    before = copy.deepcopy(i)
    for key in i:
        assert_unchanged(before[key], i[key], key)
    mutate(where(i))
    with pytest.raises(AssertionError):
        for key in i:
            assert_unchanged(before[key], i[key], key)


def test_assert_no_alias_catches_a_view():
    i = make_inputs("float64")
    with pytest.raises(AssertionError, match=r"aliases input\[xs\]"):
        assert_no_alias({"hs": i["xs"][1:]}, i)
