"""Compare two snapshots type by type.

>>> from leakhunt.model import Snapshot, TypeStat
>>> a = Snapshot("a", (TypeStat("dict", 10, 100),), 0.0, 0.0, 1, "", "")
>>> b = Snapshot("b", (TypeStat("dict", 15, 150), TypeStat("str", 2, 100)), 1.0, 1.0, 1, "", "")
>>> [(d.name, d.count_delta, d.size_delta) for d in diff(a, b).deltas]
[('dict', 5, 50), ('str', 2, 100)]
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Snapshot, SnapshotDiff, TypeDelta

__all__ = ["diff", "matches_filters"]


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


def matches_filters(name: str, types: Iterable[str] = (), modules: Iterable[str] = ()) -> bool:
    """Whether type ``name`` passes ``diff --type``/``--module``: no filter
    passes all; a type filter names the type (``app.Session``, or its bare
    class name ``Session``); a module filter names the defining module or a
    package above it (``builtins`` for the bare names).

    >>> matches_filters("app.cache.Session", ["Session"]), matches_filters("dict", [], ["app"])
    (True, False)
    >>> matches_filters("app.cache.Session", [], ["app"]), matches_filters("dict", [], ["builtins"])
    (True, True)
    """
    types, modules = tuple(types), tuple(modules)
    if not types and not modules:
        return True
    if any(name == t or name.endswith("." + t) for t in types):
        return True
    module = name.rpartition(".")[0] or "builtins"
    return any(module == m or module.startswith(m + ".") for m in modules)
