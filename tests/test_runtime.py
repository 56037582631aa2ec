"""How the twin's JAX programs run (``verification.runtime``): float64 for our programs only,
and a persistent compilation cache that a second process reads instead of compiling.

- A fresh process, as a user runs it: importing the twin and the oracles and calling them
  leaves the user's JAX in float32, the user's own persistent cache and its settings in
  place, and the user's programs out of our cache; the twin's results are float64 NumPy
  arrays and agree with ``rnn_ref.gradients`` to the twin tests' tolerance (1e-10,
  ``tests/test_twin.py``). A second process finds every program in the cache and writes
  nothing new.
- In this process: the twin runs in float64 inside a float32 block of user code, a program
  traced in float64 is not reused for float32 calls, and a second call of the same bucket
  traces nothing, user code in between or not; a user logging at INFO level sees no line
  from our cache swaps.
- Where the cache goes: ``configure_cache``, ``RNN_REF_JAX_CACHE``, the XDG default, and
  their errors; ``rnn-ref verify --no-jax-cache`` and its help.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from _helpers import uniform_params

import rnn_ref
from rnn_ref import Spec, cli
from verification import runtime, twin

RTOL = 1e-10  # that of tests/test_twin.py: two float64 evaluations of the same sums
ROOT = Path(__file__).resolve().parents[1]
TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
#: The cache entries of the programs USER_SESSION compiles, by name (before the key).
PROGRAMS = ["jit__grad_program", "jit__jvp_program", "jit__loss_program"]

# A user's session: their own persistent cache (argv[1]) with a minimum compile time of 0,
# their programs before and after ours, then one twin gradient and one forward-mode
# derivative. Prints what a test needs to judge it.
USER_SESSION = """
import json, sys
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_compilation_cache_dir", sys.argv[1])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
events = []
jax.monitoring.register_event_listener(lambda event, **_: events.append(event))

import rnn_ref
from rnn_ref import Params, Spec
from verification import compare, oracles, twin

def user_program(c):
    return jax.jit(lambda x: jnp.sin(x) * c)(jnp.ones(3)).dtype.name

dtypes = [jnp.ones(3).dtype.name, user_program(2.0)]
rng = np.random.default_rng(7)
T, B, D, H, O = 5, 2, 3, 4, 2
params = Params(*(rng.uniform(-0.5, 0.5, s) for s in ((H, D), (H, H), (H,), (O, H), (O,))))
xs, targets = rng.uniform(-1, 1, (T, B, D)), rng.uniform(-1, 1, (T, B, O))
spec = Spec("tanh", "mse", 3, "window")
events.clear()
ours = twin.gradients(params, xs, targets, spec)
jvp = oracles.forward_mode(params, xs, targets, spec, [[np.ones(s) for s in
    oracles.point_shapes(params, xs)]])
ours_events = list(events)
compare.assert_gradients_close(
    ours, rnn_ref.gradients(params, xs, targets, spec), rtol=float(sys.argv[2]), config="user")
dtypes += [user_program(3.0), jnp.ones(3).dtype.name]
print(json.dumps({
    "user_dtypes": dtypes,
    "ours": sorted({f"{type(a).__name__} {a.dtype}" for a in (*ours.params.arrays(), ours.xs,
        ours.h0, jvp)} | {type(ours.loss).__name__}),
    "user_settings": [jax.config.jax_compilation_cache_dir,
        jax.config.jax_persistent_cache_min_compile_time_secs],
    "hits": ours_events.count("/jax/compilation_cache/cache_hits"),
    "writes": ours_events.count("/jax/compilation_cache/cache_misses"),
}))
"""


def user_session(our_cache: Path, user_cache: Path) -> dict:
    """Run ``USER_SESSION`` in a fresh process with our cache in ``our_cache``."""
    result = subprocess.run(
        [sys.executable, "-c", USER_SESSION, str(user_cache), str(RTOL)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, runtime.CACHE_ENV: str(our_cache)},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def entries(directory: Path) -> set[str]:
    """The cache entries in ``directory``, one file per compiled program."""
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


def test_a_user_session_keeps_float32_and_its_own_cache_and_a_second_one_compiles_nothing(
    tmp_path,
):
    ours, users = tmp_path / "ours", tmp_path / "users"
    first = user_session(ours, users)

    assert first["user_dtypes"] == ["float32"] * 4
    assert first["ours"] == ["float", "ndarray float64"]
    assert first["user_settings"] == [str(users), 0.0]
    written = entries(ours)
    # Three programs of ours (loss, gradient, jvp) in our cache, the user's in theirs.
    assert sorted(name.split("-")[0] for name in written) == PROGRAMS
    assert first["writes"] == 3 and first["hits"] == 0
    users_entries = entries(users)
    assert any(name.startswith("jit__lambda") for name in users_entries)
    ours_in_theirs = [name for name in users_entries if name.split("-")[0] in PROGRAMS]
    assert ours_in_theirs == []

    second = user_session(ours, users)
    assert second["hits"] == 3 and second["writes"] == 0, second
    assert entries(ours) == written
    assert second["user_dtypes"] == ["float32"] * 4 and second["ours"] == first["ours"]


def case(T: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    B, D, H, O = 2, 3, 4, 2
    params = uniform_params(rng, D, H, O)
    return params, rng.uniform(-1, 1, (T, B, D)), rng.uniform(-1, 1, (T, B, O))


#: The lists that the open ``traces()`` blocks fill. One listener, registered once for the
#: session, feeds them: JAX 0.8.0 (the floor) has no public way to unregister a listener.
_TRACE_SINKS: list[list[str]] = []


def _on_duration(event: str, duration: float, **_) -> None:
    if event == TRACE_EVENT:
        for sink in _TRACE_SINKS:
            sink.append(event)


jax.monitoring.register_event_duration_secs_listener(_on_duration)


@contextlib.contextmanager
def traces() -> list[str]:
    """The jaxpr traces (i.e. jit cache misses) that happen inside the block."""
    seen: list[str] = []
    _TRACE_SINKS.append(seen)
    try:
        yield seen
    finally:
        _TRACE_SINKS.pop()  # blocks nest, so the last list is this block's


def test_our_programs_run_in_float64_inside_float32_code_and_are_traced_once():
    spec = Spec("sigmoid", "mse", 2, "chunk")
    with jax.enable_x64(False):  # the user's setting, whatever the session's default
        first = twin.gradients(*case(5), spec)
        assert jnp.ones(3).dtype == jnp.float32
        with traces() as seen:
            params, xs, targets = case(7, seed=1)  # another real shape, the same bucket
            second = twin.gradients(params, xs, targets, spec)
        assert seen == [], "a second call of the same bucket traced again"
        with traces() as control:  # the listener does see a trace when there is one
            jax.jit(lambda x: x * 2)(jnp.ones(2))
        assert control

        # The float64 program is not reused for a float32 call of the same function.
        problem = twin.prepare(params, xs, targets, spec)
        static = {"activation": "sigmoid", "loss": "mse"}
        outside = twin.programs._loss_program(*problem.args()[:5], **static)
        assert outside.dtype == jnp.float32
        assert jnp.ones(3).dtype == jnp.float32

    for g in (first, second):
        assert isinstance(g.loss, float)
        assert all(a.dtype == np.float64 for a in (*g.params.arrays(), g.xs, g.h0))
    theirs = rnn_ref.gradients(params, xs, targets, spec)
    assert abs(second.loss - theirs.loss) <= RTOL * abs(theirs.loss)


@pytest.fixture
def choice():
    """Restore the environment's choice of cache after a test that configures it."""
    yield
    runtime.configure_cache(None)


