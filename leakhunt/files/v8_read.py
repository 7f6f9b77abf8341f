"""V8 heap snapshots (``.heapsnapshot``, from Node.js or Chrome), read in a
stream: the flat ``nodes`` and ``edges`` arrays go straight into compact
integer arrays, never through a list of millions of Python ints, so a
233 MB file needs a few hundred MB, not ``json.load``'s 1.6 GB.

A V8 file is recognised by its content (it opens with ``{"snapshot":``),
gzip-compressed or not, whatever its name. Only what every reader needs is
required: ``snapshot.meta`` (``node_fields``, ``node_types``,
``edge_fields``, ``edge_types``), ``node_count``, ``edge_count``, ``nodes``,
``edges`` and ``strings``, in V8's order; fields are found by name, so older
files without ``detachedness`` and newer ones with more fields both read.

Anything else (truncated, wrong meta, an edge past the last node, a
``node_count`` the file cannot hold) is a :class:`SnapshotFileError`: one
line naming the file.

>>> import os, tempfile
>>> p = os.path.join(tempfile.mkdtemp(), "tiny.heapsnapshot")
>>> doc = ('{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count"],'
...        '"node_types":[["synthetic","object"]],"edge_fields":["type","name_or_index","to_node"],'
...        '"edge_types":[["property","weak"]]},"node_count":2,"edge_count":1},'
...        '"nodes":[0,0,1,0,1,1,1,3,40,0],"edges":[0,2,5],"strings":["","Session","user"]}')
>>> with open(p, "w") as f:
...     _ = f.write(doc)
>>> h = read_v8_heap(p)
>>> h.node_count, h.edge_count, h.strings[h.nodes[5 + 1]]
(2, 1, 'Session')
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import SnapshotFileError
from .reading import read_chunks

__all__ = ["V8Heap", "is_v8_head", "read_v8_heap"]

_HEAD = re.compile(rb'\s*\{\s*"snapshot"\s*:')
#: The header (``snapshot`` with its meta) is small; a file whose header
#: runs past this is not a V8 snapshot.
_MAX_HEADER = 1 << 20
_REQUIRED_NODE_FIELDS = ("type", "name", "id", "self_size", "edge_count")
_REQUIRED_EDGE_FIELDS = ("type", "name_or_index", "to_node")

_ParseInts = Callable[[bytes, "array[int]"], None]
_C_PARSE: Optional[_ParseInts]
try:  # the compiled number scanner; _parse_ints_py is its pure-Python twin
    from ._v8 import parse_ints as _c_parse_ints

    def _C_PARSE(data: bytes, out: array[int]) -> None:
        out.frombytes(_c_parse_ints(data))

except ImportError:  # pragma: no cover - no compiler at install time
    _C_PARSE = None


def is_v8_head(head: bytes) -> bool:
    """Whether the first bytes of a file (after gzip inflation) look like a
    V8 heap snapshot."""
    return _HEAD.match(head) is not None


@dataclass(frozen=True)
class V8Heap:
    """The raw arrays of one V8 heap snapshot, as V8 wrote them.

    ``nodes`` holds ``node_count * len(node_fields)`` unsigned integers,
    ``edges`` ``edge_count * len(edge_fields)``; ``node_types`` and
    ``edge_types`` name the type codes; ``strings`` is the string table.
    """

    path: str
    node_fields: tuple[str, ...]
    node_types: tuple[str, ...]
    edge_fields: tuple[str, ...]
    edge_types: tuple[str, ...]
    node_count: int
    edge_count: int
    nodes: array[int]
    edges: array[int]
    strings: tuple[str, ...]

    def node_field(self, name: str) -> int:
        """The offset of node field ``name`` within a node record."""
        return self.node_fields.index(name)

    def edge_field(self, name: str) -> int:
        """The offset of edge field ``name`` within an edge record."""
        return self.edge_fields.index(name)


def _parse_ints_py(data: bytes, out: array[int]) -> None:
    # json.loads is C-speed; array.extend refuses negatives and > 2**32-1
    out.extend(json.loads(b"[" + data + b"]"))


class _Stream:
    """A byte stream over the file's chunks with a little look-ahead."""

    def __init__(self, path: str, chunks: Iterator[bytes]) -> None:
        self.path = path
        self.chunks = chunks
        self.buf = b""
        self.pos = 0
        self.done = False

    def bad(self, problem: str) -> SnapshotFileError:
        return SnapshotFileError(self.path, problem)

    def more(self) -> bool:
        if self.done:
            return False
        piece = next(self.chunks, None)
        if piece is None:
            self.done = True
            return False
        self.buf = self.buf[self.pos :] + piece
        self.pos = 0
        return True

    def find(self, token: bytes, what: str, limit: Optional[int] = None) -> int:
        """Advance to just after ``token``; return how many bytes were skipped."""
        skipped = 0
        while True:
            i = self.buf.find(token, self.pos)
            if i >= 0:
                skipped += i - self.pos
                self.pos = i + len(token)
                return skipped
            keep = max(self.pos, len(self.buf) - len(token))
            skipped += keep - self.pos
            self.pos = keep
            if limit is not None and skipped > limit:
                raise self.bad(f"no {what} within {limit:,} bytes: not a V8 heap snapshot")
            if not self.more():
                raise self.bad(f"truncated V8 heap snapshot: no {what}")

    def expect(self, char: bytes, what: str) -> None:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in b" \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                break
            if not self.more():
                raise self.bad(f"truncated V8 heap snapshot: {what}")
        if self.buf[self.pos : self.pos + 1] != char:
            raise self.bad(f"malformed V8 heap snapshot: {what}")
        self.pos += 1

    def numbers(self, out: array[int], cap: int, section: str, parse: _ParseInts) -> None:
        """Parse a flat array of unsigned integers up to its ``]``, at most
        ``cap`` of them (the count the header announced)."""
        while True:
            end = self.buf.find(b"]", self.pos)
            cut = end if end >= 0 else self.buf.rfind(b",", self.pos)
            if cut > self.pos or end >= 0:
                piece = self.buf[self.pos : cut]
                if piece.strip(b" \t\r\n,"):
                    try:
                        parse(piece, out)
                    except (ValueError, OverflowError, TypeError):
                        raise self.bad(
                            f"malformed V8 heap snapshot: '{section}' must hold "
                            "unsigned 32-bit integers"
                        ) from None
                if len(out) > cap:
                    raise self.bad(
                        f"malformed V8 heap snapshot: '{section}' holds more numbers "
                        f"than the header's count ({cap:,})"
                    )
                if end >= 0:
                    self.pos = end + 1
                    return
                self.pos = cut + 1  # past the comma
            if not self.more():
                raise self.bad(f"truncated V8 heap snapshot: '{section}' does not end")

    def rest(self) -> bytes:
        parts = [self.buf[self.pos :]]
        if not self.done:
            parts.extend(self.chunks)
            self.done = True
        self.buf = b""
        self.pos = 0
        return b"".join(parts)


