"""``leakhunt.hunt(fn)``: call an action again and again, and tell real leaks
from warm-up, bounded caches, collectable cycles and churn.

The method, one step per line:

1. ``warmup`` calls fill caches, import lazily imported modules and intern
   strings; a histogram before and after them names what grew only then.
2. A graph snapshot G0, then ``iterations`` calls with a histogram after each
   one (after ``gc.collect()``, so collectable cycles never count), then a
   graph snapshot Gn.
3. Each type's count series (and byte series) is judged by
   :func:`classify`: a leak grows steadily (a positive trend, growth spread
   over the calls, still growing in the last third, net growth larger than
   the ups and downs of churn). Growth of one object every other or third
   call qualifies; a cache that fills and stops does not.
4. Containers are watched one by one: a list, dict, set or deque alive in
   both G0 and Gn (same address, same type, same retainer path) whose
   length grew by at least half an item per call accumulates, even when no
   type count moves (the same object appended again and again).
5. For each leak: the retainer-path clusters of the new objects and the
   accumulating container (:func:`leakhunt.pathdiff.explain_growth`), and
   where the new objects were allocated (tracemalloc, started before the
   warm-up when not already tracing, and stopped again afterwards).

Nothing of the hunt is counted: its state lives in owned objects
(:func:`leakhunt.model.owned`). The objects an action leaks are never
touched beyond the gc's own traversal and tracemalloc's lookup.
"""

from __future__ import annotations

import ast
import gc
import math
import os
import sys
import sysconfig
import time
import tracemalloc
from _tracemalloc import _get_object_traceback as _tracemalloc_raw
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress, pairwise
from operator import and_
from typing import Any, Literal, Optional

from . import capture
from .model import HELD_OUTSIDE, HeapGraph, RetainerPath, Snapshot, owned
from .pathdiff import explain_growth
from .retainers import shortest_paths

__all__ = [
    "Verdict",
    "HuntResult",
    "Leak",
    "WarmupGrowth",
    "classify",
    "hunt",
]

