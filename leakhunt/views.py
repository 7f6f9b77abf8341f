"""View models: what ``leakhunt diff`` and ``leakhunt inspect`` show, as data.

Compute, then present: this module decides which rows to show and in what
order (sort, top, min-count, shrinking types); the renderers in
:mod:`leakhunt.render` only turn a view into text. Tests assert on views.

>>> from leakhunt.analysis.diff import diff
>>> from leakhunt.model import Snapshot, TypeStat
>>> a = Snapshot("a", (TypeStat("dict", 10, 1000), TypeStat("list", 5, 280)), 0.0, 0.0, 1, "", "")
>>> b = Snapshot("b", (TypeStat("dict", 12, 1200), TypeStat("list", 9, 504)), 5.0, 5.0, 1, "", "")
>>> view = diff_view(diff(a, b), sort="count", top=1)
>>> [(r.name, r.count_delta) for r in view.rows], view.omitted
([('list', 4)], 1)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Optional

from .analysis import Progress
from .analysis.churn import churn
from .analysis.diff import matches_filters
from .analysis.growth import explain_growth
from .model import Snapshot, SnapshotDiff, TypeChurn, TypeDelta, TypeRetention, TypeStat

__all__ = [
    "MAX_CLUSTERS",
    "SORT_KEYS",
    "DiffView",
    "InspectView",
    "SideView",
    "SortKey",
    "diff_view",
    "growth_at_least",
    "inspect_view",
    "select_deltas",
    "select_stats",
]

SortKey = Literal["bytes", "count"]
SORT_KEYS: tuple[SortKey, ...] = ("bytes", "count")

#: How many retainer-path clusters ``leakhunt diff`` shows per grown type.
MAX_CLUSTERS = 3


@dataclass(frozen=True)
class SideView:
    """One side (A or B) of a diff, as the header shows it."""

    label: Optional[str]
    display_label: str
    seq: int
    wall_time: float
    path: Optional[str]
    pid: int
    rss: Optional[int]
    total_count: int
    total_size: int
    #: the snapshot's format: ``"v8"`` for a Node or Chrome heap snapshot
    format_version: str = ""

    @classmethod
    def of(cls, s: Snapshot) -> SideView:
        return cls(
            label=s.label,
            display_label=s.display_label,
            seq=s.seq,
            wall_time=s.wall_time,
            path=s.path,
            pid=s.pid,
            rss=s.memory.rss,
            total_count=s.total_count,
            total_size=s.total_size,
            format_version=s.format_version,
        )


@dataclass(frozen=True)
class DiffView:
    """Everything ``leakhunt diff`` shows: the header numbers and the rows
    chosen for display, biggest first. ``omitted`` counts rows that matched
    the selection but were cut by ``top``.

    ``retention`` holds, for each row whose count grew, the retainer-path
    clusters that account for the growth (see
    :func:`leakhunt.analysis.growth.explain_growth`); it is None when a snapshot
    carries no object graph (or paths were not asked for)."""

    a: SideView
    b: SideView
    seconds_between: float
    rss_delta: Optional[int]
    count_delta: int
    size_delta: int
    rows: tuple[TypeDelta, ...]
    omitted: int
    sort: SortKey
    top: int
    min_count: int
    include_shrinking: bool
    retention: Optional[tuple[TypeRetention, ...]] = None
    #: ``--type`` and ``--module`` filters the rows passed (empty: none)
    types: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    #: new and deleted objects of each shown row, when both snapshots
    #: carry a graph (see :class:`leakhunt.model.TypeChurn`); else None
    churn: Optional[tuple[TypeChurn, ...]] = None

    def churn_of(self, name: str) -> Optional[TypeChurn]:
        """New and deleted objects of row ``name``; None when not known."""
        for c in self.churn or ():
            if c.name == name:
                return c
        return None

    def retention_of(self, name: str) -> Optional[TypeRetention]:
        """The retainer-path clusters of row ``name``; None when not analysed."""
        for r in self.retention or ():
            if r.name == name:
                return r
        return None

    @property
    def same_process(self) -> bool:
        """Whether A and B come from one process (a cross-process diff also
        shows interpreter start-up differences, not only growth)."""
        return self.a.pid == self.b.pid


@dataclass(frozen=True)
class InspectView:
    """Everything ``leakhunt inspect`` shows about one Snapshot."""

    label: Optional[str]
    display_label: str
    seq: int
    wall_time: float
    path: Optional[str]
    pid: int
    python_version: str
    platform: str
    leakhunt_version: str
    format_version: str
    walker: str
    capture_seconds: float
    rss: Optional[int]
    peak_rss: Optional[int]
    gc_collections: tuple[int, ...]
    tracemalloc_current: Optional[int]
    tracemalloc_peak: Optional[int]
    total_count: int
    total_size: int
    rows: tuple[TypeStat, ...]
    omitted: int
    sort: SortKey
    top: int


def _check(sort: str, top: int) -> None:
    if sort not in SORT_KEYS:
        raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {sort!r}")
    if top < 0:
        raise ValueError(f"top must be >= 0, not {top}")


def select_deltas(
    deltas: Iterable[TypeDelta],
    *,
    sort: SortKey = "bytes",
    top: int = 20,
    min_count: int = 1,
    include_shrinking: bool = False,
) -> tuple[tuple[TypeDelta, ...], int]:
    """The rows to show and how many more matched but were cut by ``top``.

    A type is listed when its count grew by at least ``min_count``; with
    ``min_count=0`` a type whose count held but whose bytes grew (one list
    that keeps growing) is listed too. ``include_shrinking`` also lists
    types that shrank by at least ``min_count`` objects (or, with 0, in
    bytes). Growing types come first, biggest first by ``sort`` (``"bytes"``
    or ``"count"``), then shrinking types, biggest shrink first. ``top=0``
    keeps every row.

    >>> ds = [TypeDelta("a", 0, 3, 0, 30), TypeDelta("b", 5, 1, 50, 10)]
    >>> ds.append(TypeDelta("c", 0, 1, 0, 99))
    >>> rows, omitted = select_deltas(ds, sort="count", include_shrinking=True)
    >>> [r.name for r in rows], omitted
    (['a', 'c', 'b'], 0)
    """
    _check(sort, top)
    if min_count < 0:
        raise ValueError(f"min_count must be >= 0, not {min_count}")

    def key(d: TypeDelta, sign: int) -> tuple[int, int, str]:
        if sort == "count":
            return (-sign * d.count_delta, -sign * d.size_delta, d.name)
        return (-sign * d.size_delta, -sign * d.count_delta, d.name)

    grown: list[TypeDelta] = []
    shrunk: list[TypeDelta] = []
    for d in deltas:
        if d.count_delta > 0 or (d.count_delta == 0 and d.size_delta > 0):
            if d.count_delta >= min_count:
                grown.append(d)
        elif include_shrinking and -d.count_delta >= min_count:
            shrunk.append(d)
    grown.sort(key=lambda d: key(d, 1))
    shrunk.sort(key=lambda d: key(d, -1))
    rows = grown + shrunk
    if top and len(rows) > top:
        return tuple(rows[:top]), len(rows) - top
    return tuple(rows), 0


def select_stats(
    stats: Iterable[TypeStat], *, sort: SortKey = "bytes", top: int = 20
) -> tuple[tuple[TypeStat, ...], int]:
    """The biggest ``top`` types by bytes or count (``top=0``: all), and how
    many were cut.

    >>> stats = [TypeStat("a", 1, 90), TypeStat("b", 9, 10)]
    >>> rows, omitted = select_stats(stats, sort="count", top=1)
    >>> [r.name for r in rows], omitted
    (['b'], 1)
    """
    _check(sort, top)
    if sort == "count":
        rows = sorted(stats, key=lambda t: (-t.count, -t.size, t.name))
    else:
        rows = sorted(stats, key=lambda t: (-t.size, -t.count, t.name))
    if top and len(rows) > top:
        return tuple(rows[:top]), len(rows) - top
    return tuple(rows), 0


def diff_view(
    d: SnapshotDiff,
    *,
    sort: SortKey = "bytes",
    top: int = 20,
    min_count: int = 1,
    include_shrinking: bool = False,
    paths: bool = True,
    max_clusters: int = MAX_CLUSTERS,
    retained: bool = True,
    progress: Progress = None,
    types: Iterable[str] = (),
    modules: Iterable[str] = (),
) -> DiffView:
    """The header numbers of ``d`` and the rows to show (see
    :func:`select_deltas`).

    When both snapshots carry an object graph and ``paths`` is true, each
    shown row whose count grew also gets the retainer-path clusters that
    account for its growth, at most ``max_clusters`` of them (0: all), with
    their retained sizes unless ``retained`` is false (the dominator tree
    is the slowest step on a big graph). ``types`` and ``modules`` keep only
    the rows they name (see :func:`leakhunt.analysis.diff.matches_filters`).
    With both graphs (and ``paths``), each shown row also gets its new and
    deleted objects.
    """
    types, modules = tuple(types), tuple(modules)
    deltas = [t for t in d.deltas if matches_filters(t.name, types, modules)]
    rows, omitted = select_deltas(
        deltas, sort=sort, top=top, min_count=min_count, include_shrinking=include_shrinking
    )
    retention = churn_rows = None
    if paths and d.a.graph is not None and d.b.graph is not None:
        v8 = d.a.format_version == "v8" and d.b.format_version == "v8"  # ids objects keep
        churn_rows = churn(d.a.graph, d.b.graph, [r.name for r in rows], by_id=v8)
        retention = explain_growth(
            d.a.graph,
            d.b.graph,
            [r.name for r in rows if r.count_delta > 0],
            max_clusters=max_clusters,
            retained=retained,
            progress=progress,
        )
    return DiffView(
        a=SideView.of(d.a),
        b=SideView.of(d.b),
        seconds_between=d.seconds_between,
        rss_delta=d.rss_delta,
        count_delta=d.count_delta,
        size_delta=d.size_delta,
        rows=rows,
        omitted=omitted,
        sort=sort,
        top=top,
        min_count=min_count,
        include_shrinking=include_shrinking,
        retention=retention,
        types=types,
        modules=modules,
        churn=churn_rows,
    )


def growth_at_least(
    d: SnapshotDiff, threshold: int, *, types: Iterable[str] = (), modules: Iterable[str] = ()
) -> tuple[TypeDelta, ...]:
    """Types whose count grew by ``threshold`` objects or more, biggest
    growth first, among the types that ``types``/``modules`` name (all when
    both are empty): what trips ``--fail-on-growth``.

    >>> from leakhunt.analysis.diff import diff
    >>> a = Snapshot("a", (TypeStat("dict", 10, 100),), 0.0, 0.0, 1, "", "")
    >>> b = Snapshot("b", (TypeStat("dict", 15, 150),), 1.0, 1.0, 1, "", "")
    >>> [t.name for t in growth_at_least(diff(a, b), 5)], growth_at_least(diff(a, b), 6)
    (['dict'], ())
    """
    if threshold < 1:
        raise ValueError(f"threshold must be >= 1, not {threshold}")
    types, modules = tuple(types), tuple(modules)
    return tuple(
        t
        for t in d.grown()
        if t.count_delta >= threshold and matches_filters(t.name, types, modules)
    )


def inspect_view(s: Snapshot, *, sort: SortKey = "bytes", top: int = 20) -> InspectView:
    """The header of ``s`` and its biggest types (see :func:`select_stats`)."""
    rows, omitted = select_stats(s.types, sort=sort, top=top)
    return InspectView(
        label=s.label,
        display_label=s.display_label,
        seq=s.seq,
        wall_time=s.wall_time,
        path=s.path,
        pid=s.pid,
        python_version=s.python_version,
        platform=s.platform,
        leakhunt_version=s.leakhunt_version,
        format_version=s.format_version,
        walker=s.walker,
        capture_seconds=s.capture_seconds,
        rss=s.memory.rss,
        peak_rss=s.memory.peak_rss,
        gc_collections=s.gc.collections,
        tracemalloc_current=None if s.tracemalloc is None else s.tracemalloc.current,
        tracemalloc_peak=None if s.tracemalloc is None else s.tracemalloc.peak,
        total_count=s.total_count,
        total_size=s.total_size,
        rows=rows,
        omitted=omitted,
        sort=sort,
        top=top,
    )
