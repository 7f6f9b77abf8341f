"""The memory timeline: a background logger, markers and spans.

(Past ~500 lines on purpose: the sampling thread, mark/track and the file
rotation share one registry and one lock; split, they would share state
across modules.)

``monitor(path)`` starts a daemon thread that appends one JSON line per
``interval`` seconds to ``path``: wall and monotonic time, RSS and peak RSS,
the live heap (bytes malloc and pymalloc hand out; see
:mod:`leakhunt.capture.liveheap`), gc counts and collections, tracemalloc
current/peak when tracing, and every ``types_every``-th sample the
``top_types`` most numerous gc-tracked types. ``mark("label")`` records a
point; ``with mark("label"):`` and ``@track`` record spans with memory (RSS
and the live heap) at entry and exit. Snapshots taken while a monitor runs
are marked on its timeline. The file format is described in
``docs/timeline-format.md``; :mod:`leakhunt.timeline` reads it.

Every line is complete and flushed when written, so the file is readable
after a crash; the file is created without following a symlink planted at
its name (a new file renamed into place) and is private (0600); it is
bounded (``max_bytes``: when full it is renamed to ``PATH.1``, replacing an
older one, and a new file starts). Nothing here
raises into the host program once monitoring runs: a file that cannot be
written gives one LeakhuntWarning and monitoring stops.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "t.jsonl")
>>> with monitor(path, interval=0.05):
...     with mark("work"):
...         rows = [str(i) for i in range(1000)]
>>> from leakhunt.files.timeline_file import load_timeline
>>> [s.label for s in load_timeline(path).spans]
['work']
"""

from __future__ import annotations

import _tracemalloc  # not tracemalloc: it imports pickle
import functools
import gc
import itertools
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any, Optional, TypeVar, Union, cast, overload

from .. import capture
from .._version import __version__
from ..capture import LeakhuntWarning
from ..capture.liveheap import LiveHeap, live_heap
from ..capture.procmem import memory_now
from ..errors import UsageError
from ..files.atomic import make_dirs, open_new
from ..files.timeline_file import FORMAT_NAME, FORMAT_VERSION
from ..model import Snapshot, owned

__all__ = [
    "Monitor",
    "mark",
    "monitor",
    "track",
]

DEFAULT_MAX_BYTES = 64 * 2**20
#: Type counts walk the whole gc list and hold the GIL: after one that took
#: c seconds the next waits at least c / TYPES_BUDGET seconds, so counting
#: takes at most this share of the program's time whatever the heap size.
TYPES_BUDGET = 0.005

F = TypeVar("F", bound=Callable[..., Any])
PathArg = Union[str, "os.PathLike[str]"]


def _event_memory(rec: dict[str, Any], heap: Optional[int] = None) -> dict[str, Any]:
    rec["t"] = time.monotonic()
    rec["rss"] = memory_now()[0]
    if heap is None and _REG.heap is not None:
        heap = _REG.heap.now()
    if heap is not None:
        rec["heap"] = heap
    if _tracemalloc.is_tracing():
        rec["tm"] = _tracemalloc.get_traced_memory()[0]
    return rec


