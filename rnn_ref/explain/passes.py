"""The forward and backward passes that ``rnn-ref explain`` shows, one step at a time.

Each value is written to the renderer as soon as it is computed (``rnn_ref.explain.text``
lists the renderer's methods), with the number of the equation it computes: (1) to (14) of
``docs/bptt.md``, and (W1) to (W3) and (C1) of ``docs/truncation.md``. The values come from
``rnn_ref.step_forward`` / ``rnn_ref.step_backward``; under window(k) one ``step_backward``
runs per loss term, so that each term's delta can be shown on its own line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import phi_prime
from ..containers import Spec
from ..step import StepCache, step_backward, step_forward
from .case import Case, last_reacher, reach, span
from .text import Renderer

# How phi'(a_t) is computed from h_t = phi(a_t) (rnn_ref.activations).
_PHI_PRIME = {"tanh": "1 - h_{t}^2", "sigmoid": "h_{t} (1 - h_{t})", "relu": "[h_{t} > 0]"}


@dataclass(frozen=True, eq=False)
class Step:
    """The forward values of step t, all (B, ...) arrays."""

    a: np.ndarray
    h: np.ndarray
    y: np.ndarray
    terms: np.ndarray  # (B,) w_t * l_t per sequence
    dy: np.ndarray  # (B, O) dL/dy_t
    cache: StepCache


@dataclass
class Totals:
    """The running sums of the printed contributions, named like ``rnn_ref.Gradients``,
    and the norms of the per-step summary, (T, 3): ||dL/dh_t||, ||delta_t||, ||dL/dx_t||."""

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray
    xs: np.ndarray
    h0: np.ndarray
    norms: np.ndarray


def _loss_and_dy(
    y: np.ndarray, target: np.ndarray, w: np.ndarray, loss: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(4) w_t * l(y_t, z_t) per sequence, (5) dL/dy_t, and softmax(y_t) (``None`` for mse)."""
    counted = w != 0  # padding (weight 0) may hold any target, NaN or -1: never read it
    if loss == "mse":
        residual = np.where(counted[:, None], y - target, 0.0)
        # eq. (4) w_t * 1/2 |y_t - z_t|^2;  eq. (5) dL/dy_t = w_t (y_t - z_t)
        return w * 0.5 * np.sum(residual * residual, axis=-1), w[:, None] * residual, None
    # log softmax, shifted by the maximum so that exp never overflows
    shifted = y - y.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    rows = np.arange(y.shape[0])
    safe = np.where(counted, target, 0)
    onehot = np.zeros_like(y)
    onehot[rows, safe] = counted
    p = np.exp(log_p)
    # eq. (4) w_t * (logsumexp(y_t) - y_t[c]);  eq. (5) dL/dy_t = w_t (softmax(y_t) - e_c)
    terms = np.where(counted, -w * log_p[rows, safe], 0.0)
    return terms, w[:, None] * (p - onehot), p


def forward_pass(out: Renderer, case: Case) -> list[Step]:
    p, spec = case.params, case.spec
    T = case.xs.shape[0]
    out.heading("Forward pass")
    steps: list[Step] = []
    h_prev = case.h0
    total = 0.0
    for t in range(1, T + 1):
        x = case.xs[t - 1]
        h, cache = step_forward(p, x, h_prev, spec.activation)
        a = cache.a_t
        y = h @ p.W_hy.T + p.b_y  # eq. (3)
        terms, dy, probabilities = _loss_and_dy(
            y, case.targets[t - 1], case.weights[t - 1], spec.loss
        )
        steps.append(Step(a=a, h=h, y=y, terms=terms, dy=dy, cache=cache))
        h_prev = h
        total += float(np.sum(terms))

        out.step(f"step t={t}")
        out.rows(f"(1) $a_{t} = W_xh x_{t} + W_hh h_{t - 1} + b_h$", a)
        out.rows(f"(2) $h_{t} = {spec.activation}(a_{t})$", h)
        out.rows(f"(3) $y_{t} = W_hy h_{t} + b_y$", y)
        if spec.loss == "mse":
            out.rows(f"(4) $w_{t} (1/2 |y_{t} - z_{t}|^2)$", terms)
        else:
            out.rows(f"    $softmax(y_{t})$", probabilities)
            out.rows(f"(4) $w_{t} (logsumexp(y_{t}) - y_{t}[c_{t}])$", terms)
    return steps


