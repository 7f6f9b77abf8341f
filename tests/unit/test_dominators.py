"""Dominators and retained sizes on toy graphs with known answers, and on
random graphs against a brute-force reference (d dominates v iff removing d
makes v unreachable from the roots)."""

from __future__ import annotations

import doctest
from array import array
from collections.abc import Collection, Iterable, Sequence
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import leakhunt.analysis.dominators
from leakhunt.analysis.dominators import immediate_dominators, retained_size_of, retained_sizes
from leakhunt.model import HeapGraph


def graph(
    n: int,
    edges: Iterable[tuple[int, int]],
    roots: Iterable[int],
    sizes: Optional[Sequence[int]] = None,
) -> HeapGraph:
    return HeapGraph.from_edges(
        ["T"] * n,
        [1] * n if sizes is None else sizes,
        [(s, t, f"[{k}]") for k, (s, t) in enumerate(edges)],
        [(r, f"module m{r}") for r in roots],
    )


# --- brute-force reference --------------------------------------------------


def reachable(g: HeapGraph, removed: Collection[int] = ()) -> set[int]:
    seen: set[int] = set()
    todo = [r for r, _ in g.roots if r not in removed]
    while todo:
        v = todo.pop()
        if v in seen:
            continue
        seen.add(v)
        todo.extend(t for t, _ in g.out_edges(v) if t not in removed and t not in seen)
    return seen


def brute_idom(g: HeapGraph) -> list[int]:
    live = reachable(g)
    doms = {v: {d for d in live if d != v and v not in reachable(g, {d})} for v in live}
    idom = [-1] * g.n
    for v, ds in doms.items():
        if ds:
            # Dominators form a chain; the nearest one has the most dominators.
            idom[v] = max(ds, key=lambda d: len(doms[d]))
    return idom


def brute_retained(g: HeapGraph) -> list[int]:
    live = reachable(g)
    out = []
    for v in range(g.n):
        if v in live:
            out.append(sum(g.sizes[u] for u in live - reachable(g, {v})))
        else:
            out.append(g.sizes[v])
    return out


@st.composite
def random_graphs(draw: st.DrawFn, max_nodes: int = 40) -> HeapGraph:
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=3 * n))
    roots = draw(st.lists(node, max_size=4))
    sizes = draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n))
    return graph(n, edges, roots, sizes)


# --- immediate dominators ---------------------------------------------------


def test_chain_each_node_dominated_by_its_predecessor() -> None:
    # GIVEN root 0 -> 1 -> 2 -> 3
    g = graph(4, [(0, 1), (1, 2), (2, 3)], [0])
    # WHEN / THEN
    assert list(immediate_dominators(g)) == [-1, 0, 1, 2]


def test_diamond_join_is_dominated_by_the_fork() -> None:
    # GIVEN 0 -> 1 -> 3 and 0 -> 2 -> 3
    g = graph(4, [(0, 1), (0, 2), (1, 3), (2, 3)], [0])
    # THEN 3 is dominated by 0, not by either branch
    assert list(immediate_dominators(g)) == [-1, 0, 0, 0]


def test_cycle_entered_once_is_dominated_along_the_cycle() -> None:
    # GIVEN 0 -> 1 -> 2 -> 3 -> 1 (a cycle entered at 1)
    g = graph(4, [(0, 1), (1, 2), (2, 3), (3, 1)], [0])
    assert list(immediate_dominators(g)) == [-1, 0, 1, 2]


def test_node_reached_from_two_roots_belongs_to_the_super_root() -> None:
    # GIVEN roots 0 and 1 both pointing at 2, and 2 -> 3
    g = graph(4, [(0, 2), (1, 2), (2, 3)], [0, 1])
    # THEN only the virtual super-root dominates 2; 2 still dominates 3
    assert list(immediate_dominators(g)) == [-1, -1, -1, 2]


def test_root_reached_from_another_root_stays_a_root() -> None:
    # GIVEN root 0 -> root 1 -> 2
    g = graph(3, [(0, 1), (1, 2)], [0, 1])
    # THEN 1 is a root (super-root child), and it alone dominates 2
    assert list(immediate_dominators(g)) == [-1, -1, 1]


def test_node_reachable_only_through_a_cycle() -> None:
    # GIVEN 0 -> 1, a cycle 1 -> 2 -> 3 -> 1, and 4 hanging off 3
    g = graph(5, [(0, 1), (1, 2), (2, 3), (3, 1), (3, 4)], [0])
    assert list(immediate_dominators(g)) == [-1, 0, 1, 2, 3]


