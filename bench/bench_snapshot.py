"""`make bench`: the cost of one heap snapshot, against gc.collect() and the
usual tools (objgraph, guppy3, pympler), on heaps of 100k and 1M gc-tracked
objects.

Every measurement runs in its own fresh subprocess (this script in worker
mode), one after the other, never in parallel. A worker builds the heap
(bench/heap.py, seeded), settles it with gc.collect(), then measures one
operation: wall time (time.perf_counter, best of up to --repeat runs) and
extra peak memory (peak RSS during the first run minus RSS just before it;
the peak is reset through /proc/self/clear_refs). Results are printed as a
table and written as Markdown to --out.

    python bench/bench_snapshot.py --out docs/benchmarks.md
    python bench/bench_snapshot.py --quick          # 20k and 100k, fast

Numbers are reported, never asserted: the targets from the issue are
marked "met" or "not met".
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

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

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # run as a script, sys.path[0] is already bench/
    sys.path.insert(0, HERE)

DEFAULT_SIZES = "100000,1000000"
QUICK_SIZES = "20000,100000"
DEFAULT_SEED = 20240601
TARGET_SIZE = 1_000_000
TARGET_RATIO = 2.0
TARGET_BYTES_PER_OBJECT = 24.0
MB = 1024 * 1024
_TPFLAGS_HAVE_GC = 1 << 14


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    measures: str
    role: str = "tool"  # "floor", "tool", "subject" or "diagnostic"
    env: tuple[tuple[str, str], ...] = ()


TOOLS: tuple[Tool, ...] = (
    Tool(
        "gc.collect",
        "gc.collect() (floor)",
        "one full collection of the settled heap: the gc's own traversal of every "
        "tracked object; the floor every ratio is taken against",
        role="floor",
    ),
    Tool(
        "gc.get_objects",
        "gc.get_objects() (diagnostic)",
        "only building the list of tracked objects, the first step of every tool",
        role="diagnostic",
    ),
    Tool(
        "objgraph",
        "objgraph.typestats()",
        "objgraph's count by type name of gc-tracked objects (untracked ones are not seen)",
    ),
    Tool(
        "guppy",
        "guppy3 hpy().heap() + by-type table",
        "`h = hpy().heap()` (every reachable object, sizes) then `str(h.bytype.all)`, "
        "the full by-type table",
    ),
    Tool(
        "pympler",
        "pympler muppy + summarize",
        "`summary.summarize(muppy.get_objects())` then `summary.format_()`: the summary "
        "that `tracker.SummaryTracker()` takes at construction and again per `.diff()`",
    ),
    Tool(
        "leakhunt-c",
        "leakhunt.take_snapshot() [C walker]",
        "the subject: gc.collect(), then the compiled walker counts every tracked object "
        "and every untracked object they reference (any depth, once each), by type",
        role="subject",
        env=(("LEAKHUNT_PURE_PYTHON", "0"),),
    ),
    Tool(
        "leakhunt-c-nocollect",
        "take_snapshot(collect=False) [C] (diagnostic)",
        "the same snapshot without its leading gc.collect(): the walk alone",
        role="diagnostic",
        env=(("LEAKHUNT_PURE_PYTHON", "0"),),
    ),
    Tool(
        "leakhunt-py",
        "leakhunt.take_snapshot() [pure-Python walker]",
        "the same snapshot with the pure-Python twin (LEAKHUNT_PURE_PYTHON=1), "
        "for machines without a compiler",
        env=(("LEAKHUNT_PURE_PYTHON", "1"),),
    ),
)
TOOL_BY_KEY = {t.key: t for t in TOOLS}


# --------------------------------------------------------------------------
# worker side: one fresh process per (tool, heap size)

_HEAP: Any = None  # the heap under test, kept alive by this global


def _make_op(key: str) -> Callable[[], Any]:
    """The operation a worker measures; whatever it returns is kept alive
    until the peak has been read, then dropped."""
    if key == "gc.collect":
        return gc.collect
    if key == "gc.get_objects":
        return gc.get_objects
    if key == "objgraph":
        import objgraph

        return objgraph.typestats  # type: ignore[no-any-return]
    if key == "guppy":
        from guppy import hpy

        def guppy_op() -> Any:
            h = hpy().heap()
            return h, str(h.bytype.all)

        return guppy_op
    if key == "pympler":
        from pympler import muppy
        from pympler import summary as _summary

        summary: Any = _summary  # untyped

        def pympler_op() -> Any:
            rows = summary.summarize(muppy.get_objects())
            return rows, summary.format_(rows)

        return pympler_op
    if key in ("leakhunt-c", "leakhunt-py"):
        import leakhunt

        return leakhunt.take_snapshot
    if key == "leakhunt-c-nocollect":
        import leakhunt

        return lambda: leakhunt.take_snapshot(collect=False)
    raise SystemExit(f"bench: unknown tool {key!r}")


def _cross_check(snap: Any, heap_made: dict[str, int]) -> list[dict[str, Any]]:
    """Per class built by bench/heap.py: how many were made, and the counts
    leakhunt and objgraph report. Not a timing."""
    import objgraph
    from heap import HEAP_CLASSES

    og = objgraph.typestats(shortnames=False)
    by_name = snap.by_name()
    rows = []
    for cls in HEAP_CLASSES:
        name = f"{cls.__module__}.{cls.__qualname__}"
        lh = by_name[name].count if name in by_name else 0
        rows.append(
            {
                "name": name,
                "tracked": bool(cls.__flags__ & _TPFLAGS_HAVE_GC),
                "built": heap_made.get(cls.__name__, -1),
                "leakhunt": lh,
                "objgraph": og.get(name, 0),
            }
        )
    return rows


def _walker_build() -> Optional[str]:
    """A short hash of the compiled walker this process loaded: other people
    may rebuild it while a run is going on."""
    try:
        from leakhunt import _walker  # type: ignore[attr-defined]

        with open(_walker.__file__, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:12]
    except (ImportError, OSError, AttributeError):
        return None


def _timed_collect() -> float:
    """Time of one gc.collect() of the settled heap."""
    gc.collect()  # whatever the previous operation left
    t0 = time.perf_counter()
    gc.collect()
    return time.perf_counter() - t0


def run_worker(key: str, size: int, seed: int, repeat: int, budget: float, result: str) -> None:
    global _HEAP
    start = time.perf_counter()
    # The same imports in every worker, so every worker sees the same heap.
    import objgraph  # noqa: F401
    from guppy import hpy  # noqa: F401
    from heap import build_heap
    from pympler import muppy, summary  # noqa: F401

    import leakhunt

    gc.collect()
    gc.collect()
    base_tracked = len(gc.get_objects())
    t0 = time.perf_counter()
    _HEAP = build_heap(size, seed)
    build_seconds = time.perf_counter() - t0
    for _ in range(3):  # settle: untrack atomic tuples, empty the young generations
        gc.collect()
    tracked = len(gc.get_objects())
    op = _make_op(key)
    use_rss = _can_reset_peak()
    out: dict[str, Any] = {
        "tool": key,
        "size": size,
        "tracked": tracked,
        "built": tracked - base_tracked,
        "build_seconds": build_seconds,
        "walker": leakhunt.walker_name(),
        "walker_build": _walker_build(),
        "mem_method": "rss" if use_rss else "tracemalloc",
    }
    # The floor timed in this same process, just before the operation, so
    # that a ratio holds even when the machine's load changes between
    # workers (and before the tool leaves any state of its own behind).
    floors = [_timed_collect() for _ in range(max(1, repeat))]
    gc.collect()

    # First run: time and memory.
    if use_rss:
        rss_before = _proc_status()["VmRSS"]
        _reset_peak()
        t0 = time.perf_counter()
        value = op()
        dt = time.perf_counter() - t0
        extra = _proc_status()["VmHWM"] - rss_before
        out["heap_rss"] = rss_before
    else:  # no resettable RSS peak (not Linux): tracemalloc, in an untimed run
        import tracemalloc

        tracemalloc.start()
        cur0 = tracemalloc.get_traced_memory()[0]
        value = op()
        extra = tracemalloc.get_traced_memory()[1] - cur0
        tracemalloc.stop()
        del value
        gc.collect()
        t0 = time.perf_counter()
        value = op()
        dt = time.perf_counter() - t0
    out["extra_peak"] = max(0, extra)
    times = [dt]
    if key.startswith("leakhunt"):
        out["total_count"] = value.total_count
        out["walker"] = value.walker
        out["excluded"] = value.excluded_objects
        if key != "leakhunt-c-nocollect":
            out["cross_check"] = _cross_check(value, _HEAP.made)
    del value
    gc.collect()

    # Further runs, time only, while the budget allows.
    while len(times) < repeat and (time.perf_counter() - start) + 1.5 * max(times) < budget:
        t0 = time.perf_counter()
        value = op()
        times.append(time.perf_counter() - t0)
        del value
        gc.collect()
    out["floors"] = floors
    out["times"] = times
    out["seconds"] = min(times)
    with open(result, "w") as f:
        json.dump(out, f)


# --------------------------------------------------------------------------
# driver side


@dataclass
class Row:
    tool: Tool
    size: int
    status: str = "ok"  # "ok", "timeout", "error"
    data: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    wall: float = 0.0

    @property
    def seconds(self) -> Optional[float]:
        v = self.data.get("seconds")
        return float(v) if self.status == "ok" and v is not None else None

    @property
    def same_ratio(self) -> Optional[float]:
        """Time over the gc.collect() floor measured in the same worker."""
        floors = self.data.get("floors")
        secs = self.seconds
        if secs is None or not floors or min(floors) <= 0:
            return None
        return secs / float(min(floors))

    @property
    def extra_peak(self) -> Optional[int]:
        v = self.data.get("extra_peak")
        return int(v) if self.status == "ok" and v is not None else None


def run_one(tool: Tool, size: int, args: argparse.Namespace) -> Row:
    env = dict(os.environ)
    env.pop("LEAKHUNT_PURE_PYTHON", None)
    env.update(dict(tool.env))
    fd, result = tempfile.mkstemp(prefix="leakhunt-bench-", suffix=".json")
    os.close(fd)
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        tool.key,
        "--size",
        str(size),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--budget",
        str(0.6 * args.timeout),
        "--result",
        result,
    ]
    row = Row(tool, size)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=args.timeout, check=False
        )
        if proc.returncode != 0:
            row.status = "error"
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            row.error = f"exit {proc.returncode}: " + " | ".join(tail)
        else:
            with open(result) as f:
                row.data = json.load(f)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the worker
        row.status = "timeout"
        row.error = f"no result within {args.timeout:g} s"
    finally:
        row.wall = time.perf_counter() - t0
        os.unlink(result)
    return row


def _fmt_num(x: Optional[float], spec: str) -> str:
    return "-" if x is None else format(x, spec)


@dataclass
class Report:
    rows: list[Row]
    sizes: list[int]
    args: argparse.Namespace
    started: datetime.datetime
    elapsed: float = 0.0
    load: tuple[Optional[float], Optional[float]] = (None, None)
    git: tuple[Optional[str], Optional[str]] = (None, None)

    def walker_builds(self) -> list[str]:
        """Distinct compiled-walker builds the workers loaded, in order."""
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

    def floor(self, size: int) -> Optional[float]:
        for r in self.rows:
            if r.size == size and r.tool.role == "floor":
                return r.seconds
        return None

    def objects(self, size: int) -> Optional[int]:
        """All objects the heap holds, as leakhunt's C walker counted them."""
        for key in ("leakhunt-c", "leakhunt-c-nocollect", "leakhunt-py"):
            for r in self.rows:
                if r.size == size and r.tool.key == key and r.status == "ok":
                    return int(r.data["total_count"])
        return None

    def tracked(self, size: int) -> Optional[int]:
        for r in self.rows:
            if r.size == size and r.status == "ok":
                return int(r.data["tracked"])
        return None

    def row(self, key: str, size: int) -> Optional[Row]:
        for r in self.rows:
            if r.size == size and r.tool.key == key:
                return r
        return None

    def table(self) -> tuple[list[str], list[list[str]]]:
        head = [
            "tool",
            "heap",
            "gc-tracked",
            "objects",
            "time (s)",
            "x floor",
            "x floor (same proc)",
            "extra peak (MB)",
            "bytes/object",
            "runs",
        ]
        body = []
        for r in self.rows:
            floor = self.floor(r.size)
            objs = self.objects(r.size)
            tracked = r.data.get("tracked") if r.status == "ok" else self.tracked(r.size)
            if r.status != "ok":
                body.append(
                    [
                        r.tool.label,
                        _fmt_size(r.size),
                        _fmt_num(tracked, ","),
                        _fmt_num(objs, ","),
                        r.status,
                        "-",
                        "-",
                        "-",
                        "-",
                        "-",
                    ]
                )
                continue
            secs = r.seconds
            peak = r.extra_peak
            ratio = secs / floor if secs is not None and floor else None
            per_obj = peak / objs if peak is not None and objs else None
            body.append(
                [
                    r.tool.label,
                    _fmt_size(r.size),
                    _fmt_num(tracked, ","),
                    _fmt_num(objs, ","),
                    _fmt_num(secs, ".3f"),
                    _fmt_num(ratio, ".2f"),
                    _fmt_num(r.same_ratio, ".2f"),
                    _fmt_num(None if peak is None else peak / MB, ".1f"),
                    _fmt_num(per_obj, ".1f"),
                    str(len(r.data.get("times", []))),
                ]
            )
        return head, body

    def targets(self) -> list[tuple[str, str, str]]:
        """(target, measured, verdict) for the subject on the target heap
        (or the largest heap measured, said so, when it was not run)."""
        size = TARGET_SIZE if TARGET_SIZE in self.sizes else max(self.sizes)
        where = (
            f"{_fmt_size(size)} heap"
            if size == TARGET_SIZE
            else f"{_fmt_size(size)} heap (the 1M heap was not measured in this run)"
        )
        r = self.row("leakhunt-c", size)
        floor = self.floor(size)
        objs = self.objects(size)
        out = []
        if r is None or r.seconds is None or not floor:
            out.append((f"time at most {TARGET_RATIO:g}x the gc.collect() floor", where, "unknown"))
        else:
            ratio = r.seconds / floor
            verdict = "met" if ratio <= TARGET_RATIO else "not met"
            same = r.same_ratio
            check = ""
            if same is not None:
                agrees = (same <= TARGET_RATIO) == (ratio <= TARGET_RATIO)
                check = f"; {same:.2f}x against the floor timed in the same worker" + (
                    "" if agrees else ", which gives the other verdict: the machine was noisy"
                )
            if abs(ratio - TARGET_RATIO) < 0.1 * TARGET_RATIO:
                check += "; within 10% of the limit, so noise can flip the verdict"
            out.append(
                (
                    f"time at most {TARGET_RATIO:g}x the gc.collect() floor",
                    f"{ratio:.2f}x ({r.seconds:.3f} s vs {floor:.3f} s), {where}{check}",
                    verdict,
                )
            )
        if r is None or r.extra_peak is None or not objs:
            out.append(
                (
                    f"at most {TARGET_BYTES_PER_OBJECT:g} bytes of extra peak memory per object",
                    where,
                    "unknown",
                )
            )
        else:
            per = r.extra_peak / objs
            verdict = "met" if per <= TARGET_BYTES_PER_OBJECT else "not met"
            out.append(
                (
                    f"at most {TARGET_BYTES_PER_OBJECT:g} bytes of extra peak memory per object",
                    f"{per:.1f} B/object ({r.extra_peak / MB:.1f} MB over {objs:,} objects), "
                    f"{where}",
                    verdict,
                )
            )
        return out

    def cross_checks(self) -> list[list[str]]:
        """One row per (heap, class): built, leakhunt with each walker, objgraph."""
        found: dict[tuple[int, str], dict[str, Any]] = {}
        for r in self.rows:
            if r.status != "ok" or "cross_check" not in r.data:
                continue
            for c in r.data["cross_check"]:
                acc = found.setdefault((r.size, c["name"]), {"tracked": c["tracked"]})
                acc.setdefault("built", set()).add(c["built"])
                acc.setdefault("objgraph", set()).add(c["objgraph"])
                acc[r.data["walker"]] = c["leakhunt"]
        body = []
        for (size, name), acc in found.items():
            built = acc["built"].pop() if len(acc["built"]) == 1 else None
            og = acc["objgraph"].pop() if len(acc["objgraph"]) == 1 else None
            counts = [acc[w] for w in ("c", "python") if w in acc]
            ok = built is not None and all(n == built for n in counts)
            if acc["tracked"]:
                ok = ok and og == built
            body.append(
                [
                    _fmt_size(size),
                    name,
                    "yes" if acc["tracked"] else "no",
                    _fmt_num(built, ","),
                    _fmt_num(acc.get("c"), ","),
                    _fmt_num(acc.get("python"), ","),
                    _fmt_num(og, ","),
                    "ok" if ok else "MISMATCH",
                ]
            )
        return body

    def cross_check_ok(self) -> bool:
        return all(row[-1] == "ok" for row in self.cross_checks())


