"""Growth without new objects: an object replaced each call by a bigger one.

``self.text += line``, ``buf = b"".join((buf, chunk))``, ``arr = np.append(arr,
x)``: the count of the type stays flat while its bytes climb, and no
container grows. The type's byte series is judged like any other series
(:func:`leakhunt.hunting.verdict.classify`); this module finds *where*: the
holder, alive in both graphs (same address, same type, same retainer path),
whose edge with the same label leads to a bigger object of that type after
the calls than before. A holder is named only when its object accounts for
at least half of the type's byte growth, so churn elsewhere in the type
does not pick a holder at random.

>>> from leakhunt.model import HeapGraph
>>> def heap(size):
...     return HeapGraph.from_edges(["module", "Trail", "str"], [72, 48, size],
...         [(0, 1, "._TRAIL"), (1, 2, ".text")], [(0, "module app")],
...         ids=[1, 2, 3 + size])
>>> (g,) = replaced_objects(heap(100), heap(900), "str", 800)
>>> g.holder_type, g.path_text, g.length_a, g.length_b
('Trail', 'module app -> ._TRAIL -> .text', 100, 900)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import compress
from typing import Optional

from ..analysis.retainers import DICT_LABEL, shortest_paths
from ..model import HeapGraph, RetainerPath, readable_labels

__all__ = ["ReplacedObject", "replaced_objects"]

_CANDIDATES = 16
#: Objects the interpreter grows in place as it runs them (3.10 code
#: objects gain an inline cache once hot): never a replaced object.
_NEVER = frozenset({"code"})


@dataclass(frozen=True)
class ReplacedObject:
    """The object at ``path_text`` (reached from a ``holder_type`` by its last
    label) grew from ``length_a`` to ``length_b`` bytes; ``node`` is the
    object in the final graph, ``holder`` its holder."""

    holder_type: str
    path_text: str
    length_a: int
    length_b: int
    node: int
    holder: int


def _nodes_of(g: HeapGraph, name: str) -> list[int]:
    try:
        code = g.type_names.index(name)
    except ValueError:
        return []
    return list(compress(range(g.n), map(code.__eq__, g.types)))


def _holder_text(g: HeapGraph, p: RetainerPath) -> str:
    return " -> ".join([p.root, *readable_labels(p.steps[1:])])


def replaced_objects(
    g0: HeapGraph, gn: HeapGraph, name: str, grown: int
) -> tuple[ReplacedObject, ...]:
    """The objects of type ``name`` that replaced a smaller one at the same
    place and together account for at least half of ``grown`` bytes."""
    if grown <= 0 or name in _NEVER:
        return ()
    old_nodes = _nodes_of(g0, name)
    old_size = {g0.ids[u]: g0.sizes[u] for u in old_nodes}
    # Candidates: the objects that are bigger than what their address held.
    gains: list[tuple[int, int]] = []
    for v in _nodes_of(gn, name):
        gain = gn.sizes[v] - old_size.get(gn.ids[v], 0)
        if gain * _CANDIDATES * 2 >= grown:
            gains.append((gain, v))
    gains.sort(reverse=True)
    picked = [v for _, v in gains[:_CANDIDATES]]
    if not picked:
        return ()
    paths_n = shortest_paths(gn, picked)
    holders_n: dict[int, tuple[int, str]] = {}  # new object -> (holder, label)
    for v, p in paths_n.items():
        if p is not None and p.reachable and len(p.steps) >= 2:
            holders_n[v] = (p.steps[-2][0], p.steps[-1][1])
    if not holders_n:
        return ()
    index_0 = {g0.ids[u]: u for u in compress(range(g0.n), _in(g0, gn, holders_n))}
    olds: dict[int, int] = {}  # holder in gn -> holder in g0
    for h, _ in holders_n.values():
        u = index_0.get(gn.ids[h])
        if u is not None and g0.type_name(u) == gn.type_name(h):
            olds[h] = u
    paths_0 = shortest_paths(g0, sorted(set(olds.values())))
    paths_h = shortest_paths(gn, sorted(olds))
    out: list[ReplacedObject] = []
    for v, (h, label) in holders_n.items():
        u = olds.get(h)
        if u is None:
            continue
        p0, ph = paths_0.get(u), paths_h.get(h)
        if p0 is None or ph is None or _holder_text(g0, p0) != _holder_text(gn, ph):
            continue  # not the same holder: a new object at a reused address
        if ph.root == "module leakhunt" or ph.root.startswith("module leakhunt."):
            continue  # leakhunt's own state is never counted
        before = _child(g0, u, label, name)
        if before is None or gn.sizes[v] <= g0.sizes[before]:
            continue
        p = paths_n[v]
        assert p is not None
        # an attribute in a __dict__ (3.10, or a materialized dict): the
        # holder is the instance that owns the dict
        owner = p.steps[-3][0] if len(p.steps) >= 3 and p.steps[-2][1] == DICT_LABEL else h
        out.append(
            ReplacedObject(
                gn.type_name(owner), _holder_text(gn, p), g0.sizes[before], gn.sizes[v], v, h
            )
        )
    out.sort(key=lambda r: (-(r.length_b - r.length_a), r.path_text))
    if sum(r.length_b - r.length_a for r in out) * 2 < grown:
        return ()
    total, kept = 0, []
    for r in out:  # the biggest growers that make up half of the growth
        kept.append(r)
        total += r.length_b - r.length_a
        if total * 2 >= grown:
            break
    return tuple(kept)


def _in(g0: HeapGraph, gn: HeapGraph, holders: dict[int, tuple[int, str]]) -> Iterator[bool]:
    wanted = {gn.ids[h] for h, _ in holders.values()}
    return map(wanted.__contains__, g0.ids)


def _child(g: HeapGraph, u: int, label: str, name: str) -> Optional[int]:
    """The object of type ``name`` that ``u`` refers to by ``label``; when
    several do (keys not kept are all labelled ``[<str>]``), the biggest,
    so that growth is never overstated."""
    try:
        label_id = g.label_names.index(label)
    except ValueError:
        return None
    a, b = g.offsets[u], g.offsets[u + 1]
    found = [
        int(g.targets[k])
        for k in range(a, b)
        if g.labels[k] == label_id and g.type_name(g.targets[k]) == name
    ]
    return max(found, key=g.sizes.__getitem__) if found else None
