"""``rnn-ref explain`` as text: what the walk-through shows, and that its numbers are right.

- The text has its sections; every activation x loss x truncation agrees with
  ``rnn_ref.gradients`` on its check line; the printed numbers (read back at 17 decimals)
  are the real forward values and gradients; the reach lines and the deltas of window(2)
  ((W1)-(W3)) and the held state of chunk(2) ((C1)) at T=4 are exactly right; the case is
  drawn in the documented order; softmax(y) is printed for cross-entropy; past
  ``summary_after`` steps the per-step summary stands for the listing, its ||delta_t||
  column the norm of delta_t recovered from ``rnn_ref.gradients``.
- The other formats and ``--case``: ``test_explain_formats.py``, ``test_explain_case.py``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from _explain import key, read_text

import rnn_ref
from rnn_ref.explain import ExplainConfig, build_case, explain

ACTIVATIONS = ("tanh", "sigmoid", "relu")
LOSSES = ("mse", "softmax_ce")
TRUNCATIONS = {  # name: (truncation, mode)
    "full": (None, "window"),
    "window(1)": (1, "window"),
    "window(2)": (2, "window"),
    "chunk(2)": (2, "chunk"),
}
SUMMARY_HEADERS = "t w_t l_t ||h_t|| ||dL/dh_t|| ||delta_t|| ||dL/dx_t||".split()
CHECK_NAMES = ["dW_xh", "dW_hh", "db_h", "dW_hy", "db_y", "dxs", "dh0", "L"]


def check_line(text: str) -> dict[str, float]:
    """The numbers of the last line, ``check, max |sum above - rnn_ref.gradients|: ...``."""
    last = text.splitlines()[-1]
    assert last.startswith("check, max |sum above - rnn_ref.gradients|: "), last
    pairs = re.findall(r"(\w+) (\d\.\de[+-]\d+)", last.split(": ", 1)[1])
    return {name: float(value) for name, value in pairs}


def printed(text: str, label: str) -> np.ndarray:
    """The numbers printed for the one label that starts with ``label``."""
    rows = read_text(text)
    found = [v for k, v in rows.items() if k.startswith(key(label))]
    assert len(found) == 1, f"{label!r}: {len(found)} lines"
    return found[0]


def delta_row(text: str, t: int) -> np.ndarray:
    """delta_t: (9) under full and chunk, (W3) under window."""
    rows = read_text(text)
    found = [v for k, v in rows.items() if k.startswith((f"(9) delta_{t} =", f"(W3) delta_{t} ="))]
    assert len(found) == 1, f"delta_{t}: {len(found)} lines"
    return found[0]


def section(text: str, start: str, end: str) -> list[str]:
    """The lines from the one that starts with ``start`` up to the next blank or ``end``."""
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith(start))
    out = []
    for line in lines[i + 1 :]:
        if not line or line.startswith(end):
            break
        out.append(line)
    return out


def test_default_text_has_every_section_and_agrees():
    text = explain()
    for heading in (
        "rnn-ref explain: T=3 B=1 D=2 H=3 O=2, seed 0",
        "  activation tanh, loss mse, truncation full, init xavier, h0 zeros, weights all",
        "Parameters",
        "  W_xh (H, D)",
        "  W_hh (H, H)",
        "  b_h (H,)",
        "  W_hy (O, H)",
        "  b_y (O,)",
        "Data",
        "  x_3",
        "  z_3 (target)",
        "  h0",
        "  w_3 (loss weight)",
        "Which transitions each loss term reaches",
        "Forward pass",
        "  (1) a_1 = W_xh x_1 + W_hh h_0 + b_h",
        "  (4) L = sum of the loss terms",
        "Backward pass, t = T..1",
        "step t=3 (transition 3 is reached by loss term 3)",
        "step t=1 (transition 1 is reached by loss terms 1..3)",
        "  (9) delta_1 = phi'(a_1) * dL/dh_1",
        "  (11) dW_hh += delta_2 h_1^T",
        "  (13) dL/dx_1 = W_xh^T delta_1",
        "  (14) dL/dh0 = W_hh^T delta_1",
        "Totals (the sums of the contributions above)",
    ):
        assert any(line.startswith(heading) for line in text.splitlines()), heading
    assert "\x1b" not in text, "no ANSI escape codes"
    assert max(check_line(text).values()) < 1e-12


@pytest.mark.parametrize("truncation", TRUNCATIONS)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_check_line_agrees_with_gradients(activation, loss, truncation):
    k, mode = TRUNCATIONS[truncation]
    config = ExplainConfig(
        steps=4, batch=2, outputs=3, activation=activation, loss=loss, truncation=k, mode=mode
    )
    text = explain(config)
    assert f"truncation {truncation}," in text.splitlines()[1]
    diffs = check_line(text)
    assert list(diffs) == CHECK_NAMES
    config_name = f"{activation}, {loss}, {truncation}"
    for name, diff in diffs.items():
        assert diff < 1e-12, f"{name} ({config_name}): {diff:.1e} from rnn_ref.gradients"
    # A check of zeros against zeros proves nothing: the gradient must be there.
    case = build_case(config)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    assert np.max(np.abs(ref.params.W_hh)) > 1e-3, config_name


@pytest.mark.parametrize("truncation", ["full", "window(2)", "chunk(2)"])
def test_printed_numbers_are_the_real_ones(truncation):
    """Read back at 17 decimals, the lines are rnn_ref's forward values and gradients."""
    k, mode = TRUNCATIONS[truncation]
    config = ExplainConfig(steps=4, truncation=k, mode=mode, h0="random", precision=17)
    text = explain(config)
    case = build_case(config)
    traj = rnn_ref.forward(case.params, case.xs, case.h0, activation=case.spec.activation)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    p = case.params
    tol = dict(rtol=0, atol=1e-14)
    for t in range(1, 5):
        a = case.xs[t - 1, 0] @ p.W_xh.T + traj.hs[t - 1, 0] @ p.W_hh.T + p.b_h
        np.testing.assert_allclose(printed(text, f"(1) a_{t} ="), a, **tol, err_msg=f"a_{t}")
        np.testing.assert_allclose(printed(text, f"(2) h_{t} ="), traj.hs[t, 0], **tol)
        np.testing.assert_allclose(printed(text, f"(3) y_{t} ="), traj.ys[t - 1, 0], **tol)
        np.testing.assert_allclose(printed(text, f"(13) dL/dx_{t} ="), ref.xs[t - 1, 0], **tol)
    loss = printed(text, "(4) L = sum of the loss terms")
    np.testing.assert_allclose(loss, [ref.loss], **tol, err_msg="L")
    # With B = 1, db_h is the sum of the printed deltas and of the printed (12) lines.
    deltas = sum(delta_row(text, t) for t in range(1, 5))
    np.testing.assert_allclose(deltas, ref.params.b_h, **tol, err_msg="sum of delta_t")
    db_h = sum(printed(text, f"(12) db_h  += delta_{t}") for t in range(1, 5))
    np.testing.assert_allclose(db_h, ref.params.b_h, **tol, err_msg="sum of (12)")
    dh0 = printed(text, "(14) dL/dh0 = W_hh^T delta_1")
    np.testing.assert_allclose(dh0, ref.h0[0], **tol, err_msg="dL/dh0")


