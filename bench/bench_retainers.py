"""`make bench`, second part: "what holds this object", leakhunt against
objgraph and guppy3, on the heap of bench/heap.py (1M gc-tracked objects;
100k with --quick).

Every measurement runs in its own fresh subprocess (this script in worker
mode), one after the other, never in parallel. A worker builds the heap
(bench/heap.py, seeded) and, in every worker alike, three retention cases
next to it:

- *one*: a module ``lh_bench_chain`` in sys.modules whose ``.head`` holds
  obj1, obj1.next = obj2, ..., obj9.next = obj10, the target: 10 links.
- *many*: a module ``lh_bench_leak`` whose ``.root`` holds L1, L1.next = L2,
  ..., L8.next = a list of 1,000 ``Leaked`` instances: 10 links to each.
- *none*: 1,000 ``Record`` objects in the buffer of a ``BufferingHandler``
  (each record points back at its handler), kept alive only by
  ``atexit.register(handler.flush)``: the atexit registry is C state, so no
  Python-level path reaches them. The target is record 500.

It settles the heap with gc.collect(), then measures one operation: wall
time (time.perf_counter; best of up to --repeat runs while --budget allows)
and extra peak memory (peak RSS during the first run minus RSS just before
it; the peak is reset through /proc/self/clear_refs). The measured code
never holds a target in a local variable (it is reached through the module,
or found by id, inside the call expression), so that no tool can find a
path through the benchmark's own frame.

A worker that has not finished its operation --timeout seconds after its
setup (--none-timeout for objgraph's no-path row) is killed and reported
as a timeout. Results are printed as a table and written as Markdown to
--out (docs/benchmarks-retainers.md: bench_snapshot.py owns
docs/benchmarks.md).

    python bench/bench_retainers.py --out docs/benchmarks-retainers.md
    python bench/bench_retainers.py --quick        # 100k heap, fast

Numbers are reported, never asserted: the targets from the issue are
marked "met" or "not met".
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import gc
import hashlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from _common import (
    _can_reset_peak,
    _fmt_git,
    _fmt_size,
    _git_head,
    _load,
    _machine,
    _proc_status,
    _reset_peak,
)

if TYPE_CHECKING:
    from leakhunt.model import HeapGraph, Snapshot

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # run as a script, sys.path[0] is already bench/
    sys.path.insert(0, HERE)

DEFAULT_SIZES = "1000000"
QUICK_SIZES = "100000"
DEFAULT_SEED = 20240601
TARGET_SIZE = 1_000_000
DEPTH = 10  # links from the module to each target
LEAKED = 1000  # objects in the "many" case
RECORDS = 1000  # records held from C in the "none" case
NONE_TARGET_INDEX = 500
OBJGRAPH_SAMPLE = 20  # find_backref_chain calls timed in the "many" case
# Targets from the issue ("Why is it alive", item 8)
TARGET_SPEEDUP = 20.0  # leakhunt at least 20x faster than objgraph, 1,000 objects
TARGET_NO_PATH_SECONDS = 5.0  # "a few seconds" when no path exists
TARGET_NODE_BYTES = 40.0  # capture memory: at most 40 B per object ...
TARGET_EDGE_BYTES = 12.0  # ... plus 12 B per edge
MB = 1024 * 1024


@dataclass(frozen=True)
class Measure:
    key: str
    case: str  # "one", "many", "none", "capture"
    tool: str  # "leakhunt", "objgraph", "guppy3"
    label: str
    measures: str
    diagnostic: bool = False


MEASURES: tuple[Measure, ...] = (
    Measure(
        "lh-capture",
        "capture",
        "leakhunt",
        "leakhunt take_snapshot(graph=True)",
        "the graph capture alone (gc.collect(), roots, compiled walk, HeapGraph arrays), "
        "then `leakhunt.save()` to a .lhs.json.gz and `leakhunt.load()` of it",
    ),
    Measure(
        "lh-capture-phases",
        "capture",
        "leakhunt",
        "leakhunt take_snapshot(graph=True), phases",
        "one capture, the first in its process, with `gc.collect`, `gc.get_objects`, the "
        "root collection, the compiled walk and `build_graph` wrapped in timers (the RSS "
        "peak is reset when each phase starts)",
        diagnostic=True,
    ),
    Measure(
        "lh-one",
        "one",
        "leakhunt",
        "leakhunt capture + shortest_paths",
        "`take_snapshot(graph=True)` (capture), then the target's node by id and "
        "`retainers.shortest_paths(graph, [node])` (search)",
    ),
    Measure(
        "lh-why-one",
        "one",
        "leakhunt",
        "leakhunt.why(obj)",
        "the one-call API with its defaults: capture, shortest path and the object's "
        "direct referrers",
        diagnostic=True,
    ),
    Measure(
        "og-one",
        "one",
        "objgraph",
        "objgraph.find_backref_chain",
        "`objgraph.find_backref_chain(obj, objgraph.is_proper_module)`, objgraph's "
        "documented way: a breadth-first search backwards from the object, one "
        "gc.get_referrers() (a scan of every tracked object) per object it reaches",
    ),
    Measure(
        "guppy-one",
        "one",
        "guppy3",
        "guppy3 hpy().iso(obj).sp",
        "`str(hpy().iso(obj).sp)`: guppy's shortest paths from its root, rendered",
    ),
    Measure(
        "lh-many",
        "many",
        "leakhunt",
        "leakhunt capture + shortest_paths + cluster_paths",
        "one `take_snapshot(graph=True)` (capture); then (search) the 1,000 targets' nodes "
        "by type name, ONE `shortest_paths` call for all of them and `cluster_paths` "
        "(which runs its own shortest_paths: the search time counts that BFS twice)",
    ),
    Measure(
        "og-many",
        "many",
        "objgraph",
        "objgraph.find_backref_chain, per object",
        f"one `find_backref_chain(obj, is_proper_module)` per object: {OBJGRAPH_SAMPLE} "
        "calls on evenly spaced objects are timed and the total is extrapolated to all "
        "1,000 (x 1000/calls)",
    ),
    Measure(
        "guppy-many",
        "many",
        "guppy3",
        "guppy3 hpy().iso(*objs).sp",
        "`str(hpy().iso(*targets).sp)`: one call for the set, guppy's natural use; it "
        "finds a path to each of the 1,000 and prints the first 10",
    ),
    Measure(
        "lh-none",
        "none",
        "leakhunt",
        "leakhunt capture + shortest_paths",
        "as for one object: capture, then `shortest_paths` finds no root reaching the "
        "target after searching everything the roots reach: 'held outside Python'",
    ),
    Measure(
        "lh-why-none",
        "none",
        "leakhunt",
        "leakhunt.why(obj)",
        "the one-call API, which also names the direct referrers ([500] of a list)",
        diagnostic=True,
    ),
    Measure(
        "og-none",
        "none",
        "objgraph",
        "objgraph.find_backref_chain",
        "as for one object; with no module at the end of any chain it searches every "
        "object that reaches the target backwards, one full heap scan per object",
    ),
    Measure(
        "guppy-none",
        "none",
        "guppy3",
        "guppy3 hpy().iso(obj).sp",
        "as for one object; an empty result means no path",
    ),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}
CASE_TITLES = {
    "one": f"one object, {DEPTH} links deep",
    "many": f"{LEAKED:,} objects, {DEPTH} links deep",
    "none": "no path (held only from C)",
}


# --------------------------------------------------------------------------
# the retention cases, built in every worker


class Link:
    """One link of a chain: an ordinary ``__dict__`` instance."""

    def __init__(self, nxt: object) -> None:
        self.next = nxt


class ChainTarget:
    """The object at the end of the chain of the "one" case."""

    def __init__(self) -> None:
        self.payload = [0] * 4


class Leaked:
    """One of the 1,000 objects of the "many" case."""

    def __init__(self, i: int) -> None:
        self.i = i
        self.data = {"n": i}


class Record:
    """A buffered record; like many real objects it points at its owner."""

    def __init__(self, handler: BufferingHandler, seq: int) -> None:
        self.handler = handler
        self.seq = seq
        self.fields = {"seq": seq, "msg": f"record {seq}"}


class BufferingHandler:
    """Buffers records until flushed at exit."""

    def __init__(self) -> None:
        self.buffer: list[Record] = []

    def flush(self) -> None:
        self.buffer.clear()


CHAIN_MODULE = "lh_bench_chain"
LEAK_MODULE = "lh_bench_leak"
_HEAP: Any = None  # the heap under test, kept alive by this global
_NONE_TARGET_ID = 0  # id() of the record held only from C (an int holds nothing)


def _new_module(name: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    return mod


def build_cases() -> None:
    global _NONE_TARGET_ID
    # one: module.head -> obj1 -> ... -> obj10 (the target)
    node: object = ChainTarget()
    for _ in range(DEPTH - 1):
        node = Link(node)
    _new_module(CHAIN_MODULE).head = node  # type: ignore[attr-defined]
    # many: module.root -> L1 -> ... -> L8 -> list -> [i]
    node = [Leaked(i) for i in range(LEAKED)]
    for _ in range(DEPTH - 2):
        node = Link(node)
    _new_module(LEAK_MODULE).root = node  # type: ignore[attr-defined]
    del node
    # none: records referenced only by a handler that only atexit holds
    handler = BufferingHandler()
    handler.buffer.extend(Record(handler, i) for i in range(RECORDS))
    atexit.register(handler.flush)
    _NONE_TARGET_ID = id(handler.buffer[NONE_TARGET_INDEX])


def chain_target() -> Any:
    node = getattr(sys.modules[CHAIN_MODULE], "head")  # noqa: B009
    for _ in range(DEPTH - 1):
        node = node.next
    return node


def leaked_list() -> list[Leaked]:
    node = getattr(sys.modules[LEAK_MODULE], "root")  # noqa: B009
    for _ in range(DEPTH - 2):
        node = node.next
    return node  # type: ignore[no-any-return]


def none_target() -> Any:
    for obj in gc.get_objects():
        if id(obj) == _NONE_TARGET_ID:
            return obj
    raise SystemExit("bench: the record held from C has gone")


# --------------------------------------------------------------------------
# worker side: one fresh process per (measurement, heap size)


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.replace(tmp, path)


def _walker_build() -> Optional[str]:
    try:
        import importlib

        walker: Any = importlib.import_module("leakhunt.capture._walker")
        with open(walker.__file__, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:12]
    except (ImportError, OSError, AttributeError):
        return None


#: One run of an operation: {"total": s, maybe "capture"/"search": s, ...}
RunResult = dict[str, Any]


def _node_of(graph: HeapGraph, obj_id: int) -> int:
    return int(graph.ids.index(obj_id))


def _graph_of(s: Snapshot) -> HeapGraph:
    if s.graph is None:
        raise SystemExit("bench: take_snapshot(graph=True) gave no graph (no compiled walker?)")
    return s.graph


def _lh_path(key: str) -> Callable[[], RunResult]:
    from leakhunt import retainers, take_snapshot

    def run() -> RunResult:
        oid = id(chain_target()) if key == "lh-one" else _NONE_TARGET_ID
        t0 = time.perf_counter()
        s = take_snapshot(graph=True)
        t1 = time.perf_counter()
        g = _graph_of(s)
        node = _node_of(g, oid)
        path = retainers.shortest_paths(g, [node])[node]
        t2 = time.perf_counter()
        out: RunResult = {"capture": t1 - t0, "search": t2 - t1, "total": t2 - t0}
        out["nodes"], out["edges"] = g.n, g.edge_count
        if path is None:
            from leakhunt.runtime.why import HELD_OUTSIDE

            out["answer"] = f"{g.type_name(node)}: {HELD_OUTSIDE}"
            out["path_objects"] = None
        else:
            out["answer"] = path.text(g)
            out["path_objects"] = len(path.steps)
            out["path_types"] = [g.type_name(v) for v, _ in path.steps]
        return out

    return run


def _lh_why(key: str) -> Callable[[], RunResult]:
    import leakhunt

    def run() -> RunResult:
        t0 = time.perf_counter()
        if key == "lh-why-one":
            w = leakhunt.why(chain_target())
        else:
            w = leakhunt.why(none_target())
        dt = time.perf_counter() - t0
        return {
            "total": dt,
            "answer": w.text,
            "path_objects": None if w.path is None else len(w.path.steps),
        }

    return run


def _lh_many() -> Callable[[], RunResult]:
    from leakhunt import retainers, take_snapshot
    from leakhunt.capture import type_name

    name = type_name(Leaked)

    def run() -> RunResult:
        t0 = time.perf_counter()
        s = take_snapshot(graph=True)
        t1 = time.perf_counter()
        g = _graph_of(s)
        index = g.type_names.index(name)
        targets = [i for i, t in enumerate(g.types) if t == index]
        t2 = time.perf_counter()
        paths = retainers.shortest_paths(g, targets)
        t3 = time.perf_counter()
        clusters = retainers.cluster_paths(g, targets)
        t4 = time.perf_counter()
        lengths = sorted({len(p.steps) for p in paths.values() if p is not None})
        return {
            "capture": t1 - t0,
            "select": t2 - t1,
            "shortest_paths": t3 - t2,
            "cluster_paths": t4 - t3,
            "search": t4 - t1,
            "total": t4 - t0,
            "nodes": g.n,
            "edges": g.edge_count,
            "targets": len(targets),
            "found": sum(p is not None for p in paths.values()),
            "path_objects": lengths,
            "clusters": len(clusters),
            "answer": (
                f"{len(clusters)} cluster(s); {clusters[0].count} x "
                + clusters[0].representative.text(g)
                if clusters
                else "no cluster"
            ),
        }

    return run


def _og_chain_info(chain: list[Any], objgraph: Any) -> dict[str, Any]:
    found = len(chain) > 1 and objgraph.is_proper_module(chain[0])
    return {
        "path_objects": len(chain) if found else None,
        "path_types": [type(x).__name__ for x in chain],
        "answer": (
            f"chain of {len(chain)} objects from module {chain[0].__name__}"
            if found
            else "no chain (returns [obj])"
        ),
    }


def _og_one(key: str) -> Callable[[], RunResult]:
    import objgraph

    def run() -> RunResult:
        t0 = time.perf_counter()
        if key == "og-one":
            chain = objgraph.find_backref_chain(chain_target(), objgraph.is_proper_module)
        else:
            chain = objgraph.find_backref_chain(none_target(), objgraph.is_proper_module)
        dt = time.perf_counter() - t0
        out: RunResult = {"total": dt, **_og_chain_info(chain, objgraph)}
        del chain
        return out

    return run


_GUPPY_STEP = re.compile(r"\['[^']*'\]|\[\d+\]")


def _guppy(key: str) -> Callable[[], RunResult]:
    from guppy import hpy

    def run() -> RunResult:
        t0 = time.perf_counter()
        if key == "guppy-one":
            text = str(hpy().iso(chain_target()).sp)
        elif key == "guppy-many":
            text = str(hpy().iso(*leaked_list()).sp)
        else:
            text = str(hpy().iso(none_target()).sp)
        dt = time.perf_counter() - t0
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        out: RunResult = {"total": dt, "lines": len(lines)}
        if not lines:
            out["answer"] = "no path (empty result)"
            out["hops"] = None
        else:
            first = lines[0].split(": ", 1)[-1]
            # Links after the module: ['head'], ['next'], [3] ... (the first
            # subscript is i0_modules['NAME'], the module itself)
            out["hops"] = len(_GUPPY_STEP.findall(first)) - 1
            more = [ln for ln in lines if ln.startswith("<")]
            out["answer"] = f"{out['hops']} links: {first}" + (f" {more[0]}" if more else "")
        return out

    return run


def _og_many(result: str, partial: dict[str, Any], budget: float) -> RunResult:
    """One find_backref_chain per sampled object; the partial result is
    written after each call, so that a timeout still leaves numbers."""
    import objgraph

    step = LEAKED // OBJGRAPH_SAMPLE
    times: list[float] = []
    lengths: list[Optional[int]] = []
    start = time.perf_counter()
    for k in range(OBJGRAPH_SAMPLE):
        i = k * step
        t0 = time.perf_counter()
        chain = objgraph.find_backref_chain(leaked_list()[i], objgraph.is_proper_module)
        times.append(time.perf_counter() - t0)
        lengths.append(_og_chain_info(chain, objgraph)["path_objects"])
        del chain
        partial.update(
            {"calls": times, "path_objects": sorted({x for x in lengths if x is not None})}
        )
        partial["not_found"] = sum(x is None for x in lengths)
        _write_json(result, partial)
        if budget and time.perf_counter() - start > budget:
            break
    total = sum(times) * LEAKED / len(times)
    return {
        "total": total,
        "measured": sum(times),
        "calls": times,
        "path_objects": sorted({x for x in lengths if x is not None}),
        "not_found": sum(x is None for x in lengths),
        "answer": f"{len(times)} calls timed, {sum(times) / len(times):.2f} s each; "
        f"x {LEAKED // len(times) if LEAKED % len(times) == 0 else LEAKED / len(times)} "
        f"extrapolated",
    }


def _lh_capture(use_rss: bool, base: dict[str, int]) -> Callable[[], RunResult]:
    from leakhunt import take_snapshot

    def run() -> RunResult:
        t0 = time.perf_counter()
        s = take_snapshot(graph=True)
        dt = time.perf_counter() - t0
        g = _graph_of(s)
        out: RunResult = {"total": dt, "capture": dt, "nodes": g.n, "edges": g.edge_count}
        if use_rss:  # what the snapshot keeps, once the capture is done
            out["retained"] = _proc_status()["VmRSS"] - base["rss"]
        return out

    return run


def _capture_extras(out: dict[str, Any], use_rss: bool) -> None:
    """File size, write and read times, the graph's own sizes, and the
    capture's peak as tracemalloc sees it (an untimed capture of its own)."""
    import tracemalloc

    import leakhunt

    gc.collect()
    tracemalloc.start()
    try:
        tm0 = tracemalloc.get_traced_memory()[0]
        s = leakhunt.take_snapshot(graph=True)
        out["tm_peak"] = tracemalloc.get_traced_memory()[1] - tm0
    finally:
        tracemalloc.stop()
    del s
    gc.collect()
    s = leakhunt.take_snapshot(graph=True)
    g = _graph_of(s)
    out["nodes"], out["edges"] = g.n, g.edge_count
    node_arrays = [g.ids, g.types, g.sizes, g.offsets] + ([g.lengths] if g.lengths else [])
    out["node_bytes"] = sum(a.itemsize for a in node_arrays)
    out["edge_bytes"] = g.targets.itemsize + g.labels.itemsize
    out["graph_nbytes"] = sum(a.itemsize * len(a) for a in [*node_arrays, g.targets, g.labels])
    out["label_names"] = len(g.label_names)
    out["label_bytes"] = sum(map(sys.getsizeof, g.label_names)) + sys.getsizeof(g.label_names)
    out["type_names"] = len(g.type_names)
    out["roots"] = len(g.roots)
    with tempfile.TemporaryDirectory(prefix="leakhunt-bench-") as d:
        path = os.path.join(d, "graph.lhs.json.gz")
        rss0 = _proc_status()["VmRSS"] if use_rss else 0
        if use_rss:
            _reset_peak()
        t0 = time.perf_counter()
        leakhunt.save(s, path)
        out["write_seconds"] = time.perf_counter() - t0
        if use_rss:
            out["write_peak"] = _proc_status()["VmHWM"] - rss0
        out["file_bytes"] = os.path.getsize(path)
        del s, g
        gc.collect()
        rss0 = _proc_status()["VmRSS"] if use_rss else 0
        if use_rss:
            _reset_peak()
        t0 = time.perf_counter()
        back = leakhunt.load(path)
        out["read_seconds"] = time.perf_counter() - t0
        if use_rss:
            out["read_peak"] = _proc_status()["VmHWM"] - rss0
        out["read_ok"] = back.graph is not None and (back.graph.n, back.graph.edge_count) == (
            out["nodes"],
            out["edges"],
        )
        del back
    gc.collect()


