"""leakhunt: heap-snapshot diffing and leak finding for Python programs.

>>> import leakhunt
>>> a = leakhunt.snapshot("before", save=False)
>>> keep = [bytes(10) + bytes([i % 256]) for i in range(1000)]
>>> b = leakhunt.snapshot("after", save=False)
>>> d = leakhunt.diff(a, b)
>>> [t.count_delta for t in d.deltas if t.name == "bytes"]
[1000]
"""

from ._version import __version__
from .capture import LeakhuntWarning, checkpoint, snapshot, take_snapshot, walker_name
from .diff import diff
from .errors import LeakhuntError, SnapshotFileError, UsageError
from .hunt import HuntResult, Leak, hunt
from .live import show_retainers
from .model import (
    GcInfo,
    ProcessMemory,
    Snapshot,
    SnapshotDiff,
    TracemallocInfo,
    TypeDelta,
    TypeStat,
)
from .monitor import mark, monitor, track
from .ondemand import install_signal_handler
from .storage import read_snapshot as load
from .storage import write_snapshot as save
from .why import Why, why

__all__ = [
    "GcInfo",
    "HuntResult",
    "Leak",
    "LeakhuntError",
    "LeakhuntWarning",
    "ProcessMemory",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotFileError",
    "TracemallocInfo",
    "TypeDelta",
    "TypeStat",
    "UsageError",
    "Why",
    "__version__",
    "checkpoint",
    "diff",
    "hunt",
    "install_signal_handler",
    "load",
    "mark",
    "monitor",
    "save",
    "show_retainers",
    "snapshot",
    "take_snapshot",
    "track",
    "walker_name",
    "why",
]
