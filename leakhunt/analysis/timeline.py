"""Analysing a memory timeline (read by
:func:`leakhunt.files.timeline_file.load_timeline`): plain values in, plain
values out. ``summarize`` says how much memory rose, where it rose fastest, and how much
of the rise happened inside each span label.

Attribution works on the memory series (every sample, mark and span
boundary, in time order): the change between two consecutive points counts
for a label when a span of that label covers the whole step. Span
boundaries are points of the series, so each step is entirely inside or
outside a span; "inside any span" plus "outside" is exactly the total rise.
Memory is per process: when two threads run spans at once, a step counts
for both labels.

>>> from leakhunt.model.timeline import Sample, Span, Timeline
>>> tl = Timeline("t", samples=(Sample(0.0, rss=100), Sample(2.0, rss=300)),
...               spans=(Span("load", start=0.5, end=1.5, rss_start=100, rss_end=300),))
>>> s = summarize(tl)
>>> s.rise, [(x.label, x.rise, x.calls) for x in s.spans], s.outside_rise
(200, [('load', 200, 1)], 0)
"""

from __future__ import annotations

import itertools
from typing import Optional

from ..errors import TimelineFileError
from ..model.timeline import (
    Rise,
    Span,
    SpanStat,
    Timeline,
    TimelineSummary,
    TypeGrowth,
)

__all__ = ["memory_series", "summarize", "traced_series"]


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