def test_unreachable_nodes_have_no_dominator() -> None:
    # GIVEN 2 -> 3 with no root reaching either, and a self-loop on the root
    g = graph(4, [(0, 0), (0, 1), (2, 3)], [0])
    assert list(immediate_dominators(g)) == [-1, 0, -1, -1]


def test_no_roots_means_nothing_is_dominated() -> None:
    g = graph(3, [(0, 1), (1, 2)], [])
    assert list(immediate_dominators(g)) == [-1, -1, -1]


def test_cross_edge_from_a_later_branch() -> None:
    # GIVEN 0 -> 1 -> 2 -> 3 and 0 -> 4 -> 3: the second branch enters late
    g = graph(5, [(0, 1), (1, 2), (2, 3), (0, 4), (4, 3)], [0])
    assert list(immediate_dominators(g)) == [-1, 0, 1, 0, 0]


def test_long_chain_needs_no_recursion() -> None:
    # GIVEN a chain far deeper than the recursion limit
    n = 50_000
    g = graph(n, [(i, i + 1) for i in range(n - 1)], [0])
    # WHEN
    idom = immediate_dominators(g)
    retained = retained_sizes(g, idom)
    # THEN
    assert idom[n - 1] == n - 2 and idom[0] == -1
    assert retained[0] == n and retained[n - 1] == 1


@settings(deadline=None, max_examples=300)
@given(random_graphs())
def test_idom_matches_brute_force(g: HeapGraph) -> None:
    assert list(immediate_dominators(g)) == brute_idom(g)


# --- retained sizes -----------------------------------------------------------


def test_retained_sizes_of_a_diamond() -> None:
    # GIVEN 0 -> {1, 2} -> 3 (3 shared) and 1 -> 4 (4 private to 1)
    g = graph(5, [(0, 1), (0, 2), (1, 3), (2, 3), (1, 4)], [0], sizes=[1, 10, 100, 1000, 10000])
    # WHEN
    retained = retained_sizes(g, immediate_dominators(g))
    # THEN the shared node counts only for the fork
    assert list(retained) == [11111, 10010, 100, 1000, 10000]


def test_unreachable_node_retains_its_own_size() -> None:
    g = graph(3, [(1, 2)], [0], sizes=[1, 10, 100])
    assert list(retained_sizes(g, immediate_dominators(g))) == [1, 10, 100]


@settings(deadline=None, max_examples=300)
@given(random_graphs())
def test_retained_sizes_match_brute_force(g: HeapGraph) -> None:
    assert list(retained_sizes(g, immediate_dominators(g))) == brute_retained(g)


def test_retained_sizes_reject_a_cyclic_idom() -> None:
    g = graph(2, [], [])
    with pytest.raises(ValueError, match="cycle"):
        retained_sizes(g, array("i", [1, 0]))


def test_retained_sizes_reject_a_wrong_length() -> None:
    g = graph(2, [], [])
    with pytest.raises(ValueError, match="entries"):
        retained_sizes(g, array("i", [-1]))


# --- retained size of a set ---------------------------------------------------


def test_set_counts_each_subtree_once() -> None:
    # GIVEN 0 -> 1 -> 2 and 0 -> 3, sizes 1, 10, 100, 1000
    g = graph(4, [(0, 1), (1, 2), (0, 3)], [0], sizes=[1, 10, 100, 1000])
    idom = immediate_dominators(g)
    # THEN 2 is inside 1's subtree, so {1, 2} frees 110, not 210
    assert retained_size_of(g, [1, 2], idom) == 110
    assert retained_size_of(g, [2, 3], idom) == 1100
    assert retained_size_of(g, [], idom) == 0


def test_set_of_unreachable_nodes_counts_their_own_sizes() -> None:
    g = graph(3, [(1, 2)], [0], sizes=[1, 10, 100])
    assert retained_size_of(g, [1, 2], immediate_dominators(g)) == 110


def test_set_rejects_nodes_out_of_range() -> None:
    g = graph(2, [], [0])
    with pytest.raises(ValueError, match="out of range"):
        retained_size_of(g, [5], immediate_dominators(g))


def test_set_counts_what_its_members_hold_jointly() -> None:
    # GIVEN 0 -> A (1) and 0 -> B (2), which share a 1000-byte buffer (3);
    # B also holds 100 private bytes (4)
    g = graph(5, [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4)], [0], sizes=[1, 10, 10, 1000, 100])
    idom = immediate_dominators(g)
    # THEN neither frees the shared buffer alone, both together do
    assert retained_size_of(g, [1], idom) == 10
    assert retained_size_of(g, [2], idom) == 110
    assert retained_size_of(g, [1, 2], idom) == 1120
    assert retained_size_of(g, [1, 2]) == 1120  # no dominator tree needed


