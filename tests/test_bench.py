"""The benchmark scripts run, so that they cannot rot between the runs that quote them."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_modes_measures_every_mode_on_a_tiny_shape(tmp_path, capsys):
    modes = _load("modes")
    out = tmp_path / "modes.json"
    modes.main(
        ["--shape", "6", "2", "3", "4", "2", "--k", "2", "--repeats", "2", "--json", str(out)]
    )
    printed = capsys.readouterr().out
    for mode in ("full", "window(2)", "chunk(2)"):
        assert mode in printed
    rows = json.loads(out.read_text())["rows"]
    assert [row["mode"] for row in rows] == ["full", "window(2)", "chunk(2)"]
    assert rows[0]["time_over_full"] == pytest.approx(1.0)
    # Every call keeps at least the states hs, so the peak cannot be below them.
    assert all(row["peak_over_hs"] >= 1.0 and row["median_ms"] > 0 for row in rows)
