"""A memory timeline as values: samples, marks, spans and snapshot marks
(what :mod:`leakhunt.files.timeline_file` reads), and what
:func:`leakhunt.analysis.timeline.summarize` says of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

__all__ = [
    "Mark",
    "Rise",
    "Sample",
    "SnapshotMark",
    "Span",
    "SpanStat",
    "Timeline",
    "TimelineSummary",
    "TypeGrowth",
]


@dataclass(frozen=True)
class Sample:
    """One periodic sample; ``t`` in seconds since the monitor started."""

    t: float
    rss: Optional[int] = None
    peak_rss: Optional[int] = None
    tm: Optional[int] = None
    tm_peak: Optional[int] = None
    wall: Optional[float] = None
    gc_collections: tuple[int, ...] = ()
    objects: Optional[int] = None
    types: tuple[tuple[str, int], ...] = ()
    #: the live heap (malloc's and pymalloc's bytes in use; format 1.1) and
    #: pymalloc's part of it
    heap: Optional[int] = None
    heap_py: Optional[int] = None


@dataclass(frozen=True)
class Mark:
    """A point: ``mark("label")`` not used as a context manager."""

    t: float
    label: str
    thread: str = ""
    rss: Optional[int] = None
    tm: Optional[int] = None
    heap: Optional[int] = None


@dataclass(frozen=True)
class Span:
    """A ``with mark(...)`` block or a ``@track`` call. ``end`` is None for
    a span still open when the file ends."""

    label: str
    start: float
    end: Optional[float] = None
    rss_start: Optional[int] = None
    rss_end: Optional[int] = None
    tm_start: Optional[int] = None
    tm_end: Optional[int] = None
    thread: str = ""
    depth: int = 0
    error: Optional[str] = None
    #: the live heap at entry and exit (format 1.1)
    heap_start: Optional[int] = None
    heap_end: Optional[int] = None
    #: the thread's ident (names can repeat); 0 when the file does not say
    tid: int = 0

    @property
    def kept(self) -> Optional[int]:
        """The live heap the span left behind (exit minus entry)."""
        if self.heap_start is None or self.heap_end is None:
            return None
        return self.heap_end - self.heap_start


@dataclass(frozen=True)
class SnapshotMark:
    """A snapshot taken while the monitor ran."""

    t: float
    label: Optional[str]
    path: Optional[str] = None
    seq: int = 0
    rss: Optional[int] = None


@dataclass(frozen=True)
class Timeline:
    """A whole timeline file, times relative to the monitor's start."""

    path: str
    samples: tuple[Sample, ...] = ()
    marks: tuple[Mark, ...] = ()
    spans: tuple[Span, ...] = ()
    snapshots: tuple[SnapshotMark, ...] = ()
    pid: int = 0
    python: str = ""
    program: str = ""
    interval: float = 0.0
    start_wall: float = 0.0
    part: int = 1
    ended: bool = False
    skipped_lines: int = 0
    #: the live-heap counter the file's "heap" figures come from
    #: ("mallinfo2+pymalloc"); None for a file without one (format 1.0, or
    #: written where there is none: ``heap_missing`` then says why)
    heap_source: Optional[str] = None
    heap_missing: str = ""
    format_version: str = ""


@dataclass(frozen=True)
class Rise:
    """A stretch where memory kept rising (dips under the tolerance ignored)."""

    start: float
    end: float
    rss_start: int
    rss_end: int
    labels: tuple[str, ...] = ()
    #: how much of the rise was still there at the end of the timeline (the
    #: lowest point after it, against its start); None when not computed
    kept: Optional[int] = None
    #: the series it was found on: "heap" (live heap; ``rss_start`` and
    #: ``rss_end`` then hold live-heap bytes) or "rss"
    metric: str = "rss"

    @property
    def rise(self) -> int:
        return self.rss_end - self.rss_start

    @property
    def given_back(self) -> int:
        """The part of the rise freed again later (0 when all of it stayed)."""
        return self.rise - (self.rise if self.kept is None else self.kept)

    @property
    def stayed(self) -> bool:
        """Most of the rise stayed: a rise of memory kept, not a transient."""
        return self.kept is None or self.kept * 2 >= self.rise

    @property
    def rate(self) -> float:
        """Bytes per second."""
        return self.rise / (self.end - self.start) if self.end > self.start else 0.0


@dataclass(frozen=True)
class SpanStat:
    """How much memory rose inside the spans of one label."""

    label: str
    calls: int
    open_calls: int
    seconds: float
    rise: int
    share: Optional[float]
    #: the same for traced memory (tracemalloc), when it was tracing
    tm_rise: Optional[int] = None
    tm_share: Optional[float] = None
    #: the live heap the spans left behind (exit minus entry over the steps
    #: only this label's thread was inside), its share of all that was kept
    #: (by every label and outside spans; frees left out); the RSS figures
    #: above when the file has no live heap (see TimelineSummary.kept_metric)
    kept: int = 0
    kept_share: Optional[float] = None
    #: how far the live heap rose above its entry inside a call before
    #: giving back, the mean over calls (only points inside the span count:
    #: samples and other spans' boundaries), and how many calls had such a point
    peak_each: float = 0.0
    peaks_seen: int = 0
    #: change during steps where spans of several threads ran at once: not
    #: in ``kept``, since it cannot be told whose it was
    ambiguous: int = 0
    #: kept per call estimated by least squares over the calls' counts when
    #: threads overlapped (None when every step was clear)
    kept_each_estimate: Optional[float] = None

    @property
    def kept_each(self) -> float:
        if self.kept_each_estimate is not None:
            return self.kept_each_estimate
        return self.kept / self.calls if self.calls else 0.0

    @property
    def given_back_each(self) -> float:
        """The transient part of a call: its peak above entry less what it kept."""
        return max(self.peak_each - max(self.kept_each, 0.0), 0.0)

    @property
    def rise_each(self) -> float:
        return self.rise / self.calls if self.calls else 0.0

    @property
    def tm_rise_each(self) -> float:
        return (self.tm_rise or 0) / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class TypeGrowth:
    name: str
    first: int
    last: int


@dataclass(frozen=True)
class TimelineSummary:
    duration: float
    first: int
    last: int
    peak: int
    metric: str
    rises: tuple[Rise, ...]
    spans: tuple[SpanStat, ...]
    inside_rise: int
    outside_rise: int
    tm_first: Optional[int] = None
    tm_last: Optional[int] = None
    tm_inside_rise: Optional[int] = None
    types: tuple[TypeGrowth, ...] = ()
    samples: int = 0
    marks: int = 0
    snapshots: int = 0
    skipped_lines: int = 0
    notes: tuple[str, ...] = field(default=())
    #: what spans are ranked by: "heap" (the live heap kept) or, for a file
    #: without a live heap, "rss" / "peak_rss"
    kept_metric: str = "rss"
    heap_first: Optional[int] = None
    heap_last: Optional[int] = None
    heap_peak: Optional[int] = None
    #: kept inside spans (clear steps), outside any span, and during steps
    #: where spans of several threads ran at once
    kept_inside: int = 0
    kept_outside: int = 0
    kept_ambiguous: int = 0
    #: threads that ran spans
    threads: int = 0
    #: labels whose RSS rose inside while the live heap did not keep it:
    #: ``(label, rss_rise, kept)``, biggest disagreement first
    disagreements: tuple[tuple[str, int, int], ...] = ()

    @property
    def rise(self) -> int:
        return self.last - self.first
