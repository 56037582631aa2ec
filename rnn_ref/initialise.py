"""Parameter initialisation (docs/contract.md §5), reproducible bit for bit.

One ``np.random.default_rng(seed)`` draws W_xh, W_hh, W_hy in that order, each with
``rng.uniform(low, high, size=shape)``; biases start at zero.

- ``"xavier"``: U(-r, r) with $r = \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}$, where
  a matrix of shape (rows, cols) has fan_in = cols and fan_out = rows.
- ``"uniform01"``: U(0, 1), the seed tutorials' ``np.random.uniform(0, 1, ...)``.
"""

from __future__ import annotations

import numpy as np

from . import _validation as v
from .containers import Params

SCHEMES = ("xavier", "uniform01")


def init_params(
    input_size: int,
    hidden_size: int,
    output_size: int,
    *,
    seed: int = 0,
    scheme: str = "xavier",
) -> Params:
    """New parameters: W_xh (H, D), W_hh (H, H), W_hy (O, H) drawn; b_h, b_y zero.

    Args:
        input_size: D >= 1. hidden_size: H >= 1. output_size: O >= 1.
        seed: the seed of ``np.random.default_rng``, an integer >= 0.
        scheme: ``"xavier"`` or ``"uniform01"``.
    """
    D = v.check_integer(input_size, "input_size", 1)
    H = v.check_integer(hidden_size, "hidden_size", 1)
    O = v.check_integer(output_size, "output_size", 1)
    seed = v.check_integer(seed, "seed", 0)
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        error = TypeError if not isinstance(scheme, str) else ValueError
        raise error(f"scheme: expected one of {', '.join(map(repr, SCHEMES))}, got {scheme!r}")
    rng = np.random.default_rng(seed)

    def draw(rows: int, cols: int) -> np.ndarray:
        if scheme == "uniform01":
            return rng.uniform(0.0, 1.0, size=(rows, cols))
        r = np.sqrt(6.0 / (cols + rows))
        return rng.uniform(-r, r, size=(rows, cols))

    W_xh = draw(H, D)
    W_hh = draw(H, H)
    W_hy = draw(O, H)
    return Params(W_xh=W_xh, W_hh=W_hh, b_h=np.zeros(H), W_hy=W_hy, b_y=np.zeros(O))
