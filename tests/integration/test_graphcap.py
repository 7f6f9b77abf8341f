"""The compiled graph capture against a reference built in Python: every
edge of the objects a test builds, with its label and its target, as
Python's own introspection lists them. The walker marks every object in a
first pass and numbers them in address order in a second, where an edge's
target is the rank of its bit (_graph.h); a target ranked wrong would show
here, in memory and in the compressed streams a snapshot file gets."""

from __future__ import annotations

import gc
import itertools
import os
import random
import sys
from collections import Counter
from typing import Any

import pytest

import leakhunt
from leakhunt import capture
from leakhunt.files.graph_section import PackedHeapGraph
from leakhunt.model import HeapGraph

pytestmark = pytest.mark.skipif(
    capture.walker_name() != "c", reason="graph snapshots need the compiled walker"
)


needs_packed = pytest.mark.skipif(
    not capture._PACKED_GRAPHS, reason="the walker was built without zlib: no packed graphs"
)


class Slotted:
    __slots__ = ("left", "right", "tag")

    def __init__(self, left: Any, right: Any, tag: Any) -> None:
        self.left = left
        self.right = right
        self.tag = tag


class Plain:
    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


def _key_label(k: Any) -> str:
    if isinstance(k, str):
        return f"[{k!r}]"
    return f"[{k!r}]" if isinstance(k, int) else f"[<{type(k).__name__}>]"


def _reference(o: Any) -> Counter[tuple[str, int]]:
    """(label, id(target)) of each reference of ``o``, from Python."""
    out: Counter[tuple[str, int]] = Counter()
    if type(o) in (list, tuple):
        out.update((f"[{i}]", id(x)) for i, x in enumerate(o))
    elif type(o) is dict:
        for k, v in o.items():
            out[(_key_label(k), id(v))] += 1
            out[("<key>", id(k))] += 1
    elif type(o) is Slotted:
        for name in Slotted.__slots__:
            out[(f".{name}", id(getattr(o, name)))] += 1
        out[(".__class__", id(Slotted))] += 1
    return out


def _edges(g: HeapGraph, node: int) -> Counter[tuple[str, int]]:
    return Counter((label, g.ids[t]) for t, label in g.out_edges(node))


def _heap(seed: int, n: int) -> list[Any]:
    """Random tracked structures sharing their leaves and each other."""
    rnd = random.Random(seed)
    leaves: list[Any] = [f"s{i}-{seed}" for i in range(20)] + [10**20 + i for i in range(10)]
    leaves += [b"b" * i for i in range(5)] + [None, True, 3.5]
    made: list[Any] = []
    for i in range(n):
        pick = [
            rnd.choice(leaves + made) if made and rnd.random() < 0.5 else rnd.choice(leaves)
            for _ in range(3)
        ]
        kind = i % 5
        if kind == 0:
            made.append(list(pick))
        elif kind == 1:
            made.append((*pick, [i]))  # a tracked item keeps the tuple tracked
        elif kind == 2:
            made.append({f"k{i}": pick[0], i: pick[1], (i, "t"): pick[2]})
        elif kind == 3:
            made.append(Slotted(*pick))
        else:
            made.append(Plain(a=pick[0], b=pick[1], c=pick[2]))
    return made


@pytest.mark.parametrize(
    "packed", [False, pytest.param(True, marks=needs_packed)], ids=["in-memory", "packed"]
)
@pytest.mark.parametrize("seed", [1, 2])
def test_captured_edges_match_python_introspection(seed: int, packed: bool) -> None:
    # GIVEN a few thousand random objects that share leaves and each other
    made = _heap(seed, 3000)
    # WHEN a graph snapshot is taken (kept in memory, or packed as for a file)
    g = capture.take_snapshot("ref", graph=True, keys="all", packed=packed).graph  # every label
    assert g is not None
    assert isinstance(g, PackedHeapGraph) == packed
    # THEN each object's edges are exactly what Python lists
    wanted = {id(o) for o in made}
    node_of = {i: node for node, i in enumerate(g.ids) if i in wanted}
    assert len(node_of) == len(made)
    for o in made:
        node = node_of[id(o)]
        got = _edges(g, node)
        if isinstance(o, Plain):
            # .__dict__ (3.10, or a dict made on demand) or inline values (3.11+)
            assert got[(".__class__", id(Plain))] == 1
            inner = [t for t, label in g.out_edges(node) if label == ".__dict__"]
            if inner:
                assert _edges(g, inner[0]) == _reference(vars(o))
            else:
                attrs = Counter({(f".{k}", id(v)): 1 for k, v in vars(o).items()})
                assert got - Counter({(".__class__", id(Plain)): 1}) == attrs
        else:
            assert got == _reference(o), type(o).__name__
    # AND every node id is a distinct object, and the roots include this module
    assert len(set(g.ids)) == g.n
    assert any(desc == f"module {__name__}" for _, desc in g.roots)


