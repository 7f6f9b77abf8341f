"""(Just past ~500 lines: the summary's steps read one another's results;
the thread-overlap estimate already lives in analysis/overlap.py.)

Analysing a memory timeline (read by
:func:`leakhunt.files.timeline_file.load_timeline`): plain values in, plain
values out. ``summarize`` says how much memory the program kept, where it
rose fastest and whether it gave it back, and how much each span label kept.

Spans are credited with the **live heap** they left behind (malloc's and
pymalloc's bytes in use, recorded since format 1.1), not with RSS deltas:
an allocator keeps freed memory cached, so RSS does not fall after a big
temporary is freed, and the next span's allocation reuses it without RSS
moving. RSS deltas therefore credit memory to whichever action touched it
first; the live heap credits it to the action that kept it. Files without a
live heap (format 1.0, or a platform without a counter) fall back to RSS,
and the summary says so.

Attribution works on the memory series (every sample, mark and span
boundary, in time order): the change between two consecutive points counts
for a label when a span of that label covers the whole step. Span
boundaries are points of the series, so each step is entirely inside or
outside a span; "inside" plus "outside" is exactly the total. Memory is per
process: a step during which spans of *several threads* ran is ambiguous;
its change is kept apart (``ambiguous``) rather than guessed, and when that
is most of the change each label's kept per call is estimated by least
squares over how many of its calls had started and ended at every point.

>>> from leakhunt.model.timeline import Sample, Span, Timeline
>>> tl = Timeline("t", samples=(Sample(0.0, rss=100), Sample(2.0, rss=300)),
...               spans=(Span("load", start=0.5, end=1.5, rss_start=100, rss_end=300),))
>>> s = summarize(tl)
>>> s.rise, [(x.label, x.rise, x.calls) for x in s.spans], s.outside_rise
(200, [('load', 200, 1)], 0)
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections import deque
from collections.abc import Sequence
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
from .overlap import estimate_kept, thread_key

__all__ = ["heap_series", "memory_series", "summarize", "traced_series"]

Series = list[tuple[float, int]]


def traced_series(tl: Timeline) -> Series:
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


def heap_series(tl: Timeline) -> Series:
    """``[(t, bytes), ...]`` of the live heap in time order, from every
    sample, mark and span boundary that has it; [] for a file without one."""
    pts = [(s.t, s.heap) for s in tl.samples if s.heap is not None]
    pts += [(m.t, m.heap) for m in tl.marks if m.heap is not None]
    for sp in tl.spans:
        if sp.heap_start is not None:
            pts.append((sp.start, sp.heap_start))
        if sp.end is not None and sp.heap_end is not None:
            pts.append((sp.end, sp.heap_end))
    pts.sort(key=lambda x: x[0])
    return pts


def memory_series(tl: Timeline) -> tuple[str, Series]:
    """``(metric, [(t, bytes), ...])`` in time order: RSS from every sample,
    mark, span boundary and snapshot. Where the platform gives no current
    RSS (macOS without /proc), the samples' peak RSS."""
    pts: Series = []
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
    series: Series, spans: tuple[Span, ...], end: float
) -> list[tuple[tuple[str, ...], int]]:
    """For each step (series[i] -> series[i+1]): the labels whose spans
    cover it, and how many threads those spans run in.

    Span boundaries are points of the series, so a span open at a step's
    start is open until its end. Linear in steps plus spans (times the
    spans open at once): labels leave the active set when their last span
    closes, so thousands of distinct labels cost nothing extra."""
    events: list[tuple[float, int, str, object]] = []
    for sp in spans:
        key = thread_key(sp)
        events.append((sp.start, 1, sp.label, key))
        events.append((end if sp.end is None else sp.end, -1, sp.label, key))
    events.sort(key=lambda e: (e[0], e[1]))
    labels: dict[str, int] = {}
    threads: dict[object, int] = {}
    out: list[tuple[tuple[str, ...], int]] = []
    current: tuple[tuple[str, ...], int] = ((), 0)
    changed = False
    j = 0
    for i in range(len(series) - 1):
        a = series[i][0]
        while j < len(events) and events[j][0] <= a:
            _, d, label, key = events[j]
            n = labels.get(label, 0) + d
            if n > 0:
                labels[label] = n
            else:
                labels.pop(label, None)
            n = threads.get(key, 0) + d
            if n > 0:
                threads[key] = n
            else:
                threads.pop(key, None)
            changed = True
            j += 1
        if changed:
            current = (tuple(labels), len(threads))
            changed = False
        out.append(current)
    return out


