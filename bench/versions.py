"""``rnn_ref.gradients`` of this checkout against the same function at another git revision.

    python bench/versions.py 908f83c                    # the shapes of bench/peers.py
    python bench/versions.py HEAD~3 --threads 2 --shape 200 64 64 256 64

The package ``rnn_ref`` of the revision is taken out with ``git archive`` into a temporary
folder and imported under another name, so both versions run in one process, on the same
problems (those of ``bench/peers.py``), taking turns round after round: a slow spell of a
shared machine falls on both alike. Each turn makes one untimed call, then times a batch
of calls lasting at least 20 ms. On one BLAS thread the clock is the CPU time of the
calling thread, which other jobs on the machine do not inflate; on more, wall time (the
BLAS threads' CPU time is not the caller's). Each row also gives the largest difference
between the two versions' parameter gradients, relative to the largest entry: 0 when the
change kept every floating-point operation in its order.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # the problems; puts this checkout's rnn_ref on the path

import rnn_ref

ROOT = Path(__file__).resolve().parents[1]
MODES = {
    "full": {},
    "window(8)": {"truncation": 8},
    "chunk(8)": {"truncation": 8, "truncation_mode": "chunk"},
}


def load_revision(revision: str, folder: Path):
    """The package rnn_ref as it is at ``revision``, imported as ``rnn_ref_at_revision``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "rnn_ref"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"git archive {revision}: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    name = "rnn_ref_at_revision"
    spec = importlib.util.spec_from_file_location(
        name,
        folder / "rnn_ref" / "__init__.py",
        submodule_search_locations=[str(folder / "rnn_ref")],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its relative imports resolve under this name
    spec.loader.exec_module(module)
    return module


def largest_difference(a, b) -> float:
    worst = 0.0
    for name in rnn_ref.Params.FIELDS:
        x, y = getattr(a.params, name), getattr(b.params, name)
        worst = max(worst, float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-300)))
    return worst


def compare(old, shape, mode: str, repeats: int, clock) -> dict:
    p = peers.make_problem(shape)
    calls = {}
    for label, module in (("before", old), ("after", rnn_ref)):
        params = module.Params(*p.params.arrays())
        spec = module.Spec(**MODES[mode])
        calls[label] = lambda m=module, s=spec, q=params: m.gradients(
            q, p.xs, p.targets, s, h0=p.h0
        )
    difference = largest_difference(calls["before"](), calls["after"]())
    start = time.perf_counter()
    calls["after"]()
    batch = max(1, int(0.02 / (time.perf_counter() - start)) + 1)
    times = {label: [] for label in calls}
    for _ in range(repeats):
        for label, call in calls.items():
            call()  # untimed: its data come back into the caches
            start = clock()
            for _ in range(batch):
                call()
            times[label].append((clock() - start) / batch)
    before, after = (1e3 * statistics.median(times[k]) for k in ("before", "after"))
    return {
        "shape": list(shape),
        "mode": mode,
        "before_ms": before,
        "after_ms": after,
        "ratio": after / before,
        "difference": difference,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("revision", help="the git revision to compare with (a commit, HEAD~1, ...)")
    ap.add_argument(
        "--shape", nargs=5, type=int, action="append", metavar=("T", "B", "D", "H", "O")
    )
    ap.add_argument("--modes", default="full,window(8),chunk(8)", help="comma-separated")
    ap.add_argument("--repeats", type=int, default=9, help="rounds (default 9)")
    ap.add_argument("--threads", type=int, default=1, help="NumPy's BLAS threads (default 1)")
    args = ap.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown or args.repeats < 1 or args.threads < 1:
        ap.error(f"--modes: expected some of {', '.join(MODES)}; --repeats, --threads: >= 1")
    shapes = [tuple(s) for s in args.shape] if args.shape else peers.SHAPES
    limits, threads = contextlib.nullcontext(), args.threads
    if peers.installed("threadpoolctl"):
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.threads, "blas")
    else:
        threads = 0  # as NumPy was started: wall time, and the header says so
    clock = time.thread_time if threads == 1 else time.perf_counter
    rows = []
    with tempfile.TemporaryDirectory() as folder, limits:
        old = load_revision(args.revision, Path(folder))
        what = "CPU time of the calling thread" if threads == 1 else "wall time"
        count = threads or "as started (threadpoolctl missing)"
        print(
            f"# {args.revision} (before) against this checkout (after); BLAS threads "
            f"{count}, {what}, median of {args.repeats} rounds"
        )
        print(
            f"{'T B D H O':<18} {'mode':<10} {'before ms':>10} {'after ms':>9} "
            f"{'after/before':>13} {'difference':>11}"
        )
        for shape in shapes:
            for i, mode in enumerate(modes):
                row = compare(old, shape, mode, args.repeats, clock)
                rows.append(row)
                label = " ".join(map(str, shape)) if i == 0 else ""
                print(
                    f"{label:<18} {mode:<10} {row['before_ms']:>10.3f} {row['after_ms']:>9.3f} "
                    f"{row['ratio']:>13.2f} {row['difference']:>11.0e}",
                    flush=True,
                )
    sys.modules.pop("rnn_ref_at_revision", None)
    return rows


if __name__ == "__main__":
    main()
