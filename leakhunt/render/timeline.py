"""Timeline output: the text summary, the picture (SVG or PNG, drawn with
matplotlib, imported only here and only when drawing) and a small HTML page
holding both.

>>> from leakhunt.analysis.timeline import summarize
>>> from leakhunt.model.timeline import Sample, Span, Timeline
>>> tl = Timeline("t.jsonl", samples=(Sample(0.0, rss=100 << 20), Sample(60.0, rss=300 << 20)),
...               spans=(Span("load", start=1, end=59, rss_start=100 << 20, rss_end=300 << 20),))
>>> print(render_timeline_text(tl, summarize(tl)).splitlines()[1])
memory (RSS) rose 200.0 MiB over 1 min 0 s, from 100.0 MiB to 300.0 MiB (peak 300.0 MiB)
"""

from __future__ import annotations

import bisect
import io
import os
from typing import Any, Literal, Optional

from ..errors import UsageError
from ..model.timeline import Rise, Timeline, TimelineSummary
from .words import fmt_bytes, fmt_count, fmt_duration

__all__ = [
    "ImageFormat",
    "image_format_for_path",
    "render_timeline_html",
    "render_timeline_image",
    "render_timeline_text",
]

ImageFormat = Literal["svg", "png", "html"]
_EXT: dict[str, ImageFormat] = {".svg": "svg", ".png": "png", ".html": "html", ".htm": "html"}
_MAX_LABELLED_MARKS = 15
_MAX_SPAN_LABELS = 6
#: calls drawn one bar each up to this many; past it, one bar per time bin
_MAX_BARS = 500


def image_format_for_path(path: str) -> ImageFormat:
    """The output format named by ``path``'s extension.

    >>> image_format_for_path("t.SVG"), image_format_for_path("t.html")
    ('svg', 'html')
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in _EXT:
        raise UsageError(
            f"{path}: cannot tell the picture format from {ext or 'no extension'!r}; "
            "use .svg, .png or .html"
        )
    return _EXT[ext]


# ------------------------------------------------------------------ text


def _headline(s: TimelineSummary) -> str:
    what = "memory (RSS)" if s.metric == "rss" else "peak memory (RSS)"
    over = fmt_duration(s.duration)
    if s.rise > 0:
        verb = f"rose {fmt_bytes(s.rise)}"
    elif s.rise < 0:
        verb = f"fell {fmt_bytes(-s.rise)}"
    else:
        verb = "did not change"
    return (
        f"{what} {verb} over {over}, from {fmt_bytes(s.first)} to {fmt_bytes(s.last)} "
        f"(peak {fmt_bytes(s.peak)})"
    )


def _heap_headline(s: TimelineSummary) -> Optional[str]:
    """ "live heap (malloc + pymalloc) kept 47.7 MiB over 1.2 s, ..." """
    if s.heap_first is None or s.heap_last is None or s.heap_peak is None:
        return None
    d = s.heap_last - s.heap_first
    verb = f"kept {fmt_bytes(d)} more" if d > 0 else (
        f"gave back {fmt_bytes(-d)}" if d < 0 else "did not change"
    )  # fmt: skip
    return (
        f"live heap (malloc + pymalloc) {verb} over {fmt_duration(s.duration)}, from "
        f"{fmt_bytes(s.heap_first)} to {fmt_bytes(s.heap_last)} (peak {fmt_bytes(s.heap_peak)})"
    )


def _kept_attribution(s: TimelineSummary) -> Optional[str]:
    """ "99% of the live heap kept was kept inside 'x' (25 calls, +1.9 MiB kept each)" """
    if s.kept_metric != "heap" or not s.spans:
        return None
    total = (s.heap_last or 0) - (s.heap_first or 0)
    top = s.spans[0]
    if total <= 0:
        return "the live heap did not grow: no span kept memory"
    if top.kept_each * top.calls <= 0 and top.kept_each_estimate is None and top.kept <= 0:
        return "no span kept memory: what the live heap kept, it kept outside spans"
    calls = f"{fmt_count(top.calls)} call{'' if top.calls == 1 else 's'}"
    if top.open_calls:
        calls += f", {top.open_calls} still open"
    est = " (estimated: threads overlapped)" if top.kept_each_estimate is not None else ""
    return (
        f"{100 * (top.kept_share or 0.0):.0f}% of the live heap kept was kept inside "
        f"{top.label!r} ({calls}, {fmt_bytes(round(top.kept_each), signed=True)} kept each){est}"
    )


def _attribution(s: TimelineSummary, *, traced: bool) -> Optional[str]:
    """ "93% of the rise happened inside 'x' (211 calls, +5.6 MiB each)", for
    RSS or for traced memory; with a live heap, the live heap's sentence."""
    if not traced and s.kept_metric == "heap":
        return _kept_attribution(s)
    total = (s.tm_last or 0) - (s.tm_first or 0) if traced else s.rise
    if total <= 0 or not s.spans:
        return None
    if traced:
        top = max(s.spans, key=lambda x: (x.tm_rise or 0, x.label))
        rise, share, each = top.tm_rise or 0, top.tm_share or 0.0, top.tm_rise_each
        what = "the traced rise (tracemalloc)"
    else:
        top = max(s.spans, key=lambda x: (x.rise, x.label))
        rise, share, each = top.rise, top.share or 0.0, top.rise_each
        what = "the rise" if s.tm_first is None else "the RSS rise"
    if rise <= 0:
        return f"{what}: none of it happened inside a span"
    calls = f"{fmt_count(top.calls)} call{'' if top.calls == 1 else 's'}"
    if top.open_calls:
        calls += f", {top.open_calls} still open"
    return (
        f"{100 * share:.0f}% of {what} happened inside {top.label!r} "
        f"({calls}, {fmt_bytes(round(each), signed=True)} each)"
    )


