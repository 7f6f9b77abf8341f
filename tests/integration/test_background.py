"""Background snapshots (issue 10 item 1): walked in a forked child, the
file complete or absent, the child reaped, the host's threads and SIGCHLD
handler undisturbed. Each case runs in a subprocess of its own: forking the
test runner itself would copy pytest's state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leakhunt.capture import background

pytestmark = pytest.mark.skipif(
    background.fork_available() is not None, reason=f"no fork: {background.fork_available()}"
)


def run_app(tmp_path: Path, code: str, env: dict[str, str] | None = None) -> dict:
    (tmp_path / "app.py").write_text(textwrap.dedent(code), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-W", "error", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


HEAP = """
import json, os, sys, threading, time
import leakhunt
class Row:
    def __init__(self, i):
        self.name = f"row-{i}"
        self.cells = (i, str(i))
ROWS = [Row(i) for i in range(20_000)]
INDEX = {i: [i] for i in range(5_000)}
"""


def test_background_and_in_process_snapshots_agree(tmp_path: Path) -> None:
    # GIVEN a heap of known objects
    # WHEN it is captured in a forked child and in process, histogram and graph
    out = run_app(
        tmp_path,
        HEAP
        + """
out = {}
for graph in (False, True):
    h = leakhunt.snapshot("bg", path="snaps", graph=graph, background=True)
    assert h.wait(120) is not None, h.error
    bg = leakhunt.load(h.path)
    fg = leakhunt.snapshot("fg", path="snaps", graph=graph)
    names = ["__main__.Row", "list", "str", "int", "tuple"]
    out[str(graph)] = [[bg.stat(n).count for n in names], [fg.stat(n).count for n in names],
                       bg.graph is not None, oct(os.stat(h.path).st_mode & 0o777),
                       bg.pid == os.getpid(), h.pid != os.getpid()]
    if graph:
        a = bg.graph.type_names.index("__main__.Row")
        out["rows_in_graph"] = sum(1 for t in bg.graph.types if t == a)
print(json.dumps(out))
""",
    )
    # THEN both count the program's objects alike (the str and int of the
    # calls themselves aside: labels, paths, the child's closures, the
    # helper thread)
    for graph in ("False", "True"):
        bg, fg, has_graph, mode, program_pid, child_pid = out[graph]
        assert program_pid and child_pid  # the file names the program, not the child
        assert bg[0] == fg[0] == 20_000
        assert abs(bg[1] - fg[1]) <= 10, (bg, fg)
        assert all(abs(b - f) <= f // 100 for b, f in zip(bg[2:], fg[2:], strict=True)), (bg, fg)
        assert has_graph == (graph == "True") and mode == "0o600"
    assert out["rows_in_graph"] == 20_000


def test_a_background_snapshot_leaves_nothing_in_the_program(tmp_path: Path) -> None:
    # GIVEN a program that takes a histogram before and after its first
    # background snapshot
    out = run_app(
        tmp_path,
        """
import json, leakhunt
leakhunt.snapshot("warm-up", save=False)
a = leakhunt.snapshot("a", save=False)
h = leakhunt.snapshot("bg", path="snaps", background=True)
assert h.wait(120) is not None, h.error
b = leakhunt.snapshot("b", save=False)
print(json.dumps([[t.name, t.count_delta] for t in leakhunt.diff(a, b).deltas if t.count_delta]))
""",
    )
    # THEN nothing grew: no stdlib cache filled on the way (sysconfig's
    # config vars were: a module and 1,090 strs), none of leakhunt's objects
    assert out == []


def test_child_completes_while_other_threads_hold_locks_and_allocate(tmp_path: Path) -> None:
    # GIVEN threads that, at any moment, hold a lock of their own, the
    # logging lock, stdout's buffer lock or the import machinery, and allocate
    out = run_app(
        tmp_path,
        HEAP
        + """
import importlib, io, logging
stop = []
lock = threading.Lock()
logging.basicConfig(stream=io.StringIO(), level=logging.INFO)
log = logging.getLogger("app")
def holder():
    while not stop:
        with lock:
            junk = [dict(a=i) for i in range(200)]
def logger():
    while not stop:
        log.info("working %s", len(ROWS))
def printer():
    while not stop:
        sys.stderr.write("")
def importer():
    while not stop:
        sys.modules.pop("colorsys", None)
        importlib.import_module("colorsys")
threads = [threading.Thread(target=f) for f in (holder, logger, printer, importer)]
for t in threads:
    t.start()
paths = []
for i in range(5):
    h = leakhunt.snapshot(f"busy{i}", path="snaps", background=True, collect=False)
    paths.append(h.wait(60))
stop.append(1)
for t in threads:
    t.join()
print(json.dumps({"paths": paths, "files": sorted(os.listdir("snaps"))}))
""",
    )
    # THEN every child finished and wrote its file
    assert all(out["paths"]) and len(out["files"]) == 5


def test_a_programs_own_sigchld_handler_is_left_alone(tmp_path: Path) -> None:
    # GIVEN a program that reaps every child itself on SIGCHLD
    out = run_app(
        tmp_path,
        HEAP
        + """
