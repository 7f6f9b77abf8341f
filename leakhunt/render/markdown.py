"""GitHub-flavoured Markdown, for pull-request comments and CI summaries.

Labels and type names come from the user's program: they are escaped so a
``|`` or a ``*`` cannot break the table or the emphasis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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

__all__ = ["render_diff_markdown", "render_inspect_markdown"]

# "#" is only special at the start of a line, where a label never is
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _text(s: str) -> str:
    """Plain text with Markdown's special characters escaped (one line)."""
    return _SPECIAL.sub(r"\\\1", " ".join(s.splitlines()))


def _fence(s: str) -> str:
    # CommonMark: a code span's fence is a run of backticks longer than any
    # run inside it (a name holding ``` `` ``` cannot close it early); a
    # space pads content that starts or ends with a backtick.
    longest = max((len(run) for run in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _code(s: str) -> str:
    """``s`` as a code span that survives inside a table cell.

    >>> _code("dict"), _code("a|b"), _code("x`y"), _code("X``<img>``")
    ('`dict`', '`a\\\\|b`', '`` x`y ``', '``` X``<img>`` ```')
    """
    return _fence(" ".join(s.splitlines()).replace("|", "\\|"))


def _span(s: str) -> str:
    """``s`` as a code span in running text (a list item: no pipe escaping).

    >>> _span("a|b"), _span("['x`y']")
    ('`a|b`', "`` ['x`y'] ``")
    """
    return _fence(" ".join(s.splitlines()))


def _held_by(view: DiffView) -> list[str]:
    """The "held by" list: per grown type, the paths that hold its growth."""
    items: list[str] = []
    for row in view.rows:
        r = view.retention_of(row.name)
        if r is None:
            continue
        name = _span(row.name)
        change = view.churn_of(row.name)
        if change is not None:
            items.append(f"- {name}: {churn_text(change)}")
        for number, c in enumerate(r.clusters, 1):
            if c.path_text is None:
                items.append(
                    f"- {name} #{number}: {cluster_count(c)} {HELD_OUTSIDE}: {HELD_OUTSIDE_WHY}"
                )
            else:
                items.append(f"- {name} #{number}: {cluster_count(c)} held by {_span(c.path_text)}")
                if c.container is not None:
                    k = c.container
                    items.append(
                        f"  - the {_span(k.type_name)} at {_span(k.path_text)} "
                        f"{container_growth(k)}"
                    )
                if c.retained is not None:
                    items.append(f"  - retained: {retained_text(c)}")
            command = graph_command(view.a.path, view.b.path, row.name, number)
            items.append(f"  - draw it: {_span(command)}")
        if r.omitted:
            items.append(f"- {name}: {more_paths(r)}")
    if not items:
        return []
    notes = ["", f"_Note: {CHURN_NOTE}._"] if view.churn else []
    return [
        "",
        "**Held by** (the shortest path from a root, per group of grown objects):",
        "",
        *items,
        *notes,
    ]


def _table(header: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    """``align`` has one letter per column: ``l`` or ``r``."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def render_diff_markdown(view: DiffView) -> str:
    """The diff as a Markdown heading, a summary table and a table of types;
    with object graphs, then a list of the paths that hold each type's growth."""
    a, b = view.a, view.b
    lines = [
        f"### leakhunt diff: {_text(fmt_label(a.label, a.display_label, a.seq))} → "
        f"{_text(fmt_label(b.label, b.display_label, b.seq))}",
        "",
    ]
    summary = [
        [
            "taken",
            fmt_time(a.wall_time),
            fmt_time(b.wall_time),
            fmt_duration(view.seconds_between, signed=True),
        ],
        ["RSS", fmt_bytes(a.rss), fmt_bytes(b.rss), fmt_bytes(view.rss_delta, signed=True)],
        [
            "objects",
            fmt_count(a.total_count),
            fmt_count(b.total_count),
            fmt_count(view.count_delta, signed=True),
        ],
        [
            "bytes",
            fmt_bytes(a.total_size),
            fmt_bytes(b.total_size),
            fmt_bytes(view.size_delta, signed=True),
        ],
    ]
    if a.path or b.path:
        summary.append(["file", _code(a.path or "-"), _code(b.path or "-"), ""])
    lines += _table(["", "A", "B", "change"], "lrrr", summary)
    lines.append("")
    notes = []
    if view.seconds_between < 0:
        notes.append("B was taken before A; did you swap the arguments?")
    if not view.same_process:
        notes.append(
            f"A and B come from different processes (pid {a.pid} and {b.pid}); "
            "start-up differences show up as changes too."
        )
    for note in notes:
        lines += [f"> **Note:** {note}", ""]
    if not view.rows:
        lines.append(_text(empty_message(view)))
        return "\n".join(lines) + "\n"
    what = "Changed types (grown, then shrunk)" if view.include_shrinking else "Grown types"
    lines += [f"**{what}**, biggest first by {view.sort}:", ""]
    lines += _table(
        ["type", "count A", "count B", "delta count", "delta bytes"],
        "lrrrr",
        [
            [
                _code(r.name),
                fmt_count(r.count_a),
                fmt_count(r.count_b),
                fmt_count(r.count_delta, signed=True),
                fmt_bytes(r.size_delta, signed=True),
            ]
            for r in view.rows
        ],
    )
    if view.omitted:
        lines += ["", _text(more_message(view.omitted))]
    lines += _held_by(view)
    return "\n".join(lines) + "\n"


def render_inspect_markdown(view: InspectView) -> str:
    """One snapshot: a heading, its header as a table, its biggest types."""
    title = fmt_label(view.label, view.display_label, view.seq)
    lines = [f"### leakhunt snapshot: {_text(title)}", ""]
    header = [
        [name, _code(value) if name == "file" else _text(value)]
        for name, value in inspect_header(view)
    ]
    lines += _table(["", ""], "ll", header)
    lines.append("")
    if not view.rows:
        lines.append(_text(f"no objects counted in {view.display_label}"))
        return "\n".join(lines) + "\n"
    lines += [f"**Biggest types** by {view.sort}:", ""]
    lines += _table(
        ["type", "count", "bytes", "% of bytes"],
        "lrrr",
        [
            [
                _code(r.name),
                fmt_count(r.count),
                fmt_bytes(r.size),
                fmt_share(r.size, view.total_size),
            ]
            for r in view.rows
        ],
    )
    if view.omitted:
        lines += ["", _text(more_message(view.omitted))]
    return "\n".join(lines) + "\n"