REACH_WINDOW_2 = """\
  window(2): each loss term sees its 2 most recent transitions
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transitions 2..3, from stop_gradient(h_1)
  loss term t=4 (weight 1): transitions 3..4, from stop_gradient(h_2)"""

REACH_CHUNK_2 = """\
  chunk(2): chunks of 2 transitions: 1..2, 3..4; held constant: h_2
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transition 3, from stop_gradient(h_2)
  loss term t=4 (weight 1): transitions 3..4, from stop_gradient(h_2)"""

REACH_FULL = """\
  full BPTT: every loss term reaches back to h0
  loss term t=1 (weight 1): transition 1, from h0 (live)
  loss term t=2 (weight 1): transitions 1..2, from h0 (live)
  loss term t=3 (weight 1): transitions 1..3, from h0 (live)
  loss term t=4 (weight 1): transitions 1..4, from h0 (live)"""

REACH_CHUNK_3_LAST = """\
  chunk(3): chunks of 3 transitions: 1..3, 4..5; held constant: h_3
  loss term t=1 (weight 0): transition 1, from h0 (live); weight 0: adds nothing
  loss term t=2 (weight 0): transitions 1..2, from h0 (live); weight 0: adds nothing
  loss term t=3 (weight 0): transitions 1..3, from h0 (live); weight 0: adds nothing
  loss term t=4 (weight 0): transition 4, from stop_gradient(h_3); weight 0: adds nothing
  loss term t=5 (weight 1): transitions 4..5, from stop_gradient(h_3)"""


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (ExplainConfig(steps=4, truncation=2, mode="window"), REACH_WINDOW_2),
        (ExplainConfig(steps=4, truncation=2, mode="chunk"), REACH_CHUNK_2),
        (ExplainConfig(steps=4), REACH_FULL),
        (ExplainConfig(steps=5, truncation=3, mode="chunk", weights="last"), REACH_CHUNK_3_LAST),
    ],
    ids=["window(2)", "chunk(2)", "full", "chunk(3)-last"],
)
def test_reach_lines(config, expected):
    text = explain(config)
    lines = section(text, "Which transitions each loss term reaches", "Forward")
    assert "\n".join(lines) == expected


