"""A plain NumPy Elman RNN and its BPTT, written as a user would: the canonical convention.

    a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = phi(a_t),   y_t = W_hy h_t + b_y
    L = sum_t sum_b w[t, b] l(y_t, z_t)

``rnn-ref check examples/check/canonical_rnn.py:gradients`` checks it (and it agrees): every
activation (tanh, sigmoid, relu), both losses (mse, softmax_ce), and full, window(k) and
chunk(k) truncation, read from ``spec``.
"""

import numpy as np


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # no overflow for large |a|


# phi, and phi' written in terms of h = phi(a)
ACTIVATIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - h * h),
    "sigmoid": (_sigmoid, lambda h: h * (1.0 - h)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda h: (h > 0).astype(h.dtype)),
}


def _mse(y, z, w):
    """0.5 w ||y - z||^2 summed, and its gradient dL/dy."""
    r = y - z
    return 0.5 * np.sum(w[:, None] * r * r), w[:, None] * r


def _softmax_ce(y, c, w):
    """w (logsumexp(y) - y[c]) summed, and its gradient w (softmax(y) - onehot(c))."""
    shifted = y - y.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(c))
    dy = np.exp(log_p)
    dy[rows, c] -= 1.0
    return -np.sum(w * log_p[rows, c]), w[:, None] * dy


LOSSES = {"mse": _mse, "softmax_ce": _softmax_ce}


def gradients(params, xs, targets, spec, h0, weights):
    """The loss and its gradients. xs (T, B, D), targets (T, B, O) or (T, B) class ids,
    h0 (B, H), weights (T, B); returns a dict with the names of params, "xs", "h0", "loss"."""
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"], params["b_y"]
    phi, phi_prime = ACTIVATIONS[spec["activation"]]
    T = len(xs)

    # forward: hs[t] is h_t, hs[0] = h0
    hs = [h0]
    for t in range(T):
        hs.append(phi(xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h))
    loss, dys = 0.0, []
    for t in range(T):
        y = hs[t + 1] @ W_hy.T + b_y
        l_t, dy = LOSSES[spec["loss"]](y, targets[t], weights[t])
        loss += l_t
        dys.append(dy)

    g = {name: np.zeros_like(p) for name, p in params.items()}
    g["xs"], g["h0"] = np.zeros_like(xs), np.zeros_like(h0)
    for t in range(T):
        g["W_hy"] += dys[t].T @ hs[t + 1]
        g["b_y"] += dys[t].sum(axis=0)
    dh_out = [dy @ W_hy for dy in dys]  # dL/dh_t through the read-out of step t

    def through_step(t, dh):
        """Back through transition t+1 (0-based t): accumulate, return dL/dh_t carried."""
        da = dh * phi_prime(hs[t + 1])
        g["W_xh"] += da.T @ xs[t]
        g["W_hh"] += da.T @ hs[t]
        g["b_h"] += da.sum(axis=0)
        g["xs"][t] += da @ W_xh
        return da @ W_hh

    k, mode = spec["truncation"], spec["truncation_mode"]
    if k is None or mode == "chunk":
        dh_next = np.zeros_like(h0)
        for t in reversed(range(T)):
            dh_next = through_step(t, dh_out[t] + dh_next)
            if k is not None and t > 0 and t % k == 0:
                dh_next = np.zeros_like(h0)  # h_t enters a new chunk, held constant
        g["h0"] += dh_next
    else:  # window(k): the loss at step t goes back through its k most recent steps
        for t in range(T):
            dh = dh_out[t]
            for s in range(t, max(t - k, -1), -1):
                dh = through_step(s, dh)
            if t < k:  # reached h0, which is live
                g["h0"] += dh
    g["loss"] = loss
    return g
