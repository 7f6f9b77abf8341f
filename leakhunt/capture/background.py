"""Snapshots in a forked child (issue 10 item 1): the program pauses for the
fork, not for the walk.

``snapshot(..., background=True)`` forks. The parent returns at once with a
:class:`BackgroundSnapshot` handle; the child walks its copy-on-write image
of the heap, writes the file (atomically: a temporary, then a rename, so a
child killed mid-write leaves nothing under the final name), reports the
path on a pipe and leaves with ``os._exit`` (no atexit handler, no flush of
the parent's buffers). A helper thread in the parent reads the pipe, enforces
the time limit and reaps that one child with ``waitpid(pid)``: no zombie, and a
program's own SIGCHLD handler still sees every signal (if it reaps our child
first, the pipe still says what happened).

What the child does not do: take a lock another thread may hold at fork time.
The fork happens while the forking thread holds capture's walk lock (so the
child holds it too), after every module the child needs is imported (so it
takes no import lock), and the child writes only through ``files.atomic``
(``os.open``/``os.write``: no logging, no stdio). The forking itself is
CPython's (``PyOS_BeforeFork``/``PyOS_AfterFork_*``, as ``os.fork()``, minus
3.12's warning about threads: the child runs only the code above).

One at a time: asking while one runs returns the running one's handle. A
free-memory guard: the child looks at MemAvailable and gives up, with a reason,
when the walk would not fit; it also caps its own address space at what is
available, so that running short is a MemoryError and a reason, not the OOM
killer. Where fork is unavailable (not Linux, a free-threaded build,
``$LEAKHUNT_NO_FORK``), the snapshot is taken in process with one warning.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # the C module: no stubs
import os
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

from ..errors import LeakhuntWarning
from ..files import snapshot_file as storage
from ..model import owned

if TYPE_CHECKING:
    from ..model import Snapshot

__all__ = ["BackgroundSnapshot", "fork_available", "start"]

#: Where MemAvailable is read (a module attribute so that tests can point it
#: at a file of their own).
MEMINFO = "/proc/meminfo"
#: What the child leaves for the host, beyond what the walk needs.
RESERVE = 256 << 20
#: The child's private memory per byte of the program's RSS: a graph walk's
#: address map, nodes, edges and file data, plus the pages it copies by
#: touching reference counts (measured: 75 MiB for a 51 MiB heap, 572 MiB
#: for 339 MiB; see docs/benchmarks-background.md); a histogram much less.
GRAPH_FACTOR = 2.0
HISTOGRAM_FACTOR = 0.5
#: Seconds a child may take before it is killed.
DEFAULT_TIME_LIMIT = 600.0


def fork_available() -> Optional[str]:
    """None when background snapshots can fork here, else why not."""
    if os.environ.get("LEAKHUNT_NO_FORK", "") not in ("", "0"):
        return "$LEAKHUNT_NO_FORK is set"
    if not sys.platform.startswith("linux"):
        return f"fork is not used on {sys.platform}"
    # The ABI flag, not sysconfig: its first get_config_var() fills a cache of
    # about 1,300 strs in the program, which the next snapshot shows as growth.
    if "t" in getattr(sys, "abiflags", ""):
        return "this is a free-threaded Python build"
    try:
        from . import _walker
    except ImportError:
        return "the compiled walker was not built"
    if not hasattr(_walker, "fork"):
        return "the compiled walker has no fork"
    return None


@owned
class BackgroundSnapshot:
    """A snapshot being taken by a forked child.

    ``done`` is True once the child has finished (or failed); ``wait()``
    blocks until then and returns the path of the file, or None with the
    reason in ``error``. ``snapshot`` holds the Snapshot itself when the
    work was done in process (the fallback), else None: the child's
    Snapshot stays in the child, its file is the result.
    """

    def __init__(self, label: Optional[str], pid: int = 0) -> None:
        self.label = label
        self.pid = pid
        self.path: Optional[str] = None
        self.error: Optional[str] = None
        self.snapshot: Optional[Snapshot] = None
        self.started = time.monotonic()
        self.seconds: Optional[float] = None
        self.seq = 0
        self._done = threading.Event()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: Optional[float] = None) -> Optional[str]:
        """Wait for the file; its path, or None (failed, or not yet done
        after ``timeout`` seconds)."""
        self._done.wait(timeout)
        return self.path

    def finish(self, path: Optional[str], error: Optional[str]) -> None:
        self.path = path
        self.error = error
        self.seconds = time.monotonic() - self.started
        self._done.set()

    def __repr__(self) -> str:
        state = (
            "running"
            if not self.done
            else (f"written to {self.path}" if self.path else f"failed: {self.error}")
        )
        return f"<BackgroundSnapshot {self.label!r} pid {self.pid}: {state}>"


@owned
class _State:
    def __init__(self) -> None:
        self.running: Optional[BackgroundSnapshot] = None
        self.warned = False


_STATE = _State()
# A module global, counted like capture.WALK_LOCK (it never grows): owned,
# it would be the one lock of the process that objgraph sees and we do not.
_LOCK = threading.Lock()


def _mem_available() -> Optional[int]:
    try:
        with open(MEMINFO, "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _rss() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _vm_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def memory_check(graph: bool) -> tuple[Optional[str], int]:
    """(a reason to give up, or None; the bytes the child may add). The
    child needs about a factor of the heap (RSS) for its walk, plus the pages
    the parent dirties meanwhile; it leaves RESERVE to the host."""
    available = _mem_available()
    if available is None:
        return None, 0  # no /proc/meminfo: no guard
    need = int(_rss() * (GRAPH_FACTOR if graph else HISTOGRAM_FACTOR))
    allowed = available - RESERVE
    if allowed < need:
        return (
            f"not enough free memory: {available >> 20} MiB available, the walk needs "
            f"about {need >> 20} MiB and {RESERVE >> 20} MiB stay free for the program",
            0,
        )
    return None, allowed


def _limit_address_space(extra: int) -> None:
    # Running short in the child is then a MemoryError (the walk and the
    # writer fail cleanly), not a page the kernel cannot find (OOM killer).
    try:
        import resource

        limit = _vm_size() + extra
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


def _child(
    wfd: int,
    take: Callable[[], Snapshot],
    save: Callable[[Snapshot], Optional[str]],
    graph: bool,
) -> None:
    """The forked child: never returns."""
    code = 1
    try:
        # The parent's signal handlers are not ours to run: a SIGTERM sent
        # to the process group ends the child, SIGINT too.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP):
            _signal.signal(sig, _signal.SIG_DFL)  # no isinstance() on the old handler
        storage.COMPRESS_THREADS = 1  # the child starts no thread
        reason, extra = memory_check(graph)
        if reason is not None:
            os.write(wfd, b"error " + reason.encode("utf-8", "replace"))
        else:
            if extra:
                _limit_address_space(extra)
            s = take()
            path = save(s)
            if path is None:
                os.write(wfd, b"error the snapshot could not be written")
            else:
                os.write(wfd, b"ok " + os.fsencode(path))
                code = 0
    except MemoryError:
        try:
            os.write(wfd, b"error the walk ran out of the memory it may use")
        except BaseException:
            pass
    except BaseException as e:
        try:
            os.write(wfd, f"error {type(e).__name__}: {e}".encode("utf-8", "replace"))
        except BaseException:
            pass
    finally:
        os._exit(code)


@owned
class _Reaper:
    """Reads the child's pipe, enforces the time limit, reaps the child."""

    def __init__(
        self,
        handle: BackgroundSnapshot,
        rfd: int,
        limit: float,
        directory: Optional[str],
        on_done: Optional[Callable[[BackgroundSnapshot], None]] = None,
    ) -> None:
        self.handle = handle
        self.rfd = rfd
        self.limit = limit
        self.directory = directory
        self.on_done = on_done

    def run(self) -> None:
        h = self.handle
        chunks: list[bytes] = []
        deadline = h.started + self.limit
        killed = False
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    _kill(h.pid)
                    killed = True
                    break
                ready, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
                if ready:
                    data = os.read(self.rfd, 65536)
                    if not data:
                        break
                    chunks.append(data)
        except OSError:
            pass
        finally:
            os.close(self.rfd)
        status = _reap(h.pid)
        message = b"".join(chunks).decode("utf-8", "replace")
        if message.startswith("ok "):
            path: Optional[str] = message[3:]
            error = None
        else:
            path = None
            if killed:
                error = f"the child took longer than {self.limit:g} s and was stopped"
            elif message.startswith("error "):
                error = message[6:]
            else:
                error = f"the child ended without a snapshot ({status})"
            self._remove_temporaries()
        with _LOCK:
            if _STATE.running is h:
                _STATE.running = None
        h.finish(path, error)
        if self.on_done is not None:
            try:
                self.on_done(h)
            except Exception:  # never into the host program
                pass

    def _remove_temporaries(self) -> None:
        # files.atomic names its temporaries .NAME.PID.N.tmp
        if self.directory is None:
            return
        marker = f".{self.handle.pid}."
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        for name in names:
            if name.startswith(".") and name.endswith(".tmp") and marker in name:
                try:
                    os.unlink(os.path.join(self.directory, name))
                except OSError:
                    pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


