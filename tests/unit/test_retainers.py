"""HeapGraph, retainer paths and clusters on hand-built and random graphs."""

from __future__ import annotations

import doctest
from collections import deque
from typing import Optional

import pytest
from helpers.graphs import Builder
from hypothesis import given, settings
from hypothesis import strategies as st

import leakhunt.analysis.retainers
import leakhunt.model
from leakhunt.analysis.dominators import immediate_dominators
from leakhunt.analysis.retainers import cluster_paths, mask_label, shortest_paths, signature
from leakhunt.model import MEMBERS_CAP, NO_PATH, HeapGraph, RetainerPath

SESSION = 48


# --- HeapGraph ------------------------------------------------------------------


def test_from_edges_keeps_each_nodes_edge_order() -> None:
    # GIVEN edges listed out of source order
    g = HeapGraph.from_edges(
        ["module", "dict", "list"],
        [72, 232, 88],
        [(1, 2, "['b']"), (0, 1, ".a"), (1, 0, "['m']"), (0, 2, ".c")],
        [(0, "module m")],
    )
    # THEN
    assert g.n == 3 and g.edge_count == 4
    assert list(g.out_edges(0)) == [(1, ".a"), (2, ".c")]
    assert list(g.out_edges(1)) == [(2, "['b']"), (0, "['m']")]
    assert list(g.out_edges(2)) == []
    assert [g.type_name(i) for i in range(3)] == ["module", "dict", "list"]
    assert list(g.ids) == [0, 1, 2]
    assert repr(g) == "HeapGraph(n=3, edges=4, roots=1)"


def test_reverse_lists_incoming_edges_and_is_built_once() -> None:
    g = HeapGraph.from_edges(
        ["a", "b", "c"], [1, 1, 1], [(0, 2, ".x"), (1, 2, ".y"), (2, 0, ".z")], [(0, "r")]
    )
    # WHEN
    rev = g.reverse()
    # THEN
    assert list(rev.in_edges(2)) == [(0, ".x"), (1, ".y")]
    assert list(rev.in_edges(0)) == [(2, ".z")]
    assert list(rev.in_edges(1)) == []
    assert g.reverse() is rev


def test_graph_is_compact() -> None:
    # GIVEN 1,000 nodes and 3,000 edges
    n = 1000
    g = HeapGraph.from_edges(
        ["T"] * n, [1] * n, [(i, (i * 7 + k) % n, ".x") for i in range(n) for k in range(3)], []
    )
    # THEN the arrays stay within 40 bytes a node and 12 an edge
    assert g.nbytes <= 40 * n + 12 * 3 * n
    # AND with the reverse edges, within twice the edge budget
    g.reverse()
    assert g.nbytes <= 40 * n + 2 * 12 * 3 * n


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"edges": [(0, 5, ".x")]}, "out of range"),
        ({"sizes": [1]}, "one type name"),
        ({"roots": [(9, "r")]}, "root node 9"),
    ],
)
def test_from_edges_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "type_names_per_node": ["a", "b"],
        "sizes": [1, 2],
        "edges": [],
        "roots": [],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        HeapGraph.from_edges(**args)  # type: ignore[arg-type]


def test_retainer_path_text_reads_root_first() -> None:
    # GIVEN module app.cache -> ._CACHE -> ['u42'] -> Session
    b = Builder()
    m = b.module("app.cache")
    d = b.node("dict", 232)
    s = b.node("app.Session", SESSION)
    b.edge(m, d, "._CACHE")
    b.edge(d, s, "['u42']")
    g = b.graph()
    # WHEN
    path = shortest_paths(g, [s])[s]
    # THEN
    assert path == RetainerPath("module app.cache", ((m, ""), (d, "._CACHE"), (s, "['u42']")))
    assert path.text(g) == "module app.cache -> ._CACHE -> ['u42'] -> app.Session"
    assert path.reachable and path.target == s and path.depth == 2


