"""The HTML page of a hunt: :func:`hunt_report` turns a
:class:`~leakhunt.model.hunt.HuntResult` into an
:class:`~leakhunt.render.html.HtmlReport` (what ``leakhunt hunt --html``
writes): the verdict, one entry per leak with its retainer paths, growing
container, allocation site, the count after each call and, when the hunt
kept its last object graph, the referrer graph drawn by Graphviz.

>>> from leakhunt.model import ClusterGrowth
>>> from leakhunt.model.hunt import AllocationSite, HuntResult, Leak
>>> held = ClusterGrowth(("module app",), 0, 100, 0, 19460, None,
...     "module app -> ._ROWS -> [*] -> dict", None)
>>> leak = Leak("dict", "objects", 10.0, 1946.0, 10, 10, 1.0, (held,), None,
...     AllocationSite("app.py", 3, "handle"))
>>> page = hunt_report(HuntResult("app.py:action", 10, 3, (leak,), (), None, None, 1.5, True, True))
>>> page.verdict_kind, page.verdict
('leak', '1 leak in app.py:action: dict +10 per call.')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from ..analysis.graph_view import retainer_graph
from ..model.hunt import HuntResult, Leak
from .dot import render_dot
from .html import HtmlReport, LeakEntry
from .svg import SvgError, graphviz_svg
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

__all__ = ["hunt_report"]

Drawer = Callable[[str], Optional[str]]


def _rate(leak: Leak) -> str:
    if leak.kind == "container" and not leak.per_iteration:
        return f"{fmt_rate(leak.items_per_iteration)} items per call"
    return f"{fmt_rate(leak.per_iteration)} per call"


def _verdict_text(leak: Leak) -> str:
    if leak.holder_type:
        return f"one object replaced by a bigger one, grew in {leak.grew_in} of {leak.steps} calls"
    if leak.kind == "container":
        rate = fmt_rate(leak.items_per_iteration, signed=False)
        return f"one container grows by {rate} items per call"
    return f"grew in {leak.grew_in} of {leak.steps} calls (confidence {leak.confidence:.0%})"


def _paths(leak: Leak) -> tuple[str, ...]:
    """Each retainer path; for objects no root reaches, what holds them
    from C and the partial path from it; the registry a path goes through."""
    out: list[str] = []
    for p in leak.paths:
        if p is None and leak.held_by is not None:
            out.append(f"{held_by_sentence(leak.held_by)}: {leak.held_by.path_text}")
        else:
            out.append(p if p is not None else HELD_OUTSIDE)
    if leak.registry:
        out.append(f"registry: {leak.registry}")
    return tuple(out)


def _container(leak: Leak, calls: int) -> Optional[str]:
    if leak.container is None:
        return None
    if leak.holder_type:
        text = replaced_sentence(leak.container, leak.holder_type, calls=calls)
    else:
        text = container_sentence(leak.container, calls=calls)
    if leak.bound is not None:
        text += f"; {bound_sentence(leak.bound)}"
    return text


def _graph(result: HuntResult, leak: Leak, draw: Drawer) -> Optional[str]:
    graph = result.final_graph
    if graph is None or not leak.nodes:
        return None
    view = retainer_graph(graph, list(leak.nodes), max_depth=10, max_nodes=40)
    try:
        return draw(render_dot(view))
    except SvgError:
        return None


def hunt_report(
    result: HuntResult, *, draw: Drawer = graphviz_svg, max_graphs: int = 10
) -> HtmlReport:
    """The page of ``result``; ``draw`` renders DOT as SVG (None: no Graphviz)."""
    leaks = []
    for i, leak in enumerate(result.leaks):
        svg = _graph(result, leak, draw) if i < max_graphs else None
        leaks.append(
            LeakEntry(
                type_name=leak.type_name,
                count_per_iteration=leak.per_iteration,
                bytes_per_iteration=leak.bytes_per_iteration,
                verdict=_verdict_text(leak),
                retainer_paths=_paths(leak),
                container=_container(leak, result.iterations),
                allocation_site=None if leak.allocated_at is None else str(leak.allocated_at),
                graph_svg=svg,
                counts=leak.counts,
            )
        )
    n = len(result.leaks)
    if n:
        first = result.leaks[0]
        verdict = (
            f"{n} leak{'s' if n != 1 else ''} in {result.target}: {first.type_name} {_rate(first)}."
        )
    else:
        verdict = f"No leak in {result.target}."
    facts = [
        ("target", result.target),
        ("calls", f"{result.warmup} warm-up + {result.iterations} measured"),
        ("time", f"{result.seconds:.1f} s"),
    ]
    if result.rss_before is not None and result.rss_after is not None:
        facts.append(("RSS change", fmt_bytes(result.rss_after - result.rss_before, signed=True)))
    top = tuple(
        (x.type_name, f"{_rate(x)}, {fmt_bytes(round(x.bytes_per_iteration), signed=True)}/call")
        for x in result.leaks[:5]
    )
    notes = list(result.notes)
    warm = [w for w in result.warmup_only if w.when == "warm-up"]
    filled = [w for w in result.warmup_only if w.when == "bounded"]
    if warm:
        notes.append(
            "grew during warm-up only: "
            + ", ".join(f"{w.type_name} {fmt_count(w.count, signed=True)}" for w in warm[:10])
        )
    if filled:
        notes.append(
            "grew, then stopped (bounded): "
            + ", ".join(f"{w.type_name} {fmt_count(w.count, signed=True)}" for w in filled[:10])
        )
    return HtmlReport(
        title=f"leakhunt hunt: {result.target}",
        verdict_kind="leak" if n else "clean",
        verdict=verdict,
        facts=tuple(facts),
        top=top,
        leaks=tuple(leaks),
        notes=tuple(notes),
    )
