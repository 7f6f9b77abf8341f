"""Plain-text tables (via rich) for a terminal, a log or a file.

Pure functions: a view in, a string out. The width is a parameter, never
read from the terminal here, so the same view always gives the same text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Optional

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from ..views import DiffView, InspectView
from .words import (
    CHURN_NOTE,
    HELD_OUTSIDE,
    HELD_OUTSIDE_WHY,
    churn_text,
    cluster_count,
    container_growth,
    empty_message,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    fmt_label,
    fmt_share,
    fmt_time,
    graph_command,
    inspect_header,
    more_message,
    more_paths,
    retained_text,
)

__all__ = ["DEFAULT_WIDTH", "render_diff_text", "render_inspect_text"]

#: Width used when the output is not a terminal (a pipe, a file, CI logs).
DEFAULT_WIDTH = 100
# Below this the numbers no longer fit beside a readable type column.
_MIN_WIDTH = 64


def _growth_style(n: Optional[int], color: bool) -> str:
    if not color or not n:
        return ""
    return "red" if n > 0 else "green"


class _Doc:
    """Collects renderables and prints them once on a private console."""

    def __init__(self, width: int, color: bool) -> None:
        self.color = color
        self.parts: list[RenderableType] = []
        self.whole: list[str] = []
        self.width = max(width, _MIN_WIDTH)

    def add(self, part: RenderableType) -> None:
        self.parts.append(part)

    def line(self, text: str, style: str = "") -> None:
        self.parts.append(Text(text, style=style if self.color else ""))

    def verbatim(self, text: str) -> str:
        """A short stand-in for ``text``, which :meth:`text` puts back after
        the layout: never wrapped, folded or cut (rich has no such style)."""
        self.whole.append(text)
        return f"\ue000{len(self.whole) - 1}\ue001"

    def text(self) -> str:
        buf = io.StringIO()
        console = Console(
            file=buf,
            width=self.width,
            force_terminal=self.color,
            force_interactive=False,
            color_system="standard" if self.color else None,
            markup=False,
            emoji=False,
            highlight=False,
            legacy_windows=False,
            soft_wrap=False,
            _environ={},  # no COLUMNS, NO_COLOR, FORCE_COLOR: output depends on arguments only
        )
        for part in self.parts:
            console.print(part)
        # rich pads some lines to the column width; trailing blanks are noise in files
        out = "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
        for i, text in enumerate(self.whole):
            out = out.replace(f"\ue000{i}\ue001", text, 1)
        return out


def _grid(
    rows: Sequence[Sequence[Text | str]], *, header: Sequence[str] = (), numeric: bool = False
) -> Table:
    """Aligned columns without lines; with ``numeric`` every column but the
    first is right-aligned and never wrapped."""
    grid = Table(
        box=None,
        show_header=bool(header),
        show_edge=False,
        pad_edge=False,
        padding=(0, 2, 0, 0),
        header_style="",
    )
    ncols = max(len(r) for r in rows)
    for i in range(ncols):
        title = header[i] if i < len(header) else ""
        if i == 0:
            grid.add_column(title, no_wrap=True)
        elif numeric:
            grid.add_column(title, justify="right", no_wrap=True)
        else:
            grid.add_column(title, overflow="fold")
    for r in rows:
        grid.add_row(*r)
    return grid


def _rows_table(color: bool, columns: Sequence[tuple[str, bool]]) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if color else "",
    )
    for title, numeric in columns:
        if numeric:
            table.add_column(title, justify="right", no_wrap=True)
        else:
            table.add_column(title, overflow="fold", min_width=12)
    return table


class _RowsWithNotes:
    """A table whose rows are each followed by full-width notes (the "held
    by" lines), where a cell would squeeze them: rich has no column span.
    Every row ends a section, so rows are split by blank separator lines,
    which the notes of the row above replace."""

    def __init__(self, table: Table, notes: Sequence[Sequence[RenderableType]]) -> None:
        self.table = table
        self.notes = notes

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.table, options, pad=False)
        new_line = Segment.line()
        # The header and the rule under it come first.
        body = next((i + 1 for i, line in enumerate(lines) if any("─" in s.text for s in line)), 0)
        row = 0
        for i, line in enumerate(lines):
            if i >= body and not "".join(s.text for s in line).strip():
                yield from self.notes[row]
                row += 1
                continue
            yield from line
            yield new_line
        if row < len(self.notes):
            yield from self.notes[row]


def _note(text: str, indent: int) -> Padding:
    # Padding keeps the indent on wrapped lines of a long path.
    return Padding(Text(text, overflow="fold"), (0, 0, 0, indent))


def _command_note(doc: _Doc, command: str, indent: int) -> Padding:
    """A shell command, printed whole on one line whatever the width: a
    wrapped or folded command no longer runs when copied."""
    return Padding(Text(doc.verbatim(command)), (0, 0, 0, indent))


def _held_notes(view: DiffView, name: str, doc: _Doc) -> list[RenderableType]:
    """The "held by" lines under row ``name``: one block per path cluster."""
    notes: list[RenderableType] = []
    change = view.churn_of(name)
    if change is not None:
        notes.append(_note(churn_text(change), 2))
    r = view.retention_of(name)
    if r is None:
        return notes
    for k, c in enumerate(r.clusters, 1):
        if c.path_text is None:
            notes.append(_note(f"#{k} {cluster_count(c)} {HELD_OUTSIDE}: {HELD_OUTSIDE_WHY}", 2))
        else:
            notes.append(_note(f"#{k} {cluster_count(c)} held by: {c.path_text}", 2))
            if c.container is not None:
                kc = c.container
                notes.append(
                    _note(f"the {kc.type_name} at {kc.path_text} {container_growth(kc)}", 4)
                )
            if c.retained is not None:
                notes.append(_note(f"retained: {retained_text(c)}", 4))
        notes.append(_note("draw it:", 4))
        notes.append(_command_note(doc, graph_command(view.a.path, view.b.path, name, k), 6))
    if r.omitted:
        notes.append(_note(more_paths(r), 2))
    return notes


def render_diff_text(view: DiffView, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """The diff as a header and a table of types, biggest first; with object
    graphs, each grown type is followed by the paths that hold its growth."""
    doc = _Doc(width, color)
    a, b = view.a, view.b
    doc.add(
        _grid(
            [
                ["A", fmt_label(a.label, a.display_label, a.seq), a.path or ""],
                ["B", fmt_label(b.label, b.display_label, b.seq), b.path or ""],
            ]
        )
    )
    doc.line("")
    numbers: list[list[Text | str]] = [
        [
            "taken",
            fmt_time(a.wall_time),
            fmt_time(b.wall_time),
            fmt_duration(view.seconds_between, signed=True),
        ],
        [
            "RSS",
            fmt_bytes(a.rss),
            fmt_bytes(b.rss),
            Text(
                fmt_bytes(view.rss_delta, signed=True),
                style=_growth_style(view.rss_delta, color),
            ),
        ],
        [
            "objects",
            fmt_count(a.total_count),
            fmt_count(b.total_count),
            Text(
                fmt_count(view.count_delta, signed=True),
                style=_growth_style(view.count_delta, color),
            ),
        ],
        [
            "bytes",
            fmt_bytes(a.total_size),
            fmt_bytes(b.total_size),
            Text(
                fmt_bytes(view.size_delta, signed=True),
                style=_growth_style(view.size_delta, color),
            ),
        ],
    ]
    doc.add(_grid(numbers, header=("", "A", "B", "change"), numeric=True))
    if view.seconds_between < 0:
        doc.line("note: B was taken before A; did you swap the arguments?", "yellow")
    if not view.same_process:
        doc.line(
            f"note: A and B come from different processes (pid {a.pid} and {b.pid}); "
            "start-up differences show up as changes too",
            "yellow",
        )
    doc.line("")
    if not view.rows:
        doc.line(empty_message(view))
        return doc.text()
    what = "Changed types (grown, then shrunk)" if view.include_shrinking else "Grown types"
    doc.line(f"{what}, biggest first by {view.sort}:", "bold")
    table = _rows_table(
        color,
        [
            ("type", False),
            ("count A", True),
            ("count B", True),
            ("delta count", True),
            ("delta bytes", True),
        ],
    )
    with_notes = view.retention is not None or view.churn is not None
    for r in view.rows:
        table.add_row(
            r.name,
            fmt_count(r.count_a),
            fmt_count(r.count_b),
            Text(fmt_count(r.count_delta, signed=True), style=_growth_style(r.count_delta, color)),
            Text(fmt_bytes(r.size_delta, signed=True), style=_growth_style(r.size_delta, color)),
            end_section=with_notes,
        )
    if with_notes:
        doc.add(_RowsWithNotes(table, [_held_notes(view, r.name, doc) for r in view.rows]))
    else:
        doc.add(table)
    if view.omitted:
        doc.line(more_message(view.omitted))
    if view.churn:
        doc.line(f"note: {CHURN_NOTE}")
    return doc.text()


def render_inspect_text(
    view: InspectView, *, width: int = DEFAULT_WIDTH, color: bool = False
) -> str:
    """One snapshot: its header and its biggest types."""
    doc = _Doc(width, color)
    header: list[list[Text | str]] = [
        ["snapshot", fmt_label(view.label, view.display_label, view.seq)]
    ]
    header += [[name, value] for name, value in inspect_header(view)]
    doc.add(_grid(header))
    doc.line("")
    if not view.rows:
        doc.line(f"no objects counted in {view.display_label}")
        return doc.text()
    doc.line(f"Biggest types by {view.sort}:", "bold")
    table = _rows_table(
        color, [("type", False), ("count", True), ("bytes", True), ("% of bytes", True)]
    )
    for r in view.rows:
        table.add_row(
            r.name, fmt_count(r.count), fmt_bytes(r.size), fmt_share(r.size, view.total_size)
        )
    doc.add(table)
    if view.omitted:
        doc.line(more_message(view.omitted))
    return doc.text()
