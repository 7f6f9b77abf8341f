"""What the two graphs of a hunt say about its leaks: the retainer clusters
of the new objects of each leaking type and the container that accumulates
them (:func:`leakhunt.analysis.growth.explain_growth`), the containers that
grew in place (same address, type and path in both graphs), and the leaks
grouped by the container they share (one cause, many types)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import compress
from operator import and_
from typing import Optional

from ..analysis.growth import explain_growth
from ..analysis.retainers import shortest_paths
from ..model import ClusterGrowth, ContainerGrowth, HeapGraph, RetainerPath, readable_labels
from ..model.hunt import Leak

__all__ = ["Explained", "container_key", "explain", "growing_containers", "ranked"]

_IMMUTABLE = frozenset({"tuple", "frozenset", "str", "bytes"})


@dataclass(frozen=True)
class Explained:
    """What the graphs say of one leaking type: the clusters whose count
    grew, the accumulating container (of the first cluster that has one),
    sample nodes of the new objects, and the nodes of the growing containers."""

    clusters: tuple[ClusterGrowth, ...]
    container: Optional[ContainerGrowth]
    members: tuple[int, ...]
    holders: tuple[int, ...]


def explain(g0: HeapGraph, gn: HeapGraph, names: list[str]) -> dict[str, Explained]:
    """Per type in ``names``: the clusters of its new objects that grew."""
    out: dict[str, Explained] = {}
    if not names:
        return out
    growth = explain_growth(g0, gn, names, max_clusters=3, retained=False, new_only=True)
    for r in growth:
        clusters = tuple(c for c in r.clusters if c.count_delta > 0)
        container = next((c.container for c in clusters if c.container is not None), None)
        sample = tuple(v for c in clusters for v in c.sample)
        holders = tuple(
            c.container.node for c in clusters if c.container is not None and c.container.node >= 0
        )
        out[r.name] = Explained(clusters, container, sample, holders)
    return out


def growing_containers(g0: HeapGraph, gn: HeapGraph, iterations: int) -> list[ContainerGrowth]:
    """Containers alive in both graphs (same address, same type, same exact
    retainer path) whose length grew by at least half an item per call,
    biggest growth first."""
    if g0.lengths is None or gn.lengths is None:
        return []
    threshold = max(2, (iterations + 1) // 2)
    len_n, len_0 = gn.lengths, g0.lengths
    # Tuples and frozensets cannot grow: leave them out before any Python loop.
    mutable = bytes(name not in _IMMUTABLE for name in gn.type_names)
    flags = map(and_, map(mutable.__getitem__, gn.types), map(threshold.__le__, len_n))
    ids_n = gn.ids
    cand = {ids_n[v]: v for v in compress(range(gn.n), flags)}
    if not cand:
        return []
    grown: list[tuple[int, int]] = []
    ids_0 = g0.ids
    for u in compress(range(g0.n), map(cand.__contains__, ids_0)):
        v = cand[ids_0[u]]
        if v is None or len_n[v] - len_0[u] < threshold:
            continue
        if gn.type_name(v) != g0.type_name(u):
            continue
        grown.append((u, v))
    if not grown:
        return []
    paths_0 = shortest_paths(g0, [u for u, _ in grown])
    paths_n = shortest_paths(gn, [v for _, v in grown])
    out = []
    for u, v in grown:
        p0, pn = paths_0.get(u), paths_n.get(v)
        if p0 is None or pn is None or not pn.reachable:
            continue
        text_n = _path_without_target(gn, pn)
        if text_n != _path_without_target(g0, p0):
            continue
        out.append(ContainerGrowth(gn.type_name(v), text_n, len_0[u], len_n[v], "items", v))
    out.sort(key=lambda c: (-c.delta, c.path_text))
    return out[:10]


def _path_without_target(g: HeapGraph, p: RetainerPath) -> str:
    text = p.text(g)
    suffix = " -> " + g.type_name(p.target)
    return text[: -len(suffix)] if text.endswith(suffix) and p.steps[1:] else text


def container_key(c: ContainerGrowth) -> tuple[str, str]:
    """Which container ``c`` is: its type and its exact path."""
    return (c.type_name, c.path_text)


def _hops(leak: Leak) -> float:
    """How far the leak's objects are from the root: the head of a group is
    the nearest (a dict's keys count one hop further than its values, and a
    program's own class wins a tie against a builtin type)."""
    hops = []
    for c in leak.clusters:
        if c.path is not None:
            labels = readable_labels(c.path.steps[1:])
            hops.append(len(labels) + ("<key>" in labels))
    if leak.kind == "container" and leak.container is not None:
        hops.append(leak.container.path_text.count(" -> "))
    if leak.held_by is not None:
        hops.append(leak.held_by.depth)
    return min(hops, default=99) + (0.5 if "." not in leak.type_name else 0.0)


def ranked(leaks: list[Leak]) -> list[Leak]:
    """Leaks through one growing container form a group (one cause, many
    types); groups rank by confidence, then bytes per call in all; within a
    group the type nearest the container comes first, then by bytes."""
    groups: dict[object, list[Leak]] = {}
    for x in leaks:
        key: object = (
            container_key(x.container)
            if x.container
            else (x.held_by.registry, x.held_by.basis, x.held_by.holder_type)
            if x.held_by
            else f"#{x.type_name}"
        )
        groups.setdefault(key, []).append(x)
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -max(x.confidence for x in g),
            -sum(x.bytes_per_iteration for x in g),
            g[0].type_name,
        ),
    )
    out: list[Leak] = []
    for number, members in enumerate(ordered, 1):
        members.sort(key=lambda x: (_hops(x), -x.confidence, -x.bytes_per_iteration, x.type_name))
        out.extend(replace(x, group=number) for x in members)
    return out
