"""``leakhunt diff A B``: which types grew between two snapshots, and what holds them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import UsageError
from ..files.snapshot_file import read_snapshot
from ..render import render_diff
from ..render.progress import progress_bar
from ..views import diff_view, growth_at_least
from ._common import (
    EXIT_OK,
    PROG,
    DiffSortOpt,
    FormatOpt,
    GateTripped,
    OutputOpt,
    SnapshotA,
    SnapshotB,
    SortBy,
    TopOpt,
    app,
    color_for,
    end_progress,
    output_format,
    progress,
    read_pair,
    width_for,
    write_text,
)


@app.command("diff", short_help="Which types grew between two snapshots, biggest first.")
def diff_command(
    a: SnapshotA,
    b: SnapshotB,
    sort: DiffSortOpt = SortBy.BYTES,
    top: TopOpt = 20,
    min_count: Annotated[
        int,
        typer.Option(
            "--min-count",
            min=0,
            metavar="N",
            help="Only types whose object count changed by at least N. "
            "0 also lists types whose count held but whose bytes grew.",
        ),
    ] = 1,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="Also list types that shrank, after the ones that grew."),
    ] = False,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    fail_on_growth: Annotated[
        Optional[int],
        typer.Option(
            "--fail-on-growth",
            min=1,
            metavar="N",
            show_default=False,
            help="A CI gate: exit 1 when any type grew by N objects or more "
            "(all types count, whatever --top and --min-count show).",
        ),
    ] = None,
    paths: Annotated[
        bool,
        typer.Option(
            "--paths/--no-paths",
            help="With graph snapshots (snapshot(..., graph=True)): under each grown type, "
            "its new and deleted objects, what holds the new ones, the container that grew, "
            "and the bytes it retains.",
        ),
    ] = True,
    retained: Annotated[
        bool,
        typer.Option(
            "--retained/--no-retained",
            help="Compute retained sizes (a dominator tree: the slowest step on big graphs).",
        ),
    ] = True,
    final: Annotated[
        Optional[str],
        typer.Option(
            "--final",
            metavar="FINAL",
            show_default=False,
            help="A third graph snapshot: report what was allocated between A and B and is "
            "still alive (and still growing) in FINAL, clustered by path, biggest retained "
            "size first. Exact for V8 files (ids), estimated for Python files.",
        ),
    ] = None,
    final_all: Annotated[
        bool,
        typer.Option(
            "--final-all",
            help="With --final: also list paths that stopped growing after B.",
        ),
    ] = False,
    types: Annotated[
        Optional[list[str]],
        typer.Option(
            "--type",
            metavar="T",
            show_default=False,
            help="Only type T (module.QualName, or the bare class name); repeat for more. "
            "--fail-on-growth then counts only these types.",
        ),
    ] = None,
    modules: Annotated[
        Optional[list[str]],
        typer.Option(
            "--module",
            metavar="M",
            show_default=False,
            help="Only types defined in module M or a package below it (builtins: the "
            "bare names); repeat for more. --fail-on-growth then counts only these types.",
        ),
    ] = None,
) -> int:
    """Show which types grew between snapshot A and snapshot B, biggest first.

    The header gives both labels, the time between them and the change in
    RSS, object count and bytes. When both snapshots hold an object graph,
    each grown type also says what keeps its new objects alive.
    """
    output_format(fmt, output)  # a wrong -o (e.g. .html) is refused before any loading
    if final is not None:
        return _final(a, b, final, fmt, output, retained=retained, keep_growing=not final_all)
    with progress_bar("diff") as say:
        d = read_pair(a, b, say)
        view = diff_view(
            d,
            sort=sort.value,
            top=top,
            min_count=min_count,
            include_shrinking=show_all,
            paths=paths,
            retained=retained,
            progress=say,
            types=types or (),
            modules=modules or (),
        )
    write_text(
        render_diff(
            view, output_format(fmt, output), width=width_for(output), color=color_for(output)
        ),
        output,
    )
    if fail_on_growth is not None:
        tripped = growth_at_least(d, fail_on_growth, types=types or (), modules=modules or ())
        if tripped:
            shown = ", ".join(f"{t.name} (+{t.count_delta:,})" for t in tripped[:5])
            more = f" and {len(tripped) - 5} more" if len(tripped) > 5 else ""
            noun = "type" if len(tripped) == 1 else "types"
            raise GateTripped(
                f"{PROG}: --fail-on-growth {fail_on_growth} tripped: {len(tripped)} {noun} "
                f"grew by {fail_on_growth:,} objects or more between "
                f"{d.a.display_label} and {d.b.display_label}: {shown}{more}"
            )
    return EXIT_OK


def _final(
    a: str,
    b: str,
    final: str,
    fmt: FormatOpt,
    output: OutputOpt,
    *,
    retained: bool,
    keep_growing: bool,
) -> int:
    """``diff A B --final C``: memlab's question, answered by path."""
    from ..analysis.survivors import find_survivors
    from ..render.survivors import render_survivors

    say = progress("diff")
    try:
        snaps = []
        for path in (a, b, final):
            if say:
                say(f"reading {path}")
            snaps.append(read_snapshot(path))
        for path, s in zip((a, b, final), snaps, strict=True):
            if s.graph is None:
                raise UsageError(
                    f"{path}: --final needs graph snapshots (leakhunt.snapshot(..., graph=True) "
                    "or V8 .heapsnapshot files)"
                )
        if say:
            say("finding what survived")
        found = find_survivors(*snaps, retained=retained, keep_growing=keep_growing)
    finally:
        end_progress(say)
    write_text(render_survivors(found, output_format(fmt, output), width=width_for(output)), output)
    return EXIT_OK
