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
import contextlib
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # rnn_ref from this checkout
import rnn_ref

SHAPES = [
    (50, 1, 1, 100, 1),  # the tutorials' sine task
    (100, 32, 32, 128, 32),
    (200, 64, 64, 256, 64),
    (100, 16, 64, 1024, 64),
]
MODES_SHAPE = (200, 64, 64, 256, 64)  # where window(k) and chunk(k) are timed too
QUICK_SHAPES = [(6, 1, 1, 8, 1), (5, 3, 2, 4, 2)]
QUANTITIES = (*rnn_ref.Params.FIELDS, "xs", "h0")
TOLERANCE = 1e-10
MIN_TURN = 0.02  # seconds: a contender's turn times this long a batch of calls, at least

Shape = tuple[int, int, int, int, int]
Grads = dict[str, np.ndarray]


# The problem ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    shape: Shape
    params: rnn_ref.Params
    xs: np.ndarray
    targets: np.ndarray
    h0: np.ndarray


def make_problem(shape: Shape, seed: int = 0) -> Problem:
    """Xavier weights, small random biases, N(0, 1) inputs and targets, a random h0."""
    T, B, D, H, O = shape
    rng = np.random.default_rng(seed)
    xavier = rnn_ref.init_params(D, H, O, seed=seed)
    params = rnn_ref.Params(
        W_xh=xavier.W_xh,
        W_hh=xavier.W_hh,
        b_h=0.1 * rng.normal(size=H),
        W_hy=xavier.W_hy,
        b_y=0.1 * rng.normal(size=O),
    )
    xs = rng.normal(size=(T, B, D))
    targets = rng.normal(size=(T, B, O))
    h0 = rng.uniform(-0.5, 0.5, size=(B, H))
    return Problem(shape, params, xs, targets, h0)


def flops(shape: Shape, mode: str = "full", k: int = 0) -> float:
    """Flops of the matrix products of one gradient call (a multiply-add is 2 flops)."""
    T, B, D, H, O = shape
    full = 6.0 * T * B * H * (D + H + O)
    if mode == "window" and k < T:
        # The k-1 batched products of depths 1..k-1 replace full's T carried products.
        return full + 2.0 * B * H * H * (sum(T - j for j in range(1, k)) - T)
    if mode == "chunk" and k < T:
        return full - 2.0 * B * H * H * (math.ceil(T / k) - 1)
    return full


# Threads ----------------------------------------------------------------------------------


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class ThreadCounts:
    """Sets the thread counts of NumPy's BLAS and of PyTorch, and restores them on exit."""

    def __init__(self) -> None:
        self.blas = []
        if installed("threadpoolctl"):
            from threadpoolctl import ThreadpoolController

            self.blas = ThreadpoolController().select(user_api="blas").lib_controllers
        self.blas_original = [lib.num_threads for lib in self.blas]
        self.torch_original = __import__("torch").get_num_threads() if installed("torch") else None

    @property
    def can_set_blas(self) -> bool:
        return bool(self.blas)

    def numpy(self, n: int) -> None:
        for lib in self.blas:
            lib.set_num_threads(n)

    @staticmethod
    def torch(n: int) -> None:
        import torch

        torch.set_num_threads(n)

    def restore(self) -> None:
        for lib, n in zip(self.blas, self.blas_original, strict=True):
            lib.set_num_threads(n)
        if self.torch_original is not None:
            self.torch(self.torch_original)


# The contenders ---------------------------------------------------------------------------


@dataclass
class Contender:
    """One thing to time: ``setup()`` (outside the clock), then ``call()`` (on the clock).

    ``gradients(result)`` turns what ``call`` returned into NumPy arrays named as in
    QUANTITIES; it is used for the check, never on the clock.
    """

    name: str
    threads: str
    call: Callable[[], object]
    flops: float
    kind: str  # "ours", "peer" or "gemm"
    setup: Callable[[], None] = lambda: None
    gradients: Callable[[object], Grads] | None = None
    compile_ms: float | None = None
    batch: int = 1  # calls per turn: as many as fill ``MIN_TURN`` seconds, at least one
    times: list[float] = field(default_factory=list)

    def run(self, pause: float) -> float:
        """Seconds per call, over ``batch`` calls after a pause (and an untimed call)."""
        self.setup()
        time.sleep(pause)  # the threads of the previous contender fall asleep
        if self.batch > 1:  # a short call: bring its data back into the caches first
            self.call()
        start = time.perf_counter()
        for _ in range(self.batch):
            self.call()
        return (time.perf_counter() - start) / self.batch


def ours_gradients(g: rnn_ref.Gradients) -> Grads:
    return {**{n: getattr(g.params, n) for n in rnn_ref.Params.FIELDS}, "xs": g.xs, "h0": g.h0}


def ours(p: Problem, spec: rnn_ref.Spec) -> Callable[[], rnn_ref.Gradients]:
    return lambda: rnn_ref.gradients(p.params, p.xs, p.targets, spec, h0=p.h0)


