"""Debian's headless Chromium, run as a subprocess, for the tests of pages in a real browser.

A page is opened from disk (file://) with no network: every host name resolves to nothing
(``--host-resolver-rules``), so a page that tries to fetch a script, a style or a font from
the network fails to get it, and the attempt stays visible in the page's resource timing.

``probe`` adds a small script to a copy of the page that waits for MathJax, then writes what
the tests ask for (see ``PROBE``) as JSON into the DOM, which ``--dump-dom`` returns.
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
  };
  const out = document.createElement("pre");
  out.id = "__probe";
  out.textContent = JSON.stringify(report);
  document.body.append(out);
});
</script>
"""
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


def probe(page: Path, profile: Path, fragment: str = "") -> dict:
    """Open a copy of ``page`` (same directory, so relative links hold) and return the report."""
    copy = page.with_name(f"{page.stem}.probe.html")
    head, end, tail = page.read_text(encoding="utf-8").rpartition("</body>")
    assert end, f"{page.name} has no </body>"
    copy.write_text(head + PROBE + end + tail, encoding="utf-8")
    dom = _run(copy, fragment, profile, "--dump-dom")
    found = REPORT.search(dom)
    assert found, f"{page.name}: the probe reported nothing (did the page load?)"
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, png: Path, profile: Path, fragment: str = "") -> tuple[int, int]:
    """Save a 1280 x 1600 screenshot of ``page`` to ``png``; return its (width, height)."""
    _run(page, fragment, profile, "--window-size=1280,1600", f"--screenshot={png}")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height
