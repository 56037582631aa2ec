"""A training step that updates the weights in place inside the backward loop.

``train_step`` applies ``W -= lr * dW_t`` for each step's contribution as soon as it is
computed, so the carried term of the earlier steps goes back through an already updated
W_hh and W_hy. The adapter recovers "the gradient" the usual way, from the weights before
and after one step with lr = 1 and zero momentum (here through a recording array, exact):
what it gets is the sum of the per-step updates, which is not the gradient.

Check it with::

    rnn-ref check --activation tanh --loss mse --bptt full \\
        tests/corpus/wrong_inplace_update_per_step.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": None,
    "accept": [],
    "equation": "(8)",
    "quantity": ["W_xh", "W_hh", "b_h"],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--loss", "mse", "--bptt", "full"],
    "narrow": False,
}


class Recorder(np.ndarray):
    """An array whose in-place subtraction records what was subtracted, without applying it."""

    def __isub__(self, update):
        self.taken = self.taken + update
        return self


def recording(a):
    r = np.array(a, dtype=float).view(Recorder)
    r.taken = np.zeros_like(a)
    return r


class Net:
    def __init__(self, W_xh, W_hh, b_h, W_hy, b_y, lr):
        self.W_xh, self.W_hh, self.b_h, self.W_hy, self.b_y, self.lr = (
            W_xh,
            W_hh,
            b_h,
            W_hy,
            b_y,
            lr,
        )

    def train_step(self, xs, targets, h0, weights):
        hs = [h0]
        for x in xs:
            hs.append(np.tanh(x @ self.W_xh.T + hs[-1] @ self.W_hh.T + self.b_h))
        ys = [h @ self.W_hy.T + self.b_y for h in hs[1:]]
        loss = 0.0
        carry = np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            r = ys[t] - targets[t]
            loss += 0.5 * float(np.sum(weights[t][:, None] * r * r))
            dy = weights[t][:, None] * r
            # the read-out weights are used right after their own update
            dh = dy @ np.asarray(self.W_hy) + carry
            self.W_hy -= self.lr * (dy.T @ hs[t + 1])
            self.b_y -= self.lr * dy.sum(axis=0)
            da = (1.0 - hs[t + 1] ** 2) * dh
            self.W_xh -= self.lr * (da.T @ xs[t])
            self.b_h -= self.lr * da.sum(axis=0)
            self.W_hh -= self.lr * (da.T @ hs[t])
            carry = da @ (np.asarray(self.W_hh) - np.asarray(self.W_hh.taken))
        return loss


def gradients(params, xs, targets, spec, h0, weights):
    names = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
    net = Net(*(recording(params[k]) for k in names), lr=1.0)
    loss = net.train_step(xs, targets, h0, weights)
    out = {k: np.asarray(getattr(net, k).taken) for k in names}
    out["loss"] = loss
    return out
