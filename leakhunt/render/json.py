"""JSON for machines: one object per report, raw numbers (bytes as integers,
times as Unix seconds), keys in a stable order.

A diff looks like ``{"a": {...}, "b": {...}, "seconds_between", "rss_delta",
"count_delta", "size_delta", "selection": {...}, "types": [...], "omitted"}``;
``rss`` and ``rss_delta`` are ``null`` where the platform could not say.

When both snapshots carry an object graph, each grown type also has
``"retainers"``: one object per path cluster that grew, ``{"count_a",
"count_b", "size_a", "size_b", "path", "container", "retained"}`` with
``path`` root first (``null``: held outside Python, no referrer that Python
can see), ``container`` ``{"type", "path", "length_a", "length_b", "unit"}``
or ``null``, ``retained`` in bytes or ``null``; and ``"retainers_omitted"``,
the clusters cut by the per-type limit. Each cluster carries its number
``"cluster"`` (1 = biggest: ``leakhunt graph A B --type T --cluster N``
draws it), and each row ``"new"``, ``"deleted"`` (counts) and
``"new_size"``, ``"deleted_size"`` (bytes): objects matched by (address,
type, size), lower bounds (an object replaced at the same address by one of
the same type and size counts as neither).
"""

from __future__ import annotations

import json
import math
from typing import Any, Optional

from ..model import ClusterGrowth, ContainerGrowth, TypeDelta
from ..views import DiffView, InspectView, SideView

__all__ = [
    "cluster_to_dict",
    "container_to_dict",
    "diff_to_dict",
    "inspect_to_dict",
    "render_diff_json",
    "render_inspect_json",
]


def _finite(x: float) -> Optional[float]:
    # a file may say NaN or Infinity (Python's json reads them); strict JSON cannot
    return x if math.isfinite(x) else None


def _side(s: SideView) -> dict[str, Any]:
    return {
        "label": s.label,
        "display_label": s.display_label,
        "seq": s.seq,
        "wall_time": _finite(s.wall_time),
        "path": s.path,
        "pid": s.pid,
        "rss": s.rss,
        "total_count": s.total_count,
        "total_size": s.total_size,
    }


def container_to_dict(k: ContainerGrowth) -> dict[str, Any]:
    """The container that grew (schema ``$defs/container``)."""
    return {
        "type": k.type_name,
        "path": k.path_text,
        "length_a": k.length_a,
        "length_b": k.length_b,
        "unit": k.unit,
    }


def cluster_to_dict(c: ClusterGrowth) -> dict[str, Any]:
    """A retainer-path cluster that grew (schema ``$defs/cluster``): the
    same object in ``leakhunt diff`` and ``leakhunt hunt`` output."""
    return {
        "count_a": c.count_a,
        "count_b": c.count_b,
        "size_a": c.size_a,
        "size_b": c.size_b,
        "path": c.path_text,
        "container": None if c.container is None else container_to_dict(c.container),
        "retained": c.retained,
    }


def _type_row(view: DiffView, r: TypeDelta) -> dict[str, Any]:
    row: dict[str, Any] = {
        "type": r.name,
        "count_a": r.count_a,
        "count_b": r.count_b,
        "count_delta": r.count_delta,
        "size_a": r.size_a,
        "size_b": r.size_b,
        "size_delta": r.size_delta,
    }
    change = view.churn_of(r.name)
    if change is not None:
        row["new"] = change.new
        row["new_size"] = change.new_size
        row["deleted"] = change.deleted
        row["deleted_size"] = change.deleted_size
    retention = view.retention_of(r.name)
    if retention is not None:
        row["retainers"] = [
            {**cluster_to_dict(c), "cluster": k} for k, c in enumerate(retention.clusters, 1)
        ]
        row["retainers_omitted"] = retention.omitted
    return row


def diff_to_dict(view: DiffView) -> dict[str, Any]:
    """The JSON document for a diff view, as plain Python values."""
    return {
        "a": _side(view.a),
        "b": _side(view.b),
        "seconds_between": _finite(view.seconds_between),
        "rss_delta": view.rss_delta,
        "count_delta": view.count_delta,
        "size_delta": view.size_delta,
        "selection": {
            "sort": view.sort,
            "top": view.top,
            "min_count": view.min_count,
            "all": view.include_shrinking,
            "types": list(view.types),
            "modules": list(view.modules),
        },
        "types": [_type_row(view, r) for r in view.rows],
        "omitted": view.omitted,
    }


def inspect_to_dict(view: InspectView) -> dict[str, Any]:
    """The JSON document for an inspect view, as plain Python values."""
    return {
        "label": view.label,
        "display_label": view.display_label,
        "seq": view.seq,
        "wall_time": _finite(view.wall_time),
        "path": view.path,
        "pid": view.pid,
        "python": view.python_version,
        "platform": view.platform,
        "leakhunt": view.leakhunt_version,
        "format_version": view.format_version,
        "walker": view.walker,
        "capture_seconds": _finite(view.capture_seconds),
        "rss": view.rss,
        "peak_rss": view.peak_rss,
        "gc_collections": list(view.gc_collections),
        "tracemalloc": (
            None
            if view.tracemalloc_current is None
            else {"current": view.tracemalloc_current, "peak": view.tracemalloc_peak}
        ),
        "total_count": view.total_count,
        "total_size": view.total_size,
        "selection": {"sort": view.sort, "top": view.top},
        "types": [{"type": r.name, "count": r.count, "size": r.size} for r in view.rows],
        "omitted": view.omitted,
    }


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_diff_json(view: DiffView) -> str:
    """The diff as one JSON object (see the module docstring)."""
    return _dump(diff_to_dict(view))


def render_inspect_json(view: InspectView) -> str:
    """One snapshot's header and biggest types as one JSON object."""
    return _dump(inspect_to_dict(view))
