"""`make bench`, third part: what the memory monitor costs a busy program.

A CPU-bound workload (pure-Python arithmetic, dict and list churn; about
--seconds long) runs in a fresh subprocess, once without a monitor and once
under ``leakhunt.monitor(interval=1.0)`` with the defaults (type counts every
10th sample, top 10), alternating, --repeat times. Each pair gives a ratio
of wall times (and of CPU times: the monitor's thread included); the median
is reported. The same on a program holding a 1M-object heap
(bench/heap.py), where every type count walks the whole gc list.

Then the parts, timed directly: one sample without type counts, and one type
count, on both heaps; the expected overhead at interval=1 s is one sample
per second plus one count per 10 s, or fewer where counting would take more
than leakhunt.runtime.monitor.TYPES_BUDGET (0.5%) of the time.

    python bench/bench_monitor.py --out docs/benchmarks-monitor.md
    python bench/bench_monitor.py --quick      # shorter, 100k heap

Numbers are reported, never asserted; the issue's target (overhead under 1%
at interval=1 s) is marked "met" or "not met".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from _common import _git_head, _load, _machine  # noqa: E402


def workload(seconds: float) -> int:
    """Busy for about ``seconds`` (calibrated once by the caller as a
    number of rounds): arithmetic, small dicts and lists made and dropped."""
    rounds = int(seconds * _ROUNDS_PER_SECOND[0])
    acc = 0
    for i in range(rounds):
        d = {"i": i, "sq": i * i, "s": str(i)}
        lst = [d, i % 7, (i, i + 1)]
        acc = (acc + d["sq"] + len(d["s"]) + lst[1]) % 1_000_003
    return acc


_ROUNDS_PER_SECOND = [1_000_000.0]


def _calibrate() -> None:
    t0 = time.perf_counter()
    n = 200_000
    _ROUNDS_PER_SECOND[0] = float(n)
    workload(1.0)
    _ROUNDS_PER_SECOND[0] = n / (time.perf_counter() - t0)


def worker(mode: str, seconds: float, heap: int, rounds: float) -> dict[str, float]:
    import leakhunt

    keep = None
    if heap:
        from heap import build_heap

        keep = build_heap(heap)
    _ROUNDS_PER_SECOND[0] = rounds
    path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
    mon = leakhunt.monitor(path, interval=1.0) if mode == "on" else None
    if mon is not None:
        mon.start()
    w0, c0 = time.perf_counter(), time.process_time()
    workload(seconds)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    samples = 0
    mon_cpu = first = 0.0
    if mon is not None:
        # read while running: stop() adds a last sample with a type count,
        # after the program's work (not part of its time)
        mon_cpu = mon.cpu_seconds
        first = mon.first_types_cpu_seconds
        samples = mon.samples
        mon.stop()
    del keep
    return {
        "wall": wall,
        "cpu": cpu,
        "samples": samples,
        "monitor_cpu": mon_cpu,
        "first_types_cpu": first,
    }


def parts(heap: int) -> dict[str, float]:
    """One sample without and with a type count, the live heap's two
    readings, and one span (enter and exit) under a running monitor, timed
    directly."""
    import leakhunt
    from leakhunt.capture.liveheap import live_heap
    from leakhunt.runtime.monitor import _REG, Monitor

    keep = None
    if heap:
        from heap import build_heap

        keep = build_heap(heap)
    import gc

    gc.collect()
    objects = len(gc.get_objects())
    heap_reader = live_heap()
    _REG.heap = heap_reader  # as a started monitor sets it
    m = Monitor(os.path.join(tempfile.mkdtemp(), "t.jsonl"), types_every=0)
    m._open()
    best_sample = best_types = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        m._sample()
        best_sample = min(best_sample, time.perf_counter() - t0)
        t0 = time.perf_counter()
        m._type_counts()
        best_types = min(best_types, time.perf_counter() - t0)
    exact = now = span = span_off = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(100):
            heap_reader.exact()
        exact = min(exact, (time.perf_counter() - t0) / 100)
        t0 = time.perf_counter()
        for _ in range(1000):
            heap_reader.now()
        now = min(now, (time.perf_counter() - t0) / 1000)
        t0 = time.perf_counter()
        for _ in range(1000):
            with leakhunt.mark("x"):
                pass
        span_off = min(span_off, (time.perf_counter() - t0) / 1000)
    with leakhunt.monitor(os.path.join(tempfile.mkdtemp(), "s.jsonl"), interval=60):
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(1000):
                with leakhunt.mark("x"):
                    pass
            span = min(span, (time.perf_counter() - t0) / 1000)
    del keep
    return {
        "sample": best_sample,
        "types": best_types,
        "objects": float(objects),
        "heap_exact": exact,
        "heap_now": now,
        "span": span,
        "span_off": span_off,
        "heap_source": 0.0 if heap_reader.source is None else 1.0,
    }


def _run_worker(args: list[str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write the Markdown report here")
    ap.add_argument("--quick", action="store_true", help="shorter runs, 100k heap")
    ap.add_argument("--seconds", type=float, default=None, help="workload length")
    ap.add_argument("--repeat", type=int, default=None, help="pairs per heap")
    ap.add_argument("--worker", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        kind = args.worker[0]
        if kind == "parts":
            out = parts(int(args.worker[1]))
        else:
            out = worker(kind, float(args.worker[1]), int(args.worker[2]), float(args.worker[3]))
        print(json.dumps(out))
        return

    seconds = args.seconds or (5.0 if args.quick else 20.0)
    repeat = args.repeat or 3
    big = 100_000 if args.quick else 1_000_000
    started = time.time()
    load_before = _load()
    git_before = _git_head()
    _calibrate()
    rounds = _ROUNDS_PER_SECOND[0]
    import leakhunt
    from leakhunt.runtime.monitor import TYPES_BUDGET

    rows = []
    heap_parts: list[tuple[int, dict[str, float]]] = []
    worst = 0.0
    for heap in (0, big):
        ratios_wall, ratios_cpu, base, samples, shares, steady, firsts = ([] for _ in range(7))
        for i in range(repeat):
            pair = {}
            order = ("off", "on") if i % 2 == 0 else ("on", "off")
            for mode in order:
                pair[mode] = _run_worker([mode, str(seconds), str(heap), str(rounds)])
            ratios_wall.append(pair["on"]["wall"] / pair["off"]["wall"])
            ratios_cpu.append(pair["on"]["cpu"] / pair["off"]["cpu"])
            base.append(pair["off"]["wall"])
            samples.append(pair["on"]["samples"])
            on = pair["on"]
            shares.append(on["monitor_cpu"] / on["wall"])
            steady.append((on["monitor_cpu"] - on["first_types_cpu"]) / on["wall"])
            firsts.append(on["first_types_cpu"])
            print(
                f"heap {heap:>9,}: pair {i + 1}: off {pair['off']['wall']:.3f} s, "
                f"on {pair['on']['wall']:.3f} s, ratio {ratios_wall[-1]:.4f}",
                file=sys.stderr,
            )
        p = _run_worker(["parts", str(heap)])
        # one count per 10 samples, or fewer: at most TYPES_BUDGET of the time
        expected = p["sample"] / 1.0 + p["types"] / max(10.0, p["types"] / TYPES_BUDGET)
        med_wall = statistics.median(ratios_wall)
        med_cpu = statistics.median(ratios_cpu)
        share = statistics.median(shares)
        steady_share = statistics.median(steady)
        worst = max(worst, steady_share, expected)
        rows.append(
            (
                heap,
                int(p["objects"]),
                statistics.median(base),
                med_wall,
                min(ratios_wall),
                max(ratios_wall),
                med_cpu,
                statistics.median(samples),
                p["sample"] * 1000,
                p["types"] * 1000,
                expected,
                share,
                steady_share,
                statistics.median(firsts),
            )
        )
        heap_parts.append((int(p["objects"]), p))

    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Monitor benchmark: what the memory timeline costs a busy program",
        "",
        f"Written by `make bench` (`bench/bench_monitor.py`) on {when}, "
        f"in {time.time() - started:.0f} s.",
        "",
        f"- Python: CPython {sys.version.split()[0]}; leakhunt {leakhunt.__version__}",
        f"- Machine: {_machine()}; load average (1 min) {load_before} before the run, "
        f"{_load()} after (the machine is shared: the wall ratios carry its noise)",
        f"- Checkout: {git_before}",
        f"- Workload: {seconds:g} s of pure-Python dict/list/arithmetic churn in one thread, "
        f"run {repeat} times without and {repeat} times with "
        "`leakhunt.monitor(path, interval=1.0)` (type counts every 10th sample, top 10), "
        "alternating, each run in a fresh process",
        "",
        "## Target (from the issue)",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        f"| overhead under 1% of a busy program's time at interval=1 s | "
        f"{100 * worst:.2f}% (the worse of: the sampling thread's CPU time over the run's "
        "wall time without the first type count, median; the steady state expected from "
        "the parts below) | "
        f"**{'met' if worst < 0.01 else 'not met'}** |",
        "",
        "## Busy program, with and without the monitor",
        "",
        "| heap (gc objects) | run without (s, median) | monitor CPU / wall, all (median) "
        "| without the first type count | the first type count (CPU s) "
        "| wall ratio with/without (median) | min..max | CPU ratio (median) | samples per run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r[1]:,} | {r[2]:.2f} | {100 * r[11]:.3f}% | {100 * r[12]:.3f}% | {r[13]:.3f} "
            f"| {r[3]:.4f} | {r[4]:.4f}..{r[5]:.4f} | {r[6]:.4f} | {r[7]:.0f} |"
        )
    lines += [
        "",
        "The monitor thread's CPU time (time.thread_time around every sample) is the "
        "direct measure; the with/without ratios of whole runs are shown too, but on a "
        "shared 2-core machine their spread is larger than the effect.",
        "",
        "## The parts, timed directly (best of 5)",
        "",
        "| heap (gc objects) | one sample (ms) | one type count (ms) "
        "| expected overhead at 1 s (counts every 10th, within the 0.5% budget) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| {r[1]:,} | {r[8]:.3f} | {r[9]:.1f} | {100 * r[10]:.3f}% |")
    lines += [
        "",
        "A sample reads /proc/self/statm, getrusage(), the live heap and gc.get_stats() "
        "and writes one JSON line. A type count is the snapshot's heap walk without "
        "gc.collect() (every "
        "object, gc-tracked or not, with its size: a leak of dicts of plain values is seen); "
        "it holds the GIL while it runs, so on a big heap it pauses the "
        "program's threads for that long once every `types_every` samples "
        "(pass types_every=0 to turn it off, or raise it); after a count that took c seconds "
        "the next waits at least c / 0.005 seconds. The first sample of the monitor thread "
        "(after one interval) always counts types, as the baseline for the type growth in "
        "the summary, and so does the last one at stop(): on a short run with a big heap the "
        "first count is most of the cost (the column above), a one-off pause.",
        "",
        "## The live heap, timed directly (best of 5)",
        "",
        "Every sample reads the live heap in full (glibc's mallinfo2 plus pymalloc's own "
        "statistics, which visit every pool); every span boundary and mark reads it the cheap "
        "way (mallinfo2 plus the blocks in use at the last full reading's bytes per block). "
        "Both are in the sample and run times above.",
        "",
        "| heap (gc objects) | full reading (µs) | cheap reading (µs) "
        "| one span, enter + exit, under a monitor (µs) | without a monitor (µs) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for objects, p in heap_parts:
        if not p.get("heap_source"):
            lines.append(f"| {objects:,} | no live heap on this platform | | | |")
            continue
        lines.append(
            f"| {objects:,} | {p['heap_exact'] * 1e6:.1f} | {p['heap_now'] * 1e6:.2f} "
            f"| {p['span'] * 1e6:.1f} | {p['span_off'] * 1e6:.2f} |"
        )
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
