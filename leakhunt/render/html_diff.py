"""The HTML page of two snapshots: :func:`diff_report` turns a
:class:`~leakhunt.model.SnapshotDiff` into an
:class:`~leakhunt.render.html.HtmlReport` (what ``leakhunt report A B``
writes): the summary, the growth table and, for graph snapshots, the
retainer-path clusters of the grown types with their referrer graphs drawn
by Graphviz.

>>> from leakhunt.analysis.diff import diff
>>> from leakhunt.model import Snapshot, TypeStat
>>> from leakhunt.views import diff_view
>>> a = Snapshot("a", (TypeStat("dict", 10, 1000),), 0.0, 0.0, 1, "3.11.7", "0.1.0")
>>> b = Snapshot("b", (TypeStat("dict", 14, 1400),), 2.0, 2.0, 1, "3.11.7", "0.1.0")
>>> d = diff(a, b)
>>> page = diff_report(d, diff_view(d, sort="bytes", top=50))
>>> page.verdict, page.top
('1 type grew between a and b: +4 objects, +400 B.', (('dict', '+4 objects, +400 B'),))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from ..analysis import Progress
from ..analysis.graph_view import retainer_graph_of_clusters
from ..model import SnapshotDiff
from ..views import DiffView
from .dot import render_dot
from .html import ClusterEntry, HtmlReport, PageKind, SnapshotMeta
from .svg import SvgError, clean_svg, graphviz_svg
from .words import (
    CHURN_NOTE,
    HELD_OUTSIDE,
    churn_text,
    container_sentence,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    graph_command,
)

__all__ = ["Drawer", "diff_report"]

#: Draws DOT source as SVG text; None when it cannot (no Graphviz).
Drawer = Callable[[str], Optional[str]]


def _cluster_entries(
    d: SnapshotDiff, view: DiffView, draw: Drawer, max_graphs: int, progress: Progress = None
) -> tuple[list[ClusterEntry], list[str]]:
    """One entry per retainer-path cluster of the view, the first
    ``max_graphs`` with their referrer graph drawn from B's object graph."""
    graph = d.b.graph
    entries: list[ClusterEntry] = []
    notes: list[str] = []
    no_dot = False
    graphs = 0
    for r in view.retention or ():
        change = view.churn_of(r.name)
        for number, g in enumerate(r.clusters, 1):
            svg: Optional[str] = None
            note: Optional[str] = None
            if graph is not None and g.sample and graphs < max_graphs:
                if progress is not None:
                    progress("drawing referrer graphs", graphs / max_graphs)
                graphs += 1
                # drawn from what the diff computed: no second clustering
                try:
                    svg = draw(render_dot(retainer_graph_of_clusters(graph, [g.cluster()])))
                    # Graphviz's <title>s are node names (n12): no tooltip
                    svg = None if svg is None else clean_svg(svg, titles=False)
                except SvgError as e:
                    note = f"graph not drawn: {e}"
                if svg is None and note is None:
                    no_dot = True
                    note = "graph not drawn: Graphviz's 'dot' program is not installed"
            elif graph is not None:
                note = f"graph not drawn: the page draws the first {max_graphs} clusters"
            k = g.container
            entries.append(
                ClusterEntry(
                    type_name=r.name,
                    count_delta=g.count_delta,
                    size_delta=g.size_delta,
                    path=g.path_text,
                    container=None if k is None else container_sentence(k),
                    retained=g.retained,
                    graph_svg=svg,
                    graph_note=note,
                    number=number,
                    command=graph_command(view.a.path, view.b.path, r.name, number),
                    churn=None if change is None or number > 1 else churn_text(change),
                )
            )
    if no_dot:
        notes.append(
            "Graphviz's 'dot' program was not found, so the referrer graphs are not drawn; "
            "the retainer paths above say the same in words. Install Graphviz "
            "(apt-get install graphviz, brew install graphviz) and run the report again."
        )
    return entries, notes


