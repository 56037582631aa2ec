"""Check the corpus itself: does each canonical file differ from the truth where EXPECT says?

The checker is what the corpus measures, so the corpus's own claims are checked without it:
every file of the canonical convention is called on a few large cases inside its scope
(T = 7, B = 3, D = 3, H = 4, O = 3; drawn like the gallery's fixed cases, with W_hh large
enough that carried terms exceed 1), and its quantities are compared with
``rnn_ref.gradients`` at a relative 1e-9. A wrong file must differ on exactly its
``quantity`` (on at least one case, and nowhere else on any), or on part of it if EXPECT
says the mistake is ``rare`` (it needs cases these are not); a right one nowhere. Files of
the other conventions are called in their own layout here, by a few lines each that do not
use the checker's adapters: the layer with an identity read-out and the mse loss, the
character model on one sequence of one-hot ids, the many-to-one regression on columns, the
torch module with nn.RNN's names.

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


def truth_of(params, xs, targets, spec, h0, weights) -> dict:
    g = rnn_ref.gradients(
        rnn_ref.Params(**params), xs, targets, rnn_ref.Spec(**spec), h0=h0, weights=weights
    )
    return {"loss": np.asarray(g.loss), "xs": g.xs, "h0": g.h0, **vars(g.params)}


def layer_outputs(module, scope, seed):
    """Theirs and the truth, for forward/backward in the row layout (identity read-out, mse)."""
    params, xs, _, spec, h0, weights = case(scope, seed)
    H = params["W_hh"].shape[0]
    rng = np.random.default_rng(seed + 100)
    z = rng.normal(size=(xs.shape[0], xs.shape[1], H))
    time_major = flag(scope, "--layout", "batch-first") == "time-major"

    def lay(a):  # (T, N, ...) to the file's layout
        return a if time_major else a.swapaxes(0, 1)

    ours = {"Wx": params["W_xh"].T.copy(), "Wh": params["W_hh"].T.copy(), "b": params["b_h"]}
    h, cache = module.forward(lay(xs).copy(), h0.copy(), ours)
    h = lay(np.asarray(h))
    dh = weights[..., None] * (h - z)
    out = module.backward(lay(dh).copy(), cache)
    if isinstance(out, dict):
        out = [out[k] for k in ("dx", "dh0", "dWx", "dWh", "db")]
    dx, dh0, dWx, dWh, db = out
    theirs = {"loss": np.asarray(0.5 * np.sum(weights[..., None] * (h - z) ** 2))}
    theirs.update(xs=lay(np.asarray(dx)), h0=dh0, W_xh=np.asarray(dWx).T)
    theirs.update(W_hh=np.asarray(dWh).T, b_h=db)
    identity = {"W_hy": np.eye(H), "b_y": np.zeros(H), **{k: params[k] for k in PARAMS3}}
    return theirs, truth_of(identity, xs, z, spec, h0, weights)


PARAMS3 = ("W_xh", "W_hh", "b_h")
COLUMN_NAMES = {
    "Wxh": ("Wxh", "Whh", "Why", "bh", "by"),
    "UVW": ("U", "W", "V", "b", "c"),
}


def column_outputs(module, scope, seed):
    """Theirs and the truth for fn(params, inputs, targets, hprev), one sequence."""
    columns = flag(scope, "--inputs", "ids") == "columns"
    sub = [*scope, "--loss", "mse" if columns else "softmax_ce"]
    params, xs, targets, spec, h0, weights = case(sub, seed)
    D = params["W_xh"].shape[1]
    xs, targets, h0 = xs[:, :1], targets[:, :1], h0[:1]
    weights = np.zeros((len(xs), 1)) if "last" in scope else np.ones((len(xs), 1))
    weights[-1] = 1.0
    if columns:
        inputs = [x.reshape(-1, 1) for x in xs[:, 0]]
        wanted = [z.reshape(-1, 1) for z in targets[:, 0]]
    else:
        ids = np.random.default_rng(seed).integers(0, D, len(xs))
        xs = np.eye(D)[ids][:, None, :]
        inputs, wanted = [int(i) for i in ids], [int(c) for c in targets[:, 0]]
    names = COLUMN_NAMES[flag(scope, "--names", "Wxh")]
    ours = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")
    given = {
        n: params[o].reshape(params[o].shape[0], -1).copy()
        for n, o in zip(names, ours, strict=True)
    }
    out = module.loss_and_gradients(given, inputs, wanted, h0.T.copy())
    theirs = {"loss": np.asarray(out[0])}
    theirs.update(
        {o: np.asarray(g).reshape(params[o].shape) for o, g in zip(ours, out[1:6], strict=True)}
    )
    return theirs, truth_of(params, xs, targets, spec, h0, weights)


def torch_outputs(module, scope, seed):
    import torch

    params, xs, targets, spec, h0, weights = case(scope, seed)
    H, D = params["W_xh"].shape
    net = module.make(D, H, params["W_hy"].shape[0], spec["activation"]).double()
    named = dict(net.named_parameters())
    with torch.no_grad():
        for name, p in named.items():
            if name.endswith("weight_ih_l0"):
                p.copy_(torch.tensor(params["W_xh"]))
            elif name.endswith("weight_hh_l0"):
                p.copy_(torch.tensor(params["W_hh"]))
            elif name.endswith("bias_ih_l0"):
                p.copy_(torch.tensor(params["b_h"]))
            elif name.endswith("bias_hh_l0"):
                p.zero_()
            elif p.shape == params["W_hy"].shape:
                p.copy_(torch.tensor(params["W_hy"]))
            else:
                p.copy_(torch.tensor(params["b_y"]))
    x = torch.tensor(xs, requires_grad=True)
    h = torch.tensor(h0[None], requires_grad=True)
    ys = net(x, h)
    w = torch.tensor(weights)
    if spec["loss"] == "mse":
        loss = 0.5 * (w[..., None] * (ys - torch.tensor(targets)) ** 2).sum()
    else:
        logp = torch.log_softmax(ys, -1)
        loss = -(w * logp.gather(-1, torch.tensor(targets)[..., None])[..., 0]).sum()
    loss.backward()
    grads = {n: p.grad.numpy() for n, p in named.items()}
    theirs = {"loss": np.asarray(loss.item()), "xs": x.grad.numpy(), "h0": h.grad.numpy()[0]}
    for n, g in grads.items():
        key = next((k for k, s in SUFFIX.items() if n.endswith(s)), None)
        if key is None:
            key = "W_hy" if g.ndim == 2 else "b_y"
        theirs[key] = g
    return theirs, truth_of(params, xs, targets, spec, h0, weights)


SUFFIX = {"W_xh": "weight_ih_l0", "W_hh": "weight_hh_l0", "b_h": "bias_ih_l0"}


def compare(theirs: dict, truth: dict, rtol: float) -> set[str]:
    found = set()
    for name, ours in truth.items():
        if name not in theirs:
            continue
        mine = np.asarray(theirs[name], dtype=np.float64)
        scale = max(float(np.max(np.abs(ours))), 1e-300)
        if mine.shape != ours.shape or np.max(np.abs(mine - ours)) > rtol * scale:
            found.add(name)
    return found


OUTPUTS = {"layer": layer_outputs, "column": column_outputs, "torch": torch_outputs}


def main() -> int:
    bad = 0
    for path in run.corpus(sys.argv[1:]):
        expect = run.expectation(path)
        convention = run.convention_of(expect["scope"])
        spec = importlib.util.spec_from_file_location(f"corpus_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        seen, problems = set(), []
        for seed in range(3):
            try:
                if convention == "canonical":
                    seen |= differing(module, expect["scope"], seed)
                else:
                    theirs, truth = OUTPUTS[convention](module, expect["scope"], seed)
                    seen |= compare(theirs, truth, 1e-9)
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