def _type_names(stream: _Stream, meta: dict[str, Any], key: str) -> tuple[str, ...]:
    types = meta.get(key)
    if (
        not isinstance(types, list)
        or not types
        or not isinstance(types[0], list)
        or not all(isinstance(t, str) for t in types[0])
    ):
        raise stream.bad(f"malformed V8 heap snapshot: 'snapshot.meta.{key}[0]' must list names")
    return tuple(types[0])


def _fields(
    stream: _Stream, meta: dict[str, Any], key: str, need: tuple[str, ...]
) -> tuple[str, ...]:
    fields = meta.get(key)
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise stream.bad(f"malformed V8 heap snapshot: 'snapshot.meta.{key}' must list names")
    missing = [f for f in need if f not in fields]
    if missing:
        raise stream.bad(
            f"malformed V8 heap snapshot: 'snapshot.meta.{key}' lacks {', '.join(missing)}"
        )
    return tuple(fields)


def _header(stream: _Stream) -> dict[str, Any]:
    while len(stream.buf) < 64 and stream.more():
        pass
    if not is_v8_head(stream.buf[:64]):
        raise stream.bad('not a V8 heap snapshot (it does not open with {"snapshot":)')
    # the header stays in the buffer until '"nodes"' is found (pos is 0)
    while (i := stream.buf.find(b'"nodes"')) < 0:
        if len(stream.buf) > _MAX_HEADER:
            raise stream.bad(f"no 'nodes' section within {_MAX_HEADER:,} bytes")
        if not stream.more():
            raise stream.bad("truncated V8 heap snapshot: no 'nodes' section")
    stream.pos = i + len(b'"nodes"')
    head = stream.buf[:i].rstrip(b" \t\r\n")
    if not head.endswith(b","):
        raise stream.bad("malformed V8 heap snapshot: no ',' before 'nodes'")
    try:
        doc = json.loads(head[:-1] + b"}")
    except (ValueError, RecursionError):
        raise stream.bad("malformed V8 heap snapshot: its 'snapshot' header is not JSON") from None
    snap = doc.get("snapshot") if isinstance(doc, dict) else None
    if not isinstance(snap, dict) or not isinstance(snap.get("meta"), dict):
        raise stream.bad("malformed V8 heap snapshot: no 'snapshot.meta'")
    return snap


def _count(stream: _Stream, snap: dict[str, Any], key: str) -> int:
    v = snap.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise stream.bad(f"malformed V8 heap snapshot: 'snapshot.{key}' must be a count")
    return v


