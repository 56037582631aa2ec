"""Every malformed call raises ValueError or TypeError, and the message says what is wrong.

docs/contract.md §4, §5: a message names the argument (a container's field as
``params.W_hh``, ``spec.truncation``), what was expected and what came. Each case below
checks the exact exception type and those three parts of the message, and every message
must have the shape ``"<name>: expected <what>, got <what came>"`` -- never a NumPy
broadcasting error, a KeyError or an IndexError from deep inside the loops.

The sizes are all different (T=4, B=3, D=2, H=5, O=6), so a message that quotes a shape
shows which size it checked.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

import numpy as np
import pytest

import rnn_ref
from rnn_ref import Params, Spec

T, B, D, H, O = 4, 3, 2, 5, 6
MESSAGE_FORM = re.compile(r"^[A-Za-z_][\w.]*: expected .+, got .+", re.DOTALL)


def lit(*parts: str) -> str:
    """A pattern that finds the literal ``parts`` in this order, anything in between."""
    return ".*".join(re.escape(part) for part in parts)


def _rng() -> np.random.Generator:
    return np.random.default_rng(20240601)


def good_params() -> Params:
    rng = _rng()
    return Params(
        W_xh=rng.normal(size=(H, D)) * 0.5,
        W_hh=rng.normal(size=(H, H)) * 0.3,
        b_h=rng.normal(size=H) * 0.1,
        W_hy=rng.normal(size=(O, H)) * 0.5,
        b_y=rng.normal(size=O) * 0.1,
    )


def with_field(name: str, value: object) -> Params:
    return dataclasses.replace(good_params(), **{name: value})


def good_args() -> dict:
    rng = _rng()
    return {
        "params": good_params(),
        "xs": rng.normal(size=(T, B, D)),
        "h0": rng.normal(size=(B, H)) * 0.1,
        "targets": rng.normal(size=(T, B, O)),
        "weights": np.ones((T, B)),
        "spec": Spec(),
    }


def class_ids() -> np.ndarray:
    return np.arange(T * B).reshape(T, B) % O


def with_nan(shape: tuple[int, ...], index: tuple[int, ...], value: float = np.nan) -> np.ndarray:
    array = np.ones(shape)
    array[index] = value
    return array


def call(function: str, args: dict) -> object:
    if function == "forward":
        return rnn_ref.forward(args["params"], args["xs"], args["h0"])
    return getattr(rnn_ref, function)(
        args["params"],
        args["xs"],
        args["targets"],
        args["spec"],
        h0=args["h0"],
        weights=args["weights"],
    )


# --- cases for every function that takes params, xs and h0: forward, loss, gradients -----

INPUT_CASES = [
    # params: the container and each field's type, rank, shape and values
    (
        "params-tuple",
        {"params": tuple(good_params().arrays())},
        TypeError,
        lit("params: expected an rnn_ref.Params", "got tuple"),
    ),
    (
        "params-dict",
        {"params": dataclasses.asdict(good_params())},
        TypeError,
        lit("params: expected an rnn_ref.Params", "got dict"),
    ),
    (
        "params.W_xh-None",
        {"params": with_field("W_xh", None)},
        TypeError,
        lit("params.W_xh: expected an array, got None"),
    ),
    (
        "params.W_xh-1d",
        {"params": with_field("W_xh", np.ones(H * D))},
        ValueError,
        lit("params.W_xh: expected a 2-d array of shape (H, D), got 1-d shape (10,)"),
    ),
    (
        "params.W_xh-wrong-H",
        {"params": with_field("W_xh", np.ones((H - 1, D)))},
        ValueError,
        lit(
            "params.W_xh: expected shape (H, D) = (5, 2) (H from params.W_hh, D from xs), "
            "got (4, 2)"
        ),
    ),
    (
        "params.W_hh-not-square",
        {"params": with_field("W_hh", np.ones((H, H - 1)))},
        ValueError,
        lit("params.W_hh: expected a square array of shape (H, H), got (5, 4)"),
    ),
    (
        "params.W_hh-3d",
        {"params": with_field("W_hh", np.ones((1, H, H)))},
        ValueError,
        lit("params.W_hh: expected a 2-d array of shape (H, H), got 3-d shape (1, 5, 5)"),
    ),
    (
        "params.W_hh-H0",
        {"params": with_field("W_hh", np.ones((0, 0)))},
        ValueError,
        lit("params.W_hh: expected every size of (H, H) to be at least 1", "got shape (0, 0)"),
    ),
    (
        "params.b_h-wrong-H",
        {"params": with_field("b_h", np.ones(H + 1))},
        ValueError,
        lit("params.b_h: expected shape (H,) = (5,) (H from params.W_hh), got (6,)"),
    ),
    (
        "params.b_h-column",
        {"params": with_field("b_h", np.ones((H, 1)))},
        ValueError,
        lit("params.b_h: expected a 1-d array of shape (H,), got 2-d shape (5, 1)"),
    ),
    (
        "params.W_hy-vs-W_hh",
        {"params": with_field("W_hy", np.ones((O, H - 1)))},
        ValueError,
        lit(
            "params.W_hy: expected shape (O, H) = (6, 5) (O from params.b_y, H from "
            "params.W_hh), got (6, 4)"
        ),
    ),
    (
        "params.W_hy-O0",
        {"params": with_field("W_hy", np.ones((0, H)))},
        ValueError,
        lit("params.W_hy: expected every size of (O, H) to be at least 1", "got shape (0, 5)"),
    ),
    (
        "params.W_xh-D0",
        {"params": with_field("W_xh", np.ones((H, 0)))},
        ValueError,
        lit("params.W_xh: expected every size of (H, D) to be at least 1", "got shape (5, 0)"),
    ),
    (
        "params.b_y-vs-W_hy",
        {"params": with_field("b_y", np.ones(O - 1))},
        ValueError,
        lit("params.b_y: expected shape (O,) = (6,) (O from params.W_hy), got (5,)"),
    ),
    (
        "params.W_hh-nan",
        {"params": with_field("W_hh", with_nan((H, H), (2, 3)))},
        ValueError,
        lit("params.W_hh: expected finite values, got nan at index (2, 3)"),
    ),
    (
        "params.W_xh-inf",
        {"params": with_field("W_xh", with_nan((H, D), (4, 1), np.inf))},
        ValueError,
        lit("params.W_xh: expected finite values, got inf at index (4, 1)"),
    ),
    (
        "params.b_y-minus-inf",
        {"params": with_field("b_y", with_nan((O,), (5,), -np.inf))},
        ValueError,
        lit("params.b_y: expected finite values, got -inf at index (5,)"),
    ),
    (
        "params.W_hy-bool",
        {"params": with_field("W_hy", np.ones((O, H), dtype=bool))},
        TypeError,
        lit("params.W_hy: expected a real integer or floating array", "got", "dtype bool"),
    ),
    (
        "params.b_h-complex",
        {"params": with_field("b_h", np.ones(H, dtype=complex))},
        TypeError,
        lit("params.b_h: expected a real integer or floating array", "got", "dtype complex128"),
    ),
    # xs: rank, sizes, agreement with params.W_xh, values, dtype, raggedness
    (
        "xs-2d",
        {"xs": np.ones((B, D))},
        ValueError,
        lit("xs: expected a 3-d array of shape (T, B, D), got 2-d shape (3, 2)"),
    ),
    (
        "xs-scalar",
        {"xs": 1.0},
        ValueError,
        lit("xs: expected a 3-d array of shape (T, B, D), got 0-d shape ()"),
    ),
    (
        "xs-D-vs-W_xh",
        {"xs": np.ones((T, B, D + 1))},
        ValueError,
        lit(
            "xs: expected D = 2 inputs per step (params.W_xh has shape (5, 2)), got xs of shape "
            "(4, 3, 3)"
        ),
    ),
    (
        "xs-T0",
        {"xs": np.ones((0, B, D))},
        ValueError,
        lit("xs: expected every size of (T, B, D) to be at least 1, got shape (0, 3, 2)"),
    ),
    (
        "xs-B0",
        {"xs": np.ones((T, 0, D)), "h0": None},
        ValueError,
        lit("xs: expected every size of (T, B, D) to be at least 1, got shape (4, 0, 2)"),
    ),
    (
        "xs-nan",
        {"xs": with_nan((T, B, D), (1, 2, 0))},
        ValueError,
        lit("xs: expected finite values, got nan at index (1, 2, 0)"),
    ),
    (
        "xs-inf",
        {"xs": with_nan((T, B, D), (3, 0, 1), np.inf)},
        ValueError,
        lit("xs: expected finite values, got inf at index (3, 0, 1)"),
    ),
    (
        "xs-bool",
        {"xs": np.ones((T, B, D), dtype=bool)},
        TypeError,
        lit("xs: expected a real integer or floating array, got an array of dtype bool"),
    ),
    (
        "xs-complex",
        {"xs": np.ones((T, B, D), dtype=np.complex64)},
        TypeError,
        lit("xs: expected a real integer or floating array, got an array of dtype complex64"),
    ),
    (
        "xs-object",
        {"xs": np.ones((T, B, D)).astype(object)},
        TypeError,
        lit("xs: expected a real integer or floating array, got an array of dtype object"),
    ),
    (
        "xs-string",
        {"xs": np.full((T, B, D), "1.0")},
        TypeError,
        lit("xs: expected a real integer or floating array, got an array of dtype <U3"),
    ),
    (
        "xs-ragged",
        {"xs": [[[0.0, 1.0]], [[0.0, 1.0], [2.0, 3.0]]]},
        ValueError,
        lit("xs: expected a rectangular array of real numbers, got a ragged"),
    ),
    ("xs-None", {"xs": None}, TypeError, lit("xs: expected an array, got None")),
    # h0: shape against B (from xs) and H (from params.W_hh), values, dtype
    (
        "h0-wrong-B",
        {"h0": np.zeros((B + 1, H))},
        ValueError,
        lit("h0: expected shape (B, H) = (3, 5) (B from xs, H from params.W_hh), got (4, 5)"),
    ),
    (
        "h0-wrong-H",
        {"h0": np.zeros((B, H - 1))},
        ValueError,
        lit("h0: expected shape (B, H) = (3, 5)", "got (3, 4)"),
    ),
    (
        "h0-1d",
        {"h0": np.zeros(H)},
        ValueError,
        lit("h0: expected a 2-d array of shape (B, H), got 1-d shape (5,)"),
    ),
    (
        "h0-nan",
        {"h0": with_nan((B, H), (0, 4))},
        ValueError,
        lit("h0: expected finite values, got nan at index (0, 4)"),
    ),
    (
        "h0-complex",
        {"h0": np.zeros((B, H), dtype=complex)},
        TypeError,
        lit("h0: expected a real integer or floating array, got an array of dtype complex128"),
    ),
]

# --- cases for loss and gradients only: weights, targets, spec --------------------------

CE = Spec(loss="softmax_ce")
LOSS_CASES = [
    ("spec-str", {"spec": "mse"}, TypeError, lit("spec: expected an rnn_ref.Spec, got str 'mse'")),
    (
        "spec-dict",
        {"spec": {"loss": "mse"}},
        TypeError,
        lit("spec: expected an rnn_ref.Spec, got dict"),
    ),
    (
        "weights-wrong-T",
        {"weights": np.ones((T - 1, B))},
        ValueError,
        lit("weights: expected shape (T, B) = (4, 3) (T, B from xs), got (3, 3)"),
    ),
    (
        "weights-wrong-B",
        {"weights": np.ones((T, B + 2))},
        ValueError,
        lit("weights: expected shape (T, B) = (4, 3)", "got (4, 5)"),
    ),
    (
        "weights-3d",
        {"weights": np.ones((T, B, 1))},
        ValueError,
        lit("weights: expected a 2-d array of shape (T, B), got 3-d shape (4, 3, 1)"),
    ),
    (
        "weights-negative",
        {"weights": with_nan((T, B), (2, 1), -0.5)},
        ValueError,
        lit("weights: expected values >= 0, got -0.5 at index (2, 1)"),
    ),
    (
        "weights-nan",
        {"weights": with_nan((T, B), (0, 2))},
        ValueError,
        lit("weights: expected finite values, got nan at index (0, 2)"),
    ),
    (
        "weights-inf",
        {"weights": with_nan((T, B), (3, 0), np.inf)},
        ValueError,
        lit("weights: expected finite values, got inf at index (3, 0)"),
    ),
    (
        "weights-bool-mask",
        {"weights": np.ones((T, B), dtype=bool)},
        TypeError,
        lit("weights: expected a real integer or floating array, got an array of dtype bool"),
    ),
    (
        "mse-targets-wrong-T",
        {"targets": np.ones((T + 1, B, O))},
        ValueError,
        lit("targets: expected shape (T, B, O) = (4, 3, 6)", "got (5, 3, 6)"),
    ),
    (
        "mse-targets-wrong-B",
        {"targets": np.ones((T, B - 1, O))},
        ValueError,
        lit("targets: expected shape (T, B, O) = (4, 3, 6)", "got (4, 2, 6)"),
    ),
    (
        "mse-targets-wrong-O",
        {"targets": np.ones((T, B, O - 1))},
        ValueError,
        lit(
            "targets: expected shape (T, B, O) = (4, 3, 6) (T, B from xs, O from params.W_hy), "
            "got (4, 3, 5)"
        ),
    ),
    (
        "mse-targets-class-ids",
        {"targets": class_ids()},
        ValueError,
        lit("targets: expected a 3-d array of shape (T, B, O), got 2-d shape (4, 3)"),
    ),
    (
        "mse-targets-nan-live",
        {"targets": with_nan((T, B, O), (1, 1, 3))},
        ValueError,
        lit("targets: expected finite values, got nan at index (1, 1, 3)"),
    ),
    (
        "mse-targets-inf-live",
        {
            "targets": with_nan((T, B, O), (2, 0, 0), -np.inf),
            "weights": with_nan((T, B), (0, 0), 0.0),
        },
        ValueError,
        lit("targets: expected finite values, got -inf at index (2, 0, 0)"),
    ),
    (
        "mse-targets-string",
        {"targets": np.full((T, B, O), "x")},
        TypeError,
        lit("targets: expected a real integer or floating array, got an array of dtype <U1"),
    ),
    (
        "ce-class-id-O",
        {"spec": CE, "targets": np.where(class_ids() == 2, O, class_ids())},
        ValueError,
        lit(
            "targets: expected class ids in [0, 6) where the weight is nonzero, got 6 at index "
            "(0, 2)"
        ),
    ),
    (
        "ce-class-id-negative",
        {"spec": CE, "targets": np.where(np.arange(T)[:, None] == 3, -1, class_ids())},
        ValueError,
        lit(
            "targets: expected class ids in [0, 6) where the weight is nonzero, got -1 at index "
            "(3, 0)"
        ),
    ),
    (
        "ce-class-ids-float",
        {"spec": CE, "targets": class_ids().astype(float)},
        TypeError,
        lit(
            "targets: expected integer class ids (an integer dtype), got an array of dtype float64"
        ),
    ),
    (
        "ce-class-ids-bool",
        {"spec": CE, "targets": class_ids() > 0},
        TypeError,
        lit("targets: expected integer class ids", "got an array of dtype bool"),
    ),
    (
        "ce-targets-one-hot",
        {"spec": CE, "targets": np.ones((T, B, O), dtype=int)},
        ValueError,
        lit("targets: expected a 2-d array of shape (T, B) of class ids, got 3-d shape (4, 3, 6)"),
    ),
    (
        "ce-targets-wrong-T",
        {"spec": CE, "targets": class_ids()[:-1]},
        ValueError,
        lit("targets: expected shape (T, B) of class ids = (4, 3) (T, B from xs), got (3, 3)"),
    ),
]


def _array_cases():
    for case_id, changes, error, pattern in INPUT_CASES:
        for function in ("forward", "loss", "gradients"):
            yield pytest.param(function, changes, error, pattern, id=f"{function}-{case_id}")
    for case_id, changes, error, pattern in LOSS_CASES:
        for function in ("loss", "gradients"):
            yield pytest.param(function, changes, error, pattern, id=f"{function}-{case_id}")


def assert_raises(thunk, error: type[Exception], pattern: str) -> None:
    with pytest.raises(error, match=pattern) as info:
        thunk()
    assert type(info.value) is error, f"expected exactly {error.__name__}, got {info.type}"
    assert MESSAGE_FORM.match(str(info.value)), f"not '<name>: expected ..., got ...': {info}"


@pytest.mark.parametrize(("function", "changes", "error", "pattern"), list(_array_cases()))
def test_malformed_array_argument(function, changes, error, pattern):
    args = good_args() | changes
    assert_raises(lambda: call(function, args), error, pattern)


# --- Spec, the activation argument, the step layer, init_params --------------------------

NAMES = "'tanh', 'sigmoid', 'relu'"
OTHER_CASES = [
    pytest.param(
        lambda: Spec(activation="gelu"),
        ValueError,
        lit(f"spec.activation: expected one of {NAMES}, got 'gelu'"),
        id="Spec-activation-unknown",
    ),
    pytest.param(
        lambda: Spec(activation=None),
        TypeError,
        lit(f"spec.activation: expected one of {NAMES}, got None of type NoneType"),
        id="Spec-activation-None",
    ),
    pytest.param(
        lambda: Spec(loss="cross_entropy"),
        ValueError,
        lit("spec.loss: expected one of 'mse', 'softmax_ce', got 'cross_entropy'"),
        id="Spec-loss-unknown",
    ),
    pytest.param(
        lambda: Spec(truncation=3, truncation_mode="sliding"),
        ValueError,
        lit("spec.truncation_mode: expected one of 'window', 'chunk', got 'sliding'"),
        id="Spec-mode-unknown",
    ),
    pytest.param(
        lambda: Spec(truncation=0),
        ValueError,
        lit("spec.truncation: expected None or an integer k >= 1, got 0"),
        id="Spec-k-0",
    ),
    pytest.param(
        lambda: Spec(truncation=np.int64(-3)),
        ValueError,
        lit("spec.truncation: expected None or an integer k >= 1, got -3"),
        id="Spec-k-negative-numpy",
    ),
    pytest.param(
        lambda: Spec(truncation=True),
        TypeError,
        lit("spec.truncation: expected None or an integer k >= 1", "got True of type bool"),
        id="Spec-k-bool",
    ),
    pytest.param(
        lambda: Spec(truncation=np.True_),
        TypeError,
        lit("spec.truncation: expected None or an integer k >= 1", "got", "bool"),
        id="Spec-k-numpy-bool",
    ),
    pytest.param(
        lambda: Spec(truncation=2.0),
        TypeError,
        lit("spec.truncation: expected None or an integer k >= 1", "got 2.0 of type float"),
        id="Spec-k-float",
    ),
    pytest.param(
        lambda: Spec(truncation=np.float64(2.0)),
        TypeError,
        lit("spec.truncation: expected None or an integer k >= 1", "of type float64"),
        id="Spec-k-numpy-float",
    ),
    pytest.param(
        lambda: Spec(truncation="3"),
        TypeError,
        lit("spec.truncation: expected None or an integer k >= 1", "got '3' of type str"),
        id="Spec-k-str",
    ),
    pytest.param(
        lambda: rnn_ref.forward(good_params(), np.ones((T, B, D)), activation="gelu"),
        ValueError,
        f"^{lit(f'activation: expected one of {NAMES}, got ' + repr('gelu'))}",
        id="forward-activation-unknown",
    ),
    pytest.param(
        lambda: rnn_ref.forward(good_params(), np.ones((T, B, D)), activation=1),
        TypeError,
        f"^{lit(f'activation: expected one of {NAMES}, got 1 of type int')}",
        id="forward-activation-int",
    ),
    # step_forward
    pytest.param(
        lambda: rnn_ref.step_forward(None, np.ones((B, D)), np.ones((B, H))),
        TypeError,
        lit("params: expected an rnn_ref.Params, got NoneType None"),
        id="step_forward-params-None",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((T, B, D)), np.ones((B, H))),
        ValueError,
        lit("x_t: expected a 2-d array of shape (B, D), got 3-d shape"),
        id="step_forward-x_t-3d",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((B, D + 1)), np.ones((B, H))),
        ValueError,
        lit("x_t: expected shape (B, D) = (3, 2) (D from params.W_xh), got (3, 3)"),
        id="step_forward-x_t-D-vs-W_xh",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((B, D)), np.ones((B + 1, H))),
        ValueError,
        lit("h_prev: expected shape (B, H) = (3, 5) (B from x_t, H from params.W_hh), got (4, 5)"),
        id="step_forward-h_prev-wrong-B",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((B, D)), np.ones(H)),
        ValueError,
        lit("h_prev: expected a 2-d array of shape (B, H), got 1-d shape"),
        id="step_forward-h_prev-1d",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), with_nan((B, D), (2, 1)), np.ones((B, H))),
        ValueError,
        lit("x_t: expected finite values, got nan at index (2, 1)"),
        id="step_forward-x_t-nan",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(
            good_params(), np.ones((B, D)), with_nan((B, H), (0, 0), np.inf)
        ),
        ValueError,
        lit("h_prev: expected finite values, got inf at index (0, 0)"),
        id="step_forward-h_prev-inf",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((B, D), dtype=bool), np.ones((B, H))),
        TypeError,
        lit("x_t: expected a real integer or floating array", "dtype bool"),
        id="step_forward-x_t-bool",
    ),
    pytest.param(
        lambda: rnn_ref.step_forward(good_params(), np.ones((B, D)), np.ones((B, H)), "softplus"),
        ValueError,
        f"^{lit('activation: expected one of', 'got ' + repr('softplus'))}",
        id="step_forward-activation-unknown",
    ),
    # step_backward
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B, H)), None),
        TypeError,
        lit("cache: expected the StepCache of step_forward, got NoneType"),
        id="step_backward-cache-None",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B, H)), ("x_t", "h_prev")),
        TypeError,
        lit("cache: expected the StepCache of step_forward, got tuple"),
        id="step_backward-cache-tuple",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B, H + 1)), _cache()),
        ValueError,
        lit("dh_t: expected shape (B, H) = (3, 5) (B, H from cache.h_t), got (3, 6)"),
        id="step_backward-dh_t-wrong-H",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B + 1, H)), _cache()),
        ValueError,
        lit("dh_t: expected shape (B, H) = (3, 5) (B, H from cache.h_t), got (4, 5)"),
        id="step_backward-dh_t-wrong-B",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones(H), _cache()),
        ValueError,
        lit("dh_t: expected a 2-d array of shape (B, H), got 1-d shape (5,)"),
        id="step_backward-dh_t-1d",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(with_nan((B, H), (1, 2)), _cache()),
        ValueError,
        lit("dh_t: expected finite values, got nan at index (1, 2)"),
        id="step_backward-dh_t-nan",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B, H), dtype=complex), _cache()),
        TypeError,
        lit("dh_t: expected a real integer or floating array", "complex128"),
        id="step_backward-dh_t-complex",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(np.ones((B, H)), replace(_cache(), activation="gelu")),
        ValueError,
        lit("cache.activation: expected one of 'tanh', 'sigmoid', 'relu', got 'gelu'"),
        id="step_backward-cache-activation-unknown",
    ),
    pytest.param(
        lambda: rnn_ref.step_backward(
            np.ones((B, H)), replace(_cache(), W_hh=np.ones((H + 1, H + 1)))
        ),
        ValueError,
        lit(
            f"cache.W_hh: expected shape (H, H) = {(H, H)} (H from cache.h_t), got {(H + 1, H + 1)}"
        ),
        id="step_backward-cache-W_hh-inconsistent",
    ),
    # init_params
    pytest.param(
        lambda: rnn_ref.init_params(0, H, O),
        ValueError,
        lit("input_size: expected an integer >= 1, got 0"),
        id="init-input_size-0",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, 0, O),
        ValueError,
        lit("hidden_size: expected an integer >= 1, got 0"),
        id="init-hidden_size-0",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, -1),
        ValueError,
        lit("output_size: expected an integer >= 1, got -1"),
        id="init-output_size-negative",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, True, O),
        TypeError,
        lit("hidden_size: expected an integer >= 1, got True of type bool"),
        id="init-hidden_size-bool",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(2.0, H, O),
        TypeError,
        lit("input_size: expected an integer >= 1, got 2.0 of type float"),
        id="init-input_size-float",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, np.float32(3)),
        TypeError,
        lit("output_size: expected an integer >= 1", "of type float32"),
        id="init-output_size-numpy-float",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, O, seed=-1),
        ValueError,
        lit("seed: expected an integer >= 0, got -1"),
        id="init-seed-negative",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, O, seed=1.5),
        TypeError,
        lit("seed: expected an integer >= 0, got 1.5 of type float"),
        id="init-seed-float",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, O, seed=None),
        TypeError,
        lit("seed: expected an integer >= 0, got None"),
        id="init-seed-None",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, O, scheme="he"),
        ValueError,
        lit("scheme: expected one of 'xavier', 'uniform01', got 'he'"),
        id="init-scheme-unknown",
    ),
    pytest.param(
        lambda: rnn_ref.init_params(D, H, O, scheme=None),
        TypeError,
        lit("scheme: expected one of 'xavier', 'uniform01', got None"),
        id="init-scheme-None",
    ),
]


def _cache() -> rnn_ref.StepCache:
    _, cache = rnn_ref.step_forward(good_params(), np.ones((B, D)), np.zeros((B, H)))
    return cache


@pytest.mark.parametrize(("thunk", "error", "pattern"), OTHER_CASES)
def test_malformed_call(thunk, error, pattern):
    assert_raises(thunk, error, pattern)


# --- which argument is blamed when several are wrong ---------------------------------------


def test_wrong_rank_xs_is_reported_as_xs_not_as_the_targets_that_no_longer_match():
    args = good_args() | {"xs": np.ones((T * B, D))}
    assert_raises(lambda: call("gradients", args), ValueError, "^xs: expected a 3-d array")


def test_wrong_D_in_xs_is_reported_as_xs_and_names_params_W_xh():
    args = good_args() | {"xs": np.ones((T, B, D + 3))}
    assert_raises(lambda: call("loss", args), ValueError, lit("xs: expected D = 2", "W_xh"))


def test_longer_xs_blames_targets_and_says_T_came_from_xs():
    # xs alone is valid; the mismatch is only visible at targets, whose message says why.
    args = good_args() | {"xs": np.ones((T + 2, B, D)), "weights": None}
    assert_raises(
        lambda: call("gradients", args),
        ValueError,
        lit("targets: expected shape (T, B, O) = (6, 3, 6) (T, B from xs", "got (4, 3, 6)"),
    )


def test_square_W_hh_of_the_wrong_size_names_W_hh_as_the_source_of_H():
    params = with_field("W_hh", np.ones((H + 1, H + 1)))
    assert_raises(
        lambda: rnn_ref.forward(params, np.ones((T, B, D))),
        ValueError,
        lit(
            "params.W_xh: expected shape (H, D) = (6, 2) (H from params.W_hh, D from xs), "
            "got (5, 2)"
        ),
    )


def test_bad_xs_is_reported_before_bad_h0_and_weights():
    args = good_args() | {"xs": with_nan((T, B, D), (0, 0, 0)), "h0": np.ones(7), "weights": -1}
    assert_raises(lambda: call("loss", args), ValueError, "^xs: expected finite values")


def test_bad_weights_are_reported_before_targets_they_mask():
    args = good_args() | {"weights": -np.ones((T, B)), "targets": np.full((T, B, O), np.nan)}
    assert_raises(lambda: call("loss", args), ValueError, "^weights: expected values >= 0")


def test_nan_xs_is_rejected_even_where_the_weight_is_zero():
    args = good_args() | {"xs": with_nan((T, B, D), (2, 1, 0)), "weights": np.zeros((T, B))}
    assert_raises(
        lambda: call("gradients", args), ValueError, lit("xs: expected finite", "(2, 1, 0)")
    )


# --- what is accepted ----------------------------------------------------------------------


def test_numpy_integer_k_is_accepted_and_normalised_to_int():
    spec = Spec(truncation=np.int32(2), truncation_mode="chunk")
    assert type(spec.truncation) is int
    assert spec.truncation == 2
    assert spec == Spec(truncation=2, truncation_mode="chunk")
    args = good_args()
    mine = call("gradients", args | {"spec": spec})
    plain = call("gradients", args | {"spec": Spec(truncation=2, truncation_mode="chunk")})
    np.testing.assert_array_equal(mine.params.W_hh, plain.params.W_hh)


def test_numpy_integer_sizes_and_seed_are_accepted_by_init_params():
    params = rnn_ref.init_params(np.int64(D), np.int16(H), np.uint8(O), seed=np.int64(3))
    reference = rnn_ref.init_params(D, H, O, seed=3)
    for name in Params.FIELDS:
        np.testing.assert_array_equal(getattr(params, name), getattr(reference, name))


def _all_results(args: dict) -> list[np.ndarray]:
    trajectory = call("forward", args)
    grads = call("gradients", args)
    return [trajectory.hs, trajectory.ys, grads.xs, grads.h0, *grads.params.arrays()]


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.int8, np.uint16])
def test_integer_and_low_precision_inputs_are_upcast_to_float64(dtype):
    args = good_args()
    params = Params(*(np.round(a * 4).astype(dtype) for a in args["params"].arrays()))
    args |= {
        "params": params,
        "xs": np.round(args["xs"]).astype(dtype),
        "h0": np.zeros((B, H), dtype=dtype),
        "targets": np.round(args["targets"]).astype(dtype),
        "weights": np.ones((T, B), dtype=dtype),
    }
    results = _all_results(args)
    assert all(result.dtype == np.float64 for result in results)
    assert type(call("loss", args)) is float
    # The same numbers as the float64 call: conversion is exact for these values.
    as64 = {key: value for key, value in args.items() if key != "params"}
    as64 = {k: np.asarray(v, dtype=np.float64) if k != "spec" else v for k, v in as64.items()}
    as64["params"] = Params(*(a.astype(np.float64) for a in params.arrays()))
    for got, want in zip(results, _all_results(as64), strict=True):
        np.testing.assert_array_equal(got, want)


def test_nested_lists_are_accepted():
    args = good_args()
    lists = args | {key: args[key].tolist() for key in ("xs", "h0", "targets", "weights")}
    np.testing.assert_array_equal(call("forward", lists).ys, call("forward", args).ys)
    assert call("loss", lists) == call("loss", args)


def test_h0_none_means_zeros_and_its_gradient_is_still_returned():
    args = good_args()
    grads = call("gradients", args | {"h0": None})
    zeros = call("gradients", args | {"h0": np.zeros((B, H))})
    assert grads.h0.shape == (B, H)
    np.testing.assert_array_equal(grads.h0, zeros.h0)
    assert grads.loss == zeros.loss


def _padded_weights() -> np.ndarray:
    # Variable lengths 4, 2, 1: the positions past each length are padding.
    lengths = np.array([4, 2, 1])
    return (np.arange(T)[:, None] < lengths[None, :]).astype(float)


@pytest.mark.parametrize("padding", [np.nan, np.inf, -1e308])
def test_mse_padding_targets_are_not_validated_nor_read(padding):
    args = good_args() | {"weights": _padded_weights(), "spec": Spec(truncation=2)}
    padded = np.where(_padded_weights()[..., None] > 0, args["targets"], padding)
    value = call("loss", args | {"targets": padded})
    grads = call("gradients", args | {"targets": padded})
    clean = call("gradients", args)
    assert np.isfinite(value) and value == clean.loss
    for got, want in zip(_grad_arrays(grads), _grad_arrays(clean), strict=True):
        assert np.isfinite(got).all()
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("padding", [-1, O, 10**9])
def test_softmax_padding_class_ids_are_not_validated_nor_read(padding):
    args = good_args() | {"weights": _padded_weights(), "spec": CE, "targets": class_ids()}
    padded = np.where(_padded_weights() > 0, class_ids(), padding)
    value = call("loss", args | {"targets": padded})
    grads = call("gradients", args | {"targets": padded})
    clean = call("gradients", args)
    assert np.isfinite(value) and value == clean.loss
    for got, want in zip(_grad_arrays(grads), _grad_arrays(clean), strict=True):
        assert np.isfinite(got).all()
        np.testing.assert_array_equal(got, want)


def _grad_arrays(grads: rnn_ref.Gradients) -> list[np.ndarray]:
    return [grads.xs, grads.h0, *grads.params.arrays()]


def test_read_only_and_broadcast_inputs_are_accepted():
    args = good_args()
    frozen = {key: args[key].copy() for key in ("xs", "h0", "targets")}
    for array in frozen.values():
        array.flags.writeable = False
    weights = np.broadcast_to(1.0, (T, B))  # read-only, zero strides
    got = call("gradients", args | frozen | {"weights": weights})
    want = call("gradients", args)
    np.testing.assert_array_equal(got.params.W_hh, want.params.W_hh)


# Finite but too large: float64 overflows inside the computation. That must be a clear
# error, never an inf or NaN in the results (NumPy alone would only warn).
def _huge_case():
    params = replace(good_params(), W_xh=np.full((H, D), 1e300))
    xs = np.full((2, B, D), 1e10)
    return params, xs, np.zeros((2, B, O))


@pytest.mark.parametrize(
    "call, function",
    [
        (lambda p, xs, z: rnn_ref.forward(p, xs, activation="relu"), "forward"),
        (lambda p, xs, z: rnn_ref.loss(p, xs, z), "loss"),
        (lambda p, xs, z: rnn_ref.gradients(p, xs, z, rnn_ref.Spec(truncation=1)), "gradients"),
        (lambda p, xs, z: rnn_ref.step_forward(p, xs[0], np.zeros((B, H))), "step_forward"),
    ],
    ids=["forward", "loss", "gradients", "step_forward"],
)
def test_overflow_is_an_error_that_names_the_function(call, function):
    params, xs, targets = _huge_case()
    with pytest.raises(FloatingPointError, match=lit(f"{function}: expected the float64")):
        call(params, xs, targets)


def test_step_backward_overflow_is_an_error():
    _, cache = rnn_ref.step_forward(good_params(), np.ones((B, D)), np.zeros((B, H)))
    cache = replace(cache, W_hh=np.full((H, H), 1e300))
    with pytest.raises(FloatingPointError, match=lit("step_backward: expected the float64")):
        rnn_ref.step_backward(np.full((B, H), 1e300), cache)


@pytest.mark.parametrize("function", ["loss", "gradients"])
def test_squared_residual_overflow_is_an_error(function):
    """Read-outs and targets finite, but |y - z|^2 beyond float64 in the mse loss (whose
    squared norms come from np.vecdot, not from an elementwise square)."""
    params = good_params()
    xs = np.zeros((2, B, D))
    targets = np.zeros((2, B, O))
    targets[1, 0, 0] = 1e200
    with pytest.raises(FloatingPointError, match=lit(f"{function}: expected the float64")):
        getattr(rnn_ref, function)(params, xs, targets)
    weights = np.ones((2, B))
    weights[1, 0] = 0.0  # the same target as padding is never read: no error
    assert np.isfinite(rnn_ref.loss(params, xs, targets, weights=weights))


def test_padded_positions_are_not_read_even_where_the_read_out_is_huge():
    """The mse residual at a padded position is set to 0, not left as y: a read-out of 1e200
    there would otherwise overflow when squared, an error from a position the loss skips."""
    params = replace(good_params(), b_y=np.full(O, 1e200))
    xs = np.zeros((2, B, D))
    targets = rnn_ref.forward(params, xs).ys.copy()  # residual exactly 0 where live
    weights = np.ones((2, B))
    weights[1, 0] = 0.0
    targets[1, 0] = np.nan
    assert rnn_ref.loss(params, xs, targets, weights=weights) == 0.0
    g = rnn_ref.gradients(params, xs, targets, weights=weights)
    assert all(np.all(a == 0.0) for a in g.params.arrays())
