"""Registries only the interpreter holds.

Objects that no root reaches are held from C. Where the interpreter keeps
them in a Python list of its own (``os.register_at_fork`` callbacks, the
codec search functions, audit hooks), that list is in the graph with no
referrer; where it keeps them in a C array (``atexit``), the callable at
the top has no referrer at all. For each leak held outside Python:

- the *top*: the node without referrers, in the part of the graph no root
  reaches, from which the leaked objects are reached (breadth first), and
  the partial path from it (``list -> [*] -> method -> .__self__ ->
  Uploader``);
- the *registry*, named when the interpreter can tell: a top list that
  also holds an object the standard library registers there at import
  (``threading._after_fork``, ``encodings.search_function``) is that
  registry; a top that is a callable while ``atexit._ncallbacks()`` grew
  with it is inferred to be held by ``atexit`` (said so, with the count);
  otherwise the wording says the registry is unknown.

Leaks with the same registry and top type are one cause, the top first.

>>> from leakhunt.model import HeapGraph
>>> g = HeapGraph.from_edges(["module", "list", "method", "Up", "bytearray", "function"],
...     [72, 88, 64, 56, 600, 152], [(1, 5, "[0]"), (1, 2, "[1]"), (2, 3, ".__self__"),
...     (3, 4, "._buffer")], [(0, "module app")], ids=[10, 11, 12, 13, 14, 15])
>>> (h,) = held_by_interpreter(g, [4], {15: "codec search functions"}, None, 10).values()
>>> h.registry, h.inferred
('codec search functions', False)
>>> h.path_text
'list -> [*] -> method -> .__self__ -> Up -> ._buffer -> bytearray'
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from itertools import compress
from operator import not_
from typing import Optional

from ..analysis.dominators import reachable
from ..analysis.retainers import DICT_LABEL, mask_label
from ..capture.holders import registry_markers
from ..model import HeapGraph, readable_labels
from ..model.hunt import Basis, InterpreterHold, Leak

__all__ = [
    "VISIBLE_REGISTRIES",
    "held_by_interpreter",
    "held_from_c",
    "in_registry",
    "visible_registry",
]

#: Interpreter registries Python can see, by the start of a retainer path:
#: a path through one of them is a path like any other, and the registry's
#: name says what keeps the objects.
VISIBLE_REGISTRIES: tuple[tuple[str, str], ...] = (
    ("module sys -> .modules", "sys.modules"),
    ("module sys -> .path_importer_cache", "sys.path_importer_cache"),
    ("module sys -> .path_hooks", "sys.path_hooks"),
    ("module sys -> .meta_path", "sys.meta_path"),
    ("module sys -> .path", "sys.path"),
    (
        "module threading -> ._threading_atexits",
        "threading shutdown hooks (threading._register_atexit)",
    ),
    ("module threading -> ._shutdown_locks", "threading shutdown locks"),
    ("module gc -> .callbacks", "gc.callbacks"),
    ("module copyreg -> .dispatch_table", "copyreg dispatch table"),
    ("module copyreg -> ._extension_registry", "copyreg extension registry"),
    ("module copyreg -> ._inverted_registry", "copyreg extension registry"),
    ("module warnings -> .filters", "warnings filters"),
    ("module warnings -> .onceregistry", "warnings once-registry"),
    ("module ctypes -> ._pointer_type_cache", "ctypes pointer-type cache"),
    ("module ctypes -> ._c_functype_cache", "ctypes function-type cache"),
    ("signal handler ", "signal handlers"),
    ("sys.settrace hook", "sys.settrace hook"),
    ("sys.setprofile hook", "sys.setprofile hook"),
)


def visible_registry(path_text: Optional[str]) -> str:
    """The interpreter registry a retainer path goes through, or ""."""
    if not path_text:
        return ""
    if " -> .__warningregistry__" in path_text:
        return "warnings registry (__warningregistry__)"
    for prefix, name in VISIBLE_REGISTRIES:
        if (
            path_text == prefix
            or path_text.startswith(prefix + " ")
            or (prefix.endswith(" ") and path_text.startswith(prefix))
        ):
            return name
    return ""


#: How far from a top the leaked objects may be for the path to be drawn.
_MAX_DEPTH = 12


def held_by_interpreter(
    gn: HeapGraph,
    targets: Sequence[int],
    markers: dict[int, str],
    atexit_grew: Optional[int],
    calls: int,
) -> dict[int, InterpreterHold]:
    """For each target node no root reaches, what holds it from C (see the
    module's doc). ``markers`` maps ``id()`` of known stdlib objects to their
    registry; ``atexit_grew`` is how much ``atexit._ncallbacks()`` grew over
    ``calls`` measured calls (None: unknown)."""
    if not targets:
        return {}
    live = reachable(gn)
    unreached = list(compress(range(gn.n), map(not_, live)))
    if not unreached:
        return {}
    inside = bytearray(gn.n)
    for v in unreached:
        inside[v] = 1
    referred = bytearray(gn.n)
    offsets, dests = gn.offsets, gn.targets
    for v in unreached:
        for k in range(offsets[v], offsets[v + 1]):
            w = dests[k]
            if w != v:
                referred[w] = 1
    tops = [v for v in unreached if not referred[v]]
    # One breadth-first search from every top: each node's nearest top.
    parent_edge: dict[int, int] = {}
    parent: dict[int, int] = {}
    top_of: dict[int, int] = {}
    depth: dict[int, int] = {}
    todo = deque(tops)
    for t in tops:
        top_of[t], depth[t] = t, 0
    while todo:
        v = todo.popleft()
        if depth[v] >= _MAX_DEPTH:
            continue
        for k in range(offsets[v], offsets[v + 1]):
            w = dests[k]
            if inside[w] and w not in top_of:
                top_of[w], parent[w], parent_edge[w] = top_of[v], v, k
                depth[w] = depth[v] + 1
                todo.append(w)
    out: dict[int, InterpreterHold] = {}
    for t in targets:
        if live[t] or t not in top_of:
            continue
        top = top_of[t]
        steps: list[tuple[int, str]] = []
        v = t
        while v != top:
            steps.append((v, mask_label(gn.label_names[gn.labels[parent_edge[v]]])))
            v = parent[v]
        steps.reverse()
        parts = [gn.type_name(top)]
        for i, (v, label) in enumerate(steps):
            if label == DICT_LABEL and i + 1 < len(steps):
                continue  # ".__dict__ -> ['name']" reads ".name"
            if i and steps[i - 1][1] == DICT_LABEL:
                label = readable_labels([steps[i - 1], (v, label)])[0]
            parts += [label, gn.type_name(v)]
        text = " -> ".join(parts)
        registry, basis = _registry(gn, top, markers, atexit_grew)
        out[t] = InterpreterHold(
            registry=registry,
            basis=basis,
            holder_type=gn.type_name(top),
            path_text=text,
            depth=len(steps),
            count=(atexit_grew or 0) if basis == "atexit_count" else 0,
            calls=calls,
        )
    return out


def _registry(
    gn: HeapGraph, top: int, markers: dict[int, str], atexit_grew: Optional[int]
) -> tuple[str, Basis]:
    """The registry that holds ``top`` (a node no object refers to)."""
    # A list the interpreter owns: tell which by what the stdlib put in it,
    # looking at its items and at what bound methods among them are bound to.
    ids, offsets, dests = gn.ids, gn.offsets, gn.targets
    for k in range(offsets[top], min(offsets[top + 1], offsets[top] + 10_000)):
        w = dests[k]
        hit = markers.get(ids[w])
        if hit is None and gn.type_name(w) == "method":
            hit = next(
                (
                    markers[ids[dests[j]]]
                    for j in range(offsets[w], offsets[w + 1])
                    if ids[dests[j]] in markers
                ),
                None,
            )
        if hit is not None:
            return hit, "marker"
    if atexit_grew and gn.type_name(top) != "list":
        return "atexit", "atexit_count"
    if gn.type_name(top) == "list":
        return "", "list"
    return "", "none"


def in_registry(leak: Leak) -> Leak:
    """Name the interpreter registry a leak's path goes through, if any."""
    texts = [*leak.paths, leak.container.path_text if leak.container else None]
    name = next((n for n in map(visible_registry, texts) if n), "")
    return replace(leak, registry=name) if name else leak


def held_from_c(
    leaks: list[Leak],
    gn: HeapGraph,
    atexit: tuple[Optional[int], Optional[int]],
    iterations: int,
) -> list[Leak]:
    """Name what holds, from C, the leaks whose objects no root reaches."""
    firsts = {}
    for i, x in enumerate(leaks):
        if any(c.path is not None for c in x.clusters):
            continue  # a root reaches some of them: that path is the story
        outside = next((c for c in x.clusters if c.sample), None)
        if outside is not None:
            firsts[i] = outside.sample[0]
    if not firsts:
        return leaks
    a, b = atexit
    grew = b - a if a is not None and b is not None and b > a else None
    holds = held_by_interpreter(gn, list(firsts.values()), registry_markers(), grew, iterations)
    return [
        replace(x, held_by=holds[firsts[i]]) if firsts.get(i, -1) in holds else x
        for i, x in enumerate(leaks)
    ]
