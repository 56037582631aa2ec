"""A correct BPTT that sums each gradient's terms in a random order on every call.

The per-step outer products are stored and added up in an order drawn from an unseeded
generator, as a parallel reduction would: two calls on the same case agree to rounding, not
bit for bit.

Check it with::

    rnn-ref check --bptt full tests/corpus/right_nondeterministic_sum_order.py:gradients
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

_RNG = np.random.default_rng()  # unseeded on purpose


def _shuffled_sum(terms):
    total = np.zeros_like(terms[0])
    for i in _RNG.permutation(len(terms)):
        total += terms[i]
    return total


def gradients(params, xs, targets, spec, h0, weights):
    if spec["truncation"] is not None:
        raise NotImplementedError("full BPTT only")
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    act = spec["activation"]
    T = len(xs)
    hs = [h0]
    for t in range(T):
        a = xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h
        hs.append(
            {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0)}.get(
                act, lambda v: 0.5 * (1.0 + np.tanh(0.5 * v))
            )(a)
        )
    loss, dys = 0.0, []
    for t in range(T):
        y = hs[t + 1] @ W_hy.T + b_y
        w = weights[t][:, None]
        if spec["loss"] == "mse":
            loss += 0.5 * np.sum(w * (y - targets[t]) ** 2)
            dys.append(w * (y - targets[t]))
        else:
            shifted = y - y.max(axis=1, keepdims=True)
            p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            rows = np.arange(len(y))
            loss -= np.sum(weights[t] * np.log(p[rows, targets[t]]))
            p[rows, targets[t]] -= 1.0
            dys.append(w * p)
    terms = {k: [] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y")}
    dxs = np.zeros_like(xs)
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        h = hs[t + 1]
        local = {"tanh": 1.0 - h * h, "sigmoid": h * (1.0 - h), "relu": (h > 0) * 1.0}[act]
        da = local * (dys[t] @ W_hy + carry)
        terms["W_hy"].append(dys[t].T @ h)
        terms["b_y"].append(dys[t].sum(axis=0))
        terms["W_xh"].append(da.T @ xs[t])
        terms["W_hh"].append(da.T @ hs[t])
        terms["b_h"].append(da.sum(axis=0))
        dxs[t] = da @ W_xh
        carry = da @ W_hh
    out = {k: _shuffled_sum(v) for k, v in terms.items()}
    out.update(loss=float(loss), xs=dxs, h0=carry)
    return out
