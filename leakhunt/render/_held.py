"""The words of the "held by" lines under a grown type, shared by the table
and Markdown renderers (which add layout and escaping).

>>> from leakhunt.pathdiff import ContainerGrowth
>>> container_growth(ContainerGrowth("dict", "module app -> ._S", 10, 1010))
'grew by 1,000 items (10 to 1,010)'
>>> container_growth(ContainerGrowth("list", "module app -> ._R", 0, 1, "items"))
'grew by 1 item (0 to 1)'
"""

from __future__ import annotations

from .. import model
from ..pathdiff import ClusterGrowth, ContainerGrowth, TypeRetention
from ._fmt import fmt_bytes, fmt_count

__all__ = [
    "HELD_OUTSIDE",
    "HELD_OUTSIDE_WHY",
    "cluster_count",
    "container_growth",
    "more_paths",
    "retained_text",
]

# "held outside Python" and its reason, said in one breath or two
HELD_OUTSIDE, HELD_OUTSIDE_WHY = model.HELD_OUTSIDE.split(": ", 1)


def cluster_count(c: ClusterGrowth) -> str:
    """How many more objects the cluster holds in B than in A."""
    return fmt_count(c.count_delta, signed=True)


def container_growth(c: ContainerGrowth) -> str:
    """``grew by N items (A to B)``; in bytes when the graphs had no lengths."""
    if c.unit == "bytes":
        return f"grew by {fmt_bytes(c.delta)} ({fmt_bytes(c.length_a)} to {fmt_bytes(c.length_b)})"
    noun = "item" if c.delta == 1 else "items"
    return (
        f"grew by {fmt_count(c.delta)} {noun} ({fmt_count(c.length_a)} to {fmt_count(c.length_b)})"
    )


def retained_text(c: ClusterGrowth) -> str:
    """The retained size, humanized."""
    return fmt_bytes(c.retained)


def more_paths(r: TypeRetention) -> str:
    """What to say about clusters cut by ``max_clusters``."""
    noun = "path" if r.omitted == 1 else "paths"
    return f"and {r.omitted:,} more {noun} ({fmt_count(r.omitted_count, signed=True)} objects)"
