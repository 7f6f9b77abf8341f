"""Regenerate the "Find when memory grows" example of the README: a small
service loop run under `leakhunt run`, two snapshots taken by signal while
it runs (`leakhunt snapshot PID`), then `leakhunt timeline` (text and
docs/timeline.svg) and `leakhunt diff` on the two snapshots.

    python scripts/timeline_example.py

The commands and their real output are printed, for the README.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "leakhunt-snapshots" / "timeline-example"

APP = '''\
"""A service loop: searches (CPU), reports (cached: the leak) and image
resizes (a big buffer, freed)."""
import sys
import time

import leakhunt

_REPORT_CACHE = {}


def search(i):
    return sum(len(str(n)) for n in range(60_000))


def generate_report(i):
    rows = [{"id": n, "customer": f"c{n % 97}", "amount": n * 0.5} for n in range(4_000)]
    _REPORT_CACHE[i] = rows  # cached under a key that never repeats
    return len(rows)


def resize_images(i):
    buf = bytearray(40 * 2**20)
    time.sleep(0.2)
    return len(buf)


for i in range(int(sys.argv[1])):
    with leakhunt.mark("search"):
        search(i)
    if i % 3 == 0:
        with leakhunt.mark("generate_report"):
            generate_report(i)
    if i % 40 == 20:
        with leakhunt.mark("resize_images"):
            resize_images(i)
    time.sleep(0.03)
'''


def leakhunt_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "leakhunt", *args]


def show(cmd: list[str], out: str) -> None:
    shown = " ".join(["leakhunt", *cmd[3:]]) if cmd[:3] == leakhunt_cmd() else " ".join(cmd)
    print(f"$ {shown}")
    print(out, end="" if out.endswith("\n") else "\n")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    (OUT / "app.py").write_text(APP)
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    run = leakhunt_cmd(
        "run", "--interval", "0.1", "-o", "timeline.jsonl", "--snapshot-dir", "snaps",
        "--", "python", "app.py", "160",
    )  # fmt: skip
    # the interpreter running this script, under the name users type
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    proc = subprocess.Popen(run, cwd=OUT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    first = proc.stderr.readline()
    print(f"$ {' '.join(['leakhunt', *run[3:]])}\n{first}", end="")
    snaps = []
    for delay in (2.0, 3.0):
        time.sleep(delay)
        cmd = leakhunt_cmd("snapshot", str(proc.pid))
        r = subprocess.run(cmd, cwd=OUT, env=env, capture_output=True, text=True, check=True)
        show(cmd, r.stdout.replace(str(OUT) + os.sep, ""))
        snaps.append(r.stdout.strip())
    proc.wait()
    print(f"(the program ended, exit code {proc.returncode})")
    svg = ROOT / "docs" / "timeline.svg"
    cmd = leakhunt_cmd("timeline", "timeline.jsonl", "-o", str(svg), "--text")
    r = subprocess.run(cmd, cwd=OUT, env=env, capture_output=True, text=True, check=True)
    cmd[cmd.index(str(svg))] = "docs/timeline.svg"
    show(cmd, r.stdout)
    a, b = (os.path.relpath(p, OUT) for p in snaps)
    cmd = leakhunt_cmd("diff", a, b, "--top", "5")
    r = subprocess.run(cmd, cwd=OUT, env=env, capture_output=True, text=True, check=True)
    show(cmd, r.stdout)


if __name__ == "__main__":
    main()
