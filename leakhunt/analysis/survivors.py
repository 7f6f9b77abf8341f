"""Three snapshots of one process: what was allocated between baseline and
target and is still alive in final (memlab's question), clustered by the
shape of its retainer path in final and ranked by retained size, with no
size threshold to pick by hand.

Two things keep the answer short without a threshold:

- Only the **topmost** new objects count: a new object held through another
  new object (an invoice row inside a new export job) is part of that
  object's retained size, not a finding of its own.
- A finding must **keep growing**: its path must also hold objects
  allocated after target. Lazy initialisation and caches that filled once
  stop growing; a leak does not. (``keep_growing=False`` lists them too.)

Engine internals of V8 files (class names in brackets such as ``(array)``,
``(compiled code)``, ``(object shape)``, and ``system / ...`` objects) are
never findings themselves; they count in the retained size of what holds
them, as in memlab's "trivial node" rule.

For V8 files objects are matched by id, exactly: V8 keeps an object's id for
the life of the process. Python reuses ``id()`` at once, so for Python
files the counts per path are compared instead: a path that grew from
baseline to target and again from target to final, with the growth up to
target still there in final. ``Survivors.exact`` says which was used.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable
from itertools import compress
from typing import Optional

from ..model import HeapGraph, Snapshot, readable_labels
from ..model.growth import ClusterGrowth, ContainerGrowth
from ..model.survivors import SurvivorCluster, Survivors
from .dominators import immediate_dominators, reachable, retained_size_of, retained_sizes
from .growth import explain_growth
from .retainers import DICT_LABEL, _mask_root, bfs_tree, mask_label, shortest_paths, signature

__all__ = ["find_survivors", "is_engine_internal"]


def is_engine_internal(type_name: str) -> bool:
    """V8's own structures: never a finding (they count in what holds them).

    >>> is_engine_internal("(array)"), is_engine_internal("system / Context")
    (True, True)
    >>> is_engine_internal("ExportJob"), is_engine_internal("{id, total}")
    (False, False)
    """
    return type_name.startswith("(") or type_name.startswith("system / ")


def _exact_ids(snapshots: Iterable[Snapshot]) -> bool:
    return all(s.format_version == "v8" for s in snapshots)


def find_survivors(
    baseline: Snapshot,
    target: Snapshot,
    final: Snapshot,
    *,
    retained: bool = True,
    keep_growing: bool = True,
) -> Survivors:
    """The clusters of objects allocated between ``baseline`` and ``target``
    and alive in ``final``, biggest retained size first (see the module).

    >>> from leakhunt.model import HeapGraph, Snapshot
    >>> def snap(jobs):  # V8 ids: odd, kept by an object for the life of the process
    ...     g = HeapGraph.from_edges(["global", "Array"] + ["Job"] * jobs, [8, 8] + [40] * jobs,
    ...         [(0, 1, ".history")] + [(1, 2 + j, f"[{j}]") for j in range(jobs)],
    ...         [(0, "global")], ids=[1, 3] + [101 + 2 * j for j in range(jobs)],
    ...         lengths=[0, jobs] + [0] * jobs)
    ...     return Snapshot(None, (), 0.0, 0.0, 0, "", "", format_version="v8", graph=g)
    >>> found = find_survivors(snap(1), snap(3), snap(5))
    >>> c = found.clusters[0]
    >>> c.count, c.more_after_target, c.path_text, c.container.length_a, c.length_target
    (2, 2, 'global -> .history -> [*] -> Job', 1, 3)
    """
    graphs = [s.graph for s in (baseline, target, final)]
    if any(g is None for g in graphs):
        raise ValueError("--final needs three graph snapshots (snapshot(..., graph=True))")
    a, b, c = graphs
    assert a is not None and b is not None and c is not None
    names = [s.display_label for s in (baseline, target, final)]
    if _exact_ids((baseline, target, final)):
        return _by_ids(a, b, c, names, retained=retained, keep_growing=keep_growing)
    return _by_counts(a, b, c, names, retained=retained, keep_growing=keep_growing)


def _masked_text(graph: HeapGraph, steps: tuple[tuple[int, str], ...], root: str) -> str:
    hops = []
    previous = ""
    for node, label in steps[1:]:
        hops.append((node, mask_label(label, namespace=previous == DICT_LABEL)))
        previous = label
    return " -> ".join([root, *readable_labels(hops), graph.type_name(steps[-1][0])])


def _node_of(graph: HeapGraph, object_id: int) -> int:
    try:
        return graph.ids.index(object_id)
    except ValueError:
        return -1


def _by_ids(
    a: HeapGraph,
    b: HeapGraph,
    c: HeapGraph,
    names: list[str],
    *,
    retained: bool,
    keep_growing: bool,
) -> Survivors:
    in_a = set(a.ids)
    in_b = set(b.ids)
    new_in_b = in_b - in_a
    del in_a
    ids_c = c.ids
    # 1: allocated between baseline and target; 2: after target
    era = bytearray(c.n)
    candidates = 0
    internal = bytearray(is_engine_internal(name) for name in c.type_names)
    types_c = c.types
    for v, i in enumerate(ids_c):
        if not i & 1 or internal[types_c[v]]:
            # V8 keeps the odd ids of heap objects; the embedder's native
            # objects (Node's "Node / ...") get even ids it may renumber in
            # every snapshot: never "new". Engine internals are never
            # findings, and are transparent: a Map's hash table, renewed
            # as the Map grows, does not hide the entries behind it.
            continue
        if i in new_in_b:
            era[v] = 1
            candidates += 1
        elif i not in in_b:
            era[v] = 2
    del new_in_b
    for root, _ in c.roots:
        era[root] = 0
    wanted = [v for v in range(c.n) if era[v]]
    top = _topmost(c, wanted, era)
    paths = shortest_paths(c, top)
    groups: dict[tuple[str, ...], list[int]] = {}
    later: Counter[tuple[str, ...]] = Counter()
    for v, path in paths.items():
        if path is None:
            continue
        sig = _collapsed(signature(c, path))
        if era[v] == 1:
            groups.setdefault(sig, []).append(v)
        else:
            later[sig] += 1
    kept = groups
    if keep_growing:
        # growing: new objects arrived after target, and more objects sit on
        # the path in final than in target (a full LRU cache renews its
        # entries but does not grow)
        growing = {sig for sig in groups if later[sig]}
        at_b, at_c = _count_at(b, growing), _count_at(c, growing)
        kept = {sig: m for sig, m in groups.items() if sig in growing and at_c[sig] > at_b[sig]}
    idom: Optional[array[int]] = None
    live: Optional[bytearray] = None
    sizes_retained: Optional[array[int]] = None
    if retained and kept:
        idom = immediate_dominators(c)
        sizes_retained = retained_sizes(c, idom)
        live = reachable(c)
    clusters = []
    for sig, members in kept.items():
        path = paths[members[0]]
        assert path is not None
        container, length_target = _container_by_ids(a, b, c, path.steps, era)
        types = Counter(c.type_name(v) for v in members)
        clusters.append(
            SurvivorCluster(
                type_name=c.type_name(members[0]),
                count=len(members),
                size=sum(c.sizes[v] for v in members),
                retained=None
                if idom is None
                else retained_size_of(c, members, idom, retained=sizes_retained, live=live),
                path_text=_masked_text(c, path.steps, path.root),
                more_after_target=later[sig],
                container=container,
                length_target=length_target,
                also=tuple(types.most_common()[1:]),
            )
        )
    clusters.sort(key=lambda k: (-(k.retained or 0), -k.size, -k.count, k.path_text or ""))
    return Survivors(
        baseline=names[0],
        target=names[1],
        final=names[2],
        exact=True,
        candidates=candidates,
        clusters=tuple(clusters),
        settled=len(groups) - len(kept),
    )


def _count_at(graph: HeapGraph, sigs: set[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    """How many objects of ``graph`` sit on each of the (collapsed) path
    signatures ``sigs``: all objects of the signatures' target types, each
    signature built once per tree node (shared prefixes are not rebuilt)."""
    if not sigs:
        return Counter()
    names = {sig[-1] for sig in sigs}
    wanted = bytearray(name in names for name in graph.type_names)
    nodes = list(compress(range(graph.n), map(wanted.__getitem__, graph.types)))
    want = bytearray(graph.n)
    for v in nodes:
        want[v] = 1
    seen, parent, parent_edge, root_of = bfs_tree(graph, want, len(nodes))
    labels, label_names, type_name = graph.labels, graph.label_names, graph.type_name
    memo: dict[int, tuple[str, ...]] = {}

    def sig_of(v: int) -> tuple[str, ...]:
        chain = []
        while v not in memo and parent_edge[v] >= 0:
            chain.append(v)
            v = parent[v]
        if v not in memo:  # a root
            memo[v] = (_mask_root(root_of[v]), type_name(v))
        sig = memo[v]
        for w in reversed(chain):
            p = parent[w]
            previous = label_names[labels[parent_edge[p]]] if parent_edge[p] >= 0 else ""
            label = label_names[labels[parent_edge[w]]]
            hop = (mask_label(label, namespace=previous == DICT_LABEL), type_name(w))
            if not (len(sig) > 2 and sig[-2:] == hop):  # a run of one hop counts once
                sig = (*sig, *hop)
            memo[w] = sig
        return sig

    out: Counter[tuple[str, ...]] = Counter()
    for v in nodes:
        if seen[v]:
            sig = sig_of(v)
            if sig in sigs:
                out[sig] += 1
    return out


def _collapsed(sig: tuple[str, ...]) -> tuple[str, ...]:
    """A signature with each run of one repeated hop (label and type) kept
    once: the n-th entry of a linked list (``._next -> Timeout`` n times)
    has the same shape as the first.

    >>> _collapsed(("r", "List", ".next", "Node", ".next", "Node", ".value", "Job"))
    ('r', 'List', '.next', 'Node', '.value', 'Job')
    """
    out = list(sig[:2])
    for i in range(2, len(sig) - 1, 2):
        hop = sig[i : i + 2]
        if tuple(out[-2:]) == hop and len(out) > 2:
            continue
        out += hop
    return tuple(out)


def _topmost(graph: HeapGraph, wanted: list[int], era: bytearray) -> list[int]:
    """The wanted nodes with no node of their own era on their shortest path
    from a root (strict ancestors in the breadth-first tree)."""
    want = bytearray(graph.n)
    for v in wanted:
        want[v] = 1
    seen, parent, _, _ = bfs_tree(graph, want, len(wanted))
    up = bytearray(graph.n)  # eras (bits 1, 2) on the strict ancestors
    done = bytearray(graph.n)
    for root, _ in graph.roots:
        done[root] = 1
    out = []
    for v in wanted:
        if not seen[v]:
            continue
        chain = []
        u = v
        while not done[u]:
            chain.append(u)
            u = parent[u]
            if u < 0:  # pragma: no cover - every seen non-root has a parent
                break
        for w in reversed(chain):
            p = parent[w]
            up[w] = up[p] | era[p] if p >= 0 else 0
            done[w] = 1
        if not up[v] & era[v]:
            out.append(v)
    return out


def _container_by_ids(
    a: HeapGraph,
    b: HeapGraph,
    c: HeapGraph,
    steps: tuple[tuple[int, str], ...],
    era: bytearray,
) -> tuple[Optional[ContainerGrowth], Optional[int]]:
    """The old node on the path, closest to the target, whose length grew
    from baseline to final: the same object (same id) in all three."""
    lengths_c, lengths_a, lengths_b = c.lengths, a.lengths, b.lengths
    if lengths_a is None or lengths_b is None or lengths_c is None:
        return None, None
    for i in range(len(steps) - 2, -1, -1):
        v = steps[i][0]
        if era[v]:
            continue
        object_id = c.ids[v]
        va, vb = _node_of(a, object_id), _node_of(b, object_id)
        if va < 0 or vb < 0:
            continue
        if lengths_c[v] > lengths_a[va]:
            root = steps[0]
            text = " -> ".join([_root_of(c, root[0]), *readable_labels(steps[1 : i + 1])])
            growth = ContainerGrowth(c.type_name(v), text, lengths_a[va], lengths_c[v], "items", v)
            return growth, lengths_b[vb]
    return None, None


def _root_of(graph: HeapGraph, node: int) -> str:
    for r, description in graph.roots:
        if r == node:
            return description
    return graph.type_name(node)


def _by_counts(
    a: HeapGraph,
    b: HeapGraph,
    c: HeapGraph,
    names: list[str],
    *,
    retained: bool,
    keep_growing: bool,
) -> Survivors:
    """Python files: per type and path, the count in baseline, target and
    final. A cluster that grew from baseline to target and whose growth is
    still there in final counts ``min(target - baseline, final - baseline)``
    objects; it keeps growing when final holds more than target."""
    count = {}
    for g in (a, b, c):
        counts = array("Q", bytes(8 * len(g.type_names)))
        for t in g.types:
            counts[t] += 1
        count[id(g)] = {name: counts[i] for i, name in enumerate(g.type_names)}
    ca, cb, cc = count[id(a)], count[id(b)], count[id(c)]
    grew = [
        name
        for name in c.type_names
        if cb.get(name, 0) > ca.get(name, 0)
        and cc.get(name, 0) > ca.get(name, 0)
        and not is_engine_internal(name)
    ]
    first = explain_growth(a, b, grew, retained=False)
    whole = explain_growth(a, c, grew, retained=retained)
    up_to_target = {cl.signature: cl for t in first for cl in t.clusters}
    clusters = []
    settled = 0
    candidates = 0
    found: list[tuple[tuple[str, ...], str, int, ClusterGrowth, int, Optional[int]]] = []
    for retention in whole:
        for cl in retention.clusters:
            early = up_to_target.get(cl.signature)
            if early is None or early.count_delta <= 0:
                continue
            alive = min(early.count_delta, cl.count_delta)
            candidates += alive
            more = cl.count_b - early.count_b
            if keep_growing and more <= 0:
                settled += 1
                continue
            mid = None
            if (
                cl.container is not None
                and early.container is not None
                and early.container.path_text == cl.container.path_text
            ):
                mid = early.container.length_b
            found.append((cl.signature, retention.name, alive, cl, max(more, 0), mid))
    # topmost only, as for V8 files: a path that runs through another
    # finding's objects (an invoice inside a kept job) is part of it
    found.sort(key=lambda f: len(f[0]))
    tops: list[tuple[tuple[str, ...], list[tuple[str, int]]]] = []
    kept = []
    for sig, name, alive, cl, more, mid in found:
        parent = next((t for t in tops if sig[: len(t[0])] == t[0]), None)
        if parent is not None:
            parent[1].append((name, alive))
            continue
        also: list[tuple[str, int]] = []
        tops.append((sig, also))
        kept.append((name, alive, cl, more, also, mid))
    for name, alive, cl, more, also, mid in kept:
        clusters.append(
            SurvivorCluster(
                type_name=name,
                count=alive,
                size=cl.size_delta,
                retained=cl.retained,
                path_text=cl.path_text,
                more_after_target=more,
                container=cl.container,
                length_target=mid,
                also=tuple(sorted(also, key=lambda x: -x[1])),
            )
        )
    clusters.sort(key=lambda k: (-(k.retained or 0), -k.size, -k.count, k.path_text or ""))
    return Survivors(
        baseline=names[0],
        target=names[1],
        final=names[2],
        exact=False,
        candidates=candidates,
        clusters=tuple(clusters),
        settled=settled,
    )
