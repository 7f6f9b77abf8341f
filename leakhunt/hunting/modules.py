"""``sys.modules`` is a container, not a root.

Every module in ``sys.modules`` is a root of the object graph (paths start
at ``module NAME``), so a module made or imported per call and kept there
shows up as new roots, each holding a few objects, and the growth of the
registry itself is never the story. Here the new module roots of the final
graph are found (their names are the evidence), and when the count of
modules grows steadily, the leaks held by those modules are told as one
cause: ``sys.modules`` growing.

>>> from leakhunt.model import HeapGraph
>>> def heap(n):
...     names = ["module", "dict"] + ["module"] * n
...     edges = [(0, 1, ".modules")] + [(1, 2 + i, f"['plug_{i}']") for i in range(n)]
...     roots = [(0, "module sys")] + [(2 + i, f"module plug_{i}") for i in range(n)]
...     return HeapGraph.from_edges(names, [72, 232] + [72] * n, edges, roots,
...         lengths=[0, n] + [0] * n)
>>> reg = module_registry(heap(1), heap(3))
>>> reg.container.path_text, reg.container.delta, reg.new_modules
('module sys -> .modules', 2, ('plug_1', 'plug_2'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from ..analysis.retainers import DICT_LABEL
from ..model import ContainerGrowth, HeapGraph
from ..model.hunt import Leak

__all__ = [
    "MODULES_PATH",
    "ModuleRegistry",
    "module_registry",
    "through_modules",
    "through_registry",
]

MODULES_PATH = "module sys -> .modules"
_PREFIX = "module "


@dataclass(frozen=True)
class ModuleRegistry:
    """``sys.modules`` in the final graph and the modules new since the first."""

    container: ContainerGrowth
    new_modules: tuple[str, ...]


def _natural(name: str) -> list[object]:
    """``plug_9`` before ``plug_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _modules_node(g: HeapGraph) -> int:
    sys_node = next((v for v, d in g.roots if d == "module sys"), -1)
    if sys_node < 0:
        return -1
    for w, label in g.out_edges(sys_node):
        if label == ".modules":
            return w
        if label == DICT_LABEL:
            for x, key in g.out_edges(w):
                if key == "['modules']":
                    return x
    return -1


def module_registry(g0: HeapGraph, gn: HeapGraph) -> Optional[ModuleRegistry]:
    """``sys.modules``'s growth from ``g0`` to ``gn``, with the names of the
    modules that are roots in ``gn`` and not in ``g0``; None when it did not
    grow or cannot be found."""
    a, b = _modules_node(g0), _modules_node(gn)
    if a < 0 or b < 0 or g0.lengths is None or gn.lengths is None:
        return None
    old = {d for _, d in g0.roots if d.startswith(_PREFIX)}
    fresh = {d[len(_PREFIX) :] for _, d in gn.roots if d.startswith(_PREFIX) and d not in old}
    new = sorted(fresh, key=_natural)
    if not new or gn.lengths[b] <= g0.lengths[a]:
        return None
    container = ContainerGrowth(
        gn.type_name(b), MODULES_PATH, g0.lengths[a], gn.lengths[b], "items", b
    )
    return ModuleRegistry(container, tuple(new))


def through_registry(path_text: Optional[str], registry: ModuleRegistry) -> Optional[str]:
    """A path that starts at one of the new modules, told from
    ``sys.modules``: ``module sys -> .modules -> [*] -> module -> ...``;
    None when the path starts elsewhere."""
    if path_text is None or not path_text.startswith(_PREFIX):
        return None
    root, _, rest = path_text.partition(" -> ")
    if root[len(_PREFIX) :] not in registry.new_modules:
        return None
    head = f"{MODULES_PATH} -> [*] -> module"
    return f"{head} -> {rest}" if rest and rest != "module" else head


def through_modules(leak: Leak, registry: ModuleRegistry) -> Leak:
    """A leak held by modules new in ``sys.modules``, told as growth of
    ``sys.modules`` (one cause with the modules themselves)."""
    clusters = []
    moved = False
    for c in leak.clusters:
        text = through_registry(c.path_text, registry)
        moved = moved or text is not None
        clusters.append(c if text is None else replace(c, path_text=text))
    if not moved and leak.type_name != "module":
        return leak
    return replace(
        leak,
        clusters=tuple(clusters),
        container=registry.container,
        evidence=registry.new_modules if leak.type_name == "module" else (),
    )
