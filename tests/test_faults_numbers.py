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

import dataclasses
import json
import math
from decimal import Context, Decimal

import numpy as np
import pytest

import rnn_ref
from rnn_ref import Params, tasks
from rnn_ref.tasks import base
from rnn_ref.tasks.loop import TrainConfig

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
    "two steps 1.5e308 then 1e308": ((1.5e308, -1e308), (1e308, -1.5e308), 0.1, 0.75, 0.9375, 1e-8),
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
        r"\(\|x\| <= 1\.8e308\), got an overflow: lower lr, or clip the gradients$",
    ):
        optimizer.update(params, filled(-1e300), optimizer.init(params))


# Masked arrays: the mask would be ignored, so they are refused ----------------------------

MASKED = (
    "expected a plain array, got a masked array (numpy.ma), whose mask would be ignored; "
    "to leave steps out of the loss, give them weight 0 in weights"
)


def masked(array: np.ndarray) -> np.ma.MaskedArray:
    return np.ma.masked_array(array, mask=np.zeros(np.shape(array), dtype=bool) | True)


def _model(T: int = 4, B: int = 2) -> dict:
    rng = np.random.default_rng(5)
    return {
        "params": filled(0.1, -0.2, 0.3),
        "xs": rng.normal(size=(T, B, D)),
        "h0": rng.normal(size=(B, H)) * 0.1,
        "targets": rng.normal(size=(T, B, O)),
        "ids": np.zeros((T, B), dtype=np.int64),
        "weights": np.ones((T, B)),
    }


def _gradients(**changes) -> object:
    m = _model() | changes
    return rnn_ref.gradients(m["params"], m["xs"], m["targets"], h0=m["h0"], weights=m["weights"])


def _with_field(params: Params, name: str, value) -> Params:
    return Params(**{f: (value if f == name else getattr(params, f)) for f in Params.FIELDS})


def _masked_cases():
    m = _model()
    p = m["params"]
    for field in Params.FIELDS:
        bad = _with_field(p, field, masked(getattr(p, field)))
        yield f"params.{field}", lambda bad=bad: _gradients(params=bad)
    for name in ("xs", "h0", "targets", "weights"):
        yield name, lambda name=name: _gradients(**{name: masked(m[name])})
    yield (
        "targets",
        lambda: rnn_ref.gradients(p, m["xs"], masked(m["ids"]), rnn_ref.Spec(loss="softmax_ce")),
    )
    yield "x_t", lambda: rnn_ref.step_forward(p, masked(m["xs"][0]), m["h0"])
    yield "h_prev", lambda: rnn_ref.step_forward(p, m["xs"][0], masked(m["h0"]))
    _, cache = rnn_ref.step_forward(p, m["xs"][0], m["h0"])
    yield "dh_t", lambda: rnn_ref.step_backward(masked(m["h0"]), cache)
    bad_cache = rnn_ref.StepCache(**{**vars(cache), "h_t": masked(cache.h_t)})
    yield "cache.h_t", lambda: rnn_ref.step_backward(m["h0"], bad_cache)
    bad_grads = _with_field(p, "W_hh", masked(p.W_hh))
    yield "grads.W_hh", lambda: rnn_ref.SGD(0.1).update(p, bad_grads, rnn_ref.SGDState())
    yield "grads.W_hh", lambda: rnn_ref.clip_global_norm(bad_grads, 1.0)
    state = rnn_ref.Adam().init(p)
    bad_state = rnn_ref.AdamState(step=0, m=bad_grads, sqrt_v=state.sqrt_v)
    yield "state.m.W_hh", lambda: rnn_ref.Adam().update(p, p, bad_state)


MASKED_CASES = list(_masked_cases())


@pytest.mark.parametrize(
    "name, call", MASKED_CASES, ids=[f"{i}-{name}" for i, (name, _) in enumerate(MASKED_CASES)]
)
def test_a_masked_array_is_refused_and_weights_are_named_as_the_way_to_mask(name, call):
    with pytest.raises(TypeError) as error:
        call()
    assert str(error.value) == f"{name}: {MASKED}"


# Shapes: the expected one comes from the other arguments, never from the bad array --------


