"""Read the output of ``rnn-ref explain`` back: label -> the numbers printed for it.

One reader per format, each independent of the renderers: the text is read by its label
column, the Markdown by its table cells, the HTML with ``html.parser`` (``data-label`` on
each row). Labels are compared with their maths marks dropped and their blanks collapsed,
``"(9) delta_1 = phi'(a_1) * dL/dh_1"``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np

NUMBER = re.compile(r"[-+]?\d+\.\d+(?:e[-+]?\d+)?")
LABEL_WIDTH = 46  # the label column of the text


def key(label: str) -> str:
    return " ".join(label.replace("$", "").replace("`", "").split())


def numbers(text: str) -> np.ndarray:
    return np.array([float(x) for x in NUMBER.findall(text)])


def read_text(text: str) -> dict[str, np.ndarray]:
    """Rows of the text: a label in the first 46 columns, values after it and on the lines
    that go on in column 47 (matrix rows, other sequences). A label too long for its column
    stands alone on its line, the values on the next."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if current is not None and line.startswith(" " * LABEL_WIDTH):
            found[current].append(line[LABEL_WIDTH:])
        elif line.startswith("  ") and len(line) > LABEL_WIDTH and line[LABEL_WIDTH - 1] == " ":
            current = key(line[:LABEL_WIDTH])
            found.setdefault(current, []).append(line[LABEL_WIDTH:])
        elif line.startswith("  ") and line[2:3] in "(" and len(line) >= LABEL_WIDTH:
            current = key(line)  # a long label: values on the next line
            found.setdefault(current, [])
        else:
            current = None
    return {label: numbers(" ".join(parts)) for label, parts in found.items()}


_CELL = re.compile(r"(?<!\\)\|")


def read_markdown(text: str) -> dict[str, np.ndarray]:
    """Rows of the Markdown tables: | (eq) | label | values |; an empty label goes on."""
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if not line.startswith("|") or line.startswith("| ---") or line.startswith("| eq "):
            current = None
            continue
        cells = [c.strip().replace("\\|", "|") for c in _CELL.split(line)[1:-1]]
        if len(cells) != 3:
            current = None
            continue
        eq, label, value = cells
        if label:
            current = key(f"{eq} {label}")
            found.setdefault(current, [])
        if current is not None:
            found[current].append(value.replace("<br>", " "))
    return {label: numbers(" ".join(parts)) for label, parts in found.items()}


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[str]] = {}
        self.label: str | None = None
        self.in_value = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-label" in attrs:
            self.label = key(attrs["data-label"])
            self.found.setdefault(self.label, [])
        if tag == "td" and self.label is not None and "value" in (attrs.get("class") or ""):
            self.in_value = True

    def handle_endtag(self, tag):
        if tag == "td":
            self.in_value = False
        if tag == "tr":
            self.label = None

    def handle_data(self, data):
        if self.in_value:
            self.found[self.label].append(data)


def read_html(text: str) -> dict[str, np.ndarray]:
    parser = _Rows()
    parser.feed(text)
    parser.close()
    return {label: numbers(" ".join(parts)) for label, parts in parser.found.items()}


READERS = {"text": read_text, "markdown": read_markdown, "html": read_html}
