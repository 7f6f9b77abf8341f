"""The timeline's picture, drawn with matplotlib (imported here only, and
only when drawing): the live heap as the main line and RSS beside it,
spans shaded by label, marks and snapshots, the biggest rises blue when
they stayed and grey when they were given back, and below, one bar per
call: what it kept (blue) and what it took and gave back (grey), as
Chrome DevTools' allocation timeline colours allocations still alive and
freed. Past :data:`_MAX_BARS` calls the bars are summed per time bin, and
labels past the first few are shaded together, so that thousands of
per-request labels draw as fast as a few."""

from __future__ import annotations

import bisect
import io
from typing import Any, Literal

from ..model.timeline import Timeline, TimelineSummary
from .timeline import _attribution
from .words import fmt_bytes, fmt_duration

__all__ = ["GIVEN_BACK_COLOR", "KEPT_COLOR", "render_chart"]

_MAX_LABELLED_MARKS = 15
_MAX_SPAN_LABELS = 6
#: calls drawn one bar each up to this many; past it, one bar per time bin
_MAX_BARS = 500


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
    overlapped); given back is what it took beyond that: the live heap's
    peak inside the call where a reading fell inside it, else (and at
    least) its RSS rise: memory taken from the system for temporaries."""
    from ..analysis.timeline import heap_series

    est = {x.label: x.kept_each for x in s.spans if x.kept_each_estimate is not None}
    heap = s.kept_metric == "heap"
    series = heap_series(tl) if heap else []
    times = [t for t, _ in series]
    out = []
    for sp in tl.spans:
        if sp.end is None:
            continue
        took = 0.0
        if sp.rss_start is not None and sp.rss_end is not None:
            took = float(sp.rss_end - sp.rss_start)
        if heap:
            kept = est.get(sp.label, sp.kept)
            if kept is None or sp.heap_start is None:
                continue
            lo = bisect.bisect_right(times, sp.start)
            hi = bisect.bisect_left(times, sp.end)
            if hi > lo:
                peak = max(v for _, v in series[lo:hi]) - sp.heap_start
                took = max(took, float(peak))
        else:
            if sp.rss_start is None or sp.rss_end is None:
                continue
            kept = sp.rss_end - sp.rss_start
        k = max(float(kept), 0.0)
        out.append((sp.end, k, max(took - k, 0.0)))
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
    groups = [
        (label, by_label.get(label, []), colors[i % len(colors)]) for i, label in enumerate(named)
    ]
    if others:
        groups.append(("other spans", others, "#999999"))
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
        for at, kept_b, back_b in bars:
            acc = binned.setdefault(int((at - start) / width_t), [0.0, 0.0])
            acc[0] += kept_b
            acc[1] += back_b
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


def render_chart(tl: Timeline, s: TimelineSummary, fmt: Literal["svg", "png"]) -> bytes:
    """The picture as SVG or PNG bytes."""
    import matplotlib

    # no date and no random ids in the file: the same timeline, the same bytes
    with matplotlib.rc_context({"svg.hashsalt": "leakhunt"}):
        fig = _figure(tl, s)
        buf = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(buf, format=fmt, metadata=metadata)
    return buf.getvalue()
