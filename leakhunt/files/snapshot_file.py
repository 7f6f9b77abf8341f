"""Snapshot files: plain JSON (gzip-compressed when the name ends in ``.gz``),
versioned, written atomically, read defensively.

The format is documented field by field in ``docs/snapshot-format.md``.
Nothing here evaluates or unpickles anything: a snapshot file is data.

>>> import os, tempfile
>>> from leakhunt.model import Snapshot, TypeStat
>>> s = Snapshot("demo", (TypeStat("dict", 2, 464),), 0.0, 0.0, 1, "3.11.7", "0.1.0")
>>> d = tempfile.mkdtemp()
>>> p = write_snapshot(s, os.path.join(d, "demo.lhs.json.gz"))
>>> read_snapshot(p).types
(TypeStat(name='dict', count=2, size=464),)
"""

from __future__ import annotations

import gzip
import json
import os
import re
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any, Optional

from .._text import printable
from .._version import __version__
from ..errors import SnapshotFileError
from ..model import GcInfo, ProcessMemory, Snapshot, TracemallocInfo, TypeStat
from .atomic import atomic_write, make_dirs
from .reading import DataError, gunzip_bounded, parse_json, read_file

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "SUFFIX",
    "next_snapshot_path",
    "read_snapshot",
    "snapshot_from_dict",
    "snapshot_to_dict",
    "write_snapshot",
]

FORMAT_NAME = "leakhunt.snapshot"
#: major.minor: a reader accepts any minor of its major (unknown fields are
#: ignored) and refuses a newer major.
FORMAT_VERSION = "1.2"
#: What a snapshot without an object graph is written as (readable by 1.0).
FORMAT_VERSION_NO_GRAPH = "1.0"
SUFFIX = ".lhs.json.gz"
_MAJOR = int(FORMAT_VERSION.split(".")[0])
_GZIP_MAGIC = b"\x1f\x8b"
_SEQ_RE = re.compile(r"^(\d{4,})-")
_SLUG_RE = re.compile(r"[^A-Za-z0-9._-]+")
_VERSION_RE = re.compile(r"(\d+)\.(\d+)")


# ---------------------------------------------------------------- writing


def _graph_section() -> Any:
    """The graph section's module, loaded on first use (a graph snapshot
    imports it before its walk: see capture.take_snapshot)."""
    from . import graph_section

    return graph_section


def _warm_stdlib_caches() -> None:
    """Fill the stdlib's one-time caches that writing a file touches (gzip
    packs its header with struct, whose format cache keeps a Struct and its
    format bytes, on 3.13), so that the first snapshot written does not show
    up as growth in the next one."""
    gzip.decompress(gzip.compress(b"{}", mtime=0))


_warm_stdlib_caches()


