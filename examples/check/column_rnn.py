"""A minimal character-level RNN in the classic layout: one sequence, column vectors.

    h_t = tanh(Wxh x_t + Whh h_{t-1} + bh),   y_t = Why h_t + by,   p_t = softmax(y_t)

x_t is the one-hot column of ``inputs[t]``; the loss is the cross-entropy summed over the
steps. The weights are module globals, read by ``lossFun``, as in the classic script;
``loss_and_gradients`` is the same computation with the weights passed in. Check them
with::

    rnn-ref check --convention column --activation tanh examples/check/column_rnn.py:lossFun
"""

import numpy as np

vocab_size, hidden_size = 4, 8
rng = np.random.default_rng(0)
Wxh = 0.01 * rng.standard_normal((hidden_size, vocab_size))
Whh = 0.01 * rng.standard_normal((hidden_size, hidden_size))
Why = 0.01 * rng.standard_normal((vocab_size, hidden_size))
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    """The loss, the five gradients and the last state, from the module's weights."""
    params = {"Wxh": Wxh, "Whh": Whh, "Why": Why, "bh": bh, "by": by}
    return loss_and_gradients(params, inputs, targets, hprev)


def loss_and_gradients(params, inputs, targets, hprev):
    """inputs, targets: lists of T class ids; hprev (H, 1). Returns (loss, dWxh, dWhh,
    dWhy, dbh, dby, h_last)."""
    Wxh, Whh, Why, bh, by = (params[k] for k in ("Wxh", "Whh", "Why", "bh", "by"))
    xs, hs, ps = {}, {-1: hprev}, {}
    loss = 0.0
    for t, (i, c) in enumerate(zip(inputs, targets, strict=True)):
        xs[t] = np.zeros((Wxh.shape[1], 1))
        xs[t][i] = 1.0
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        y = Why @ hs[t] + by
        e = np.exp(y - y.max())  # softmax without overflow: shifting y leaves p unchanged
        ps[t] = e / e.sum()
        loss -= np.log(ps[t][c, 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dh_next = np.zeros_like(hprev)  # dL/dh_t through h_{t+1}
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1.0  # d(-log p_c)/dy = p - onehot(c)
        dWhy += dy @ hs[t].T
        dby += dy
        dh = Why.T @ dy + dh_next
        da = (1.0 - hs[t] ** 2) * dh  # tanh' = 1 - h^2
        dbh += da
        dWxh += da @ xs[t].T
        dWhh += da @ hs[t - 1].T
        dh_next = Whh.T @ da
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]
