"""Plain-text tables (via rich) for a terminal, a log or a file.

Pure functions: a view in, a string out. The width is a parameter, never
read from the terminal here, so the same view always gives the same text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Optional

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..report import DiffView, InspectView
from ._fmt import (
    empty_message,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    fmt_label,
    fmt_share,
    fmt_time,
    inspect_header,
    more_message,
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
        self.width = max(width, _MIN_WIDTH)

    def add(self, part: RenderableType) -> None:
        self.parts.append(part)

    def line(self, text: str, style: str = "") -> None:
        self.parts.append(Text(text, style=style if self.color else ""))

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
        return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


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


def render_diff_text(view: DiffView, *, width: int = DEFAULT_WIDTH, color: bool = False) -> str:
    """The diff as a header and a table of types, biggest first."""
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
    for r in view.rows:
        table.add_row(
            r.name,
            fmt_count(r.count_a),
            fmt_count(r.count_b),
            Text(fmt_count(r.count_delta, signed=True), style=_growth_style(r.count_delta, color)),
            Text(fmt_bytes(r.size_delta, signed=True), style=_growth_style(r.size_delta, color)),
        )
    doc.add(table)
    if view.omitted:
        doc.line(more_message(view.omitted))
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
