"""The Markdown renderer of ``rnn-ref explain`` (``--format markdown``), readable on a forge.

The structure of the text, as headings and tables: one table row per quantity with its
equation number, its label (maths as code, in the notation of the text) and its values (code,
a matrix one row per line). The reach grid and the per-step summary are tables too. Prose
that could be read as Markdown is escaped, and so are the ``|`` that would end a table cell
(GitHub's tables need them escaped even inside code). The renderer's methods are those of
``rnn_ref.explain.text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from .text import (
    GRID_TITLE,
    format_array,
    format_row,
    format_scalar,
    format_table,
    plain,
    segments,
    split_label,
)

# Not "_": inside words (W_xh, stop_gradient) GitHub's Markdown does not read it as emphasis.
_SPECIAL = re.compile(r"([\\`*\[\]<>|#])")


def prose(text: str) -> str:
    """Escape what Markdown would read as markup."""
    return _SPECIAL.sub(r"\\\1", text)


def code(text: str) -> str:
    """``text`` as a code span that is safe in a table cell."""
    return "`" + text.replace("|", "\\|") + "`"


def rich(text: str) -> str:
    """Prose escaped, the maths between dollars as code."""
    return "".join(code(piece) if math else prose(piece) for math, piece in segments(text))


def _values(lines: Sequence[str]) -> str:
    """Value lines in one cell: a code span each, one per line."""
    return "<br>".join(code(line) for line in lines)


class MarkdownRenderer:
    """Markdown, written piece by piece as the walk-through goes."""

    def __init__(self, precision: int, batch: int, write: Callable[[str], object]):
        self.precision = precision
        self.batch = batch
        self.write = write
        self.open_table = False

    def _close(self) -> None:
        if self.open_table:
            self.write("\n")
            self.open_table = False

    def begin(self, title: str) -> None:
        name, _, rest = plain(title).partition(": ")
        self.write(f"# {prose(name)}\n\n**{prose(rest)}**\n\n")

    def heading(self, title: str) -> None:
        self._close()
        self.write(f"## {rich(title)}\n\n")

    def step(self, title: str) -> None:
        self._close()
        if title.startswith("check,"):
            self.write(f"```text\n{title}\n```\n")
        else:
            self.write(f"### {rich(title)}\n\n")

    def note(self, text: str, aside: bool = False) -> None:
        self._close()
        self.write(f"{'> ' if aside else ''}{rich(text)}\n\n")

    def _row(self, label: str, lines: Sequence[str]) -> None:
        if not self.open_table:
            self.write("| eq | quantity | value |\n| --- | --- | --- |\n")
            self.open_table = True
        eq, rest = split_label(label)
        self.write(f"| {eq} | {rich(rest.strip())} | {_values(lines)} |\n")

    def rows(self, label: str, rows: np.ndarray) -> None:
        rows = np.asarray(rows)
        lines = []
        for b in range(self.batch):
            tag = f"b={b + 1} " if self.batch > 1 else ""
            lines.append(tag + format_row(rows, b, self.precision))
        self._row(label, lines)

    def array(self, label: str, a: np.ndarray) -> None:
        self._row(label, format_array(a, self.precision).splitlines())

    def value(self, label: str, x: float) -> None:
        self._row(label, [format_scalar(x, self.precision)])

    def grid(self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str], bool]]) -> None:
        self._close()
        self.write(f"{prose(GRID_TITLE)}\n\n")
        self.write(f"| loss term | {' | '.join(columns)} |\n")
        self.write(f"| --- |{' :-: |' * len(columns)}\n")
        for label, marks, counts in rows:
            zero = "" if counts else " (weight 0)"
            self.write(f"| {prose(plain(label))}{zero} | {' | '.join(marks)} |\n")
        self.write("\n")

    def table(self, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[float]]]) -> None:
        self._close()
        self.write(f"| {' | '.join(code(h) for h in headers)} |\n")
        self.write(f"|{' --: |' * len(headers)}\n")
        for t, *cells in format_table(rows, self.precision):
            self.write(f"| {t} | {' | '.join(map(code, cells))} |\n")
        self.write("\n")

    def end(self) -> None:
        self._close()
