"""Back-reference graphs: what keeps the leaked objects alive, as Graphviz DOT.

Compute, then present. :func:`retainer_graph` walks back-references from
the target objects up to the roots and returns a :class:`RetainerGraph`
(a view model: nodes of kind root / target / intermediate / more / note,
edges with their labels); :func:`render_dot` turns that view into DOT text;
:func:`write_graph` writes it, as a picture when Graphviz's ``dot`` program
is installed.

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
>>> render_dot(view).splitlines()[0]
'digraph leakhunt {'
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Optional, Union

from ..errors import LeakhuntError, UsageError
from ..model import HELD_OUTSIDE, Cluster, HeapGraph, RetainerPath
from ..retainers import cluster_paths, mask_label
from ._fmt import fmt_bytes, fmt_count

__all__ = [
    "GRAPH_FORMATS",
    "GraphWriteError",
    "NodeKind",
    "RetainerEdge",
    "RetainerGraph",
    "RetainerNode",
    "graph_format_for_path",
    "node_with_id",
    "nodes_of_type",
    "render_dot",
    "retainer_graph",
    "retainer_graph_of_clusters",
    "write_graph",
]

NodeKind = Literal["root", "target", "intermediate", "more", "note"]

#: Output file extension -> Graphviz output format ("dot": the source itself).
GRAPH_FORMATS: dict[str, str] = {
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
    ".dot": "dot",
    ".gv": "dot",
}

_HELD_OUTSIDE_WITH_REFERRERS = "held outside Python: no root that Python can see reaches it"

# Labels come from the heap: cap them so one hostile name cannot fill the page.
_MAX_LABEL = 80
_MAX_TITLE = 200
# Parallel edges between the same two nodes: show this many labels, then "(+N)".
_MAX_EDGE_LABELS = 3
# A key that is an identifier: ``__dict__['name']`` reads ``.name``.
_IDENT_KEY = re.compile(r"\['([A-Za-z_][A-Za-z0-9_]*)'\]")


class GraphWriteError(LeakhuntError):
    """The graph could not be rendered or written; str() names the file."""


# ---------------------------------------------------------------- the view model


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

    title: str
    nodes: tuple[RetainerNode, ...]
    edges: tuple[RetainerEdge, ...]
    target_count: int
    target_size: int
    clusters: int
    clusters_drawn: int

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


def _title(graph: HeapGraph, clusters: Sequence[Cluster], count: int) -> str:
    names = sorted({graph.type_name(c.representative.target) for c in clusters})
    if count == 1 and len(names) == 1:
        target = clusters[0].representative.target
        return f"Why is {names[0]} {graph.ids[target]:#x} alive?"
    if len(names) == 1:
        return f"Why are {fmt_count(count)} {names[0]} objects alive?"
    return f"Why are {fmt_count(count)} objects of {len(names)} types alive?"


def _edge_label(labels: list[str]) -> str:
    if len(labels) <= _MAX_EDGE_LABELS:
        return ", ".join(labels)
    shown = _MAX_EDGE_LABELS - 1
    return ", ".join(labels[:shown]) + f" (+{fmt_count(len(labels) - shown)})"


def retainer_graph_of_clusters(
    graph: HeapGraph,
    clusters: Sequence[Cluster],
    *,
    max_depth: int = 10,
    max_nodes: int = 60,
) -> RetainerGraph:
    """The back-reference graph of ``clusters`` (from
    :func:`leakhunt.retainers.cluster_paths`), each drawn as one node.

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
        noun = "object" if hidden == 1 else "objects"
        extra.append(RetainerNode(key, "more", f"... {fmt_count(hidden)} more {noun} on the path"))
        edges.append(RetainerEdge(f"n{first}", key, first_label, dashed=True))
        edges.append(RetainerEdge(key, f"n{last}", last_label, dashed=True))

    rev = graph.reverse()
    for c in drawn_clusters:
        if c.representative.reachable:
            continue
        t = c.representative.target
        has_referrers = rev.offsets[t + 1] > rev.offsets[t]
        text = _HELD_OUTSIDE_WITH_REFERRERS if has_referrers else HELD_OUTSIDE
        extra.append(RetainerNode(f"u{t}", "note", text))
        edges.append(RetainerEdge(f"u{t}", f"n{t}", dashed=True))

    left = clusters[len(drawn_clusters) :]
    if left:
        count = sum(c.count for c in left)
        noun = "cluster" if len(left) == 1 else "clusters"
        extra.append(
            RetainerNode(
                "rest",
                "more",
                f"... and {fmt_count(len(left))} more {noun} "
                f"({fmt_count(count)} objects, {fmt_bytes(sum(c.size for c in left))}) not drawn",
            )
        )

    total = sum(c.count for c in clusters)
    return RetainerGraph(
        title=_title(graph, clusters, total) if clusters else "No objects to explain",
        nodes=tuple(nodes + extra),
        edges=tuple(edges),
        target_count=total,
        target_size=sum(c.size for c in clusters),
        clusters=len(clusters),
        clusters_drawn=len(drawn_clusters),
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
                m = _IDENT_KEY.fullmatch(label)
                label = f".{m.group(1)}" if m else f".__dict__{label}"
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
            noun = "referrer" if len(undrawn) == 1 else "referrers"
            text = f"... and {fmt_count(len(undrawn))} more {noun}"
            more.append(RetainerNode(f"m{node}", "more", text))
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
    :func:`leakhunt.retainers.cluster_paths`) drawn by
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


