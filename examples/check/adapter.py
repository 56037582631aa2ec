"""A class-based RNN in its own layout, and the adapter that lets rnn-ref check it.

``SequenceRNN`` is batch-first, keeps its weights in the row layout (h_t = tanh(x_t Wx +
h_{t-1} Wh + bh), y_t = h_t Wy + by), runs ``forward`` and then ``backward`` from dL/dY,
keeping what backward needs on the object between the two calls. ``canonical`` below, in
under 15 lines, translates rnn-ref's canonical call to it and its gradients back. Check it
with::

    rnn-ref check --activation tanh --loss mse --bptt full examples/check/adapter.py:canonical
"""

import numpy as np


class SequenceRNN:
    """Wx (D, H), Wh (H, H), bh (H,), Wy (H, O), by (O,); X (B, T, D), Y (B, T, O)."""

    def __init__(self, Wx, Wh, bh, Wy, by):
        self.Wx, self.Wh, self.bh, self.Wy, self.by = Wx, Wh, bh, Wy, by

    def forward(self, X, h0):
        """Y (B, T, O) from X (B, T, D) and h0 (B, H)."""
        self.X = X
        self.Hs = [h0]  # Hs[t + 1] is the state after step t
        for t in range(X.shape[1]):
            self.Hs.append(np.tanh(X[:, t] @ self.Wx + self.Hs[-1] @ self.Wh + self.bh))
        return np.stack(self.Hs[1:], axis=1) @ self.Wy + self.by

    def backward(self, dY):
        """The gradients of every weight and of X, from dL/dY (B, T, O)."""
        g = {name: np.zeros_like(getattr(self, name)) for name in ("Wx", "Wh", "bh", "Wy", "by")}
        g["X"] = np.zeros_like(self.X)
        dh_next = np.zeros_like(self.Hs[0])
        for t in reversed(range(self.X.shape[1])):
            h, h_prev = self.Hs[t + 1], self.Hs[t]
            g["Wy"] += h.T @ dY[:, t]
            g["by"] += dY[:, t].sum(axis=0)
            da = (1.0 - h**2) * (dY[:, t] @ self.Wy.T + dh_next)  # tanh' = 1 - h^2
            g["Wx"] += self.X[:, t].T @ da
            g["Wh"] += h_prev.T @ da
            g["bh"] += da.sum(axis=0)
            g["X"][:, t] = da @ self.Wx.T
            dh_next = da @ self.Wh.T
        return g


def canonical(params, xs, targets, spec, h0, weights):
    """rnn-ref's call (time-major, column layout) translated to SequenceRNN and back."""
    names = {"W_xh": "Wx", "W_hh": "Wh", "b_h": "bh", "W_hy": "Wy", "b_y": "by"}
    # the row layout holds every matrix transposed (.T leaves a vector as it is)
    model = SequenceRNN(**{theirs: params[ours].T for ours, theirs in names.items()})
    Y = model.forward(xs.transpose(1, 0, 2), h0)  # batch-first: (B, T, O)
    R = Y - targets.transpose(1, 0, 2)
    w = weights.T[..., None]  # (B, T, 1)
    g = model.backward(w * R)  # mse: dL/dy_t = w_t (y_t - z_t)
    out = {ours: g[theirs].T for ours, theirs in names.items()}
    out["xs"] = g["X"].transpose(1, 0, 2)
    out["loss"] = 0.5 * float(np.sum(w * R**2))
    return out
