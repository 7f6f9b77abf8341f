"""Why is it alive: shortest retainer paths from the roots, grouped by shape.

One breadth-first search from all roots at once answers every target: the
cost is O(nodes + edges) for the whole set, not per target (objgraph's
``find_backref_chain`` searches once per object). Paths that differ only in
list indices, per-object dict keys or addresses share a signature and form
one Cluster, so a thousand leaked sessions are one line, not a thousand.

>>> from leakhunt.model import HeapGraph
>>> g = HeapGraph.from_edges(
...     ["module", "dict", "app.Session", "app.Session"], [72, 232, 48, 48],
...     [(0, 1, "._CACHE"), (1, 2, "['u41']"), (1, 3, "['u42']")],
...     [(0, "module app.cache")])
>>> [c.count for c in cluster_paths(g, [2, 3])]
[2]
>>> shortest_paths(g, [3])[3].text(g)
"module app.cache -> ._CACHE -> ['u42'] -> app.Session"
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from typing import Optional

from ..model import MEMBERS_CAP, NO_PATH, Cluster, HeapGraph, RetainerPath
from .dominators import reachable, retained_size_of, retained_sizes

_C_BFS: Optional[Callable[..., tuple[bytearray, bytes, bytes]]]
try:  # the compiled search; the loop in bfs_tree is its pure-Python twin
    from ._graphalgo import bfs as _C_BFS
except ImportError:  # pragma: no cover - no compiler at install time
    _C_BFS = None

__all__ = [
    "DICT_LABEL",
    "bfs_tree",
    "cluster_paths",
    "is_name_key",
    "mask_label",
    "shortest_paths",
    "signature",
]


def _target_list(graph: HeapGraph, targets: Iterable[int]) -> list[int]:
    order = list(dict.fromkeys(targets))
    n = graph.n
    for t in order:
        if not 0 <= t < n:
            raise ValueError(f"target node {t} out of range 0..{n - 1}")
    return order


def bfs_tree(
    graph: HeapGraph, want: bytearray, remaining: int, max_depth: Optional[int] = None
) -> tuple[bytearray, array[int], array[int], dict[int, str]]:
    """Multi-source breadth-first search from the roots (in the order
    listed, out-edges in order): the shortest-path tree. Returns (seen,
    parent, parent edge, root node -> description); stops once the
    ``remaining`` wanted nodes (``want[v]`` set) are seen, or at
    ``max_depth``."""
    if _C_BFS is not None and graph.offsets.typecode == "Q" and graph.targets.typecode == "I":
        roots = tuple(node for node, _ in graph.roots)
        seen_c, parent_b, edge_b = _C_BFS(
            graph.offsets,
            graph.targets,
            roots,
            want,
            remaining,
            -1 if max_depth is None else max_depth,
        )
        parent_c, edge_c = array("i"), array("q")
        parent_c.frombytes(parent_b)
        edge_c.frombytes(edge_b)
        root_desc: dict[int, str] = {}
        for node, description in graph.roots:
            root_desc.setdefault(node, description)
        return seen_c, parent_c, edge_c, root_desc
    n = graph.n
    offsets, targets = graph.offsets, graph.targets
    seen = bytearray(n)
    parent = array("i", [-1]) * n
    parent_edge = array("q", [-1]) * n
    root_of: dict[int, str] = {}
    frontier: list[int] = []
    for node, description in graph.roots:
        if not seen[node]:
            seen[node] = 1
            root_of[node] = description
            frontier.append(node)
            remaining -= want[node]
    depth = 0
    while frontier and remaining > 0 and (max_depth is None or depth < max_depth):
        level: list[int] = []
        append = level.append
        for v in frontier:
            a = offsets[v]
            for e, w in enumerate(targets[a : offsets[v + 1]], a):
                if not seen[w]:
                    seen[w] = 1
                    parent[w] = v
                    parent_edge[w] = e
                    append(w)
                    if want[w]:
                        remaining -= 1
                        if not remaining:
                            return seen, parent, parent_edge, root_of
        frontier = level
        depth += 1
    return seen, parent, parent_edge, root_of


def shortest_paths(
    graph: HeapGraph, targets: Iterable[int], *, max_depth: Optional[int] = None
) -> dict[int, Optional[RetainerPath]]:
    """The shortest path from any root to each target, all targets in one pass.

    Keys follow the order of ``targets`` (duplicates once). The value is
    ``None`` when no root reaches the target within ``max_depth`` edges (no
    limit by default): the object is held outside Python, or further away.
    Among equally short paths, the first in breadth-first order wins (roots
    in the order listed, out-edges in their order).

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "list", "int", "int"], [72, 88, 28, 28],
    ...     [(0, 1, ".items"), (1, 2, "[0]")], [(0, "module app")])
    >>> paths = shortest_paths(g, [2, 3])
    >>> paths[2].text(g), paths[3]
    ('module app -> .items -> [0] -> int', None)
    >>> shortest_paths(g, [2], max_depth=1)
    {2: None}
    """
    if max_depth is not None and max_depth < 0:
        raise ValueError(f"max_depth must be >= 0, not {max_depth}")
    order = _target_list(graph, targets)
    want = bytearray(graph.n)
    for t in order:
        want[t] = 1
    seen, _, parent_edge, root_of = bfs_tree(graph, want, len(order), max_depth)
    offsets, labels, names = graph.offsets, graph.labels, graph.label_names
    result: dict[int, Optional[RetainerPath]] = {}
    for t in order:
        if not seen[t]:
            result[t] = None
            continue
        steps: list[tuple[int, str]] = []
        v = t
        e = parent_edge[v]
        while e >= 0:
            steps.append((v, names[labels[e]]))
            # The source of edge e is the node whose CSR range holds it.
            v = bisect_right(offsets, e) - 1
            e = parent_edge[v]
        steps.append((v, ""))
        steps.reverse()
        result[t] = RetainerPath(root_of[v], tuple(steps))
    return result


# A subscript or <...> label part: string literals may hold brackets.
_STR = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\""""
_SUBSCRIPT = re.compile(r"\[((?:" + _STR + r"""|[^\]'"])*)\]""")
_ANGLE = re.compile(r"<((?:" + _STR + r"""|[^>'"])*)>""")
_WORD_KEY = re.compile(r"""'[^'\\\d]{1,40}'|"[^"\\\d]{1,40}\"""")
_BARE_WORD = re.compile(r"[A-Za-z_ ]+")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_DIGITS = re.compile(r"\d+")


