"""What ``bench/peers.py`` reports: the machine, the table of every row, the bars as ratios."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
from pathlib import Path

import numpy as np

from .contenders import installed
from .problems import MODES_SHAPE, SHAPES


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for module in ("jax", "torch"):
        if installed(module):
            versions[module] = __import__(module).__version__
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "versions": versions,
        "load_average_start": list(os.getloadavg()),
    }


def table(results: list[dict]) -> str:
    header = (
        f"{'T B D H O':<18} {'contender':<10} {'thr':>4} {'median ms':>10} {'x peer':>7} "
        f"{'x full':>7} {'GFLOP/s':>8} {'% gemm':>7} {'peak MiB':>9} {'/ hs':>5}"
    )
    lines = [header, "-" * len(header)]
    for result in results:
        shape = " ".join(map(str, result["shape"]))
        for i, row in enumerate(result["rows"]):
            ratios = ""
            if row["kind"] != "gemm":
                ratios = f"{row.get('over_fastest_peer', math.nan):>7.2f} {row['over_full']:>7.2f}"
            peak = ""
            if "peak_MiB" in row:
                peak = f"{row['peak_MiB']:>9.2f} {row['peak_over_hs']:>5.2f}"
            lines.append(
                f"{shape if i == 0 else '':<18} {row['name']:<10} {row['threads']:>4} "
                f"{row['median_ms']:>10.3f} {ratios:>15} {row['gflops']:>8.2f} "
                f"{100 * row['of_gemm']:>6.1f}% {peak}".rstrip()
            )
        compiled = [
            f"{r['name']} {r['compile_ms']:.0f} ms" for r in result["rows"] if "compile_ms" in r
        ]
        if compiled:
            lines.append(f"{'':<18} (compilation, not timed: {', '.join(compiled)})")
    return "\n".join(lines)


def bars(results: list[dict]) -> list[dict]:
    """The bars of the performance issue, as ratios within this run (default shapes only).

    A ratio of two rows is the ratio of their medians; ``paired`` is the median over the
    rounds of the ratio of their times in the same round, which a change of the machine's
    load between two turns disturbs less.
    """
    found = []

    def bar(
        text: str, value: float, limit: float, at_least: bool = False, paired=None, note=""
    ) -> None:
        holds = value >= limit if at_least else value <= limit
        found.append(
            {
                "bar": text,
                "value": value,
                "paired": paired,
                "limit": limit,
                "at_least": at_least,
                "holds": holds,
                "note": note,
            }
        )

    for result in results:
        shape = tuple(result["shape"])
        if shape not in SHAPES:
            continue

        def row(fastest: dict, rows=result["rows"]) -> dict:
            return next(
                r
                for r in rows
                if (r["name"], r["threads"]) == (fastest["name"], fastest["threads"])
            )

        def ratio(a: dict, b: dict) -> tuple[float, float]:
            paired = statistics.median(
                x / y for x, y in zip(a["times_ms"], b["times_ms"], strict=True)
            )
            return a["median_ms"] / b["median_ms"], paired

        fastest = result["fastest"]
        full = row(fastest["rnn_ref"])
        if "peer" in fastest:
            value, paired = ratio(full, row(fastest["peer"]))
            limit = 1.2 if shape == SHAPES[0] else 1.0
            bar(
                f"rnn_ref / fastest peer, {result['fastest_peer']}, at {shape}",
                value,
                limit,
                paired=paired,
            )
        for name, limit in (("window", 3.0), ("chunk", 1.1)):
            for mode in (m for m in fastest if m.startswith(name)):
                value, paired = ratio(row(fastest[mode]), full)
                bar(f"{mode} / full at {shape}", value, limit, paired=paired)
        if shape == MODES_SHAPE:
            # Beside the bar, each thread count against the product on as many threads.
            same = []
            for r in result["rows"]:
                if r["name"] == "rnn_ref":
                    gemm = next(
                        g
                        for g in result["rows"]
                        if g["kind"] == "gemm" and g["threads"] == r["threads"]
                    )
                    same.append(f"{r['gflops'] / gemm['gflops']:.2f} on {r['threads']} thread(s)")
            bar(
                f"rnn_ref GFLOP/s / gemm GFLOP/s at {shape}",
                full["of_gemm"],
                0.6,
                at_least=True,
                note="against the product on as many threads: " + ", ".join(same),
            )
        bar(
            f"peak memory / hs at {shape}",
            full["peak_over_hs"],
            3.0,
            note=f"the gradients the call returns take {result['returned_over_hs']:.2f} x hs",
        )
    return found
