"""The conventions' adapters, checked on the examples of ``examples/check/`` against rnn_ref.

Each test builds a canonical case with NumPy, calls ``convention.wrap(...)`` on it as the
checker does, and compares every returned quantity with ``rnn_ref.gradients`` in float64;
then a copy of the example with one line broken must disagree.

Tolerance: a relative error (largest difference over the largest element of the truth) of
at most 1e-12. Both sides compute the same sums of at most T * B = 32 products of numbers
of order 1 (every array drawn in [-1, 1], W_hh in [-0.5, 0.5] so that no step of the
backward pass grows), in different orders: each result carries a rounding error of a few
tens of machine epsilons (2.2e-16) relative to the largest term, 1e-12 is ~4500 of them.
A broken line changes a gradient by a relative amount of order 1.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from _helpers import relative_error
from hypothesis import given
from hypothesis import strategies as st

import rnn_ref
from verification.check import conventions
from verification.check.scope import Bptt, Scope

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "check"
RTOL = 1e-12


def load_example(name: str, broken: tuple[str, str] | None = None) -> types.ModuleType:
    """``examples/check/<name>.py`` as a fresh module; ``broken = (line, replacement)``
    changes that one line, which must occur exactly once."""
    path = EXAMPLES / f"{name}.py"
    source = path.read_text(encoding="utf-8")
    if broken is not None:
        line, replacement = broken
        assert source.count(line) == 1, f"{name}.py: {line!r} is not there exactly once"
        source = source.replace(line, replacement)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def canonical_case(
    seed: int,
    T: int,
    B: int,
    D: int,
    H: int,
    O: int,
    *,
    activation: str = "tanh",
    loss: str = "mse",
    identity_readout: bool = False,
    one_hot_inputs: bool = False,
    weights: str = "any",
    h0: str = "any",
) -> dict:
    """The six arguments of a canonical call, float64, filled from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    if identity_readout:
        O = H
    params = {
        "W_xh": rng.uniform(-1.0, 1.0, (H, D)),
        "W_hh": rng.uniform(-0.5, 0.5, (H, H)),
        "b_h": rng.uniform(-0.5, 0.5, H),
        "W_hy": np.eye(H) if identity_readout else rng.uniform(-1.0, 1.0, (O, H)),
        "b_y": np.zeros(O) if identity_readout else rng.uniform(-0.5, 0.5, O),
    }
    if one_hot_inputs:
        xs = np.eye(D)[rng.integers(0, D, (T, B))]
    else:
        xs = rng.uniform(-1.0, 1.0, (T, B, D))
    if loss == "mse":
        targets = rng.uniform(-1.0, 1.0, (T, B, O))
    else:
        targets = rng.integers(0, O, (T, B))
    w = {"any": rng.uniform(0.0, 2.0, (T, B)), "ones": np.ones((T, B))}[weights]
    state = rng.uniform(-1.0, 1.0, (B, H)) if h0 == "any" else np.zeros((B, H))
    spec = dataclasses.asdict(rnn_ref.Spec(activation=activation, loss=loss))
    return {"params": params, "xs": xs, "targets": targets, "spec": spec, "h0": state, "weights": w}


def truth(case: dict) -> dict:
    """rnn_ref's loss and gradients of ``case``, under the canonical names."""
    g = rnn_ref.gradients(
        rnn_ref.Params(**case["params"]),
        case["xs"],
        case["targets"],
        rnn_ref.Spec(**case["spec"]),
        h0=case["h0"],
        weights=case["weights"],
    )
    named = {name: getattr(g.params, name) for name in rnn_ref.Params.FIELDS}
    return {"loss": np.float64(g.loss), "xs": g.xs, "h0": g.h0, **named}


