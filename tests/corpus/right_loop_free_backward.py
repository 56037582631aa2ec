"""A correct BPTT whose backward pass has no loop over time: one linear solve per sequence.

The deltas satisfy delta_t = phi'_t * (W_hy^T dy_t + W_hh^T delta_{t+1}), a block-triangular
linear system in (delta_1, ..., delta_T). It is built as one (T H x T H) matrix per sequence
and solved with ``np.linalg.solve``; every parameter gradient is then one einsum. Only the
forward pass loops over time, as it must.

Check it with::

    rnn-ref check --bptt full tests/corpus/right_loop_free_backward.py:gradients
"""

import numpy as np

EXPECT = {
    "verdict": "pass",
    "mistake": None,
    "accept": [],
    "equation": None,
    "quantity": [],
    "target": "gradients",
    "scope": ["--bptt", "full"],
    "narrow": False,
}

PHI = {
    "tanh": (np.tanh, lambda h: 1.0 - h * h),
    "sigmoid": (lambda a: 0.5 + 0.5 * np.tanh(0.5 * a), lambda h: h * (1.0 - h)),
    "relu": (lambda a: np.maximum(a, 0.0), lambda h: (h > 0).astype(float)),
}


def gradients(params, xs, targets, spec, h0, weights):
    if spec["truncation"] is not None:
        raise NotImplementedError("full BPTT only")
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    phi, dphi = PHI[spec["activation"]]
    T, B, _ = xs.shape
    H = W_hh.shape[0]
    hs = np.empty((T + 1, B, H))
    hs[0] = h0
    for t in range(T):
        hs[t + 1] = phi(xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h)
    ys = hs[1:] @ W_hy.T + b_y
    w = weights[..., None]
    if spec["loss"] == "mse":
        loss = 0.5 * np.sum(w * (ys - targets) ** 2)
        dys = w * (ys - targets)
    else:
        m = ys.max(axis=-1, keepdims=True)
        logp = ys - m - np.log(np.exp(ys - m).sum(axis=-1, keepdims=True))
        onehot = np.eye(ys.shape[-1])[targets]
        loss = -np.sum(w * onehot * logp)
        dys = w * (np.exp(logp) - onehot)

    # (I - N) delta = r, with r_t = phi'_t * W_hy^T dy_t and N_{t,t+1} = diag(phi'_t) W_hh^T
    D = dphi(hs[1:]).transpose(1, 0, 2).reshape(B, T * H)  # (B, T H)
    r = D * (dys @ W_hy).transpose(1, 0, 2).reshape(B, T * H)
    shift = np.kron(np.eye(T, k=1), W_hh.T)  # block (t, t+1) = W_hh^T
    system = np.eye(T * H)[None] - D[:, :, None] * shift[None]
    deltas = np.linalg.solve(system, r[..., None])[..., 0].reshape(B, T, H).transpose(1, 0, 2)

    return {
        "loss": float(loss),
        "W_xh": np.einsum("tbh,tbd->hd", deltas, xs),
        "W_hh": np.einsum("tbh,tbj->hj", deltas, hs[:-1]),
        "b_h": deltas.sum(axis=(0, 1)),
        "W_hy": np.einsum("tbo,tbh->oh", dys, hs[1:]),
        "b_y": dys.sum(axis=(0, 1)),
        "xs": deltas @ W_xh,
        "h0": deltas[0] @ W_hh,
    }