def backward_pass(out: Renderer, case: Case, steps: list[Step]) -> Totals:
    """Steps t = T..1: equations (5)-(13), then (14); returns the summed contributions."""
    p, spec = case.params, case.spec
    T, B, _ = case.xs.shape
    k = spec.truncation
    window = k is not None and spec.truncation_mode == "window"
    zero = np.zeros((B, p.hidden_size))
    totals = Totals(
        *(np.zeros_like(a) for a in p.arrays()),
        xs=np.zeros_like(case.xs),
        h0=zero.copy(),
        norms=np.zeros((T, 3)),
    )
    out.heading("Backward pass, t = T..1")
    # What flows back into h_t from step t+1. Full and chunk: one sum, W_hh^T delta_{t+1}
    # (or 0 when h_t enters a chunk). Window: one part per loss term tau that reaches t.
    carried = zero
    pending: dict[int, np.ndarray] = {}
    for t in range(T, 0, -1):
        s = steps[t - 1]
        last = last_reacher(T, spec, t)
        out.step(f"step t={t} (transition {t} is reached by {span(t, last, 'loss term')})")
        if spec.loss == "mse":
            out.rows(f"(5) $dL/dy_{t} = w_{t} (y_{t} - z_{t})$", s.dy)
        else:
            out.rows(f"(5) $dL/dy_{t} = w_{t} (softmax(y_{t}) - e_{{c_{t}}})$", s.dy)
        from_out = s.dy @ p.W_hy  # eq. (8), read-out part: W_hy^T dy_t
        dphi = phi_prime(s.h, spec.activation)
        phi_label = f"    $phi'(a_{t}) = {_PHI_PRIME[spec.activation].format(t=t)}$"
        if window:
            dh = from_out + sum(pending.values(), zero)  # eq. (8), summed over the copies
            out.rows(phi_label, dphi)
            delta = _show_window_deltas(out, T, k, t, from_out, dphi, pending)
            dx, grads, pending = _window_step(T, spec, t, from_out, pending, s.cache)
            dh_prev = sum(pending.values(), zero)
        else:
            dh = from_out + carried  # eq. (8) dL/dh_t
            enters = k is not None and t < T and t % k == 0
            _show_carry(out, T, t, from_out, carried, enters)
            out.rows(phi_label, dphi)
            # Shown here; step_backward forms the same product inside.
            delta = dphi * dh
            out.rows(f"(9) $delta_{t} = phi'(a_{t}) * dL/dh_{t}$", delta)
            dx, dh_prev, g = step_backward(dh, s.cache)
            grads = (g.W_xh, g.W_hh, g.b_h)
            # eq. (C1) when h_{t-1} enters a chunk it is held constant: nothing flows into it.
            carried = zero if k is not None and t > 1 and (t - 1) % k == 0 else dh_prev
        _show_contributions(out, t, s, dx, grads, totals)
        totals.norms[t - 1] = [np.linalg.norm(q) for q in (dh, delta, dx)]
        if t == 1:
            totals.h0 = dh_prev

    out.step("h0")
    out.rows("(14) $dL/dh0 = W_hh^T delta_1$", totals.h0)
    reaching = span(1, last_reacher(T, spec, 1), "loss term")
    out.note(f"(h0 is live: {reaching} reach it through transition 1)", aside=True)
    return totals


def _show_carry(
    out: Renderer, T: int, t: int, from_out: np.ndarray, carried: np.ndarray, enters: bool
) -> None:
    """Full and chunk(k): dL/dh_t from the read-out and the term carried from step t+1."""
    out.rows(f"(8) from the read-out: $W_hy^T dL/dy_{t}$", from_out)
    if t == T:
        out.rows(f"(8) carried from t={t + 1}: none, t = T", carried)
    elif enters:
        out.rows(f"(C1) carried from t={t + 1}: 0", carried)
        out.note(f"(h_{t} enters a chunk: held constant)", aside=True)
    else:
        out.rows(f"(8) carried from t={t + 1}: $W_hh^T delta_{t + 1}$", carried)
    if enters:
        out.rows(f"(C1) $dL/dh_{t} = W_hy^T dL/dy_{t} + 0$", from_out + carried)
    else:
        out.rows(f"(8) $dL/dh_{t}$ = read-out + carried", from_out + carried)


