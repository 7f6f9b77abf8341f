"""On-demand snapshots of a running process: a signal asks, a helper thread
takes the snapshot.

The helper thread is woken from C: the handler's pipe is also the
interpreter's wakeup fd (:func:`signal.set_wakeup_fd`), which the C-level
signal handler writes to in whatever thread the kernel delivered the signal
to. So a request is served even while the main thread is parked in
``t.join()`` or ``Event.wait()`` and would run a Python-level handler only
when it wakes. Where the program already owns the wakeup fd (asyncio), the
Python-level handler wakes the helper instead. Either way the snapshot is
never taken inside whatever the main thread was doing (holding a lock,
half-way through a dict update).

A *receipt* file says that the handler is installed, on which signal, and
after each snapshot which file it wrote (or why it could not): ``leakhunt
snapshot PID`` reads it to find the new file. It lives in a private
per-user directory, ``$LEAKHUNT_RUNTIME_DIR`` if set, else
``/tmp/leakhunt-UID``, created 0700 and used only when it is a real
directory (not a symlink) owned by that user and writable by no one else.
``leakhunt snapshot PID`` believes a receipt only when the file and its
directory belong to the process's user, it names that pid and that
process's start time (not a dead one's reused pid), and the process
catches the signal the receipt names (``/proc/PID/status``), so a planted
or stale receipt can never make it send a signal that would kill.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C module: no stubs
import atexit
import errno
import json
import os
import signal
import stat
import threading
import warnings
from dataclasses import replace
from typing import Any, Optional

from .. import capture
from ..errors import LeakhuntWarning, UsageError
from ..files.atomic import DIR_MODE, atomic_write, make_dirs
from ..files.snapshot_file import write_snapshot_in
from ..model import owned

__all__ = [
    "install_signal_handler",
    "read_receipt",
    "receipt_path",
    "receipt_problem",
    "runtime_dir",
    "same_process",
    "signal_number",
]

RECEIPT_FORMAT = "leakhunt.signal"
#: A receipt is a few hundred bytes; anything much bigger is not one.
_MAX_RECEIPT_BYTES = 64 * 1024
# The Python-level handler's byte on the pipe. The C-level wakeup writes
# the signal's number (1 to 64), so this cannot be mistaken for one.
_PY_MARK = 0xFF


# ------------------------------------------------------------ where receipts live


def _process_uid(pid: int) -> Optional[int]:
    """The effective uid of process ``pid`` (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f.read(1 << 16).splitlines():
                if line.startswith(b"Uid:"):
                    return int(line.split()[2])
    except (OSError, ValueError, IndexError):
        pass
    return None


def runtime_dir(uid: Optional[int] = None) -> str:
    """The directory of the receipts of user ``uid`` (default: this
    process's user): ``$LEAKHUNT_RUNTIME_DIR``, else ``/tmp/leakhunt-UID``."""
    if uid is None:
        uid = os.geteuid()
    return os.environ.get("LEAKHUNT_RUNTIME_DIR") or f"/tmp/leakhunt-{uid}"


def _dir_problem(directory: str, uid: int) -> Optional[str]:
    """Why ``directory`` is no private receipt directory of ``uid``, or None."""
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return e.strerror or str(e)
    if stat.S_ISLNK(st.st_mode):
        return "is a symlink"
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if st.st_uid != uid:
        return f"belongs to uid {st.st_uid}, not {uid}"
    if st.st_mode & 0o022:
        return f"is writable by other users (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def _private_dir() -> str:
    """This user's receipt directory, created 0700 when missing; OSError
    naming the directory and the problem when it cannot be trusted."""
    directory = runtime_dir()
    uid = os.geteuid()
    try:
        os.mkdir(directory, DIR_MODE)  # never follows a planted symlink
    except FileExistsError:
        pass
    problem = _dir_problem(directory, uid)
    if problem is not None:
        raise OSError(errno.EPERM, f"receipt directory {directory} {problem}")
    return directory


def receipt_path(pid: int) -> str:
    """Where process ``pid`` announces its signal handler and snapshots."""
    uid = _process_uid(pid)
    return os.path.join(runtime_dir(uid), f"leakhunt-{pid}.json")


# ------------------------------------------------------------ reading a receipt


def _start_time(pid: int) -> Optional[int]:
    """The process's start time in clock ticks since boot (Linux), to tell
    a receipt left by a dead process from the live one that reuses its pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat_line = f.read(1 << 16)
        return int(stat_line[stat_line.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _caught_signals(pid: int) -> Optional[int]:
    """The bit mask of the signals process ``pid`` has a handler for
    (``SigCgt`` of /proc/PID/status; bit N-1 is signal N), else None."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f.read(1 << 16).splitlines():
                if line.startswith(b"SigCgt:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _is_int(v: Any) -> bool:
    return type(v) is int


def receipt_problem(pid: int) -> tuple[Optional[dict[str, Any]], Optional[str]]:
    """``(receipt, None)`` when process ``pid`` has a receipt that can be
    believed, else ``(None, why not)``: missing, not owned by the process's
    user, malformed, left by another process with the same pid, or naming a
    signal the process does not catch."""
    uid = _process_uid(pid)
    if uid is None:
        uid = os.geteuid()
    directory = runtime_dir(uid)
    path = os.path.join(directory, f"leakhunt-{pid}.json")
    problem = _dir_problem(directory, uid)
    if problem == "does not exist":
        return None, f"no {path}"
    if problem is not None:
        return None, f"{directory} {problem}"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None, f"no {path}"
    except OSError as e:
        return None, f"{path}: {e.strerror or e}"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{path} is not a regular file"
        if st.st_uid != uid:
            return None, f"{path} belongs to uid {st.st_uid}, not the process's uid {uid}"
        data = os.read(fd, _MAX_RECEIPT_BYTES + 1)
    except OSError as e:
        return None, f"{path}: {e.strerror or e}"
    finally:
        os.close(fd)
    if len(data) > _MAX_RECEIPT_BYTES:
        return None, f"{path} is too big for a receipt"
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None, f"{path} is not a leakhunt receipt"
    if type(doc) is not dict or doc.get("format") != RECEIPT_FORMAT:
        return None, f"{path} is not a leakhunt receipt"
    for key in ("pid", "signal", "seq"):
        if not _is_int(doc.get(key)):
            return None, f"{path}: field '{key}' must be an integer"
    for key in ("path", "error"):
        if doc.get(key) is not None and type(doc.get(key)) is not str:
            return None, f"{path}: field '{key}' must be a string"
    if doc["pid"] != pid:
        return None, f"{path} names pid {doc['pid']}, not {pid}"
    if not same_process(doc):
        return None, f"{path} was left by an earlier process with pid {pid}"
    signum = doc["signal"]
    if not 0 < signum < getattr(signal, "NSIG", 65) or signum in _UNCATCHABLE:
        return None, f"{path} names signal {signum}, which no handler can catch"
    caught = _caught_signals(pid)
    if caught is not None and not caught >> (signum - 1) & 1:
        return None, (
            f"process {pid} has no handler for signal {signum} that {path} names "
            "(sending it could kill the process)"
        )
    return doc, None


_UNCATCHABLE = {int(getattr(signal, n)) for n in ("SIGKILL", "SIGSTOP") if hasattr(signal, n)}


def read_receipt(pid: int) -> Optional[dict[str, Any]]:
    """The receipt of process ``pid`` if it can be believed (see
    :func:`receipt_problem`), else None."""
    return receipt_problem(pid)[0]


def same_process(receipt: dict[str, Any]) -> bool:
    """False unless the receipt's pid and start time are those of the live
    process (the start time is checked where /proc tells it)."""
    pid = receipt.get("pid")
    if type(pid) is not int:
        return False
    now = _start_time(pid)
    if now is None:
        return True  # no /proc: the pid is all there is
    return bool(receipt.get("started") == now)


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


# ------------------------------------------------------------ the handler


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
        self.receipt: Optional[str] = None
        self.mark = bytes([_PY_MARK])
        self.thread = threading.Thread(target=self._serve, name="leakhunt-signal", daemon=True)

    def on_signal(self, signum: int, frame: Any) -> None:
        # Runs in the main thread between two bytecodes: do nothing more
        # than wake the helper (needed only where the wakeup fd is not ours).
        try:
            os.write(self.write_fd, self.mark)
        except OSError:
            pass  # the pipe is full: a snapshot is already requested

    def _serve(self) -> None:
        # A signal shows up as its number (from C, at once, in any thread)
        # and later as the mark (from the Python handler, once the main
        # thread runs). The mark is served only when no C byte came before
        # it: then the wakeup fd is not ours and the mark is the request.
        woken_from_c = False
        while True:
            try:
                data = os.read(self.read_fd, 256)
            except InterruptedError:
                continue
            except OSError:
                return
            if not data:
                os.close(self.read_fd)
                return
            request = False
            for byte in data:  # bytes of other signals: not ours, ignored
                if byte == self.signum:
                    woken_from_c = request = True
                elif byte == _PY_MARK:
                    if not woken_from_c:
                        request = True
                    woken_from_c = False
            if request:  # several signals while one snapshot runs: one more
                self.take()

    def take(self) -> None:
        self.seq += 1
        path: Optional[str] = None
        error: Optional[str] = None
        try:
            if self.background:
                # the directory first, here: its errno is the reason the CLI
                # shows (a child only reports that it failed)
                make_dirs(self.directory)
                # in a forked child: the program pauses for the fork, not for
                # the walk (capture/background.py); its reason if it fails
                b = capture.snapshot(
                    "signal",
                    path=self.directory,
                    graph=self.graph,
                    keys=self.keys,
                    background=True,
                )
                written, error = b.wait(), b.error
                path = None if written is None else os.path.abspath(written)
                if path is None and error is None:
                    error = f"could not write a snapshot in {self.directory}"
            else:
                s = capture.take_snapshot("signal", graph=self.graph, keys=self.keys, packed=True)
                try:
                    path = os.path.abspath(write_snapshot_in(s, self.directory))
                except OSError as e:  # the reason goes to `leakhunt snapshot`
                    error = f"could not write a snapshot in {self.directory}: {e.strerror or e}"
                else:
                    s = replace(s, path=path)
                for hook in tuple(capture.SNAPSHOT_HOOKS):  # the monitor's timeline
                    try:
                        hook(s)
                    except Exception:
                        pass
        except OSError as e:
            error = f"could not write a snapshot in {self.directory}: {e.strerror or e}"
        except Exception as e:  # never into the host program
            error = f"{type(e).__name__}: {e}"
        self.write_receipt(path=path, error=error)

    def write_receipt(self, *, path: Optional[str] = None, error: Optional[str] = None) -> None:
        """Write the receipt; OSError when the receipt directory cannot be
        trusted or written."""
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
        data = json.dumps(doc, ensure_ascii=True).encode()
        try:
            receipt = os.path.join(_private_dir(), f"leakhunt-{self.pid}.json")
            atomic_write(receipt, data, clobber=True)
        except OSError:
            if path is None and error is None and self.seq == 0:
                raise  # install time: the caller warns
            return
        self.receipt = receipt

    def remove_receipt(self) -> None:
        if os.getpid() == self.pid and self.receipt is not None:
            try:
                os.unlink(self.receipt)
            except OSError:
                pass


_INSTALLED: list[_Handler] = []
_ATEXIT: list[bool] = []


def _remove_receipts() -> None:
    for handler in _INSTALLED:
        handler.remove_receipt()


def _take_wakeup_fd(handler: _Handler, previous: list[_Handler]) -> None:
    """Make ``handler``'s pipe the interpreter's wakeup fd, unless the
    program uses the wakeup fd itself (asyncio does): then it keeps it."""
    ours = {h.write_fd for h in previous}
    try:
        old = signal.set_wakeup_fd(handler.write_fd, warn_on_full_buffer=False)
    except (ValueError, OSError):
        return
    if old != -1 and old not in ours:
        try:
            signal.set_wakeup_fd(old)  # the program's: give it back
        except (ValueError, OSError):
            pass


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
    snapshot PID`` takes a snapshot; the program keeps running, and the
    request is served even while the main thread waits (``t.join()``).
    Where no receipt can be written (see the module's docs) a
    LeakhuntWarning says so: ``kill`` still works, ``leakhunt snapshot``
    will not find the process.

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
        # _signal: signal.signal() passes the old handler through isinstance()
        _signal.signal(signum, handler.on_signal)
    except (ValueError, OSError) as e:
        os.close(handler.read_fd)
        os.close(handler.write_fd)
        raise UsageError(f"install_signal_handler: cannot handle signal {signum}: {e}") from None
    previous = list(_INSTALLED)
    _take_wakeup_fd(handler, previous)
    _INSTALLED[:] = [handler]
    # The receipt's name is the pid's: the new handler overwrites it.
    for old in previous:
        os.close(old.write_fd)  # its helper thread reads EOF and ends
        if old.thread.is_alive():
            old.thread.join(1.0)
    previous.clear()
    handler.thread.start()
    try:
        handler.write_receipt()
    except OSError as e:
        warnings.warn(
            LeakhuntWarning(
                f"leakhunt: no receipt for the signal handler ({e.strerror or e}); "
                f"'leakhunt snapshot {handler.pid}' will not find this process, "
                f"'kill -{signum} {handler.pid}' still works"
            ),
            stacklevel=2,
        )
    if not _ATEXIT:  # once: the replaced handlers are not kept alive by it
        atexit.register(_remove_receipts)
        _ATEXIT.append(True)
    return int(signum)


def _after_fork_in_child() -> None:
    _INSTALLED.clear()  # the helper thread is gone; the child has no handler thread


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
