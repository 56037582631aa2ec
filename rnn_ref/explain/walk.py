"""``rnn-ref explain``: one tiny network, forward and backward, one line per quantity.

A learner who computes BPTT by hand (or checks their own code) can compare every
intermediate value with this walk-through: the forward values of each step, then each step
of the backward pass under full, window(k) or chunk(k) truncation, and the contribution of
each step to every gradient. The numbers come from the teaching layer
``rnn_ref.step_forward`` / ``rnn_ref.step_backward``, one step at a time, and in window mode
one loss term at a time; they are not taken from ``rnn_ref.gradients``. The last line
compares their sums with ``rnn_ref.gradients``.

The case is drawn from a seed or read from a case file (``rnn_ref.explain.case``). The walk
writes to a renderer, one per format: text (``rnn_ref.explain.text``), Markdown
(``rnn_ref.explain.markdown``) and one self-contained HTML page (``rnn_ref.explain.html``).

Equation numbers are those of ``docs/bptt.md``: (1) a_t, (2) h_t, (3) y_t, (4) the loss,
(5) dL/dy_t, (6) dW_hy, (7) db_y, (8) dL/dh_t, (9) delta_t, (10) dW_xh, (11) dW_hh,
(12) db_h, (13) dL/dx_t, (14) dL/dh0; and of ``docs/truncation.md``: (W1) to (W3), the
deltas of each loss term under window(k), and (C1), what a state entering a chunk receives.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import numpy as np

from ..bptt import gradients
from ..containers import truncation_label
from .case import (
    Case,
    ExplainConfig,
    build_case,
    interval,
    reach,
    span,
)
from .passes import Step, Totals, backward_pass, forward_pass
from .text import NOT_REACHED, REACHED, Renderer, Silent, TextRenderer

FORMATS = ("text", "markdown", "html")
# A T x T grid is a picture up to here; past it, the lines of the reach section say it all.
GRID_MAX_T = 40

_SUMMARY_HEADERS = ("t", "w_t l_t", "||h_t||", "||dL/dh_t||", "||delta_t||", "||dL/dx_t||")


def _header(out: Renderer, config: ExplainConfig, case: Case, listed: bool) -> None:
    T, B, D = case.xs.shape
    H, O = case.params.hidden_size, case.params.output_size
    spec = case.spec
    out.begin(f"rnn-ref explain: T={T} B={B} D={D} H={H} O={O}, {case.source}")
    label = truncation_label(spec.truncation, spec.truncation_mode, full="full")
    what = f"activation {spec.activation}, loss {spec.loss}, truncation {label}"
    if config.case is None:
        many = "many-to-many" if config.weights == "all" else "many-to-one"
        out.note(f"{what}, init {config.init}, h0 {config.h0}, weights {config.weights} ({many})")
    else:
        out.note(f"{what}; parameters, data, h0 and loss weights from the file")
        if case.comment:
            out.note(f"comment: {case.comment}")
    out.note(
        f"Values are printed to {config.precision} decimals; every sum uses the full "
        "float64 values."
    )
    if config.case is None:
        out.note(
            f"One np.random.default_rng({config.seed}) draws W_xh, W_hh, W_hy "
            "(as rnn_ref.init_params does),"
        )
        targets = "z ~ U(-1, 1)" if spec.loss == "mse" else "class ids c = rng.integers(0, O)"
        out.note(f"then xs ~ U(-1, 1), then the targets {targets}, then h0 ~ U(-1, 1) if random.")
    if not listed:
        out.note(
            f"T = {T} is more than {config.summary_after} steps: the data and the "
            "step-by-step listing are left out;"
        )
        out.note("the per-step summary stands for them (rnn-ref explain --full lists every step).")
    out.heading("Parameters")
    p = case.params
    out.array("$W_xh$ (H, D)", p.W_xh)
    out.array("$W_hh$ (H, H)", p.W_hh)
    out.array("$b_h$ (H,)", p.b_h)
    out.array("$W_hy$ (O, H)", p.W_hy)
    out.array("$b_y$ (O,)", p.b_y)


def _data(out: Renderer, case: Case) -> None:
    T = case.xs.shape[0]
    out.heading("Data")
    for t in range(1, T + 1):
        out.rows(f"$x_{t}$", case.xs[t - 1])
    for t in range(1, T + 1):
        if case.spec.loss == "mse":
            out.rows(f"$z_{t}$ (target)", case.targets[t - 1])
        else:
            out.rows(f"$c_{t}$ (target class)", case.targets[t - 1])
    out.rows("$h0$", case.h0)
    for t in range(1, T + 1):
        out.rows(f"$w_{t}$ (loss weight)", case.weights[t - 1])


def _reach_section(out: Renderer, case: Case) -> None:
    T = case.xs.shape[0]
    spec = case.spec
    k = spec.truncation
    out.heading("Which transitions each loss term reaches")
    label = truncation_label(k, spec.truncation_mode)
    if k is None:
        out.note(f"{label}: every loss term reaches back to h0")
    elif spec.truncation_mode == "window":
        same = ", k >= T: the same as full" if k >= T else ""
        out.note(f"{label}: each loss term sees its {k} most recent transitions{same}")
    else:
        chunks = [interval(s, min(s + k - 1, T)) for s in range(1, T + 1, k)]
        held = ", ".join(f"h_{s - 1}" for s in range(k + 1, T + 1, k)) or "none"
        out.note(f"{label}: chunks of {k} transitions: {', '.join(chunks)}; held constant: {held}")
    grid = []
    for t in range(1, T + 1):
        first = reach(T, spec, t)
        origin = "h0 (live)" if first == 1 else f"stop_gradient(h_{first - 1})"
        w = case.weights[t - 1]
        weight = f"{w[0]:g}" if np.all(w == w[0]) else np.array2string(w)
        line = f"loss term t={t} (weight {weight}): {span(first, t, 'transition')}, from {origin}"
        if not np.any(w):
            line += "; weight 0: adds nothing"
        out.note(line)
        marks = [REACHED if first <= s <= t else NOT_REACHED for s in range(0, T + 1)]
        marks[0] = REACHED if first == 1 else NOT_REACHED
        grid.append((f"t={t}", marks, bool(np.any(w))))
    if T <= GRID_MAX_T:
        out.grid(["h0", *map(str, range(1, T + 1))], grid)


def _summary(out: Renderer, steps: list[Step], totals: Totals) -> None:
    """One row per step: its loss term, ||h_t||, ||dL/dh_t||, ||delta_t||, ||dL/dx_t||."""
    out.heading("Per-step summary (Frobenius norms over the batch)")
    rows = [
        (t, [float(np.sum(s.terms)), float(np.linalg.norm(s.h)), *map(float, totals.norms[t - 1])])
        for t, s in enumerate(steps, start=1)
    ]
    out.table(_SUMMARY_HEADERS, rows)


def _check(out: Renderer, case: Case, total_loss: float, totals: Totals, listed: bool) -> None:
    ref = gradients(case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights)
    where = "above" if listed else "of every step"
    out.heading(f"Totals (the sums of the contributions {where})")
    out.value("(4) $L$ = sum of the loss terms", total_loss)
    out.array("$dL/dW_xh$", totals.W_xh)
    out.array("$dL/dW_hh$", totals.W_hh)
    out.array("$dL/db_h$", totals.b_h)
    out.array("$dL/dW_hy$", totals.W_hy)
    out.array("$dL/db_y$", totals.b_y)
    out.rows("$dL/dh0$", totals.h0)
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
    out.step(
        "check, max |sum above - rnn_ref.gradients|: "
        + ", ".join(f"{name} {d:.1e}" for name, d in diffs.items())
    )


_DEFAULT = ExplainConfig()


def _renderer(format: str, precision: int, batch: int, write: Callable[[str], object]) -> Renderer:
    """The renderer of ``format``; Markdown and HTML are imported only when asked for."""
    if format == "markdown":
        from .markdown import MarkdownRenderer

        return MarkdownRenderer(precision, batch, write)
    if format == "html":
        from .html import HtmlRenderer

        return HtmlRenderer(precision, batch, write)
    return TextRenderer(precision, batch, write)


class Walkthrough(str):
    """The walk-through as a ``str``, which also shows itself in a notebook.

    It is the text ``explain`` returns (print it, search it, save it) and remembers the
    configuration and format it was made from. Jupyter asks an object for its richest form:
    ``_repr_html_`` gives the page of ``--format html`` in a frame of its own (its styles
    stay inside), ``_repr_markdown_`` the text of ``--format markdown``; both come from the
    renderers of those formats. Nothing here imports Jupyter or IPython.
    """

    config: ExplainConfig
    format: str

    def __new__(cls, text: str, config: ExplainConfig, format: str) -> Walkthrough:
        self = super().__new__(cls, text)
        self.config = config
        self.format = format
        return self

    def _as(self, format: str) -> str:
        return str(self) if format == self.format else str(explain(self.config, format))

    def _repr_markdown_(self) -> str:
        """The walk-through as Markdown: headings, and a table per quantity."""
        return self._as("markdown")

    def _repr_html_(self) -> str:
        """The self-contained HTML page, in an ``<iframe srcdoc>`` so its CSS stays in it."""
        page = escape(self._as("html"), quote=True)
        return (
            f'<iframe srcdoc="{page}" title="rnn-ref explain" '
            'style="width: 100%; height: 40em; border: 1px solid #c9d2e3"></iframe>'
        )


def explain(config: ExplainConfig = _DEFAULT, format: str = "text") -> Walkthrough:
    """The walk-through of ``config`` in ``format`` (``"text"``, ``"markdown"`` or ``"html"``).

    Header, parameters, data, reach, forward, backward, per-step summary, totals, check. The
    result is a ``str`` (a ``Walkthrough``) that a Jupyter notebook shows as the HTML page.

    Raises:
        ValueError, TypeError: a size, name, k or file out of range (the message names it).
    """
    lines: list[str] = []
    write_explain(config, lines.append, format)
    return Walkthrough("".join(lines), config, format)


def write_explain(
    config: ExplainConfig, write: Callable[[str], object], format: str = "text"
) -> None:
    """Pass ``explain(config, format)`` to ``write``, piece by piece, as it is computed.

    The configuration is checked before the first piece: an error leaves nothing written.
    """
    if not isinstance(config, ExplainConfig):
        raise TypeError(f"config: expected an ExplainConfig, got {type(config).__name__}")
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f"format: expected one of {', '.join(map(repr, FORMATS))}, got {format!r}")
    case = build_case(config)
    T, B, _ = case.xs.shape
    listed = config.summary_after is None or T <= config.summary_after
    out = _renderer(format, config.precision, B, write)
    # The step-by-step listing goes to ``shown``, which past summary_after writes nothing.
    shown = out if listed else Silent()
    _header(out, config, case, listed)
    if listed:
        _data(out, case)
    _reach_section(out, case)
    steps = forward_pass(shown, case)
    totals = backward_pass(shown, case, steps)
    _summary(out, steps, totals)
    total_loss = sum(float(np.sum(s.terms)) for s in steps)
    _check(out, case, total_loss, totals, listed)
    out.end()
