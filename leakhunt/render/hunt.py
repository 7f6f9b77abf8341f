"""A hunt's result as text for people and as one JSON object for programs.

>>> from leakhunt.model import ClusterGrowth, ContainerGrowth
>>> from leakhunt.model.hunt import AllocationSite, HuntResult, Leak
>>> rows = ContainerGrowth("list", "module report_rows -> ._ROWS", 0, 100)
>>> held = ClusterGrowth(("module report_rows",), 0, 100, 0, 19460, None,
...     "module report_rows -> ._ROWS -> [*] -> dict", rows)
>>> leak = Leak("dict", "objects", 10.0, 1946.0, 10, 10, 1.0, (held,), rows,
...     AllocationSite("scenarios/report_rows.py", 16, "parse_batch"))
>>> r = HuntResult("report_rows.py:action", 10, 3, (leak,), (), None, None, 1.5, True, True)
>>> print(render_hunt_text(r))  # doctest: +NORMALIZE_WHITESPACE
LEAK  dict  +10 per call (+1.9 KiB/call), grew in 10/10 calls
      held by: module report_rows -> ._ROWS -> [*] -> dict
      growing: the list at module report_rows -> ._ROWS grew by 100 items (0 to 100, 10/call)
      allocated at: scenarios/report_rows.py:16 in parse_batch()
<BLANKLINE>
1 leak in report_rows.py:action (3 warm-up calls, 10 measured calls, 1.5 s)
>>> import json
>>> leak_doc = json.loads(render_hunt_json(r))["leaks"][0]
>>> leak_doc["per_iteration"], leak_doc["container"]["length_b"]
(10.0, 100)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..model.hunt import BoundedGrowth, DeclaredBound, HuntResult, InterpreterHold, Leak
from .json import cluster_to_dict, container_to_dict
from .words import (
    HELD_OUTSIDE,
    bound_sentence,
    container_sentence,
    fmt_bytes,
    fmt_count,
    fmt_rate,
    held_by_sentence,
    replaced_sentence,
)

__all__ = ["hunt_to_dict", "render_hunt_json", "render_hunt_text"]

_INDENT = " " * 6
_UNKNOWN_SITE = (
    "unknown (none of the objects made in the traced calls has a traceback: "
    "CPython reuses them from a free list, which tracemalloc does not see)"
)


def _headline(leak: Leak) -> str:
    per_call = f"{fmt_bytes(round(leak.bytes_per_iteration), signed=True)}/call"
    grew = f"grew in {leak.grew_in}/{leak.steps} calls"
    if leak.kind == "objects":
        return f"{fmt_rate(leak.per_iteration)} per call ({per_call}), {grew}"
    if leak.holder_type:
        return f"{per_call} in one object replaced by a bigger one (no new objects), {grew}"
    items = f"{fmt_rate(leak.items_per_iteration)} items per call"  # one growing container
    objects = f", {fmt_rate(leak.per_iteration)} objects" if leak.per_iteration else ""
    return f"{items}{objects} ({per_call})"


def _leak_lines(
    result: HuntResult,
    leak: Leak,
    max_paths: int,
    max_evidence: int = 5,
    group: Sequence[Leak] = (),
) -> list[str]:
    lines = [f"LEAK  {leak.type_name}  {_headline(leak)}"]
    paths = leak.paths
    shown = paths[:max_paths]
    for path in shown:
        if path is None and leak.held_by is not None:
            lines.append(f"{_INDENT}held by: {held_by_sentence(leak.held_by)}")
            # the deepest path of the group: from the top holder through all it drags
            deepest = max(
                (x.held_by for x in (leak, *group) if x.held_by is not None),
                key=lambda h: h.depth,
            )
            lines.append(f"{_INDENT}partial path: {deepest.path_text}")
            continue
        lines.append(f"{_INDENT}held by: {path if path is not None else HELD_OUTSIDE}")
    if len(paths) > len(shown):
        lines.append(f"{_INDENT}... and {len(paths) - len(shown)} more paths")
    if not paths and result.graph:
        lines.append(f"{_INDENT}held by: (no retainer path found)")
    if leak.registry:
        lines.append(f"{_INDENT}registry: {leak.registry}")
    if leak.container and leak.holder_type:
        sentence = replaced_sentence(leak.container, leak.holder_type, calls=result.iterations)
        lines.append(f"{_INDENT}growing: {sentence}")
    elif leak.container:
        sentence = container_sentence(leak.container, calls=result.iterations)
        lines.append(f"{_INDENT}growing: {sentence}")
    if leak.evidence:
        listed = ", ".join(leak.evidence[:max_evidence])
        more = (
            f" and {len(leak.evidence) - max_evidence} more"
            if len(leak.evidence) > max_evidence
            else ""
        )
        lines.append(f"{_INDENT}new: {listed}{more}")
    if leak.bound is not None:
        lines.append(f"{_INDENT}bound: {bound_sentence(leak.bound)}")
    if result.traced:
        lines.append(f"{_INDENT}allocated at: {leak.allocated_at or _UNKNOWN_SITE}")
    return lines


def _bounded_lines(result: HuntResult, max_types: int = 4) -> list[str]:
    """Steady growth held by a container still filling towards the bound it
    declares: one line per container, the types it holds after it."""
    by_holder: dict[tuple[str, str], list[BoundedGrowth]] = {}
    for g in result.bounded:
        by_holder.setdefault((g.bound.holder_type, g.bound.holder_path), []).append(g)
    lines = []
    for members in by_holder.values():
        held = ", ".join(
            f"{g.type_name} {fmt_rate(g.per_iteration)}/call" for g in members[:max_types]
        )
        more = f" and {len(members) - max_types} more" if len(members) > max_types else ""
        lines.append(f"not a leak: {bound_sentence(members[0].bound)}")
        lines.append(f"{_INDENT}grew during the measured calls: {held}{more}")
    return lines


def render_hunt_text(result: HuntResult, *, max_paths: int = 3, max_others: int = 6) -> str:
    """The leaks, most certain first, each with who holds it and where it was
    allocated; leaks through the same growing container are one cause, shown
    once with the other types it carries; then what grew only in warm-up.
    ``--format json`` lists every type (see :func:`hunt_to_dict`)."""
    lines: list[str] = []
    i = 0
    leaks = result.leaks
    while i < len(leaks):
        leak = leaks[i]
        j = i + 1
        while j < len(leaks) and leak.group and leaks[j].group == leak.group:
            j += 1
        others = leaks[i + 1 : j]
        lines.extend(_leak_lines(result, leak, max_paths, group=others))
        if others:
            held = ", ".join(
                f"{x.type_name} {fmt_rate(x.per_iteration)}" for x in others[:max_others]
            )
            more = f" and {len(others) - max_others} more types" if len(others) > max_others else ""
            total = sum(x.bytes_per_iteration for x in leaks[i:j])
            lines.append(
                f"{_INDENT}with it, per call: {held}{more} "
                f"({fmt_bytes(round(total), signed=True)}/call in all)"
            )
        i = j
    if result.leaks:
        lines.append("")
    lines.extend(_bounded_lines(result))
    bounded = result.warmup_only
    if bounded:
        warm = [w for w in bounded if w.when == "warm-up"]
        filled = [w for w in bounded if w.when == "bounded"]
        parts = []
        if warm:
            parts.append(
                f"{len(warm)} type{'s' if len(warm) != 1 else ''} grew during warm-up only"
            )
        steps = [w for w in bounded if w.when == "step"]
        if steps:
            parts.append(
                "grew in one step and not again: "
                + ", ".join(f"{w.type_name} {fmt_count(w.count, signed=True)}" for w in steps[:5])
            )
        if filled:
            parts.append(
                f"{len(filled)} grew and then stopped (bounded: "
                + ", ".join(f"{w.type_name} {fmt_count(w.count, signed=True)}" for w in filled[:5])
                + ")"
            )
        lines.append(("not leaks: " if result.leaks else "no leak: ") + "; ".join(parts))
    for note in result.notes:
        lines.append(f"note: {note}")
    n = len({x.group or -i for i, x in enumerate(result.leaks)})
    types = len(result.leaks)
    verdict = f"{n} leak{'s' if n != 1 else ''}" if n else "no leak"
    if types > n:
        verdict += f" ({types} growing types)"
    rss = ""
    if result.rss_before is not None and result.rss_after is not None:
        rss = f", RSS {fmt_bytes(result.rss_after - result.rss_before, signed=True)}"
    lines.append(
        f"{verdict} in {result.target} ({result.warmup} warm-up "
        f"call{'s' if result.warmup != 1 else ''}, "
        f"{result.iterations} measured calls, {result.seconds:.1f} s{rss})"
    )
    return "\n".join(lines) + "\n"


def _leak(leak: Leak) -> dict[str, Any]:
    return {
        "type": leak.type_name,
        "kind": leak.kind,
        "per_iteration": leak.per_iteration,
        "bytes_per_iteration": leak.bytes_per_iteration,
        "items_per_iteration": leak.items_per_iteration,
        "grew_in": leak.grew_in,
        "steps": leak.steps,
        "confidence": leak.confidence,
        "retainers": list(leak.paths),
        "clusters": [cluster_to_dict(c) for c in leak.clusters],
        "container": None if leak.container is None else container_to_dict(leak.container),
        "allocated_at": (
            None
            if leak.allocated_at is None
            else {
                "file": leak.allocated_at.filename,
                "line": leak.allocated_at.lineno,
                "function": leak.allocated_at.function,
                "text": str(leak.allocated_at),
            }
        ),
        "counts": list(leak.counts),
        "sizes": list(leak.sizes),
        "bound": None if leak.bound is None else _bound(leak.bound),
        "holder_type": leak.holder_type or None,
        "evidence": list(leak.evidence),
        "held_by": None if leak.held_by is None else _held_by(leak.held_by),
        "registry": leak.registry or None,
    }


def _held_by(h: InterpreterHold) -> dict[str, Any]:
    return {
        "registry": h.registry or None,
        "inferred": h.inferred,
        "basis": h.basis,
        "holder_type": h.holder_type,
        "path": h.path_text,
        "text": held_by_sentence(h),
    }


def _bound(b: DeclaredBound) -> dict[str, Any]:
    return {
        "holder": b.holder_path,
        "holder_type": b.holder_type,
        "attribute": b.attribute,
        "bound": b.bound,
        "fill": b.fill,
    }


def hunt_to_dict(result: HuntResult) -> dict[str, Any]:
    """The result as plain JSON data (see :func:`render_hunt_json`)."""
    return {
        "target": result.target,
        "iterations": result.iterations,
        "warmup": result.warmup,
        "leaks": [_leak(x) for x in result.leaks],
        "warmup_only": [
            {"type": w.type_name, "count": w.count, "bytes": w.size, "when": w.when}
            for w in result.warmup_only
        ],
        "rss_before": result.rss_before,
        "rss_after": result.rss_after,
        "seconds": result.seconds,
        "traced": result.traced,
        "graph": result.graph,
        "notes": list(result.notes),
        "bounded": [
            {
                "type": g.type_name,
                "per_iteration": g.per_iteration,
                "bytes_per_iteration": g.bytes_per_iteration,
                **_bound(g.bound),
            }
            for g in result.bounded
        ],
    }


def render_hunt_json(result: HuntResult) -> str:
    """Exactly one JSON object: ``leaks`` (ranked), ``warmup_only``,
    ``iterations`` and the run's facts."""
    return json.dumps(hunt_to_dict(result), indent=2, ensure_ascii=False) + "\n"
