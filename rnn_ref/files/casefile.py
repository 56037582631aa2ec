"""The case file: one call of ``rnn_ref.gradients`` in one ``.npz`` (``docs/case-format.md``).

A case file holds everything a call needs (the five parameters, ``xs``, ``targets``, ``h0``,
``weights`` and the ``Spec``) and, for golden vectors, what the call must return. The
checker saves the smallest failing case in it; anyone can load it back with ``load_case``
or with plain NumPy.

    problem = load_case("case.npz")
    grads = rnn_ref.gradients(problem.params, problem.xs, problem.targets, problem.spec,
                              **problem.kwargs())

Members (each an ``.npy`` in the zip, as ``np.savez`` writes them):

    W_xh (H, D), W_hh (H, H), b_h (H,), W_hy (O, H), b_y (O,)     float64
    xs (T, B, D), h0 (B, H), weights (T, B)                         float64
    targets (T, B, O) float64 for mse (NaN allowed where the weight is 0),
            (T, B) int64 for softmax_ce (any id, e.g. -1, where the weight is 0)
    meta    0-d unicode string: JSON {"format": "rnn-ref-case", "version": 1,
            "spec": {activation, loss, truncation, truncation_mode}, "comment": str}
    expected_loss ()  expected_hs (T+1, B, H)  expected_ys (T, B, O)   optional, float64
    expected_W_xh ... expected_b_y, expected_xs, expected_h0 (gradients) optional, float64
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np

from .._validation import (
    as_array,
    check_finite,
    check_inputs,
    check_shape,
    check_targets,
    check_weights,
)
from ..containers import Params, Problem, Spec
from . import _npz
from ._atomic import atomic_file

FORMAT = "rnn-ref-case"
VERSION = 1
META_KEYS = ("format", "version", "spec", "comment")
SPEC_FIELDS = ("activation", "loss", "truncation", "truncation_mode")
EXPECTED = ("loss", "hs", "ys", *Params.FIELDS, "xs", "h0")
MAX_BYTES = _npz.MAX_BYTES

_MEMBERS = {
    "W_xh": _npz.Member(ranks=(2,)),
    "W_hh": _npz.Member(ranks=(2,)),
    "b_h": _npz.Member(ranks=(1,)),
    "W_hy": _npz.Member(ranks=(2,)),
    "b_y": _npz.Member(ranks=(1,)),
    "xs": _npz.Member(ranks=(3,)),
    # mse: (T, B, O) real numbers; softmax_ce: (T, B) integers; the spec decides which.
    "targets": _npz.Member(ranks=(2, 3)),
    "h0": _npz.Member(ranks=(2,)),
    "weights": _npz.Member(ranks=(2,)),
    "meta": _npz.TEXT,
    "expected_loss": _npz.Member(ranks=(0,)),
    "expected_hs": _npz.Member(ranks=(3,)),
    "expected_ys": _npz.Member(ranks=(3,)),
    **{f"expected_{name}": _npz.Member(ranks=(1, 2, 3)) for name in (*Params.FIELDS, "xs", "h0")},
}
_REQUIRED = tuple(name for name in _MEMBERS if not name.startswith("expected_"))


def save_case(path: str | os.PathLike, problem: Problem) -> Path:
    """Write ``problem`` to ``path`` (whole or not at all) and return the path.

    ``problem`` goes through the checks of ``rnn_ref.gradients`` first, so that a saved case
    is always one that ``gradients`` accepts. The name is used as given (no ``.npz`` is
    appended).

    Raises:
        ValueError, TypeError: ``problem`` is not a valid call, or ``expected`` holds an
            unknown name, a wrong shape or a value that is not finite.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected an rnn_ref.Problem, got {type(problem).__name__}")
    if not isinstance(problem.comment, str):
        raise TypeError(f"problem.comment: expected a str, got {type(problem.comment).__name__}")
    arrays = _checked_arrays(problem, "problem")
    spec = problem.spec
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "spec": {field: getattr(spec, field) for field in SPEC_FIELDS},
        "comment": problem.comment,
    }
    path = Path(path)
    _check_replaceable(path)
    try:
        with atomic_file(path) as file:
            np.savez(file, **arrays, meta=np.array(json.dumps(meta, ensure_ascii=False)))
    except OSError as error:
        raise ValueError(
            f"path: expected a file that can be written, got {str(path)!r} ({error.strerror})"
        ) from None
    return path


