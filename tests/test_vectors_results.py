"""Other implementations on the golden vectors: ``--check-results``, the plain-NumPy
consumer of docs/golden-vectors.md, and the JavaScript RNN of examples/vectors.

Node is required, never skipped: ``.ci/run`` runs on a machine with ``node`` on the PATH
(``apt-get install -y nodejs``), and a missing toolchain fails here.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnn_ref.cli import main
from verification.vectors import check_results

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "vectors"
#: The line of rnn.js that carries dL/dh back through W_hh^T, and its broken copy.
CARRY = "carried[b][j] += W_hh[i][j] * delta[i]; // carry"
HEAD = '{"format": "rnn-ref-results", "version": 1, "implementation": "", '
NOT_TRANSPOSED = "carried[b][j] += W_hh[j][i] * delta[i]; // carry"


def node() -> str:
    found = shutil.which("node")
    assert found, "node is not on the PATH: install Node.js (apt-get install -y nodejs)"
    return found


def run_js(script: Path, vectors: Path, out: Path) -> Path:
    subprocess.run([node(), str(script), str(vectors), str(out)], check=True, timeout=120)
    return out


def results_file(tmp_path: Path, results: dict, name: str = "results.json") -> Path:
    document = {
        "format": "rnn-ref-results",
        "version": 1,
        "implementation": "test",
        "results": results,
    }
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_the_javascript_rnn_passes_every_case_in_its_scope(
    golden_vectors: Path, tmp_path: Path, capsys
) -> None:
    results = run_js(EXAMPLES / "rnn.js", golden_vectors, tmp_path / "js.json")
    report = check_results(results, golden_vectors)
    assert report.status == "agree", report.text()
    c = report.counts
    assert c["failed"] == 0 and c["not_run"] == 0
    # in scope: tanh and sigmoid, both losses, full BPTT (k >= T is still "truncated")
    assert c["compared"] == 27 and c["out_of_scope"] == 43
    assert main(["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]) == 0
    out = capsys.readouterr().out
    assert "27 agree, 0 fail, 43 out of scope" in out
    assert "out of scope (15): activation relu is not implemented" in out
    assert "not checked: 43 cases out of scope\nAGREE" in out


def test_a_broken_copy_is_caught_and_named(golden_vectors: Path, tmp_path: Path, capsys) -> None:
    source = (EXAMPLES / "rnn.js").read_text()
    assert source.count(CARRY) == 1
    broken = tmp_path / "broken.js"
    broken.write_text(source.replace(CARRY, NOT_TRANSPOSED))
    results = run_js(broken, golden_vectors, tmp_path / "broken.json")
    report = check_results(results, golden_vectors)
    assert report.exit_code == 1
    # H = 1 has nothing to transpose; every other case in scope fails, named
    assert report.counts["failed"] >= 20
    for case_id, ids in report.mistake_ids.items():
        assert ids[0] == "w-hh-not-transposed", (case_id, ids)
    assert main(["vectors", "--check-results", str(results), "--vectors", str(golden_vectors)]) == 1
    out = capsys.readouterr().out
    assert "mistake: w-hh-not-transposed: W_xh, W_hh, b_h, xs, h0:" in out
    assert "dL/dW_hh  disagree" in out


def test_a_wrong_loss_is_reported_as_the_forward_pass(golden_vectors: Path, tmp_path: Path) -> None:
    case = json.loads((golden_vectors / "json" / "basic-tanh-mse-full.json").read_text())
    result = {"loss": case["expected"]["loss"] * 2, **case["expected"]["gradients"]}
    report = check_results(results_file(tmp_path, {"basic-tanh-mse-full": result}), golden_vectors)
    assert report.exit_code == 1
    text = report.text()
    assert "the forward pass differs" in text
    assert report.counts["not_run"] == 69


def test_json_integers_agree_and_nulls_or_nothing_fail(
    golden_vectors: Path, tmp_path: Path
) -> None:
    case = json.loads((golden_vectors / "json" / "edge-zero-params-mse.json").read_text())
    grads = case["expected"]["gradients"]
    exact = {"loss": case["expected"]["loss"], **grads}
    with_null = {**exact, "b_y": [None] * len(grads["b_y"])}
    path = results_file(
        tmp_path,
        {"edge-zero-params-mse": exact, "edge-zero-params-softmax-ce": {"out_of_scope": "x"}},
    )
    assert check_results(path, golden_vectors).status == "agree"
    report = check_results(
        results_file(tmp_path, {"edge-zero-params-mse": with_null}), golden_vectors
    )
    assert report.exit_code == 1
    assert "problem: b_y: expected a float array, got dtype object" in report.text()
    nothing = check_results(results_file(tmp_path, {"edge-zero-params-mse": {}}), golden_vectors)
    assert nothing.exit_code == 1
    assert "problem: none of loss, W_xh, W_hh, b_h, W_hy, b_y, xs, h0 was returned" in (
        nothing.text()
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "expected JSON, got an error at 1"),
        ("[]", "expected a JSON object, got list"),
        (
            '{"format": "x", "version": 1, "implementation": "", "results": {}}',
            ".format: expected 'rnn-ref-results'",
        ),
        (
            HEAD + '"results": {"nope": {}}}',
            ".results: expected case ids of the suite, got 'nope'",
        ),
        (
            '{"format": "rnn-ref-results", "version": 1, "implementation": "", "results": {}}',
            "no case could be compared",
        ),
        (
            HEAD + '"results": {}, "x": 1}',
            "unknown ['x']",
        ),
        (
            HEAD + '"results": {"basic-tanh-mse-full": {"loss": NaN}}}',
            "expected JSON numbers, got NaN",
        ),
    ],
)
def test_bad_results_files_get_one_line_and_exit_2(
    golden_vectors: Path, tmp_path: Path, capsys, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["vectors", "--check-results", str(path), "--vectors", str(golden_vectors)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("rnn-ref vectors: error: ") and message in err, err


def test_check_results_needs_both_flags(golden_vectors: Path, capsys) -> None:
    assert main(["vectors", "--check-results", "r.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnn-ref vectors: error: --check-results and --vectors: expected both")


def test_the_consumer_runs_on_fresh_vectors_without_rnn_ref(golden_vectors: Path) -> None:
    script = EXAMPLES / "consume.py"
    imported = {
        alias.name.split(".")[0]
        for node_ in ast.walk(ast.parse(script.read_text()))
        if isinstance(node_, ast.Import | ast.ImportFrom)
        for alias in (
            node_.names if isinstance(node_, ast.Import) else [ast.alias(node_.module or "")]
        )
    }
    assert imported <= {"hashlib", "json", "sys", "collections", "pathlib", "numpy"}, imported
    run = subprocess.run(
        [sys.executable, str(script), str(golden_vectors)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (
        run.stdout
        == "70 of 70 cases agree (36 basic, 24 edge, 10 hard); sha256 of 140 files checked\n"
    )
