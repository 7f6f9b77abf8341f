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
from collections import Counter
from collections.abc import Iterable
from itertools import compress
from operator import not_
from typing import Optional

from ..model import (
    NO_PATH,
    ClusterGrowth,
    ContainerGrowth,
    HeapGraph,
    RetainerPath,
    TypeRetention,
    readable_labels,
)
from ..model.growth import Unit
from .dominators import immediate_dominators, reachable, retained_size_of, retained_sizes
from .retainers import DICT_LABEL, bfs_tree, mask_label, signature

__all__ = ["explain_growth"]

_SAMPLE = 200


def _spread(members: list[int]) -> tuple[int, ...]:
    """Up to _SAMPLE members, spread evenly, the representative (the first) first."""
    return tuple(members[:: max(1, len(members) // _SAMPLE)][:_SAMPLE])


class _Signatures:
    """Path signatures interned as ints, shared by both graphs: equal ids are
    equal signatures. A signature is (parent id, masked label, type name);
    a root's is (-1, masked root description, type name)."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, str, str], int] = {}
        self.keys: list[tuple[int, str, str]] = []

    def intern(self, parent: int, label: str, type_name: str) -> int:
        key = (parent, label, type_name)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.keys)
            self.keys.append(key)
        return found

    def parts(self, sig: int) -> tuple[str, ...]:
        """The signature as :func:`leakhunt.analysis.retainers.signature` spells it."""
        out: list[str] = []
        while sig >= 0:
            parent, label, type_name = self.keys[sig]
            out += (type_name, label)
            sig = parent
        out.reverse()
        return tuple(out)


class _Side:
    """One graph's shortest-path tree (one search for every target) and the
    signatures of the paths in it, each node's built once."""

    def __init__(self, graph: HeapGraph, targets: list[int], sigs: _Signatures) -> None:
        self.graph = graph
        self.sigs = sigs
        want = bytearray(graph.n)
        for t in targets:
            want[t] = 1
        self.seen, self.parent, self.parent_edge, self.root_of = bfs_tree(graph, want, len(targets))
        self.memo = array("i", [-1]) * graph.n  # node -> signature id, -1: not yet
        self._masked: list[Optional[str]] = [None] * len(graph.label_names)
        # keys of namespace dicts (reached by .__dict__) are names: masked apart
        self._masked_ns: list[Optional[str]] = [None] * len(graph.label_names)
        self.dict_label = _label_id(graph, DICT_LABEL)
        self._label_ids: Optional[dict[str, int]] = None
        self._roots_by_description: Optional[dict[str, list[int]]] = None

    def masked(self, label: int) -> str:
        m = self._masked[label]
        if m is None:
            m = self._masked[label] = _mask(self.graph.label_names[label])
        return m

    def masked_ns(self, label: int) -> str:
        """The label as a key of a namespace dict: identifiers stay."""
        m = self._masked_ns[label]
        if m is None:
            m = self._masked_ns[label] = mask_label(self.graph.label_names[label], namespace=True)
        return m

    def masked_at(self, v: int) -> str:
        """The masked label of the edge into node ``v`` (which has one)."""
        graph, parent_edge = self.graph, self.parent_edge
        label = graph.labels[parent_edge[v]]
        e = parent_edge[self.parent[v]]
        if e >= 0 and graph.labels[e] == self.dict_label:
            return self.masked_ns(label)
        return self.masked(label)

    def signature_ids(self, nodes: list[int]) -> list[int]:
        """The signature id of each node's shortest path; a node no root
        reaches gets the unreachable signature of its type."""
        # One tight loop: this runs for every object of every type shown.
        graph, memo, seen = self.graph, self.memo, self.seen
        parent, parent_edge = self.parent, self.parent_edge
        labels, types, type_names = graph.labels, graph.types, graph.type_names
        masked, mask, masked_at = self._masked, self.masked, self.masked_at
        dict_label = self.dict_label
        index, keys = self.sigs.index, self.sigs.keys
        out: list[int] = []
        append = out.append
        for v in nodes:
            sig = memo[v]
            if sig < 0:
                e = parent_edge[v]
                if e >= 0 and memo[parent[v]] >= 0:
                    # The common case, one hop below a known signature.
                    label = labels[e]
                    pe = parent_edge[parent[v]]
                    if pe >= 0 and labels[pe] == dict_label:
                        text = masked_at(v)  # a name in a namespace dict
                    else:
                        text = masked[label] or mask(label)
                    key = (memo[parent[v]], text, type_names[types[v]])
                    sig = index.get(key, -1)
                    if sig < 0:
                        sig = index[key] = len(keys)
                        keys.append(key)
                    memo[v] = sig
                    append(sig)
                    continue
                if not seen[v]:
                    sig = memo[v] = self.sigs.intern(-1, NO_PATH, type_names[types[v]])
                    append(sig)
                    continue
                # Up to the nearest node whose signature is known, or a root.
                chain = [v]
                u = v
                while parent_edge[u] >= 0:
                    u = parent[u]
                    if memo[u] >= 0:
                        break
                    chain.append(u)
                sig = memo[u]
                if sig < 0:  # u is a root, and its signature is not known yet
                    root = signature(graph, RetainerPath(self.root_of[u], ((u, ""),)))[0]
                    sig = memo[u] = self.sigs.intern(-1, root, type_names[types[u]])
                    chain.pop()
                for w in reversed(chain):
                    key = (sig, masked_at(w), type_names[types[w]])
                    sig = index.get(key, -1)
                    if sig < 0:
                        sig = index[key] = len(keys)
                        keys.append(key)
                    memo[w] = sig
            append(sig)
        return out

    def path(self, v: int) -> RetainerPath:
        """The shortest path to a node the search reached."""
        names, labels, parent_edge = self.graph.label_names, self.graph.labels, self.parent_edge
        steps = []
        while parent_edge[v] >= 0:
            steps.append((v, names[labels[parent_edge[v]]]))
            v = self.parent[v]
        steps.append((v, ""))
        steps.reverse()
        return RetainerPath(self.root_of[v], tuple(steps))

    def follow(self, root: str, hops: list[tuple[str, str]]) -> list[int]:
        """The nodes reached from the root described ``root`` by the exact
        ``(label, type name)`` hops, the first hop being ``("", root type)``:
        one entry per hop, ``_ABSENT`` from the hop where no node matches,
        ``_MANY`` from the hop where several do."""
        graph = self.graph
        if self._roots_by_description is None:
            by_description: dict[str, list[int]] = {}
            for node, description in self.root_of.items():
                by_description.setdefault(description, []).append(node)
            self._roots_by_description = by_description
        if self._label_ids is None:
            # The first index wins should a name be listed twice.
            names = graph.label_names
            self._label_ids = {name: i for i, name in reversed(list(enumerate(names)))}
        type_name, offsets, targets, labels = (
            graph.type_name,
            graph.offsets,
            graph.targets,
            graph.labels,
        )
        frontier = [
            v for v in self._roots_by_description.get(root, ()) if type_name(v) == hops[0][1]
        ]
        out: list[int] = []
        for i, (label, want_type) in enumerate(hops):
            if i:
                label_id = self._label_ids.get(label)
                found: list[int] = []
                if label_id is not None:
                    for v in frontier:
                        a = offsets[v]
                        seg = labels[a : offsets[v + 1]]
                        k = -1
                        while True:
                            try:
                                k = seg.index(label_id, k + 1)
                            except ValueError:
                                break
                            w = targets[a + k]
                            if type_name(w) == want_type and w not in found:
                                found.append(w)
                                if len(found) > 1:
                                    break  # several: which one is "the" container is unknown
                frontier = found
            if len(frontier) != 1:
                out += [_ABSENT if not frontier else _MANY] * (len(hops) - i)
                break
            out.append(frontier[0])
        return out


_ABSENT = -1
_MANY = -2


def _mask(label: str) -> str:
    """:func:`leakhunt.analysis.retainers.mask_label`, with shortcuts for the labels a
    big heap has by the hundred thousand, one per item: ``[1234]`` and
    ``['u1234']`` (the regular expressions cost a second per million)."""
    if label[:1] == "[" and label[-1:] == "]":
        inner = label[1:-1]
        if inner.isascii() and inner.isdecimal():
            return "[*]"
        if len(inner) > 2 and inner[0] == "'" == inner[-1]:
            key = inner[1:-1].replace("_", "").replace("-", "")
            if key.isascii() and key.isalnum() and not key.isalpha():  # a digit in it
                return "[*]"
    elif "<" not in label and "[" not in label and "0x" not in label:
        return label  # .attr, frame locals: nothing to mask
    return mask_label(label)


def _targets(graph: HeapGraph, names: list[str]) -> dict[str, list[int]]:
    """The nodes of each named type, in node order."""
    out: dict[str, list[int]] = {name: [] for name in names}
    lists: list[list[int]] = [[]]
    codes = array("H", bytes(2 * len(graph.type_names)))  # type index -> 1 + place in lists
    for index, name in enumerate(graph.type_names):
        if name in out and len(lists) < 65_536:
            codes[index] = len(lists)
            lists.append(out[name])
    if len(lists) > 1:
        # map and compress run in C: only the wanted nodes cost a Python step
        picked = array("H", map(codes.__getitem__, graph.types))
        if len(lists) == 2:
            lists[1].extend(compress(range(graph.n), picked))
        else:
            for v in compress(range(graph.n), picked):
                lists[picked[v]].append(v)
    return out


def _label_id(graph: HeapGraph, name: str) -> int:
    """The index of label ``name`` in the graph, -1 when absent."""
    try:
        return graph.label_names.index(name)
    except ValueError:
        return -1


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
) -> tuple[TypeRetention, ...]:
    """For each type in ``names`` (in that order), the retainer-path clusters
    whose count grew from graph ``a`` to graph ``b``, biggest growth in bytes
    first, then count. ``max_clusters`` keeps that many per type (0: all);
    ``retained=False`` skips the dominator tree of ``b`` (the slowest step).

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
    sigs = _Signatures()
    targets_a, targets_b = _targets(a, order), _targets(b, order)
    if new_only:
        for name in order:
            old = set(map(a.ids.__getitem__, targets_a[name]))
            fresh = map(not_, map(old.__contains__, map(b.ids.__getitem__, targets_b[name])))
            targets_b[name] = list(compress(targets_b[name], fresh))
            targets_a[name] = []
    side_a = _Side(a, [v for name in order for v in targets_a[name]], sigs)
    side_b = _Side(b, [v for name in order for v in targets_b[name]], sigs)
    idom: Optional[array[int]] = None
    retained_b: Optional[array[int]] = None
    live_b: Optional[bytearray] = None
    out = []
    for name in order:
        nodes_a, nodes_b = targets_a[name], targets_b[name]
        sigs_a, sigs_b = side_a.signature_ids(nodes_a), side_b.signature_ids(nodes_b)
        count_a, count_b = Counter(sigs_a), Counter(sigs_b)
        grew = {sig for sig, count in count_b.items() if count > count_a[sig]}
        size_a = dict.fromkeys(grew, 0)
        for sig, v in zip(sigs_a, nodes_a, strict=True):
            if sig in grew:
                size_a[sig] += a.sizes[v]
        groups: dict[int, list[int]] = {sig: [] for sig in grew}
        for sig, v in zip(sigs_b, nodes_b, strict=True):
            if sig in grew:
                groups[sig].append(v)
        grown = []
        for sig, members in groups.items():
            size_b = sum(b.sizes[v] for v in members)
            grown.append((size_b - size_a[sig], len(members) - count_a[sig], sig))
        # Ties in order of first appearance (ids are interned in node order).
        grown.sort(key=lambda g: (-g[0], -g[1], g[2]))
        kept = grown[:max_clusters] if max_clusters else grown
        clusters = []
        for size_delta, _, sig in kept:
            members = groups[sig]
            representative = members[0]
            path: Optional[RetainerPath] = None
            total: Optional[int] = None
            if side_b.seen[representative]:
                path = side_b.path(representative)
                if retained:
                    if idom is None:
                        idom = immediate_dominators(b)
                        retained_b = retained_sizes(b, idom)
                        live_b = reachable(b)
                    total = retained_size_of(b, members, idom, retained=retained_b, live=live_b)
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
                    sample=_spread(members),
                    path=path,
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