def read_v8_heap(path: str, *, compiled: Optional[bool] = None) -> V8Heap:
    """Read the V8 heap snapshot at ``path`` (plain or gzip) in a stream.

    ``compiled`` forces (True) or avoids (False) the compiled number
    scanner; by default it is used when built."""
    parse: _ParseInts = _parse_ints_py
    if compiled or (compiled is None and _C_PARSE is not None):
        if _C_PARSE is None:
            raise RuntimeError("leakhunt.files._v8 is not built")
        parse = _C_PARSE
    stream = _Stream(path, read_chunks(path, what="V8 heap snapshot"))
    snap = _header(stream)
    meta = snap["meta"]
    node_fields = _fields(stream, meta, "node_fields", _REQUIRED_NODE_FIELDS)
    edge_fields = _fields(stream, meta, "edge_fields", _REQUIRED_EDGE_FIELDS)
    node_types = _type_names(stream, meta, "node_types")
    edge_types = _type_names(stream, meta, "edge_types")
    node_count = _count(stream, snap, "node_count")
    edge_count = _count(stream, snap, "edge_count")
    nodes: array[int] = array("I")
    edges: array[int] = array("I")
    stream.expect(b":", "no ':' after 'nodes'")
    stream.expect(b"[", "'nodes' must be an array")
    stream.numbers(nodes, node_count * len(node_fields), "nodes", parse)
    stream.find(b'"edges"', "'edges' section")
    stream.expect(b":", "no ':' after 'edges'")
    stream.expect(b"[", "'edges' must be an array")
    stream.numbers(edges, edge_count * len(edge_fields), "edges", parse)
    # trace, sample and location sections hold numbers only: the first
    # '"strings"' after the edges is the string table's key
    stream.find(b'"strings"', "'strings' section")
    stream.expect(b":", "no ':' after 'strings'")
    tail = stream.rest().rstrip(b" \t\r\n")
    if not tail.endswith(b"}"):
        raise stream.bad("truncated V8 heap snapshot: the 'strings' section does not end")
    try:
        strings = json.loads(tail[:-1])
    except (ValueError, RecursionError):
        raise stream.bad(
            "malformed or truncated V8 heap snapshot: 'strings' is not a JSON list"
        ) from None
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        raise stream.bad("malformed V8 heap snapshot: 'strings' must be a list of strings")
    heap = V8Heap(
        path=path,
        node_fields=node_fields,
        node_types=node_types,
        edge_fields=edge_fields,
        edge_types=edge_types,
        node_count=node_count,
        edge_count=edge_count,
        nodes=nodes,
        edges=edges,
        strings=tuple(strings),
    )
    _check(stream, heap)
    return heap


def _check(stream: _Stream, h: V8Heap) -> None:
    """Every index in range: the converter then reads without checks."""
    nf, ef = len(h.node_fields), len(h.edge_fields)
    if len(h.nodes) != h.node_count * nf:
        raise stream.bad(
            f"malformed V8 heap snapshot: 'node_count' says {h.node_count:,} nodes, "
            f"'nodes' holds {len(h.nodes) / nf:,.0f}"
        )
    if len(h.edges) != h.edge_count * ef:
        raise stream.bad(
            f"malformed V8 heap snapshot: 'edge_count' says {h.edge_count:,} edges, "
            f"'edges' holds {len(h.edges) / ef:,.0f}"
        )
    if h.node_count == 0:
        raise stream.bad("malformed V8 heap snapshot: no nodes")
    nodes, edges = h.nodes, h.edges
    t, name, ec = h.node_field("type"), h.node_field("name"), h.node_field("edge_count")
    if max(nodes[t::nf]) >= len(h.node_types):
        raise stream.bad("malformed V8 heap snapshot: a node type is not in 'node_types'")
    if max(nodes[name::nf]) >= len(h.strings):
        raise stream.bad("malformed V8 heap snapshot: a node name is past the 'strings' table")
    if sum(nodes[ec::nf]) != h.edge_count:
        raise stream.bad(
            "malformed V8 heap snapshot: the nodes' edge counts do not add up to 'edge_count'"
        )
    if h.edge_count:
        et, to = h.edge_field("type"), h.edge_field("to_node")
        if max(edges[et::ef]) >= len(h.edge_types):
            raise stream.bad("malformed V8 heap snapshot: an edge type is not in 'edge_types'")
        targets = edges[to::ef]
        if max(targets) >= len(nodes):
            raise stream.bad("malformed V8 heap snapshot: an edge points past the last node")
        if any(x % nf for x in _sample(targets)):
            raise stream.bad("malformed V8 heap snapshot: an edge's to_node is not a node's start")


def _sample(a: array[int]) -> array[int]:
    # to_node must be a multiple of the node field count; the converter
    # checks every one, this catches a wrong meta early and cheaply
    step = max(1, len(a) // 4096)
    return a[::step]