# --- shortest_paths -------------------------------------------------------------


def test_shortest_of_two_routes_wins() -> None:
    # GIVEN a long route through module a and a short one through module b
    b = Builder()
    ma = b.module("a")
    mb = b.module("b")
    x = b.node("dict")
    y = b.node("list")
    t = b.node("app.Session", SESSION)
    b.edge(ma, x, ".registry")
    b.edge(x, y, "['all']")
    b.edge(y, t, "[0]")
    b.edge(mb, t, ".current")
    g = b.graph()
    # WHEN
    path = shortest_paths(g, [t])[t]
    # THEN
    assert path is not None
    assert path.text(g) == "module b -> .current -> app.Session"


def test_equal_length_routes_prefer_the_first_root_and_edge() -> None:
    b = Builder()
    ma = b.module("a")
    mb = b.module("b")
    t = b.node("T")
    b.edge(mb, t, ".y")
    b.edge(ma, t, ".x2")
    b.edge(ma, t, ".x1")
    g = b.graph()
    path = shortest_paths(g, [t])[t]
    assert path is not None and path.text(g) == "module a -> .x2 -> T"


def test_root_target_is_a_path_of_no_edges() -> None:
    b = Builder()
    m = b.module("app")
    g = b.graph()
    path = shortest_paths(g, [m])[m]
    assert path == RetainerPath("module app", ((m, ""),))
    assert path.text(g) == "module app -> module"


def test_unreachable_target_has_no_path() -> None:
    # GIVEN a cycle no root reaches
    b = Builder()
    b.module("app")
    x = b.node("app.Node")
    y = b.node("app.Node")
    b.edge(x, y, ".next")
    b.edge(y, x, ".prev")
    g = b.graph()
    # THEN
    assert shortest_paths(g, [y, x]) == {y: None, x: None}


def test_max_depth_bounds_the_search() -> None:
    # GIVEN a target three edges from the root
    b = Builder()
    m = b.module("app")
    x = b.node("dict")
    y = b.node("list")
    t = b.node("T")
    b.edge(m, x, ".a")
    b.edge(x, y, "['b']")
    b.edge(y, t, "[0]")
    g = b.graph()
    # THEN
    assert shortest_paths(g, [t], max_depth=2) == {t: None}
    found = shortest_paths(g, [t], max_depth=3)[t]
    assert found is not None and found.depth == 3
    assert shortest_paths(g, [m, x], max_depth=0) == {
        m: RetainerPath("module app", ((m, ""),)),
        x: None,
    }
    with pytest.raises(ValueError, match="max_depth"):
        shortest_paths(g, [t], max_depth=-1)


def test_duplicate_targets_answered_once_in_order() -> None:
    b = Builder()
    m = b.module("app")
    t = b.node("T")
    b.edge(m, t, ".t")
    g = b.graph()
    assert list(shortest_paths(g, [t, m, t])) == [t, m]


def test_target_out_of_range_is_an_error() -> None:
    g = HeapGraph.from_edges(["T"], [1], [], [])
    with pytest.raises(ValueError, match="out of range"):
        shortest_paths(g, [3])


@st.composite
def graphs_and_targets(draw: st.DrawFn) -> tuple[HeapGraph, list[int], Optional[int]]:
    n = draw(st.integers(1, 40))
    node = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=3 * n))
    roots = draw(st.lists(node, max_size=4))
    g = HeapGraph.from_edges(
        [f"T{i % 3}" for i in range(n)],
        [i + 1 for i in range(n)],
        [(s, t, f".e{k}") for k, (s, t) in enumerate(edges)],
        [(r, f"root {k}") for k, r in enumerate(roots)],
    )
    targets = draw(st.lists(node, max_size=8))
    max_depth = draw(st.none() | st.integers(0, 5))
    return g, targets, max_depth


