"""The ``torch`` convention: a PyTorch module with ``nn.RNN``'s parameter names.

TARGET names a factory, ``file.py:make``::

    make(input_size, hidden_size, output_size, nonlinearity) -> nn.Module

whose parameters carry ``nn.RNN``'s names, ``weight_ih_l0`` (H, D), ``weight_hh_l0``
(H, H), ``bias_ih_l0`` (H,), ``bias_hh_l0`` (H,) (under any prefix, ``rnn.`` for one),
plus one linear head, the only other matrix, of shape (O, H), and its bias (O,). The
module's ``forward(xs, h0)`` takes xs (T, B, D) and h0 (1, B, H), as ``nn.RNN`` does
(time-major), and returns the outputs y of every step, (T, B, O).

The adapter builds a fresh module for each case, loads the case's parameters into it
(b_h into ``bias_ih_l0``, zeros into ``bias_hh_l0``: the split does not change the
gradient), computes the loss itself (the per-step weights, mse or softmax_ce, summed), calls
``backward`` and reads ``.grad``, on the CPU in the dtype of the case (float64 unless
``--dtype float32``). ``nn.RNN`` has tanh and relu only; the module runs full BPTT.

Both hidden biases' gradients must equal dL/db_h, and the result has one ``b_h``: the
adapter returns ``bias_ih_l0``'s gradient when the two are the same, and otherwise the one
farther from rnn_ref's dL/db_h, so that a wrong one is never hidden behind a right one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

import rnn_ref

from .scope import Bptt, Scope

#: The names of nn.RNN's parameters of the first layer.
RNN_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
#: Two biases of which nn.RNN adds both: each one's gradient is dL/db_h.
HIDDEN_BIASES = ("bias_ih_l0", "bias_hh_l0")
#: The canonical name of each parameter's role (the head's roles are canonical names).
CANONICAL = {
    "weight_ih_l0": "W_xh",
    "weight_hh_l0": "W_hh",
    "bias_ih_l0": "b_h",
    "bias_hh_l0": "b_h",
    "W_hy": "W_hy",
    "b_y": "b_y",
}
ACTIVATIONS = ("tanh", "relu")


def import_torch():
    """torch, or an ImportError that says how to install the pinned CPU build."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            "the torch convention needs PyTorch: pip install torch==2.13.0 "
            "--index-url https://download.pytorch.org/whl/cpu"
        ) from error
    return torch


def restrict(scope: Scope, options: dict) -> Scope:
    """The scope with tanh or relu, full BPTT and a summed loss."""
    if scope.activations is not None and set(scope.activations) - set(ACTIVATIONS):
        raise ValueError(
            f"activation: expected tanh or relu with the torch convention (nn.RNN has no "
            f"sigmoid), got {', '.join(scope.activations)}"
        )
    if scope.bptt not in (None, Bptt("full")):
        raise ValueError(
            f"bptt: expected full with the torch convention (the module is differentiated "
            f"as a whole), got {scope.bptt.mode}"
        )
    if scope.reduction != "sum":
        raise ValueError(
            f"reduction: expected sum with the torch convention (the checker forms the loss "
            f"itself), got {scope.reduction}"
        )
    return dataclasses.replace(
        scope, activations=scope.activations or ACTIVATIONS, bptt=Bptt("full")
    )


def wrap(functions: tuple[Callable, ...], options: dict) -> Callable[..., dict]:
    """``fn(params, xs, targets, spec, h0, weights) -> dict`` over the factory ``make``."""
    (make,) = functions
    torch = import_torch()

    def canonical(params, xs, targets, spec, h0, weights) -> dict:
        dtype = torch.float32 if xs.dtype == np.float32 else torch.float64
        O, H = params["W_hy"].shape
        module = make(xs.shape[-1], H, O, spec["activation"])
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"torch make: expected an nn.Module, got {type(module).__name__}")
        module = module.to(device="cpu", dtype=dtype)
        found = _parameters(module, O, H)
        _load(torch, found, params, dtype)
        x = torch.tensor(xs, dtype=dtype, requires_grad=True)
        state = torch.tensor(h0[None], dtype=dtype, requires_grad=True)  # nn.RNN's (1, B, H)
        ys = module(x, state)
        if not isinstance(ys, torch.Tensor) or tuple(ys.shape) != (*xs.shape[:2], O):
            got = tuple(ys.shape) if isinstance(ys, torch.Tensor) else type(ys).__name__
            raise ValueError(
                f"torch module: expected the outputs of every step, (T, B, O) = "
                f"{(*xs.shape[:2], O)}, got {got}"
            )
        loss = _loss(torch, ys, targets, weights, spec["loss"])
        loss.backward()
        grads = {role: _numpy(p.grad, p.shape, xs.dtype) for role, p in found.items()}
        out = {
            "loss": float(loss.item()),
            "xs": _numpy(x.grad, xs.shape, xs.dtype),
            "h0": _numpy(state.grad, (1, *h0.shape), xs.dtype)[0],
        }
        out |= {CANONICAL[role]: g for role, g in grads.items() if role not in HIDDEN_BIASES}
        hidden = [grads[role] for role in HIDDEN_BIASES if role in grads]
        if hidden:
            out["b_h"] = _worse_bias(hidden, params, xs, targets, spec, h0, weights)
        return out

    return canonical


