"""MkDocs hook: inline code breaks between its words, never inside an identifier.

The theme lets inline code break anywhere (``word-break: break-word``), and a browser breaks
after any hyphen: on a narrow screen ``other-activation-derivative`` came out as
``other-activatio`` / ``n-derivativ`` / ``e``. This hook wraps each word (a run of
non-space characters) of every inline ``<code>`` in ``<span class="rr-word">``, which
docs/stylesheets/layout.css keeps on one line, unless the word is made of letters, digits,
``_`` and ``.`` alone, in which a browser finds no place to break anyway. A word longer than ``LONG`` characters, which
may not fit a narrow line, is left breakable and gets a ``<wbr>`` after each ``.``, ``/``
and ``:`` so that it breaks where a reader expects: ``verification.mistakes.<wbr>derivative``.
"""

from __future__ import annotations

import re

# Inline code: a <code> with no markup inside. A code block's <code> follows "<pre>" or the
# "<span></span>" pymdownx.highlight puts before it, and holds markup anyway.
INLINE = re.compile(r"(?<!<pre>)(?<!</span>)<code>([^<]*)</code>")
WORD = re.compile(r"\S+")
LONG = 40  # characters: about the width of a 400 px screen in the code font
BREAK = re.compile(r"(?<=[./:])(?=[^./:])")
UNBREAKABLE = re.compile(r"[\w.]+")


def _word(match: re.Match) -> str:
    word = match.group(0)
    if len(word) > LONG:
        return BREAK.sub("<wbr>", word)
    if UNBREAKABLE.fullmatch(word):
        return word
    return f'<span class="rr-word">{word}</span>'


def on_page_content(html, page, config, files):
    return INLINE.sub(lambda m: "<code>" + WORD.sub(_word, m.group(1)) + "</code>", html)
