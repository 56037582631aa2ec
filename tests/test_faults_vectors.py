"""Fault cases of the golden vectors under hostile input (docs/reliability.md counts them).

A suite is trusted only as its manifest and its tiers say: a digest may name only the files
of the cases it lists, a tolerance is its tier's and a tier's is the contract's, and
``--check-results`` judges only against numbers whose digests hold. Nothing ``--out``
replaces is someone else's. Every refusal is one line naming the file and the field.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnn_ref.cli import main
from verification.vectors import check_results

pytestmark = pytest.mark.fault

CASE = "basic-tanh-mse-full"


@pytest.fixture
def suite(golden_vectors: Path, tmp_path: Path) -> Path:
    target = tmp_path / "suite"
    shutil.copytree(golden_vectors, target)
    return target


def manifest(suite: Path) -> dict:
    return json.loads((suite / "manifest.json").read_text())


def write_manifest(suite: Path, document: dict) -> None:
    (suite / "manifest.json").write_text(json.dumps(document))


def rewrite_case(suite: Path, case_id: str, edit, *, digests: bool = True) -> None:
    """Edit a case's JSON with ``edit`` and (optionally) its manifest digest to match."""
    name = f"json/{case_id}.json"
    document = json.loads((suite / name).read_text())
    edit(document)
    data = (json.dumps(document, separators=(",", ":")) + "\n").encode()
    (suite / name).write_bytes(data)
    if digests:
        m = manifest(suite)
        m["sha256"][name] = hashlib.sha256(data).hexdigest()
        write_manifest(suite, m)


