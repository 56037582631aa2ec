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


def test_profile_phases_add_up_to_the_gradient_call(tmp_path, capsys):
    """bench/profile.py runs the statements of rnn_ref.gradients one by one; it checks
    that they still compute exactly what gradients does, and reports every phase."""
    profile = _load("profile")
    out = tmp_path / "profile.json"
    result = profile.main(
        ["--shape", "5", "2", "3", "4", "2", "--calls", "2", "--gemm-n", "32", "--json", str(out)]
    )
    printed = capsys.readouterr().out
    for phase in ("validate", "forward (1)(2)", "backward loop (8)(9)", "dW_hh (11)", "total"):
        assert phase in printed
    written = json.loads(out.read_text())
    assert written["shape"] == [5, 2, 3, 4, 2] and written["total_ms"] == result["total_ms"]
    assert sum(result["phases_ms"].values()) == pytest.approx(result["total_ms"])
    assert 0 < result["of_gemm"] == pytest.approx(result["gflops"] / result["gemm_gflops"])


def test_profile_stops_when_its_phases_drift_from_gradients():
    profile = _load("profile")
    p = profile.peers.make_problem((4, 2, 3, 5, 2))
    _, s = profile.profile_once(p, profile.phases(p))
    s["W_hh"] = s["W_hh"] * (1 + 1e-15) + 1e-300  # a few ulps are enough
    with pytest.raises(SystemExit, match="no longer computes what"):
        profile.check_equal(p, s)


def test_versions_compares_a_revision_with_this_checkout(capsys):
    """Against HEAD the two versions are the same code: equal gradients (difference 0,
    unless the working tree is mid-change, which CI's clean checkout never is)."""
    versions = _load("versions")
    rows = versions.main(["HEAD", "--shape", "4", "2", "3", "5", "2", "--repeats", "1"])
    assert [row["mode"] for row in rows] == ["full", "window(8)", "chunk(8)"]
    assert all(row["before_ms"] > 0 and row["after_ms"] > 0 for row in rows)
    assert all(row["difference"] < 1e-12 for row in rows)
    assert "after/before" in capsys.readouterr().out


def test_versions_names_a_revision_git_does_not_know():
    versions = _load("versions")
    with pytest.raises(SystemExit, match="git archive no-such-revision"):
        versions.main(["no-such-revision", "--shape", "2", "1", "1", "2", "1"])


def test_profile_lines_times_every_line_of_the_loops(capsys):
    """--lines runs line_profiler when it is installed (the bench extra), and otherwise
    says what to install; either way it must not fail in another way."""
    profile = _load("profile")
    args = ["--lines", "--shape", "5", "2", "3", "4", "2", "--calls", "2"]
    if not profile.peers.installed("line_profiler"):
        with pytest.raises(SystemExit, match="needs line_profiler"):
            profile.main(args)
        return
    result = profile.main(args)
    printed = capsys.readouterr().out
    assert "a_t += np.dot(h_prev, W_hh_T, out=Wh)" in printed  # the forward step
    assert "np.dot(dh, W_hh, out=dh_next)" in printed  # the backward step
    assert set(result["functions_ms"]) == {"gradients", "_states", "_chunk_deltas"}
    assert all(ms > 0 for ms in result["functions_ms"].values())
