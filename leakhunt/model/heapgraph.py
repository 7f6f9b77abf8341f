"""Object graphs and what keeps objects alive: HeapGraph (nodes and labelled
edges in CSR form), RetainerPath (how a root reaches one object) and Cluster
(objects whose paths have one shape). Plain values: no gc, no files.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import InitVar, dataclass, field
from typing import Optional

from .owned import owned

__all__ = [
    "HELD_OUTSIDE",
    "MEMBERS_CAP",
    "NO_PATH",
    "Cluster",
    "HeapGraph",
    "RetainerPath",
    "ReverseEdges",
    "readable_labels",
]

#: The root description of a RetainerPath that found no path: the object is
#: held from C (interpreter registries, extension state) or nothing reached it.
NO_PATH = "no path from a Python root (held outside Python)"

#: What every report says of an object no root reaches.
HELD_OUTSIDE = "held outside Python: no referrer that Python can see"

#: How many member nodes a Cluster keeps; ``Cluster.count`` is the full count.
MEMBERS_CAP = 100


@owned
@dataclass(frozen=True)
class ReverseEdges:
    """Incoming edges of a HeapGraph in CSR form: the in-edges of node ``i``
    are ``sources[offsets[i]:offsets[i + 1]]``, and ``edges`` holds, for each
    of them, the index of the forward edge (into ``HeapGraph.targets``), which
    names its label. Built by :meth:`HeapGraph.reverse`."""

    offsets: array[int]
    sources: array[int]
    edges: array[int]
    labels: array[int]
    label_names: tuple[str, ...]

    def in_edges(self, i: int) -> Iterator[tuple[int, str]]:
        """(source node, edge label) for each edge pointing at node ``i``."""
        sources, edges, labels, names = self.sources, self.edges, self.labels, self.label_names
        for p in range(self.offsets[i], self.offsets[i + 1]):
            yield sources[p], names[labels[edges[p]]]


@owned
@dataclass(frozen=True)
class HeapGraph:
    """A compact object graph: nodes ``0..n-1``, forward edges in CSR form.

    The out-edges of node ``i`` are ``targets[offsets[i]:offsets[i + 1]]``
    with ``labels`` (indices into ``label_names``) at the same positions.
    ``ids`` are the objects' ``id()`` at capture, for display only (ids are
    reused at once: never match objects across snapshots by id). ``roots``
    lists ``(node, description)`` such as ``(0, "module app.cache")``; a node
    may be listed more than once, the first description wins. Memory: about
    28 bytes per node and 8 per edge (plus the same again per edge and 8 per
    node once :meth:`reverse` has been asked for).

    >>> g = HeapGraph.from_edges(
    ...     ["module", "dict", "app.Session"], [72, 232, 48],
    ...     [(0, 1, "._CACHE"), (1, 2, "['u42']")], [(0, "module app.cache")])
    >>> g.n, list(g.out_edges(1)), g.type_name(2)
    (3, [(2, "['u42']")], 'app.Session')
    >>> list(g.reverse().in_edges(2))
    [(1, "['u42']")]
    """

    ids: array[int]
    types: array[int]
    type_names: tuple[str, ...]
    sizes: array[int]
    offsets: array[int]
    targets: array[int]
    labels: array[int]
    label_names: tuple[str, ...]
    roots: tuple[tuple[int, str], ...]
    #: len() of each container node (list, dict, set, tuple...), 0 for
    #: others; None when unknown. Names the container that accumulates.
    lengths: Optional[array[int]] = None
    _reverse: Optional[ReverseEdges] = field(default=None, init=False, repr=False, compare=False)
    #: False skips the O(edges) range checks of targets, types and labels
    #: (the array lengths are always checked): for graphs the walker built
    #: and numbered itself. Graphs from files and callers are checked.
    validate: InitVar[bool] = True

    def __post_init__(self, validate: bool) -> None:
        n = len(self.types)
        if len(self.ids) != n or len(self.sizes) != n:
            raise ValueError(
                f"HeapGraph: ids ({len(self.ids)}), types ({n}) and sizes "
                f"({len(self.sizes)}) must have one entry per node"
            )
        if len(self.offsets) != n + 1 or self.offsets[0] != 0:
            raise ValueError("HeapGraph: offsets must have n + 1 entries and start at 0")
        if self.offsets[n] != len(self.targets) or len(self.labels) != len(self.targets):
            raise ValueError("HeapGraph: offsets[n], targets and labels disagree on the edge count")
        for node, _ in self.roots:
            if not 0 <= node < n:
                raise ValueError(f"HeapGraph: root node {node} out of range 0..{n - 1}")
        if not validate:
            return
        # O(edges) scans (compiled: no Python int per item), they keep every
        # later index lookup in the analysis loops safe for graphs from files.
        if self.targets and _upper(self.targets) >= n:
            raise ValueError("HeapGraph: an edge points past the last node")
        if self.types and _upper(self.types) >= len(self.type_names):
            raise ValueError("HeapGraph: a type index points past type_names")
        if self.labels and _upper(self.labels) >= len(self.label_names):
            raise ValueError("HeapGraph: a label index points past label_names")

    def __repr__(self) -> str:
        return f"HeapGraph(n={self.n}, edges={self.edge_count}, roots={len(self.roots)})"

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.types)

    @property
    def edge_count(self) -> int:
        """Number of edges."""
        return len(self.targets)

    @property
    def nbytes(self) -> int:
        """Bytes held by the node and edge arrays (names and roots excluded)."""
        arrays = [self.ids, self.types, self.sizes, self.offsets, self.targets, self.labels]
        if self._reverse is not None:
            arrays += [self._reverse.offsets, self._reverse.sources, self._reverse.edges]
        return sum(a.itemsize * len(a) for a in arrays)

    def type_name(self, i: int) -> str:
        """The type name of node ``i`` (``module.QualName``, builtins bare)."""
        return self.type_names[self.types[i]]

    def out_edges(self, i: int) -> Iterator[tuple[int, str]]:
        """(target node, edge label) for each edge leaving node ``i``, in order."""
        targets, labels, names = self.targets, self.labels, self.label_names
        for e in range(self.offsets[i], self.offsets[i + 1]):
            yield targets[e], names[labels[e]]

    def reverse(self) -> ReverseEdges:
        """The incoming edges, built on first use (O(n + edges)) and kept."""
        rev = self._reverse
        if rev is None:
            rev = _build_reverse(self)
            object.__setattr__(self, "_reverse", rev)
        return rev

    @classmethod
    def from_edges(
        cls,
        type_names_per_node: Sequence[str],
        sizes: Sequence[int],
        edges: Iterable[tuple[int, int, str]],
        roots: Iterable[tuple[int, str]],
        ids: Optional[Sequence[int]] = None,
        lengths: Optional[Sequence[int]] = None,
    ) -> HeapGraph:
        """Build a graph from plain lists (tests, small tools).

        ``edges`` are ``(source, target, label)``; each node's out-edges keep
        the order in which they are listed. ``ids`` default to the node
        indices; ``lengths`` (one per node, see ``HeapGraph.lengths``) to
        None.
        """
        n = len(type_names_per_node)
        if len(sizes) != n or (ids is not None and len(ids) != n):
            raise ValueError("from_edges: one type name, size (and id) per node")
        if lengths is not None and len(lengths) != n:
            raise ValueError("from_edges: one length per node")
        type_index: dict[str, int] = {}
        types = array("I", (type_index.setdefault(t, len(type_index)) for t in type_names_per_node))
        edge_list = list(edges)
        offsets = array("Q", bytes(8 * (n + 1)))
        for s, t, _ in edge_list:
            if not (0 <= s < n and 0 <= t < n):
                raise ValueError(f"from_edges: edge {s} -> {t} out of range 0..{n - 1}")
            offsets[s + 1] += 1
        for i in range(n):
            offsets[i + 1] += offsets[i]
        pos = offsets[:-1]
        targets = array("I", bytes(4 * len(edge_list)))
        labels = array("I", bytes(4 * len(edge_list)))
        label_index: dict[str, int] = {}
        for s, t, label in edge_list:
            p = pos[s]
            pos[s] = p + 1
            targets[p] = t
            labels[p] = label_index.setdefault(label, len(label_index))
        return cls(
            ids=array("Q", range(n) if ids is None else ids),
            types=types,
            type_names=tuple(type_index),
            sizes=array("Q", sizes),
            offsets=offsets,
            targets=targets,
            labels=labels,
            label_names=tuple(label_index),
            roots=tuple(roots),
            lengths=None if lengths is None else array("Q", lengths),
        )


def _upper(a: array[int]) -> int:
    """max(a), in C where the compiled graph algorithms are built (no
    Python int per item: seconds on a 20M-node graph)."""
    if a.typecode in "IQ":
        try:
            from ..analysis._graphalgo import upper
        except ImportError:  # pragma: no cover - no compiler at install time
            return max(a)
        return int(upper(a, a.itemsize))
    return max(a)


def _build_reverse(graph: HeapGraph) -> ReverseEdges:
    # Counting sort of the edges by target; in-edges keep forward-edge order.
    n, offsets, targets = graph.n, graph.offsets, graph.targets
    try:  # the compiled twin of the loops below
        from ..analysis._graphalgo import reverse
    except ImportError:  # pragma: no cover - no compiler at install time
        return _build_reverse_py(graph)
    if offsets.typecode == "Q" and targets.typecode == "I":
        roffsets, sources, edges = array("Q", [0]) * (n + 1), array("I", [0]), array("I", [0])
        sources *= len(targets)
        edges *= len(targets)
        reverse(offsets, targets, roffsets, sources, edges)
        return ReverseEdges(roffsets, sources, edges, graph.labels, graph.label_names)
    return _build_reverse_py(graph)


def _build_reverse_py(graph: HeapGraph) -> ReverseEdges:
    n, offsets, targets = graph.n, graph.offsets, graph.targets
    roffsets = array("Q", bytes(8 * (n + 1)))
    for t in targets:
        roffsets[t + 1] += 1
    acc = 0
    for i in range(n + 1):
        acc += roffsets[i]
        roffsets[i] = acc
    pos = roffsets[:-1]
    sources = array("I", bytes(4 * len(targets)))
    edges = array("I", bytes(4 * len(targets)))
    for v in range(n):
        a = offsets[v]
        b = offsets[v + 1]
        if a == b:
            continue
        for e, t in enumerate(targets[a:b], a):
            p = pos[t]
            pos[t] = p + 1
            sources[p] = v
            edges[p] = e
    return ReverseEdges(roffsets, sources, edges, graph.labels, graph.label_names)


@owned
@dataclass(frozen=True)
class RetainerPath:
    """How a root reaches one object: ``steps`` are ``(node, label of the edge
    that led to it)``, root node first with label ``""``, the target last.

    A target no root reaches has ``root == NO_PATH`` and the single step
    ``((target, ""),)``.

    >>> g = HeapGraph.from_edges(
    ...     ["module", "dict", "app.Session"], [72, 232, 48],
    ...     [(0, 1, "._CACHE"), (1, 2, "['u42']")], [(0, "module app.cache")])
    >>> p = RetainerPath("module app.cache", ((0, ""), (1, "._CACHE"), (2, "['u42']")))
    >>> p.text(g)
    "module app.cache -> ._CACHE -> ['u42'] -> app.Session"
    >>> RetainerPath.unreachable(2).text(g)
    'app.Session: no path from a Python root (held outside Python)'
    """

    root: str
    steps: tuple[tuple[int, str], ...]

    @classmethod
    def unreachable(cls, node: int) -> RetainerPath:
        """The path value for a target that no root reaches."""
        return cls(NO_PATH, ((node, ""),))

    @property
    def reachable(self) -> bool:
        """False when no root reaches the target."""
        return self.root != NO_PATH

    @property
    def target(self) -> int:
        """The node the path leads to."""
        return self.steps[-1][0]

    @property
    def depth(self) -> int:
        """Number of edges from the root node to the target (0: a root itself)."""
        return len(self.steps) - 1

    def text(self, graph: HeapGraph) -> str:
        """Root first, then each edge label, then the target's type name."""
        target_type = graph.type_name(self.target)
        if not self.reachable:
            return f"{target_type}: {self.root}"
        labels = readable_labels(self.steps[1:])
        # "thread main frame run -> frame run local 'x'" says the frame twice
        if labels and self.root.startswith("thread "):
            frame = self.root[self.root.rfind(" frame ") + 1 :] + " "
            if labels[0].startswith(frame):
                labels[0] = labels[0][len(frame) :]
        return " -> ".join([self.root, *labels, target_type])


