"""How ``bench/peers.py`` times: a check of every peer, a warm-up, then turns in rounds."""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable

from .contenders import Setup, ThreadCounts, contenders_for, ours_gradients, relative_differences
from .problems import Shape, make_problem

TOLERANCE = 1e-10
MIN_TURN = 0.02  # seconds: a contender's turn times this long a batch of calls, at least


def peak_bytes(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_shape(shape: Shape, setup: Setup, counts: ThreadCounts, modes: bool, log) -> dict:
    """Check the peers, then time every contender on one shape, in turns."""
    p = make_problem(shape)
    contenders = contenders_for(p, setup, counts, modes)
    reference = ours_gradients(contenders[0].call())
    checks = {}
    for c in contenders:
        c.setup()
        start = time.perf_counter()
        result = c.call()  # the warm-up call
        c.batch = max(1, math.ceil(MIN_TURN / (time.perf_counter() - start)))
        if c.kind == "peer":
            differences = relative_differences(c.gradients(result), reference)
            worst = max(differences, key=differences.get)
            checks[f"{c.name} {c.threads}"] = differences
            verdict = "equal" if differences[worst] <= TOLERANCE else "DIFFERENT"
            log(
                f"  check {c.name} ({c.threads} threads) against rnn_ref: largest relative "
                f"difference {differences[worst]:.1e} (dL/d{worst}): {verdict}"
            )
            if differences[worst] > TOLERANCE:
                raise SystemExit(f"{c.name} computes a different gradient than rnn_ref at {shape}")
    for _ in range(setup.repeats):
        for c in contenders:
            c.times.append(c.run(setup.pause))

    T, B, _, H, _ = shape
    hs_bytes = (T + 1) * B * H * 8
    rows = []
    peaks: dict[str, int] = {}
    for c in contenders:
        median = statistics.median(c.times)
        row = {"name": c.name, "kind": c.kind, "threads": c.threads, "median_ms": 1e3 * median}
        row["gflops"] = c.flops / median / 1e9
        row["times_ms"] = [1e3 * t for t in c.times]
        if c.compile_ms is not None:
            row["compile_ms"] = c.compile_ms
        if c.kind == "ours":
            if c.name not in peaks:
                peaks[c.name] = peak_bytes(c.call)
            row["peak_MiB"] = peaks[c.name] / 2**20
            row["peak_over_hs"] = peaks[c.name] / hs_bytes
        rows.append(row)

    def best(select) -> dict | None:
        chosen = [r for r in rows if select(r)]
        return min(chosen, key=lambda r: r["median_ms"]) if chosen else None

    full = best(lambda r: r["name"] == "rnn_ref")
    peer = best(lambda r: r["kind"] == "peer")
    gemm_rate = max(r["gflops"] for r in rows if r["kind"] == "gemm")
    for row in rows:
        row["of_gemm"] = row["gflops"] / gemm_rate
        row["over_full"] = row["median_ms"] / full["median_ms"]
        if peer is not None:
            row["over_fastest_peer"] = row["median_ms"] / peer["median_ms"]
    fastest = {}  # the fastest row of each mode of ours, and of all the peers
    for name in dict.fromkeys(r["name"] for r in rows if r["kind"] == "ours"):
        fastest[name] = best(lambda r, name=name: r["name"] == name)
    if peer is not None:
        fastest["peer"] = peer
    D, O = shape[2], shape[4]
    # what the call must return, whatever it does inside: the five parameter gradients,
    # dL/dxs and dL/dh0
    returned = 8 * (H * D + H * H + H + O * H + O + T * B * D + B * H)
    return {
        "shape": list(shape),
        "hs_MiB": hs_bytes / 2**20,
        "returned_over_hs": returned / hs_bytes,
        "gemm_gflops": gemm_rate,
        "fastest": {
            name: {"name": r["name"], "threads": r["threads"], "median_ms": r["median_ms"]}
            for name, r in fastest.items()
        },
        "fastest_peer": f"{peer['name']} ({peer['threads']})" if peer else None,
        "checks": checks,
        "rows": rows,
    }
