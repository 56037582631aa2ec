"""The HTML renderer of ``rnn-ref explain`` (``--format html``): one page a teacher can hand out.

The page is self-contained: its CSS is inline, its maths is MathML (which browsers render
natively), and it has no script, no font, no image and no link to fetch; it opens from disk
with no network. It shows what the text shows, as tables: the labels set as maths, the values
in a fixed-width column (each row carries its plain label in ``data-label``, so that a program
can read the numbers back), the reach grid in colour, and the per-step summary. It is also
well-formed XML (void elements closed, every attribute quoted).

Every piece of text that reaches the page is escaped (a case file's comment is untrusted).
The renderer's methods are those of ``rnn_ref.explain.text``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import numpy as np

from .mathml import to_mathml
from .text import (
    GRID_TITLE,
    REACHED,
    format_array,
    format_row,
    format_scalar,
    format_table,
    plain,
    segments,
    split_label,
)

# Colours: reached transitions blue, a live h0 orange, the rest pale; a loss term of
# weight 0 (it adds nothing) in paler shades. Each cell also holds its mark, for print.
_CSS = """\
:root { color-scheme: light; }
body { margin: 0; color: #1d2330; background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 64rem; margin: 0 auto; padding: 1.25rem 1.5rem 3rem; }
h1 { font-size: 1.45rem; margin: 0 0 .2rem; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .5rem; padding-bottom: .15rem;
  border-bottom: 1px solid #c9d2e3; }
h3 { font-size: 1rem; margin: 1.1rem 0 .3rem; color: #2b4a7e; }
p { margin: .15rem 0; }
p.aside { margin-left: 2.5rem; color: #5a6272; font-style: italic; }
math { font-size: 1.08em; }
table { border-collapse: collapse; margin: .3rem 0; }
table.rows th, table.rows td { padding: .12rem .55rem; vertical-align: top; text-align: left; }
table.rows tr:nth-child(even) { background: #f5f7fb; }
th.eq { color: #6a7385; font-weight: normal; white-space: nowrap; }
td.value pre, td.value { font: 13px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
td.value pre { margin: 0; }
table.grid th, table.grid td { min-width: 1.5rem; height: 1.35rem; padding: 0 .2rem;
  text-align: center; border: 2px solid #fff; font: 12px ui-monospace, monospace; }
p.legend { margin-top: .6rem; color: #5a6272; }
table.grid td.reached { background: #2f64b1; color: #fff; }
table.grid td.reached.h0 { background: #d9822b; }
table.grid td.not { background: #eef1f6; color: #a3abba; }
table.grid tr.zero td.reached { background: #a8bde0; }
table.grid tr.zero td.reached.h0 { background: #efc79c; }
table.summary th, table.summary td { padding: .12rem .7rem; text-align: right;
  border-bottom: 1px solid #e3e8f1; }
table.summary td { font: 13px ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
p.check { margin-top: 1rem; font: 13px ui-monospace, monospace; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } }
"""


def rich(text: str) -> str:
    """Prose escaped, the maths between dollars as MathML."""
    return "".join(to_mathml(piece) if math else escape(piece) for math, piece in segments(text))


class HtmlRenderer:
    """One HTML page, written piece by piece as the walk-through goes."""

    def __init__(self, precision: int, batch: int, write: Callable[[str], object]):
        self.precision = precision
        self.batch = batch
        self.write = write
        self.open_table = False

    def _close(self) -> None:
        if self.open_table:
            self.write("</tbody></table>\n")
            self.open_table = False

    def begin(self, title: str) -> None:
        name, _, rest = plain(title).partition(": ")
        self.write(
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8"/>\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>\n'
            f"<title>{escape(plain(title))}</title>\n<style>\n{_CSS}</style>\n</head>\n"
            f"<body>\n<main>\n<h1>{escape(name)}</h1>\n<p><strong>{escape(rest)}</strong></p>\n"
        )

    def heading(self, title: str) -> None:
        self._close()
        self.write(f"<h2>{rich(title)}</h2>\n")

    def step(self, title: str) -> None:
        self._close()
        if title.startswith("check,"):
            self.write(f'<p class="check">{escape(title)}</p>\n')
        else:
            self.write(f"<h3>{rich(title)}</h3>\n")

    def note(self, text: str, aside: bool = False) -> None:
        self._close()
        opening = '<p class="aside">' if aside else "<p>"
        self.write(f"{opening}{rich(text)}</p>\n")

    def _row(self, label: str, value: str) -> None:
        if not self.open_table:
            self.write('<table class="rows"><tbody>\n')
            self.open_table = True
        eq, rest = split_label(label)
        self.write(
            f'<tr data-label="{escape(plain(label).strip())}"><th class="eq">{escape(eq)}</th>'
            f'<td class="label">{rich(rest)}</td>'
            f'<td class="value"><pre>{escape(value)}</pre></td></tr>\n'
        )

    def rows(self, label: str, rows: np.ndarray) -> None:
        rows = np.asarray(rows)
        values = []
        for b in range(self.batch):
            tag = f"b={b + 1} " if self.batch > 1 else ""
            values.append(tag + format_row(rows, b, self.precision))
        self._row(label, "\n".join(values))

    def array(self, label: str, a: np.ndarray) -> None:
        self._row(label, format_array(a, self.precision))

    def value(self, label: str, x: float) -> None:
        self._row(label, format_scalar(x, self.precision))

    def grid(self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str], bool]]) -> None:
        self._close()
        head = "".join(f"<th>{rich(f'${c}$')}</th>" for c in columns)
        out = [
            f'<p class="legend">{escape(GRID_TITLE)}; blue: reached, orange: h0 is live, '
            "pale: the loss term has weight 0</p>\n",
            f'<table class="grid"><thead><tr><th></th>{head}</tr></thead><tbody>\n',
        ]
        for label, marks, counts in rows:
            cells = []
            for column, mark in zip(columns, marks, strict=True):
                kind = "reached" if mark == REACHED else "not"
                h0 = " h0" if column == "h0" else ""
                cells.append(f'<td class="{kind}{h0}">{escape(mark)}</td>')
            zero = "" if counts else ' class="zero"'
            out.append(f"<tr{zero}><th>{escape(plain(label))}</th>{''.join(cells)}</tr>\n")
        out.append("</tbody></table>\n")
        self.write("".join(out))

    def table(self, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[float]]]) -> None:
        self._close()
        head = "".join(f"<th>{rich(f'${h}$')}</th>" for h in headers)
        out = [f'<table class="summary"><thead><tr>{head}</tr></thead><tbody>\n']
        for t, *values in format_table(rows, self.precision):
            cells = "".join(f'<td class="value">{escape(x)}</td>' for x in values)
            out.append(f'<tr data-label="summary t={t}"><th>{t}</th>{cells}</tr>\n')
        out.append("</tbody></table>\n")
        self.write("".join(out))

    def end(self) -> None:
        self._close()
        self.write("</main>\n</body>\n</html>\n")