def disagreements(theirs: dict, case: dict) -> dict[str, float]:
    """The returned quantities that differ from the truth by more than RTOL, with their
    relative errors (infinite for a wrong shape)."""
    ours = truth(case)
    unknown = set(theirs) - set(ours)
    assert not unknown, f"names that are not canonical: {unknown}"
    errors = {}
    for name, value in theirs.items():
        value = np.asarray(value, dtype=np.float64)
        if value.shape != np.shape(ours[name]):
            errors[name] = np.inf
        elif (error := relative_error(value, ours[name])) > RTOL:
            errors[name] = error
    return errors


def assert_agrees(theirs: dict, case: dict, expected: set[str]) -> None:
    assert set(theirs) == expected, f"returned {sorted(theirs)}, expected {sorted(expected)}"
    errors = disagreements(theirs, case)
    assert not errors, f"relative errors above {RTOL:.0e}: {errors}"


sizes = {
    "seed": st.integers(0, 2**32 - 1),
    "T": st.integers(1, 8),
    "B": st.integers(1, 4),
    "D": st.integers(1, 5),
    "H": st.integers(1, 5),
}

# -- layer ------------------------------------------------------------------------------

LAYER = conventions.CONVENTIONS["layer"]
LAYER_RESULT = {"loss", "W_xh", "W_hh", "b_h", "xs", "h0"}


def time_major(module: types.ModuleType) -> tuple:
    """The batch-first example behind a time-major interface, to check that layout."""

    def forward(x, h0, params):
        h, cache = module.forward(np.swapaxes(x, 0, 1), h0, params)
        return np.swapaxes(h, 0, 1), cache

    def backward(dh, cache):
        dx, *rest = module.backward(np.swapaxes(dh, 0, 1), cache)
        return (np.swapaxes(dx, 0, 1), *rest)

    return forward, backward


@given(**sizes)
def test_layer_example_agrees_in_both_layouts(seed, T, B, D, H) -> None:
    case = canonical_case(seed, T, B, D, H, H, identity_readout=True)
    module = load_example("layer_rnn")
    batch_first = LAYER.wrap((module.forward, module.backward), {"layout": "batch-first"})
    assert_agrees(batch_first(**case), case, LAYER_RESULT)
    assert_agrees(
        LAYER.wrap(time_major(module), {"layout": "time-major"})(**case), case, LAYER_RESULT
    )


def test_layer_layout_defaults_to_batch_first_and_backward_may_return_a_dict() -> None:
    module = load_example("layer_rnn")

    def backward(dh, cache):  # a dict without dx: dx is not returned, hence not checked
        _, dh0, dWx, dWh, db = module.backward(dh, cache)
        return {"dh0": dh0, "dWx": dWx, "dWh": dWh, "db": db}

    case = canonical_case(1, 6, 2, 3, 4, 4, identity_readout=True)
    assert_agrees(LAYER.wrap((module.forward, backward), {})(**case), case, LAYER_RESULT - {"xs"})


@pytest.mark.parametrize(
    ("broken", "wrong"),
    [
        # W_hh paired with h_t instead of h_{t-1}
        (("dWh += h_prev.T @ da", "dWh += h[:, t].T @ da"), {"W_hh"}),
        # the carried term not passed through W_h^T: every gradient but dWh's last term
        (("dh_next = da @ Wh.T", "dh_next = da @ Wh"), {"W_xh", "W_hh", "b_h", "xs", "h0"}),
        # a wrong forward pass shows as a wrong loss
        (("+ h_prev @ Wh + b)", "+ h_prev @ Wh.T + b)"), {"loss"}),
    ],
)
def test_layer_catches_a_broken_copy(broken, wrong) -> None:
    module = load_example("layer_rnn", broken)
    case = canonical_case(2, 5, 2, 3, 4, 4, identity_readout=True)
    errors = disagreements(LAYER.wrap((module.forward, module.backward), {})(**case), case)
    assert wrong <= set(errors), f"expected {wrong} to disagree, got {errors}"


