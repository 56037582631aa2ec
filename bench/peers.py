"""The full gradient of ``rnn_ref`` against JAX and PyTorch, in one process and one run.

    python bench/peers.py                      # the four shapes of docs/performance.md
    python bench/peers.py --repeats 15 --json peers.json
    python bench/peers.py --quick              # tiny shapes, a few seconds

What is timed, for each shape (T, B, D, H, O): the loss and its gradient with respect to
every parameter, the inputs xs and the initial state h0; float64, tanh, mse on every step.

- ``rnn_ref``: ``rnn_ref.gradients(params, xs, targets, h0=h0)``, argument checks included.
- ``jax``: ``jax.jit(jax.value_and_grad(loss))`` of a ``jax.lax.scan`` over time, with the
  input projection hoisted out of the scan; compiled before timing, and the compilation
  time is reported apart.
- ``torch``: ``torch.nn.RNN(D, H, nonlinearity="tanh")`` and ``torch.nn.Linear(H, O)``,
  forward and ``loss.backward()``.

Threads. NumPy's OpenBLAS and PyTorch's OpenMP split every matrix product statically
between their threads, so on a machine whose cores are busy with other work a product
waits for its slowest thread; XLA's thread pool steals work and does not. ``--threads``
(default ``1`` and every core) gives NumPy's BLAS (through ``threadpoolctl``) and PyTorch
(``torch.set_num_threads``) each thread count as a separate contender; JAX runs on XLA's
own pool, which uses every core. Each side is then judged by its fastest thread count.

Before timing, every peer's gradients are checked against ours: the largest difference
over the largest entry of ours, per quantity, must be at most 1e-10, or the run stops (a
benchmark of different computations would mean nothing). Each contender is called once to
warm up; then the contenders take turns, ``--repeats`` rounds, so that a slow spell of a
shared machine falls on all alike. A turn waits ``--pause`` seconds off the clock (the
previous contender's threads fall asleep), then times one call, or, if a call is shorter
than 20 ms, makes one untimed call (its data come back into the caches) and times a batch of
calls that lasts at least 20 ms. Each contender reports the median over the rounds of its
time per call; the ratios of the bars are ratios of these medians, and beside them, as a
check on the noise, the median over the rounds of the ratio within a round. A square
float64 product (``--gemm-n``) takes its turn in the same rounds: its best rate is this
machine's matrix-product rate at that moment. Flops count the matrix products only, a
multiply-add being 2 flops:

    full:      6 T B H (D + H + O)                 (docs/cost.md, "Where the work is")
    window(k): full + 2 B H^2 (sum_{j=1}^{k-1} (T - j) - T)    (its k-1 products replace
               the T products of full's backward recurrence)
    chunk(k):  full - 2 B H^2 (ceil(T/k) - 1)

Peak memory is the tracemalloc peak of one ``rnn_ref.gradients`` call (NumPy reports its
buffers to tracemalloc), next to the bytes of the states hs, (T+1) B H float64 numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # rnn_ref from this checkout
if str(Path(__file__).resolve().parent) not in sys.path:  # loaded by path (the tests, scaling)
    sys.path.append(str(Path(__file__).resolve().parent))  # last: bench/profile.py shadows nothing

from contest.contenders import (
    Contender,
    Setup,
    ThreadCounts,
    contenders_for,
    gemm,
    installed,
    jax_peer,
    ours,
    ours_gradients,
    relative_differences,
    torch_peer,
)
from contest.problems import (
    MODES_SHAPE,
    QUANTITIES,
    QUICK_SHAPES,
    SHAPES,
    Grads,
    Problem,
    Shape,
    flops,
    make_problem,
)
from contest.report import bars, machine, table
from contest.timing import MIN_TURN, TOLERANCE, measure_shape, peak_bytes

__all__ = [
    "MIN_TURN",
    "MODES_SHAPE",
    "QUANTITIES",
    "QUICK_SHAPES",
    "SHAPES",
    "TOLERANCE",
    "Contender",
    "Grads",
    "Problem",
    "Setup",
    "Shape",
    "ThreadCounts",
    "bars",
    "contenders_for",
    "flops",
    "gemm",
    "installed",
    "jax_peer",
    "machine",
    "main",
    "make_problem",
    "measure_shape",
    "ours",
    "ours_gradients",
    "peak_bytes",
    "relative_differences",
    "table",
    "torch_peer",
]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, a few seconds")
    parser.add_argument("--repeats", type=int, help="timed rounds (default 11; --quick 3)")
    parser.add_argument(
        "--shape",
        type=int,
        nargs=5,
        action="append",
        metavar=("T", "B", "D", "H", "O"),
        help="time this shape instead of the default ones (repeatable)",
    )
    parser.add_argument("--k", type=int, default=8, help="k of window(k) and chunk(k) (default 8)")
    parser.add_argument("--peers", default="jax,torch", help="comma-separated (default jax,torch)")
    parser.add_argument(
        "--threads",
        default=f"1,{os.cpu_count()}",
        help="thread counts of NumPy's BLAS and PyTorch (default 1 and every core)",
    )
    parser.add_argument(
        "--gemm-n", type=int, help="size of the reference product (default 2048; --quick 256)"
    )
    parser.add_argument(
        "--pause",
        type=float,
        help="seconds to wait before each timed call, off the clock, so that the threads of "
        "the previous contender are asleep (default 0.2; --quick 0)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    shapes = (
        [tuple(s) for s in args.shape] if args.shape else (QUICK_SHAPES if args.quick else SHAPES)
    )
    wanted = [name for name in args.peers.split(",") if name]
    setup = Setup(
        repeats=args.repeats or (3 if args.quick else 11),
        peers=tuple(name for name in wanted if installed(name)),
        threads=tuple(sorted({int(n) for n in args.threads.split(",")})),
        gemm_n=args.gemm_n or (256 if args.quick else 2048),
        k=args.k,
        pause=args.pause if args.pause is not None else (0.0 if args.quick else 0.2),
    )
    about = machine()
    counts = ThreadCounts()
    missing = [name for name in wanted if name not in setup.peers]
    print(f"# {about['cpu']}, {about['cores']} cores, {about['system']}, {about['blas']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in about["versions"].items()))
    print(
        f"# load average {about['load_average_start'][0]:.2f}; median of {setup.repeats} rounds "
        f"after a warm-up; peers: {', '.join(setup.peers) or 'none'}"
        + (f" (not installed: {', '.join(missing)})" if missing else "")
        + (
            ""
            if counts.can_set_blas
            else "; threadpoolctl missing: NumPy's BLAS threads as started"
        )
    )
    results = []
    try:
        for shape in shapes:
            print("shape T={} B={} D={} H={} O={}".format(*shape), flush=True)
            modes = shape == (shapes[-1] if args.quick else MODES_SHAPE)
            results.append(
                measure_shape(shape, setup, counts, modes, lambda m: print(m, flush=True))
            )
    finally:
        counts.restore()
    about["load_average_end"] = list(os.getloadavg())
    print()
    print(table(results))
    found = bars(results)
    if found:
        print()
    for bar in found:
        sign = ">=" if bar["at_least"] else "<="
        verdict = "holds" if bar["holds"] else "FAILS"
        paired = f", paired {bar['paired']:.2f}" if bar["paired"] is not None else ""
        print(f"{verdict:<6} {bar['bar']}: {bar['value']:.2f}{paired} (bar: {sign} {bar['limit']})")
        if bar["note"]:
            print(f"{'':<6} ({bar['note']})")
    print(f"# load average at the end {about['load_average_end'][0]:.2f}")
    report = {"machine": about, "setup": setup.__dict__, "results": results, "bars": found}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
