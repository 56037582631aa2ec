"""Many-to-one: tanh' at the previous state.

1 - s[t-1]^2 where s[t] is h_t.

Check it with::

    rnn-ref check --convention column --inputs columns --names UVW --weights last \\
        --activation tanh \\
        tests/corpus/wrong_column_mse_phi_prime_early.py:loss_and_gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "phi-prime-one-step-early",
    "accept": [],
    "equation": "(9)",
    "quantity": ["W_xh", "W_hh", "b_h"],
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
        dz = ds * (1.0 - s[t - 1] ** 2)
        dU += dz @ inputs[t - 1].T
        dW += dz @ s[t - 1].T
        db += dz
        ds = W.T @ dz
    return loss, dU, dW, dV, db, dc, s[T]
