"""A class-based RNN whose gradient buffers live on the object and are never reset.

``backward`` accumulates into ``self.grads`` with ``+=`` and returns that dict itself: the
first call is right, every later call adds to what the previous one left, and the dict the
first call returned changes with the second. The adapter at the end is the usual one.

Check it with::

    rnn-ref check --activation tanh --loss mse --bptt full \\
        tests/corpus/wrong_persistent_grad_buffer.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "fail",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": ["W_xh", "W_hh", "b_h", "W_hy", "b_y"],
    "target": "gradients",
    "scope": ["--activation", "tanh", "--loss", "mse", "--bptt", "full"],
    "narrow": False,
}


class TanhRNN:
    """Column layout: a_t = W_xh x_t + W_hh h_{t-1} + b_h, y_t = W_hy h_t + b_y."""

    def __init__(self):
        self.grads = None

    def set_weights(self, params):
        self.p = params
        # allocated once per model size (a real model has one size), then only added to
        if self.grads is None or any(self.grads[k].shape != v.shape for k, v in params.items()):
            self.grads = {k: np.zeros_like(v) for k, v in params.items()}

    def forward(self, xs, h0):
        self.xs, self.hs = xs, [h0]
        for x in xs:
            self.hs.append(
                np.tanh(x @ self.p["W_xh"].T + self.hs[-1] @ self.p["W_hh"].T + self.p["b_h"])
            )
        return np.stack([h @ self.p["W_hy"].T + self.p["b_y"] for h in self.hs[1:]])

    def backward(self, dys):
        g, p = self.grads, self.p
        dxs = np.zeros_like(self.xs)
        carry = np.zeros_like(self.hs[0])
        for t in reversed(range(len(self.xs))):
            g["W_hy"] += dys[t].T @ self.hs[t + 1]
            g["b_y"] += dys[t].sum(axis=0)
            da = (1.0 - self.hs[t + 1] ** 2) * (dys[t] @ p["W_hy"] + carry)
            g["W_xh"] += da.T @ self.xs[t]
            g["W_hh"] += da.T @ self.hs[t]
            g["b_h"] += da.sum(axis=0)
            dxs[t] = da @ p["W_xh"]
            carry = da @ p["W_hh"]
        g["xs"], g["h0"] = dxs, carry
        return g


MODEL = TanhRNN()


def gradients(params, xs, targets, spec, h0, weights):
    MODEL.set_weights(params)
    r = MODEL.forward(xs, h0) - targets
    grads = MODEL.backward(weights[..., None] * r)
    grads["loss"] = 0.5 * float(np.sum(weights[..., None] * r * r))
    return grads
