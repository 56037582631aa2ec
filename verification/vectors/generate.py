"""``rnn-ref vectors --out DIR``: compute every case, confirm it by the JAX twin, write it.

For each case of ``suite.SUITE``: ``rnn_ref.forward`` and ``rnn_ref.gradients`` give the
expected numbers; the JAX twin (``verification.twin``: ``jax.grad`` of the surrogate, and
its own forward scan) computes them again, and every quantity must agree within the case's
tolerance, or generation stops with an error that names the case and the quantity (a bug
in rnn-ref, never a file written). Then the case is written twice, ``json/<id>.json`` and
``npz/<id>.npz`` (``rnn_ref.save_case``, the case format of ``docs/case-format.md``), and
``manifest.json`` last, with the SHA-256 of every other file.

The whole suite is written into a temporary directory beside ``DIR``, created before any
number is computed (so a place that cannot take it fails at once), and renamed into place
by ``rnn_ref.files.rundir``, which does the same for training runs: ``DIR`` holds the
previous suite or the new one, never a mix. Ctrl-C or SIGTERM before the commit stops
generation (at once, or at the next case if Python dropped it in a GC callback) and leaves
``DIR`` as it was (exit 130 or 143); one that comes during the commit's renames
(microseconds, signals held) is raised after them.
The same version on the same machine writes the same bytes: JSON from ``repr(float)``, and
the ``.npz`` zip entries stamped with a fixed date instead of the time of writing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import zipfile
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref.containers import Params
from rnn_ref.files import _process, rundir
from rnn_ref.files.casefile import Problem, save_case

from . import files
from .document import to_document
from .manifest import read_manifest
from .suite import FLAGS, SUITE, TIERS, TOLERANCE, VectorCase

#: The fixed date of every zip entry (the earliest a zip can hold), for byte identity.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MANIFEST = "manifest.json"
TOLERANCE_RULE = (
    "a quantity q agrees when max|theirs_q - expected_q| <= tolerance * max|expected_q| "
    "(one normwise relative error per quantity: loss, hs, ys and each gradient)"
)


class GenerationError(RuntimeError):
    """rnn_ref and the JAX twin disagree on a case: a bug in rnn-ref, nothing written."""


def expected_values(case: VectorCase, problem: Problem) -> dict:
    """rnn_ref's loss, hs, ys and gradients of ``problem``, each confirmed by the twin."""
    from .. import twin

    p, spec = problem.params, problem.spec
    ours = _values(
        rnn_ref.forward(p, problem.xs, problem.h0, activation=spec.activation),
        rnn_ref.gradients(p, problem.xs, problem.targets, spec, **problem.kwargs()),
    )
    theirs = _values(
        twin.trajectory(p, problem.xs, problem.h0, activation=spec.activation),
        twin.gradients(p, problem.xs, problem.targets, spec, **problem.kwargs()),
    )
    for name, value in ours.items():
        error = relative_error(theirs[name], value)
        if not error <= case.tolerance:
            raise GenerationError(
                f"case {case.id}: the JAX twin's {name} differs from rnn_ref's by {error:.2e} "
                f"(relative), more than the case's tolerance {case.tolerance:g}: a bug in "
                "rnn-ref, no vectors written"
            )
    return ours


def _values(trajectory, grads) -> dict:
    values = {"loss": np.float64(grads.loss), "hs": trajectory.hs, "ys": trajectory.ys}
    values |= dict(zip(Params.FIELDS, grads.params.arrays(), strict=True))
    return values | {"xs": grads.xs, "h0": grads.h0}


def relative_error(theirs: np.ndarray, expected: np.ndarray) -> float:
    """max|theirs - expected| / max|expected|, the normwise error the tolerance bounds
    (0 when both are 0 everywhere, inf when only the expected value is)."""
    diff = float(np.max(np.abs(np.asarray(theirs) - expected), initial=0.0))
    scale = float(np.max(np.abs(expected), initial=0.0))
    if diff == 0.0:
        return 0.0
    return diff / scale if scale else float("inf")