def _show_window_deltas(
    out: Renderer,
    T: int,
    k: int,
    t: int,
    from_out: np.ndarray,
    dphi: np.ndarray,
    pending: dict[int, np.ndarray],
) -> np.ndarray:
    """window(k): print the delta of each loss term that reaches t, and their sum delta_t.

    ``pending[tau]`` is W_hh^T delta^(tau)_{t+1}, what loss term tau carries back into h_t.
    Shown here; ``step_backward`` forms the same products inside.
    """
    own = dphi * from_out
    out.rows(f"(W1) $delta^({t})_{t} = phi'(a_{t}) * W_hy^T dL/dy_{t}$", own)
    delta = own
    for tau, part in sorted(pending.items()):
        mine = dphi * part
        out.rows(f"(W2) $delta^({tau})_{t} = phi'(a_{t}) * W_hh^T delta^({tau})_{t + 1}$", mine)
        delta = delta + mine
    if t + k <= T:
        out.note(
            f"(loss term {t + k} stops at transition {t + 1}: it holds h_{t} constant)", aside=True
        )
    last = max(pending, default=t)
    terms = " + ".join(f"delta^({tau})_{t}" for tau in range(t, last + 1))
    if last - t >= 3:
        terms = f"sum_{{tau={t}..{last}}} delta^(tau)_{t}"
    out.rows(f"(W3) $delta_{t} = {terms}$", delta)
    return delta


def _window_step(
    T: int,
    spec: Spec,
    t: int,
    from_out: np.ndarray,
    pending: dict[int, np.ndarray],
    cache: StepCache,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], dict[int, np.ndarray]]:
    """window(k) at transition t: one ``step_backward`` per loss term tau that reaches t.

    Loss term tau's part of dL/dh_t is the read-out's (tau = t) or what it carried back
    from t+1. Returns dL/dx_t and the contributions to dW_xh, dW_hh, db_h, summed over
    the loss terms, and the parts W_hh^T delta^(tau)_t of the terms that reach h_{t-1}
    too (all of them at t = 1, where h0 is live).
    """
    dx, dW_xh, dW_hh, db_h = 0.0, 0.0, 0.0, 0.0
    carried_back = {}
    for tau in range(t, last_reacher(T, spec, t) + 1):
        part = from_out if tau == t else pending[tau]
        dx_tau, dh_prev_tau, g = step_backward(part, cache)
        dx, dW_xh, dW_hh, db_h = dx + dx_tau, dW_xh + g.W_xh, dW_hh + g.W_hh, db_h + g.b_h
        if t == 1 or reach(T, spec, tau) <= t - 1:
            carried_back[tau] = dh_prev_tau
    return dx, (dW_xh, dW_hh, db_h), carried_back


def _show_contributions(
    out: Renderer,
    t: int,
    s: Step,
    dx: np.ndarray,
    grads: tuple[np.ndarray, ...],
    totals: Totals,
) -> None:
    """Print step t's part of every gradient, (6), (7), (10)-(13), and add it to ``totals``."""
    dW_xh, dW_hh, db_h = grads
    dW_hy = s.dy.T @ s.h  # eq. (6) dy_t h_t^T, summed over the batch
    db_y = s.dy.sum(axis=0)  # eq. (7) dy_t
    out.array(f"(10) $dW_xh += delta_{t} x_{t}^T$", dW_xh)
    out.array(f"(11) $dW_hh += delta_{t} h_{t - 1}^T$", dW_hh)
    out.array(f"(12) $db_h$  += $delta_{t}$", db_h)
    out.array(f"(6)  $dW_hy += dL/dy_{t} h_{t}^T$", dW_hy)
    out.array(f"(7)  $db_y$  += $dL/dy_{t}$", db_y)
    out.rows(f"(13) $dL/dx_{t} = W_xh^T delta_{t}$", dx)
    totals.W_xh += dW_xh
    totals.W_hh += dW_hh
    totals.b_h += db_h
    totals.W_hy += dW_hy
    totals.b_y += db_y
    totals.xs[t - 1] = dx
