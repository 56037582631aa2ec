"""The ``layer`` convention: a recurrent layer alone, as course assignments and books write it.

TARGET names two functions, ``file.py:forward,backward``::

    forward(x, h0, params) -> (h, cache)
    backward(dh, cache) -> (dx, dh0, dWx, dWh, db)    # or a dict with these five names

in the row layout $h_t = \\phi(x_t W_x + h_{t-1} W_h + b)$, with ``params`` the dict
``{"Wx": (D, H), "Wh": (H, H), "b": (H,)}``, ``h0`` (N, H) and, by the option ``layout``:

- ``batch-first`` (the default): x (N, T, D), h and dh (N, T, H), dx (N, T, D);
- ``time-major``: x (T, N, D), h and dh (T, N, H), dx (T, N, D).

The layer has no read-out and no loss of its own, so the checker gives it both: the
identity read-out (y_t = h_t: W_hy = I, b_y = 0, O = H) and the mse loss, with full BPTT
and the loss summed. Then dL/dh_t = w_t (h_t - z_t) is the upstream gradient of every
step, which the adapter computes from the user's own h, so that a wrong forward pass shows
as a wrong loss before any gradient is compared. Since W_x = W_xh^T and W_h = W_hh^T, the
gradients come back transposed into rnn-ref's names. ``phi`` is whatever the layer
hard-wires: the user tells the checker with ``--activation``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .scope import Bptt, Scope

LAYOUTS = ("batch-first", "time-major")
#: The names of backward's results, in the order of its tuple.
GRADIENTS = ("dx", "dh0", "dWx", "dWh", "db")


def layout_of(options: dict) -> str:
    """The option ``layout``, ``batch-first`` when it is not given."""
    layout = options.get("layout") or "batch-first"
    if layout not in LAYOUTS:
        raise ValueError(f"layout: expected one of {', '.join(LAYOUTS)}, got {layout!r}")
    return layout


def restrict(scope: Scope, options: dict) -> Scope:
    """The scope with an identity read-out, the mse loss, full BPTT and a summed loss."""
    layout_of(options)
    if scope.losses not in (None, ("mse",)):
        raise ValueError(
            f"loss: expected mse with the layer convention (the checker forms the loss "
            f"through an identity read-out), got {', '.join(scope.losses)}"
        )
    if scope.bptt not in (None, Bptt("full")):
        raise ValueError(
            f"bptt: expected full with the layer convention (backward is given dL/dh of "
            f"every step and returns the full gradient), got {scope.bptt.mode}"
        )
    if scope.reduction != "sum":
        raise ValueError(
            f"reduction: expected sum with the layer convention (the checker forms the "
            f"upstream gradient itself), got {scope.reduction}"
        )
    return dataclasses.replace(scope, losses=("mse",), bptt=Bptt("full"), identity_readout=True)


def wrap(functions: tuple[Callable, ...], options: dict) -> Callable[..., dict]:
    """``fn(params, xs, targets, spec, h0, weights) -> dict`` over ``forward, backward``."""
    forward, backward = functions
    # batch-first arrays are the time-major ones with the first two axes swapped; a
    # result of another rank is passed on as it came, for the checker to report.
    swap = layout_of(options) == "batch-first"

    def to_layer(a: np.ndarray) -> np.ndarray:
        return np.swapaxes(a, 0, 1) if swap else a

    def from_layer(a: object) -> np.ndarray:
        a = np.asarray(a)
        return np.swapaxes(a, 0, 1) if swap and a.ndim == 3 else a

    def canonical(params, xs, targets, spec, h0, weights) -> dict:
        layer_params = {"Wx": params["W_xh"].T, "Wh": params["W_hh"].T, "b": params["b_h"]}
        result = forward(to_layer(xs), h0, layer_params)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise TypeError(f"layer forward: expected (h, cache), got {_describe(result)}")
        h, cache = result
        hs = from_layer(h)
        if hs.shape != targets.shape:  # targets are (T, N, H): O = H
            T, N, H = targets.shape
            expected = (N, T, H) if swap else (T, N, H)
            raise ValueError(
                f"layer forward: h: expected shape {expected} (the {layout_of(options)} "
                f"layout), got {np.shape(h)}"
            )
        # y_t = h_t and l = 1/2 ||h_t - z_t||^2, so dL/dh_t = w_t (h_t - z_t)
        residual = hs - targets
        dhs = weights[..., None] * residual
        loss = 0.5 * float(np.sum(dhs * residual))
        grads = _named(backward(to_layer(dhs), cache))
        # W_x = W_xh^T and W_h = W_hh^T; dx comes in the layer's layout
        translate = {
            "dx": ("xs", from_layer),
            "dh0": ("h0", np.asarray),
            "dWx": ("W_xh", lambda g: np.asarray(g).T),
            "dWh": ("W_hh", lambda g: np.asarray(g).T),
            "db": ("b_h", np.asarray),
        }
        out: dict = {"loss": loss}
        for theirs, (ours, convert) in translate.items():
            if grads[theirs] is not None:  # a gradient not returned is not checked
                out[ours] = convert(grads[theirs])
        return out

    return canonical


def _named(result: object) -> dict:
    """backward's tuple or dict as a dict of the five names (None: not returned)."""
    if isinstance(result, dict):
        unknown = sorted(set(result) - set(GRADIENTS))
        if unknown:
            raise ValueError(
                f"layer backward: expected a dict with keys among {', '.join(GRADIENTS)}, "
                f"got keys {', '.join(map(str, unknown))}"
            )
        return {name: result.get(name) for name in GRADIENTS}
    if isinstance(result, tuple | list) and len(result) == len(GRADIENTS):
        return dict(zip(GRADIENTS, result, strict=True))
    raise TypeError(
        f"layer backward: expected ({', '.join(GRADIENTS)}) or a dict with those names, "
        f"got {_describe(result)}"
    )


def _describe(value: object) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__