def one_error_line(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rnn-ref vectors: error: "), err
    for word in words:
        assert word in err, err
    return err


def results_file(path: Path, text: str) -> Path:
    path.write_text(
        '{"format": "rnn-ref-results", "version": 1, "implementation": "t", "results": '
        + text
        + "}"
    )
    return path


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/hostname", "json/../../x.json"])
def test_a_digest_may_name_only_the_files_of_the_cases(suite: Path, capsys, name: str) -> None:
    (suite.parent / "outside.txt").write_text("not the suite's")
    m = manifest(suite)
    m["sha256"][name] = "0" * 64
    write_manifest(suite, m)
    assert main(["vectors", "--verify", str(suite)]) == 2
    one_error_line(capsys, "sha256: expected only json/<id>.json and npz/<id>.npz", repr(name))


def test_a_tolerance_raised_consistently_everywhere_is_refused(suite: Path, capsys) -> None:
    """JSON, npz-independent labels, manifest entry and digest all agree on 0.5."""

    def loosen(document: dict) -> None:
        document["tolerance"] = 0.5
        document["inputs"]["xs"][0][0][0] *= 1.01

    rewrite_case(suite, CASE, loosen)
    m = manifest(suite)
    for entry in m["cases"]:
        if entry["id"] == CASE:
            entry["tolerance"] = 0.5
    write_manifest(suite, m)
    assert main(["vectors", "--verify", str(suite)]) == 2
    one_error_line(capsys, ".tolerance: expected 1e-10, the tolerance of the basic tier, got 0.5")


def test_a_tier_tolerance_is_the_contracts(suite: Path, capsys) -> None:
    m = manifest(suite)
    m["tiers"]["basic"]["tolerance"] = 0.999
    write_manifest(suite, m)
    assert main(["vectors", "--verify", str(suite)]) == 2
    one_error_line(capsys, "tiers.basic.tolerance: expected 1e-10 (the contract's), got 0.999")


def test_results_are_not_judged_against_an_edited_suite(
    suite: Path, tmp_path: Path, capsys
) -> None:
    """The case's JSON edited (expected W_hh doubled), its digest left stale."""

    def double(document: dict) -> None:
        grads = document["expected"]["gradients"]
        grads["W_hh"] = [[2 * x for x in row] for row in grads["W_hh"]]

    rewrite_case(suite, CASE, double, digests=False)
    results = results_file(tmp_path / "r.json", json.dumps({CASE: {"loss": 0.0}}))
    assert main(["vectors", "--check-results", str(results), "--vectors", str(suite)]) == 2
    one_error_line(capsys, "--vectors: expected an intact suite", f"json/{CASE}.json: SHA-256")


@pytest.mark.parametrize("kind", ["fifo", "symlink", "sparse"])
def test_a_listed_file_that_is_no_plain_file_is_not_read(suite: Path, kind: str) -> None:
    path = suite / "npz" / f"{CASE}.npz"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # hashing it would block forever
    elif kind == "symlink":
        path.symlink_to("/etc/hostname")
    else:
        with open(path, "wb") as file:
            file.truncate(2**40)  # 1 TiB of holes: minutes to hash
    report = main(["vectors", "--verify", str(suite)])
    assert report == 1
    from verification.vectors import verify

    problems = verify(suite).problems
    wanted = "expected at most" if kind == "sparse" else "expected a regular file"
    assert any(p.startswith(f"npz/{CASE}.npz: {wanted}") for p in problems), problems


def test_a_case_named_twice_in_a_results_file_is_refused(
    golden_vectors: Path, tmp_path: Path, capsys
) -> None:
    text = f'{{"{CASE}": {{"loss": 1e9}}, "{CASE}": {{"out_of_scope": "x"}}}}'
    results = results_file(tmp_path / "r.json", text)
    args = ["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]
    assert main(args) == 2
    one_error_line(capsys, f"expected each name once in an object, got {CASE!r} twice")


@pytest.mark.parametrize("digits", [309, 400, 5000])
def test_a_huge_integer_in_a_results_file_is_one_line(
    golden_vectors: Path, tmp_path: Path, capsys, digits: int
) -> None:
    """309 digits overflows float64; 5000 passes Python's own limit on int() of text."""
    results = results_file(tmp_path / "r.json", f'{{"{CASE}": {{"loss": {"9" * digits}}}}}')
    args = ["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]
    assert main(args) == 2
    err = one_error_line(capsys, "expected numbers within float64's range, got an integer")
    assert f"of {digits} digits" in err and str(results) in err


def test_a_huge_integer_in_a_case_is_named(suite: Path) -> None:
    def huge(document: dict) -> None:
        document["inputs"]["xs"][0][0][0] = int("9" * 400)

    rewrite_case(suite, CASE, huge)
    from verification.vectors import verify

    problems = verify(suite).problems
    assert any(
        p.startswith(f"json/{CASE}.json: expected numbers within float64's range") for p in problems
    ), problems


def test_a_boolean_in_a_results_array_is_not_a_number(golden_vectors: Path, tmp_path: Path) -> None:
    case = json.loads((golden_vectors / "json" / f"{CASE}.json").read_text())
    b_y = list(case["expected"]["gradients"]["b_y"])
    b_y[0] = True
    results = results_file(tmp_path / "r.json", json.dumps({CASE: {"b_y": b_y}}))
    report = check_results(results, golden_vectors)
    assert report.status == "fail"
    assert any("b_y: expected a float array" in line for line in report.failures[CASE])


def test_a_results_file_far_larger_than_the_suite_is_refused_unread(
    golden_vectors: Path, tmp_path: Path, capsys
) -> None:
    suite_bytes = sum(p.stat().st_size for p in (golden_vectors / "json").glob("*.json"))
    path = tmp_path / "r.json"
    with open(path, "w") as file:  # one array of numbers, 5 times the suite's JSON
        file.write('{"format": "rnn-ref-results", "version": 1, "implementation": "t", ')
        file.write(f'"results": {{"{CASE}": {{"W_hh": [')
        file.write("1.0," * (5 * suite_bytes // 4))
        file.write("1.0]}}}")
    args = ["vectors", "--check-results", str(path), "--vectors", str(golden_vectors)]
    assert main(args) == 2
    one_error_line(capsys, "expected at most", "bytes, got")


@pytest.mark.parametrize(
    "extra",
    ["json/notes.txt", "json/my_results.json", "npz/sub/x.npz", "npz-file", "foreign-manifest"],
)
def test_out_never_replaces_what_is_not_ours(suite: Path, capsys, extra: str) -> None:
    if extra == "foreign-manifest":
        (suite / "manifest.json").write_text('{"name": "my project"}')
        shutil.rmtree(suite / "npz")
        kept = suite / "manifest.json"
    elif extra == "npz-file":
        shutil.rmtree(suite / "npz")
        kept = suite / "npz"
        kept.write_text("a user's file named npz")
    else:
        kept = suite / extra
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text("a user's file")
    before = kept.read_bytes()
    assert main(["vectors", "--out", str(suite)]) == 2
    one_error_line(capsys, "--out: expected a new directory, an empty one or a previous suite")
    assert kept.read_bytes() == before


def expected_result(golden_vectors: Path, case_id: str, *names: str) -> dict:
    """The suite's own numbers for ``case_id``: the loss and the gradients named."""
    case = json.loads((golden_vectors / "json" / f"{case_id}.json").read_text())
    grads = case["expected"]["gradients"]
    return {"loss": case["expected"]["loss"]} | {name: grads[name] for name in names}


def test_results_that_give_only_the_loss_never_agree(
    golden_vectors: Path, tmp_path: Path, capsys
) -> None:
    """Every case holds its right loss and nothing else: no gradient compared, exit 2."""
    ids = [e["id"] for e in manifest(golden_vectors)["cases"]]
    document = {case_id: expected_result(golden_vectors, case_id) for case_id in ids}
    results = results_file(tmp_path / "r.json", json.dumps(document))
    report = check_results(results, golden_vectors)
    assert report.exit_code == 2 and report.counts["no_gradient"] == len(ids)
    args = ["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "AGREE" not in captured.out
    assert captured.out.count(": NOT CHECKED: the result gives loss and no gradient") == len(ids)
    assert f"not checked: W_xh, W_hh, b_h, W_hy, b_y, xs, h0 (not in the results of {len(ids)}" in (
        captured.out
    )
    assert "no gradient could be compared" in captured.err


def test_a_loss_only_case_beside_agreeing_ones_is_named_not_counted(
    golden_vectors: Path, tmp_path: Path
) -> None:
    other = "basic-tanh-mse-chunk"
    document = {
        CASE: expected_result(golden_vectors, CASE, "W_xh", "W_hh", "b_h", "W_hy", "b_y"),
        other: expected_result(golden_vectors, other),
    }
    report = check_results(results_file(tmp_path / "r.json", json.dumps(document)), golden_vectors)
    text = report.text()
    assert report.counts["agreed"] == 1 and report.counts["no_gradient"] == 1, text
    assert f"case {other}: NOT CHECKED" in text
    assert "AGREE: all 1 cases compared agree; 1 more gave no gradient (not checked)" in text


def test_every_run_says_what_it_did_not_check(golden_vectors: Path, tmp_path: Path) -> None:
    """A passing run too: the quantities left out, the cases out of scope and missing."""
    document = {
        CASE: expected_result(golden_vectors, CASE, "W_xh", "W_hh", "b_h", "W_hy", "b_y"),
        "basic-relu-mse-full": {"out_of_scope": "relu"},
    }
    report = check_results(results_file(tmp_path / "r.json", json.dumps(document)), golden_vectors)
    assert report.status == "agree"
    lines = report.text().splitlines()
    assert "not checked: xs, h0 (not in the results of 1 case)" in lines
    n = len(manifest(golden_vectors)["cases"]) - 2
    assert f"not checked: 1 case out of scope and {n} cases not in the results" in lines


# Ctrl-C and SIGTERM during --out: exit 130 or 143, and the suite as it was -----------------


def _signal_in_a_gc_callback(signum: int) -> None:
    """Send ``signum`` to this process from inside a garbage-collection callback, where
    Python drops an exception its handler raises ("Exception ignored in ..."), as it did
    in JAX's own callback one second into ``vectors --out``."""

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            os.kill(os.getpid(), signum)
            for _ in range(1000):  # the handler runs at the next bytecode boundaries
                pass

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)


@pytest.mark.parametrize("where", ["the first case", "the files written"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_python_drops_still_stops_the_suite(
    tmp_path: Path, monkeypatch, where: str, signum: int
) -> None:
    from rnn_ref.files import _process
    from verification.vectors import generate

    name = "expected_values" if where == "the first case" else "_write_files"
    original = getattr(generate, name)

    def dropped(*args):
        value = original(*args)
        _signal_in_a_gc_callback(signum)
        return value

    monkeypatch.setattr(generate, name, dropped)
    stop = KeyboardInterrupt if signum == signal.SIGINT else _process.Terminated
    with pytest.raises(stop):
        generate.write_suite(tmp_path / "suite")
    assert list(tmp_path.iterdir()) == []  # no suite, no stage


def _vectors_child(out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.Popen(
        [sys.executable, "-m", "rnn_ref", "vectors", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_during_out_leaves_the_previous_suite(
    suite: Path, signum: int, status: int, word: str
) -> None:
    """The signal is sent once the stage exists, while the first cases are computed."""
    before = {p: p.read_bytes() for p in sorted(suite.rglob("*")) if p.is_file()}
    process = _vectors_child(suite)
    for _ in range(6000):  # the stage appears before the first case is computed
        if any(".partial-" in p.name for p in suite.parent.iterdir()):
            break
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.send_signal(signum)
    out, err = process.communicate(timeout=300)
    assert process.returncode == status, err
    assert err == f"rnn-ref vectors: {word}\n".encode() and out == b""
    assert {p: p.read_bytes() for p in sorted(suite.rglob("*")) if p.is_file()} == before
    assert sorted(p.name for p in suite.parent.iterdir()) == ["suite"]  # no stage left


def test_out_of_scope_beside_numbers_is_refused(
    golden_vectors: Path, tmp_path: Path, capsys
) -> None:
    """A case both out of scope and given numbers: the numbers would go unchecked."""
    document = {CASE: {"out_of_scope": "relu", **expected_result(golden_vectors, CASE, "W_xh")}}
    results = results_file(tmp_path / "r.json", json.dumps(document))
    args = ["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]
    assert main(args) == 2
    one_error_line(capsys, f"[{CASE!r}]: expected out_of_scope alone, got also 'W_xh'")
