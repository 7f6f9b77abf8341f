"""Why did it grow: the retainer paths that account for a type's growth.

For each grown type, its objects are clustered by the signature of their
shortest retainer path (:func:`leakhunt.analysis.retainers.signature`) in snapshot A
and in snapshot B, and the clusters are matched across the snapshots by
signature, never by ``id()``: CPython hands a freed address to the next
object at once, so an id in B may name another object than in A. The
clusters whose count grew account for the growth.

For each such cluster the representative path in B is walked from the
target back towards the root to name the *accumulating container*: the node
closest to the targets whose length (``HeapGraph.lengths``; the shallow size
when a graph has no lengths) grew. Its counterpart in A is the node reached
from the same root by the same labels, not by the masked signature: keys
such as ``['u42']`` tell apart containers that a signature folds into one
``[*]``, and a container that is one of many similar ones is not named.

Cost: one breadth-first search per graph for all targets of all types, one
dominator tree of B (for retained sizes), each path signature built once.

>>> from leakhunt.model import HeapGraph
>>> def cache(n):
...     edges = [(0, 1, "._SESSIONS")] + [(1, 2 + i, f"['u{i}']") for i in range(n)]
...     return HeapGraph.from_edges(["module", "dict"] + ["Session"] * n,
...         [72, 232] + [48] * n, edges, [(0, "module app.cache")],
...         lengths=[0, n] + [0] * n)
>>> (growth,) = explain_growth(cache(2), cache(5), ["Session"])
>>> (c,) = growth.clusters
>>> c.count_a, c.count_b, c.path_text, c.retained
(2, 5, 'module app.cache -> ._SESSIONS -> [*] -> Session', 240)
>>> c.container.type_name, c.container.path_text, c.container.delta
('dict', 'module app.cache -> ._SESSIONS', 3)
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from itertools import compress
from operator import not_
from typing import Optional

from ..model import (
    ClusterGrowth,
    ContainerGrowth,
    HeapGraph,
    RetainerPath,
    TypeRetention,
    readable_labels,
)
from ..model.growth import Unit
from . import Progress
from .dominators import immediate_dominators, reachable, retained_size_of, retained_sizes
from .retainers import DICT_LABEL, mask_label
from .signatures import (
    _ABSENT,
    _MANY,
    _members,
    _Side,
    _Signatures,
    _tally,
    _targets,
)

__all__ = ["explain_growth"]

_SAMPLE = 200


def _spread(members: list[int]) -> tuple[int, ...]:
    """Up to _SAMPLE members, spread evenly, the representative (the first) first."""
    return tuple(members[:: max(1, len(members) // _SAMPLE)][:_SAMPLE])


def _masked_text(side: _Side, path: RetainerPath) -> str:
    graph = side.graph
    hops = [(v, side.masked_at(v)) for v, _ in path.steps[1:]]
    return " -> ".join([path.root, *readable_labels(hops), graph.type_name(path.target)])


def _container(a: _Side, b: _Side, path: RetainerPath) -> Optional[ContainerGrowth]:
    """The node on ``path`` closest to the target whose length grew from A to B."""
    steps = path.steps
    graph_b, graph_a = b.graph, a.graph
    lengths_b, lengths_a = graph_b.lengths, graph_a.lengths
    unit: Unit = "items"
    if lengths_b is None or lengths_a is None:
        lengths_b, lengths_a, unit = graph_b.sizes, graph_a.sizes, "bytes"
    hops = [(label, graph_b.type_name(v)) for v, label in steps]
    in_a = a.follow(path.root, hops)
    # After a masked hop (['u42'] -> [*]) the container is one of many alike:
    # a new one (absent from A) is not "the" accumulating container.
    masked_from = next(
        (
            i
            for i, (_, label) in enumerate(steps)
            if i and mask_label(label, namespace=steps[i - 1][1] == DICT_LABEL) != label
        ),
        len(steps),
    )
    for i in range(len(steps) - 2, -1, -1):
        node_a = in_a[i]
        if node_a == _MANY or (node_a == _ABSENT and i >= masked_from):
            continue
        length_b = lengths_b[steps[i][0]]
        length_a = 0 if node_a == _ABSENT else lengths_a[node_a]
        if length_b > length_a:
            text = " -> ".join([path.root, *readable_labels(steps[1 : i + 1])])
            return ContainerGrowth(
                graph_b.type_name(steps[i][0]), text, length_a, length_b, unit, steps[i][0]
            )
    return None


def explain_growth(
    a: HeapGraph,
    b: HeapGraph,
    names: Iterable[str],
    *,
    max_clusters: int = 0,
    retained: bool = True,
    new_only: bool = False,
    progress: Progress = None,
    fresh: Optional[bytearray] = None,
) -> tuple[TypeRetention, ...]:
    """For each type in ``names`` (in that order), the retainer-path clusters
    whose count grew from graph ``a`` to graph ``b``, biggest growth in bytes
    first, then count. ``max_clusters`` keeps that many per type (0: all);
    ``retained=False`` skips the dominator tree of ``b`` (the slowest step).
    ``progress`` hears the stage and how far it got (see
    :data:`leakhunt.analysis.Progress`). ``fresh`` (one flag per node of
    ``b``, from :func:`leakhunt.analysis.churn.new_in_b`) marks the objects
    new in B: each cluster's sample and path then come from its new objects
    (counted in ``new_count``), where it has any.

    Pass only the types you will show: every object of these types gets a
    path, in one search per graph.

    ``new_only`` clusters only the objects of B whose address held no object
    of their type in A (new objects, minus those that reuse a freed address
    of the same type) and counts nothing in A: for a series of snapshots of
    one process (a hunt), where a type may have millions of old objects and
    signing every one of them costs seconds. Clusters then say where the
    new objects are held; ``count_a`` is 0.

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "list", "Job"], [72, 88, 48],
    ...     [(0, 1, ".queue"), (1, 2, "[0]")], [(0, "module app")])
    >>> empty = HeapGraph.from_edges(["module", "list"], [72, 88],
    ...     [(0, 1, ".queue")], [(0, "module app")])
    >>> [(c.count_delta, c.path_text) for c in explain_growth(empty, g, ["Job"])[0].clusters]
    [(1, 'module app -> .queue -> [*] -> Job')]
    """
    if max_clusters < 0:
        raise ValueError(f"max_clusters must be >= 0, not {max_clusters}")
    order = list(dict.fromkeys(names))
    say = progress or (lambda stage, fraction: None)
    retained_b: Optional[array[int]] = None
    live_b: Optional[bytearray] = None
    if retained and order:
        # First, while nothing else is held: the dominator tree is the
        # biggest transient, and only the retained sizes outlive it.
        say("dominator tree of B (retained sizes)", 0.0)
        idom = immediate_dominators(b)
        say("dominator tree of B (retained sizes)", 0.8)
        retained_b = retained_sizes(b, idom)
        del idom
        live_b = reachable(b)
    say("shortest paths in A and B", 0.0)
    sigs = _Signatures()
    want_a, want_b = bytearray(a.n), bytearray(b.n)
    targets_a, targets_b = _targets(a, order, want_a), _targets(b, order, want_b)
    if new_only:
        want_a = bytearray(a.n)
        for name in order:
            old = set(map(a.ids.__getitem__, targets_a[name]))
            at_new = map(not_, map(old.__contains__, map(b.ids.__getitem__, targets_b[name])))
            targets_b[name] = array("I", compress(targets_b[name], at_new))
            targets_a[name] = array("I")
        want_b = bytearray(b.n)
        for name in order:
            for v in targets_b[name]:
                want_b[v] = 1
    # One side at a time, in the order the per-type loop would intern them
    # (A's signatures first: ties keep their order), and A's search tree
    # dropped before B's is built: two at once would double the peak.
    side_a = _Side(a, want_a, sum(len(t) for t in targets_a.values()), sigs)
    del want_a
    all_sigs_a = {name: side_a.signature_ids(targets_a[name]) for name in order}
    side_a.release()
    say("shortest paths in A and B", 0.5)
    side_b = _Side(b, want_b, sum(len(t) for t in targets_b.values()), sigs)
    del want_b
    all_sigs_b = {name: side_b.signature_ids(targets_b[name]) for name in order}
    side_b.memo = array("i")
    say("shortest paths in A and B", 1.0)
    out = []
    for done, name in enumerate(order):
        say(f"clusters of {name}", done / len(order))
        nodes_a, nodes_b = targets_a[name], targets_b[name]
        sigs_a, sigs_b = all_sigs_a.pop(name), all_sigs_b.pop(name)
        count_a, size_a = _tally(sigs_a, nodes_a, a.sizes, len(sigs))
        count_b, size_b = _tally(sigs_b, nodes_b, b.sizes, len(sigs))
        grew = [sig for sig in range(len(sigs)) if count_b[sig] > count_a[sig]]
        groups = _members(sigs_b, nodes_b, grew, len(sigs))
        grown = [(size_b[sig] - size_a[sig], count_b[sig] - count_a[sig], sig) for sig in grew]
        # Ties in order of first appearance (ids are interned in node order).
        grown.sort(key=lambda g: (-g[0], -g[1], g[2]))
        kept = grown[:max_clusters] if max_clusters else grown
        clusters = []
        for size_delta, _, sig in kept:
            members = groups[sig]
            chosen = members
            new_count = new_size = None
            if fresh is not None:
                chosen = [v for v in members if fresh[v]] or members
                if chosen is not members:
                    new_count, new_size = len(chosen), sum(b.sizes[v] for v in chosen)
            representative = chosen[0]
            path: Optional[RetainerPath] = None
            total: Optional[int] = None
            if side_b.seen[representative]:
                path = side_b.path(representative)
                if retained_b is not None:
                    # one object: its dominator subtree; several: one search
                    if len(members) == 1:
                        total = int(retained_b[members[0]])
                    else:
                        total = retained_size_of(b, members, live=live_b)
            clusters.append(
                ClusterGrowth(
                    signature=sigs.parts(sig),
                    count_a=count_a[sig],
                    count_b=len(members),
                    size_a=size_a[sig],
                    size_b=size_a[sig] + size_delta,
                    retained=total,
                    path_text=None if path is None else _masked_text(side_b, path),
                    container=None if path is None else _container(side_a, side_b, path),
                    sample=_spread(chosen),
                    path=path,
                    new_count=new_count,
                    new_size=new_size,
                )
            )
        cut = grown[len(kept) :]
        out.append(
            TypeRetention(
                name=name,
                clusters=tuple(clusters),
                omitted=len(cut),
                omitted_count=sum(g[1] for g in cut),
            )
        )
    return tuple(out)
