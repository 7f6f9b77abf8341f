"""What a hunt finds, as values: each Leak with the retainer clusters of its
new objects and the container that accumulates them (the same
:class:`ClusterGrowth` and :class:`ContainerGrowth` that ``leakhunt diff``
reports), where its objects were allocated, and what grew but stopped.
Sentences are the renderers' job (:mod:`leakhunt.render.hunt`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Optional

from .growth import ClusterGrowth, ContainerGrowth
from .owned import owned

if TYPE_CHECKING:
    from .heapgraph import HeapGraph

__all__ = [
    "AllocationSite",
    "BoundedGrowth",
    "DeclaredBound",
    "Basis",
    "HuntResult",
    "InterpreterHold",
    "Kind",
    "Leak",
    "WarmupGrowth",
]

Kind = Literal["objects", "container"]


@owned
@dataclass(frozen=True)
class AllocationSite:
    """Where the leaked objects were made: the newest frame of the
    program's own code (``filename`` relative to the working directory when
    below it), and the function around that line when the source says."""

    filename: str
    lineno: int
    function: Optional[str] = None

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}"
        return f"{where} in {self.function}()" if self.function else where


@owned
@dataclass(frozen=True)
class DeclaredBound:
    """A bound a growing container declares at run time, read from the
    container (a deque's ``maxlen``, an ``lru_cache``'s ``maxsize``) or from
    the object that owns it (an attribute such as ``maxsize``): ``fill`` is
    how many items the container holds now."""

    holder_type: str
    holder_path: str
    attribute: str
    bound: int
    fill: int

    @property
    def exceeded(self) -> bool:
        return self.fill > self.bound


#: How the registry of an object held from C was told: by an object the
#: standard library registers in the same list ("marker"), by the growth of
#: atexit's callback count ("atexit_count", inferred), or not at all: an
#: interpreter-held list ("list") or nothing Python can see ("none").
Basis = Literal["marker", "atexit_count", "list", "none"]


@owned
@dataclass(frozen=True)
class InterpreterHold:
    """What holds a leak's objects from C: the ``registry`` (empty when
    unknown), how that was told (``basis``), the type of the top holder no
    Python object refers to, and the partial path from it to the objects
    (``depth`` edges). ``count`` is atexit's growth over ``calls`` calls."""

    registry: str
    basis: Basis
    holder_type: str
    path_text: str
    depth: int
    count: int = 0
    calls: int = 0

    @property
    def inferred(self) -> bool:
        return self.basis != "marker"


@owned
@dataclass(frozen=True)
class Leak:
    """One leak: a type whose objects (or bytes) grow call after call, or one
    container whose length does.

    ``per_iteration`` counts objects of ``type_name`` per call (0 for a
    container whose items are old objects); ``clusters`` are the retainer
    clusters of the new objects (biggest first; for a ``container`` leak,
    none: ``container`` says where); ``container`` names the accumulating
    container; ``allocated_at`` where the new objects were made, or None
    when tracemalloc could not say.
    """

    type_name: str
    kind: Kind
    per_iteration: float
    bytes_per_iteration: float
    grew_in: int
    steps: int
    confidence: float
    clusters: tuple[ClusterGrowth, ...]
    container: Optional[ContainerGrowth]
    allocated_at: Optional[AllocationSite]
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
    #: a bound the accumulating container declares and has grown past
    bound: Optional[DeclaredBound] = None
    #: for an object replaced each call by a bigger one (``container`` in
    #: bytes, at the attribute's path): the type of the object holding it
    holder_type: str = ""
    #: names that show the growth (the new modules of ``sys.modules``)
    evidence: tuple[str, ...] = ()
    #: what holds the objects from C, when no root reaches them
    held_by: Optional[InterpreterHold] = None
    #: the interpreter registry its retainer path goes through (sys.modules,
    #: gc.callbacks, threading's shutdown hooks...), "" for none
    registry: str = ""

    @property
    def paths(self) -> tuple[Optional[str], ...]:
        """The retainer path of each cluster, root first (indices and
        per-object keys masked); None for objects no root reaches."""
        if self.kind == "container" and self.container is not None:
            return (self.container.path_text,)
        return tuple(c.path_text for c in self.clusters)


@owned
@dataclass(frozen=True)
class WarmupGrowth:
    """A type that grew but stopped: during the warm-up calls, early in the
    measured calls and then not again (a cache that filled), or a container
    that grew in one step of the measured calls and not in the calls after
    (a lazy import)."""

    type_name: str
    count: int
    size: int
    when: Literal["warm-up", "bounded", "step"]


@owned
@dataclass(frozen=True)
class BoundedGrowth:
    """A type that grew steadily during the measured calls, held by a
    container that declares a bound it has not reached: a cache still
    filling, not a leak."""

    type_name: str
    per_iteration: float
    bytes_per_iteration: float
    bound: DeclaredBound


@owned
@dataclass(frozen=True)
class HuntResult:
    """What :func:`leakhunt.hunt` found. ``leaks`` are ranked by confidence,
    then by bytes per call; ``warmup_only`` lists growth that stopped.
    ``str()`` is the report a person reads (``leakhunt hunt``'s text)."""

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
    #: steady growth held by containers that declare a bound not yet reached
    bounded: tuple[BoundedGrowth, ...] = ()
    #: the object graph after the last call, when asked (``keep_graph``)
    final_graph: Optional[HeapGraph] = field(default=None, compare=False, repr=False)

    @property
    def leaked(self) -> bool:
        return bool(self.leaks)

    def leak(self, type_name: str) -> Optional[Leak]:
        """The leak of ``type_name``, if one was found."""
        return next((x for x in self.leaks if x.type_name == type_name), None)

    def __repr__(self) -> str:
        causes = len({x.group or -i for i, x in enumerate(self.leaks)})
        types = len(self.leaks)
        return (
            f"<HuntResult {self.target!r}: {causes} leak{'s' if causes != 1 else ''}, "
            f"{types} growing type{'s' if types != 1 else ''}, {self.iterations} calls>"
        )

    def __str__(self) -> str:
        from ..render.hunt import render_hunt_text

        return render_hunt_text(self)
