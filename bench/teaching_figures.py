"""Compute and draw the figures of the Learning pages of the docs.

    python bench/teaching_figures.py            # writes docs/img/teaching_*.png and .json
    python bench/teaching_figures.py --check    # exit 1 if a stored number is out of date

Every curve is computed here from ``rnn_ref`` and written twice: as a PNG (matplotlib's
Agg canvas, no window, no pyplot state) and, with the numbers it plots, as
``docs/img/teaching_figures.json``. ``--check`` recomputes the numbers and compares them
with that file, so a figure that no longer matches the code is caught by
``tests/test_teaching.py``. Computing the numbers takes well under a second; drawing
them, two.

- ``gradient_flow``: ||dL/dh_t|| against the lag T - t, one loss term at T, for tanh and
  sigmoid and W_hh of spectral radius 0.5, 1, 1.5 and 4.5 (docs/gradient-flow.md).
- ``step_size``: the error of a central finite difference of L against its step, in
  float64 and float32 (docs/gradient-check-failures.md).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # same numbers, steadier time

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import rnn_ref
from rnn_ref.files._atomic import atomic_file

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
DATA = IMG / "teaching_figures.json"
DPI = 80

# --- gradient flow -----------------------------------------------------------------------
FLOW_T, FLOW_H, FLOW_SEED, FLOW_INPUT = 50, 32, 0, 1e-3
RADII = (0.5, 1.0, 1.5, 4.5)


def flow_case(radius: float, T: int = FLOW_T, H: int = FLOW_H, seed: int = FLOW_SEED):
    """A network whose W_hh has spectral radius ``radius``, W_xh = I, and one loss term at T.

    With W_xh = I (D = H), dL/dx_t = W_xh^T delta_t = delta_t, so ``rnn_ref.gradients``
    returns every delta_t, and dL/dh_{t-1} = W_hh^T delta_t (equation (8)) follows from it.

    Returns:
        (params, xs (T, 1, H), targets (T, 1, 1), weights (T, 1)): the inputs are small
        (standard deviation 1e-3) so that the states start in the linear part of phi.
    """
    rng = np.random.default_rng(seed)
    W_hh = rng.standard_normal((H, H))
    W_hh *= radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    params = rnn_ref.Params(
        W_xh=np.eye(H),
        W_hh=W_hh,
        b_h=np.zeros(H),
        W_hy=rng.standard_normal((1, H)) / np.sqrt(H),
        b_y=np.zeros(1),
    )
    xs = FLOW_INPUT * rng.standard_normal((T, 1, H))
    weights = np.zeros((T, 1))
    weights[-1] = 1.0  # the loss term at T alone
    return params, xs, np.ones((T, 1, 1)), weights


def lag_norms(activation: str, radius: float) -> list[float]:
    """||dL/dh_t|| for t = T-1, T-2, ..., 0, that is for lags 1, 2, ..., T."""
    params, xs, targets, weights = flow_case(radius)
    g = rnn_ref.gradients(params, xs, targets, rnn_ref.Spec(activation=activation), weights=weights)
    # g.xs[t-1] is delta_t; in row layout W_hh^T delta_t is delta_t @ W_hh: dL/dh_{t-1}.
    dh = g.xs[:, 0] @ params.W_hh  # row t-1 is dL/dh_{t-1}, t = 1..T
    return [float(n) for n in np.linalg.norm(dh, axis=1)[::-1]]


def gradient_flow() -> dict:
    return {
        activation: {str(radius): lag_norms(activation, radius) for radius in RADII}
        for activation in ("tanh", "sigmoid")
    }


def draw_gradient_flow(data: dict, path: Path) -> None:
    fig = _figure(8, 3.4)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (activation, curves) in zip(axes, data.items(), strict=True):
        for radius, norms in curves.items():
            lags = np.arange(1, len(norms) + 1)
            ax.semilogy(lags, norms, label=f"radius {radius}")
        ax.set_title(f"{activation}, one loss term at T = {FLOW_T}")
        ax.set_xlabel("lag T - t")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("||dL/dh_t||")
    axes[1].legend(title="W_hh spectral radius", fontsize=8)
    _save(fig, path)


# --- finite-difference step --------------------------------------------------------------
STEPS = [float(s) for s in 10.0 ** np.arange(-14, 0.25, 0.25)]


def fd_case():
    """A small tanh network (T = 8, B = 2, D = 3, H = 4, O = 2), its loss and gradient."""
    params = rnn_ref.init_params(3, 4, 2, seed=1)
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((8, 2, 3))
    targets = rng.standard_normal((8, 2, 2))
    return params, xs, targets


def _flat(params: rnn_ref.Params) -> np.ndarray:
    return np.concatenate([a.ravel() for a in params.arrays()])


def _unflat(theta: np.ndarray, like: rnn_ref.Params) -> list[np.ndarray]:
    arrays, start = [], 0
    for a in like.arrays():
        arrays.append(theta[start : start + a.size].reshape(a.shape))
        start += a.size
    return arrays


def loss32(theta: np.ndarray, like: rnn_ref.Params, xs: np.ndarray, targets: np.ndarray) -> float:
    """L computed in float32 throughout, at the float32 parameters ``theta``."""
    f = np.float32
    W_xh, W_hh, b_h, W_hy, b_y = _unflat(theta.astype(f), like)
    h = np.zeros((xs.shape[1], W_hh.shape[0]), dtype=f)
    total = f(0)
    for x, z in zip(xs.astype(f), targets.astype(f), strict=True):
        h = np.tanh(x @ W_xh.T + h @ W_hh.T + b_h)
        r = h @ W_hy.T + b_y - z
        total += f(0.5) * np.sum(r * r)
    return float(total)


def loss64(theta: np.ndarray, like: rnn_ref.Params, xs: np.ndarray, targets: np.ndarray) -> float:
    return rnn_ref.loss(rnn_ref.Params(*_unflat(theta, like)), xs, targets)


FD_DIRECTIONS = 8


def fd_errors(dtype: str) -> list[float]:
    """The largest error of a central difference along FD_DIRECTIONS random unit directions v,

    |(L(w + eps v) - L(w - eps v)) / (2 eps) - g.v| / ||g||, for every eps in STEPS, with
    g = dL/dw from ``rnn_ref.gradients``. The largest over a few directions, because along
    one direction two errors of opposite sign can cancel by luck at one step.
    """
    params, xs, targets = fd_case()
    g = _flat(rnn_ref.gradients(params, xs, targets).params)
    w = _flat(params)
    loss = loss64 if dtype == "float64" else loss32
    cast = np.float64 if dtype == "float64" else np.float32
    vs = np.random.default_rng(2).standard_normal((FD_DIRECTIONS, w.size))
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    errors = []
    for eps in STEPS:
        worst = 0.0
        for v in vs:
            # as float32 code takes it: the rounding of w +- eps v is part of its error
            up, down = cast(w) + cast(eps * v), cast(w) - cast(eps * v)
            estimate = (loss(up, params, xs, targets) - loss(down, params, xs, targets)) / (2 * eps)
            worst = max(worst, abs(estimate - g @ v) / np.linalg.norm(g))
        errors.append(worst)
    return errors


def step_size() -> dict:
    return {"steps": STEPS, "float64": fd_errors("float64"), "float32": fd_errors("float32")}


def draw_step_size(data: dict, path: Path) -> None:
    fig = _figure(6, 3.6)
    ax = fig.subplots()
    steps = np.array(data["steps"])
    for dtype in ("float64", "float32"):
        errors = np.maximum(np.array(data[dtype]), 1e-17)  # an exact 0 has no logarithm
        best = int(np.argmin(errors))
        (line,) = ax.loglog(steps, errors, marker=".", label=dtype)
        ax.annotate(
            f"min {errors[best]:.0e} at {steps[best]:.0e}",
            (steps[best], errors[best]),
            textcoords="offset points",
            xytext=(-8, -4),
            ha="right",
            va="top",
            fontsize=8,
            color=line.get_color(),
        )
    ax.set_xlabel("step eps of (L(w + eps v) - L(w - eps v)) / (2 eps)")
    ax.set_ylabel(f"error / ||grad L||, worst of {FD_DIRECTIONS} v")
    ax.set_title("Central differences against BPTT: rounding left, truncation right")
    ax.set_ylim(1e-13, 1)  # room for the label under the float64 minimum
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    _save(fig, path)


# --- the whole set -----------------------------------------------------------------------
FIGURES = {
    "gradient_flow": (gradient_flow, draw_gradient_flow),
    "step_size": (step_size, draw_step_size),
}


def compute() -> dict:
    return {name: make() for name, (make, _) in FIGURES.items()}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _save(fig, path: Path) -> None:
    with atomic_file(path) as stream:
        # No date or version in the PNG: the same numbers give the same bytes.
        fig.savefig(stream, format="png", dpi=DPI, metadata={"Software": None})


def stale(stored: dict, fresh: dict) -> list[str]:
    """The names of the figures whose stored numbers differ from fresh ones (rtol 1e-6)."""

    def same(a, b) -> bool:
        if isinstance(a, dict):
            return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        return np.allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=0.0)

    return [name for name in fresh if name not in stored or not same(stored[name], fresh[name])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    fresh = compute()
    if args.check:
        stored = json.loads(DATA.read_text(encoding="utf-8")) if DATA.exists() else {}
        names = stale(stored, fresh)
        if names:
            print(f"stale: {', '.join(names)}: run python bench/teaching_figures.py")
            return 1
        print("the figures' numbers are up to date")
        return 0
    for name, (_, draw) in FIGURES.items():
        draw(fresh[name], IMG / f"teaching_{name}.png")
    with atomic_file(DATA, "w") as stream:
        json.dump(fresh, stream, indent=1)
        stream.write("\n")
    print(f"wrote {len(FIGURES)} figures and {DATA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
