"""``leakhunt export SNAPSHOT -o FILE.heapsnapshot``: a graph snapshot in V8's
format, for Chrome DevTools' Memory panel and memlab."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import UsageError
from ..files.snapshot_file import read_snapshot
from ..files.v8_write import to_v8_bytes
from ._common import EXIT_OK, app, end_progress, progress, write_file


@app.command(
    "export", short_help="Write a graph snapshot as a V8 .heapsnapshot (DevTools, memlab)."
)
def export_command(
    file: Annotated[
        str,
        typer.Argument(
            metavar="SNAPSHOT",
            show_default=False,
            help="A graph snapshot (taken with graph=True), or a V8 .heapsnapshot.",
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            show_default=False,
            help="Where to write it (replaced atomically); gzip when FILE ends in .gz.",
        ),
    ],
) -> int:
    """Write SNAPSHOT as a V8 heap snapshot that Chrome DevTools' Memory panel
    (Load, then Summary, Comparison, Retainers) and memlab open: DevTools'
    Summary is leakhunt's histogram, its Comparison of two exported
    snapshots is ``leakhunt diff``, and Retainers show leakhunt's labels
    (``.attr`` as a property, ``[i]`` as an element, closure cells as
    context variables, roots below a synthetic root).

    Object ids are ``id() >> 4`` in 32 bits: stable while an object lives,
    but CPython reuses a freed address at once, so DevTools' #New and
    memlab's new-object sets can undercount for Python files (#Delta is
    exact). No string contents are exported: leakhunt does not store them.
    """
    say = progress("export")
    try:
        if say:
            say("reading")
        snapshot = read_snapshot(file)
        if snapshot.graph is None:
            raise UsageError(
                f"{file}: has no object graph; take it with leakhunt.snapshot(..., graph=True)"
            )
        if say:
            say("writing")
        data = to_v8_bytes(snapshot)
        if output.endswith(".gz"):
            import gzip

            data = gzip.compress(data, compresslevel=1, mtime=0)
        write_file(data, output)
    finally:
        end_progress(say)
    return EXIT_OK
