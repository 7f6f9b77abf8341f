"""The V8 heap-snapshot reader against seeded mutations (the same harness
as every other reader: tests/fuzz/corpus.py): each mutant is read or refused
in one line, and every command that consumes it ends normally, never with
a traceback, a hang, or memory the file does not justify."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from helpers.v8 import app_heap

from fuzz.corpus import check, v8_mutant
from leakhunt.files.snapshot_file import read_snapshot

QUICK = 80


def _seed_doc() -> dict[str, Any]:
    return app_heap(jobs=3, rows_per_job=4).document()


def test_v8_mutants_are_read_or_refused_in_one_line(tmp_path: Path) -> None:
    seed = app_heap(jobs=3, rows_per_job=4).text()
    seed_path = tmp_path / "seed.heapsnapshot"
    seed_path.write_text(seed)
    verdicts: dict[str, int] = {}
    failures = []
    for n in range(QUICK):
        suffix, data = v8_mutant(seed, n)
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(data)
        tracemalloc.start()
        try:
            v = check("v8", str(path), str(seed_path), read_snapshot)
        except AssertionError as e:
            failures.append(f"v8 mutant {n}: {e}")
            continue
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        # no mutant makes the reader allocate what the file does not hold
        assert peak < 64 * 2**20 + 200 * len(data), f"v8 mutant {n}: peak {peak:,} bytes"
        verdicts[v] = verdicts.get(v, 0) + 1
        path.unlink()
    assert failures == []
    assert verdicts.get("refused", 0) > 0 and verdicts.get("accepted", 0) > 0


def test_v8_mutants_are_reproducible() -> None:
    seed = app_heap().text()
    assert v8_mutant(seed, 11) == v8_mutant(seed, 11)


@pytest.mark.parametrize("claim", [2**31, 2**40])
def test_a_huge_node_count_claim_is_refused_without_allocating_it(
    tmp_path: Path, claim: int
) -> None:
    doc = _seed_doc()
    doc["snapshot"]["node_count"] = claim
    p = tmp_path / "claim.heapsnapshot"
    p.write_text(json.dumps(doc))
    tracemalloc.start()
    try:
        with pytest.raises(Exception, match="node_count") as err:
            read_snapshot(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert type(err.value).__name__ == "SnapshotFileError"
    assert peak < 16 * 2**20


def test_a_property_name_past_the_string_table_reads_as_its_number(tmp_path: Path) -> None:
    # GIVEN a V8 file whose property edges name strings it does not have
    # (found by make fuzz: plain Objects are named by their properties)
    doc = _seed_doc()
    meta = doc["snapshot"]["meta"]
    ef, prop = len(meta["edge_fields"]), meta["edge_types"][0].index("property")
    edges = doc["edges"]
    bad = len(doc["strings"]) + 5
    hit = 0
    for e in range(0, len(edges), ef):
        if edges[e] == prop:
            edges[e + 1] = bad
            hit += 1
    assert hit
    p = tmp_path / "names.heapsnapshot"
    p.write_text(json.dumps(doc))
    # THEN it is read, and every command that consumes it ends normally
    seed = tmp_path / "seed.heapsnapshot"
    seed.write_text(json.dumps(_seed_doc()))
    assert check("v8", str(p), str(seed), read_snapshot) == "accepted"
    assert any(str(bad) in t.name for t in read_snapshot(p).types)