def bfs_distances(g: HeapGraph) -> dict[int, int]:
    dist: dict[int, int] = {}
    todo: deque[int] = deque()
    for r, _ in g.roots:
        if r not in dist:
            dist[r] = 0
            todo.append(r)
    while todo:
        v = todo.popleft()
        for t, _ in g.out_edges(v):
            if t not in dist:
                dist[t] = dist[v] + 1
                todo.append(t)
    return dist


@settings(deadline=None, max_examples=300)
@given(graphs_and_targets())
def test_paths_are_real_and_shortest(case: tuple[HeapGraph, list[int], Optional[int]]) -> None:
    g, targets, max_depth = case
    # WHEN
    paths = shortest_paths(g, targets, max_depth=max_depth)
    # THEN every target is answered
    assert list(paths) == list(dict.fromkeys(targets))
    dist = bfs_distances(g)
    first_description: dict[int, str] = {}
    for r, description in g.roots:
        first_description.setdefault(r, description)
    for t, path in paths.items():
        if t not in dist or (max_depth is not None and dist[t] > max_depth):
            assert path is None
            continue
        # AND the path is as short as any, starts at a root, follows real edges
        assert path is not None and path.target == t and path.depth == dist[t]
        start, first_label = path.steps[0]
        assert first_label == "" and path.root == first_description[start]
        for (a, _), (c, label) in zip(path.steps, path.steps[1:], strict=False):
            assert (c, label) in list(g.out_edges(a))


# --- signatures -------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, masked",
    [
        ("[3]", "[*]"),
        ("[-1]", "[*]"),
        ("['u42']", "[*]"),
        ("['3f2a9c1e-77aa']", "[*]"),
        ('["req 17"]', "[*]"),
        ("['sessions']", "['sessions']"),
        ("['Content-Type']", "['Content-Type']"),
        ("['a]b9']", "[*]"),
        ("[(1, 2)]", "[*]"),
        ("[b'k']", "[*]"),
        ("['" + "x" * 60 + "']", "[*]"),
        (".name", ".name"),
        (".__dict__", ".__dict__"),
        (".__defaults__[0]", ".__defaults__[*]"),
        (".__closure__ cell 'x'", ".__closure__ cell 'x'"),
        ("frame handle local 'req'", "frame handle local 'req'"),
        ("<key>", "<key>"),
        ("<key 'u42'>", "<*>"),
        ("[<app.Session object at 0x7f3a2c10>]", "[*]"),
        (".__self__ at 0x7f3a2c10", ".__self__ at 0x*"),
    ],
)
def test_mask_label(label: str, masked: str) -> None:
    assert mask_label(label) == masked


def test_signature_masks_thread_counters_in_roots() -> None:
    b = Builder()
    f1 = b.node("frame")
    f2 = b.node("frame")
    b.root(f1, "thread Thread-12 frame handle")
    b.root(f2, "thread Thread-13 frame handle")
    g = b.graph()
    p1, p2 = shortest_paths(g, [f1, f2]).values()
    assert p1 is not None and p2 is not None
    assert signature(g, p1) == signature(g, p2) == ("thread Thread-* frame handle", "frame")


def test_signature_of_unreachable_target() -> None:
    g = HeapGraph.from_edges(["app.Node"], [1], [], [])
    assert signature(g, RetainerPath.unreachable(0)) == (NO_PATH, "app.Node")


# --- clusters ---------------------------------------------------------------------


def test_thousand_targets_in_one_list_are_one_cluster() -> None:
    # GIVEN module app -> .sessions -> list -> [i] -> Session, 1,000 times
    b = Builder()
    m = b.module("app")
    lst = b.node("list", 8056)
    b.edge(m, lst, ".sessions")
    sessions = []
    for i in range(1000):
        s = b.node("app.Session", SESSION)
        b.edge(lst, s, f"[{i}]")
        sessions.append(s)
    g = b.graph()
    # WHEN
    clusters = cluster_paths(g, sessions)
    # THEN
    assert len(clusters) == 1
    (c,) = clusters
    assert c.count == 1000 and c.size == 1000 * SESSION and c.retained is None
    assert c.representative.text(g) == "module app -> .sessions -> [0] -> app.Session"
    assert c.members == tuple(sessions[:MEMBERS_CAP])
    assert c.signature == ("module app", "module", ".sessions", "list", "[*]", "app.Session")