#: The label of the edge from an object (module, class, instance) to its
#: namespace dict: the keys of that dict are names (globals, attributes).
DICT_LABEL = ".__dict__"


def is_name_key(label: str) -> bool:
    """Whether ``label`` is a subscript by an identifier-shaped str key
    (``['cache_v2']``, ``['__all__']``, ``['café']``): in a namespace dict,
    a variable or attribute name.

    >>> [is_name_key(s) for s in ["['cache_v2']", "['s3_client']", "['u-42']", "[3]", "['']"]]
    [True, True, False, False, False]
    """
    if len(label) < 5 or label[:2] != "['" or label[-2:] != "']":
        return False
    key = label[2:-2]
    return key.isidentifier() and len(key) <= 100


def _mask_key(inner: str) -> str:
    # Keep keys that read like names ('sessions', 'Content-Type', <key>):
    # those tell containers apart. Indices, keys with digits (one per
    # request: 'u42', uuids, timestamps), long keys and non-str keys go.
    if _WORD_KEY.fullmatch(inner) or _BARE_WORD.fullmatch(inner):
        return inner
    return "*"


def mask_label(label: str, *, namespace: bool = False) -> str:
    """An edge label with indices, per-object keys and addresses masked.

    Attribute and variable names stay: they tell paths apart. With
    ``namespace`` (the label is a key of a namespace dict: the edge before it
    was ``.__dict__``), every identifier-shaped key is a name and stays, digits
    and all (a global ``cache_v2``, an attribute ``s3_client``).

    >>> [mask_label(s) for s in ["[3]", "['u42']", "['sessions']", ".name", "<key>"]]
    ['[*]', '[*]', "['sessions']", '.name', '<key>']
    >>> mask_label(".__defaults__[0]"), mask_label("[<Session at 0x7f3a2c>]")
    ('.__defaults__[*]', '[*]')
    >>> mask_label("['cache_v2']"), mask_label("['cache_v2']", namespace=True)
    ('[*]', "['cache_v2']")
    """
    if namespace and is_name_key(label):
        return label
    label = _SUBSCRIPT.sub(lambda m: f"[{_mask_key(m.group(1))}]", label)
    label = _ANGLE.sub(lambda m: f"<{_mask_key(m.group(1))}>", label)
    return _ADDRESS.sub("0x*", label)