def _disagreement(label: str, rss: int, kept: int) -> str:
    return (
        f"RSS rose {fmt_bytes(rss)} inside {label!r}, which kept "
        f"{fmt_bytes(kept, signed=True)} of live heap: it gave back what it took, and the "
        "allocator keeps the freed memory cached (RSS does not fall; RSS deltas would blame it)"
    )


def _rise_line(i: int, r: Rise) -> str:
    where = f", inside {', '.join(repr(x) for x in r.labels)}" if r.labels else ""
    if r.kept is None:
        fate = ""
    elif r.stayed:
        fate = ", kept" if r.given_back * 10 < r.rise else (
            f", kept {fmt_bytes(r.kept)} (gave back {fmt_bytes(r.given_back)})"
        )  # fmt: skip
    else:
        fate = f", given back ({fmt_bytes(max(r.kept, 0))} of it kept)"
    return (
        f"  {i}. {fmt_bytes(r.rise, signed=True)} in {fmt_duration(r.end - r.start)} "
        f"(at {fmt_duration(r.start)} .. {fmt_duration(r.end)}, "
        f"{fmt_bytes(round(r.rate))}/s){fate}{where}"
    )


def _kept_table(s: TimelineSummary) -> list[str]:
    lines = ["", "Live heap kept inside spans, most kept first:"]
    w = max(5, *(len(x.label) for x in s.spans[:20]))
    lines.append(
        f"  {'label':<{w}}  {'calls':>7}  {'time':>10}  {'kept':>11}  {'kept each':>11}  "
        f"{'peak each':>11}  {'given back':>11}  {'share':>5}  {'RSS change':>11}"
    )
    for x in s.spans[:20]:
        est = x.kept_each_estimate is not None
        kept = round(x.kept_each * x.calls) if est else x.kept
        share = "-" if x.kept_share is None else f"{100 * x.kept_share:.0f}%"
        peak = fmt_bytes(round(x.peak_each), signed=True) if x.peaks_seen else "-"
        back = fmt_bytes(round(x.given_back_each)) if x.peaks_seen else "-"
        mark = "~" if est else ""
        lines.append(
            f"  {x.label:<{w}}  {fmt_count(x.calls):>7}  {fmt_duration(x.seconds):>10}  "
            f"{mark + fmt_bytes(kept, signed=True):>11}  "
            f"{mark + fmt_bytes(round(x.kept_each), signed=True):>11}  {peak:>11}  {back:>11}  "
            f"{share:>5}  {fmt_bytes(x.rise, signed=True):>11}"
        )
    if len(s.spans) > 20:
        lines.append(f"  ... and {len(s.spans) - 20} more labels")
    out = f"  outside any span: {fmt_bytes(s.kept_outside, signed=True)} kept"
    if s.kept_ambiguous:
        out += (
            f"; while spans of several threads ran at once: "
            f"{fmt_bytes(s.kept_ambiguous, signed=True)} (~: estimated per label)"
        )
    lines.append(out)
    lines.append(
        "  (peak each: how far the live heap rose above a call's entry, over the calls a "
        "sample or another span's boundary fell inside; given back: peak less kept)"
    )
    return lines


