"""``leakhunt run`` and ``leakhunt snapshot`` on real child processes,
including a long-running HTTP server with a leak, under load, asked for
two snapshots by signal; ``leakhunt diff`` on them names the leak."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leakhunt.files.timeline_file import load_timeline

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="POSIX signals")


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "LEAKHUNT_RUNTIME_DIR": str(tmp_path)}
    env.pop("LEAKHUNT_DIR", None)
    env.pop("LEAKHUNT_SIGNAL", None)
    return env


def leakhunt_cli(
    tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", *map(str, args)],
        capture_output=True,
        text=True,
        env=env or env_for(tmp_path),
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def script(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


# ------------------------------------------------------------------ leakhunt run


def test_run_passes_the_exit_code_through_and_writes_a_timeline(tmp_path: Path) -> None:
    app = script(
        tmp_path,
        "app.py",
        """
        import sys, threading, leakhunt
        keep = []
        def work():
            for i in range(3):
                with leakhunt.mark("work"):
                    keep.append([str(j) for j in range(20000)])
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("argv", sys.argv, __name__)
        sys.exit(int(sys.argv[1]))
        """,
    )
    r = leakhunt_cli(
        tmp_path, "run", "--interval", "0.05", "-o", "tl.jsonl", "--snapshot-at-exit",
        "--", sys.executable, app, "7",
    )  # fmt: skip
    assert r.returncode == 7, r.stderr
    assert r.stdout == f"argv ['{app}', '7'] __main__\n"
    assert r.stderr.startswith("leakhunt run: pid ")
    # the last line says what to do next
    assert (
        r.stderr.splitlines()[-1]
        == "leakhunt run: timeline in tl.jsonl; next: leakhunt timeline tl.jsonl"
    )
    tl = load_timeline(tmp_path / "tl.jsonl")
    assert tl.ended and tl.skipped_lines == 0 and tl.samples
    assert [sp.label for sp in tl.spans] == ["work"] * 9
    assert all(sp.end is not None for sp in tl.spans)
    (snap,) = tl.snapshots
    assert snap.label == "exit" and snap.path is not None and Path(snap.path).is_file()
    assert Path(snap.path).parent == tmp_path / "leakhunt-snapshots"
    # the receipt of the signal handler is removed at exit
    assert list(tmp_path.glob("leakhunt-*.json")) == []


def test_run_module_and_code_and_an_unhandled_exception(tmp_path: Path) -> None:
    script(tmp_path, "mymod.py", "import sys\nprint('mod', sys.argv[1:], __name__)\n")
    r = leakhunt_cli(
        tmp_path, "run", "-q", "-o", "a.jsonl", "--", sys.executable, "-m", "mymod", "x"
    )
    assert (r.returncode, r.stdout, r.stderr) == (0, "mod ['x'] __main__\n", "")
    r = leakhunt_cli(
        tmp_path, "run", "-q", "-o", "b.jsonl", "--",
        sys.executable, "-c", "import sys; print(sys.argv); raise ValueError('boom')", "y",
    )  # fmt: skip
    assert r.returncode == 1 and r.stdout == "['-c', 'y']\n"
    assert r.stderr.rstrip().endswith("ValueError: boom")
    for name in ("a.jsonl", "b.jsonl"):
        assert load_timeline(tmp_path / name).ended


def test_subprocesses_are_not_monitored(tmp_path: Path) -> None:
    app = script(
        tmp_path,
        "parent.py",
        """
        import os, subprocess, sys
        code = "import os, sys; print('LEAKHUNT_RUN' in os.environ, 'leakhunt' in sys.modules)"
        print("parent", "LEAKHUNT_RUN" in os.environ, flush=True)
        subprocess.run([sys.executable, "-c", code], check=True)
        """,
    )
    r = leakhunt_cli(tmp_path, "run", "-q", "-o", "t.jsonl", "--", sys.executable, app)
    assert (r.returncode, r.stdout) == (0, "parent False\nFalse False\n"), r.stderr


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        (["ls", "-l"], "'ls' is not a Python interpreter"),
        (["python3", "missing.py"], "missing.py: no such script"),
        (["python3", "-u"], "no script, -m module or -c code"),
        (["python3", "-m"], "-m needs an argument"),
        ([], "Missing argument"),
    ],
)
def test_run_bad_commands_are_one_line_exit_2(
    tmp_path: Path, command: list[str], problem: str
) -> None:
    r = leakhunt_cli(tmp_path, "run", "--", *command)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and problem in r.stderr


# ------------------------------------------------------------------ leakhunt snapshot


def write_receipt(directory: Path, pid: int, **fields: object) -> Path:
    """A receipt as the process's own handler writes it (then ``fields``)."""
    from leakhunt.runtime.ondemand import _start_time

    receipt = {
        "format": "leakhunt.signal", "pid": pid, "started": _start_time(pid),
        "signal": int(signal.SIGUSR2), "seq": 0, "path": None, "error": None,
    }  # fmt: skip
    receipt.update(fields)
    path = directory / f"leakhunt-{pid}.json"
    path.write_text(json.dumps(receipt))
    return path


def test_snapshot_of_no_process_or_a_process_without_handler_exits_2(tmp_path: Path) -> None:
    r = leakhunt_cli(tmp_path, "snapshot", "999999999")
    assert (
        r.returncode == 2
        and r.stderr == "leakhunt: error: snapshot: no process with pid 999999999\n"
    )
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # (--no-attach: attaching is tests/cli/test_attach.py's)
        r = leakhunt_cli(tmp_path, "snapshot", str(child.pid), "--no-attach")
        assert r.returncode == 2 and "has no leakhunt signal handler" in r.stderr
        assert child.poll() is None  # not signalled: SIGUSR2 would have killed it
    finally:
        child.kill()
        child.wait()


