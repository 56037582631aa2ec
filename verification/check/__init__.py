"""Check someone else's RNN gradients against rnn_ref (``rnn-ref check``).

- ``scope``: what the user's code supports, inside which cases are drawn.
- ``conventions``: how the user's code is called (canonical, layer, column, torch), with
  the adapters of the last three in ``layer``, ``column`` and ``torch_module``.
- ``cases``: ``check_cases(scope)``, the Hypothesis strategy of the checker's cases.
- ``tolerance``: the truth (rnn_ref, scaled by the reduction) and the noise allowed.
- ``harness``: loading TARGET, calling it safely, reading what it returns.
- ``verdict``: one case judged, quantity by quantity.
- ``search``: ``check_gradients`` and ``assert_gradients_match``, the Python API.
- ``diagnose``: a failure localised and explained; ``report``: ``CheckReport``.

Importing this package imports neither Hypothesis nor JAX: the search imports Hypothesis
when it runs (a missing Hypothesis is a ``ModuleNotFoundError`` then), and the JAX twin
runs only to confirm a failure.
"""

from .report import CheckReport
from .search import assert_gradients_match, check_gradients

__all__ = ["CheckReport", "assert_gradients_match", "check_gradients"]
