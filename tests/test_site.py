"""The documentation site works offline, opened from disk, in a real browser.

The site is built strictly into a temporary directory and opened with file:// URLs in
headless Chromium with every host name unresolvable (``tests/_browser.py``):

- the math renders: MathJax's SVG output replaces every TeX span, no TeX error, no raw TeX;
- no page asks for anything on the network, neither in its HTML and CSS nor at run time;
- pages link to each other as files, and an equation's link lands on its code with every
  line of the linked range highlighted, the (W2) link's phi' line included;
- every page reads on a phone (400 px) and a desktop (1280 px): every equation has a
  visible size (a wide one scrolls sideways), no code text lies under a copy button, no
  identifier in inline code is broken mid-word, and nothing is cut off: what is wider than
  the column scrolls (docs/stylesheets/layout.css, docs/hooks/layout.py).

Where Chromium is missing the tests fail with the command that installs it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests._browser import probe, screenshot

ROOT = Path(__file__).resolve().parents[1]
# Every page of the docs (built as files: use_directory_urls is false) and one source page.
PAGES = [f"{p.stem}.html" for p in sorted((ROOT / "docs").glob("*.md"))]
PAGES.append("source/rnn_ref.truncation.html")
MATH_PAGES = ["bptt.html", "truncation.html", "cost.html"]  # pages that must have math
# A request to the network from a page: a script, style, image, frame or font, or a CSS url().
# A <link> that only names a page (rel canonical or alternate) fetches nothing.
REMOTE = re.compile(
    r"<(?:script|link(?![^>]*\brel=[\"']?(?:canonical|alternate))|img|iframe|source|embed"
    r"|object)\b[^>]*\b(?:src|href|data)=[\"']?"
    r"(?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//"
    r"|@import\s+[\"']?(?:url\()?[\"']?(?:https?:)?//",
    re.IGNORECASE,
)
CLEAR = {"rgba(0, 0, 0, 0)", "transparent"}  # a computed background that is not drawn


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    return out


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """A fresh browser profile per run: nothing cached from an earlier page."""
    return tmp_path / "profile"


WIDTHS = [400, 1280]  # px: a phone, a desktop


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(site: Path, profile: Path, name: str, width: int) -> None:
    """Its math renders as SVG with no TeX error and no raw TeX; it requests nothing remote;
    at this width every equation is visible and nothing is covered, broken or cut off."""
    report = probe(site / name, profile, width=width)
    remote = [url for url in report["resources"] if not url.startswith("file:")]
    assert not remote, f"{name} requested: {remote}"
    if name in MATH_PAGES:
        assert report["arithmatex"] > 10, f"{name}: expected a page with math, found none"
    assert report["rendered"] == report["arithmatex"], (
        f"{name}: {report['rendered']} of {report['arithmatex']} math spans rendered as SVG"
    )
    assert report["glyphs"] >= report["arithmatex"], f"{name}: the SVGs draw no glyphs"
    assert report["errors"] == 0, f"{name}: MathJax reports {report['errors']} TeX errors"
    assert report["undefined"] == 0, f"{name}: {report['undefined']} undefined TeX macros"
    assert report["rawTeX"] == 0, f"{name}: {report['rawTeX']} raw \\( or \\[ left visible"
    layout = report["layout"]
    assert layout["width"] == width, f"{name}: laid out {layout['width']} px wide, not {width}"
    assert layout["equations"] == report["rendered"], f"{name}: equations outside the content"
    assert not layout["tiny"], f"{name} at {width} px: equations with no visible size: {layout}"
    assert not layout["covered"], f"{name} at {width} px: code under the copy button: {layout}"
    assert not layout["broken"], f"{name} at {width} px: inline code broken mid-word: {layout}"
    assert not layout["cut"], f"{name} at {width} px: cut off: {layout['cut']}"
    assert not layout["scrolls"], f"{name} at {width} px: the page scrolls sideways"


def test_a_screenshot_of_the_math_is_taken(site: Path, profile: Path, tmp_path: Path) -> None:
    png = tmp_path / "bptt.png"
    assert screenshot(site / "bptt.html", png, profile) == (1280, 1600)
    assert png.stat().st_size > 50_000, "the screenshot is nearly empty: did the page render?"


def test_a_screenshot_at_400_px_is_400_px_wide(site: Path, profile: Path, tmp_path: Path) -> None:
    """Narrower than headless Chromium's window: the page is framed and the picture cropped."""
    png = tmp_path / "gradient-flow.png"
    assert screenshot(site / "gradient-flow.html", png, profile, width=400) == (400, 1600)
    assert png.stat().st_size > 50_000, "the screenshot is nearly empty: did the page render?"


# A page with one of each layout fault the probe looks for, in the theme's structure: an
# equation squeezed to 1 x 1 px, a copy button over code text, an identifier broken across
# lines, a table cut off by overflow: hidden, and a line that runs out of the column.
FAULTS = """<html><body style="margin: 0"><div class="md-content" style="width: 300px">
<div class="arithmatex"><mjx-container><svg width="1" height="1"></svg></mjx-container></div>
<pre style="position: relative"><nav class="md-code__nav" style="position: absolute; top: 0;
right: 0; width: 40px; height: 40px"></nav><code style="display: block; overflow: auto">
print("a line long enough to reach under the button at the right")</code></pre>
<p style="width: 120px"><code style="word-break: break-word">other-activation-derivative</code>
</p>
<div style="overflow: hidden"><table><tr><td style="white-space: nowrap">a row of a table
that is much wider than three hundred pixels</td></tr></table></div>
<p style="white-space: nowrap">a sentence that does not wrap and runs out of the column</p>
</div></body></html>"""


