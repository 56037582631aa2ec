"""The ``column`` convention: one sequence, column vectors, the classic minimal char-RNN.

TARGET names one function, called in one of two forms, told apart by its number of
parameters:

- ``fn(inputs, targets, hprev)``: the weights are module globals, as in the classic
  minimal character-level RNN. The adapter sets them in the function's module for the
  call and puts back what was there after it. If the function reads the globals
  ``vocab_size`` or ``hidden_size``, they are set to the case's sizes too (and a case whose
  input and output sizes differ is out of its scope, since vocab_size stands for both).
- ``fn(params, inputs, targets, hprev)``: the weights come in the dict ``params``.

The weights keep rnn-ref's orientation (column vectors: a_t = Wxh x_t + Whh h_{t-1} + bh),
biases are (n, 1) columns, and the names are, by the option ``names``:

- ``Wxh`` (the default for the dict form): ``Wxh`` (H, D), ``Whh`` (H, H), ``Why`` (O, H),
  ``bh`` (H, 1), ``by`` (O, 1);
- ``UVW``: ``U``, ``W``, ``V``, ``b``, ``c`` for the same five, in the same order.

The globals form, without the option, takes whichever names its module defines.

``hprev`` is the state before the first step, (H, 1). By the option ``inputs``:

- ``ids`` (the default): ``inputs`` and ``targets`` are lists of T class ids (int), x_t is
  the one-hot vector of ``inputs[t]`` and the loss is softmax cross-entropy;
- ``columns``: ``inputs`` a list of T columns (D, 1), ``targets`` of T columns (O, 1), and
  the loss is mse, 1/2 ||y_t - z_t||^2.

The function returns ``(loss, dWxh, dWhh, dWhy, dbh, dby, h_last)``, or
``(loss, dWxh, dWhh, dWhy, h_last)`` for a model without biases (``--no-bias``), the
gradients in the names' order and shapes. ``h_last`` is the state after the last step,
which the next call would take as ``hprev``.

The scope: one sequence (B = 1); every step's loss counted (``--weights ones``) or the
last step's only (``--weights last``), as the function hard-wires; full BPTT or the
function's own fixed ``window:K`` or ``chunk:K``. The reduction is the function's own.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from .scope import Bptt, Scope

#: The five names of each naming, in the order of W_xh, W_hh, W_hy, b_h, b_y.
NAMES = {
    "Wxh": ("Wxh", "Whh", "Why", "bh", "by"),
    "UVW": ("U", "W", "V", "b", "c"),
}
CANONICAL = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")
INPUTS = {"ids": "softmax_ce", "columns": "mse"}


def _option(options: dict, name: str, allowed, default: str | None) -> str | None:
    value = options.get(name) or default
    if value is not None and value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def restrict(scope: Scope, options: dict) -> Scope:
    """One sequence; ids with softmax_ce on one-hot inputs, or columns with mse; weights
    ones or last; full BPTT or a fixed truncation."""
    _option(options, "names", NAMES, None)
    inputs = _option(options, "inputs", INPUTS, "ids")
    loss = INPUTS[inputs]
    if scope.losses not in (None, (loss,)):
        raise ValueError(
            f"loss: expected {loss} with the column convention's {inputs} inputs, "
            f"got {', '.join(scope.losses)}"
        )
    if scope.weights not in (None, "ones", "last"):
        raise ValueError(
            f"weights: expected ones or last with the column convention (the function is "
            f"not given the weights), got {scope.weights}"
        )
    if scope.bptt is not None and scope.bptt.mode != "full" and scope.bptt.k is None:
        raise ValueError(
            f"bptt: expected full, window:K or chunk:K with a fixed K with the column "
            f"convention (the function is not given k), got {scope.bptt.mode}"
        )
    return dataclasses.replace(
        scope,
        losses=(loss,),
        weights=scope.weights or "ones",
        bptt=scope.bptt or Bptt("full"),
        batch_one=True,
        one_hot_inputs=inputs == "ids",
    )


def wrap(functions: tuple[Callable, ...], options: dict) -> Callable[..., dict]:
    """``fn(params, xs, targets, spec, h0, weights) -> dict`` over the column function."""
    (fn,) = functions
    inputs_kind = _option(options, "inputs", INPUTS, "ids")
    with_globals = _form(fn) == "globals"
    names = _option(options, "names", NAMES, None)
    names = NAMES[names or (_names_of(fn) if with_globals else "Wxh")]

    def canonical(params, xs, targets, spec, h0, weights) -> dict:
        _, B, D = xs.shape
        if B != 1:
            raise ValueError(f"xs: expected one sequence (B = 1), got B = {B}")
        user = {
            name: params[ours] if ours.startswith("W") else params[ours][:, None]
            for name, ours in zip(names, CANONICAL, strict=True)
        }
        if inputs_kind == "ids":
            inputs, user_targets = _ids(xs[:, 0]), [int(c) for c in targets[:, 0]]
        else:
            inputs, user_targets = list(xs[:, 0, :, None]), list(targets[:, 0, :, None])
        hprev = h0[0][:, None]
        if with_globals:
            O, H = params["W_hy"].shape
            with _module_globals(fn, user, D, H, O):
                result = fn(inputs, user_targets, hprev)
        else:
            result = fn(user, inputs, user_targets, hprev)
        return _named(result)

    return canonical


def _form(fn: Callable) -> str:
    """``globals`` for fn(inputs, targets, hprev), ``params`` for fn(params, inputs, ...)."""
    try:
        count = f"{len(inspect.signature(fn).parameters)} parameters"
    except (TypeError, ValueError):  # a builtin or a C function has no signature to read
        count = "no signature to read"
    if count not in ("3 parameters", "4 parameters"):
        raise TypeError(
            f"column function: expected fn(inputs, targets, hprev) or "
            f"fn(params, inputs, targets, hprev), got {count}"
        )
    return "globals" if count == "3 parameters" else "params"


def _names_of(fn: Callable) -> str:
    """The naming whose first name the function's module defines."""
    module = getattr(fn, "__globals__", {})
    for naming, names in NAMES.items():
        if names[0] in module:
            return naming
    raise ValueError(
        f"column function: expected its module to define Wxh or U (it reads its weights "
        f"from module globals), got neither in {module.get('__name__', 'its module')}"
    )


