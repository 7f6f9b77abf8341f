"""The view models (leakhunt.report) and the renderers (leakhunt.render) on
hand-built snapshots: selection, sorting, humanized numbers, and the exact
output of every format against golden files in tests/golden/.

Regenerate the golden files after an intended change with
``LEAKHUNT_UPDATE_GOLDEN=1 pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from leakhunt.analysis.diff import diff
from leakhunt.model import (
    GcInfo,
    HeapGraph,
    ProcessMemory,
    Snapshot,
    TracemallocInfo,
    TypeDelta,
    TypeStat,
)
from leakhunt.render import (
    FORMATS,
    format_for_path,
    render_diff,
    render_diff_json,
    render_diff_markdown,
    render_diff_text,
    render_inspect,
    render_inspect_json,
)
from leakhunt.render.json import diff_to_dict
from leakhunt.render.words import fmt_bytes, fmt_count, fmt_duration, fmt_time
from leakhunt.views import (
    DiffView,
    diff_view,
    growth_at_least,
    inspect_view,
    select_deltas,
    select_stats,
)

GOLDEN = Path(__file__).parent / "golden"
ANSI = re.compile(r"\x1b\[")
T0 = 1714564800.0  # 2024-05-01T12:00:00Z


def _snapshot(
    label: str, seq: int, wall: float, pid: int, rss: int | None, types: dict[str, tuple[int, int]]
) -> Snapshot:
    return Snapshot(
        label=label,
        types=tuple(TypeStat(name, c, s) for name, (c, s) in types.items()),
        wall_time=wall,
        monotonic_time=wall - T0,
        pid=pid,
        python_version="3.11.7",
        leakhunt_version="0.1.0",
        memory=ProcessMemory(rss=rss, peak_rss=None if rss is None else rss + 2**20),
        seq=seq,
        path=f"snaps/{seq:04d}-{label}.lhs.json.gz",
    )


@pytest.fixture
def before() -> Snapshot:
    return _snapshot(
        "before",
        1,
        T0,
        4242,
        45 * 2**20,
        {
            "dict": (1000, 232_000),
            "list": (500, 28_000),
            "app.cache.Session": (10, 560),
            "str": (9000, 600_000),
            "tuple": (3000, 150_000),
            "set": (40, 8_640),
        },
    )


@pytest.fixture
def after() -> Snapshot:
    return _snapshot(
        "after",
        2,
        T0 + 12.5,
        4242,
        47 * 2**20 + 123_456,
        {
            "dict": (2000, 464_000),
            "list": (520, 29_200),
            "app.cache.Session": (1010, 56_560),
            "str": (8000, 500_000),
            "tuple": (3000, 150_100),
            "app.models.Row": (3, 312),
            "set": (38, 8_208),
        },
    )


def _heap(sessions: int, lost_lists: int) -> HeapGraph:
    """An object graph matching the fixtures' histograms for the types that
    grew: ``sessions`` sessions (each with its ``__dict__``) in a module-level
    dict, 989 other dicts and 500 lists in module-level tuples, and
    ``lost_lists`` lists no root reaches. Ids are scrambled, and B reuses A's."""
    types: list[str] = []
    sizes: list[int] = []
    lengths: list[int] = []
    edges: list[tuple[int, int, str]] = []

    def node(type_name: str, size: int, length: int = 0) -> int:
        types.append(type_name)
        sizes.append(size)
        lengths.append(length)
        return len(types) - 1

    cache, misc = node("module", 72), node("module", 72)
    by_user = node("dict", 232, sessions)
    edges.append((cache, by_user, "._SESSIONS"))
    for i in range(sessions):
        session = node("app.cache.Session", 56)
        edges.append((by_user, session, f"['u{i}']"))
        edges.append((session, node("dict", 232, 2), ".__dict__"))
    registry = node("tuple", 7_952, 989)
    edges.append((misc, registry, "._REGISTRY"))
    edges += [(registry, node("dict", 232), f"[{i}]") for i in range(989)]
    tables = node("tuple", 4_040, 500)
    edges.append((misc, tables, "._TABLES"))
    edges += [(tables, node("list", 56), f"[{i}]") for i in range(500)]
    for _ in range(lost_lists):
        node("list", 56)
    return HeapGraph.from_edges(
        types,
        sizes,
        edges,
        [(cache, "module app.cache"), (misc, "module app.misc")],
        ids=[(7_919 * i) % 10_007 for i in range(len(types))],
        lengths=lengths,
    )


