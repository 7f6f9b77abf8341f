"""What accounts for growth between two graphs: the retainer-path clusters
whose count grew (ClusterGrowth), the container that accumulates them
(ContainerGrowth), per type (TypeRetention). Computed by
:func:`leakhunt.analysis.growth.explain_growth`; shown by ``leakhunt diff``,
``leakhunt report`` and ``leakhunt hunt`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from .heapgraph import MEMBERS_CAP, Cluster, RetainerPath
from .owned import owned

__all__ = ["ClusterGrowth", "ContainerGrowth", "TypeChurn", "TypeRetention", "Unit"]

Unit = Literal["items", "bytes"]


@owned
@dataclass(frozen=True)
class ContainerGrowth:
    """The container that accumulates a cluster's objects.

    ``path_text`` is its path in B, root first, with the exact labels
    (``module app.cache -> ._SESSIONS``). ``length_a`` and ``length_b`` count
    ``unit``: ``"items"`` (``len()``), or ``"bytes"`` of shallow size when a
    graph has no lengths. ``length_a`` is 0 when A had no such container.
    """

    type_name: str
    path_text: str
    length_a: int
    length_b: int
    unit: Unit = "items"
    #: the container's node in B
    node: int = field(default=-1, compare=False, repr=False)

    @property
    def delta(self) -> int:
        """How much the container grew, in ``unit``."""
        return self.length_b - self.length_a


@owned
@dataclass(frozen=True)
class ClusterGrowth:
    """The objects of one type whose shortest retainer paths share one
    ``signature``, counted in A and in B.

    ``path_text`` is the representative path in B, root first, indices and
    per-object keys masked (``module app -> ._CACHE -> [*] -> Session``), or
    None when no root reaches the objects (held outside Python).
    ``retained`` is the bytes freed in B if all ``count_b`` objects became
    unreachable (None: not computed, or unreachable). ``container`` names
    the container that accumulates them, when one grew.
    """

    signature: tuple[str, ...]
    count_a: int
    count_b: int
    size_a: int
    size_b: int
    retained: Optional[int]
    path_text: Optional[str]
    container: Optional[ContainerGrowth]
    #: up to 200 of the cluster's nodes in B, spread evenly over its members
    #: (to draw it, and for allocation sites: :func:`leakhunt.hunt.hunt`)
    sample: tuple[int, ...] = field(default=(), compare=False, repr=False)
    #: the representative path in B (exact labels), None when unreachable
    path: Optional[RetainerPath] = field(default=None, compare=False, repr=False)
    #: when asked for (``explain_growth(..., fresh=...)``): how many of the
    #: cluster's objects are new in B, and their bytes; the sample and the
    #: path are then taken from those only. None: not asked, or none new.
    new_count: Optional[int] = field(default=None, compare=False, repr=False)
    new_size: Optional[int] = field(default=None, compare=False, repr=False)

    def cluster(self) -> Cluster:
        """This growth as a :class:`Cluster` of B (to draw it): all of its
        objects counted (only the new ones when ``new_count`` is known),
        its sample as members."""
        representative = self.path
        if representative is None:
            representative = RetainerPath.unreachable(self.sample[0] if self.sample else 0)
        return Cluster(
            signature=self.signature,
            count=self.count_b if self.new_count is None else self.new_count,
            size=self.size_b if self.new_size is None else self.new_size,
            retained=self.retained,
            representative=representative,
            members=self.sample[:MEMBERS_CAP],
        )

    @property
    def reachable(self) -> bool:
        """False when no Python root reaches the objects."""
        return self.path_text is not None

    @property
    def count_delta(self) -> int:
        return self.count_b - self.count_a

    @property
    def size_delta(self) -> int:
        return self.size_b - self.size_a


@owned
@dataclass(frozen=True)
class TypeRetention:
    """The clusters that account for one type's growth, biggest growth in
    bytes first. ``omitted`` clusters grew too but were cut by
    ``max_clusters``; ``omitted_count`` is their summed count growth."""

    name: str
    clusters: tuple[ClusterGrowth, ...]
    omitted: int = 0
    omitted_count: int = 0


@owned
@dataclass(frozen=True)
class TypeChurn:
    """Objects of one type created and freed between two graph snapshots
    (DevTools' Comparison view): ``new`` objects of B that were not in A,
    ``deleted`` objects of A that are gone from B, with their bytes.

    CPython reuses a freed address at once, so objects are matched by
    (address, type, size): an object freed and replaced at the same address
    by one of the same type and size counts as neither. ``new`` and
    ``deleted`` are therefore lower bounds, exact when no address was
    reused that way; ``new - deleted`` is always the count delta.
    """

    name: str
    new: int
    deleted: int
    new_size: int
    deleted_size: int
