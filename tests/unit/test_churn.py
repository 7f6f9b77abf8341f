"""New and deleted objects per type (leakhunt.analysis.churn), the diff
filters, and the progress bar: on hand-built graphs, the compiled matching
against its pure-Python twin and a brute-force count."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leakhunt.analysis import churn as churn_module
from leakhunt.analysis.churn import churn, new_in_b
from leakhunt.analysis.diff import matches_filters
from leakhunt.model import HeapGraph
from leakhunt.render.progress import progress_bar


def graph(objects: list[tuple[str, int, int]]) -> HeapGraph:
    """Nodes from (type, id, size)."""
    return HeapGraph.from_edges(
        [t for t, _, _ in objects], [z for _, _, z in objects], [], [],
        ids=[i for _, i, _ in objects],
    )  # fmt: skip


def test_an_address_reused_by_another_size_or_type_is_new() -> None:
    # GIVEN A: three dicts; B: one kept, one address reused by a dict of
    # another size, one by a list, and one dict at a fresh address
    a = graph([("dict", 16, 64), ("dict", 32, 64), ("dict", 48, 64)])
    b = graph([("dict", 16, 64), ("dict", 32, 232), ("list", 48, 64), ("dict", 80, 64)])
    # WHEN
    change, fresh = new_in_b(a, b, "dict")
    # THEN the resized one and the fresh one are new; two of A's are gone
    assert (change.new, change.deleted) == (2, 2)
    assert (change.new_size, change.deleted_size) == (232 + 64, 128)
    assert list(fresh) == [0, 1, 0, 1]
    assert change.new - change.deleted == 3 - 3 + 0  # the count held


def test_a_type_absent_from_one_side() -> None:
    a = graph([("dict", 16, 64)])
    b = graph([("list", 16, 56), ("list", 32, 56)])
    assert [(c.name, c.new, c.deleted) for c in churn(a, b, ["list", "dict", "set"])] == [
        ("list", 2, 0),
        ("dict", 0, 1),
        ("set", 0, 0),
    ]


objects = st.lists(
    st.tuples(st.sampled_from(["T", "U"]), st.integers(0, 12), st.sampled_from([8, 16])),
    max_size=30,
    unique_by=lambda o: o[1],  # ids are unique within one snapshot
)


@settings(max_examples=300, deadline=None)
@given(objects, objects)
def test_compiled_twin_and_brute_force_agree(xs: list[tuple[str, int, int]],
                                             ys: list[tuple[str, int, int]]) -> None:  # fmt: skip
    a, b = graph(xs), graph(ys)
    compiled = new_in_b(a, b, "T")
    saved, churn_module._churn_c = churn_module._churn_c, None
    try:
        python = new_in_b(a, b, "T")
    finally:
        churn_module._churn_c = saved
    assert compiled == python
    # brute force: a multiset difference of (id, size) among objects of T
    in_a = Counter((i, z) for t, i, z in xs if t == "T")
    in_b = Counter((i, z) for t, i, z in ys if t == "T")
    change = compiled[0]
    assert change.new == sum((in_b - in_a).values())
    assert change.deleted == sum((in_a - in_b).values())
    assert change.new - change.deleted == sum(in_b.values()) - sum(in_a.values())


@pytest.mark.parametrize(
    ("name", "types", "modules", "kept"),
    [
        ("app.cache.Session", (), (), True),
        ("app.cache.Session", ("Session",), (), True),
        ("app.cache.Session", ("cache.Session",), (), True),
        ("app.cache.Session", ("ession",), (), False),
        ("app.cache.Session", (), ("app",), True),
        ("app.cache.Session", (), ("app.cache",), True),
        ("app.cache.Session", (), ("ap",), False),
        ("dict", (), ("builtins",), True),
        ("dict", ("list",), ("app",), False),
        ("dict", ("list", "dict"), (), True),
    ],
)
def test_filters(name: str, types: tuple[str, ...], modules: tuple[str, ...], kept: bool) -> None:
    assert matches_filters(name, types, modules) is kept


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_stage_and_percent_on_a_terminal_only() -> None:
    # GIVEN a terminal, WHEN work reports progress, THEN the stage shows
    tty = _Tty()
    with progress_bar("diff", stream=tty) as say:
        assert say is not None
        say("reading A", 0.0)
        say("clusters of dict", 0.5)
    assert "leakhunt diff:" in tty.getvalue()
    # AND nothing at all goes to a pipe
    pipe = io.StringIO()
    with progress_bar("diff", stream=pipe) as say:
        assert say is None
    assert pipe.getvalue() == ""