def _capture_phases(out: dict[str, Any], use_rss: bool) -> None:
    """One capture, the first in this process, with the callables
    take_snapshot looks up at call time wrapped in timers: where it spends
    its time and memory."""
    import leakhunt
    from leakhunt import _graphcap, model
    from leakhunt import capture as cap

    phases: list[dict[str, Any]] = []
    base = {"rss": 0, "t0": 0.0}

    def wrap(name: str, fn: Callable[..., Any], nested: bool = False) -> Callable[..., Any]:
        # A nested phase (inside another) is timed only: resetting the peak
        # would hide the outer phase's.
        def timed(*args: Any, **kwargs: Any) -> Any:
            if use_rss and not nested:
                _reset_peak()
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                st = _proc_status() if use_rss else {"VmHWM": 0, "VmRSS": 0}
                phases.append(
                    {
                        "phase": name,
                        "start": t0 - base["t0"],
                        "seconds": dt,
                        "nested": nested,
                        "peak": None if nested else st["VmHWM"] - base["rss"],
                        "after": st["VmRSS"] - base["rss"],
                    }
                )

        return timed

    saved = (
        gc.collect,
        gc.get_objects,
        _graphcap.collect_roots,
        cap._C_GRAPH,
        _graphcap.build_graph,
        model.HeapGraph.__post_init__,
    )
    gc.collect = wrap("gc.collect()", gc.collect)
    gc.get_objects = wrap("gc.get_objects()", gc.get_objects)
    _graphcap.collect_roots = wrap("roots (sys.modules, thread frames)", saved[2])
    assert saved[3] is not None
    cap._C_GRAPH = wrap("compiled walk (_walker.graph)", saved[3])
    _graphcap.build_graph = wrap("HeapGraph from the walk (build_graph)", saved[4])
    model.HeapGraph.__post_init__ = wrap(  # type: ignore[method-assign]
        "of which: HeapGraph checks (__post_init__)", saved[5], nested=True
    )
    try:
        base["rss"] = _proc_status()["VmRSS"] if use_rss else 0
        if use_rss:
            _reset_peak()
        t0 = base["t0"] = time.perf_counter()
        s = leakhunt.take_snapshot(graph=True)
        total = time.perf_counter() - t0
        end = _proc_status() if use_rss else {"VmHWM": 0, "VmRSS": 0}
    finally:
        gc.collect, gc.get_objects = saved[0], saved[1]
        _graphcap.collect_roots, cap._C_GRAPH, _graphcap.build_graph = saved[2:5]
        model.HeapGraph.__post_init__ = saved[5]  # type: ignore[method-assign]
    phases.sort(key=lambda p: p["start"])
    named = sum(p["seconds"] for p in phases if not p["nested"])
    phases.append(
        {
            "phase": "the rest (histogram rows, Snapshot, gc restore)",
            "start": total,
            "nested": False,
            "seconds": max(0.0, total - named),
            "peak": None,
            "after": end["VmRSS"] - base["rss"],
        }
    )
    out["phases"] = phases
    out["phases_total"] = total
    out["phases_peak"] = max(p["peak"] or 0 for p in phases)
    out["runs"] = [{"total": total, "capture": total}]
    out["best"] = 0
    del s
    gc.collect()


