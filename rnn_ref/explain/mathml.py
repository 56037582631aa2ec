"""The maths of ``rnn-ref explain`` labels as MathML, which browsers render natively.

The labels write their maths in the plain notation of the text output, the notation of
``docs/bptt.md`` typed on a keyboard: ``delta^(3)_2 = phi'(a_2) * W_hh^T delta^(3)_3``.
``to_mathml`` turns it into one ``<math>`` element: a name with ``_`` and ``^`` gets its
subscript and superscript (``{...}`` groups them, ``^(3)`` is a superscript in brackets),
``dL/dy_2`` is the partial derivative, ``*`` the element-wise product, ``delta``, ``phi``
and ``tau`` are Greek letters, ``||`` a norm. Every piece of text that reaches the page is
escaped, whatever the label holds.

No MathJax, no fonts, no script: the page stays self-contained and small, and rnn_ref
gains no dependency.
"""

from __future__ import annotations

import re
from html import escape

from .text import check_maths

_GREEK = {"delta": "δ", "phi": "φ", "tau": "τ"}
# "*" is the element-wise product; \u2032 is the prime, \u2212 the minus sign.
_OPERATORS = {"*": "⊙", "..": "…", "||": "‖", "+=": "+=", "'": "\u2032", "-": "\u2212"}
# One token: the partial dL/d, the d of dW_xh and db_h, a name (h0 is h with subscript 0),
# a number, an operator.
_TOKEN = re.compile(
    r"""
    (?P<partial>dL/d)(?=[A-Za-z])
  | (?P<differential>d)(?=[Wb]_)
  | (?P<name>[A-Za-z]+)(?P<prime>')?(?P<digits>\d+)?
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<script>[_^])
  | (?P<operator>\+=|\.\.|\|\||[-+=()\[\]|,/*<>:])
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)


def to_mathml(notation: str) -> str:
    """``notation`` as one inline ``<math>`` element.

    Raises:
        ValueError: its scripts nest deeper than ``MAX_NESTING`` (the reader recurses once
            per level).
    """
    check_maths(f"${notation}$", "maths")
    return f"<math>{_row(notation)}</math>"


def _mi(text: str, normal: bool = False) -> str:
    variant = ' mathvariant="normal"' if normal else ""
    return f"<mi{variant}>{escape(text)}</mi>"


def _mo(text: str) -> str:
    return f"<mo>{escape(_OPERATORS.get(text, text))}</mo>"


def _group(text: str, start: int) -> tuple[str, int]:
    """The script that starts at ``start``: ``{...}``, ``(...)`` or a run of letters/digits."""
    opening = text[start : start + 1]
    closing = {"{": "}", "(": ")"}.get(opening)
    if closing is not None:
        depth, i = 0, start
        while i < len(text):
            depth += {opening: 1, closing: -1}.get(text[i], 0)
            if depth == 0:
                inner = text[start + 1 : i]
                return (_row(f"({inner})") if opening == "(" else _row(inner)), i + 1
            i += 1
        return _row(text[start + 1 :]), len(text)  # unbalanced: the rest is the script
    match = re.compile(r"[A-Za-z0-9]+").match(text, start)
    if match is None:
        return "<mrow></mrow>", start
    word = match.group()
    return (_mi(word, normal=True) if word == "T" else _row(word)), match.end()


def _row(text: str) -> str:
    """The tokens of ``text`` as one ``<mrow>``."""
    atoms: list[str] = []
    i = 0
    while i < len(text):
        token = _TOKEN.match(text, i)
        if token is None:  # anything else is shown as it is, escaped
            atoms.append(_mo(text[i]))
            i += 1
            continue
        i = token.end()
        if token.group("partial"):
            atoms += [_mi("∂", True), _mi("L"), _mo("/"), _mi("∂", True)]
        elif token.group("differential"):
            atoms.append(_mi("d", normal=True))
        elif token.group("name"):
            atoms.append(_name(token))
        elif token.group("number"):
            atoms.append(f"<mn>{escape(token.group('number'))}</mn>")
        elif token.group("script"):
            atoms, i = _attach(text, token.start(), atoms)
        elif token.group("operator"):
            atoms.append(_operator(token.group("operator")))
    return "<mrow>" + "".join(atoms) + "</mrow>"


def _name(token: re.Match) -> str:
    word = token.group("name")
    if word == "sum":
        base = '<mo largeop="false">∑</mo>'
    else:
        base = _mi(_GREEK.get(word, word))
    if token.group("prime"):
        base = f"<mrow>{base}{_mo(chr(39))}</mrow>"
    if token.group("digits"):
        base = f"<msub>{base}<mn>{escape(token.group('digits'))}</mn></msub>"
    return base


def _operator(text: str) -> str:
    if text in "()[]|":
        return f'<mo stretchy="false">{escape(text)}</mo>'
    return _mo(text)


def _attach(text: str, start: int, atoms: list[str]) -> tuple[list[str], int]:
    """Read the ``_`` and ``^`` scripts from ``start`` on and put them on the last atom."""
    scripts = {"_": None, "^": None}
    i = start
    while i < len(text) and text[i] in scripts:
        mark = text[i]
        scripts[mark], i = _group(text, i + 1)
    sub, sup = scripts["_"], scripts["^"]
    base = atoms.pop() if atoms else "<mrow></mrow>"
    if sub is not None and sup is not None:
        atoms.append(f"<msubsup>{base}{sub}{sup}</msubsup>")
    elif sub is not None:
        atoms.append(f"<msub>{base}{sub}</msub>")
    else:
        atoms.append(f"<msup>{base}{sup}</msup>")
    return atoms, i