import signal
seen = []
def on_child(signum, frame):
    seen.append(signum)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, on_child)
h = leakhunt.snapshot("c", path="snaps", background=True)
path = h.wait(60)
time.sleep(0.2)
zombies = []
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(pid)
    except (OSError, IndexError, ValueError):
        pass
print(json.dumps({"path": path, "handler_ran": bool(seen),
                  "handler": signal.getsignal(signal.SIGCHLD) is on_child, "zombies": zombies}))
""",
    )
    # THEN its handler still runs and stays installed, the snapshot is complete,
    # and no zombie is left
    assert out["path"] and out["handler_ran"] and out["handler"]
    assert out["zombies"] == []


@pytest.mark.parametrize("how", ["time limit", "killed"])
def test_a_child_stopped_mid_write_leaves_no_file(tmp_path: Path, how: str) -> None:
    # GIVEN a child that stalls just before the rename that publishes its file
    out = run_app(
        tmp_path,
        HEAP
        + f"""
import signal
def stalled(src, dst):
    time.sleep(60)
os.replace = os.link = stalled  # files.atomic publishes with one or the other
h = leakhunt.snapshot("s", path="snaps", background=True, time_limit={30 if how == "killed" else 2})
if {how == "killed"!r}:
    while not (os.path.isdir("snaps") and any(n.endswith(".tmp") for n in os.listdir("snaps"))):
        time.sleep(0.01)
    os.kill(h.pid, signal.SIGKILL)
path = h.wait(60)
print(json.dumps({{"path": path, "error": h.error, "files": os.listdir("snaps")}}))
""",
    )
    # THEN the handle says why, and neither the file nor its temporary is left
    assert out["path"] is None
    assert ("longer than 2 s" if how == "time limit" else "killed by signal 9") in out["error"]
    assert out["files"] == []


def test_the_free_memory_guard_makes_the_child_give_up(tmp_path: Path) -> None:
    # GIVEN a machine that (says it) has 100 MiB available
    (tmp_path / "meminfo").write_text("MemTotal: 9000000 kB\nMemAvailable: 102400 kB\n")
    out = run_app(
        tmp_path,
        HEAP
        + """
from leakhunt.capture import background
background.MEMINFO = "meminfo"
h = leakhunt.snapshot("m", path="snaps", graph=True, background=True)
print(json.dumps({"path": h.wait(60), "error": h.error,
                  "files": os.listdir("snaps") if os.path.isdir("snaps") else []}))
""",
    )
    # THEN the child gives up before walking, and says so
    assert out["path"] is None and out["files"] == []
    assert out["error"].startswith("not enough free memory: 100 MiB available")


def test_without_fork_the_snapshot_is_taken_in_process_with_one_warning(tmp_path: Path) -> None:
    out = run_app(
        tmp_path,
        HEAP
        + """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    a = leakhunt.snapshot("a", path="snaps", background=True)
    b = leakhunt.snapshot("b", path="snaps", background=True)
print(json.dumps({"done": [a.done, b.done], "paths": [a.wait(), b.wait()],
                  "rows": a.snapshot.stat("__main__.Row").count,
                  "warnings": [str(w.message) for w in caught]}))
""",
        env={"LEAKHUNT_NO_FORK": "1"},
    )
    assert out["done"] == [True, True] and all(out["paths"]) and out["rows"] == 20_000
    assert len(out["warnings"]) == 1 and "LEAKHUNT_NO_FORK" in out["warnings"][0]


def test_one_background_snapshot_at_a_time(tmp_path: Path) -> None:
    out = run_app(
        tmp_path,
        HEAP
        + """
real_replace, real_link = os.replace, os.link
def slow_replace(src, dst):
    time.sleep(1)
    real_replace(src, dst)
def slow_link(src, dst):
    time.sleep(1)
    real_link(src, dst)
os.replace, os.link = slow_replace, slow_link
a = leakhunt.snapshot("a", path="snaps", background=True)
b = leakhunt.snapshot("b", path="snaps", background=True)
a.wait(60)
c = leakhunt.snapshot("c", path="snaps", background=True)
c.wait(60)
print(json.dumps({"same": a is b, "fresh": c is not a, "files": sorted(os.listdir("snaps"))}))
""",
    )
    assert out["same"] and out["fresh"]
    assert out["files"] == ["0001-a.lhs.json.gz", "0002-c.lhs.json.gz"]


def test_checkpoint_in_the_background(tmp_path: Path) -> None:
    out = run_app(
        tmp_path,
        HEAP
        + """
with leakhunt.checkpoint("report", path="snaps", background=True) as cp:
    MORE = [Row(i) for i in range(300)]
a, b = cp.before.wait(60), cp.after.wait(60)
d = leakhunt.diff(leakhunt.load(a), leakhunt.load(b))
print(json.dumps({"files": sorted(os.listdir("snaps")),
                  "rows": {t.name: t.count_delta for t in d.deltas}.get("__main__.Row")}))
""",
    )
    assert out["files"] == ["0001-report-enter.lhs.json.gz", "0002-report-exit.lhs.json.gz"]
    assert out["rows"] == 300