Progress = Callable[[str], None]
Kind = Literal["objects", "container"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: Frames in these directories are never named as the allocation site when
#: a frame of the program itself is on the traceback.
_LIBRARY_DIRS = tuple(
    {
        os.path.abspath(p)
        for key in ("stdlib", "platstdlib")
        if (p := sysconfig.get_paths().get(key))
    }
)
_IMMUTABLE = frozenset({"tuple", "frozenset", "str", "bytes"})


# ------------------------------------------------------------------ values


@owned
@dataclass(frozen=True)
class Verdict:
    """How one series of counts (or bytes), taken after each call, behaves.

    ``slope`` is the least-squares growth per call; ``grew_in`` the number of
    calls after which the value was higher than before; ``confidence`` in
    [0, 1] weighs how regular the growth is (1: it grew after every call and
    never shrank). ``reason`` says why it is or is not a leak.
    """

    leak: bool
    slope: float
    grew_in: int
    steps: int
    confidence: float
    reason: str


@owned
@dataclass(frozen=True)
class Leak:
    """One leak: a type whose objects (or bytes) grow call after call, or one
    container whose length does.

    ``per_iteration`` counts objects of ``type_name`` per call (0 for a
    container whose items are old objects); ``retainers`` are the retainer
    paths of the new objects, root first, one per cluster of similar paths
    (biggest first); ``container`` names the accumulating container;
    ``allocated_at`` is ``file:line in func()`` of the new objects, or None
    when tracemalloc could not say.
    """

    type_name: str
    kind: Kind
    per_iteration: float
    bytes_per_iteration: float
    grew_in: int
    steps: int
    confidence: float
    retainers: tuple[str, ...]
    container: Optional[str]
    allocated_at: Optional[str]
    counts: tuple[int, ...] = ()
    sizes: tuple[int, ...] = ()
    #: the container's growth in items per call (kind "container"), else 0
    items_per_iteration: float = 0.0
    #: sample nodes of the new objects (or the container) in the final graph
    nodes: tuple[int, ...] = field(default=(), compare=False, repr=False)
    #: the accumulating containers' nodes in the final graph
    holders: tuple[int, ...] = field(default=(), compare=False, repr=False)
    #: leaks through the same growing container share a group (numbered from
    #: 1 in rank order); the first of a group is the object nearest to the
    #: container, the others are held through it
    group: int = 0


@owned
@dataclass(frozen=True)
class WarmupGrowth:
    """A type that grew but stopped: during the warm-up calls, or early in
    the measured calls and then not again (a cache that filled)."""

    type_name: str
    count: int
    size: int
    when: Literal["warm-up", "bounded"]


@owned
@dataclass(frozen=True)
class HuntResult:
    """What :func:`hunt` found. ``leaks`` are ranked by confidence, then by
    bytes per call; ``warmup_only`` lists growth that stopped."""

    target: str
    iterations: int
    warmup: int
    leaks: tuple[Leak, ...]
    warmup_only: tuple[WarmupGrowth, ...]
    rss_before: Optional[int]
    rss_after: Optional[int]
    seconds: float
    traced: bool
    graph: bool
    notes: tuple[str, ...] = ()
    #: the object graph after the last call, when asked (``keep_graph``)
    final_graph: Optional[HeapGraph] = field(default=None, compare=False, repr=False)

    @property
    def leaked(self) -> bool:
        return bool(self.leaks)

    def leak(self, type_name: str) -> Optional[Leak]:
        """The leak of ``type_name``, if one was found."""
        return next((x for x in self.leaks if x.type_name == type_name), None)


# ------------------------------------------------------------- the verdict


def _slope(values: Sequence[int]) -> float:
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def classify(series: Sequence[int], *, min_total: int = 2) -> Verdict:
    """Judge a series of values taken after each call (``series[0]``: before
    the first measured call).

    A leak grows by at least ``min_total`` overall, in at least a quarter of
    the calls (and at least twice), still grows in the last third of the
    calls (no plateau), and grows more than it shrinks (churn goes up and
    down by similar amounts).

    >>> classify([10, 11, 12, 13, 14, 15, 16]).leak
    True
    >>> classify([10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15]).leak   # every other call
    True
    >>> v = classify([10, 14, 18, 20, 20, 20, 20, 20, 20, 20, 20])     # a cache that filled
    >>> v.leak, v.reason
    (False, 'stopped growing (no growth in the last 3 calls)')
    >>> classify([10, 13, 9, 12, 10, 14, 9, 13, 10, 12, 11]).leak       # churn
    False
    """
    steps = len(series) - 1
    if steps < 2:
        return Verdict(False, 0.0, 0, max(steps, 0), 0.0, "too few calls to judge")
    deltas = [b - a for a, b in pairwise(series)]
    up = sum(d > 0 for d in deltas)
    gained = sum(d for d in deltas if d > 0)
    lost = -sum(d for d in deltas if d < 0)
    total = series[-1] - series[0]
    slope = _slope(series)
    tail = max(1, steps // 3)
    regular = up / steps
    net = total / gained if gained else 0.0
    confidence = round(max(0.0, min(1.0, regular * net)), 3)

    def verdict(leak: bool, reason: str) -> Verdict:
        return Verdict(leak, slope, up, steps, confidence if leak else 0.0, reason)

    if total < min_total:
        return verdict(False, "no net growth" if total <= 0 else "grew too little to tell")
    if series[-1] <= series[-1 - tail]:
        return verdict(False, f"stopped growing (no growth in the last {tail} calls)")
    if up < max(2, steps / 4):
        return verdict(False, f"grew in only {up} of {steps} calls")
    if lost * 2 > total:
        return verdict(False, "goes up and down (churn)")
    return verdict(True, f"grew in {up} of {steps} calls")


# ------------------------------------------------------------ hunt state


@owned
class _Run:
    """The series of one hunt, in an owned object so that no snapshot counts
    them. Tuples are replaced, never grown in place."""

    def __init__(self) -> None:
        self.before: Optional[Snapshot] = None
        self.g0: Optional[Snapshot] = None
        self.gn: Optional[Snapshot] = None
        self.snaps: tuple[Snapshot, ...] = ()


def _take(graph: bool) -> Snapshot:
    return capture.take_snapshot("hunt", collect=True, graph=graph)


def hunt(
    fn: Callable[[], Any],
    *,
    iterations: int = 10,
    warmup: int = 3,
    trace: bool = True,
    graph: bool = True,
    target: Optional[str] = None,
    progress: Optional[Progress] = None,
    keep_graph: bool = False,
) -> HuntResult:
    """Call ``fn()`` ``warmup`` times, then ``iterations`` times with a
    snapshot after each call, and report what leaks.

    ``trace`` records allocation sites with tracemalloc (started for the
    hunt and stopped afterwards, unless it was already tracing); ``graph``
    captures two object graphs for retainer paths and container watching
    (needs the compiled walker); ``keep_graph`` keeps the last one in the
    result, to draw the leaks. ``progress`` is called with a short line
    before each step. Exceptions from ``fn`` propagate: a hunt of a failing
    action means nothing.

    >>> import leakhunt
    >>> kept = []
    >>> def handle():
    ...     kept.append(bytearray(100))
    >>> r = leakhunt.hunt(handle, iterations=6, warmup=2, trace=False, graph=False)
    >>> [(x.type_name, x.per_iteration) for x in r.leaks]
    [('bytearray', 1.0)]
    """
    if iterations < 3:
        raise ValueError(f"iterations must be >= 3 to tell growth from noise, not {iterations}")
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, not {warmup}")
    say = progress or (lambda _msg: None)
    name = target or getattr(fn, "__qualname__", None) or repr(fn)
    if graph and capture.walker_name() != "c":
        graph = False
    t0 = time.perf_counter()
    run = _Run()
    run.before = _take(False)
    for i in range(warmup):
        say(f"warm-up call {i + 1}/{warmup}")
        fn()
    say("graph snapshot before the measured calls" if graph else "snapshot")
    run.g0 = _take(graph)
    for i in range(iterations):
        say(f"call {i + 1}/{iterations}")
        fn()
        run.snaps = (*run.snaps, _take(graph and i == iterations - 1))
    run.gn = run.snaps[-1]
    say("analysing")
    result = _analyse(run, name, iterations, warmup, trace, graph, t0)
    if trace and result.leaks:
        # Tracing is off while measuring (it slows every allocation, leakhunt's
        # own walk included); a few more calls under tracemalloc show where the
        # leaked objects come from.
        rate = min((x.per_iteration for x in result.leaks if x.per_iteration > 0), default=1.0)
        calls = max(2, min(10, math.ceil(1 / rate)))
        say(f"{calls} traced calls for allocation sites")
        sites = _trace_sites(fn, result.leaks, run.gn.graph, calls)
        leaks = tuple(replace(x, allocated_at=sites.get(x.type_name)) for x in result.leaks)
        result = replace(result, leaks=leaks, seconds=round(time.perf_counter() - t0, 3))
    if keep_graph and run.gn.graph is not None:
        result = replace(result, final_graph=run.gn.graph)
    return result


# ------------------------------------------------------------ the analysis


def _series(
    snaps: Sequence[Snapshot], names: Iterable[str]
) -> dict[str, tuple[list[int], list[int]]]:
    out: dict[str, tuple[list[int], list[int]]] = {n: ([], []) for n in names}
    for s in snaps:
        by_name = {t.name: t for t in s.types}
        for n, (counts, sizes) in out.items():
            t = by_name.get(n)
            counts.append(t.count if t else 0)
            sizes.append(t.size if t else 0)
    return out


def _analyse(
    run: _Run, name: str, iterations: int, warmup: int, traced: bool, graph: bool, t0: float
) -> HuntResult:
    assert run.before is not None and run.g0 is not None and run.gn is not None
    snaps = (run.g0, *run.snaps)
    names = sorted({t.name for s in snaps for t in s.types})
    series = _series(snaps, names)
    found: list[tuple[str, Verdict, list[int], list[int]]] = []
    # Types whose objects grow in place (a list's capacity, a bytearray),
    # judged on bytes where a step is at least one pointer: only a growing
    # container found in the graphs can confirm one (a dict or list that
    # over-allocates once is noise), and then lends it this verdict.
    in_place: dict[str, Verdict] = {}
    bounded: list[WarmupGrowth] = []
    for n in names:
        counts, sizes = series[n]
        v = classify(counts)
        if v.leak:
            found.append((n, v, counts, sizes))
            continue
        vb = classify(sizes, min_total=8 * iterations)
        if vb.leak and counts[-1] <= counts[0] + 1:
            in_place[n] = vb
        elif counts[-1] > counts[0] and v.reason.startswith("stopped"):
            bounded.append(WarmupGrowth(n, counts[-1] - counts[0], sizes[-1] - sizes[0], "bounded"))
    before = {t.name: t for t in run.before.types}
    leaking = {f[0] for f in found}
    for t in run.g0.types:
        b = before.get(t.name)
        grew = t.count - (b.count if b else 0)
        if grew > 0 and t.name not in leaking:
            bounded.append(WarmupGrowth(t.name, grew, t.size - (b.size if b else 0), "warm-up"))

    g0, gn = run.g0.graph, run.gn.graph
    explained: dict[str, tuple[tuple[str, ...], Optional[str], list[int], list[int]]] = {}
    containers: list[tuple[str, str, int, int, int]] = []
    notes: list[str] = []
    if g0 is not None and gn is not None:
        explained = _explain(g0, gn, [f[0] for f in found], iterations)
        containers = _growing_containers(g0, gn, iterations)
    elif graph:
        notes.append("no object graph was captured: retainer paths are unknown")

    leaks: list[Leak] = []
    named: set[str] = set()
    for n, v, counts, sizes in found:
        retainers, container, members, holders = explained.get(n, ((), None, [], []))
        if container:
            named.add(_container_key(container))
        leaks.append(
            Leak(
                type_name=n,
                kind="objects",
                per_iteration=round((counts[-1] - counts[0]) / iterations, 3),
                bytes_per_iteration=round((sizes[-1] - sizes[0]) / iterations, 1),
                grew_in=v.grew_in,
                steps=v.steps,
                confidence=v.confidence,
                retainers=retainers,
                container=container,
                allocated_at=None,
                counts=tuple(counts),
                sizes=tuple(sizes),
                nodes=tuple(members),
                holders=tuple(holders),
            )
        )
    for tname, path_text, len_a, len_b, node in containers:
        text = _container_text(tname, path_text, len_b - len_a, iterations)
        if _container_key(text) in named:
            continue  # the container of a type leak already reported
        counts, sizes = series.get(tname, ([0], [0]))
        # The first container of a type whose bytes grew in place takes
        # that type's verdict; any other is a leak on its own evidence.
        lent = in_place.pop(tname, None)
        leaks.append(
            Leak(
                type_name=tname,
                kind="container",
                per_iteration=round((counts[-1] - counts[0]) / iterations, 3) if lent else 0.0,
                bytes_per_iteration=round((sizes[-1] - sizes[0]) / iterations, 1),
                grew_in=lent.grew_in if lent else 0,
                steps=lent.steps if lent else iterations,
                confidence=lent.confidence if lent else 0.5,
                retainers=(path_text,),
                container=text,
                allocated_at=None,
                counts=tuple(counts),
                sizes=tuple(sizes),
                items_per_iteration=round((len_b - len_a) / iterations, 3),
                nodes=(node,),
            )
        )
    leaks = _ranked(leaks)
    bounded.sort(key=lambda w: (w.when != "warm-up", -w.size, w.type_name))
    return HuntResult(
        target=name,
        iterations=iterations,
        warmup=warmup,
        leaks=tuple(leaks),
        warmup_only=tuple(bounded),
        rss_before=run.g0.memory.rss,
        rss_after=run.gn.memory.rss,
        seconds=round(time.perf_counter() - t0, 3),
        traced=traced,
        graph=g0 is not None and gn is not None,
        notes=tuple(notes),
    )


def _hops(leak: Leak) -> float:
    """How far the leak's objects are from the root: the head of a group is
    the nearest (a dict's keys count one hop further than its values, and a
    program's own class wins a tie against a builtin type)."""
    hops = [
        p.count(" -> ") + (" -> <key> -> " in p)
        for p in leak.retainers
        if not p.startswith(HELD_OUTSIDE)
    ]
    return min(hops, default=99) + (0.5 if "." not in leak.type_name else 0.0)


def _ranked(leaks: list[Leak]) -> list[Leak]:
    """Leaks through one growing container form a group (one cause, many
    types); groups rank by confidence, then bytes per call in all; within a
    group the type nearest the container comes first, then by bytes."""
    groups: dict[str, list[Leak]] = {}
    for x in leaks:
        key = _container_key(x.container) if x.container else f"#{x.type_name}"
        groups.setdefault(key, []).append(x)
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -max(x.confidence for x in g),
            -sum(x.bytes_per_iteration for x in g),
            g[0].type_name,
        ),
    )
    out: list[Leak] = []
    for number, members in enumerate(ordered, 1):
        members.sort(key=lambda x: (_hops(x), -x.confidence, -x.bytes_per_iteration, x.type_name))
        out.extend(replace(x, group=number) for x in members)
    return out