def _versions() -> str:
    from importlib import metadata

    import leakhunt

    parts = [f"leakhunt {leakhunt.__version__} (walker: {leakhunt.walker_name()})"]
    for dist in ("objgraph", "guppy3", "Pympler"):
        try:
            parts.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def _md_table(head: list[str], body: list[list[str]], right_from: int = 1) -> list[str]:
    align = ["---" if i < right_from else "---:" for i in range(len(head))]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return lines


def _text_table(head: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    fmt = [f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths)]
    lines = ["  ".join(f.format(x) for f, x in zip(fmt, head, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(f.format(x) for f, x in zip(fmt, row, strict=True)) for row in body]
    return lines


def _heaps_table(rep: Report) -> tuple[list[str], list[list[str]]]:
    head = ["heap", "gc-tracked built", "gc-tracked total", "all objects", "heap RSS (MB)"]
    body = []
    for size in rep.sizes:
        r = rep.row("gc.collect", size)
        src = r if r is not None and r.status == "ok" else None
        if src is None:
            src = next((x for x in rep.rows if x.size == size and x.status == "ok"), None)
        if src is None:
            continue
        d = src.data
        body.append(
            [
                _fmt_size(size),
                f"{d['built']:,}",
                f"{d['tracked']:,}",
                _fmt_num(rep.objects(size), ","),
                _fmt_num(d["heap_rss"] / MB if "heap_rss" in d else None, ".0f"),
            ]
        )
    return head, body


def render_markdown(rep: Report) -> str:
    a = rep.args
    head, body = rep.table()
    mem_methods = {r.data.get("mem_method") for r in rep.rows if r.status == "ok"}
    lines = [
        "# Snapshot capture benchmark",
        "",
        f"Written by `make bench` (`bench/bench_snapshot.py`) on "
        f"{rep.started:%Y-%m-%d %H:%M} UTC, in {rep.elapsed:.0f} s.",
        "",
        f"- Python: {platform.python_implementation()} {sys.version.splitlines()[0]}",
        f"- Machine: {_machine()}; load average (1 min) {_fmt_num(rep.load[0], '.2f')} "
        f"before the run, {_fmt_num(rep.load[1], '.2f')} after: other processes on the "
        "machine make wall times noisy, which the best-of-runs only partly hides",
        f"- Tools: {_versions()}; compiled walker build "
        f"{', '.join(rep.walker_builds()) or '-'}; checkout {_fmt_git(rep.git)}",
        f"- Heap: `bench/heap.py`, seed {a.seed}; sizes {', '.join(map(_fmt_size, rep.sizes))} "
        "gc-tracked objects built (on top of the interpreter's own, which every worker "
        "shares: the same modules are imported in each)",
        "",
        "## Targets (from the issue)",
        "",
        "`leakhunt.snapshot()` on the 1M heap: at most 2x the gc.collect() floor and at "
        "most 24 bytes of extra peak memory per object.",
        "",
    ]
    lines += [f"**Warning: {w}.**\n" for w in rep.warnings()]
    lines += _md_table(
        ["target", "measured", "verdict"],
        [[t, m, f"**{v}**"] for t, m, v in rep.targets()],
        right_from=99,
    )
    lines += ["", "## Results", ""]
    lines += _md_table(head, body)
    lines += [
        "",
        "- *time*: best of up to "
        f"{a.repeat} runs (fewer when one run is slow: see *runs*), wall clock.",
        "- *x floor*: time divided by the gc.collect() time on the same heap (the floor "
        "row, its own worker). *x floor (same proc)*: divided instead by the best "
        "gc.collect() timed inside the same worker just before the operation, which "
        "is less sensitive to the machine's load changing from one worker to the next.",
        "- *extra peak*: peak RSS during the first run minus RSS just before it"
        + (
            " (peak reset through `/proc/self/clear_refs`)."
            if mem_methods <= {"rss"}
            else " (tracemalloc where RSS peaks cannot be reset)."
        ),
        "- *objects*: every object the heap holds, tracked or not, as leakhunt counts "
        "them (`Snapshot.total_count`); *bytes/object* divides the extra peak by it.",
        f"- *timeout*: the worker gave no result within {a.timeout:g} s and was killed.",
        "",
        "## Heaps",
        "",
    ]
    lines += _md_table(*_heaps_table(rep))
    lines += [
        "",
        "Mix of the tracked objects built, per order: `__dict__` instances (Order, "
        "Event, a Customer every 8th order), `__slots__` instances (2 LineItem, "
        "1 Point), dicts, lists, and tuples holding tracked objects; about 20 "
        "untracked payload objects (str, bytes, int, float, tuples and dicts of atomic "
        "values) hang off each order.",
        "",
        "## What each row measures",
        "",
    ]
    seen = {r.tool.key for r in rep.rows}
    lines += [f"- **{t.label}**: {t.measures}." for t in TOOLS if t.key in seen]
    checks = rep.cross_checks()
    lines += [
        "",
        "## Cross-check (not a timing)",
        "",
        "Instances of each class `bench/heap.py` defines: how many were built, and how "
        "many leakhunt and `objgraph.typestats()` count. "
        + (
            "Not run (no leakhunt row)."
            if not checks
            else "All agree."
            if rep.cross_check_ok()
            else "**Some disagree.**"
        ),
        "",
    ]
    lines += _md_table(
        [
            "heap",
            "class",
            "gc-tracked",
            "built",
            "leakhunt (C)",
            "leakhunt (Python)",
            "objgraph",
            "check",
        ],
        checks,
        right_from=3,
    )
    errors = [r for r in rep.rows if r.error]
    if errors:
        lines += ["", "## Failures", ""]
        lines += [f"- {r.tool.label}, {_fmt_size(r.size)}: {r.error}" for r in errors]
    lines += [
        "",
        "## Method",
        "",
        "Each row is a fresh `python bench/bench_snapshot.py --worker ...` process, run "
        "one at a time: it imports leakhunt, objgraph, guppy3 and pympler (so that every "
        "worker has the same heap), builds the heap, runs `gc.collect()` three times "
        "to settle it, then measures one operation. Numbers are never asserted in tests.",
        "",
        'Retainer paths ("what holds this object", graph capture, against objgraph and '
        "guppy3): [benchmarks-retainers.md](benchmarks-retainers.md).",
        "",
    ]
    return "\n".join(lines)


def render_text(rep: Report) -> str:
    head, body = rep.table()
    lines = _text_table(head, body)
    lines.append("")
    lines += [f"target: {t}: {m} -> {v}" for t, m, v in rep.targets()]
    lines += [f"WARNING: {w}" for w in rep.warnings()]
    lines.append(
        "cross-check (leakhunt vs objgraph vs built, heap classes): "
        + ("not run" if not rep.cross_checks() else "ok" if rep.cross_check_ok() else "MISMATCH")
    )
    for r in rep.rows:
        if r.error:
            lines.append(f"{r.tool.label}, {_fmt_size(r.size)}: {r.error}")
    return "\n".join(lines)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--sizes", default=None, help=f"heap sizes, comma-separated ({DEFAULT_SIZES})")
    p.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, for iteration")
    p.add_argument("--out", default=None, help="write the Markdown report here")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per worker (300)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per worker, best kept (5)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument(
        "--tools",
        default=",".join(t.key for t in TOOLS),
        help="comma-separated subset of: " + ", ".join(t.key for t in TOOLS),
    )
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--budget", type=float, default=0.0, help=argparse.SUPPRESS)
    p.add_argument("--result", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.size, args.seed, args.repeat, args.budget, args.result)
        return 0
    sizes_arg = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    try:
        sizes = [int(s.replace("_", "")) for s in sizes_arg.split(",") if s.strip()]
    except ValueError:
        print(f"bench: --sizes {sizes_arg!r}: expected comma-separated integers", file=sys.stderr)
        return 2
    keys = [k.strip() for k in args.tools.split(",") if k.strip()]
    unknown = [k for k in keys if k not in TOOL_BY_KEY]
    if unknown or not sizes:
        print(f"bench: unknown tool(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    # The floor comes first: every ratio needs it.
    tools = sorted((TOOL_BY_KEY[k] for k in dict.fromkeys(keys)), key=TOOLS.index)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = _load()
    git_before = _git_head()
    t0 = time.perf_counter()
    rows = []
    for size in sizes:
        for tool in tools:
            print(f"bench: {tool.label}, heap {_fmt_size(size)} ...", end="", file=sys.stderr)
            sys.stderr.flush()
            row = run_one(tool, size, args)
            rows.append(row)
            note = row.status if row.status != "ok" else f"{row.seconds:.3f} s"
            print(f" {note} (worker {row.wall:.0f} s)", file=sys.stderr)
    elapsed = time.perf_counter() - t0
    rep = Report(rows, sizes, args, started, elapsed, (load_before, _load()))
    rep.git = (git_before, _git_head())
    print(render_text(rep))
    if args.out:
        directory = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(directory, exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(render_markdown(rep))
        os.replace(tmp, args.out)
        print(f"bench: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
