"""Debian's headless Chromium, run as a subprocess, for the tests of pages in a real browser.

A page is opened from disk (file://) with no network: every host name resolves to nothing
(``--host-resolver-rules``), so a page that tries to fetch a script, a style or a font from
the network fails to get it, and the attempt stays visible in the page's resource timing.

``probe`` adds a small script to a copy of the page that waits for MathJax, then writes what
the tests ask for (see ``PROBE`` and ``LAYOUT``) as JSON into the DOM, which ``--dump-dom``
returns.

Headless Chromium will not make its window narrower than 500 px (a ``--window-size`` of 400
lays the page out at 500 and crops the picture), so a page is shown at another width inside
an ``<iframe>`` of exactly that width, whose media queries see that width: ``width=``. The
framed page posts its report to the frame's page, which writes it into its own DOM.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

INSTALL = "apt-get update && apt-get install -y chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    # Virtual time runs until the page is idle (MathJax done), up to this many ms.
    "--virtual-time-budget=20000",
)
TIMEOUT = 120  # seconds of real time for one run of the browser

# Runs after the page's own scripts. Reports the resources the page requested, MathJax's
# output, TeX left untypeset, and the computed background of every code line on the page.
PROBE = """
<script>
window.addEventListener("load", async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const lines = {};
  for (const span of document.querySelectorAll(".highlight [id^='__span-']")) {
    lines[span.id] = getComputedStyle(span).backgroundColor;
  }
  const report = {
    resources: performance.getEntriesByType("resource").map((entry) => entry.name),
    arithmatex: document.querySelectorAll(".arithmatex").length,
    rendered: [...document.querySelectorAll(".arithmatex")].filter(
      (span) => span.querySelector("mjx-container > svg")).length,
    glyphs: document.querySelectorAll("mjx-container svg path").length,
    errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length,
    // An undefined macro is no error (the noundefined package): it is shown in red as text.
    undefined: document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]').length,
    rawTeX: (document.body.innerText.match(/\\\\[(\\[]/g) || []).length,
    lines: lines,
    layout: layout(),
  };
  if (window.parent !== window) {
    window.parent.postMessage(JSON.stringify(report), "*");
    return;
  }
  const out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = JSON.stringify(report);
  document.body.append(out);
});
</script>
"""
# The page's layout at its width (see docs/stylesheets/layout.css for the rules it checks):
# - tiny: MathJax SVGs drawn smaller than 4 x 4 px (the theme once shrank wide ones to 1 x 1);
# - covered: code text under a code block's copy button, the block scrolled to either end;
# - broken: inline code with no space in it split over lines, unless the docs hook marked it
#   breakable (a <wbr> after its dots: an identifier longer than a narrow line);
# - cut: a box whose content is wider than it and that hides the rest (overflow hidden or
#   clip), or a box that reaches past the content column with no box that scrolls around it;
# - scrolls: the page itself scrolls sideways.
LAYOUT = r"""
<script>
function layout() {
  const overlap = (a, b) =>
    Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
    Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const inside = (a, b) => new DOMRect(Math.max(a.left, b.left), Math.max(a.top, b.top),
    Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)),
    Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)));
  const name = (el) => `<${el.tagName.toLowerCase()}> "${
    (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50)}"`;
  const content = document.querySelector(".md-content") || document.body;

  const tiny = [];
  for (const svg of content.querySelectorAll("mjx-container > svg")) {
    const r = svg.getBoundingClientRect();
    if (r.width < 4 || r.height < 4) {
      tiny.push(`${Math.round(r.width)} x ${Math.round(r.height)} px: ${name(svg.parentElement)}`);
    }
  }

  const covered = [];
  for (const pre of content.querySelectorAll("pre")) {
    const button = pre.querySelector(".md-code__nav, .md-clipboard");
    const code = pre.querySelector("code");
    if (!button || !code) continue;
    for (const end of [0, code.scrollWidth]) {
      code.scrollLeft = end;
      const b = button.getBoundingClientRect();
      const r = code.getBoundingClientRect();
      const view = new DOMRect(r.left + code.clientLeft, r.top + code.clientTop,
        code.clientWidth, code.clientHeight);  // inside the borders, above the scrollbar
      const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      search: for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        range.selectNodeContents(node);
        if (overlap(range.getBoundingClientRect(), b) === 0) continue;
        for (let i = 0; i < node.length; i++) {
          if (/\s/.test(node.data[i])) continue;
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          if (overlap(inside(range.getBoundingClientRect(), view), b) > 1) {
            const at = end ? "the end" : "the start";
            covered.push(`"${node.data.trim()}" in ${name(pre)}, scrolled to ${at}`);
            break search;
          }
        }
      }
    }
    code.scrollLeft = 0;
  }

  const broken = [];
  for (const code of content.querySelectorAll("code")) {
    if (code.closest("pre") || /\s/.test(code.textContent) || code.querySelector("wbr")) continue;
    const lines = new Set([...code.getClientRects()].map((r) => Math.round(r.top)));
    if (lines.size > 1) broken.push(code.textContent);
  }

  const cut = [];
  const column = content.getBoundingClientRect();
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => {
    for (let up = el.parentElement; up && up !== content; up = up.parentElement) {
      if (scrolls(up)) return true;
    }
    return false;
  };
  for (const el of content.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || el.closest("svg, mjx-assistive-mml")) continue;
    const wider = el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
    if (wider && ["hidden", "clip"].includes(style.overflowX)) {
      cut.push(`${name(el)}: ${el.scrollWidth} px of content shown in ${el.clientWidth} px`);
    } else if (wider && !scrolls(el) && !inScroller(el)) {
      // Content spilling into the column's margin stays visible (the theme's code blocks
      // reach into it on a phone); past the column it is lost.
      const right = el.getBoundingClientRect().left + el.clientLeft + el.scrollWidth;
      if (right > column.right + 1) {
        cut.push(`${name(el)}: ${el.scrollWidth} px of content spill out of ${el.clientWidth} px`);
      }
    } else {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > column.right + 1 && !inScroller(el)) {
        cut.push(`${name(el)}: reaches ${Math.round(r.right - column.right)} px past the column`);
      }
    }
  }
  return {
    width: window.innerWidth,
    equations: content.querySelectorAll("mjx-container > svg").length,
    scrolls: document.documentElement.scrollWidth > window.innerWidth,
    tiny, covered, broken, cut,
  };
}
</script>
"""
# The page that shows another page in a frame of a given width and writes down what the
# framed page posts to it.
FRAME = """<!doctype html>
<html><body style="margin: 0">
<iframe src="{src}" style="display: block; border: 0; width: {width}px; height: {height}px">
</iframe>
<script>
window.addEventListener("message", (event) => {{
  const out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = event.data;
  document.body.append(out);
}});
</script>
</body></html>
"""
MIN_WINDOW = 500  # px: headless Chromium's narrowest window
REPORT = re.compile(r'<pre id="__probe">(.*?)</pre>', re.DOTALL)


def chromium() -> str:
    """The browser's path; the test fails (never skips) where it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(f"chromium is not installed; install it with: {INSTALL}")
    return path


