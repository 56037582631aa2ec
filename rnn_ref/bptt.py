"""The unrolled network: ``forward``, ``loss`` and ``gradients`` over all T steps.

Only what must be sequential runs inside the time loops: the recurrent product
$W_{hh} h_{t-1}$ and phi going forward, and its transpose going backward
(``rnn_ref.truncation``). The input projection for all steps is one matrix product
before the loop; the read-out and every parameter gradient are one product each after it.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from . import _validation as v
from .activations import activation_function
from .containers import Gradients, Params, Spec, Trajectory
from .losses import loss_and_dys
from .truncation import backprop_deltas

# Rows of hs viewed at once by the forward loop: consecutive blocks share one row (the
# last state of a block is the first h_{t-1} of the next).
_VIEWS_PER_BLOCK = 257


def _rows(a: np.ndarray) -> np.ndarray:
    """View (..., n) as (rows, n), so that ``@`` is a single 2-D BLAS product."""
    return a.reshape(-1, a.shape[-1])


def _states(params: Params, xs: np.ndarray, h0: np.ndarray, activation: str) -> np.ndarray:
    """hs of shape (T+1, B, H): equations (1) and (2) for t = 1..T."""
    T, B, _ = xs.shape
    H = params.hidden_size
    hs = np.empty((T + 1, B, H))
    hs[0] = h0
    # (1), input part: W_xh x_t + b_h for every t in one product, written straight into
    # the rows where h_t will go (no temporary of T*B*H numbers). The bias is added to
    # the 2-d view: NumPy broadcasts (H,) over (T*B, H) rows faster than over (T, B, H).
    inputs = _rows(hs[1:])
    np.dot(_rows(xs), params.W_xh.T, out=inputs)  # (1), W_xh x_t
    inputs += params.b_h  # (1), + b_h
    # W_hh^T as a C-ordered copy, made once: BLAS multiplies by it up to a third faster
    # than by the transposed view, and the loop multiplies by it T times.
    W_hh_T = np.ascontiguousarray(params.W_hh.T)
    # One buffer for W_hh h_{t-1}, reused at every step: a fresh (B, H) array per step
    # costs a page fault per 4 KiB once B*H*8 bytes pass malloc's mmap threshold.
    # np.dot(out=) rather than @: 1.3 against 1.8 us per product at B = 1, H = 100.
    Wh = np.empty((B, H))
    # (h_{t-1}, a_t) as views of consecutive rows of hs, made at once by list(): at B = 1,
    # H = 100, indexing hs twice per step is a tenth of the step's time. A view costs
    # about 120 bytes, 15 times a state at B = H = 1, so they are made a block of steps
    # at a time: at most _VIEWS_PER_BLOCK of them (40 KB measured) live at once, whatever T.
    phi_ = activation_function(activation)  # np.tanh, sigmoid or relu
    for start in range(0, T, _VIEWS_PER_BLOCK - 1):
        for h_prev, a_t in pairwise(list(hs[start : start + _VIEWS_PER_BLOCK])):
            # a_t is a view: W_xh x_t + b_h on entry, then a_t, then h_t
            # (1) a_t = (W_xh x_t + b_h) + W_hh h_{t-1}
            a_t += np.dot(h_prev, W_hh_T, out=Wh)
            # (2) h_t = phi(a_t), written over a_t
            phi_(a_t, out=a_t)
    return hs


def _read_out(params: Params, hs: np.ndarray) -> np.ndarray:
    """ys of shape (T, B, O): equation (3), y_t = W_hy h_t + b_y, one product for all t."""
    T, B, _ = hs[1:].shape
    # (3) y_t = W_hy h_t + b_y for every t in one product
    ys = _rows(hs[1:]) @ params.W_hy.T
    ys += params.b_y  # (3), + b_y in place: no second array of T*B*O numbers
    return ys.reshape(T, B, -1)


@v.no_overflow("forward")
def forward(
    params: Params, xs: np.ndarray, h0: np.ndarray | None = None, *, activation: str = "tanh"
) -> Trajectory:
    """Run the network forward: equations (1)-(3) of ``docs/bptt.md``.

    $$a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h, \\quad h_t = \\phi(a_t), \\quad
    y_t = W_{hy} h_t + b_y$$

    Args:
        params: the parameters, shapes (H, D), (H, H), (H,), (O, H), (O,).
        xs: (T, B, D) inputs, time-major; any real array-like, converted to float64.
        h0: (B, H) initial state; ``None`` means zeros.
        activation: ``"tanh"``, ``"sigmoid"`` or ``"relu"``.

    Returns:
        ``Trajectory(hs, ys)`` with hs (T+1, B, H), ``hs[0] = h0``, and ys (T, B, O).
    """
    params, xs, h0, _ = v.check_inputs(params, xs, h0)
    activation = v.check_activation(activation)
    hs = _states(params, xs, h0, activation)
    return Trajectory(hs=hs, ys=_read_out(params, hs))


def _prepare(params, xs, targets, spec, h0, weights):
    spec = v.check_spec(spec)
    params, xs, h0, sizes = v.check_inputs(params, xs, h0)
    weights = v.check_weights(weights, sizes)
    targets = v.check_targets(targets, spec.loss, weights, sizes)
    return spec, params, xs, targets, h0, weights


@v.no_overflow("loss")
def loss(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec = Spec(),
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> float:
    """The weighted loss, equation (4): $L = \\sum_t \\sum_b w_{t,b}\\, l(y_{t,b}, z_{t,b})$.

    Truncation never changes the loss; ``spec.truncation`` is ignored here.

    Args:
        params: the parameters.
        xs: (T, B, D) inputs.
        targets: (T, B, O) floats for ``mse``; (T, B) integer class ids for ``softmax_ce``.
            Where the weight is 0 they are padding and are not read.
        spec: activation and loss (``Spec()``: tanh, mse).
        h0: (B, H) initial state; ``None`` means zeros.
        weights: (T, B) finite, non-negative loss weights; ``None`` means all ones.

    Returns:
        L as a Python float.
    """
    spec, params, xs, targets, h0, weights = _prepare(params, xs, targets, spec, h0, weights)
    hs = _states(params, xs, h0, spec.activation)
    value, _ = loss_and_dys(_read_out(params, hs), targets, weights, spec.loss)
    return value


@v.no_overflow("gradients")
def gradients(
    params: Params,
    xs: np.ndarray,
    targets: np.ndarray,
    spec: Spec = Spec(),
    *,
    h0: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> Gradients:
    """The loss and its gradient by BPTT: equations (5)-(14) of ``docs/bptt.md``.

    With ``spec.truncation = k`` the gradient is that of the window(k) or chunk(k)
    surrogate (``docs/truncation.md``); the loss value is always the true L.

    Args:
        params, xs, targets, spec, h0, weights: as for ``rnn_ref.loss``.

    Returns:
        ``Gradients(loss, params, xs, h0)``: L, the five parameter gradients in a
        ``Params``, dL/dxs (T, B, D) and dL/dh0 (B, H).
    """
    spec, params, xs, targets, h0, weights = _prepare(params, xs, targets, spec, h0, weights)
    T, B, D = xs.shape
    hs = _states(params, xs, h0, spec.activation)
    value, dys = loss_and_dys(_read_out(params, hs), targets, weights, spec.loss)  # (5)

    # Each parameter gradient is a sum over steps of an outer product: one product over
    # all T*B rows at once. The read-out's come first, so that dL/dys (T*B*O numbers) is
    # no longer held while the deltas are computed.
    dy = _rows(dys)  # (T*B, O)
    dW_hy = dy.T @ _rows(hs[1:])  # (6) sum_t dy_t h_t^T
    db_y = dy.sum(axis=0)  # (7) sum_t dy_t
    # (8), read-out part: W_hy^T dy_t for all t in one product. The backward loop turns
    # this buffer into the deltas in place. np.dot, not @: with O = 1 the product has an
    # inner size of 1, which @ computes without BLAS (6.6 against 1.8 us at T=50, H=100).
    dh_out = np.dot(dy, params.W_hy).reshape(hs[1:].shape)
    del dys, dy
    deltas, dh0 = backprop_deltas(
        dh_out, hs, params.W_hh, spec.activation, spec.truncation, spec.truncation_mode
    )

    d = _rows(deltas)
    grads = Params(
        W_xh=d.T @ _rows(xs),  # (10) sum_t delta_t x_t^T
        W_hh=d.T @ _rows(hs[:-1]),  # (11) sum_t delta_t h_{t-1}^T
        b_h=d.sum(axis=0),  # (12) sum_t delta_t
        W_hy=dW_hy,
        b_y=db_y,
    )
    dxs = (d @ params.W_xh).reshape(T, B, D)  # (13) dL/dx_t = W_xh^T delta_t
    return Gradients(loss=value, params=grads, xs=dxs, h0=dh0)