def _check_replaceable(path: Path) -> None:
    """A case is written where nothing is, or over a case file: never over a source file
    (``--save-case victim.py``), a device (``/dev/null``: the rename would replace it with
    a regular file), a link or a directory."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise ValueError(
            f"path: expected a file that can be written, got {str(path)!r} ({error.strerror})"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"path: expected a file name, got {str(path)!r}, a directory")
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(
            f"path: expected a new file or a case file to replace, got {str(path)!r}, which "
            "is not a regular file"
        )
    try:
        load_case(path)
    except (ValueError, TypeError):
        raise ValueError(
            f"path: expected a new file or a case file to replace, got {str(path)!r}, which "
            "is not a case file; it is left as it is"
        ) from None


def load_case(path: str | os.PathLike) -> Problem:
    """The ``Problem`` in the case file at ``path``.

    The file is untrusted: it is checked whole (see ``docs/case-format.md`` for the limits)
    before anything is built from it, then every array goes through the checks of
    ``rnn_ref.gradients``.

    Raises:
        ValueError: anything wrong with the file; each message names the file and the
            member or field. (A dtype of the wrong kind also is a ``TypeError``.)
    """
    where = f"path {str(path)!r}"
    members = _npz.read_npz(path, _MEMBERS, name="path", required=_REQUIRED)
    meta = _npz.parse_json_object(members.pop("meta"), f"{where}, member 'meta'")
    spec, comment = _parse_meta(meta, f"{where}, meta")
    expected = {
        name.removeprefix("expected_"): members.pop(name)
        for name in list(members)
        if name.startswith("expected_")
    }
    params = Params(*(members.pop(name) for name in Params.FIELDS))
    problem = Problem(
        params=params,
        spec=spec,
        comment=comment,
        expected=expected or None,
        **members,
    )
    try:
        arrays = _checked_arrays(problem, "case")
    except TypeError as error:
        raise _npz.FileTypeError(f"{where}: {error}") from None
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    found = {key: arrays[f"expected_{key}"] for key in EXPECTED if f"expected_{key}" in arrays}
    if "loss" in found:
        found["loss"] = float(found["loss"])
    return Problem(
        params=Params(*(arrays[name] for name in Params.FIELDS)),
        xs=arrays["xs"],
        targets=arrays["targets"],
        spec=spec,
        h0=arrays["h0"],
        weights=arrays["weights"],
        comment=comment,
        expected=found or None,
    )


def _parse_meta(meta: dict, where: str) -> tuple[Spec, str]:
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise ValueError(f"{where}: expected the fields {', '.join(META_KEYS)}, got {unknown}")
    form = _npz.require_field(meta, "format", str, where, f"the string {FORMAT!r}")
    if form != FORMAT:
        raise ValueError(f"{where}.format: expected {FORMAT!r}, got {form!r}")
    version = _npz.require_field(meta, "version", int, where, "an integer")
    if version != VERSION:
        newer = " (written by a newer rnn-ref)" if version > VERSION else ""
        raise ValueError(f"{where}.version: expected {VERSION}, got {version}{newer}")
    comment = _npz.require_field(meta, "comment", str, where, "a string")
    fields = _npz.require_field(meta, "spec", dict, where, "an object of the Spec fields")
    if sorted(fields) != sorted(SPEC_FIELDS):
        raise ValueError(
            f"{where}.spec: expected the fields {', '.join(SPEC_FIELDS)}, got "
            f"{', '.join(map(str, fields)) or 'none'}"
        )
    try:
        spec = Spec(**fields)
    except TypeError as error:
        raise _npz.FileTypeError(f"{where}: {error}") from None
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None
    return spec, comment


def _checked_arrays(problem: Problem, name: str) -> dict[str, np.ndarray]:
    """The arrays of ``problem`` as ``rnn_ref.gradients`` checks them, plus ``expected``."""
    spec = problem.spec
    if not isinstance(spec, Spec):
        raise TypeError(f"{name}.spec: expected an rnn_ref.Spec, got {type(spec).__name__}")
    params, xs, h0, sizes = check_inputs(problem.params, problem.xs, problem.h0)
    weights = check_weights(problem.weights, sizes)
    targets = check_targets(problem.targets, spec.loss, weights, sizes)
    if spec.loss == "mse":
        targets = np.asarray(targets, dtype=np.float64)
    else:
        targets = np.asarray(targets, dtype=np.int64)
    arrays = {name: getattr(params, name) for name in Params.FIELDS}
    arrays |= {"xs": xs, "targets": targets, "h0": h0, "weights": weights}
    T, B, H, O = sizes.T, sizes.B, sizes.H, sizes.O
    shapes = {
        "loss": ((), "()"),
        "hs": ((T + 1, B, H), "(T+1, B, H)"),
        "ys": ((T, B, O), "(T, B, O)"),
        **{key: (arrays[key].shape, layout) for key, layout in _LAYOUTS.items()},
    }
    expected = problem.expected or {}
    if not isinstance(expected, dict):
        raise TypeError(f"{name}.expected: expected None or a dict, got {type(expected).__name__}")
    for key, value in expected.items():
        if key not in shapes:
            raise ValueError(
                f"{name}.expected: expected keys among {', '.join(EXPECTED)}, got {key!r}"
            )
        where = f"{name}.expected[{key!r}]"
        array = as_array(value, where)
        shape, layout = shapes[key]
        if shape:
            check_shape(array, where, shape, layout, "sizes from the case")
        elif array.shape != ():
            raise ValueError(f"{where}: expected a number, got shape {array.shape}")
        check_finite(array, where)
        arrays[f"expected_{key}"] = array
    return arrays


_LAYOUTS = {
    "W_xh": "(H, D)",
    "W_hh": "(H, H)",
    "b_h": "(H,)",
    "W_hy": "(O, H)",
    "b_y": "(O,)",
    "xs": "(T, B, D)",
    "h0": "(B, H)",
}
