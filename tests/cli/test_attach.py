"""``leakhunt snapshot PID`` on a process that never imported leakhunt
(issue 10 item 5): attached through gdb, or refused in one line, exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leakhunt.runtime import attach

needs_gdb = pytest.mark.skipif(
    shutil.which("gdb") is None or not sys.platform.startswith("linux"),
    reason="needs gdb on Linux",
)

APP = """
import time
class Leaky:
    pass
KEEP = [Leaky() for i in range(1234)]
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    p = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    if "ready" not in p.stdout.readline():
        _stop(p)
        raise AssertionError("the target did not start")
    return p


def _stop(p: subprocess.Popen[str]) -> None:
    p.kill()
    p.wait()
    if p.stdout is not None:
        p.stdout.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    p = _start([sys.executable, "-c", APP], tmp_path)
    yield p
    _stop(p)


def _leakhunt(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )


@needs_gdb
def test_snapshot_of_a_process_started_without_leakhunt(
    tmp_path: Path, target: subprocess.Popen[str]
) -> None:
    # GIVEN a Python program that never imported leakhunt
    # WHEN leakhunt snapshot PID is asked for a snapshot of it
    r = _leakhunt("snapshot", str(target.pid), "--snapshot-dir", str(tmp_path / "s"), cwd=tmp_path)
    if r.returncode == 2 and "ptrace" in r.stderr:
        pytest.skip(f"gdb cannot ptrace here: {r.stderr.strip()}")
    # THEN it is attached to, and writes a snapshot of its own heap
    assert r.returncode == 0, r.stderr
    path = r.stdout.strip()
    assert os.path.dirname(path) == str(tmp_path / "s")
    import leakhunt

    s = leakhunt.load(path)
    assert s.stat("__main__.Leaky").count == 1234
    assert s.pid == target.pid
    # and a second request needs no second attach: the handler is installed
    r2 = _leakhunt("snapshot", str(target.pid), "--no-attach", cwd=tmp_path)
    assert r2.returncode == 0, r2.stderr
    assert target.poll() is None  # still running


def test_a_process_that_is_not_python_is_refused(tmp_path: Path) -> None:
    p = subprocess.Popen(["sleep", "60"])
    try:
        time.sleep(0.1)
        exe = os.readlink(f"/proc/{p.pid}/exe")
        r = _leakhunt("snapshot", str(p.pid), cwd=tmp_path)
    finally:
        p.kill()
        p.wait()
    assert r.returncode == 2
    assert r.stderr == (
        f"leakhunt: error: snapshot: process {p.pid} is not a Python process ({exe})\n"
    )


@needs_gdb
def test_a_process_that_cannot_import_leakhunt_is_refused(tmp_path: Path) -> None:
    # GIVEN a Python without site-packages (-S -I): leakhunt is not importable
    p = _start([sys.executable, "-S", "-I", "-c", APP], tmp_path)
    try:
        r = _leakhunt("snapshot", str(p.pid), cwd=tmp_path)
    finally:
        _stop(p)
    if "ptrace" in r.stderr:
        pytest.skip(f"gdb cannot ptrace here: {r.stderr.strip()}")
    assert r.returncode == 2
    assert r.stderr == (
        f"leakhunt: error: snapshot: process {p.pid} cannot use leakhunt: "
        "ModuleNotFoundError: No module named 'leakhunt'\n"
    )


def test_ptrace_scope_is_named_when_ptrace_is_not_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN Yama allowing ptrace to administrators only
    scope = tmp_path / "ptrace_scope"
    scope.write_text("2\n")
    monkeypatch.setattr(attach, "YAMA", str(scope))
    # THEN attaching is refused with what to change
    assert attach.ptrace_problem(os.getpid()) == (
        f"ptrace is not permitted ({scope} is 2); run as root, or 'echo 0 | sudo tee {scope}'"
    )
    scope.write_text("0\n")
    assert attach.ptrace_problem(os.getpid()) is None