@pytest.fixture
def before_graph(before: Snapshot) -> Snapshot:
    return replace(before, graph=_heap(10, 0))


@pytest.fixture
def after_graph(after: Snapshot) -> Snapshot:
    return replace(after, graph=_heap(1_010, 20))


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LEAKHUNT_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with LEAKHUNT_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def _names(rows: tuple[TypeDelta, ...] | tuple[TypeStat, ...]) -> list[str]:
    return [r.name for r in rows]


# ---------------------------------------------------------------- selection


def test_default_selection_lists_grown_types_biggest_bytes_first(
    before: Snapshot, after: Snapshot
) -> None:
    # GIVEN a diff where dict, Session, list, Row and tuple changed size,
    # str and set shrank
    # WHEN the default view is built
    view = diff_view(diff(before, after))
    # THEN only types whose count grew are listed, by bytes grown
    # (tuple's count held, so it is not listed)
    assert _names(view.rows) == ["dict", "app.cache.Session", "list", "app.models.Row"]
    assert [r.size_delta for r in view.rows] == [232_000, 56_000, 1_200, 312]
    assert view.omitted == 0


def test_sort_by_count_breaks_ties_by_bytes_then_name() -> None:
    deltas = [
        TypeDelta("b", 0, 5, 0, 50),
        TypeDelta("a", 0, 5, 0, 50),
        TypeDelta("c", 0, 5, 0, 500),
        TypeDelta("d", 0, 9, 0, 9),
    ]
    rows, _ = select_deltas(deltas, sort="count")
    assert _names(rows) == ["d", "c", "a", "b"]
    rows, _ = select_deltas(deltas, sort="bytes")
    assert _names(rows) == ["c", "a", "b", "d"]


def test_top_cuts_rows_and_counts_the_rest(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after), top=2)
    assert _names(view.rows) == ["dict", "app.cache.Session"]
    assert view.omitted == 2


def test_top_zero_keeps_every_row() -> None:
    deltas = [TypeDelta(f"t{i:02d}", 0, i + 1, 0, i + 1) for i in range(50)]
    rows, omitted = select_deltas(deltas, top=0)
    assert len(rows) == 50
    assert omitted == 0
    assert rows[0].name == "t49"


def test_min_count_drops_types_that_grew_by_fewer_objects(
    before: Snapshot, after: Snapshot
) -> None:
    view = diff_view(diff(before, after), min_count=20)
    assert _names(view.rows) == ["dict", "app.cache.Session", "list"]
    view = diff_view(diff(before, after), min_count=21)
    assert _names(view.rows) == ["dict", "app.cache.Session"]


def test_min_count_zero_adds_types_that_grew_in_bytes_only(
    before: Snapshot, after: Snapshot
) -> None:
    # tuple: same count, 100 bytes more (a container that keeps growing)
    view = diff_view(diff(before, after), min_count=0)
    assert "tuple" in _names(view.rows)
    assert "str" not in _names(view.rows)


def test_all_lists_shrinking_types_after_growing_ones_biggest_shrink_first(
    before: Snapshot, after: Snapshot
) -> None:
    view = diff_view(diff(before, after), include_shrinking=True)
    assert _names(view.rows) == [
        "dict",
        "app.cache.Session",
        "list",
        "app.models.Row",
        "str",
        "set",
    ]


def test_all_with_sort_by_count_orders_shrinkers_by_count() -> None:
    deltas = [
        TypeDelta("few", 10, 9, 1000, 0),
        TypeDelta("many", 10, 1, 100, 99),
        TypeDelta("grew", 0, 1, 0, 1),
    ]
    rows, _ = select_deltas(deltas, sort="count", include_shrinking=True)
    assert _names(rows) == ["grew", "many", "few"]
    rows, _ = select_deltas(deltas, sort="bytes", include_shrinking=True)
    assert _names(rows) == ["grew", "few", "many"]


def test_all_respects_min_count_for_shrinking_types(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after), include_shrinking=True, min_count=100)
    assert _names(view.rows) == ["dict", "app.cache.Session", "str"]


