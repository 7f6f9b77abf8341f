"""The one reader of process memory: RSS and peak RSS, for snapshots and for
the monitor alike (so that a snapshot's RSS and the timeline's agree).

Cheap on purpose (the monitor calls it on every sample and span boundary):
one short read of /proc/self/statm and one getrusage() call.

>>> m = process_memory()
>>> m.rss is None or m.peak_rss is None or 0 < m.rss <= m.peak_rss
True
"""

from __future__ import annotations

import os
import sys
from typing import Optional

from ..model import ProcessMemory

__all__ = ["memory_now", "process_memory"]

try:
    _PAGE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # not POSIX
    _PAGE = 0
try:
    import resource

    # ru_maxrss is in bytes on macOS and in KiB everywhere else
    _MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]
    _MAXRSS_UNIT = 0


def memory_now() -> tuple[Optional[int], Optional[int]]:
    """``(rss, peak_rss)`` of this process in bytes, None where unknown.

    >>> rss, peak = memory_now()
    >>> rss is None or peak is None or 0 < rss <= peak
    True
    """
    rss = peak = None
    if _PAGE:
        try:
            with open("/proc/self/statm", "rb") as f:
                rss = int(f.read().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            pass
    if resource is not None:
        try:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_UNIT
        except (OSError, ValueError):
            pass
    if rss is not None and peak is not None and peak < rss:
        peak = rss  # ru_maxrss is sampled by the kernel; never below the current
    return rss, peak


def process_memory() -> ProcessMemory:
    """:func:`memory_now` as the value a Snapshot carries."""
    rss, peak = memory_now()
    return ProcessMemory(rss=rss, peak_rss=peak)
