"""Which retainer paths account for a type's growth (leakhunt.analysis.growth), on
hand-built pairs of graphs A and B, and on random graphs against
leakhunt.analysis.retainers and a brute-force retained size."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from helpers.graphs import Builder
from hypothesis import given, settings
from hypothesis import strategies as st

from leakhunt.analysis.growth import (
    ClusterGrowth,
    ContainerGrowth,
    TypeRetention,
    explain_growth,
)
from leakhunt.analysis.retainers import cluster_paths, mask_label
from leakhunt.analysis.signatures import _mask
from leakhunt.model import NO_PATH, HeapGraph

ROW, SESSION, JOB = 40, 56, 48


def indices(n: int, start: int = 0) -> list[str]:
    return [f"[{i}]" for i in range(start, start + n)]


def report_rows(rows: int) -> HeapGraph:
    """``module app.report -> ._ROWS`` (a list) holding ``rows`` Row objects."""
    b = Builder()
    rows_list = b.node("list", 88)
    b.edge(b.module("app.report"), rows_list, "._ROWS")
    b.fill(rows_list, "app.Row", ROW, indices(rows))
    return b.graph()


# --- growth and the accumulating container ----------------------------------


def test_growth_in_one_list_is_one_cluster_that_names_the_list() -> None:
    # GIVEN a list of rows that grew from 3 to 10,003 items
    a, b = report_rows(3), report_rows(10_003)
    # WHEN
    (retention,) = explain_growth(a, b, ["app.Row"])
    # THEN one cluster holds the growth, and the list is named with its exact growth
    assert retention == TypeRetention(
        name="app.Row",
        clusters=(
            ClusterGrowth(
                signature=("module app.report", "module", "._ROWS", "list", "[*]", "app.Row"),
                count_a=3,
                count_b=10_003,
                size_a=3 * ROW,
                size_b=10_003 * ROW,
                retained=10_003 * ROW,
                path_text="module app.report -> ._ROWS -> [*] -> app.Row",
                container=ContainerGrowth("list", "module app.report -> ._ROWS", 3, 10_003),
            ),
        ),
    )
    (cluster,) = retention.clusters
    assert (cluster.count_delta, cluster.size_delta, cluster.reachable) == (10_000, 400_000, True)
    assert cluster.container is not None and cluster.container.delta == 10_000


def jobs(queued: int, done: int) -> HeapGraph:
    """Jobs split across two containers: a list and a dict keyed by job id."""
    b = Builder()
    app = b.module("app")
    queue = b.node("list", 88)
    finished = b.node("dict", 232)
    b.edge(app, queue, ".queue")
    b.edge(app, finished, ".done")
    b.fill(queue, "app.Job", JOB, indices(queued))
    b.fill(finished, "app.Job", JOB, [f"['j{i}']" for i in range(done)])
    return b.graph()


def test_growth_split_across_two_containers_is_two_clusters_each_with_its_count() -> None:
    # GIVEN the queue grew by 3 jobs and the done dict by 7
    a, b = jobs(queued=2, done=1), jobs(queued=5, done=8)
    # WHEN
    (retention,) = explain_growth(a, b, ["app.Job"])
    # THEN two clusters, biggest growth first, each naming its own container
    got = [(c.path_text, c.count_a, c.count_b, c.container, c.retained) for c in retention.clusters]
    assert got == [
        (
            "module app -> .done -> [*] -> app.Job",
            1,
            8,
            ContainerGrowth("dict", "module app -> .done", 1, 8),
            8 * JOB,
        ),
        (
            "module app -> .queue -> [*] -> app.Job",
            2,
            5,
            ContainerGrowth("list", "module app -> .queue", 2, 5),
            5 * JOB,
        ),
    ]
    assert sum(c.count_delta for c in retention.clusters) == 10


def test_ids_reused_by_other_objects_change_nothing() -> None:
    # GIVEN B whose objects carry the ids A's objects had, but on other
    # objects (CPython hands a freed address to the next object at once)
    a = jobs(queued=2, done=1)
    b = jobs(queued=5, done=8)
    n = b.n
    reused = replace(b, ids=type(b.ids)("Q", [a.ids[(i + 1) % a.n] for i in range(n)]))
    shared = replace(b, ids=type(b.ids)("Q", [a.ids[i % a.n] for i in range(n)]))
    fresh = replace(b, ids=type(b.ids)("Q", [10**9 + i for i in range(n)]))
    # WHEN
    results = [explain_growth(a, g, ["app.Job"]) for g in (b, reused, shared, fresh)]
    # THEN matching is by path signature: the same answer every time
    assert results[1:] == [results[0]] * 3
    assert [c.count_delta for c in results[0][0].clusters] == [7, 3]


def test_a_cluster_whose_count_did_not_grow_is_not_reported() -> None:
    # GIVEN the queue held steady (and the done dict even lost jobs) while
    # a third container grew
    def graph(archived: int) -> HeapGraph:
        b = Builder()
        app = b.module("app")
        queue, finished, archive = b.node("list", 88), b.node("dict", 232), b.node("list", 88)
        b.edge(app, queue, ".queue")
        b.edge(app, finished, ".done")
        b.edge(app, archive, ".archive")
        b.fill(queue, "app.Job", JOB, indices(4))
        b.fill(finished, "app.Job", JOB, [f"['j{i}']" for i in range(2 if archived else 3)])
        b.fill(archive, "app.Job", JOB, indices(archived))
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph(0), graph(6), ["app.Job"])
    # THEN only the archive is reported
    assert [(c.path_text, c.count_a, c.count_b) for c in retention.clusters] == [
        ("module app -> .archive -> [*] -> app.Job", 0, 6)
    ]


def test_many_containers_each_holding_one_object_name_the_dict_that_holds_them() -> None:
    # GIVEN sessions each wrapped in their own one-item list, the lists held
    # by one dict keyed by user id: the lists do not grow, the dict does
    def graph(users: int) -> HeapGraph:
        b = Builder()
        by_user = b.node("dict", 232)
        b.edge(b.module("app.cache"), by_user, "._BY_USER")
        for box in b.fill(by_user, "list", 64, [f"['u{i}']" for i in range(users)]):
            b.lengths[box] = 0
            b.fill(box, "app.Session", SESSION, ["[0]"])
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph(2), graph(12), ["app.Session"])
    # THEN
    (cluster,) = retention.clusters
    assert cluster.path_text == "module app.cache -> ._BY_USER -> [*] -> [*] -> app.Session"
    assert cluster.container == ContainerGrowth("dict", "module app.cache -> ._BY_USER", 2, 12)
    assert cluster.retained == 12 * SESSION  # the lists hold them, not the other way


def test_no_container_is_named_when_none_grew() -> None:
    # GIVEN a pair that held (Job, Other) and now holds (Job, Job): the
    # tuple kept its length
    def graph(second: str) -> HeapGraph:
        b = Builder()
        pair = b.node("tuple", 56, 2)
        b.edge(b.module("app"), pair, "._PAIR")
        b.edge(pair, b.node("app.Job", JOB), "[0]")
        b.edge(pair, b.node(second, JOB), "[1]")
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph("app.Other"), graph("app.Job"), ["app.Job"])
    # THEN the cluster is reported, without a container
    (cluster,) = retention.clusters
    assert (cluster.count_a, cluster.count_b, cluster.container) == (1, 2, None)


def test_a_container_new_since_a_grew_from_zero() -> None:
    # GIVEN a module that had no ._ROWS list in A
    a = Builder()
    a.module("app.report")
    # WHEN
    (retention,) = explain_growth(a.graph(), report_rows(2), ["app.Row"])
    # THEN
    (cluster,) = retention.clusters
    assert cluster.container == ContainerGrowth("list", "module app.report -> ._ROWS", 0, 2)


def test_the_container_closest_to_the_objects_is_named() -> None:
    # GIVEN rows in a list in a dict of tables, both of which grew
    def graph(tables: int, rows: int) -> HeapGraph:
        b = Builder()
        by_name = b.node("dict", 232)
        b.edge(b.module("app.db"), by_name, "._TABLES")
        for i, table in enumerate(
            b.fill(by_name, "list", 88, ["['users']"] + [f"['t{i}']" for i in range(tables)])
        ):
            b.fill(table, "app.Row", ROW, indices(rows if i == 0 else 1))
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph(1, 5), graph(3, 9), ["app.Row"])
    # THEN the users list, not the dict, accumulates the users rows
    users = next(c for c in retention.clusters if "users" in (c.path_text or ""))
    assert users.container == ContainerGrowth(
        "list", "module app.db -> ._TABLES -> ['users']", 5, 9
    )
    # and the rows of the new tables (one list each) point at the dict
    others = next(c for c in retention.clusters if c is not users)
    assert (others.count_a, others.count_b) == (1, 3)
    assert others.container == ContainerGrowth("dict", "module app.db -> ._TABLES", 2, 4)


def test_without_lengths_the_shallow_size_says_which_container_grew() -> None:
    # GIVEN graphs that carry no len() of their nodes; the list's size grew
    def graph(rows: int) -> HeapGraph:
        b = Builder()
        rows_list = b.node("list", 56 + 8 * rows)
        b.edge(b.module("app.report"), rows_list, "._ROWS")
        b.fill(rows_list, "app.Row", ROW, indices(rows))
        return b.graph(lengths=False)

    # WHEN
    (retention,) = explain_growth(graph(3), graph(5), ["app.Row"])
    # THEN
    assert retention.clusters[0].container == ContainerGrowth(
        "list", "module app.report -> ._ROWS", 80, 96, "bytes"
    )


# --- unreachable, limits, edge cases ----------------------------------------


def test_objects_no_root_reaches_form_one_cluster_held_outside_python() -> None:
    # GIVEN sessions with no referrer in the graph (held from C), 1 then 3
    def graph(lost: int) -> HeapGraph:
        b = Builder()
        b.module("app")
        for _ in range(lost):
            b.node("app.Session", SESSION)
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph(1), graph(3), ["app.Session"])
    # THEN
    assert retention.clusters == (
        ClusterGrowth(
            signature=(NO_PATH, "app.Session"),
            count_a=1,
            count_b=3,
            size_a=SESSION,
            size_b=3 * SESSION,
            retained=None,
            path_text=None,
            container=None,
        ),
    )
    assert not retention.clusters[0].reachable


def test_max_clusters_keeps_the_biggest_and_counts_the_rest() -> None:
    # GIVEN three containers that grew by 4, 2 and 1 jobs
    def graph(k: int) -> HeapGraph:
        b = Builder()
        app = b.module("app")
        for name, n in ((".a", 4), (".b", 2), (".c", 1)):
            holder = b.node("list", 88)
            b.edge(app, holder, name)
            b.fill(holder, "app.Job", JOB, indices(n * k))
        return b.graph()

    # WHEN
    (retention,) = explain_growth(graph(0), graph(1), ["app.Job"], max_clusters=1)
    # THEN
    assert [c.path_text for c in retention.clusters] == ["module app -> .a -> [*] -> app.Job"]
    assert (retention.omitted, retention.omitted_count) == (2, 3)
    (every,) = explain_growth(graph(0), graph(1), ["app.Job"])
    assert len(every.clusters) == 3


def test_types_are_answered_in_the_order_asked_once_each() -> None:
    # GIVEN a type that does not exist in either graph
    a, b = jobs(1, 1), jobs(2, 1)
    # WHEN
    result = explain_growth(a, b, ["app.Missing", "app.Job", "app.Missing"])
    # THEN
    assert [r.name for r in result] == ["app.Missing", "app.Job"]
    assert result[0] == TypeRetention("app.Missing", ())


def test_retained_can_be_skipped() -> None:
    (retention,) = explain_growth(jobs(1, 1), jobs(2, 1), ["app.Job"], retained=False)
    assert [c.retained for c in retention.clusters] == [None]


def test_max_clusters_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_clusters"):
        explain_growth(jobs(1, 1), jobs(2, 1), ["app.Job"], max_clusters=-1)


# --- against retainers and brute force --------------------------------------


def reachable(g: HeapGraph, removed: set[int]) -> set[int]:
    seen: set[int] = set()
    todo = [r for r, _ in g.roots if r not in removed]
    while todo:
        v = todo.pop()
        if v not in seen:
            seen.add(v)
            todo.extend(t for t, _ in g.out_edges(v) if t not in removed)
    return seen


def brute_retained(g: HeapGraph, members: set[int]) -> int:
    """Bytes that become unreachable when ``members`` are dropped."""
    before = reachable(g, set())
    return sum(g.sizes[v] for v in before - reachable(g, members))


def test_retained_size_equals_brute_force() -> None:
    # GIVEN sessions that each own a dict and a token; one token is also
    # held by a module-level list, so it survives the sessions
    def graph(sessions: int) -> tuple[HeapGraph, int]:
        b = Builder()
        cache, audit = b.node("dict", 232), b.node("list", 88)
        app = b.module("app.cache")
        b.edge(app, cache, "._SESSIONS")
        b.edge(app, audit, "._AUDIT")
        audited = -1
        keys = [f"['u{i}']" for i in range(sessions)]
        for i, s in enumerate(b.fill(cache, "app.Session", SESSION, keys)):
            state = b.node("dict", 104)
            b.edge(s, state, ".__dict__")
            token = b.node("str", 60 + i)
            b.edge(state, token, "['token']")
            if i == 1:
                b.edge(audit, token, "[0]")
                audited = token
        return b.graph(), audited

    (a, _), (b, audited) = graph(1), graph(4)
    # WHEN
    (retention,) = explain_growth(a, b, ["app.Session"])
    # THEN
    (cluster,) = retention.clusters
    members = {v for v in range(b.n) if b.type_name(v) == "app.Session"}
    assert cluster.retained == brute_retained(b, members)
    tokens = sum(b.sizes[v] for v in range(b.n) if b.type_name(v) == "str" and v != audited)
    assert cluster.retained == 4 * (SESSION + 104) + tokens


@st.composite
def random_graphs(draw: st.DrawFn, max_nodes: int = 30) -> HeapGraph:
    n = draw(st.integers(1, max_nodes))
    node = st.integers(0, n - 1)
    types = draw(st.lists(st.sampled_from(["T", "list", "dict"]), min_size=n, max_size=n))
    labels = st.sampled_from(
        [".a", ".b", "[0]", "[1]", "[12]", "['k']", "['u1']", "['a-1']", "['_']", "['2_x']"]
    )
    edges = draw(st.lists(st.tuples(node, node, labels), max_size=3 * n))
    roots = draw(st.lists(st.tuples(node, st.sampled_from(["module m", "module n"])), max_size=3))
    return HeapGraph.from_edges(types, [1 + i for i in range(n)], edges, roots)


@settings(max_examples=150, deadline=None)
@given(random_graphs())
def test_clusters_agree_with_cluster_paths_on_random_graphs(g: HeapGraph) -> None:
    # GIVEN an A without any T, so that every cluster of T in B grew
    empty = HeapGraph.from_edges(["module"], [1], [], [(0, "module m")])
    targets = [v for v in range(g.n) if g.type_name(v) == "T"]
    # WHEN
    (retention,) = explain_growth(empty, g, ["T"])
    # THEN the same clusters as leakhunt.analysis.retainers finds, with the same paths
    expected = cluster_paths(g, targets)
    assert Counter({c.signature: c.count_b for c in retention.clusters}) == Counter(
        {c.signature: c.count for c in expected}
    )
    for mine in retention.clusters:
        theirs = next(c for c in expected if c.signature == mine.signature)
        p = theirs.representative
        text = None
        if p.reachable:
            hops = [mask_label(label) for _, label in p.steps[1:]]
            text = " -> ".join([p.root, *hops, g.type_name(p.target)])
        assert mine.path_text == text
        assert mine.count_a == 0 and mine.size_b == theirs.size


@settings(max_examples=100, deadline=None)
@given(random_graphs(max_nodes=14))
def test_retained_is_brute_force_when_members_share_nothing(g: HeapGraph) -> None:
    empty = HeapGraph.from_edges(["module"], [1], [], [(0, "module m")])
    targets = {v for v in range(g.n) if g.type_name(v) == "T"}
    (retention,) = explain_growth(empty, g, ["T"])
    live = reachable(g, set())
    for c in retention.clusters:
        if not c.reachable:
            assert c.retained is None
            continue
        members = {t for t in targets if t in live and _signature_of(g, t) == c.signature}
        exact = brute_retained(g, members)
        # A lower bound in general (an object held only through two members
        # is dominated by neither); exact when what each member frees alone
        # adds up to what they free together.
        assert c.retained is not None and c.retained <= exact
        if sum(brute_retained(g, {m}) for m in members) == exact:
            assert c.retained == exact


def _signature_of(g: HeapGraph, target: int) -> tuple[str, ...]:
    (c,) = cluster_paths(g, [target])
    return c.signature


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.builds(lambda i: f"[{i}]", st.integers(0, 10**6)),
        st.builds(lambda k: f"[{k!r}]", st.text(max_size=12)),
        st.builds(lambda k: f"[{k!r}]", st.from_regex(r"[a-z_\-]{0,6}[0-9]{0,3}", fullmatch=True)),
        st.builds(lambda k: f".{k}", st.text(max_size=8)),
        st.text(max_size=16),
    )
)
def test_the_fast_label_mask_agrees_with_mask_label(label: str) -> None:
    assert _mask(label) == mask_label(label)


def test_new_only_clusters_the_objects_at_new_addresses() -> None:
    """A hunt's mode: objects whose address held an object of their type in A
    are old and not signed; the rest are clustered, nothing counted in A."""

    def cache(n: int) -> HeapGraph:
        edges = [(0, 1, "._SESSIONS")] + [(1, 2 + i, f"['u{i}']") for i in range(n)]
        return HeapGraph.from_edges(
            ["module", "dict"] + ["Session"] * n,
            [72, 232] + [48] * n,
            edges,
            [(0, "module app.cache")],
            lengths=[0, n] + [0] * n,
        )

    (growth,) = explain_growth(cache(2), cache(5), ["Session"], new_only=True)
    (c,) = growth.clusters
    assert (c.count_a, c.count_b, c.size_b) == (0, 3, 144)
    assert c.path_text == "module app.cache -> ._SESSIONS -> [*] -> Session"
    assert c.container is not None and c.container.delta == 3
    assert len(c.sample) == 3


@settings(max_examples=200, deadline=None)
@given(random_graphs(), random_graphs())
def test_compiled_and_python_signatures_agree(a: HeapGraph, b: HeapGraph) -> None:
    # GIVEN two random graphs, WHEN growth is explained by the compiled
    # signatures and by their pure-Python twin
    from leakhunt.analysis import signatures

    if signatures._C is None:
        pytest.skip("no compiled graph algorithms")
    names = ["T", "list", "dict"]
    compiled = explain_growth(a, b, names)
    saved, signatures._C = signatures._C, None
    try:
        python = explain_growth(a, b, names)
    finally:
        signatures._C = saved
    # THEN the same clusters, in the same order, with the same members
    assert compiled == python
    assert [[c.sample for c in r.clusters] for r in compiled] == [
        [c.sample for c in r.clusters] for r in python
    ]
