"""Snapshot files: round-trip, versioning, unknown fields, atomicity."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leakhunt
from leakhunt.errors import SnapshotFileError
from leakhunt.files import snapshot_file as storage
from leakhunt.model import GcInfo, ProcessMemory, Snapshot, TracemallocInfo, TypeStat

# names round-trip unchanged unless they hold a control character, a line
# break or a direction override: readers show those escaped (leakhunt._text)
_shown = st.characters(exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp"))
names = st.text(_shown, min_size=1, max_size=40)
counts = st.integers(min_value=0, max_value=2**53)
opt_ints = st.none() | st.integers(min_value=0, max_value=2**53)
floats = st.floats(allow_nan=False, allow_infinity=False, width=64)

snapshots = st.builds(
    Snapshot,
    label=st.none() | st.text(_shown, max_size=30),
    types=st.lists(st.builds(TypeStat, names, counts, counts), max_size=30).map(tuple),
    wall_time=floats,
    monotonic_time=floats,
    pid=st.integers(min_value=0, max_value=2**31),
    python_version=st.text(max_size=10),
    leakhunt_version=st.text(max_size=10),
    memory=st.builds(ProcessMemory, opt_ints, opt_ints),
    gc=st.builds(
        GcInfo,
        st.lists(counts, max_size=3).map(tuple),
        st.lists(counts, max_size=3).map(tuple),
        counts,
        counts,
        counts,
    ),
    tracemalloc=st.none() | st.builds(TracemallocInfo, counts, counts),
    seq=st.integers(min_value=0, max_value=10**6),
    walker=st.sampled_from(["c", "python"]),
    capture_seconds=st.floats(min_value=0, max_value=1e6),
    excluded_objects=counts,
    platform=st.text(max_size=10),
    format_version=st.just(storage.FORMAT_VERSION_NO_GRAPH),
)


@settings(max_examples=60, deadline=None)
@given(s=snapshots, gz=st.booleans())
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, s: Snapshot, gz: bool) -> None:
    d = tmp_path_factory.mktemp("rt")
    p = d / ("s.lhs.json.gz" if gz else "s.lhs.json")
    storage.write_snapshot(s, str(p))
    back = storage.read_snapshot(p)
    assert back == s
    assert back.path == str(p)


def test_real_snapshot_round_trip(tmp_path: Path) -> None:
    s = leakhunt.snapshot("real", path=tmp_path / "r.lhs.json.gz")
    assert s.path is not None
    assert leakhunt.load(s.path) == s


def _doc(**over: object) -> dict[str, object]:
    s = Snapshot("x", (TypeStat("dict", 1, 64),), 1.0, 2.0, 3, "3.11.7", "0.1.0")
    doc = storage.snapshot_to_dict(s)
    doc.update(over)
    return doc


def _write(path: Path, doc: object) -> str:
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    return str(path)


def test_unknown_fields_are_ignored(tmp_path: Path) -> None:
    doc = _doc(future_field={"x": 1}, format_version="1.7")
    doc["types"][0]["new_column"] = 5  # type: ignore[index]
    s = storage.read_snapshot(_write(tmp_path / "f.lhs.json.gz", doc))
    assert s.types == (TypeStat("dict", 1, 64),)


def test_newer_major_is_refused_with_advice(tmp_path: Path) -> None:
    p = _write(tmp_path / "new.lhs.json.gz", _doc(format_version="2.0"))
    with pytest.raises(SnapshotFileError) as e:
        storage.read_snapshot(p)
    msg = str(e.value)
    assert p in msg and "newer" in msg and "upgrade" in msg and "\n" not in msg


def test_foreign_json_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path / "foreign.json.gz", {"hello": "world"})
    with pytest.raises(SnapshotFileError, match="not a leakhunt snapshot"):
        storage.read_snapshot(p)


def test_plain_json_with_gz_name_still_reads(tmp_path: Path) -> None:
    p = tmp_path / "plain.lhs.json.gz"
    p.write_text(json.dumps(_doc()))
    assert storage.read_snapshot(p).label == "x"


def test_write_is_atomic_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Snapshot("x", (), 0.0, 0.0, 1, "", "")
    target = tmp_path / "s.lhs.json.gz"
    storage.write_snapshot(s, str(target))
    original = target.read_bytes()

    def fail(*a: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        storage.write_snapshot(Snapshot("y", (), 0.0, 0.0, 1, "", ""), str(target))
    assert target.read_bytes() == original  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.lhs.json.gz"]  # no temp left


def test_numbered_names_never_clobber(tmp_path: Path) -> None:
    s = Snapshot("same label", (), 0.0, 0.0, 1, "", "")
    paths = [storage.write_snapshot_in(s, str(tmp_path)) for _ in range(3)]
    assert [os.path.basename(p) for p in paths] == [
        "0001-same-label.lhs.json.gz",
        "0002-same-label.lhs.json.gz",
        "0003-same-label.lhs.json.gz",
    ]


def test_files_hold_no_object_values(tmp_path: Path) -> None:
    secret = "hunter2-secret-password-value"
    keep = [secret * 2]
    s = leakhunt.snapshot("x", path=tmp_path / "s.lhs.json.gz")
    assert s.path is not None
    raw = gzip.decompress(Path(s.path).read_bytes()).decode()
    assert "hunter2" not in raw
    del keep


def test_graph_snapshot_round_trip(tmp_path: Path) -> None:
    from leakhunt import capture

    if capture.walker_name() != "c":
        pytest.skip("graph snapshots need the compiled walker")
    s = leakhunt.snapshot("g", path=tmp_path / "g.lhs.json.gz", graph=True)
    assert s.path is not None and s.graph is not None
    back = leakhunt.load(s.path)
    assert back.format_version == "1.2"
    assert back.graph == s.graph
    assert back.graph is not None and back.graph.n == s.total_count


def test_graph_section_damage_is_one_line(tmp_path: Path) -> None:
    from leakhunt.model import HeapGraph

    g = HeapGraph.from_edges(
        ["module", "dict"], [72, 232], [(0, 1, ".__dict__")], [(0, "module m")]
    )
    s = Snapshot("x", (TypeStat("dict", 1, 232),), 1.0, 2.0, 3, "3.11.7", "0.1.0", graph=g)
    doc = storage.snapshot_to_dict(s)
    doc["graph"]["arrays"]["targets"]["zlib_base64_delta"] = "!!!"  # type: ignore[index]
    p = _write(tmp_path / "bad.lhs.json.gz", doc)
    with pytest.raises(SnapshotFileError, match=r"graph\.arrays\.targets") as e:
        storage.read_snapshot(p)
    assert "\n" not in str(e.value)
    doc = storage.snapshot_to_dict(s)
    doc["graph"]["arrays"]["targets"]["count"] = 5  # type: ignore[index]
    with pytest.raises(SnapshotFileError, match="targets and labels disagree"):
        storage.read_snapshot(_write(tmp_path / "bad2.lhs.json.gz", doc))
    doc["graph"]["arrays"]["labels"]["count"] = 5  # type: ignore[index]
    with pytest.raises(SnapshotFileError, match="data disagrees"):
        storage.read_snapshot(_write(tmp_path / "bad3.lhs.json.gz", doc))
    doc["graph"]["arrays"]["labels"]["count"] = 2**40  # type: ignore[index]
    doc["graph"]["arrays"]["targets"]["count"] = 2**40  # type: ignore[index]
    with pytest.raises(SnapshotFileError, match="more than its data can hold"):
        storage.read_snapshot(_write(tmp_path / "bad4.lhs.json.gz", doc))


def test_a_1_0_reader_would_ignore_the_graph(tmp_path: Path) -> None:
    # minor versions only add fields: the 1.1 graph section is an unknown
    # field to a 1.0 reader, so we check the histogram part alone reads
    doc = _doc(format_version="1.1", graph={"future": True})
    doc.pop("graph")
    s = storage.read_snapshot(_write(tmp_path / "f.lhs.json.gz", doc))
    assert s.graph is None


def test_writing_the_first_file_leaves_nothing_the_next_snapshot_counts(tmp_path: Path) -> None:
    """One-time stdlib caches filled by the first write (struct's format
    cache, via gzip, on 3.13) must not show as growth: run in a fresh process."""
    import subprocess
    import sys

    code = (
        "import sys, leakhunt; d = sys.argv[1]\n"
        "a = leakhunt.snapshot('a', path=d); b = leakhunt.snapshot('b', path=d)\n"
        "print([(t.name, t.count_delta) for t in leakhunt.diff(a, b).deltas if t.count_delta])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def _wrapping_graph() -> Any:
    from leakhunt.model import HeapGraph

    # ids that go down and up (differences wrap below zero), a node with
    # no edges, edges back to node 0 (targets go down too)
    return HeapGraph.from_edges(
        ["module", "dict", "list", "str"], [72, 232, 56, 50],
        [(0, 1, ".__dict__"), (1, 2, "['x']"), (2, 0, "[0]"), (2, 3, "[1]"), (1, 3, "<key>")],
        [(0, "module m")],
        ids=[2**64 - 16, 16, 2**40, 32],
    )  # fmt: skip


@pytest.mark.parametrize("compiled", [True, False])
def test_delta_coded_arrays_round_trip_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    # GIVEN a graph whose arrays go down as well as up, written by the
    # compiled difference coder or its Python twin
    from leakhunt.files import graph_section

    if not compiled:
        monkeypatch.setattr(graph_section, "_c_delta_encode", None)
        monkeypatch.setattr(graph_section, "_c_delta_decode", None)
    elif graph_section._c_delta_encode is None:
        pytest.skip("no compiled coder")
    g = _wrapping_graph()
    s = Snapshot("x", (TypeStat("dict", 1, 232),), 1.0, 2.0, 3, "3.11.7", "0.1.0", graph=g)
    p = storage.write_snapshot(s, str(tmp_path / "d.lhs.json.gz"))
    doc = json.loads(gzip.decompress(Path(p).read_bytes()))
    # THEN offsets and targets are stored as differences, the rest as is
    kinds = {k: [x for x in v if x.startswith("zlib")] for k, v in doc["graph"]["arrays"].items()}
    assert kinds["offsets"] == kinds["targets"] == ["zlib_base64_delta"]
    assert kinds["ids"] == kinds["labels"] == ["zlib_base64"]
    # and the graph read back is the graph written
    assert storage.read_snapshot(p).graph == g


def test_format_1_1_graphs_still_read(tmp_path: Path) -> None:
    # GIVEN a graph file as leakhunt 1.1 wrote it: every array as it is
    from leakhunt.files import graph_section

    g = _wrapping_graph()
    s = Snapshot("x", (TypeStat("dict", 1, 232),), 1.0, 2.0, 3, "3.11.7", "0.1.0", graph=g)
    doc = storage.snapshot_to_dict(s)
    doc["format_version"] = "1.1"
    for name, spec in doc["graph"]["arrays"].items():
        spec.pop("zlib_base64_delta", None)
        spec["zlib_base64"] = "".join(graph_section.base64_pieces(getattr(g, name), False))
    p = _write(tmp_path / "old.lhs.json.gz", doc)
    # THEN it reads as the same graph
    back = storage.read_snapshot(p)
    assert back.graph == g and back.format_version == "1.1"
