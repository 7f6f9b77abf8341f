"""The ``graph`` section of a snapshot file (format 1.2): a HeapGraph as
plain data. Each array is stored as little-endian bytes, zlib-compressed,
then base64 (JSON has no bytes), with its element type and length; names
are JSON lists. Since 1.2 the arrays whose neighbours are close (offsets:
they only grow; targets: children are numbered near their parent) are
stored as differences (``zlib_base64_delta``), which pack two to ten times
tighter and so cost less to compress. The ids (addresses) stay as they
are: the least compressible array anchors the ratio test that refuses
decompression bombs (a regular heap's differences pack 150 times). See
docs/snapshot-format.md."""

from __future__ import annotations

import base64
import binascii
import itertools
import operator
import os
import sys
import zlib
from array import array
from collections.abc import Callable, Iterator
from typing import Any, Optional

from .._text import printable, printable_all
from ..errors import SnapshotFileError
from ..model.heapgraph import HeapGraph
from ..model.owned import owned
from .snapshot_file import clean_text

__all__ = [
    "PLACEHOLDER", "PackedHeapGraph", "array_names", "array_pieces", "base64_pieces",
    "graph_from_doc", "graph_to_doc",
]  # fmt: skip

# field -> array typecode (Q: unsigned 64-bit, I: unsigned 32-bit)
_ARRAYS = {
    "ids": "Q",
    "types": "I",
    "sizes": "Q",
    "lengths": "I",
    "offsets": "Q",
    "targets": "I",
    "labels": "I",
}
_LITTLE = sys.byteorder == "little"
_FIELDS = (*_ARRAYS, "type_names", "label_names", "roots")


#: Arrays stored as differences (``zlib_base64_delta``), modulo 2**bits.
DELTA = frozenset({"offsets", "targets"})

_c_delta_decode: Optional[Callable[[array[int]], None]]
_c_delta_encode: Optional[Callable[[array[int], int, int], bytes]]
try:  # the compiled loops (leakhunt.files._v8); the Python lines are their twins
    from ._v8 import delta_decode as _c_delta_decode
    from ._v8 import delta_encode as _c_delta_encode
except ImportError:  # pragma: no cover - no compiler at install time
    _c_delta_decode = _c_delta_encode = None


def _delta_bytes(a: array[int], start: int, stop: int) -> bytes:
    """a[i] - a[i - 1] for i in range(start, stop), wrapping, little-endian."""
    if _c_delta_encode is not None:
        raw: bytes = _c_delta_encode(a, start, stop)
        if _LITTLE:
            return raw
        d = array(a.typecode)
        d.frombytes(raw)
    else:
        mask = (1 << (8 * a.itemsize)) - 1
        part = a[start:stop]
        prev = itertools.chain((a[start - 1] if start else 0,), part)
        d = array(a.typecode, ((x - y) & mask for x, y in zip(part, prev, strict=False)))
    if not _LITTLE:
        d.byteswap()
    return d.tobytes()


def _undelta(a: array[int]) -> None:
    """Running sums of ``a``, in place, wrapping as _delta_bytes did."""
    if _c_delta_decode is not None:
        _c_delta_decode(a)
        return
    mask = (1 << (8 * a.itemsize)) - 1
    a[:] = array(a.typecode, itertools.accumulate(a, lambda x, y: (x + y) & mask))


def _zlib_chunks(a: array[int], delta: bool) -> Iterator[bytes]:
    """The zlib stream of ``a`` (as differences when ``delta``), in chunks."""
    if not delta:
        if not _LITTLE:
            a = array(a.typecode, a)
            a.byteswap()
        yield zlib.compress(memoryview(a).cast("B"), 1)  # level 1: 3x faster, ~10% bigger
        return
    c = zlib.compressobj(1)
    step = 1 << 20
    for start in range(0, len(a), step):
        out = c.compress(_delta_bytes(a, start, min(len(a), start + step)))
        if out:
            yield out
    yield c.flush()


def base64_pieces(a: array[int], delta: bool, piece: int = 3 << 20) -> Iterator[str]:
    """The base64 text of ``a``'s compressed bytes, in pieces (whole
    3-byte groups each, so the pieces join into the one text)."""
    return _b64(_zlib_chunks(a, delta), piece)