def test_where_the_cache_goes(tmp_path, monkeypatch, choice):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "env" / "cache"))
    assert runtime.cache_dir() == tmp_path / "env" / "cache"
    assert (tmp_path / "env" / "cache").is_dir()  # created
    monkeypatch.setenv(runtime.CACHE_ENV, "0")
    assert runtime.cache_dir() is None

    monkeypatch.delenv(runtime.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert runtime.cache_dir() == tmp_path / "xdg" / "rnn-ref" / "jax"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert runtime.default_cache_dir() == tmp_path / "home" / ".cache" / "rnn-ref" / "jax"

    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "env"))
    runtime.configure_cache(False)  # the call wins over the environment
    assert runtime.cache_dir() is None
    runtime.configure_cache(tmp_path / "mine")
    assert runtime.cache_dir() == tmp_path / "mine"
    runtime.configure_cache(str(tmp_path / "text"))
    assert runtime.cache_dir() == tmp_path / "text"
    runtime.configure_cache(True)
    assert runtime.cache_dir() == tmp_path / "home" / ".cache" / "rnn-ref" / "jax"
    runtime.configure_cache(None)
    assert runtime.cache_dir() == tmp_path / "env"


def test_a_cache_that_cannot_be_created_is_named(tmp_path, monkeypatch, choice):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ValueError, match=r"^enabled: expected a directory .* got '.*a-file'"):
        runtime.configure_cache(blocker)
    with pytest.raises(ValueError, match=r"^enabled: expected True, False, None or a dir"):
        runtime.configure_cache("")
    with pytest.raises(TypeError, match=r"^enabled: expected True, False, None .* got int 1"):
        runtime.configure_cache(1)

    monkeypatch.setenv(runtime.CACHE_ENV, str(blocker / "cache"))
    with pytest.raises(ValueError, match=r"^RNN_REF_JAX_CACHE: expected a directory"):
        twin.gradients(*case(3))
    # The default directory, unwritable, is no error: the twin runs without a cache.
    monkeypatch.delenv(runtime.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert runtime.cache_dir() is None
    assert isinstance(twin.gradients(*case(3)).loss, float)


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_verify_no_jax_cache_and_a_bad_cache_directory(tmp_path, monkeypatch, choice):
    only = ("--only", "tanh,mse,full", "--examples", "1", "--json")
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "cache"))
    status, out, err = run_main("verify", "--no-jax-cache", *only)
    assert status == 0 and err == "" and json.loads(out)["verdict"] == "ok"
    assert runtime.cache_dir() is None  # what --no-jax-cache asked for
    assert not (tmp_path / "cache").exists()

    runtime.configure_cache(None)
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "a-file"))
    status, out, err = run_main("verify", *only)
    assert status == 2 and out == ""
    assert err.startswith("rnn-ref verify: error: RNN_REF_JAX_CACHE: expected a directory")
    assert err.count("\n") == 1


def test_verify_help_names_the_cache_and_how_to_turn_it_off(capsys):
    with pytest.raises(SystemExit):
        cli.main(["verify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--no-jax-cache", "RNN_REF_JAX_CACHE=0", "~/.cache/rnn-ref/jax"):
        assert words in text, words


def test_a_user_logging_at_info_sees_no_line_from_our_cache_swaps(caplog):
    caplog.set_level(logging.INFO)
    for _ in range(3):
        twin.gradients(*case(3))
    resets = [r for r in caplog.records if "Resetting cache" in r.getMessage()]
    assert resets == []
