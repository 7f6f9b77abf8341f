"""Attach to a Python process that never called install_signal_handler()
(issue 10 item 5), the way ``memray attach`` does: a debugger (gdb) stops
the process for a moment and schedules, with ``Py_AddPendingCall``, a few
lines of Python that the target's main thread runs at its next safe point
(between two bytecodes, never in the middle of the interpreter's own work):
``import leakhunt; install_signal_handler(...)``. From then on ``leakhunt
snapshot PID`` works as for a prepared process (snapshots in a forked child).

Refused, with one line each: no gdb; ptrace not permitted (another user's
process, or Yama's ``ptrace_scope``); a process that is not Python; a target
that cannot import leakhunt (what it said is reported). The injected code
reports to a file in a private directory the CLI made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from typing import Optional

from ..errors import UsageError

__all__ = ["attach", "python_process_problem"]

YAMA = "/proc/sys/kernel/yama/ptrace_scope"

# Run by the target's main thread. No double quotes, no backslashes: it
# travels inside a gdb string. It reads the real code from a file.
_LOADER = "exec(open('{path}').read())"

_INJECT = """\
def _leakhunt_attach(result={result!r}):
    import os
    try:
        from leakhunt.runtime.ondemand import install_signal_handler
        install_signal_handler({signum!r}, directory={directory!r}, graph={graph!r}, keys={keys!r})
        text = 'ok'
    except BaseException as e:
        text = 'error ' + type(e).__name__ + ': ' + str(e)
    try:
        fd = os.open(result, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.write(fd, text.encode('utf-8', 'replace'))
        os.close(fd)
    except OSError:
        pass
_leakhunt_attach()
del _leakhunt_attach
"""


def python_process_problem(pid: int) -> Optional[str]:
    """None if ``pid`` looks like a Python process, else why not."""
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except FileNotFoundError:
        return f"no process with pid {pid}"
    except PermissionError:
        return None  # judged by ptrace below
    except OSError as e:
        return f"cannot read /proc/{pid}/exe: {e.strerror}"
    if "python" in os.path.basename(exe).lower():
        return None
    try:
        with open(f"/proc/{pid}/maps", "rb") as f:
            if b"libpython" in f.read():
                return None
    except OSError:
        pass
    return f"process {pid} is not a Python process ({exe})"


def ptrace_problem(pid: int) -> Optional[str]:
    """None if this process may ptrace ``pid`` (as far as can be told
    without trying), else what to change."""
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return f"no process with pid {pid}"
    root = os.geteuid() == 0
    if uid != os.geteuid() and not root:
        return f"process {pid} belongs to another user (uid {uid}); run as that user or root"
    try:
        with open(YAMA) as f:
            scope = int(f.read().strip())
    except (OSError, ValueError):
        return None  # no Yama: ordinary permissions apply
    if scope == 0 or (scope == 1 and root):
        return None
    if scope == 3:
        return f"ptrace is disabled ({YAMA} is 3 until reboot)"
    return (
        f"ptrace is not permitted ({YAMA} is {scope}); run as root, or 'echo 0 | sudo tee {YAMA}'"
    )


def attach(
    pid: int,
    *,
    signum: int,
    directory: str,
    graph: bool = False,
    keys: str = "namespaces",
    timeout: float = 30.0,
    gdb: Optional[str] = None,
) -> None:
    """Install leakhunt's signal handler in process ``pid``. Raises
    UsageError (one sentence) when it cannot."""
    problem = python_process_problem(pid) or ptrace_problem(pid)
    if problem is not None:
        raise UsageError(f"snapshot: {problem}")
    gdb = gdb or shutil.which("gdb")
    if gdb is None:
        raise UsageError(
            f"snapshot: process {pid} has no leakhunt signal handler and gdb, needed to "
            "attach, is not installed (apt-get install gdb)"
        )
    work = tempfile.mkdtemp(prefix="leakhunt-attach-")  # 0700, ours
    try:
        try:
            st = os.stat(f"/proc/{pid}")
            if st.st_uid != os.geteuid():  # root attaching to another user's process
                os.chown(work, st.st_uid, st.st_gid)
        except OSError:
            pass
        code = os.path.join(work, "inject.py")
        result = os.path.join(work, "result")
        with open(code, "w", encoding="utf-8") as f:
            f.write(
                _INJECT.format(
                    result=result, signum=signum, directory=directory, graph=graph, keys=keys
                )
            )
        os.chmod(code, 0o644)
        loader = _LOADER.format(path=code)
        cmd = [
            gdb, "-p", str(pid), "--batch", "-nx",
            "-ex", "set confirm off",
            "-ex", "set pagination off",
            "-ex", "thread 1",
            "-ex", f'call (int)Py_AddPendingCall((void*)PyRun_SimpleString, (void*)"{loader}")',
            "-ex", "detach",
        ]  # fmt: skip
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise UsageError(
                f"snapshot: gdb did not attach to process {pid} within {timeout:g} s"
            ) from None
        out = r.stdout + r.stderr
        if "ptrace: Operation not permitted" in out:
            raise UsageError(
                f"snapshot: ptrace of process {pid} is not permitted (see {YAMA}, or "
                "a container without CAP_SYS_PTRACE)"
            )
        if "No symbol" in out or "$1 = " not in out:
            last = next((ln for ln in reversed(out.splitlines()) if ln.strip()), "no output")
            raise UsageError(f"snapshot: gdb could not reach Python in process {pid}: {last}")
        deadline = time.monotonic() + timeout
        while not os.path.exists(result):
            if time.monotonic() >= deadline:
                raise UsageError(
                    f"snapshot: process {pid} did not run leakhunt's code within {timeout:g} s "
                    "(its main thread runs no Python code now)"
                )
            time.sleep(0.02)
        time.sleep(0.01)
        with open(result, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if text.startswith("error "):
            raise UsageError(f"snapshot: process {pid} cannot use leakhunt: {text[6:]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