def _container_text(
    tname: str, path_text: str, grew: int, iterations: int, unit: str = "items"
) -> str:
    """``the list at PATH grew by N items (X/call)``."""
    unit = unit.rstrip("s") if grew == 1 else unit
    return f"the {tname} at {path_text} grew by {grew:,} {unit} ({grew / iterations:,.1f}/call)"


def _container_key(text: str) -> str:
    """Which container a :func:`_container_text` names (``the list at PATH``)."""
    return text.split(" grew by ", 1)[0]


def _explain(
    g0: HeapGraph, gn: HeapGraph, names: list[str], iterations: int
) -> dict[str, tuple[tuple[str, ...], Optional[str], list[int], list[int]]]:
    """Per type: the retainer paths of the clusters that grew (root first),
    the accumulating container, sample nodes of the new objects, and the
    nodes of the containers that grew."""
    out: dict[str, tuple[tuple[str, ...], Optional[str], list[int], list[int]]] = {}
    if not names:
        return out
    growth = explain_growth(g0, gn, names, max_clusters=3, retained=False, new_only=True)
    for r in growth:
        texts: list[str] = []
        container: Optional[str] = None
        sample: list[int] = []
        holders: list[int] = []
        for c in r.clusters:
            if c.count_delta <= 0:
                continue
            texts.append(c.path_text if c.path_text is not None else HELD_OUTSIDE)
            sample.extend(c.sample)
            if c.container is not None and c.container.node >= 0:
                holders.append(c.container.node)
            if container is None and c.container is not None:
                k = c.container
                container = _container_text(k.type_name, k.path_text, k.delta, iterations, k.unit)
        out[r.name] = (tuple(texts), container, sample, holders)
    return out


