"""A correct model that hands its gradients to an optimizer object, checked via an adapter.

``Model.fit_batch`` computes the gradients and calls ``optimizer.apply(params, grads)``, a
momentum optimizer in training. The adapter passes an optimizer that keeps what it is given
and changes nothing. Row layout inside (h W_x + b), batch-first.

Check it with::

    rnn-ref check --activation tanh --loss mse --bptt full \\
        tests/corpus/right_optimizer_object.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--loss", "mse", "--bptt", "full"],
    "narrow": False,
}


class Momentum:
    def __init__(self, lr=0.05, beta=0.9):
        self.lr, self.beta, self.v = lr, beta, {}

    def apply(self, params, grads):
        for k, g in grads.items():
            self.v[k] = self.beta * self.v.get(k, 0.0) + g
            params[k] -= self.lr * self.v[k]


class Keep:
    """An optimizer that records the gradients and leaves the parameters alone."""

    def apply(self, params, grads):
        self.grads = {k: g.copy() for k, g in grads.items()}


class Model:
    def __init__(self, params, optimizer):
        self.params, self.optimizer = params, optimizer

    def fit_batch(self, X, Y, h0, mask):
        """X (B, T, D), Y (B, T, O), mask (B, T); returns the loss."""
        p = self.params
        B, T, _ = X.shape
        H = np.zeros((B, T + 1, p["Wh"].shape[0]))
        H[:, 0] = h0
        for t in range(T):
            H[:, t + 1] = np.tanh(X[:, t] @ p["Wx"] + H[:, t] @ p["Wh"] + p["b"])
        R = (H[:, 1:] @ p["Wy"] + p["c"] - Y) * mask[..., None] ** 0.5
        loss = 0.5 * float(np.sum(R * R))
        dY = R * mask[..., None] ** 0.5
        grads = {k: np.zeros_like(v) for k, v in p.items()}
        grads["Wy"] = np.einsum("bth,bto->ho", H[:, 1:], dY)
        grads["c"] = dY.sum(axis=(0, 1))
        dnext = np.zeros_like(h0)
        for t in range(T - 1, -1, -1):
            dz = (1.0 - H[:, t + 1] ** 2) * (dY[:, t] @ p["Wy"].T + dnext)
            grads["Wx"] += X[:, t].T @ dz
            grads["Wh"] += H[:, t].T @ dz
            grads["b"] += dz.sum(axis=0)
            dnext = dz @ p["Wh"].T
        self.optimizer.apply(p, grads)
        return loss


def gradients(params, xs, targets, spec, h0, weights):
    ours = {"Wx": "W_xh", "Wh": "W_hh", "b": "b_h", "Wy": "W_hy", "c": "b_y"}
    keep = Keep()
    model = Model({k: params[v].T.copy() for k, v in ours.items()}, keep)
    loss = model.fit_batch(xs.transpose(1, 0, 2), targets.transpose(1, 0, 2), h0, weights.T)
    out = {v: keep.grads[k].T for k, v in ours.items()}
    out["loss"] = loss
    return out
