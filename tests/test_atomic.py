"""``rnn_ref.files._atomic.atomic_file``: a file is written whole or not at all.

- A clean exit replaces the old file by the new one, with the usual permissions
  (0666 minus the umask, not mkstemp's 0600), and leaves no temporary file.
- An exception, or Ctrl-C (``KeyboardInterrupt``), inside the block leaves the old file as
  it was (or no file) and no temporary file.
- Text mode writes UTF-8; any other mode is refused before anything is created.
"""

from __future__ import annotations

import os
import stat

import pytest

from rnn_ref.files._atomic import atomic_file


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_clean_exit_replaces_the_file_with_normal_permissions(tmp_path, umask_022):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with atomic_file(path) as file:
        file.write(b"new contents")
        assert path.read_bytes() == b"old"  # nothing visible before the block ends
    assert path.read_bytes() == b"new contents"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_new_file_gets_the_umask_permissions(tmp_path):
    previous = os.umask(0o027)
    try:
        with atomic_file(tmp_path / "new.txt", "w") as file:
            file.write("é\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
    assert (tmp_path / "new.txt").read_bytes() == "é\n".encode()


@pytest.mark.fault
@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_an_exception_inside_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(type(error)), atomic_file(path) as file:
        file.write(b"half of the new")
        raise error
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.fault
def test_an_exception_inside_leaves_no_file_where_there_was_none(tmp_path):
    with pytest.raises(ValueError, match="half"), atomic_file(tmp_path / "out.bin") as file:
        file.write(b"half")
        raise ValueError("half")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_mode_is_refused_and_creates_nothing(tmp_path):
    with pytest.raises(ValueError, match="mode: expected 'wb' or 'w', got 'a'"):
        with atomic_file(tmp_path / "out.bin", "a"):
            pass
    assert list(tmp_path.iterdir()) == []
