"""One comparison helper: "ours" against "theirs", with a message that says what differs.

Two errors describe a difference of arrays ``ours`` and ``theirs`` of the same shape:

- the relative error, normwise: ``max|ours - theirs| / max(scale, tiny)``, where ``scale``
  defaults to ``max|theirs|``. This is what a tolerance ``rtol`` is compared with: it does
  not blow up on an element that is small only because of cancellation.
- the worst element: the index of ``max|ours - theirs|``, the two values there and their
  elementwise relative error ``|ours - theirs| / |theirs|``.

A failure message names the quantity, the configuration, the relative error and the worst
element (here one entry of dL/dW_hh was moved by 0.5)::

    dL/dW_hh: relative error 8.926e-02 > rtol 1.0e-10 (max|ours - theirs| / max|theirs|)
      config: Spec(activation='tanh', loss='mse', truncation=2, truncation_mode='window') T=6 B=3
    D=2 H=4 O=3
      worst element at index (1, 2): ours = 0.47085644855559944, theirs = -0.02914355144440057,
    |ours - theirs| = 5.000e-01, elementwise relative error 1.716e+01

(lines wrapped here). ``assert_gradients_close`` checks L and the seven gradient arrays and
lists every quantity that fails; ``assert_within`` compares with per-element absolute
bounds instead (finite differences and their bounds).

A NaN or an infinity in ``ours`` where ``theirs`` is finite is the worst element, with an
infinite error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rnn_ref.containers import Gradients, Params, Spec

TINY = float(np.finfo(np.float64).tiny)


def describe(spec: Spec, params: Params, xs: np.ndarray, **extra: object) -> str:
    """A one-line configuration: the spec, the sizes T, B, D, H, O and any ``extra``."""
    T, B, D = np.shape(xs)
    H, O = np.shape(params.W_hh)[0], np.shape(params.W_hy)[0]
    more = "".join(f" {key}={value}" for key, value in extra.items())
    return f"{spec} T={T} B={B} D={D} H={H} O={O}{more}"


@dataclass(frozen=True)
class Difference:
    """How ``ours`` differs from ``theirs``.

    Attributes:
        error: max|ours - theirs| / max(scale, tiny); inf if a non-finite value differs.
        index: the index of the worst element (largest |ours - theirs|).
        ours, theirs: the two values there.
        abs_error: |ours - theirs| there (inf where only one of them is NaN).
        element_error: |ours - theirs| / max(|theirs|, tiny) there.
        scale: the denominator of ``error``.
    """

    error: float
    index: tuple[int, ...]
    ours: float
    theirs: float
    abs_error: float
    element_error: float
    scale: float

    def worst(self) -> str:
        """The worst element, one line."""
        return (
            f"worst element at index {self.index}: ours = {self.ours!r}, theirs = "
            f"{self.theirs!r}, |ours - theirs| = {self.abs_error:.3e}, "
            f"elementwise relative error {self.element_error:.3e}"
        )


def difference(ours, theirs, *, scale: float | None = None) -> Difference:
    """The ``Difference`` of two non-empty arrays (or numbers) of the same shape."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        raise AssertionError(f"shapes differ: ours {ours.shape}, theirs {theirs.shape}")
    if scale is None:
        scale = float(np.max(np.abs(theirs), initial=0.0))
    # NaN != NaN: a NaN on one side only, or different infinities, is an infinite difference.
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    diff = np.where(same, 0.0, np.abs(ours - theirs))
    diff = np.where(np.isnan(diff), np.inf, diff)
    flat = int(np.argmax(diff))
    worst = float(diff.flat[flat])
    theirs_worst = float(theirs.flat[flat])
    return Difference(
        error=worst / max(scale, TINY),
        index=tuple(int(i) for i in np.unravel_index(flat, ours.shape)),
        ours=float(ours.flat[flat]),
        theirs=theirs_worst,
        abs_error=worst,
        element_error=worst / max(abs(theirs_worst), TINY),
        scale=scale,
    )