# ---------------------------------------------------------------- DOT text


def _printable(s: str, limit: int = _MAX_LABEL) -> str:
    """``s`` on one line, control and invisible characters spelled out
    (``\\n``, ``\\x00``, ``\\u202e``), cut to ``limit`` characters."""
    if not s.isprintable():
        s = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in s)
    return s if len(s) <= limit else s[: limit - 1] + "\u2026"


def _html(s: str, limit: int = _MAX_LABEL) -> str:
    r"""Text for inside an HTML-like label ``<...>``.

    Graphviz expands ``\N`` (the node name) and friends even there, so
    backslashes are doubled.

    >>> _html('<script>"a" & b</script>')
    '&lt;script&gt;&quot;a&quot; &amp; b&lt;/script&gt;'
    >>> print(_html("a\\N" + chr(10) + "b"))
    a\\N\\nb
    """
    s = _printable(s, limit).replace("\\", "\\\\")
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _small(text: str) -> str:
    return f'<FONT POINT-SIZE="9" COLOR="#555555">{text}</FONT>'


_STYLE: dict[str, str] = {
    "root": 'shape=box, style="bold,filled", penwidth=2, color="#1f4e9c", fillcolor="#dce8fa"',
    "target": 'shape=box, style="filled", penwidth=1.5, color="#b30000", fillcolor="#f7b0b0"',
    "cluster": 'shape=box3d, style="filled", penwidth=1.5, color="#b30000", fillcolor="#f7b0b0"',
    "intermediate": 'shape=box, style="rounded", color="#777777"',
    "more": 'shape=box, style="dashed,rounded", color="#999999", fontcolor="#555555"',
    "note": 'shape=note, style="filled", color="#b38f00", fillcolor="#fff4c2"',
}


def _node_label(n: RetainerNode) -> str:
    if n.kind in ("more", "note"):
        return _html(n.text)
    size = fmt_bytes(n.size)
    if n.length is not None:
        size += f" \u00b7 len {fmt_count(n.length)}"
    address = f"{n.object_id:#x}" if n.object_id is not None else ""
    if n.count > 1:
        lines = [
            f"<B>{_html(n.text)}</B>",
            f"x{fmt_count(n.count)} \u00b7 {size} total",
            _small(f"e.g. {address}"),
        ]
    elif n.root is not None:
        lines = [f"<B>{_html(n.root)}</B>", f"{_html(n.text)} \u00b7 {size}", _small(address)]
    elif n.kind == "target":
        lines = [f"<B>{_html(n.text)}</B>", size, _small(address)]
    else:
        lines = [_html(n.text), size, _small(address)]
    return "<BR/>".join(lines)


def _legend(with_note: bool) -> list[str]:
    lines = [
        "  subgraph cluster_legend {",
        '    label="legend"; fontsize=10; style="rounded"; color="#cccccc";',
        f'    legend_root [label="root (module, class, thread)", {_STYLE["root"]}];',
        f'    legend_holder [label="holder", {_STYLE["intermediate"]}];',
        f'    legend_leaked [label="leaked object", {_STYLE["target"]}];',
        f'    legend_cluster [label="xN: N similar leaked objects", {_STYLE["cluster"]}];',
        f'    legend_more [label="... not drawn", {_STYLE["more"]}];',
    ]
    if with_note:
        lines.append(f'    legend_note [label="note", {_STYLE["note"]}];')
    lines += [
        '    legend_root -> legend_holder [label=".attr"];',
        "    legend_holder -> legend_leaked [label=\"['key']\"];",
        '    legend_holder -> legend_cluster [label="[*]"];',
        "  }",
    ]
    return lines


