"""``rnn-ref explain --format text|markdown|html``: the same walk-through, numbers right in each.

- Each format, read back by its own reader (``tests/_explain.py``), has the numbers of
  ``rnn_ref.gradients`` and ``rnn_ref.forward`` (at 17 decimals, B = 2) for every truncation,
  and exactly the labels and numbers of the text.
- The HTML page is well-formed (``xml.etree`` and ``html.parser`` read it), fetches nothing
  (no URL, no script, link, image or CSS import), sets its maths as MathML, and escapes what
  it shows: a case file's comment with markup in it comes out as text. The Markdown escapes it
  too. The per-step summary reads back in both.
- The real browser test is ``test_explain_browser.py``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from _explain import READERS, key, numbers, read_markdown, read_text

import rnn_ref
from rnn_ref import cli
from rnn_ref.explain import ExplainConfig, build_case, explain

TRUNCATIONS = {"full": (None, "window"), "window(2)": (2, "window"), "chunk(2)": (2, "chunk")}
FORMATS = ("text", "markdown", "html")
TOL = dict(rtol=0, atol=1e-14)  # values printed at 17 decimals: only the last digit rounds


def reference(config: ExplainConfig):
    case = build_case(config)
    traj = rnn_ref.forward(case.params, case.xs, case.h0, activation=case.spec.activation)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    return case, traj, ref


def one(rows: dict[str, np.ndarray], label: str) -> np.ndarray:
    found = [v for k, v in rows.items() if k.startswith(key(label))]
    assert len(found) == 1, f"{label!r}: {len(found)} rows"
    return found[0]


@pytest.mark.parametrize("bptt", TRUNCATIONS)
@pytest.mark.parametrize("format", FORMATS)
def test_numbers_in_each_format_are_those_of_rnn_ref(format, bptt):
    k, mode = TRUNCATIONS[bptt]
    config = ExplainConfig(
        steps=4, batch=2, truncation=k, mode=mode, h0="random", loss="softmax_ce", outputs=3,
        precision=17,
    )  # fmt: skip
    rows = READERS[format](explain(config, format))
    _, traj, ref = reference(config)
    for t in range(1, 5):
        np.testing.assert_allclose(one(rows, f"(2) h_{t} ="), traj.hs[t].ravel(), **TOL)
        np.testing.assert_allclose(one(rows, f"(3) y_{t} ="), traj.ys[t - 1].ravel(), **TOL)
        dx = one(rows, f"(13) dL/dx_{t} =")
        np.testing.assert_allclose(dx, ref.xs[t - 1].ravel(), **TOL, err_msg=f"{format} dx_{t}")
    totals = {
        "dL/dW_xh": ref.params.W_xh, "dL/dW_hh": ref.params.W_hh, "dL/db_h": ref.params.b_h,
        "dL/dW_hy": ref.params.W_hy, "dL/db_y": ref.params.b_y, "dL/dh0": ref.h0,
    }  # fmt: skip
    for label, expected in totals.items():
        got = rows[key(label)]
        np.testing.assert_allclose(got, expected.ravel(), **TOL, err_msg=f"{format} {label}")
    np.testing.assert_allclose(one(rows, "(4) L ="), [ref.loss], **TOL)
    np.testing.assert_allclose(one(rows, "(14) dL/dh0"), ref.h0.ravel(), **TOL)


@pytest.mark.parametrize("format", ["markdown", "html"])
def test_each_format_has_the_rows_of_the_text(format):
    config = ExplainConfig(steps=5, batch=2, truncation=3, mode="window", precision=9)
    text_rows = read_text(explain(config))
    rows = READERS[format](explain(config, format))
    # The text reader also meets notes and the summary's rows; keep the labelled values.
    text_rows = {k: v for k, v in text_rows.items() if v.size and not k[0].isdigit()}
    rows = {k: v for k, v in rows.items() if not k.startswith("summary t=")}
    assert list(rows) == list(text_rows)
    for label, values in rows.items():
        np.testing.assert_array_equal(values, text_rows[label], err_msg=f"{format} {label}")
    assert len(rows) > 100


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs


def test_html_is_well_formed_self_contained_and_mathml():
    page = explain(ExplainConfig(steps=3, truncation=2, mode="chunk"), "html")
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")
    root = ET.fromstring(page.split("\n", 1)[1])  # XML: every element closed, quoted
    assert root.tag == "html"
    maths = root.findall(".//math")
    assert len(maths) > 50
    assert all(m.find("mrow") is not None for m in maths)
    assert {e.tag for e in root.iter()} >= {"msub", "msubsup", "mi", "mo", "mn"}
    tags = _Tags()
    tags.feed(page)
    tags.close()
    assert not {"script", "link", "img", "iframe", "object", "embed", "base"} & set(tags.tags)
    assert not [(n, v) for n, v in tags.attributes if n in ("src", "href", "srcset")]
    for pattern in (r"https?:", r"//[a-z]", r"url\(", r"@import", r"@font-face"):
        assert not re.search(pattern, page, re.IGNORECASE), pattern
    assert len(page.encode()) < 60_000  # small: T=3 is about 25 kB
    # The reach grid: chunk(2) at T=3, loss term 3 reaches transition 3 only.
    grid = root.find(".//table[@class='grid']")
    row_3 = grid.findall(".//tbody/tr")[2]
    assert [td.get("class") for td in row_3.findall("td")] == ["not h0", "not", "not", "reached"]


def test_a_comment_with_markup_is_shown_as_text(tmp_path):
    comment = '<script>alert(1)</script> & "x" | `y` </td></table> $W_hh$'
    case = build_case(ExplainConfig(steps=2))
    problem = rnn_ref.Problem(
        params=case.params, xs=case.xs, targets=case.targets, spec=case.spec, h0=case.h0,
        weights=case.weights, comment=comment,
    )  # fmt: skip
    path = rnn_ref.save_case(tmp_path / "case.npz", problem)
    page = explain(ExplainConfig(case=str(path)), "html")
    assert "<script" not in page and "</td></table> " not in page
    root = ET.fromstring(page.split("\n", 1)[1])
    shown = "".join(root.find(".//main").itertext())
    assert 'comment: <script>alert(1)</script> & "x" | `y` </td></table> ' in shown
    markdown = explain(ExplainConfig(case=str(path)), "markdown")
    assert '\\<script\\>alert(1)\\</script\\> & "x" \\| \\`y\\`' in markdown


@pytest.mark.parametrize("format", ["markdown", "html"])
def test_the_summary_reads_back(format):
    config = ExplainConfig(steps=12, truncation=4, precision=17)
    page = explain(config, format)
    text = explain(config)
    lines = text.split("Per-step summary")[1].split("\n\n")[0].splitlines()[2:]
    expected = np.array([[float(x) for x in line.split()[1:]] for line in lines])
    if format == "html":
        rows = READERS["html"](page)
        got = np.array([rows[f"summary t={t}"] for t in range(1, 13)])
    else:
        table = page.split("## Per-step summary")[1].split("\n\n")[1].splitlines()[2:]
        got = np.array([numbers(line.split("|", 2)[2]) for line in table])
    np.testing.assert_array_equal(got, expected)
    assert "### step t=" not in page and "<h3>step t=" not in page


def test_markdown_tables_are_whole():
    page = explain(ExplainConfig(steps=3, loss="mse"), "markdown")
    for line in page.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) in (3, 1 + 1 + 3, 6), line  # rows; grid: term, h0, T=3; summary
    assert "|y_1 - z_1|" not in page and "\\|y_1 - z_1\\|" in page
    assert read_markdown(page)[key("(1) a_1 = W_xh x_1 + W_hh h_0 + b_h")].size == 3


@pytest.mark.parametrize("format", FORMATS)
def test_cli_writes_each_format(format, capsys):
    assert cli.main(["explain", "-T", "2", "--format", format]) == 0
    out, err = capsys.readouterr()
    assert out == explain(ExplainConfig(steps=2), format) and err == ""


def test_an_unknown_format_is_refused_by_name(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["explain", "--format", "pdf"])
    assert exit.value.code == 2
    err = capsys.readouterr().err.splitlines()[-1]
    with pytest.raises(ValueError, match=r"^format: expected one of 'text', 'markdown', 'html'"):
        explain(ExplainConfig(), "pdf")
    assert "--format" in err and "pdf" in err


def test_mathml_of_the_notation():
    from rnn_ref.explain.mathml import to_mathml

    m = to_mathml("delta^(3)_2 = phi'(a_2) * W_hh^T delta^(3)_3")
    assert m.count("<msubsup>") == 3 and "<mi>δ</mi>" in m and "<mo>⊙</mo>" in m
    assert "<msub><mi>e</mi><mrow><msub><mi>c</mi>" in to_mathml("e_{c_3}")
    assert to_mathml("dL/dh0") == (
        '<math><mrow><mi mathvariant="normal">∂</mi><mi>L</mi><mo>/</mo>'
        '<mi mathvariant="normal">∂</mi><msub><mi>h</mi><mn>0</mn></msub></mrow></math>'
    )
    hostile = to_mathml('<script>&"x_{</math>')
    assert "<script" not in hostile and "</math>" not in hostile[:-7]
    ET.fromstring(hostile)  # still one well-formed element


def test_config_and_format_are_checked_by_name():
    with pytest.raises(TypeError, match=r"^config: expected an ExplainConfig, got dict"):
        explain({"steps": 3})
    with pytest.raises(ValueError, match=r"^format: expected one of .*, got \['html'\]"):
        explain(ExplainConfig(), ["html"])
    with pytest.raises(ValueError, match=r"^summary_after: expected an integer >= 1, got 0"):
        explain(ExplainConfig(summary_after=0))
