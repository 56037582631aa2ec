"""``rnn-ref explain``: one tiny network, forward and backward, one printed line per quantity.

A learner who computes BPTT by hand (or checks their own code) can compare every
intermediate value with this text: the forward values of each step, then each step of the
backward pass under full, window(k) or chunk(k) truncation (spec section 3), and the
contribution of each step to every gradient. The numbers come from the teaching layer
``rnn_ref.step_forward`` / ``rnn_ref.step_backward``, one step at a time, and in window mode
one loss term at a time; they are not taken from ``rnn_ref.gradients``. The last line
compares their sums with ``rnn_ref.gradients``.

The case is rebuilt from the seed alone. One ``np.random.default_rng(seed)`` draws, in
this order:

1. ``W_xh`` (H, D), ``W_hh`` (H, H), ``W_hy`` (O, H), exactly as
   ``rnn_ref.init_params(D, H, O, seed=seed, scheme=init)`` draws them (biases are zero);
2. ``xs`` (T, B, D) from U(-1, 1);
3. the targets: for ``mse`` z (T, B, O) from U(-1, 1), for ``softmax_ce`` class ids
   ``rng.integers(0, O, size=(T, B))``;
4. ``h0`` (B, H) from U(-1, 1), only with ``h0="random"`` (otherwise zeros, nothing drawn).

The loss weights are all ones (``weights="all"``, many-to-many) or ones at the last step
only (``weights="last"``, many-to-one).

Equation numbers are those of ``docs/bptt.md``: (1) a_t, (2) h_t, (3) y_t, (4) the loss,
(5) dL/dy_t, (6) dW_hy, (7) db_y, (8) dL/dh_t, (9) delta_t, (10) dW_xh, (11) dW_hh,
(12) db_h, (13) dL/dx_t, (14) dL/dh0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _validation as v
from .activations import phi_prime
from .bptt import gradients
from .containers import Params, Spec
from .initialise import init_params
from .step import StepCache, step_backward, step_forward

H0_CHOICES = ("zeros", "random")
WEIGHT_CHOICES = ("all", "last")
MAX_PRECISION = 17
# explain prints every value, so its size bounds its time and its output. Measured on
# one core: 0.09 to 0.11 ms of CPU per line, 8 us and 7.6 bytes per number; so a case at
# either limit below runs for about 10 s and prints at most about 8 MB. A case past them
# is refused before anything is drawn (``check_size``).
MAX_LINES = 100_000
MAX_NUMBERS = 1_000_000

# How phi'(a_t) is computed from h_t = phi(a_t) (rnn_ref.activations).
_PHI_PRIME = {"tanh": "1 - h_{t}^2", "sigmoid": "h_{t} (1 - h_{t})", "relu": "[h_{t} > 0]"}
_LABEL_WIDTH = 46


@dataclass(frozen=True)
class ExplainConfig:
    """Everything ``explain`` prints is determined by these values.

    Attributes:
        steps: T. batch: B. inputs: D. hidden: H. outputs: O. Each at least 1.
        seed: the seed of the one ``np.random.default_rng`` that draws the case.
        activation, loss: as in ``rnn_ref.Spec``.
        truncation: ``None`` (full BPTT) or k >= 1. mode: ``"window"`` or ``"chunk"``.
        init: the ``rnn_ref.init_params`` scheme, ``"xavier"`` or ``"uniform01"``.
        h0: ``"zeros"`` or ``"random"``.
        weights: ``"all"`` (many-to-many) or ``"last"`` (many-to-one).
        precision: decimals printed, 1 to 17. Sums always use the full float64 values.
    """

    steps: int = 3
    batch: int = 1
    inputs: int = 2
    hidden: int = 3
    outputs: int = 2
    seed: int = 0
    activation: str = "tanh"
    loss: str = "mse"
    truncation: int | None = None
    mode: str = "window"
    init: str = "xavier"
    h0: str = "zeros"
    weights: str = "all"
    precision: int = 4


@dataclass(frozen=True, eq=False)
class Case:
    """The tiny problem that ``explain`` works through: the arguments of ``rnn_ref.gradients``."""

    params: Params
    xs: np.ndarray
    targets: np.ndarray
    h0: np.ndarray
    weights: np.ndarray
    spec: Spec


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, got {value!r}")


def build_case(config: ExplainConfig) -> Case:
    """Draw the parameters and data of ``config`` in the order of the module docstring."""
    T = v.check_integer(config.steps, "steps", 1)
    B = v.check_integer(config.batch, "batch", 1)
    D = v.check_integer(config.inputs, "inputs", 1)
    H = v.check_integer(config.hidden, "hidden", 1)
    O = v.check_integer(config.outputs, "outputs", 1)
    seed = v.check_integer(config.seed, "seed", 0)
    precision = v.check_integer(config.precision, "precision", 1)
    if precision > MAX_PRECISION:
        raise ValueError(f"precision: expected at most {MAX_PRECISION} decimals, got {precision}")
    _check_choice("h0", config.h0, H0_CHOICES)
    _check_choice("weights", config.weights, WEIGHT_CHOICES)
    spec = Spec(config.activation, config.loss, config.truncation, config.mode)
    check_size(T, B, D, H, O, spec)

    params = init_params(D, H, O, seed=seed, scheme=config.init)
    rng = np.random.default_rng(seed)
    # Step past the three matrices that init_params drew from this same stream (one
    # double per entry, whatever the bounds), so that the data continue the stream.
    for shape in ((H, D), (H, H), (O, H)):
        rng.uniform(size=shape)
    xs = rng.uniform(-1.0, 1.0, size=(T, B, D))
    if spec.loss == "mse":
        targets = rng.uniform(-1.0, 1.0, size=(T, B, O))
    else:
        targets = rng.integers(0, O, size=(T, B))
    h0 = rng.uniform(-1.0, 1.0, size=(B, H)) if config.h0 == "random" else np.zeros((B, H))
    weights = np.ones((T, B))
    if config.weights == "last":
        weights[:-1] = 0.0
    return Case(params=params, xs=xs, targets=targets, h0=h0, weights=weights, spec=spec)


def printed_size(T: int, B: int, D: int, H: int, O: int, spec: Spec) -> tuple[int, int]:
    """About how many lines and numbers ``explain`` prints for these sizes.

    Per step: the forward rows (a, h, y, the loss term) and the backward rows (dy, the
    read-out part, what is carried, dL/dh, phi', delta, dx), B each, and the step's
    contributions to the five parameter gradients. Under window(k), k < T, up to k loss
    terms carry a part back into each state, one row each.
    """
    k = spec.truncation
    depth = k + 1 if k is not None and k < T and spec.truncation_mode == "window" else 1
    per_step_lines = B * (14 + depth) + 2 * H + O + 6
    per_step_numbers = B * (7 * H + 2 * O + D + 2 + H * depth) + H * (D + H + 1 + O) + O
    fixed = 4 * (H * (D + H + 1 + O) + O)  # parameters and totals, twice each
    return T * per_step_lines + 2 * H + 2 * O + 30, T * per_step_numbers + fixed


def check_size(T: int, B: int, D: int, H: int, O: int, spec: Spec) -> None:
    """Refuse a case whose text would pass ``MAX_LINES`` or ``MAX_NUMBERS``."""
    lines, numbers = printed_size(T, B, D, H, O, spec)
    if lines > MAX_LINES or numbers > MAX_NUMBERS:
        raise ValueError(
            f"sizes: expected a case that prints at most {MAX_LINES:,} lines and "
            f"{MAX_NUMBERS:,} numbers (explain shows every value of a tiny network), got "
            f"T={T} B={B} D={D} H={H} O={O} with truncation {_truncation_name(spec)}, "
            f"about {lines:,} lines and {numbers:,} numbers; lower T, B, H or k"
        )


def reach(T: int, spec: Spec, t: int) -> int:
    """The first transition that the loss term at step t reaches (spec section 3)."""
    k = spec.truncation
    if k is None:
        return 1
    if spec.truncation_mode == "window":
        return max(1, t - k + 1)
    return (t - 1) // k * k + 1  # the first transition of t's chunk


def _last_reacher(T: int, spec: Spec, t: int) -> int:
    """The last loss term that reaches transition t (all terms t..this one do)."""
    return max(tau for tau in range(t, T + 1) if reach(T, spec, tau) <= t)


def _interval(first: int, last: int) -> str:
    return f"{first}" if first == last else f"{first}..{last}"


def _span(first: int, last: int, noun: str) -> str:
    """``transition 3`` or ``transitions 2..3``."""
    return f"{noun}{'' if first == last else 's'} {_interval(first, last)}"


class _Text:
    """Lines of the output: a label column, then a value rounded to ``precision`` decimals.

    Each line goes to ``write`` as soon as it is made, so that the first lines show at
    once and no copy of the whole text is held.
    """

    def __init__(self, precision: int, batch: int, write: Callable[[str], object]):
        self.precision = precision
        self.batch = batch
        self.write = write

    def line(self, text: str = "") -> None:
        self.write(text.rstrip() + "\n")

    def _head(self, label: str) -> str:
        head = f"  {label}"
        if len(head) < _LABEL_WIDTH:
            return head.ljust(_LABEL_WIDTH)
        self.line(head)  # a long label gets a line of its own
        return " " * _LABEL_WIDTH

    def _array(self, a: np.ndarray, indent: int) -> str:
        return np.array2string(
            np.asarray(a),
            precision=self.precision,
            floatmode="fixed",
            sign=" ",
            max_line_width=1_000_000,
            prefix=" " * indent,
        )

    def _scalar(self, x: float) -> str:
        return f"{x: .{self.precision}f}"

    def rows(self, label: str, rows: np.ndarray) -> None:
        """One value per sequence: ``rows`` has shape (B, n), or (B,) for scalars."""
        rows = np.asarray(rows)
        head = self._head(label)
        for b in range(self.batch):
            tag = f"b={b + 1} " if self.batch > 1 else ""
            value = self._scalar(rows[b]) if rows.ndim == 1 else self._array(rows[b], 0)
            if rows.ndim == 1 and rows.dtype.kind in "iu":
                value = f"{int(rows[b])}"
            self.line(f"{head if b == 0 else ' ' * _LABEL_WIDTH}{tag}{value}")

    def array(self, label: str, a: np.ndarray) -> None:
        """One array (a matrix is printed one row per line, aligned)."""
        head = self._head(label)
        self.line(head + self._array(a, _LABEL_WIDTH))

    def value(self, label: str, x: float) -> None:
        self.line(self._head(label) + self._scalar(x))


@dataclass(frozen=True, eq=False)
class _Step:
    """The forward values of step t, all (B, ...) arrays."""

    a: np.ndarray
    h: np.ndarray
    y: np.ndarray
    terms: np.ndarray  # (B,) w_t * l_t per sequence
    dy: np.ndarray  # (B, O) dL/dy_t
    cache: StepCache


def _loss_and_dy(
    y: np.ndarray, target: np.ndarray, w: np.ndarray, loss: str
) -> tuple[np.ndarray, np.ndarray]:
    """(4) w_t * l(y_t, z_t) per sequence and (5) dL/dy_t, written out for one step."""
    if loss == "mse":
        residual = y - target
        # eq. (4) w_t * 1/2 |y_t - z_t|^2;  eq. (5) dL/dy_t = w_t (y_t - z_t)
        return w * 0.5 * np.sum(residual * residual, axis=-1), w[:, None] * residual
    # log softmax, shifted by the maximum so that exp never overflows
    shifted = y - y.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    rows = np.arange(y.shape[0])
    onehot = np.zeros_like(y)
    onehot[rows, target] = 1.0
    # eq. (4) w_t * (logsumexp(y_t) - y_t[c]);  eq. (5) dL/dy_t = w_t (softmax(y_t) - e_c)
    return -w * log_p[rows, target], w[:, None] * (np.exp(log_p) - onehot)


def _truncation_name(spec: Spec) -> str:
    if spec.truncation is None:
        return "full"
    return f"{spec.truncation_mode}({spec.truncation})"


def _header(out: _Text, config: ExplainConfig, case: Case) -> None:
    T, B, D = case.xs.shape
    H, O = case.params.hidden_size, case.params.output_size
    spec = case.spec
    many = "many-to-many" if config.weights == "all" else "many-to-one"
    out.line(f"rnn-ref explain: T={T} B={B} D={D} H={H} O={O}, seed {config.seed}")
    out.line(
        f"  activation {spec.activation}, loss {spec.loss}, truncation {_truncation_name(spec)}, "
        f"init {config.init}, h0 {config.h0}, weights {config.weights} ({many})"
    )
    out.line(
        f"  Values are printed to {config.precision} decimals; every sum uses the full "
        "float64 values."
    )
    out.line(
        f"  One np.random.default_rng({config.seed}) draws W_xh, W_hh, W_hy "
        "(as rnn_ref.init_params does),"
    )
    targets = "z ~ U(-1, 1)" if spec.loss == "mse" else "class ids c = rng.integers(0, O)"
    out.line(f"  then xs ~ U(-1, 1), then the targets {targets}, then h0 ~ U(-1, 1) if random.")
    out.line()
    out.line("Parameters")
    p = case.params
    out.array("W_xh (H, D)", p.W_xh)
    out.array("W_hh (H, H)", p.W_hh)
    out.array("b_h (H,)", p.b_h)
    out.array("W_hy (O, H)", p.W_hy)
    out.array("b_y (O,)", p.b_y)
    out.line()
    out.line("Data")
    for t in range(1, T + 1):
        out.rows(f"x_{t}", case.xs[t - 1])
    for t in range(1, T + 1):
        if spec.loss == "mse":
            out.rows(f"z_{t} (target)", case.targets[t - 1])
        else:
            out.rows(f"c_{t} (target class)", case.targets[t - 1])
    out.rows("h0", case.h0)
    for t in range(1, T + 1):
        out.rows(f"w_{t} (loss weight)", case.weights[t - 1])


def _reach_section(out: _Text, case: Case) -> None:
    T = case.xs.shape[0]
    spec = case.spec
    k = spec.truncation
    out.line()
    out.line("Which transitions each loss term reaches")
    if k is None:
        out.line("  full BPTT: every loss term reaches back to h0")
    elif spec.truncation_mode == "window":
        same = ", k >= T: the same as full" if k >= T else ""
        out.line(f"  window({k}): each loss term sees its {k} most recent transitions{same}")
    else:
        chunks = [_interval(s, min(s + k - 1, T)) for s in range(1, T + 1, k)]
        held = ", ".join(f"h_{s - 1}" for s in range(k + 1, T + 1, k)) or "none"
        out.line(
            f"  chunk({k}): chunks of {k} transitions: {', '.join(chunks)}; held constant: {held}"
        )
    for t in range(1, T + 1):
        first = reach(T, spec, t)
        origin = "h0 (live)" if first == 1 else f"stop_gradient(h_{first - 1})"
        w = case.weights[t - 1]
        weight = f"{w[0]:g}" if np.all(w == w[0]) else np.array2string(w)
        line = (
            f"  loss term t={t} (weight {weight}): {_span(first, t, 'transition')}, from {origin}"
        )
        if not np.any(w):
            line += "; weight 0: adds nothing"
        out.line(line)


def _forward(out: _Text, case: Case) -> list[_Step]:
    p, spec = case.params, case.spec
    T = case.xs.shape[0]
    out.line()
    out.line("Forward pass")
    steps: list[_Step] = []
    h_prev = case.h0
    total = 0.0
    for t in range(1, T + 1):
        x = case.xs[t - 1]
        h, cache = step_forward(p, x, h_prev, spec.activation)
        a = cache.a_t
        y = h @ p.W_hy.T + p.b_y  # eq. (3)
        terms, dy = _loss_and_dy(y, case.targets[t - 1], case.weights[t - 1], spec.loss)
        steps.append(_Step(a=a, h=h, y=y, terms=terms, dy=dy, cache=cache))
        h_prev = h
        total += float(np.sum(terms))

        out.line(f"step t={t}")
        out.rows(f"(1) a_{t} = W_xh x_{t} + W_hh h_{t - 1} + b_h", a)
        out.rows(f"(2) h_{t} = {spec.activation}(a_{t})", h)
        out.rows(f"(3) y_{t} = W_hy h_{t} + b_y", y)
        if spec.loss == "mse":
            out.rows(f"(4) w_{t} * 1/2 |y_{t} - z_{t}|^2", terms)
        else:
            out.rows(f"(4) w_{t} * (logsumexp(y_{t}) - y_{t}[c_{t}])", terms)
    out.value("(4) L = sum of the loss terms", total)
    return steps


@dataclass
class _Totals:
    """The running sums of the printed contributions, named like ``rnn_ref.Gradients``."""

    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray
    xs: np.ndarray
    h0: np.ndarray


def _backward(out: _Text, case: Case, steps: list[_Step]) -> _Totals:
    """Steps t = T..1: equations (5)-(13), then (14); returns the summed contributions."""
    p, spec = case.params, case.spec
    T, B, _ = case.xs.shape
    k = spec.truncation
    window = k is not None and spec.truncation_mode == "window"
    zero = np.zeros((B, p.hidden_size))
    totals = _Totals(
        *(np.zeros_like(a) for a in p.arrays()), xs=np.zeros_like(case.xs), h0=zero.copy()
    )
    out.line()
    out.line("Backward pass, t = T..1")
    # What flows back into h_t from step t+1. Full and chunk: one sum, W_hh^T delta_{t+1}
    # (or 0 when h_t enters a chunk). Window: one part per loss term tau that reaches t.
    carried = zero
    pending: dict[int, np.ndarray] = {}
    for t in range(T, 0, -1):
        s = steps[t - 1]
        last = _last_reacher(T, spec, t)
        out.line(f"step t={t} (transition {t} is reached by {_span(t, last, 'loss term')})")
        if spec.loss == "mse":
            out.rows(f"(5) dL/dy_{t} = w_{t} (y_{t} - z_{t})", s.dy)
        else:
            out.rows(f"(5) dL/dy_{t} = w_{t} (softmax(y_{t}) - e_{{c_{t}}})", s.dy)
        from_out = s.dy @ p.W_hy  # eq. (8), read-out part: W_hy^T dy_t
        out.rows(f"(8) from the read-out: W_hy^T dL/dy_{t}", from_out)
        if window:
            carried = _show_window_carry(out, T, k, t, pending, zero)
        else:
            _show_carry(out, T, k, t, carried)
        dh = from_out + carried  # eq. (8) dL/dh_t
        dphi = phi_prime(s.h, spec.activation)
        out.rows(f"(8) dL/dh_{t} = read-out + carried", dh)
        out.rows(f"    phi'(a_{t}) = {_PHI_PRIME[spec.activation].format(t=t)}", dphi)
        # Shown here; step_backward forms the same product inside.
        out.rows(f"(9) delta_{t} = phi'(a_{t}) * dL/dh_{t}", dphi * dh)

        if window:
            dx, grads, pending = _window_step(T, spec, t, from_out, pending, s.cache)
            dh_prev = sum(pending.values(), zero)
        else:
            dx, dh_prev, g = step_backward(dh, s.cache)
            grads = (g.W_xh, g.W_hh, g.b_h)
            # eq. (C1) when h_{t-1} enters a chunk it is held constant: nothing flows into it.
            enters_chunk = k is not None and t > 1 and (t - 1) % k == 0
            carried = zero if enters_chunk else dh_prev
        _show_contributions(out, t, s, dx, grads, totals)
        if t == 1:
            totals.h0 = dh_prev

    out.line("h0")
    out.rows("(14) dL/dh0 = W_hh^T delta_1", totals.h0)
    reaching = _span(1, _last_reacher(T, spec, 1), "loss term")
    out.line(f"      (h0 is live: {reaching} reach it through transition 1)")
    return totals


def _show_carry(out: _Text, T: int, k: int | None, t: int, carried: np.ndarray) -> None:
    """Full and chunk(k): print the term carried back into h_t from step t+1."""
    if t == T:
        out.rows(f"(8) carried from t={t + 1}: none, t = T", carried)
    elif k is not None and t % k == 0:
        out.rows(f"(8) carried from t={t + 1}: 0", carried)
        out.line(f"      (h_{t} enters a chunk: held constant)")
    else:
        out.rows(f"(8) carried from t={t + 1}: W_hh^T delta_{t + 1}", carried)


def _show_window_carry(
    out: _Text, T: int, k: int, t: int, pending: dict[int, np.ndarray], zero: np.ndarray
) -> np.ndarray:
    """window(k): print what each later loss term carries back into h_t; return the sum."""
    carried = sum(pending.values(), zero)
    if not pending:
        reason = "t = T" if t == T else f"loss term {t + 1} stops at transition {t + 1}"
        out.rows(f"(8) carried from t={t + 1}: none, {reason}", carried)
        return carried
    for tau, part in sorted(pending.items()):
        out.rows(f"(8) loss term {tau} carries W_hh^T delta^({tau})_{t + 1}", part)
    if len(pending) > 1:
        out.rows(f"(8) carried: sum over loss terms {min(pending)}..{max(pending)}", carried)
    if t + k <= T:
        out.line(f"      (loss term {t + k} stops at transition {t + 1}: it holds h_{t} constant)")
    return carried


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
    for tau in range(t, _last_reacher(T, spec, t) + 1):
        part = from_out if tau == t else pending[tau]
        dx_tau, dh_prev_tau, g = step_backward(part, cache)
        dx, dW_xh, dW_hh, db_h = dx + dx_tau, dW_xh + g.W_xh, dW_hh + g.W_hh, db_h + g.b_h
        if t == 1 or reach(T, spec, tau) <= t - 1:
            carried_back[tau] = dh_prev_tau
    return dx, (dW_xh, dW_hh, db_h), carried_back


def _show_contributions(
    out: _Text,
    t: int,
    s: _Step,
    dx: np.ndarray,
    grads: tuple[np.ndarray, ...],
    totals: _Totals,
) -> None:
    """Print step t's part of every gradient, (6), (7), (10)-(13), and add it to ``totals``."""
    dW_xh, dW_hh, db_h = grads
    dW_hy = s.dy.T @ s.h  # eq. (6) dy_t h_t^T, summed over the batch
    db_y = s.dy.sum(axis=0)  # eq. (7) dy_t
    out.array(f"(10) dW_xh += delta_{t} x_{t}^T", dW_xh)
    out.array(f"(11) dW_hh += delta_{t} h_{t - 1}^T", dW_hh)
    out.array(f"(12) db_h  += delta_{t}", db_h)
    out.array(f"(6)  dW_hy += dL/dy_{t} h_{t}^T", dW_hy)
    out.array(f"(7)  db_y  += dL/dy_{t}", db_y)
    out.rows(f"(13) dL/dx_{t} = W_xh^T delta_{t}", dx)
    totals.W_xh += dW_xh
    totals.W_hh += dW_hh
    totals.b_h += db_h
    totals.W_hy += dW_hy
    totals.b_y += db_y
    totals.xs[t - 1] = dx


def _check(out: _Text, case: Case, total_loss: float, totals: _Totals) -> None:
    ref = gradients(case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights)
    out.line()
    out.line("Totals (the sums of the contributions above)")
    out.array("dL/dW_xh", totals.W_xh)
    out.array("dL/dW_hh", totals.W_hh)
    out.array("dL/db_h", totals.b_h)
    out.array("dL/dW_hy", totals.W_hy)
    out.array("dL/db_y", totals.b_y)
    out.rows("dL/dh0", totals.h0)
    pairs = {
        "dW_xh": (totals.W_xh, ref.params.W_xh),
        "dW_hh": (totals.W_hh, ref.params.W_hh),
        "db_h": (totals.b_h, ref.params.b_h),
        "dW_hy": (totals.W_hy, ref.params.W_hy),
        "db_y": (totals.b_y, ref.params.b_y),
        "dxs": (totals.xs, ref.xs),
        "dh0": (totals.h0, ref.h0),
        "L": (np.float64(total_loss), np.float64(ref.loss)),
    }
    diffs = {name: float(np.max(np.abs(mine - theirs))) for name, (mine, theirs) in pairs.items()}
    out.line(
        "check, max |sum above - rnn_ref.gradients|: "
        + ", ".join(f"{name} {d:.1e}" for name, d in diffs.items())
    )


def explain(config: ExplainConfig = ExplainConfig()) -> str:
    """The text of ``rnn-ref explain`` for ``config``: header, reach, forward, backward, check.

    Raises:
        ValueError, TypeError: a size, name or k out of range (the message names it).
    """
    lines: list[str] = []
    write_explain(config, lines.append)
    return "".join(lines)


def write_explain(config: ExplainConfig, write: Callable[[str], object]) -> None:
    """Pass the text of ``explain(config)`` to ``write``, line by line, as it is computed.

    The configuration is checked before the first line: an error leaves nothing written.
    """
    case = build_case(config)
    out = _Text(config.precision, case.xs.shape[1], write)
    _header(out, config, case)
    _reach_section(out, case)
    steps = _forward(out, case)
    totals = _backward(out, case, steps)
    total_loss = sum(float(np.sum(s.terms)) for s in steps)
    _check(out, case, total_loss, totals)