def _growing_containers(
    g0: HeapGraph, gn: HeapGraph, iterations: int
) -> list[tuple[str, str, int, int, int]]:
    """Containers alive in both graphs (same address, same type, same exact
    retainer path) whose length grew by at least half an item per call:
    ``(type name, path text, length in g0, length in gn, node in gn)``,
    biggest growth first."""
    if g0.lengths is None or gn.lengths is None:
        return []
    threshold = max(2, (iterations + 1) // 2)
    len_n, len_0 = gn.lengths, g0.lengths
    # Tuples and frozensets cannot grow: leave them out before any Python loop.
    mutable = bytes(name not in _IMMUTABLE for name in gn.type_names)
    flags = map(and_, map(mutable.__getitem__, gn.types), map(threshold.__le__, len_n))
    ids_n = gn.ids
    cand = {ids_n[v]: v for v in compress(range(gn.n), flags)}
    if not cand:
        return []
    grown: list[tuple[int, int]] = []
    ids_0 = g0.ids
    for u in compress(range(g0.n), map(cand.__contains__, ids_0)):
        v = cand[ids_0[u]]
        if v is None or len_n[v] - len_0[u] < threshold:
            continue
        if gn.type_name(v) != g0.type_name(u):
            continue
        grown.append((u, v))
    if not grown:
        return []
    paths_0 = shortest_paths(g0, [u for u, _ in grown])
    paths_n = shortest_paths(gn, [v for _, v in grown])
    out = []
    for u, v in grown:
        p0, pn = paths_0.get(u), paths_n.get(v)
        if p0 is None or pn is None or not pn.reachable:
            continue
        text_n = _path_without_target(gn, pn)
        if text_n != _path_without_target(g0, p0):
            continue
        out.append((gn.type_name(v), text_n, len_0[u], len_n[v], v))
    out.sort(key=lambda c: (-(c[3] - c[2]), c[1]))
    return out[:10]


def _path_without_target(g: HeapGraph, p: RetainerPath) -> str:
    text = p.text(g)
    suffix = " -> " + g.type_name(p.target)
    return text[: -len(suffix)] if text.endswith(suffix) and p.steps[1:] else text


# ---------------------------------------------------------- allocation sites


def _in_library(filename: str) -> bool:
    path = os.path.abspath(filename)
    if path.startswith(_PACKAGE_DIR + os.sep) or filename.startswith("<"):
        return True
    return any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


_RAW_TRACEBACK: list[Any] = []
_PREHEADER_BUG = sys.version_info[:2] == (3, 11)
_FLAGS = type.__dict__["__flags__"].__get__  # never a metaclass's __getattribute__


def _preheader_traceback(obj: Any) -> Optional[tracemalloc.Traceback]:
    """3.11 only: ``tracemalloc.get_object_traceback`` looks for an instance
    with a managed dict one GC header before the object, where its memory
    block starts two pointers earlier (fixed in 3.12, python/cpython#101430).
    Ask tracemalloc for the right address through its C API."""
    if not _PREHEADER_BUG or not _FLAGS(type(obj)) & (1 << 4):  # Py_TPFLAGS_MANAGED_DICT
        return None
    if not _RAW_TRACEBACK:
        try:
            import ctypes

            f = ctypes.pythonapi._PyTraceMalloc_GetTraceback
            f.restype = ctypes.py_object
            f.argtypes = [ctypes.c_uint, ctypes.c_size_t]
            _RAW_TRACEBACK.append((f, 4 * ctypes.sizeof(ctypes.c_void_p)))
        except (ImportError, AttributeError, OSError):
            _RAW_TRACEBACK.append(None)
    found = _RAW_TRACEBACK[0]
    if found is None:
        return None
    f, pre = found
    frames = f(0, id(obj) - pre)
    return tracemalloc.Traceback(frames) if frames else None


def _traceback_of(obj: Any) -> Optional[tracemalloc.Traceback]:
    tb = tracemalloc.get_object_traceback(obj) or _preheader_traceback(obj)
    if tb is not None:
        return tb
    # An object from a free list, made before tracing started and reused, has
    # no trace of its own: use what it was built with, allocated nearby.
    for r in gc.get_referents(obj):
        if isinstance(r, type):
            continue
        tb = tracemalloc.get_object_traceback(r)
        if tb is not None:
            return tb
    return None


_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__", "__call__"})


def _site(tb: tracemalloc.Traceback) -> Optional[tuple[str, int]]:
    """The frame that made the object: the most recent one in the program's
    own code (not the stdlib, not leakhunt), and not a constructor, where
    the caller that asked for the object says more."""
    every = list(tb)
    if every and os.path.abspath(every[-1].filename).startswith(_PACKAGE_DIR + os.sep):
        return None  # made by leakhunt itself while looking
    frames = [f for f in reversed(every) if not _in_library(f.filename)]  # newest first
    for f in frames:
        if _function_at(f.filename, f.lineno) not in _CONSTRUCTORS:
            return f.filename, f.lineno
    if frames:
        return frames[0].filename, frames[0].lineno
    return (every[-1].filename, every[-1].lineno) if every else None


_FUNCS: dict[str, list[tuple[int, int, str]]] = {}


def _function_at(filename: str, lineno: int) -> Optional[str]:
    """The innermost function (or class) defined around ``filename:lineno``,
    read from the source with ``ast`` (tracemalloc frames have no names)."""
    spans = _FUNCS.get(filename)
    if spans is None:
        spans = []
        try:
            with open(filename, "rb") as f:
                tree = ast.parse(f.read())
        except (OSError, SyntaxError, ValueError):
            tree = None
        if tree is not None:
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    end = getattr(node, "end_lineno", None) or node.lineno
                    spans.append((node.lineno, end, node.name))
        _FUNCS[filename] = spans
    inner = [s for s in spans if s[0] <= lineno <= s[1]]
    if not inner:
        return None
    return max(inner, key=lambda s: s[0])[2]


def _display_path(filename: str) -> str:
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def _trace_sites(
    fn: Callable[[], Any], leaks: Sequence[Leak], gn: Optional[HeapGraph], calls: int
) -> dict[str, str]:
    """Call ``fn`` ``calls`` times under tracemalloc, then name, per leaked
    type, the most common allocation site of its objects made during those
    calls and still alive (the leaked ones, once the gc has run).

    Tracked objects are found in ``gc.get_objects()``; untracked ones (str,
    float, dicts of atoms...) among the referents of the new objects and of
    the containers known to grow."""
    wanted = {x.type_name for x in leaks if x.kind != "container" or x.per_iteration > 0}
    if not wanted:
        return {}
    # The growing containers are old (their new items have traces): find them
    # before tracing, which would trace every int that id() makes.
    holders: list[Any] = []
    if gn is not None:
        nodes = {v for x in leaks for v in x.nodes if x.kind == "container"}
        nodes.update(v for x in leaks for v in x.holders)
        ids = {gn.ids[v] for v in nodes}
        holders = [o for o in gc.get_objects() if id(o) in ids] if ids else []
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start(16)
    try:
        for _ in range(calls):
            fn()
        gc.collect()
        found = _traced_objects(wanted, holders)
        holders.clear()
        out: dict[str, str] = {}
        for name, objs in found.items():
            site = _common_site(objs)
            objs.clear()
            if site is not None:
                out[name] = site
        return out
    finally:
        if started:
            tracemalloc.stop()


def _traced_objects(wanted: set[str], holders: list[Any], limit: int = 200) -> dict[str, list[Any]]:
    raw_tb = _tracemalloc_raw  # None or raw frames; no Traceback object per object
    name_of = capture.type_name
    found: dict[str, list[Any]] = {n: [] for n in wanted}
    fresh: list[Any] = []
    fallback: list[Any] = []
    names: dict[type, Optional[str]] = {}  # type -> its name when wanted, else None
    objs = gc.get_objects()
    for o in reversed(objs):  # the gc appends survivors: newest last
        tp = type(o)
        if tp not in names:
            names[tp] = None if issubclass(tp, type) or name_of(tp) not in found else name_of(tp)
        name = names[tp]
        if raw_tb(o) is not None:
            fresh.append(o)
            if name is not None and len(found[name]) < limit:
                found[name].append(o)
        elif name is not None:
            if _preheader_traceback(o) is not None:
                fresh.append(o)
                if len(found[name]) < limit:
                    found[name].append(o)
            elif len(fallback) < limit * 10:
                fallback.append(o)  # from a free list, made before tracing: no trace
    names.clear()
    fresh.extend(holders)
    objs.clear()
    for o in fallback:
        name = name_of(type(o))
        if len(found[name]) < limit and _traceback_of(o) is not None:
            found[name].append(o)
    fallback.clear()
    # untracked objects: reachable from the new objects, a few hops down
    untracked = {n for n in wanted if len(found[n]) < limit}
    if untracked:
        seen: set[int] = set()
        layer = fresh
        for _ in range(3):
            nxt: list[Any] = []
            for o in layer:
                refs = gc.get_referents(o)
                if isinstance(o, dict):  # the gc does not visit str keys
                    refs.extend(dict.keys(o))
                for r in refs:
                    i = id(r)
                    if i in seen or isinstance(r, type) or gc.is_tracked(r):
                        continue
                    seen.add(i)
                    nxt.append(r)
                    name = name_of(type(r))
                    if name in untracked and len(found[name]) < limit and raw_tb(r) is not None:
                        found[name].append(r)
            layer = nxt
            if len(seen) > 500_000:
                break
        layer = []
    fresh.clear()
    return found


def _common_site(objs: list[Any]) -> Optional[str]:
    """The most common allocation site of ``objs``, as ``file:line in func()``."""
    sites: Counter[tuple[str, int]] = Counter()
    for obj in objs:
        tb = _traceback_of(obj)
        site = _site(tb) if tb is not None else None
        if site is not None:
            sites[site] += 1
    if not sites:
        return None
    (filename, lineno), _ = sites.most_common(1)[0]
    func = _function_at(filename, lineno)
    where = f"{_display_path(filename)}:{lineno}"
    return f"{where} in {func}()" if func else where
