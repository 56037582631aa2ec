"""One case as a JSON document, both ways: ``to_document`` and the checked ``read_case``.

The document (``docs/golden-vectors.md#one-case``)::

    {"format": "rnn-ref-vector", "schema_version": 1, "id": ..., "comment": ...,
     "tier": ..., "flags": [...], "tolerance": ...,
     "spec": {"activation", "loss", "truncation", "truncation_mode"},
     "sizes": {"T", "B", "D", "H", "O"},
     "inputs": {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "xs", "targets", "h0", "weights"},
     "expected": {"loss", "hs", "ys", "gradients": {"W_xh", ..., "b_y", "xs", "h0"}}}
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_ref.containers import Params, Spec
from rnn_ref.files.casefile import (
    SPEC_FIELDS,
    Problem,
    _checked_arrays,  # the checks save_case and load_case run
)

from . import files
from .files import GRADIENTS, INPUTS, SIZE_NAMES, field, shape_of

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,99}$")
TIERS = ("basic", "edge", "hard")


@dataclass(frozen=True, eq=False, kw_only=True)
class ReadCase(Problem):
    """A case read from its JSON: the call with its expected values (``rnn_ref.Problem``:
    ``expected`` holds ``loss`` (a float), ``hs``, ``ys`` and the gradients by the name of
    what they are the gradient of), and its labels.
    """

    id: str
    tier: str
    flags: tuple[str, ...]
    tolerance: float


def to_document(case, problem: Problem) -> dict:
    """The JSON document of ``case`` (a ``suite.VectorCase``) with ``problem.expected``."""
    T, B, D, H, O = case.sizes
    expected = problem.expected
    padded = problem.weights == 0
    inputs = {
        name: files.to_json_array(a)
        for name, a in zip(Params.FIELDS, problem.params.arrays(), strict=True)
    }
    missing = (
        padded[..., None] & np.ones(problem.targets.shape[2:], bool)
        if problem.targets.ndim == 3
        else padded
    )
    inputs |= {
        "xs": files.to_json_array(problem.xs),
        "targets": files.to_json_array(problem.targets, missing),
        "h0": files.to_json_array(problem.h0),
        "weights": files.to_json_array(problem.weights),
    }
    return {
        "format": files.VECTOR_FORMAT,
        "schema_version": files.SCHEMA_VERSION,
        "id": case.id,
        "comment": case.comment,
        "tier": case.tier,
        "flags": list(case.flags),
        "tolerance": case.tolerance,
        "spec": {name: getattr(case.spec, name) for name in SPEC_FIELDS},
        "sizes": dict(zip(SIZE_NAMES, (T, B, D, H, O), strict=True)),
        "inputs": inputs,
        "expected": {
            "loss": float(expected["loss"]),
            "hs": files.to_json_array(expected["hs"]),
            "ys": files.to_json_array(expected["ys"]),
            "gradients": {name: files.to_json_array(expected[name]) for name in GRADIENTS},
        },
    }


def read_case(path: Path, where: str, flags: dict[str, str]) -> ReadCase:
    """The case in the JSON file ``path``, checked whole against the schema.

    Args:
        flags: the flags the manifest defines; a case may carry no other.
    """
    document = files.read_json(path, where)
    files.exact_keys(document, files.CASE_KEYS, where)
    if document["format"] != files.VECTOR_FORMAT:
        raise ValueError(
            f"{where}.format: expected {files.VECTOR_FORMAT!r}, got {document['format']!r}"
        )
    version = field(document, "schema_version", int, where, "an integer")
    if version != files.SCHEMA_VERSION:
        raise ValueError(f"{where}.schema_version: expected {files.SCHEMA_VERSION}, got {version}")
    case_id = field(document, "id", str, where, "a case id")
    if not ID.match(case_id):
        raise ValueError(f"{where}.id: expected letters, digits and '-', got {case_id!r}")
    comment = field(document, "comment", str, where, "a string")
    tier = field(document, "tier", str, where, "a tier")
    if tier not in TIERS:
        raise ValueError(f"{where}.tier: expected one of {', '.join(TIERS)}, got {tier!r}")
    case_flags = field(document, "flags", list, where, "a list of flags")
    unknown = [f for f in case_flags if not isinstance(f, str) or f not in flags]
    if unknown:
        raise ValueError(f"{where}.flags: expected flags defined in the manifest, got {unknown}")
    tolerance = field(document, "tolerance", (int, float), where, "a positive number")
    if not 0 < tolerance < 1:
        raise ValueError(f"{where}.tolerance: expected a number in (0, 1), got {tolerance!r}")
    spec = _spec(field(document, "spec", dict, where, "an object"), f"{where}.spec")
    sizes = field(document, "sizes", dict, where, "an object")
    files.exact_keys(sizes, SIZE_NAMES, f"{where}.sizes")
    for name in SIZE_NAMES:
        n = field(sizes, name, int, f"{where}.sizes", "an integer in 1..100000")
        if not 1 <= n <= 100_000:
            raise ValueError(f"{where}.sizes.{name}: expected an integer in 1..100000, got {n}")
    inputs = field(document, "inputs", dict, where, "an object")
    files.exact_keys(inputs, tuple(INPUTS), f"{where}.inputs")
    arrays = {}
    for name, letters in INPUTS.items():
        shape = files.targets_shape(spec, sizes) if letters is None else shape_of(letters, sizes)
        arrays[name] = files.array(
            inputs[name], shape, f"{where}.inputs.{name}", nulls=letters is None
        )
    targets = arrays.pop("targets")
    padded = arrays["weights"] == 0
    live_nulls = np.isnan(targets) & ~(padded[..., None] if targets.ndim == 3 else padded)
    if live_nulls.any():
        index = [int(i) for i in np.argwhere(live_nulls)[0]]
        raise ValueError(
            f"{where}.inputs.targets{index}: expected a number (its weight is not 0), got null"
        )
    if spec.loss == "softmax_ce":
        ids = targets[~padded]
        if np.any(ids != np.round(ids)) or np.any((ids < 0) | (ids >= sizes["O"])):
            raise ValueError(
                f"{where}.inputs.targets: expected integer class ids in [0, {sizes['O']}), "
                "got other numbers"
            )
        targets = np.where(padded, -1, targets).astype(np.int64)
    expected_doc = field(document, "expected", dict, where, "an object")
    files.exact_keys(expected_doc, ("loss", "hs", "ys", "gradients"), f"{where}.expected")
    loss = field(expected_doc, "loss", (int, float), f"{where}.expected", "a number")
    if not math.isfinite(loss):
        raise ValueError(f"{where}.expected.loss: expected finite numbers, got {loss!r}")
    expected = {"loss": float(loss)}
    expected["hs"] = files.array(
        expected_doc["hs"], shape_of("TBH", sizes | {"T": sizes["T"] + 1}), f"{where}.expected.hs"
    )
    expected["ys"] = files.array(expected_doc["ys"], shape_of("TBO", sizes), f"{where}.expected.ys")
    grads = field(expected_doc, "gradients", dict, f"{where}.expected", "an object")
    files.exact_keys(grads, tuple(GRADIENTS), f"{where}.expected.gradients")
    for name, letters in GRADIENTS.items():
        expected[name] = files.array(
            grads[name], shape_of(letters, sizes), f"{where}.expected.gradients.{name}"
        )
    try:
        case = ReadCase(
            params=Params(*(arrays[name] for name in Params.FIELDS)),
            xs=arrays["xs"],
            targets=targets,
            spec=spec,
            h0=arrays["h0"],
            weights=arrays["weights"],
            comment=comment,
            expected=expected,
            id=case_id,
            tier=tier,
            flags=tuple(case_flags),
            tolerance=float(tolerance),
        )
        _checked_arrays(case, "case")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
    return case


def _spec(fields: dict, where: str) -> Spec:
    files.exact_keys(fields, SPEC_FIELDS, where)
    try:
        return Spec(**fields)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
