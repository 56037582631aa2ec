"""Check the corpus itself: does each canonical file differ from the truth where EXPECT says?

The checker is what the corpus measures, so the corpus's own claims are checked without it:
every file of the canonical convention is called on a few large cases inside its scope
(T = 7, B = 3, D = 3, H = 4, O = 3; drawn like the gallery's fixed cases, with W_hh large
enough that carried terms exceed 1), and its quantities are compared with
``rnn_ref.gradients`` at a relative 1e-9. A wrong file must differ on exactly its
``quantity`` (on at least one case, and nowhere else on any), or on part of it if EXPECT
says the mistake is ``rare`` (it needs cases these are not); a right one nowhere. Files of
other conventions are skipped (their adapters belong to the checker).

    python tests/corpus/audit.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

import rnn_ref

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run


def flag(scope: list[str], name: str, default: str | None) -> str | None:
    return scope[scope.index(name) + 1] if name in scope else default


def case(scope: list[str], seed: int):
    """A case inside ``scope``: the first value of each flag left out that the file runs."""
    rng = np.random.default_rng(seed)
    T, B, D, H, O = 7, 3, 3, 4, 3  # O = 2 would hide a factor 2/O
    activation = flag(scope, "--activation", "tanh")
    loss = flag(scope, "--loss", "mse")
    bptt = flag(scope, "--bptt", "full")
    mode, _, k = bptt.partition(":")
    truncation = None if mode == "full" else int(k or 3)
    dtype = np.float32 if flag(scope, "--dtype", "float64") == "float32" else np.float64
    params = {
        "W_xh": rng.uniform(-1, 1, (H, D)),
        "W_hh": rng.uniform(-0.6, 0.6, (H, H)),
        "b_h": rng.uniform(-0.5, 0.5, H),
        "W_hy": rng.uniform(-1.5, 1.5, (O, H)),
        "b_y": rng.uniform(-0.5, 0.5, O),
    }
    xs = rng.normal(size=(T, B, D))
    h0 = rng.uniform(-0.5, 0.5, (B, H))
    if "--no-bias" in scope:
        params["b_h"][:] = 0.0
        params["b_y"][:] = 0.0
    if flag(scope, "--h0", "any") == "zeros":
        h0[:] = 0.0
    if activation == "relu" and "--no-bias" in scope:
        xs[: T // 2, 0] = 0.0  # leading zero padding: a_t = 0 exactly, where relu'(0) shows
    weights = {
        "any": rng.uniform(0.0, 1.5, (T, B)),
        "ones": np.ones((T, B)),
        "mask": (rng.uniform(size=(T, B)) > 0.3).astype(float),
        "last": np.eye(T)[-1][:, None] * np.ones((1, B)),
    }[flag(scope, "--weights", "any")]
    if loss == "mse":
        targets = rng.normal(size=(T, B, O))
    else:
        targets = rng.integers(0, O, (T, B))
    spec = {
        "activation": activation,
        "loss": loss,
        "truncation": truncation,
        "truncation_mode": "window" if mode == "full" else mode,
    }
    cast = {k: v.astype(dtype) for k, v in params.items()}
    arrays = (xs.astype(dtype), targets if loss != "mse" else targets.astype(dtype))
    return cast, *arrays, spec, h0.astype(dtype), weights.astype(dtype)


def differing(module, scope: list[str], seed: int) -> set[str]:
    params, xs, targets, spec, h0, weights = case(scope, seed)
    args = [p.astype(np.float64) for p in (xs, h0, weights)]
    truth = rnn_ref.gradients(
        rnn_ref.Params(**{k: v.astype(np.float64) for k, v in params.items()}),
        args[0],
        targets if spec["loss"] != "mse" else targets.astype(np.float64),
        rnn_ref.Spec(**spec),
        h0=args[1],
        weights=args[2],
    )
    copies = [{k: v.copy() for k, v in params.items()}, xs.copy(), targets.copy()]
    out = module.gradients(*copies, dict(spec), h0.copy(), weights.copy())
    want = {"loss": np.asarray(truth.loss), "xs": truth.xs, "h0": truth.h0, **vars(truth.params)}
    rtol = 1e-4 if xs.dtype == np.float32 else 1e-9
    found = set()
    for name, ours in want.items():
        if name not in out:
            continue
        theirs = np.asarray(out[name], dtype=np.float64)
        scale = max(float(np.max(np.abs(ours))), 1e-300)
        if theirs.shape != ours.shape or np.max(np.abs(theirs - ours)) > rtol * scale:
            found.add(name)
    return found


def main() -> int:
    bad = 0
    for path in run.corpus(sys.argv[1:]):
        expect = run.expectation(path)
        if run.convention_of(expect["scope"]) != "canonical":
            continue
        spec = importlib.util.spec_from_file_location(f"corpus_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        seen, problems = set(), []
        for seed in range(3):
            try:
                seen |= differing(module, expect["scope"], seed)
            except NotImplementedError:
                problems.append(f"seed {seed}: out of scope")
        want = set(expect["quantity"]) if expect["verdict"] == "fail" else set()
        if expect.get("rare") and seen <= want:
            problems.append(f"(rare: {expect['rare']}; differs here on {sorted(seen)})")
        elif seen != want:
            problems.append(f"differs on {sorted(seen)}, EXPECT says {sorted(want)}")
        wrong = [p for p in problems if not p.startswith("(rare")]
        bad += bool(wrong)
        print(f"{'BAD ' if wrong else 'ok  '} {path.stem}: {'; '.join(problems)}")
    print(f"{bad} file(s) whose EXPECT does not hold")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