class _Registry:
    """The running monitors and the open spans, per thread. Counted by
    snapshots like any module global (constant in size but for its dict of
    open spans per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: list[Monitor] = []
        self.depth: dict[int, int] = {}
        self.ids = itertools.count(1)
        #: the live heap reader, set by the first monitor or span listener
        self.heap: Optional[LiveHeap] = None
        #: called as listener(label, kept_bytes) when a span ends (the
        #: Prometheus collector's per-label counters); never raises into spans
        self.span_listeners: list[Callable[[str, int], None]] = []


_REG = _Registry()


def _emit(rec: dict[str, Any]) -> None:
    for m in tuple(_REG.active):
        m._write(rec)


def _on_snapshot(s: Snapshot) -> None:
    if _REG.active:
        _emit(
            {
                "kind": "snapshot",
                "t": s.monotonic_time,
                "label": s.label,
                "seq": s.seq,
                "path": None if s.path is None else os.path.abspath(s.path),
                "rss": s.memory.rss,
            }
        )


capture.SNAPSHOT_HOOKS.append(_on_snapshot)


def _after_fork_in_child() -> None:
    # The monitor thread does not survive fork(); the child must not write
    # into the parent's timeline either.
    _REG.active.clear()
    _REG.depth.clear()
    _REG.span_listeners.clear()
    _REG.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@owned
class Monitor:
    """A running (or stopped) timeline logger; see :func:`monitor`."""

    def __init__(
        self,
        path: PathArg,
        *,
        interval: float = 1.0,
        top_types: int = 10,
        types_every: int = 10,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if not interval > 0:
            raise UsageError(f"monitor: interval must be > 0 seconds, got {interval!r}")
        if top_types < 0 or types_every < 0:
            raise UsageError("monitor: top_types and types_every must be >= 0")
        if max_bytes < 4096:
            raise UsageError(f"monitor: max_bytes must be at least 4096, got {max_bytes}")
        self.path = os.path.abspath(os.fspath(path))
        self.interval = float(interval)
        self.top_types = top_types
        self.types_every = types_every
        self.max_bytes = max_bytes
        self.samples = 0
        self.rotations = 0
        #: CPU time spent by sampling (thread_time of the sampling thread),
        #: and by the first type count alone (a one-off pause on a big heap)
        self.cpu_seconds = 0.0
        self.first_types_cpu_seconds = 0.0
        self._since_types = types_every
        self._next_types_at = 0.0
        self._file: Optional[Any] = None
        self._written = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # ---------------------------------------------------------- life cycle

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> Monitor:
        """Open the file (replacing it), write the header and a first
        sample, and start sampling. Raises UsageError when already running
        or OSError when the file cannot be created."""
        if self._thread is not None:
            raise UsageError(f"monitor: already running, writing {self.path}")
        parent = os.path.dirname(self.path)
        make_dirs(parent)
        if _REG.heap is None:
            _REG.heap = live_heap()
        self._stop.clear()
        self._open()
        with _REG.lock:
            _REG.active.append(self)
        self._sample(types=False)  # cheap: the caller is not held up by a type count
        self._thread = threading.Thread(target=self._run, name="leakhunt-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling, write a last sample and an end record, close the
        file. Safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            thread.join()
        # the last sample counts types whatever the budget: with the first
        # count, the summary can say which types grew
        self._sample(force_types=True)
        self._write({"kind": "end", "t": time.monotonic(), "wall": time.time()})
        with _REG.lock:
            if self in _REG.active:
                _REG.active.remove(self)
        with self._lock:
            f, self._file = self._file, None
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------- writing

    def _header(self) -> bytes:
        rec = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": "header",
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "platform": sys.platform,
            "leakhunt": __version__,
            # the program's name only: arguments may hold secrets, and timelines travel
            "program": os.path.basename(str(sys.argv[0])) if sys.argv else "",
            "interval": self.interval,
            "t": time.monotonic(),
            "wall": time.time(),
            "part": self.rotations + 1,
            # which live-heap counter the records' "heap" comes from (null: none here)
            "heap": _REG.heap.source if _REG.heap is not None else None,
        }
        if _REG.heap is not None and _REG.heap.source is None:
            rec["heap_missing"] = _REG.heap.missing
        return (json.dumps(rec, separators=(",", ":")) + "\n").encode("utf-8")

    def _open(self) -> None:
        # a new private file renamed into place: a symlink or hard link
        # planted at the path is replaced, never followed
        head = self._header()
        fd = open_new(self.path, head)
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._written = len(head)

    def _write(self, rec: dict[str, Any]) -> None:
        """Append one complete line (one write() call). Never raises."""
        try:
            line = (
                json.dumps(rec, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
            ).encode("utf-8", "replace")
        except (TypeError, ValueError):
            return
        with self._lock:
            if self._file is None:
                return
            try:
                if self._written + len(line) > self.max_bytes:
                    f, self._file = self._file, None
                    f.close()
                    os.replace(self.path, self.path + ".1")
                    self.rotations += 1
                    self._open()
                out = self._file
                if out is None:
                    return
                out.write(line)
                self._written += len(line)
            except (OSError, ValueError) as e:
                f, self._file = self._file, None
                if f is not None:
                    try:
                        f.close()
                    except (OSError, ValueError):
                        pass
                warnings.warn(
                    LeakhuntWarning(f"leakhunt: timeline {self.path} not written, stopped: {e}"),
                    stacklevel=2,
                )

    # ---------------------------------------------------------- sampling

    def _run(self) -> None:
        start = time.monotonic()
        n = 0
        while True:
            n += 1
            # fixed-rate: a slow sample does not shift the ones after it
            delay = start + n * self.interval - time.monotonic()
            if delay < 0:
                n += int(-delay // self.interval) + 1
                delay = start + n * self.interval - time.monotonic()
            if self._stop.wait(max(delay, 0.0)):
                return
            self._sample()

    def _sample(self, *, types: bool = True, force_types: bool = False) -> None:
        c0 = time.thread_time()
        try:
            rss, peak = memory_now()
            stats = gc.get_stats()
            rec: dict[str, Any] = {
                "kind": "sample",
                "t": time.monotonic(),
                "wall": time.time(),
                "rss": rss,
                "peak_rss": peak,
                "gc": {
                    "counts": list(gc.get_count()),
                    "collections": [int(s.get("collections", 0)) for s in stats],
                    "collected": sum(int(s.get("collected", 0)) for s in stats),
                    "uncollectable": sum(int(s.get("uncollectable", 0)) for s in stats),
                },
                "threads": threading.active_count(),
            }
            heap = _REG.heap.exact() if _REG.heap is not None else None
            if heap is not None and _REG.heap is not None:
                rec["heap"] = heap
                rec["heap_py"] = _REG.heap.pymalloc
            if _tracemalloc.is_tracing():
                cur, tpeak = _tracemalloc.get_traced_memory()
                rec["tm"] = cur
                rec["tm_peak"] = tpeak
            due = self._since_types >= self.types_every and rec["t"] >= self._next_types_at
            if self.top_types and self.types_every and (force_types or (types and due)):
                t0, tc0 = time.perf_counter(), time.thread_time()
                rec["objects"], rec["types"] = self._type_counts()
                cost = time.perf_counter() - t0
                if not self.first_types_cpu_seconds:
                    self.first_types_cpu_seconds = time.thread_time() - tc0
                self._next_types_at = rec["t"] + cost / TYPES_BUDGET
                self._since_types = 0
            self._since_types += 1
            self.samples += 1
            self._write(rec)
        except Exception as e:  # never into the host program
            warnings.warn(LeakhuntWarning(f"leakhunt: monitor sample failed: {e}"), stacklevel=2)
        self.cpu_seconds += time.thread_time() - c0

    def _type_counts(self) -> tuple[int, list[list[Any]]]:
        """The most numerous types, ``[name, count, bytes]``: the snapshot's
        heap walk (every object, untracked ones too), without gc.collect()."""
        rows = capture.type_histogram()
        return sum(r[1] for r in rows), [list(r) for r in rows[: self.top_types]]


def monitor(
    path: PathArg,
    *,
    interval: float = 1.0,
    top_types: int = 10,
    types_every: int = 10,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Monitor:
    """Log this process's memory to ``path`` (JSON Lines) every ``interval``
    seconds, in a daemon thread, while the ``with`` block runs (or between
    ``.start()`` and ``.stop()``).

    Every ``types_every``-th sample (0: never) also records the
    ``top_types`` most numerous gc-tracked types, less often on a heap so
    big that counting would take more than 0.5% of the time. The file holds at most
    ``max_bytes``; when full it becomes ``PATH.1`` and a new one starts.

    >>> import os, tempfile
    >>> m = monitor(os.path.join(tempfile.mkdtemp(), "t.jsonl"), interval=0.05).start()
    >>> m.running
    True
    >>> m.stop(); m.running
    False
    """
    return Monitor(
        path,
        interval=interval,
        top_types=top_types,
        types_every=types_every,
        max_bytes=max_bytes,
    )


@owned
class mark:
    """A point on the timeline, or, used as a context manager, a span.

    ``mark("deploy")`` records a point. ``with mark("report"):`` records the
    span of the block with RSS (and traced memory) at entry and exit; spans
    nest and may run in several threads at once. Without a running monitor
    it records nothing and costs next to nothing, so it can stay in code.

    >>> with mark("outer"):
    ...     with mark("inner"):
    ...         pass
    """

    __slots__ = ("__weakref__", "heap", "id", "label")

    def __init__(self, label: str) -> None:
        self.label = str(label)
        self.id = next(_REG.ids)
        self.heap: Optional[int] = None
        if _REG.active:
            try:
                _emit(
                    _event_memory(
                        {
                            "kind": "mark",
                            "id": self.id,
                            "label": self.label,
                            "thread": threading.current_thread().name,
                        }
                    )
                )
            except Exception:
                pass

    def __enter__(self) -> mark:
        ident = threading.get_ident()
        depth = _REG.depth.get(ident, 0)
        _REG.depth[ident] = depth + 1
        if _REG.active or _REG.span_listeners:
            try:
                heap = self.heap = _REG.heap.now() if _REG.heap is not None else None
                if _REG.active:
                    _emit(
                        _event_memory(
                            {
                                "kind": "enter",
                                "id": self.id,
                                "label": self.label,
                                "thread": threading.current_thread().name,
                                "tid": ident,
                                "depth": depth,
                            },
                            heap,
                        )
                    )
            except Exception:
                pass
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], *exc: object) -> None:
        ident = threading.get_ident()
        depth = _REG.depth.get(ident, 1) - 1
        if depth > 0:
            _REG.depth[ident] = depth
        else:
            _REG.depth.pop(ident, None)
        if _REG.active or _REG.span_listeners:
            try:
                heap = _REG.heap.now() if _REG.heap is not None else None
                if _REG.active:
                    rec: dict[str, Any] = {"kind": "exit", "id": self.id}
                    if exc_type is not None:
                        rec["error"] = exc_type.__name__
                    _emit(_event_memory(rec, heap))
                if heap is not None and self.heap is not None:
                    for listener in tuple(_REG.span_listeners):
                        listener(self.label, heap - self.heap)
            except Exception:
                pass


@overload
def track(func: F) -> F: ...
@overload
def track(*, label: Optional[str] = None) -> Callable[[F], F]: ...
def track(func: Optional[F] = None, *, label: Optional[str] = None) -> Any:
    """Decorator: every call of the function is a span on the timeline,
    named after the function (``module.QualName``) unless ``label`` says.
    Works on plain and ``async`` functions.

    >>> @track
    ... def work(n):
    ...     return n * 2
    >>> work(21)
    42
    """

    def decorate(fn: F) -> F:
        name = label or f"{fn.__module__}.{fn.__qualname__}"
        import inspect  # here: most programs never decorate a coroutine

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with mark(name):
                    return await fn(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mark(name):
                return fn(*args, **kwargs)

        return cast(F, wrapper)

    if func is not None:
        return decorate(func)
    return decorate
