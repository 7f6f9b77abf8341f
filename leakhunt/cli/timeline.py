"""``leakhunt timeline FILE``: when memory grew, and in which action."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from ._common import (
    EXIT_OK,
    PROG,
    app,
    write_file,
    write_text,
)


@app.command("timeline", short_help="Plot and summarise a timeline: when memory grew, where.")
def timeline_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE", show_default=False, help="A timeline (leakhunt run, monitor())."
        ),
    ],
    output: Annotated[
        Optional[str],
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Draw the timeline to FILE: .svg, .png, or .html (picture and summary).",
        ),
    ] = None,
    text: Annotated[
        bool,
        typer.Option("--text", help="Also print the summary when drawing (-o)."),
    ] = False,
) -> int:
    """Summarise a timeline: how much memory rose, the biggest rises, and
    how much of the rise happened inside each span ('93% of the rise
    happened inside ...'); with -o, also draw it."""
    from ..analysis.timeline import summarize
    from ..files.timeline_file import load_timeline
    from ..render.timeline import (
        image_format_for_path,
        render_timeline_html,
        render_timeline_image,
        render_timeline_text,
    )

    fmt = image_format_for_path(output) if output else None
    tl = load_timeline(file)
    summary = summarize(tl)
    if output:
        if fmt == "html":
            data = render_timeline_html(tl, summary).encode("utf-8")
        else:
            data = render_timeline_image(tl, summary, "png" if fmt == "png" else "svg")
        write_file(data, output)
        if not text:
            for note in summary.notes:
                print(f"{PROG}: note: {file}: {note}", file=sys.stderr)
            sys.stdout.write(f"wrote {output}\n")
    if text or not output:
        write_text(render_timeline_text(tl, summary), None)
    return EXIT_OK