def run_worker(
    key: str, size: int, seed: int, repeat: int, budget: float, result: str, ready: str
) -> None:
    global _HEAP
    # The same imports in every worker, so every worker sees the same heap.
    import objgraph  # noqa: F401
    from guppy import hpy  # noqa: F401
    from heap import build_heap

    import leakhunt
    from leakhunt import retainers, why  # noqa: F401

    gc.collect()
    gc.collect()
    base_tracked = len(gc.get_objects())
    t0 = time.perf_counter()
    _HEAP = build_heap(size, seed)
    build_cases()
    build_seconds = time.perf_counter() - t0
    for _ in range(3):  # settle: untrack atomic tuples, empty the young generations
        gc.collect()
    tracked = len(gc.get_objects())
    use_rss = _can_reset_peak()
    out: dict[str, Any] = {
        "key": key,
        "size": size,
        "tracked": tracked,
        "built": tracked - base_tracked,
        "build_seconds": build_seconds,
        "walker": leakhunt.walker_name(),
        "walker_build": _walker_build(),
        "mem_method": "rss" if use_rss else "none",
        "heap_rss": _proc_status()["VmRSS"] if use_rss else None,
    }
    _write_json(result, out)
    with open(ready, "w") as f:
        f.write("ready\n")

    if key == "lh-capture-phases":
        _capture_phases(out, use_rss)
        _write_json(result, out)
        return
    if key == "og-many":
        rss_before = _proc_status()["VmRSS"] if use_rss else 0
        if use_rss:
            _reset_peak()
        res = _og_many(result, dict(out), budget)
        out.update(res)
        out["extra_peak"] = _proc_status()["VmHWM"] - rss_before if use_rss else None
        out["runs"] = [res]
        out["best"] = 0
        _write_json(result, out)
        return

    res_base = {"rss": 0}  # RSS before the current run, for lh-capture's "retained"
    run: Callable[[], RunResult]
    if key in ("lh-one", "lh-none"):
        run = _lh_path(key)
    elif key in ("lh-why-one", "lh-why-none"):
        run = _lh_why(key)
    elif key == "lh-many":
        run = _lh_many()
    elif key in ("og-one", "og-none"):
        run = _og_one(key)
    elif key.startswith("guppy-"):
        run = _guppy(key)
    elif key == "lh-capture":
        run = _lh_capture(use_rss, res_base)
    else:
        raise SystemExit(f"bench: unknown measurement {key!r}")

    gc.collect()
    # First run: time and memory.
    rss_before = _proc_status()["VmRSS"] if use_rss else 0
    res_base["rss"] = rss_before
    if use_rss:
        _reset_peak()
    first = run()
    out["extra_peak"] = max(0, _proc_status()["VmHWM"] - rss_before) if use_rss else None
    runs = [first]
    gc.collect()
    out["runs"] = runs
    _write_json(result, out)
    # Further runs, time only, while the budget allows.
    spent = first["total"]
    while len(runs) < repeat and spent + 1.5 * max(r["total"] for r in runs) < budget:
        res_base["rss"] = _proc_status()["VmRSS"] if use_rss else 0
        runs.append(run())
        spent += runs[-1]["total"]
        gc.collect()
    out["best"] = min(range(len(runs)), key=lambda i: runs[i]["total"])
    if key == "lh-capture":
        _capture_extras(out, use_rss)
    _write_json(result, out)


