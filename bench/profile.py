"""Where the time of one ``rnn_ref.gradients`` call goes, statement by statement.

    python bench/profile.py                                  # (200, 64, 64, 256, 64)
    python bench/profile.py --shape 50 1 1 100 1 --threads 1
    python bench/profile.py --json profile.json
    python bench/profile.py --lines --threads 2       # line_profiler, line by line

The statements of ``rnn_ref.gradients`` (full BPTT, tanh, mse, the problem of
``bench/peers.py``) run one by one, each under its own clock, in the order and with the
private functions that ``gradients`` uses; the result is checked to be bitwise equal to
``rnn_ref.gradients``, so the profile cannot drift from the code it describes. Each phase
reports its mean over ``--calls`` calls (after a warm-up call) and its share of the total;
the total is set against the rate of a square float64 product timed in the same run, on
the same BLAS threads, as in ``bench/peers.py``.

``--lines`` instead runs line_profiler over ``gradients``, ``_states`` and ``_chunk_deltas``,
which splits the two time loops into their statements as well. Fresh memory is part of
what a call costs: glibc gives large freed blocks back to the kernel, and the next call
pays a page fault for each page it touches again. To see a call without that cost, run the
script with ``MALLOC_TRIM_THRESHOLD_=1000000000 MALLOC_MMAP_THRESHOLD_=1000000000`` in its
environment, which makes glibc keep the memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import peers  # the problem, the flop count, the reference product

import rnn_ref
from rnn_ref import bptt
from rnn_ref.losses import loss_and_dys
from rnn_ref.truncation import backprop_deltas

DEFAULT_SHAPE = (200, 64, 64, 256, 64)
_rows = bptt._rows


def phases(p: peers.Problem) -> list[tuple[str, Callable[[dict], None]]]:
    """The statements of ``rnn_ref.gradients``, each reading and writing a namespace ``s``."""
    spec = rnn_ref.Spec()

    def validate(s):
        names = ("spec", "params", "xs", "targets", "h0", "weights")
        s.update(zip(names, s["prepare"](), strict=True))

    def forward(s):
        s["hs"] = bptt._states(s["params"], s["xs"], s["h0"], spec.activation)

    def read_out(s):
        s["ys"] = bptt._read_out(s["params"], s["hs"])

    def loss(s):
        s["loss"], s["dys"] = loss_and_dys(s["ys"], s["targets"], s["weights"], spec.loss)

    def backward(s):
        s["deltas"], s["dh0"] = backprop_deltas(
            s["dh_out"], s["hs"], s["params"].W_hh, spec.activation, None, "window"
        )

    def put(name, compute):
        def phase(s):
            s[name] = compute(s)

        return phase

    return [
        ("validate", validate),
        ("forward (1)(2)", forward),
        ("read-out (3)", read_out),
        ("loss (4)(5)", loss),
        ("dW_hy (6)", put("W_hy", lambda s: _rows(s["dys"]).T @ _rows(s["hs"][1:]))),
        ("db_y (7)", put("b_y", lambda s: _rows(s["dys"]).sum(axis=0))),
        (
            "W_hy^T dy (8)",
            put(
                "dh_out",
                lambda s: np.dot(_rows(s["dys"]), s["params"].W_hy).reshape(s["hs"][1:].shape),
            ),
        ),
        ("backward loop (8)(9)", backward),
        ("dW_xh (10)", put("W_xh", lambda s: _rows(s["deltas"]).T @ _rows(s["xs"]))),
        ("dW_hh (11)", put("W_hh", lambda s: _rows(s["deltas"]).T @ _rows(s["hs"][:-1]))),
        ("db_h (12)", put("b_h", lambda s: _rows(s["deltas"]).sum(axis=0))),
        (
            "dxs (13)",
            put("dxs", lambda s: (_rows(s["deltas"]) @ s["params"].W_xh).reshape(s["xs"].shape)),
        ),
    ]


def profile_once(p: peers.Problem, steps) -> tuple[list[float], dict]:
    """Run the phases once; the seconds of each, and the namespace they filled."""
    s = {"prepare": lambda: bptt._prepare(p.params, p.xs, p.targets, rnn_ref.Spec(), p.h0, None)}
    seconds = []
    for _, phase in steps:
        start = time.perf_counter()
        phase(s)
        seconds.append(time.perf_counter() - start)
    return seconds, s


def check_equal(p: peers.Problem, s: dict) -> None:
    """The phases must compute exactly what rnn_ref.gradients computes."""
    g = rnn_ref.gradients(p.params, p.xs, p.targets, h0=p.h0)
    pairs = {name: (s[name], getattr(g.params, name)) for name in rnn_ref.Params.FIELDS}
    pairs.update(xs=(s["dxs"], g.xs), h0=(s["dh0"], g.h0), loss=(s["loss"], g.loss))
    differ = [name for name, (a, b) in pairs.items() if not np.array_equal(a, b)]
    if differ:
        raise SystemExit(
            f"bench/profile.py no longer computes what rnn_ref.gradients does ({', '.join(differ)} "
            "differ): update its phases to the statements of rnn_ref/bptt.py"
        )


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", nargs=5, type=int, metavar=("T", "B", "D", "H", "O"))
    ap.add_argument("--calls", type=int, default=9, help="timed calls (default 9)")
    ap.add_argument(
        "--threads", type=int, default=0, help="NumPy's BLAS threads (default: as started)"
    )
    ap.add_argument("--gemm-n", type=int, default=2048, help="size of the reference product")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument(
        "--lines",
        action="store_true",
        help="instead, time every line of gradients and of its two time loops with "
        "line_profiler (pip install '.[bench]')",
    )
    args = ap.parse_args(argv)
    for name in ("calls", "threads", "gemm_n"):
        if getattr(args, name) < (0 if name == "threads" else 1):
            ap.error(f"--{name.replace('_', '-')}: expected a positive integer")
    if args.shape and min(args.shape) < 1:
        ap.error(f"--shape: expected five sizes >= 1, got {args.shape}")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    shape = tuple(args.shape) if args.shape else DEFAULT_SHAPE
    limits = contextlib.nullcontext()
    if args.threads:
        if not peers.installed("threadpoolctl"):
            raise SystemExit("--threads needs threadpoolctl (pip install '.[bench]')")
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=args.threads, user_api="blas")
    with limits:
        return _lines(shape, args) if args.lines else _profile(shape, args)


def _lines(shape: peers.Shape, args: argparse.Namespace) -> dict:
    """line_profiler over ``rnn_ref.gradients``, ``_states`` and ``_chunk_deltas``."""
    if not peers.installed("line_profiler"):
        raise SystemExit("--lines needs line_profiler (pip install '.[bench]')")
    from line_profiler import LineProfiler

    from rnn_ref import truncation

    p = peers.make_problem(shape)

    def call():
        return rnn_ref.gradients(p.params, p.xs, p.targets, h0=p.h0)

    call()  # the warm-up call
    # gradients is wrapped by the overflow check; profile the function itself
    functions = [bptt.gradients.__wrapped__, bptt._states, truncation._chunk_deltas]
    profiler = LineProfiler(*functions)
    profiler.enable()
    for _ in range(args.calls):
        call()
    profiler.disable()
    threads = args.threads or "as started"
    print(
        f"# rnn_ref.gradients at (T, B, D, H, O) = {shape}, BLAS threads: {threads}, "
        f"{args.calls} calls"
    )
    profiler.print_stats(output_unit=1e-3, stripzeros=True)
    stats = profiler.get_stats()
    return {
        "shape": shape,
        "calls": args.calls,
        "functions_ms": {
            name: 1e3 * sum(time for _, _, time in timings) * stats.unit
            for (_, _, name), timings in stats.timings.items()
        },
    }


def _profile(shape: peers.Shape, args: argparse.Namespace) -> dict:
    p = peers.make_problem(shape)
    steps = phases(p)
    _, s = profile_once(p, steps)  # the warm-up call
    check_equal(p, s)
    del s
    runs = [profile_once(p, steps)[0] for _ in range(args.calls)]
    means = np.mean(runs, axis=0)
    total = float(means.sum())
    product, product_flops = peers.gemm(args.gemm_n)
    product()
    gemm_seconds = min(_timed(product) for _ in range(3))
    gemm_rate = product_flops / gemm_seconds / 1e9
    rate = peers.flops(shape) / total / 1e9
    threads = args.threads or "as started"
    print(f"# rnn_ref.gradients at (T, B, D, H, O) = {shape}, BLAS threads: {threads}")
    print(f"# wall time per phase, mean of {args.calls} calls after a warm-up")
    for (name, _), seconds in zip(steps, means, strict=True):
        print(f"{name:22s} {1e3 * seconds:10.3f} ms {100 * seconds / total:6.1f}%")
    print(f"{'total':22s} {1e3 * total:10.3f} ms, {rate:.1f} GFLOP/s")
    print(
        f"{f'gemm {args.gemm_n}':22s} {1e3 * gemm_seconds:10.3f} ms, {gemm_rate:.1f} GFLOP/s: "
        f"rnn_ref reaches {100 * rate / gemm_rate:.1f}% of it"
    )
    result = {
        "shape": shape,
        "threads": args.threads or None,
        "calls": args.calls,
        "phases_ms": {name: 1e3 * float(t) for (name, _), t in zip(steps, means, strict=True)},
        "total_ms": 1e3 * total,
        "gflops": rate,
        "gemm_gflops": gemm_rate,
        "of_gemm": rate / gemm_rate,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
