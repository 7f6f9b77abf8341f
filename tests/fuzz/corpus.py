"""Seeded mutation fuzzing of every leakhunt reader: snapshot files (the
histogram part and the graph section), timeline files and V8
``.heapsnapshot`` files.

Seeds are real files of each format, written by leakhunt itself; each
mutant is derived from one seed by one numbered, reproducible recipe
(``mutant(kind, seed_bytes, n)`` is the same bytes every time). A reader
passes on an input when it either accepts it, and every command that
consumes the file then ends normally, or refuses it with its one-line file
error: never another exception (a traceback, exit 3), never a hang, never
more memory than the file justifies.

Used by tests/fuzz/test_fuzz.py (a few hundred inputs, in ``make test``)
and scripts/fuzz.py (10,000 per reader in child processes with a memory
and time limit, ``make fuzz``).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import random
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

KINDS = ("snapshot", "graph", "timeline", "v8")

# -------------------------------------------------------------------- seeds

SEED_PROGRAM = r"""
import sys, time, leakhunt
out = sys.argv[1]
class Session:
    def __init__(self, i):
        self.user = f"user{i}"
        self.data = [i] * 3
SESSIONS = {f"k{i}": Session(i) for i in range(40)}
T = type("T\x1b[2J", (), {})
KEEP = [T() for _ in range(3)]
leakhunt.snapshot("a", path=f"{out}/histogram.lhs.json.gz")
leakhunt.snapshot("a", path=f"{out}/histogram.lhs.json")
with leakhunt.monitor(f"{out}/timeline.jsonl", interval=0.01, types_every=2):
    for i in range(12):
        with leakhunt.mark(f"request {i % 3}"):
            SESSIONS[f"n{i}"] = Session(i)
            time.sleep(0.004)
    leakhunt.snapshot("b", path=f"{out}/graph.lhs.json.gz", graph=True)
