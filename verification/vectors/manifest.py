"""Reading ``manifest.json`` and the cases it lists, as untrusted files.

``read_manifest`` checks the manifest's schema; ``check_digests`` compares every file with
its SHA-256; ``read_cases`` loads each case from its JSON and its ``.npz`` and checks that
the two hold the same numbers. Each problem found is one line naming the file, the case and
the field.
"""

from __future__ import annotations

import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rnn_ref.containers import Params
from rnn_ref.files._npz import MAX_BYTES as MAX_NPZ_BYTES
from rnn_ref.files.casefile import load_case

from . import files
from .document import ID, TIERS, ReadCase, read_case
from .suite import TOLERANCE

MANIFEST = "manifest.json"
MANIFEST_KEYS = (
    "format",
    "schema_version",
    "generator",
    "generator_version",
    "case_count",
    "tiers",
    "tolerance_rule",
    "flags",
    "cases",
    "sha256",
)
ENTRY_KEYS = ("id", "comment", "tier", "flags", "tolerance", "json", "npz")
_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Manifest:
    """The checked manifest: the document, its case entries, the digests by file name."""

    document: dict
    entries: list[dict]
    sha256: dict[str, str]
    flags: dict[str, str]


def read_manifest(directory: Path, name: str = "--vectors") -> Manifest:
    """The manifest of the suite in ``directory``, its schema checked.

    Raises:
        ValueError: no readable suite there, naming the field that is wrong.
    """
    if not directory.is_dir():
        raise ValueError(f"{name}: expected a directory of golden vectors, got {str(directory)!r}")
    where = str(directory / MANIFEST)
    document = files.read_json(directory / MANIFEST, where)
    files.exact_keys(document, MANIFEST_KEYS, where)
    if document["format"] != files.MANIFEST_FORMAT:
        raise ValueError(
            f"{where}.format: expected {files.MANIFEST_FORMAT!r}, got {document['format']!r}"
        )
    version = files.field(document, "schema_version", int, where, "an integer")
    if version != files.SCHEMA_VERSION:
        newer = " (written by a newer rnn-ref)" if version > files.SCHEMA_VERSION else ""
        raise ValueError(
            f"{where}.schema_version: expected {files.SCHEMA_VERSION}, got {version}{newer}"
        )
    flags = files.field(document, "flags", dict, where, "an object of flag notes")
    if not all(isinstance(v, str) for v in flags.values()):
        raise ValueError(f"{where}.flags: expected a note (a string) per flag, got other values")
    entries = files.field(document, "cases", list, where, "a list of cases")
    count = files.field(document, "case_count", int, where, "an integer")
    if count != len(entries):
        raise ValueError(
            f"{where}.case_count: expected {len(entries)} (the cases listed), got {count}"
        )
    digests = files.field(document, "sha256", dict, where, "an object of SHA-256 per file")
    for file_name, digest in digests.items():
        if not isinstance(digest, str) or not _HEX.match(digest):
            raise ValueError(
                f"{where}.sha256[{file_name!r}]: expected 64 hex digits, got {digest!r}"
            )
    _check_tiers(document, where)
    seen = set()
    for i, entry in enumerate(entries):
        at = f"{where}.cases[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: expected an object, got another value")
        files.exact_keys(entry, ENTRY_KEYS, at)
        case_id = files.field(entry, "id", str, at, "a case id")
        if not ID.match(case_id) or case_id in seen:
            raise ValueError(
                f"{at}.id: expected a new id of letters, digits and -, got {case_id!r}"
            )
        seen.add(case_id)
        if entry["tier"] not in TIERS:
            raise ValueError(
                f"{at}.tier: expected one of {', '.join(TIERS)}, got {entry['tier']!r}"
            )
        for kind, suffix in (("json", ".json"), ("npz", ".npz")):
            wanted = f"{kind}/{case_id}{suffix}"
            if entry[kind] != wanted:
                raise ValueError(f"{at}.{kind}: expected {wanted!r}, got {entry[kind]!r}")
            if wanted not in digests:
                raise ValueError(f"{where}.sha256: expected a digest of {wanted!r}, got none")
        tolerance = entry["tolerance"]
        if tolerance != TOLERANCE[entry["tier"]] or isinstance(tolerance, bool):
            raise ValueError(
                f"{at}.tolerance: expected {TOLERANCE[entry['tier']]!r}, the tolerance of the "
                f"{entry['tier']} tier, got {tolerance!r}"
            )
    # Only the files of the cases listed may be named: a digest of '../x' or '/etc/x' would
    # make --verify open (and hash) files outside the suite.
    foreign = sorted(set(digests) - {e[kind] for e in entries for kind in ("json", "npz")})
    if foreign:
        raise ValueError(
            f"{where}.sha256: expected only json/<id>.json and npz/<id>.npz of the cases "
            f"listed, got {foreign[0]!r}"
        )
    return Manifest(document, entries, digests, flags)


