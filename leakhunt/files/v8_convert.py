"""A V8 heap snapshot as a leakhunt Snapshot: a type histogram and a
HeapGraph, so that every command (inspect, diff, graph, report) reads
Node.js and Chrome files the way it reads Python ones.

The mapping (see docs/v8.md):

- **Types** are DevTools' class names: an ``object`` or ``native`` node is
  named by its constructor (``ExportJob``, ``Array``, ``Map``); a plain
  ``Object`` by its property names (``{id, customer, date}``, DevTools'
  interface names), so a leak of one shape is not lost in one ``Object``
  lump; ``closure`` -> ``Function``, ``code`` -> ``(compiled code)``,
  ``hidden`` -> ``(system)``, ``regexp`` -> ``RegExp``, any other type in
  brackets: ``(string)``, ``(number)``, ``(array)``.
- **Edges**: property ``p`` -> ``.p``; element or hidden ``i`` -> ``[i]``;
  context ``x`` -> ``context 'x'``; internal ``n`` -> ``<n>``. Weak edges do
  not retain and are dropped, so are shortcut edges (they duplicate a real
  path) and the WeakMap table -> value edge (the value lives as long as its
  key, which keeps its own edge), as DevTools does.
- **Roots**, in DevTools' order: what V8's root holds (``global``, Node's
  embedder roots), then the GC sub-roots (``(Stack roots)``, ``(Global
  handles)``). An edge from an object that only the GC sub-roots reach into
  one a user root reaches is left out, so a retainer path starts from the
  program's globals and closures, not from whatever was on the stack when
  the snapshot was written (DevTools' distances do the same).
- **ids** are V8's object ids: stable for the life of the process, so an
  object keeps its id in every snapshot of one process (exact "new since
  baseline"). **lengths** count element edges, so a growing Array is named.
- **sizes** are V8's shallow sizes as written (DevTools moves the size of
  an object's own backing stores into it; leakhunt keeps them apart).
"""

from __future__ import annotations

import os
import re
from array import array
from collections.abc import Callable
from itertools import compress
from typing import Any, Optional

from .._text import printable
from ..errors import SnapshotFileError
from ..model import HeapGraph, Snapshot, TypeStat
from .v8_read import V8Heap, read_v8_heap

__all__ = ["FORMAT_VERSION", "class_names", "read_v8_snapshot", "v8_snapshot"]

#: What a Snapshot read from a V8 file carries as its format_version.
FORMAT_VERSION = "v8"
#: How many property names a plain Object's interface name lists.
INTERFACE_NAMES = 8

_C: Any
try:  # the compiled conversion; the functions below are its pure-Python twins
    from . import _v8

    _C = _v8
except ImportError:  # pragma: no cover - no compiler at install time
    _C = None

_TABLE_ID = re.compile(r"\(table @(\d+)\)$")
_FIXED_CLASS = {
    "hidden": "(system)",
    "code": "(compiled code)",
    "closure": "Function",
    "regexp": "RegExp",
}


def _class_of(node_type: str, name: str) -> str:
    # names come from the file: shown escaped everywhere (leakhunt._text)
    if node_type in ("object", "native"):
        if name.startswith("<") and " " in name:
            return printable(name[: name.index(" ")] + ">")  # DevTools cuts "<tag attr...>"
        return printable(name)
    return _FIXED_CLASS.get(node_type) or printable(f"({node_type})")


def class_names(h: V8Heap, *, compiled: bool = False) -> tuple[array[int], list[str]]:
    """(class index per node, class names): DevTools' class keys, before
    plain ``Object``s get their interface names (:func:`_interfaces`)."""
    nf = len(h.node_fields)
    width = len(h.strings)
    if compiled:
        keys = array("Q", bytes(8 * h.node_count))
        _C.node_keys(h.nodes, nf, h.node_field("type"), h.node_field("name"), width, keys)
        per_node = array("I", bytes(4 * h.node_count))
        distinct = array("Q")
        distinct.frombytes(_C.intern(keys, per_node))
        del keys
    else:
        types = h.nodes[h.node_field("type") :: nf]
        names = h.nodes[h.node_field("name") :: nf]
        per_node, distinct = _intern_py(
            array("Q", (t * width + s for t, s in zip(types, names, strict=True)))
        )
    by_name: dict[str, int] = {}
    remap = array("I")
    for k in distinct:
        t, s = divmod(k, width)
        remap.append(by_name.setdefault(_class_of(h.node_types[t], h.strings[s]), len(by_name)))
    if len(by_name) < len(distinct):
        if compiled:
            _C.remap(per_node, remap)
        else:
            per_node = array("I", map(remap.__getitem__, per_node))
    return per_node, list(by_name)