"""


def make_seed_files(directory: Path) -> dict[str, list[bytes]]:
    """Real files of each kind, written by leakhunt in a small child
    process (a small heap keeps each read quick)."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "seed_program.py"
    script.write_text(SEED_PROGRAM)
    subprocess.run(
        [sys.executable, str(script), str(directory)],
        check=True, cwd=directory, timeout=300, capture_output=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    read = lambda name: (directory / name).read_bytes()  # noqa: E731
    # V8 files: a little Node-shaped heap written as V8 does, and the graph
    # seed exported by leakhunt (a real Python heap in V8's layout)
    from helpers.v8 import app_heap

    from leakhunt.files.snapshot_file import read_snapshot
    from leakhunt.files.v8_write import write_v8

    (directory / "seed.heapsnapshot").write_text(app_heap(jobs=3, rows_per_job=4).text())
    write_v8(read_snapshot(directory / "graph.lhs.json.gz"), str(directory / "python.heapsnapshot"))
    return {
        "snapshot": [read("histogram.lhs.json.gz"), read("histogram.lhs.json")],
        "graph": [read("graph.lhs.json.gz")],
        "timeline": [read("timeline.jsonl")],
        # one mutant in four from the exported Python heap (40k nodes, a
        # second per mutant where the Node-shaped seed takes milliseconds)
        "v8": [read("seed.heapsnapshot")] * 3 + [read("python.heapsnapshot")],
    }


# -------------------------------------------------------------------- mutations

HOSTILE_VALUES: list[Any] = [
    None, True, False, "", "x", [], {}, -1, 0, 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
    2**64, 10**30, -(10**30), 1e308, -1e308, 0.5, -0.0, "A" * 100_000, "\x1b[2J\nfake",
    "caf\udce9", [[[[[]]]]], {"a": {"b": {}}}, [0] * 1000,
]  # fmt: skip
# literals json.dumps cannot make: spliced into the text instead
RAW_LITERALS = [
    "1" + "0" * 400, "-" + "9" * 5000, "NaN", "Infinity", "-Infinity", "1e999",
    '"\\ud800"', '"\\udfff x"', "[" * 100_000 + "]" * 100_000, '"\\u0000"',
]  # fmt: skip


def _paths(doc: Any, prefix: tuple[Any, ...] = (), out: list[tuple[Any, ...]] | None = None,
           limit: int = 4000) -> list[tuple[Any, ...]]:  # fmt: skip
    """Every path to a value inside ``doc`` (dict keys and list indexes)."""
    if out is None:
        out = []
    if len(out) >= limit:
        return out
    out.append(prefix)
    if isinstance(doc, dict):
        for k, v in doc.items():
            _paths(v, (*prefix, k), out, limit)
    elif isinstance(doc, list):
        step = max(1, len(doc) // 50)  # long lists: a sample of their items
        for i in range(0, len(doc), step):
            _paths(doc[i], (*prefix, i), out, limit)
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


_MARK = "\x00LEAKHUNT-FUZZ-RAW\x00"


def _dumps_with_raw(doc: Any, raw: str | None) -> str:
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    if raw is not None:
        text = text.replace(json.dumps(_MARK), raw, 1)
    return text


def mutate_json(doc: Any, rng: random.Random) -> str:
    """One structural change: a value replaced by a hostile one or a raw
    literal, a key deleted, a list shortened or repeated."""
    paths = _paths(doc)
    path = paths[rng.randrange(len(paths))]
    roll = rng.random()
    raw = None
    if roll < 0.45:
        doc = _set(doc, path, rng.choice(HOSTILE_VALUES))
    elif roll < 0.65:
        raw = rng.choice(RAW_LITERALS)
        doc = _set(doc, path, _MARK)
    elif roll < 0.8 and path:
        doc = _set(doc, path, None, delete=True)
    else:
        parent = doc
        for k in path:
            parent = parent[k]
        if isinstance(parent, list) and parent:
            if rng.random() < 0.5:
                del parent[rng.randrange(len(parent)) :]
            else:
                parent.extend(parent[: rng.randrange(1, len(parent) + 1)] * rng.randrange(1, 50))
        else:
            doc = _set(doc, path, [parent] * rng.randrange(2, 5))
    return _dumps_with_raw(doc, raw)


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Byte damage: bit flips, truncation, insertion, a repeated chunk."""
    b = bytearray(data)
    roll = rng.random()
    if roll < 0.35:
        for _ in range(rng.randrange(1, 9)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif roll < 0.6:
        del b[rng.randrange(len(b)) :]
    elif roll < 0.8:
        i = rng.randrange(len(b) + 1)
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    else:
        i = rng.randrange(len(b))
        j = min(len(b), i + rng.randrange(1, 4096))
        b[j:j] = b[i:j] * rng.randrange(1, 20)
    return bytes(b)


def _data_key(spec: Any) -> str:
    """The key of an array's data: ``zlib_base64``, or (format 1.2's
    offsets and targets) ``zlib_base64_delta``."""
    return (
        "zlib_base64_delta"
        if isinstance(spec, dict) and "zlib_base64_delta" in spec
        else "zlib_base64"
    )


def _encode_array(values: bytes, code: str, count: int, key: str = "zlib_base64") -> dict[str, Any]:
    return {"type": code, "count": count, key: base64.b64encode(zlib.compress(values)).decode()}


def mutate_graph(doc: dict[str, Any], rng: random.Random) -> str:
    """Damage aimed at the graph section: counts that lie, arrays that are
    swapped, out of range or out of order, bombs."""
    from array import array

    g = doc["graph"]
    arrays = g["arrays"]
    name = rng.choice(sorted(arrays))
    spec = arrays[name]
    code = spec["type"]
    key = _data_key(spec)
    a = array(code, zlib.decompress(base64.b64decode(spec[key])))
    n = len(a)
    roll = rng.randrange(14)
    if roll == 0:
        spec["count"] = rng.choice([n + 1, n - 1, n * 1000, 2**40, 2**63, -1, 0])
    elif roll == 1:  # a bomb: zeros whose count is honest
        count = rng.choice([10**6, 10**7, 5 * 10**7])
        arrays[name] = _encode_array(bytes(count * a.itemsize), code, count, key)
    elif roll == 2:  # a bomb whose count is small
        arrays[name] = _encode_array(bytes(10**7 * a.itemsize), code, n, key)
    elif roll == 3 and n:
        for _ in range(rng.randrange(1, 10)):
            a[rng.randrange(n)] = rng.choice([0, 1, n, n + 1, 2 ** (8 * a.itemsize) - 1])
        arrays[name] = _encode_array(a.tobytes(), code, n, key)
    elif roll == 4 and n > 1:
        a.reverse()
        arrays[name] = _encode_array(a.tobytes(), code, n, key)
    elif roll == 5 and n:
        cut = rng.randrange(n)
        arrays[name] = _encode_array(a[:cut].tobytes(), code, cut, key)
    elif roll == 6:
        other = rng.choice(sorted(arrays))
        arrays[name], arrays[other] = arrays[other], arrays[name]
    elif roll == 7:
        spec["type"] = rng.choice(["Q", "I", "B", "d", "x", 1, None])
    elif roll == 8:
        spec[key] = rng.choice(["", "!!!", "AAAA", base64.b64encode(b"junk").decode()])
    elif roll == 9 and n:
        rng.shuffle(a)  # type: ignore[arg-type]
        arrays[name] = _encode_array(a.tobytes(), code, n, key)
    elif roll == 10:
        key = rng.choice(["type_names", "label_names", "roots"])
        g[key] = rng.choice([[], None, [1, 2], [["x"]], [[10**9, "r"]], [[-1, "r"]], g[key] * 3])
    elif roll == 11:
        g[rng.choice(["nodes", "edges"])] = rng.choice([-1, 2**63, "x", None, 10**12])
    elif roll == 12:
        del arrays[name]
    else:
        return mutate_json(doc, rng)
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def mutate_timeline(data: bytes, rng: random.Random) -> bytes:
    """Damage aimed at timelines: one line's JSON mutated, lines shuffled,
    repeated or dropped, hostile lines added."""
    lines = data.split(b"\n")
    roll = rng.randrange(6)
    if roll < 3:
        i = 0 if rng.random() < 0.2 else rng.randrange(len(lines))
        try:
            rec = json.loads(lines[i])
        except ValueError:
            rec = {}
        lines[i] = mutate_json(rec, rng).encode("utf-8", "surrogatepass")
    elif roll == 3:
        body = lines[1:]
        rng.shuffle(body)
        lines[1:] = body
    elif roll == 4:
        i = rng.randrange(len(lines))
        lines[i:i] = [lines[i]] * rng.randrange(1, 200)
    else:
        hostile = [
            b'{"kind":"enter","id":1,"t":1e308,"label":"x"}',
            b'{"kind":"exit","id":1,"t":-1e308}',
            b'{"kind":"sample","t":1,"rss":18446744073709551615,"types":[["x",99999999999999999999]]}',
            b'{"kind":"sample","t":5e-324,"rss":-1}',
            b'{"kind":"mark","id":-5,"t":0,"label":"\\u001b[2J\\nfake"}',
            b"[" * 50_000,
        ]
        lines.insert(rng.randrange(1, len(lines) + 1), rng.choice(hostile))
    return b"\n".join(lines)


def mutate_v8(doc: dict[str, Any], rng: random.Random) -> str:
    """Damage aimed at V8's layout: counts that lie, fields renamed or
    reordered, edges past the end or between records, hostile numbers."""
    snap, nodes, edges = doc["snapshot"], doc["nodes"], doc["edges"]
    if rng.random() < 0.35:
        return _plausible_v8(doc, rng)
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


def _plausible_v8(doc: dict[str, Any], rng: random.Random) -> str:
    """Damage a reader cannot see, which the analysis then meets: edges
    rewired to other nodes (cycles, self-loops, orphans), types and names
    swapped, sizes from 0 to 2^32 - 1, ids repeated."""
    meta = doc["snapshot"]["meta"]
    nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
    nodes, edges, strings = doc["nodes"], doc["edges"], doc["strings"]
    n = len(nodes) // nf
    to = meta["edge_fields"].index("to_node")
    for _ in range(rng.randrange(1, 20)):
        roll = rng.randrange(5)
        if roll == 0 and edges:
            e = rng.randrange(0, len(edges), ef)
            edges[e + to] = rng.randrange(n) * nf
        elif roll == 1:
            v = rng.randrange(n) * nf
            nodes[v + meta["node_fields"].index("name")] = rng.randrange(len(strings))
        elif roll == 2:
            v = rng.randrange(n) * nf
            nodes[v + meta["node_fields"].index("self_size")] = rng.choice([0, 1, 2**31, 2**32 - 1])
        elif roll == 3:
            v, w = rng.randrange(n) * nf, rng.randrange(n) * nf
            i = meta["node_fields"].index("id")
            nodes[v + i] = nodes[w + i]
        else:
            v = rng.randrange(n) * nf
            nodes[v] = rng.randrange(len(meta["node_types"][0]))
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def v8_mutant(seed_text: str, n: int) -> tuple[str, bytes]:
    """V8 mutant number ``n`` of a seed (the same bytes every time)."""
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


def mutant(kind: str, seed: bytes, n: int) -> tuple[str, bytes]:
    """Mutant number ``n`` of ``seed``: ``(file suffix, bytes)``; the same
    every time for the same arguments."""
    if kind == "v8":
        return v8_mutant(seed.decode("utf-8"), n)
    rng = random.Random(f"{kind}:{n}")
    gz = seed[:2] == b"\x1f\x8b"
    text = gzip.decompress(seed) if gz else seed
    if kind == "timeline":
        data = mutate_timeline(text, rng) if rng.random() < 0.7 else mutate_bytes(text, rng)
        if rng.random() < 0.05:
            data = gzip.compress(data)
        return ".jsonl", data
    roll = rng.random()
    if roll < 0.15 and gz:
        return ".lhs.json.gz", mutate_bytes(seed, rng)  # damage in the gzip stream itself
    if roll < 0.35:
        data = mutate_bytes(text, rng)
    elif kind == "graph" and roll < 0.8:
        data = mutate_graph(json.loads(text), rng).encode("utf-8", "surrogatepass")
    else:
        data = mutate_json(json.loads(text), rng).encode("utf-8", "surrogatepass")
    if gz and rng.random() < 0.7:
        return ".lhs.json.gz", gzip.compress(data, compresslevel=1, mtime=0)
    return ".lhs.json", data


# -------------------------------------------------------------------- running one input


def commands(kind: str, path: str, seed_path: str) -> list[list[str]]:
    """The CLI commands that consume a file of ``kind`` (run on a mutant
    that the reader accepted)."""
    if kind == "timeline":
        return [["timeline", path]]
    out = [["inspect", path], ["diff", seed_path, path, "--paths"]]
    if kind in ("graph", "v8"):
        shown = "dict" if kind == "graph" else "Array"
        out += [["graph", path, "-o", "-", "--type", shown, "--max-nodes", "20"]]
    return out


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``leakhunt.cli.main(argv)`` with stdout discarded: (exit code, stderr)."""
    from leakhunt.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, err.getvalue()


def check(kind: str, path: str, seed_path: str, reader: Callable[[str], Any]) -> str:
    """Read ``path`` and run its commands; ``"refused"`` or ``"accepted"``,
    or AssertionError naming what went wrong."""
    from leakhunt.errors import SnapshotFileError

    try:
        reader(path)
    except SnapshotFileError as e:  # TimelineFileError is one
        assert "\n" not in str(e), f"multi-line error: {e!r}"
        verdict = "refused"
    else:
        verdict = "accepted"
    argvs = commands(kind, path, seed_path)
    # a refused file is refused by every command (the same reader): one
    # command checks that the CLI says so in one line
    for argv in argvs if verdict == "accepted" else argvs[:1]:
        rc, err = run_cli(argv)
        assert rc in (0, 1, 2) and "Traceback" not in err, f"{argv}: exit {rc}\n{err}"
        if rc == 2:
            assert len(err.splitlines()) == 1, f"{argv}: not one line\n{err}"
    return verdict
