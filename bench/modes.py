"""Time and peak memory of ``rnn_ref.gradients`` under full, window(k) and chunk(k).

    python bench/modes.py                      # T=100, B=32, D=32, H=128, O=32, k=8
    python bench/modes.py --shape 200 64 64 256 64 --k 8 --repeats 11 --json out.json

Each mode is timed as the median of ``--repeats`` calls after one warm-up call, the modes
taking turns; peak
memory is the tracemalloc peak of one call (NumPy reports its buffers to tracemalloc),
printed next to the size of the stored states hs, (T+1) * B * H float64 numbers.
Absolute times depend on the machine and its load: compare the modes within one run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import tracemalloc

import numpy as np

import rnn_ref
from rnn_ref.containers import truncation_label


def measure(shape: tuple[int, int, int, int, int], k: int, repeats: int) -> list[dict]:
    T, B, D, H, O = shape
    rng = np.random.default_rng(0)
    params = rnn_ref.init_params(D, H, O, seed=0)
    xs = rng.normal(size=(T, B, D))
    targets = rng.normal(size=(T, B, O))
    specs = {
        truncation_label(s.truncation, s.truncation_mode, full="full"): s
        for s in (
            rnn_ref.Spec(),
            rnn_ref.Spec(truncation=k, truncation_mode="window"),
            rnn_ref.Spec(truncation=k, truncation_mode="chunk"),
        )
    }
    hs_bytes = (T + 1) * B * H * 8

    def call(spec: rnn_ref.Spec) -> rnn_ref.Gradients:
        return rnn_ref.gradients(params, xs, targets, spec)

    for spec in specs.values():
        call(spec)  # warm-up: BLAS threads, caches
    # Round-robin: each repeat times every mode once, so that a slow spell of this shared
    # machine falls on all modes alike instead of on whichever ran first.
    times: dict[str, list[float]] = {name: [] for name in specs}
    for _ in range(repeats):
        for name, spec in specs.items():
            start = time.perf_counter()
            call(spec)
            times[name].append(time.perf_counter() - start)
    rows = []
    for name, spec in specs.items():
        tracemalloc.start()
        call(spec)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "mode": name,
                "median_ms": 1e3 * statistics.median(times[name]),
                "peak_MiB": peak / 2**20,
                "peak_over_hs": peak / hs_bytes,
            }
        )
    full = rows[0]["median_ms"]
    for row in rows:
        row["time_over_full"] = row["median_ms"] / full
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shape",
        type=int,
        nargs=5,
        default=[100, 32, 32, 128, 32],
        metavar=("T", "B", "D", "H", "O"),
    )
    parser.add_argument("--k", type=int, default=8, help="truncation length (default 8)")
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per mode")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    rows = measure(tuple(args.shape), args.k, args.repeats)
    T, B, D, H, O = args.shape
    print(
        f"# T={T} B={B} D={D} H={H} O={O}, median of {args.repeats} calls, "
        f"numpy {np.__version__}, {platform.processor() or platform.machine()}"
    )
    print(f"{'mode':<12} {'time (ms)':>10} {'x full':>7} {'peak MiB':>9} {'peak / hs':>10}")
    for row in rows:
        print(
            f"{row['mode']:<12} {row['median_ms']:>10.2f} {row['time_over_full']:>7.2f} "
            f"{row['peak_MiB']:>9.2f} {row['peak_over_hs']:>10.2f}"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"shape": args.shape, "k": args.k, "rows": rows}, out, indent=2)


if __name__ == "__main__":
    main()
