"""The golden vectors: the suite's contents, byte identity, and ``--verify`` catching changes.

One suite is written per test session (the ``golden_vectors`` fixture of conftest: about
3 s, plus the JAX twin's compilations when nothing compiled them before); tests that
change files work on a copy.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import rnn_ref
from rnn_ref.cli import main
from verification.vectors import GenerationError, verify, write_suite
from verification.vectors.manifest import read_cases, read_manifest
from verification.vectors.suite import FLAGS, SUITE


@pytest.fixture
def suite_dir(golden_vectors: Path) -> Path:
    return golden_vectors


@pytest.fixture
def copy(suite_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(suite_dir, target)
    return target


def test_the_suite_covers_what_it_promises() -> None:
    assert len(SUITE) >= 60
    assert len({case.id for case in SUITE}) == len(SUITE)
    tiers = Counter(case.tier for case in SUITE)
    assert set(tiers) == {"basic", "edge", "hard"}
    used = {flag for case in SUITE for flag in case.flags}
    assert used == set(FLAGS), (
        f"flags defined but unused or used but undefined: {used ^ set(FLAGS)}"
    )
    combos = {
        (c.spec.activation, c.spec.loss, c.spec.truncation_mode if c.spec.truncation else "full")
        for c in SUITE
        if c.tier == "basic"
    }
    assert len(combos) == 3 * 2 * 3
    long = [c for c in SUITE if c.sizes[0] == 200]
    assert {"exploding", "vanishing"} <= {f for c in long for f in c.flags}


def test_parameters_are_asymmetric_and_never_constant() -> None:
    for case in SUITE:
        if case.zero_params:
            continue
        p = case.problem().params
        H = p.W_hh.shape[0]
        if H > 1:
            assert not np.allclose(p.W_hh, p.W_hh.T), case.id
        for a in p.arrays():
            assert a.size == 1 or np.unique(a).size == a.size, case.id


def test_the_manifest_lists_every_file_with_its_digest(suite_dir: Path) -> None:
    manifest = json.loads((suite_dir / "manifest.json").read_text())
    assert manifest["case_count"] == len(SUITE)
    assert manifest["flags"] == FLAGS
    assert manifest["generator_version"] == rnn_ref.__version__
    on_disk = sorted(
        p.relative_to(suite_dir).as_posix() for p in suite_dir.rglob("*") if p.is_file()
    )
    assert on_disk == sorted([*manifest["sha256"], "manifest.json"])
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((suite_dir / name).read_bytes()).hexdigest() == digest


def test_a_second_generation_replaces_a_suite_with_the_same_bytes(
    suite_dir: Path, copy: Path
) -> None:
    (copy / "json" / "basic-tanh-mse-full.json").write_text("{}")  # replaced whole
    write_suite(copy)
    names = sorted(p.relative_to(suite_dir) for p in suite_dir.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    for name in names:
        assert (suite_dir / name).read_bytes() == (copy / name).read_bytes(), name
    assert [p.name for p in copy.parent.iterdir()] == ["copy"]  # no stage left behind


def test_out_refuses_a_directory_with_other_files(tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["vectors", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnn-ref vectors: error: --out: expected")
    assert "'notes.txt'" in err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_generation_fails_loudly_when_the_twin_disagrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from verification import twin

    exact = twin.gradients

    def off(*args, **kwargs):  # dL/dW_hh off by 1e-9 relative: 10x the basic tolerance
        g = exact(*args, **kwargs)
        W_hh = g.params.W_hh * (1 + 1e-9)
        return dataclasses.replace(g, params=dataclasses.replace(g.params, W_hh=W_hh))

    monkeypatch.setattr(twin, "gradients", off)
    out = tmp_path / "suite"
    with pytest.raises(GenerationError, match=r"case basic-tanh-mse-full: the JAX twin's W_hh"):
        write_suite(out)
    assert main(["vectors", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a bug in rnn-ref, no vectors written" in err
    assert list(tmp_path.iterdir()) == []


def test_json_and_npz_hold_the_same_numbers(suite_dir: Path) -> None:
    manifest = read_manifest(suite_dir)
    cases, problems = read_cases(suite_dir, manifest)
    assert problems == []
    assert len(cases) == len(SUITE)
    for case in cases:
        npz = rnn_ref.load_case(suite_dir / "npz" / f"{case.id}.npz")
        assert np.array_equal(npz.params.W_hh, case.params.W_hh)
        assert np.array_equal(npz.expected["xs"], case.expected["xs"])
        assert npz.expected["loss"] == case.expected["loss"]


def test_padded_targets_are_null_in_json(suite_dir: Path) -> None:
    document = json.loads((suite_dir / "json" / "edge-padded-mse.json").read_text())
    weights = np.array(document["inputs"]["weights"])
    targets = document["inputs"]["targets"]
    assert (weights == 0).any()
    for t, b in zip(*np.nonzero(weights == 0), strict=True):
        assert targets[t][b] == [None] * document["sizes"]["O"]
    for t, b in zip(*np.nonzero(weights > 0), strict=True):
        assert all(isinstance(z, float) for z in targets[t][b])


def test_verify_passes_on_a_fresh_suite(suite_dir: Path, capsys) -> None:
    assert main(["vectors", "--verify", str(suite_dir)]) == 0
    assert "OK: 140 files match their SHA-256; all 70 cases recomputed" in capsys.readouterr().out


def test_verify_names_a_changed_file(copy: Path, capsys) -> None:
    path = copy / "npz" / "basic-tanh-mse-full.npz"
    data = bytearray(path.read_bytes())
    data[-30] ^= 1
    path.write_bytes(bytes(data))
    assert main(["vectors", "--verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "npz/basic-tanh-mse-full.npz: SHA-256 differs from the manifest" in out


def test_verify_names_a_changed_number_even_with_its_digest_updated(copy: Path) -> None:
    name = "json/hard-exploding-tanh.json"
    document = json.loads((copy / name).read_text())
    document["expected"]["gradients"]["W_hh"][2][1] *= 1 + 1e-6
    data = (json.dumps(document, separators=(",", ":")) + "\n").encode()
    (copy / name).write_bytes(data)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest))
    report = verify(copy)
    assert report.exit_code == 1
    assert any("hard-exploding-tanh: expected W_hh[2, 1]" in p for p in report.problems)
    assert any("npz/hard-exploding-tanh.npz: expected W_hh differs" in p for p in report.problems)


def test_verify_refuses_a_directory_without_a_suite(tmp_path: Path, capsys) -> None:
    assert main(["vectors", "--verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnn-ref vectors: error: ")
    assert "manifest.json" in err


def test_verify_names_a_malformed_case_and_a_missing_file(copy: Path) -> None:
    name = "json/edge-B1-mse.json"
    document = json.loads((copy / name).read_text())
    document["inputs"]["W_hh"] = document["inputs"]["W_hh"][:-1]
    data = (json.dumps(document) + "\n").encode()
    (copy / name).write_bytes(data)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
    (copy / "manifest.json").write_text(json.dumps(manifest))
    (copy / "npz" / "edge-T1-mse.npz").unlink()
    problems = verify(copy).problems
    assert "npz/edge-T1-mse.npz: missing (the manifest lists it)" in problems
    assert any(
        p.startswith("json/edge-B1-mse.json.inputs.W_hh: expected an array of shape (4, 4), got")
        for p in problems
    ), problems


def test_out_below_a_file_fails_at_once(tmp_path: Path, capsys) -> None:
    (tmp_path / "a-file").write_text("")
    assert main(["vectors", "--out", str(tmp_path / "a-file" / "suite")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("rnn-ref vectors: error: --out: expected a place where a directory")
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


BIG = 123456789.25  # written as 1e400, a JSON number that is infinite in float64


@pytest.mark.parametrize(
    ("case_id", "change", "message"),
    [
        ("edge-B1-mse", ("inputs", "xs", 0, 0, 0, True), "inputs.xs[0, 0, 0]: expected a number"),
        ("edge-T1-softmax-ce", ("inputs", "targets", 0, 0, 1e300), "expected integer class ids"),
        ("edge-size-1", ("expected", "gradients", "W_hh", 0, 0, math.inf), "got Infinity"),
        ("edge-size-1", ("expected", "loss", BIG), "expected finite numbers"),
        ("edge-size-1", ("tier", "gold"), ".tier: expected one of basic, edge, hard"),
    ],
)
def test_verify_reads_each_case_as_untrusted_json(
    copy: Path, case_id: str, change: tuple, message: str
) -> None:
    path = copy / "json" / f"{case_id}.json"
    document = json.loads(path.read_text())
    *keys, last, value = change
    target = document
    for key in keys:
        target = target[key]
    target[last] = value
    path.write_text(json.dumps(document).replace(str(BIG), "1e400"))  # inf in Python
    problems = verify(copy).problems
    assert f"json/{case_id}.json: SHA-256 differs from the manifest: the file was changed" in (
        problems
    )
    assert any(p.startswith(f"json/{case_id}.json") and message in p for p in problems[1:])