def _attribute(
    series: Series, cover: list[tuple[tuple[str, ...], int]]
) -> tuple[dict[str, int], int, dict[str, int], int]:
    """Per label, the change over the clear steps its spans cover (one
    thread inside spans); the change over clear steps inside any span; per
    label and in all, the change over ambiguous steps (several threads)."""
    per: dict[str, int] = {}
    amb: dict[str, int] = {}
    inside = 0
    ambiguous = 0
    for i, (labels, nthreads) in enumerate(cover):
        if not labels:
            continue
        d = series[i + 1][1] - series[i][1]
        if nthreads > 1:
            ambiguous += d
            for label in labels:
                amb[label] = amb.get(label, 0) + d
            continue
        inside += d
        for label in labels:
            per[label] = per.get(label, 0) + d
    return per, inside, amb, ambiguous


def _peaks(series: Series, spans: Sequence[Span]) -> dict[str, tuple[float, int]]:
    """Per label: the mean over closed calls of how far the series rose above
    the call's entry inside it (points strictly inside the span, and its
    exit), and how many calls had a point inside. Range maxima come from
    blocks of 64 points, so long spans cost their length / 64."""
    times = [t for t, _ in series]
    values = [v for _, v in series]
    block = 64
    maxima = [max(values[k : k + block]) for k in range(0, len(values), block)]
    sums: dict[str, list[float]] = {}
    for sp in spans:
        if sp.end is None or sp.heap_start is None:
            continue
        lo = bisect.bisect_right(times, sp.start)
        hi = bisect.bisect_right(times, sp.end)  # the exit point included
        top = sp.heap_end if sp.heap_end is not None else sp.heap_start
        seen = 0
        if hi - lo > 1:
            seen = 1
            k = lo
            while k < hi:
                if k % block == 0 and k + block <= hi:
                    top = max(top, maxima[k // block])
                    k += block
                else:
                    top = max(top, values[k])
                    k += 1
        acc = sums.setdefault(sp.label, [0.0, 0, 0])
        acc[0] += max(top - sp.heap_start, 0)
        acc[1] += seen
        acc[2] += 1
    return {k: (v[0] / v[2], int(v[1])) for k, v in sums.items() if v[2]}


def _rises(
    series: Series,
    cover: Sequence[tuple[tuple[str, ...], int]],
    *,
    top: int,
    interval: float,
    metric: str = "rss",
) -> tuple[Rise, ...]:
    """The biggest rises: for every point, the biggest rise to a later point
    within a window (a 25th of the run, at least 2.5 sample intervals or
    point spacings), each more than a tolerance (2% of the range, at least
    256 KiB); of those, the ones that do not overlap, **what stayed first**:
    a rise is kept as far as the series never fell back below it later (the
    lowest point after its end), so a staircase of small kept steps
    outranks one large spike that was given back. A sudden jump beats a
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
    # the lowest value from each point to the end: what of a rise stayed
    low_after = values[:]
    for i in range(n - 2, -1, -1):
        low_after[i] = min(values[i], low_after[i + 1])
    # the last "floor" point at or before each index: nothing after it is lower
    floor: list[int] = []
    last = -1
    for k in range(n):
        if values[k] == low_after[k]:
            last = k
        floor.append(last)
    # sliding window maximum (monotonic deque), scanning from the right;
    # candidates that mostly stayed (-kept, -rise, i, k) and mostly given
    # back (-rise, i, k, kept), as heap keys: only the first few are wanted
    stays: list[tuple[int, int, int, int]] = []
    backs: list[tuple[int, int, int, int]] = []
    dq: deque[int] = deque()  # indices, values decreasing
    j = n - 1
    for i in range(n - 1, -1, -1):
        vi = values[i]
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
        top_k = dq[0] if dq else -1
        if top_k >= 0 and values[top_k] - vi > tol:
            rise = values[top_k] - vi
            kept = low_after[top_k] - vi
            kept = 0 if kept < 0 else (rise if kept > rise else kept)
            if 2 * kept >= rise:
                stays.append((-kept, -rise, i, top_k))
            else:
                backs.append((-rise, i, top_k, kept))
        # what stayed of a rise from i is largest at the window's far end,
        # and all of the rise stays up to the last floor point in the window
        if j > i and low_after[j] - vi > tol:
            for k in (j, floor[j]) if floor[j] != j else (j,):
                if k != top_k and k > i and values[k] - vi > tol:
                    rise = values[k] - vi
                    kept = low_after[k] - vi
                    kept = rise if kept > rise else kept
                    if 2 * kept >= rise:
                        stays.append((-kept, -rise, i, k))
                    else:
                        backs.append((-rise, i, k, kept))
    # rises that mostly stayed first, most kept first; then those mostly
    # given back, biggest first
    chosen: list[tuple[int, int, int, int]] = []  # (kept, rise, i, k)
    heapq.heapify(stays)
    while stays and len(chosen) < top:
        nk, nr, i, k = heapq.heappop(stays)
        if all(k <= a or i >= b for _, _, a, b in chosen):
            chosen.append((-nk, -nr, i, k))
    pending = backs[:]
    heapq.heapify(pending)
    while pending and len(chosen) < top:
        nr, i, k, kept = heapq.heappop(pending)
        if all(k <= a or i >= b for _, _, a, b in chosen):
            chosen.append((kept, -nr, i, k))
    # then the spikes given back that were bigger than a rise listed (at most
    # 2; they may overlap a rise that stayed: a spike on a staircase)
    smallest = min((r[1] for r in chosen), default=0)
    spikes: list[tuple[int, int, int, int]] = []
    heapq.heapify(backs)
    while backs and len(spikes) < 2:
        nr, i, k, kept = heapq.heappop(backs)
        rise = -nr
        if len(chosen) == top and rise <= smallest:
            break
        given = spikes + [c for c in chosen if 2 * c[0] < c[1]]
        if all(k <= a or i >= b for _, _, a, b in given) and all(
            (i, k) != (a, b) for _, _, a, b in chosen
        ):
            spikes.append((kept, rise, i, k))
    chosen += spikes
    out = []
    for kept, rise, a, b in chosen:
        # start where the rise really starts: a slow climb before a jump is
        # not the jump (nor is it what stayed)
        while (
            a + 1 < b
            and values[b] - values[a + 1] >= 0.9 * rise
            and (2 * kept < rise or low_after[b] - values[a + 1] >= 0.9 * kept)
        ):
            a += 1
        rise = values[b] - values[a]
        per: dict[str, int] = {}
        for i in range(a, b):
            d = values[i + 1] - values[i]
            for label in cover[i][0]:
                per[label] = per.get(label, 0) + d
        labels = tuple(k for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v * 2 > rise)
        kept = min(max(low_after[b] - values[a], 0), rise)
        out.append(Rise(times[a], times[b], values[a], values[b], labels, kept, metric))
    return tuple(out)


def summarize(tl: Timeline, *, top_rises: int = 3) -> TimelineSummary:
    """How much memory the program kept and how RSS moved, the biggest rises
    (kept or given back), and what each span label kept. Raises
    TimelineFileError when the timeline has no memory figures at all."""
    metric, series = memory_series(tl)
    if not series:
        raise TimelineFileError(tl.path, "has no memory samples to show")
    end = series[-1][0]
    cover = _coverage(series, tl.spans, end)
    per, inside, amb_rss, amb_rss_total = _attribute(series, cover)
    # RSS as before format 1.1: ambiguous steps count for every label
    for label, d in amb_rss.items():
        per[label] = per.get(label, 0) + d
    inside += amb_rss_total
    total = series[-1][1] - series[0][1]
    traced = traced_series(tl)
    tm_per: Optional[dict[str, int]] = None
    tm_inside = None
    tm_total = 0
    if len(traced) >= 2:
        tm_cover = _coverage(traced, tl.spans, end)
        tm_per, tm_inside, tm_amb, tm_amb_total = _attribute(traced, tm_cover)
        for label, d in tm_amb.items():
            tm_per[label] = tm_per.get(label, 0) + d
        tm_inside += tm_amb_total
        tm_total = traced[-1][1] - traced[0][1]

    heap = heap_series(tl)
    has_heap = len(heap) >= 2
    kseries = heap if has_heap else series
    kmetric = "heap" if has_heap else metric
    kcover = _coverage(kseries, tl.spans, end) if has_heap else cover
    kept_per, kept_inside, amb, amb_total = _attribute(kseries, kcover)
    kept_total = kseries[-1][1] - kseries[0][1]
    # peaks are live-heap figures: over RSS they would be RSS rises
    peaks = _peaks(heap, tl.spans) if has_heap else {}
    threads = len({thread_key(sp) for sp in tl.spans})
    by_label: dict[str, list[Span]] = {}
    for sp in tl.spans:
        by_label.setdefault(sp.label, []).append(sp)
    # most of the change ambiguous: estimate kept per call from call counts
    estimates: dict[str, float] = {}
    if amb_total and abs(amb_total) * 2 > abs(kept_inside) + abs(amb_total):
        order = sorted(by_label, key=lambda k: (-abs(amb.get(k, 0)), k))
        # what all calls kept together, unless nested spans count a change twice
        nested = any(sp.depth for sp in tl.spans)
        together = None if nested else float(kept_inside + amb_total)
        estimates = estimate_kept(tl.spans, order, total=together)
    # a label's share is of what was kept: the labels', outside spans and
    # (when not estimated per label) while threads overlapped, frees left out
    # (a span that frees does not make another's share exceed 100%)
    for_share: dict[str, float] = {}
    for label, mine in by_label.items():
        est = estimates.get(label)
        calls = sum(1 for sp in mine if sp.end is not None)
        for_share[label] = kept_per.get(label, 0) if est is None else est * calls
    kept_outside = kept_total - kept_inside - amb_total
    kept_whole = sum(max(v, 0.0) for v in for_share.values()) + max(kept_outside, 0)
    if not estimates:
        kept_whole += max(amb_total, 0)
    stats = []
    for label, mine in by_label.items():
        closed = [sp for sp in mine if sp.end is not None]
        rise = per.get(label, 0)
        kept = kept_per.get(label, 0)
        est = estimates.get(label)
        kept_for_share = for_share[label]
        peak_each, seen = peaks.get(label, (0.0, 0))
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
                kept=kept,
                kept_share=kept_for_share / kept_whole if kept_whole > 0 else None,
                peak_each=peak_each,
                peaks_seen=seen,
                ambiguous=amb.get(label, 0),
                kept_each_estimate=est,
            )
        )
    if has_heap:
        stats.sort(key=lambda s: (-s.kept_each * s.calls if s.kept_each_estimate is not None
                                  else -s.kept, -s.rise, s.label))  # fmt: skip
    else:
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
    disagree: list[tuple[str, int, int]] = []
    if has_heap and not estimates:
        # (where threads overlapped, RSS rises are shared by every label
        # inside: no per-label statement then)
        # RSS rose inside a label where the live heap did not keep it:
        # memory taken and given back, which the allocator keeps cached
        slack = max(abs(kept_total) // 20, 1 << 20)
        for x in stats:
            kept = x.kept if x.kept_each_estimate is None else round(x.kept_each * x.calls)
            if x.rise - max(kept, 0) > slack:
                disagree.append((x.label, x.rise, kept))
        disagree.sort(key=lambda d: (d[2] - d[1], d[0]))
    else:
        if tl.heap_missing:
            why = tl.heap_missing
        elif tl.format_version.startswith("1.0") or not tl.format_version:
            why = f"no live heap in this file (timeline format {tl.format_version or '1.0'})"
        else:
            why = "no live heap in this file"
        notes.append(
            f"{why}: spans are ranked by RSS, which credits memory to the action that "
            "touched it first, not the one that kept it"
        )
    if amb_total and threads > 1:
        notes.append(
            "spans of several threads ran at once: the change while they overlapped "
            "cannot be told apart by thread"
            + (" (kept per call estimated by least squares)" if estimates else "")
        )
    return TimelineSummary(
        duration=end - series[0][0],
        first=series[0][1],
        last=series[-1][1],
        peak=max(v for _, v in series),
        metric=metric,
        rises=_rises(kseries, kcover, top=top_rises, interval=tl.interval, metric=kmetric),
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
        kept_metric=kmetric,
        heap_first=heap[0][1] if has_heap else None,
        heap_last=heap[-1][1] if has_heap else None,
        heap_peak=max(v for _, v in heap) if has_heap else None,
        kept_inside=kept_inside,
        kept_outside=kept_outside,
        kept_ambiguous=amb_total,
        threads=threads,
        disagreements=tuple(disagree),
    )
