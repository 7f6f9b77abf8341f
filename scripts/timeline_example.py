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

APP = ROOT / "examples" / "timeline_app.py"  # the README's app.py, shipped


def leakhunt_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "leakhunt", *args]


def show(cmd: list[str], out: str) -> None:
    shown = " ".join(["leakhunt", *cmd[3:]]) if cmd[:3] == leakhunt_cmd() else " ".join(cmd)
    print(f"$ {shown}")
    print(out, end="" if out.endswith("\n") else "\n")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    shutil.copyfile(APP, OUT / "app.py")
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