def test_a_transposed_W_xh_is_measured_against_W_hh_and_xs():
    m = _model()  # H = 3, D = 2
    bad = _with_field(m["params"], "W_xh", m["params"].W_xh.T)
    with pytest.raises(ValueError) as error:
        _gradients(params=bad)
    assert str(error.value) == (
        "params.W_xh: expected shape (H, D) = (3, 2) (H from params.W_hh, D from xs), "
        "got (2, 3); is it transposed?"
    )


def test_a_transposed_W_xh_in_step_forward_is_measured_against_x_t():
    m = _model()
    bad = _with_field(m["params"], "W_xh", m["params"].W_xh.T)
    with pytest.raises(ValueError) as error:
        rnn_ref.step_forward(bad, m["xs"][0], m["h0"])
    assert str(error.value) == (
        "params.W_xh: expected shape (H, D) = (3, 2) (H from params.W_hh, D from x_t), "
        "got (2, 3); is it transposed?"
    )


def test_without_inputs_a_transposed_W_xh_leaves_D_open():
    bad = _with_field(filled(0.5), "W_xh", np.ones((D, H)))
    with pytest.raises(ValueError) as error:
        rnn_ref.Adam().init(bad)
    assert str(error.value) == (
        "params.W_xh: expected shape (H, D) = (3, D) (H from params.W_hh), got (2, 3); "
        "is it transposed?"
    )


def test_a_transposed_W_hy_takes_O_from_b_y():
    m = _model()  # H = 3, O = 2
    bad = _with_field(m["params"], "W_hy", m["params"].W_hy.T)
    with pytest.raises(ValueError) as error:
        _gradients(params=bad)
    assert str(error.value) == (
        "params.W_hy: expected shape (O, H) = (2, 3) (O from params.b_y, H from params.W_hh), "
        "got (3, 2); is it transposed?"
    )


def test_a_non_square_W_hh_does_not_invent_H():
    bad = _with_field(filled(0.5), "W_hh", np.ones((H, H + 1)))
    with pytest.raises(ValueError) as error:
        _gradients(params=bad)
    assert str(error.value) == ("params.W_hh: expected a square array of shape (H, H), got (3, 4)")


# step_backward with a hand-built cache ------------------------------------------------------


def _cache_and_dh() -> tuple[rnn_ref.StepCache, np.ndarray]:
    m = _model()
    _, cache = rnn_ref.step_forward(m["params"], m["xs"][0], m["h0"])
    return cache, np.ones((2, H))


def _with_cache(**changes) -> rnn_ref.StepCache:
    cache, _ = _cache_and_dh()
    return rnn_ref.StepCache(**{**vars(cache), **changes})


CACHE_CASES = {
    "nan in h_prev": (
        {"h_prev": np.full((2, H), np.nan)},
        ValueError,
        "cache.h_prev: expected finite values, got nan at index (0, 0)",
    ),
    "inf in W_hh": (
        {"W_hh": np.full((H, H), np.inf)},
        ValueError,
        "cache.W_hh: expected finite values, got inf at index (0, 0)",
    ),
    "nan in x_t": (
        {"x_t": np.full((2, D), np.nan)},
        ValueError,
        "cache.x_t: expected finite values, got nan at index (0, 0)",
    ),
    "nan in h_t": (
        {"h_t": np.full((2, H), np.nan)},
        ValueError,
        "cache.h_t: expected finite values, got nan at index (0, 0)",
    ),
    "1-d h_t": (
        {"h_t": np.zeros(H)},
        ValueError,
        "cache.h_t: expected a 2-d array of shape (B, H), got 1-d shape (3,)",
    ),
    "objects in W_xh": (
        {"W_xh": np.ones((H, D)).astype(object)},
        TypeError,
        "cache.W_xh: expected a real integer or floating array, got an array of dtype object",
    ),
    "strings in a_t": (
        {"a_t": np.full((2, H), "0.5")},
        TypeError,
        "cache.a_t: expected a real integer or floating array, got an array of dtype <U3",
    ),
    "None for h_prev": (
        {"h_prev": None},
        TypeError,
        "cache.h_prev: expected an array, got None",
    ),
    "transposed W_xh": (
        {"W_xh": np.ones((D, H))},
        ValueError,
        "cache.W_xh: expected shape (H, D) = (3, 2) (H from cache.h_t, D from cache.x_t), "
        "got (2, 3)",
    ),
    "x_t of another batch": (
        {"x_t": np.ones((5, D))},
        ValueError,
        "cache.x_t: expected shape (B, D) = (2, 2) (B from cache.h_t), got (5, 2)",
    ),
    "h_t outside tanh's range": (
        {"h_t": np.full((2, H), 1.5)},
        ValueError,
        "cache.h_t: expected values of tanh in [-1, 1], got 1.5 at index (0, 0)",
    ),
    "h_t outside sigmoid's range": (
        {"h_t": np.full((2, H), -0.25), "activation": "sigmoid"},
        ValueError,
        "cache.h_t: expected values of sigmoid in [0, 1], got -0.25 at index (0, 0)",
    ),
    "negative h_t for relu": (
        {"h_t": np.full((2, H), -1.0), "activation": "relu"},
        ValueError,
        "cache.h_t: expected values of relu in [0, inf], got -1.0 at index (0, 0)",
    ),
    "activation not a name": (
        {"activation": 3},
        TypeError,
        "cache.activation: expected one of 'tanh', 'sigmoid', 'relu', got 3 of type int",
    ),
}