def test_the_probe_sees_each_layout_fault(tmp_path: Path, profile: Path) -> None:
    page = tmp_path / "faults.html"
    page.write_text(FAULTS, encoding="utf-8")
    layout = probe(page, profile, width=400)["layout"]
    assert layout["width"] == 400
    assert len(layout["tiny"]) == 1 and "1 x 1 px" in layout["tiny"][0], layout
    assert len(layout["covered"]) == 2, f"the start and the end of the code: {layout}"
    assert layout["broken"] == ["other-activation-derivative"], layout
    assert any("shown in 300 px" in c and "<div>" in c for c in layout["cut"]), layout
    assert any("spill out" in c and "does not wrap" in c for c in layout["cut"]), layout


def _layout_hook():
    spec = importlib.util.spec_from_file_location("layout_hook", ROOT / "docs/hooks/layout.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    return hook


def test_the_hook_keeps_each_word_of_inline_code_together() -> None:
    hook = _layout_hook()
    html = (
        "<p><code>--loss mse|softmax_ce</code> and <code>rnn_ref.gradients(params)</code>"
        " but <code>W_hh</code></p>\n<pre><span></span><code>block-code stays</code></pre>"
    )
    out = hook.on_page_content(html, None, None, None)
    assert out == (
        '<p><code><span class="rr-word">--loss</span> <span class="rr-word">mse|softmax_ce'
        '</span></code> and <code><span class="rr-word">rnn_ref.gradients(params)</span></code>'
        " but <code>W_hh</code></p>\n<pre><span></span><code>block-code stays</code></pre>"
    )


def test_the_hook_lets_a_long_identifier_break_after_its_dots() -> None:
    hook = _layout_hook()
    name = "verification.mistakes.derivative:phi_prime_at_pre_activation"
    out = hook.on_page_content(f"<code>{name}</code>", None, None, None)
    assert out == (
        "<code>verification.<wbr>mistakes.<wbr>derivative:<wbr>phi_prime_at_pre_activation</code>"
    )


def test_no_page_refers_to_the_network(site: Path) -> None:
    files = [p for p in site.rglob("*") if p.suffix in {".html", ".css"}]
    assert len(files) > 20, f"expected the built pages and styles, found {len(files)} files"
    remote = {
        str(p.relative_to(site)): m.group(0)
        for p in files
        if (m := REMOTE.search(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert not remote, f"pages that fetch from the network: {remote}"


def test_the_probe_sees_a_request_to_the_network(tmp_path: Path, profile: Path) -> None:
    """Resource timing lists the network's requests (not file:// ones), failed ones too."""
    page = tmp_path / "fetches.html"
    page.write_text(
        '<html><body><script src="https://example.invalid/a.js"></script></body></html>'
    )
    assert probe(page, profile)["resources"] == ["https://example.invalid/a.js"]


def test_pages_link_as_files(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="bptt.html"' in index, "index.html does not link to bptt.html as a file"
    assert not (site / "bptt").exists(), "pages are built as directories (use_directory_urls)"


def _links(page: str, where: str) -> list[tuple[str, str, int, int]]:
    """(file, fragment, first, last) of every equation link to the function ``where``."""
    found = re.findall(
        r'<a href="([^"#]+)#([^"]+)"><code>' + re.escape(where) + r"</code>, "
        r"lines? (\d+)(?:\N{EN DASH}(\d+))?</a>",
        page,
    )
    assert found, f"no link to {where} in the page"
    return [(file, anchor, int(a), int(b or a)) for file, anchor, a, b in found]


def _lit(lines: dict[str, str]) -> list[int]:
    """The numbers of the code lines drawn with a background."""
    return sorted(int(span.rsplit("-", 1)[1]) for span, c in lines.items() if c not in CLEAR)


def test_the_w2_link_highlights_its_lines_phi_prime_included(site: Path, profile: Path) -> None:
    page = (site / "truncation.html").read_text(encoding="utf-8")
    # Of the links to _window_deltas, (W1) and (W3) name one line each, (W2) a range.
    ranges = [
        link for link in _links(page, "rnn_ref.truncation._window_deltas") if link[3] > link[2]
    ]
    assert len(ranges) == 1, f"expected one link over several lines, (W2), got {ranges}"
    target, fragment, first, last = ranges[0]
    assert fragment == f"__codelineno-src-{first}"
    source = (ROOT / "rnn_ref/truncation.py").read_text(encoding="utf-8").splitlines()
    linked = source[first - 1 : last]
    assert any("@ W_hh" in line for line in linked), f"(W2)'s product is not in {linked}"
    assert any("dphi" in line for line in linked), f"(W2)'s phi' factor is not in {linked}"

    lines = probe(site / target, profile, fragment)["lines"]
    assert len(lines) == len(source), "the probe did not see every line of the source page"
    assert _lit(lines) == list(range(first, last + 1))


def test_a_one_line_link_highlights_one_line(site: Path, profile: Path) -> None:
    page = (site / "bptt.html").read_text(encoding="utf-8")
    target, fragment, first, last = _links(page, "rnn_ref.step.step_backward")[0]
    assert first == last, "expected a link to one line of step_backward"
    assert _lit(probe(site / target, profile, fragment)["lines"]) == [first]


def test_without_a_target_no_line_is_highlighted(site: Path, profile: Path) -> None:
    lines = probe(site / "source/rnn_ref.truncation.html", profile)["lines"]
    assert lines, "the probe found no code lines"
    assert _lit(lines) == [], "lines highlighted with no target in the URL"