def readable_labels(steps: Sequence[tuple[int, str]]) -> list[str]:
    """Edge labels as people say them: an attribute stored in a
    ``__dict__`` (``.__dict__`` then ``['name']``) reads ``.name``, for any
    identifier (digits, underscores, dunders, non-ASCII letters).

    >>> readable_labels([(1, ".__dict__"), (2, "['_CACHE']"), (3, "['u42']")])
    ['._CACHE', "['u42']"]
    >>> readable_labels([(1, ".__dict__"), (2, "['cache_v2']")])
    ['.cache_v2']
    """
    out: list[str] = []
    pending_dict = False
    for _, label in steps:
        if pending_dict:
            pending_dict = False
            key = label[2:-2]
            if label[:2] == "['" and label[-2:] == "']" and key.isidentifier():
                out[-1] = "." + key
                continue
        out.append(label)
        pending_dict = label == ".__dict__"
    return out


@owned
@dataclass(frozen=True)
class Cluster:
    """Target objects whose retainer paths have the same ``signature`` (the
    path with indices and per-object keys masked): one leak, one line.

    ``size`` is the summed shallow size of the targets; ``retained`` the
    bytes freed if all of them became unreachable, ``None`` when not computed
    or when no root reaches them. ``members`` holds at most MEMBERS_CAP
    nodes; ``count`` is the full number.
    """

    signature: tuple[str, ...]
    count: int
    size: int
    retained: Optional[int]
    representative: RetainerPath
    members: tuple[int, ...]
