"""The contenders of ``bench/peers.py``: ours in each mode, the peers, the reference product.

A contender is one thing to time: ``rnn_ref.gradients`` under one ``Spec`` and thread count,
JAX's ``jit(value_and_grad)`` of a ``lax.scan``, PyTorch's ``nn.RNN`` with ``backward``, or a
square float64 product. Each peer also says how to read its gradients, for the check.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import rnn_ref

from .problems import QUANTITIES, Grads, Problem, flops


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

    _, _, D, H, O = p.sizes
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
                    flops(p.sizes, mode, setup.k),
                    "ours",
                    set_numpy,
                    ours_gradients,
                )
            )
    if "jax" in setup.peers:
        call, gradients, compile_ms = jax_peer(p)
        found.append(
            Contender(
                "jax", "xla", call, flops(p.sizes), "peer", lambda: None, gradients, compile_ms
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
                    flops(p.sizes),
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
