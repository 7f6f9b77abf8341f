"""Reading a timeline file (written by :mod:`leakhunt.monitor`) and
analysing it: plain values in, plain values out.

``load_timeline`` tolerates damage at the end (a process killed mid-write
leaves a truncated last line): unreadable lines are skipped and counted.
``summarize`` says how much memory rose, where it rose fastest, and how much
of the rise happened inside each span label.

Attribution works on the memory series (every sample, mark and span
boundary, in time order): the change between two consecutive points counts
for a label when a span of that label covers the whole step. Span
boundaries are points of the series, so each step is entirely inside or
outside a span; "inside any span" plus "outside" is exactly the total rise.
Memory is per process: when two threads run spans at once, a step counts
for both labels.

>>> tl = Timeline("t", samples=(Sample(0.0, rss=100), Sample(2.0, rss=300)),
...               spans=(Span("load", start=0.5, end=1.5, rss_start=100, rss_end=300),))
>>> s = summarize(tl)
>>> s.rise, [(x.label, x.rise, x.calls) for x in s.spans], s.outside_rise
(200, [('load', 200, 1)], 0)
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import SnapshotFileError
from .storage import major_version

__all__ = [
    "Mark",
    "Rise",
    "Sample",
    "SnapshotMark",
    "Span",
    "SpanStat",
    "Timeline",
    "TimelineFileError",
    "TimelineSummary",
    "TypeGrowth",
    "load_timeline",
    "memory_series",
    "summarize",
]

FORMAT_NAME = "leakhunt.timeline"
_MAJOR = 1


class TimelineFileError(SnapshotFileError):
    """A timeline file that cannot be read: missing, empty, foreign, newer."""


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


@dataclass(frozen=True)
class Mark:
    """A point: ``mark("label")`` not used as a context manager."""

    t: float
    label: str
    thread: str = ""
    rss: Optional[int] = None
    tm: Optional[int] = None


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


@dataclass(frozen=True)
class Rise:
    """A stretch where memory kept rising (dips under the tolerance ignored)."""

    start: float
    end: float
    rss_start: int
    rss_end: int
    labels: tuple[str, ...] = ()

    @property
    def rise(self) -> int:
        return self.rss_end - self.rss_start

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

    @property
    def rise(self) -> int:
        return self.last - self.first


# ------------------------------------------------------------------ reading


def _int(v: Any) -> Optional[int]:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _num(v: Any) -> Optional[float]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return None


def _check_header(path: str, first: bytes) -> dict[str, Any]:
    if first.startswith(b"\x1f\x8b"):
        raise TimelineFileError(
            path, "is gzip data, not a timeline (a snapshot file? try 'leakhunt inspect')"
        )
    try:
        doc = json.loads(first)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        if isinstance(doc, dict) and doc.get("format") == "leakhunt.snapshot":
            raise TimelineFileError(path, "is a snapshot, not a timeline (try 'leakhunt inspect')")
        raise TimelineFileError(
            path, f'not a leakhunt timeline (its first line has no "format": "{FORMAT_NAME}")'
        )
    version = doc.get("format_version")
    if major_version(path, version, TimelineFileError) > _MAJOR:
        raise TimelineFileError(
            path, f"written by a newer leakhunt (timeline format {version}): upgrade leakhunt"
        )
    return doc


def load_timeline(path: str | os.PathLike[str]) -> Timeline:
    """Read a timeline file. Raises TimelineFileError (one line naming the
    file and the problem) for a file that is missing, empty or foreign;
    lines that cannot be read (a truncated last line) are skipped and
    counted in ``skipped_lines``."""
    p = os.fspath(path)
    try:
        with open(p, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise TimelineFileError(p, "no such file") from None
    except IsADirectoryError:
        raise TimelineFileError(p, "is a directory, not a timeline file") from None
    except OSError as e:
        raise TimelineFileError(p, f"cannot read: {e.strerror or e}") from None
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines or not raw.strip():
        raise TimelineFileError(p, "is empty, not a leakhunt timeline")
    head = _check_header(p, lines[0])
    t0 = _num(head.get("t")) or 0.0
    samples: list[Sample] = []
    marks: dict[int, Mark] = {}
    enters: dict[int, dict[str, Any]] = {}
    exits: dict[int, dict[str, Any]] = {}
    snaps: list[SnapshotMark] = []
    skipped = 0
    ended = False
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        t = _num(rec.get("t")) if isinstance(rec, dict) else None
        if t is None or not isinstance(rec, dict):
            skipped += 1
            continue
        t -= t0
        kind = rec.get("kind")
        if kind == "sample":
            gcd: dict[str, Any] = rec["gc"] if isinstance(rec.get("gc"), dict) else {}
            raw_types = rec.get("types")
            types: tuple[tuple[str, int], ...] = ()
            if isinstance(raw_types, list):
                types = tuple(
                    (str(x[0]), int(x[1]))
                    for x in raw_types
                    if isinstance(x, list) and len(x) >= 2 and _int(x[1]) is not None
                )
            coll = gcd.get("collections")
            samples.append(
                Sample(
                    t,
                    rss=_int(rec.get("rss")),
                    peak_rss=_int(rec.get("peak_rss")),
                    tm=_int(rec.get("tm")),
                    tm_peak=_int(rec.get("tm_peak")),
                    wall=_num(rec.get("wall")),
                    gc_collections=tuple(c for c in coll if _int(c) is not None)
                    if isinstance(coll, list)
                    else (),
                    objects=_int(rec.get("objects")),
                    types=types,
                )
            )
        elif kind in ("mark", "enter", "exit") and _int(rec.get("id")) is not None:
            ident = int(rec["id"])
            if kind == "mark":
                marks[ident] = Mark(
                    t,
                    str(rec.get("label")),
                    str(rec.get("thread", "")),
                    _int(rec.get("rss")),
                    _int(rec.get("tm")),
                )
            else:
                rec["t"] = t
                (enters if kind == "enter" else exits)[ident] = rec
        elif kind == "snapshot":
            label = rec.get("label")
            snaps.append(
                SnapshotMark(
                    t,
                    None if label is None else str(label),
                    rec.get("path") if isinstance(rec.get("path"), str) else None,
                    _int(rec.get("seq")) or 0,
                    _int(rec.get("rss")),
                )
            )
        elif kind == "end":
            ended = True
        # unknown kinds: a newer minor version; ignored
    spans = []
    for ident, en in enters.items():
        x = exits.get(ident)
        spans.append(
            Span(
                str(en.get("label")),
                start=en["t"],
                end=None if x is None else x["t"],
                rss_start=_int(en.get("rss")),
                rss_end=None if x is None else _int(x.get("rss")),
                tm_start=_int(en.get("tm")),
                tm_end=None if x is None else _int(x.get("tm")),
                thread=str(en.get("thread", "")),
                depth=_int(en.get("depth")) or 0,
                error=None if x is None or x.get("error") is None else str(x.get("error")),
            )
        )
    spans.sort(key=lambda s: s.start)
    points = sorted((m for i, m in marks.items() if i not in enters), key=lambda m: m.t)
    return Timeline(
        path=p,
        samples=tuple(sorted(samples, key=lambda s: s.t)),
        marks=tuple(points),
        spans=tuple(spans),
        snapshots=tuple(sorted(snaps, key=lambda s: s.t)),
        pid=_int(head.get("pid")) or 0,
        python=str(head.get("python", "")),
        program=str(head.get("program", "")),
        interval=_num(head.get("interval")) or 0.0,
        start_wall=_num(head.get("wall")) or 0.0,
        part=_int(head.get("part")) or 1,
        ended=ended,
        skipped_lines=skipped,
    )


# ------------------------------------------------------------------ analysis


def traced_series(tl: Timeline) -> list[tuple[float, int]]:
    """``[(t, bytes), ...]`` of traced memory (tracemalloc) in time order,
    from every sample, mark and span boundary that has it; [] when the
    program did not trace."""
    pts = [(s.t, s.tm) for s in tl.samples if s.tm is not None]
    pts += [(m.t, m.tm) for m in tl.marks if m.tm is not None]
    for sp in tl.spans:
        if sp.tm_start is not None:
            pts.append((sp.start, sp.tm_start))
        if sp.end is not None and sp.tm_end is not None:
            pts.append((sp.end, sp.tm_end))
    pts.sort(key=lambda x: x[0])
    return pts


def _attribute(
    series: list[tuple[float, int]], spans: tuple[Span, ...], end: float
) -> tuple[dict[str, int], int, list[frozenset[str]]]:
    """Per label, the change over the steps its spans cover; the change
    over steps inside any span; the coverage of each step."""
    cover = _coverage(series, spans, end)
    per: dict[str, int] = {}
    inside = 0
    for i, labels in enumerate(cover):
        d = series[i + 1][1] - series[i][1]
        if labels:
            inside += d
        for label in labels:
            per[label] = per.get(label, 0) + d
    return per, inside, cover


def memory_series(tl: Timeline) -> tuple[str, list[tuple[float, int]]]:
    """``(metric, [(t, bytes), ...])`` in time order: RSS from every sample,
    mark, span boundary and snapshot. Where the platform gives no current
    RSS (macOS without /proc), the samples' peak RSS."""
    pts: list[tuple[float, int]] = []
    for s in tl.samples:
        if s.rss is not None:
            pts.append((s.t, s.rss))
    for m in tl.marks:
        if m.rss is not None:
            pts.append((m.t, m.rss))
    for sp in tl.spans:
        if sp.rss_start is not None:
            pts.append((sp.start, sp.rss_start))
        if sp.end is not None and sp.rss_end is not None:
            pts.append((sp.end, sp.rss_end))
    for sn in tl.snapshots:
        if sn.rss is not None:
            pts.append((sn.t, sn.rss))
    if pts:
        pts.sort(key=lambda x: x[0])
        return "rss", pts
    peaks = [(s.t, s.peak_rss) for s in tl.samples if s.peak_rss is not None]
    return "peak_rss", peaks


