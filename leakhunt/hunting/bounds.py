"""Bounded caches that are still filling are not leaks.

A container that grew every call of a hunt may be a cache on its way to a
bound it declares: an ``lru_cache(maxsize=256)``, a ``deque(maxlen=500)``,
a pool or queue with a ``maxsize``. For each leak, the live objects just
above its objects on their retainer paths (up to :data:`HOPS` hops; modules
and classes excluded) are asked for a declared bound
(:func:`leakhunt.capture.holders.holder_facts`, which runs no user code).
When every path of the leak passes a holder whose container holds no more
than its bound, the growth is a cache still filling ("fills to N, now M");
when the container holds more than its own bound, it stays a leak and says
so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Optional

from ..analysis.retainers import DICT_LABEL, shortest_paths
from ..capture.holders import HolderFacts, holder_facts
from ..model import HeapGraph, RetainerPath, readable_labels
from ..model.hunt import BoundedGrowth, DeclaredBound, Leak

__all__ = ["HOPS", "judge_bounds"]

#: How far above the leaked objects (or the growing container) a declared
#: bound still speaks for them: the container, its owner, and the owner's
#: holder when the items are wrapped (a cache entry, a linked-list node).
HOPS = 4

_NOT_OWNERS = frozenset({"function", "frame", "cell"})
#: Owners whose bound is a constant named after the attribute that holds
#: the container (``re._MAXCACHE`` for ``re._cache``)
_NAMESPACES = frozenset({"module", "type"})


def _chain(path: RetainerPath, container: bool) -> list[int]:
    """Indices into ``path.steps`` to ask, nearest to the target first:
    :data:`HOPS` objects, a namespace ``__dict__`` not counted as one."""
    last = len(path.steps) - 1
    out: list[int] = []
    i = last if container else last - 1
    hops = 0
    while i >= 0 and hops < HOPS:
        out.append(i)
        if i + 1 > last or path.steps[i + 1][1] != DICT_LABEL:
            hops += 1
        i -= 1
    return out


def _is_class(gn: HeapGraph, v: int) -> bool:
    """A class node: its type is a metaclass (``type``, ``abc.ABCMeta``...)."""
    return gn.type_name(v) in ("type", "abc.ABCMeta", "enum.EnumType", "enum.EnumMeta")


def _attribute_below(path: RetainerPath, i: int) -> str:
    """The attribute name by which step ``i`` holds the next node on the path."""
    labels = readable_labels(path.steps[i + 1 : i + 3])
    first = labels[0] if labels else ""
    return first[1:] if first.startswith(".") and first[1:].isidentifier() else ""


def _paths(leak: Leak, gn: HeapGraph) -> list[tuple[RetainerPath, bool]]:
    if leak.kind == "container" and leak.container is not None and leak.container.node >= 0:
        p = shortest_paths(gn, [leak.container.node]).get(leak.container.node)
        return [(p, True)] if p is not None and p.reachable else []
    out = [(c.path, False) for c in leak.clusters if c.path is not None and c.path.reachable]
    if leak.container is not None and leak.container.node >= 0:
        p = shortest_paths(gn, [leak.container.node]).get(leak.container.node)
        if p is not None and p.reachable:
            out.append((p, True))
    return out


def _bound_on(
    path: RetainerPath, container: bool, gn: HeapGraph, facts: dict[int, HolderFacts]
) -> Optional[DeclaredBound]:
    steps = path.steps
    for i in _chain(path, container):
        node = steps[i][0]
        f = facts.get(gn.ids[node])
        if f is None or f.bound is None:
            continue
        fill = f.length
        at, holder = i, f.type_name
        if fill is None:
            # An owner declares the bound: the fill is the length of the
            # container below it on the path (past a namespace __dict__).
            for j in range(i + 1, len(steps)):
                if steps[j][1] == DICT_LABEL:
                    continue
                below = facts.get(gn.ids[steps[j][0]])
                if below is not None and below.length is not None:
                    fill = below.length
                    if gn.type_name(node) in _NAMESPACES or _is_class(gn, node):
                        at, holder = j, below.type_name  # a module constant bounds it
                    break
        if fill is None:
            continue
        text = " -> ".join([path.root, *readable_labels(steps[1 : at + 1])])
        return DeclaredBound(holder, text, f.attribute, f.bound, fill)
    return None


def judge_bounds(
    leaks: Sequence[Leak], gn: Optional[HeapGraph]
) -> tuple[list[Leak], list[BoundedGrowth]]:
    """Split ``leaks`` into leaks and bounded growth (see the module's doc)."""
    if gn is None or not leaks:
        return list(leaks), []
    per_leak = [_paths(x, gn) for x in leaks]
    wanted: dict[int, str] = {}
    attributes: dict[int, str] = {}
    for paths in per_leak:
        for path, container in paths:
            for i in _chain(path, container):
                v = path.steps[i][0]
                kind = gn.type_name(v)
                if kind in _NAMESPACES or _is_class(gn, v):
                    attribute = _attribute_below(path, i)
                    if not attribute:
                        continue
                    attributes[gn.ids[v]] = attribute
                if kind not in _NOT_OWNERS:
                    wanted[gn.ids[v]] = gn.type_name(v)
                    for j in range(i + 1, len(path.steps)):
                        w = path.steps[j][0]
                        wanted[gn.ids[w]] = gn.type_name(w)
    facts = holder_facts(wanted, attributes)
    kept: list[Leak] = []
    bounded: list[BoundedGrowth] = []
    for leak, paths in zip(leaks, per_leak, strict=True):
        bounds = [_bound_on(p, c, gn, facts) for p, c in paths]
        found = [b for b in bounds if b is not None]
        if found and len(found) == len(bounds) and not any(b.exceeded for b in found):
            rate = leak.per_iteration or leak.items_per_iteration
            bounded.append(BoundedGrowth(leak.type_name, rate, leak.bytes_per_iteration, found[0]))
            continue
        over = next((b for b in found if b.exceeded), None)
        kept.append(replace(leak, bound=over) if over is not None else leak)
    return kept, bounded
