"""``make fuzz``: 10,000 seeded mutants per reader (snapshot files, their
graph section, timelines, V8 heap snapshots), each read and consumed by the CLI in a forked
child with a 4 GiB address-space cap and a 30 s alarm; the child's peak
memory comes from ``wait4``. Writes the figures to docs/fuzzing.md.

    python scripts/fuzz.py [--count 10000] [--kinds snapshot graph timeline v8]
                           [--out docs/fuzzing.md]

A failure is a traceback (any exception but the reader's one-line file
error, or a CLI exit 3), a hang (past 30 s), or a child whose peak memory
rose more than 256 MiB above the parent's. Failing inputs are kept in the
work directory (printed) with their mutant number: ``mutant(kind, seed, n)``
remakes them.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE / "tests"))

from fuzz.corpus import KINDS, check, make_seed_files, mutant  # noqa: E402

from leakhunt.files.snapshot_file import read_snapshot  # noqa: E402
from leakhunt.files.timeline_file import load_timeline  # noqa: E402

SEED_NAMES = {
    "snapshot": "histogram.lhs.json.gz",
    "graph": "graph.lhs.json.gz",
    "timeline": "timeline.jsonl",
    "v8": "seed.heapsnapshot",
}
LIMIT_AS = 4 * 2**30
ALARM_SECONDS = 30
MAX_EXTRA = 256 * 2**20
EXIT_ACCEPTED, EXIT_REFUSED, EXIT_FAILED, EXIT_CRASHED = 10, 11, 12, 13


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _child(kind: str, path: str, seed_path: str, report: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(ALARM_SECONDS)
    reader = load_timeline if kind == "timeline" else read_snapshot
    code = EXIT_CRASHED
    try:
        verdict = check(kind, path, seed_path, reader)
        code = EXIT_ACCEPTED if verdict == "accepted" else EXIT_REFUSED
    except AssertionError as e:
        Path(report).write_text(str(e))
        code = EXIT_FAILED
    except BaseException:
        Path(report).write_text(traceback.format_exc())
    os._exit(code)


def run_kind(kind: str, count: int, seeds: dict[str, list[bytes]], seed_dir: Path,
             work: Path) -> dict[str, object]:  # fmt: skip
    seed_path = str(seed_dir / SEED_NAMES[kind])
    reader = load_timeline if kind == "timeline" else read_snapshot
    check(kind, seed_path, seed_path, reader)  # warm: imports and caches in the parent
    base = _rss_bytes()
    stats = {"accepted": 0, "refused": 0, "traceback": 0, "hang": 0, "memory": 0}
    extras: list[int] = []
    failures: list[str] = []
    t0 = time.monotonic()
    for n in range(count):
        seed = seeds[kind][n % len(seeds[kind])]
        suffix, data = mutant(kind, seed, n)
        path = work / f"{kind}-{n}{suffix}"
        path.write_bytes(data)
        report = str(work / f"{kind}-{n}.txt")
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(kind, str(path), seed_path, report)
        _, status, usage = os.wait4(pid, 0)
        extra = max(0, usage.ru_maxrss * 1024 - base)
        extras.append(extra)
        failed = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            failed = "hang" if sig == signal.SIGALRM else "traceback"
        else:
            code = os.WEXITSTATUS(status)
            if code == EXIT_ACCEPTED:
                stats["accepted"] += 1
            elif code == EXIT_REFUSED:
                stats["refused"] += 1
            else:
                failed = "traceback"
        if failed is None and extra > MAX_EXTRA:
            failed = "memory"
        if failed is not None:
            stats[failed] += 1
            why = Path(report).read_text() if os.path.exists(report) else f"status {status}"
            failures.append(f"{kind} #{n} ({failed}, +{extra >> 20} MiB): {why.strip()[-400:]}")
            print(failures[-1], flush=True)
        else:
            path.unlink()
    seconds = time.monotonic() - t0
    extras.sort()
    return {
        "kind": kind, "count": count, **stats, "seconds": seconds,
        "extra_max": extras[-1], "extra_median": statistics.median(extras),
        "extra_p99": extras[int(len(extras) * 0.99) - 1], "failures": failures,
        "base": base,
    }  # fmt: skip


HEADER = (
    "| reader | inputs | accepted | refused in one line | tracebacks | hangs | over 256 MiB "
    "| peak above parent (MiB) | seconds | run |\n" + "| --- " * 10 + "|"
)
TITLES = {
    "snapshot": "snapshot files (histogram; gzip and plain)",
    "graph": "snapshot files with a graph section",
    "timeline": "timeline files",
    "v8": "V8 heap snapshots (Node-shaped and leakhunt-exported; plain and gzip)",
}


def _earlier_rows(out: Path, kinds: set[str]) -> dict[str, str]:
    """The rows of ``out``'s table for the readers not run this time, with
    the date they were run (a run of some readers keeps the others' rows)."""
    try:
        text = out.read_text()
    except OSError:
        return {}
    date = re.search(r"Last run: (\d{4}-\d{2}-\d{2})", text)
    rows = {}
    for kind, title in TITLES.items():
        for line in text.splitlines():
            if kind not in kinds and line.startswith(f"| {title} |"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) == 9:  # before the run column
                    cells.append(date.group(1) if date else "earlier")
                rows[kind] = "| " + " | ".join(cells) + " |"
    return rows


def write_report(results: list[dict[str, object]], out: Path) -> None:
    mib = lambda b: f"{int(b) / 2**20:.0f}"  # type: ignore[call-overload]  # noqa: E731
    today = time.strftime("%Y-%m-%d", time.gmtime())
    by_kind = _earlier_rows(out, {str(r["kind"]) for r in results})
    for r in results:
        by_kind[str(r["kind"])] = (
            f"| {TITLES[str(r['kind'])]} | {r['count']:,} | {r['accepted']:,} | {r['refused']:,} | "
            f"{r['traceback']} | {r['hang']} | {r['memory']} | {mib(r['extra_median'])} / "
            f"{mib(r['extra_p99'])} / {mib(r['extra_max'])} | {r['seconds']:.0f} | {today} |"
        )
    rows = "\n".join(by_kind[k] for k in TITLES if k in by_kind)
    text = f"""# Fuzzing the readers

`make fuzz` (scripts/fuzz.py) feeds every reader seeded mutants of real
files that leakhunt wrote (tests/fuzz/corpus.py): JSON values replaced by
hostile ones (null, wrong types, -1, 2^63, 2^64, 10^400, NaN, Infinity,
1e999, lone surrogates, 100,000-deep nesting, 100 KB strings, control
characters), keys deleted, lists cut or repeated, bit flips, truncation,
inserted bytes, damage inside the gzip stream; for the graph section also
counts that lie, zlib bombs (honest and lying counts), swapped, reversed,
shuffled, cut and out-of-range arrays, bad type codes and base64, bad names
and roots; for timelines also shuffled, repeated and hostile lines; for V8
files also node and edge counts that lie, fields renamed, reordered or
dropped, edges past the end or between records, hostile numbers in the
flat arrays, cut string tables and sections out of V8's order (seeds: a
Node-shaped heap as V8 writes it, and the graph seed exported by
`leakhunt export`).

Each mutant runs in a forked child with a 4 GiB address-space cap and a
{ALARM_SECONDS} s alarm: it is read, then every command that consumes it runs through
`leakhunt.cli.main` (snapshots: `inspect`, `diff SEED FILE --paths`, graph
files also `graph --type dict`; timelines: `timeline`; V8 files: `inspect`,
`diff SEED FILE --paths`, `graph --type Array`). It passes when the
reader accepts it and the commands end with exit 0, 1 or 2, or the reader
refuses it with its one-line file error and the CLI says so on one line
with exit 2. A traceback (any other exception, exit 3), a hang, or a peak
memory more than 256 MiB above the parent's (`wait4`'s `ru_maxrss`) fails.

Last run: {today}, Python {sys.version.split()[0]} (a row's own date says when it ran),
a machine shared with other work (seconds are inflated). Memory is the child's peak above the
parent's RSS ({mib(results[0]["base"])} MiB), in MiB: median / 99th percentile / max.

{HEADER}
{rows}

The quick version (a few dozen mutants per reader, the same recipes) runs
in `make test` as tests/fuzz/test_fuzz.py, with the probe's hostile files
one by one (zlib bombs under a 64 MiB allocation bound, counts beyond the
data, huge integers, NaN, lone surrogates, deep nesting).
"""
    out.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--kinds", nargs="*", default=list(KINDS), choices=KINDS)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.environ.setdefault("COLUMNS", "100")
    work = Path(tempfile.mkdtemp(prefix="leakhunt-fuzz-"))
    seed_dir = work / "seeds"
    seeds = make_seed_files(seed_dir)
    results = []
    for kind in args.kinds:
        r = run_kind(kind, args.count, seeds, seed_dir, work)
        results.append(r)
        print(
            f"{kind}: {r['count']} inputs, {r['accepted']} accepted, {r['refused']} refused, "
            f"{r['traceback']} tracebacks, {r['hang']} hangs, {r['memory']} over 256 MiB, "
            f"max +{int(r['extra_max']) >> 20} MiB, {r['seconds']:.0f} s",  # type: ignore[call-overload]
            flush=True,
        )
    if args.out is not None:
        write_report(results, args.out)
    failed = sum(int(r[k]) for r in results for k in ("traceback", "hang", "memory"))  # type: ignore[call-overload]
    print(f"work directory: {work}" + ("" if failed else " (no failing input kept)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
