"""The plain-text renderer of ``rnn-ref explain`` (``--format text``, the default).

A renderer is what the walk-through (``rnn_ref.explain``) writes to. Every renderer has
the same methods, each written out as soon as it is called (the first lines show at once and
no copy of the whole text is held):

    begin(title)            the first line
    heading(title)          a section: Parameters, Forward pass, ...
    step(title)             a step inside a section, or a line of its own
    note(text, aside)       a sentence; ``aside`` for a remark on the line above
    rows(label, rows)       one value per sequence: (B, n), or (B,) for scalars
    array(label, a)         one array, a matrix one row per line
    value(label, x)         one number
    grid(columns, rows)     the reach grid: for each loss term, a mark per h0 and transition
    table(headers, rows)    the per-step summary: one row of numbers per step
    end()                   the last word

Labels and notes mark their maths with dollars: ``"(1) $a_1 = W_xh x_1 + b_h$"``. The text
renderer drops the dollars; the Markdown one sets the maths as code, the HTML one as MathML.
A label that starts with an equation number, ``(9)`` or ``(W2)``, keeps it in front.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

_LABEL_WIDTH = 46
# The marks of the reach grid (``grid``): the loss term reaches it, or not.
REACHED, NOT_REACHED = "x", "."
GRID_TITLE = "loss term t (row) reaches h0 / transition s (column): x"


def plain(text: str) -> str:
    """``text`` without the dollars that mark its maths."""
    return text.replace("$", "")


def segments(text: str) -> list[tuple[bool, str]]:
    """``text`` cut at its dollars: (is maths, piece), prose and maths in turn."""
    return [(i % 2 == 1, piece) for i, piece in enumerate(text.split("$")) if piece]


#: How deep the scripts of one piece of maths may nest: ``x_{y_{z}}`` nests 2 deep. Every
#: level is three calls of the MathML reader (``rnn_ref.explain.mathml``); our labels nest
#: 2 deep at most, and a case file's comment nested 3000 deep would exhaust Python's stack
#: half-way through a page.
MAX_NESTING = 32


def script_depth(maths: str) -> int:
    """How deep the script groups of ``maths`` nest: a ``{`` or ``(`` right after ``_`` or
    ``^`` opens one, its matching bracket (or the end, if none) closes it. Braces and
    parentheses are matched apart, as the reader matches them, and their depths add up:
    never less than the depth of the reader's calls."""
    open_ = {"{": [], "(": []}
    closing = {"}": "{", ")": "("}
    depth = deepest = 0
    for i, char in enumerate(maths):
        if char in open_:
            script = i > 0 and maths[i - 1] in "_^"
            open_[char].append(script)
            depth += script
            deepest = max(deepest, depth)
        elif char in closing and open_[closing[char]]:
            depth -= open_[closing[char]].pop()
    return deepest


def check_maths(text: str, where: str) -> None:
    """Refuse ``text`` whose maths (between dollars) nests deeper than ``MAX_NESTING``,
    before anything is written: a ``ValueError`` naming ``where``."""
    for maths, piece in segments(text):
        depth = script_depth(piece) if maths else 0
        if depth > MAX_NESTING:
            raise ValueError(
                f"{where}: expected maths whose scripts (x_{{...}}, x^(...)) nest at most "
                f"{MAX_NESTING} deep, got {depth}"
            )


_EQUATION = re.compile(r"\s*(\((?:\d+|[WC]\d)\))?\s*(.*)", re.DOTALL)


def split_label(label: str) -> tuple[str, str]:
    """``"(W2) $delta...$"`` -> ``("(W2)", "$delta...$")``; no number: ``("", label)``."""
    match = _EQUATION.fullmatch(label)
    return match.group(1) or "", match.group(2)


def format_array(a: np.ndarray, precision: int, indent: int = 0) -> str:
    """``a`` with ``precision`` decimals, a matrix one row per line after ``indent`` spaces.

    Always fixed decimals (``suppress_small``): left to itself, NumPy switches an array with one
    tiny entry to scientific notation, and the listing's column of values changed format
    from one line to the next. A value below the last decimal prints as 0.0000 here; the
    per-step summary (``format_column``) shows how small it is.
    """
    return np.array2string(
        np.asarray(a),
        precision=precision,
        floatmode="fixed",
        suppress_small=True,
        sign=" ",
        max_line_width=1_000_000,
        prefix=" " * indent,
    )


def format_scalar(x: float, precision: int) -> str:
    return f"{x: .{precision}f}"


def format_column(values: Sequence[float], precision: int) -> list[str]:
    """One column of the per-step summary, every number in one format.

    Fixed, ``precision`` decimals, when that shows every nonzero value with two significant
    digits or more and none reaches 10^6; otherwise scientific, ``precision`` significant
    digits, for the whole column. So a gradient that vanished to 3e-9 is never printed as
    0.0000, which would read as a gradient cut off. An exact zero (a loss weight of 0, a
    gradient truncation cut) is printed ``0`` in either format.
    """
    nonzero = [abs(x) for x in values if x != 0]
    fixed = not nonzero or (min(nonzero) >= 10.0 ** (1 - precision) and max(nonzero) < 1e6)
    return [
        "0" if x == 0 else f"{x: .{precision}f}" if fixed else f"{x: .{precision - 1}e}"
        for x in values
    ]


def format_table(rows: Sequence[tuple[int, Sequence[float]]], precision: int) -> list[list[str]]:
    """The cells of the per-step summary: the step, then each column by ``format_column``."""
    values = [v for _, v in rows]
    columns = [format_column(column, precision) for column in zip(*values, strict=True)]
    cells = zip(*columns, strict=True)
    return [[str(t), *row] for (t, _), row in zip(rows, cells, strict=True)]


def format_row(rows: np.ndarray, b: int, precision: int) -> str:
    """Sequence b's value in ``rows``: an array, a number, or an integer class id."""
    if rows.ndim > 1:
        return format_array(rows[b], precision)
    if rows.dtype.kind in "iu":
        return f"{int(rows[b])}"
    return format_scalar(rows[b], precision)


class Renderer(Protocol):
    """What the walk-through writes to (the module docstring says what each method shows)."""

    def begin(self, title: str) -> None: ...
    def heading(self, title: str) -> None: ...
    def step(self, title: str) -> None: ...
    def note(self, text: str, aside: bool = False) -> None: ...
    def rows(self, label: str, rows: np.ndarray) -> None: ...
    def array(self, label: str, a: np.ndarray) -> None: ...
    def value(self, label: str, x: float) -> None: ...
    def grid(
        self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str], bool]]
    ) -> None: ...
    def table(
        self, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[float]]]
    ) -> None: ...
    def end(self) -> None: ...


