"""Correct character model with tanh as 2 / (1 + e^{-2a}) - 1.

Accurate to a few ulps absolute, not relative, near a = 0.

Seen in: issue 17 item 6

Check it with::

    rnn-ref check --convention column --activation tanh \\
        tests/corpus/right_column_tanh_exp_formula.py:loss_and_gradients
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
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
        a = np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh
        hs[t] = 2.0 / (1.0 + np.exp(-2.0 * a)) - 1.0  # tanh
        ys = np.dot(Why, hs[t]) + by
        ys = ys - np.max(ys)
        ps[t] = np.exp(ys) / np.sum(np.exp(ys))
        loss += -np.log(ps[t][targets[t], 0])
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
