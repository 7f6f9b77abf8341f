"""Path signatures: the shape of each object's shortest retainer path,
interned as small ints, for millions of objects at once.

A signature is (signature of the BFS parent, masked label of the edge into
the node, type name); a root's is (masked root description, type name).
Objects with equal signatures form one cluster. The compiled ``signatures``
pass (leakhunt/analysis/_graphalgo.c) builds them over flat arrays; the
Python loop of :meth:`_Side._signature_ids_py` is its twin and test oracle.
Used by :func:`leakhunt.analysis.growth.explain_growth` (per type, A against
B) and :func:`leakhunt.analysis.retainers.cluster_paths` (one graph).

>>> from leakhunt.model import HeapGraph
>>> g = HeapGraph.from_edges(["module", "list", "Job", "Job"], [72, 88, 48, 48],
...     [(0, 1, ".queue"), (1, 2, "[0]"), (1, 3, "[1]")], [(0, "module app")])
>>> [c.signature for c in signature_clusters(g, [2, 3])]
[('module app', 'module', '.queue', 'list', '[*]', 'Job')]
"""

from __future__ import annotations

import re
from array import array
from itertools import compress
from typing import Optional

from ..model import MEMBERS_CAP, NO_PATH, Cluster, HeapGraph, RetainerPath
from .dominators import reachable, retained_size_of, retained_sizes
from .retainers import DICT_LABEL, _mask_root, bfs_tree, mask_label

try:  # the compiled algorithms; the loops here are their pure-Python twins
    from . import _graphalgo as _C
except ImportError:  # pragma: no cover - no compiler at install time
    _C = None  # type: ignore[assignment]

__all__ = ["signature_clusters"]


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

    def release(self) -> None:
        """Drop the search tree and the memo (what :meth:`follow` needs stays)."""
        self.seen, self.memo = bytearray(), array("i")
        self.parent, self.parent_edge = array("i"), array("q")

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
            # (built in C by dict(zip()): millions of labels on a big heap)
            self._label_ids = dict(zip(names[::-1], range(len(names) - 1, -1, -1), strict=True))
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
    if _C is not None and sig_ids.typecode == "i" and nodes.typecode == "I":
        raw_sigs, raw_nodes = _C.pick(sig_ids, nodes, flags)
        picked_sigs, picked_nodes = array("i"), array("I")
        picked_sigs.frombytes(raw_sigs)
        picked_nodes.frombytes(raw_nodes)
        for sig, v in zip(picked_sigs, picked_nodes, strict=True):
            groups[sig].append(v)
        return groups
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


def signature_clusters(
    graph: HeapGraph, targets: list[int], *, idom: Optional[array[int]] = None
) -> list[Cluster]:
    """:func:`leakhunt.analysis.retainers.cluster_paths` without a depth
    limit, by the compiled signature pass: no RetainerPath or signature
    tuple per target, only per cluster (millions of targets take seconds,
    not minutes). Same clusters, same order, same members.

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "list", "Job", "Job"], [72, 88, 48, 48],
    ...     [(0, 1, ".queue"), (1, 2, "[0]"), (1, 3, "[1]")], [(0, "module app")])
    >>> [(c.count, c.size, c.members) for c in signature_clusters(g, [2, 3])]
    [(2, 96, (2, 3))]
    """
    order = list(dict.fromkeys(targets))
    sigs = _Signatures()
    want = bytearray(graph.n)
    for t in order:
        want[t] = 1
    side = _Side(graph, want, len(order), sigs)
    del want
    nodes = array("I", order)
    ids = side.signature_ids(nodes)
    side.memo = array("i")
    counts, totals = _tally(ids, nodes, graph.sizes, len(sigs))
    full = idom is not None
    left = sum(min(int(c), MEMBERS_CAP) for c in counts) if not full else len(order)
    groups: dict[int, list[int]] = {}
    for sig, v in zip(ids, nodes, strict=True):
        members = groups.setdefault(sig, [])
        if full or len(members) < MEMBERS_CAP:
            members.append(v)
            left -= 1
            if not left:
                break
    retained = retained_sizes(graph, idom) if idom is not None else None
    live: Optional[bytearray] = None
    clusters = []
    for sig, members in groups.items():
        first = members[0]
        path = side.path(first) if side.seen[first] else RetainerPath.unreachable(first)
        total: Optional[int] = None
        if idom is not None and retained is not None and path.reachable:
            if live is None:
                live = reachable(graph)
            total = retained_size_of(graph, members, idom, retained=retained, live=live)
        clusters.append(
            Cluster(
                signature=sigs.parts(sig),
                count=int(counts[sig]),
                size=int(totals[sig]),
                retained=total,
                representative=path,
                members=tuple(members[:MEMBERS_CAP]),
            )
        )
    clusters.sort(key=lambda c: (-c.size, -c.count, c.signature))
    return clusters