def test_window_2_gives_each_loss_term_its_delta_and_drops_the_oldest():
    """At T=4, window(2): transition 2 holds loss terms 2 and 3 only, (W1) and (W2); their
    sum is (W3); loss term 4 stops at transition 3. (W2) is not phi' * W_hh^T delta_3:
    delta_3 also holds loss term 4's part, which never reaches h_2."""
    config = ExplainConfig(steps=4, truncation=2, precision=17)
    text = explain(config)
    rows = read_text(text)
    step_2 = section(text, "step t=2 ", "step t=1")
    own = rows[key("(W1) delta^(2)_2 = phi'(a_2) * W_hy^T dL/dy_2")]
    carried = rows[key("(W2) delta^(3)_2 = phi'(a_2) * W_hh^T delta^(3)_3")]
    assert not any("delta^(4)_2" in line for line in step_2)
    assert "      (loss term 4 stops at transition 3: it holds h_2 constant)" in step_2
    delta_2 = rows[key("(W3) delta_2 = delta^(2)_2 + delta^(3)_2")]
    np.testing.assert_allclose(delta_2, own + carried, rtol=0, atol=1e-15)
    delta_3 = rows[key("(W3) delta_3 = delta^(3)_3 + delta^(4)_3")]
    case = build_case(config)
    phi_2 = rows[key("phi'(a_2) = 1 - h_2^2")]
    assert np.max(np.abs(carried - phi_2 * (delta_3 @ case.params.W_hh))) > 1e-6


def test_chunk_2_holds_the_state_entering_a_chunk():
    text = explain(ExplainConfig(steps=4, truncation=2, mode="chunk"))
    step_2 = section(text, "step t=2 ", "step t=1")
    assert "step t=2 (transition 2 is reached by loss term 2)" in text.splitlines()
    carried = printed(text, "(C1) carried from t=3: 0")
    np.testing.assert_array_equal(carried, np.zeros(3))
    assert "      (h_2 enters a chunk: held constant)" in step_2
    dh_2 = printed(text, "(C1) dL/dh_2 = W_hy^T dL/dy_2 + 0")
    np.testing.assert_array_equal(dh_2, printed(text, "(8) from the read-out: W_hy^T dL/dy_2"))
    assert any(
        line.startswith("  (8) carried from t=2: W_hh^T delta_2") for line in text.split("\n")
    )


def test_batch_prints_each_sequence():
    text = explain(ExplainConfig(batch=2))
    lines = text.splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("  (2) h_1 = tanh(a_1)"))
    assert "b=1 [" in lines[i] and lines[i + 1].lstrip().startswith("b=2 [")
    assert max(check_line(text).values()) < 1e-12


