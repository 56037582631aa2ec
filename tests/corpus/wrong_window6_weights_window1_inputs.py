"""Claims full BPTT; the weights get window(6), the inputs window(1).

Two mistakes in two quantities: a hard-wired window of 6 for the weight gradients, and
dL/dx_t from the read-out part of delta_t alone (no carried term).

Seen in: issue 17 item 4

Check it with::

    rnn-ref check --activation tanh --loss mse --bptt full \\
        tests/corpus/wrong_window6_weights_window1_inputs.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "truncation",
    "accept": [],
    "equation": "(W2)",
    "quantity": ["W_xh", "W_hh", "b_h", "xs", "h0"],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--loss", "mse", "--bptt", "full"],
    "narrow": False,
}


def gradients(params, xs, targets, spec, h0, weights):
    if spec["activation"] != "tanh" or spec["loss"] != "mse":
        raise NotImplementedError("tanh and mse only")
    if spec["truncation"] is not None:
        raise NotImplementedError("full BPTT only")
    k = 6  # long enough for our sequences
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
        lo = max(tau - k + 1, 0)
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
        "xs": (dphi * (dys @ W_hy)) @ W_xh,
        "h0": dh0,
    }