@contextmanager
def _module_globals(fn: Callable, user: dict, D: int, H: int, O: int) -> Iterator[None]:
    """The function's module with the case's weights and sizes, restored afterwards."""
    module = fn.__globals__
    values = dict(user)
    # sizes only where the function reads them: a module's own vocab_size for its
    # initialisation must not turn cases with D != O away
    reads = set(fn.__code__.co_names)
    if "hidden_size" in reads:
        values["hidden_size"] = H
    if "vocab_size" in reads:
        if D != O:
            raise NotImplementedError(
                f"{fn.__name__} reads vocab_size, both the input and the output size; "
                f"this case has D = {D}, O = {O}"
            )
        values["vocab_size"] = D
    missing = object()
    before = {name: module.get(name, missing) for name in values}
    module.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is missing:
                del module[name]
            else:
                module[name] = value


def _ids(xs: np.ndarray) -> list[int]:
    """The class ids of one-hot inputs xs (T, D)."""
    ids = np.argmax(xs, axis=1)
    if not np.array_equal(xs, np.eye(xs.shape[1], dtype=xs.dtype)[ids]):
        raise ValueError("xs: expected one-hot inputs for the column convention's ids, got others")
    return [int(i) for i in ids]


def _named(result: object) -> dict:
    """The function's tuple as the canonical dict (biases' (n, 1) columns made (n,))."""
    if not (isinstance(result, tuple | list) and len(result) in (5, 7)):
        got = type(result).__name__
        if isinstance(result, tuple | list):
            got = f"a {got} of {len(result)}"
        raise TypeError(
            f"column function: expected (loss, dWxh, dWhh, dWhy, dbh, dby, h_last) or "
            f"(loss, dWxh, dWhh, dWhy, h_last), got {got}"
        )
    loss, *grads, _h_last = result
    out: dict = {"loss": float(loss)}
    for name, g in zip(CANONICAL, grads, strict=False):
        g = np.asarray(g)
        out[name] = g[:, 0] if name.startswith("b") and g.ndim == 2 and g.shape[1] == 1 else g
    return out