def render_dot(view: RetainerGraph) -> str:
    """``view`` as Graphviz DOT source: roots as bold blue boxes, leaked
    targets filled red (a cluster as a stacked box with ``xN``), holders as
    plain rounded boxes, what was left out as dashed boxes, and a legend.
    Edges point from holder to held object. Every text from the heap is
    escaped; the output depends on ``view`` only."""
    out = [
        "digraph leakhunt {",
        f'  graph [fontname="Helvetica", fontsize=12, labelloc=t, '
        f"label=<<B>{_html(view.title, _MAX_TITLE)}</B>>];",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555", arrowsize=0.7];',
        "",
    ]
    for n in view.nodes:
        style = _STYLE["cluster" if n.count > 1 else n.kind]
        # No tooltips: Graphviz expands \N and friends in them whatever the
        # escaping, so heap text cannot be shown there faithfully.
        out.append(f"  {n.key} [label=<{_node_label(n)}>, {style}];")
    if view.nodes:
        out.append("")
    for e in view.edges:
        attrs = [f"label=<{_html(e.label)}>"] if e.label else []
        if e.dashed:
            attrs.append("style=dashed")
        out.append(
            f"  {e.source} -> {e.target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";"
        )
    if view.edges:
        out.append("")
    out += _legend(any(n.kind == "note" for n in view.nodes))
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- writing

_TMP_COUNTER = [0]


def _install_hint() -> str:
    if sys.platform == "darwin":
        return "brew install graphviz"
    if sys.platform == "win32":
        return "winget install graphviz"
    return "apt-get install graphviz"


def graph_format_for_path(path: str) -> str:
    """The Graphviz output format an output file's extension asks for.

    >>> graph_format_for_path("leak.SVG"), graph_format_for_path("out/leak.dot")
    ('svg', 'dot')
    """
    ext = os.path.splitext(path)[1].lower()
    fmt = GRAPH_FORMATS.get(ext)
    if fmt is None:
        known = ", ".join(e for e in GRAPH_FORMATS if e != ".gv")
        raise UsageError(f"{path}: cannot tell the graph format from the extension; use {known}")
    return fmt


def _atomic_write(data: bytes, path: str) -> None:
    # Not tempfile.mkstemp: in a live process its first use creates objects
    # that the next snapshot would count as growth.
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    try:
        while True:
            _TMP_COUNTER[0] += 1
            tmp = os.path.join(directory, f".{base}.{os.getpid()}.{_TMP_COUNTER[0]}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue
    except OSError as e:
        raise GraphWriteError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise GraphWriteError(f"{path}: cannot write: {e.strerror or e}") from None


def write_graph(dot_source: str, path: Union[str, os.PathLike[str]]) -> tuple[str, Optional[str]]:
    """Write ``dot_source`` to ``path`` in the format its extension names
    (``.svg``, ``.png``, ``.pdf``, or ``.dot`` for the source itself),
    atomically. Returns ``(path written, message)``.

    Pictures need Graphviz's ``dot`` program. Without it the source goes
    next to ``path`` (same name, ``.dot``) and ``message`` says how to
    install Graphviz; otherwise ``message`` is None.

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "leak.dot")
    >>> write_graph("digraph { a -> b }\\n", out) == (out, None)
    True
    """
    target = os.fspath(path)
    fmt = graph_format_for_path(target)
    data = dot_source.encode("utf-8")
    if fmt == "dot":
        _atomic_write(data, target)
        return target, None
    exe = shutil.which("dot")
    if exe is None:
        fallback = os.path.splitext(target)[0] + ".dot"
        _atomic_write(data, fallback)
        return fallback, (
            f"Graphviz 'dot' not found: wrote {fallback}; "
            f"install Graphviz ({_install_hint()}) to get {target}"
        )
    try:
        proc = subprocess.run(
            [exe, f"-T{fmt}"], input=data, capture_output=True, timeout=300, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise GraphWriteError(f"{target}: Graphviz 'dot' failed: {e}") from None
    if proc.returncode != 0:
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GraphWriteError(
            f"{target}: Graphviz 'dot' failed (exit {proc.returncode})"
            + (f": {why[0]}" if why else "")
        )
    _atomic_write(proc.stdout, target)
    return target, None