@pytest.mark.parametrize(
    "kwargs", [{"top": -1}, {"min_count": -1}, {"sort": "size"}], ids=["top", "min", "sort"]
)
def test_selection_refuses_bad_arguments(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        select_deltas([], **kwargs)  # type: ignore[arg-type]


def test_select_stats_sorts_by_bytes_or_count() -> None:
    stats = [TypeStat("a", 1, 90), TypeStat("b", 9, 10), TypeStat("c", 9, 20)]
    assert _names(select_stats(stats)[0]) == ["a", "c", "b"]
    assert _names(select_stats(stats, sort="count")[0]) == ["c", "b", "a"]
    rows, omitted = select_stats(stats, top=1)
    assert (_names(rows), omitted) == (["a"], 2)


def test_diff_view_header_numbers(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after))
    assert view.a.display_label == "before"
    assert view.b.display_label == "after"
    assert view.seconds_between == 12.5
    assert view.rss_delta == 2 * 2**20 + 123_456
    assert view.count_delta == after.total_count - before.total_count
    assert view.size_delta == after.total_size - before.total_size
    assert view.same_process


def test_diff_view_rss_delta_is_none_when_a_side_does_not_know(before: Snapshot) -> None:
    unknown = _snapshot("x", 2, T0 + 1, 4242, None, {"dict": (1, 232)})
    assert diff_view(diff(before, unknown)).rss_delta is None


def test_growth_gate_counts_every_type_whatever_the_view_shows(
    before: Snapshot, after: Snapshot
) -> None:
    d = diff(before, after)
    # biggest count growth first; ties broken by bytes
    assert _names(growth_at_least(d, 1000)) == ["dict", "app.cache.Session"]
    assert _names(growth_at_least(d, 20)) == ["dict", "app.cache.Session", "list"]
    assert growth_at_least(d, 1001) == ()
    with pytest.raises(ValueError):
        growth_at_least(d, 0)


def test_inspect_view_carries_the_header() -> None:
    s = Snapshot(
        "x",
        (TypeStat("dict", 2, 464), TypeStat("list", 5, 280)),
        T0,
        1.0,
        7,
        "3.12.1",
        "0.1.0",
        memory=ProcessMemory(10, 20),
        gc=GcInfo(collections=(5, 1, 0)),
        tracemalloc=TracemallocInfo(100, 200),
        seq=3,
        walker="python",
    )
    view = inspect_view(s, sort="count", top=1)
    assert (view.display_label, view.seq, view.pid, view.walker) == ("x", 3, 7, "python")
    assert (view.rss, view.peak_rss, view.gc_collections) == (10, 20, (5, 1, 0))
    assert (view.tracemalloc_current, view.tracemalloc_peak) == (100, 200)
    assert (view.total_count, view.total_size) == (7, 744)
    assert _names(view.rows) == ["list"]
    assert view.omitted == 1


# ---------------------------------------------------------------- humanized numbers


@pytest.mark.parametrize(
    ("n", "signed", "text"),
    [
        (0, True, "0 B"),
        (-312, True, "-312 B"),
        (1023, False, "1023 B"),
        (1946, True, "+1.9 KiB"),
        (-1946, False, "-1.9 KiB"),
        (1024 * 1024 - 1, False, "1.0 MiB"),
        (5 * 2**30, True, "+5.0 GiB"),
        (None, True, "?"),
    ],
)
def test_fmt_bytes(n: int | None, signed: bool, text: str) -> None:
    assert fmt_bytes(n, signed=signed) == text


@pytest.mark.parametrize(
    ("n", "signed", "text"),
    [
        (1000, True, "+1,000"),
        (-4200, True, "-4,200"),
        (0, True, "0"),
        (1234567, False, "1,234,567"),
    ],
)
def test_fmt_count(n: int, signed: bool, text: str) -> None:
    assert fmt_count(n, signed=signed) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0 ms"),
        (0.25, "+250 ms"),
        (12.34, "+12.3 s"),
        (125, "+2 min 5 s"),
        (-3725, "-1 h 2 min"),
        (float("nan"), "?"),
    ],
)
def test_fmt_duration(seconds: float, text: str) -> None:
    assert fmt_duration(seconds, signed=True) == text


def test_fmt_time_is_utc_iso_and_survives_garbage() -> None:
    assert fmt_time(T0) == "2024-05-01T12:00:00Z"
    assert "not a valid time" in fmt_time(float("nan"))


# ---------------------------------------------------------------- golden output


def test_diff_table_golden(before: Snapshot, after: Snapshot) -> None:
    _check_golden("diff.txt", render_diff_text(diff_view(diff(before, after), top=3), width=100))


