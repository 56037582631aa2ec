"""A many-to-one RNN in the layout of sine-wave tutorials: U, W, V, column vectors, mse.

    h_t = tanh(U x_t + W h_{t-1} + b),   y_T = V h_T + c,   loss = 1/2 ||y_T - z_T||^2

Only the last step has a loss. Check it with::

    rnn-ref check --convention column --inputs columns --weights last --activation tanh \\
        examples/check/column_mse_rnn.py:loss_and_gradients
"""

import numpy as np

rng = np.random.default_rng(0)
U = rng.uniform(-0.5, 0.5, (16, 1))
W = rng.uniform(-0.5, 0.5, (16, 16))
V = rng.uniform(-0.5, 0.5, (1, 16))
b = np.zeros((16, 1))
c = np.zeros((1, 1))


def loss_and_gradients(inputs, targets, hprev):
    """inputs: T columns (D, 1); targets: T columns (O, 1), of which only the last is
    read; hprev (H, 1). Returns (loss, dU, dW, dV, db, dc, h_last)."""
    hs = [hprev]
    for x in inputs:
        hs.append(np.tanh(U @ x + W @ hs[-1] + b))
    dy = V @ hs[-1] + c - targets[-1]  # d(1/2 ||y - z||^2)/dy = y - z
    loss = 0.5 * float(np.sum(dy**2))
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    dh = V.T @ dy  # only h_T feeds the loss directly
    for t in reversed(range(len(inputs))):
        da = (1.0 - hs[t + 1] ** 2) * dh  # hs[t + 1] is h_t of the maths, tanh' = 1 - h^2
        dU += da @ inputs[t].T
        dW += da @ hs[t].T
        db += da
        dh = W.T @ da
    return loss, dU, dW, dy @ hs[-1].T, db, dy, hs[-1]
