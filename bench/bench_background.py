"""Background snapshots against in-process ones, on issue 10's heap shape.

The heap: ``N`` ``Row`` objects with a str and a tuple each, plus a dict of
one-item lists (N/2 entries). One process per size (``--worker``), measured
side by side in one run:

- ``gc.collect()``: the yardstick; every time is also given as a ratio to it;
- in-process histogram and graph snapshots (graph written to a file);
- a background graph snapshot: the pause the program feels (p50 and max of
  the delays of a thread that ticks every 1 ms, during the snapshot), the time
  until the file is complete, the private dirty memory of parent and child
  (``/proc/PID/smaps_rollup``: the copy-on-write cost, parent busy allocating
  meanwhile), the child's peak RSS and the file's size;
- the same heap shape in Node, timed around ``v8.writeHeapSnapshot()``, as the
  outside anchor (when ``node`` is installed).

Run: ``python bench/bench_background.py --sizes 1000000 --out docs/benchmarks-background.md``
(``make bench``; ``make bench-large`` adds 20,000,000). Numbers depend on the
machine and its load: read the ratios.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class Row:
    __slots__ = ("cells", "name")

    def __init__(self, i: int) -> None:
        self.name = f"row-{i}"
        self.cells = (i, i * 0.5)


def build(n: int) -> tuple[list[Row], dict[int, list[int]]]:
    rows = [Row(i) for i in range(n)]
    index = {i: [i] for i in range(n // 2)}
    gc.collect()
    return rows, index


def _kb(path: str, key: str) -> Optional[int]:
    try:
        with open(path, "rb") as f:
            for line in f:
                if line.startswith(key.encode() + b":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class Ticker:
    """A thread that sleeps 1 ms at a time and records how late it wakes."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        last = time.perf_counter()
        while not self.stop:
            time.sleep(0.001)
            now = time.perf_counter()
            self.delays.append(now - last - 0.001)
            last = now

    def __enter__(self) -> Ticker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop = True
        self.thread.join()


HELD: list[Row] = []