def test_layer_restrict_fixes_what_the_layer_cannot_say() -> None:
    scope = LAYER.restrict(Scope(activations=("tanh",)), {"layout": "time-major"})
    assert scope == Scope(
        activations=("tanh",), losses=("mse",), bptt=Bptt("full"), identity_readout=True
    )


@pytest.mark.parametrize(
    ("scope", "options", "message"),
    [
        (Scope(losses=("softmax_ce",)), {}, "loss: expected mse"),
        (Scope(bptt=Bptt("window", 3)), {}, "bptt: expected full"),
        (Scope(reduction="mean"), {}, "reduction: expected sum"),
        (Scope(), {"layout": "column"}, "layout: expected one of batch-first, time-major"),
    ],
)
def test_layer_restrict_refuses_what_it_cannot_express(scope, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        LAYER.restrict(scope, options)


@pytest.mark.parametrize(
    ("forward_result", "backward_result", "message"),
    [
        ("h", None, r"layer forward: expected \(h, cache\), got str"),
        ((np.zeros((3, 2, 4)), None), None, r"h: expected shape \(2, 3, 4\)"),
        (None, (1, 2, 3), r"layer backward: expected \(dx, dh0, dWx, dWh, db\).*tuple of 3"),
        (None, {"dW": 1}, "layer backward: expected a dict with keys among"),
    ],
)
def test_layer_names_a_malformed_result(forward_result, backward_result, message) -> None:
    module = load_example("layer_rnn")
    case = canonical_case(3, 3, 2, 2, 4, 4, identity_readout=True)

    def forward(x, h0, params):
        return module.forward(x, h0, params) if forward_result is None else forward_result

    def backward(dh, cache):
        return backward_result

    with pytest.raises((TypeError, ValueError), match=message):
        LAYER.wrap((forward, backward), {})(**case)


# -- torch ------------------------------------------------------------------------------

TORCH = conventions.CONVENTIONS["torch"]
FULL_RESULT = {"loss", "W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "h0"}


@given(
    **sizes,
    O=st.integers(2, 5),
    activation=st.sampled_from(["tanh", "relu"]),
    loss=st.sampled_from(["mse", "softmax_ce"]),
)
def test_torch_example_agrees(seed, T, B, D, H, O, activation, loss) -> None:
    case = canonical_case(seed, T, B, D, H, O, activation=activation, loss=loss)
    module = load_example("torch_rnn")
    assert_agrees(TORCH.wrap((module.make,), {})(**case), case, FULL_RESULT)


def test_torch_adapter_agrees_with_nn_rnn_itself() -> None:
    import torch

    class Model(torch.nn.Module):
        def __init__(self, D, H, O, nonlinearity):
            super().__init__()
            self.rnn = torch.nn.RNN(D, H, nonlinearity=nonlinearity)
            self.fc = torch.nn.Linear(H, O)

        def forward(self, xs, h0):
            return self.fc(self.rnn(xs, h0)[0])

    case = canonical_case(4, 7, 3, 2, 5, 3, activation="relu", loss="softmax_ce")
    assert_agrees(TORCH.wrap((Model,), {})(**case), case, FULL_RESULT)


@pytest.mark.parametrize(
    ("broken", "wrong"),
    [
        # the carried term not passed through W_hh
        (("dh_next = das[t] @ W_hh", "dh_next = das[t] @ W_hh.T"), {"W_xh", "W_hh", "h0"}),
        # W_hh paired with h_t instead of h_{t-1}
        (("dW_hh = da.T @ hs[:-1].flatten(0, 1)", "dW_hh = da.T @ hs[1:].flatten(0, 1)"), {"W_hh"}),
    ],
)
def test_torch_catches_a_broken_copy(broken, wrong) -> None:
    module = load_example("torch_rnn", broken)
    case = canonical_case(5, 6, 2, 3, 4, 3)
    errors = disagreements(TORCH.wrap((module.make,), {})(**case), case)
    assert wrong <= set(errors), f"expected {wrong} to disagree, got {errors}"


def test_torch_returns_the_wrong_one_of_two_hidden_bias_gradients() -> None:
    module = load_example("torch_rnn")

    class OneBiasWrong(module.ElmanRNN):
        def forward(self, xs, h0):  # bias_hh_l0 counted twice: its gradient doubles
            self.bias_hh_l0.register_hook(lambda g: 2 * g)
            return super().forward(xs, h0)

    case = canonical_case(6, 4, 2, 3, 4, 3)
    errors = disagreements(TORCH.wrap((OneBiasWrong,), {})(**case), case)
    assert set(errors) == {"b_h"}, errors


def test_torch_missing_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(ImportError, match=r"needs PyTorch: pip install torch==2\.13\.0"):
        TORCH.wrap((load_example("layer_rnn").forward,), {})


def test_torch_names_a_module_it_cannot_load() -> None:
    import torch

    case = canonical_case(11, 3, 2, 2, 3, 2)

    def two_layers(D, H, O, nonlinearity):
        return torch.nn.RNN(D, H, num_layers=2, nonlinearity=nonlinearity)

    class Gained(torch.nn.Module):  # a parameter that the case has no value for
        def __init__(self, D, H, O, nonlinearity):
            super().__init__()
            self.rnn, self.fc = torch.nn.RNN(D, H), torch.nn.Linear(H, O)
            self.gain = torch.nn.Parameter(torch.ones(1))

    with pytest.raises(ValueError, match=r"expected one linear head.*\(2, 3\).*got weight_ih_l1"):
        TORCH.wrap((two_layers,), {})(**case)
    with pytest.raises(ValueError, match=r"nn\.RNN's parameters and a linear head, got also gain"):
        TORCH.wrap((Gained,), {})(**case)


def test_torch_names_a_factory_or_an_output_it_cannot_use() -> None:
    module = load_example("torch_rnn")
    case = canonical_case(12, 3, 2, 2, 3, 2)

    class LastStepOnly(module.ElmanRNN):
        def forward(self, xs, h0):
            return super().forward(xs, h0)[-1]

    class AsNNRNN(module.ElmanRNN):  # nn.RNN's (output, h_n) pair
        def forward(self, xs, h0):
            return super().forward(xs, h0), h0

    with pytest.raises(TypeError, match=r"torch make: expected an nn\.Module, got function"):
        TORCH.wrap((lambda D, H, O, phi: module.make,), {})(**case)
    with pytest.raises(ValueError, match=r"\(T, B, O\) = \(3, 2, 2\), got \(2, 2\)"):
        TORCH.wrap((LastStepOnly,), {})(**case)
    with pytest.raises(ValueError, match=r"\(T, B, O\) = \(3, 2, 2\), got tuple"):
        TORCH.wrap((AsNNRNN,), {})(**case)


def test_torch_runs_in_float32_under_dtype_float32() -> None:
    """float32 has a unit roundoff of 6.0e-8: sums of at most T * B = 12 products of order 1
    round to a few tens of it, and the float64 truth of the float32 case differs by no more,
    so 1e-4 (~1700 units) bounds the difference with a wide margin; a wrong term is of
    order 1."""
    case = canonical_case(13, 4, 3, 3, 4, 2)
    for name in ("xs", "h0", "weights", "targets"):
        case[name] = case[name].astype(np.float32)
    case["params"] = {k: v.astype(np.float32) for k, v in case["params"].items()}
    out = TORCH.wrap((load_example("torch_rnn").make,), {})(**case)
    assert {out[k].dtype for k in FULL_RESULT - {"loss"}} == {np.dtype(np.float32)}
    ours = truth(case)
    for name in FULL_RESULT:
        assert relative_error(out[name], ours[name]) < 1e-4, name


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (Scope(activations=("tanh", "sigmoid")), "activation: expected tanh or relu"),
        (Scope(bptt=Bptt("chunk", 2)), "bptt: expected full"),
        (Scope(reduction="batch-mean"), "reduction: expected sum"),
    ],
)
def test_torch_restrict_refuses_what_nn_rnn_cannot_do(scope, message) -> None:
    with pytest.raises(ValueError, match=message):
        TORCH.restrict(scope, {})


