"""A graph snapshot written as a V8 ``.heapsnapshot``, so that Chrome
DevTools' Memory panel (Summary, Comparison, Containment, Retainers) and
memlab open it.

The mapping (measured against DevTools' own heap-snapshot worker and
memlab's parser; see docs/v8.md):

- A synthetic root (node 0, id 1) holds each leakhunt root through a
  ``shortcut`` edge named by the root's description (``module app.cache``):
  DevTools' "user roots", and memlab's paths start there. Objects no root
  reaches hang below a synthetic ``(held outside Python)`` node (id 3), so
  DevTools does not call them unreachable.
- Node names are leakhunt's type names, so DevTools' Summary rows are
  leakhunt's histogram (``str`` reads ``(string)``, functions ``Function``,
  code objects ``(compiled code)``). Every other Python object, containers
  included, is an ``object``: DevTools folds the size of ``array`` and
  ``hidden`` nodes into their owner and hides them from the Summary.
- An instance's ``__dict__`` that nothing else refers to (Python 3.10,
  or a dict made by ``vars()`` on 3.11+) keeps its node but gives its
  items to its owner: ``Job -> .__dict__ -> ['rows']`` is exported as
  property ``rows`` of ``Job`` (as V8 files show an object's properties,
  whose backing store is a separate node too), so Retainers read the
  same on every Python version.
- Edges: ``.attr`` -> property ``attr``; ``[3]`` -> element 3; ``['key']``
  and any other subscript -> property named as written; closure cells and
  frame locals -> context ``x``; ``.__class__`` and ``<...>``/``(in T)``
  -> internal. Snapshots read from V8 files map back to V8's own types.
- Ids: ``id() >> 4`` (CPython objects are 16-byte aligned) in 32 bits,
  stable while the object lives, so DevTools' Comparison and memlab's
  new-object sets work across snapshots of one process. A collision, or a
  value of 0, 1 or 3 (the roots' ids, memlab's root test), is renumbered
  above the largest id. Python reuses a freed address at once, so an
  object that took a freed object's address keeps its id: "new" counts
  from ids are a lower bound for Python files (exact for V8 files).
- String contents are not in leakhunt files, so none are exported.
"""

from __future__ import annotations

import gzip
import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable
from itertools import compress
from typing import Any, Optional

from ..model import HeapGraph, Snapshot
from .atomic import atomic_write

__all__ = ["to_v8_bytes", "write_v8"]

_format: Optional[Callable[[array[int]], bytes]]
_reach: Optional[Callable[..., bytearray]]
try:  # the compiled number formatter and search; the Python lines are their twins
    from ._v8 import format_uints as _format
    from ._v8 import reach as _reach
except ImportError:  # pragma: no cover - no compiler at install time
    _format = _reach = None

NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
NODE_TYPES = [
    "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
    "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
]  # fmt: skip
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]
_NF = len(NODE_FIELDS)
_MAX32 = 0xFFFFFFFF
_ROOT_ID = 1
_OUTSIDE_ID = 3

_T = {name: i for i, name in enumerate(NODE_TYPES)}
_E = {name: i for i, name in enumerate(EDGE_TYPES)}
_PY_TYPES = {"str": "string", "function": "closure", "code": "code"}
_V8_CLASSES = {
    "Function": "closure",
    "(compiled code)": "code",
    "(system)": "hidden",
    "RegExp": "regexp",
}
_ELEMENT = re.compile(r"\[(\d{1,10})\]")
_CONTEXT = re.compile(r"(?:context|\.__closure__ cell|frame .+ local) '(.*)'")
_NAME_KEY = re.compile(r"\['(.*)'\]")


def _node_type(name: str, from_v8: bool) -> int:
    if from_v8:
        if name in _V8_CLASSES:
            return _T[_V8_CLASSES[name]]
        if name.startswith("(") and name.endswith(")") and name[1:-1] in _T:
            return _T[name[1:-1]]
        return _T["object"]
    return _T[_PY_TYPES.get(name, "object")]


def _edge(label: str, name_of: dict[str, int]) -> tuple[int, int]:
    """(edge type, name_or_index) of a leakhunt edge label."""
    m = _ELEMENT.fullmatch(label)
    if m and int(m.group(1)) <= _MAX32:
        return _E["element"], int(m.group(1))
    m = _CONTEXT.fullmatch(label)
    if m:
        return _E["context"], name_of.setdefault(m.group(1), len(name_of))
    if label.startswith(".") and label != ".__class__":
        return _E["property"], name_of.setdefault(label[1:], len(name_of))
    if label.startswith("[") or label.startswith("{"):
        return _E["property"], name_of.setdefault(label, len(name_of))
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label.lstrip(".")
    return _E["internal"], name_of.setdefault(inner, len(name_of))


def _attribute_label(label: str) -> str:
    """A ``__dict__`` item's label as its owner's: ``['rows']`` -> ``.rows``."""
    m = _NAME_KEY.fullmatch(label)
    if m and m.group(1).isidentifier():
        return "." + m.group(1)
    return ".__dict__" + label