def _diff_answer(a: str, b: str, least: int) -> list[tuple[str, int, str]]:
    """What `leakhunt diff A B` (the CLI, with retainer paths) says grew by
    at least ``least`` objects: (type, count change, first retainer path)."""
    r = subprocess.run(
        [sys.executable, "-m", "leakhunt", "diff", a, b, "-f", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return [
        (t["type"], t["count_delta"], (t.get("retainers") or [{}])[0].get("path", ""))
        for t in json.loads(r.stdout)["types"]
        if t["count_delta"] >= least
    ]


def worker(n: int, out: str) -> None:
    import leakhunt

    rows, index = build(n)
    res: dict[str, Any] = {"size": n, "objects": len(gc.get_objects())}
    res["rss"] = _kb("/proc/self/status", "VmRSS")
    t = time.perf_counter()
    gc.collect()
    res["gc_collect"] = time.perf_counter() - t
    d = tempfile.mkdtemp(prefix="lh-bench-")
    try:
        t = time.perf_counter()
        s = leakhunt.snapshot("h", save=False, collect=False)
        res["histogram"] = time.perf_counter() - t
        res["all_objects"] = sum(x.count for x in s.types)
        del s
        # a baseline, then 1% more rows held by a global: the diff whose
        # answer the in-process and the background snapshots must agree on
        leakhunt.snapshot(
            "base", path=os.path.join(d, "base.lhs.json.gz"), graph=True, collect=False
        )
        HELD.extend(Row(-i) for i in range(max(1, n // 100)))
        # the peak extra memory of a graph snapshot: the peak RSS is reset
        # first (Linux's clear_refs 5), so the heap's own build does not count
        rss0 = _kb("/proc/self/status", "VmRSS")
        res["graph_peak_extra"] = None
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            rss0 = None
        t = time.perf_counter()
        s = leakhunt.snapshot(
            "g", path=os.path.join(d, "fg.lhs.json.gz"), graph=True, collect=False
        )
        res["graph_in_process"] = time.perf_counter() - t
        hwm = _kb("/proc/self/status", "VmHWM")
        if rss0 is not None and hwm is not None:
            res["graph_peak_extra"] = hwm - rss0
        res["graph_file"] = os.path.getsize(s.path) if s.path else None
        res["peak_rss_after_in_process"] = _kb("/proc/self/status", "VmHWM")
        del s
        gc.collect()
        # background: a busy parent (allocating and dropping), a 1 ms ticker
        base_dirty = _kb("/proc/self/smaps_rollup", "Private_Dirty")
        busy_stop: list[int] = []

        def busy() -> None:
            while not busy_stop:
                junk = [{"k": i} for i in range(1000)]
                del junk

        bt = threading.Thread(target=busy, daemon=True)
        bt.start()
        child_dirty = parent_dirty = child_hwm = 0
        with Ticker() as tick:
            time.sleep(0.05)
            before = len(tick.delays)
            t = time.perf_counter()
            h = leakhunt.snapshot(
                "bg",
                path=os.path.join(d, "bg.lhs.json.gz"),
                graph=True,
                collect=False,
                background=True,
            )
            res["fork_returned"] = time.perf_counter() - t
            while not h.done:
                cd = _kb(f"/proc/{h.pid}/smaps_rollup", "Private_Dirty") or 0
                ch = _kb(f"/proc/{h.pid}/status", "VmHWM") or 0
                pd = _kb("/proc/self/smaps_rollup", "Private_Dirty") or 0
                child_dirty, child_hwm = max(child_dirty, cd), max(child_hwm, ch)
                parent_dirty = max(parent_dirty, pd)
                time.sleep(0.02)
            res["background_total"] = time.perf_counter() - t
            delays = tick.delays[before:]
        busy_stop.append(1)
        bt.join()
        res["background_error"] = h.error
        res["background_file"] = os.path.getsize(h.path) if h.path else None
        res["tick_p50_ms"] = statistics.median(delays) * 1000 if delays else None
        res["tick_max_ms"] = max(delays) * 1000 if delays else None
        res["parent_private_dirty_base"] = base_dirty
        res["parent_private_dirty_max"] = parent_dirty
        res["child_private_dirty_max"] = child_dirty
        res["child_peak_rss"] = child_hwm
        if h.path:
            a = leakhunt.load(os.path.join(d, "fg.lhs.json.gz"))
            b = leakhunt.load(h.path)
            res["same_rows"] = a.stat("__main__.Row").count == b.stat("__main__.Row").count
            base = os.path.join(d, "base.lhs.json.gz")
            # the held rows' types, each by its retainer path; counts of the
            # types besides Row move with the busy thread and the ticker
            # between the two snapshots, so only Row's must match exactly
            least = max(1, n // 200)
            fg_answer = _diff_answer(base, os.path.join(d, "fg.lhs.json.gz"), least)
            bg_answer = _diff_answer(base, h.path, least)
            res["diff_answer"] = bg_answer
            res["diff_answer_in_process"] = fg_answer
            res["same_diff"] = {(t, p) for t, _, p in fg_answer} == {
                (t, p) for t, _, p in bg_answer
            } and [c for t, c, _ in fg_answer if t == "__main__.Row"] == [
                c for t, c, _ in bg_answer if t == "__main__.Row"
            ]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    del rows, index
    with open(out, "w") as f:
        json.dump(res, f)


NODE = r"""
const v8 = require('v8'); const fs = require('fs');
const os = require('os'); const path = require('path');
const n = parseInt(process.argv[process.argv.length - 1]);  // node -e CODE N: argv is [node, N]
class Row { constructor(i) { this.name = 'row-' + i; this.cells = [i, i * 0.5]; } }
const rows = []; for (let i = 0; i < n; i++) rows.push(new Row(i));
const index = new Map(); for (let i = 0; i < n / 2; i++) index.set(i, [i]);
const rss = process.memoryUsage().rss;
const file = path.join(os.tmpdir(), 'lh-bench-' + process.pid + '.heapsnapshot');
const t = process.hrtime.bigint();
v8.writeHeapSnapshot(file);
const secs = Number(process.hrtime.bigint() - t) / 1e9;
const size = fs.statSync(file).size; fs.unlinkSync(file);
const peak = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({seconds: secs, rss: rss, file: size, peak: peak,
                            rows: rows.length, index: index.size}));
"""


def node_anchor(n: int) -> Optional[dict[str, Any]]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return None
    try:
        r = subprocess.run(
            [node, "--max-old-space-size=16000", "-e", NODE, str(n)],
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
        doc: dict[str, Any] = json.loads(r.stdout)
        doc["version"] = subprocess.run(
            [node, "--version"], capture_output=True, text=True
        ).stdout.strip()
        return doc
    except (subprocess.SubprocessError, ValueError, OSError):
        return None


def run(n: int) -> dict[str, Any]:
    fd, out = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    try:
        subprocess.run(
            [sys.executable, __file__, "--worker", str(n), "--result", out],
            check=True,
            timeout=7200,
            cwd=ROOT,
        )
        with open(out) as f:
            res: dict[str, Any] = json.load(f)
    finally:
        os.unlink(out)
    res["node"] = node_anchor(n)
    return res


def _mb(x: Optional[float]) -> str:
    return "-" if x is None else f"{x / 2**20:,.0f} MiB"


def _per_object(x: Optional[int], n: int) -> str:
    return "-" if x is None else f"{_mb(x)} ({x / max(n, 1):.1f} B/object)"


def _s(x: Optional[float], gc_s: float) -> str:
    return "-" if x is None else f"{x:.2f} s ({x / gc_s:.1f}x)"


def render(results: list[dict[str, Any]]) -> str:
    import platform

    lines = [
        "# Background snapshots (issue 10)",
        "",
        "Written by `bench/bench_background.py` (`make bench`, `make bench-large`). Heap:",
        "N `Row` objects (`__slots__`: a str and a tuple) and a dict of N/2 one-item",
        "lists. Times in seconds and as a ratio to `gc.collect()` of the same heap, in the",
        "same run. The pause is what a thread ticking every 1 ms in the program sees",
        "during a background graph snapshot (p50 / max lateness); private dirty memory",
        "is `/proc/PID/smaps_rollup` (the copy-on-write cost), the parent allocating",
        "all along. Machine: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; other jobs may share it.",
        "",
        "| N rows | objects (all / gc) | RSS | gc.collect | histogram "
        "| graph in process + write | its peak extra memory "
        "| background graph: returned / total | pause p50 / max "
        "| parent private dirty: before fork -> max during | child dirty max | child peak RSS "
        "| file |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        g = r["gc_collect"]
        lines.append(
            f"| {r['size']:,} | {r['all_objects']:,} / {r['objects']:,} | {_mb(r['rss'])} "
            f"| {g:.2f} s "
            f"| {_s(r['histogram'], g)} | {_s(r['graph_in_process'], g)} "
            f"| {_per_object(r.get('graph_peak_extra'), r['all_objects'])} "
            f"| {r['fork_returned'] * 1000:.0f} ms / {r['background_total']:.2f} s "
            f"| {r['tick_p50_ms']:.1f} / {r['tick_max_ms']:.0f} ms "
            f"| {_mb(r['parent_private_dirty_base'])} -> {_mb(r['parent_private_dirty_max'])} "
            f"| {_mb(r['child_private_dirty_max'])} | {_mb(r['child_peak_rss'])} "
            f"| {_mb(r['background_file'])} |"
        )
    lines += [
        "",
        "Node anchor (`v8.writeHeapSnapshot()` on the same shape; the process is stopped "
        "throughout):",
        "",
    ]
    lines += [
        "| N rows | node | RSS | stopped for | peak RSS | file |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        nd = r.get("node")
        if nd is None:
            lines.append(f"| {r['size']:,} | not installed | | | | |")
        else:
            lines.append(
                f"| {r['size']:,} | {nd['version']} | {_mb(nd['rss'])} | {nd['seconds']:.2f} s "
                f"| {_mb(nd['peak'])} | {_mb(nd['file'])} |"
            )
    for r in results:
        if r.get("background_error"):
            lines.append(
                f"\nN={r['size']:,}: the background snapshot failed: {r['background_error']}"
            )
        elif not r.get("same_rows") or not r.get("same_diff"):
            lines.append(f"\nN={r['size']:,}: the background and in-process files disagree")
        else:
            answer = "; ".join(f"{t} +{c:,} held by {p}" for t, c, p in r["diff_answer"])
            lines.append(
                f"\nN={r['size']:,}: `leakhunt diff` from a baseline gives the same answer "
                f"for the background and the in-process file: {answer or 'no growth'}"
            )
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1000000")
    p.add_argument("--out", default=None)
    p.add_argument("--worker", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--result", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        worker(a.worker, a.result)
        return 0
    results = [run(int(x)) for x in a.sizes.split(",")]
    text = render(results)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
