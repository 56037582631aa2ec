"""Fault cases: numbers that must never be silently wrong, and the checks that guard them.

Each case is marked ``fault`` (``docs/reliability.md`` counts them) and asserts either the
right number or the exact message.

Reference values come from Python's ``decimal`` at 60 significant digits, from the float64
inputs taken exactly, so they share no arithmetic with ``rnn_ref.optim``; ``float()`` of a
``Decimal`` rounds correctly, to 0 or inf where float64 ends. Tolerances count roundings of
u = 2**-53 (about 1.1e-16):

- A norm of n entries: n squares and n - 1 additions of positive terms, each within u, then a
  square root that halves that and adds one rounding: at most (n/2 + 1) u. Scaling by a
  power of two is exact.
- Clipped entries: the norm's error, then f_c / n and one product: (n/2 + 3) u.
- Adam, one or two steps from theta = 0 with gradients of one sign (no cancellation): per
  step three roundings in m_t, five in sqrt(v_t), then six in the step itself; about 20 u in
  all, and we allow 32 u. The betas of the two-step cases are dyadic (0.75, 0.9375), so that
  the bias corrections 1 - beta^t are exact in float64 too: their cancellation is a property
  of the textbook formula, not of overflow, and would otherwise dominate the bound.

A result in float64's subnormal range carries an absolute error of one step of that range,
2**-1074, on top: the reference is rounded to the same grid.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal

import numpy as np
import pytest

import rnn_ref
from rnn_ref import Params

pytestmark = pytest.mark.fault

U = 2.0**-53
TINY = 2.0**-1074
BIGGEST = float(np.finfo(np.float64).max)
EXACT = Context(prec=60)
H, D, O = 3, 2, 2
SHAPES = [(H, D), (H, H), (H,), (O, H), (O,)]
N = sum(math.prod(s) for s in SHAPES)  # 26 entries


def filled(*values: float) -> Params:
    """Params of the five shapes whose entries cycle through ``values``."""
    cycle = np.resize(np.array(values, dtype=np.float64), N)
    arrays, start = [], 0
    for shape in SHAPES:
        size = math.prod(shape)
        arrays.append(cycle[start : start + size].reshape(shape))
        start += size
    return Params(*arrays)


def entries(p: Params) -> list[float]:
    return [float(x) for a in p.arrays() for x in np.ravel(a)]


def exact_norm(gs: list[float]) -> Decimal:
    squares = [EXACT.multiply(g, g) for g in map(Decimal, gs)]
    total = Decimal(0)
    for square in squares:
        total = EXACT.add(total, square)
    return EXACT.sqrt(total)


def close(ours: float, exact: Decimal, roundings: float) -> bool:
    return math.isclose(ours, float(exact), rel_tol=roundings * U, abs_tol=TINY)


CASES = {
    "1e-200": (1e-200,),
    "1e160": (1e160, -2e160),
    "1e200": (1e200, 3e199),
    "1e300": (-1e300, 1e300, 5e299),
    "biggest": (BIGGEST, -BIGGEST / 3),
    "mixed": (1e300, -1e-300, 0.0, 7.0, -1e200, 1e-20),
    "subnormal": (5e-324, -1e-310),
    "zeros": (0.0,),
}


@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_global_norm_is_right_for_every_finite_gradient(values):
    grads = filled(*values)
    exact = exact_norm(entries(grads))
    ours = rnn_ref.global_norm(grads)
    # inf only where the norm itself is beyond float64 (the "biggest" case)
    assert close(ours, exact, N / 2 + 1), (ours, exact)


@pytest.mark.parametrize("max_norm", [1.0, 1e-300, 1e300])
@pytest.mark.parametrize("values", CASES.values(), ids=CASES.keys())
def test_clip_global_norm_is_right_for_every_finite_gradient(values, max_norm):
    grads = filled(*values)
    gs = entries(grads)
    norm = exact_norm(gs)
    clipped = entries(rnn_ref.clip_global_norm(grads, max_norm))
    if norm <= Decimal(max_norm):
        assert clipped == gs
        return
    for ours, g in zip(clipped, gs, strict=True):
        exact = EXACT.divide(EXACT.multiply(Decimal(g), Decimal(max_norm)), norm)
        assert close(ours, exact, N / 2 + 3), (g, ours, exact)


def adam_exact(gs: list[float], lr: float, b1: float, b2: float, eps: float) -> Decimal:
    """Algorithm 1 of Kingma and Ba for one entry from theta = 0, in 60-digit decimals."""
    lr, b1, b2, eps = map(Decimal, (lr, b1, b2, eps))
    theta = m = v = Decimal(0)
    for t, g in enumerate(map(Decimal, gs), start=1):
        m = EXACT.add(EXACT.multiply(b1, m), EXACT.multiply(1 - b1, g))
        v = EXACT.add(EXACT.multiply(b2, v), EXACT.multiply(1 - b2, EXACT.multiply(g, g)))
        m_hat = EXACT.divide(m, 1 - EXACT.power(b1, t))
        v_hat = EXACT.divide(v, 1 - EXACT.power(b2, t))
        step = EXACT.divide(EXACT.multiply(lr, m_hat), EXACT.add(EXACT.sqrt(v_hat), eps))
        theta = EXACT.subtract(theta, step)
    return theta


ADAM_CASES = {
    # name: (gradients of step 1, of step 2 or None, lr, beta1, beta2, eps)
    "1e200": ((1e200, 3e199), None, 0.1, 0.9, 0.999, 1e-8),
    "1e300": ((1e300, -1e300), None, 0.1, 0.9, 0.999, 1e-8),
    "biggest": ((BIGGEST, -BIGGEST), None, 0.1, 0.9, 0.999, 1e-8),
    "1e-200, eps 1e-8": ((1e-200, -3e-200), None, 0.1, 0.9, 0.999, 1e-8),
    "1e-200, eps 1e-300": ((1e-200, -3e-200), None, 0.1, 0.9, 0.999, 1e-300),
    "mixed": ((1e300, -1e-300, 0.0, 7.0, -1e160, 1e-20), None, 0.01, 0.9, 0.999, 1e-12),
    "zeros": ((0.0,), None, 0.1, 0.9, 0.999, 1e-8),
    "two steps 1e300 then 1e-300": ((1e300, -2e300), (1e-300, -1e-300), 0.1, 0.75, 0.9375, 1e-8),
    "two steps 1e-300 then 1e300": ((1e-300, -1e-300), (1e300, -2e300), 0.1, 0.75, 0.9375, 1e-8),
    "two steps 1e160 then 1e200": ((1e160, 2e160), (1e200, 3e200), 0.1, 0.75, 0.9375, 1e-300),
}


@pytest.mark.parametrize("case", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_is_right_for_every_finite_gradient(case):
    first, second, lr, b1, b2, eps = case
    opt = rnn_ref.Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    steps = [filled(*first)] + ([filled(*second)] if second else [])
    params = filled(0.0)
    state = opt.init(params)
    for grads in steps:
        params, state = opt.update(params, grads, state)
    per_entry = zip(*(entries(g) for g in steps), strict=True)
    for ours, gs in zip(entries(params), per_entry, strict=True):
        exact = adam_exact(list(gs), lr, b1, b2, eps)
        assert close(ours, exact, 32), (gs, ours, exact)
    assert all(np.isfinite(a).all() for a in state.sqrt_v.arrays())


def test_adam_state_holds_the_root_of_the_second_moment():
    """sqrt_v of a 1e200 gradient is sqrt(1 - beta2) 1e200, where v itself would be 1e400."""
    beta2, g = 0.999, 1e200  # Decimal of a float: its exact binary value
    opt = rnn_ref.Adam(beta2=beta2)
    _, state = opt.update(filled(0.0), filled(g), opt.init(filled(0.0)))
    exact = EXACT.multiply(EXACT.sqrt(1 - Decimal(beta2)), Decimal(g))
    assert all(close(r, exact, 4) for r in entries(state.sqrt_v))


@pytest.mark.parametrize(
    "name, optimizer",
    [("SGD", rnn_ref.SGD(lr=1e10)), ("Adam", rnn_ref.Adam(lr=1e308))],
    ids=["sgd", "adam"],
)
def test_an_update_beyond_float64_raises_instead_of_returning_inf(name, optimizer):
    params = filled(1e300)
    with pytest.raises(
        FloatingPointError,
        match=rf"^{name}\.update: expected new parameters within float64's range "
        r"\(\|x\| <= 1\.8e308\), got an overflow",
    ):
        optimizer.update(params, filled(-1e300), optimizer.init(params))


def test_a_negative_root_in_a_hand_built_adam_state_is_refused():
    params = filled(0.0)
    state = rnn_ref.Adam().init(params)
    bad = rnn_ref.AdamState(step=1, m=state.m, sqrt_v=filled(1.0, -2.0))
    with pytest.raises(
        ValueError, match=r"^state\.sqrt_v\.W_xh: expected square roots >= 0, got -2\.0$"
    ):
        rnn_ref.Adam().update(params, filled(1.0), bad)
