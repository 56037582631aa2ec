"""Read rnn-ref's golden vectors with plain Python and NumPy, and check a forward pass.

    python consume.py VECTORS_DIR

Checks every file's SHA-256 against manifest.json, then, for every case, runs the forward
pass and the loss written here from docs/contract.md and compares them with the case's
expected hs, ys and loss within its tolerance. Replace ``forward`` and ``loss`` by calls to
your own code (and compare ``expected["gradients"]`` too) to check an implementation.
"""

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np


def forward(p: dict, xs: np.ndarray, h0: np.ndarray, activation: str):
    """hs (T+1, B, H) with hs[0] = h0, and ys (T, B, O): a_t = W_xh x_t + W_hh h_{t-1} + b_h."""
    phi = {
        "tanh": np.tanh,
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
        "relu": lambda a: np.maximum(a, 0),
    }
    hs = [h0]
    for x_t in xs:
        hs.append(phi[activation](x_t @ p["W_xh"].T + hs[-1] @ p["W_hh"].T + p["b_h"]))
    hs = np.stack(hs)
    return hs, hs[1:] @ p["W_hy"].T + p["b_y"]


def loss(ys: np.ndarray, targets: list, weights: np.ndarray, kind: str) -> float:
    """L = sum over (t, b) of w * l(y, z); a term of weight 0 is padding, its target null."""
    total = 0.0
    for t, b in zip(*np.nonzero(weights > 0), strict=True):
        y, z = ys[t, b], targets[t][b]
        if kind == "mse":
            term = 0.5 * np.sum((y - np.array(z)) ** 2)
        else:
            m = y.max()
            term = m + np.log(np.sum(np.exp(y - m))) - y[z]
        total += weights[t, b] * term
    return float(total)


def agrees(theirs, expected, tolerance: float) -> bool:
    """The suite's rule: max|theirs - expected| <= tolerance * max|expected|."""
    expected = np.asarray(expected, dtype=np.float64)
    return np.max(np.abs(theirs - expected)) <= tolerance * np.max(np.abs(expected))


def main(directory: Path) -> int:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["sha256"].items():
        if hashlib.sha256((directory / name).read_bytes()).hexdigest() != digest:
            print(f"{name}: SHA-256 differs from the manifest")
            return 1
    passed, failed = Counter(), []
    for entry in manifest["cases"]:
        case = json.loads((directory / entry["json"]).read_text(encoding="utf-8"))
        inputs = case["inputs"]
        p = {
            k: np.array(inputs[k], dtype=np.float64) for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
        }
        xs, h0 = np.array(inputs["xs"], dtype=np.float64), np.array(inputs["h0"], dtype=np.float64)
        weights = np.array(inputs["weights"], dtype=np.float64)
        hs, ys = forward(p, xs, h0, case["spec"]["activation"])
        L = loss(ys, inputs["targets"], weights, case["spec"]["loss"])
        expected, tol = case["expected"], case["tolerance"]
        checks = {
            "hs": agrees(hs, expected["hs"], tol),
            "ys": agrees(ys, expected["ys"], tol),
            "loss": agrees(L, expected["loss"], tol),
        }
        wrong = [name for name, ok in checks.items() if not ok]
        if wrong:
            failed.append(f"{case['id']}: {', '.join(wrong)} disagree")
        else:
            passed[case["tier"]] += 1
    print(
        f"{sum(passed.values())} of {manifest['case_count']} cases agree "
        f"({', '.join(f'{n} {tier}' for tier, n in passed.items())}); sha256 of "
        f"{len(manifest['sha256'])} files checked"
    )
    for line in failed:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
