"""Capture: the only module that touches ``gc`` and live objects.

(Past ~500 lines on purpose: the public capture calls and the one owned
state they share; the walks themselves live in pywalk, roots, background
and the compiled walker.)

``snapshot()`` counts every live object by type (gc-tracked objects and
everything they reference that the gc does not track), reads process memory
and gc state, and optionally writes the result to a file. It never raises
into the host program because of what it finds on the heap, never calls a
user-defined method it can avoid, restores gc state exactly, and never
counts leakhunt's own objects.
"""

from __future__ import annotations

import _tracemalloc  # not tracemalloc: it imports pickle, a heavy import for one call
import gc
import os
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional, Union

from .._paths import is_own_file
from .._text import printable
from .._version import __version__
from ..errors import LeakhuntError, LeakhuntWarning

# Imported eagerly: a lazy import during the first snapshot would show up as
# growth in the second.
from ..files import snapshot_file as storage
from ..files.atomic import make_dirs
from ..model import (
    LIVE_OWNED,
    GcInfo,
    Snapshot,
    TracemallocInfo,
    TypeStat,
    live_owned,
    owned,
)
from . import background as _background_mod
from . import pywalk as _pywalk
from . import roots as _graphcap
from .procmem import process_memory

if TYPE_CHECKING:
    from ..model.heapgraph import HeapGraph

try:
    from . import _walker

    _C_HISTOGRAM: Optional[Callable[..., Any]] = _walker.histogram
    _C_GRAPH: Optional[Callable[..., Any]] = _walker.graph
    _KNOWN_LAYOUTS = bool(getattr(_walker, "KNOWN_LAYOUTS", 1))
    _PACKED_GRAPHS = bool(getattr(_walker, "PACKED_GRAPHS", 0))
    _LAYOUTS_CHECKED_UP_TO = str(getattr(_walker, "LAYOUTS_CHECKED_UP_TO", ""))
except ImportError:  # no compiler at install time: the pure-Python twin
    _C_HISTOGRAM = None
    _C_GRAPH = None
    _KNOWN_LAYOUTS = True  # the twin reads no private layout
    _PACKED_GRAPHS = False
    _LAYOUTS_CHECKED_UP_TO = ""

__all__ = [
    "DEFAULT_DIR",
    "KEY_MODES",
    "LeakhuntWarning",
    "checkpoint",
    "layouts_known",
    "snapshot",
    "take_snapshot",
    "type_histogram",
    "type_name",
    "walker_name",
]

#: Where snapshot() writes when neither ``path`` nor $LEAKHUNT_DIR says.
DEFAULT_DIR = "leakhunt-snapshots"

PathArg = Union[str, "os.PathLike[str]", None]

#: Which dict keys a graph snapshot keeps as edge labels (``keys=``):
#: "namespaces" (the default) only identifier-shaped keys of namespace dicts
#: (module globals, class and instance attributes: names, not data); "names"
#: also identifier-shaped str keys of every other dict; "all" every str, int,
#: bytes and float key. A key not kept is labelled by its type, ``[<str>]``.
KEY_MODES = ("namespaces", "names", "all")

_GC_HEAD = sys.getsizeof([]) - [].__sizeof__()
_type_module = type.__dict__["__module__"].__get__
_type_qualname = type.__dict__["__qualname__"].__get__
# "3.11.7", "3.13.0rc1": platform.python_version() says the same, but
# imports platform and compiles a regex on first use.
_PYTHON_VERSION = sys.version.split()[0]


@owned
class _State:
    """All of capture's mutable state in one owned object, so that none of it
    is ever counted: the sequence number and the type-name cache."""

    def __init__(self) -> None:
        self.seq = 0
        # id(type) -> (type, name): keyed by id with an identity check, since
        # a dict keyed by the class would call its metaclass's __hash__/__eq__
        self.names: dict[int, tuple[type, str]] = {}
        self.force_python = os.environ.get("LEAKHUNT_PURE_PYTHON", "") not in ("", "0")
        self.warned_layouts = False


_STATE = _State()

