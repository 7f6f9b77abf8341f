"""V8 heap snapshots read as leakhunt Snapshots: detected by content,
streamed, DevTools' class keys, user roots first, weak and WeakMap edges
dropped, the compiled conversion equal to its pure-Python twin."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from helpers.v8 import V8Doc, app_heap

import leakhunt
from leakhunt.analysis.diff import diff
from leakhunt.analysis.retainers import shortest_paths
from leakhunt.errors import SnapshotFileError
from leakhunt.files import v8_convert, v8_read
from leakhunt.files.v8_convert import read_v8_snapshot
from leakhunt.files.v8_read import read_v8_heap
from leakhunt.views import diff_view

COMPILED = [False] + ([True] if v8_convert._C is not None else [])


def write(tmp_path: Path, doc: V8Doc, name: str = "a.heapsnapshot") -> str:
    p = tmp_path / name
    p.write_text(doc.text())
    return str(p)


def test_a_v8_file_is_read_by_content_whatever_its_name(tmp_path: Path) -> None:
    # GIVEN a V8 snapshot, once plain under a leakhunt-like name, once gzip
    text = app_heap().text()
    plain = tmp_path / "x.lhs.json"
    plain.write_text(text)
    packed = tmp_path / "y.dat"
    packed.write_bytes(gzip.compress(text.encode()))
    # WHEN leakhunt.load reads them THEN both are V8 snapshots with a graph
    for p in (plain, packed):
        s = leakhunt.load(p)
        assert s.format_version == "v8" and s.walker == "v8"
        assert s.graph is not None and s.graph.n == len(app_heap().nodes)


@pytest.mark.parametrize("compiled", COMPILED)
def test_class_keys_follow_devtools(tmp_path: Path, compiled: bool) -> None:
    s = read_v8_snapshot(write(tmp_path, app_heap()), compiled=compiled)
    by = s.by_name()
    # plain Objects are named by their properties, constructors by name
    assert by["{id, total}"].count == 6 and by["{id, total}"].size == 6 * 28
    assert by["ExportJob"].count == 2
    assert by["Array"].count == 3
    assert by["(number)"].count == 6
    assert by["(system)"].count == 1  # hidden
    assert by["Function"].count == 1  # closure
    assert by["(array)"].count == 1
    assert "Object" not in by


@pytest.mark.parametrize("compiled", COMPILED)
def test_paths_start_from_user_roots_not_the_stack(tmp_path: Path, compiled: bool) -> None:
    s = read_v8_snapshot(write(tmp_path, app_heap()), compiled=compiled)
    g = s.graph
    assert g is not None
    descriptions = [d for _, d in g.roots]
    assert descriptions[0] == "global" and "(Stack roots)" in descriptions
    job = next(v for v in range(g.n) if g.type_name(v) == "ExportJob")
    path = shortest_paths(g, [job])[job]
    assert path is not None
    # the stack reaches the context in 2 hops, global in 3: global wins
    assert path.text(g) == (
        "global -> .handler -> <context> -> context 'exportHistory' -> [0] -> ExportJob"
    )


@pytest.mark.parametrize("compiled", COMPILED)
def test_weak_and_weakmap_table_edges_do_not_retain(tmp_path: Path, compiled: bool) -> None:
    s = read_v8_snapshot(write(tmp_path, app_heap()), compiled=compiled)
    g = s.graph
    assert g is not None
    value = next(v for v in range(g.n) if g.type_name(v) == "Value")
    path = shortest_paths(g, [value])[value]
    assert path is not None
    # held by its key, not by the WeakMap's table
    assert path.text(g).startswith("global -> .key -> <part of key")
    table = next(v for v in range(g.n) if g.type_name(v) == "(array)")
    assert list(g.out_edges(table)) == []


@pytest.mark.parametrize("compiled", COMPILED)
def test_ids_are_v8_ids_and_lengths_count_elements(tmp_path: Path, compiled: bool) -> None:
    s = read_v8_snapshot(write(tmp_path, app_heap(jobs=3)), compiled=compiled)
    g = s.graph
    assert g is not None and g.lengths is not None
    history = next(v for v in range(g.n) if g.ids[v] == 13)
    assert g.type_name(history) == "Array" and g.lengths[history] == 3


def test_the_compiled_conversion_equals_its_twin(tmp_path: Path) -> None:
    if v8_convert._C is None:
        pytest.skip("leakhunt.files._v8 not built")
    p = write(tmp_path, app_heap(jobs=4, rows_per_job=5))
    a = read_v8_snapshot(p, compiled=True)
    b = read_v8_snapshot(p, compiled=False)
    assert a.types == b.types
    ga, gb = a.graph, b.graph
    assert ga is not None and gb is not None
    for f in ("ids", "types", "sizes", "offsets", "targets", "labels", "lengths"):
        assert getattr(ga, f) == getattr(gb, f), f
    assert (ga.type_names, ga.label_names, ga.roots) == (gb.type_names, gb.label_names, gb.roots)


def test_the_growing_array_is_named_in_diff(tmp_path: Path) -> None:
    # GIVEN two snapshots of one process, two more jobs kept in the second
    a = leakhunt.load(write(tmp_path, app_heap(jobs=1), "a.heapsnapshot"))
    b = leakhunt.load(write(tmp_path, app_heap(jobs=3), "b.heapsnapshot"))
    # WHEN diffed
    view = diff_view(diff(a, b))
    rows = {r.name: r for r in view.rows}
    # THEN the rows grew under exportHistory, and the Array is the container
    row = rows["{id, total}"]
    assert row.count_delta == 6
    text = str(diff(a, b))
    assert "context 'exportHistory' grew by 2 items (1 to 3)" in text


def test_fields_are_found_by_name(tmp_path: Path) -> None:
    # an older V8 without trace_node_id and detachedness, fields reordered
    d = app_heap()
    d.node_fields = ["id", "type", "name", "edge_count", "self_size"]
    s = leakhunt.load(write(tmp_path, d))
    assert s.by_name()["ExportJob"].size == 48


def test_the_number_scanner_equals_json(tmp_path: Path) -> None:
    from array import array

    text = b" 1,2,\n3 , 4294967295,0"
    a: array[int] = array("I")
    v8_read._parse_ints_py(text, a)
    assert list(a) == [1, 2, 3, 4294967295, 0]
    if v8_read._C_PARSE is not None:
        b: array[int] = array("I")
        v8_read._C_PARSE(text, b)
        assert a == b
        for bad in (b"1,,2", b"1,-2", b"4294967296", b"1.5", b"1 2", b"x"):
            with pytest.raises(ValueError):
                v8_read._C_PARSE(bad, array("I"))


def test_a_small_chunk_size_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = write(tmp_path, app_heap(jobs=5))
    whole = read_v8_heap(p)
    real = v8_read.read_chunks

    def tiny(path: str, **kw: object) -> object:
        return real(path, what="V8 heap snapshot", chunk=7)

    monkeypatch.setattr(v8_read, "read_chunks", tiny)
    assert read_v8_heap(p) == whole


def test_a_huge_v8_document_is_not_json_loaded(tmp_path: Path) -> None:
    # the header alone is parsed with json; a doc built with json.dumps in
    # one line (no newlines) reads the same
    d = app_heap()
    p = tmp_path / "one-line.heapsnapshot"
    p.write_text(json.dumps(d.document(), separators=(",", ":")))
    assert leakhunt.load(p).by_name()["ExportJob"].count == 2


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda t: t[: len(t) // 2], "truncated"),
        (lambda t: t.replace('"node_fields"', '"node_fieldz"'), "node_fields"),
        (lambda t: t.replace('"node_count":', '"node_count":2000000000,"x":'), "node_count"),
        (lambda t: t.replace('"nodes":[9', '"nodes":[-9'), "unsigned"),
        (lambda t: t.replace('"edges":[1,1,', '"edges":[1,1,99999'), "past the last node"),
        (lambda t: t.replace('"edges":[1,1,7', '"edges":[1,1,8'), "node's start"),
        (lambda t: t.replace('"edges":[1,', '"edges":[77,'), "edge type"),
        (lambda t: t[: t.index('"strings"')] + '"strings":["a"]}', "past the 'strings'"),
        (lambda t: t[:-1], "does not end"),
    ],
)
def test_bad_v8_input_is_one_line(tmp_path: Path, mutate: object, problem: str) -> None:
    text = mutate(app_heap().text())  # type: ignore[operator]
    p = tmp_path / "bad.heapsnapshot"
    p.write_text(text)
    with pytest.raises(SnapshotFileError, match=problem) as err:
        leakhunt.load(p)
    assert "\n" not in str(err.value) and str(p) in str(err.value)
