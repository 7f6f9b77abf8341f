"""``leakhunt inspect FILE``: one snapshot's header and its biggest types."""

from __future__ import annotations

from typing import Annotated

import typer

from ..files.snapshot_file import read_snapshot
from ..render import render_inspect
from ..views import inspect_view
from ._common import (
    EXIT_OK,
    FormatOpt,
    InspectSortOpt,
    OutputOpt,
    SortBy,
    TopOpt,
    app,
    color_for,
    output_format,
    width_for,
    write_text,
)


@app.command("inspect", short_help="One snapshot: its header and its biggest types.")
def inspect_command(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", show_default=False, help="The snapshot file to show."),
    ],
    sort: InspectSortOpt = SortBy.BYTES,
    top: TopOpt = 20,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> int:
    """Show one snapshot: when and where it was taken, process memory, gc
    state, totals, and its biggest types."""
    view = inspect_view(
        read_snapshot(file),
        sort=sort.value,
        top=top,
    )
    write_text(
        render_inspect(
            view, output_format(fmt, output), width=width_for(output), color=color_for(output)
        ),
        output,
    )
    return EXIT_OK