# Not owned (so counted, like any module global: they never grow):
# called with every Snapshot that snapshot() returns (the monitor marks it on
# the timeline; a hook that raises is ignored), and held while walking the
# heap, so that two walks in two threads never see each other's temporaries.
SNAPSHOT_HOOKS: list[Callable[[Snapshot], None]] = []
WALK_LOCK = threading.RLock()


@owned
class _Roots:
    """The graph's roots on their way to the walker: taken (and the box
    emptied) as the call's argument, so no frame of leakhunt holds them
    while the walk decides what is leakhunt's own."""

    __slots__ = ("__weakref__", "objs")

    def __init__(self) -> None:
        self.objs: tuple[Any, ...] = ()

    def take(self) -> tuple[Any, ...]:
        objs, self.objs = self.objs, ()
        return objs


def walker_name() -> str:
    """``"c"`` when the compiled walker is in use, else ``"python"``."""
    return "c" if _C_HISTOGRAM is not None and not _STATE.force_python else "python"


def layouts_known() -> bool:
    """Whether the compiled walker reads CPython's private layouts (this
    Python is one it was checked against, up to 3.13). When False, graph
    snapshots name fewer edges (generic ``(in TYPE)`` labels where an
    attribute name or a generator's local would be) and a LeakhuntWarning
    says so once per process; counts and sizes are the same.

    >>> isinstance(layouts_known(), bool)
    True
    """
    return _KNOWN_LAYOUTS


def type_name(tp: type) -> str:
    """``module.QualName`` for ``tp``, builtins bare. Reads the type's own
    slots, never a metaclass ``__getattr__``.

    >>> type_name(dict), type_name(TypeStat)
    ('dict', 'leakhunt.model.snapshot.TypeStat')
    """
    hit = _STATE.names.get(id(tp))
    name = hit[1] if hit is not None and hit[0] is tp else None
    if name is None:
        try:
            module = _type_module(tp)
        except Exception:
            module = None
        try:
            qual = _type_qualname(tp)
        except Exception:
            qual = None
        if not isinstance(qual, str):
            qual = "?"
        if not isinstance(module, str) or module == "builtins":
            name = qual
        else:
            name = f"{module}.{qual}"
        name = printable(name)  # a name can hold "\x1b[2J\n": shown escaped everywhere
        _STATE.names[id(tp)] = (tp, name)
    return name


def _own_frames() -> tuple[Any, ...]:
    """leakhunt's own frames on this thread's stack (excluded from the walk).

    From 3.11 a running frame is an object only once something asks for it,
    and even then the gc does not traverse a running frame's locals; so there
    is nothing of ours to hide, and asking would create frame objects. The
    same holds for the caller's frames: an untracked str/tuple/dict held
    *only* by a running function's local is not seen (see docs/snapshot-format.md).
    """
    if sys.version_info >= (3, 11):
        return ()
    frames = []
    f: Optional[types.FrameType] = sys._getframe(1)
    while f is not None and is_own_file(f.f_code.co_filename):
        frames.append(f)
        f = f.f_back
    return tuple(frames)


def _histogram(
    extra_roots: tuple[Any, ...],
) -> tuple[list[tuple[type, int, int]], dict[str, int], str]:
    # The compiled walker lists the objects itself (None) and drops the list
    # before it returns: a list of every object alive in a Python frame holds
    # an extra reference to tuples other threads are still filling, and
    # their tuple(generator) fails (issue 14 item 2). The Python twin cannot
    # avoid that; it is the fallback where nothing could be compiled.
    if _C_HISTOGRAM is not None and not _STATE.force_python:
        try:
            rows, info = _C_HISTOGRAM(None, extra_roots, sys.getsizeof, _GC_HEAD)
            return rows, info, "c"
        except MemoryError:
            pass  # the Python twin needs less contiguous memory; try it
    interval, was_enabled = _pywalk.quiet_begin()  # plain values: nothing counted
    try:
        rows, info = _pywalk.histogram(gc.get_objects(), extra_roots, sys.getsizeof, _GC_HEAD)
    finally:
        _pywalk.quiet_end((interval, was_enabled))
    return rows, info, "python"


