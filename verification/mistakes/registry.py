"""``Mistake``: one entry of the gallery, and where it applies.

A mistake's text lives once, in its function's docstring, in three labelled paragraphs::

    <title: one line>

    What is wrong: ...
    Why it is tempting: ...
    The fix: ...

``mistake(...)`` reads them from there, so that the gallery, ``rnn-ref check`` and
``docs/mistakes.md`` say the same thing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

#: The keys an ``applies`` dict may have, each with the values it may list.
APPLIES_KEYS = {
    "activation": ("tanh", "sigmoid", "relu"),
    "loss": ("mse", "softmax_ce"),
    "mode": ("full", "window", "chunk"),
    "weights": ("any", "ones", "mask", "last"),
    "h0": ("any", "zeros"),
}
_LABELS = {"what": "What is wrong:", "why": "Why it is tempting:", "fix": "The fix:"}


@dataclass(frozen=True)
class Mistake:
    """A wrong BPTT implementation in the canonical convention.

    Attributes:
        id: kebab-case and stable: ``rnn-ref check --json`` reports it.
        title: one line.
        function: ``fn(params, xs, targets, spec, h0, weights) -> dict``, like the user's.
        applies: the Spec and scope values where the mistake shows, by key of
            ``APPLIES_KEYS`` (``{"loss": ("softmax_ce",)}``); a key left out means every
            value. Outside, the function may equal the truth or raise NotImplementedError.
        what: what is wrong. why: why it is tempting. fix: the fix.
    """

    id: str
    title: str
    function: Callable[..., dict]
    applies: Mapping[str, tuple[str, ...]]
    what: str
    why: str
    fix: str

    def applies_to(self, spec: dict, weights: np.ndarray, h0: np.ndarray) -> bool:
        """Whether the case (canonical spec dict, weights (T, B), h0 (B, H)) is in scope."""
        case = {
            "activation": {spec["activation"]},
            "loss": {spec["loss"]},
            "mode": {mode_of(spec)},
            "weights": weight_kinds(weights),
            "h0": {"any", "zeros"} if not np.any(h0) else {"any"},
        }
        return all(case[key] & set(values) for key, values in self.applies.items())


def mode_of(spec: dict) -> str:
    """``"full"``, ``"window"`` or ``"chunk"``; a k of T or more is still its mode."""
    return "full" if spec["truncation"] is None else spec["truncation_mode"]


def weight_kinds(weights: np.ndarray) -> set[str]:
    """Every ``--weights`` kind that the (T, B) array is an instance of."""
    w = np.asarray(weights)
    kinds = {"any"}
    if np.all(w == 1):
        kinds.add("ones")
    if np.all((w == 0) | (w == 1)):
        kinds.add("mask")
    if np.all(w[-1] == 1) and not np.any(w[:-1]):
        kinds.add("last")
    return kinds


def _paragraphs(function: Callable) -> tuple[str, dict[str, str]]:
    doc = inspect.getdoc(function) or ""
    title, _, body = doc.partition("\n")
    found = {}
    for key, label in _LABELS.items():
        match = re.search(re.escape(label) + r"\s*(.*?)(?:\n\s*\n|\Z)", body, re.DOTALL)
        if match is None:
            raise ValueError(f"{function.__name__}: docstring has no '{label}' paragraph")
        found[key] = " ".join(match.group(1).split()).replace("``", "`")
    return title.strip().replace("``", "`"), found


def mistake(id: str, function: Callable[..., dict], **applies: tuple[str, ...]) -> Mistake:
    """The gallery entry of ``function``, its texts read from its docstring."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", id):
        raise ValueError(f"id: expected kebab-case, got {id!r}")
    for key, values in applies.items():
        unknown = set(values) - set(APPLIES_KEYS.get(key, ()))
        if key not in APPLIES_KEYS or unknown:
            raise ValueError(
                f"applies: expected keys and values of APPLIES_KEYS, got {key}={values}"
            )
    title, texts = _paragraphs(function)
    return Mistake(id=id, title=title, function=function, applies=applies, **texts)