def test_diff_table_all_golden(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after), include_shrinking=True, sort="count", top=0)
    _check_golden("diff-all.txt", render_diff_text(view, width=100))


def test_diff_markdown_golden(before: Snapshot, after: Snapshot) -> None:
    _check_golden("diff.md", render_diff_markdown(diff_view(diff(before, after), top=3)))


def test_diff_json_golden(before: Snapshot, after: Snapshot) -> None:
    _check_golden("diff.json", render_diff_json(diff_view(diff(before, after), top=3)))


def test_inspect_table_golden(after: Snapshot) -> None:
    s = replace(
        after,
        gc=GcInfo(collections=(120, 10, 2)),
        tracemalloc=TracemallocInfo(1_300_000, 3_400_000),
        walker="c",
        capture_seconds=0.12,
        platform="linux",
        format_version="1.0",
    )
    _check_golden("inspect.txt", render_inspect(inspect_view(s, top=4), "table", width=100))
    _check_golden("inspect.md", render_inspect(inspect_view(s, top=4), "markdown"))


def test_inspect_json_golden(after: Snapshot) -> None:
    _check_golden("inspect.json", render_inspect_json(inspect_view(after, top=4)))


# ---------------------------------------------------------------- renderer behaviour


def test_table_ignores_the_environment(
    before: Snapshot, after: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a terminal-ish environment that rich would normally honour
    view = diff_view(diff(before, after), top=3)
    expected = render_diff_text(view, width=100)
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    # THEN the output depends on the arguments only
    assert render_diff_text(view, width=100) == expected


@pytest.mark.parametrize("width", [64, 80, 100, 160])
def test_table_fits_the_width(before: Snapshot, after: Snapshot, width: int) -> None:
    view = diff_view(diff(before, after), include_shrinking=True, top=0)
    text = render_diff_text(view, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    # a long name folds onto the next line rather than losing characters
    assert "app.cache.Sess" in text
    assert "-432 B" in text


def test_color_only_when_asked(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after))
    assert not ANSI.search(render_diff_text(view))
    assert ANSI.search(render_diff_text(view, color=True))


def test_numbers_are_humanized_in_table_and_markdown(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after))
    for text in (render_diff_text(view), render_diff_markdown(view)):
        assert "+1,000" in text
        assert "+226.6 KiB" in text
        assert "+312 B" in text


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_says_and_n_more_types_when_top_cuts(before: Snapshot, after: Snapshot, fmt: str) -> None:
    text = render_diff(diff_view(diff(before, after), top=1), fmt)  # type: ignore[arg-type]
    assert "and 3 more types" in text
    text = render_diff(diff_view(diff(before, after), top=3), fmt)  # type: ignore[arg-type]
    assert "and 1 more type " in text
    assert "more type" not in render_diff(diff_view(diff(before, after), top=0), fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_says_plainly_when_nothing_grew(before: Snapshot, fmt: str) -> None:
    later = _snapshot("later", 2, T0 + 1, 4242, 45 * 2**20, {"dict": (1000, 232_000)})
    view = diff_view(diff(before, later))
    assert view.rows == ()
    text = render_diff(view, fmt)  # type: ignore[arg-type]
    assert "no type grew between before and later" in text
    view = diff_view(diff(before, later), min_count=5)
    text = render_diff(view, fmt)  # type: ignore[arg-type]
    assert "no type grew by 5 objects or more between before and later" in text


def test_nothing_grew_golden(before: Snapshot) -> None:
    _check_golden("diff-empty.txt", render_diff_text(diff_view(diff(before, before)), width=100))


def test_json_is_one_object_with_every_row_field(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after), top=2)
    doc = json.loads(render_diff_json(view))
    assert doc == diff_to_dict(view)
    assert set(doc) >= {
        "a",
        "b",
        "seconds_between",
        "rss_delta",
        "count_delta",
        "size_delta",
        "types",
        "omitted",
    }
    assert set(doc["a"]) >= {"label", "seq", "wall_time", "path", "rss"}
    assert doc["types"][0] == {
        "type": "dict",
        "count_a": 1000,
        "count_b": 2000,
        "count_delta": 1000,
        "size_a": 232_000,
        "size_b": 464_000,
        "size_delta": 232_000,
    }
    assert doc["omitted"] == 2


def test_json_writes_null_for_times_that_are_not_numbers(before: Snapshot) -> None:
    odd = replace(before, wall_time=float("nan"))
    doc = json.loads(render_diff_json(diff_view(diff(odd, before))))
    assert doc["a"]["wall_time"] is None
    assert doc["seconds_between"] is None


