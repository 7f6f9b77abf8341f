"""Plain values that flow through leakhunt: snapshots, type statistics, diffs.

Everything here is a frozen dataclass. Nothing in this module touches ``gc``
or files; capture and files produce these values, analysis consumes them.

>>> s = TypeStat("dict", count=3, size=696)
>>> s.count, s.size
(3, 696)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from .owned import owned

if TYPE_CHECKING:
    from .heapgraph import HeapGraph

__all__ = [
    "GcInfo",
    "ProcessMemory",
    "Snapshot",
    "SnapshotDiff",
    "TracemallocInfo",
    "TypeDelta",
    "TypeStat",
]


@owned
@dataclass(frozen=True)
class TypeStat:
    """Live objects of one type: how many and their summed shallow size.

    ``name`` is ``module.QualName``; builtins are bare (``dict``, ``str``).
    """

    name: str
    count: int
    size: int


@owned
@dataclass(frozen=True)
class ProcessMemory:
    """Process-level memory in bytes; ``None`` where the platform cannot say."""

    rss: Optional[int] = None
    peak_rss: Optional[int] = None


@owned
@dataclass(frozen=True)
class GcInfo:
    """The garbage collector's state at capture time (``gc.get_count``/``get_stats``)."""

    counts: tuple[int, ...] = ()
    collections: tuple[int, ...] = ()
    collected: int = 0
    uncollectable: int = 0
    garbage: int = 0


@owned
@dataclass(frozen=True)
class TracemallocInfo:
    """Traced Python allocations in bytes, present only while tracemalloc traces."""

    current: int
    peak: int


@owned
@dataclass(frozen=True)
class Snapshot:
    """The heap at one checkpoint: a type histogram plus process metadata.

    ``types`` is sorted by descending size, then name. ``seq`` is the
    per-process sequence number of the checkpoint (1, 2, ...).
    """

    label: Optional[str]
    types: tuple[TypeStat, ...]
    wall_time: float
    monotonic_time: float
    pid: int
    python_version: str
    leakhunt_version: str
    memory: ProcessMemory = field(default_factory=ProcessMemory)
    gc: GcInfo = field(default_factory=GcInfo)
    tracemalloc: Optional[TracemallocInfo] = None
    seq: int = 0
    walker: str = "unknown"
    capture_seconds: float = 0.0
    excluded_objects: int = 0
    platform: str = ""
    format_version: str = ""
    path: Optional[str] = field(default=None, compare=False)
    #: The object graph, when the snapshot was taken with ``graph=True``.
    graph: Optional[HeapGraph] = None

    @property
    def total_count(self) -> int:
        """Number of live objects counted, all types together."""
        return sum(t.count for t in self.types)

    @property
    def total_size(self) -> int:
        """Summed shallow size of all counted objects, in bytes."""
        return sum(t.size for t in self.types)

    def stat(self, name: str) -> TypeStat:
        """The TypeStat for ``name``; a zero TypeStat when the type is absent."""
        for t in self.types:
            if t.name == name:
                return t
        return TypeStat(name, 0, 0)

    def by_name(self) -> dict[str, TypeStat]:
        """Type name -> TypeStat."""
        return {t.name: t for t in self.types}

    @property
    def display_label(self) -> str:
        """The label, or ``#seq`` when none was given."""
        if self.label:
            return self.label
        return f"#{self.seq}" if self.seq else "(unlabelled)"

    def __repr__(self) -> str:
        """Short, whatever the heap: ``<Snapshot 'after' #2: 66,026 objects,
        185 types, 5,437,112 bytes, graph>``."""
        seq = f" #{self.seq}" if self.seq and self.label else ""
        label = repr(self.label) if self.label else self.display_label
        graph = ", graph" if self.graph is not None else ""
        return (
            f"<Snapshot {label}{seq}: {self.total_count:,} objects, {len(self.types):,} types, "
            f"{self.total_size:,} bytes{graph}>"
        )

    def __str__(self) -> str:
        """The snapshot as ``leakhunt inspect`` shows it (its 20 biggest types)."""
        from ..render import render_inspect
        from ..views import inspect_view

        return render_inspect(inspect_view(self))


@owned
@dataclass(frozen=True)
class TypeDelta:
    """How one type changed between two snapshots."""

    name: str
    count_a: int
    count_b: int
    size_a: int
    size_b: int

    @property
    def count_delta(self) -> int:
        return self.count_b - self.count_a

    @property
    def size_delta(self) -> int:
        return self.size_b - self.size_a


@owned
@dataclass(frozen=True)
class SnapshotDiff:
    """Two snapshots compared type by type. ``deltas`` holds every type that
    changed in count or size (growing and shrinking), unsorted by policy: use
    :func:`leakhunt.views.select_deltas` to sort and filter for display."""

    a: Snapshot
    b: Snapshot
    deltas: tuple[TypeDelta, ...]

    @property
    def seconds_between(self) -> float:
        return self.b.wall_time - self.a.wall_time

    @property
    def rss_delta(self) -> Optional[int]:
        if self.a.memory.rss is None or self.b.memory.rss is None:
            return None
        return self.b.memory.rss - self.a.memory.rss

    @property
    def count_delta(self) -> int:
        return self.b.total_count - self.a.total_count

    @property
    def size_delta(self) -> int:
        return self.b.total_size - self.a.total_size

    def grown(self) -> tuple[TypeDelta, ...]:
        """Types whose count grew, biggest count growth first."""
        g = [d for d in self.deltas if d.count_delta > 0]
        g.sort(key=lambda d: (-d.count_delta, -d.size_delta, d.name))
        return tuple(g)

    def __repr__(self) -> str:
        """Short: ``<SnapshotDiff 'before' -> 'after': 3 types grew, +1,200 objects>``."""
        grew = sum(1 for d in self.deltas if d.count_delta > 0)
        return (
            f"<SnapshotDiff {self.a.display_label!r} -> {self.b.display_label!r}: "
            f"{grew} type{'s' if grew != 1 else ''} grew, {self.count_delta:+,} objects>"
        )

    def __str__(self) -> str:
        """The diff as ``leakhunt diff`` prints it: the 20 types that grew
        most in bytes and, for graph snapshots, what holds them (retained
        sizes left out: they are the slow part; ``leakhunt diff`` has them)."""
        from ..render import render_diff
        from ..views import diff_view

        return render_diff(diff_view(self, top=20, retained=False))
