"""``rnn-ref explain``: one tiny network, forward and backward, one line per quantity.

The walk-through is one package, one module per part:

- ``case``: what is walked through, drawn from a seed or read from a case file, and the
  limits on what may be printed (``ExplainConfig``, ``build_case``);
- ``passes``: the forward and backward passes, one step at a time, written to a renderer
  as each value is computed;
- ``walk``: the whole walk-through (header, data, passes, summary, the check against
  ``rnn_ref.gradients``) and its entry points ``explain`` and ``write_explain``;
- one module per renderer: ``text`` (and the ``Renderer`` protocol every renderer
  follows), ``markdown``, ``html``, and ``mathml``, the notation of the labels as MathML.
"""

from .case import (
    H0_CHOICES,
    MAX_LINES,
    MAX_NUMBERS,
    MAX_PRECISION,
    SUMMARY_AFTER,
    WEIGHT_CHOICES,
    Case,
    ExplainConfig,
    build_case,
    check_size,
    printed_size,
    reach,
    save_explain_case,
)
from .walk import FORMATS, Walkthrough, explain, write_explain

__all__ = [
    "FORMATS",
    "H0_CHOICES",
    "MAX_LINES",
    "MAX_NUMBERS",
    "MAX_PRECISION",
    "SUMMARY_AFTER",
    "WEIGHT_CHOICES",
    "Case",
    "ExplainConfig",
    "Walkthrough",
    "build_case",
    "check_size",
    "explain",
    "printed_size",
    "reach",
    "save_explain_case",
    "write_explain",
]