def test_targets_behind_two_containers_are_two_clusters() -> None:
    # GIVEN 3 sessions in .active and 2 in .closed
    b = Builder()
    m = b.module("app")
    active = b.node("list")
    closed = b.node("list")
    b.edge(m, active, ".active")
    b.edge(m, closed, ".closed")
    targets = []
    for container, k in [(active, 3), (closed, 2)]:
        for i in range(k):
            s = b.node("app.Session", SESSION)
            b.edge(container, s, f"[{i}]")
            targets.append(s)
    g = b.graph()
    # WHEN
    clusters = cluster_paths(g, targets)
    # THEN biggest first
    assert [(c.count, c.representative.text(g)) for c in clusters] == [
        (3, "module app -> .active -> [0] -> app.Session"),
        (2, "module app -> .closed -> [0] -> app.Session"),
    ]


def test_distinct_attribute_names_are_not_merged() -> None:
    b = Builder()
    m = b.module("app")
    x = b.node("app.Session", SESSION)
    y = b.node("app.Session", SESSION)
    b.edge(m, x, ".current")
    b.edge(m, y, ".previous")
    g = b.graph()
    assert sorted(c.representative.text(g) for c in cluster_paths(g, [x, y])) == [
        "module app -> .current -> app.Session",
        "module app -> .previous -> app.Session",
    ]


def test_per_request_dict_keys_are_merged_but_named_containers_are_not() -> None:
    # GIVEN module app -> ._STATE -> {'sessions': {uN: Session}, 'users': {uN: Session}}
    b = Builder()
    m = b.module("app")
    state = b.node("dict")
    b.edge(m, state, "._STATE")
    targets = []
    for name, k in [("sessions", 500), ("users", 7)]:
        inner = b.node("dict")
        b.edge(state, inner, f"['{name}']")
        for i in range(k):
            s = b.node("app.Session", SESSION)
            b.edge(inner, s, f"['u{i}']")
            targets.append(s)
    g = b.graph()
    # WHEN
    clusters = cluster_paths(g, targets)
    # THEN one cluster per named container, each holding all its keys
    assert [(c.count, c.representative.text(g)) for c in clusters] == [
        (500, "module app -> ._STATE -> ['sessions'] -> ['u0'] -> app.Session"),
        (7, "module app -> ._STATE -> ['users'] -> ['u0'] -> app.Session"),
    ]


def test_unreachable_targets_form_their_own_cluster() -> None:
    # GIVEN one reachable session and two held outside Python
    b = Builder()
    m = b.module("app")
    s = b.node("app.Session", SESSION)
    b.edge(m, s, ".current")
    lost = [b.node("app.Session", SESSION), b.node("app.Session", SESSION)]
    g = b.graph()
    # WHEN
    clusters = cluster_paths(g, [s, *lost], idom=immediate_dominators(g))
    # THEN
    assert [(c.count, c.size, c.retained) for c in clusters] == [
        (2, 2 * SESSION, None),
        (1, SESSION, SESSION),
    ]
    unreachable = clusters[0]
    assert unreachable.signature == (NO_PATH, "app.Session")
    assert not unreachable.representative.reachable
    assert unreachable.representative.text(g) == (
        "app.Session: no path from a Python root (held outside Python)"
    )