def _instance_dicts(graph: HeapGraph) -> dict[int, int]:
    """owner -> its ``__dict__`` node, for every dict whose one referrer is
    its owner's ``.__dict__`` edge. C-speed scans of the edge arrays; Python
    work only per candidate."""
    try:
        dict_label = graph.label_names.index(".__dict__")
    except ValueError:
        return {}
    is_dict = [name == "dict" for name in graph.type_names]
    offsets, targets, types = graph.offsets, graph.targets, graph.types
    positions = list(compress(range(len(graph.labels)), map(dict_label.__eq__, graph.labels)))
    owner_of: dict[int, int] = {}
    for e in positions:
        t = targets[e]
        if is_dict[types[t]]:
            owner = bisect_right(offsets, e) - 1
            # a dict reached by two .__dict__ edges (shared) is not folded
            owner_of[t] = -1 if t in owner_of or owner == t else owner
    if not owner_of:
        return {}
    candidate = bytearray(graph.n)
    for t, owner in owner_of.items():
        if owner >= 0:
            candidate[t] = 1
    referred = dict.fromkeys(owner_of, 0)
    for t in compress(targets, map(candidate.__getitem__, targets)):
        referred[t] += 1
    folded = {o: t for t, o in owner_of.items() if o >= 0 and referred[t] == 1}
    return {o: t for o, t in folded.items() if o not in owner_of}


def _ids(graph: HeapGraph, from_v8: bool) -> array[int]:
    """32-bit ids, unique, never 0, 1 or 3."""
    out = array("I", ((i if from_v8 else i >> 4) & _MAX32 for i in graph.ids))
    seen = {0, _ROOT_ID, _OUTSIDE_ID}
    clash = []
    for v, i in enumerate(out):
        if i in seen:
            clash.append(v)
        else:
            seen.add(i)
    if clash:
        nxt = max(seen) + 2
        for v in clash:
            while nxt in seen or nxt > _MAX32:
                nxt = nxt + 2 if nxt <= _MAX32 else 5
            out[v] = nxt
            seen.add(nxt)
    return out


def _outside_heads(graph: HeapGraph) -> list[int]:
    """Nodes no root reaches, one per part that nothing else reaches: each
    unreached node, in order, that an earlier head does not reach."""
    seen = bytearray(graph.n)
    offsets, targets = graph.offsets, graph.targets

    def mark(starts: Iterable[int]) -> None:
        stack = [v for v in starts if not seen[v]]
        for v in stack:
            seen[v] = 1
        while stack:
            v = stack.pop()
            for w in targets[offsets[v] : offsets[v + 1]]:
                if not seen[w]:
                    seen[w] = 1
                    stack.append(w)

    if _reach is not None and graph.offsets.itemsize == 8 and graph.targets.itemsize == 4:
        seen[:] = _reach(offsets, targets, [node for node, _ in graph.roots])
    else:
        mark(node for node, _ in graph.roots)
    heads = []
    for v in range(graph.n):
        if not seen[v]:
            heads.append(v)
            mark((v,))
    return heads


def to_v8_bytes(snapshot: Snapshot) -> bytes:
    """The ``.heapsnapshot`` document of a graph snapshot, as bytes."""
    graph = snapshot.graph
    if graph is None:
        raise ValueError("a V8 heap snapshot needs an object graph: take it with graph=True")
    from_v8 = snapshot.format_version == "v8"
    n = graph.n
    strings: dict[str, int] = {"<dummy>": 0, "": 1}

    def s(text: str) -> int:
        return strings.setdefault(text, len(strings))

    roots = list(dict.fromkeys(graph.roots))  # (node, description), each once
    heads = _outside_heads(graph)
    # node 0: root; node 1: (held outside Python); node v + 2: graph node v
    ntype = array("I", (_node_type(t, from_v8) for t in graph.type_names))
    type_name_ids = array("I", (s(t) for t in graph.type_names))
    edge_of = [_edge(label, strings) for label in graph.label_names]
    nodes = array("I", bytes(4 * _NF * (n + 2)))
    nodes[0:_NF] = array("I", [_T["synthetic"], 1, _ROOT_ID, 0, len(roots) + 1, 0, 0])
    nodes[_NF : 2 * _NF] = array(
        "I", [_T["synthetic"], s("(held outside Python)"), _OUTSIDE_ID, 0, len(heads), 0, 0]
    )
    body = slice(2 * _NF, None, _NF)
    nodes[body] = array("I", map(ntype.__getitem__, graph.types))
    nodes[2 * _NF + 1 :: _NF] = array("I", map(type_name_ids.__getitem__, graph.types))
    nodes[2 * _NF + 2 :: _NF] = _ids(graph, from_v8)
    nodes[2 * _NF + 3 :: _NF] = array("I", (min(x, _MAX32) for x in graph.sizes))
    off = graph.offsets
    counts = array("I", (off[v + 1] - off[v] for v in range(n)))
    folded = _instance_dicts(graph)
    for owner, d in folded.items():
        counts[owner] += counts[d]
        counts[d] = 0
    nodes[2 * _NF + 4 :: _NF] = counts
    m = len(roots) + 1 + len(heads) + graph.edge_count
    edges = array("I", bytes(4 * 3 * m))
    head = [
        *(x for node, desc in roots for x in (_E["shortcut"], s(desc), (node + 2) * _NF)),
        _E["element"], 1, _NF,
        *(x for k, v in enumerate(heads, 1) for x in (_E["element"], k, (v + 2) * _NF)),
    ]  # fmt: skip
    k = len(head)
    edges[:k] = array("I", head)
    etype = array("I", (t for t, _ in edge_of))
    ename = array("I", (x for _, x in edge_of))
    labels, targets = graph.labels, graph.targets
    if folded:
        labels, targets = _fold(graph, folded, len(edge_of))
        for label in graph.label_names:
            t, x = _edge(_attribute_label(label), strings)
            etype.append(t)
            ename.append(x)
    edges[k::3] = array("I", map(etype.__getitem__, labels))
    edges[k + 1 :: 3] = array("I", map(ename.__getitem__, labels))
    edges[k + 2 :: 3] = array("I", ((t + 2) * _NF for t in targets))
    return _document(n + 2, m, nodes, edges, list(strings))


