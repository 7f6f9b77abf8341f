"""``leakhunt report A B``: one self-contained HTML page."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Annotated, Optional

import typer

from ..render.html import render_html
from ..render.html_diff import diff_report
from ..render.progress import progress_bar
from ..render.words import fmt_bytes
from ..views import diff_view
from ._common import (
    EXIT_OK,
    PROG,
    OutputError,
    SnapshotA,
    SnapshotB,
    app,
    default_output_name,
    read_pair,
    to_stdout,
    write_text,
)


@app.command("report", short_help="One self-contained HTML page: summary, growth, graphs.")
def report_command(
    a: SnapshotA,
    b: SnapshotB,
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Write the HTML page to FILE (replaced atomically); '-' is stdout. "
            "Default: B's name with .html, in the current directory.",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option("--top", min=0, metavar="N", help="Show at most N grown types; 0 shows all."),
    ] = 50,
    max_graphs: Annotated[
        int,
        typer.Option(
            "--max-graphs",
            min=0,
            metavar="N",
            help="Draw the referrer graph of at most N retainer-path clusters.",
        ),
    ] = 10,
    retained: Annotated[
        bool,
        typer.Option(
            "--retained/--no-retained",
            help="Compute retained sizes (a dominator tree: the slowest step on big graphs).",
        ),
    ] = True,
    timeline: Annotated[
        Optional[str],
        typer.Option(
            "--timeline",
            metavar="FILE",
            show_default=False,
            help="Add a memory timeline (from leakhunt.runtime.monitor or leakhunt run): its chart "
            "with markers, and how much of the rise happened inside each span.",
        ),
    ] = None,
) -> int:
    """Write one self-contained HTML page about what grew from snapshot A to
    snapshot B: a summary, the growth table (sortable, filterable), and for
    graph snapshots what holds the new objects, with referrer graphs drawn
    inline (needs Graphviz's 'dot'). The page loads nothing from the
    network: attach it to a bug report or publish it from CI."""
    if output is None:
        output = default_output_name(b, ext=".html")
    if not to_stdout(output) and not os.path.isdir(os.path.dirname(os.path.abspath(output))):
        # say so before the slow part, not after
        raise OutputError(f"{output}: cannot write: No such file or directory")
    section = None
    if timeline is not None:
        from ..analysis.timeline import summarize
        from ..files.timeline_file import load_timeline
        from ..render.html_timeline import timeline_section

        tl = load_timeline(timeline)  # a bad file is one line, before the slow part
        section = timeline_section(tl, summarize(tl))
    with progress_bar("report") as say:
        d = read_pair(a, b, say)
        view = diff_view(d, sort="bytes", top=top, retained=retained, progress=say)
        page = diff_report(d, view, max_graphs=max_graphs, progress=say)
    if section is not None:
        page = replace(page, timeline=section)
    text = render_html(page)
    write_text(text, output)
    if any("Graphviz" in n for n in page.notes):
        print(
            f"{PROG}: note: Graphviz 'dot' not found: the page shows retainer paths "
            "without graphs; install Graphviz to draw them",
            file=sys.stderr,
        )
    if not to_stdout(output):
        graphs = sum(1 for c in page.clusters if c.graph_svg)
        sys.stdout.write(
            f"wrote {output} ({fmt_bytes(len(text.encode('utf-8')))}): "
            f"{len(page.growth) + page.growth_omitted:,} grown types, "
            f"{len(page.clusters) + page.clusters_omitted:,} retainer-path clusters, "
            f"{graphs:,} graphs\n"
        )
    return EXIT_OK
