"""``leakhunt.show_growth()``: objgraph's ``show_growth`` for leakhunt users,
in process. Each call counts every live object by type (after a
``gc.collect()``) and prints the types whose count went above the highest
count seen by any earlier call, with the increase: call it after each run of
a suspect action and what keeps appearing is what accumulates.

>>> import io
>>> _ = show_growth(file=io.StringIO())          # the first call: the baseline
>>> keep = [bytearray(8) for _ in range(500)]
>>> rows = show_growth(file=io.StringIO())
>>> [(name, delta) for name, count, delta in rows if name == "bytearray"]
[('bytearray', 500)]
"""

from __future__ import annotations

import sys
from typing import Optional, TextIO

from .. import capture
from ..model import owned

__all__ = ["show_growth"]


@owned
class _Peaks:
    """The highest count seen per type, in an owned object so that its own
    dict is never counted as growth."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}


_PEAKS = _Peaks()


def show_growth(
    limit: int = 10, *, file: Optional[TextIO] = None, collect: bool = True
) -> list[tuple[str, int, int]]:
    """Print the types whose object count grew above its previous peak since
    the last call, most growth first, ``limit`` of them (0: all); return
    them as ``(type name, count now, increase)``. The first call reports
    every type (from zero), as objgraph does. ``file`` defaults to stdout."""
    rows = capture.type_histogram(collect=collect)
    peaks = _PEAKS.counts
    grown: list[tuple[str, int, int]] = []
    for name, count, _size in rows:
        old = peaks.get(name, 0)
        if count > old:
            peaks[name] = count
            grown.append((name, count, count - old))
    grown.sort(key=lambda r: (-r[2], r[0]))
    if limit:
        grown = grown[:limit]
    out = sys.stdout if file is None else file
    width = max((len(name) for name, _, _ in grown), default=0)
    for name, count, delta in grown:
        out.write(f"{name:<{width}}  {count:>10,}  {delta:>+10,}\n")
    return grown
