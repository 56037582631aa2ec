"""Damaged, tampered and hostile files: ``rnn-ref predict --params`` and ``rnn_ref.load_case``.

Every file here is made by the test: a good ``params.npz`` or case file cut at many lengths,
with a flipped byte, replaced by another kind of file (text, ``.npy``, FIFO, device,
directory), with a ``meta`` of the wrong shape, complex / bool / object arrays, an ``.npy``
header that declares 10^14 numbers, a zip bomb, a transposed ``W_xh``. Each case must get
one line (``rnn-ref predict: error: ...`` and exit 2 through the CLI; one ``ValueError``
line from ``load_case``) that names the file, with under 10 MiB of memory traced, or, for a
flipped byte that only touches bytes nobody reads, the same result as the intact file.
Nothing may block: every call runs under an alarm, which fails a call that hangs (it measures
no speed: timings are the benchmarks' job).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy_format

import rnn_ref
from rnn_ref import cli
from rnn_ref.tasks.characters import chars_sizes
from rnn_ref.tasks.hello import HELLO, HELLO_TASK
from rnn_ref.tasks.runs import load_params
from rnn_ref.tasks.sine import TASK as SINE_TASK

pytestmark = pytest.mark.fault

PEAK = 10 * 2**20  # the memory every refusal may take, at most: it reads headers, not data
H = 8
HELLO_ALPHABET = sorted(set(HELLO))


@contextlib.contextmanager
def traced_peak():
    """Yield a list that holds, on exit, the peak memory traced by tracemalloc in the block."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
        peak.append(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


@contextlib.contextmanager
def alarm(seconds: float = 10.0):
    """Fail instead of hanging, should a call block (a FIFO opened for reading does)."""

    def ring(signum, frame):
        raise TimeoutError(f"blocked for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_npz(path: Path, arrays: dict, meta: object) -> Path:
    """An .npz as ``rnn-ref train`` writes it; ``meta`` goes in as JSON text."""
    np.savez(path, **arrays, meta=np.array(json.dumps(meta)))
    return path


def hello_arrays() -> dict[str, np.ndarray]:
    params = rnn_ref.init_params(len(HELLO_ALPHABET), H, len(HELLO_ALPHABET), seed=3)
    return {name: getattr(params, name) for name in rnn_ref.Params.FIELDS}


def hello_meta() -> dict:
    config = HELLO_TASK.defaults.to_dict() | {"hidden": H}
    return {"task": "hello", "config": config, "options": {}, "alphabet": HELLO_ALPHABET}


@pytest.fixture
def good_params(tmp_path) -> Path:
    return write_npz(tmp_path / "params.npz", hello_arrays(), hello_meta())


def predict(path: Path | str, task: str = "hello", *flags: str) -> tuple[int, str, str]:
    """``rnn-ref predict TASK --params PATH FLAGS`` in this process: status, stdout, stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        alarm(),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        status = cli.main(["predict", task, "--params", str(path), *flags])
    return status, stdout.getvalue(), stderr.getvalue()


def assert_refused(path: Path | str, *needles: str, task: str = "hello", flags=()) -> str:
    """``predict`` refuses ``path`` with one line containing ``needles``, exit 2, in bounded
    memory."""
    with traced_peak() as peak:
        status, stdout, stderr = predict(path, task, *flags)
    assert status == 2, f"exit {status}, stderr {stderr!r}"
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("rnn-ref predict: error: "), stderr
    assert "Traceback" not in stderr and "allow_pickle" not in stderr
    for needle in needles:
        assert needle in stderr, f"{needle!r} not in {stderr!r}"
    assert peak[0] < PEAK, f"peak {peak[0]} bytes"
    return stderr


def assert_case_refused(path: Path, *needles: str) -> str:
    """``load_case`` refuses ``path`` with one ``ValueError`` line naming it, in bounded memory."""
    with traced_peak() as peak, alarm(), pytest.raises(ValueError) as caught:
        rnn_ref.load_case(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"path {str(path)!r}"), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert peak[0] < PEAK, f"peak {peak[0]} bytes"
    return message


@pytest.fixture
def good_case(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    T, B, D, O = 3, 2, 2, 3
    params = rnn_ref.init_params(D, H, O, seed=1)
    problem = rnn_ref.Problem(
        params,
        rng.uniform(-1, 1, size=(T, B, D)),
        rng.integers(0, O, size=(T, B)),
        rnn_ref.Spec(loss="softmax_ce", truncation=2),
        rng.uniform(-1, 1, size=(B, H)),
        np.ones((T, B)),
        "a good case",
        {"loss": 1.5},
    )
    return rnn_ref.save_case(tmp_path / "case.npz", problem)


def same_case(a: rnn_ref.Problem, b: rnn_ref.Problem) -> bool:
    arrays = [(getattr(a.params, n), getattr(b.params, n)) for n in rnn_ref.Params.FIELDS]
    arrays += [(getattr(a, n), getattr(b, n)) for n in ("xs", "targets", "h0", "weights")]
    return (
        all(np.array_equal(x, y) for x, y in arrays)
        and a.spec == b.spec
        and a.comment == b.comment
        and a.expected == b.expected
    )


# The good files are good ---------------------------------------------------------------


def test_the_good_params_file_predicts(good_params):
    status, stdout, stderr = predict(good_params)
    assert (status, stderr) == (0, "")
    assert stdout.splitlines()[-1].startswith("hello (tanh): ")


# Cut short, flipped bytes --------------------------------------------------------------


def spread(size: int, stride: int, tail: int = 40) -> list[int]:
    """Every ``stride``-th offset, and every one of the last ``tail`` (the zip's directory)."""
    return sorted({*range(0, size, stride), *range(max(size - tail, 0), size)})


def test_params_cut_at_many_lengths_through_the_cli(good_params, tmp_path):
    data = good_params.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in spread(len(data), len(data) // 30, tail=10):
        cut.write_bytes(data[:length])
        assert_refused(cut, str(cut))


def test_params_cut_at_many_lengths(good_params, tmp_path):
    data = good_params.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in spread(len(data), 5):
        cut.write_bytes(data[:length])
        with alarm(), pytest.raises(ValueError, match=f"^--params {str(cut)!r}: "):
            load_params(cut, "hello")


def test_case_cut_at_many_lengths(good_case, tmp_path):
    data = good_case.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in spread(len(data), 11):
        cut.write_bytes(data[:length])
        assert_case_refused(cut)


def test_params_with_a_flipped_byte_through_the_cli(good_params, tmp_path):
    """A flip is refused in one line, or touched a byte that is never read (a time stamp,
    say) and the prediction is the intact file's."""
    data = good_params.read_bytes()
    _, intact, _ = predict(good_params)
    flipped = tmp_path / "flipped.npz"
    for offset in spread(len(data), len(data) // 30, tail=10):
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        flipped.write_bytes(damaged)
        status, stdout, _ = predict(flipped)
        if status == 0:
            assert stdout == intact, f"byte {offset}: a different prediction"
        else:
            assert_refused(flipped)


def test_params_with_a_flipped_byte_anywhere(good_params, tmp_path):
    data = good_params.read_bytes()
    intact, _ = load_params(good_params)
    flipped = tmp_path / "flipped.npz"
    refused = 0
    offsets = spread(len(data), 4)
    for offset in offsets:
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        flipped.write_bytes(damaged)
        try:
            with alarm():
                loaded, _ = load_params(flipped)
        except ValueError as error:
            refused += 1
            assert "\n" not in str(error) and str(error).startswith(f"--params {str(flipped)!r}")
        else:
            same = map(np.array_equal, loaded.arrays(), intact.arrays())
            assert all(same), f"byte {offset}: different parameters"
    assert refused > len(offsets) // 2  # most bytes matter


def test_case_with_a_flipped_byte_anywhere(good_case, tmp_path):
    data = good_case.read_bytes()
    intact = rnn_ref.load_case(good_case)
    flipped = tmp_path / "flipped.npz"
    for offset in spread(len(data), 11):
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        flipped.write_bytes(damaged)
        try:
            with alarm():
                loaded = rnn_ref.load_case(flipped)
        except ValueError:
            assert_case_refused(flipped)
        else:
            assert same_case(loaded, intact), f"byte {offset}: a different case"


def test_a_flipped_byte_in_the_data_is_a_crc_error(good_params, tmp_path):
    data = bytearray(good_params.read_bytes())
    offset = data.index(hello_arrays()["W_hh"].tobytes())
    data[offset + 3] ^= 0x01
    flipped = tmp_path / "flipped.npz"
    flipped.write_bytes(data)
    assert_refused(flipped, "damaged or cut-short", "Bad CRC-32", str(flipped))


# Not an npz at all ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "expected an .npz archive (zip), got an empty file"),
        (b"W_xh,W_hh\n1,2\n", "expected an .npz archive (zip), got a file that starts with"),
        (b"PK\x03\x04 a zip in name only", "expected an intact .npz archive"),
    ],
    ids=["empty", "text", "zip-magic-only"],
)
def test_not_an_npz(tmp_path, content, needle):
    path = tmp_path / "params.npz"
    path.write_bytes(content)
    assert_refused(path, needle)
    assert_case_refused(path, needle)


def test_an_npy_file(tmp_path):
    path = tmp_path / "params.npy"
    np.save(path, np.zeros((3, 3)))
    assert_refused(path, "expected an .npz archive (zip), got an .npy array")
    assert_case_refused(path, "got an .npy array")


def test_a_missing_file(tmp_path):
    assert_refused(tmp_path / "nothing.npz", "expected an existing file, got no such file")


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_not_a_regular_file_never_blocks(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "params.npz"
        os.mkfifo(path)
        what = "a FIFO (named pipe)"
    elif kind == "device":
        path, what = Path("/dev/zero"), "a character device"
    else:
        path, what = tmp_path, "a directory"
    assert_refused(path, f"expected a regular file, got {what}")
    assert_case_refused(path, f"expected a regular file, got {what}")


# Members: names, dtypes, headers, sizes -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"W_xh": np.zeros((H, 4), dtype=np.complex128)}, "got dtype complex128"),
        ({"W_hh": np.zeros((H, H), dtype=bool)}, "got dtype bool"),
        ({"b_h": np.array(["a"] * H)}, "got dtype <U1"),
        ({"b_y": np.array([None] * 4, dtype=object)}, "got dtype object"),
        ({"W_hy": np.zeros((4, H), dtype=[("a", "<f8")])}, "expected real numbers"),
        ({"W_hh": np.zeros((H, H), dtype=np.longdouble)}, "expected float16, float32 or float64"),
        ({"b_h": np.zeros((H, 1))}, "member 'b_h': expected a 1-d array, got shape (8, 1)"),
        ({"extra": np.zeros(1)}, "expected members among W_xh, W_hh, b_h, W_hy, b_y, meta"),
        ({"W_hh": np.full((H, H), np.nan)}, "params.W_hh: expected finite values, got nan"),
    ],
    ids=["complex", "bool", "text", "object", "structured", "longdouble", "rank", "extra", "nan"],
)
def test_a_member_of_the_wrong_kind(tmp_path, change, needle):
    path = write_npz(tmp_path / "params.npz", hello_arrays() | change, hello_meta())
    assert_refused(path, needle, "params.npz")


def test_a_missing_member(tmp_path):
    arrays = hello_arrays()
    del arrays["b_y"]
    path = write_npz(tmp_path / "params.npz", arrays, hello_meta())
    assert_refused(path, "got none named b_y")


def test_a_member_twice(tmp_path, good_params):
    with (
        zipfile.ZipFile(good_params, "a") as archive,
        pytest.warns(UserWarning, match="Duplicate name"),
    ):
        archive.writestr("b_y.npy", b"")
    assert_refused(good_params, "expected each member once, got 'b_y' twice")


def header_bytes(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    stream = io.BytesIO()
    npy_format.write_array_header_1_0(
        stream, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return stream.getvalue()


def test_a_header_that_declares_1e14_numbers(tmp_path, good_params):
    """The header claims 10^14 float64 (800 TB): refused from the header, in bounded memory."""
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(good_params) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename == "W_hh.npy":
                target.writestr("W_hh.npy", header_bytes((10**7, 10**7)) + bytes(64))
            else:
                target.writestr(info, source.read(info))
    stderr = assert_refused(path, "member 'W_hh'", "shape (10000000, 10000000)")  # < PEAK
    assert "800000000000000" in stderr


def test_a_header_of_an_unknown_version(tmp_path, good_params):
    path = tmp_path / "v9.npz"
    with zipfile.ZipFile(good_params) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "W_hh.npy":
                data = data[:6] + b"\x09\x00" + data[8:]
            target.writestr(info, data)
    assert_refused(path, "member 'W_hh': expected an .npy header of format 1.0 or 2.0")


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """320 MiB of zeros deflated into a 1.4 MB member (a valid .npy header first)."""
    path = tmp_path_factory.mktemp("bomb") / "params.npz"
    arrays = hello_arrays()
    chunk = bytes(2**24)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for name, array in arrays.items():
            if name != "W_hh":
                buffer = io.BytesIO()
                np.save(buffer, array)
                bomb.writestr(f"{name}.npy", buffer.getvalue())
        bomb.writestr("meta.npy", _npy(np.array(json.dumps(hello_meta()))))
        with bomb.open("W_hh.npy", "w", force_zip64=True) as member:
            member.write(header_bytes((2**12, 2**12 * 5 // 2)))
            for _ in range(20):
                member.write(chunk)
    assert path.stat().st_size < 2 * 2**20
    return path


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_inflates(zip_bomb):
    assert_refused(zip_bomb, "expected at most 268435456 bytes of contents")  # in < PEAK


def test_a_zip_bomb_as_a_case(zip_bomb):
    assert_case_refused(zip_bomb, "expected at most 268435456 bytes of contents")


def test_a_member_that_inflates_past_its_declared_size(tmp_path, good_params):
    """A bomb that lies: the zip declares W_hh's true size, but its deflate stream holds
    64 MiB more. Nothing is inflated past the declared size, and the CRC then fails."""
    path = tmp_path / "liar.npz"
    W_hh = _npy(hello_arrays()["W_hh"])
    with zipfile.ZipFile(good_params) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            if info.filename != "W_hh.npy":
                target.writestr(info, source.read(info))
        target.writestr("W_hh.npy", W_hh + bytes(64 * 2**20), zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    name = b"W_hh.npy"
    # The uncompressed size: at byte 22 of the local header (name at 30), at byte 24 of the
    # central directory's entry (name at 46).
    for signature, name_at, size_at in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = next(
            i
            for i in range(len(data))
            if data.startswith(signature, i) and data.startswith(name, i + name_at)
        )
        data[start + size_at : start + size_at + 4] = len(W_hh).to_bytes(4, "little")
    path.write_bytes(data)
    assert_refused(path, "damaged or cut-short", "Bad CRC-32")  # in < PEAK


def test_other_byte_orders_and_layouts_load_as_native_float64(tmp_path):
    arrays = hello_arrays()
    stored = arrays | {
        "W_hh": np.asfortranarray(arrays["W_hh"]).astype(">f8"),
        "W_xh": arrays["W_xh"].astype(np.float32),
        "b_y": np.zeros(4, dtype=">i4"),
    }
    path = write_npz(tmp_path / "params.npz", stored, hello_meta())
    params, _ = load_params(path, "hello")
    for name, array in zip(rnn_ref.Params.FIELDS, params.arrays(), strict=True):
        assert array.dtype == np.float64 and array.dtype.isnative, name
        np.testing.assert_array_equal(array, stored[name], err_msg=name)


def test_a_file_beyond_the_size_limit(tmp_path):
    path = tmp_path / "big.npz"
    with open(path, "wb") as file:  # sparse: no disk space taken
        file.truncate(2**28 + 1)
    assert_refused(path, "expected a file of at most 268435456 bytes, got 268435457 bytes")


# meta ----------------------------------------------------------------------------------


def without(mapping: dict, key: str) -> dict:
    return {k: v for k, v in mapping.items() if k != key}


META = hello_meta()
BAD_META = {
    "list": ([1, 2], "member 'meta': expected a JSON object, got a JSON array [1, 2]"),
    "number": (3.5, "member 'meta': expected a JSON object, got a JSON number 3.5"),
    "no-task": (without(META, "task"), "meta: expected a field 'task'"),
    "task-list": (META | {"task": ["hello"]}, "meta.task: expected the name of the task"),
    "task-unknown": (META | {"task": "poetry"}, "meta.task: expected one of 'sine'"),
    "no-config": (without(META, "config"), "meta: expected a field 'config'"),
    "config-list": (META | {"config": [1]}, "meta.config: expected an object of training"),
    "activation": (
        META | {"config": META["config"] | {"activation": ["tanh"]}},
        "meta.config.activation: expected a string, got a JSON array",
    ),
    "hidden": (
        META | {"config": META["config"] | {"hidden": "8"}},
        "meta.config.hidden: expected an integer, got a JSON string",
    ),
    "batch-size": (
        META | {"config": META["config"] | {"batch_size": -3}},
        "meta.config.batch_size: expected None or an integer >= 1, got -3",
    ),
    "config-unknown-key": (
        META | {"config": META["config"] | {"colour": 1}},
        "meta.config: expected settings among activation, hidden, ",
    ),
    "betas-text": (
        META | {"config": META["config"] | {"betas": "ab"}},
        "meta.config.betas: expected a list of two numbers, got a JSON string",
    ),
    "betas-one": (
        META | {"config": META["config"] | {"betas": [0.9]}},
        "meta.config.betas: expected a list of two numbers, got [0.9]",
    ),
    "lr": (
        META | {"config": META["config"] | {"lr": "fast"}},
        "meta.config.lr: expected a number, got a JSON string",
    ),
    "truncation": (
        META | {"config": META["config"] | {"truncation": 0}},
        "meta.config.truncation: expected None or an integer >= 1, got 0",
    ),
}


@pytest.mark.parametrize("name", BAD_META)
def test_a_bad_meta(tmp_path, name):
    meta, needle = BAD_META[name]
    path = write_npz(tmp_path / "params.npz", hello_arrays(), meta)
    assert_refused(path, needle, "params.npz")


def test_meta_that_is_not_json(tmp_path):
    np.savez(tmp_path / "params.npz", **hello_arrays(), meta=np.array("{task: hello"))
    assert_refused(tmp_path / "params.npz", "member 'meta': expected a JSON object, got invalid")


def test_meta_that_is_numbers(tmp_path):
    np.savez(tmp_path / "params.npz", **hello_arrays(), meta=np.zeros(3))
    assert_refused(tmp_path / "params.npz", "member 'meta': expected unicode text")


@pytest.mark.parametrize(
    ("alphabet", "needle"),
    [
        ("abc", "meta.alphabet: expected a list of distinct single characters, got a JSON"),
        ([], "got an empty list"),
        (["a", "bc"], "got 'bc' at index 1"),
        (["a", 1], "got 1 at index 1"),
        (["a", "a"], "got repetitions"),
    ],
)
def test_a_bad_chars_alphabet(alphabet, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        chars_sizes({"alphabet": alphabet}, "--params 'p.npz', meta")


@pytest.mark.parametrize(
    ("vocabulary", "needle"),
    [
        ({"happy": 0}, "meta.vocabulary: expected a list of distinct strings, got a JSON object"),
        (["good", ["bad"]], "meta.vocabulary: expected a list of distinct strings, got ['bad']"),
        (["good", "good", "bad", "day"], "got repetitions"),
        (["good", "bad", "day"], "member 'W_xh': expected shape (H, D) = (8, 3)"),
    ],
    ids=["object", "nested", "repeated", "too-short"],
)
def test_a_bad_sentiment_vocabulary(tmp_path, vocabulary, needle):
    """sentiment takes D from its vocabulary: four words, four inputs."""
    params = rnn_ref.init_params(4, H, 2, seed=0)
    arrays = {name: getattr(params, name) for name in rnn_ref.Params.FIELDS}
    config = HELLO_TASK.defaults.to_dict() | {"hidden": H}
    meta = {"task": "sentiment", "config": config, "options": {}, "vocabulary": vocabulary}
    path = write_npz(tmp_path / "params.npz", arrays, meta)
    assert_refused(path, needle, task="sentiment")


def test_a_chars_file_whose_meta_has_negative_streams(tmp_path):
    """Once 'expected at least -2 characters for -3 streams': now the field is named."""
    alphabet = sorted(set(" abc"))
    params = rnn_ref.init_params(len(alphabet), H, len(alphabet), seed=0)
    config = HELLO_TASK.defaults.to_dict() | {"hidden": H, "batch_size": -3}
    meta = {"task": "chars", "config": config, "options": {}, "alphabet": alphabet}
    arrays = {name: getattr(params, name) for name in rnn_ref.Params.FIELDS}
    path = write_npz(tmp_path / "params.npz", arrays, meta)
    assert_refused(
        path, "meta.config.batch_size: expected None or an integer >= 1, got -3", task="chars"
    )


def test_the_parameters_of_another_task(good_params):
    assert_refused(
        good_params, "expected the parameters of task 'sine', got those of 'hello'", task="sine"
    )


# Shapes against the meta -----------------------------------------------------------------


def test_a_transposed_W_xh_is_named_with_the_sizes_from_the_meta(tmp_path):
    """sine has D = 1: the expected shape comes from the task and config.hidden, not from
    the bad array."""
    params = rnn_ref.init_params(1, 16, 1, seed=0)
    arrays = {name: getattr(params, name) for name in rnn_ref.Params.FIELDS}
    arrays["W_xh"] = arrays["W_xh"].T
    meta = {"task": "sine", "config": SINE_TASK.defaults.to_dict() | {"hidden": 16}}
    path = write_npz(tmp_path / "params.npz", arrays, meta | {"options": {}})
    needle = (
        "member 'W_xh': expected shape (H, D) = (16, 1) (H from meta config.hidden, D and O "
        "of the task 'sine'), got (1, 16)"
    )
    assert_refused(path, needle, task="sine")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"hidden": 9}, "member 'W_xh': expected shape (H, D) = (9, 4)"),
        ({}, "member 'W_hy': expected shape (O, H) = (4, 8)"),
    ],
    ids=["hidden", "W_hy"],
)
def test_shapes_against_the_meta(tmp_path, change, needle):
    arrays = hello_arrays()
    if not change:
        arrays["W_hy"] = np.zeros((5, H))
    meta = hello_meta()
    meta["config"] |= change
    path = write_npz(tmp_path / "params.npz", arrays, meta)
    assert_refused(path, needle)


# predict's flags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (("--temperature", "-1"), "--temperature: expected a number > 0, got -1.0"),
        (("--temperature", "0"), "--temperature: expected a number > 0, got 0.0"),
        (("--temperature", "nan"), "--temperature: expected a number > 0, got nan"),
        (("--sample-length", "-5"), "--sample-length: expected an integer >= 1, got -5"),
        (("--sample-length", "0"), "--sample-length: expected an integer >= 1, got 0"),
        (("--seed", "-1"), "--seed: expected an integer >= 0, got -1"),
    ],
)
def test_predict_chars_flags(good_params, flags, needle):
    """Checked before the file is read: the good hello file is not even a chars file."""
    assert_refused(good_params, needle, task="chars", flags=flags)
