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

import re
from array import array
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
from . import Progress
from .dominators import immediate_dominators, reachable, retained_size_of, retained_sizes
from .retainers import DICT_LABEL, _mask_root, bfs_tree, mask_label

try:  # the compiled algorithms; the loops here are their pure-Python twins
    from . import _graphalgo as _C
except ImportError:  # pragma: no cover - no compiler at install time
    _C = None  # type: ignore[assignment]

__all__ = ["explain_growth"]

_SAMPLE = 200


def _spread(members: list[int]) -> tuple[int, ...]:
    """Up to _SAMPLE members, spread evenly, the representative (the first) first."""
    return tuple(members[:: max(1, len(members) // _SAMPLE)][:_SAMPLE])


class _Signatures:
    """Path signatures interned as ints, shared by both graphs: equal ids are
    equal signatures. A signature is (parent id, masked label, type name),
    each text interned too, so that a key is three ints (the compiled
    ``signatures`` keeps its table in the same shape); a root's is (-1,
    masked root description, type name)."""

    def __init__(self) -> None:
        self.index: dict[tuple[int, int, int], int] = {}
        self.keys = array("i")  # three ints per signature id
        self.texts: dict[str, int] = {}
        self.text_list: list[str] = []
        self.tnames: dict[str, int] = {}
        self.tname_list: list[str] = []

    def __len__(self) -> int:
        return len(self.keys) // 3

    def text_id(self, text: str) -> int:
        found = self.texts.get(text)
        if found is None:
            found = self.texts[text] = len(self.text_list)
            self.text_list.append(text)
        return found

    def tname_id(self, name: str) -> int:
        found = self.tnames.get(name)
        if found is None:
            found = self.tnames[name] = len(self.tname_list)
            self.tname_list.append(name)
        return found

    def intern_key(self, key: tuple[int, int, int]) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self)
            self.keys.extend(key)
        return found

    def intern(self, parent: int, label: str, type_name: str) -> int:
        return self.intern_key((parent, self.text_id(label), self.tname_id(type_name)))

    def add(self, raw: bytes) -> None:
        """Keys the compiled search interned, in id order after the known ones."""
        new = array("i")
        new.frombytes(raw)
        index, first = self.index, len(self)
        for j in range(0, len(new), 3):
            index[(new[j], new[j + 1], new[j + 2])] = first + j // 3
        self.keys.extend(new)

    def parts(self, sig: int) -> tuple[str, ...]:
        """The signature as :func:`leakhunt.analysis.retainers.signature` spells it."""
        out: list[str] = []
        keys = self.keys
        while sig >= 0:
            parent, label, type_name = keys[3 * sig], keys[3 * sig + 1], keys[3 * sig + 2]
            out += (self.tname_list[type_name], self.text_list[label])
            sig = parent
        out.reverse()
        return tuple(out)


class _Side:
    """One graph's shortest-path tree (one search for every target) and the
    signatures of the paths in it, each node's built once."""

    def __init__(self, graph: HeapGraph, want: bytearray, wanted: int, sigs: _Signatures) -> None:
        self.graph = graph
        self.sigs = sigs
        self.seen, self.parent, self.parent_edge, self.root_of = bfs_tree(graph, want, wanted)
        del want
        self.memo = array("i", [-1]) * graph.n  # node -> signature id, -1: not yet
        for node in self.root_of:
            root = _mask_root(self.root_of[node])
            self.memo[node] = sigs.intern(-1, root, graph.type_name(node))
        self.type_gid = array("i", map(sigs.tname_id, graph.type_names))
        self.unreach = array("i", [-1]) * len(graph.type_names)
        self._masked: list[Optional[str]] = [None] * len(graph.label_names)
        # keys of namespace dicts (reached by .__dict__) are names: masked apart
        self._masked_ns: list[Optional[str]] = [None] * len(graph.label_names)
        self.masked_ids = array("i", [-1]) * len(graph.label_names)
        self.masked_ns_ids = array("i", [-1]) * len(graph.label_names)
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

    def signature_ids(self, nodes: array[int]) -> array[int]:
        """The signature id of each node's shortest path; a node no root
        reaches gets the unreachable signature of its type."""
        graph, sigs = self.graph, self.sigs
        for t, name in enumerate(graph.type_names):
            if self.unreach[t] < 0:
                self.unreach[t] = sigs.intern(-1, NO_PATH, name)
        if _C is None or graph.labels.typecode != "I" or graph.types.typecode != "I":
            return self._signature_ids_py(nodes)
        out = array("i", [0]) * len(nodes)
        for _ in range(2):  # a second round once the labels met are masked
            need = bytearray(len(graph.label_names))
            raw = _C.signatures(
                nodes, self.memo, self.parent, self.parent_edge, graph.labels, graph.types,
                self.masked_ids, self.masked_ns_ids, self.dict_label, self.type_gid,
                sigs.keys, out, need, self.unreach, graph.label_names, sigs.text_id("[*]"),
            )  # fmt: skip
            if raw is not None:
                sigs.add(raw)
                return out
            for m in re.finditer(b"[^\x00]", need):
                label = m.start()
                bits = need[label]
                if bits & 1:
                    self.masked_ids[label] = sigs.text_id(self.masked(label))
                if bits & 2:
                    self.masked_ns_ids[label] = sigs.text_id(self.masked_ns(label))
        raise AssertionError("signatures: labels still unmasked after masking them")

    def _signature_ids_py(self, nodes: array[int]) -> array[int]:
        """The pure-Python twin of the compiled ``signatures`` (the test oracle)."""
        graph, memo, sigs = self.graph, self.memo, self.sigs
        parent, parent_edge = self.parent, self.parent_edge
        labels, types = graph.labels, graph.types
        out = array("i")
        for v in nodes:
            chain = []
            u = v
            while memo[u] < 0:
                if parent_edge[u] < 0:  # roots have their memo: no root reaches u
                    memo[u] = self.unreach[types[u]]
                    break
                chain.append(u)
                u = parent[u]
            sig = memo[u]
            for w in reversed(chain):
                label = labels[parent_edge[w]]
                pe = parent_edge[parent[w]]
                if pe >= 0 and labels[pe] == self.dict_label:
                    text = self.masked_ns(label)
                else:
                    text = self.masked(label)
                sig = sigs.intern_key((sig, sigs.text_id(text), self.type_gid[types[w]]))
                memo[w] = sig
            out.append(sig)
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


def _tally(
    sig_ids: array[int], nodes: array[int], sizes: array[int], count: int
) -> tuple[array[int], array[int]]:
    """Per signature id: how many of ``nodes`` have it, and their bytes."""
    counts, totals = array("q", [0]) * count, array("Q", [0]) * count
    if _C is not None and sizes.typecode == "Q":
        _C.tally(sig_ids, nodes, sizes, counts, totals)
        return counts, totals
    for sig, v in zip(sig_ids, nodes, strict=True):
        counts[sig] += 1
        totals[sig] += sizes[v]
    return counts, totals


def _members(
    sig_ids: array[int], nodes: array[int], wanted: list[int], count: int
) -> dict[int, list[int]]:
    """The nodes of each wanted signature id, in node order."""
    groups: dict[int, list[int]] = {sig: [] for sig in wanted}
    if not wanted:
        return groups
    flags = bytearray(count)
    for sig in wanted:
        flags[sig] = 1
    picked = compress(zip(sig_ids, nodes, strict=True), map(flags.__getitem__, sig_ids))
    for sig, v in picked:
        groups[sig].append(v)
    return groups


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


def _targets(graph: HeapGraph, names: list[str], want: bytearray) -> dict[str, array[int]]:
    """The nodes of each named type, in node order (array('I')); ``want``
    gets 1 for each of them."""
    codes = array("i", [-1]) * len(graph.type_names)
    place = {name: i for i, name in enumerate(names)}
    for index, name in enumerate(graph.type_names):
        codes[index] = place.get(name, -1)
    if _C is not None and graph.types.typecode == "I":
        found = _C.by_type(graph.types, codes, len(names), want)
        out = {}
        for name, raw in zip(names, found, strict=True):
            out[name] = array("I")
            out[name].frombytes(raw)
        return out
    lists = {name: array("I") for name in names}
    groups = [lists[name] for name in names]
    for v, t in enumerate(graph.types):
        c = codes[t]
        if c >= 0:
            groups[c].append(v)
            want[v] = 1
    return lists


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
    side_a = _Side(a, want_a, sum(len(t) for t in targets_a.values()), sigs)
    del want_a
    say("shortest paths in A and B", 0.5)
    side_b = _Side(b, want_b, sum(len(t) for t in targets_b.values()), sigs)
    del want_b
    say("shortest paths in A and B", 1.0)
    idom: Optional[array[int]] = None
    retained_b: Optional[array[int]] = None
    live_b: Optional[bytearray] = None
    out = []
    for done, name in enumerate(order):
        say(f"clusters of {name}", done / len(order))
        nodes_a, nodes_b = targets_a[name], targets_b[name]
        sigs_a, sigs_b = side_a.signature_ids(nodes_a), side_b.signature_ids(nodes_b)
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
                if retained:
                    if idom is None:
                        say("dominator tree of B (retained sizes)", 0.0)
                        idom = immediate_dominators(b)
                        say("dominator tree of B (retained sizes)", 0.8)
                        retained_b = retained_sizes(b, idom)
                        live_b = reachable(b)
                        say(f"clusters of {name}", done / len(order))
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