def _check_tiers(document: dict, where: str) -> None:
    """The manifest's tiers are this schema's: a suite is trusted only at the tolerances
    the contract gives each tier (docs/golden-vectors.md#tolerances), whatever a file says."""
    tiers = files.field(document, "tiers", dict, where, "an object of tiers")
    files.exact_keys(tiers, TIERS, f"{where}.tiers")
    for tier in TIERS:
        at = f"{where}.tiers.{tier}"
        entry = files.field(tiers, tier, dict, f"{where}.tiers", "an object")
        files.exact_keys(entry, ("tolerance", "cases"), at)
        tolerance = entry["tolerance"]
        if tolerance != TOLERANCE[tier] or isinstance(tolerance, bool):
            raise ValueError(
                f"{at}.tolerance: expected {TOLERANCE[tier]!r} (the contract's), got {tolerance!r}"
            )
        count = files.field(entry, "cases", int, at, "an integer")
        listed = sum(e.get("tier") == tier for e in document["cases"] if isinstance(e, dict))
        if count != listed:
            raise ValueError(f"{at}.cases: expected {listed} (the cases listed), got {count}")


def check_digests(directory: Path, manifest: Manifest) -> list[str]:
    """One line per file whose SHA-256 is not the manifest's, or which is missing or extra."""
    problems = []
    for name, digest in manifest.sha256.items():
        path = directory / name
        limit = files.MAX_JSON_BYTES if name.endswith(".json") else MAX_NPZ_BYTES
        try:
            info = path.lstat()
        except OSError:
            problems.append(f"{name}: missing (the manifest lists it)")
            continue
        # lstat, not stat: a link may point anywhere, a FIFO would block, a sparse file of
        # 100 GB would take minutes to hash; none of them is a file rnn-ref wrote.
        if not stat.S_ISREG(info.st_mode):
            problems.append(f"{name}: expected a regular file, got something else")
            continue
        if info.st_size > limit:
            problems.append(f"{name}: expected at most {limit} bytes, got {info.st_size}")
            continue
        if _sha256(path) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest: the file was changed")
    listed = set(manifest.sha256) | {MANIFEST}
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name not in listed:
            problems.append(f"{name}: not in the manifest")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(2**20):
            digest.update(chunk)
    return digest.hexdigest()


def read_cases(directory: Path, manifest: Manifest) -> tuple[list[ReadCase], list[str]]:
    """Every case that can be read (from its JSON), and one line per problem: an unreadable
    file, labels that differ from the manifest's, a JSON and an ``.npz`` that differ."""
    cases, problems = [], []
    for entry in manifest.entries:
        try:
            case = read_case(directory / entry["json"], entry["json"], manifest.flags)
        except ValueError as error:
            problems.append(str(error))
            continue
        labels = {
            "id": case.id,
            "comment": case.comment,
            "tier": case.tier,
            "flags": list(case.flags),
            "tolerance": case.tolerance,
        }
        for key, value in labels.items():
            if entry[key] != value:
                problems.append(f"{entry['json']}: {key} {value!r} differs from the manifest's")
        problems += _compare_npz(directory / entry["npz"], entry["npz"], case)
        cases.append(case)
    return cases, problems


def _compare_npz(path: Path, name: str, case: ReadCase) -> list[str]:
    """The ``.npz`` must hold exactly the JSON's numbers (NaN and -1 for null targets)."""
    try:
        npz = load_case(path)
    except (ValueError, TypeError) as error:
        return [f"{name}: {str(error).splitlines()[0]}"]
    ours, theirs = case, npz
    pairs = dict(
        zip(
            Params.FIELDS,
            zip(ours.params.arrays(), theirs.params.arrays(), strict=True),
            strict=True,
        )
    )
    pairs |= {n: (getattr(ours, n), getattr(theirs, n)) for n in ("xs", "h0", "weights")}
    live = ours.weights > 0
    if ours.spec.loss == "mse":
        pairs["targets"] = (ours.targets[live], theirs.targets[live])
    else:
        pairs["targets"] = (ours.targets[live], theirs.targets[live])
    for key, value in (ours.expected or {}).items():
        other = (theirs.expected or {}).get(key)
        pairs[f"expected {key}"] = (np.asarray(value), None if other is None else np.asarray(other))
    problems = []
    if theirs.spec != ours.spec:
        problems.append(f"{name}: spec {theirs.spec} differs from the JSON's {ours.spec}")
    for key, (a, b) in pairs.items():
        if b is None or a.shape != b.shape or not np.array_equal(a, b):
            problems.append(f"{name}: {key} differs from the JSON's")
    return problems
