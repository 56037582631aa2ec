"""The files of a golden-vector suite: JSON written to round-trip, and read as untrusted.

A suite directory holds ``manifest.json``, ``json/<id>.json`` and ``npz/<id>.npz`` per case
(``docs/golden-vectors.md`` gives the schema). JSON numbers are written by ``repr(float)``,
the shortest decimal that reads back as the same float64 (at most 17 significant digits),
so every number round-trips exactly; JSON has no NaN, so a padded target is ``null``.

Every JSON file read here may come from anyone: it must be a regular file of at most
``MAX_JSON_BYTES``, parse as strict JSON (no NaN, no Infinity), and match the schema
(fields, types, shapes from the sizes) before any array is built for the caller. A failure
is one ``ValueError`` naming the file and the field.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import numpy as np

from rnn_ref.containers import Params, Spec

#: The schema of manifest.json and of each case's JSON; any change makes a new one.
SCHEMA_VERSION = 1
VECTOR_FORMAT = "rnn-ref-vector"
MANIFEST_FORMAT = "rnn-ref-vectors"
#: The largest JSON file read (the largest case of the suite is about 0.2 MiB).
MAX_JSON_BYTES = 64 * 2**20
#: The most digits a JSON integer may have: every integer of 308 digits is a finite
#: float64 (below 1.8e308), so no integer read can overflow when it becomes one.
MAX_INTEGER_DIGITS = 308
#: The inputs of a case, with their shapes in terms of the sizes.
INPUTS = {
    "W_xh": "HD",
    "W_hh": "HH",
    "b_h": "H",
    "W_hy": "OH",
    "b_y": "O",
    "xs": "TBD",
    "targets": None,  # TBO (mse) or TB (softmax_ce)
    "h0": "BH",
    "weights": "TB",
}
#: The gradients, named after what they are the gradient of, with their shapes.
GRADIENTS = {name: INPUTS[name] for name in (*Params.FIELDS, "xs", "h0")}
CASE_KEYS = (
    "format",
    "schema_version",
    "id",
    "comment",
    "tier",
    "flags",
    "tolerance",
    "spec",
    "sizes",
    "inputs",
    "expected",
)
SIZE_NAMES = ("T", "B", "D", "H", "O")


def dumps(document: dict) -> bytes:
    """``document`` as compact UTF-8 JSON and a final newline; NaN or inf is an error."""
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def to_json_array(array: np.ndarray, missing: np.ndarray | None = None) -> list:
    """Nested lists of Python floats (ints for integer arrays); ``null`` where ``missing``."""
    values = np.asarray(array)
    out = values.astype(object)
    if values.dtype.kind == "f":
        out = np.vectorize(float, otypes=[object])(values) if values.size else out
    else:
        out = np.vectorize(int, otypes=[object])(values) if values.size else out
    if missing is not None:
        out[missing] = None
    return out.tolist()


def read_json(path: Path, where: str, max_bytes: int = MAX_JSON_BYTES) -> dict:
    """The JSON object in ``path``, checked to be a regular file of at most ``max_bytes``
    and strict JSON."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise ValueError(f"{where}: expected a readable file, got {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{where}: expected a regular file, got something else")
    if info.st_size > max_bytes:
        raise ValueError(f"{where}: expected at most {max_bytes} bytes, got {info.st_size} bytes")
    with open(path, "rb") as file:
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"{where}: expected at most {max_bytes} bytes, got more")
    return parse_json(data, where)


def parse_json(data: bytes, where: str) -> dict:
    """A JSON object from bytes: UTF-8, strict (NaN and Infinity refused)."""

    def refuse(constant: str):
        raise ValueError(f"{where}: expected JSON numbers, got {constant} (not JSON)")

    def integer(text: str) -> int:
        # Python refuses past 4300 digits with a message that names no file, and float()
        # overflows past 308: refuse both here, naming the file.
        digits = len(text.lstrip("-"))
        if digits > MAX_INTEGER_DIGITS:
            raise ValueError(
                f"{where}: expected numbers within float64's range, got an integer of "
                f"{digits} digits"
            )
        return int(text)

    def unique(pairs: list[tuple[str, object]]) -> dict:
        # JSON leaves duplicate names undefined and Python keeps the last: a results file
        # naming one case twice (wrong first, right last) would pass on its last copy.
        document = {}
        for key, value in pairs:
            if key in document:
                raise ValueError(
                    f"{where}: expected each name once in an object, got {key!r} twice"
                )
            document[key] = value
        return document

    try:
        document = json.loads(
            data.decode("utf-8"),
            parse_constant=refuse,
            parse_int=integer,
            object_pairs_hook=unique,
        )
    except UnicodeDecodeError:
        raise ValueError(f"{where}: expected UTF-8 JSON, got undecodable bytes") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{where}: expected JSON, got an error at {error.pos}: {error.msg}"
        ) from None
    except RecursionError:
        raise ValueError(f"{where}: expected JSON, got nesting too deep to read") from None
    if not isinstance(document, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(document).__name__}")
    return document


def field(document: dict, key: str, kind: type | tuple, where: str, what: str):
    """``document[key]``, which must exist and be of ``kind`` (a bool is not a number)."""
    if key not in document:
        raise ValueError(f"{where}: expected a field {key!r} ({what}), got none")
    value = document[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ValueError(f"{where}.{key}: expected {what}, got {json.dumps(value)}")
    if not isinstance(value, kind):
        raise ValueError(f"{where}.{key}: expected {what}, got {_json_type(value)}")
    return value


def exact_keys(document: dict, keys: tuple[str, ...], where: str) -> None:
    if sorted(document) != sorted(keys):
        missing = sorted(set(keys) - set(document))
        extra = sorted(set(document) - set(keys))
        got = (f"missing {missing}" if missing else "") + (
            f"{'; ' if missing else ''}unknown {extra}" if extra else ""
        )
        raise ValueError(f"{where}: expected the fields {', '.join(keys)}, got {got}")


def array(value: object, shape: tuple[int, ...], where: str, *, nulls: bool = False) -> np.ndarray:
    """A float64 array of ``shape`` from nested JSON lists; ``null`` becomes NaN if
    ``nulls``, and is an error otherwise."""
    if not isinstance(value, list | int | float) or isinstance(value, bool):
        raise ValueError(f"{where}: expected an array of shape {shape}, got {_json_type(value)}")
    try:
        raw = np.array(value, dtype=object)
    except ValueError:
        raise ValueError(f"{where}: expected an array of shape {shape}, got ragged lists") from None
    if raw.shape != shape:
        raise ValueError(f"{where}: expected an array of shape {shape}, got shape {raw.shape}")
    flat = raw.reshape(-1)
    for i, x in enumerate(flat):
        if x is None and nulls:
            continue
        if isinstance(x, bool) or not isinstance(x, int | float):
            index = tuple(int(j) for j in np.unravel_index(i, shape)) if shape else ()
            raise ValueError(f"{where}{list(index)}: expected a number, got {_json_type(x)}")
    out = np.array([math.nan if x is None else float(x) for x in flat], dtype=np.float64)
    if not np.all(np.isfinite(out[[x is not None for x in flat]])):
        raise ValueError(f"{where}: expected finite numbers, got a number too large for float64")
    return out.reshape(shape)


def shape_of(letters: str, sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(sizes[letter] for letter in letters)


def targets_shape(spec: Spec, sizes: dict[str, int]) -> tuple[int, ...]:
    return shape_of("TBO" if spec.loss == "mse" else "TB", sizes)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