def _load(torch, found: dict, params: dict, dtype) -> None:
    """Copy the case's parameters into the module: b_h into bias_ih_l0, 0 into bias_hh_l0."""
    values = {**params, "bias_hh_l0": np.zeros_like(params["b_h"])}
    for role in ("bias_ih_l0", "b_y"):
        if role not in found and np.any(values[CANONICAL[role]]):
            raise ValueError(
                f"torch module: expected a parameter for {role}, got none: check a model "
                f"without biases with --no-bias"
            )
    with torch.no_grad():
        for role, p in found.items():
            value = values["bias_hh_l0" if role == "bias_hh_l0" else CANONICAL[role]]
            p.copy_(torch.tensor(value, dtype=dtype))


def _loss(torch, ys, targets: np.ndarray, weights: np.ndarray, loss: str):
    """L = sum_t sum_b w[t, b] l(y_tb, z_tb), from the module's ys (T, B, O)."""
    dtype = ys.dtype
    if loss == "mse":
        # l = 1/2 ||y - z||^2
        terms = 0.5 * ((ys - torch.tensor(targets, dtype=dtype)) ** 2).sum(dim=-1)
    else:
        # l = logsumexp(y) - y[c]
        c = torch.tensor(targets, dtype=torch.int64)[..., None]
        terms = torch.logsumexp(ys, dim=-1) - ys.gather(-1, c)[..., 0]
    return (torch.tensor(weights, dtype=dtype) * terms).sum()


def _numpy(grad, shape, dtype) -> np.ndarray:
    """``grad`` as a NumPy array; no grad means the value did not reach the loss: zeros."""
    return np.zeros(tuple(shape), dtype) if grad is None else grad.numpy().copy()


def _parameters(module, O: int, H: int) -> dict:
    """The module's parameters by role: nn.RNN's four names and the head's W_hy, b_y."""
    named = dict(module.named_parameters())
    found = {}
    for role in RNN_NAMES:
        keys = [k for k in named if k == role or k.endswith("." + role)]
        if len(keys) > 1:
            raise ValueError(f"torch module: expected one {role}, got {', '.join(keys)}")
        if keys:
            found[role] = named[keys[0]]
    if "weight_ih_l0" not in found or "weight_hh_l0" not in found:
        raise ValueError(
            f"torch module: expected parameters named as nn.RNN's (weight_ih_l0, "
            f"weight_hh_l0, bias_ih_l0, bias_hh_l0), got {', '.join(named) or 'none'}"
        )
    rnn = {id(p) for p in found.values()}
    heads = [k for k, p in named.items() if id(p) not in rnn and p.ndim == 2]
    if len(heads) != 1 or tuple(named[heads[0]].shape) != (O, H):
        raise ValueError(
            f"torch module: expected one linear head, a matrix of shape {(O, H)} beside "
            f"nn.RNN's, got {', '.join(f'{k} {tuple(named[k].shape)}' for k in heads) or 'none'}"
        )
    found["W_hy"] = named[heads[0]]
    bias = heads[0].removesuffix("weight") + "bias"
    if bias != heads[0] and bias in named:
        found["b_y"] = named[bias]
    # a parameter the case cannot fill would keep its random initial value
    others = [k for k, p in named.items() if all(p is not q for q in found.values())]
    if others:
        raise ValueError(
            f"torch module: expected only nn.RNN's parameters and a linear head, got also "
            f"{', '.join(others)}"
        )
    return found


def _worse_bias(candidates: list, params, xs, targets, spec, h0, weights) -> np.ndarray:
    """One of the hidden biases' gradients: either when they are the same, otherwise the
    one farthest from rnn_ref's dL/db_h."""
    if all(np.array_equal(g, candidates[0]) for g in candidates):
        return candidates[0]
    truth = rnn_ref.gradients(
        rnn_ref.Params(**params), xs, targets, rnn_ref.Spec(**spec), h0=h0, weights=weights
    ).params.b_h

    def error(g: np.ndarray) -> float:
        return float(np.max(np.abs(g - truth))) if g.shape == truth.shape else np.inf

    return max(candidates, key=error)