def _walk(packed: bool) -> dict[str, Any]:
    walker = capture._C_GRAPH
    assert walker is not None
    return walker(None, (), sys.getsizeof, capture._GC_HEAD, (), 2, packed)


@needs_packed
def test_nodes_are_numbered_in_address_order_with_every_edge_kept() -> None:
    # GIVEN a heap with shared and nested untracked objects
    made = _heap(3, 2000)
    # WHEN the walker captures it both ways
    mem, packed = _walk(False), _walk(True)
    # THEN node numbers follow the addresses, and no edge lost its target
    ids = mem["ids"]
    assert all(a < b for a, b in itertools.pairwise(ids))
    # (only references into gc.freeze()'s objects, which are no nodes: 3.12
    # freezes a few of its static types' tuples at startup)
    dropped = mem["info"]["dropped_edges"]
    assert dropped == packed["info"]["dropped_edges"]
    assert dropped == 0 if gc.get_freeze_count() == 0 else dropped < gc.get_freeze_count()
    # AND the streams are the file's arrays: they inflate to what memory got
    # (the heap barely moved between the two walks: the same objects)
    g = PackedHeapGraph(packed["packed"], ("t",) * 10**4, ("l",) * 10**6, ())
    assert g.n == len(g.ids) and g.edge_count == len(g.targets) == len(g.labels)
    assert all(a < b for a, b in itertools.pairwise(g.ids))
    common = set(ids) & set(g.ids)
    assert len(common) > 0.99 * len(ids)
    assert {id(o) for o in made} <= common
    assert g.offsets[0] == 0 and g.offsets[-1] == g.edge_count
    # AND the streams are a fraction of the arrays in memory
    packed_bytes = sum(len(data) for _, data in packed["packed"].values())
    arrays = ("ids", "types", "sizes", "lengths", "offsets", "targets", "labels")
    assert packed_bytes < sum(len(mem[k]) * mem[k].itemsize for k in arrays) / 3


@needs_packed
def test_a_saved_graph_snapshot_stays_packed_until_read(tmp_path: Any) -> None:
    # GIVEN a graph snapshot written to a file
    made = _heap(4, 500)
    s = leakhunt.snapshot("p", path=tmp_path, graph=True)
    assert s.path is not None and isinstance(s.graph, PackedHeapGraph)
    # THEN writing it inflated nothing
    assert s.graph._inflated == {}
    # AND the file holds the same graph that the snapshot returns
    back = leakhunt.load(s.path).graph
    assert back == s.graph
    assert {id(o) for o in made} <= set(back.ids)


def test_two_graph_snapshots_in_a_row_show_no_growth() -> None:
    """The first graph snapshot, kept by the program, is never counted by the
    next one (on 3.10 a running frame's locals are traversed: neither the
    roots nor gc.get_objects() may sit in a local of leakhunt's frames)."""
    import subprocess
    import sys

    code = (
        "import leakhunt\n"
        "leakhunt.snapshot('warm-up', save=False)\n"
        "a = leakhunt.snapshot('a', save=False, graph=True)\n"
        "b = leakhunt.snapshot('b', save=False, graph=True)\n"
        "print([(t.name, t.count_delta) for t in leakhunt.diff(a, b).deltas if t.count_delta])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux: counts the threads")
def test_the_compressing_thread_ends_with_the_capture(tmp_path: Any) -> None:
    # GIVEN the process's threads before a graph snapshot written to a file
    before = set(os.listdir("/proc/self/task"))
    # WHEN the snapshot is taken (its streams compressed by a thread of the walker's)
    s = leakhunt.snapshot("t", path=tmp_path, graph=True)
    # THEN that thread is gone when the call returns, and the file reads back
    assert set(os.listdir("/proc/self/task")) == before
    assert s.path is not None and leakhunt.load(s.path).graph == s.graph