def _verdict(d: SnapshotDiff, view: DiffView, clusters: list[ClusterEntry]) -> tuple[PageKind, str]:
    grown = [t for t in d.deltas if t.count_delta > 0]
    a, b = view.a.display_label, view.b.display_label
    if not grown:
        return "clean", f"No type grew between {a} and {b}."
    objects = sum(t.count_delta for t in grown)
    size = sum(t.size_delta for t in grown)
    noun = "type" if len(grown) == 1 else "types"
    text = (
        f"{len(grown):,} {noun} grew between {a} and {b}: "
        f"{fmt_count(objects, signed=True)} objects, {fmt_bytes(size, signed=True)}."
    )
    holder = next((c.container for c in clusters if c.container), None)
    if holder:
        text += f" The biggest holder: {holder}."
    elif any(c.path is None for c in clusters):
        text += f" Some of it is {HELD_OUTSIDE}."
    return "growth", text


def diff_report(
    d: SnapshotDiff,
    view: DiffView,
    *,
    max_graphs: int = 10,
    draw: Drawer = graphviz_svg,
    progress: Progress = None,
) -> HtmlReport:
    """The page for two snapshots, from the diff and its view (computed once,
    see :func:`leakhunt.views.diff_view`): summary, growth table, and, for
    graph snapshots, the retainer-path clusters of the grown types, the first
    ``max_graphs`` with their referrer graph drawn by ``draw`` (default:
    Graphviz's ``dot``) from the clusters the view already holds.
    """
    clusters, notes = _cluster_entries(d, view, draw, max_graphs, progress)
    kind, verdict = _verdict(d, view, clusters)
    rss = "not measured"
    if view.rss_delta is not None:
        rss = (
            f"{fmt_bytes(view.rss_delta, signed=True)} "
            f"({fmt_bytes(view.a.rss)} \u2192 {fmt_bytes(view.b.rss)})"
        )
    facts = [
        ("RSS", rss),
        (
            "objects",
            f"{fmt_count(view.count_delta, signed=True)} "
            f"({fmt_count(view.a.total_count)} \u2192 {fmt_count(view.b.total_count)})",
        ),
        (
            "bytes",
            f"{fmt_bytes(view.size_delta, signed=True)} "
            f"({fmt_bytes(view.a.total_size)} \u2192 {fmt_bytes(view.b.total_size)})",
        ),
        ("time between", fmt_duration(view.seconds_between)),
    ]
    if not view.same_process:
        notes.insert(
            0,
            f"A and B come from different processes (pid {view.a.pid} and {view.b.pid}): "
            "differences in interpreter start-up show up as growth too.",
        )
    if view.churn:
        notes.append(CHURN_NOTE[:1].upper() + CHURN_NOTE[1:] + ".")
    if d.a.graph is None or d.b.graph is None:
        notes.append(
            "No retainer paths: take both snapshots with leakhunt.snapshot(..., graph=True) "
            "to see what holds the new objects."
        )
    grew = [r for r in view.rows if r.count_delta > 0 or r.size_delta > 0]
    return HtmlReport(
        title=f"leakhunt: {view.a.display_label} \u2192 {view.b.display_label}",
        verdict_kind=kind,
        verdict=verdict,
        facts=tuple(facts),
        top=tuple(
            (
                r.name,
                f"{fmt_count(r.count_delta, signed=True)} objects, "
                f"{fmt_bytes(r.size_delta, signed=True)}",
            )
            for r in grew[:5]
        ),
        growth=view.rows,
        growth_omitted=view.omitted,
        growth_empty=f"No type grew between {view.a.display_label} and {view.b.display_label}.",
        clusters=tuple(clusters),
        clusters_omitted=sum(r.omitted for r in view.retention or ()),
        snapshots=(SnapshotMeta.of("A", d.a), SnapshotMeta.of("B", d.b)),
        notes=tuple(notes),
        more_hint="leakhunt report --top 0 shows all",
    )
