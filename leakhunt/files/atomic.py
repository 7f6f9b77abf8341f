"""The one atomic writer: every file leakhunt writes (snapshots, timelines'
rotations aside, reports, graphs, pages) goes through :func:`atomic_write`.

A file is written to a temporary name in the same directory, flushed to disk,
then renamed (or hard-linked, when it must not replace anything) to its name,
so a reader sees either the old file, nothing, or the whole new file; a
crash leaves at most a ``.NAME.PID.N.tmp`` behind. The temporary is created
with ``O_EXCL | O_NOFOLLOW`` (never through a planted symlink) and mode 0600;
the rename replaces a symlink at the final name instead of following it.
Directories leakhunt creates are 0700. Heap data is private by default:
snapshots, graphs and reports describe a program's memory.

>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> p = os.path.join(d, "out.txt")
>>> atomic_write(p, b"hello") == p
True
>>> with open(p, "rb") as f:
...     f.read(), oct(os.stat(p).st_mode & 0o777)
(b'hello', '0o600')
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from typing import Optional, Union

__all__ = ["FILE_MODE", "DIR_MODE", "atomic_write", "make_dirs", "open_new"]

#: Mode of every file leakhunt writes (before the umask).
FILE_MODE = 0o600
#: Mode of every directory leakhunt creates (before the umask).
DIR_MODE = 0o700

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Not tempfile.mkstemp: its first use creates a module-level random generator
# in the host process, which the next snapshot would count as growth.
_TMP_COUNTER = [0]


def make_dirs(directory: str) -> None:
    """Create ``directory`` and its missing parents, private (0700)."""
    if directory:
        # os.makedirs gives its mode to the last directory only: the
        # missing parents are made here, one by one, private too
        parent = os.path.dirname(os.path.abspath(directory))
        if parent != os.path.abspath(directory) and not os.path.lexists(parent):
            make_dirs(parent)
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)


def _create_tmp(path: str, mode: int) -> tuple[int, str]:
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    while True:
        _TMP_COUNTER[0] += 1
        tmp = os.path.join(directory, f".{base}.{os.getpid()}.{_TMP_COUNTER[0]}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue


def _device(path: str) -> bool:
    """True when ``path`` names (or a symlink at it leads to) a character or
    block device, a FIFO or a socket: ``-o /dev/null``, ``-o /dev/stdout``.
    Such a file is written into, never replaced: a rename over /dev/null by
    root would replace the device itself with a regular file."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))


def _open_device(path: str) -> int:
    return os.open(path, os.O_WRONLY | _CLOEXEC)


def open_new(path: str, first: bytes = b"", *, mode: int = FILE_MODE) -> int:
    """A new, empty (or ``first``-holding) file at ``path`` open for writing,
    for files written as they grow (the monitor's timeline): created under a
    temporary name (``O_EXCL | O_NOFOLLOW``, ``mode``), ``first`` written,
    then renamed over ``path``, so a symlink or hard link planted at
    ``path`` is replaced, never followed or truncated. Returns the file
    descriptor (the caller closes it). Raises OSError. A device or FIFO at
    ``path`` is written into, never replaced (see _device)."""
    if _device(path):
        fd = _open_device(path)
        if first:
            os.write(fd, first)
        return fd
    fd, tmp = _create_tmp(path, mode)
    try:
        if first:
            os.write(fd, first)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return fd


def atomic_write(
    path: str,
    data: Union[bytes, Iterable[bytes]],
    *,
    clobber: bool = True,
    mode: int = FILE_MODE,
    next_path: Optional[Callable[[], str]] = None,
) -> str:
    """Write ``data`` (bytes, or chunks of bytes written as they come, so a
    big file need not be held whole) to ``path`` through a temporary file
    in the same directory and a rename, so ``path`` is either absent,
    unchanged, or complete. With ``clobber=False`` an existing ``path``
    raises FileExistsError (the hard link that publishes the file refuses
    to replace one), unless ``next_path`` names another path in the same
    directory to try. Returns the path written. Raises OSError as the
    system reports it."""
    chunks: Iterable[bytes] = (data,) if isinstance(data, (bytes, bytearray)) else data
    if _device(path):
        with os.fdopen(_open_device(path), "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        return path
    fd, tmp = _create_tmp(path, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if clobber:
            os.replace(tmp, path)
        else:
            for _ in range(1000):
                try:
                    os.link(tmp, path)  # atomic, and refuses to overwrite
                    break
                except FileExistsError:
                    if next_path is None:
                        raise
                    path = next_path()
            else:
                raise FileExistsError(f"{path}: no free name after 1000 tries")
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