def _mask_root(description: str) -> str:
    # Thread names carry counters (Thread-12); addresses change every run.
    return _DIGITS.sub("*", _ADDRESS.sub("0x*", description))


def signature(graph: HeapGraph, path: RetainerPath) -> tuple[str, ...]:
    """The shape of a path: the root description, then per hop the type name
    of the node and the masked label of the edge into the next node.

    Paths into the same container that differ only in index or key get the
    same signature. An unreachable target's signature is ``(NO_PATH, type)``.

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(["module", "dict", "app.Session"], [72, 232, 48],
    ...     [(0, 1, "._CACHE"), (1, 2, "['u42']")], [(0, "module app.cache")])
    >>> signature(g, shortest_paths(g, [2])[2])
    ('module app.cache', 'module', '._CACHE', 'dict', '[*]', 'app.Session')
    """
    if not path.reachable:
        return (NO_PATH, graph.type_name(path.target))
    parts = [_mask_root(path.root), graph.type_name(path.steps[0][0])]
    previous = ""
    for node, label in path.steps[1:]:
        parts.append(mask_label(label, namespace=previous == DICT_LABEL))
        parts.append(graph.type_name(node))
        previous = label
    return tuple(parts)


def cluster_paths(
    graph: HeapGraph,
    targets: Iterable[int],
    *,
    max_depth: Optional[int] = None,
    idom: Optional[array[int]] = None,
) -> list[Cluster]:
    """Targets grouped by the signature of their shortest retainer path.

    Sorted by total shallow size, biggest first (then count, then
    signature). Targets no root reaches form one cluster per type, whose
    representative path is ``RetainerPath.unreachable``. With ``idom`` (from
    :func:`leakhunt.analysis.dominators.immediate_dominators`) each reachable cluster
    also gets its retained size; otherwise ``retained`` is ``None``.

    >>> from leakhunt.model import HeapGraph
    >>> g = HeapGraph.from_edges(
    ...     ["module", "list", "dict", "Job", "Job", "Job"], [72, 88, 232, 48, 48, 48],
    ...     [(0, 1, ".queue"), (0, 2, ".done"), (1, 3, "[0]"), (1, 4, "[1]"), (2, 5, "['j7']")],
    ...     [(0, "module app")])
    >>> [(c.count, c.size, c.representative.text(g)) for c in cluster_paths(g, [3, 4, 5])]
    [(2, 96, 'module app -> .queue -> [0] -> Job'), (1, 48, "module app -> .done -> ['j7'] -> Job")]
    """
    if max_depth is None and _C_BFS is not None:
        # the compiled signature pass: a path per cluster, not per target
        from .signatures import signature_clusters

        return signature_clusters(graph, _target_list(graph, targets), idom=idom)
    return _cluster_paths_py(graph, targets, max_depth=max_depth, idom=idom)


def _cluster_paths_py(
    graph: HeapGraph,
    targets: Iterable[int],
    *,
    max_depth: Optional[int] = None,
    idom: Optional[array[int]] = None,
) -> list[Cluster]:
    """A path and a signature per target: the twin of :func:`signature_clusters`
    (the test oracle), and the way with a depth limit."""
    paths: dict[int, RetainerPath] = {}
    groups: dict[tuple[str, ...], list[int]] = {}
    for t, found in shortest_paths(graph, targets, max_depth=max_depth).items():
        path = paths[t] = found if found is not None else RetainerPath.unreachable(t)
        groups.setdefault(signature(graph, path), []).append(t)
    sizes = graph.sizes
    retained = retained_sizes(graph, idom) if idom is not None else None
    live: Optional[bytearray] = None
    clusters = []
    for sig, members in groups.items():
        representative = paths[members[0]]
        total: Optional[int] = None
        if idom is not None and retained is not None and representative.reachable:
            if live is None:
                live = reachable(graph)
            total = retained_size_of(graph, members, idom, retained=retained, live=live)
        clusters.append(
            Cluster(
                signature=sig,
                count=len(members),
                size=sum(sizes[t] for t in members),
                retained=total,
                representative=representative,
                members=tuple(members[:MEMBERS_CAP]),
            )
        )
    clusters.sort(key=lambda c: (-c.size, -c.count, c.signature))
    return clusters
