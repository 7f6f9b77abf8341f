"""Where leaked objects were made: a few more calls of the action under
tracemalloc, then, per leaked type, the most common allocation site of its
objects made in those calls and still alive. The site is the newest frame in
the program's own code (not the stdlib, not leakhunt), and not a
constructor, where the caller that asked for the object says more.
"""

from __future__ import annotations

import ast
import functools
import math
import os
import sysconfig
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Optional

from .._paths import is_own_file
from ..capture.traced import collect_garbage, objects_with_ids, traceback_of, traced_objects
from ..model import HeapGraph
from ..model.hunt import AllocationSite, Leak

__all__ = ["trace_sites"]

#: Frames in these directories are never named as the allocation site when
#: a frame of the program itself is on the traceback.
_LIBRARY_DIRS = tuple(
    {
        os.path.abspath(p)
        for key in ("stdlib", "platstdlib")
        if (p := sysconfig.get_paths().get(key))
    }
)


@functools.lru_cache(maxsize=4096)
def _in_library(filename: str) -> bool:
    path = os.path.abspath(filename)
    if is_own_file(path) or filename.startswith("<"):
        return True
    return any(path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


_CONSTRUCTORS = frozenset({"__init__", "__new__", "__post_init__", "__call__"})


def _site(tb: tracemalloc.Traceback) -> Optional[tuple[str, int]]:
    """The frame that made the object: the most recent one in the program's
    own code (not the stdlib, not leakhunt), and not a constructor, where
    the caller that asked for the object says more."""
    every = list(tb)
    if every and is_own_file(every[-1].filename):
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


def trace_sites(
    fn: Callable[[], Any], leaks: Sequence[Leak], gn: Optional[HeapGraph], calls: int
) -> dict[str, AllocationSite]:
    """Call ``fn`` ``calls`` times under tracemalloc, then name, per leaked
    type, the most common allocation site of its objects made during those
    calls and still alive (the leaked ones, once the gc has run).

    Tracked objects are found in ``gc.get_objects()``; untracked ones (str,
    float, dicts of atoms...) among the referents of the new objects and of
    the containers known to grow."""
    wanted = {
        x.type_name for x in leaks if x.kind != "container" or x.per_iteration > 0 or x.holder_type
    }
    if not wanted:
        return {}
    # The growing containers are old (their new items have traces): find them
    # before tracing, which would trace every int that id() makes.
    holders: list[Any] = []
    if gn is not None:
        nodes = {v for x in leaks for v in x.nodes if x.kind == "container"}
        nodes.update(v for x in leaks for v in x.holders)
        holders = objects_with_ids({gn.ids[v] for v in nodes})
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start(16)
    try:
        for _ in range(calls):
            fn()
        collect_garbage()
        # how many leaked objects of each type the traced calls made at
        # least (a rate is an average: one every third call may make one in
        # four calls): the search may end once it has found them
        expect: dict[str, int] = {}
        for x in leaks:
            n = max(1, math.floor(x.per_iteration * calls))
            expect[x.type_name] = max(expect.get(x.type_name, 0), n)
        found = traced_objects(wanted, holders, expect=expect)
        holders.clear()
        out: dict[str, AllocationSite] = {}
        for name, objs in found.items():
            site = _common_site(objs)
            objs.clear()
            if site is not None:
                out[name] = site
        return out
    finally:
        if started:
            tracemalloc.stop()


def _common_site(objs: list[Any]) -> Optional[AllocationSite]:
    """The most common allocation site of ``objs``, as ``file:line in func()``."""
    sites: Counter[tuple[str, int]] = Counter()
    known: dict[tracemalloc.Traceback, Optional[tuple[str, int]]] = {}  # most objects share one
    for obj in objs:
        tb = traceback_of(obj)
        if tb is None:
            continue
        if tb in known:
            site = known[tb]
        else:
            site = known[tb] = _site(tb)
        if site is not None:
            sites[site] += 1
    if not sites:
        return None
    (filename, lineno), _ = sites.most_common(1)[0]
    return AllocationSite(_display_path(filename), lineno, _function_at(filename, lineno))
