"""``leakhunt export``: a graph snapshot in V8's format, read back by
leakhunt's own V8 reader (the DevTools and memlab checks are in
test_node_oracles.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import leakhunt
from leakhunt.cli import main
from leakhunt.files.v8_write import to_v8_bytes
from leakhunt.model import HeapGraph, Snapshot

_NAMES = {"str": "(string)", "function": "Function", "code": "(compiled code)"}


def _toy(ids: list[int]) -> Snapshot:
    g = HeapGraph.from_edges(
        ["module", "dict", "list", "app.Job", "str", "function", "app.Orphan"],
        [72, 232, 88, 48, 50, 136, 40],
        [
            (0, 1, ".__dict__"),
            (1, 2, "['JOBS']"),
            (2, 3, "[0]"),
            (3, 4, ".name"),
            (5, 3, ".__closure__ cell 'job'"),
            (0, 5, ".__class__"),
        ],
        [(0, "module app")],
        ids=ids,
    )
    return Snapshot("toy", (), 0.0, 0.0, 1, "3.11", "0.1", graph=g)


def _doc(s: Snapshot) -> dict:  # type: ignore[type-arg]
    return json.loads(to_v8_bytes(s))  # type: ignore[no-any-return]


def _out_edges(doc: dict, node_id: int) -> list[tuple[str, Any]]:  # type: ignore[type-arg]
    """(edge type, name) of the node with V8 id ``node_id``'s edges."""
    meta = doc["snapshot"]["meta"]
    nf, etypes = len(meta["node_fields"]), meta["edge_types"][0]
    nodes, edges, strings = doc["nodes"], doc["edges"], doc["strings"]
    e = 0
    for k in range(0, len(nodes), nf):
        count = nodes[k + 4]
        if nodes[k + 2] == node_id:
            out = []
            for x in range(e, e + 3 * count, 3):
                t = etypes[edges[x]]
                out.append((t, edges[x + 1] if t == "element" else strings[edges[x + 1]]))
            return out
        e += 3 * count
    raise AssertionError(node_id)


def test_an_attribute_dict_gives_its_items_to_its_owner() -> None:
    # GIVEN an object whose __dict__ only it refers to (Python 3.10's
    # layout), next to one whose __dict__ something else also holds
    g = HeapGraph.from_edges(
        ["app.Job", "dict", "list", "app.Shared", "dict", "list"],
        [48, 104, 88, 48, 104, 88],
        [
            (0, 1, ".__dict__"),
            (1, 2, "['rows']"),
            (1, 2, "['not a name']"),
            (3, 4, ".__dict__"),
            (4, 5, "['rows']"),
            (5, 4, "[0]"),
        ],
        [(0, "module app"), (3, "module app")],
        ids=[0x1000 * (i + 1) for i in range(6)],
    )
    doc = _doc(Snapshot("toy", (), 0.0, 0.0, 1, "3.10", "0.1", graph=g))
    # THEN the first dict's items are its owner's properties, named as
    # attributes where the key is a name, and the dict keeps its node
    assert _out_edges(doc, 0x100) == [
        ("property", "__dict__"), ("property", "rows"), ("property", "__dict__['not a name']"),
    ]  # fmt: skip
    assert _out_edges(doc, 0x200) == []
    # and a dict something else holds keeps its items
    assert _out_edges(doc, 0x400) == [("property", "__dict__")]
    assert _out_edges(doc, 0x500) == [("property", "['rows']")]
    assert doc["snapshot"]["edge_count"] == 3 + 6  # two roots, (held outside Python), the six


def test_the_layout_is_v8s() -> None:
    doc = _doc(_toy([0x1000 * (i + 1) for i in range(7)]))
    meta = doc["snapshot"]["meta"]
    nf = len(meta["node_fields"])
    nodes, edges, strings = doc["nodes"], doc["edges"], doc["strings"]
    assert doc["snapshot"]["node_count"] * nf == len(nodes) == 9 * nf
    assert doc["snapshot"]["edge_count"] * 3 == len(edges)
    assert sum(nodes[4::nf]) == doc["snapshot"]["edge_count"]
    types = meta["node_types"][0]
    etypes = meta["edge_types"][0]
    # node 0: the synthetic root, id 1, a shortcut named by the root's description
    assert (types[nodes[0]], nodes[2]) == ("synthetic", 1)
    assert (etypes[edges[0]], strings[edges[1]], edges[2]) == ("shortcut", "module app", 2 * nf)
    # node 1: (held outside Python), id 3, holding the orphan
    assert (strings[nodes[nf + 1]], nodes[nf + 2]) == ("(held outside Python)", 3)
    ids = nodes[2::nf]
    assert len(set(ids)) == len(ids) and all(0 < i < 2**32 for i in ids)
    assert ids[2:] == [0x100 * (i + 1) for i in range(7)]  # id() >> 4
    kinds = {strings[nodes[k * nf + 1]]: types[nodes[k * nf]] for k in range(2, 9)}
    assert kinds == {
        "module": "object", "dict": "object", "list": "object", "app.Job": "object",
        "str": "string", "function": "closure", "app.Orphan": "object",
    }  # fmt: skip
    labels = set()
    for e in range(0, len(edges), 3):
        t = etypes[edges[e]]
        labels.add((t, edges[e + 1] if t == "element" else strings[edges[e + 1]]))
    want = {
        ("element", 0), ("property", "JOBS"), ("property", "name"),
        ("context", "job"), ("internal", "__class__"), ("property", "__dict__"),
    }  # fmt: skip
    assert want <= labels


def test_reserved_and_colliding_ids_are_renumbered() -> None:
    doc = _doc(_toy([0, 16, 48, 48, 0x1000, 0x2000, 0x3000]))
    nf = len(doc["snapshot"]["meta"]["node_fields"])
    ids = doc["nodes"][2::nf]
    assert len(set(ids)) == len(ids)
    assert 0 not in ids and ids.count(1) == 1 and ids.count(3) == 1


def test_a_round_trip_keeps_the_histogram(tmp_path: Path) -> None:
    # GIVEN a real graph snapshot of this process
    s = leakhunt.snapshot("rt", path=str(tmp_path / "rt.lhs.json.gz"), graph=True)
    assert s.path is not None
    out = tmp_path / "rt.heapsnapshot.gz"
    # WHEN exported and read back as a V8 file
    assert main(["export", s.path, "-o", str(out)]) == 0
    back = leakhunt.load(out)
    # THEN every type keeps its count and bytes (plus the two synthetic roots)
    got = back.by_name()
    for t in leakhunt.load(s.path).types:
        assert (got[_NAMES.get(t.name, t.name)].count, got[_NAMES.get(t.name, t.name)].size) == (
            t.count,
            t.size,
        )
    assert got["(synthetic)"].count == 2


def test_a_histogram_snapshot_cannot_be_exported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = leakhunt.snapshot("h", path=str(tmp_path / "h.lhs.json.gz"))
    assert s.path is not None
    assert main(["export", s.path, "-o", str(tmp_path / "h.heapsnapshot")]) == 2
    assert "has no object graph" in capsys.readouterr().err


def test_the_compiled_writer_equals_its_twin(monkeypatch: pytest.MonkeyPatch) -> None:
    from leakhunt.files import v8_write

    if v8_write._format is None:
        pytest.skip("leakhunt.files._v8 not built")
    s = _toy([0x1000 * (i + 1) for i in range(7)])
    compiled = to_v8_bytes(s)
    monkeypatch.setattr(v8_write, "_format", None)
    monkeypatch.setattr(v8_write, "_reach", None)
    assert to_v8_bytes(s) == compiled
