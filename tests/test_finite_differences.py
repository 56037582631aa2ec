"""rnn_ref.gradients against central finite differences of the contract's surrogate losses.

The oracle is ``verification.surrogate``: the surrogate of each truncation mode written out
with explicit loops, its held states anchored at the point of differentiation, so that its
finite differences are the truncated gradient the contract defines (see that module's docstring).

The grid is deterministic: every activation x loss x truncation (full, window(k), chunk(k)
for k in {1, 2, T-1, T, T+2}) on four small cases that cover T = 1, B = 1, non-uniform
weights with zero-weight padding (NaN / -1 targets there), many-to-one weights and a nonzero
h0. Every quantity is compared: the five parameter gradients, dL/dxs, dL/dh0, and the loss.

Run this file as a script to print the worst relative error per truncation mode over the
grid:  ``python tests/test_finite_differences.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import relative_error, uniform_params

import rnn_ref
from rnn_ref import Params, Spec
from verification.surrogate import finite_differences, forward_states, surrogate_loss

# Tolerance. With the step h ~ 7.6e-6 of verification.surrogate, a central difference is
# off by h^2 |f'''| / 6 (truncation, ~1e-11 for unit-sized third derivatives) plus about
# u |L| / h (round-off: each surrogate value is exact to a few ulps of |L|, u ~ 1.1e-16,
# so ~1.5e-11 |L| per ulp). Our cases have |L| <= ~20 and derivatives of order 0.1..10, so
# the expected error is 1e-10..1e-9 of a quantity's scale; the measured worst over the
# grid is 2.0e-8 (``python tests/test_finite_differences.py``; it is an absolute error of
# 1.4e-11 on a dL/dh0 of scale 7e-4, sigmoid, many-to-one). 1e-6 leaves a margin of 50x
# over the measurement and is still far below what a wrong term in a gradient gives (a
# missing or extra path through W_hh changes a gradient at the 1e-3..1e0 level).
RTOL = 1e-6

# The denominator's floor. A quantity that the surrogate does not depend on at all (dL/dh0
# under window(k) when every weighted term is past step k) has finite differences that
# are exactly 0, because both perturbed surrogates are the same sum of the same numbers;
# rnn_ref must then return exactly 0 too, so no larger floor is needed.

# relu is not differentiable at 0: a central difference straddling the kink is wrong. The
# steps move any pre-activation by ~1e-5 at most, so a margin of 1e-3 keeps every
# difference on one side of the kink.
RELU_MARGIN = 1e-3

QUANTITIES = (*Params.FIELDS, "xs", "h0")

# name: (T, B, D, H, O, weights pattern, nonzero h0)
CASES = {
    "basic": (5, 2, 2, 3, 3, "random_with_padding", True),
    "T1": (1, 2, 3, 2, 3, "ones", True),
    "B1_many_to_one": (4, 1, 2, 3, 2, "last_step", True),
    "var_length": (5, 3, 2, 2, 3, "lengths", False),
}
ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")


def truncations(T: int) -> list[tuple[int | None, str]]:
    """full, then window(k) and chunk(k) for k in {1, 2, T-1, T, T+2} (k >= 1)."""
    ks = sorted({k for k in (1, 2, T - 1, T, T + 2) if k >= 1})
    return [(None, "window")] + [(k, mode) for mode in ("window", "chunk") for k in ks]


def _weights(pattern: str, T: int, B: int, rng: np.random.Generator) -> np.ndarray:
    if pattern == "ones":
        return np.ones((T, B))
    if pattern == "last_step":  # many-to-one
        weights = np.zeros((T, B))
        weights[-1] = 1.0
        return weights
    weights = rng.uniform(0.5, 2.0, size=(T, B))  # non-uniform
    if pattern == "random_with_padding":
        weights[1, 0] = 0.0
        weights[T - 1, 1] = 0.0
    else:  # "lengths": a variable-length batch, sequences of T, 3 and 1 steps
        for b, length in enumerate((T, 3, 1)):
            weights[length:, b] = 0.0
    return weights


def make_case(name: str, activation: str, loss: str, attempt: int = 0):
    """(params, xs, targets, h0, weights) for one case; targets are padding where w = 0."""
    T, B, D, H, O, pattern, nonzero_h0 = CASES[name]
    seed = [*CASES].index(name) * 1000 + ACTIVATIONS.index(activation) * 100
    rng = np.random.default_rng(seed + LOSSES.index(loss) * 10 + attempt)
    params = uniform_params(rng, D, H, O)
    xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
    h0 = rng.uniform(-0.8, 0.8, size=(B, H)) if nonzero_h0 else None
    weights = _weights(pattern, T, B, rng)
    padding = weights == 0
    if loss == "mse":
        targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
        targets[padding] = np.nan  # never read
    else:
        targets = rng.integers(0, O, size=(T, B))
        targets[padding] = -1  # never read
    return params, xs, targets, h0, weights


def relu_check(params, xs, h0) -> tuple[float, bool, bool]:
    """From the oracle's forward run: the smallest |a_t|; whether every step of every
    sequence has an active unit (else the gradient is cut to 0 and the case is vacuous);
    whether some unit is inactive (so relu' = 0 is exercised)."""
    B, H = xs.shape[1], params.W_hh.shape[0]
    _, pre = forward_states(params, xs, np.zeros((B, H)) if h0 is None else h0, "relu")
    return float(np.min(np.abs(pre))), bool((pre > 0).any(axis=-1).all()), bool((pre < 0).any())


def case_for(name: str, activation: str, loss: str):
    """The case; for relu the first seed that keeps RELU_MARGIN and is not degenerate."""
    for attempt in range(100):
        case = make_case(name, activation, loss, attempt)
        margin, alive, some_dead = relu_check(case[0], case[1], case[3])
        if activation != "relu" or (margin > RELU_MARGIN and alive and some_dead):
            return case
    raise AssertionError(f"no relu case for {name} keeps a margin of {RELU_MARGIN}")


def compare(name: str, activation: str, loss: str, k: int | None, mode: str):
    """Run rnn_ref and the oracle on one grid point; return both and the relative errors."""
    params, xs, targets, h0, weights = case_for(name, activation, loss)
    spec = Spec(activation=activation, loss=loss, truncation=k, truncation_mode=mode)
    ours = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)
    fd = finite_differences(params, xs, targets, spec, h0=h0, weights=weights)
    errors = {field: relative_error(getattr(ours.params, field), getattr(fd.params, field))
              for field in Params.FIELDS}  # fmt: skip
    errors["xs"] = relative_error(ours.xs, fd.xs)
    errors["h0"] = relative_error(ours.h0, fd.h0)
    return ours, fd, errors


