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
   accumulating container (:func:`leakhunt.analysis.growth.explain_growth`), and
   where the new objects were allocated (tracemalloc, started before the
   warm-up when not already tracing, and stopped again afterwards).
6. The hard cases (issue 12): a type whose bytes grow while its count does
   not is traced to the holder whose object was replaced by a bigger one
   (:mod:`.replaced`); objects no root reaches are told from the holder the
   interpreter keeps and its registry (:mod:`.registries`); modules new in
   ``sys.modules`` are growth of that container (:mod:`.modules`); growth
   held by a container that declares a bound it has not reached is a cache
   still filling (:mod:`.bounds`); and every growing container is
   confirmed by its own length over ``max(3, iterations // 2)`` more calls,
   so that a one-off step (a lazy import) is not a leak.

Nothing of the hunt is counted: its state lives in owned objects
(:func:`leakhunt.model.owned`). The objects an action leaks are never
touched beyond the gc's own traversal and tracemalloc's lookup.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Optional

from .. import capture
from ..capture.holders import atexit_count
from ..model import ContainerGrowth, Snapshot, owned
from ..model.hunt import AllocationSite, BoundedGrowth, HuntResult, Leak, WarmupGrowth
from .bounds import judge_bounds
from .explain import Explained, container_key, explain, growing_containers, ranked
from .modules import module_registry, through_modules
from .registries import held_from_c, in_registry
from .replaced import replaced_objects
from .sites import trace_sites
from .steps import without_steps
from .verdict import SeriesVerdict, classify

__all__ = [
    "AllocationSite",
    "BoundedGrowth",
    "HuntResult",
    "Leak",
    "SeriesVerdict",
    "WarmupGrowth",
    "classify",
    "hunt",
]

Progress = Callable[[str], None]


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
        self.atexit: tuple[Optional[int], Optional[int]] = (None, None)


def _take(graph: bool, keys: str = "namespaces") -> Snapshot:
    return capture.take_snapshot("hunt", collect=True, graph=graph, keys=keys)


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
    keys: str = "namespaces",
) -> HuntResult:
    """Call ``fn()`` ``warmup`` times, then ``iterations`` times with a
    snapshot after each call, and report what leaks.

    ``trace`` records allocation sites with tracemalloc (started for the
    hunt and stopped afterwards, unless it was already tracing); ``graph``
    captures two object graphs for retainer paths and container watching
    (needs the compiled walker); ``keep_graph`` keeps the last one in the
    result, to draw the leaks. ``progress`` is called with a short line
    before each step. ``keys`` says which dict keys retainer paths may show
    (:data:`leakhunt.capture.KEY_MODES`: by default only names of module
    globals and attributes; "names" adds identifier-shaped keys of any
    dict; "all" every key). Exceptions from ``fn`` propagate: a hunt of a failing
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
    run.g0 = _take(graph, keys)
    first = atexit_count()
    for i in range(iterations):
        say(f"call {i + 1}/{iterations}")
        fn()
        run.snaps = (*run.snaps, _take(graph and i == iterations - 1, keys))
    run.gn = run.snaps[-1]
    run.atexit = (first, atexit_count())
    say("analysing")
    result = _analyse(run, name, iterations, warmup, trace, graph, t0)
    result = without_steps(fn, result, run.gn.graph if run.gn is not None else None, say)
    if trace and result.leaks:
        # Tracing is off while measuring (it slows every allocation, leakhunt's
        # own walk included); a few more calls under tracemalloc show where the
        # leaked objects come from.
        rate = min((x.per_iteration for x in result.leaks if x.per_iteration > 0), default=1.0)
        calls = max(2, min(10, math.ceil(1 / rate)))
        say(f"{calls} traced calls for allocation sites")
        sites = trace_sites(fn, result.leaks, run.gn.graph, calls)
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
    found: list[tuple[str, SeriesVerdict, list[int], list[int]]] = []
    # Types whose objects grow in place (a list's capacity, a bytearray),
    # judged on bytes where a step is at least one pointer: only a growing
    # container found in the graphs can confirm one (a dict or list that
    # over-allocates once is noise), and then lends it this verdict.
    in_place: dict[str, SeriesVerdict] = {}
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
    explained: dict[str, Explained] = {}
    containers: list[ContainerGrowth] = []
    notes: list[str] = []
    if g0 is not None and gn is not None:
        explained = explain(g0, gn, [f[0] for f in found])
        containers = growing_containers(g0, gn, iterations)
    elif graph:
        notes.append("no object graph was captured: retainer paths are unknown")

    leaks: list[Leak] = []
    named: set[tuple[str, str]] = set()
    none = Explained((), None, (), ())
    for n, v, counts, sizes in found:
        ex = explained.get(n, none)
        if ex.container is not None:
            named.add(container_key(ex.container))
        leaks.append(
            Leak(
                type_name=n,
                kind="objects",
                per_iteration=round((counts[-1] - counts[0]) / iterations, 3),
                bytes_per_iteration=round((sizes[-1] - sizes[0]) / iterations, 1),
                grew_in=v.grew_in,
                steps=v.steps,
                confidence=v.confidence,
                clusters=ex.clusters,
                container=ex.container,
                allocated_at=None,
                counts=tuple(counts),
                sizes=tuple(sizes),
                nodes=ex.members,
                holders=ex.holders,
            )
        )
    if gn is not None:
        leaks = held_from_c(leaks, gn, run.atexit, iterations)
    registry = module_registry(g0, gn) if g0 is not None and gn is not None else None
    if registry is not None and "module" in leaking:
        named.add(container_key(registry.container))
        leaks = [through_modules(x, registry) for x in leaks]
    for k in containers:
        tname = k.type_name
        if container_key(k) in named:
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
                clusters=(),
                container=k,
                allocated_at=None,
                counts=tuple(counts),
                sizes=tuple(sizes),
                items_per_iteration=round(k.delta / iterations, 3),
                nodes=(k.node,),
            )
        )
    if g0 is not None and gn is not None:
        told = {container_key(x.container) for x in leaks if x.container is not None}
        for tname, vb in sorted(in_place.items()):
            counts, sizes = series[tname]
            for r in replaced_objects(g0, gn, tname, sizes[-1] - sizes[0]):
                if (tname, r.path_text) in named | told:
                    continue  # a container already told as the holder of a leak
                leaks.append(
                    Leak(
                        type_name=tname,
                        kind="container",
                        per_iteration=0.0,
                        bytes_per_iteration=round((r.length_b - r.length_a) / iterations, 1),
                        grew_in=vb.grew_in,
                        steps=vb.steps,
                        confidence=vb.confidence,
                        clusters=(),
                        container=ContainerGrowth(
                            tname, r.path_text, r.length_a, r.length_b, "bytes", r.node
                        ),
                        allocated_at=None,
                        counts=tuple(counts),
                        sizes=tuple(sizes),
                        nodes=(r.node,),
                        holders=(r.holder,),
                        holder_type=r.holder_type,
                    )
                )
    leaks = [in_registry(x) for x in leaks]
    filling: list[BoundedGrowth] = []
    if gn is not None:
        leaks, filling = judge_bounds(leaks, gn)
    leaks = ranked(leaks)
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
        bounded=tuple(filling),
    )
