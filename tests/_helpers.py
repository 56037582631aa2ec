"""Small helpers shared by the test modules (imported as ``_helpers``: pytest puts this
folder on ``sys.path``)."""

from __future__ import annotations

import numpy as np

from rnn_ref import Params


def uniform_params(
    rng: np.random.Generator,
    D: int,
    H: int,
    O: int,
    *,
    recurrent: float = 0.9,
    bias: tuple[float, float] = (-0.5, 0.5),
) -> Params:
    """W_xh, W_hy ~ U(-1, 1), W_hh ~ U(-recurrent, recurrent), b_h ~ U(bias), b_y ~
    U(-0.5, 0.5), drawn in that order of the fields."""
    return Params(
        W_xh=rng.uniform(-1.0, 1.0, size=(H, D)),
        W_hh=rng.uniform(-recurrent, recurrent, size=(H, H)),
        b_h=rng.uniform(*bias, size=H),
        W_hy=rng.uniform(-1.0, 1.0, size=(O, H)),
        b_y=rng.uniform(-0.5, 0.5, size=O),
    )


def relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours - theirs| / max |theirs| (the smallest normal number if theirs is all 0)."""
    scale = max(float(np.max(np.abs(theirs))), np.finfo(np.float64).tiny)
    return float(np.max(np.abs(np.asarray(ours) - theirs)) / scale)


def assert_close(ours, theirs, what: str, config: str, rtol: float = 1e-12) -> None:
    """One comparison; the message names the quantity, the config and the error."""
    assert np.shape(ours) == np.shape(theirs), f"{what} ({config}): shapes differ"
    error = relative_error(ours, theirs)
    assert error <= rtol, f"{what} ({config}): relative error {error:.3e} > {rtol:.0e}"
