"""window(k) done as window(k-1): each loss term goes back k - 1 transitions.

The per-term loop stops one transition early.

Check it with::

    rnn-ref check --activation tanh --loss mse --bptt window \\
        tests/corpus/wrong_window_k_minus_one.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "window-k-minus-one",
    "accept": ["truncation"],
    "equation": "(W2)",
    "quantity": ["W_xh", "W_hh", "b_h", "xs", "h0"],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--loss", "mse", "--bptt", "window"],
    "narrow": False,
}


def gradients(params, xs, targets, spec, h0, weights):
    if spec["activation"] != "tanh" or spec["loss"] != "mse":
        raise NotImplementedError("tanh and mse only")
    if spec["truncation"] is None or spec["truncation_mode"] != "window":
        raise NotImplementedError("window(k) only")
    k = spec["truncation"]
    W_xh, W_hh, b_h = params["W_xh"], params["W_hh"], params["b_h"]
    W_hy, b_y = params["W_hy"], params["b_y"]
    T, B, _ = xs.shape
    H = W_hh.shape[0]

    hs = np.zeros((T + 1, B, H))
    hs[0] = h0
    for t in range(1, T + 1):
        hs[t] = np.tanh(np.einsum("hd,bd->bh", W_xh, xs[t - 1]) + hs[t - 1] @ W_hh.T + b_h)
    ys = np.einsum("oh,tbh->tbo", W_hy, hs[1:]) + b_y
    r = ys - targets
    loss = 0.5 * np.einsum("tb,tbo->", weights, r * r)
    dys = weights[:, :, None] * r
    dphi = 1.0 - hs[1:] ** 2

    # every loss term tau walks back on its own through its last k transitions
    deltas = np.zeros((T, B, H))
    dh0 = np.zeros_like(h0)
    for tau in range(T):
        d = dphi[tau] * (dys[tau] @ W_hy)
        deltas[tau] += d
        lo = max(tau - k + 2, 0)
        for s in range(tau - 1, lo - 1, -1):
            d = dphi[s] * (d @ W_hh)
            deltas[s] += d
        if lo == 0:
            dh0 += d @ W_hh
    return {
        "loss": loss,
        "W_xh": np.einsum("tbh,tbd->hd", deltas, xs),
        "W_hh": np.einsum("tbh,tbj->hj", deltas, hs[:-1]),
        "b_h": deltas.sum(axis=(0, 1)),
        "W_hy": np.einsum("tbo,tbh->oh", dys, hs[1:]),
        "b_y": dys.sum(axis=(0, 1)),
        "xs": deltas @ W_xh,
        "h0": dh0,
    }