def _run(page: Path, fragment: str, profile: Path, *extra: str) -> str:
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    args = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"chromium failed on {url}: {done.stderr[-2000:]}"
    return done.stdout


def _framed(page: Path, fragment: str, width: int, height: int) -> Path:
    """A page beside ``page`` that shows it in a frame ``width`` x ``height`` px."""
    src = page.name + (f"#{fragment}" if fragment else "")
    frame = page.with_name(f"{page.stem}.{width}px.html")
    frame.write_text(FRAME.format(src=src, width=width, height=height), encoding="utf-8")
    return frame


def _window(width: int, height: int) -> str:
    return f"--window-size={max(width, MIN_WINDOW)},{height}"


def probe(page: Path, profile: Path, fragment: str = "", width: int | None = None) -> dict:
    """Open a copy of ``page`` (same directory, so relative links hold) and return the report.

    With ``width``, the page is laid out ``width`` px wide (in a frame, see the module's
    docstring); ``report["layout"]`` is then measured at that width.
    """
    copy = page.with_name(f"{page.stem}.probe.html")
    head, end, tail = page.read_text(encoding="utf-8").rpartition("</body>")
    assert end, f"{page.name} has no </body>"
    copy.write_text(head + LAYOUT + PROBE + end + tail, encoding="utf-8")
    if width is None:
        dom = _run(copy, fragment, profile, "--dump-dom")
    else:
        dom = _run(
            _framed(copy, fragment, width, 1600), "", profile, "--dump-dom", _window(width, 1700)
        )
    found = REPORT.search(dom)
    assert found, f"{page.name}: the probe reported nothing (did the page load?)"
    return json.loads(html.unescape(found.group(1)))


def screenshot(
    page: Path,
    png: Path,
    profile: Path,
    fragment: str = "",
    width: int = 1280,
    height: int = 1600,
) -> tuple[int, int]:
    """Save a ``width`` x ``height`` screenshot of ``page`` to ``png``; return its size.

    Narrower than headless Chromium's window can be, the page is shown in a frame of that
    width and the picture cropped to it (with Pillow, which matplotlib brings).
    """
    if width >= MIN_WINDOW:
        _run(page, fragment, profile, _window(width, height), f"--screenshot={png}")
    else:
        frame = _framed(page, fragment, width, height)
        _run(frame, "", profile, _window(width, height), f"--screenshot={png}")
        from PIL import Image

        with Image.open(png) as picture:
            picture.crop((0, 0, width, height)).save(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height
