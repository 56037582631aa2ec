"""Reading ``.npz`` files that nobody vouches for.

Every ``.npz`` that rnn_ref loads (a ``params.npz`` of ``rnn-ref train``, a case file) comes
through ``read_npz``. The file may be cut short, damaged, tampered with or built to hurt, so
the whole file is checked before any array is built from it, in this order:

1. ``os.stat``: a regular file (a FIFO or a device would block or never end), at most
   ``max_bytes`` long. It is then opened with ``O_NONBLOCK`` and checked again, so that a
   FIFO swapped in between cannot block either.
2. The first bytes: a zip archive (an ``.npy`` array or any other file is named as such).
3. The zip's directory: only the expected member names, each once, stored or deflated,
   not encrypted, their declared sizes within ``max_bytes`` together.
4. Each member's ``.npy`` header (format 1.0 or 2.0): a dtype of the expected kind (never an
   object array, so never a pickle) and a shape of the expected rank whose data, with the
   header, is exactly the member's declared size. A header that declares 10^14 numbers
   fails here, before a byte of data is read.
5. Only then the data, read to the declared size, whose CRC zipfile checks at the end.

The size a member declares bounds what is read and inflated, so a zip bomb costs no more
memory than its declared size, which step 3 limits. Every failure is one ``ValueError``
naming the file and the member; a dtype of the wrong kind is ``FileTypeError``, both a
``ValueError`` and the ``TypeError`` that rnn_ref raises for arrays of the wrong type.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.lib import format as npy_format

MAX_BYTES = 256 * 2**20
"""Default limit on the file's size and on the sum of its members' uncompressed sizes."""

CHUNK_BYTES = 2**20
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header; an empty archive
NUMBER_KINDS = "iuf"
WANTED = {NUMBER_KINDS: "real numbers (an integer or floating dtype)", "U": "unicode text"}


class FileTypeError(ValueError, TypeError):
    """A member whose dtype is of the wrong kind (complex, bool, text where numbers belong)."""


@dataclass(frozen=True)
class Member:
    """What one member of an archive must hold.

    Attributes:
        ranks: the number of dimensions it may have (one or more).
        kinds: the dtype kinds it may have: ``"iuf"`` for real numbers, or ``"U"`` for a
            text (a 0-d unicode string).
    """

    ranks: tuple[int, ...]
    kinds: str = NUMBER_KINDS


TEXT = Member(ranks=(0,), kinds="U")


def read_npz(
    path: str | os.PathLike,
    members: Mapping[str, Member],
    *,
    name: str,
    required: tuple[str, ...] | None = None,
    max_bytes: int = MAX_BYTES,
) -> dict[str, np.ndarray | str]:
    """The members of the ``.npz`` at ``path``, after the checks of the module docstring.

    Args:
        path: the file.
        members: every member the file may hold, by name (without ``.npy``).
        name: how the user gave the file (``--params``, ``path``), for the messages.
        required: the members that must be there (default: all of ``members``).
        max_bytes: the limit on the file's size and on its uncompressed contents.

    Returns:
        The arrays by name, each a fresh writable array in its stored dtype; a text member
        as a Python ``str``.

    Raises:
        ValueError: anything wrong with the file (``FileTypeError`` for a dtype's kind).
    """
    where = f"{name} {str(path)!r}"
    required = tuple(members) if required is None else required
    fd = _open_regular(path, where, max_bytes)
    with os.fdopen(fd, "rb") as file:
        magic = file.read(4)
        if magic not in ZIP_MAGIC:
            raise ValueError(f"{where}: expected an .npz archive (zip), got {_describe(magic)}")
        file.seek(0)
        try:
            with zipfile.ZipFile(file) as archive:
                infos = _check_directory(archive, members, required, where, max_bytes)
                return {
                    key: _read_member(archive, info, members[key], f"{where}, member {key!r}")
                    for key, info in infos.items()
                }
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise ValueError(
                f"{where}: expected an intact .npz archive, got a damaged or cut-short one "
                f"({_one_line(error)})"
            ) from None


def parse_json_object(text: str, where: str) -> dict:
    """``text`` parsed as JSON, which must be an object (a ``dict``)."""
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ValueError(f"{where}: expected a JSON object, got invalid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a JSON object, got a JSON {_json_type(value)}")
    return value


def require_field(
    mapping: dict, key: str, types: type | tuple[type, ...], where: str, what: str
) -> object:
    """``mapping[key]``, which must exist and be of ``types`` (a bool is not an int here)."""
    if key not in mapping:
        raise ValueError(f"{where}: expected a field {key!r} ({what}), got none")
    value = mapping[key]
    allowed = types if isinstance(types, tuple) else (types,)
    if (isinstance(value, bool) and bool not in allowed) or not isinstance(value, allowed):
        raise ValueError(f"{where}.{key}: expected {what}, got a JSON {_json_type(value)}")
    return value


def _open_regular(path: str | os.PathLike, where: str, max_bytes: int) -> int:
    try:
        info = os.stat(path)
        _check_regular(info, where, max_bytes)
        # O_NONBLOCK: should a FIFO replace the file after the stat, open must not wait for
        # a writer; the fstat below then refuses it.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ValueError(f"{where}: expected an existing file, got no such file") from None
    except OSError as error:
        raise ValueError(f"{where}: expected a readable file, got {error.strerror}") from None
    try:
        _check_regular(os.fstat(fd), where, max_bytes)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_regular(info: os.stat_result, where: str, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{where}: expected a regular file, got {_file_type(info.st_mode)}")
    if info.st_size > max_bytes:
        raise ValueError(
            f"{where}: expected a file of at most {max_bytes} bytes, got {info.st_size} bytes"
        )


def _file_type(mode: int) -> str:
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "a special file"


def _describe(magic: bytes) -> str:
    if magic.startswith(b"\x93NUM"):
        return "an .npy array (np.save writes those; rnn-ref reads .npz archives)"
    if not magic:
        return "an empty file"
    return f"a file that starts with {magic!r}"


def _check_directory(
    archive: zipfile.ZipFile,
    members: Mapping[str, Member],
    required: tuple[str, ...],
    where: str,
    max_bytes: int,
) -> dict[str, zipfile.ZipInfo]:
    infos: dict[str, zipfile.ZipInfo] = {}
    expected = ", ".join(members)
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key not in members or not info.filename.endswith(".npy"):
            raise ValueError(f"{where}: expected members among {expected}, got {info.filename!r}")
        if key in infos:
            raise ValueError(f"{where}: expected each member once, got {key!r} twice")
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}, member {key!r}: expected no encryption, got encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(
                f"{where}, member {key!r}: expected stored or deflated data (what np.savez "
                f"and np.savez_compressed write), got zip compression {info.compress_type}"
            )
        infos[key] = info
    total = sum(info.file_size for info in infos.values())
    if total > max_bytes:
        raise ValueError(
            f"{where}: expected at most {max_bytes} bytes of contents, got members that "
            f"declare {total} bytes"
        )
    missing = [key for key in required if key not in infos]
    if missing:
        raise ValueError(
            f"{where}: expected members {', '.join(required)}, got none named {', '.join(missing)}"
        )
    return infos


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: Member, where: str
) -> np.ndarray | str:
    with archive.open(info) as stream:
        dtype, shape, fortran, header_bytes = _read_header(stream, where)
        _check_dtype(dtype, member, where)
        if len(shape) not in member.ranks:
            ranks = " or ".join(f"{r}-d" for r in member.ranks)
            raise ValueError(f"{where}: expected a {ranks} array, got shape {shape}")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if header_bytes + nbytes != info.file_size:
            raise ValueError(
                f"{where}: expected the header's shape {shape} and dtype {dtype} to match the "
                f"member's {info.file_size} bytes, got {header_bytes} + {nbytes} bytes"
            )
        data = _read_exactly(stream, nbytes, where)
    array = data.view(dtype).reshape(shape, order="F" if fortran else "C")
    if member.kinds == "U":
        try:
            return str(array[()])
        except ValueError as error:  # code points beyond Unicode
            raise ValueError(f"{where}: expected Unicode text, got {_one_line(error)}") from None
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_exactly(stream, nbytes: int, where: str) -> np.ndarray:
    """``nbytes`` bytes of ``stream`` into a fresh buffer, in chunks, so that no second copy
    of a large member is ever held; then the end of the stream, where zipfile checks the CRC."""
    data = np.empty(nbytes, dtype=np.uint8)
    view = memoryview(data)
    filled = 0
    while filled < nbytes:
        chunk = stream.read(min(CHUNK_BYTES, nbytes - filled))
        if not chunk:
            break
        view[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    if filled != nbytes or stream.read(1):
        raise ValueError(f"{where}: expected {nbytes} bytes of data, got another amount")
    return data


def _read_header(stream, where: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """The dtype, shape and order of an ``.npy`` stream, and how many bytes the header took."""
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"format version {version[0]}.{version[1]}")
    except (ValueError, TypeError, SyntaxError) as error:
        raise ValueError(
            f"{where}: expected an .npy header of format 1.0 or 2.0, got an unreadable one "
            f"({_one_line(error)})"
        ) from None
    if any(size < 0 for size in shape):
        raise ValueError(f"{where}: expected sizes >= 0, got shape {shape}")
    return dtype, shape, fortran, stream.tell()


def _check_dtype(dtype: np.dtype, member: Member, where: str) -> None:
    wanted = WANTED[member.kinds]
    if dtype.hasobject or dtype.kind not in member.kinds or dtype.fields is not None:
        raise FileTypeError(f"{where}: expected {wanted} data, got dtype {dtype}")
    if dtype.itemsize == 0:
        raise FileTypeError(f"{where}: expected {wanted} data, got dtype {dtype} of size 0")
    if dtype.kind == "f" and dtype.itemsize > 8:
        raise FileTypeError(f"{where}: expected float16, float32 or float64, got dtype {dtype}")


def _json_type(value: object) -> str:
    for kind, name in (
        (bool, "boolean"),
        ((int, float), "number"),
        (str, "string"),
        (list, "array"),
        (dict, "object"),
    ):
        if isinstance(value, kind):
            return f"{name} {json.dumps(value)[:60]}"
    return "null"


def _one_line(error: BaseException) -> str:
    text = str(error).replace("\n", " ")
    return text[:200] if text else type(error).__name__
