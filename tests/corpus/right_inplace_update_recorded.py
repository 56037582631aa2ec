"""A correct training step that updates its weights in place, checked through an adapter.

``SGDNet.step`` runs forward and backward and then applies ``W -= lr * dW`` to each weight.
The adapter hands it arrays whose in-place subtraction records the update instead of
applying it (lr = 1), so the gradients come out exactly, with no (W_before - W_after) / lr
rounding. The same recipe serves any code that never returns its gradients.

Check it with::

    rnn-ref check --activation tanh --bptt full \\
        tests/corpus/right_inplace_update_recorded.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--bptt", "full"],
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


class SGDNet:
    def __init__(self, W_xh, W_hh, b_h, W_hy, b_y, lr=0.01):
        self.W_xh, self.W_hh, self.b_h, self.W_hy, self.b_y, self.lr = (
            W_xh,
            W_hh,
            b_h,
            W_hy,
            b_y,
            lr,
        )

    def step(self, xs, targets, h0, weights, loss_kind):
        W_xh, W_hh, b_h = (np.asarray(w) for w in (self.W_xh, self.W_hh, self.b_h))
        W_hy, b_y = np.asarray(self.W_hy), np.asarray(self.b_y)
        hs = [h0]
        for x in xs:
            hs.append(np.tanh(x @ W_xh.T + hs[-1] @ W_hh.T + b_h))
        loss, dys = 0.0, []
        for t, h in enumerate(hs[1:]):
            y = h @ W_hy.T + b_y
            w = weights[t][:, None]
            if loss_kind == "mse":
                loss += 0.5 * float(np.sum(w * (y - targets[t]) ** 2))
                dys.append(w * (y - targets[t]))
            else:
                z = y - y.max(axis=1, keepdims=True)
                logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
                pick = np.eye(y.shape[1])[targets[t]]
                loss -= float(np.sum(w * logp * pick))
                dys.append(w * (np.exp(logp) - pick))
        g = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b_h)]
        g += [np.zeros_like(W_hy), np.zeros_like(b_y)]
        carry = np.zeros_like(h0)
        for t in reversed(range(len(xs))):
            g[3] += dys[t].T @ hs[t + 1]
            g[4] += dys[t].sum(axis=0)
            da = (1.0 - hs[t + 1] ** 2) * (dys[t] @ W_hy + carry)
            g[0] += da.T @ xs[t]
            g[1] += da.T @ hs[t]
            g[2] += da.sum(axis=0)
            carry = da @ W_hh
        self.W_xh -= self.lr * g[0]
        self.W_hh -= self.lr * g[1]
        self.b_h -= self.lr * g[2]
        self.W_hy -= self.lr * g[3]
        self.b_y -= self.lr * g[4]
        return loss


def gradients(params, xs, targets, spec, h0, weights):
    if spec["truncation"] is not None or spec["activation"] != "tanh":
        raise NotImplementedError
    names = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
    net = SGDNet(*(recording(params[k]) for k in names), lr=1.0)
    loss = net.step(xs, targets, h0, weights, spec["loss"])
    out = {k: np.asarray(getattr(net, k).taken) for k in names}
    out["loss"] = loss
    return out
