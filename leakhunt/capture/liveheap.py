"""The live heap: bytes the program's allocators hand out and have not been
given back, which RSS cannot tell (an allocator keeps freed memory cached,
so RSS stays up after a big temporary is freed, and the next allocation
reuses it without RSS moving).

Two allocators serve a CPython program on Linux:

- glibc's malloc: ``mallinfo2()`` (glibc 2.33+, under a microsecond) gives
  the bytes in use, mmapped chunks included (``uordblks + hblkhd``);
- pymalloc, CPython's small-object allocator, whose arenas are mmapped and
  invisible to malloc: its own statistics (``_PyObject_DebugMallocStats``,
  what ``sys._debugmallocstats()`` prints, written here into memory) give
  the bytes in allocated blocks exactly; ``sys.getallocatedblocks()`` gives
  the blocks in use at any moment.

:meth:`LiveHeap.exact` reads both in full (the monitor's samples; the
pymalloc walk visits every pool: 20 microseconds on a small heap, 0.2 ms on
a million objects); :meth:`LiveHeap.now` is the reading for span
boundaries, bounded in cost: the full reading while it takes at most
:data:`BLOCKS_BUDGET` of the time (after one that took c seconds, the next
waits c / BLOCKS_BUDGET: on a small heap nearly every boundary gets one),
else malloc's bytes (under a microsecond, whatever the heap) plus the
blocks in use times the bytes per block of the last full reading. Counting
the blocks in use walks pymalloc's arenas too (2 microseconds on a small
heap, 0.1 ms on a million objects), so it has the same budget; in between,
the last count serves. Where there is no such call (musl, macOS, a free-threaded build
whose objects live in mimalloc) :attr:`LiveHeap.source` is None and
:attr:`LiveHeap.missing` says why: callers fall back to RSS and say so.

Nothing here raises: a reading that fails gives None.

>>> h = live_heap()
>>> h.source is None or (h.exact() or 0) > 0
True
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Optional

from ..model import owned

__all__ = ["BLOCKS_BUDGET", "LiveHeap", "live_heap"]

#: the share of time :meth:`LiveHeap.now` may spend on full readings, and
#: on counting pymalloc's blocks in use (after one that took c seconds, the
#: next waits c / BLOCKS_BUDGET)
BLOCKS_BUDGET = 0.01

_MALLINFO2_FIELDS = (
    "arena", "ordblks", "smblks", "hblks", "hblkhd",
    "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
)  # fmt: skip
_PYMALLOC_LINE = b"# bytes in allocated blocks"


@owned
class LiveHeap:
    """Readings of the live heap; see the module's docstring. leakhunt's own:
    snapshots do not count it, nor the ctypes objects only it holds."""

    def __init__(self) -> None:
        #: "mallinfo2+pymalloc", "mallinfo2" (PYTHONMALLOC=malloc: every
        #: Python allocation is malloc's), or None when unavailable
        self.source: Optional[str] = None
        #: why there is no live-heap counter (one sentence), when source is None
        self.missing: str = ""
        self._mallinfo2: Any = None
        self._stats: Any = None
        self._memstream: Any = None
        self._fclose: Any = None
        self._free: Any = None
        self._ctypes: Any = None
        #: bytes per pymalloc block at the last exact reading
        self._per_block = 0.0
        #: pymalloc's bytes at the last exact reading
        self.pymalloc = 0
        #: the last count of blocks in use, when it was taken, what it cost
        self._blocks = 0
        self._blocks_at = -float("inf")
        self._blocks_cost = 0.0
        self._exact_at = -float("inf")
        self._exact_cost = 0.0
        self._lock = threading.Lock()
        try:
            self._setup()
        except Exception as e:  # ctypes missing, a strange libc: no counter
            self.source = None
            self.missing = f"no live-heap counter ({type(e).__name__}: {e})"

    def _setup(self) -> None:
        if not sys.platform.startswith("linux"):
            self.missing = f"no live-heap counter on {sys.platform} (glibc's mallinfo2 is needed)"
            return
        import ctypes  # here: only a running monitor needs it

        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallinfo2"):
            self.missing = "no live-heap counter: the C library has no mallinfo2 (glibc 2.33+)"
            return

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]

        f = libc.mallinfo2
        f.restype = MallInfo2
        f.argtypes = []
        self._mallinfo2 = f
        self._ctypes = ctypes
        blocks = sys.getallocatedblocks()
        stats = getattr(ctypes.pythonapi, "_PyObject_DebugMallocStats", None)
        memstream = getattr(libc, "open_memstream", None)
        if stats is not None and memstream is not None:
            stats.argtypes = [ctypes.c_void_p]
            stats.restype = ctypes.c_int
            memstream.restype = ctypes.c_void_p
            memstream.argtypes = [
                ctypes.POINTER(ctypes.c_char_p),
                ctypes.POINTER(ctypes.c_size_t),
            ]
            libc.fclose.argtypes = [ctypes.c_void_p]
            libc.free.argtypes = [ctypes.c_void_p]
            self._stats, self._memstream = stats, memstream
            self._fclose, self._free = libc.fclose, libc.free
        py = self._pymalloc_bytes()
        if py is None and blocks:
            # objects live in an allocator we cannot read (mimalloc in a
            # free-threaded build, or no pymalloc statistics)
            self.missing = (
                "no live-heap counter: Python's object allocator is not pymalloc "
                "and has no statistics to read"
            )
            self._mallinfo2 = None
            return
        self.source = "mallinfo2+pymalloc" if blocks else "mallinfo2"

    def _malloc_bytes(self) -> Optional[int]:
        if self._mallinfo2 is None:
            return None
        m = self._mallinfo2()
        return int(m.uordblks) + int(m.hblkhd)

    def _pymalloc_bytes(self) -> Optional[int]:
        """pymalloc's bytes in allocated blocks, from its own statistics;
        None when they cannot be read; 0 when pymalloc is not in use."""
        if self._stats is None:
            return None
        ctypes = self._ctypes
        buf = ctypes.c_char_p()
        size = ctypes.c_size_t()
        fp = self._memstream(ctypes.byref(buf), ctypes.byref(size))
        if not fp:
            return None
        try:
            used = self._stats(fp)
        finally:
            self._fclose(fp)
        try:
            text = ctypes.string_at(buf, size.value) if buf else b""
        finally:
            if buf:
                self._free(buf)
        if not used:
            return 0  # PYTHONMALLOC=malloc: every allocation is malloc's
        for line in text.splitlines():
            if line.startswith(_PYMALLOC_LINE):
                digits = line.rpartition(b"=")[2].replace(b",", b"").strip()
                return int(digits) if digits.isdigit() else None
        return None

    def exact(self) -> Optional[int]:
        """malloc's bytes in use plus pymalloc's bytes in allocated blocks,
        read in full; recalibrates :meth:`now`. None when unavailable."""
        if self.source is None:
            return None
        try:
            with self._lock:
                t0 = time.perf_counter()
                blocks = sys.getallocatedblocks()
                self._note_blocks(blocks, t0)
                py = self._pymalloc_bytes() if blocks else 0
                m = self._malloc_bytes()
                if m is None or py is None:
                    return None
                self.pymalloc = py
                if blocks:
                    self._per_block = py / blocks
                self._exact_at = time.perf_counter()
                self._exact_cost = self._exact_at - t0
                return m + py
        except Exception:
            return None

    def _note_blocks(self, blocks: int, t0: float) -> None:
        now = time.perf_counter()
        self._blocks, self._blocks_at, self._blocks_cost = blocks, now, now - t0

    def now(self) -> Optional[int]:
        """The reading for span boundaries: :meth:`exact` while that fits in
        :data:`BLOCKS_BUDGET` of the time; else exact for malloc, pymalloc
        estimated from its blocks in use (counted within the same budget) at
        the last exact reading's bytes per block."""
        if self.source is None:
            return None
        try:
            t0 = time.perf_counter()
            if t0 - self._exact_at >= self._exact_cost / BLOCKS_BUDGET:
                return self.exact()
            m = self._malloc_bytes()
            if m is None:
                return None
            if t0 - self._blocks_at >= self._blocks_cost / BLOCKS_BUDGET:
                self._note_blocks(sys.getallocatedblocks(), t0)
            return m + round(self._blocks * self._per_block)
        except Exception:
            return None


_HEAP: list[LiveHeap] = []


def live_heap() -> LiveHeap:
    """The process's one :class:`LiveHeap` (made at first use)."""
    if not _HEAP:
        _HEAP.append(LiveHeap())
    return _HEAP[0]