def _fold(graph: HeapGraph, folded: dict[int, int], shift: int) -> tuple[array[int], array[int]]:
    """Edge labels and targets in V8's order once each folded dict's items
    follow its owner's own edges (their labels shifted by ``shift``, the
    attribute variants) and the dict keeps none."""
    off, labels, targets = graph.offsets, graph.labels, graph.targets
    out_labels = array(labels.typecode)
    out_targets = array(targets.typecode)
    dicts = set(folded.values())
    start = 0
    for v in sorted(folded.keys() | dicts):
        if v in dicts:  # copy up to the dict's own edges, and skip them
            out_labels.extend(labels[start : off[v]])
            out_targets.extend(targets[start : off[v]])
            start = off[v + 1]
        if v in folded:  # the owner's edges, then its dict's items
            out_labels.extend(labels[start : off[v + 1]])
            out_targets.extend(targets[start : off[v + 1]])
            start = off[v + 1]
            d = folded[v]
            out_labels.extend(x + shift for x in labels[off[d] : off[d + 1]])
            out_targets.extend(targets[off[d] : off[d + 1]])
    out_labels.extend(labels[start:])
    out_targets.extend(targets[start:])
    return out_labels, out_targets


def _rows(values: array[int]) -> Iterable[bytes]:
    # a million numbers per piece keeps the transient strings small
    step = 1 << 20
    for start in range(0, len(values), step):
        part = values[start : start + step]
        yield _format(part) if _format is not None else ",".join(map(str, part)).encode()


def _document(n: int, m: int, nodes: array[int], edges: array[int], strings: list[str]) -> bytes:
    meta: dict[str, Any] = {
        "node_fields": NODE_FIELDS,
        "node_types": [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
        "edge_fields": ["type", "name_or_index", "to_node"],
        "edge_types": [EDGE_TYPES, "string_or_number", "node"],
        "trace_function_info_fields": [
            "function_id", "name", "script_name", "script_id", "line", "column",
        ],
        "trace_node_fields": ["id", "function_info_index", "count", "size", "children"],
        "sample_fields": ["timestamp_us", "last_assigned_id"],
        "location_fields": ["object_index", "script_id", "line", "column"],
    }  # fmt: skip
    header = {"meta": meta, "node_count": n, "edge_count": m, "trace_function_count": 0}
    parts = [b'{"snapshot":', json.dumps(header, separators=(",", ":")).encode(), b',\n"nodes":[']
    parts += _joined(_rows(nodes))
    parts.append(b'],\n"edges":[')
    parts += _joined(_rows(edges))
    parts.append(b'],\n"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n')
    parts.append(b'"locations":[],\n"strings":[')
    parts.append(",\n".join(json.dumps(x, ensure_ascii=False) for x in strings).encode())
    parts.append(b"]}\n")
    return b"".join(parts)


def _joined(pieces: Iterable[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for p in pieces:
        if out and p:
            out.append(b"\n,")
        if p:
            out.append(p)
    return out


def write_v8(snapshot: Snapshot, path: str, *, compress: Optional[bool] = None) -> str:
    """Write ``snapshot`` (which must hold a graph) to ``path`` as a V8 heap
    snapshot, atomically; gzip when the name ends in ``.gz`` (or when
    ``compress`` says so). Returns ``path``."""
    data = to_v8_bytes(snapshot)
    if compress if compress is not None else path.endswith(".gz"):
        data = gzip.compress(data, compresslevel=1, mtime=0)
    atomic_write(path, data, clobber=True)
    return path
