"""The case file (``rnn_ref.save_case`` / ``load_case``, ``docs/case-format.md``).

- Round trips for both losses, with padded positions (NaN targets for mse, -1 class ids for
  softmax_ce) and every ``expected_*`` member: every array comes back bit for bit, and the
  loaded case gives the same gradients as the original call.
- The file holds the documented members, dtypes and meta, readable with plain NumPy.
- ``save_case`` refuses what ``gradients`` refuses, and leaves no file behind.
- ``load_case`` refuses a meta of the wrong format, version, fields or types, with one line
  naming the file and the field (damaged archives are in ``test_faults_files.py``).
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from _helpers import uniform_params

import rnn_ref
from rnn_ref import Problem, Spec, load_case, save_case

T, B, D, H, O = 5, 3, 2, 4, 3


def make_problem(loss: str, *, expected: bool = False) -> Problem:
    """A case whose last two steps of sequence 1 are padding (weight 0)."""
    rng = np.random.default_rng(7)
    params = uniform_params(rng, D, H, O)
    xs = rng.uniform(-1, 1, size=(T, B, D))
    weights = rng.uniform(0.5, 2.0, size=(T, B))
    weights[-2:, 1] = 0.0
    if loss == "mse":
        targets = rng.uniform(-1, 1, size=(T, B, O))
        targets[-2:, 1] = np.nan
    else:
        targets = rng.integers(0, O, size=(T, B))
        targets[-2:, 1] = -1
    h0 = rng.uniform(-1, 1, size=(B, H))
    spec = Spec(activation="sigmoid", loss=loss, truncation=2, truncation_mode="chunk")
    found = None
    if expected:
        grads = rnn_ref.gradients(params, xs, targets, spec, h0=h0, weights=weights)
        trajectory = rnn_ref.forward(params, xs, h0, activation=spec.activation)
        found = {"loss": grads.loss, "hs": trajectory.hs, "ys": trajectory.ys}
        found |= {name: getattr(grads.params, name) for name in rnn_ref.Params.FIELDS}
        found |= {"xs": grads.xs, "h0": grads.h0}
    return Problem(params, xs, targets, spec, h0, weights, "a padded case: é ü", found)


def assert_same_arrays(ours: np.ndarray, theirs: np.ndarray, what: str) -> None:
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} != {theirs.dtype}"
    np.testing.assert_array_equal(ours, theirs, err_msg=what)  # NaN equals NaN here


@pytest.mark.parametrize("loss", ["mse", "softmax_ce"])
def test_round_trip_with_padding_and_expected_values(tmp_path, loss):
    problem = make_problem(loss, expected=True)
    path = save_case(tmp_path / "case.npz", problem)
    assert path == tmp_path / "case.npz"
    loaded = load_case(path)
    assert loaded.spec == problem.spec
    assert loaded.comment == problem.comment
    for name in rnn_ref.Params.FIELDS:
        assert_same_arrays(getattr(loaded.params, name), getattr(problem.params, name), name)
    for name in ("xs", "h0", "weights"):
        assert_same_arrays(getattr(loaded, name), getattr(problem, name), name)
    target_dtype = np.float64 if loss == "mse" else np.int64
    assert_same_arrays(loaded.targets, problem.targets.astype(target_dtype), "targets")
    assert loaded.expected is not None
    assert sorted(loaded.expected) == sorted(problem.expected)
    assert isinstance(loaded.expected["loss"], float)
    assert loaded.expected["loss"] == problem.expected["loss"]
    for name, value in problem.expected.items():
        if name != "loss":
            assert_same_arrays(loaded.expected[name], value, f"expected_{name}")
    again = rnn_ref.gradients(
        loaded.params, loaded.xs, loaded.targets, loaded.spec, **loaded.kwargs()
    )
    assert again.loss == problem.expected["loss"]
    np.testing.assert_array_equal(again.params.W_hh, problem.expected["W_hh"])
    np.testing.assert_array_equal(again.h0, problem.expected["h0"])


def test_without_expected_values_loads_none(tmp_path):
    path = save_case(tmp_path / "case.npz", make_problem("mse"))
    assert load_case(path).expected is None


def test_the_file_is_the_documented_plain_npz(tmp_path):
    problem = make_problem("softmax_ce", expected=True)
    path = save_case(tmp_path / "case.npz", problem)
    with zipfile.ZipFile(path) as archive:
        names = sorted(archive.namelist())
    expected_names = [*rnn_ref.Params.FIELDS, "xs", "targets", "h0", "weights", "meta"]
    expected_names += [f"expected_{name}" for name in problem.expected]
    assert names == sorted(f"{name}.npy" for name in expected_names)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        assert data["targets"].dtype == np.int64
        assert data["W_xh"].dtype == np.float64
        assert data["expected_loss"].shape == ()
    assert meta == {
        "format": "rnn-ref-case",
        "version": 1,
        "spec": {
            "activation": "sigmoid",
            "loss": "softmax_ce",
            "truncation": 2,
            "truncation_mode": "chunk",
        },
        "comment": "a padded case: é ü",
    }


def test_saved_file_has_normal_permissions_and_no_temporary(tmp_path):
    save_case(tmp_path / "case.npz", make_problem("mse"))
    assert [p.name for p in tmp_path.iterdir()] == ["case.npz"]


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"xs": np.zeros((T, B, D + 1))}, ValueError, "xs: expected D = 2"),
        ({"h0": np.zeros((B, H + 1))}, ValueError, "h0: expected shape (B, H) = (3, 4)"),
        ({"weights": -np.ones((T, B))}, ValueError, "weights: expected values >= 0"),
        ({"targets": np.full((T, B, O), np.nan)}, ValueError, "targets: expected finite"),
        ({"spec": "mse"}, TypeError, "problem.spec: expected an rnn_ref.Spec"),
        ({"comment": 3}, TypeError, "problem.comment: expected a str"),
        ({"expected": {"grad": 1.0}}, ValueError, "problem.expected: expected keys among"),
        ({"expected": {"hs": np.zeros((T, B, H))}}, ValueError, "(T+1, B, H) = (6, 3, 4)"),
        ({"expected": {"loss": np.inf}}, ValueError, "expected['loss']: expected finite"),
        ({"expected": {"loss": 1 + 1j}}, TypeError, "expected a real integer or floating"),
    ],
)
def test_save_refuses_what_gradients_refuses_and_writes_nothing(tmp_path, change, error, message):
    fields = make_problem("mse").__dict__ | change
    with pytest.raises(error) as caught:
        save_case(tmp_path / "case.npz", Problem(**fields))
    assert message in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_save_into_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="path: expected a file that can be written"):
        save_case(tmp_path / "no" / "case.npz", make_problem("mse"))


def rewrite_meta(path, meta) -> None:
    """Replace the meta member of the case at ``path`` by ``meta`` (any JSON value)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "meta"}
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))


