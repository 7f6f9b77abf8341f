"""`make bench` (1M objects) and `make bench-large` (20M): how long
``leakhunt diff``, ``report`` and ``graph`` take on two graph snapshots of
a big heap, and their peak memory.

The heap is issue 10's: ``Row`` objects with a str and a tuple each, held
in a list, plus a dict of one-item lists pointing at them. Snapshot A is
taken on it; then 1% more rows are made and kept by a module-level cache
(the leak), and snapshot B is taken. Both files are written once (by a
worker subprocess) to a scratch directory, then each command runs in a
fresh subprocess, one after the other: wall time (best of --repeat) and
peak RSS of that process (``wait4``'s ru_maxrss).

    python bench/bench_analysis.py --objects 1000000 --out docs/benchmarks-analysis.md
    python bench/bench_analysis.py --objects 20000000 --out docs/benchmarks-analysis-large.md

Numbers are reported, never asserted: issue 10's targets at 20M objects
(diff <= 30 s, report <= 60 s, graph <= 20 s, each <= 3 GB) are marked
"met" or "not met" at that size.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import MB, _fmt_git, _fmt_size, _git_head, _load, _machine

#: issue 10 item 4's targets at 20M objects: seconds, bytes
TARGETS = {
    "diff": (30.0, 3 * 1024 * MB),
    "report": (60.0, 3 * 1024 * MB),
    "graph": (20.0, 3 * 1024 * MB),
}
LARGE = 20_000_000


class Row:
    """One row of the heap: a str and a tuple."""

    def __init__(self, i: int) -> None:
        self.name = f"row {i:09d}"
        self.key = (i, i * 0.5)


#: objects per row, counted by the graph (Row, its __dict__ where there
#: is one, str, tuple, int, float, the index's key and one-item list)
_PER_ROW = 7


def make_pair(directory: str, objects: int) -> None:
    """Worker: build the heap, write a.lhs.json.gz, leak 1%, write b.lhs.json.gz."""
    import gc

    import leakhunt

    rows_n = max(1, objects // _PER_ROW)
    app = types.ModuleType("lh_bench_app")
    sys.modules[app.__name__] = app
    app.rows = [Row(i) for i in range(rows_n)]  # type: ignore[attr-defined]
    app.index = {i: [r] for i, r in enumerate(app.rows)}  # type: ignore[attr-defined]
    app.cache = []  # type: ignore[attr-defined]
    gc.collect()
    t = time.perf_counter()
    a = leakhunt.snapshot("a", path=os.path.join(directory, "a.lhs.json.gz"), graph=True)
    print(f"A: {a.graph.n if a.graph else 0:,} nodes in {time.perf_counter() - t:.1f} s")
    del a
    app.cache.extend(Row(rows_n + i) for i in range(max(1, rows_n // 100)))  # type: ignore[attr-defined]
    gc.collect()
    t = time.perf_counter()
    b = leakhunt.snapshot("b", path=os.path.join(directory, "b.lhs.json.gz"), graph=True)
    print(f"B: {b.graph.n if b.graph else 0:,} nodes in {time.perf_counter() - t:.1f} s")


@dataclass
class Result:
    name: str
    argv: list[str]
    seconds: float
    peak: int
    status: int


def _run(argv: list[str]) -> tuple[float, int, int]:
    """Wall time, peak RSS (bytes) and exit status of one subprocess."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode:
        print(f"  exit {proc.returncode}: {err.strip()[-500:]}", file=sys.stderr)
    return seconds, usage.ru_maxrss * 1024, proc.returncode


def measure(directory: str, repeat: int) -> list[Result]:
    a, b = os.path.join(directory, "a.lhs.json.gz"), os.path.join(directory, "b.lhs.json.gz")
    lh = [sys.executable, "-m", "leakhunt"]
    commands = {
        "diff": [*lh, "diff", a, b, "-o", os.path.join(directory, "diff.txt")],
        "report": [*lh, "report", a, b, "-o", os.path.join(directory, "report.html")],
        "graph": [
            *lh,
            "graph",
            a,
            b,
            "--type",
            "__main__.Row",
            "-o",
            os.path.join(directory, "g.dot"),
        ],
    }
    out = []
    for name, argv in commands.items():
        best: Optional[tuple[float, int, int]] = None
        for _ in range(repeat):
            got = _run(argv)
            print(f"  {name}: {got[0]:.2f} s, peak {got[1] / MB:,.0f} MB, exit {got[2]}")
            if best is None or got[0] < best[0]:
                best = (got[0], max(got[1], best[1] if best else 0), got[2])
        assert best is not None
        out.append(Result(name, argv, *best))
    return out


def render(
    results: list[Result], objects: int, nodes: str, files: int, stamp: str, git: str
) -> str:
    lines = [
        f"# Analysis benchmark: {_fmt_size(objects)} objects per snapshot",
        "",
        "Produced by `bench/bench_analysis.py` (`make bench`: 1M, `make bench-large`: 20M). "
        "Two graph snapshots of issue 10's heap (rows with a str and a tuple, a dict of "
        "one-item lists), B with 1% more rows held by a module-level list; each command in "
        "a fresh process, best wall time, peak RSS of that process.",
        "",
        f"- when: {stamp}; git: {git}; machine: {_machine()}; load: {_load()}",
        f"- Python {sys.version.split()[0]}; graph nodes: {nodes}; "
        f"both files: {files / MB:,.0f} MB",
        "",
        "| command | wall time | peak RSS | target (20M) |",
        "| --- | ---: | ---: | --- |",
    ]
    for r in results:
        limit_s, limit_b = TARGETS[r.name]
        if objects >= LARGE:
            ok = r.seconds <= limit_s and r.peak <= limit_b and r.status == 0
            verdict = f"<= {limit_s:.0f} s, <= {limit_b // MB:,} MB: {'met' if ok else 'not met'}"
        else:
            verdict = f"<= {limit_s:.0f} s, <= {limit_b // MB:,} MB (at 20M; this run is smaller)"
        status = "" if r.status == 0 else f" (exit {r.status})"
        peak = f"{r.peak / MB:,.0f} MB"
        lines.append(f"| `leakhunt {r.name}` | {r.seconds:.2f} s{status} | {peak} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--objects", type=int, default=1_000_000, help="graph nodes per snapshot, about")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--out", help="write the Markdown table here")
    p.add_argument("--keep", metavar="DIR", help="keep (or reuse) the snapshot pair in DIR")
    p.add_argument("--make-pair", metavar="DIR", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.make_pair:
        make_pair(args.make_pair, args.objects)
        return 0
    git_start = _git_head()
    directory = args.keep or tempfile.mkdtemp(prefix="lh-bench-analysis-")
    os.makedirs(directory, exist_ok=True)
    try:
        if not os.path.exists(os.path.join(directory, "b.lhs.json.gz")):
            print(f"building the pair ({_fmt_size(args.objects)} objects) in {directory}")
            subprocess.run(
                [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--objects",
                    str(args.objects),
                    "--make-pair",
                    directory,
                ],
                check=True,
            )
        files = sum(
            os.path.getsize(os.path.join(directory, f)) for f in ("a.lhs.json.gz", "b.lhs.json.gz")
        )
        import leakhunt

        nodes_b = leakhunt.load(os.path.join(directory, "b.lhs.json.gz")).graph
        nodes = f"{nodes_b.n:,} in B, {nodes_b.edge_count:,} edges" if nodes_b else "?"
        del nodes_b
        results = measure(directory, args.repeat)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        text = render(
            results, args.objects, nodes, files, stamp, _fmt_git((git_start, _git_head()))
        )
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text)
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
