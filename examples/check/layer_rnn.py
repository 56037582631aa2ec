"""A vanilla RNN layer in the style of course assignments: batch-first, row layout, tanh.

    h_t = tanh(x_t Wx + h_{t-1} Wh + b)

x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,); h (N, T, H). ``forward`` keeps
what ``backward`` needs in an explicit cache. Check it with::

    rnn-ref check --convention layer --activation tanh examples/check/layer_rnn.py:forward,backward
"""

import numpy as np


def forward(x, h0, params):
    """h (N, T, H) of every step, and the cache for ``backward``."""
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    N, T, _ = x.shape
    h = np.empty((N, T, Wh.shape[0]), dtype=np.result_type(x, Wh))
    h_prev = h0
    for t in range(T):
        # h_t = tanh(x_t Wx + h_{t-1} Wh + b)
        h[:, t] = np.tanh(x[:, t] @ Wx + h_prev @ Wh + b)
        h_prev = h[:, t]
    return h, (x, h0, h, Wx, Wh)


def backward(dh, cache):
    """dL/dx, dL/dh0, dL/dWx, dL/dWh, dL/db from dL/dh (N, T, H), the upstream of every step."""
    x, h0, h, Wx, Wh = cache
    T = x.shape[1]
    dx = np.empty_like(x, dtype=dh.dtype)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Wh[0])
    dh_next = np.zeros_like(h0)  # dL/dh_t through h_{t+1}: nothing beyond the last step
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        # da_t = tanh'(a_t) * (dL/dh_t from the loss + from h_{t+1}), tanh' = 1 - h_t^2
        da = (1.0 - h[:, t] ** 2) * (dh[:, t] + dh_next)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db  # past step 0, dh_next is dL/dh0
