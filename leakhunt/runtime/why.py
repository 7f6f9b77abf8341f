"""What keeps live objects alive, right now: ``leakhunt.why(obj)`` says it
in words, ``leakhunt.show_retainers(obj, "out.svg")`` draws it (the live
twin of ``leakhunt graph``).

Each takes a graph snapshot of the live heap (in memory), finds ``obj`` in it
and returns the shortest path from a root to it. The caller's own frame is
a probe, not a retainer: its local variables holding ``obj`` are ignored.
"""

from __future__ import annotations

import os
import sys
import warnings
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Optional, Union

from .. import capture
from ..analysis import dominators, retainers
from ..capture.roots import node_of
from ..errors import LeakhuntError, LeakhuntWarning
from ..model import HELD_OUTSIDE, NO_PATH, HeapGraph, RetainerPath, owned

__all__ = ["Why", "show_retainers", "why"]


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


def why(
    obj: Any, *, max_depth: Optional[int] = None, retained: bool = False, keys: str = "names"
) -> Why:
    """The shortest path from a root (a module, a thread's frame) to ``obj``.

    ``keys`` says which dict keys the path shows: ``"names"`` (the default
    here: identifier-shaped keys, as ``['u42']``; other keys, which may be
    e-mails or tokens, read ``[<str>]``), ``"all"``, or ``"namespaces"``
    (only globals and attributes, as graph snapshot files hold). why()
    writes no file: its text goes where the caller puts it.

    >>> import leakhunt, sys, types
    >>> app = sys.modules["app_cache"] = types.ModuleType("app_cache")
    >>> app._SESSIONS = {"u42": [1, 2, 3]}
    >>> leakhunt.why(app._SESSIONS["u42"]).text
    "module app_cache -> ._SESSIONS -> ['u42'] -> list"
    >>> del sys.modules["app_cache"]
    """
    caller = sys._getframe(1)
    try:
        g = capture.live_graph("why", caller, keys=keys)
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


def show_retainers(
    obj_or_type: Any,
    path: Union[str, os.PathLike[str]],
    *,
    max_depth: int = 10,
    max_nodes: int = 60,
) -> str:
    """Draw what keeps ``obj_or_type`` alive into ``path`` and return the
    name of the file written.

    Given a class, every live instance of it is explained (similar ones as
    one node, with their count); given anything else, that one object. The
    format follows ``path``'s extension: ``.svg``, ``.png``, ``.pdf`` (these
    need Graphviz's ``dot`` program) or ``.dot``. Without ``dot`` the DOT
    source is written next to ``path`` instead, its name is returned, and a
    LeakhuntWarning says how to install Graphviz.

    Raises LeakhuntError when the object is not on the captured heap or no
    instance of the class is alive.
    """
    # Imported here, not at import time: drawing is not what most programs
    # that import leakhunt do (the import stays light), and by now the
    # capture below comes after these imports, so they are not growth.
    from ..analysis.graph_view import node_with_id, nodes_of_type, retainer_graph
    from ..outputs import write_graph
    from ..render.dot import render_dot

    caller = sys._getframe(1)
    try:
        graph = capture.live_graph("show_retainers", caller)
    finally:
        del caller
    if issubclass(type(obj_or_type), type):  # not isinstance: no user __class__
        name = capture.type_name(obj_or_type)
        targets = nodes_of_type(graph, name)
        if not targets:
            raise LeakhuntError(f"no live object of type {name} on the heap")
    else:
        node = node_with_id(graph, id(obj_or_type))
        if node is None:
            name = capture.type_name(type(obj_or_type))
            raise LeakhuntError(
                f"{name} at {id(obj_or_type):#x} is not on the captured heap "
                "(leakhunt's own object, or created during the capture)"
            )
        targets = [node]
    view = retainer_graph(graph, targets, max_depth=max_depth, max_nodes=max_nodes)
    written, message = write_graph(render_dot(view), path)
    if message is not None:
        warnings.warn(LeakhuntWarning(f"leakhunt: {message}"), stacklevel=2)
    return written
