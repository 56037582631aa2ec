"""Train every task with its defaults and write the figures and tables of docs/tasks.md.

    python docgen/task_plots.py            # about three minutes; writes into docs/img/
    python docgen/task_plots.py --quick --out /tmp/img   # tiny runs, to check the script

Each task runs as a user would run it, ``python -m rnn_ref train TASK --out DIR`` in a
fresh interpreter, so the wall time includes starting Python, the imports and the plots;
the PNGs that command writes are copied here under the task's name. Then the sine task is
trained again with window(k) for a few k, to compare with full BPTT, and with one default
at a time changed back to the tutorials' choice. The tables are
written as Markdown files that docs/tasks.md includes, so no number there is typed by hand.

OpenBLAS runs single-threaded here (``OPENBLAS_NUM_THREADS=1`` unless it is set already):
the matrices of these tasks are small, and on a machine whose cores are busy, OpenBLAS's
threads wait for each other and make the same run several times slower. Single-threaded,
the times do not depend on what else the machine is doing. The numbers are the same.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported

import argparse
import dataclasses
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rnn_ref import tasks
from rnn_ref.tasks import plots, sentiment, sine

ROOT = Path(__file__).resolve().parents[1]
RUNS = [  # (name in docs/img, task, extra flags)
    ("sine_tanh", "sine", []),
    ("sine_sigmoid", "sine", ["--activation", "sigmoid"]),
    ("sentiment", "sentiment", []),
    ("hello", "hello", []),
    ("chars", "chars", []),
]
QUICK = {  # tiny settings for --quick
    "sine": ["--epochs", "20", "--hidden", "4"],
    "sentiment": ["--epochs", "2", "--hidden", "8"],
    "hello": ["--epochs", "20"],
    "chars": ["--epochs", "2", "--hidden", "8", "--sample-every", "1"],
}
WINDOWS = (1, 2, 3, 6, 10, 25)  # window(k) of sine; T = 50, so full BPTT is k >= 50
CHANGES = [  # one setting of sine put back the way the tutorials have it, or left out
    ("none: the defaults", {}),
    ("`--init uniform01`: every weight from U(0, 1), as in the tutorials", {"init": "uniform01"}),
    ("`--truncation 6`: window(6), the tutorials' `bptt_truncate = 5`", {"truncation": 6}),
    ("`--betas 0.9 0.999`: Adam's usual second-moment decay", {"betas": (0.9, 0.999)}),
    ("`--schedule constant`: no decay of the learning rate", {"schedule": "constant"}),
    ("`--optimizer sgd --lr 0.1`: plain gradient descent", {"optimizer": "sgd", "lr": 0.1}),
]


def train_cli(task: str, flags: list[str], out: Path) -> tuple[dict, float]:
    """Run ``rnn-ref train`` in a fresh interpreter; its metrics.json and its wall time."""
    command = [sys.executable, "-m", "rnn_ref", "train", task, *flags, "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    return json.loads((out / "metrics.json").read_text()), wall


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table: the header, the separator line, one line per row."""
    lines = [header, ["---"] * len(header), *rows]
    return "".join("| " + " | ".join(cells) + " |\n" for cells in lines)


def results_table(rows: list[dict]) -> str:
    header = ["task", "figure", "rnn-ref, defaults", "the tutorials", "training", "whole command"]
    return markdown_table(
        header,
        [
            [
                r["task"],
                r["figure"],
                f"**{r['ours']}**",
                r["theirs"],
                f"{r['train_seconds']:.1f} s",
                f"{r['wall_seconds']:.1f} s",
            ]
            for r in rows
        ],
    )


def describe(name: str, metrics: dict) -> dict:
    """The figure of each run, as the results table shows it."""
    if name.startswith("sine"):
        bound = "0.001" if name == "sine_tanh" else "0.002"
        return {
            "task": f"sine, {name.split('_')[1]}",
            "figure": f"validation RMSE (issue: at most {bound})",
            "ours": f"{metrics['val_rmse']:.2e}",
            "theirs": "about 0.4 measured, 0.127 reported at best",
        }
    if name == "sentiment":
        right = int(np.trace(metrics["test_confusion"]))
        total = int(np.sum(metrics["test_confusion"]))
        return {
            "task": "sentiment",
            "figure": "test accuracy (40 sentences never trained on)",
            "ours": f"{metrics['test_accuracy']:.1%} ({right}/{total})",
            "theirs": "(no figure on this corpus)",
        }
    if name == "hello":
        return {
            "task": "hello",
            "figure": 'next character of "hell"',
            "ours": f"{metrics['predicted']} ({metrics['correct']}/4 right)",
            "theirs": "all four right is the goal",
        }
    return {
        "task": "chars",
        "figure": "cross-entropy per character on the sonnets",
        "ours": f"{metrics['loss']:.3f} nats ({metrics['bits_per_char']:.3f} bits)",
        "theirs": "(samples only)",
    }


