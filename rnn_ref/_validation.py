"""Argument checks shared by every public function.

Every message has the form ``"<argument>: expected <what>, got <what came>"`` so that a
user sees which argument is wrong without reading a NumPy traceback (docs/contract.md §4, §5).
Nothing here writes into an argument, and every array a check returns is a fresh copy,
never the caller's own array: a result or a cache that kept a reference to an argument
would change if the caller later edited that argument in place.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from .containers import ACTIVATIONS, Params, Spec, _check_name


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def as_array(value: object, name: str, *, integer: bool = False) -> np.ndarray:
    """An array-like as float64 (or, with ``integer``, as integer class ids).

    A float64 array comes back as it is, not copied: the library never writes into its
    arguments, and the arrays it returns are new. Whatever keeps an argument beyond the
    call (the cache of ``step_forward``) copies it itself.

    Raises ``TypeError`` for None, bool, complex, object and string data, for a masked
    array, and for a float array where class ids (integers) are expected; ``ValueError``
    for ragged nested lists.
    """
    if value is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(value, np.ma.MaskedArray):
        # NumPy's own functions would drop the mask and compute with the values under it.
        raise TypeError(
            f"{name}: expected a plain array, got a masked array (numpy.ma), whose mask "
            "would be ignored; to leave steps out of the loss, give them weight 0 in weights"
        )
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists, for one
        raise ValueError(
            f"{name}: expected a rectangular array of real numbers, got a ragged or "
            f"non-numeric nested sequence ({error})"
        ) from None
    kind = array.dtype.kind
    if integer:
        if kind not in "iu":
            raise TypeError(
                f"{name}: expected integer class ids (an integer dtype), got an array of "
                f"dtype {array.dtype}"
            )
        return array
    if kind not in "iuf":
        raise TypeError(
            f"{name}: expected a real integer or floating array, got an array of dtype "
            f"{array.dtype}"
        )
    return array.astype(np.float64, copy=False)


def check_ndim(array: np.ndarray, name: str, ndim: int, layout: str) -> None:
    if array.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-d array of shape {layout}, got {array.ndim}-d "
            f"shape {array.shape}"
        )
    if 0 in array.shape:
        raise ValueError(
            f"{name}: expected every size of {layout} to be at least 1, got shape {array.shape}"
        )


def check_shape(
    array: np.ndarray, name: str, expected: tuple[int, ...], layout: str, origin: str = ""
) -> None:
    """Check rank, sizes >= 1 and the exact shape; ``origin`` says where the sizes came from."""
    check_ndim(array, name, len(expected), layout)
    if array.shape != expected:
        source = f" ({origin})" if origin else ""
        raise ValueError(f"{name}: expected shape {layout} = {expected}{source}, got {array.shape}")


def check_finite(array: np.ndarray, name: str, mask: np.ndarray | None = None) -> None:
    """Reject NaN and infinity (only where ``mask``, broadcastable to ``array``, is True)."""
    ok = np.isfinite(array)
    if mask is not None:
        ok |= ~mask
    # count_nonzero rather than ok.all(): this runs on every argument of every call, and
    # on small arrays it costs half as much.
    if np.count_nonzero(ok) == ok.size:
        return
    index = tuple(int(i) for i in np.argwhere(~ok)[0])
    raise ValueError(f"{name}: expected finite values, got {array[index]} at index {index}")


def check_spec(spec: object) -> Spec:
    if not isinstance(spec, Spec):
        raise TypeError(f"spec: expected an rnn_ref.Spec, got {_describe(spec)}")
    return spec


def check_activation(activation: object, name: str = "activation") -> str:
    # The same rule and list as Spec uses, but the message names this argument, not
    # ``spec.activation``.
    _check_name(name, activation, ACTIVATIONS)
    return activation  # type: ignore[return-value]


def check_params(params: object, D: int | None = None, D_from: str = "xs") -> Params:
    """Return ``params`` with every field as float64, after checking the five shapes.

    Every expected shape is derived from the other arguments, never from the array being
    checked: H from ``params.W_hh``, D from ``D_from`` (``xs`` or ``x_t``) when the caller
    knows it, O from ``params.W_hy`` or, when ``W_hy`` itself disagrees with H, from
    ``params.b_y``. A transposed matrix is named as such.
    """
    if not isinstance(params, Params):
        raise TypeError(f"params: expected an rnn_ref.Params, got {_describe(params)}")
    arrays = {name: as_array(getattr(params, name), f"params.{name}") for name in Params.FIELDS}
    W_hh = arrays["W_hh"]
    check_ndim(W_hh, "params.W_hh", 2, "(H, H)")
    if W_hh.shape[0] != W_hh.shape[1]:
        raise ValueError(f"params.W_hh: expected a square array of shape (H, H), got {W_hh.shape}")
    H = W_hh.shape[0]
    from_W_hh = "H from params.W_hh"

    W_xh = arrays["W_xh"]
    check_ndim(W_xh, "params.W_xh", 2, "(H, D)")
    if W_xh.shape[0] != H:  # W_xh disagrees with H: D cannot be read from it
        if D is None:
            _wrong_matrix("params.W_xh", W_xh.shape, "(H, D)", (H, "D"), from_W_hh)
        _wrong_matrix("params.W_xh", W_xh.shape, "(H, D)", (H, D), f"{from_W_hh}, D from {D_from}")
    check_shape(arrays["b_h"], "params.b_h", (H,), "(H,)", from_W_hh)

    W_hy, b_y = arrays["W_hy"], arrays["b_y"]
    check_ndim(W_hy, "params.W_hy", 2, "(O, H)")
    if W_hy.shape[1] != H:  # W_hy disagrees with H: take O from b_y
        check_ndim(b_y, "params.b_y", 1, "(O,)")
        O = b_y.shape[0]
        _wrong_matrix(
            "params.W_hy", W_hy.shape, "(O, H)", (O, H), f"O from params.b_y, {from_W_hh}"
        )
    check_shape(b_y, "params.b_y", (W_hy.shape[0],), "(O,)", "O from params.W_hy")
    for name, array in arrays.items():
        check_finite(array, f"params.{name}")
    return Params(**arrays)


def _wrong_matrix(
    name: str, shape: tuple[int, ...], layout: str, expected: tuple, origin: str
) -> None:
    """Raise for a matrix whose shape disagrees with sizes that came from elsewhere;
    ``expected`` may hold a letter for a size that nothing else gives (D without xs)."""
    rows, columns = expected
    transposed = shape[1] == rows and (isinstance(columns, str) or shape[0] == columns)
    hint = "; is it transposed?" if transposed else ""
    raise ValueError(
        f"{name}: expected shape {layout} = ({rows}, {columns}) ({origin}), got {shape}{hint}"
    )


class Sizes(NamedTuple):  # a tuple, not a dataclass: built on every call, it is 4x cheaper
    T: int
    B: int
    D: int
    H: int
    O: int


def check_inputs(
    params: object, xs: object, h0: object
) -> tuple[Params, np.ndarray, np.ndarray, Sizes]:
    """Check ``params``, ``xs`` (T, B, D) and ``h0`` (B, H); ``h0=None`` becomes zeros."""
    xs = as_array(xs, "xs")
    check_ndim(xs, "xs", 3, "(T, B, D)")
    T, B, D = xs.shape
    params = check_params(params, D)
    if D != params.input_size:
        raise ValueError(
            f"xs: expected D = {params.input_size} inputs per step (params.W_xh has shape "
            f"{params.W_xh.shape}), got xs of shape {xs.shape}"
        )
    check_finite(xs, "xs")
    sizes = Sizes(T=T, B=B, D=D, H=params.hidden_size, O=params.output_size)
    if h0 is None:
        h0 = np.zeros((B, sizes.H))
    else:
        h0 = as_array(h0, "h0")
        check_shape(h0, "h0", (B, sizes.H), "(B, H)", "B from xs, H from params.W_hh")
        check_finite(h0, "h0")
    return params, xs, h0, sizes


def check_weights(weights: object, sizes: Sizes) -> np.ndarray:
    """Check ``weights`` (T, B): finite and >= 0. ``None`` becomes all ones."""
    if weights is None:
        return np.ones((sizes.T, sizes.B))
    weights = as_array(weights, "weights")
    check_shape(weights, "weights", (sizes.T, sizes.B), "(T, B)", "T, B from xs")
    check_finite(weights, "weights")
    if (weights < 0).any():
        index = tuple(int(i) for i in np.argwhere(weights < 0)[0])
        raise ValueError(f"weights: expected values >= 0, got {weights[index]} at index {index}")
    return weights


def check_targets(targets: object, loss: str, weights: np.ndarray, sizes: Sizes) -> np.ndarray:
    """Check targets where their weight is nonzero; padding (weight 0) is never read.

    mse: float (T, B, O). softmax_ce: integer class ids (T, B) in [0, O).
    """
    live = weights > 0
    if loss == "mse":
        targets = as_array(targets, "targets")
        check_shape(
            targets,
            "targets",
            (sizes.T, sizes.B, sizes.O),
            "(T, B, O)",
            "T, B from xs, O from params.W_hy",
        )
        check_finite(targets, "targets", mask=live[..., None])
        return targets
    targets = as_array(targets, "targets", integer=True)
    check_shape(targets, "targets", (sizes.T, sizes.B), "(T, B) of class ids", "T, B from xs")
    out_of_range = live & ((targets < 0) | (targets >= sizes.O))
    if out_of_range.any():
        index = tuple(int(i) for i in np.argwhere(out_of_range)[0])
        raise ValueError(
            f"targets: expected class ids in [0, {sizes.O}) where the weight is nonzero, "
            f"got {targets[index]} at index {index}"
        )
    return targets


def check_integer(value: object, name: str, minimum: int) -> int:
    """A Python or NumPy integer (not a bool) that is at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name}: expected an integer >= {minimum}, got {value!r} of type "
            f"{type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_positive(value: object, name: str) -> float:
    """A finite real number > 0 (not a bool), as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number > 0, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def check_fraction(value: object, name: str) -> float:
    """A real number in [0, 1) (not a bool), as a float: Adam's decay rates."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number in [0, 1), got {value!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), got {value!r}")
    return float(value)


def check_choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    """One of the names ``allowed``: a ``TypeError`` for a non-string, else ``ValueError``."""
    _check_name(name, value, allowed)
    return value  # type: ignore[return-value]


@contextmanager
def no_overflow(function: str) -> Iterator[None]:
    """Raise a clear error where float64 overflows, instead of computing on with inf or NaN.

    Inputs are checked to be finite, but finite values can still be too large (weights of
    1e300): NumPy would only warn and the results would silently hold inf or NaN.
    Underflow (exp(-1000) = 0) is harmless and stays quiet. Use it as a decorator of a
    public function or as a ``with`` block.
    """
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield
    except FloatingPointError as error:
        raise FloatingPointError(
            f"{function}: expected the float64 computation to stay finite, got '{error}': "
            "the inputs are finite but too large; scale params, xs or h0 down"
        ) from None
