"""`make demo`: find a real leak with two snapshots and a diff.

Runs the leaking report scenario (rows kept in a module-level list) between
two checkpoints, then the streaming version of the same report, and shows
what `leakhunt diff` says about each; then who holds the rows (graph
snapshots), and `leakhunt hunt` telling the leak from a bounded cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import leakhunt  # noqa: E402

OUT = ROOT / "leakhunt-snapshots" / "demo"
CALLS = 20


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def run_cli(*args: str) -> int:
    args = tuple(os.path.relpath(a, ROOT) if a.startswith("/") else a for a in args)
    cmd = [sys.executable, "-m", "leakhunt", *args]
    print("$ leakhunt " + " ".join(args))
    sys.stdout.flush()
    return subprocess.call(cmd, cwd=ROOT)


def hunt(name: str) -> tuple[str, str]:
    import importlib

    mod = importlib.import_module(f"scenarios.{name}")
    mod.action()  # warm-up: first-call imports and caches are not leaks
    before = leakhunt.snapshot(f"{name}-before", path=OUT)
    for _ in range(CALLS):
        mod.action()
    after = leakhunt.snapshot(f"{name}-after", path=OUT)
    assert before.path and after.path
    return before.path, after.path


def main() -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    say(f"1. A report generator that keeps every parsed row: {CALLS} reports of 200 rows")
    print("   scenarios/report_rows.py appends each parsed JSONL row to a module-level list.")
    a, b = hunt("report_rows")
    run_cli("diff", a, b, "--top", "8")

    say("2. The same report, streaming its rows through a generator")
    a2, b2 = hunt("report_stream")
    run_cli("diff", a2, b2, "--top", "8")

    say("3. As a CI gate: fail when any type grows by 1,000 objects or more")
    rc = run_cli("diff", a, b, "--fail-on-growth", "1000", "--format", "markdown", "--top", "3")
    print(f"(exit code {rc}: 1 means the gate tripped)")
    rc2 = run_cli("diff", a2, b2, "--fail-on-growth", "1000", "--top", "3")
    print(f"(exit code {rc2} for the streaming version)")
    say("4. Why is it alive? The same leak with graph snapshots: who holds the rows")
    mod = __import__("scenarios.report_rows", fromlist=["action"])
    g1 = leakhunt.snapshot("rows-graph-before", path=OUT, graph=True)
    for _ in range(5):
        mod.action()
    g2 = leakhunt.snapshot("rows-graph-after", path=OUT, graph=True)
    assert g1.path and g2.path
    run_cli("diff", g1.path, g2.path, "--top", "2")
    svg = OUT / "rows.svg"
    run_cli("graph", g2.path, "--type", "dict", "--cluster", "1", "-o", str(svg))

    say("5. Is it really a leak? leakhunt hunt repeats the action and judges")
    rc = run_cli("hunt", "scenarios/report_rows.py", "--iterations", "6")
    print(f"(exit code {rc}: 1 means a leak was found)")
    rc = run_cli("hunt", "scenarios/bounded_lru.py", "--iterations", "6")
    print(f"(exit code {rc} for a bounded cache that fills during warm-up: not a leak)")
    node_demo()
    print(f"\nSnapshot files are in {os.path.relpath(OUT, ROOT)}/; next, try:")
    print(f"  .venv/bin/leakhunt inspect {os.path.relpath(b, ROOT)}")
    return 0


def node_demo() -> None:
    """Part 6: the seed's Node.js service (an invoice export that kept every
    parsed row), found from three V8 heap snapshots; the streaming fix is
    clean. And a Python graph snapshot exported for Chrome DevTools."""
    say("6. Node.js: the invoice export that keeps every parsed row, from three heap snapshots")
    node = shutil.which("node")
    if node is None:
        print(
            "   (skipped: node is not installed: sudo apt-get install nodejs, or make v8-oracles)"
        )
        return
    print("   scenarios/node/invoice_buffered.js keeps each export's rows in `exportHistory`;")
    print("   the driver writes baseline, target (3 exports later) and final (3 more) with")
    print("   v8.writeHeapSnapshot(), as memlab asks for them.")
    for name in ("invoice_buffered", "invoice_streaming"):
        out = OUT / f"node-{name}"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [node, "--expose-gc", "driver.js", f"{name}.js", str(out), "3", "5000"],
            cwd=ROOT / "scenarios" / "node",
            check=True,
        )
        if name == "invoice_streaming":
            say("7. The fixed export (an async generator over readline, rows streamed out)")
        b, t, f = (str(out / f"{s}.heapsnapshot") for s in ("baseline", "target", "final"))
        run_cli("diff", b, t, "--final", f)
    say("8. And the other way: a Python graph snapshot for Chrome DevTools' Memory panel")
    g = sorted(OUT.glob("*rows-graph-after*"))
    if g:
        v8 = OUT / "rows-graph-after.heapsnapshot"
        run_cli("export", str(g[0]), "-o", str(v8))
        print(f"   Load {os.path.relpath(v8, ROOT)} in DevTools (Memory > Load): Summary shows")
        print("   leakhunt's histogram, Retainers the same path: ._ROWS -> [i] -> dict.")


if __name__ == "__main__":
    raise SystemExit(main())
