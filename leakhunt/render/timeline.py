"""Timeline output: the text summary, the picture (SVG or PNG, drawn by
:mod:`leakhunt.render.timeline_chart` with matplotlib, imported only when
drawing) and a small HTML page holding both.

>>> from leakhunt.analysis.timeline import summarize
>>> from leakhunt.model.timeline import Sample, Span, Timeline
>>> tl = Timeline("t.jsonl", samples=(Sample(0.0, rss=100 << 20), Sample(60.0, rss=300 << 20)),
...               spans=(Span("load", start=1, end=59, rss_start=100 << 20, rss_end=300 << 20),))
>>> print(render_timeline_text(tl, summarize(tl)).splitlines()[1])
memory (RSS) rose 200.0 MiB over 1 min 0 s, from 100.0 MiB to 300.0 MiB (peak 300.0 MiB)
"""

from __future__ import annotations

import math
import os
from typing import Literal, Optional

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
    rate = r.rate
    # a rise between two readings a hair apart (a damaged file) has no rate to print
    speed = f"{fmt_bytes(round(rate))}/s" if math.isfinite(rate) else "at once"
    return (
        f"  {i}. {fmt_bytes(r.rise, signed=True)} in {fmt_duration(r.end - r.start)} "
        f"(at {fmt_duration(r.start)} .. {fmt_duration(r.end)}, {speed}){fate}{where}"
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
        # a label that freed more than it kept has no share of what was kept
        share = "-" if x.kept_share is None else f"{100 * max(x.kept_share, 0.0):.0f}%"
        # a peak inside a call is the whole process's: with threads
        # overlapping, it is not the call's own
        seen = x.peaks_seen and not est
        peak = fmt_bytes(round(x.peak_each), signed=True) if seen else "-"
        back = fmt_bytes(round(x.given_back_each)) if seen else "-"
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


def render_timeline_image(tl: Timeline, s: TimelineSummary, fmt: Literal["svg", "png"]) -> bytes:
    """The picture as SVG or PNG bytes (:mod:`leakhunt.render.timeline_chart`)."""
    from .timeline_chart import render_chart

    return render_chart(tl, s, fmt)


def render_timeline_html(tl: Timeline, s: TimelineSummary) -> str:
    """One self-contained page (the HTML report's template): the chart, the
    summary and the spans."""
    from .html import render_html
    from .html_timeline import timeline_report

    return render_html(timeline_report(tl, s))