def _coverage(
    series: list[tuple[float, int]], spans: tuple[Span, ...], end: float
) -> list[frozenset[str]]:
    """For each step (series[i] -> series[i+1]) the labels whose spans cover it.

    Span boundaries are points of the series, so a span open at a step's
    start is open until its end."""
    events: list[tuple[float, int, str]] = []
    for sp in spans:
        events.append((sp.start, 1, sp.label))
        events.append((end if sp.end is None else sp.end, -1, sp.label))
    events.sort(key=lambda e: (e[0], e[1]))
    active: dict[str, int] = {}
    out: list[frozenset[str]] = []
    j = 0
    for i in range(len(series) - 1):
        a = series[i][0]
        while j < len(events) and events[j][0] <= a:
            _, d, label = events[j]
            active[label] = active.get(label, 0) + d
            j += 1
        out.append(frozenset(k for k, v in active.items() if v > 0))
    return out


def _rises(
    series: list[tuple[float, int]], cover: list[frozenset[str]], *, top: int, interval: float
) -> tuple[Rise, ...]:
    """The steepest rises: for every point, the biggest rise to a later
    point within a window (a 25th of the run, at least 2.5 sample
    intervals or point spacings); the biggest of those that do not overlap, each more than a
    tolerance (2% of the range, at least 256 KiB). A sudden jump beats a
    slow climb of the same height; on a steady climb they are windows of it."""
    n = len(series)
    if n < 2:
        return ()
    times = [t for t, _ in series]
    values = [v for _, v in series]
    tol = max((max(values) - min(values)) // 50, 256 * 1024)
    steps = sorted(b - a for a, b in itertools.pairwise(times) if b > a)
    typical = steps[len(steps) // 2] if steps else 0.0
    width = max((times[-1] - times[0]) / 25, 2.5 * max(interval, typical))
    # sliding window maximum (monotonic deque), scanning from the right
    from collections import deque

    best: list[tuple[int, int, int]] = []  # (rise, i, k)
    dq: deque[int] = deque()  # indices, values decreasing
    j = n - 1
    for i in range(n - 1, -1, -1):
        while j > i and times[j] - times[i] > width:
            if dq and dq[0] == j:
                dq.popleft()
            j -= 1
        if i + 1 <= j:
            k = i + 1
            while dq and values[dq[-1]] <= values[k]:
                dq.pop()
            dq.append(k)
        # dq holds indices in (i, j]; k > i + 1 were added at earlier steps
        if dq and values[dq[0]] - values[i] > tol:
            best.append((values[dq[0]] - values[i], i, dq[0]))
    best.sort(key=lambda r: (-r[0], r[1]))
    chosen: list[tuple[int, int, int]] = []
    for rise, i, k in best:
        if all(k <= a or i >= b for _, a, b in chosen):
            chosen.append((rise, i, k))
            if len(chosen) == top:
                break
    out = []
    for rise, a, b in chosen:
        # start where the rise really starts: a slow climb before a jump is not the jump
        while a + 1 < b and values[b] - values[a + 1] >= 0.9 * rise:
            a += 1
        rise = values[b] - values[a]
        per: dict[str, int] = {}
        for i in range(a, b):
            d = values[i + 1] - values[i]
            for label in cover[i]:
                per[label] = per.get(label, 0) + d
        labels = tuple(k for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v * 2 > rise)
        out.append(Rise(times[a], times[b], values[a], values[b], labels))
    return tuple(out)


def summarize(tl: Timeline, *, top_rises: int = 3) -> TimelineSummary:
    """How much memory rose, the biggest rises, and how much of the rise
    happened inside each span label. Raises TimelineFileError when the
    timeline has no memory figures at all."""
    metric, series = memory_series(tl)
    if not series:
        raise TimelineFileError(tl.path, "has no memory samples to show")
    end = series[-1][0]
    per, inside, cover = _attribute(series, tl.spans, end)
    total = series[-1][1] - series[0][1]
    traced = traced_series(tl)
    tm_per: Optional[dict[str, int]] = None
    tm_inside = None
    tm_total = 0
    if len(traced) >= 2:
        tm_per, tm_inside, _ = _attribute(traced, tl.spans, end)
        tm_total = traced[-1][1] - traced[0][1]
    stats = []
    by_label: dict[str, list[Span]] = {}
    for sp in tl.spans:
        by_label.setdefault(sp.label, []).append(sp)
    for label, mine in by_label.items():
        closed = [sp for sp in mine if sp.end is not None]
        rise = per.get(label, 0)
        stats.append(
            SpanStat(
                label,
                calls=len(closed),
                open_calls=len(mine) - len(closed),
                seconds=sum((end if sp.end is None else sp.end) - sp.start for sp in mine),
                rise=rise,
                share=rise / total if total > 0 else None,
                tm_rise=None if tm_per is None else tm_per.get(label, 0),
                tm_share=(
                    tm_per.get(label, 0) / tm_total if tm_per is not None and tm_total > 0 else None
                ),
            )
        )
    stats.sort(key=lambda s: (-s.rise, s.label))
    typed = [s for s in tl.samples if s.types]
    growth: list[TypeGrowth] = []
    if len(typed) >= 2:
        first = dict(typed[0].types)
        for name, n in typed[-1].types:
            if name in first and n > first[name]:
                growth.append(TypeGrowth(name, first[name], n))
        growth.sort(key=lambda g: (g.first - g.last, g.name))
    notes = []
    if tl.skipped_lines:
        n = tl.skipped_lines
        notes.append(
            f"{n} line{'' if n == 1 else 's'} skipped (truncated or not JSON; "
            "the process may have been killed while writing)"
        )
    if metric == "peak_rss":
        notes.append("no current RSS on this platform: the curve is the peak RSS")
    return TimelineSummary(
        duration=end - series[0][0],
        first=series[0][1],
        last=series[-1][1],
        peak=max(v for _, v in series),
        metric=metric,
        rises=_rises(series, cover, top=top_rises, interval=tl.interval),
        spans=tuple(stats),
        inside_rise=inside,
        outside_rise=total - inside,
        tm_first=traced[0][1] if traced else None,
        tm_last=traced[-1][1] if traced else None,
        tm_inside_rise=tm_inside,
        types=tuple(growth),
        samples=len(tl.samples),
        marks=len(tl.marks),
        snapshots=len(tl.snapshots),
        skipped_lines=tl.skipped_lines,
        notes=tuple(notes),
    )