def _rss_table(s: TimelineSummary) -> list[str]:
    lines = ["", "Memory change inside spans, biggest rise first:"]
    w = max(5, *(len(x.label) for x in s.spans[:20]))
    has_tm = s.tm_first is not None
    head = (
        f"  {'label':<{w}}  {'calls':>7}  {'time':>10}  {'RSS change':>11}  {'each':>11}  "
        f"{'share':>5}"
    )
    if has_tm:
        head += f"  {'traced':>11}  {'each':>11}  {'share':>5}"
    lines.append(head)
    for x in s.spans[:20]:
        share = "-" if x.share is None else f"{100 * x.share:.0f}%"
        row = (
            f"  {x.label:<{w}}  {fmt_count(x.calls):>7}  {fmt_duration(x.seconds):>10}  "
            f"{fmt_bytes(x.rise, signed=True):>11}  "
            f"{fmt_bytes(round(x.rise_each), signed=True):>11}  {share:>5}"
        )
        if has_tm:
            tshare = "-" if x.tm_share is None else f"{100 * x.tm_share:.0f}%"
            row += (
                f"  {fmt_bytes(x.tm_rise or 0, signed=True):>11}  "
                f"{fmt_bytes(round(x.tm_rise_each), signed=True):>11}  {tshare:>5}"
            )
        lines.append(row)
    if len(s.spans) > 20:
        lines.append(f"  ... and {len(s.spans) - 20} more labels")
    outside = f"  outside any span: {fmt_bytes(s.outside_rise, signed=True)}"
    if s.tm_inside_rise is not None and s.tm_first is not None and s.tm_last is not None:
        tm_out = s.tm_last - s.tm_first - s.tm_inside_rise
        outside += f" RSS, {fmt_bytes(tm_out, signed=True)} traced"
    lines.append(outside + " (spans in threads running at once share a rise)")
    return lines


def render_timeline_text(tl: Timeline, s: TimelineSummary) -> str:
    """The summary: a headline (the live heap, then RSS), the attribution
    sentence, then tables of span labels, the biggest rises (kept or given
    back), types that grew and snapshots."""
    rate = f" every {tl.interval:g} s" if tl.interval else ""
    lines = [
        f"{tl.path}: {tl.program + ', ' if tl.program else ''}pid {tl.pid}, "
        f"python {tl.python or '?'}, "
        f"{fmt_count(s.samples)} sample{'' if s.samples == 1 else 's'}{rate}"
        f"{'' if tl.ended else ' (no end record: the process was still running or died)'}",
    ]
    heap = _heap_headline(s)
    if heap:
        lines.append(heap)
    lines.append(_headline(s))
    if s.tm_first is not None and s.tm_last is not None:
        lines.append(
            f"traced Python memory (tracemalloc) went from {fmt_bytes(s.tm_first)} "
            f"to {fmt_bytes(s.tm_last)} ({fmt_bytes(s.tm_last - s.tm_first, signed=True)})"
        )
    for traced in (True, False) if s.tm_first is not None else (False,):
        att = _attribution(s, traced=traced)
        if att:
            lines.append(att)
    for label, rss, kept in s.disagreements[:3]:
        lines.append(_disagreement(label, rss, kept))
    if s.spans:
        lines += _kept_table(s) if s.kept_metric == "heap" else _rss_table(s)
    if s.rises:
        what = " (live heap)" if s.kept_metric == "heap" else ""
        lines += ["", f"Biggest rises{what}, what stayed first:"]
        lines += [_rise_line(i, r) for i, r in enumerate(s.rises, 1)]
    if s.types:
        lines += ["", "Types that grew (objects, at the first and the last type count):"]
        w = max(len(g.name) for g in s.types[:10])
        for g in s.types[:10]:
            lines.append(
                f"  {g.name:<{w}}  {fmt_count(g.first):>11} -> {fmt_count(g.last):>11}  "
                f"({fmt_count(g.last - g.first, signed=True)})"
            )
    if tl.snapshots:
        lines += ["", "Snapshots taken while monitoring:"]
        base = os.path.dirname(os.path.abspath(tl.path))
        for sn in tl.snapshots:
            where = sn.path or "(not saved)"
            if sn.path and os.path.abspath(sn.path).startswith(base + os.sep):
                where = os.path.relpath(sn.path, base)  # next to the timeline: say it short
            lines.append(f"  at {fmt_duration(sn.t)}: {sn.label or '(no label)'}  {where}")
    for note in s.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ picture


