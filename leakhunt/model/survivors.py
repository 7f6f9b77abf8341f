"""What ``leakhunt diff BASELINE TARGET --final FINAL`` finds: objects
allocated between baseline and target that are still alive in final
(memlab's question), clustered by retainer path, ranked by retained size.
Computed by :func:`leakhunt.analysis.survivors.find_survivors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .growth import ContainerGrowth
from .owned import owned

__all__ = ["SurvivorCluster", "Survivors"]


@owned
@dataclass(frozen=True)
class SurvivorCluster:
    """Objects of one path shape allocated between baseline and target and
    alive in final.

    ``count`` and ``size`` count the cluster's objects (for V8 files the
    topmost new objects: an object held through another new object is part
    of that one's ``retained``); ``more_after_target`` the objects at the
    same path allocated after target (the growth went on). ``container`` is
    the old container on the path that grew (``length_a`` in baseline,
    ``length_b`` in final); ``length_target`` its length in target.
    """

    type_name: str
    count: int
    size: int
    retained: Optional[int]
    path_text: Optional[str]
    more_after_target: int
    container: Optional[ContainerGrowth] = None
    length_target: Optional[int] = None
    #: the other types among the cluster's objects, as (name, count), biggest first
    also: tuple[tuple[str, int], ...] = ()


@owned
@dataclass(frozen=True)
class Survivors:
    """The clusters, biggest retained size first.

    ``exact`` is True when objects were matched by id across the three
    snapshots (V8 files: an object keeps its id for the life of the
    process); False for Python files, where ``id()`` is reused at once and
    counts per path are compared instead (an estimate). ``candidates``
    counts every object new in target and alive in final; ``settled`` the
    clusters left out because nothing more was added at their path after
    target (lazy initialisation, caches that filled once).
    """

    baseline: str
    target: str
    final: str
    exact: bool
    candidates: int
    clusters: tuple[SurvivorCluster, ...]
    settled: int = 0
