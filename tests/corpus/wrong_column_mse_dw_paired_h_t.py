"""Many-to-one: dL/dW (W_hh) paired with h_t instead of h_{t-1}.

s[t] is h_t; the recurrent weight's outer product needs the state it multiplied.

Check it with::

    rnn-ref check --convention column --inputs columns --names UVW --weights last \\
        --activation tanh \\
        tests/corpus/wrong_column_mse_dw_paired_h_t.py:loss_and_gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "w-hh-paired-with-h-t",
    "accept": [],
    "equation": "(11)",
    "quantity": ["W_hh"],
    "target": "loss_and_gradients",
    "scope": [
        "--convention",
        "column",
        "--inputs",
        "columns",
        "--names",
        "UVW",
        "--weights",
        "last",
        "--activation",
        "tanh",
    ],
    "narrow": False,
}


def loss_and_gradients(params, inputs, targets, hprev):
    U, W, V, b, c = (params[k] for k in ("U", "W", "V", "b", "c"))
    T = len(inputs)
    s = [hprev]
    for t in range(T):
        s.append(np.tanh(U @ inputs[t] + W @ s[-1] + b))
    y = V @ s[T] + c
    err = y - targets[T - 1]
    loss = float(0.5 * (err * err).sum())
    dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
    db, dc = np.zeros_like(b), np.zeros_like(c)
    dV += err @ s[T].T
    dc += err
    ds = V.T @ err
    for t in range(T, 0, -1):
        dz = ds * (1.0 - s[t] ** 2)
        dU += dz @ inputs[t - 1].T
        dW += dz @ s[t].T
        db += dz
        ds = W.T @ dz
    return loss, dU, dW, dV, db, dc, s[T]
