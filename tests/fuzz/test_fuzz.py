"""Every reader against seeded mutations of real files (a quick sample
here; ``make fuzz`` runs 10,000 per reader in child processes with memory
and time limits), and the probe's hostile files one by one."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import pytest

from fuzz.corpus import check, make_seed_files, mutant
from leakhunt.errors import SnapshotFileError, TimelineFileError
from leakhunt.files.snapshot_file import read_snapshot
from leakhunt.files.timeline_file import load_timeline

#: inputs per reader in `make test` (make fuzz: 10,000)
QUICK = {"snapshot": 60, "graph": 15, "timeline": 60}
SEED_NAMES = {
    "snapshot": "histogram.lhs.json.gz",
    "graph": "graph.lhs.json.gz",
    "timeline": "timeline.jsonl",
}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[bytes]]]:
    d = tmp_path_factory.mktemp("seeds")
    return d, make_seed_files(d)


@pytest.mark.parametrize("kind", sorted(QUICK))
def test_mutants_are_read_or_refused_in_one_line(
    kind: str, seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    directory, by_kind = seeds
    reader = load_timeline if kind == "timeline" else read_snapshot
    seed_path = str(directory / SEED_NAMES[kind])
    verdicts: dict[str, int] = {}
    failures = []
    for n in range(QUICK[kind]):
        seed = by_kind[kind][n % len(by_kind[kind])]
        suffix, data = mutant(kind, seed, n)
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(data)
        try:
            v = check(kind, str(path), seed_path, reader)
        except AssertionError as e:
            failures.append(f"{kind} mutant {n}: {e}")
            continue
        verdicts[v] = verdicts.get(v, 0) + 1
        path.unlink()
    assert failures == []
    assert verdicts.get("refused", 0) > 0  # the mutations do reach the checks


def test_mutants_are_reproducible(seeds: tuple[Path, dict[str, list[bytes]]]) -> None:
    _, by_kind = seeds
    for kind in QUICK:
        assert mutant(kind, by_kind[kind][0], 7) == mutant(kind, by_kind[kind][0], 7)


# ------------------------------------------------------------ the probe's files


def _graph_doc(seeds: tuple[Path, dict[str, list[bytes]]]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress(seeds[1]["graph"][0]))
    return doc


def _write(path: Path, doc: Any) -> str:
    path.write_bytes(gzip.compress(json.dumps(doc).encode(), mtime=0))
    return str(path)


@pytest.mark.parametrize("honest_count", [True, False])
def test_a_zlib_bomb_in_a_graph_array_is_refused_with_little_memory(
    seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path, honest_count: bool
) -> None:
    # GIVEN a graph array of 1 GiB of zeros in a ~1 MB file
    doc = _graph_doc(seeds)
    co = zlib.compressobj(9)
    data = b"".join(co.compress(bytes(1 << 20)) for _ in range(1024)) + co.flush()
    count = (1 << 30) // 8 if honest_count else 10
    doc["graph"]["arrays"]["ids"] = {
        "type": "Q", "count": count, "zlib_base64": base64.b64encode(data).decode(),
    }  # fmt: skip
    path = _write(tmp_path / "bomb.lhs.json.gz", doc)
    # WHEN read, THEN refused in one line, and the refusal costs little
    tracemalloc.start()
    try:
        with pytest.raises(SnapshotFileError) as e:
            read_snapshot(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(e.value)
    assert peak < 64 * 2**20, f"{peak:,} bytes"


def test_counts_beyond_what_the_data_holds_are_refused_before_inflating(
    seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    doc = _graph_doc(seeds)
    for spec in doc["graph"]["arrays"].values():
        spec["count"] = 100_000_000
    doc["graph"]["arrays"]["offsets"]["count"] = 100_000_001
    with pytest.raises(SnapshotFileError, match="more than its data can hold"):
        read_snapshot(_write(tmp_path / "claims.lhs.json.gz", doc))


@pytest.mark.parametrize(
    ("where", "value", "problem"),
    [
        (("process", "rss"), "1" + "0" * 400, "a number too large"),
        (("time", "wall"), "NaN", r"a non-finite number \(NaN\)"),
        (("time", "wall"), "1e999", "a number out of range"),
        (("label",), '"\\ud800"', "a lone surrogate"),
        (("label",), "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_values_in_a_snapshot_are_one_line(
    seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path,
    where: tuple[str, ...], value: str, problem: str,
) -> None:  # fmt: skip
    doc = json.loads(gzip.decompress(seeds[1]["snapshot"][0]))
    parent = doc
    for k in where[:-1]:
        parent = parent[k]
    parent[where[-1]] = "@@RAW@@"
    path = tmp_path / "bad.lhs.json"
    path.write_text(json.dumps(doc).replace('"@@RAW@@"', value))
    with pytest.raises(SnapshotFileError, match=problem) as e:
        read_snapshot(path)
    assert "\n" not in str(e.value)


def test_malformed_timeline_lines_are_skipped_and_a_bad_header_refused(
    seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    lines = seeds[1]["timeline"][0].decode().splitlines()
    bad = [
        '{"kind":"sample","t":NaN,"rss":1}',
        '{"kind":"sample","t":1,"rss":' + "9" * 400 + "}",
        "[" * 100_000 + "]" * 100_000,
    ]
    # a lone surrogate is the program's own label: kept, made printable
    odd = '{"kind":"mark","id":99,"t":1,"label":"\\ud800"}'
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join([lines[0], *bad, odd, *lines[1:]]) + "\n")
    tl = load_timeline(path)
    assert tl.skipped_lines == len(bad)
    assert "\ufffd" in [m.label for m in tl.marks]
    head = json.loads(lines[0])
    path.write_text(json.dumps(head).replace(str(head["t"]), "Infinity", 1) + "\n")
    with pytest.raises(TimelineFileError, match="non-finite number"):
        load_timeline(path)


def _graph_file(tmp_path: Path, name: str, **arrays: tuple[str, list[int]]) -> str:
    """A small graph snapshot whose arrays are replaced by ``arrays``."""
    from array import array

    from leakhunt.files import snapshot_file as storage
    from leakhunt.model import HeapGraph, Snapshot, TypeStat

    g = HeapGraph.from_edges(
        ["module", "dict", "list"], [72, 232, 56], [(0, 1, ".__dict__"), (1, 2, "['x']")],
        [(0, "module m")],
    )  # fmt: skip
    s = Snapshot("x", (TypeStat("dict", 1, 232),), 1.0, 2.0, 3, "3.11.7", "0.1.0", graph=g)
    doc = storage.snapshot_to_dict(s)
    for key, (code, values) in arrays.items():
        data = array(code, values).tobytes()
        doc["graph"]["arrays"][key] = {
            "type": code, "count": len(values),
            "zlib_base64": base64.b64encode(zlib.compress(data)).decode(),
        }  # fmt: skip
    return _write(tmp_path / name, doc)


@pytest.mark.parametrize(
    ("arrays", "problem"),
    [
        ({"offsets": ("Q", [0, 2, 1, 2])}, "offsets decrease"),
        ({"sizes": ("Q", [2**64 - 1, 2**64 - 1, 1])}, "sizes add up past any heap"),
        ({"lengths": ("I", [1])}, "lengths has 1 items for 3 nodes"),
        ({"ids": ("Q", [1, 2])}, "ids has 2 items for 3 nodes"),
        ({"targets": ("I", [1, 9]), "labels": ("I", [0, 0])}, "an edge points past"),
    ],
)
def test_inconsistent_graph_arrays_are_one_line(
    tmp_path: Path, arrays: dict[str, tuple[str, list[int]]], problem: str
) -> None:
    path = _graph_file(tmp_path, "g.lhs.json.gz", **arrays)
    with pytest.raises(SnapshotFileError, match=problem) as e:
        read_snapshot(path)
    assert "\n" not in str(e.value)


def test_a_consistent_bomb_is_refused_before_inflating(
    seeds: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    # GIVEN a graph whose every array agrees on 8 million nodes, all zeros
    # (256 MB of arrays in a file of about 1 MB)
    doc = _graph_doc(seeds)
    n = 8_000_000

    def zeros(nbytes: int) -> str:
        co = zlib.compressobj(1)
        chunk = bytes(1 << 20)
        parts = [co.compress(chunk) for _ in range(nbytes >> 20)]
        parts += [co.compress(bytes(nbytes & ((1 << 20) - 1))), co.flush()]
        return base64.b64encode(b"".join(parts)).decode()

    for name, code, count in [
        ("ids", "Q", n), ("types", "I", n), ("sizes", "Q", n), ("lengths", "I", n),
        ("offsets", "Q", n + 1), ("targets", "I", 0), ("labels", "I", 0),
    ]:  # fmt: skip
        size = 8 if code == "Q" else 4
        doc["graph"]["arrays"][name] = {
            "type": code,
            "count": count,
            "zlib_base64": zeros(count * size),
        }
    path = _write(tmp_path / "consistent-bomb.lhs.json.gz", doc)
    tracemalloc.start()
    try:
        with pytest.raises(SnapshotFileError, match="decompression bomb") as e:
            read_snapshot(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(e.value)
    assert peak < 64 * 2**20, f"{peak:,} bytes"