def relative_error(ours, theirs, *, scale: float | None = None) -> float:
    """max|ours - theirs| / max(scale, tiny), ``scale`` defaulting to max|theirs|."""
    return difference(ours, theirs, scale=scale).error


def _message(name: str, d: Difference, rtol: float, config: object, how: str) -> str:
    return (
        f"{name}: relative error {d.error:.3e} > rtol {rtol:.1e} ({how})\n"
        f"  config: {config}\n  {d.worst()}"
    )


def assert_close(
    name: str,
    ours,
    theirs,
    *,
    rtol: float,
    config: object,
    scale: float | None = None,
) -> Difference:
    """Assert ``relative_error(ours, theirs) <= rtol``; return the ``Difference``.

    Args:
        name: the quantity, e.g. ``"dL/dW_hh"``.
        ours, theirs: arrays (or numbers) of the same shape.
        rtol: the tolerance on the normwise relative error.
        config: what was computed (``describe``), printed in the message.
        scale: the denominator; default max|theirs|.
    """
    d = difference(ours, theirs, scale=scale)
    if not d.error <= rtol:
        how = "max|ours - theirs| / " + ("max|theirs|" if scale is None else f"{scale:.3e}")
        raise AssertionError(_message(name, d, rtol, config, how))
    return d


def assert_within(name: str, ours, theirs, bounds, *, config: object) -> float:
    """Assert |ours_i - theirs_i| <= bounds_i elementwise (e.g. finite differences and
    their error bounds); return max_i |ours_i - theirs_i| / bounds_i.

    The arrays may have any shape (``theirs`` and ``bounds`` broadcast to that of
    ``ours``). The message names the worst element by that ratio, by its index in that
    shape, with both values and its bound.
    """
    ours = np.atleast_1d(np.asarray(ours, dtype=float))
    theirs = np.broadcast_to(np.asarray(theirs, dtype=float), ours.shape)
    bounds = np.broadcast_to(np.asarray(bounds, dtype=float), ours.shape)
    ratio = np.abs(ours - theirs) / np.maximum(bounds, TINY)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    i = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
    if not ratio[i] <= 1:
        diff = abs(ours[i] - theirs[i])
        index = tuple(int(j) for j in i)
        raise AssertionError(
            f"{name}: |ours - theirs| = {diff:.3e} exceeds its bound {bounds[i]:.3e} "
            f"({ratio[i]:.3g} times) at index {index if len(index) > 1 else index[0]}\n"
            f"  config: {config}\n"
            f"  ours = {float(ours[i])!r}, theirs = {float(theirs[i])!r}, relative error "
            f"{diff / max(abs(theirs[i]), TINY):.3e}"
        )
    return float(np.max(ratio))


GRADIENT_NAMES = (*(f"dL/d{field}" for field in Params.FIELDS), "dL/dxs", "dL/dh0")


def gradient_fields(grads: Gradients) -> dict[str, np.ndarray]:
    """``{"dL/dW_xh": ..., ..., "dL/dxs": ..., "dL/dh0": ...}``."""
    arrays: Sequence[np.ndarray] = (*grads.params.arrays(), grads.xs, grads.h0)
    return dict(zip(GRADIENT_NAMES, arrays, strict=True))


def assert_gradients_close(
    ours: Gradients, theirs: Gradients, *, rtol: float, config: object
) -> dict[str, float]:
    """Compare two ``Gradients`` field by field: L and the seven gradient arrays.

    Every field is checked before anything is raised, so that a failure lists all the
    quantities that differ, each with its worst element.

    Returns:
        The relative error of each quantity, ``{"L": ..., "dL/dW_xh": ..., ...}``.
    """
    theirs_fields = gradient_fields(theirs)
    pairs = {"L": (ours.loss, theirs.loss)}
    pairs.update((name, (a, theirs_fields[name])) for name, a in gradient_fields(ours).items())
    errors, failures = {}, []
    for name, (a, b) in pairs.items():
        try:
            errors[name] = assert_close(name, a, b, rtol=rtol, config=config).error
        except AssertionError as failure:
            failures.append(str(failure))
    if failures:
        raise AssertionError("\n".join(failures))
    return errors