def write_suite(out: str | os.PathLike) -> dict:
    """Write the whole suite to ``out`` (whole or not at all); return the manifest.

    ``out`` may be new, empty, or hold a previous suite (a ``manifest.json`` of ours and
    the ``json/`` and ``npz/`` folders), which is replaced whole.

    Raises:
        ValueError: ``out`` cannot receive a suite.
        GenerationError: rnn_ref and the JAX twin disagree on a case.
    """
    path = check_out(out)

    def recheck() -> None:
        pending.check()  # with the signals held: a signal before it, and no suite
        check_out(out)

    # Ctrl-C and SIGTERM are also recorded and raised again between cases and before the
    # commit: raised at once, they can land in JAX's garbage-collection callback, where
    # Python ignores them, and the suite would be written all the same.
    with _process.signals_kept() as pending, rundir.staged(path, recheck) as stage:
        documents = []
        for case in SUITE:
            pending.check()
            problem = case.problem()
            expected = expected_values(case, problem)
            documents.append((case, dataclasses.replace(problem, expected=expected)))
        pending.check()
        with rundir.writing(path):
            manifest = _write_files(stage, documents)
    return manifest


def check_out(out: str | os.PathLike) -> Path:
    """The absolute path of ``out`` if a suite may be written there, else a ``ValueError``."""
    if str(out) == "":
        raise ValueError("--out: expected a directory path, got ''")
    path = Path(os.path.abspath(out))
    if path.is_symlink():
        raise ValueError(f"--out: expected a directory, got a symbolic link {str(out)!r}")
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"--out: expected a directory, got the existing file {str(out)!r}")
        cwd = Path.cwd().resolve()
        if cwd == path.resolve() or path.resolve() in cwd.parents:
            raise ValueError(
                f"--out: expected a directory other than the working directory or one "
                f"containing it (a suite replaces its directory whole), got {str(out)!r}"
            )
        others = _not_ours(path)
        if others:
            raise ValueError(
                f"--out: expected a new directory, an empty one or a previous suite, got "
                f"{str(out)!r}, which also holds {', '.join(map(repr, others[:3]))}"
            )
    return path


def _not_ours(path: Path) -> list[str]:
    """What in the directory ``path`` a suite did not write (empty: it may be replaced).

    A previous suite is a ``manifest.json`` that reads as one, its ``json/`` and ``npz/``
    folders, and in them only files its digests name: a user's ``json/notes.txt``, a
    foreign manifest, or a file named ``npz`` is not ours, and replacing the directory
    would delete it.
    """
    entries = sorted(p.name for p in path.iterdir())
    if not entries:
        return []
    if MANIFEST not in entries:
        return entries
    try:
        listed = set(read_manifest(path).sha256)
    except ValueError:
        return [MANIFEST]
    others = [name for name in entries if name not in (MANIFEST, "json", "npz")]
    for folder in ("json", "npz"):
        sub = path / folder
        if folder not in entries:
            continue
        if sub.is_symlink() or not sub.is_dir():
            others.append(folder)
            continue
        for item in sorted(sub.rglob("*")):
            name = item.relative_to(path).as_posix()
            if name not in listed:  # a file of a user's, or a folder
                others.append(name)
    return others


def _write_files(stage: Path, documents: list[tuple[VectorCase, Problem]]) -> dict:
    (stage / "json").mkdir()
    (stage / "npz").mkdir()
    digests, entries = {}, []
    for case, problem in documents:
        json_name, npz_name = f"json/{case.id}.json", f"npz/{case.id}.npz"
        data = files.dumps(to_document(case, problem))
        (stage / json_name).write_bytes(data)
        save_case(stage / npz_name, problem)
        _fix_zip_dates(stage / npz_name)
        digests[json_name] = hashlib.sha256(data).hexdigest()
        digests[npz_name] = hashlib.sha256((stage / npz_name).read_bytes()).hexdigest()
        entries.append(
            {
                "id": case.id,
                "comment": case.comment,
                "tier": case.tier,
                "flags": list(case.flags),
                "tolerance": case.tolerance,
                "json": json_name,
                "npz": npz_name,
            }
        )
    manifest = {
        "format": files.MANIFEST_FORMAT,
        "schema_version": files.SCHEMA_VERSION,
        "generator": "rnn-ref",
        "generator_version": rnn_ref.__version__,
        "case_count": len(entries),
        "tiers": {
            tier: {
                "tolerance": TOLERANCE[tier],
                "cases": sum(case.tier == tier for case, _ in documents),
            }
            for tier in TIERS
        },
        "tolerance_rule": TOLERANCE_RULE,
        "flags": dict(FLAGS),
        "cases": entries,
        "sha256": digests,
    }
    (stage / MANIFEST).write_bytes(files.dumps(manifest))
    return manifest


def _fix_zip_dates(path: Path) -> None:
    """Rewrite the zip at ``path`` with every entry dated ``ZIP_DATE`` (np.savez stamps the
    time of writing), keeping names, order, compression and content."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info))
    path.write_bytes(buffer.getvalue())