class TextRenderer:
    """Lines of text: a label column, then a value rounded to ``precision`` decimals."""

    def __init__(self, precision: int, batch: int, write: Callable[[str], object]):
        self.precision = precision
        self.batch = batch
        self.write = write

    def line(self, text: str = "") -> None:
        self.write(text.rstrip() + "\n")

    def begin(self, title: str) -> None:
        self.line(plain(title))

    def heading(self, title: str) -> None:
        self.line()
        self.line(plain(title))

    def step(self, title: str) -> None:
        self.line(plain(title))

    def note(self, text: str, aside: bool = False) -> None:
        self.line(("      " if aside else "  ") + plain(text))

    def _head(self, label: str) -> str:
        head = f"  {plain(label)}"
        if len(head) < _LABEL_WIDTH:
            return head.ljust(_LABEL_WIDTH)
        self.line(head)  # a long label gets a line of its own
        return " " * _LABEL_WIDTH

    def rows(self, label: str, rows: np.ndarray) -> None:
        rows = np.asarray(rows)
        head = self._head(label)
        for b in range(self.batch):
            tag = f"b={b + 1} " if self.batch > 1 else ""
            value = format_row(rows, b, self.precision)
            self.line(f"{head if b == 0 else ' ' * _LABEL_WIDTH}{tag}{value}")

    def array(self, label: str, a: np.ndarray) -> None:
        head = self._head(label)
        self.line(head + format_array(a, self.precision, _LABEL_WIDTH))

    def value(self, label: str, x: float) -> None:
        self.line(self._head(label) + format_scalar(x, self.precision))

    def grid(self, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[str], bool]]) -> None:
        """``rows``: per loss term a label, a mark per column, and whether its weight counts."""
        width = max(len(plain(label)) for label, _, _ in rows)
        cells = max(map(len, columns))
        self.line()
        self.line(f"  {GRID_TITLE}")
        self.line("  " + " " * width + "  " + " ".join(c.rjust(cells) for c in columns))
        for label, marks, counts in rows:
            row = " ".join(m.rjust(cells) for m in marks)
            self.line(f"  {plain(label).ljust(width)}  {row}{'' if counts else '  (weight 0)'}")

    def table(self, headers: Sequence[str], rows: Sequence[tuple[int, Sequence[float]]]) -> None:
        texts = format_table(rows, self.precision)
        widths = [max(len(h), *(len(r[i]) for r in texts)) for i, h in enumerate(headers)]
        self.line("  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
        for r in texts:
            self.line("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))

    def end(self) -> None:
        """Nothing to close in text."""


class Silent:
    """A renderer that writes nothing: the per-step listing past ``summary_after`` steps."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return _nothing


def _nothing(*args: object, **kwargs: object) -> None:
    return None