GRID = [
    pytest.param(
        name,
        activation,
        loss,
        k,
        mode,
        id=f"{name}-{activation}-{loss}-{'full' if k is None else f'{mode}{k}'}",
    )
    for name in CASES
    for activation in ACTIVATIONS
    for loss in LOSSES
    for k, mode in truncations(CASES[name][0])
]


@pytest.mark.parametrize(("name", "activation", "loss", "k", "mode"), GRID)
def test_gradients_match_finite_differences_of_the_surrogate(name, activation, loss, k, mode):
    params, xs, targets, h0, weights = case_for(name, activation, loss)
    config = f"{name}, {activation}, {loss}, truncation={k}, mode={mode}"
    if activation == "relu":
        margin, alive, some_dead = relu_check(params, xs, h0)
        assert margin > RELU_MARGIN, f"{config}: a pre-activation is {margin} from the kink"
        assert alive and some_dead, f"{config}: a degenerate relu case"

    ours, fd, errors = compare(name, activation, loss, k, mode)

    for quantity in QUANTITIES:
        assert errors[quantity] < RTOL, (
            f"dL/d{quantity} ({config}): rnn_ref vs finite differences, relative error "
            f"{errors[quantity]:.3e} >= {RTOL:.0e}"
        )
    # The surrogate at its anchor is L itself, and Gradients.loss is rnn_ref.loss exactly.
    expected = rnn_ref.loss(params, xs, targets, Spec(activation, loss), h0=h0, weights=weights)
    assert ours.loss == expected, f"Gradients.loss != rnn_ref.loss ({config})"
    assert fd.loss == pytest.approx(expected, rel=1e-12, abs=1e-300), f"loss ({config})"


def test_the_oracle_sees_truncation():
    """The three surrogates have different gradients on a case where they should: if the
    oracle ignored truncation, the grid above could not tell the modes apart."""
    params, xs, targets, h0, weights = case_for("basic", "tanh", "mse")
    dW_hh = {
        (k, mode): finite_differences(
            params, xs, targets, Spec(truncation=k, truncation_mode=mode), h0=h0, weights=weights
        ).params.W_hh
        for k, mode in [(None, "window"), (2, "window"), (2, "chunk")]
    }
    values = list(dW_hh.values())
    for i in range(3):
        for j in range(i):
            assert relative_error(values[i], values[j]) > 1e-3, list(dW_hh)[i : j + 1]


def test_the_surrogate_at_a_moved_anchor_is_not_the_loss():
    """The anchor matters: with held states from other parameters the window surrogate
    differs from L (so the finite differences really hold those states fixed)."""
    params, xs, targets, h0, weights = case_for("basic", "tanh", "mse")
    spec = Spec(truncation=2)
    moved = Params(*(2.0 * a for a in params.arrays()))
    at_anchor = surrogate_loss(params, xs, targets, spec, h0=h0, weights=weights)
    moved_anchor = surrogate_loss(params, xs, targets, spec, h0=h0, weights=weights, anchor=moved)
    assert abs(moved_anchor - at_anchor) > 1e-3 * abs(at_anchor)


def main() -> None:
    """Print the worst relative error per truncation mode (and quantity) over the grid."""
    worst: dict[str, tuple[float, str]] = {}
    per_quantity: dict[tuple[str, str], float] = {}
    for param in GRID:
        name, activation, loss, k, mode = param.values
        labels = ["full"] if k is None else [mode]
        if k is not None and k < CASES[name][0]:
            labels.append(f"{mode} k<T")  # the points where the truncation cuts something
        _, _, errors = compare(name, activation, loss, k, mode)
        for label in labels:
            for quantity, error in errors.items():
                key = (label, quantity)
                per_quantity[key] = max(per_quantity.get(key, 0.0), error)
                if error >= worst.get(label, (-1.0, ""))[0]:
                    worst[label] = (error, f"{param.id} dL/d{quantity}")
    print(f"{len(GRID)} grid points; relative error = max|ours - fd| / max(max|fd|, tiny)")
    for label in ("full", "window", "chunk", "window k<T", "chunk k<T"):
        error, where = worst[label]
        print(f"{label:>10}: worst {error:.2e}  at {where}")
        print(" " * 12 + "  ".join(f"{q}={per_quantity[(label, q)]:.1e}" for q in QUANTITIES))


if __name__ == "__main__":
    main()