# --------------------------------------------------------------------------
# driver side


@dataclass
class Row:
    measure: Measure
    size: int
    status: str = "ok"  # "ok", "timeout", "error"
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    wall: float = 0.0
    op_timeout: float = 0.0

    @property
    def best(self) -> dict[str, Any]:
        runs = self.data.get("runs") or []
        i = self.data.get("best")
        if not runs:
            return {}
        return dict(runs[i if isinstance(i, int) else 0])

    def seconds(self, part: str = "total") -> Optional[float]:
        if self.status != "ok":
            return None
        v = self.best.get(part)
        return float(v) if v is not None else None

    @property
    def extra_peak(self) -> Optional[int]:
        v = self.data.get("extra_peak")
        return int(v) if self.status == "ok" and v is not None else None

    @property
    def first(self) -> dict[str, Any]:
        runs = self.data.get("runs") or []
        return dict(runs[0]) if runs else {}


def run_one(m: Measure, size: int, args: argparse.Namespace) -> Row:
    env = dict(os.environ)
    env.pop("LEAKHUNT_PURE_PYTHON", None)
    op_timeout = args.none_timeout if m.key == "og-none" else args.timeout
    fd, result = tempfile.mkstemp(prefix="leakhunt-bench-", suffix=".json")
    os.close(fd)
    os.unlink(result)
    ready = result + ".ready"
    log = result + ".log"
    budget = args.budget
    if m.key == "og-many":  # the N calls: stop early rather than be killed
        budget = 0.8 * op_timeout
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        m.key,
        "--size",
        str(size),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--budget",
        str(budget),
        "--result",
        result,
        "--ready",
        ready,
    ]
    row = Row(m, size, op_timeout=op_timeout)
    t0 = time.monotonic()
    with open(log, "w") as logf:
        proc = subprocess.Popen(cmd, env=env, stdout=logf, stderr=subprocess.STDOUT)
        deadline = t0 + args.setup_timeout
        started = False
        try:
            while proc.poll() is None:
                now = time.monotonic()
                if not started and os.path.exists(ready):
                    started = True
                    deadline = now + op_timeout
                if now > deadline:
                    proc.kill()
                    proc.wait()
                    row.status = "timeout"
                    row.error = (
                        f"no result within {op_timeout:g} s of the operation"
                        if started
                        else f"setup not done within {args.setup_timeout:g} s"
                    )
                    break
                time.sleep(0.1)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    row.wall = time.monotonic() - t0
    try:
        if os.path.exists(result):
            with open(result) as f:
                row.data = json.load(f)
        if row.status == "ok" and proc.returncode != 0:
            row.status = "error"
            with open(log) as f:
                tail = f.read().strip().splitlines()[-3:]
            row.error = f"exit {proc.returncode}: " + " | ".join(tail)
        elif row.status == "ok" and not row.data.get("runs"):
            row.status = "error"
            row.error = "the worker wrote no result"
    finally:
        for p in (result, ready, log, result + ".tmp"):
            if os.path.exists(p):
                os.unlink(p)
    return row


