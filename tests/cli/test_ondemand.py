"""On-demand snapshots under attack and under load: forged and stale
receipts never make ``leakhunt snapshot`` send a signal, a threaded server
whose main thread waits in ``join()`` loses no request, a failed write gives
its reason, and replacing the handler keeps nothing alive."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakhunt.runtime.ondemand import read_receipt

pytestmark = pytest.mark.skipif(
    not (hasattr(signal, "SIGUSR2") and os.path.exists("/proc/self/status")),
    reason="POSIX signals and /proc",
)


def env_for(tmp_path: Path) -> dict[str, str]:
    rt = tmp_path / "rt"
    rt.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "LEAKHUNT_RUNTIME_DIR": str(rt)}
    env.pop("LEAKHUNT_DIR", None)
    return env


def leakhunt_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", *args],
        capture_output=True, text=True, env=env_for(tmp_path), cwd=tmp_path,
        timeout=120, check=False,
    )  # fmt: skip


def start(tmp_path: Path, code: str) -> subprocess.Popen[str]:
    """A child that runs ``code`` and prints 'ready' when set up."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE, text=True, env=env_for(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child


def stop(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.communicate()


SLEEPER = """
import signal, time
signal.signal(signal.SIGUSR2, lambda *a: None)   # catches USR2, not USR1
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    child = start(tmp_path, SLEEPER)
    yield child
    stop(child)


def plant(tmp_path: Path, target: int, **fields: object) -> Path:
    from leakhunt.runtime.ondemand import _start_time

    receipt: dict[str, object] = {
        "format": "leakhunt.signal", "pid": target, "started": _start_time(target),
        "signal": int(signal.SIGUSR2), "seq": 0, "path": None, "error": None,
    }  # fmt: skip
    receipt.update(fields)
    path = tmp_path / "rt" / f"leakhunt-{target}.json"
    path.write_text(json.dumps(receipt))
    return path


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"signal": int(signal.SIGKILL)}, "which no handler can catch"),
        ({"signal": int(signal.SIGTERM)}, "has no handler for signal"),
        ({"signal": int(signal.SIGUSR1)}, "has no handler for signal"),
        ({"signal": "USR2"}, "field 'signal' must be an integer"),
        ({"signal": 10**30}, "which no handler can catch"),
        ({"started": None}, "left by an earlier process"),
        ({"started": 1}, "left by an earlier process"),
        ({"pid": 1}, "names pid 1"),
        ({"seq": None}, "field 'seq' must be an integer"),
        ({"format": "x"}, "is not a leakhunt receipt"),
    ],
)
def test_a_forged_or_stale_receipt_sends_no_signal(
    tmp_path: Path, sleeper: subprocess.Popen[str], fields: dict[str, object], problem: str
) -> None:
    # GIVEN a process with a receipt that lies
    plant(tmp_path, sleeper.pid, **fields)
    # WHEN asked for a snapshot
    r = leakhunt_cli(tmp_path, "snapshot", str(sleeper.pid), "--wait", "0.5")
    # THEN one line, exit 2, and the process was not signalled
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
    assert "has no leakhunt signal handler" in r.stderr and problem in r.stderr, r.stderr
    time.sleep(0.1)
    assert sleeper.poll() is None


def test_a_receipt_owned_by_another_user_or_in_a_shared_dir_is_refused(
    tmp_path: Path, sleeper: subprocess.Popen[str]
) -> None:
    path = plant(tmp_path, sleeper.pid, signal=int(signal.SIGKILL))
    if os.geteuid() == 0:  # only root can give a file away
        os.chown(path, 65534, 65534)
        r = leakhunt_cli(tmp_path, "snapshot", str(sleeper.pid))
        assert r.returncode == 2 and "belongs to uid 65534" in r.stderr, r.stderr
        os.chown(path, os.geteuid(), os.getegid())
    os.chmod(tmp_path / "rt", 0o777)
    r = leakhunt_cli(tmp_path, "snapshot", str(sleeper.pid))
    assert r.returncode == 2 and "writable by other users (mode 0777)" in r.stderr, r.stderr
    os.chmod(tmp_path / "rt", 0o700)
    # a symlinked receipt is not followed
    path.unlink()
    other = tmp_path / "elsewhere.json"
    other.write_text("{}")
    path.symlink_to(other)
    r = leakhunt_cli(tmp_path, "snapshot", str(sleeper.pid))
    assert r.returncode == 2 and "has no leakhunt signal handler" in r.stderr, r.stderr
    assert sleeper.poll() is None


@pytest.mark.parametrize("pid", ["-1", "-9", "0", "abc", "1.5", "--x"])
def test_a_bad_pid_is_one_line_exit_2(tmp_path: Path, pid: str) -> None:
    r = leakhunt_cli(tmp_path, "snapshot", pid)
    assert r.returncode == 2 and r.stdout == ""
    assert (
        r.stderr
        == f"leakhunt: error: snapshot: {pid!r} is not a process id (a whole number above 0)\n"
    )


def test_the_handler_makes_its_receipt_dir_private_and_refuses_a_shared_one(
    tmp_path: Path,
) -> None:
    code = """
    import os, warnings, leakhunt
    warnings.simplefilter("always")
    leakhunt.install_signal_handler(directory="snaps")
    rt = os.environ["LEAKHUNT_RUNTIME_DIR"]
    receipt = os.path.join(rt, f"leakhunt-{os.getpid()}.json")
    print(oct(os.stat(rt).st_mode & 0o777), oct(os.stat(receipt).st_mode & 0o777))
    """
    env = env_for(tmp_path)
    env["LEAKHUNT_RUNTIME_DIR"] = str(tmp_path / "new")
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, env=env, cwd=tmp_path, check=False)  # fmt: skip
    assert (r.returncode, r.stdout, r.stderr) == (0, "0o700 0o600\n", "")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    env["LEAKHUNT_RUNTIME_DIR"] = str(shared)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, env=env, cwd=tmp_path, check=False)  # fmt: skip
    assert r.returncode == 1  # the probe's own stat of the missing receipt
    assert "LeakhuntWarning: leakhunt: no receipt for the signal handler" in r.stderr
    assert "is writable by other users (mode 1777)" in r.stderr
    assert list(shared.iterdir()) == []


def test_a_failed_snapshot_gives_the_cli_its_reason(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    child = start(
        tmp_path,
        """
        import time, leakhunt
        leakhunt.install_signal_handler(directory="file/snaps")
        print("ready", flush=True)
        time.sleep(60)
        """,
    )
    try:
        r = leakhunt_cli(tmp_path, "snapshot", str(child.pid), "--wait", "30")
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
        assert r.stderr.endswith("file/snaps: Not a directory\n"), r.stderr
    finally:
        stop(child)


REPLACE = """
import atexit, gc, threading, leakhunt
from leakhunt.model.owned import LIVE_OWNED
from leakhunt.runtime import ondemand
def state():
    gc.collect()
    handlers = sum(type(o) is ondemand._Handler for o in gc.get_objects())
    return (atexit._ncallbacks(), len(LIVE_OWNED), threading.active_count(), handlers,
            len(__import__("os").listdir("/proc/self/fd")))
for _ in range(3):
    leakhunt.install_signal_handler(directory="snaps")
before = state()
for _ in range(100):
    leakhunt.install_signal_handler(directory="snaps")
print(before == state(), before[3], state())
"""


def test_replacing_the_handler_keeps_nothing_alive(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", REPLACE], capture_output=True, text=True,
                       env=env_for(tmp_path), cwd=tmp_path, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("True 1 "), r.stdout


SERVER = """
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import leakhunt

class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = repr([i * 1.5 for i in range(2000)]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
leakhunt.install_signal_handler(directory="snaps")
t = threading.Thread(target=srv.serve_forever, daemon=True)
t.start()
print("ready", flush=True)
print(srv.server_address[1], flush=True)
t.join(600)   # the main thread waits, as in many servers
"""


def test_a_threaded_server_waiting_in_join_loses_no_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a threaded server under load whose main thread sits in t.join()
    child = start(tmp_path, SERVER)
    assert child.stdout is not None
    port = int(child.stdout.readline())
    stop_load = threading.Event()

    def load() -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop_load.is_set():
            c.request("GET", "/")
            c.getresponse().read()

    clients = [threading.Thread(target=load, daemon=True) for _ in range(2)]
    for c in clients:
        c.start()
    monkeypatch.setenv("LEAKHUNT_RUNTIME_DIR", env_for(tmp_path)["LEAKHUNT_RUNTIME_DIR"])
    lost = 0
    try:
        # WHEN 50 snapshots are asked for, one after the other (what
        # `leakhunt snapshot PID` does, without starting 50 interpreters)
        for _ in range(50):
            receipt = read_receipt(child.pid)
            assert receipt is not None
            os.kill(child.pid, receipt["signal"])
            deadline = time.monotonic() + 20
            while True:
                r = read_receipt(child.pid)
                if r is not None and r["seq"] != receipt["seq"]:
                    assert r["path"] and r["error"] is None, r
                    break
                if time.monotonic() > deadline:
                    lost += 1
                    break
                time.sleep(0.01)
    finally:
        stop_load.set()
        for c in clients:
            c.join(30)
        assert child.poll() is None  # the server survived
        stop(child)
    # THEN every request was served, each with its own file
    assert lost == 0
    assert len(list((tmp_path / "snaps").glob("*.lhs.json.gz"))) == 50


ASYNCIO = """
import asyncio, json, os, signal, leakhunt
leakhunt.install_signal_handler(directory="snaps")
receipt = os.path.join(os.environ["LEAKHUNT_RUNTIME_DIR"], f"leakhunt-{os.getpid()}.json")

async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, lambda: None)   # asyncio takes the wakeup fd
    for want in (1, 2, 3):
        os.kill(os.getpid(), signal.SIGUSR2)
        for _ in range(400):
            await asyncio.sleep(0.01)
            if json.load(open(receipt))["seq"] == want:
                break
    await asyncio.sleep(0.3)   # a duplicate snapshot would show up by now
    print(json.load(open(receipt))["seq"], len(os.listdir("snaps")))

asyncio.run(main())
"""


def test_an_asyncio_program_that_owns_the_wakeup_fd_gets_one_snapshot_per_signal(
    tmp_path: Path,
) -> None:
    r = subprocess.run([sys.executable, "-c", ASYNCIO], capture_output=True, text=True,
                       env=env_for(tmp_path), cwd=tmp_path, timeout=120, check=False)  # fmt: skip
    assert (r.returncode, r.stdout) == (0, "3 3\n"), r.stderr
