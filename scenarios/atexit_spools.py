"""LEAKS: an object held only from C, by the atexit registry.

Each upload spools into a SpoolFile and registers ``spool.close`` with
``atexit`` "so the temp data is dropped even if we crash". The normal path
closes the spool but never unregisters it, so the interpreter's C-level list
of exit callbacks keeps every bound method, and through it every spool and
its buffer. No Python object refers to them: only a WeakSet used for a gauge.
"""

from __future__ import annotations

import atexit
import io
import weakref

EXPECT = {
    "leak": True,
    "types": ["atexit_spools.SpoolFile"],
    "retainer": ["held outside Python"],
    "mechanism": "object held only from C (atexit callback per call)",
}

_OPEN: weakref.WeakSet[SpoolFile] = weakref.WeakSet()  # for the open_spools gauge
_COUNTER = [0]


class SpoolFile:
    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = io.BytesIO()
        self.closed = False
        _OPEN.add(self)
        atexit.register(self.close)  # registered per spool, never unregistered

    def write(self, chunk: bytes) -> None:
        self.buffer.write(chunk)

    def close(self) -> None:
        self.closed = True


def open_spools() -> int:
    return sum(1 for s in _OPEN if not s.closed)


def teardown() -> None:
    """Unregister the exit callbacks (for tests)."""
    for spool in list(_OPEN):
        atexit.unregister(spool.close)


def action() -> int:
    _COUNTER[0] += 1
    spool = SpoolFile(f"upload-{_COUNTER[0]:07d}")
    for i in range(4):
        spool.write(bytes([i]) * 256)
    size = spool.buffer.tell()
    spool.close()
    return size
