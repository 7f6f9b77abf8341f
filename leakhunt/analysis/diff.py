"""Compare two snapshots type by type.

>>> from leakhunt.model import Snapshot, TypeStat
>>> a = Snapshot("a", (TypeStat("dict", 10, 100),), 0.0, 0.0, 1, "", "")
>>> b = Snapshot("b", (TypeStat("dict", 15, 150), TypeStat("str", 2, 100)), 1.0, 1.0, 1, "", "")
>>> [(d.name, d.count_delta, d.size_delta) for d in diff(a, b).deltas]
[('dict', 5, 50), ('str', 2, 100)]
"""

from __future__ import annotations

from ..model import Snapshot, SnapshotDiff, TypeDelta

__all__ = ["diff"]


def diff(a: Snapshot, b: Snapshot) -> SnapshotDiff:
    """Every type whose count or size differs between ``a`` and ``b``."""
    sa, sb = a.by_name(), b.by_name()
    deltas = []
    for name in sorted(sa.keys() | sb.keys()):
        ta, tb = sa.get(name), sb.get(name)
        ca, za = (ta.count, ta.size) if ta else (0, 0)
        cb, zb = (tb.count, tb.size) if tb else (0, 0)
        if ca != cb or za != zb:
            deltas.append(TypeDelta(name, ca, cb, za, zb))
    return SnapshotDiff(a, b, tuple(deltas))
