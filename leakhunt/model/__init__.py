"""Plain values that flow through leakhunt: snapshots, type statistics, diffs,
object graphs, retainer paths and growth. Frozen dataclasses; nothing here
touches ``gc`` or files: capture and files produce these values, analysis
consumes them.

>>> s = TypeStat("dict", count=3, size=696)
>>> s.count, s.size
(3, 696)
"""

from typing import TYPE_CHECKING, Any

from .owned import LIVE_OWNED, live_owned, owned
from .snapshot import (
    GcInfo,
    ProcessMemory,
    Snapshot,
    SnapshotDiff,
    TracemallocInfo,
    TypeDelta,
    TypeStat,
)

if TYPE_CHECKING:
    from .growth import ClusterGrowth, ContainerGrowth, TypeChurn, TypeRetention
    from .heapgraph import (
        HELD_OUTSIDE,
        MEMBERS_CAP,
        NO_PATH,
        Cluster,
        HeapGraph,
        RetainerPath,
        ReverseEdges,
        readable_labels,
    )

__all__ = [
    "HELD_OUTSIDE",
    "LIVE_OWNED",
    "MEMBERS_CAP",
    "NO_PATH",
    "Cluster",
    "ClusterGrowth",
    "ContainerGrowth",
    "GcInfo",
    "HeapGraph",
    "ProcessMemory",
    "RetainerPath",
    "ReverseEdges",
    "Snapshot",
    "SnapshotDiff",
    "TracemallocInfo",
    "TypeChurn",
    "TypeDelta",
    "TypeRetention",
    "TypeStat",
    "live_owned",
    "owned",
    "readable_labels",
]

# Graphs and growth load on first use: `import leakhunt` (inside the program
# being measured) needs only the snapshot values. Capture imports them before
# its walk when it takes a graph, so a first use is never counted as growth.
_LAZY = {
    "HELD_OUTSIDE": ".heapgraph",
    "MEMBERS_CAP": ".heapgraph",
    "NO_PATH": ".heapgraph",
    "Cluster": ".heapgraph",
    "HeapGraph": ".heapgraph",
    "RetainerPath": ".heapgraph",
    "ReverseEdges": ".heapgraph",
    "readable_labels": ".heapgraph",
    "ClusterGrowth": ".growth",
    "ContainerGrowth": ".growth",
    "TypeRetention": ".growth",
    "TypeChurn": ".growth",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'leakhunt.model' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