def truncation_study(out: Path, quick: bool) -> list[dict]:
    """sine (tanh, defaults) trained with window(k) for each k, and with full BPTT."""
    config = sine.DEFAULTS
    if quick:
        config = dataclasses.replace(config, epochs=20, hidden=4)
    rows, curves = [], {}
    for k in (*WINDOWS, None):
        run, _ = tasks.train("sine", dataclasses.replace(config, truncation=k))
        label = "full" if k is None else f"window({k})"
        curves[label] = run.history.val_loss
        rows.append(
            {
                "gradient": label,
                "val_rmse": run.metrics["val_rmse"],
                "train_rmse": run.metrics["train_rmse"],
                "train_seconds": run.metrics["train_seconds"],
            }
        )
    fig = plots.figure(6.4, 3.8)
    ax = fig.add_subplot()
    for label, val in curves.items():
        ax.plot(np.arange(1, len(val) + 1), np.sqrt(2 * np.asarray(val)), label=label, lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation RMSE")
    ax.set_title("sine, tanh: window(k) against full BPTT (T = 50)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", ncols=2)
    plots.save(fig, out / "sine_truncation.png")
    return rows


def changes_study(quick: bool) -> list[dict]:
    """sine with one change from the defaults at a time, for tanh and sigmoid."""
    rows = []
    for label, change in CHANGES:
        row = {"change": label}
        for activation in ("tanh", "sigmoid"):
            config = dataclasses.replace(sine.DEFAULTS, activation=activation, **change)
            if quick:
                config = dataclasses.replace(config, epochs=20, hidden=4)
            run, _ = tasks.train("sine", config)
            row[activation] = run.metrics["val_rmse"]
        rows.append(row)
    return rows


def seeds_study(quick: bool) -> dict:
    """The headline figures of sine (tanh) and sentiment for a few seeds."""
    found: dict = {"sine_tanh_val_rmse": [], "sentiment_test_accuracy": []}
    for seed in range(4):
        config = dataclasses.replace(sine.DEFAULTS, seed=seed)
        if quick:
            config = dataclasses.replace(config, epochs=20, hidden=4)
        found["sine_tanh_val_rmse"].append(tasks.train("sine", config)[0].metrics["val_rmse"])
    for seed in range(5):
        config = dataclasses.replace(sentiment.DEFAULTS, seed=seed)
        if quick:
            config = dataclasses.replace(config, epochs=2, hidden=8)
        run, _ = tasks.train("sentiment", config)
        found["sentiment_test_accuracy"].append(run.metrics["test_accuracy"])
    return found


def changes_table(rows: list[dict]) -> str:
    lines = [
        "| what is different from the defaults | validation RMSE, tanh | sigmoid |",
        "| --- | --- | --- |",
    ]
    for r in rows:
        lines.append(f"| {r['change']} | {r['tanh']:.2e} | {r['sigmoid']:.2e} |")
    return "\n".join(lines) + "\n"


def truncation_table(rows: list[dict]) -> str:
    full = next(r for r in rows if r["gradient"] == "full")
    header = ["gradient", "validation RMSE", "training RMSE", "RMSE / full", "training time"]
    return markdown_table(
        header,
        [
            [
                r["gradient"],
                f"{r['val_rmse']:.2e}",
                f"{r['train_rmse']:.2e}",
                f"{r['val_rmse'] / full['val_rmse']:.3g}",
                f"{r['train_seconds']:.1f} s",
            ]
            for r in rows
        ],
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, OPENBLAS_NUM_THREADS={threads}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--quick", action="store_true", help="tiny runs, to test the script")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    rows, everything = [], {"machine": machine(), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, task, flags in RUNS:
            run_dir = Path(tmp) / name
            flags = flags + (QUICK[task] if args.quick else [])
            metrics, wall = train_cli(task, flags, run_dir)
            for png in run_dir.glob("*.png"):
                shutil.copy(png, args.out / f"{name}_{png.name}")
            if task == "chars":
                shutil.copy(run_dir / "samples.txt", args.out / "chars_samples.txt")
            row = describe(name, metrics["metrics"])
            row |= {"train_seconds": metrics["metrics"]["train_seconds"], "wall_seconds": wall}
            rows.append(row)
            everything["runs"][name] = {"summary": metrics["summary"], "wall_seconds": wall}
            print(f"{name}: {wall:.1f} s  {metrics['summary'].splitlines()[-1]}", flush=True)
    study = truncation_study(args.out, args.quick)
    everything["sine_truncation"] = study
    changes = changes_study(args.quick)
    everything["sine_changes"] = changes
    seeds = seeds_study(args.quick)
    everything["seeds"] = seeds
    sine_seeds = ", ".join(f"{x:.2e}" for x in seeds["sine_tanh_val_rmse"])
    sentiment_seeds = ", ".join(f"{x:.1%}" for x in seeds["sentiment_test_accuracy"])

    note = f"\nMeasured on {machine()}.\n"
    seeds_note = (
        f"\nWith seeds 0, 1, 2, 3 instead of 0, full BPTT ends at a validation RMSE of "
        f"{sine_seeds} (tanh); with seeds 0 to 4, sentiment's test accuracy is "
        f"{sentiment_seeds}.\n"
    )
    (args.out / "tasks_results.txt").write_text(
        results_table(rows) + seeds_note + note, encoding="utf-8"
    )
    (args.out / "sine_truncation.txt").write_text(
        truncation_table(study) + seeds_note.split(";")[0] + ".\n" + note, "utf-8"
    )
    (args.out / "sine_changes.txt").write_text(changes_table(changes) + note, "utf-8")
    (args.out / "tasks_results.json").write_text(json.dumps(everything, indent=2) + "\n")
    print(truncation_table(study))


if __name__ == "__main__":
    main()