def test_torch_restrict_draws_tanh_and_relu() -> None:
    scope = TORCH.restrict(Scope(), {})
    assert (scope.activations, scope.bptt) == (("tanh", "relu"), Bptt("full"))


# -- column -----------------------------------------------------------------------------

COLUMN = conventions.CONVENTIONS["column"]
COLUMN_RESULT = {"loss", "W_xh", "W_hh", "b_h", "W_hy", "b_y"}


@given(
    seed=sizes["seed"],
    T=sizes["T"],
    D=st.integers(2, 5),
    H=sizes["H"],
    O=st.integers(2, 5),
    form=st.sampled_from(["lossFun", "loss_and_gradients"]),
)
def test_column_char_rnn_agrees_in_both_forms(seed, T, D, H, O, form) -> None:
    case = canonical_case(
        seed, T, 1, D, H, O, loss="softmax_ce", one_hot_inputs=True, weights="ones"
    )
    module = load_example("column_rnn")
    before = {name: getattr(module, name) for name in ("Wxh", "Whh", "Why", "bh", "by")}
    assert_agrees(COLUMN.wrap((getattr(module, form),), {})(**case), case, COLUMN_RESULT)
    for name, value in before.items():  # the module's own weights are back in place
        assert getattr(module, name) is value, name


@given(seed=sizes["seed"], T=sizes["T"], D=sizes["D"], H=sizes["H"], O=sizes["D"])
def test_column_many_to_one_mse_agrees(seed, T, D, H, O) -> None:
    case = canonical_case(seed, T, 1, D, H, O, loss="mse")
    case["weights"] = np.zeros((T, 1))
    case["weights"][-1] = 1.0  # the last step only
    module = load_example("column_mse_rnn")
    fn = COLUMN.wrap((module.loss_and_gradients,), {"inputs": "columns"})
    assert_agrees(fn(**case), case, COLUMN_RESULT)


