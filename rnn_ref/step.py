"""One transition of the Elman RNN and its derivative, side by side.

This is the teaching layer: ``step_forward`` computes one step and returns an explicit
cache; ``step_backward``, right below it, reads only that cache. The unrolled
``rnn_ref.gradients`` applies exactly these equations to all steps at once (see
``docs/bptt.md``), and a test checks that looping over these two functions by hand gives
the same numbers.

Shapes: B sequences, D inputs, H hidden units; row vectors, so ``W x`` is ``x @ W.T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validation as v
from .activations import phi, phi_prime
from .containers import Params


@dataclass(frozen=True, eq=False)
class StepCache:
    """What ``step_backward`` needs from ``step_forward``.

    Attributes:
        x_t: (B, D) input. h_prev: (B, H) state h_{t-1}. a_t: (B, H) pre-activation.
        h_t: (B, H) new state. W_xh: (H, D). W_hh: (H, H). activation: the name of phi.
    """

    x_t: np.ndarray
    h_prev: np.ndarray
    a_t: np.ndarray
    h_t: np.ndarray
    W_xh: np.ndarray
    W_hh: np.ndarray
    activation: str


@dataclass(frozen=True, eq=False)
class StepGradients:
    """One transition's contribution to the gradients, named by what they differentiate.

    Attributes:
        a_t: (B, H) delta_t = dL/da_t, the gradient at the pre-activation.
        W_xh: (H, D) delta_t x_t^T. W_hh: (H, H) delta_t h_{t-1}^T.
        b_h: (H,) delta_t, summed over the batch.
    """

    a_t: np.ndarray
    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray


@v.no_overflow("step_forward")
def step_forward(
    params: Params, x_t: np.ndarray, h_prev: np.ndarray, activation: str = "tanh"
) -> tuple[np.ndarray, StepCache]:
    """One transition: equations (1) and (2) of ``docs/bptt.md``.

    $$a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h, \\qquad h_t = \\phi(a_t)$$

    Args:
        params: the parameters (only W_xh, W_hh, b_h are used).
        x_t: (B, D) the inputs of this step.
        h_prev: (B, H) the previous state h_{t-1}.
        activation: ``"tanh"``, ``"sigmoid"`` or ``"relu"``.

    Returns:
        h_t of shape (B, H) and the cache for ``step_backward``.
    """
    x_t = v.as_array(x_t, "x_t")
    v.check_ndim(x_t, "x_t", 2, "(B, D)")
    B, D = x_t.shape
    params = v.check_params(params, D, "x_t")
    activation = v.check_activation(activation)
    v.check_shape(x_t, "x_t", (B, params.input_size), "(B, D)", "D from params.W_xh")
    v.check_finite(x_t, "x_t")
    h_prev = v.as_array(h_prev, "h_prev")
    v.check_shape(
        h_prev, "h_prev", (B, params.hidden_size), "(B, H)", "B from x_t, H from params.W_hh"
    )
    v.check_finite(h_prev, "h_prev")

    a_t = x_t @ params.W_xh.T + h_prev @ params.W_hh.T + params.b_h  # (1)
    h_t = phi(a_t, activation)  # (2)
    # The cache keeps copies: a caller who resets the returned state or edits an input in
    # place (an optimiser step) before step_backward must not change what it reads.
    copies = (a.copy() for a in (x_t, h_prev, a_t, h_t, params.W_xh, params.W_hh))
    cache = StepCache(*copies, activation=activation)
    return h_t, cache


@v.no_overflow("step_backward")
def step_backward(
    dh_t: np.ndarray, cache: StepCache
) -> tuple[np.ndarray, np.ndarray, StepGradients]:
    """The derivative of one transition: equations (9)-(13) of ``docs/bptt.md``.

    $$\\delta_t = \\phi'(a_t) \\odot \\frac{\\partial L}{\\partial h_t}, \\quad
    \\frac{\\partial L}{\\partial x_t} = W_{xh}^\\top \\delta_t, \\quad
    \\frac{\\partial L}{\\partial h_{t-1}} \\mathrel{+}= W_{hh}^\\top \\delta_t$$

    Args:
        dh_t: (B, H) the whole gradient of the loss with respect to h_t: the read-out's
            part W_hy^T dy_t plus the part carried back from step t+1.
        cache: what ``step_forward`` returned for this step.

    Returns:
        dx_t (B, D); dh_prev (B, H), the part of dL/dh_{t-1} that flows through this
        transition; and this step's ``StepGradients`` (delta_t itself is its ``a_t``).
    """
    if not isinstance(cache, StepCache):
        raise TypeError(
            f"cache: expected the StepCache of step_forward, got {type(cache).__name__}"
        )
    cache = _checked_cache(cache)
    dh_t = v.as_array(dh_t, "dh_t")
    v.check_shape(dh_t, "dh_t", cache.h_t.shape, "(B, H)", "B, H from cache.h_t")
    v.check_finite(dh_t, "dh_t")

    delta = phi_prime(cache.h_t, cache.activation) * dh_t  # (9) delta_t = phi'(a_t) * dL/dh_t
    dx_t = delta @ cache.W_xh  # (13) dL/dx_t = W_xh^T delta_t
    dh_prev = delta @ cache.W_hh  # (8) carried term W_hh^T delta_t, into dL/dh_{t-1}
    grads = StepGradients(
        a_t=delta,
        W_xh=delta.T @ cache.x_t,  # (10) delta_t x_t^T
        W_hh=delta.T @ cache.h_prev,  # (11) delta_t h_{t-1}^T
        b_h=delta.sum(axis=0),  # (12) delta_t
    )
    return dx_t, dh_prev, grads


_ARRAYS = ("x_t", "h_prev", "a_t", "h_t", "W_xh", "W_hh")  # the fields of StepCache that are arrays
# The values phi can take: phi' is computed from h_t, and outside this range it is wrong.
_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, np.inf)}


def _checked_cache(cache: StepCache) -> StepCache:
    """The cache with every array as float64, checked as ``step_forward`` checks its inputs.

    A hand-built cache must be consistent, or the gradients would come out misshapen or
    silently wrong: B and H come from ``cache.h_t``, D from ``cache.x_t``; every array is
    real and finite, and ``h_t`` lies in the range of phi.
    """
    activation = v.check_activation(cache.activation, "cache.activation")
    a = {name: v.as_array(getattr(cache, name), f"cache.{name}") for name in _ARRAYS}
    v.check_ndim(a["h_t"], "cache.h_t", 2, "(B, H)")
    B, H = a["h_t"].shape
    v.check_ndim(a["x_t"], "cache.x_t", 2, "(B, D)")
    D = a["x_t"].shape[1]
    expected = {
        "x_t": ((B, D), "(B, D)", "B from cache.h_t"),
        "h_prev": ((B, H), "(B, H)", "B, H from cache.h_t"),
        "a_t": ((B, H), "(B, H)", "B, H from cache.h_t"),
        "W_xh": ((H, D), "(H, D)", "H from cache.h_t, D from cache.x_t"),
        "W_hh": ((H, H), "(H, H)", "H from cache.h_t"),
    }
    for name, (shape, layout, origin) in expected.items():
        v.check_shape(a[name], f"cache.{name}", shape, layout, origin)
    for name, array in a.items():
        v.check_finite(array, f"cache.{name}")
    low, high = _RANGES[activation]
    outside = (a["h_t"] < low) | (a["h_t"] > high)
    if outside.any():
        index = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"cache.h_t: expected values of {activation} in [{low:g}, {high:g}], got "
            f"{a['h_t'][index]} at index {index}"
        )
    return StepCache(**a, activation=activation)
