"""A correct layer in the time-major layout, einsum for every product.

x (T, N, D), h (T, N, H); the states are kept in one array with h0 in front.

Check it with::

    rnn-ref check --convention layer --layout time-major --activation tanh \\
        tests/corpus/right_layer_time_major_einsum.py:forward,backward
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "forward,backward",
    "scope": ["--convention", "layer", "--layout", "time-major", "--activation", "tanh"],
    "narrow": False,
}


def forward(x, h0, params):
    Wx, Wh, b = params["Wx"], params["Wh"], params["b"]
    T = x.shape[0]
    states = np.empty((T + 1, *h0.shape))
    states[0] = h0
    pre_x = np.einsum("tnd,dh->tnh", x, Wx) + b  # the input part of every step at once
    for t in range(T):
        states[t + 1] = np.tanh(pre_x[t] + np.einsum("nj,jh->nh", states[t], Wh))
    return states[1:].copy(), {"x": x, "states": states, "Wx": Wx, "Wh": Wh}


def backward(dh, cache):
    x, states, Wx, Wh = cache["x"], cache["states"], cache["Wx"], cache["Wh"]
    T = x.shape[0]
    dpre = np.empty_like(dh)
    later = np.zeros_like(states[0])
    for t in range(T - 1, -1, -1):
        dpre[t] = (1.0 - states[t + 1] ** 2) * (dh[t] + later)
        later = np.einsum("nh,jh->nj", dpre[t], Wh)
    return {
        "dx": np.einsum("tnh,dh->tnd", dpre, Wx),
        "dh0": later,
        "dWx": np.einsum("tnd,tnh->dh", x, dpre),
        "dWh": np.einsum("tnj,tnh->jh", states[:-1], dpre),
        "db": np.einsum("tnh->h", dpre),
    }