def _gc_info() -> GcInfo:
    stats = gc.get_stats()
    return GcInfo(
        counts=tuple(gc.get_count()),
        collections=tuple(int(s.get("collections", 0)) for s in stats),
        collected=sum(int(s.get("collected", 0)) for s in stats),
        uncollectable=sum(int(s.get("uncollectable", 0)) for s in stats),
        garbage=len(gc.garbage),
    )


def _warn_layouts_once(stacklevel: int) -> None:
    if not _KNOWN_LAYOUTS and not _STATE.warned_layouts:
        _STATE.warned_layouts = True
        warnings.warn(
            LeakhuntWarning(
                f"leakhunt: the graph walker does not read this Python's private layouts "
                f"({_PYTHON_VERSION}; checked up to {_LAYOUTS_CHECKED_UP_TO or '?'}, GIL "
                "builds): attribute names kept without a __dict__ and generators' locals "
                "get generic labels"
            ),
            stacklevel=stacklevel,
        )


def take_snapshot(
    label: Optional[str] = None,
    *,
    collect: bool = True,
    graph: bool = False,
    keys: str = "namespaces",
    packed: bool = False,
    _probe_frames: tuple[Any, ...] = (),
) -> Snapshot:
    """Capture a Snapshot of the live heap without writing it anywhere.

    With ``graph=True`` the snapshot also holds the object graph
    (``Snapshot.graph``): every counted object as a node, every reference as
    a labelled edge, rooted at the modules and the threads' frames. That
    needs the compiled walker; without it the graph is None (with a
    LeakhuntWarning). ``keys`` says which dict keys the graph's edge labels
    keep (see KEY_MODES): by default none of your data, only the names of
    globals and attributes. ``packed=True`` keeps the graph's arrays
    compressed as the walk writes them (a PackedHeapGraph: a few bytes per
    object, each array inflated when first read): for a graph that is
    written to a file.

    >>> s = take_snapshot("doc")
    >>> s.stat("dict").count > 0
    True
    """
    if keys not in KEY_MODES:
        raise LeakhuntError(f"keys={keys!r}: use one of {', '.join(map(repr, KEY_MODES))}")
    t0 = time.perf_counter()
    was_enabled = gc.isenabled()
    heap_graph = None
    if graph and _C_GRAPH is None:
        warnings.warn(
            LeakhuntWarning("leakhunt: graph snapshots need the compiled walker; none was built"),
            stacklevel=2,
        )
        graph = False
    if graph:
        _warn_layouts_once(3)
    # Everything the walk must not count is made before gc.get_objects().
    # The roots (every module, every frame) go to the walker from an owned
    # box emptied by the call: a local naming them would put them inside the
    # exclusion closure through this frame (one of leakhunt's own on 3.10),
    # and everything reachable from a module would then count as ours.
    box = _Roots()
    root_descs: tuple[str, ...] = ()
    own: tuple[Any, ...] = _own_frames()
    if graph:
        # The graph's value class and file section load on first use, here,
        # before the walk: the first graph snapshot counts them like every
        # later one (imported after the walk, they would be growth).
        from ..files import graph_section  # noqa: F401
        from ..model import heapgraph  # noqa: F401

        box.objs, root_descs, own = _graphcap.collect_roots(_probe_frames)
    extra_roots = (_STATE, LIVE_OWNED, *live_owned(), *own)
    WALK_LOCK.acquire()
    try:
        if collect:
            gc.collect()
        gc.disable()  # no collection may free objects mid-walk
        try:
            if graph:
                assert _C_GRAPH is not None
                # the walker lists the objects itself (see _histogram)
                res = _C_GRAPH(
                    None,
                    extra_roots,
                    sys.getsizeof,
                    _GC_HEAD,
                    box.take(),
                    KEY_MODES.index(keys),
                    packed and _PACKED_GRAPHS,
                )
                rows, info, walker = res["rows"], res["info"], "c"
            else:
                rows, info, walker = _histogram(extra_roots)
        except Exception as e:  # never into the host program
            warnings.warn(
                LeakhuntWarning(f"leakhunt: heap walk failed ({type(e).__name__}: {e})"),
                stacklevel=3,
            )
            rows, info, walker, graph = [], {"excluded": 0}, "failed", False
    finally:
        if was_enabled:
            gc.enable()
        WALK_LOCK.release()
    del extra_roots, own, box
    if graph:
        heap_graph = _graphcap.build_graph(res, root_descs, type_name)
        del res
    wall = time.time()
    mono = time.monotonic()
    merged: dict[str, list[int]] = {}
    for tp, count, size in rows:
        name = type_name(tp)
        acc = merged.get(name)
        if acc is None:
            merged[name] = [count, size]
        else:  # distinct classes with one name (e.g. made in a loop)
            acc[0] += count
            acc[1] += size
    del rows
    stats = sorted(
        (TypeStat(name, c, s) for name, (c, s) in merged.items()),
        key=lambda t: (-t.size, t.name),
    )
    tm = None
    if _tracemalloc.is_tracing():
        cur, peak = _tracemalloc.get_traced_memory()
        tm = TracemallocInfo(cur, peak)
    _STATE.seq += 1
    return Snapshot(
        label=label,
        types=tuple(stats),
        wall_time=wall,
        monotonic_time=mono,
        pid=os.getpid(),
        python_version=_PYTHON_VERSION,
        leakhunt_version=__version__,
        memory=process_memory(),
        gc=_gc_info(),
        tracemalloc=tm,
        seq=_STATE.seq,
        walker=walker,
        capture_seconds=time.perf_counter() - t0,
        excluded_objects=int(info.get("excluded", 0)),
        platform=sys.platform,
        format_version=(
            storage.FORMAT_VERSION if heap_graph is not None else storage.FORMAT_VERSION_NO_GRAPH
        ),
        graph=heap_graph,
    )