def _fmt_num(x: Optional[float], spec: str) -> str:
    return "-" if x is None else format(x, spec)


def _fmt_secs(x: Optional[float]) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _short(text: str, limit: int = 110) -> str:
    # Ten identical hops read better folded: ".next -> .next -> ..." -> ".next x9"
    parts = text.split(" -> ")
    folded: list[str] = []
    i = 0
    while i < len(parts):
        j = i
        while j + 1 < len(parts) and parts[j + 1] == parts[i]:
            j += 1
        folded.append(parts[i] if j == i else f"{parts[i]} (x{j - i + 1})")
        i = j + 1
    text = " -> ".join(folded)
    text = re.sub(
        r"((?:\.__dict__\['next'\]){2,})",
        lambda m: f"(.__dict__['next'] x{m.group(1).count('next')})",
        text,
    )
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Report:
    rows: list[Row]
    sizes: list[int]
    args: argparse.Namespace
    started: datetime.datetime
    elapsed: float = 0.0
    load: tuple[Optional[float], Optional[float]] = (None, None)
    git: tuple[Optional[str], Optional[str]] = (None, None)

    def row(self, key: str, size: int) -> Optional[Row]:
        for r in self.rows:
            if r.size == size and r.measure.key == key:
                return r
        return None

    def target_size(self) -> int:
        return TARGET_SIZE if TARGET_SIZE in self.sizes else max(self.sizes)

    def where(self, size: int) -> str:
        if size == TARGET_SIZE:
            return f"{_fmt_size(size)} heap"
        return f"{_fmt_size(size)} heap (the 1M heap was not measured in this run)"

    def walker_builds(self) -> list[str]:
        seen = (r.data.get("walker_build") for r in self.rows if r.status == "ok")
        return list(dict.fromkeys(b for b in seen if b))

    def warnings(self) -> list[str]:
        out = []
        builds = self.walker_builds()
        if len(builds) > 1:
            out.append(
                "the compiled walker was rebuilt during this run (builds "
                + ", ".join(builds)
                + "): rows are not comparable; run again"
            )
        return out

    def leakhunt_total(self, case: str, size: int) -> Optional[float]:
        key = {"one": "lh-one", "many": "lh-many", "none": "lh-none"}[case]
        r = self.row(key, size)
        return r.seconds() if r is not None else None

    def answer(self, r: Row) -> str:
        if r.status == "timeout":
            extra = ""
            if r.measure.key == "og-many" and r.data.get("calls"):
                calls = r.data["calls"]
                extra = (
                    f"; {len(calls)} calls done, {sum(calls) / len(calls):.2f} s each "
                    f"(x {LEAKED:,}: {sum(calls) / len(calls) * LEAKED:.0f} s)"
                )
            return f"timeout (> {r.op_timeout:g} s){extra}"
        if r.status != "ok":
            return r.status
        return _short(str(r.best.get("answer", "")))

    def table(self) -> tuple[list[str], list[list[str]]]:
        head = [
            "case",
            "heap",
            "tool",
            "capture (s)",
            "search (s)",
            "total (s)",
            "x leakhunt",
            "extra peak (MB)",
            "runs",
            "answer",
        ]
        body = []
        for r in self.rows:
            if r.measure.case == "capture":
                continue
            lh = self.leakhunt_total(r.measure.case, r.size)
            secs = r.seconds()
            if r.status == "timeout":
                total = f"> {r.op_timeout:g}"
                ratio = f"> {r.op_timeout / lh:.0f}" if lh else "-"
            else:
                total = _fmt_secs(secs)
                ratio = _fmt_num(secs / lh if secs is not None and lh else None, ".2f")
            if r.measure.key == "og-many" and r.status == "ok":
                total += f" (extrapolated from {len(r.data.get('calls', []))} calls)"
            label = r.measure.label + (" (diagnostic)" if r.measure.diagnostic else "")
            peak = r.extra_peak
            body.append(
                [
                    CASE_TITLES[r.measure.case],
                    _fmt_size(r.size),
                    label,
                    _fmt_secs(r.seconds("capture")),
                    _fmt_secs(r.seconds("search")),
                    total,
                    ratio,
                    _fmt_num(None if peak is None else peak / MB, ".1f"),
                    str(len(r.data.get("runs", []))) if r.status == "ok" else "-",
                    self.answer(r),
                ]
            )
        return head, body

    def capture_table(self) -> tuple[list[str], list[list[str]]]:
        head = [
            "heap",
            "nodes",
            "edges",
            "capture (s)",
            "extra peak (MB)",
            "budget 40/node + 12/edge (MB)",
            "peak / budget",
            "tracemalloc peak (MB)",
            "RSS kept after (MB)",
            "graph arrays (MB)",
            "file (MB)",
            "file B/node",
            "write (s)",
            "read (s)",
        ]
        body = []
        for size in self.sizes:
            r = self.row("lh-capture", size)
            if r is None:
                continue
            if r.status != "ok":
                body.append([_fmt_size(size), r.status] + ["-"] * (len(head) - 2))
                continue
            d = r.data
            n, e = int(d["nodes"]), int(d["edges"])
            budget = TARGET_NODE_BYTES * n + TARGET_EDGE_BYTES * e
            peak = r.extra_peak
            body.append(
                [
                    _fmt_size(size),
                    f"{n:,}",
                    f"{e:,}",
                    _fmt_secs(r.seconds()),
                    _fmt_num(None if peak is None else peak / MB, ".1f"),
                    f"{budget / MB:.1f}",
                    _fmt_num(None if peak is None else peak / budget, ".2f"),
                    _fmt_num(None if d.get("tm_peak") is None else d["tm_peak"] / MB, ".1f"),
                    _fmt_num(
                        None if r.first.get("retained") is None else r.first["retained"] / MB,
                        ".1f",
                    ),
                    f"{d['graph_nbytes'] / MB:.1f}",
                    f"{d['file_bytes'] / MB:.1f}",
                    f"{d['file_bytes'] / n:.1f}",
                    _fmt_secs(d.get("write_seconds")),
                    _fmt_secs(d.get("read_seconds")),
                ]
            )
        return head, body

    def phase_table(self, size: int) -> tuple[list[str], list[list[str]]]:
        head = ["phase", "time (s)", "share", "peak over RSS before (MB)", "RSS after (MB)"]
        r = self.row("lh-capture-phases", size)
        body: list[list[str]] = []
        if r is None or r.status != "ok" or "phases" not in r.data:
            return head, body
        total = float(r.data["phases_total"])
        for p in r.data["phases"]:
            body.append(
                [
                    p["phase"],
                    _fmt_secs(p["seconds"]),
                    f"{100 * p['seconds'] / total:.0f}%" if total else "-",
                    _fmt_num(None if p["peak"] is None else p["peak"] / MB, ".1f"),
                    _fmt_num(None if p["after"] is None else p["after"] / MB, ".1f"),
                ]
            )
        body.append(
            [
                "**whole capture**",
                _fmt_secs(total),
                "100%",
                _fmt_num(r.data["phases_peak"] / MB, ".1f"),
                "-",
            ]
        )
        return head, body

    def targets(self) -> list[tuple[str, str, str]]:
        size = self.target_size()
        where = self.where(size)
        out: list[tuple[str, str, str]] = []
        # 1. 20x faster than objgraph, 1,000 objects
        name = f"at least {TARGET_SPEEDUP:g}x faster than objgraph for {LEAKED:,} objects"
        lh, og = self.row("lh-many", size), self.row("og-many", size)
        lh_s = lh.seconds() if lh is not None else None
        og_s: Optional[float] = None
        og_note = ""
        if og is not None and og.status == "ok":
            og_s = og.seconds()
            og_note = f"extrapolated from {len(og.data.get('calls', []))} calls"
        elif og is not None and og.status == "timeout" and og.data.get("calls"):
            calls = og.data["calls"]
            og_s = sum(calls) / len(calls) * LEAKED
            og_note = f"extrapolated from {len(calls)} calls before a timeout"
        if lh is None or lh_s is None or og_s is None:
            out.append((name, where, "unknown"))
        else:
            ratio = og_s / lh_s
            out.append(
                (
                    name,
                    f"{ratio:.0f}x (objgraph {og_s:.0f} s, {og_note}; leakhunt {lh_s:.2f} s: "
                    f"capture {_fmt_secs(lh.seconds('capture'))} + search "
                    f"{_fmt_secs(lh.seconds('search'))}"
                    f"), {where}",
                    "met" if ratio >= TARGET_SPEEDUP else "not met",
                )
            )
        # 2. a few seconds when no path exists
        name = (
            f"at most a few seconds (taken as <= {TARGET_NO_PATH_SECONDS:g} s) when no path "
            "exists, answering 'held outside Python'"
        )
        r = self.row("lh-none", size)
        why = self.row("lh-why-none", size)
        if r is None or r.seconds() is None:
            out.append((name, where, "unknown"))
        else:
            secs = r.seconds()
            assert secs is not None
            held = "held outside Python" in str(r.best.get("answer", ""))
            why_note = ""
            if why is not None and why.seconds() is not None:
                why_s = why.seconds()
                assert why_s is not None
                why_note = f"; the one-call leakhunt.why(obj) takes {why_s:.2f} s" + (
                    " (over the limit)" if why_s > TARGET_NO_PATH_SECONDS else ""
                )
            og_none = self.row("og-none", size)
            og_note = ""
            if og_none is not None:
                og_note = "; objgraph: " + (
                    f"timeout (> {og_none.op_timeout:g} s)"
                    if og_none.status == "timeout"
                    else f"{_fmt_secs(og_none.seconds())} s"
                )
            out.append(
                (
                    name,
                    f"{secs:.2f} s (capture {_fmt_secs(r.seconds('capture'))} + search "
                    f"{_fmt_secs(r.seconds('search'))}){why_note}{og_note}, {where}"
                    + ("" if held else "; **the answer was not 'held outside Python'**"),
                    "met" if secs <= TARGET_NO_PATH_SECONDS and held else "not met",
                )
            )
        # 3. capture memory
        name = (
            f"capture memory at most {TARGET_NODE_BYTES:g} B per object (node) "
            f"+ {TARGET_EDGE_BYTES:g} B per edge"
        )
        r = self.row("lh-capture", size)
        if r is None or r.status != "ok" or r.extra_peak is None:
            out.append((name, where, "unknown"))
        else:
            n, e = int(r.data["nodes"]), int(r.data["edges"])
            budget = TARGET_NODE_BYTES * n + TARGET_EDGE_BYTES * e
            peak = r.extra_peak
            per_node = (peak - TARGET_EDGE_BYTES * e) / n
            tm = r.data.get("tm_peak")
            tm_note = (
                ""
                if tm is None
                else f"; tracemalloc peak {tm / MB:.1f} MB = {tm / budget:.2f}x the budget"
            )
            worst = max(peak, tm or 0)
            out.append(
                (
                    name,
                    f"{peak / MB:.1f} MB extra peak (RSS) for {n:,} nodes and {e:,} edges = "
                    f"{peak / budget:.2f}x the budget of {budget / MB:.1f} MB "
                    f"({peak / n:.1f} B/node all told; {per_node:.1f} B/node after "
                    f"{TARGET_EDGE_BYTES:g} B/edge){tm_note}, {where}",
                    "met" if worst <= budget else "not met",
                )
            )
        # 4. file size
        name = "a compressed file of a similar order (taken as: within the same budget)"
        if r is None or r.status != "ok" or "file_bytes" not in r.data:
            out.append((name, where, "unknown"))
        else:
            n, e = int(r.data["nodes"]), int(r.data["edges"])
            budget = TARGET_NODE_BYTES * n + TARGET_EDGE_BYTES * e
            fb = int(r.data["file_bytes"])
            out.append(
                (
                    name,
                    f"{fb / MB:.1f} MB = {fb / n:.1f} B/node ({fb / budget:.2f}x the budget); "
                    f"write {r.data['write_seconds']:.2f} s, read {r.data['read_seconds']:.2f} s"
                    f", {where}",
                    "met" if fb <= budget else "not met",
                )
            )
        return out

    def cross_check(self) -> tuple[str, bool]:
        """Path lengths (objects on the path, the module and its __dict__
        included) of leakhunt against objgraph's chains; guppy's links."""
        size = self.target_size()
        parts = []
        ok = True
        lh = self.row("lh-one", size)
        og = self.row("og-one", size)
        gp = self.row("guppy-one", size)
        lh_n = lh.best.get("path_objects") if lh is not None and lh.status == "ok" else None
        og_n = og.best.get("path_objects") if og is not None and og.status == "ok" else None
        if lh is None or og is None:
            parts.append("one object: not run")
        elif lh_n is None or og_n is None:
            parts.append(f"one object: leakhunt {lh_n}, objgraph {og_n}: not comparable")
            ok = False
        else:
            same = lh_n == og_n
            ok = ok and same
            parts.append(
                f"one object, {DEPTH} links deep: leakhunt's path holds {lh_n} objects, "
                f"objgraph's chain {og_n} ({'same length' if same else 'DIFFERENT'}; "
                "both count the module and its __dict__)"
            )
        if gp is not None and gp.status == "ok":
            hops = gp.best.get("hops")
            ok = ok and hops == DEPTH
            parts.append(f"guppy3's path has {hops} links after the module (expected {DEPTH})")
        lm = self.row("lh-many", size)
        om = self.row("og-many", size)
        if lm is not None and lm.status == "ok" and om is not None and om.data.get("calls"):
            a = lm.best.get("path_objects")
            b = om.data.get("path_objects")
            found = lm.best.get("found")
            same = a == b and found == LEAKED
            ok = ok and same
            parts.append(
                f"{LEAKED:,} objects: leakhunt found {found} paths of {a} objects, objgraph's "
                f"{len(om.data['calls'])} sampled chains have {b} ({'same' if same else 'DIFFER'})"
            )
        return "; ".join(parts), ok