def test_markdown_escapes_labels_and_type_names() -> None:
    a = _snapshot("a|b *x*", 1, T0, 1, None, {})
    b = replace(a, types=(TypeStat("weird|name", 1, 10),), seq=2)
    text = render_diff_markdown(diff_view(diff(a, b)))
    assert "`weird\\|name`" in text
    assert "a\\|b \\*x\\*" in text
    for line in text.splitlines():
        if line.startswith("| `weird"):
            assert line.count(" | ") == 4  # five cells, the pipe did not split one


def test_renderers_are_pure(before: Snapshot, after: Snapshot) -> None:
    view = diff_view(diff(before, after))
    for fmt in FORMATS:
        assert render_diff(view, fmt) == render_diff(view, fmt)
        assert render_inspect(inspect_view(after), fmt) == render_inspect(inspect_view(after), fmt)


def test_views_are_frozen(before: Snapshot, after: Snapshot) -> None:
    view: DiffView = diff_view(diff(before, after))
    with pytest.raises(AttributeError):
        view.top = 3  # type: ignore[misc]


def test_unknown_format_is_refused(before: Snapshot) -> None:
    with pytest.raises(ValueError):
        render_diff(diff_view(diff(before, before)), "html")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("a.json", "json"),
        ("A.JSON", "json"),
        ("r.md", "markdown"),
        ("r.markdown", "markdown"),
        ("r.txt", "table"),
        ("report", "table"),
    ],
)
def test_format_follows_the_output_extension(path: str, fmt: str) -> None:
    assert format_for_path(path) == fmt


def test_unlabelled_snapshots_are_named_by_sequence_number_once(before: Snapshot) -> None:
    a = replace(before, label=None, seq=3)
    b = replace(before, label=None, seq=4, wall_time=T0 + 1)
    view = diff_view(diff(a, b))
    text = render_diff_text(view)
    assert text.splitlines()[:2] == [f"A  #3  {a.path}", f"B  #4  {b.path}"]
    assert "no type grew between #3 and #4" in text
    assert render_diff_markdown(view).startswith("### leakhunt diff: #3 → #4\n")


# ---------------------------------------------------------------- retainer paths ("held by")


def test_diff_view_explains_grown_rows_when_both_snapshots_have_graphs(
    before_graph: Snapshot, after_graph: Snapshot
) -> None:
    # GIVEN snapshots with object graphs
    # WHEN the view is built with every row shown, shrinking ones too
    view = diff_view(diff(before_graph, after_graph), include_shrinking=True, top=0)
    # THEN every row whose count grew is explained, in row order; the others are not
    assert view.retention is not None
    assert [r.name for r in view.retention] == [
        "dict",
        "app.cache.Session",
        "list",
        "app.models.Row",
    ]
    session = view.retention_of("app.cache.Session")
    assert session is not None
    (cluster,) = session.clusters
    assert (cluster.count_a, cluster.count_b) == (10, 1_010)
    assert cluster.path_text == "module app.cache -> ._SESSIONS -> [*] -> app.cache.Session"
    assert cluster.container is not None
    assert (cluster.container.path_text, cluster.container.delta) == (
        "module app.cache -> ._SESSIONS",
        1_000,
    )
    assert cluster.retained == 1_010 * (56 + 232)
    lists = view.retention_of("list")
    assert lists is not None
    assert [(c.path_text, c.count_delta) for c in lists.clusters] == [(None, 20)]
    assert view.retention_of("str") is None  # shrank: nothing to explain
    row = view.retention_of("app.models.Row")
    assert row is not None and row.clusters == ()  # in the histogram, not in the graph


@pytest.mark.parametrize("which", ["a", "b", "neither"])
def test_without_both_graphs_the_view_and_every_output_are_unchanged(
    before: Snapshot, after: Snapshot, before_graph: Snapshot, after_graph: Snapshot, which: str
) -> None:
    plain = diff_view(diff(before, after), top=3)
    a = before_graph if which == "a" else before
    b = after_graph if which == "b" else after
    view = diff_view(diff(a, b), top=3)
    assert view.retention is None
    for fmt in FORMATS:
        assert render_diff(view, fmt) == render_diff(plain, fmt)