def type_histogram(*, collect: bool = False) -> list[tuple[str, int, int]]:
    """Every live object counted by type as a snapshot counts them, but
    without a Snapshot (no sequence number used), and by default without a
    gc.collect(): ``(name, count, size)`` rows, most numerous first. For the
    monitor's periodic type counts and show_growth(); ``[]`` when the walk
    fails. Never raises.

    >>> rows = type_histogram()
    >>> [name for name, count, size in rows if name == "dict"]
    ['dict']
    """
    was_enabled = gc.isenabled()
    extra_roots = (_STATE, LIVE_OWNED, *live_owned(), *_own_frames())
    WALK_LOCK.acquire()
    try:
        if collect:
            gc.collect()
        gc.disable()
        rows = _histogram(extra_roots)[0]
    except Exception:
        rows = []
    finally:
        if was_enabled:
            gc.enable()
        WALK_LOCK.release()
    del extra_roots
    merged: dict[str, list[int]] = {}
    for tp, count, size in rows:
        acc = merged.setdefault(type_name(tp), [0, 0])
        acc[0] += count
        acc[1] += size
    del rows
    return sorted(((n, c, s) for n, (c, s) in merged.items()), key=lambda r: (-r[1], r[0]))


def live_graph(label: str, caller: Any, *, keys: str = "namespaces") -> HeapGraph:
    """The object graph of the live heap, for why() and show_retainers().

    ``caller`` is the frame that asked: a probe, so its locals holding the
    object in question are not retainers. Raises LeakhuntError where no
    graph can be captured (no compiled walker)."""
    s = take_snapshot(label, graph=True, keys=keys, _probe_frames=(caller,))
    if s.graph is None:
        raise LeakhuntError(
            f"leakhunt.{label}: no object graph was captured (graph capture needs the "
            "compiled walker; reinstall leakhunt with a C compiler)"
        )
    return s.graph


def _target_dir(path: PathArg) -> str:
    """The directory a snapshot for ``path`` goes to (see snapshot)."""
    if path is None:
        return os.environ.get("LEAKHUNT_DIR") or DEFAULT_DIR
    p = os.fspath(path)
    if os.path.isdir(p) or not p.endswith((".json", ".gz")):
        return p
    return os.path.dirname(p) or "."


