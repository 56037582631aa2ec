"""phi' taken at the previous state: 1 - h_{t-1}^2.

The step's backward reads the cached h_prev where it meant h.

Check it with::

    rnn-ref check --convention layer --activation tanh \\
        tests/corpus/wrong_layer_phi_prime_one_step_early.py:forward,backward
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "phi-prime-one-step-early",
    "accept": [],
    "equation": "(9)",
    "quantity": ["W_xh", "W_hh", "b_h", "xs", "h0"],
    "target": "forward,backward",
    "scope": ["--convention", "layer", "--activation", "tanh"],
    "narrow": False,
}


def step_forward(x, h_prev, Wx, Wh, b):
    h = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h, (x, h_prev, h)


def step_backward(dh, cache, Wx, Wh):
    x, h_prev, _ = cache
    da = dh * (1.0 - h_prev * h_prev)
    dx = da @ Wx.T
    dh_prev = da @ Wh.T
    return dx, dh_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def forward(x, h0, params):
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    N, T, _ = x.shape
    h = np.zeros((N, T, Wh.shape[1]))
    caches = []
    h_prev = h0
    for t in range(T):
        h_prev, cache = step_forward(x[:, t, :], h_prev, Wx, Wh, b)
        h[:, t, :] = h_prev
        caches.append(cache)
    return h, (caches, Wx, Wh)


def backward(dh, cache):
    caches, Wx, Wh = cache
    N, T, H = dh.shape
    dx = np.zeros((N, T, Wx.shape[0]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev = np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dprev, dWx_t, dWh_t, db_t = step_backward(dh[:, t, :] + dprev, caches[t], Wx, Wh)
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev, dWx, dWh, db
