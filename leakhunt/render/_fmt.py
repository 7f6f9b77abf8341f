"""Numbers for people: bytes, counts, durations and times, shared by the
table and markdown renderers (JSON keeps raw numbers).

>>> fmt_bytes(1946, signed=True), fmt_bytes(-312, signed=True), fmt_count(1000, signed=True)
('+1.9 KiB', '-312 B', '+1,000')
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Optional

from ..report import DiffView, InspectView

__all__ = [
    "empty_message",
    "fmt_bytes",
    "fmt_count",
    "fmt_duration",
    "fmt_label",
    "fmt_share",
    "fmt_time",
    "more_message",
]

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def _sign(n: float, signed: bool) -> str:
    if n < 0:
        return "-"
    return "+" if signed and n > 0 else ""


def fmt_bytes(n: Optional[int], *, signed: bool = False) -> str:
    """``1946`` -> ``1.9 KiB``; ``signed`` adds ``+`` to growth; None -> ``?``.

    >>> fmt_bytes(0, signed=True), fmt_bytes(1023), fmt_bytes(5 * 2**20)
    ('0 B', '1023 B', '5.0 MiB')
    """
    if n is None:
        return "?"
    sign = _sign(n, signed)
    size = float(abs(n))
    if size < 1024:
        return f"{sign}{abs(n)} B"
    for unit in _UNITS:
        size /= 1024
        if size < 1024 or unit == _UNITS[-1]:
            break
    # 1023.96 KiB would print as "1024.0 KiB"; say "1.0 MiB" instead
    if f"{size:.1f}" == "1024.0" and unit != _UNITS[-1]:
        size, unit = 1.0, _UNITS[_UNITS.index(unit) + 1]
    return f"{sign}{size:.1f} {unit}"


def fmt_count(n: int, *, signed: bool = False) -> str:
    """``1000`` -> ``1,000``; ``signed`` adds ``+`` to growth.

    >>> fmt_count(-4200, signed=True), fmt_count(0, signed=True)
    ('-4,200', '0')
    """
    return f"{n:+,}" if signed and n else f"{n:,}"


def fmt_duration(seconds: float, *, signed: bool = False) -> str:
    """A time span in the largest units that keep it short.

    >>> fmt_duration(0.25), fmt_duration(12.34, signed=True), fmt_duration(125), fmt_duration(-3725)
    ('250 ms', '+12.3 s', '2 min 5 s', '-1 h 2 min')
    """
    if not math.isfinite(seconds):
        return "?"
    sign = _sign(seconds, signed)
    s = abs(seconds)
    if s < 1:
        return f"{sign}{s * 1000:.0f} ms"
    if s < 60:
        return f"{sign}{s:.1f} s"
    whole = round(s)
    if whole < 3600:
        return f"{sign}{whole // 60} min {whole % 60} s"
    return f"{sign}{whole // 3600} h {whole % 3600 // 60} min"


def fmt_label(label: Optional[str], display_label: str, seq: int) -> str:
    """A snapshot's name with its sequence number, once.

    >>> fmt_label("before", "before", 1), fmt_label(None, "#3", 3), fmt_label("x", "x", 0)
    ('before (#1)', '#3', 'x')
    """
    return f"{display_label} (#{seq})" if label and seq else display_label


def fmt_share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``.

    >>> fmt_share(1, 8), fmt_share(1, 0)
    ('12.5%', '-')
    """
    return f"{100 * part / whole:.1f}%" if whole > 0 else "-"


def fmt_time(wall_time: float) -> str:
    """A wall-clock time as ISO 8601 in UTC, to the second: snapshots travel
    between machines, so no local time zone.

    >>> fmt_time(0)
    '1970-01-01T00:00:00Z'
    """
    try:
        when = datetime.fromtimestamp(wall_time, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{wall_time} (not a valid time)"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def empty_message(view: DiffView) -> str:
    """What to say when no row was selected."""
    a, b = view.a.display_label, view.b.display_label
    verb = "changed" if view.include_shrinking else "grew"
    if view.min_count > 1:
        return f"no type {verb} by {view.min_count:,} objects or more between {a} and {b}"
    return f"no type {verb} between {a} and {b}"


def more_message(omitted: int) -> str:
    """What to say when ``--top`` cut rows."""
    noun = "type" if omitted == 1 else "types"
    return f"and {omitted:,} more {noun} (--top 0 shows all)"


def inspect_header(view: InspectView) -> list[tuple[str, str]]:
    """The header rows of ``leakhunt inspect`` as (name, value) text, shared
    by the text and Markdown renderers (which add the title and escaping)."""
    on = f" on {view.platform}" if view.platform else ""
    rows = [("taken", fmt_time(view.wall_time))]
    if view.path:
        rows.append(("file", view.path))
    rows += [
        ("process", f"pid {view.pid}, Python {view.python_version or '?'}{on}"),
        (
            "leakhunt",
            f"{view.leakhunt_version or '?'} (format {view.format_version or '?'}), "
            f"walker {view.walker}, capture took {fmt_duration(view.capture_seconds)}",
        ),
        ("RSS", f"{fmt_bytes(view.rss)} (peak {fmt_bytes(view.peak_rss)})"),
    ]
    if view.gc_collections:
        gens = " / ".join(str(i) for i in range(len(view.gc_collections)))
        counts = " / ".join(fmt_count(c) for c in view.gc_collections)
        rows.append(("gc", f"{counts} collections (generation {gens})"))
    if view.tracemalloc_current is not None:
        rows.append(
            (
                "tracemalloc",
                f"{fmt_bytes(view.tracemalloc_current)} (peak {fmt_bytes(view.tracemalloc_peak)})",
            )
        )
    rows += [("objects", fmt_count(view.total_count)), ("bytes", fmt_bytes(view.total_size))]
    return rows