@pytest.mark.parametrize("case", CACHE_CASES.values(), ids=CACHE_CASES.keys())
def test_a_hand_built_cache_is_validated(case):
    changes, error, message = case
    _, dh_t = _cache_and_dh()
    with pytest.raises(error) as raised:
        rnn_ref.step_backward(dh_t, _with_cache(**changes))
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "dh_t, error, message",
    [
        (
            np.full((2, H), np.nan),
            ValueError,
            "dh_t: expected finite values, got nan at index (0, 0)",
        ),
        (np.ones(H), ValueError, "dh_t: expected a 2-d array of shape (B, H), got 1-d shape (3,)"),
        (
            np.ones((2, H)).astype(object),
            TypeError,
            "dh_t: expected a real integer or floating array, got an array of dtype object",
        ),
    ],
    ids=["nan", "1-d", "objects"],
)
def test_the_upstream_gradient_is_validated(dh_t, error, message):
    cache, _ = _cache_and_dh()
    with pytest.raises(error) as raised:
        rnn_ref.step_backward(dh_t, cache)
    assert str(raised.value) == message


def test_a_valid_hand_built_cache_gives_the_equations_of_one_step():
    """A cache built by hand from lists (not by step_forward) is accepted and used as is."""
    x_t, h_prev = [[1.0, -2.0]], [[0.5, 0.0, -0.5]]
    W_xh = [[0.1, 0.2], [0.0, -0.3], [0.4, 0.0]]
    W_hh = [[0.0, 0.1, 0.0], [0.2, 0.0, 0.0], [0.0, 0.0, 0.3]]
    a_t = [[-0.3, 0.7, 0.25]]
    h_t = [[math.tanh(a) for a in a_t[0]]]
    cache = rnn_ref.StepCache(x_t, h_prev, a_t, h_t, W_xh, W_hh, "tanh")
    dh_t = [[1.0, -1.0, 2.0]]
    dx_t, dh_prev, grads = rnn_ref.step_backward(dh_t, cache)
    delta = [(1 - h * h) * g for h, g in zip(h_t[0], dh_t[0], strict=True)]
    assert grads.a_t[0].tolist() == pytest.approx(delta, rel=1e-15)
    dx = [sum(delta[i] * W_xh[i][j] for i in range(3)) for j in range(2)]
    assert dx_t[0].tolist() == pytest.approx(dx, rel=1e-15)
    dh = [sum(delta[i] * W_hh[i][j] for i in range(3)) for j in range(3)]
    assert dh_prev[0].tolist() == pytest.approx(dh, rel=1e-15)


# TrainConfig and the task options -------------------------------------------------------------

