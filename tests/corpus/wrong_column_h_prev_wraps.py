"""States in a list of T entries: hs[t - 1] at t = 0 is h_T.

The backward pass keeps ``hs[t - 1]``, written for a dict with hs[-1] = hprev.

Seen in: qixianbiao/RNN#2 (h[t-1] with a list of T states)

Check it with::

    rnn-ref check --convention column --activation tanh \\
        tests/corpus/wrong_column_h_prev_wraps.py:loss_and_gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": "h-prev-wraps-at-t0",
    "accept": [],
    "equation": "(11)",
    "quantity": ["W_hh"],
    "target": "loss_and_gradients",
    "scope": ["--convention", "column", "--activation", "tanh"],
    "narrow": False,
}


def loss_and_gradients(params, inputs, targets, hprev):
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    xs, hs, ps = {}, [], {}
    h = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][inputs[t]] = 1
        h = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, h) + bh)
        hs.append(h)
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