@pytest.mark.parametrize(("loss", "h0"), [("mse", "random"), ("softmax_ce", "zeros")])
def test_case_is_drawn_in_the_documented_order(loss, h0):
    config = ExplainConfig(steps=3, batch=2, inputs=2, hidden=3, outputs=4, seed=11)
    config = ExplainConfig(**{**config.__dict__, "loss": loss, "h0": h0})
    case = build_case(config)
    rng = np.random.default_rng(11)
    for name, (rows, cols) in {"W_xh": (3, 2), "W_hh": (3, 3), "W_hy": (4, 3)}.items():
        r = np.sqrt(6.0 / (rows + cols))
        np.testing.assert_array_equal(
            getattr(case.params, name), rng.uniform(-r, r, size=(rows, cols)), err_msg=name
        )
    np.testing.assert_array_equal(case.xs, rng.uniform(-1, 1, size=(3, 2, 2)))
    if loss == "mse":
        np.testing.assert_array_equal(case.targets, rng.uniform(-1, 1, size=(3, 2, 4)))
    else:
        np.testing.assert_array_equal(case.targets, rng.integers(0, 4, size=(3, 2)))
    expected_h0 = rng.uniform(-1, 1, size=(2, 3)) if h0 == "random" else np.zeros((2, 3))
    np.testing.assert_array_equal(case.h0, expected_h0)
    np.testing.assert_array_equal(case.weights, np.ones((3, 2)))


def test_many_to_one_weights():
    case = build_case(ExplainConfig(steps=3, batch=2, weights="last"))
    np.testing.assert_array_equal(case.weights, [[0, 0], [0, 0], [1, 1]])


def test_explain_rejects_bad_config_by_name():
    with pytest.raises(ValueError, match=r"^steps: expected an integer >= 1, got 0"):
        explain(ExplainConfig(steps=0))
    with pytest.raises(ValueError, match=r"^h0: expected one of 'zeros', 'random'"):
        explain(ExplainConfig(h0="ones"))
    with pytest.raises(ValueError, match=r"^spec\.truncation"):
        explain(ExplainConfig(truncation=0))


def summary_table(text: str) -> np.ndarray:
    """The per-step summary: t, w_t l_t, ||h_t||, ||dL/dh_t||, ||delta_t||, ||dL/dx_t||."""
    lines = section(text, "Per-step summary", "Totals")
    assert lines[0].split() == SUMMARY_HEADERS
    return np.array([[float(x) for x in line.split()] for line in lines[1:]])


def deltas_from_gradients(case) -> np.ndarray:
    """delta_t recovered from rnn_ref.gradients alone: dL/dx_t = W_xh^T delta_t, solved
    exactly when W_xh (H, D) has full column rank in W_xh^T (D >= H)."""
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    T, B, _ = case.xs.shape
    solve = np.linalg.lstsq(case.params.W_xh.T, ref.xs.reshape(T * B, -1).T, rcond=None)[0]
    return solve.T.reshape(T, B, -1), ref


@pytest.mark.parametrize("bptt", ["full", "window(2)", "chunk(2)"])
def test_summary_stands_for_the_listing_past_summary_after(bptt):
    k, mode = TRUNCATIONS[bptt]
    config = ExplainConfig(
        steps=12, batch=2, inputs=4, hidden=3, truncation=k, mode=mode, precision=17
    )
    text = explain(config)
    assert not any(line.startswith("step t=") for line in text.splitlines())
    assert "\nData\n" not in text and "(13) dL/dx_" not in text
    assert "T = 12 is more than 10 steps" in text
    table = summary_table(text)
    case = build_case(config)
    deltas, ref = deltas_from_gradients(case)
    hs = rnn_ref.forward(case.params, case.xs, case.h0, activation=case.spec.activation).hs
    np.testing.assert_array_equal(table[:, 0], np.arange(1, 13))
    norms = np.linalg.norm(deltas.reshape(12, -1), axis=1)
    np.testing.assert_allclose(table[:, 4], norms, rtol=1e-12, err_msg="||delta_t||")
    dx = np.linalg.norm(ref.xs.reshape(12, -1), axis=1)
    np.testing.assert_allclose(table[:, 5], dx, rtol=1e-12, err_msg="||dL/dx_t||")
    h = np.linalg.norm(hs[1:].reshape(12, -1), axis=1)
    np.testing.assert_allclose(table[:, 2], h, rtol=1e-14, err_msg="||h_t||")
    np.testing.assert_allclose(table[:, 1].sum(), ref.loss, rtol=1e-14, err_msg="loss terms")
    assert max(check_line(text).values()) < 1e-12


def test_full_lists_every_step_and_the_summary_agrees_with_it():
    config = ExplainConfig(steps=12, truncation=3, precision=17, summary_after=None)
    text = explain(config)
    assert "step t=12 (transition 12" in text and "\nData\n" in text
    table = summary_table(text)
    for t in range(1, 13):
        assert table[t - 1, 4] == pytest.approx(np.linalg.norm(delta_row(text, t)), rel=1e-15)
    # The same case, listed or summarised, has the same summary.
    summarised = summary_table(explain(ExplainConfig(steps=12, truncation=3, precision=17)))
    np.testing.assert_array_equal(table, summarised)
    # summary_after raises the limit.
    assert "step t=12 (" in explain(ExplainConfig(steps=12, summary_after=12))