def _interfaces(
    h: V8Heap,
    per_node: array[int],
    class_list: list[str],
    offsets: array[int],
    keys: array[int],
    *,
    compiled: bool = False,
) -> None:
    """Rename plain Objects by the names of their own properties (read from
    the kept edges' keys, before they are numbered)."""
    if "Object" not in class_list or "property" not in h.edge_types:
        return
    plain = class_list.index("Object")
    prop = h.edge_types.index("property")
    strings = h.strings
    by_name: dict[str, int] = {}

    def text(i: int) -> str:  # a name past the string table reads as its number
        return strings[i] if i < len(strings) else str(i)

    def name_of(v: int) -> Optional[str]:
        props = [
            text(k & 0xFFFFFFFF)
            for k in keys[offsets[v] : offsets[v + 1]]
            if k >> 32 == prop and text(k & 0xFFFFFFFF) != "__proto__"
        ]
        if not props:
            return None
        more = ", …" if len(props) > INTERFACE_NAMES else ""
        return printable("{" + ", ".join(props[:INTERFACE_NAMES]) + more + "}")

    def class_of(name: str) -> int:
        c = by_name.get(name)
        if c is None:
            c = by_name[name] = len(class_list)
            class_list.append(name)
        return c

    if compiled:
        # one name per distinct property list, not per object: hash the
        # lists in C, name the first object of each
        n = len(per_node)
        hashes = array("Q", bytes(8 * n))
        skip = strings.index("__proto__") if "__proto__" in strings else 0xFFFFFFFF
        _C.interfaces(offsets, keys, per_node, plain, prop, skip, hashes)
        idx = array("I", bytes(4 * n))
        distinct = array("Q")
        distinct.frombytes(_C.intern(hashes, idx))
        del hashes
        first = array("I")
        first.frombytes(_C.firsts(idx, len(distinct)))
        table = array("I", [0xFFFFFFFF]) * len(distinct)
        for j, (hsh, v) in enumerate(zip(distinct, first, strict=True)):
            name = name_of(v) if hsh else None
            if name is not None:
                table[j] = class_of(name)
        _C.assign(per_node, idx, table)
        return
    for v in compress(range(len(per_node)), map(plain.__eq__, per_node)):
        name = name_of(v)
        if name is not None:
            per_node[v] = class_of(name)


# ------------------------------------------------------------ edges (twins)