# The classic script's lossFun reads vocab_size (for the one-hot) and hidden_size.
CLASSIC = """
vocab_size, hidden_size = 65, 100
Wxh = Whh = Why = bh = by = None

def lossFun(inputs, targets, hprev):
    assert Wxh.shape == (hidden_size, vocab_size) and Why.shape == (vocab_size, hidden_size)
    params = {"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh, "by": by}
    return loss_and_gradients(params, inputs, targets, hprev)
"""


def test_column_sets_the_sizes_the_function_reads() -> None:
    classic = types.ModuleType("classic")
    classic.loss_and_gradients = load_example("column_rnn").loss_and_gradients
    exec(CLASSIC, classic.__dict__)
    fn = COLUMN.wrap((classic.lossFun,), {})
    case = canonical_case(7, 4, 1, 3, 5, 3, loss="softmax_ce", one_hot_inputs=True)
    case["weights"] = np.ones((4, 1))
    assert_agrees(fn(**case), case, COLUMN_RESULT)
    assert (classic.vocab_size, classic.hidden_size, classic.Wxh) == (65, 100, None)
    other = canonical_case(7, 4, 1, 3, 5, 4, loss="softmax_ce", one_hot_inputs=True)
    with pytest.raises(NotImplementedError, match="D = 3, O = 4"):
        fn(**other)