def test_softmax_of_y_is_printed_for_cross_entropy():
    config = ExplainConfig(steps=3, outputs=4, loss="softmax_ce", precision=17)
    text = explain(config)
    for t in range(1, 4):
        y = printed(text, f"(3) y_{t} =")
        p = printed(text, f"softmax(y_{t})")
        expected = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
        np.testing.assert_allclose(p, expected, rtol=0, atol=1e-15, err_msg=f"softmax(y_{t})")
    assert "softmax(y_1)" not in explain(ExplainConfig(steps=3))


FIXED = re.compile(r"^-?\d+\.\d+$")
SCIENTIFIC = re.compile(r"^-?\d\.\d+e[+-]\d\d$")


@pytest.mark.parametrize("precision", [4, 8])
def test_a_vanished_gradient_is_never_printed_as_zero(precision):
    """-T 30 --weights last: the one loss term's gradient shrinks by 1e-5 or more on its way
    back. Each column of the summary is in one format; the vanished norms are in scientific
    notation with ``precision`` significant digits and read back as the norms of
    rnn_ref.gradients; only an exact zero (the loss terms of weight 0) is printed 0."""
    config = ExplainConfig(steps=30, weights="last", precision=precision)
    text = explain(config)
    lines = section(text, "Per-step summary", "Totals")
    cells = [line.split()[1:] for line in lines[1:]]
    columns = list(zip(*cells, strict=True))
    names = ("w_t l_t", *SUMMARY_HEADERS[3:])
    for header, column in zip(names, columns, strict=True):
        formats = {"zero" if c == "0" else "fixed" if FIXED.match(c) else "sci" for c in column}
        assert formats - {"zero"} in ({"fixed"}, {"sci"}), f"{header}: mixed formats {column}"
        assert not any(re.fullmatch(r"-?0\.0+", c) for c in column), f"{header}: {column}"
    assert columns[0][:29] == ("0",) * 29  # w_t l_t: weight 0 before the last step
    case = build_case(config)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    norms = np.linalg.norm(ref.xs.reshape(30, -1), axis=1)  # ||dL/dx_t||
    assert norms[0] < 1e-5 * norms[-1], "the case no longer shows a vanished gradient"
    dx = columns[4]
    assert all(SCIENTIFIC.match(c) for c in dx), dx
    assert all(len(c.split("e")[0].replace("-", "").replace(".", "")) == precision for c in dx)
    printed_norms = np.array([float(c) for c in dx])
    np.testing.assert_allclose(printed_norms, norms, rtol=10.0 ** (1 - precision))


def test_a_column_that_fixed_decimals_show_well_stays_fixed():
    from rnn_ref.explain.text import format_column

    assert format_column([0.0, 0.0043, 1.5], 4) == ["0", " 0.0043", " 1.5000"]
    assert format_column([0.00043, 1.5], 4) == [" 4.300e-04", " 1.500e+00"]
    assert format_column([2e6, 1.0], 2) == [" 2.0e+06", " 1.0e+00"]
    assert format_column([-3e-9, 0.0], 8) == ["-3.0000000e-09", "0"]


@pytest.mark.parametrize("precision", [4, 8])
def test_the_listing_keeps_fixed_decimals_on_every_line(precision):
    """Under window(2) at T = 4 an entry of delta_4 is -1.2e-4: NumPy alone prints that
    array, and the lines made from it, in scientific notation, and the column of values
    changes format part-way. The listing is in fixed decimals throughout."""
    text = explain(ExplainConfig(steps=4, truncation=2, precision=precision))
    listing = text[: text.index("Per-step summary")]
    assert "step t=4 (" in listing
    assert not re.search(r"\d[eE][+-]?\d", listing), "scientific notation in the listing"
    rows = read_text(listing)
    tiny = [label for label, values in rows.items() if np.any((values != 0) & (abs(values) < 1e-3))]
    assert tiny, "the case no longer has an entry that NumPy would print in e-notation"
