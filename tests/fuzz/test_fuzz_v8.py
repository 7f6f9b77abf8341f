"""The V8 heap-snapshot reader against seeded mutations (the same harness
as every other reader: tests/fuzz/corpus.py): each mutant is read or refused
in one line, and every command that consumes it ends normally, never with
a traceback, a hang, or memory the file does not justify."""

from __future__ import annotations

import gzip
import json
import random
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from helpers.v8 import app_heap

from fuzz.corpus import check, mutate_bytes, mutate_json
from leakhunt.files.snapshot_file import read_snapshot

QUICK = 80


def _seed_doc() -> dict[str, Any]:
    return app_heap(jobs=3, rows_per_job=4).document()


def mutate_v8(doc: dict[str, Any], rng: random.Random) -> str:
    """Damage aimed at V8's layout: counts that lie, fields renamed or
    reordered, edges past the end or between records, hostile numbers."""
    snap, nodes, edges = doc["snapshot"], doc["nodes"], doc["edges"]
    roll = rng.randrange(10)
    if roll == 0:
        key = rng.choice(["node_count", "edge_count"])
        snap[key] = rng.choice([0, 1, snap[key] + 1, snap[key] - 1, 2**31, 2**53, -1, "x"])
    elif roll == 1:
        i = rng.randrange(len(nodes))
        nodes[i] = rng.choice([2**32, 2**32 - 1, -1, 10**20, 0.5, "7", None, True])
    elif roll == 2:
        i = rng.randrange(2, len(edges), 3)  # a to_node
        edges[i] = rng.choice([edges[i] + 1, len(nodes), len(nodes) + 7, 2**32 - 1, 10**12])
    elif roll == 3:
        fields = snap["meta"]["node_fields"]
        rng.shuffle(fields)
        if rng.random() < 0.5:
            fields.pop(rng.randrange(len(fields)))
    elif roll == 4:
        snap["meta"][rng.choice(["node_types", "edge_types"])] = rng.choice(
            [[], [[]], [["object"]], "x", None, [[1, 2]]]
        )
    elif roll == 5:
        del doc["strings"][rng.randrange(len(doc["strings"])) :]
    elif roll == 6:  # sections out of V8's order
        order = list(doc)
        rng.shuffle(order)
        doc = {k: doc[k] for k in order}
    elif roll == 7:
        i = rng.randrange(4, len(nodes), len(snap["meta"]["node_fields"]))  # an edge_count
        nodes[i] = rng.choice([0, nodes[i] + 1, 10**6, 2**32 - 1])
    elif roll == 8:
        edges.extend(edges[: 3 * rng.randrange(1, 5)])
    else:
        return mutate_json(doc, rng)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def v8_mutant(seed_text: str, n: int) -> tuple[str, bytes]:
    """Mutant number ``n`` (the same bytes every time)."""
    rng = random.Random(f"v8:{n}")
    roll = rng.random()
    if roll < 0.3:
        data = mutate_bytes(seed_text.encode(), rng)
    else:
        data = mutate_v8(json.loads(seed_text), rng).encode("utf-8", "surrogatepass")
    if rng.random() < 0.3:
        if rng.random() < 0.3:
            return ".heapsnapshot.gz", mutate_bytes(gzip.compress(data, mtime=0), rng)
        return ".heapsnapshot.gz", gzip.compress(data, mtime=0)
    return ".heapsnapshot", data


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