@pytest.mark.parametrize(
    ("example", "broken", "wrong"),
    [
        # the carried term not multiplied by W_hh^T
        ("column_rnn", ("dh_next = Whh.T @ da", "dh_next = Whh @ da"), {"W_xh", "W_hh", "b_h"}),
        # the softmax gradient without the one-hot
        ("column_rnn", ("dy[targets[t]] -= 1.0", "pass"), {"W_hy", "b_y"}),
        # tanh' taken at h_{t-1} instead of h_t: an off-by-one in the states' index
        (
            "column_mse_rnn",
            ("da = (1.0 - hs[t + 1] ** 2) * dh", "da = (1.0 - hs[t] ** 2) * dh"),
            {"W_xh", "W_hh", "b_h"},
        ),
    ],
)
def test_column_catches_a_broken_copy(example, broken, wrong) -> None:
    module = load_example(example, broken)
    if example == "column_rnn":
        case = canonical_case(8, 5, 1, 3, 4, 3, loss="softmax_ce", one_hot_inputs=True)
        case["weights"] = np.ones((5, 1))
        fn = COLUMN.wrap((module.lossFun,), {})
    else:
        case = canonical_case(8, 5, 1, 2, 4, 1)
        case["weights"] = np.eye(5)[-1][:, None]
        fn = COLUMN.wrap((module.loss_and_gradients,), {"inputs": "columns"})
    errors = disagreements(fn(**case), case)
    assert wrong <= set(errors), f"expected {wrong} to disagree, got {errors}"


def test_column_restrict_fixes_one_sequence_and_the_loss_of_its_inputs() -> None:
    assert COLUMN.restrict(Scope(bptt=Bptt("window", 5)), {}) == Scope(
        losses=("softmax_ce",),
        weights="ones",
        bptt=Bptt("window", 5),
        batch_one=True,
        one_hot_inputs=True,
    )
    scope = COLUMN.restrict(Scope(weights="last"), {"inputs": "columns"})
    assert (scope.losses, scope.weights, scope.one_hot_inputs) == (("mse",), "last", False)


