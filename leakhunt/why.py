"""``leakhunt.why(obj)``: what keeps one live object alive, right now.

Takes a graph snapshot of the live heap (in memory), finds ``obj`` in it
and returns the shortest path from a root to it. The caller's own frame is
a probe, not a retainer: its local variables holding ``obj`` are ignored.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Optional

from . import capture, dominators, retainers
from ._graphcap import node_of
from .model import HELD_OUTSIDE, NO_PATH, HeapGraph, RetainerPath, owned

__all__ = ["Why", "why"]


@owned
@dataclass(frozen=True)
class Why:
    """Why one object is alive.

    ``path`` is the shortest retainer path (root first) or None when no
    Python-level root reaches the object; ``text`` says it in one line;
    ``retained`` is the number of bytes that would be freed if the object
    became unreachable (its dominator subtree), when asked for
    (``why(obj, retained=True)``: a dominator tree of the whole heap, the
    slow part), else None.
    """

    type_name: str
    size: int
    path: Optional[RetainerPath]
    text: str
    retained: Optional[int]
    referrers: tuple[str, ...]

    def __str__(self) -> str:
        return self.text


def _referrers(g: HeapGraph, node: int, limit: int = 10) -> tuple[str, ...]:
    """Who refers to ``node``, as "label (of a TYPE)": a scan of the edge
    array in C (array.index), cheaper than a reverse index for one node."""
    out: list[str] = []
    pos = 0
    targets, offsets = g.targets, g.offsets
    while len(out) < limit:
        try:
            pos = targets.index(node, pos)
        except ValueError:
            break
        src = bisect_right(offsets, pos) - 1
        out.append(f"{g.label_names[g.labels[pos]]} (of a {g.type_name(src)})")
        pos += 1
    return tuple(out)


def _c_holders() -> str:
    """Registries the interpreter keeps in C and cannot list, but can count."""
    try:
        import atexit

        n = int(atexit._ncallbacks())
    except (ImportError, AttributeError, TypeError, ValueError):
        return ""
    return f"{n} atexit callback{'s' if n != 1 else ''} registered" if n else ""


def why(obj: Any, *, max_depth: Optional[int] = None, retained: bool = False) -> Why:
    """The shortest path from a root (a module, a thread's frame) to ``obj``.

    >>> import leakhunt, sys, types
    >>> app = sys.modules["app_cache"] = types.ModuleType("app_cache")
    >>> app._SESSIONS = {"u42": [1, 2, 3]}
    >>> leakhunt.why(app._SESSIONS["u42"]).text
    "module app_cache -> ._SESSIONS -> ['u42'] -> list"
    >>> del sys.modules["app_cache"]
    """
    caller = sys._getframe(1)
    try:
        g = capture.live_graph("why", caller)
    finally:
        del caller
    node = node_of(g, id(obj))
    if node is None:
        name = capture.type_name(type(obj))
        return Why(
            name, 0, None, f"{name}: not found on the heap (leakhunt's own object?)", None, ()
        )
    path = retainers.shortest_paths(g, [node], max_depth=max_depth).get(node)
    kept: Optional[int] = None
    if retained:
        kept = dominators.retained_size_of(g, [node], dominators.immediate_dominators(g))
    referrers = () if path is not None and path.reachable else _referrers(g, node)
    name = g.type_name(node)
    if path is None or not path.reachable or path.root == NO_PATH:
        text = f"{name}: {HELD_OUTSIDE}"
        if referrers:
            text += f" (referred to only by: {', '.join(referrers)})"
        hint = _c_holders() if referrers else ""
        if hint:  # something holds it, and nothing Python can see holds that
            text += f"; likely holder: {hint}"
        return Why(name, int(g.sizes[node]), None, text, kept, referrers)
    return Why(name, int(g.sizes[node]), path, path.text(g), kept, referrers)
