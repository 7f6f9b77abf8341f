"""On-demand snapshots of a running process: a signal asks, a helper thread
takes the snapshot.

The signal handler only writes one byte to a pipe; a daemon thread blocked
on the other end takes the snapshot. So the snapshot is never taken inside
whatever the main thread was doing when the signal came (holding a lock,
half-way through a dict update); the program's own threads keep running
except while the heap is walked.

A *receipt* file, ``$LEAKHUNT_RUNTIME_DIR`` (else ``$TMPDIR``, else
``/tmp``) ``/leakhunt-PID.json``, says that the handler is installed, on
which signal, and after each snapshot which file it wrote: ``leakhunt
snapshot PID`` reads it to find the new file (and refuses to signal a
process without one, which the signal would kill). It is removed at exit.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import threading
from typing import Any, Optional

from .. import capture
from ..errors import UsageError
from ..files.atomic import atomic_write
from ..model import owned

__all__ = [
    "install_signal_handler",
    "read_receipt",
    "receipt_path",
    "same_process",
    "signal_number",
]

RECEIPT_FORMAT = "leakhunt.signal"


def receipt_path(pid: int) -> str:
    """Where process ``pid`` announces its signal handler and snapshots."""
    directory = os.environ.get("LEAKHUNT_RUNTIME_DIR") or os.environ.get("TMPDIR") or "/tmp"
    return os.path.join(directory, f"leakhunt-{pid}.json")


def read_receipt(pid: int) -> Optional[dict[str, Any]]:
    """The receipt of process ``pid``, or None (none, or unreadable)."""
    try:
        with open(receipt_path(pid), "rb") as f:
            doc = json.loads(f.read())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != RECEIPT_FORMAT:
        return None
    return doc


def _start_time(pid: int) -> Optional[int]:
    """The process's start time in clock ticks since boot (Linux), to tell
    a receipt left by a dead process from the live one that reuses its pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        return int(stat[stat.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def same_process(receipt: dict[str, Any]) -> bool:
    """False when the receipt's process is gone and its pid now belongs to
    another process (known only where /proc says)."""
    pid = receipt.get("pid")
    started = receipt.get("started")
    if not isinstance(pid, int) or not isinstance(started, int):
        return True
    now = _start_time(pid)
    return now is None or now == started


def signal_number(name: str) -> int:
    """``"USR2"``, ``"SIGUSR2"`` or ``"12"`` -> the signal's number.

    >>> signal_number("usr2") == signal.SIGUSR2
    True
    """
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    sig = getattr(signal, text if text.startswith("SIG") else "SIG" + text, None)
    if not isinstance(sig, int):
        raise UsageError(f"{name!r} is not a signal name on this platform (try USR2)")
    return int(sig)


@owned
class _Handler:
    """The installed handler's settings and its helper thread."""

    def __init__(
        self,
        signum: int,
        directory: str,
        graph: bool,
        keys: str = "namespaces",
        background: bool = True,
    ) -> None:
        self.signum = signum
        self.directory = directory
        self.graph = graph
        self.keys = keys
        self.background = background
        self.seq = 0
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)  # a flood of signals must not block
        self.pid = os.getpid()
        self.started = _start_time(self.pid)
        self.receipt = receipt_path(self.pid)
        self.thread = threading.Thread(target=self._serve, name="leakhunt-signal", daemon=True)

    def on_signal(self, signum: int, frame: Any) -> None:
        # Runs in the main thread between two bytecodes: do nothing more
        # than wake the helper.
        try:
            os.write(self.write_fd, b"s")
        except OSError:
            pass  # the pipe is full: a snapshot is already requested

    def _serve(self) -> None:
        while True:
            try:
                data = os.read(self.read_fd, 64)
            except OSError:
                return
            if not data:
                os.close(self.read_fd)
                return
            # several signals while one snapshot runs: one more snapshot
            self.seq += 1
            path: Optional[str] = None
            error: Optional[str] = None
            try:
                # by default in a forked child: the program pauses for the
                # fork, not for the walk (capture/background.py)
                s = capture.snapshot(
                    "signal",
                    path=self.directory,
                    graph=self.graph,
                    keys=self.keys,
                    background=self.background,
                )
                if self.background:
                    written, error = s.wait(), s.error
                else:
                    written = s.path
                path = None if written is None else os.path.abspath(written)
                if path is None and error is None:
                    error = f"could not write a snapshot in {self.directory}"
            except Exception as e:  # never into the host program
                error = f"{type(e).__name__}: {e}"
            self.write_receipt(path=path, error=error)

    def write_receipt(self, *, path: Optional[str] = None, error: Optional[str] = None) -> None:
        doc = {
            "format": RECEIPT_FORMAT,
            "pid": self.pid,
            "started": self.started,
            "signal": self.signum,
            "directory": self.directory,
            "graph": self.graph,
            "seq": self.seq,
            "path": path,
            "error": error,
        }
        try:
            atomic_write(self.receipt, json.dumps(doc).encode(), clobber=True)
        except OSError:
            pass

    def remove_receipt(self) -> None:
        if os.getpid() == self.pid:
            try:
                os.unlink(self.receipt)
            except OSError:
                pass


_INSTALLED: list[_Handler] = []


def install_signal_handler(
    signum: Optional[int] = None,
    *,
    directory: Optional[str] = None,
    graph: bool = False,
    keys: str = "namespaces",
    background: bool = True,
) -> int:
    """On signal ``signum`` (default SIGUSR2), write a snapshot of this
    process to ``directory`` (default ``$LEAKHUNT_DIR``, else
    ``./leakhunt-snapshots``, resolved now), with the object graph when
    ``graph`` (whose labels keep the dict keys ``keys`` says: see
    leakhunt.snapshot). With ``background`` (the default) each snapshot is
    walked in a forked child, so the program pauses only for the fork.
    Returns the signal number.

    Call it from the main thread (Python's rule for signal handlers). A
    second call replaces the first. Then ``kill -USR2 PID`` or ``leakhunt
    snapshot PID`` takes a snapshot; the program keeps running.

    >>> import os, signal, tempfile
    >>> install_signal_handler(directory=tempfile.mkdtemp()) == signal.SIGUSR2
    True
    >>> _ = signal.signal(signal.SIGUSR2, signal.SIG_DFL)
    """
    if signum is None:
        if not hasattr(signal, "SIGUSR2"):
            raise UsageError("install_signal_handler: no SIGUSR2 on this platform; pass signum")
        signum = int(signal.SIGUSR2)
    if directory is None:
        directory = os.environ.get("LEAKHUNT_DIR") or capture.DEFAULT_DIR
    if keys not in capture.KEY_MODES:
        raise UsageError(f"install_signal_handler: keys={keys!r}: use one of {capture.KEY_MODES}")
    handler = _Handler(int(signum), os.path.abspath(directory), graph, keys, background)
    try:
        signal.signal(signum, handler.on_signal)
    except (ValueError, OSError) as e:
        os.close(handler.read_fd)
        os.close(handler.write_fd)
        raise UsageError(f"install_signal_handler: cannot handle signal {signum}: {e}") from None
    for old in _INSTALLED:
        os.close(old.write_fd)  # its helper thread reads EOF and ends
    _INSTALLED[:] = [handler]
    handler.thread.start()
    handler.write_receipt()
    atexit.register(handler.remove_receipt)
    return int(signum)


def _after_fork_in_child() -> None:
    _INSTALLED.clear()  # the helper thread is gone; the child has no handler thread


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