def _time_unit(duration: float) -> tuple[str, float]:
    if duration < 300:
        return "s", 1.0
    if duration < 3 * 3600:
        return "min", 60.0
    return "h", 3600.0


def _byte_unit(peak: int) -> tuple[str, float]:
    if peak >= 2 * 2**30:
        return "GiB", float(2**30)
    if peak >= 2 * 2**20:
        return "MiB", float(2**20)
    return "KiB", 1024.0


def _merged(intervals: list[tuple[float, float]], gap: float = 0.0) -> list[tuple[float, float]]:
    """Overlapping intervals (and those closer than ``gap``) joined."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


#: DevTools' allocation timeline: blue is still alive, grey was freed
KEPT_COLOR = "#1565c0"
GIVEN_BACK_COLOR = "#9e9e9e"


def _call_bars(tl: Timeline, s: TimelineSummary) -> list[tuple[float, float, float]]:
    """One bar per closed call: (time, kept, given back). Kept is the live
    heap the call left behind (the label's estimate where threads
    overlapped); given back is what it took beyond that: its live-heap peak
    inside, or, where no reading fell inside the call, its RSS rise (memory
    taken from the system for temporaries)."""
    est = {x.label: x.kept_each for x in s.spans if x.kept_each_estimate is not None}
    heap = s.kept_metric == "heap"
    out = []
    for sp in tl.spans:
        if sp.end is None:
            continue
        if heap:
            kept = est.get(sp.label, sp.kept)
            if kept is None:
                continue
        else:
            if sp.rss_start is None or sp.rss_end is None:
                continue
            kept = sp.rss_end - sp.rss_start
        took = 0
        if sp.rss_start is not None and sp.rss_end is not None:
            took = sp.rss_end - sp.rss_start
        out.append((sp.end, max(float(kept), 0.0), max(float(took) - max(float(kept), 0.0), 0.0)))
    return out


def _figure(tl: Timeline, s: TimelineSummary) -> Any:
    from matplotlib.figure import Figure  # lazy: only drawing needs matplotlib

    from ..analysis.timeline import heap_series, memory_series

    metric, rss_series = memory_series(tl)
    heap = heap_series(tl) if s.kept_metric == "heap" else []
    series = heap or rss_series
    top_value = max([s.peak, s.heap_peak or 0])
    tname, tdiv = _time_unit(s.duration)
    bname, bdiv = _byte_unit(top_value)
    fig = Figure(figsize=(11, 7), dpi=100)
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 1], hspace=0.08)
    ax = fig.add_subplot(grid[0])
    bars_ax = fig.add_subplot(grid[1], sharex=ax)
    end = series[-1][0] if series else 0.0
    start = series[0][0] if series else 0.0
    colors = ["#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf"]

    # spans first, under the curves: one colour per label, most kept first;
    # the other labels pooled (thousands of per-request labels stay cheap)
    by_label: dict[str, list[tuple[float, float]]] = {}
    for sp in tl.spans:
        by_label.setdefault(sp.label, []).append((sp.start, end if sp.end is None else sp.end))
    gap = (end - start) / 2000 if end > start else 0.0
    named = [x.label for x in s.spans[:_MAX_SPAN_LABELS]]
    others = [iv for label, ivs in by_label.items() if label not in named for iv in ivs]
    groups = [(label, by_label.get(label, []), colors[i % len(colors)]) for i, label in
              enumerate(named)] + ([("other spans", others, "#999999")] if others else [])  # fmt: skip
    for i, (label, ivs, color) in enumerate(groups):
        legend = "other spans" if i == len(named) else f"inside {label!r}"
        for k, (a, b) in enumerate(_merged(ivs, gap)):
            ax.axvspan(
                a / tdiv, b / tdiv, color=color, alpha=0.2, lw=0, label=legend if k == 0 else None
            )

    ys_all: list[float] = []
    if heap:
        hx = [t / tdiv for t, _ in heap]
        hy = [v / bdiv for _, v in heap]
        ax.plot(hx, hy, color=KEPT_COLOR, lw=1.8, label="live heap (malloc + pymalloc)")
        ys_all += hy
    if rss_series:
        rx = [t / tdiv for t, _ in rss_series]
        ry = [v / bdiv for _, v in rss_series]
        name = "RSS" if metric == "rss" else "peak RSS"
        ax.plot(rx, ry, color="#555555" if heap else KEPT_COLOR, lw=1.2 if heap else 1.6,
                label=name)  # fmt: skip
        ys_all += ry
    tm = [(x.t / tdiv, x.tm / bdiv) for x in tl.samples if x.tm is not None]
    if tm:
        ax.plot(
            *zip(*tm, strict=True), color="#ff7f0e", lw=1.4, ls="--", label="traced (tracemalloc)"
        )
        ys_all += [v for _, v in tm]

    lo = min(ys_all) if ys_all else 0.0
    hi = max(ys_all) if ys_all else 1.0
    span = (hi - lo) or max(hi, 1.0) * 0.1
    ax.set_ylim(max(0.0, lo - 0.05 * span), hi + 0.45 * span)  # headroom for annotations
    ax.set_xlim(start / tdiv, (end / tdiv) or 1)
    width = (ax.get_xlim()[1] - ax.get_xlim()[0]) or 1.0

    # marks: dotted lines; names only when few enough not to collide
    last_x = None
    if len(tl.marks) > 200:
        ax.vlines([m.t / tdiv for m in tl.marks], 0, 1, transform=ax.get_xaxis_transform(),
                  color="#555555", lw=0.5, ls=":")  # fmt: skip
    else:
        for m in tl.marks:
            x = m.t / tdiv
            ax.axvline(x, color="#555555", lw=0.8, ls=":")
            if len(tl.marks) <= _MAX_LABELLED_MARKS and (
                last_x is None or x - last_x > 0.025 * width
            ):
                ax.annotate(
                    m.label[:30],
                    (x, 0.0),
                    xycoords=("data", "axes fraction"),
                    xytext=(2, 4),
                    textcoords="offset points",
                    rotation=90,
                    fontsize=8,
                    color="#333333",
                )
                last_x = x
    if tl.marks:
        ax.plot([], [], color="#555555", lw=0.8, ls=":", label="mark")

    snaps = [(sn.t / tdiv, sn.rss / bdiv) for sn in tl.snapshots if sn.rss is not None]
    if snaps:
        ax.plot(
            *zip(*snaps, strict=True),
            ls="none",
            marker="v",
            ms=8,
            color="black",
            label="snapshot",
            zorder=5,
        )

    # the biggest rises: the stretch drawn thick, blue when it stayed, grey
    # when it was given back; a numbered note above it, on separate rows
    times = [t for t, _ in series]
    for i, r in enumerate(s.rises):
        color = KEPT_COLOR if r.stayed else GIVEN_BACK_COLOR
        lo_i = bisect.bisect_left(times, r.start)
        hi_i = bisect.bisect_right(times, r.end)
        seg = [(t / tdiv, v / bdiv) for t, v in series[lo_i:hi_i]]
        if len(seg) >= 2:
            ax.plot(*zip(*seg, strict=True), color=color, lw=4, alpha=0.6, zorder=4)
        fate = "kept" if r.stayed else "given back"
        text = (
            f"{i + 1}. {fmt_bytes(r.rise, signed=True)} in {fmt_duration(r.end - r.start)}, {fate}"
        )
        if r.labels:
            text += f"\ninside {r.labels[0][:28]!r}"
        xmid = (r.start + r.end) / 2 / tdiv
        frac = min(max((xmid - ax.get_xlim()[0]) / width, 0.12), 0.88)
        ax.annotate(
            text,
            xy=(r.end / tdiv, r.rss_end / bdiv),
            xytext=(frac, 0.95 - 0.11 * i),
            textcoords="axes fraction",
            ha="center",
            va="top",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": color, "alpha": 0.9},
            arrowprops={"arrowstyle": "->", "color": color, "lw": 1},
            zorder=6,
        )
    if s.rises:
        ax.plot([], [], color=KEPT_COLOR, lw=4, alpha=0.6, label="rise kept")
        if any(not r.stayed for r in s.rises):
            ax.plot([], [], color=GIVEN_BACK_COLOR, lw=4, alpha=0.6, label="rise given back")

    # one bar per call: kept (blue) under given back (grey), as DevTools does
    bars = _call_bars(tl, s)
    if len(bars) > _MAX_BARS:
        # more calls than the chart has room for: summed per time bin
        width_t = (end - start) / _MAX_BARS or 1.0
        binned: dict[int, list[float]] = {}
        for t, k, g in bars:
            acc = binned.setdefault(int((t - start) / width_t), [0.0, 0.0])
            acc[0] += k
            acc[1] += g
        bars = [(start + (i + 0.5) * width_t, k, g) for i, (k, g) in sorted(binned.items())]
    if bars:
        biggest = max(k + g for _, k, g in bars) or 1.0
        _, cdiv = _byte_unit(int(biggest))
        xs = [t / tdiv for t, _, _ in bars]
        kept = [k / cdiv for _, k, _ in bars]
        back = [(k + g) / cdiv for _, k, g in bars]
        bars_ax.vlines(xs, kept, back, color=GIVEN_BACK_COLOR, lw=2, label="taken, given back")
        bars_ax.vlines(xs, 0, kept, color=KEPT_COLOR, lw=2, label="kept")
        bars_ax.set_ylim(0, max(back) * 1.1 or 1.0)
        bars_ax.set_ylabel(f"per call ({_byte_unit(int(biggest))[0]})", fontsize=9)
        bars_ax.legend(loc="upper left", fontsize=8, ncol=2)
    bars_ax.grid(True, alpha=0.3)
    bars_ax.set_xlabel(f"time since the monitor started ({tname})")
    ax.tick_params(labelbottom=False)
    ax.set_ylabel(f"memory ({bname})")
    ax.grid(True, alpha=0.3)
    title = f"leakhunt timeline: pid {tl.pid}"
    if s.kept_metric == "heap" and s.heap_first is not None and s.heap_last is not None:
        d = s.heap_last - s.heap_first
        if d:
            verb = "kept" if d > 0 else "gave back"
            title += f", live heap {verb} {fmt_bytes(abs(d))} over {fmt_duration(s.duration)}"
    elif s.rise:
        verb = "rose" if s.rise > 0 else "fell"
        title += f", memory {verb} {fmt_bytes(abs(s.rise))} over {fmt_duration(s.duration)}"
    att = _attribution(s, traced=s.tm_first is not None and s.kept_metric != "heap") or (
        _attribution(s, traced=False)
    )
    if att:
        title += "\n" + att
    if s.kept_metric != "heap":
        title += "\n(no live heap in this file: RSS only)"
    ax.set_title(title, fontsize=10)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=min(4, max(len(names), 1)), fontsize=9)
    rows = (len(names) + 3) // 4
    fig.subplots_adjust(
        left=0.08, right=0.98, top=0.88 if att else 0.93, bottom=0.10 + 0.035 * rows
    )
    return fig


def render_timeline_image(tl: Timeline, s: TimelineSummary, fmt: Literal["svg", "png"]) -> bytes:
    """The picture as SVG or PNG bytes."""
    import matplotlib

    # no date and no random ids in the file: the same timeline, the same bytes
    with matplotlib.rc_context({"svg.hashsalt": "leakhunt"}):
        fig = _figure(tl, s)
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()


def render_timeline_html(tl: Timeline, s: TimelineSummary) -> str:
    """One self-contained page (the HTML report's template): the chart, the
    summary and the spans."""
    from .html import render_html
    from .html_timeline import timeline_report

    return render_html(timeline_report(tl, s))
