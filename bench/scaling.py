"""How the time of ``rnn_ref.gradients`` grows with T and with H, beside the expected O().

    python bench/scaling.py                       # writes docs/img/scaling.png
    python bench/scaling.py --repeats 9 --json scaling.json --plot scaling.png

Full BPTT, float64, tanh, mse on every step, at B=32, D=32, O=32:

- against T = 50, 100, 200, 400, 800 at H = 128: expected O(T), because every step
  costs the same;
- against H = 32, 64, ..., 1024 at T = 100: expected O(H (D + H + O)), the flop count
  6 T B H (D + H + O) of ``bench/peers.py``, which turns from linear to quadratic in H
  once H passes D + O.

Each expected line is c * (its O() expression), with the constant c taken from the
largest size, where the matrix products dominate: below it, the points that rise above
the line show the part of the time that does not grow with the flops (Python and NumPy
overhead per call and per step).
Every size is timed as in ``bench/peers.py``: all sizes take turns, ``--repeats`` rounds,
each turn an untimed call then a batch of calls of at least 20 ms, and the median over the
rounds. NumPy's BLAS runs ``--threads`` threads (default 1: see ``docs/performance.md``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers  # the problem, the flop count, the thread controls; puts rnn_ref on the path

import rnn_ref

B, D, O = 32, 32, 32
T_SWEEP = (50, 100, 200, 400, 800)  # at H = H_FIXED
H_SWEEP = (32, 64, 128, 256, 512, 1024)  # at T = T_FIXED
T_FIXED, H_FIXED = 100, 128
PLOT = Path(__file__).resolve().parents[1] / "docs" / "img" / "scaling.png"


def sweeps(quick: bool) -> dict[str, list[peers.Shape]]:
    ts, hs = ((5, 10, 20), (4, 8, 16)) if quick else (T_SWEEP, H_SWEEP)
    return {
        "T": [(T, B, D, H_FIXED, O) for T in ts],
        "H": [(T_FIXED, B, D, H, O) for H in hs],
    }


def expected(sweep: str, shape: peers.Shape) -> float:
    """The O() expression of a sweep, up to its constant."""
    T, _, D, H, O = shape
    return T if sweep == "T" else H * (D + H + O)


def measure(shapes: list[peers.Shape], repeats: int, pause: float) -> dict[peers.Shape, float]:
    """Median seconds per call of each shape, the shapes taking turns."""
    calls, batches, times = {}, {}, {s: [] for s in shapes}
    for shape in shapes:
        calls[shape] = peers.ours(peers.make_problem(shape), rnn_ref.Spec())
        start = time.perf_counter()
        calls[shape]()  # warm-up
        batches[shape] = max(1, math.ceil(peers.MIN_TURN / (time.perf_counter() - start)))
    for _ in range(repeats):
        for shape in shapes:
            time.sleep(pause)
            calls[shape]()
            start = time.perf_counter()
            for _ in range(batches[shape]):
                calls[shape]()
            times[shape].append((time.perf_counter() - start) / batches[shape])
    return {shape: statistics.median(ts) for shape, ts in times.items()}


def fit(sweep: str, points: dict[peers.Shape, float]) -> float:
    """The constant c of c * expected(), taken at the largest size."""
    largest = max(points, key=lambda s: expected(sweep, s))
    return points[largest] / expected(sweep, largest)


def plot(results: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    labels = {
        "T": ("T (time steps)", f"B={B} D={D} H={H_FIXED} O={O}", "O(T)"),
        "H": ("H (hidden units)", f"T={T_FIXED} B={B} D={D} O={O}", "O(H (D + H + O))"),
    }
    for ax, (sweep, result) in zip(axes, results.items(), strict=True):
        xlabel, fixed, law = labels[sweep]
        xs = [row[sweep] for row in result["rows"]]
        ax.loglog(xs, [row["median_ms"] for row in result["rows"]], "o-", label="rnn_ref, measured")
        ax.loglog(
            xs,
            [row["expected_ms"] for row in result["rows"]],
            "--",
            color="gray",
            label=f"{law}, through the largest size",
        )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("time of one gradients call (ms)")
        ax.set_title(f"against {sweep}, {fixed}", fontsize=10)
        ax.set_xticks(xs, [str(x) for x in xs], minor=False)
        ax.minorticks_off()
        ax.grid(True, which="major", alpha=0.3)
        ax.legend()
    fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, no plot unless --plot")
    parser.add_argument("--repeats", type=int, help="timed rounds (default 7; --quick 2)")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads of NumPy's BLAS (default 1)"
    )
    parser.add_argument(
        "--pause", type=float, help="seconds before each turn (default 0.05; --quick 0)"
    )
    parser.add_argument("--plot", metavar="PNG", help=f"where to draw the plot (default {PLOT})")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 7)
    pause = args.pause if args.pause is not None else (0.0 if args.quick else 0.05)
    counts = peers.ThreadCounts()
    counts.numpy(args.threads)
    about = peers.machine()
    try:
        results = {}
        for sweep, shapes in sweeps(args.quick).items():
            points = measure(shapes, repeats, pause)
            c = fit(sweep, points)
            rows = [
                {
                    "shape": list(s),
                    sweep: s[0] if sweep == "T" else s[3],
                    "median_ms": 1e3 * t,
                    "expected_ms": 1e3 * c * expected(sweep, s),
                    "gflops": peers.flops(s) / t / 1e9,
                }
                for s, t in points.items()
            ]
            results[sweep] = {"constant_ms": 1e3 * c, "rows": rows}
    finally:
        counts.restore()
    blas_threads = args.threads if counts.can_set_blas else "default"
    title = (
        f"rnn_ref.gradients, full BPTT, float64; {about['cpu']}, {about['cores']} cores, "
        f"BLAS threads {blas_threads}, median of {repeats} rounds, load {os.getloadavg()[0]:.1f}"
    )
    print(f"# {title}")
    for sweep, result in results.items():
        header = f"{'shape':<22} {'median ms':>10} {'expected':>9} {'ratio':>6} {'GFLOP/s':>8}"
        print(f"{sweep:>5} {header}")
        for row in result["rows"]:
            print(
                f"{row[sweep]:>5} {' '.join(map(str, row['shape'])):<22} {row['median_ms']:>10.3f} "
                f"{row['expected_ms']:>9.3f} {row['median_ms'] / row['expected_ms']:>6.2f} "
                f"{row['gflops']:>8.2f}"
            )
    if args.plot or not args.quick:
        plot(results, Path(args.plot) if args.plot else PLOT, title)
    report = {"machine": about, "threads": blas_threads, "repeats": repeats, "results": results}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