@pytest.mark.parametrize(
    ("scope", "options", "message"),
    [
        (Scope(losses=("mse",)), {}, "loss: expected softmax_ce"),
        (Scope(weights="mask"), {}, "weights: expected ones or last"),
        (Scope(bptt=Bptt("chunk")), {}, "bptt: expected full, window:K or chunk:K with a fixed"),
        (Scope(), {"inputs": "one-hot"}, "inputs: expected one of ids, columns"),
        (Scope(), {"names": "xyz"}, "names: expected one of Wxh, UVW"),
    ],
)
def test_column_restrict_refuses_what_it_cannot_express(scope, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        COLUMN.restrict(scope, options)


def test_column_names_a_wrong_signature_and_a_wrong_result() -> None:
    with pytest.raises(TypeError, match="got 2 parameters"):
        COLUMN.wrap((lambda inputs, targets: None,), {})
    case = canonical_case(9, 3, 1, 2, 2, 2, loss="softmax_ce", one_hot_inputs=True)
    fn = COLUMN.wrap((lambda params, inputs, targets, hprev: (1.0, 2.0),), {})
    with pytest.raises(TypeError, match=r"expected \(loss, dWxh.*got a tuple of 2"):
        fn(**case)


# -- the adapter recipe -----------------------------------------------------------------

CANONICAL = conventions.CONVENTIONS["canonical"]


@given(**sizes, O=sizes["H"])
def test_adapter_example_agrees(seed, T, B, D, H, O) -> None:
    case = canonical_case(seed, T, B, D, H, O)
    fn = CANONICAL.wrap((load_example("adapter").canonical,), {})
    assert_agrees(fn(**case), case, COLUMN_RESULT | {"xs"})


def test_adapter_example_is_under_15_lines() -> None:
    source = (EXAMPLES / "adapter.py").read_text(encoding="utf-8")
    adapter = source[source.index("def canonical(") :].strip().splitlines()
    assert len(adapter) < 15, f"the adapter has {len(adapter)} lines"


@pytest.mark.parametrize(
    ("broken", "wrong"),
    [
        # the bias gradient not summed over the batch (nor, here, accumulated over time)
        (('g["bh"] += da.sum(axis=0)', 'g["bh"] = da[0]'), {"b_h"}),
        # the input gradient through W_hh instead of W_xh (H = D in the case below)
        (('g["X"][:, t] = da @ self.Wx.T', 'g["X"][:, t] = da @ self.Wh.T'), {"xs"}),
    ],
)
def test_adapter_catches_a_broken_copy(broken, wrong) -> None:
    module = load_example("adapter", broken)
    case = canonical_case(10, 5, 3, 4, 4, 2)
    errors = disagreements(CANONICAL.wrap((module.canonical,), {})(**case), case)
    assert wrong <= set(errors), f"expected {wrong} to disagree, got {errors}"


# -- every convention -------------------------------------------------------------------


def wrapped_examples() -> dict[str, tuple]:
    """For each convention, a wrapped example and a case inside its scope."""
    layer_rnn, column_rnn = load_example("layer_rnn"), load_example("column_rnn")
    ids = canonical_case(14, 4, 1, 3, 3, 3, loss="softmax_ce", one_hot_inputs=True)
    ids["weights"] = np.ones((4, 1))
    return {
        "layer": (
            LAYER.wrap((layer_rnn.forward, layer_rnn.backward), {}),
            canonical_case(14, 4, 2, 3, 3, 3, identity_readout=True),
        ),
        "column": (COLUMN.wrap((column_rnn.lossFun,), {}), ids),
        "torch": (
            TORCH.wrap((load_example("torch_rnn").make,), {}),
            canonical_case(14, 4, 2, 3, 3, 2, loss="softmax_ce"),
        ),
        "canonical": (
            CANONICAL.wrap((load_example("adapter").canonical,), {}),
            canonical_case(14, 4, 2, 3, 3, 2),
        ),
    }


def snapshot(case: dict) -> dict:
    """Copies of every array of a case, and of its spec."""
    copies = {f"params.{k}": v.copy() for k, v in case["params"].items()}
    copies |= {k: v.copy() for k, v in case.items() if isinstance(v, np.ndarray)}
    return {**copies, "spec": dict(case["spec"])}


@pytest.mark.parametrize("name", ["layer", "column", "torch", "canonical"])
def test_an_adapter_mutates_no_argument_and_answers_twice_alike(name) -> None:
    fn, case = wrapped_examples()[name]
    before = snapshot(case)
    for a in [*case["params"].values(), *(v for v in case.values() if hasattr(v, "flags"))]:
        a.flags.writeable = False  # a write raises; a warning about it is an error here
    first, second = fn(**case), fn(**case)
    after = snapshot(case)
    assert after["spec"] == before.pop("spec")
    for k, v in before.items():
        np.testing.assert_array_equal(after[k], v, err_msg=f"{k} was changed")
    assert first.keys() == second.keys()
    for k in first:
        np.testing.assert_array_equal(first[k], second[k], err_msg=f"{k} differs")


@pytest.mark.parametrize("name", ["layer", "column", "torch"])
def test_an_adapter_lets_not_implemented_through(name) -> None:
    def refuse(*args, **kwargs):
        raise NotImplementedError("only tanh")

    functions = {"layer": (refuse, refuse), "column": (lambda p, i, t, h: refuse(),)}
    functions["torch"] = (refuse,)
    fn = conventions.CONVENTIONS[name].wrap(functions[name], {})
    with pytest.raises(NotImplementedError, match="only tanh"):
        fn(**wrapped_examples()[name][1])


def test_column_names_uvw_in_the_dict_form() -> None:
    module = load_example("column_mse_rnn")

    def loss_and_gradients(params, inputs, targets, hprev):  # the example, with a dict
        saved = {k: getattr(module, k) for k in params}
        vars(module).update(params)
        try:
            return module.loss_and_gradients(inputs, targets, hprev)
        finally:
            vars(module).update(saved)

    case = canonical_case(15, 5, 1, 2, 3, 2)
    case["weights"] = np.eye(5)[-1][:, None]
    fn = COLUMN.wrap((loss_and_gradients,), {"inputs": "columns", "names": "UVW"})
    assert_agrees(fn(**case), case, COLUMN_RESULT)