def _key(name: str) -> str:
    return "zlib_base64_delta" if name in DELTA else "zlib_base64"


@owned
class PackedHeapGraph(HeapGraph):
    """A HeapGraph whose arrays are kept as a snapshot file stores them:
    the zlib streams the compiled walker wrote while it walked
    (``_walker.graph(..., packed=True)``), so a graph snapshot never holds
    its arrays uncompressed (issue 10: a few bytes per object, not 40).
    Each array is inflated the first time it is read; writing the graph to
    a file only copies the streams."""

    _streams: dict[str, tuple[int, bytes]]
    _inflated: dict[str, array[int]]

    def __init__(
        self,
        streams: dict[str, tuple[int, bytes]],
        type_names: tuple[str, ...],
        label_names: tuple[str, ...],
        roots: tuple[tuple[int, str], ...],
    ) -> None:
        for name in _ARRAYS:
            count, data = streams[name]
            if type(count) is not int or not isinstance(data, bytes):
                raise TypeError(f"packed array {name!r} must be (count, bytes)")
        n = streams["types"][0]
        if streams["offsets"][0] != n + 1 or streams["labels"][0] != streams["targets"][0]:
            raise ValueError("PackedHeapGraph: array counts disagree")
        for node, _ in roots:
            if not 0 <= node < n:
                raise ValueError(f"PackedHeapGraph: root node {node} out of range 0..{n - 1}")
        object.__setattr__(self, "_streams", dict(streams))
        object.__setattr__(self, "_inflated", {})
        object.__setattr__(self, "type_names", type_names)
        object.__setattr__(self, "label_names", label_names)
        object.__setattr__(self, "roots", roots)
        object.__setattr__(self, "_reverse", None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HeapGraph):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None  # type: ignore[assignment]  # as HeapGraph's: arrays do not hash

    @property
    def n(self) -> int:
        return int(self._streams["types"][0])

    @property
    def edge_count(self) -> int:
        return int(self._streams["targets"][0])

    def stream(self, name: str) -> tuple[int, bytes]:
        """(count, zlib stream) of array ``name``, as the file stores it."""
        return self._streams[name]

    def inflate(self, name: str) -> array[int]:
        """Array ``name``, inflated once and kept."""
        a = self._inflated.get(name)
        if a is None:
            count, data = self._streams[name]
            a = self._inflated[name] = _inflate(
                "<graph>", name, _ARRAYS[name], count, data, name in DELTA
            )
        return a


class _Inflated:
    """An array of a PackedHeapGraph, read on first use."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        return self if obj is None else obj.inflate(self.name)


for _name in _ARRAYS:  # class attributes, so mypy still sees HeapGraph's fields
    setattr(PackedHeapGraph, _name, _Inflated(_name))
del _name


def array_names(g: HeapGraph) -> list[str]:
    """The names of ``g``'s arrays, in the file's order (lengths may be None)."""
    if isinstance(g, PackedHeapGraph):
        return list(_ARRAYS)
    return [name for name in _ARRAYS if getattr(g, name) is not None]


def _count(g: HeapGraph, name: str) -> int:
    if isinstance(g, PackedHeapGraph):
        return g.stream(name)[0]
    return len(getattr(g, name))


def _b64(chunks: Iterator[bytes], piece: int) -> Iterator[str]:
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) >= piece:
            k = len(buf) - len(buf) % 3
            yield base64.b64encode(memoryview(buf)[:k]).decode("ascii")
            del buf[:k]
    if buf:
        yield base64.b64encode(buf).decode("ascii")


def array_pieces(g: HeapGraph, name: str, piece: int = 3 << 20) -> Iterator[str]:
    """The base64 text of ``g``'s array ``name`` as the file stores it."""
    if isinstance(g, PackedHeapGraph):  # compressed already: whole 3-byte groups per piece
        view, step = memoryview(g.stream(name)[1]), max(3, piece - piece % 3)
        return (
            base64.b64encode(view[i : i + step]).decode("ascii") for i in range(0, len(view), step)
        )
    return base64_pieces(getattr(g, name), name in DELTA, piece)


