"""A 1e-9 guard inside the log: the loss moves, the gradients are exact.

Only the reported loss differs (by about 1e-9 / p per step).

Seen in: issue 22 (a Java character model)

Check it with::

    rnn-ref check --convention column --activation tanh \\
        tests/corpus/wrong_column_log_guard.py:loss_and_gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": None,
    "accept": [],
    "equation": "(4)",
    "quantity": ["loss"],
    "target": "loss_and_gradients",
    "scope": ["--convention", "column", "--activation", "tanh"],
    "narrow": False,
}


def loss_and_gradients(params, inputs, targets, hprev):
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys = np.dot(Why, hs[t]) + by
        ys = ys - np.max(ys)
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0] + 1e-9)
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]
