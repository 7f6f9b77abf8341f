"""V8 heap snapshots at scale: the seed's Node service (scenarios/node/
invoice_buffered.js) writes baseline, target and final snapshots; leakhunt
reads them and answers, each step in a fresh child process (wall time and
peak RSS from wait4). Anchors in the same run: the stdlib's json.load of the
final file, and memlab's find-leaks on the triple when its oracle is
installed (make v8-oracles).

Usage: python bench/bench_v8.py [--invoices 72000] [--dir DIR] [--memlab]
       [--out docs/benchmarks-v8.md]

72,000 invoices give a ~230 MB final snapshot (the issue's target:
``leakhunt diff`` of a ~230 MB pair within 15 s and 1.5 GB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import MB, _fmt_git, _git_head, _load, _machine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLES = os.path.join(ROOT, ".cache", "v8-oracles", "node_modules")


def timed(argv: list[str], cwd: str = ROOT) -> tuple[float, int, int]:
    """(seconds, peak RSS in bytes, exit code) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    if status:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        print(f"  ! {' '.join(argv[:4])}...: exit {status}\n{err[-2000:]}", file=sys.stderr)
    if proc.stderr:
        proc.stderr.close()
    return seconds, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def leakhunt(*args: str) -> list[str]:
    return [sys.executable, "-m", "leakhunt", *args]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=72_000)
    ap.add_argument("--dir", default=None, help="reuse (or keep) the snapshots here")
    ap.add_argument("--memlab", action="store_true", help="also time memlab's find-leaks")
    ap.add_argument("--out", default=None, help="write a Markdown report here")
    args = ap.parse_args()
    node = shutil.which("node")
    if node is None:
        print("bench_v8: node is not installed (make v8-oracles)", file=sys.stderr)
        return 2
    git_start = _git_head()
    directory = args.dir or tempfile.mkdtemp(prefix="leakhunt-bench-v8-")
    os.makedirs(directory, exist_ok=True)
    files = [os.path.join(directory, f"{s}.heapsnapshot") for s in ("baseline", "target", "final")]
    rows: list[tuple[str, float, int]] = []
    if not all(os.path.exists(f) for f in files):
        print(f"writing the Node snapshots ({args.invoices:,} invoices) into {directory}")
        s, rss, _ = timed(
            [node, "--expose-gc", "driver.js", "invoice_buffered.js", directory, "3",
             str(args.invoices)],
            cwd=os.path.join(ROOT, "scenarios", "node"),
        )  # fmt: skip
        rows.append(("node: 3 x v8.writeHeapSnapshot() and 7 exports", s, rss))
    sizes = [os.path.getsize(f) for f in files]
    base, target, final = files
    steps: list[tuple[str, list[str]]] = [
        (
            "json.load(final) (stdlib anchor)",
            [sys.executable, "-c", f"import json; json.load(open({final!r}))"],
        ),
        ("leakhunt inspect final (read + convert)", leakhunt("inspect", final)),
        ("leakhunt diff baseline final (paths + retained)", leakhunt("diff", base, final)),
        (
            "leakhunt diff baseline target --final final",
            leakhunt("diff", base, target, "--final", final),
        ),
    ]
    memlab = os.path.join(ORACLES, "@memlab", "cli", "bin", "memlab.js")
    if args.memlab and os.path.exists(memlab):
        steps.append(
            (
                "memlab find-leaks --trace-object-size-above 1000000 (anchor)",
                [node, "--max-old-space-size=4096", memlab, "find-leaks", "--baseline", base,
                 "--target", target, "--final", final, "--trace-object-size-above", "1000000",
                 "--work-dir", tempfile.mkdtemp(prefix="memlab-")],
            )
        )  # fmt: skip
    for name, argv in steps:
        print(f"  {name} ...", flush=True)
        s, rss, _ = timed(argv)
        rows.append((name, s, rss))
        print(f"    {s:.1f} s, peak RSS {rss / MB:,.0f} MiB", flush=True)
    report = render(rows, sizes, args.invoices, (git_start, _git_head()))
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    if not args.dir:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def render(
    rows: list[tuple[str, float, int]],
    sizes: list[int],
    invoices: int,
    git: tuple[Optional[str], Optional[str]],
) -> str:
    load = _load()
    lines = [
        "# V8 heap snapshots: reading and diffing at scale",
        "",
        "Generated by `python bench/bench_v8.py` (`make bench-v8`); each step in a fresh child",
        "process, wall time and peak RSS from wait4. Targets (issue 13): `leakhunt diff` of a",
        "~230 MB Node snapshot pair <= 15 s and <= 1.5 GB.",
        "",
        f"- machine: {_machine()}; load average {load if load is not None else '?'}",
        f"- commit: {_fmt_git(git)}",
        f"- scenario: scenarios/node/invoice_buffered.js, {invoices:,} invoices, "
        "3 exports per step",
        "- files: baseline {:,.1f} MB, target {:,.1f} MB, final {:,.1f} MB".format(
            *(s / 1e6 for s in sizes)
        ),
        "",
        "| step | seconds | peak RSS |",
        "| --- | ---: | ---: |",
    ]
    lines += [f"| {name} | {s:.1f} | {rss / MB:,.0f} MiB |" for name, s, rss in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