def test_cluster_retained_size_counts_what_only_the_targets_hold() -> None:
    # GIVEN sessions each holding a private 1000-byte buffer, and one shared
    b = Builder()
    m = b.module("app")
    lst = b.node("list")
    shared = b.node("bytes", 5000)
    b.edge(m, lst, ".sessions")
    b.edge(m, shared, ".config")
    targets = []
    for i in range(3):
        s = b.node("app.Session", SESSION)
        buf = b.node("bytes", 1000)
        b.edge(lst, s, f"[{i}]")
        b.edge(s, buf, ".buffer")
        b.edge(s, shared, ".config")
        targets.append(s)
    g = b.graph()
    # WHEN
    (c,) = cluster_paths(g, targets, idom=immediate_dominators(g))
    # THEN the shared config, reachable from the module, is not counted
    assert c.retained == 3 * (SESSION + 1000)


def test_no_targets_no_clusters() -> None:
    g = HeapGraph.from_edges(["T"], [1], [], [(0, "r")])
    assert cluster_paths(g, []) == []


def test_doctests_run() -> None:
    assert doctest.testmod(leakhunt.analysis.retainers).failed == 0
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for obj in (leakhunt.model.HeapGraph, leakhunt.model.RetainerPath):
        for test in finder.find(obj, globs=vars(leakhunt.model)):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_compiled_and_python_searches_agree(data: st.DataObject) -> None:
    from leakhunt.analysis import retainers

    if retainers._C_BFS is None:
        pytest.skip("compiled walker not built")
    n = data.draw(st.integers(min_value=1, max_value=40))
    edges = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120)
    )
    roots = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
    g = HeapGraph.from_edges(
        ["T"] * n, [8] * n, [(a, b, "[0]") for a, b in edges], [(r, f"r{r}") for r in roots]
    )
    want = bytearray(n)
    for v in data.draw(st.lists(st.integers(0, n - 1), max_size=n)):
        want[v] = 1
    depth = data.draw(st.none() | st.integers(0, 5))
    compiled = retainers.bfs_tree(g, want, sum(want), depth)
    saved, retainers._C_BFS = retainers._C_BFS, None
    try:
        python = retainers.bfs_tree(g, want, sum(want), depth)
    finally:
        retainers._C_BFS = saved
    assert compiled[0] == python[0]
    assert list(compiled[1]) == list(python[1])
    assert list(compiled[2]) == list(python[2])
    assert compiled[3] == python[3]


@st.composite
def labelled_graphs(draw: st.DrawFn) -> tuple[HeapGraph, list[int]]:
    n = draw(st.integers(1, 30))
    node = st.integers(0, n - 1)
    labels = st.sampled_from(
        [".a", ".__dict__", "[0]", "[7]", "['k']", "['u1']", "['x_2']", "<key>", "[<A at 0x1f>]"]
    )
    edges = draw(st.lists(st.tuples(node, node, labels), max_size=3 * n))
    described = st.tuples(node, st.sampled_from(["module m", "thread T-12"]))
    roots = draw(st.lists(described, max_size=3))
    types = draw(st.lists(st.sampled_from(["T", "dict", "list"]), min_size=n, max_size=n))
    g = HeapGraph.from_edges(types, [1 + i % 4 for i in range(n)], edges, roots)
    return g, draw(st.lists(node, max_size=12))


@settings(deadline=None, max_examples=300)
@given(labelled_graphs(), st.booleans())
def test_compiled_clusters_match_the_per_target_twin(
    case: tuple[HeapGraph, list[int]], with_idom: bool
) -> None:
    # GIVEN a random labelled graph and targets, WHEN clustered by the
    # compiled signature pass and by one path and signature per target
    from leakhunt.analysis import retainers
    from leakhunt.analysis.dominators import immediate_dominators

    if retainers._C_BFS is None:
        pytest.skip("no compiled graph algorithms")
    g, targets = case
    idom = immediate_dominators(g) if with_idom else None
    fast = cluster_paths(g, targets, idom=idom)
    slow = retainers._cluster_paths_py(g, targets, idom=idom)
    # THEN the same clusters, in the same order, with the same members and paths
    assert fast == slow
