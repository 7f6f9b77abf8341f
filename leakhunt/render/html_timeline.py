"""The timeline on the one-page HTML report: :func:`timeline_section` turns
a :class:`~leakhunt.analysis.timeline.Timeline` and its summary into the report's
:class:`~leakhunt.render.html.TimelineSection` (the chart as inline SVG, the
summary lines, one row per span label: calls and the live heap kept, or the
RSS rise for a file without a live heap), and
:func:`timeline_report` makes a whole page of it (``leakhunt timeline -o
page.html``); ``leakhunt report A B --timeline FILE`` adds the section to a
diff's page."""

from __future__ import annotations

from ..model.timeline import Timeline, TimelineSummary
from .html import HtmlReport, SpanRow, TimelineSection
from .timeline import render_timeline_image, render_timeline_text

__all__ = ["timeline_report", "timeline_section"]


def timeline_section(tl: Timeline, s: TimelineSummary) -> TimelineSection:
    """The chart, the text summary and the spans of ``tl``."""
    svg = render_timeline_image(tl, s, "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # no XML prolog or DOCTYPE inside a page
    lines = tuple(line for line in render_timeline_text(tl, s).splitlines() if line.strip())
    # what each label kept of the live heap (its RSS rise for a file without one)
    heap = s.kept_metric == "heap"
    spans = tuple(
        SpanRow(x.label, x.calls, round(x.kept_each * x.calls) if heap else x.rise) for x in s.spans
    )
    return TimelineSection(chart_svg=svg, summary=lines, spans=spans)


def timeline_report(tl: Timeline, s: TimelineSummary) -> HtmlReport:
    """A page with the timeline only."""
    section = timeline_section(tl, s)
    verdict = section.summary[0] if section.summary else "memory timeline"
    rising = s.rise > 0 and bool(s.spans)
    facts = [("timeline", tl.path), ("samples", f"{s.samples:,}"), ("marks", f"{s.marks:,}")]
    if tl.program:
        facts.insert(1, ("program", tl.program))
    return HtmlReport(
        title=f"leakhunt timeline: {tl.path}",
        verdict_kind="growth" if rising else "info",
        verdict=verdict,
        facts=tuple(facts),
        timeline=section,
        notes=s.notes,
    )
