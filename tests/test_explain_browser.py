"""The HTML page of ``rnn-ref explain --format html`` in a real browser: headless Chromium.

Debian's ``chromium`` runs as a subprocess, offline in effect (no background networking, no
component updates, a fresh profile), on the page opened from disk:

- ``--dump-dom``: the DOM after rendering still holds every ``<math>`` element, and its
  numbers, read back, are those of ``rnn_ref.gradients``;
- a copy of the page with a probe script (the page itself has none) reports the layout:
  the ``<math>`` elements are displayed as MathML (computed ``display`` ``math``) and every
  subscript sits lower than its base, as MathML layout puts it;
- ``--screenshot``: the picture is not blank (many pixels far from white, several colours,
  the blue and orange of the reach grid among them).

Where chromium is missing the tests fail and say how to install it; they never skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import _browser
import numpy as np
import pytest
from _explain import key, read_html

import rnn_ref
from rnn_ref.explain import ExplainConfig, build_case, explain

CONFIG = ExplainConfig(steps=4, batch=2, truncation=2, loss="softmax_ce", outputs=3, precision=17)
PROBE = """<script>
const maths = [...document.querySelectorAll("math")];
const subs = [...document.querySelectorAll("msub")];
const lower = subs.filter((s) => {
  const [base, sub] = s.children;
  return sub.getBoundingClientRect().bottom > base.getBoundingClientRect().bottom + 0.5;
});
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify({
  maths: maths.length,
  displays: [...new Set(maths.map((m) => getComputedStyle(m).display))],
  laid_out: maths.filter((m) => m.getBoundingClientRect().width > 0).length,
  subs: subs.length,
  lower: lower.length,
});
document.body.appendChild(probe);
</script>
"""


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The browser with the flags of ``tests/_browser.py`` (no network, a fresh profile)."""
    return subprocess.run(
        [_browser.chromium(), *_browser.FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("explain") / "explain.html"
    path.write_text(explain(CONFIG, "html"), encoding="utf-8")
    return path


def test_the_rendered_dom_has_its_maths_and_the_numbers_of_rnn_ref(page, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    source = page.read_text(encoding="utf-8")
    assert dom.count("<math>") == source.count("<math>") > 100
    rows = read_html(dom)
    case = build_case(CONFIG)
    ref = rnn_ref.gradients(
        case.params, case.xs, case.targets, case.spec, h0=case.h0, weights=case.weights
    )
    tol = dict(rtol=0, atol=1e-14)
    for name in rnn_ref.Params.FIELDS:
        got = rows[key(f"dL/d{name}")]
        np.testing.assert_allclose(got, getattr(ref.params, name).ravel(), **tol, err_msg=name)
    np.testing.assert_allclose(rows[key("dL/dh0")], ref.h0.ravel(), **tol)
    for t in range(1, 5):
        dx = rows[key(f"(13) dL/dx_{t} = W_xh^T delta_{t}")]
        np.testing.assert_allclose(dx, ref.xs[t - 1].ravel(), **tol, err_msg=f"dx_{t}")
    loss = [v for k, v in rows.items() if k.startswith("(4) L =")]
    np.testing.assert_allclose(loss, [[ref.loss]], **tol)


def test_the_maths_is_laid_out_as_mathml(page, tmp_path):
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    dom = chromium(tmp_path, "--dump-dom", probed.as_uri()).stdout
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom)
    assert found is not None, "the probe did not run"
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["maths"] > 100 and layout["laid_out"] == layout["maths"], layout
    assert layout["displays"] == ["math"], layout  # MathML Core's display of <math>
    assert layout["subs"] > 100 and layout["lower"] == layout["subs"], layout


def test_the_screenshot_is_not_blank(page, tmp_path):
    from PIL import Image  # matplotlib's dependency, in the test extra

    shot = tmp_path / "explain.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1600", page.as_uri())
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape == (1600, 1000, 3)
    inked = np.mean(pixels.sum(axis=2) < 600)  # darker than light grey
    assert 0.01 < inked < 0.5, f"{inked:.3f} of the pixels inked"
    colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7]}
    for name, rgb in {"blue": (0x2F, 0x64, 0xB1), "orange": (0xD9, 0x82, 0x2B)}.items():
        near = min(sum(abs(a - b) for a, b in zip(c, rgb, strict=True)) for c in colours)
        assert near < 12, f"no {name} cell of the reach grid in the screenshot"


def test_without_chromium_the_test_fails_with_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install -y chromium"):
        chromium(tmp_path, "--version")


def test_in_a_notebook_the_page_shows_in_its_frame_and_keeps_its_styles_to_itself(tmp_path):
    """``_repr_html_`` as Jupyter places it, inside an output ``<div>`` of a page with its own
    styles: the page of --format html draws in its frame (its dark text, its pale rows), and
    the notebook keeps its background (the page's ``body`` rule stays in the frame)."""
    from PIL import Image

    notebook = tmp_path / "notebook.html"
    shot = tmp_path / "notebook.png"
    yellow = (255, 250, 205)

    def show(cell: str) -> np.ndarray:
        notebook.write_text(
            f"<!doctype html><html><head><style>body {{ margin: 0; background: rgb{yellow} }}"
            f'</style></head><body><div class="output">{cell}</div></body></html>',
            encoding="utf-8",
        )
        chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,800", notebook.as_uri())
        return np.asarray(Image.open(shot).convert("RGB")).astype(int)

    pixels = show(explain(CONFIG)._repr_html_())
    frame, below = pixels[:600], pixels[700:]
    dark = np.all(np.abs(frame - (0x1D, 0x23, 0x30)) < 30, axis=2)  # the page's text colour
    assert dark.mean() > 0.005, f"{dark.mean():.4f} of the frame in the page's text colour"
    pale = np.all(frame == (0xF5, 0xF7, 0xFB), axis=2)  # its tables' even rows
    assert pale.sum() > 1000, "no row of the page's tables in the frame"
    assert np.all(below == yellow), "the notebook's background changed"
    # The check can fail: the page put in the notebook as it is restyles the notebook.
    leaked = show(explain(CONFIG, "html"))
    assert not np.all(leaked[700:] == yellow)
