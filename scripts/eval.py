"""`make eval`: run `leakhunt hunt` on every scenario and score it.

Each scenario declares its ground truth in ``EXPECT`` (read here with
``ast.literal_eval``, without importing the module): whether it leaks, the
types a hunt must report, and substrings its retainer path must contain.
Every hunt runs in its own process, exactly as a user would run it.

Prints one row per scenario and three numbers:

- recall: leaking scenarios where a reported leak has an expected type;
- retainer-path accuracy: of those, the ones whose retainer paths (and
  container, and what holds them from C when no root does) contain every
  expected substring;
- false alarms: controls where a leak was reported.

Exit status 0 when every scenario ran (whatever the score), 2 when a hunt
itself failed (a crash, a bad target).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scenarios import expected  # noqa: E402


@dataclass
class Outcome:
    name: str
    expect: dict[str, Any]
    leaks: list[dict[str, Any]]
    seconds: float
    error: str = ""
    #: the hunt's own time, as it reports it (the process also starts Python)
    hunt_seconds: float = 0.0

    @property
    def found(self) -> list[dict[str, Any]]:
        return [x for x in self.leaks if x["type"] in self.expect["types"]]

    @property
    def detected(self) -> bool:
        return bool(self.found)

    @property
    def path_ok(self) -> bool:
        want = self.expect.get("retainer", [])
        for leak in self.found:
            paths = [p if p is not None else "held outside Python" for p in leak["retainers"]]
            container = leak.get("container") or {}
            held = leak.get("held_by") or {}
            parts = [*paths, container.get("path", ""), held.get("text", ""), held.get("path", "")]
            text = " | ".join(parts)
            if all(w in text for w in want):
                return True
        return False


def run(path: Path, iterations: int) -> Outcome:
    expect = expected(path)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "leakhunt", "hunt", str(path.relative_to(ROOT))]
    cmd += ["--iterations", str(iterations), "--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return Outcome(path.stem, expect, [], seconds, error=last)
    doc = json.loads(p.stdout)
    return Outcome(path.stem, expect, doc["leaks"], seconds, hunt_seconds=doc["seconds"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("names", nargs="*", help="only these scenarios")
    args = ap.parse_args()
    paths = sorted(p for p in (ROOT / "scenarios").glob("*.py") if not p.name.startswith("_"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda p: run(p, args.iterations), paths))

    leaking = [o for o in outcomes if o.expect["leak"]]
    controls = [o for o in outcomes if not o.expect["leak"]]
    width = max(len(o.name) for o in outcomes)
    head = f"{'scenario':<{width}}  {'expect':<7} {'verdict':<9} {'path':<5} {'s':>5} {'hunt':>5}"
    print(f"{head}  reported")
    for o in outcomes:
        if o.error:
            verdict, path = "ERROR", "-"
        elif o.expect["leak"]:
            verdict = "found" if o.detected else "MISSED"
            path = ("ok" if o.path_ok else "WRONG") if o.detected else "-"
        else:
            verdict = "FALSE" if o.leaks else "quiet"
            path = "-"
        reported = o.error or ", ".join(x["type"] for x in o.leaks[:4]) or "(nothing)"
        expect = "leak" if o.expect["leak"] else "control"
        row = f"{o.name:<{width}}  {expect:<7} {verdict:<9} {path:<5} {o.seconds:5.1f}"
        print(f"{row} {o.hunt_seconds:5.1f}  {reported}")

    found = [o for o in leaking if o.detected]
    paths_ok = [o for o in found if o.path_ok]
    alarms = [o for o in controls if o.leaks]
    print()
    print(f"recall:                 {len(found)}/{len(leaking)} leaking scenarios found")
    print(f"retainer-path accuracy: {len(paths_ok)}/{len(found)} found leaks held where expected")
    print(f"false alarms:           {len(alarms)}/{len(controls)} controls")
    slowest = max(outcomes, key=lambda o: o.hunt_seconds)
    print(f"slowest hunt:           {slowest.hunt_seconds:.1f} s ({slowest.name})")
    return 2 if any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
