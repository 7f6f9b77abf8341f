"""The timeline file format (JSON Lines, written by
:mod:`leakhunt.runtime.monitor`): its name and version, the header check, and
the reader. See docs/timeline-format.md.

``load_timeline`` tolerates damage at the end (a process killed mid-write
leaves a truncated last line): unreadable lines are skipped and counted.
Lines are read as bounded data: NaN and Infinity are refused, integers are
at most 20 digits, floats must be finite, nesting stays shallow (the one
parser for files from anywhere, :func:`leakhunt.files.reading.parse_json`);
a header that breaks these rules refuses the file, a record that does is
skipped.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ..model.timeline import Timeline

from .._text import printable
from ..errors import TimelineFileError
from .reading import DataError, parse_json, read_file
from .snapshot_file import major_version

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load_timeline"]

FORMAT_NAME = "leakhunt.timeline"
#: major.minor, as for snapshot files: readers refuse a newer major.
#: 1.1 added the live heap: ``heap`` on every record, ``heap_py`` on
#: samples, ``tid`` on span entries and the header's ``heap`` source.
FORMAT_VERSION = "1.1"
_MAJOR = int(FORMAT_VERSION.split(".")[0])


#: no count, size or time in a timeline has more than 20 digits
_BIG = 10**20


def _int(v: Any) -> Optional[int]:
    return v if type(v) is int and -_BIG < v < _BIG else None


def _size(v: Any) -> Optional[int]:
    """A byte count: an integer >= 0 (a damaged negative one reads as unknown)."""
    return v if type(v) is int and 0 <= v < _BIG else None


def _num(v: Any) -> Optional[float]:
    # records are parsed with numbers="after" (only top-level ones checked)
    t = type(v)
    if (t is int and -_BIG < v < _BIG) or (t is float and math.isfinite(v)):
        return float(v)
    return None


def _str(v: Any) -> str:
    """A label or name from the file, safe to print (leakhunt._text)."""
    return printable(v if isinstance(v, str) else str(v))


def _check_header(path: str, first: bytes) -> dict[str, Any]:
    if first.startswith(b"\x1f\x8b"):
        raise TimelineFileError(
            path, "is gzip data, not a timeline (a snapshot file? try 'leakhunt inspect')"
        )
    try:
        doc = parse_json(first.decode("utf-8"))
    except DataError as e:
        raise TimelineFileError(path, f"its first line {e}: not a leakhunt timeline") from None
    except ValueError:  # UnicodeDecodeError and JSONDecodeError among them
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        if isinstance(doc, dict) and doc.get("format") == "leakhunt.snapshot":
            raise TimelineFileError(path, "is a snapshot, not a timeline (try 'leakhunt inspect')")
        raise TimelineFileError(
            path, f'not a leakhunt timeline (its first line has no "format": "{FORMAT_NAME}")'
        )
    version = doc.get("format_version")
    if major_version(path, version, TimelineFileError) > _MAJOR:
        raise TimelineFileError(
            path, f"written by a newer leakhunt (timeline format {version}): upgrade leakhunt"
        )
    return doc


def load_timeline(path: str | os.PathLike[str]) -> Timeline:
    """Read a timeline file. Raises TimelineFileError (one line naming the
    file and the problem) for a file that is missing, empty or foreign;
    lines that cannot be read (a truncated last line) are skipped and
    counted in ``skipped_lines``."""
    # the values load here: the monitor (in the measured program) needs only
    # the format's name and version from this module
    from ..model.timeline import Mark, Sample, SnapshotMark, Span, Timeline

    p = os.fspath(path)
    raw = read_file(p, what="timeline", error=TimelineFileError)
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if not lines or not raw.strip():
        raise TimelineFileError(p, "is empty, not a leakhunt timeline")
    head = _check_header(p, lines[0])
    t0 = _num(head.get("t")) or 0.0
    samples: list[Sample] = []
    marks: dict[int, Mark] = {}
    enters: dict[int, dict[str, Any]] = {}
    exits: dict[int, dict[str, Any]] = {}
    snaps: list[SnapshotMark] = []
    skipped = 0
    ended = False
    for line in lines[1:]:
        try:
            rec = parse_json(line.decode("utf-8"), surrogates="replace", numbers="after")
        except ValueError:  # bad JSON or UTF-8, huge or non-finite numbers, surrogates
            skipped += 1
            continue
        t = _num(rec.get("t")) if isinstance(rec, dict) else None
        if t is None or not isinstance(rec, dict):
            skipped += 1
            continue
        t -= t0
        kind = rec.get("kind")
        if kind == "sample":
            gcd: dict[str, Any] = rec["gc"] if isinstance(rec.get("gc"), dict) else {}
            raw_types = rec.get("types")
            types: tuple[tuple[str, int], ...] = ()
            if isinstance(raw_types, list):
                types = tuple(
                    (_str(x[0]), int(x[1]))
                    for x in raw_types
                    if isinstance(x, list) and len(x) >= 2 and _int(x[1]) is not None
                )
            coll = gcd.get("collections")
            samples.append(
                Sample(
                    t,
                    rss=_size(rec.get("rss")),
                    peak_rss=_size(rec.get("peak_rss")),
                    tm=_size(rec.get("tm")),
                    tm_peak=_size(rec.get("tm_peak")),
                    wall=_num(rec.get("wall")),
                    gc_collections=tuple(c for c in coll if _int(c) is not None)
                    if isinstance(coll, list)
                    else (),
                    objects=_int(rec.get("objects")),
                    types=types,
                    heap=_size(rec.get("heap")),
                    heap_py=_size(rec.get("heap_py")),
                )
            )
        elif kind in ("mark", "enter", "exit") and _int(rec.get("id")) is not None:
            ident = int(rec["id"])
            if kind == "mark":
                marks[ident] = Mark(
                    t,
                    _str(rec.get("label")),
                    _str(rec.get("thread", "")),
                    _size(rec.get("rss")),
                    _size(rec.get("tm")),
                    _size(rec.get("heap")),
                )
            else:
                rec["t"] = t
                (enters if kind == "enter" else exits)[ident] = rec
        elif kind == "snapshot":
            label = rec.get("label")
            snaps.append(
                SnapshotMark(
                    t,
                    None if label is None else _str(label),
                    rec.get("path") if isinstance(rec.get("path"), str) else None,
                    _int(rec.get("seq")) or 0,
                    _size(rec.get("rss")),
                )
            )
        elif kind == "end":
            ended = True
        # unknown kinds: a newer minor version; ignored
    spans = []
    for ident, en in enters.items():
        x = exits.get(ident)
        spans.append(
            Span(
                _str(en.get("label")),
                start=en["t"],
                end=None if x is None else x["t"],
                rss_start=_size(en.get("rss")),
                rss_end=None if x is None else _size(x.get("rss")),
                tm_start=_size(en.get("tm")),
                tm_end=None if x is None else _size(x.get("tm")),
                thread=_str(en.get("thread", "")),
                depth=_int(en.get("depth")) or 0,
                error=None if x is None or x.get("error") is None else _str(x.get("error")),
                heap_start=_size(en.get("heap")),
                heap_end=None if x is None else _size(x.get("heap")),
                tid=_int(en.get("tid")) or 0,
            )
        )
    spans.sort(key=lambda s: s.start)
    points = sorted((m for i, m in marks.items() if i not in enters), key=lambda m: m.t)
    return Timeline(
        path=p,
        samples=tuple(sorted(samples, key=lambda s: s.t)),
        marks=tuple(points),
        spans=tuple(spans),
        snapshots=tuple(sorted(snaps, key=lambda s: s.t)),
        pid=_int(head.get("pid")) or 0,
        python=_str(head.get("python", "")),
        program=_str(head.get("program", "")),
        interval=_num(head.get("interval")) or 0.0,
        start_wall=_num(head.get("wall")) or 0.0,
        part=_int(head.get("part")) or 1,
        ended=ended,
        skipped_lines=skipped,
        heap_source=_str(head["heap"]) if isinstance(head.get("heap"), str) else None,
        heap_missing=_str(head.get("heap_missing") or ""),
        format_version=_str(head.get("format_version", "")),
    )