def test_set_with_a_member_held_from_elsewhere_still_frees_it() -> None:
    # GIVEN 0 -> 1 -> 2 and root 3 -> 2: removing {1, 2} frees both anyway
    g = graph(4, [(0, 1), (1, 2), (3, 2)], [0, 3], sizes=[1, 10, 100, 1000])
    assert retained_size_of(g, [1, 2]) == 110


@settings(deadline=None, max_examples=300)
@given(random_graphs(), st.data())
def test_set_matches_brute_force(g: HeapGraph, data: st.DataObject) -> None:
    # GIVEN a random set of nodes
    members = set(data.draw(st.lists(st.integers(0, g.n - 1), max_size=6)))
    idom = immediate_dominators(g)
    retained = retained_sizes(g, idom)
    # WHEN
    total = retained_size_of(g, members, idom, retained=retained)
    # THEN it is what removing all members at once really frees (plus the
    # own size of members no root reaches)
    live = reachable(g)
    freed = live - reachable(g, members)
    assert total == sum(g.sizes[v] for v in freed | (members - live))
    # AND the same without the dominator tree, and with the pure-Python search
    assert retained_size_of(g, members) == total
    assert retained_size_of(g, members, live=leakhunt.analysis.dominators.reachable(g)) == total


@settings(deadline=None, max_examples=100)
@given(random_graphs(), st.data())
def test_compiled_and_python_reachability_agree(g: HeapGraph, data: st.DataObject) -> None:
    if leakhunt.analysis.dominators._C is None:
        pytest.skip("no compiled graph algorithms")
    blocked = bytearray(data.draw(st.binary(min_size=g.n, max_size=g.n)))
    for i, b in enumerate(blocked):
        blocked[i] = b & 1
    c = leakhunt.analysis.dominators.reachable(g, blocked)
    saved, leakhunt.analysis.dominators._C = leakhunt.analysis.dominators._C, None
    try:
        py = leakhunt.analysis.dominators.reachable(g, blocked)
    finally:
        leakhunt.analysis.dominators._C = saved
    assert c == py
    assert set(i for i, f in enumerate(py) if f) == reachable(
        g, {i for i, b in enumerate(blocked) if b}
    )


@settings(deadline=None, max_examples=300)
@given(random_graphs())
def test_compiled_and_python_dominators_agree(g: HeapGraph) -> None:
    # GIVEN a random graph, WHEN the compiled and the pure-Python twins run
    if leakhunt.analysis.dominators._C is None:
        pytest.skip("no compiled graph algorithms")
    from leakhunt.model.heapgraph import _build_reverse, _build_reverse_py

    # THEN the in-edges, the dominator tree and the retained sizes are equal
    c_rev, py_rev = _build_reverse(g), _build_reverse_py(g)
    assert (c_rev.offsets, c_rev.sources, c_rev.edges) == (
        py_rev.offsets,
        py_rev.sources,
        py_rev.edges,
    )
    idom = immediate_dominators(g)
    assert idom.typecode == "i"
    assert list(idom) == list(leakhunt.analysis.dominators._immediate_dominators_py(g))
    assert list(retained_sizes(g, idom)) == list(
        leakhunt.analysis.dominators._retained_sizes_py(g, idom)
    )


def test_compiled_retained_sizes_refuse_a_cycle_and_bad_indices() -> None:
    # GIVEN dominator "trees" that are not trees
    g = graph(3, [(0, 1), (1, 2)], [0])
    for idom, message in (
        (array("i", [-1, 2, 1]), "cycle"),
        (array("i", [-1, 0, 7]), "out of range"),
        (array("i", [-1, 0]), "entries"),
    ):
        # WHEN / THEN both twins say so
        with pytest.raises(ValueError, match=message):
            retained_sizes(g, idom)
        if len(idom) == 3:
            with pytest.raises(ValueError, match=message):
                leakhunt.analysis.dominators._retained_sizes_py(g, idom)


def test_doctests_run() -> None:
    assert doctest.testmod(leakhunt.analysis.dominators).failed == 0


@settings(deadline=None, max_examples=100)
@given(random_graphs(), st.data())
def test_compiled_and_python_set_sizes_agree(g: HeapGraph, data: st.DataObject) -> None:
    # GIVEN a random set of nodes, WHEN the bytes freed with them are summed
    # in C and by the pure-Python twin, THEN both say the same
    members = set(data.draw(st.lists(st.integers(0, g.n - 1), min_size=2, max_size=6)))
    compiled = retained_size_of(g, members)
    saved, leakhunt.analysis.dominators._C = leakhunt.analysis.dominators._C, None
    try:
        assert retained_size_of(g, members) == compiled
    finally:
        leakhunt.analysis.dominators._C = saved
