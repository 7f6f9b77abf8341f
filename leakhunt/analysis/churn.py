"""New and deleted objects per type between two graph snapshots
(DevTools' Comparison view), matched by (address, type, size).

>>> from leakhunt.model import HeapGraph
>>> g = lambda ids: HeapGraph.from_edges(["T"] * len(ids), [8] * len(ids), [], [], ids=ids)
>>> [(c.name, c.new, c.deleted) for c in churn(g([16, 32]), g([16, 48, 64]), ["T"])]
[('T', 2, 1)]
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import Optional

from ..model import HeapGraph, TypeChurn

_by_type: Optional[Callable[..., tuple[bytes, ...]]]
_churn_c: Optional[Callable[..., tuple[int, int, int, int]]]
try:  # the compiled matching; _churn_py is its pure-Python twin
    from ._graphalgo import by_type as _by_type
    from ._graphalgo import churn as _churn_c
except ImportError:  # pragma: no cover - no compiler at install time
    _by_type = _churn_c = None

__all__ = ["churn", "new_in_b"]


def _nodes(graph: HeapGraph, names: list[str]) -> list[array[int]]:
    """The nodes of each named type (array('I') each, in node order), in one pass."""
    place = {name: i for i, name in enumerate(names)}
    codes = array("i", (place.get(t, -1) for t in graph.type_names))
    if _by_type is not None and graph.types.typecode == "I":
        out = []
        for raw in _by_type(graph.types, codes, len(names), bytearray(graph.n)):
            nodes = array("I")
            nodes.frombytes(raw)
            out.append(nodes)
        return out
    lists = [array("I") for _ in names]
    for v, t in enumerate(graph.types):
        if codes[t] >= 0:
            lists[codes[t]].append(v)
    return lists


def _churn_py(
    a: HeapGraph, nodes_a: array[int], b: HeapGraph, nodes_b: array[int], fresh: bytearray
) -> tuple[int, int, int, int]:
    """The pure-Python twin of the compiled ``churn`` (the test oracle)."""
    left = {(a.ids[v], a.sizes[v]) for v in nodes_a}
    all_a = sum(a.sizes[v] for v in nodes_a)
    kept = kept_bytes = new = new_bytes = 0
    for v in nodes_b:
        key = (b.ids[v], b.sizes[v])
        if key in left:
            left.discard(key)
            kept += 1
            kept_bytes += b.sizes[v]
        else:
            fresh[v] = 1
            new += 1
            new_bytes += b.sizes[v]
    distinct_a = len({(a.ids[v], a.sizes[v]) for v in nodes_a})
    return new, distinct_a - kept, new_bytes, max(0, all_a - kept_bytes)


def _churn_by_id(
    a: HeapGraph, nodes_a: array[int], b: HeapGraph, nodes_b: array[int], fresh: bytearray
) -> tuple[int, int, int, int]:
    """Matching by id alone: for V8 files, where an object keeps its id for
    the life of the process while its size may change (V8 shrinks an
    object's in-object slack after a few instances)."""
    left = {a.ids[v]: a.sizes[v] for v in nodes_a}
    new = new_bytes = 0
    for v in nodes_b:
        if left.pop(b.ids[v], None) is None:
            fresh[v] = 1
            new += 1
            new_bytes += b.sizes[v]
    return new, len(left), new_bytes, sum(left.values())


def _one(
    a: HeapGraph,
    nodes_a: array[int],
    b: HeapGraph,
    nodes_b: array[int],
    name: str,
    by_id: bool = False,
) -> tuple[TypeChurn, bytearray]:
    fresh = bytearray(b.n)
    plain = all(g.ids.typecode == "Q" and g.sizes.typecode == "Q" for g in (a, b))
    if by_id:  # ids that objects keep (V8 files): exact
        got = _churn_by_id(a, nodes_a, b, nodes_b, fresh)
    elif _churn_c is not None and plain:
        got = _churn_c(a.ids, a.sizes, nodes_a, b.ids, b.sizes, nodes_b, fresh)
    else:
        got = _churn_py(a, nodes_a, b, nodes_b, fresh)
    new, deleted, new_size, deleted_size = got
    return TypeChurn(name, new, deleted, new_size, deleted_size), fresh


def new_in_b(
    a: HeapGraph, b: HeapGraph, name: str, *, by_id: bool = False
) -> tuple[TypeChurn, bytearray]:
    """The objects of type ``name`` new in B and deleted since A (see
    :class:`~leakhunt.model.TypeChurn` for how exact that is), and one flag
    per node of B: 1 for each new object. ``by_id``: match by id alone
    (V8 files, whose ids objects keep).

    >>> g = lambda ids: HeapGraph.from_edges(["T"] * len(ids), [8] * len(ids), [], [], ids=ids)
    >>> change, fresh = new_in_b(g([16, 32, 48]), g([16, 48, 64, 80]), "T")
    >>> change.new, change.deleted, change.new_size, list(fresh)
    (2, 1, 16, [0, 0, 1, 1])
    """
    ((nodes_a,), (nodes_b,)) = _nodes(a, [name]), _nodes(b, [name])
    return _one(a, nodes_a, b, nodes_b, name, by_id)


def churn(
    a: HeapGraph, b: HeapGraph, names: Iterable[str], *, by_id: bool = False
) -> tuple[TypeChurn, ...]:
    """:func:`new_in_b` of each type in ``names`` (in that order), without
    the flags; one pass over each graph for all the types."""
    order = list(dict.fromkeys(names))
    if not order:
        return ()
    nodes_a, nodes_b = _nodes(a, order), _nodes(b, order)
    return tuple(
        _one(a, na, b, nb, name, by_id)[0]
        for name, na, nb in zip(order, nodes_a, nodes_b, strict=True)
    )
