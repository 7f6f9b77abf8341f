"""leakhunt: heap-snapshot diffing and leak finding for Python programs.

>>> import leakhunt
>>> a = leakhunt.snapshot("before", save=False)
>>> keep = [bytes(10) + bytes([i % 256]) for i in range(1000)]
>>> b = leakhunt.snapshot("after", save=False)
>>> d = leakhunt.diff(a, b)
>>> [t.count_delta for t in d.deltas if t.name == "bytes"]
[1000]

``import leakhunt`` loads only what capturing needs (snapshot, checkpoint,
monitor, mark, the signal handler, files): it runs inside the program being
measured, so every module it loads is objects on that heap. The hunt,
``why``, ``show_retainers`` and ``show_growth`` load on first use.
"""

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .analysis.diff import diff
from .capture import checkpoint, snapshot, take_snapshot, walker_name
from .errors import LeakhuntError, LeakhuntWarning, SnapshotFileError, UsageError
from .files.snapshot_file import read_snapshot as load
from .files.snapshot_file import write_snapshot as save
from .model import (
    GcInfo,
    ProcessMemory,
    Snapshot,
    SnapshotDiff,
    TracemallocInfo,
    TypeDelta,
    TypeStat,
)
from .runtime.monitor import mark, monitor, track
from .runtime.ondemand import install_signal_handler

if TYPE_CHECKING:
    from .hunting import HuntResult, Leak, hunt
    from .runtime.growth import show_growth
    from .runtime.why import Why, show_retainers, why

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
    "show_growth",
    "show_retainers",
    "snapshot",
    "take_snapshot",
    "track",
    "walker_name",
    "why",
]

# name -> module that defines it, imported on first use
_LAZY = {
    "HuntResult": ".model.hunt",
    "Leak": ".model.hunt",
    "hunt": ".hunting",
    "Why": ".runtime.why",
    "why": ".runtime.why",
    "show_retainers": ".runtime.why",
    "show_growth": ".runtime.growth",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leakhunt' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
