"""What a command prints, made safe for a terminal and for a JSON reader.

- ``printable``: text that came from the user (an exception's message, a TARGET, a name
  returned, a comment read from a file) can hold ESC sequences, carriage returns and
  newlines, which a terminal obeys: a comment ending in ``"\\nAGREE: all 100 cases
  agree"`` would print a forged report line. Every control character (and the Unicode line
  and paragraph separators) is written as its escape, as ``repr`` does (``\\x1b``, ``\\n``).
- ``json_text``: JSON has no NaN or infinity, and Python's ``json`` writes them as
  ``NaN``/``Infinity``, which strict readers refuse. Non-finite floats are written as
  strings, ``"nan"``, ``"inf"`` and ``"-inf"``, and ``allow_nan=False`` makes sure none
  slips through.
"""

from __future__ import annotations

import json
import math
import re

#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with every control character escaped (``\\x1b``, ``\\n``): one line, and
    nothing a terminal would act on."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def printable_lines(text: str) -> str:
    """Each line of ``text`` made ``printable``, its line breaks kept (``\\n`` only)."""
    ends = text.endswith("\n")
    lines = text[:-1].split("\n") if ends else text.split("\n")
    return "\n".join(printable(line) for line in lines) + ("\n" if ends else "")


def finite_json(value: object) -> object:
    """``value`` with every non-finite float as a string (``"nan"``, ``"inf"``, ``"-inf"``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def json_text(value: object, indent: int | None = 2) -> str:
    """Strict JSON of ``value`` (``finite_json``), ending with a newline."""
    return json.dumps(finite_json(value), indent=indent, allow_nan=False) + "\n"