def jax_peer(p: Problem) -> tuple[Callable[[], object], Callable[[object], Grads], float]:
    """jit(value_and_grad) of a lax.scan: the call, its gradients, the compile milliseconds."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(params, xs, h0, targets):
        W_xh, W_hh, b_h, W_hy, b_y = params
        inputs = xs @ W_xh.T + b_h  # W_xh x_t + b_h of every step, before the scan

        def step(h, u):
            h = jnp.tanh(u + h @ W_hh.T)
            return h, h

        _, hs = jax.lax.scan(step, h0, inputs)
        ys = hs @ W_hy.T + b_y
        return 0.5 * jnp.sum((ys - targets) ** 2)

    params = tuple(jnp.asarray(getattr(p.params, n)) for n in rnn_ref.Params.FIELDS)
    args = (params, jnp.asarray(p.xs), jnp.asarray(p.h0), jnp.asarray(p.targets))
    start = time.perf_counter()
    compiled = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2))).lower(*args).compile()
    compile_ms = 1e3 * (time.perf_counter() - start)

    def call():
        return jax.block_until_ready(compiled(*args))

    def gradients(result) -> Grads:
        _, (dparams, dxs, dh0) = result
        named = dict(zip(rnn_ref.Params.FIELDS, dparams, strict=True))
        return {n: np.asarray(a) for n, a in {**named, "xs": dxs, "h0": dh0}.items()}

    return call, gradients, compile_ms


def torch_peer(p: Problem) -> tuple[Callable[[], object], Callable[[object], Grads]]:
    """nn.RNN + nn.Linear holding our parameters (b_ih = b_h, b_hh = 0); loss.backward()."""
    import torch

    _, _, D, H, O = p.shape
    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=False, dtype=torch.float64)
    head = torch.nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p.params.W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p.params.W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p.params.b_h))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(p.params.W_hy))
        head.bias.copy_(torch.from_numpy(p.params.b_y))
    xs = torch.tensor(p.xs, requires_grad=True)
    h0 = torch.tensor(p.h0[None], requires_grad=True)  # (num_layers = 1, B, H)
    targets = torch.tensor(p.targets)
    leaves = [*rnn.parameters(), *head.parameters(), xs, h0]

    def call():
        for leaf in leaves:
            leaf.grad = None
        out, _ = rnn(xs, h0)
        loss = 0.5 * ((head(out) - targets) ** 2).sum()
        loss.backward()
        return loss

    def gradients(_) -> Grads:
        return {
            "W_xh": rnn.weight_ih_l0.grad.numpy(),
            "W_hh": rnn.weight_hh_l0.grad.numpy(),
            "b_h": rnn.bias_ih_l0.grad.numpy(),  # b_ih enters a_t exactly as b_h does
            "W_hy": head.weight.grad.numpy(),
            "b_y": head.bias.grad.numpy(),
            "xs": xs.grad.numpy(),
            "h0": h0.grad.numpy()[0],
        }

    return call, gradients


def gemm(n: int) -> tuple[Callable[[], object], float]:
    """An (n x n) @ (n x n) float64 product into a preallocated result, and its flops."""
    rng = np.random.default_rng(1)
    a, b, out = rng.normal(size=(n, n)), rng.normal(size=(n, n)), np.empty((n, n))
    return (lambda: np.matmul(a, b, out=out)), 2.0 * n**3


def relative_differences(theirs: Grads, reference: Grads) -> dict[str, float]:
    """max |theirs - ours| / max |ours|, per quantity."""
    return {
        n: float(
            np.max(np.abs(theirs[n] - reference[n])) / max(np.max(np.abs(reference[n])), 1e-300)
        )
        for n in QUANTITIES
    }


# Measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    repeats: int
    peers: tuple[str, ...]
    threads: tuple[int, ...]  # for NumPy's BLAS and PyTorch
    gemm_n: int
    k: int
    pause: float  # seconds between two contenders, off the clock


def contenders_for(p: Problem, setup: Setup, counts: ThreadCounts, modes: bool) -> list[Contender]:
    specs = {"rnn_ref": rnn_ref.Spec()}
    if modes:
        for mode in ("window", "chunk"):
            specs[f"{mode}({setup.k})"] = rnn_ref.Spec(truncation=setup.k, truncation_mode=mode)
    numpy_threads = setup.threads if counts.can_set_blas else (0,)  # 0: as NumPy was started
    found = []
    for n in numpy_threads:
        threads = str(n) if n else "default"
        set_numpy = (lambda n=n: counts.numpy(n)) if n else (lambda: None)
        for name, spec in specs.items():
            mode = spec.truncation_mode if spec.truncation else "full"
            found.append(
                Contender(
                    name,
                    threads,
                    ours(p, spec),
                    flops(p.shape, mode, setup.k),
                    "ours",
                    set_numpy,
                    ours_gradients,
                )
            )
    if "jax" in setup.peers:
        call, gradients, compile_ms = jax_peer(p)
        found.append(
            Contender(
                "jax", "xla", call, flops(p.shape), "peer", lambda: None, gradients, compile_ms
            )
        )
    if "torch" in setup.peers:
        call, gradients = torch_peer(p)
        for n in setup.threads:
            found.append(
                Contender(
                    "torch",
                    str(n),
                    call,
                    flops(p.shape),
                    "peer",
                    lambda n=n: counts.torch(n),
                    gradients,
                )
            )
    product, product_flops = gemm(setup.gemm_n)
    for n in numpy_threads:
        set_numpy = (lambda n=n: counts.numpy(n)) if n else (lambda: None)
        threads = str(n) if n else "default"
        found.append(
            Contender(f"gemm {setup.gemm_n}", threads, product, product_flops, "gemm", set_numpy)
        )
    return found


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


# Reporting --------------------------------------------------------------------------------


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
