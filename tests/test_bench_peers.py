"""bench/peers.py and bench/scaling.py run on tiny shapes, so that they cannot rot.

They run with whichever peers are installed (JAX comes with the test extra, PyTorch with
the bench extra), and every installed peer must compute the gradient that rnn_ref does.
"""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # scaling.py imports peers by name: the same module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def peers():
    return _load("peers")


def test_quick_run_times_every_contender_and_checks_the_peers(peers, tmp_path, capsys):
    out = tmp_path / "peers.json"
    report = peers.main(["--quick", "--repeats", "2", "--json", str(out)])
    printed = capsys.readouterr().out
    assert json.loads(out.read_text())["results"] == json.loads(json.dumps(report["results"]))
    installed = [name for name in ("jax", "torch") if peers.installed(name)]
    assert list(report["setup"]["peers"]) == installed
    for result in report["results"]:
        names = {row["name"] for row in result["rows"]}
        assert {"rnn_ref", *installed} <= names, f"contenders missing at {result['shape']}"
        assert all(row["median_ms"] > 0 and row["gflops"] > 0 for row in result["rows"])
        ours = [row for row in result["rows"] if row["kind"] == "ours"]
        # Every call keeps at least the states hs, so the peak cannot be below them.
        assert all(row["peak_over_hs"] >= 1.0 for row in ours)
        for peer, differences in result["checks"].items():
            worst = max(differences.values())
            assert worst <= peers.TOLERANCE, f"{peer} differs from rnn_ref by {worst:.1e}"
        assert len(result["checks"]) == sum(1 for row in result["rows"] if row["kind"] == "peer"), (
            "a peer was timed without being checked"
        )
        T, B, D, H, O = result["shape"]
        returned = H * D + H * H + H + O * H + O + T * B * D + B * H  # numbers
        assert result["returned_over_hs"] == pytest.approx(returned / ((T + 1) * B * H))
    last = report["results"][-1]["rows"]
    assert {"window(8)", "chunk(8)"} <= {row["name"] for row in last}
    assert "median ms" in printed and "gemm 256" in printed


def test_the_flop_count_is_that_of_docs_cost(peers):
    T, B, D, H, O = shape = (10, 2, 3, 4, 5)
    assert peers.flops(shape) == 6 * T * B * H * (D + H + O)
    # window(k): depths 1..k-1, (T-j) B rows each, instead of full's T carried products of B
    # rows; chunk(k) saves one product per boundary.
    assert peers.flops(shape, "window", 3) == peers.flops(shape) + 2 * B * H * H * (9 + 8 - 10)
    assert peers.flops(shape, "chunk", 3) == peers.flops(shape) - 2 * B * H * H * 3
    assert peers.flops(shape, "window", 10) == peers.flops(shape, "chunk", 10) == peers.flops(shape)


class _CountsProducts(np.ndarray):
    """W_hh that counts the multiply-adds of every product with it (``@`` or ``np.dot``)."""

    madds = 0

    def _count(self, a) -> None:
        rows = np.asarray(a).reshape(-1, self.shape[0]).shape[0]
        _CountsProducts.madds += rows * self.shape[0] * self.shape[1]

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        assert ufunc is np.matmul and inputs[1] is self, f"unexpected use of W_hh: {ufunc}"
        self._count(inputs[0])
        return np.matmul(inputs[0], self.view(np.ndarray), **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        assert func is np.dot and args[1] is self, f"unexpected use of W_hh: {func}"
        self._count(args[0])
        return np.dot(args[0], self.view(np.ndarray), *args[2:], **kwargs)


@pytest.mark.parametrize(("mode", "k"), [("window", 2), ("window", 3), ("window", 7), ("chunk", 3)])
def test_the_flop_count_of_a_mode_is_what_its_backward_pass_does(peers, mode, k):
    """flops(window or chunk) - flops(full) is the change in products with W_hh, counted."""
    from rnn_ref.truncation import backprop_deltas

    T, B, _, H, _ = shape = (10, 2, 3, 4, 5)
    rng = np.random.default_rng(0)
    hs, W_hh = rng.normal(size=(T + 1, B, H)), rng.normal(size=(H, H)).view(_CountsProducts)
    counted = {}
    for name, truncation in [("full", None), (mode, k)]:
        _CountsProducts.madds = 0
        backprop_deltas(rng.normal(size=(T, B, H)), hs, W_hh, "tanh", truncation, mode)
        counted[name] = _CountsProducts.madds
    assert peers.flops(shape, mode, k) - peers.flops(shape) == 2 * (counted[mode] - counted["full"])


def test_scaling_quick_run_fits_its_expected_lines(peers, tmp_path):
    scaling = _load("scaling")
    args = ["--quick", "--repeats", "1", "--json", str(tmp_path / "scaling.json")]
    if importlib.util.find_spec("matplotlib") is not None:
        args += ["--plot", str(tmp_path / "scaling.png")]
    report = scaling.main(args)
    for sweep in ("T", "H"):
        rows = report["results"][sweep]["rows"]
        assert len(rows) == 3 and all(row["median_ms"] > 0 for row in rows)
        # The expected line goes through the largest size.
        assert rows[-1]["expected_ms"] == pytest.approx(rows[-1]["median_ms"])
    if "--plot" in args:
        assert (tmp_path / "scaling.png").stat().st_size > 0


def test_the_bars_say_what_bounds_them(peers):
    """At the shape of the matrix-product bar, each thread count is also set against the
    product on as many threads; every memory bar says what the returned gradients take."""
    shape = peers.MODES_SHAPE

    def row(name, kind, threads, ms, gflops, **extra):
        times = [ms] * 3
        return dict(
            name=name,
            kind=kind,
            threads=threads,
            median_ms=ms,
            gflops=gflops,
            times_ms=times,
            **extra,
        )

    ours = {"peak_over_hs": 2.0}
    rows = [
        row("rnn_ref", "ours", "1", 200.0, 36.0, **ours),
        row("rnn_ref", "ours", "2", 125.0, 60.0, **ours),
        row("jax", "peer", "xla", 250.0, 30.0),
        row("gemm 2048", "gemm", "1", 320.0, 54.0),
        row("gemm 2048", "gemm", "2", 160.0, 100.0),
    ]
    for r in rows:
        r["of_gemm"] = r["gflops"] / 100.0
    result = {
        "shape": list(shape),
        "rows": rows,
        "fastest": {
            "rnn_ref": {"name": "rnn_ref", "threads": "2"},
            "peer": {"name": "jax", "threads": "xla"},
        },
        "fastest_peer": "jax (xla)",
        "returned_over_hs": 0.5,
    }
    found = {bar["bar"].split(" at ")[0]: bar for bar in peers.bars([result])}
    gemm = found["rnn_ref GFLOP/s / gemm GFLOP/s"]
    assert gemm["holds"] and gemm["value"] == pytest.approx(0.6)
    assert "0.67 on 1 thread(s), 0.60 on 2 thread(s)" in gemm["note"]
    memory = found["peak memory / hs"]
    assert memory["holds"] and "returns take 0.50 x hs" in memory["note"]
    assert found["rnn_ref / fastest peer, jax (xla),"]["value"] == pytest.approx(0.5)
