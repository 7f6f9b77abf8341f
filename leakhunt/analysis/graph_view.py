"""The drawable back-reference graph: which objects a picture of "why is it
alive" shows, computed from a HeapGraph. :func:`retainer_graph` walks
back-references from the target objects up to the roots and returns a
:class:`RetainerGraph` (nodes of kind root / target / intermediate / more /
note, edges with their labels); :func:`leakhunt.render.dot.render_dot` turns
it into DOT text. Nothing here words a sentence: ``more`` and ``note`` nodes
say what they stand for as data.

Targets with the same retainer-path signature (a Cluster) are drawn once,
as one node with their count and total bytes, with one representative path:
ten thousand leaked dicts in one list are one node, not ten thousand.

>>> from leakhunt.model import HeapGraph
>>> g = HeapGraph.from_edges(
...     ["module", "dict", "app.Session"], [72, 232, 48],
...     [(0, 1, "._CACHE"), (1, 2, "['u42']")], [(0, "module app.cache")])
>>> view = retainer_graph(g, [2])
>>> [(n.kind, n.text) for n in view.nodes]
[('root', 'module'), ('intermediate', 'dict'), ('target', 'app.Session')]
>>> [(e.source, e.target, e.label) for e in view.edges]
[('n0', 'n1', '._CACHE'), ('n1', 'n2', "['u42']")]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Optional

from ..model import Cluster, HeapGraph, RetainerPath, TypeChurn, readable_labels
from .churn import new_in_b
from .growth import explain_growth
from .retainers import cluster_paths, mask_label

__all__ = [
    "MoreKind",
    "NodeKind",
    "NoteKind",
    "RetainerEdge",
    "RetainerGraph",
    "RetainerNode",
    "growth_clusters",
    "node_with_id",
    "nodes_of_type",
    "retainer_graph",
    "retainer_graph_of_clusters",
]

NodeKind = Literal["root", "target", "intermediate", "more", "note"]
#: What a ``more`` node stands for: hops of a path not drawn (``count``
#: objects), referrers not drawn (``count``), clusters not drawn (``length``
#: clusters of ``count`` objects, ``size`` bytes).
MoreKind = Literal["path", "referrers", "clusters"]
#: What a ``note`` says of an unreachable target: no referrer at all, or
#: referrers that no root reaches.
NoteKind = Literal["held-outside", "held-outside-with-referrers"]

# Parallel edges between the same two nodes: keep this many labels, then "(+N)".
_MAX_EDGE_LABELS = 3


@dataclass(frozen=True)
class RetainerNode:
    """One node of the drawing.

    ``key`` is the DOT node name (``n12`` for heap node 12). For objects
    (root, target, intermediate) ``text`` is the type name; for ``more`` and
    ``note`` nodes it is the sentence shown. A target with ``count > 1``
    stands for a whole cluster of similar targets (``size`` is then their
    total shallow size, ``node`` the representative). ``path`` is the
    representative retainer path as text, on the targets that have one.
    """

    key: str
    kind: NodeKind
    #: objects: the type name; ``more`` and ``note`` nodes: what they stand
    #: for (a MoreKind or NoteKind), worded by the renderer
    text: str
    node: Optional[int] = None
    object_id: Optional[int] = None
    size: int = 0
    count: int = 1
    length: Optional[int] = None
    root: Optional[str] = None
    path: str = ""


@dataclass(frozen=True)
class RetainerEdge:
    """An edge from holder to held object, labelled as the reference reads
    (``.attr``, ``['key']``, ``[3]``). ``dashed`` edges stand for something
    not drawn: a stretch of path, referrers not drawn, a note."""

    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass(frozen=True)
class RetainerGraph:
    """What :func:`render_dot` draws: the view model of a back-reference graph.

    ``clusters`` counts the clusters of targets, ``clusters_drawn`` those
    drawn (the rest did not fit in ``max_nodes``); ``target_count`` and
    ``target_size`` cover all targets.
    """

    #: what the drawing explains: the target type names, and the one
    #: target's id when it explains a single object
    target_types: tuple[str, ...]
    nodes: tuple[RetainerNode, ...]
    edges: tuple[RetainerEdge, ...]
    target_count: int
    target_size: int
    clusters: int
    clusters_drawn: int
    single_id: Optional[int] = None

    def node(self, key: str) -> RetainerNode:
        """The node named ``key``."""
        for n in self.nodes:
            if n.key == key:
                return n
        raise KeyError(key)

    def of_kind(self, kind: NodeKind) -> tuple[RetainerNode, ...]:
        """The nodes of one kind, in drawing order."""
        return tuple(n for n in self.nodes if n.kind == kind)


# ---------------------------------------------------------------- target selection


def nodes_of_type(graph: HeapGraph, name: str) -> list[int]:
    """The nodes whose type name is ``name`` (``module.QualName``, builtins bare).

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "dict", "dict"], [72, 232, 232], [], [])
    >>> nodes_of_type(g, "dict"), nodes_of_type(g, "list")
    ([1, 2], [])
    """
    try:
        index = graph.type_names.index(name)
    except ValueError:
        return []
    return [i for i, t in enumerate(graph.types) if t == index]


def node_with_id(graph: HeapGraph, object_id: int) -> Optional[int]:
    """The node whose ``id()`` at capture was ``object_id``, or None.

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "dict"], [72, 232], [], [], ids=[0x7F00, 0x7F40])
    >>> node_with_id(g, 0x7F40), node_with_id(g, 1)
    (1, None)
    """
    if not 0 <= object_id < 2**64:
        return None
    try:
        return graph.ids.index(object_id)
    except ValueError:
        return None


# ---------------------------------------------------------------- selection


class _Builder:
    """Collects the nodes of one drawing; keeps the order they were added."""

    def __init__(self, graph: HeapGraph, clusters: Sequence[Cluster], max_depth: int) -> None:
        self.graph = graph
        self.max_depth = max_depth
        self.root_of: dict[int, str] = {}
        for node, description in graph.roots:
            self.root_of.setdefault(node, description)
        # A root's __dict__ (a module's globals) is part of the root: the
        # functions pointing at it through __globals__ are not what keeps
        # anything alive, so it is neither expanded nor given "more".
        self.root_dicts: dict[int, int] = {}
        for node in self.root_of:
            for held, label in graph.out_edges(node):
                if label == ".__dict__":
                    self.root_dicts.setdefault(held, node)
        # heap node -> the cluster it stands for (targets drawn as themselves)
        self.cluster_of: dict[int, Cluster] = {}
        for c in clusters:
            for m in c.members:
                self.cluster_of.setdefault(m, c)
            self.cluster_of[c.representative.target] = c
        self.drawn: dict[int, int] = {}  # heap node -> level (hops back from a target)
        self.elided: set[int] = set()  # on a drawn path but inside a "... more" node
        self.elisions: list[tuple[str, int, tuple[int, str], tuple[int, str]]] = []

    def path_nodes(self, path: RetainerPath) -> tuple[list[tuple[int, int]], set[int]]:
        """(node, level) drawn for ``path`` and the nodes it elides: the root,
        then at most ``max_depth`` hops back from the target."""
        steps = path.steps
        k = len(steps) - 1
        keep_from = k - self.max_depth
        if keep_from <= 1:  # nothing or only the root itself left out: draw it all
            return [(node, k - j) for j, (node, _) in enumerate(steps)], set()
        kept = [(steps[0][0], k)] + [(steps[j][0], k - j) for j in range(keep_from, k + 1)]
        return kept, {steps[j][0] for j in range(1, keep_from)}

    def add_path(self, index: int, path: RetainerPath) -> None:
        kept, elided = self.path_nodes(path)
        for node, level in kept:
            self.drawn[node] = min(level, self.drawn.get(node, level))
        self.elided |= elided - self.drawn.keys()
        if elided:
            # ("..." node, objects it stands for, (root, label of the first
            # hop), (first kept node, label of the hop into it))
            steps = path.steps
            keep_from = len(steps) - 1 - self.max_depth
            first = (steps[0][0], steps[1][1])
            self.elisions.append((f"p{index}", keep_from - 1, first, steps[keep_from]))

    def new_nodes(self, path: RetainerPath) -> int:
        kept, _ = self.path_nodes(path)
        return len({node for node, _ in kept} - self.drawn.keys())

    def expand(self, max_nodes: int) -> None:
        """Breadth-first along back-references from the targets, nearest
        first, until ``max_nodes`` objects are drawn; never past a root."""
        rev = self.graph.reverse()
        buckets: dict[int, list[int]] = {}
        for node, level in self.drawn.items():
            buckets.setdefault(level, []).append(node)
        for level in range(self.max_depth):
            for node in buckets.get(level, ()):
                if node in self.root_of or node in self.root_dicts:
                    continue
                if len(self.drawn) >= max_nodes:
                    return
                for source, _ in rev.in_edges(node):
                    if source in self.drawn or source in self.elided:
                        continue
                    if len(self.drawn) >= max_nodes:
                        break
                    self.drawn[source] = level + 1
                    buckets.setdefault(level + 1, []).append(source)


def _edge_label(labels: list[str]) -> str:
    if len(labels) <= _MAX_EDGE_LABELS:
        return ", ".join(labels)
    shown = _MAX_EDGE_LABELS - 1
    return ", ".join(labels[:shown]) + f" (+{len(labels) - shown:,})"


def retainer_graph_of_clusters(
    graph: HeapGraph,
    clusters: Sequence[Cluster],
    *,
    max_depth: int = 10,
    max_nodes: int = 60,
) -> RetainerGraph:
    """The back-reference graph of ``clusters`` (from
    :func:`leakhunt.analysis.retainers.cluster_paths`), each drawn as one node.

    Each cluster's representative path is drawn root first (the root always;
    of a longer path only the last ``max_depth`` hops, the rest as one
    "... N more objects on the path" node), clusters in the order given
    while their paths fit in ``max_nodes`` objects (the first always). The
    remaining budget goes to other referrers, breadth-first back from the
    targets up to ``max_depth`` hops. A drawn object with referrers not
    drawn gets a "... and N more referrers" node; ``more`` and ``note``
    nodes do not count towards ``max_nodes``.
    """
    if max_depth < 1:
        raise ValueError(f"max_depth must be >= 1, not {max_depth}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be >= 1, not {max_nodes}")
    b = _Builder(graph, clusters, max_depth)
    drawn_clusters: list[Cluster] = []
    for i, c in enumerate(clusters):
        if drawn_clusters and len(b.drawn) + b.new_nodes(c.representative) > max_nodes:
            break
        b.add_path(i, c.representative)
        drawn_clusters.append(c)
    b.expand(max_nodes)
    b.elided -= b.drawn.keys()
    folded = _attribute_dicts(graph, b)
    paths = {c.representative.target: c.representative for c in drawn_clusters}
    nodes = [
        _object_node(graph, b, node, paths.get(node)) for node in b.drawn if node not in folded
    ]
    edges, extra = _edges(graph, b, folded)

    for key, hidden, (first, first_label), (last, last_label) in b.elisions:
        extra.append(RetainerNode(key, "more", "path", count=hidden))
        edges.append(RetainerEdge(f"n{first}", key, first_label, dashed=True))
        edges.append(RetainerEdge(key, f"n{last}", last_label, dashed=True))

    rev = graph.reverse()
    for c in drawn_clusters:
        if c.representative.reachable:
            continue
        t = c.representative.target
        has_referrers = rev.offsets[t + 1] > rev.offsets[t]
        text = "held-outside-with-referrers" if has_referrers else "held-outside"
        extra.append(RetainerNode(f"u{t}", "note", text))
        edges.append(RetainerEdge(f"u{t}", f"n{t}", dashed=True))

    left = clusters[len(drawn_clusters) :]
    if left:
        extra.append(
            RetainerNode(
                "rest",
                "more",
                "clusters",
                size=sum(c.size for c in left),
                count=sum(c.count for c in left),
                length=len(left),
            )
        )

    total = sum(c.count for c in clusters)
    single = clusters[0].representative.target if total == 1 else None
    return RetainerGraph(
        target_types=tuple(sorted({graph.type_name(c.representative.target) for c in clusters})),
        nodes=tuple(nodes + extra),
        edges=tuple(edges),
        target_count=total,
        target_size=sum(c.size for c in clusters),
        clusters=len(clusters),
        clusters_drawn=len(drawn_clusters),
        single_id=None if single is None else graph.ids[single],
    )


def _attribute_dicts(graph: HeapGraph, b: _Builder) -> dict[int, int]:
    """Drawn ``__dict__`` dicts that only their drawn owner refers to (or
    whose owner is a root) -> that owner. They are not drawn: ``obj -> .__dict__ -> ['name']`` reads
    ``obj -> .name``, as people say it."""
    rev = graph.reverse()
    ends = {last for _, _, _, (last, _) in b.elisions}
    folded: dict[int, int] = {}
    for node in b.drawn:
        if node in b.root_of or node in b.cluster_of or node in ends:
            continue
        if graph.type_name(node) != "dict":
            continue
        owner = b.root_dicts.get(node)
        if owner is not None:
            if owner in b.drawn:
                folded[node] = owner
            continue
        referrers = list(rev.in_edges(node))
        owner = referrers[0][0] if referrers else -1
        if (
            owner in b.drawn
            and owner != node
            and all(source == owner and label == ".__dict__" for source, label in referrers)
        ):
            folded[node] = owner
    return folded


def _object_node(
    graph: HeapGraph, b: _Builder, node: int, path: Optional[RetainerPath]
) -> RetainerNode:
    cluster = b.cluster_of.get(node)
    whole = cluster is not None and cluster.representative.target == node
    kind: NodeKind = "intermediate"
    if cluster is not None:
        kind = "target"
    elif node in b.root_of:
        kind = "root"
    lengths = graph.lengths
    return RetainerNode(
        key=f"n{node}",
        kind=kind,
        text=graph.type_name(node),
        node=node,
        object_id=graph.ids[node],
        size=cluster.size if cluster is not None and whole else graph.sizes[node],
        count=cluster.count if cluster is not None and whole else 1,
        length=lengths[node] if lengths is not None and lengths[node] else None,
        root=b.root_of.get(node),
        path=path.text(graph) if path is not None else "",
    )


def _edges(
    graph: HeapGraph, b: _Builder, folded: dict[int, int]
) -> tuple[list[RetainerEdge], list[RetainerNode]]:
    """Every edge between two drawn objects (parallel ones share one arrow),
    and a "... and N more referrers" node for each object (roots aside)
    with referrers not drawn."""
    rev = graph.reverse()
    edges: list[RetainerEdge] = []
    more: list[RetainerNode] = []
    for node in b.drawn:
        if node in folded:
            continue
        held = b.cluster_of.get(node)
        masked = held is not None and held.count > 1 and held.representative.target == node
        labels: dict[int, list[str]] = {}
        undrawn: set[int] = set()
        for source, label in rev.in_edges(node):
            if source in folded:
                source = folded[source]
                # a name key reads .name; any other key keeps its dict
                label = "".join(readable_labels([(-1, ".__dict__"), (-1, label)]))
            elif source not in b.drawn:
                if source not in b.elided:
                    undrawn.add(source)
                continue
            if masked:
                label = mask_label(label)
            seen = labels.setdefault(source, [])
            if label not in seen:
                seen.append(label)
        edges += [
            RetainerEdge(f"n{source}", f"n{node}", _edge_label(ls)) for source, ls in labels.items()
        ]
        if undrawn and node not in b.root_of and node not in b.root_dicts:
            more.append(RetainerNode(f"m{node}", "more", "referrers", count=len(undrawn)))
            edges.append(RetainerEdge(f"m{node}", f"n{node}", dashed=True))
    return edges, more


def retainer_graph(
    graph: HeapGraph,
    targets: Iterable[int],
    *,
    max_depth: int = 10,
    max_nodes: int = 60,
) -> RetainerGraph:
    """The back-reference graph of ``targets``: their clusters (see
    :func:`leakhunt.analysis.retainers.cluster_paths`) drawn by
    :func:`retainer_graph_of_clusters`.

    >>> from leakhunt.model import HeapGraph
    >>> n = 1000
    >>> g = HeapGraph.from_edges(["module", "list"] + ["dict"] * n, [72, 8056] + [232] * n,
    ...     [(0, 1, ".rows")] + [(1, 2 + i, f"[{i}]") for i in range(n)], [(0, "module app")])
    >>> [(t.text, t.count, t.size) for t in retainer_graph(g, range(2, n + 2)).of_kind("target")]
    [('dict', 1000, 232000)]
    """
    return retainer_graph_of_clusters(
        graph, cluster_paths(graph, targets), max_depth=max_depth, max_nodes=max_nodes
    )


def growth_clusters(
    a: HeapGraph, b: HeapGraph, type_name: str, *, by_id: bool = False
) -> tuple[TypeChurn, list[Cluster]]:
    """What ``leakhunt graph A B --type T`` draws: the objects of type
    ``type_name`` new in B (by address, type and size; see
    :class:`~leakhunt.model.TypeChurn`), in the retainer-path clusters whose
    count grew, numbered as ``leakhunt diff`` numbers them (1 = biggest
    growth in bytes). Each Cluster counts and samples only its new objects
    (all of them when none is new by address: every one reused a freed
    address of its type and size).

    >>> from leakhunt.model import HeapGraph
    >>> def cache(n):
    ...     return HeapGraph.from_edges(["module", "list"] + ["Job"] * n, [72, 88] + [48] * n,
    ...         [(0, 1, ".jobs")] + [(1, 2 + i, f"[{i}]") for i in range(n)],
    ...         [(0, "module app")], ids=[1, 2] + [100 + i for i in range(n)])
    >>> change, clusters = growth_clusters(cache(2), cache(5), "Job")
    >>> change.new, [(c.count, c.members) for c in clusters]
    (3, [(3, (4, 5, 6))])
    """
    change, fresh = new_in_b(a, b, type_name, by_id=by_id)
    (retention,) = explain_growth(a, b, [type_name], retained=False, fresh=fresh)
    return change, [c.cluster() for c in retention.clusters]