def _edges_py(
    h: V8Heap, keep_types: int, drop_names: dict[int, int]
) -> tuple[array[int], array[int], array[int], array[int]]:
    """(offsets, targets, label keys per edge, ids) of the kept edges: a
    label key is ``edge type << 32 | name_or_index``; ``drop_names`` maps a
    string index to the id of the only source whose edge by that name is
    dropped (WeakMap tables)."""
    nf, ef = len(h.node_fields), len(h.edge_fields)
    n = h.node_count
    counts = h.nodes[h.node_field("edge_count") :: nf]
    ids = h.nodes[h.node_field("id") :: nf]
    etypes = h.edges[h.edge_field("type") :: ef]
    enames = h.edges[h.edge_field("name_or_index") :: ef]
    etos = h.edges[h.edge_field("to_node") :: ef]
    offsets = array("Q", bytes(8 * (n + 1)))
    targets: array[int] = array("I")
    keys: array[int] = array("Q")
    e = 0
    for v in range(n):
        src_id = ids[v]
        end = e + counts[v]
        for p in range(e, end):
            t = etypes[p]
            if not keep_types >> t & 1:
                continue
            name = enames[p]
            if drop_names and drop_names.get(name, -1) == src_id:
                continue
            to = etos[p]
            if to % nf:
                raise ValueError("an edge's to_node is not a node's start")
            targets.append(to // nf)
            keys.append(t << 32 | name)
        e = end
        offsets[v + 1] = len(targets)
    return offsets, targets, keys, ids


def _edges_c(
    h: V8Heap, keep_types: int, drop_names: dict[int, int]
) -> tuple[array[int], array[int], array[int], array[int]]:
    """The compiled twin of :func:`_edges_py`."""
    nf, ef = len(h.node_fields), len(h.edge_fields)
    drop = array("q", [-1]) * (max(drop_names) + 1 if drop_names else 0)
    for name, table in drop_names.items():
        drop[name] = table
    offsets = array("Q", bytes(8 * (h.node_count + 1)))
    targets = array("I", bytes(4 * h.edge_count))
    keys = array("Q", bytes(8 * h.edge_count))
    kept = _C.edges(
        h.nodes,
        h.edges,
        nf,
        ef,
        h.node_field("edge_count"),
        h.node_field("id"),
        h.edge_field("type"),
        h.edge_field("name_or_index"),
        h.edge_field("to_node"),
        keep_types,
        drop,
        offsets,
        targets,
        keys,
    )
    del targets[kept:], keys[kept:]
    return offsets, targets, keys, h.nodes[h.node_field("id") :: nf]


def _intern_py(keys: array[int]) -> tuple[array[int], array[int]]:
    """(dense label index per edge, the distinct keys in first-seen order)."""
    index: dict[int, int] = {}
    labels = array("I", (index.setdefault(k, len(index)) for k in keys))
    return labels, array("Q", index)


def _reach_py(offsets: array[int], targets: array[int], roots: list[int]) -> bytearray:
    seen = bytearray(len(offsets) - 1)
    stack = []
    for r in roots:
        if not seen[r]:
            seen[r] = 1
            stack.append(r)
    while stack:
        v = stack.pop()
        for w in targets[offsets[v] : offsets[v + 1]]:
            if not seen[w]:
                seen[w] = 1
                stack.append(w)
    return seen


def _drop_into_py(
    offsets: array[int], targets: array[int], labels: array[int], mark: bytearray
) -> tuple[array[int], array[int], array[int]]:
    """Drop every edge from an unmarked node into a marked one."""
    n = len(offsets) - 1
    new_off = array("Q", bytes(8 * (n + 1)))
    new_t: array[int] = array("I")
    new_l: array[int] = array("I")
    for v in range(n):
        a, b = offsets[v], offsets[v + 1]
        if mark[v]:
            new_t.extend(targets[a:b])
            new_l.extend(labels[a:b])
        else:
            for p in range(a, b):
                w = targets[p]
                if not mark[w]:
                    new_t.append(w)
                    new_l.append(labels[p])
        new_off[v + 1] = len(new_t)
    return new_off, new_t, new_l


def _count_elements_py(
    offsets: array[int], labels: array[int], element_labels: bytearray
) -> array[int]:
    n = len(offsets) - 1
    lengths = array("Q", bytes(8 * n))
    for v in range(n):
        c = 0
        for lab in labels[offsets[v] : offsets[v + 1]]:
            c += element_labels[lab]
        lengths[v] = c
    return lengths


# ------------------------------------------------------------ the snapshot


def _label_text(edge_type: str, name: int, strings: tuple[str, ...]) -> str:
    if edge_type in ("element", "hidden"):
        return f"[{name}]"
    text = strings[name] if name < len(strings) else str(name)
    if edge_type == "property":
        return f".{text}"
    if edge_type == "context":
        return f"context '{text}'"
    return f"<{text}>"


def _weakmap_names(h: V8Heap) -> dict[int, int]:
    drop: dict[int, int] = {}
    for i, s in enumerate(h.strings):
        if s.startswith("part of key ") and "WeakMap" in s:
            m = _TABLE_ID.search(s)
            if m:
                drop[i] = int(m.group(1))
    return drop


def v8_snapshot(
    h: V8Heap,
    *,
    label: Optional[str] = None,
    compiled: Optional[bool] = None,
    progress: Optional[Callable[[str], None]] = None,
) -> Snapshot:
    """The leakhunt Snapshot of V8 heap ``h`` (with its HeapGraph)."""
    use_c = _C is not None if compiled is None else compiled
    if use_c and _C is None:
        raise RuntimeError("leakhunt.files._v8 is not built")
    say = progress or (lambda _stage: None)
    nf = len(h.node_fields)
    et = h.edge_types
    keep = 0
    for i, name in enumerate(et):
        if name not in ("weak", "shortcut"):
            keep |= 1 << i
    drop_names = _weakmap_names(h) if "internal" in et else {}
    say("converting nodes")
    per_node, class_list = class_names(h, compiled=use_c)
    say("converting edges")
    if use_c:
        offsets, targets, keys, ids = _edges_c(h, keep, drop_names)
        labels = array("I", bytes(4 * len(keys)))
        distinct = array("Q")
        distinct.frombytes(_C.intern(keys, labels))
    else:
        offsets, targets, keys, ids = _edges_py(h, keep, drop_names)
        labels, distinct = _intern_py(keys)
    _interfaces(h, per_node, class_list, offsets, keys, compiled=use_c)
    del keys
    texts = [printable(_label_text(et[k >> 32], k & 0xFFFFFFFF, h.strings)) for k in distinct]
    unique: dict[str, int] = {}
    remap = [unique.setdefault(t, len(unique)) for t in texts]
    if len(unique) < len(texts):  # "[3]" as element and as hidden edge: one label
        if use_c:
            _C.remap(labels, array("I", remap))
        else:
            labels = array("I", map(remap.__getitem__, labels))
    label_names = tuple(unique)
    roots_user, roots_gc = _roots(h, per_node, class_list)
    say("ordering roots")
    if roots_gc and roots_user:
        user = [r for r, _ in roots_user]
        if use_c:
            kept = _C.drop_into(offsets, targets, labels, _C.reach(offsets, targets, user))
            del targets[kept:], labels[kept:]
        else:
            mark = _reach_py(offsets, targets, user)
            offsets, targets, labels = _drop_into_py(offsets, targets, labels, mark)
    element = bytearray(len(label_names))
    numeric = {i for i, name in enumerate(et) if name == "element"}
    for i, k in enumerate(distinct):
        if (k >> 32) in numeric:
            element[remap[i]] = 1
    if use_c:
        lengths = array("Q", bytes(8 * h.node_count))
        _C.count_elements(offsets, labels, element, lengths)
    else:
        lengths = _count_elements_py(offsets, labels, element)
    sizes = array("Q", h.nodes[h.node_field("self_size") :: nf])
    graph = HeapGraph(
        ids=array("Q", ids),
        types=per_node,
        type_names=tuple(class_list),
        sizes=sizes,
        offsets=offsets,
        targets=targets,
        labels=labels,
        label_names=label_names,
        roots=tuple(roots_user + roots_gc),
        lengths=lengths,
        validate=False,  # every index was checked by the reader and the converter
    )
    say("counting types")
    stat_count = array("Q", bytes(8 * len(class_list)))
    stat_size = array("Q", bytes(8 * len(class_list)))
    if use_c:
        _C.tally(per_node, sizes, stat_count, stat_size)
    else:
        for c, size in zip(per_node, sizes, strict=True):
            stat_count[c] += 1
            stat_size[c] += size
    types = [
        TypeStat(class_list[c], stat_count[c], stat_size[c])
        for c in range(len(class_list))
        if stat_count[c]
    ]
    types.sort(key=lambda t: (-t.size, t.name))
    try:
        wall = os.stat(h.path).st_mtime
    except OSError:
        wall = 0.0
    return Snapshot(
        label=printable(label if label is not None else _label_from(h.path)),
        types=tuple(types),
        wall_time=wall,
        monotonic_time=0.0,
        pid=0,
        python_version="",
        leakhunt_version="",
        walker="v8",
        platform="V8 heap snapshot",
        format_version=FORMAT_VERSION,
        path=h.path,
        graph=graph,
    )


def _label_from(path: str) -> str:
    base = os.path.basename(path)
    for suffix in (".gz", ".heapsnapshot", ".json"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base or "heapsnapshot"


def _roots(
    h: V8Heap, per_node: array[int], class_list: list[str]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(user roots, GC sub-roots): the children of V8's root (node 0) other
    than ``(GC roots)``, then the children of ``(GC roots)``."""
    nf, ef = len(h.node_fields), len(h.edge_fields)
    nodes, edges = h.nodes, h.edges
    ecf, namef = h.node_field("edge_count"), h.node_field("name")
    to = h.edge_field("to_node")

    def children(v: int) -> list[int]:
        first = sum(nodes[ecf : v * nf : nf])
        return [edges[e * ef + to] // nf for e in range(first, first + nodes[v * nf + ecf])]

    def describe(v: int) -> str:
        return printable(h.strings[nodes[v * nf + namef]]) or class_list[per_node[v]]

    user: list[tuple[int, str]] = []
    gc: list[tuple[int, str]] = []
    for c in dict.fromkeys(children(0)):
        if describe(c) == "(GC roots)":
            gc.extend((g, describe(g)) for g in dict.fromkeys(children(c)))
        else:
            user.append((c, describe(c)))
    if not user and not gc:
        user.append((0, describe(0) or "(root)"))
    return user, gc


def read_v8_snapshot(
    path: str, *, compiled: Optional[bool] = None, progress: Optional[Callable[[str], None]] = None
) -> Snapshot:
    """Read and convert the V8 heap snapshot at ``path``; SnapshotFileError
    (one line) for a file that is not one."""
    say = progress or (lambda _stage: None)
    say("reading")
    heap = read_v8_heap(path, compiled=compiled)
    try:
        return v8_snapshot(heap, compiled=compiled, progress=progress)
    except ValueError as e:
        raise SnapshotFileError(path, f"malformed V8 heap snapshot: {e}") from None