def _versions() -> str:
    from importlib import metadata

    import leakhunt

    parts = [f"leakhunt {leakhunt.__version__} (walker: {leakhunt.walker_name()})"]
    for dist in ("objgraph", "guppy3"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_table(head: list[str], body: list[list[str]], right: tuple[int, ...] = ()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in body]
    return lines


def _text_table(head: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    fmt = [
        f"{{:<{w}}}" if i < 3 or i == len(widths) - 1 else f"{{:>{w}}}"
        for i, w in enumerate(widths)
    ]
    lines = ["  ".join(f.format(x) for f, x in zip(fmt, head, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(f.format(x) for f, x in zip(fmt, row, strict=True)).rstrip() for row in body
    ]
    return lines


def _findings(rep: Report) -> list[str]:
    """Where the capture spends its time and memory (the instrumented worker)."""
    size = rep.target_size()
    r = rep.row("lh-capture", size)
    if r is None or r.status != "ok":
        return []
    d = r.data
    n = int(d["nodes"])
    pr = rep.row("lh-capture-phases", size)
    ok = pr is not None and pr.status == "ok" and "phases" in pr.data
    phases = {p["phase"]: p for p in pr.data["phases"]} if pr is not None and ok else {}
    walk = phases.get("compiled walk (_walker.graph)")
    build = phases.get("HeapGraph from the walk (build_graph)")
    collect = phases.get("gc.collect()")
    out = []
    if walk is not None:
        assert pr is not None
        out.append(
            f"The compiled walk takes {walk['seconds']:.2f} s of the "
            f"{pr.data['phases_total']:.2f} s "
            f"capture ({_fmt_size(size)} heap) and sets the memory peak: "
            f"{walk['peak'] / MB:.0f} MB over the RSS before the capture, "
            f"{walk['peak'] / n:.0f} B/node; when it returns, with its result (the arrays "
            f"as bytes) alive, RSS is {walk['after'] / MB:.0f} MB above the start."
        )
    if build is not None:
        checks = phases.get("of which: HeapGraph checks (__post_init__)")
        out.append(
            f"Turning the walk's bytes into the HeapGraph's arrays (build_graph) takes "
            f"{build['seconds']:.2f} s"
            + (
                f", of which {checks['seconds']:.2f} s are HeapGraph.__post_init__'s checks "
                "(max() over the edge targets, types and labels)"
                if checks is not None
                else ""
            )
            + f"; peak {build['peak'] / MB:.0f} MB over the RSS before the capture."
        )
    if collect is not None:
        out.append(f"The leading gc.collect() takes {collect['seconds']:.2f} s.")
    arrays = d["graph_nbytes"]
    out.append(
        f"The finished graph keeps {arrays / MB:.0f} MB of arrays, {arrays / n:.1f} B/node all "
        f"told: {d['node_bytes']} B per node (ids, sizes, offsets 8 B each; types, lengths "
        f"4 B) and {d['edge_bytes']} B per edge (target, label); plus {d['label_names']:,} "
        f"distinct edge label strings ({d['label_bytes'] / MB:.1f} MB) and "
        f"{d['type_names']:,} type names."
    )
    kept = r.first.get("retained")
    if kept is not None:
        out.append(
            f"Once the capture has returned, the process keeps {kept / MB:.0f} MB more RSS than "
            f"before it, {(kept - arrays - d['label_bytes']) / MB:.0f} MB more than the graph's "
            f"arrays and label strings: most likely memory freed during the capture that the "
            "allocator has not given back to the system."
        )
    lm = rep.row("lh-many", size)
    if lm is not None and lm.status == "ok":
        b = lm.best
        out.append(
            f"{LEAKED:,} objects: the search is the targets' nodes by type name "
            f"{b['select']:.2f} s, one shortest_paths for all {b['shortest_paths']:.2f} s, "
            f"cluster_paths (its own BFS again, then signatures) {b['cluster_paths']:.2f} s."
        )
    for key in ("lh-one", "lh-none", "lh-many"):
        lr = rep.row(key, size)
        cap_s, search_s = (lr.seconds("capture"), lr.seconds("search")) if lr else (None, None)
        if lr is None or cap_s is None or search_s is None:
            continue
        out.append(
            f"{CASE_TITLES[lr.measure.case][:1].upper()}{CASE_TITLES[lr.measure.case][1:]}: "
            f"the search takes {search_s:.2f} s, {search_s / cap_s:.1f}x the capture "
            f"({cap_s:.2f} s)."
        )
    return out


def render_markdown(rep: Report) -> str:
    a = rep.args
    head, body = rep.table()
    cross, cross_ok = rep.cross_check()
    lines = [
        "# Retainer paths benchmark: what holds this object",
        "",
        f"Written by `make bench` (`bench/bench_retainers.py`) on "
        f"{rep.started:%Y-%m-%d %H:%M} UTC, in {rep.elapsed:.0f} s.",
        "",
        f"- Python: {platform.python_implementation()} {sys.version.splitlines()[0]}",
        f"- Machine: {_machine()}; load average (1 min) {_fmt_num(rep.load[0], '.2f')} "
        f"before the run, {_fmt_num(rep.load[1], '.2f')} after",
        f"- Tools: {_versions()}; compiled walker build "
        f"{', '.join(rep.walker_builds()) or '-'}; checkout {_fmt_git(rep.git)}",
        f"- Heap: `bench/heap.py`, seed {a.seed}; "
        f"{', '.join(map(_fmt_size, rep.sizes))} gc-tracked objects built, plus the "
        "three retention cases (built in every worker alike)",
        "",
        "## Targets (from the issue)",
        "",
    ]
    lines += [f"**Warning: {w}.**\n" for w in rep.warnings()]
    lines += _md_table(
        ["target", "measured", "verdict"],
        [[t, m, f"**{v}**"] for t, m, v in rep.targets()],
    )
    lines += [
        "",
        "## What holds this object",
        "",
    ]
    lines += _md_table(head, body, right=(3, 4, 5, 6, 7, 8))
    lines += [
        "",
        "- *capture*, *search*: leakhunt's two steps (graph snapshot; finding the nodes and "
        "the paths); *total* is the whole operation, for every tool.",
        "- *x leakhunt*: total divided by leakhunt's total (capture + search) for the same "
        "case; above 1, leakhunt is faster.",
        f"- *time*: best of up to {a.repeat} runs while a {a.budget:g} s budget allows "
        "(see *runs*), wall clock; objgraph's 1,000-object row is extrapolated from timed "
        "calls, as said in the row.",
        "- *extra peak*: peak RSS during the first run minus RSS just before it (peak reset "
        "through `/proc/self/clear_refs`).",
        f"- *timeout*: the operation gave no result within {a.timeout:g} s "
        f"({a.none_timeout:g} s for objgraph's no-path row) and the worker was killed.",
        "",
        f"Cross-check (not a timing): {cross}. **{'ok' if cross_ok else 'MISMATCH'}**.",
        "",
        "## Graph capture: memory and file",
        "",
    ]
    ch, cb = rep.capture_table()
    lines += _md_table(ch, cb, right=tuple(range(1, len(ch))))
    lines += [
        "",
        "- *extra peak*: peak RSS while `take_snapshot(graph=True)` runs minus RSS just "
        "before (first run); the budget is the issue's 40 B per node plus 12 B per edge.",
        "- *tracemalloc peak*: the peak of memory traced by `tracemalloc` (started just "
        "before) during one more, untimed `take_snapshot(graph=True)` in the same worker, "
        "over what was traced before it; the verdict takes the larger of the two peaks.",
        "- *graph arrays*: `HeapGraph.nbytes`, the node and edge arrays the snapshot keeps.",
        "- *file*: `leakhunt.save(s, 'x.lhs.json.gz')` (zlib + base64 arrays in gzipped "
        "JSON); *write*/*read*: `leakhunt.save` and `leakhunt.load` of it.",
        "",
    ]
    for size in rep.sizes:
        ph, pb = rep.phase_table(size)
        if not pb:
            continue
        lines += [
            f"### Where one capture spends its time and memory ({_fmt_size(size)} heap)",
            "",
            "One capture, the first in a fresh worker, with `gc.collect`, `gc.get_objects`, "
            "the root collection, the compiled walk and `build_graph` wrapped in timers "
            "(the RSS peak is reset when each phase starts).",
            "",
        ]
        lines += _md_table(ph, pb, right=(1, 2, 3, 4))
        lines.append("")
    findings = _findings(rep)
    if findings:
        lines += ["## Findings", ""]
        lines += [f"- {f}" for f in findings]
        lines.append("")
    lines += [
        "## What each row measures",
        "",
        f"The cases: *one*: module `{CHAIN_MODULE}` (in `sys.modules`) `.head` -> obj1 "
        f"`.next` -> ... -> obj10, the target, {DEPTH} links from the module. *many*: module "
        f"`{LEAK_MODULE}` `.root` -> L1 `.next` -> ... -> L8 `.next` -> a list of {LEAKED:,} "
        f"`Leaked` instances, {DEPTH} links to each. *none*: {RECORDS:,} `Record`s in the "
        "buffer of a handler, each pointing back at the handler, kept alive only by "
        "`atexit.register(handler.flush)` (the atexit registry is C state); the target is "
        f"record {NONE_TARGET_INDEX}.",
        "",
    ]
    seen = {r.measure.key for r in rep.rows}
    lines += [
        f"- **{m.label}** ({CASE_TITLES.get(m.case, 'capture')}): {m.measures}."
        for m in MEASURES
        if m.key in seen
    ]
    errors = [r for r in rep.rows if r.error]
    if errors:
        lines += ["", "## Failures and timeouts", ""]
        lines += [f"- {r.measure.label}, {_fmt_size(r.size)}: {r.error}" for r in errors]
    lines += [
        "",
        "## Method",
        "",
        "Each row is a fresh `python bench/bench_retainers.py --worker ...` process, run "
        "one at a time: it imports leakhunt, objgraph and guppy3 (so that every worker has "
        "the same heap), builds the heap and the three cases, runs `gc.collect()` three "
        "times to settle it, then measures one operation. The timed code holds no target "
        "in a local variable. Numbers are never asserted in tests.",
        "",
    ]
    return "\n".join(lines)


def render_text(rep: Report) -> str:
    head, body = rep.table()
    lines = _text_table(head, body)
    lines.append("")
    ch, cb = rep.capture_table()
    lines += _text_table(ch, cb)
    for size in rep.sizes:
        ph, pb = rep.phase_table(size)
        if pb:
            lines.append("")
            lines.append(f"capture phases, {_fmt_size(size)} heap:")
            lines += _text_table(ph, [[c.replace("**", "") for c in row] for row in pb])
    lines.append("")
    lines += [f"target: {t}: {m} -> {v}" for t, m, v in rep.targets()]
    cross, ok = rep.cross_check()
    lines.append(f"cross-check: {cross} -> {'ok' if ok else 'MISMATCH'}")
    lines += [f"finding: {f}" for f in _findings(rep)]
    lines += [f"WARNING: {w}" for w in rep.warnings()]
    for r in rep.rows:
        if r.error:
            lines.append(f"{r.measure.label}, {_fmt_size(r.size)}: {r.error}")
    return "\n".join(lines)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sizes", default=None, help=f"heap sizes, comma-separated ({DEFAULT_SIZES})")
    p.add_argument("--quick", action="store_true", help=f"size {QUICK_SIZES}, for iteration")
    p.add_argument("--out", default=None, help="write the Markdown report here")
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per operation, after setup (300)"
    )
    p.add_argument(
        "--none-timeout",
        type=float,
        default=300.0,
        help="seconds for objgraph's no-path row (300)",
    )
    p.add_argument(
        "--setup-timeout", type=float, default=300.0, help="seconds to build the heap (300)"
    )
    p.add_argument("--repeat", type=int, default=3, help="timed runs per worker, best kept (3)")
    p.add_argument(
        "--budget", type=float, default=60.0, help="seconds of repeated runs per worker (60)"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument(
        "--only",
        default=",".join(m.key for m in MEASURES),
        help="comma-separated subset of: " + ", ".join(m.key for m in MEASURES),
    )
    p.add_argument("--rows-json", default=None, help="also write the raw results here")
    p.add_argument(
        "--render", default=None, metavar="ROWS_JSON", help="only render a --rows-json file"
    )
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--result", default=None, help=argparse.SUPPRESS)
    p.add_argument("--ready", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.worker:
        run_worker(
            args.worker, args.size, args.seed, args.repeat, args.budget, args.result, args.ready
        )
        return 0
    if args.render:
        return _render_saved(args)
    # A driver stopped by SIGTERM stops its worker too (run_one kills it).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes_arg = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    try:
        sizes = [int(s.replace("_", "")) for s in sizes_arg.split(",") if s.strip()]
    except ValueError:
        print(f"bench: --sizes {sizes_arg!r}: expected comma-separated integers", file=sys.stderr)
        return 2
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MEASURE_BY_KEY]
    if unknown or not sizes or not keys:
        print(f"bench: unknown measurement(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    measures = sorted((MEASURE_BY_KEY[k] for k in dict.fromkeys(keys)), key=MEASURES.index)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = _load()
    git_before = _git_head()
    t0 = time.perf_counter()
    rows = []
    for size in sizes:
        for m in measures:
            print(
                f"bench: {m.label} [{m.case}], heap {_fmt_size(size)} ...", end="", file=sys.stderr
            )
            sys.stderr.flush()
            row = run_one(m, size, args)
            rows.append(row)
            note = row.status if row.status != "ok" else f"{row.seconds():.3f} s"
            print(f" {note} (worker {row.wall:.0f} s)", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    rep = Report(rows, sizes, args, started, elapsed, (load_before, _load()))
    rep.git = (git_before, _git_head())
    if args.rows_json:
        _save_rows(rep, args.rows_json)
    _write_report(rep, args.out)
    return 0


def _save_rows(rep: Report, path: str) -> None:
    doc = {
        "rows": [
            {
                "key": r.measure.key,
                "size": r.size,
                "status": r.status,
                "data": r.data,
                "error": r.error,
                "wall": r.wall,
                "op_timeout": r.op_timeout,
            }
            for r in rep.rows
        ],
        "sizes": rep.sizes,
        "args": {k: v for k, v in vars(rep.args).items() if k not in ("render", "rows_json")},
        "started": rep.started.isoformat(),
        "elapsed": rep.elapsed,
        "load": rep.load,
        "git": rep.git,
    }
    with open(path, "w") as f:
        json.dump(doc, f)


def _render_saved(args: argparse.Namespace) -> int:
    """Render a --rows-json file again (Python, machine and tool versions are
    those of this process: render on the machine that measured)."""
    with open(args.render) as f:
        doc = json.load(f)
    saved = argparse.Namespace(**doc["args"])
    rows = [
        Row(
            MEASURE_BY_KEY[x["key"]],
            x["size"],
            x["status"],
            x["data"],
            x["error"],
            x["wall"],
            x["op_timeout"],
        )
        for x in doc["rows"]
    ]
    rep = Report(
        rows,
        doc["sizes"],
        saved,
        datetime.datetime.fromisoformat(doc["started"]),
        doc["elapsed"],
        tuple(doc["load"]),
        tuple(doc["git"]),
    )
    _write_report(rep, args.out)
    return 0


def _write_report(rep: Report, out: Optional[str]) -> None:
    print(render_text(rep))
    if out:
        directory = os.path.dirname(os.path.abspath(out))
        os.makedirs(directory, exist_ok=True)
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            f.write(render_markdown(rep))
        os.replace(tmp, out)
        print(f"bench: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