CONFIG_CASES = {
    "epochs True": (
        {"epochs": True},
        TypeError,
        "config.epochs: expected an integer >= 1, got True of type bool",
    ),
    "epochs 0": ({"epochs": 0}, ValueError, "config.epochs: expected an integer >= 1, got 0"),
    "hidden 2.0": (
        {"hidden": 2.0},
        TypeError,
        "config.hidden: expected an integer >= 1, got 2.0 of type float",
    ),
    "seed -1": ({"seed": -1}, ValueError, "config.seed: expected an integer >= 0, got -1"),
    "truncation 0": (
        {"truncation": 0},
        ValueError,
        "config.truncation: expected None or an integer >= 1, got 0",
    ),
    "batch_size True": (
        {"batch_size": True},
        TypeError,
        "config.batch_size: expected None or an integer >= 1, got True of type bool",
    ),
    "clip inf": (
        {"clip": math.inf},
        ValueError,
        "config.clip: expected None or a finite number > 0, got inf",
    ),
    "clip 0": (
        {"clip": 0.0},
        ValueError,
        "config.clip: expected None or a finite number > 0, got 0.0",
    ),
    "clip text": (
        {"clip": "5"},
        TypeError,
        "config.clip: expected None or a real number > 0, got '5'",
    ),
    "lr nan": ({"lr": math.nan}, ValueError, "config.lr: expected a finite number > 0, got nan"),
    "lr True": ({"lr": True}, TypeError, "config.lr: expected a real number > 0, got True"),
    "betas one": (
        {"betas": (0.9,)},
        ValueError,
        "config.betas: expected a pair (beta1, beta2), got (0.9,)",
    ),
    "betas text": (
        {"betas": "ab"},
        TypeError,
        "config.betas: expected a pair (beta1, beta2) of numbers in [0, 1), got 'ab'",
    ),
    "beta2 1": (
        {"betas": (0.9, 1.0)},
        ValueError,
        "config.betas[1]: expected a number in [0, 1), got 1.0",
    ),
    "activation gelu": (
        {"activation": "gelu"},
        ValueError,
        "config.activation: expected one of 'tanh', 'sigmoid', 'relu', got 'gelu'",
    ),
    "optimizer None": (
        {"optimizer": None},
        TypeError,
        "config.optimizer: expected one of 'sgd', 'adam', got None of type NoneType",
    ),
    "clip_mode typo": (
        {"clip_mode": "global"},
        ValueError,
        "config.clip_mode: expected one of 'elementwise', 'norm', got 'global'",
    ),
}


@pytest.mark.parametrize("case", CONFIG_CASES.values(), ids=CONFIG_CASES.keys())
def test_every_field_of_the_train_config_is_checked(case):
    changes, error, message = case
    with pytest.raises(error) as raised:
        TrainConfig(**changes)
    assert str(raised.value) == message


def test_numpy_scalars_in_the_config_become_python_numbers():
    config = TrainConfig(
        hidden=np.int64(4), epochs=np.int32(2), lr=np.float32(0.5), clip=np.float64(1)
    )
    assert [type(x) for x in (config.hidden, config.epochs, config.lr, config.clip)] == [
        int,
        int,
        float,
        float,
    ]
    assert config.betas == (0.9, 0.999)
    assert json.loads(json.dumps(config.to_dict()))["hidden"] == 4


OPTION_CASES = {
    "misspelt": (
        "chars",
        {"seq_lenght": 5},
        "options: expected one of text, seq_length, temperature, sample_every, "
        "sample_length, got 'seq_lenght'",
    ),
    "a setting of the config": (
        "sine",
        {"epochs": 5},
        "options: expected none (this task has no options), got 'epochs'; epochs is a "
        "setting of the TrainConfig, which train takes as "
        "config=dataclasses.replace(task.defaults, epochs=...)",
    ),
    "two at once": (
        "hello",
        {"lr": 0.1, "hidden": 4, "colour": "red"},
        "options: expected none (this task has no options), got 'lr', 'hidden', 'colour'; "
        "lr and hidden are settings of the TrainConfig, which train takes as "
        "config=dataclasses.replace(task.defaults, lr=...)",
    ),
}


@pytest.mark.parametrize("case", OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_an_unknown_option_of_train_is_refused_before_training(case):
    name, options, message = case

    def run(*args):
        raise AssertionError("trained although an option was unknown")

    task = dataclasses.replace(tasks.get(name), run=run)
    with pytest.raises(TypeError) as raised:
        base.train(task, **options)
    assert str(raised.value) == message


def test_an_unknown_option_of_predict_is_refused():
    with pytest.raises(TypeError) as raised:
        base.options_from(tasks.get("chars").predict_options, {"temprature": 0.5})
    assert str(raised.value) == (
        "options: expected one of text, temperature, sample_length, prime, seed, got 'temprature'"
    )
