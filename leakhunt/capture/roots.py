"""Graph capture helpers: the roots of the object graph, and the HeapGraph
built from what the compiled walker returns. Used by capture only."""

from __future__ import annotations

import sys
import types
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ..model.heapgraph import HeapGraph

from .._paths import is_own_file
from .._text import printable, printable_all

__all__ = ["build_graph", "collect_roots"]


def _thread_names() -> dict[int, str]:
    threading = sys.modules.get("threading")
    active = getattr(threading, "_active", None) if threading is not None else None
    names: dict[int, str] = {}
    if isinstance(active, dict):
        for tid, t in list(active.items()):
            try:
                name = object.__getattribute__(t, "_name")  # no user __getattr__
            except Exception:
                name = None
            names[tid] = name if isinstance(name, str) else f"thread-{tid}"
    return names


def interpreter_hooks() -> list[tuple[Any, str]]:
    """Callables the interpreter holds from C and will hand back when asked:
    signal handlers, trace and profile hooks. Roots, so that what they keep
    alive gets a path ("signal handler SIGTERM -> ...") instead of none."""
    hooks: list[tuple[Any, str]] = []
    # _signal, not signal: signal.getsignal() passes the handler through
    # isinstance() (3.11+), which reads a proxy's __class__: user code
    raw = sys.modules.get("_signal")
    signal = sys.modules.get("signal")
    if raw is not None:
        try:
            sigs = sorted(raw.valid_signals())
        except (AttributeError, ValueError, OSError):
            sigs = []
        for sig in sigs:
            try:
                handler = raw.getsignal(sig)
            except (ValueError, OSError, TypeError):
                continue
            # not isinstance: it reads handler.__class__, user code on a proxy
            if callable(handler) and not issubclass(type(handler), int):
                try:
                    name = signal.Signals(sig).name if signal is not None else str(int(sig))
                except (ValueError, AttributeError):
                    name = str(int(sig))
                hooks.append((handler, f"signal handler {name}"))
    for getter, desc in (
        (sys.gettrace, "sys.settrace hook"),
        (sys.getprofile, "sys.setprofile hook"),
    ):
        hook = getter()
        if hook is not None:
            hooks.append((hook, desc))
    return hooks


def collect_roots(
    caller_frames: tuple[Any, ...] = (),
) -> tuple[tuple[Any, ...], tuple[str, ...], tuple[Any, ...]]:
    """The objects the graph is rooted at, with descriptions, plus
    leakhunt's own frames (to exclude).

    Roots are the modules in ``sys.modules`` ("module NAME"), the hooks the
    interpreter holds (see interpreter_hooks) and the frames of every
    thread's stack ("thread NAME frame FUNC"), other than
    leakhunt's own frames and ``caller_frames`` (a probe such as why()'s
    caller, whose references to its target are not retainers). Asking for
    the frames makes them frame objects, so the walk sees them."""
    objs: list[Any] = []
    descs: list[str] = []
    for name, mod in list(sys.modules.items()):
        if mod is not None:
            objs.append(mod)
            descs.append(f"module {name}")
    for obj, desc in interpreter_hooks():
        objs.append(obj)
        descs.append(desc)
    own: list[Any] = []
    names = _thread_names()
    skip = set(map(id, caller_frames))
    for tid, top in sys._current_frames().items():
        tname = names.get(tid, f"thread-{tid}")
        f: Optional[types.FrameType] = top
        while f is not None:
            code = f.f_code
            if code is _THIS_CODE:
                # this very call: done once we return, and on 3.10 a frame
                # kept as an object keeps its locals (all the roots) alive
                f = f.f_back
                continue
            if is_own_file(code.co_filename) or id(f) in skip:
                own.append(f)
            else:
                objs.append(f)
                descs.append(f"thread {tname} frame {code.co_name}")
            f = f.f_back
    return tuple(objs), tuple(descs), tuple(own)


_THIS_CODE = collect_roots.__code__


def build_graph(
    res: dict[str, Any],
    root_descs: tuple[str, ...],
    type_name: Callable[[type], str],
) -> HeapGraph:
    """A HeapGraph from the dict that ``_walker.graph`` returns: its arrays
    are taken as they are (made at their final size by the walker, never
    copied), and the O(edges) range checks that a graph read from a file
    gets are skipped: the walker numbered every target itself."""

    from ..model.heapgraph import HeapGraph  # imported before the walk: see take_snapshot

    def arr(code: str, key: str) -> array[int]:
        a = res.pop(key)  # the dict lets go: the HeapGraph owns the array
        if not isinstance(a, array) or a.typecode != code:
            raise TypeError(f"walker result {key!r} is not an array of type {code!r}")
        return a

    roots: list[tuple[int, str]] = []
    seen: set[int] = set()
    for node, desc in zip(res["roots"], root_descs, strict=True):
        if node >= 0 and node not in seen:
            seen.add(node)
            roots.append((node, printable(desc)))  # thread names are the program's
    type_names = tuple(type_name(tp) for tp in res["type_objects"])
    label_names = printable_all(res["label_names"])  # shown escaped (leakhunt._text)
    if "packed" in res:  # the arrays as the file stores them (graph_section)
        from ..files.graph_section import PackedHeapGraph

        return PackedHeapGraph(res.pop("packed"), type_names, label_names, tuple(roots))
    return HeapGraph(
        ids=arr("Q", "ids"),
        types=arr("I", "types"),
        type_names=type_names,
        sizes=arr("Q", "sizes"),
        offsets=arr("Q", "offsets"),
        targets=arr("I", "targets"),
        labels=arr("I", "labels"),
        label_names=label_names,
        roots=tuple(roots),
        lengths=arr("I", "lengths"),
        validate=False,
    )


def node_of(graph: HeapGraph, obj_id: int) -> Optional[int]:
    """The node whose id is ``obj_id``, or None."""
    try:
        return graph.ids.index(obj_id)
    except ValueError:
        return None