def _write(s: Snapshot, path: PathArg) -> str:
    """Write ``s`` where ``path`` says; the file's name. Raises OSError or
    LeakhuntError."""
    if path is None:
        return storage.write_snapshot_in(s, _target_dir(None))
    p = os.fspath(path)
    # A directory (existing, or any name without a .json/.gz suffix)
    # gets numbered files; anything else is the file name itself.
    if os.path.isdir(p) or not p.endswith((".json", ".gz")):
        return storage.write_snapshot_in(s, p)
    parent = os.path.dirname(p)
    if parent:
        make_dirs(parent)
    return storage.write_snapshot(s, p)


def _save(s: Snapshot, path: PathArg) -> Snapshot:
    try:
        written = _write(s, path)
    except (OSError, LeakhuntError) as e:
        warnings.warn(LeakhuntWarning(f"leakhunt: snapshot not written: {e}"), stacklevel=3)
        return s
    return replace(s, path=written)


def _prepare_child(graph: bool) -> None:
    # Everything the child imports is imported here, in the parent: an
    # import in the child could wait for a module lock another thread held
    # when the process forked.
    import resource  # noqa: F401  (the child's memory cap)

    if graph:
        from ..files import graph_section  # noqa: F401
        from ..model import heapgraph  # noqa: F401


def _background(
    label: Optional[str],
    path: PathArg,
    collect: bool,
    graph: bool,
    keys: str,
    time_limit: float,
) -> _background_mod.BackgroundSnapshot:
    reason = _background_mod.fork_available()
    if reason is None and graph and _C_GRAPH is None:
        reason = "graph snapshots need the compiled walker"
    if reason is not None:
        _background_mod.warn_fallback(reason)
        handle = _background_mod.BackgroundSnapshot(label)
        s = take_snapshot(label, collect=collect, graph=graph, keys=keys, packed=True)
        try:
            written: Optional[str] = _write(s, path)
            error = None
        except (OSError, LeakhuntError) as e:
            written, error = None, f"snapshot not written: {e}"
        handle.snapshot = replace(s, path=written)
        handle.finish(written, error)
        return handle
    if keys not in KEY_MODES:
        raise LeakhuntError(f"keys={keys!r}: use one of {', '.join(map(repr, KEY_MODES))}")
    if graph:
        _warn_layouts_once(4)  # here: the child turns warnings into errors
    if collect:
        gc.collect()  # in the parent: a collection runs finalizers, user code
    # the program's numbers, not the child's: its pid, memory and gc state
    parent_pid, parent_memory, parent_gc = os.getpid(), process_memory(), _gc_info()
    wall, mono = time.time(), time.monotonic()

    def take() -> Snapshot:
        # the child's warnings would go to a stderr whose lock another
        # thread may hold: they are errors, reported on the pipe
        warnings.simplefilter("error")
        s = take_snapshot(label, collect=False, graph=graph, keys=keys, packed=True)
        return replace(s, pid=parent_pid, memory=parent_memory, gc=parent_gc)

    def save(s: Snapshot) -> Optional[str]:
        return _write(s, path)

    handle = _background_mod.start(
        label,
        graph=graph,
        take=take,
        save=save,
        prepare=lambda: _prepare_child(graph),
        hold=WALK_LOCK,
        directory=_target_dir(path),
        time_limit=time_limit,
        on_done=lambda h: _announce(h, wall, mono, parent_memory, parent_gc, graph),
        seq=_STATE.seq + 1,  # the number the child's snapshot takes
    )
    if handle.pid and handle.seq == _STATE.seq + 1:
        _STATE.seq += 1  # a new child, not the running one's handle
    return handle


