"""The one way leakhunt opens a file to read: every reader (snapshots,
timelines, V8 heap snapshots) comes through here, so that none of them can
hang on a FIFO, read a device forever, or inflate a small file into
gigabytes.

- Only regular files are read: the file is opened with ``O_NONBLOCK`` (a
  FIFO without a writer does not block the open) and checked with
  ``fstat`` on the open descriptor (no race with a swapped path); FIFOs,
  sockets, character and block devices are refused in one line.
- At most ``max_bytes`` are read (:data:`MAX_FILE_BYTES` by default).
- gzip data is inflated in a stream with a hard cap on its output
  (:func:`gunzip_bounded`): a bomb is refused once it passes the cap,
  having used no more memory than the cap.

Errors are the caller's file error class (one line naming the file).

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "x.json")
>>> with open(p, "w") as f:
...     _ = f.write("{}")
>>> read_file(p, what="snapshot")
b'{}'
>>> read_file("/dev/zero", what="snapshot")
Traceback (most recent call last):
...
leakhunt.errors.SnapshotFileError: /dev/zero: is a character device, not a snapshot file
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import zlib
from collections.abc import Generator
from typing import Optional

from ..errors import SnapshotFileError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "DataError",
    "gunzip_bounded",
    "parse_json",
    "read_chunks",
    "read_file",
]

#: The largest file any reader reads whole, unless told otherwise
#: ($LEAKHUNT_MAX_FILE_BYTES overrides it, in bytes).
MAX_FILE_BYTES = int(os.environ.get("LEAKHUNT_MAX_FILE_BYTES", "") or 16 * 2**30)
#: The most bytes gzip data may inflate to ($LEAKHUNT_MAX_INFLATED_BYTES).
MAX_INFLATED_BYTES = int(os.environ.get("LEAKHUNT_MAX_INFLATED_BYTES", "") or 16 * 2**30)
#: gzip data inflates to at most this many times its own size (or 64 MiB):
#: files leakhunt writes stay far below it, a decompression bomb does not.
MAX_RATIO = 32
_RATIO_FLOOR = 64 * 2**20

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_CHUNK = 1 << 20


def _kind(mode: int) -> Optional[str]:
    for test, name in _KINDS:
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def _open_regular(
    path: str, what: str, error: type[SnapshotFileError], limit: int
) -> tuple[int, int]:
    """An open descriptor on the regular file ``path`` and its size, or
    ``error`` (one line) for a missing, special or too big file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise error(path, "no such file") from None
    except IsADirectoryError:
        raise error(path, f"is a directory, not a {what} file") from None
    except PermissionError:
        raise error(path, "permission denied") from None
    except OSError as e:
        raise error(path, f"cannot read: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise error(path, f"is {kind}, not a {what} file")
        if st.st_size > limit:
            raise error(
                path,
                f"is {st.st_size:,} bytes, more than leakhunt reads ({limit:,}; "
                "set LEAKHUNT_MAX_FILE_BYTES to raise the limit)",
            )
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def read_chunks(
    path: str,
    *,
    what: str,
    error: type[SnapshotFileError] = SnapshotFileError,
    max_bytes: Optional[int] = None,
    chunk: int = 4 * _CHUNK,
) -> Generator[bytes, None, None]:
    """The content of the regular file ``path`` in pieces of about ``chunk``
    bytes, for readers that stream (V8 heap snapshots are hundreds of MB).
    gzip data (detected by its magic bytes, not the name) is inflated on
    the fly under the same caps as :func:`gunzip_bounded`; memory stays at
    a few chunks whatever the file's size."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    fd, size = _open_regular(path, what, error, limit)
    try:
        first = os.read(fd, chunk)
        if first[:2] != b"\x1f\x8b":
            total = len(first)
            if first:
                yield first
            while True:
                piece = os.read(fd, chunk)
                if not piece:
                    return
                total += len(piece)
                if total > limit:
                    raise error(path, f"grew past {limit:,} bytes while being read")
                yield piece
        cap = min(MAX_INFLATED_BYTES, max(_RATIO_FLOOR, MAX_RATIO * size))
        out_total = 0
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = first
        while True:
            if not pending:
                pending = os.read(fd, chunk)
                if not pending:
                    tail = b"" if d.eof else d.flush()  # zlib's last window, if any
                    if tail:
                        yield tail
                    break
            if d.eof:  # a further gzip member (or zero padding)
                pending = pending.lstrip(b"\0")
                if not pending:
                    continue
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            piece = d.decompress(pending, chunk)
            pending = d.unconsumed_tail or d.unused_data
            out_total += len(piece)
            if out_total > cap:
                raise error(
                    path,
                    f"inflates to more than {cap:,} bytes: not a file leakhunt reads "
                    "(set LEAKHUNT_MAX_INFLATED_BYTES to raise the limit)",
                )
            if piece:
                yield piece
        if not d.eof:
            raise error(path, "truncated or corrupt gzip data (was the write interrupted?)")
    except zlib.error:
        raise error(path, "truncated or corrupt gzip data (was the write interrupted?)") from None
    except OSError as e:
        raise error(path, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def read_file(
    path: str,
    *,
    what: str,
    error: type[SnapshotFileError] = SnapshotFileError,
    max_bytes: Optional[int] = None,
) -> bytes:
    """The whole content of the regular file ``path``; ``error(path, problem)``
    for a missing, unreadable, special or too big file. ``what`` names the
    kind of file expected, for the messages (``snapshot``, ``timeline``)."""
    limit = MAX_FILE_BYTES if max_bytes is None else max_bytes
    fd, _ = _open_regular(path, what, error, limit)
    try:
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew while being read
                raise error(path, f"grew past {limit:,} bytes while being read")
        return b"".join(chunks)
    except OSError as e:
        raise error(path, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def gunzip_bounded(
    data: bytes,
    path: str,
    *,
    error: type[SnapshotFileError] = SnapshotFileError,
    max_bytes: Optional[int] = None,
) -> bytes:
    """``data`` (one or more gzip members) inflated, refused with
    ``error(path, ...)`` when corrupt or when it would inflate past
    ``max_bytes`` (:data:`MAX_INFLATED_BYTES` by default). Memory stays
    within the cap: the output is produced in bounded steps. Without
    ``max_bytes`` the cap is :data:`MAX_RATIO` times the input (at least
    64 MiB), and never more than :data:`MAX_INFLATED_BYTES`."""
    if max_bytes is None:
        max_bytes = min(MAX_INFLATED_BYTES, max(_RATIO_FLOOR, MAX_RATIO * len(data)))
    limit = max_bytes
    out: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = rest
            while pending:
                piece = d.decompress(pending, _CHUNK)
                total += len(piece)
                if total > limit:
                    raise error(
                        path,
                        f"inflates to more than {limit:,} bytes: not a file leakhunt wrote "
                        "(set LEAKHUNT_MAX_INFLATED_BYTES to raise the limit)",
                    )
                out.append(piece)
                pending = d.unconsumed_tail
                if d.eof:
                    break
            if not d.eof:
                raise error(path, "truncated or corrupt gzip data (was the write interrupted?)")
            rest = d.unused_data.lstrip(b"\0")  # trailing zeros (padding) end the stream
    except zlib.error:
        raise error(path, "truncated or corrupt gzip data (was the write interrupted?)") from None
    return b"".join(out)


# ---------------------------------------------------------------- JSON as data


class DataError(ValueError):
    """JSON that parses but is no data leakhunt wrote; str() is the problem."""


#: The longest integer literal a file may hold: 2**64 has 20 digits. Longer
#: ones are no count, size or time leakhunt wrote, and would overflow the
#: float conversions of rendering.
_MAX_INT_DIGITS = 20
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise DataError(f"holds a number too large for any count or size ({text[:24]}...)")
    return int(text)


def _parse_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise DataError(f"holds a number out of range ({text[:24]})")
    return v


def _parse_constant(name: str) -> float:
    raise DataError(f"holds a non-finite number ({name})")


def _lone_surrogate(doc: object) -> bool:
    stack = [doc]
    while stack:
        v = stack.pop()
        if type(v) is str:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif type(v) is dict:
            stack.extend(v.keys())
            stack.extend(v.values())
        elif type(v) is list:
            stack.extend(v)
    return False


def _replace_surrogates(doc: object) -> object:
    """``doc`` with every lone surrogate in its strings made U+FFFD."""
    if type(doc) is str:
        try:
            doc.encode("utf-8")
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in doc)
        return doc
    if type(doc) is dict:
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in doc.items()}
    if type(doc) is list:
        return [_replace_surrogates(v) for v in doc]
    return doc


#: JSON's own C scanner, NaN and Infinity refused (numbers="after")
_FAST_DECODER = json.JSONDecoder(parse_constant=lambda name: _parse_constant(name))
_BIG_INT = 10**_MAX_INT_DIGITS


def parse_json(text: str, *, surrogates: str = "refuse", numbers: str = "each") -> object:
    """``json.loads`` for files from anywhere: numbers bounded (no integer
    past 20 digits, no NaN, Infinity or float overflow) and no lone
    surrogate in a string (``\\ud800``: no text leakhunt writes holds one,
    and it cannot be printed). Raises DataError for those, ``json``'s
    ValueError for bad JSON and DataError for nesting too deep to parse.
    ``surrogates="replace"`` makes lone surrogates U+FFFD instead (a
    timeline's labels are the program's own strings, which may hold one).
    ``numbers="after"`` parses with JSON's C scanner and checks the numbers
    of a top-level object afterwards (2.5x faster on a timeline's many
    records; nested numbers are then the caller's to bound).

    >>> parse_json('{"n": 3}')
    {'n': 3}
    >>> parse_json('[1e999]')
    Traceback (most recent call last):
    ...
    leakhunt.files.reading.DataError: holds a number out of range (1e999)
    """
    try:
        if numbers == "after":
            doc = _FAST_DECODER.decode(text)
            if type(doc) is dict:
                for v in doc.values():
                    if type(v) is int and not -_BIG_INT < v < _BIG_INT:
                        raise DataError("holds a number too large for any count or size")
                    if type(v) is float and not math.isfinite(v):
                        raise DataError("holds a number out of range")
        else:
            doc = json.loads(
                text,
                parse_int=_parse_int,
                parse_float=_parse_float,
                parse_constant=_parse_constant,
            )
    except RecursionError:
        raise DataError("JSON nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text) and _lone_surrogate(doc):
        if surrogates == "replace":
            return _replace_surrogates(doc)
        raise DataError("holds a lone surrogate in a string (\\udXXX)")
    return doc
