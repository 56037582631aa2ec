"""A correct BPTT that turns everything batch-first and walks the batch one sequence at a time.

Inside, X is (B, T, D) and each sequence is processed alone with 1-D vectors and
``np.outer``; the per-sequence gradients are summed at the end. Every activation and loss,
full BPTT.

Check it with::

    rnn-ref check --bptt full tests/corpus/right_batch_first_internals.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "gradients",
    "scope": ["--bptt", "full"],
    "narrow": False,
}


def _act(kind, a):
    if kind == "tanh":
        return np.tanh(a)
    if kind == "sigmoid":
        return np.exp(-np.logaddexp(0.0, -a))  # 1 / (1 + e^-a) without overflow
    return np.where(a > 0, a, 0.0)


def _dact(kind, a, h):
    if kind == "tanh":
        return 1.0 / np.cosh(a) ** 2
    if kind == "sigmoid":
        return h * (1.0 - h)
    return (a > 0).astype(float)


def _one_sequence(p, X, Z, h0, w, kind, loss_kind):
    T = len(X)
    A, Hs = [], [h0]
    for t in range(T):
        A.append(p["W_xh"] @ X[t] + p["W_hh"] @ Hs[-1] + p["b_h"])
        Hs.append(_act(kind, A[-1]))
    g = {k: np.zeros_like(v) for k, v in p.items()}
    gx = np.zeros_like(X)
    loss, dh_later = 0.0, np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        y = p["W_hy"] @ Hs[t + 1] + p["b_y"]
        if loss_kind == "mse":
            loss += 0.5 * w[t] * np.dot(y - Z[t], y - Z[t])
            dy = w[t] * (y - Z[t])
        else:
            lse = np.logaddexp.reduce(y)
            loss += w[t] * (lse - y[Z[t]])
            dy = w[t] * np.exp(y - lse)
            dy[Z[t]] -= w[t]
        g["W_hy"] += np.outer(dy, Hs[t + 1])
        g["b_y"] += dy
        delta = _dact(kind, A[t], Hs[t + 1]) * (p["W_hy"].T @ dy + dh_later)
        g["W_xh"] += np.outer(delta, X[t])
        g["W_hh"] += np.outer(delta, Hs[t])
        g["b_h"] += delta
        gx[t] = p["W_xh"].T @ delta
        dh_later = p["W_hh"].T @ delta
    return loss, g, gx, dh_later


def gradients(params, xs, targets, spec, h0, weights):
    if spec["truncation"] is not None:
        raise NotImplementedError("full BPTT only")
    X = np.swapaxes(xs, 0, 1)
    Z = np.swapaxes(targets, 0, 1)
    W = weights.T
    total = {k: np.zeros_like(v) for k, v in params.items()}
    total["loss"] = 0.0
    dX, dh0 = np.zeros_like(X), np.zeros_like(h0)
    for b in range(X.shape[0]):
        loss, g, dX[b], dh0[b] = _one_sequence(
            params, X[b], Z[b], h0[b], W[b], spec["activation"], spec["loss"]
        )
        total["loss"] += loss
        for k in g:
            total[k] += g[k]
    total["xs"] = np.swapaxes(dX, 0, 1)
    total["h0"] = dh0
    return total