def _announce(
    h: _background_mod.BackgroundSnapshot,
    wall: float,
    mono: float,
    memory: Any,
    gc_info: GcInfo,
    graph: bool,
) -> None:
    """SNAPSHOT_HOOKS for a finished background snapshot (the monitor marks
    it on the timeline), from the helper thread. The hooks get the snapshot's
    metadata as the parent knows it, with no types: those are in the file."""
    if h.path is None:
        return
    stub = Snapshot(
        label=h.label,
        types=(),
        wall_time=wall,
        monotonic_time=mono,
        pid=os.getpid(),
        python_version=_PYTHON_VERSION,
        leakhunt_version=__version__,
        memory=memory,
        gc=gc_info,
        tracemalloc=None,
        seq=h.seq,
        walker="c",
        capture_seconds=h.seconds or 0.0,
        excluded_objects=0,
        platform=sys.platform,
        format_version=storage.FORMAT_VERSION if graph else storage.FORMAT_VERSION_NO_GRAPH,
        graph=None,
        path=h.path,
    )
    for hook in tuple(SNAPSHOT_HOOKS):
        try:
            hook(stub)
        except Exception:
            pass


def snapshot(
    label: Optional[str] = None,
    *,
    path: PathArg = None,
    collect: bool = True,
    save: bool = True,
    graph: bool = False,
    keys: str = "namespaces",
    background: bool = False,
    time_limit: float = _background_mod.DEFAULT_TIME_LIMIT,
) -> Any:
    """Take a checkpoint: count live objects by type and write a snapshot file.

    The file goes to ``path`` (a file name ending in ``.json`` or ``.gz``,
    or else a directory, created if needed, to number files in), else to
    ``$LEAKHUNT_DIR``, else to ``./leakhunt-snapshots/``, named
    ``NNNN-label.lhs.json.gz`` with NNNN the next free number (sortable).
    ``save=False`` keeps the snapshot in memory only. ``graph=True`` also
    records the object graph, for retainer paths (see take_snapshot), whose
    labels keep no dict key of your data unless ``keys`` asks ("names",
    "all"; see KEY_MODES). ``collect`` runs
    ``gc.collect()`` first so that garbage is not mistaken for growth.

    Never raises because of the heap: a file that cannot be written gives a
    LeakhuntWarning and the returned Snapshot has ``path=None``.

    ``background=True`` (Linux) walks the heap in a forked child: the program
    pauses for the fork only, and the call returns a BackgroundSnapshot
    handle at once (``.done``, ``.wait()`` -> the file's path or None with
    ``.error``). The child gives up cleanly when free memory is short, or
    after ``time_limit`` seconds; one runs at a time (asking again returns the
    running one). Where fork is not available, the same in process, with one
    LeakhuntWarning. See capture/background.py.

    >>> import tempfile
    >>> s = snapshot("before", path=tempfile.mkdtemp())
    >>> s.path.endswith("0001-before.lhs.json.gz")
    True
    """
    if background:
        if not save:
            raise LeakhuntError("snapshot(background=True) writes a file: save=False cannot apply")
        return _background(label, path, collect, graph, keys, time_limit)
    s = take_snapshot(label, collect=collect, graph=graph, keys=keys, packed=save)
    if save:
        s = _save(s, path)
    for hook in tuple(SNAPSHOT_HOOKS):
        try:
            hook(s)
        except Exception:
            pass
    return s


@owned
class checkpoint:
    """Snapshot on entry and on exit of a block.

    ``label`` names both files (``LABEL-enter`` and ``LABEL-exit``); after
    the block, ``.before`` and ``.after`` hold the two Snapshots (with
    ``background=True``, the two BackgroundSnapshot handles: see snapshot).

    >>> import tempfile
    >>> with checkpoint("report", path=tempfile.mkdtemp()) as cp:
    ...     rows = [dict(n=i) for i in range(100)]
    >>> cp.after.stat("dict").count - cp.before.stat("dict").count >= 100
    True
    """

    def __init__(
        self,
        label: str = "checkpoint",
        *,
        path: PathArg = None,
        collect: bool = True,
        save: bool = True,
        background: bool = False,
    ) -> None:
        self.label = label
        self.path = path
        self.collect = collect
        self.save = save
        self.background = background
        self.before: Any = None
        self.after: Any = None

    def __enter__(self) -> checkpoint:
        self.before = self._take("enter")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.background and self.before is not None:
            self.before.wait()  # one background snapshot at a time
        self.after = self._take("exit")

    def _take(self, when: str) -> Any:
        return snapshot(
            f"{self.label}-{when}",
            path=self.path,
            collect=self.collect,
            save=self.save,
            background=self.background,
        )