#: Stands for an array's base64 text in a document that is streamed
#: (graph_to_doc(..., placeholders=True)); never valid base64.
PLACEHOLDER = "\x00leakhunt-array:{}\x00"


def graph_to_doc(g: HeapGraph, *, placeholders: bool = False) -> dict[str, Any]:
    """The JSON document of ``g``. With ``placeholders``, each array's text
    is :data:`PLACEHOLDER` with its name, for a writer that streams the
    arrays in their place (:func:`array_pieces`) rather than holding every
    array's text, the whole JSON text and its compressed copy at once."""
    arrays = {
        name: {
            "type": _ARRAYS[name],
            "count": _count(g, name),
            _key(name): (
                PLACEHOLDER.format(name) if placeholders else "".join(array_pieces(g, name))
            ),
        }
        for name in array_names(g)
    }
    return {
        "nodes": g.n,
        "edges": g.edge_count,
        "arrays": arrays,
        "type_names": [clean_text(t) for t in g.type_names],
        "label_names": [clean_text(t) for t in g.label_names],
        "roots": [[node, clean_text(desc)] for node, desc in g.roots],
    }


# Deflate never packs more than 1032 bytes into one (RFC 1951's longest
# match, 258 bytes, in a 2-bit code at best): an array announcing more items
# than its compressed data can hold is refused before anything is inflated.
_DEFLATE_MAX_RATIO = 1032
# The arrays of real heaps pack 3 to 9 times (addresses and edge targets
# barely compress), about 5 times in all; even a heap of one object type
# repeated stays under 10. Past this ratio the data is no graph leakhunt
# wrote, and inflating it would cost memory the file does not justify.
_GRAPH_MAX_RATIO = 64
# Retained sizes are sums of sizes kept in unsigned 64-bit arrays.
_MAX_TOTAL_SIZE = 2**62
#: The most bytes all the arrays of one graph section may inflate to
#: ($LEAKHUNT_MAX_GRAPH_BYTES overrides it): about 100 million objects.
MAX_GRAPH_BYTES = int(os.environ.get("LEAKHUNT_MAX_GRAPH_BYTES", "") or 8 * 2**30)