def test_snapshot_times_out_with_exit_2(tmp_path: Path) -> None:
    # GIVEN a process with a receipt whose signal it catches and does nothing with
    child = subprocess.Popen(
        [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGUSR2, "
         "lambda *a: None); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        write_receipt(tmp_path, child.pid)
        r = leakhunt_cli(tmp_path, "snapshot", str(child.pid), "--wait", "0.3")
        assert r.returncode == 2
        assert r.stderr == (
            f"leakhunt: error: snapshot: no snapshot from process {child.pid} within 0.3 s\n"
        )
    finally:
        child.kill()
        child.communicate()


SERVER = """
import http.server, signal, sys

class Session:
    def __init__(self, path):
        self.path = path
        self.payload = bytearray(512)

SESSIONS = []  # the leak: every request's Session stays here

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        SESSIONS.append(Session(self.path))
        body = b"ok %d" % len(SESSIONS)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

def stop(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, stop)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
try:
    server.serve_forever(poll_interval=0.05)
except KeyboardInterrupt:
    pass
server.server_close()
"""


def test_http_server_with_a_leak_two_signals_two_snapshots_and_a_diff(tmp_path: Path) -> None:
    import urllib.request  # here, not at collection: other tests count the heap

    # GIVEN a real HTTP server started under leakhunt run
    app = script(tmp_path, "server.py", SERVER)
    proc = subprocess.Popen(
        [sys.executable, "-m", "leakhunt", "run", "--interval", "0.1", "-o", "tl.jsonl",
         "--snapshot-dir", "snaps", "--", sys.executable, app],
        cwd=tmp_path, env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith(f"leakhunt run: pid {proc.pid}, ")

        def load(n: int) -> None:  # a bounded client loop
            for i in range(n):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/r{i}", timeout=10) as resp:
                    assert resp.status == 200

        def take() -> Path:
            r = leakhunt_cli(tmp_path, "snapshot", str(proc.pid), "--wait", "60")
            assert r.returncode == 0, r.stderr
            return Path(r.stdout.strip())

        # WHEN it serves requests, is asked for a snapshot, serves 150 more,
        # and is asked again
        load(30)
        a = take()
        load(150)
        b = take()
        assert proc.poll() is None  # still serving
        load(5)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    # THEN two snapshot files, and the diff shows exactly the leaked sessions
    assert proc.returncode == 0, err
    assert a.parent == b.parent == tmp_path / "snaps" and a != b
    r = leakhunt_cli(tmp_path, "diff", a, b, "--format", "json")
    assert r.returncode == 0, r.stderr
    grown = {t["type"]: t["count_delta"] for t in json.loads(r.stdout)["types"]}
    assert grown["__main__.Session"] == 150
    text = leakhunt_cli(tmp_path, "diff", a, b).stdout
    assert "__main__.Session" in text
    # and the timeline holds both snapshots and ends cleanly
    tl = load_timeline(tmp_path / "tl.jsonl")
    assert tl.ended and [s.path for s in tl.snapshots] == [str(a), str(b)]
    assert [s.label for s in tl.snapshots] == ["signal", "signal"]


RECEIPT_PROBE = """
import json, os
path = os.path.join(os.environ["LEAKHUNT_RUNTIME_DIR"], f"leakhunt-{os.getpid()}.json")
print(json.load(open(path))["signal"] if os.path.exists(path) else "none")
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, int(signal.SIGUSR2)), ("none", "none"), ("USR1", int(signal.SIGUSR1))],
)
def test_run_installs_the_signal_handler_as_leakhunt_signal_says(
    tmp_path: Path, value: str | None, expected: object
) -> None:
    env = env_for(tmp_path)
    if value is not None:
        env["LEAKHUNT_SIGNAL"] = value
    app = script(tmp_path, "probe.py", RECEIPT_PROBE)
    r = leakhunt_cli(tmp_path, "run", "-q", "-o", "t.jsonl", "--", sys.executable, app, env=env)
    assert (r.returncode, r.stdout.strip()) == (0, str(expected)), r.stderr


SELF_SIGNAL = """
import json, os, signal, sys, time
import leakhunt
receipt = os.path.join(os.environ["LEAKHUNT_RUNTIME_DIR"], f"leakhunt-{os.getpid()}.json")
keep = [object() for _ in range(100)]
os.kill(os.getpid(), signal.SIGUSR2)   # the handler only wakes the helper thread
for _ in range(600):
    doc = json.load(open(receipt))
    if doc["seq"] == 1:
        break
    time.sleep(0.05)
snap = leakhunt.load(doc["path"])
print(doc["seq"], os.path.basename(doc["path"]), snap.graph is not None, snap.label)
"""


def test_signal_snapshot_with_graph_from_inside_the_program(tmp_path: Path) -> None:
    app = script(tmp_path, "self.py", SELF_SIGNAL)
    r = leakhunt_cli(
        tmp_path, "run", "-q", "--graph", "--snapshot-dir", "g", "-o", "t.jsonl",
        "--", sys.executable, app,
    )  # fmt: skip
    assert (r.returncode, r.stdout) == (0, "1 0001-signal.lhs.json.gz True signal\n"), r.stderr


def test_install_signal_handler_outside_the_main_thread_is_a_usage_error() -> None:
    import threading

    import leakhunt
    from leakhunt.errors import UsageError

    caught: list[BaseException] = []

    def install() -> None:
        try:
            leakhunt.install_signal_handler(directory="never")
        except UsageError as e:
            caught.append(e)

    t = threading.Thread(target=install)
    t.start()
    t.join()
    assert len(caught) == 1 and "cannot handle signal" in str(caught[0])
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