def clean_text(text: str) -> str:
    r"""``text`` as it can be stored: a lone surrogate (a file name read with
    ``os.listdir`` on a Latin-1 name, a hand-made ``__qualname__``) becomes
    its backslash escape (``caf\udce9``) instead of failing the write.

    >>> clean_text("caf\udce9")
    'caf\\udce9'
    """
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def snapshot_to_dict(s: Snapshot, *, placeholders: bool = False) -> dict[str, Any]:
    """The JSON document for ``s`` (see docs/snapshot-format.md); with
    ``placeholders``, its graph arrays stand in for themselves (see
    graph_section.graph_to_doc)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION if s.graph is not None else FORMAT_VERSION_NO_GRAPH,
        "label": None if s.label is None else clean_text(s.label),
        "seq": s.seq,
        "time": {"wall": s.wall_time, "monotonic": s.monotonic_time},
        "process": {
            "pid": s.pid,
            "python": s.python_version,
            "platform": s.platform,
            "leakhunt": s.leakhunt_version,
            "rss": s.memory.rss,
            "peak_rss": s.memory.peak_rss,
        },
        "gc": {
            "counts": list(s.gc.counts),
            "collections": list(s.gc.collections),
            "collected": s.gc.collected,
            "uncollectable": s.gc.uncollectable,
            "garbage": s.gc.garbage,
        },
        "tracemalloc": (
            None
            if s.tracemalloc is None
            else {"current": s.tracemalloc.current, "peak": s.tracemalloc.peak}
        ),
        "capture": {
            "walker": s.walker,
            "seconds": s.capture_seconds,
            "excluded_objects": s.excluded_objects,
        },
        "totals": {"count": s.total_count, "size": s.total_size},
        "types": [{"name": clean_text(t.name), "count": t.count, "size": t.size} for t in s.types],
        **(
            {}
            if s.graph is None
            else {"graph": _graph_section().graph_to_doc(s.graph, placeholders=placeholders)}
        ),
    }


#: Threads that compress a graph's arrays while this one writes (zlib lets
#: go of the GIL): the arrays of a 20M-object graph take 2 s to compress
#: alone. 1 in a background snapshot's forked child, which starts no thread
#: (capture.background).
COMPRESS_THREADS = 2


def _array_texts(graph: Any, names: list[str]) -> Iterator[Iterable[str]]:
    """Each array's base64 text, in pieces, in ``names``' order. With
    threads, every array is handed out at once and each text is kept until
    written: the texts of all the arrays, at most the file's size again.
    Plain threads (threading is loaded with leakhunt): importing
    concurrent.futures here would add a dozen modules to the heap between
    two snapshots, and a diff would show them."""
    gs = _graph_section()
    if COMPRESS_THREADS <= 1 or isinstance(graph, gs.PackedHeapGraph):  # compressed already
        for name in names:
            yield gs.array_pieces(graph, name)
        return
    texts: list[Optional[list[str]]] = [None] * len(names)
    failed: list[BaseException] = []
    done = [threading.Event() for _ in names]

    def work(first: int) -> None:
        for i in range(first, len(names), COMPRESS_THREADS):
            try:
                if not failed:
                    texts[i] = list(gs.array_pieces(graph, names[i]))
            except BaseException as e:  # handed to the writer, which raises it
                failed.append(e)
            finally:
                done[i].set()

    workers = [
        threading.Thread(target=work, args=(k,), name="leakhunt-compress", daemon=True)
        for k in range(COMPRESS_THREADS)
    ]
    for t in workers:
        t.start()
    try:
        for i in range(len(names)):
            done[i].wait()
            if failed:
                raise failed[0]
            text = texts[i]
            texts[i] = None
            yield text or []
    finally:
        failed.append(GeneratorExit())  # the workers stop at their next array
        for t in workers:
            t.join()


def _encode(s: Snapshot, compress: bool) -> Iterator[bytes]:
    """The file's bytes, in chunks. A graph's arrays are compressed and
    written one at a time in their place in the JSON text: the whole text
    of a 20M-object graph, its UTF-8 copy and its gzip copy (600 MB) are
    never held at once."""
    # mtime=0: the same snapshot always gives the same bytes. A graph's
    # arrays are compressed already; squeezing them again is slow.
    level = 6 if s.graph is None else 1
    deflate = zlib.compressobj(level, zlib.DEFLATED, 31) if compress else None  # 31: gzip

    def out(text: str) -> bytes:
        data = text.encode("utf-8")
        return deflate.compress(data) if deflate is not None else data

    gs = _graph_section() if s.graph is not None else None
    doc = snapshot_to_dict(s, placeholders=gs is not None)
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    del doc
    if gs is not None and s.graph is not None:
        graph = s.graph
        names = gs.array_names(graph)
        marks = [json.dumps(gs.PLACEHOLDER.format(n), ensure_ascii=False)[1:-1] for n in names]
        if all(text.count(m) == 1 for m in marks):  # no name in the heap can fake one
            for mark, pieces in zip(marks, _array_texts(graph, names), strict=True):
                head, text = text.split(mark, 1)
                yield out(head)
                for piece in pieces:
                    yield out(piece)
        else:  # pragma: no cover - a heap name containing a placeholder
            text = json.dumps(snapshot_to_dict(s), separators=(",", ":"), ensure_ascii=False)
    yield out(text)
    if deflate is not None:
        yield deflate.flush()


def write_snapshot(s: Snapshot, path: str) -> str:
    """Write ``s`` to ``path`` atomically (gzip when it ends in ``.gz``);
    an existing file is replaced. Returns ``path``."""
    return atomic_write(path, _encode(s, path.endswith(".gz")), clobber=True)


def _slug(label: Optional[str]) -> str:
    if not label:
        return "snapshot"
    slug = _SLUG_RE.sub("-", label).strip("-.")
    return slug[:60] or "snapshot"


def next_snapshot_path(directory: str, label: Optional[str]) -> str:
    """``DIR/NNNN-label.lhs.json.gz`` with NNNN one above the highest in DIR."""
    highest = 0
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        names = []
    for name in names:
        m = _SEQ_RE.match(name)
        if m and name.endswith(SUFFIX):
            highest = max(highest, int(m.group(1)))
    return os.path.join(directory, f"{highest + 1:04d}-{_slug(label)}{SUFFIX}")


def write_snapshot_in(s: Snapshot, directory: str) -> str:
    """Write ``s`` into ``directory`` under the next free sequence number.
    Two processes writing at once never overwrite each other."""
    make_dirs(directory)

    def free() -> str:
        return next_snapshot_path(directory, s.label)

    try:
        return atomic_write(free(), _encode(s, True), clobber=False, next_path=free)
    except FileExistsError:
        raise OSError(f"{directory}: could not find a free snapshot file name") from None


# ---------------------------------------------------------------- reading


def _load_document(path: str) -> Any:
    raw = read_file(path, what="snapshot")
    if not raw:
        raise SnapshotFileError(path, "empty file, not a leakhunt snapshot")
    if raw[:2] == _GZIP_MAGIC:
        raw = gunzip_bounded(raw, path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SnapshotFileError(path, "not a text or gzip file, not a leakhunt snapshot") from None
    try:
        return parse_json(text)
    except DataError as e:
        raise SnapshotFileError(path, f"{e}: not a leakhunt snapshot") from None
    except ValueError as e:
        if not isinstance(e, json.JSONDecodeError):
            raise SnapshotFileError(path, str(e)) from None
        raise SnapshotFileError(
            path, f"not valid JSON (line {e.lineno}, column {e.colno}): not a leakhunt snapshot"
        ) from None


class _Fields:
    """Typed access to a JSON object, raising one-line errors that name the
    file and the field."""

    def __init__(self, path: str, obj: Any, where: str) -> None:
        self.path = path
        self.where = where
        if not isinstance(obj, dict):
            raise SnapshotFileError(path, f"field '{where}' must be an object")
        self.obj = obj

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _bad(self, key: str, want: str, got: Any) -> SnapshotFileError:
        return SnapshotFileError(
            self.path, f"field '{self._name(key)}' must be {want}, got {type(got).__name__}"
        )

    def sub(self, key: str, *, optional: bool = False) -> Optional[_Fields]:
        v = self.obj.get(key)
        if v is None and optional:
            return None
        if not isinstance(v, dict):
            if v is None:
                raise SnapshotFileError(self.path, f"missing field '{self._name(key)}'")
            raise self._bad(key, "an object", v)
        return _Fields(self.path, v, self._name(key))

    def integer(self, key: str, default: Optional[int] = None, *, nullable: bool = False) -> Any:
        v = self.obj.get(key, default)
        if v is None and (nullable or default is not None):
            return v
        if v is None:
            raise SnapshotFileError(self.path, f"missing field '{self._name(key)}'")
        if isinstance(v, bool) or not isinstance(v, int):
            raise self._bad(key, "an integer", v)
        return v

    def num(self, key: str, default: Optional[float] = None) -> float:
        v = self.obj.get(key, default)
        if v is None:
            raise SnapshotFileError(self.path, f"missing field '{self._name(key)}'")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self._bad(key, "a number", v)
        return float(v)

    def text(self, key: str, default: Optional[str] = None, *, nullable: bool = False) -> Any:
        v = self.obj.get(key, default)
        if v is None and (nullable or default is not None):
            return v
        if v is None:
            raise SnapshotFileError(self.path, f"missing field '{self._name(key)}'")
        if not isinstance(v, str):
            raise self._bad(key, "a string", v)
        return v

    def ints(self, key: str) -> tuple[int, ...]:
        v = self.obj.get(key, [])
        if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, int) for x in v):
            raise self._bad(key, "a list of integers", v)
        return tuple(v)


def major_version(path: str, version: Any, error: type[SnapshotFileError]) -> int:
    """The MAJOR of a ``"MAJOR.MINOR"`` format version; raises ``error`` (one
    line naming the file) for anything else. Shared by every versioned file."""
    m = _VERSION_RE.fullmatch(version) if isinstance(version, str) else None
    if m is None:
        raise error(path, f"field 'format_version' must be \"MAJOR.MINOR\", got {version!r}")
    return int(m.group(1))


def _check_header(path: str, doc: Any) -> None:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise SnapshotFileError(
            path, f'not a leakhunt snapshot (no "format": "{FORMAT_NAME}" field)'
        )
    version = doc.get("format_version")
    major = major_version(path, version, SnapshotFileError)
    if major > _MAJOR:
        raise SnapshotFileError(
            path,
            f"written by a newer leakhunt (format {version}; leakhunt {__version__} reads "
            f"{_MAJOR}.x): upgrade leakhunt to read it",
        )
    if major < 1:
        raise SnapshotFileError(path, f"unsupported format version {version}")


def snapshot_from_dict(doc: Any, path: str = "<snapshot>") -> Snapshot:
    """Build a Snapshot from a parsed document; unknown fields are ignored."""
    _check_header(path, doc)
    top = _Fields(path, doc, "")
    t = top.sub("time")
    proc = top.sub("process")
    gcf = top.sub("gc", optional=True)
    tm = top.sub("tracemalloc", optional=True)
    cap = top.sub("capture", optional=True)
    raw_types = doc.get("types")
    if not isinstance(raw_types, list):
        raise SnapshotFileError(path, "missing field 'types' (a list of type statistics)")
    types: list[TypeStat] = []
    for i, row in enumerate(raw_types):
        f = _Fields(path, row, f"types[{i}]")
        # names are shown escaped everywhere (see leakhunt._text)
        types.append(TypeStat(printable(f.text("name")), f.integer("count"), f.integer("size")))
    assert t is not None and proc is not None
    return Snapshot(
        label=None if doc.get("label") is None else printable(top.text("label")),
        types=tuple(types),
        wall_time=t.num("wall"),
        monotonic_time=t.num("monotonic", 0.0),
        pid=proc.integer("pid", 0),
        python_version=proc.text("python", ""),
        leakhunt_version=proc.text("leakhunt", ""),
        memory=ProcessMemory(
            rss=proc.integer("rss", nullable=True), peak_rss=proc.integer("peak_rss", nullable=True)
        ),
        gc=(
            GcInfo()
            if gcf is None
            else GcInfo(
                counts=gcf.ints("counts"),
                collections=gcf.ints("collections"),
                collected=gcf.integer("collected", 0),
                uncollectable=gcf.integer("uncollectable", 0),
                garbage=gcf.integer("garbage", 0),
            )
        ),
        tracemalloc=None
        if tm is None
        else TracemallocInfo(tm.integer("current"), tm.integer("peak")),
        seq=top.integer("seq", 0),
        walker="unknown" if cap is None else cap.text("walker", "unknown"),
        capture_seconds=0.0 if cap is None else cap.num("seconds", 0.0),
        excluded_objects=0 if cap is None else cap.integer("excluded_objects", 0),
        platform=proc.text("platform", ""),
        format_version=str(doc["format_version"]),
        graph=(
            None
            if doc.get("graph") is None
            else _graph_section().graph_from_doc(path, doc["graph"])
        ),
    )


def _is_v8(path: str) -> bool:
    """Whether ``path`` holds a V8 heap snapshot (plain or gzip), by content."""
    from .reading import read_chunks
    from .v8_read import is_v8_head

    chunks = read_chunks(path, what="snapshot", chunk=256)
    head = b""
    try:
        for piece in chunks:
            head += piece
            if len(head) >= 64:
                break
    finally:
        chunks.close()
    return is_v8_head(head)


def read_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read a snapshot file: leakhunt's own, or a V8 ``.heapsnapshot`` from
    Node.js or Chrome (plain or gzip, recognised by content; see
    :mod:`leakhunt.files.v8_convert`). Raises SnapshotFileError (one line
    naming the file and the problem) for anything that is not a readable
    snapshot."""
    p = os.fspath(path)
    if _is_v8(p):
        from .v8_convert import read_v8_snapshot

        return read_v8_snapshot(p)
    doc = _load_document(p)
    return replace(snapshot_from_dict(doc, p), path=p)