def test_paths_can_be_turned_off(
    before: Snapshot, after: Snapshot, before_graph: Snapshot, after_graph: Snapshot
) -> None:
    view = diff_view(diff(before_graph, after_graph), top=3, paths=False)
    assert view.retention is None
    assert render_diff_text(view) == render_diff_text(diff_view(diff(before, after), top=3))


def test_diff_table_with_paths_golden(before_graph: Snapshot, after_graph: Snapshot) -> None:
    view = diff_view(diff(before_graph, after_graph), top=3)
    _check_golden("diff-paths.txt", render_diff_text(view, width=100))


def test_diff_markdown_with_paths_golden(before_graph: Snapshot, after_graph: Snapshot) -> None:
    view = diff_view(diff(before_graph, after_graph), top=3)
    _check_golden("diff-paths.md", render_diff_markdown(view))


def test_diff_json_with_paths_golden(before_graph: Snapshot, after_graph: Snapshot) -> None:
    view = diff_view(diff(before_graph, after_graph), top=3)
    _check_golden("diff-paths.json", render_diff_json(view))


def test_json_lists_the_retainers_of_each_grown_type(
    before_graph: Snapshot, after_graph: Snapshot
) -> None:
    view = diff_view(diff(before_graph, after_graph), include_shrinking=True, top=0)
    doc = json.loads(render_diff_json(view))
    by_type = {t["type"]: t for t in doc["types"]}
    assert by_type["app.cache.Session"]["retainers"] == [
        {
            "count_a": 10,
            "count_b": 1_010,
            "size_a": 560,
            "size_b": 56_560,
            "path": "module app.cache -> ._SESSIONS -> [*] -> app.cache.Session",
            "container": {
                "type": "dict",
                "path": "module app.cache -> ._SESSIONS",
                "length_a": 10,
                "length_b": 1_010,
                "unit": "items",
            },
            "retained": 1_010 * (56 + 232),
            "cluster": 1,
        }
    ]
    assert by_type["app.cache.Session"]["retainers_omitted"] == 0
    assert by_type["list"]["retainers"][0]["path"] is None
    assert "retainers" not in by_type["str"]


def test_held_by_lines_follow_their_row_and_fit_the_width(
    before_graph: Snapshot, after_graph: Snapshot
) -> None:
    view = diff_view(diff(before_graph, after_graph), include_shrinking=True, top=0)
    for width in (64, 100):
        lines = render_diff_text(view, width=width).splitlines()
        # a command is printed whole, to be copied: it alone may pass the width
        commands = [line for line in lines if line.startswith("      leakhunt graph ")]
        assert commands and all(c.endswith(" --cluster 1") for c in commands)
        assert max(len(line) for line in lines if line not in commands) <= width
        start = next(i for i, line in enumerate(lines) if line.startswith("list "))
        assert lines[start + 1].startswith("  new in B: ")
        assert lines[start + 2] == "  #1 +20 held outside Python: no referrer that Python can see"
        assert lines[start + 3] == "    draw it:"
        assert lines[start + 4].startswith("      leakhunt graph ")
        row = next(i for i, line in enumerate(lines) if line.startswith("app.models.Row"))
        shrunk = next(i for i, line in enumerate(lines) if line.startswith("str "))
        # under a shrinking row: its new and deleted objects, no paths
        assert lines[shrunk + 1].startswith("  new in B: ") and start < row < shrunk
        assert not lines[shrunk + 2].startswith(" ")
    text = render_diff_text(view, width=64)
    assert "app.cache.Session" in text.replace("\n", "")
    assert ANSI.search(render_diff_text(view, color=True))


def test_held_by_says_how_many_more_paths_were_cut() -> None:
    from leakhunt.analysis.growth import ClusterGrowth, TypeRetention

    before = _snapshot("a", 1, T0, 1, None, {"app.Job": (0, 0)})
    after = _snapshot("b", 2, T0 + 1, 1, None, {"app.Job": (7, 336)})
    shown = ClusterGrowth(("s",), 0, 4, 0, 192, None, "module app -> .a -> [*] -> app.Job", None)
    view = replace(
        diff_view(diff(before, after)),
        retention=(TypeRetention("app.Job", (shown,), omitted=2, omitted_count=3),),
    )
    assert "  and 2 more paths (+3 objects)" in render_diff_text(view).splitlines()
    assert "- `app.Job`: and 2 more paths (+3 objects)" in render_diff_markdown(view).splitlines()
    assert json.loads(render_diff_json(view))["types"][0]["retainers_omitted"] == 2
