"""Narrow (tanh + mse + full only) without the carried term.

dL/dh_t is the read-out part alone; checked with no flag.

Check it with::

    rnn-ref check tests/corpus/wrong_narrow_no_carried_term.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "no-carried-term",
    "accept": ["truncation"],
    "equation": "(8)",
    "quantity": ["W_xh", "W_hh", "b_h", "xs", "h0"],
    "target": "gradients",
    "scope": [],
    "narrow": True,
}


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _phi(name, a):
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return _sigmoid(a)
    return np.maximum(a, 0.0)


def _phi_prime(name, h):
    """phi'(a_t) from the stored state h_t = phi(a_t)."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    return (h > 0.0).astype(h.dtype)


def _loss_and_dy(kind, y, z, w):
    """The weighted loss of one step and dL/dy_t, (B, O)."""
    if kind == "mse":
        r = y - z
        return 0.5 * np.sum(w[:, None] * r * r), w[:, None] * r
    m = y.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(y - m).sum(axis=1))
    rows = np.arange(len(z))
    p = np.exp(y - lse[:, None])
    onehot = np.zeros_like(y)
    onehot[rows, z] = 1.0
    return np.sum(w * (lse - y[rows, z])), w[:, None] * (p - onehot)


def gradients(params, xs, targets, spec, h0, weights):
    if spec["truncation"] is not None or spec["activation"] != "tanh" or spec["loss"] != "mse":
        raise NotImplementedError("tanh, mse and full BPTT only")
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"], params["b_y"]
    act, T = spec["activation"], xs.shape[0]

    hs = [h0]  # hs[t + 1] is h_t of the maths
    for t in range(T):
        hs.append(_phi(act, xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h))
    loss, dys = 0.0, []
    for t in range(T):
        l_t, dy = _loss_and_dy(spec["loss"], hs[t + 1] @ W_hy.T + b_y, targets[t], weights[t])
        loss += l_t
        dys.append(dy)

    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)
    dW_hy, db_y = np.zeros_like(W_hy), np.zeros_like(b_y)
    dxs = np.zeros_like(xs)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dW_hy += dys[t].T @ hs[t + 1]
        db_y += dys[t].sum(axis=0)
        dh = dys[t] @ W_hy
        da = _phi_prime(act, hs[t + 1]) * dh
        dW_xh += da.T @ xs[t]
        dW_hh += da.T @ hs[t]
        db_h += da.sum(axis=0)
        dxs[t] = da @ W_xh
        dh_next = da @ W_hh
    return {
        "loss": loss,
        "W_xh": dW_xh,
        "W_hh": dW_hh,
        "b_h": db_h,
        "W_hy": dW_hy,
        "b_y": db_y,
        "xs": dxs,
        "h0": dh_next,
    }