GOOD_META = {
    "format": "rnn-ref-case",
    "version": 1,
    "spec": {"activation": "tanh", "loss": "mse", "truncation": None, "truncation_mode": "window"},
    "comment": "",
}


@pytest.mark.fault
@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ([1, 2], "member 'meta': expected a JSON object, got a JSON array [1, 2]"),
        ("text", "member 'meta': expected a JSON object, got a JSON string"),
        (GOOD_META | {"format": "other"}, "meta.format: expected 'rnn-ref-case', got 'other'"),
        (GOOD_META | {"version": 2}, "meta.version: expected 1, got 2 (written by a newer"),
        (GOOD_META | {"version": "1"}, "meta.version: expected an integer, got a JSON string"),
        (GOOD_META | {"version": True}, "meta.version: expected an integer, got a JSON boolean"),
        (GOOD_META | {"comment": None}, "meta.comment: expected a string, got a JSON null"),
        (GOOD_META | {"extra": 1}, "meta: expected the fields format, version, spec, comment"),
        ({k: v for k, v in GOOD_META.items() if k != "spec"}, "meta: expected a field 'spec'"),
        (GOOD_META | {"spec": [1]}, "meta.spec: expected an object of the Spec fields"),
        (GOOD_META | {"spec": {"loss": "mse"}}, "meta.spec: expected the fields activation"),
        (
            GOOD_META | {"spec": GOOD_META["spec"] | {"activation": "gelu"}},
            "spec.activation: expected one of 'tanh', 'sigmoid', 'relu', got 'gelu'",
        ),
        (
            GOOD_META | {"spec": GOOD_META["spec"] | {"truncation": 2.5}},
            "spec.truncation: expected None or an integer k >= 1",
        ),
        (
            GOOD_META | {"spec": GOOD_META["spec"] | {"loss": "softmax_ce"}},
            "targets: expected integer class ids",
        ),
    ],
)
def test_load_refuses_a_bad_meta_in_one_line(tmp_path, meta, message):
    path = save_case(tmp_path / "case.npz", make_problem("mse"))
    rewrite_meta(path, meta)
    with pytest.raises(ValueError) as caught:
        load_case(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"path {str(path)!r}")
    assert message in text
