"""``rnn_ref.optim``: the update equations by hand, the clipping semantics, no mutation.

- SGD and Adam: one and two steps against the equations of their docstrings, computed
  entry by entry with Python floats, so the check shares no code with the vectorised
  implementation.
- Clipping: element-wise clipping moves exactly the entries beyond c; global-norm
  clipping keeps the direction and brings the joint norm to c, and does nothing below c.
- No argument is ever modified, and results never share memory with an argument.
- Bad hyperparameters and mismatched gradients raise errors that name the argument.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math

import numpy as np
import pytest

import rnn_ref
from rnn_ref import Adam, AdamState, Params, SGDState

H, D, O = 3, 2, 2


def params_and_grads(seed: int = 0, scale: float = 1.0) -> tuple[Params, Params]:
    rng = np.random.default_rng(seed)
    shapes = [(H, D), (H, H), (H,), (O, H), (O,)]
    params = Params(*(rng.normal(size=s) for s in shapes))
    grads = Params(*(scale * rng.normal(size=s) for s in shapes))
    return params, grads


def entries(p: Params) -> list[float]:
    return [float(x) for a in p.arrays() for x in np.ravel(a)]


def assert_same(before: Params, after: Params, name: str) -> None:
    for field in Params.FIELDS:
        a, b = getattr(before, field), getattr(after, field)
        assert a.tobytes() == b.tobytes(), f"{name}.{field} changed"


def shares_memory(result: Params, *arguments: Params) -> bool:
    return any(
        np.shares_memory(r, a) for r in result.arrays() for arg in arguments for a in arg.arrays()
    )


# SGD --------------------------------------------------------------------------------------


def test_sgd_one_step_is_theta_minus_lr_times_g():
    params, grads = params_and_grads()
    opt = rnn_ref.SGD(lr=0.1)
    new, state = opt.update(params, grads, opt.init(params))
    expected = [p - 0.1 * g for p, g in zip(entries(params), entries(grads), strict=True)]
    assert entries(new) == pytest.approx(expected, rel=1e-15, abs=1e-15)
    assert state == SGDState(step=1)


def test_sgd_lr_argument_overrides_for_one_step():
    params, grads = params_and_grads()
    opt = rnn_ref.SGD(lr=0.1)
    new, _ = opt.update(params, grads, opt.init(params), lr=0.5)
    expected = [p - 0.5 * g for p, g in zip(entries(params), entries(grads), strict=True)]
    assert entries(new) == pytest.approx(expected, rel=1e-15, abs=1e-15)


# Adam -------------------------------------------------------------------------------------


def adam_by_hand(theta, gs, lr, b1, b2, eps):
    """Algorithm 1 of Kingma and Ba for one scalar entry, over the gradients ``gs``."""
    m = v = 0.0
    for t, g in enumerate(gs, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta, m, v


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.8, 0.99), (0.0, 0.5)])
def test_adam_two_steps_match_the_equations(betas):
    params, g1 = params_and_grads(seed=1)
    _, g2 = params_and_grads(seed=2, scale=3.0)
    opt = Adam(lr=0.05, beta1=betas[0], beta2=betas[1], eps=1e-8)
    state = opt.init(params)
    step1, state = opt.update(params, g1, state)
    step2, state = opt.update(step1, g2, state)
    by_hand = [
        adam_by_hand(p, [a, b], 0.05, *betas, 1e-8)
        for p, a, b in zip(entries(params), entries(g1), entries(g2), strict=True)
    ]
    assert entries(step2) == pytest.approx([h[0] for h in by_hand], rel=1e-13, abs=1e-15)
    assert entries(state.m) == pytest.approx([h[1] for h in by_hand], rel=1e-13, abs=1e-15)
    assert entries(state.sqrt_v) == pytest.approx(
        [math.sqrt(h[2]) for h in by_hand], rel=1e-13, abs=1e-15
    )
    assert state.step == 2


def test_adam_first_step_moves_every_entry_by_about_lr():
    """With bias correction, m_hat / sqrt(v_hat) = g / |g| at t = 1: a step of lr."""
    params, grads = params_and_grads(seed=3)
    opt = Adam(lr=0.01)
    new, _ = opt.update(params, grads, opt.init(params))
    moves = np.array(entries(params)) - np.array(entries(new))
    assert moves == pytest.approx(0.01 * np.sign(entries(grads)), rel=1e-6)


def test_adam_init_is_step_zero_with_zero_moments():
    params, _ = params_and_grads()
    state = Adam().init(params)
    assert state.step == 0
    assert all(not a.any() for a in (*state.m.arrays(), *state.sqrt_v.arrays()))
    assert [a.shape for a in state.m.arrays()] == [a.shape for a in params.arrays()]


# Clipping ---------------------------------------------------------------------------------


def test_clip_elementwise_moves_only_the_entries_beyond_c():
    _, grads = params_and_grads(scale=2.0)
    clipped = rnn_ref.clip_elementwise(grads, 1.5)
    for g, c in zip(entries(grads), entries(clipped), strict=True):
        assert c == (g if abs(g) <= 1.5 else math.copysign(1.5, g))


def test_clip_global_norm_keeps_the_direction_and_brings_the_norm_to_c():
    _, grads = params_and_grads(scale=5.0)
    norm = math.sqrt(sum(g * g for g in entries(grads)))
    assert rnn_ref.global_norm(grads) == pytest.approx(norm, rel=1e-14)
    clipped = rnn_ref.clip_global_norm(grads, 1.0)
    assert rnn_ref.global_norm(clipped) == pytest.approx(1.0, rel=1e-14)
    assert entries(clipped) == pytest.approx([g / norm for g in entries(grads)], rel=1e-14)


def test_clip_global_norm_below_the_threshold_changes_nothing():
    _, grads = params_and_grads()
    clipped = rnn_ref.clip_global_norm(grads, rnn_ref.global_norm(grads) * 1.01)
    assert entries(clipped) == entries(grads)


def test_cosine_decay_falls_from_lr_towards_zero():
    assert rnn_ref.cosine_decay(0.1, 1, 10) == 0.1
    assert rnn_ref.cosine_decay(0.1, 6, 10) == pytest.approx(0.05)
    rates = [rnn_ref.cosine_decay(0.1, t, 10) for t in range(1, 11)]
    assert all(a > b > 0 for a, b in itertools.pairwise(rates))


# No mutation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda p, g: rnn_ref.SGD(0.1).update(p, g, SGDState())[0],
        lambda p, g: Adam(0.1).update(p, g, Adam().init(p))[0],
        lambda p, g: rnn_ref.clip_elementwise(g, 0.5),
        lambda p, g: rnn_ref.clip_global_norm(g, 0.5),
        lambda p, g: rnn_ref.clip_global_norm(g, 1e9),  # below the threshold: still a copy
    ],
    ids=["sgd", "adam", "clip_elementwise", "clip_global_norm", "clip_global_norm_below"],
)
def test_nothing_passed_in_changes_and_results_are_new_arrays(call):
    params, grads = params_and_grads()
    before_p, before_g = copy.deepcopy(params), copy.deepcopy(grads)
    result = call(params, grads)
    assert_same(before_p, params, "params")
    assert_same(before_g, grads, "grads")
    assert not shares_memory(result, params, grads)


def test_adam_does_not_modify_its_state():
    params, grads = params_and_grads()
    opt = Adam(0.1)
    state = opt.update(params, grads, opt.init(params))[1]
    before = copy.deepcopy(state)
    _, new_state = opt.update(params, grads, state)
    assert state.step == before.step
    assert_same(before.m, state.m, "state.m")
    assert_same(before.sqrt_v, state.sqrt_v, "state.sqrt_v")
    assert not shares_memory(new_state.m, state.m, state.sqrt_v)


def test_optimisers_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Adam().lr = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        AdamState(0, *params_and_grads()).step = 3  # type: ignore[misc]


# Errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: rnn_ref.SGD(lr=0.0), ValueError, r"^lr: expected a finite number > 0, got 0"),
        (lambda: rnn_ref.SGD(lr=float("nan")), ValueError, r"^lr: expected"),
        (lambda: Adam(lr="0.1"), TypeError, r"^lr: expected a real number"),
        (lambda: Adam(beta1=1.0), ValueError, r"^beta1: expected a number in \[0, 1\)"),
        (lambda: Adam(beta2=-0.1), ValueError, r"^beta2: expected"),
        (lambda: Adam(eps=0), ValueError, r"^eps: expected"),
        (lambda: rnn_ref.clip_elementwise(params_and_grads()[1], -1), ValueError, r"^limit:"),
        (lambda: rnn_ref.clip_global_norm(params_and_grads()[1], 0), ValueError, r"^max_norm:"),
        (lambda: rnn_ref.clip_global_norm((1, 2), 1.0), TypeError, r"^grads: expected"),
        (lambda: rnn_ref.cosine_decay(0.1, 11, 10), ValueError, r"^step: expected"),
    ],
)
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_gradients_of_another_shape_are_rejected():
    params, grads = params_and_grads()
    wrong = dataclasses.replace(grads, W_hh=np.zeros((H + 1, H + 1)))
    with pytest.raises(ValueError, match=r"^grads\.W_hh: expected shape \(3, 3\) like params"):
        rnn_ref.SGD(0.1).update(params, wrong, SGDState())
    with pytest.raises(
        TypeError, match=r"^state: expected an AdamState from Adam\.init, got SGDState"
    ):
        Adam().update(params, grads, SGDState())
    with pytest.raises(
        TypeError, match=r"^state: expected an SGDState from SGD\.init, got AdamState"
    ):
        rnn_ref.SGD(0.1).update(params, grads, Adam().init(params))
    nan = dataclasses.replace(grads, b_y=np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"^grads\.b_y: expected finite values"):
        Adam().update(params, nan, Adam().init(params))


def test_a_training_step_with_exact_gradients_lowers_the_loss():
    """The optimisers and rnn_ref.gradients together: one small step goes downhill."""
    rng = np.random.default_rng(0)
    params = rnn_ref.init_params(D, H, O, seed=0)
    xs, targets = rng.normal(size=(5, 4, D)), rng.normal(size=(5, 4, O))
    for opt in (rnn_ref.SGD(lr=1e-3), Adam(lr=1e-3)):
        g = rnn_ref.gradients(params, xs, targets)
        new, _ = opt.update(params, g.params, opt.init(params))
        assert rnn_ref.loss(new, xs, targets) < g.loss