def _reap(pid: int) -> str:
    """Wait for that one child (never -1: other children are the program's)."""
    while True:
        try:
            _, status = os.waitpid(pid, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            return "reaped by the program"
        if os.WIFSIGNALED(status):
            return f"killed by signal {os.WTERMSIG(status)}"
        return f"exit code {os.waitstatus_to_exitcode(status)}"


def warn_fallback(reason: str) -> None:
    """The one warning that background snapshots run in process here."""
    if not _STATE.warned:
        _STATE.warned = True
        warnings.warn(
            LeakhuntWarning(
                f"leakhunt: background snapshots are taken in process here ({reason}); "
                "the program pauses for the whole walk"
            ),
            stacklevel=4,
        )


def start(
    label: Optional[str],
    *,
    graph: bool,
    take: Callable[[], Snapshot],
    save: Callable[[Snapshot], Optional[str]],
    prepare: Callable[[], Any],
    hold: Any,
    directory: Optional[str],
    time_limit: float = DEFAULT_TIME_LIMIT,
    on_done: Optional[Callable[[BackgroundSnapshot], None]] = None,
    seq: int = 0,
) -> BackgroundSnapshot:
    """Fork a child that runs ``take`` then ``save`` and reports the path.

    ``prepare`` runs in the parent before the fork (imports the child will
    need); ``hold`` is a lock held across the fork (capture's walk lock).
    Called by capture.snapshot; returns the running handle if one runs."""
    from . import _walker

    with _LOCK:
        if _STATE.running is not None:
            return _STATE.running
        handle = BackgroundSnapshot(label)
        handle.seq = seq
        _STATE.running = handle
    try:
        prepare()
        rfd, wfd = os.pipe()
        hold.acquire()
        try:
            pid = _walker.fork()
            if pid == 0:
                os.close(rfd)
                _child(wfd, take, save, graph)  # never returns
        finally:
            hold.release()
        os.close(wfd)
    except BaseException as e:
        with _LOCK:
            _STATE.running = None
        handle.finish(None, f"could not fork: {e}")
        return handle
    handle.pid = pid
    reaper = _Reaper(handle, rfd, time_limit, directory, on_done)
    threading.Thread(target=reaper.run, name="leakhunt-background", daemon=True).start()
    return handle