def _spec(path: str, arrays: Any, name: str, code: str, *, optional: bool = False) -> Any:
    """``(count, base64 text, delta)`` of one array, checked for shape
    only; None for a missing optional array."""
    where = f"graph.arrays.{name}"
    spec = arrays.get(name) if isinstance(arrays, dict) else None
    if spec is None:
        if optional:
            return None
        raise SnapshotFileError(path, f"missing field '{where}'")
    if not isinstance(spec, dict) or spec.get("type") != code:
        raise SnapshotFileError(path, f"field '{where}' must be an array of type {code!r}")
    count, data = spec.get("count"), spec.get(_key(name))
    if data is None and name in DELTA:
        data = spec.get("zlib_base64")  # format 1.1 stored every array as it is
        delta = False
    else:
        delta = name in DELTA
    if type(count) is not int or not isinstance(data, str):
        raise SnapshotFileError(path, f"field '{where}' must have an integer count and data")
    if count < 0:
        raise SnapshotFileError(path, f"field '{where}': negative count {count}")
    # base64 holds 3 bytes in 4 characters
    if count * array(code).itemsize > _DEFLATE_MAX_RATIO * (len(data) * 3 // 4) + 64:
        raise SnapshotFileError(
            path, f"field '{where}': {count:,} items announced, more than its data can hold"
        )
    return count, data, delta


def _decode(path: str, name: str, code: str, count: int, data: str, delta: bool) -> array[int]:
    """The array, inflated to exactly the announced size and no further."""
    try:
        packed = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise SnapshotFileError(path, f"field 'graph.arrays.{name}': corrupt array data") from None
    return _inflate(path, name, code, count, packed, delta)


def _inflate(path: str, name: str, code: str, count: int, packed: bytes, delta: bool) -> array[int]:
    where = f"graph.arrays.{name}"
    a = array(code)
    want = count * a.itemsize
    try:
        d = zlib.decompressobj()
        raw = d.decompress(packed, want + 1)
        whole = d.eof
    except (zlib.error, ValueError):
        raise SnapshotFileError(path, f"field '{where}': corrupt array data") from None
    if len(raw) != want or not whole:
        raise SnapshotFileError(path, f"field '{where}': {count} items announced, data disagrees")
    a.frombytes(raw)
    del raw
    if not _LITTLE:
        a.byteswap()
    if delta:
        _undelta(a)
    return a


def _names(path: str, doc: dict[str, Any], key: str) -> tuple[str, ...]:
    v = doc.get(key)
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise SnapshotFileError(path, f"field 'graph.{key}' must be a list of strings")
    return printable_all(v)  # names are shown escaped everywhere (leakhunt._text)


def graph_from_doc(path: str, doc: Any) -> HeapGraph:
    """A HeapGraph from the document; SnapshotFileError for anything off."""
    if not isinstance(doc, dict):
        raise SnapshotFileError(path, "field 'graph' must be an object")
    arrays = doc.get("arrays")
    specs = {
        name: _spec(path, arrays, name, code, optional=name == "lengths")
        for name, code in _ARRAYS.items()
    }
    # The counts must agree with each other before anything is inflated, so
    # that a file claiming what it cannot hold costs no memory to refuse.
    n = specs["types"][0]
    for name, want in (("ids", n), ("sizes", n), ("lengths", n), ("offsets", n + 1)):
        if specs[name] is not None and specs[name][0] != want:
            raise SnapshotFileError(
                path,
                f"inconsistent object graph: {name} has {specs[name][0]:,} items for {n:,} nodes",
            )
    if specs["labels"][0] != specs["targets"][0]:
        raise SnapshotFileError(path, "inconsistent object graph: targets and labels disagree")
    total = sum(spec[0] * array(_ARRAYS[name]).itemsize for name, spec in specs.items() if spec)
    packed = sum(len(spec[1]) * 3 // 4 for spec in specs.values() if spec)
    if total > _GRAPH_MAX_RATIO * packed + 2**20:
        raise SnapshotFileError(
            path,
            f"object graph of {total:,} bytes in {packed:,} compressed: more than the graphs "
            "leakhunt writes pack (a decompression bomb?)",
        )
    if total > MAX_GRAPH_BYTES:
        raise SnapshotFileError(
            path,
            f"object graph of {total:,} bytes, more than leakhunt reads ({MAX_GRAPH_BYTES:,}; "
            "set LEAKHUNT_MAX_GRAPH_BYTES to raise the limit)",
        )
    got: dict[str, Any] = {
        name: None if spec is None else _decode(path, name, _ARRAYS[name], *spec)
        for name, spec in specs.items()
    }
    roots_raw = doc.get("roots")
    if not isinstance(roots_raw, list) or not all(
        isinstance(r, list)
        and len(r) == 2
        and isinstance(r[0], int)
        and not isinstance(r[0], bool)
        and isinstance(r[1], str)
        for r in roots_raw
    ):
        raise SnapshotFileError(path, "field 'graph.roots' must be a list of [node, description]")
    offsets, sizes = got["offsets"], got["sizes"]
    # What HeapGraph does not check and the analyses rely on: each node's
    # edges end where the next node's start, and the retained sizes (sums
    # of sizes in unsigned 64-bit arrays) cannot overflow.
    if not all(map(operator.le, offsets, itertools.islice(offsets, 1, None))):
        raise SnapshotFileError(path, "inconsistent object graph: offsets decrease")
    if sum(sizes) >= _MAX_TOTAL_SIZE:
        raise SnapshotFileError(path, "inconsistent object graph: sizes add up past any heap")
    try:
        return HeapGraph(
            ids=got["ids"],
            types=got["types"],
            type_names=_names(path, doc, "type_names"),
            sizes=got["sizes"],
            offsets=got["offsets"],
            targets=got["targets"],
            labels=got["labels"],
            label_names=_names(path, doc, "label_names"),
            roots=tuple((int(r[0]), printable(r[1])) for r in roots_raw),
            lengths=got["lengths"],
        )
    except ValueError as e:  # HeapGraph's own consistency checks
        raise SnapshotFileError(path, f"inconsistent object graph: {e}") from None
