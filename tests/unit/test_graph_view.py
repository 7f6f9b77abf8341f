"""Back-reference graphs: the view model on toy graphs, the DOT text (golden
files), rendering with Graphviz, the fallback without it, the ``graph``
command and ``show_retainers``.

Regenerate the golden files after an intended change with
``LEAKHUNT_UPDATE_GOLDEN=1 pytest tests/test_dot.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from helpers.graphs import Builder

import leakhunt
from leakhunt import capture, cli
from leakhunt.analysis.graph_view import (
    RetainerGraph,
    retainer_graph,
    retainer_graph_of_clusters,
)
from leakhunt.analysis.retainers import cluster_paths
from leakhunt.errors import LeakhuntError, UsageError
from leakhunt.model import HELD_OUTSIDE, HeapGraph, Snapshot
from leakhunt.outputs import write_graph
from leakhunt.render.dot import graph_title, node_text, render_dot

GOLDEN = Path(__file__).parent / "golden"
HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz 'dot' is not installed")


def chain() -> tuple[HeapGraph, int]:
    """module app.cache -> ._CACHE -> dict -> ['u42'] -> app.Session"""
    b = Builder()
    m = b.module("app.cache")
    cache = b.node("dict", 232)
    session = b.node("app.Session", 48)
    b.edge(m, cache, "._CACHE")
    b.edge(cache, session, "['u42']")
    return b.graph(), session


def rows_in_a_list(n: int) -> tuple[HeapGraph, list[int]]:
    """module app -> .rows -> list -> [i] -> dict, n times."""
    b = Builder()
    m = b.module("app")
    rows = b.node("list", 56 + 8 * n)
    b.edge(m, rows, ".rows")
    targets = []
    for i in range(n):
        d = b.node("dict", 232)
        b.edge(rows, d, f"[{i}]")
        targets.append(d)
    return b.graph(), targets


def kinds(view: RetainerGraph) -> list[tuple[str, str]]:
    return [(n.kind, n.text) for n in view.nodes]


def edges(view: RetainerGraph) -> list[tuple[str, str, str]]:
    return [(e.source, e.target, e.label) for e in view.edges]


def node_line(source: str, key: str) -> str:
    (line,) = [x for x in source.splitlines() if x.startswith(f"  {key} [")]
    return line


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("LEAKHUNT_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} missing: run with LEAKHUNT_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the view model


def test_a_chain_is_drawn_from_the_root_to_the_target() -> None:
    # GIVEN module app.cache -> ._CACHE -> dict -> ['u42'] -> Session
    g, session = chain()
    # WHEN drawing what keeps the session alive
    view = retainer_graph(g, [session])
    # THEN the root, the holder and the target, edges from holder to held
    assert kinds(view) == [("root", "module"), ("intermediate", "dict"), ("target", "app.Session")]
    assert edges(view) == [("n0", "n1", "._CACHE"), ("n1", "n2", "['u42']")]
    assert view.node("n0").root == "module app.cache"
    assert view.node("n2").path == "module app.cache -> ._CACHE -> ['u42'] -> app.Session"
    assert graph_title(view) == "Why is app.Session 0x2 alive?"
    assert (view.target_count, view.target_size, view.clusters, view.clusters_drawn) == (
        1,
        48,
        1,
        1,
    )


def test_a_thousand_similar_targets_are_one_node() -> None:
    # GIVEN 1,000 dicts in one list
    g, targets = rows_in_a_list(1000)
    # WHEN drawing them
    view = retainer_graph(g, targets)
    # THEN one cluster node with the count and total bytes, one path, no "more"
    assert kinds(view) == [("root", "module"), ("intermediate", "list"), ("target", "dict")]
    (cluster,) = view.of_kind("target")
    assert (cluster.count, cluster.size) == (1000, 232_000)
    # the edge into a cluster carries the masked label: it stands for all of them
    assert edges(view) == [("n0", "n1", ".rows"), ("n1", "n2", "[*]")]
    source = render_dot(view)
    assert source.count("x1,000") == 1
    assert "x1,000 · 226.6 KiB total" in node_line(source, "n2")
    assert graph_title(view) == "Why are 1,000 dict objects alive?"


def test_clusters_that_do_not_fit_are_counted_not_drawn() -> None:
    # GIVEN three containers, each holding dicts on its own path
    b = Builder()
    m = b.module("app")
    targets = []
    for name, n in [(".a", 3), (".b", 2), (".c", 1)]:
        holder = b.node("list", 88)
        b.edge(m, holder, name)
        for i in range(n):
            d = b.node("dict", 232)
            b.edge(holder, d, f"[{i}]")
            targets.append(d)
    g = b.graph()
    # WHEN only four objects may be drawn
    view = retainer_graph(g, targets, max_nodes=4)
    # THEN the biggest cluster's path fills the budget and the others are summed up
    assert [(n.text, n.count) for n in view.of_kind("target")] == [("dict", 3)]
    assert (view.clusters, view.clusters_drawn) == (3, 1)
    assert node_text(view.node("rest")) == "... and 2 more clusters (3 objects, 696 B) not drawn"
    # AND with room for all, every cluster is drawn, the shared root once
    full = retainer_graph(g, targets)
    assert [n.count for n in full.of_kind("target")] == [3, 2, 1]
    assert len(full.of_kind("root")) == 1


def test_referrers_beyond_max_nodes_are_one_more_node() -> None:
    # GIVEN a session held by the cache and by 40 other dicts
    b = Builder()
    m = b.module("app.cache")
    cache = b.node("dict", 232)
    session = b.node("app.Session", 48)
    b.edge(m, cache, "._CACHE")
    b.edge(cache, session, "['u42']")
    for i in range(40):
        other = b.node("dict", 232)
        b.edge(other, session, f"['s{i}']")
    g = b.graph()
    # WHEN at most 5 objects may be drawn
    view = retainer_graph(g, [session], max_nodes=5)
    # THEN the root path, then the nearest referrers up to the cap, then "... more"
    assert len([n for n in view.nodes if n.node is not None]) == 5
    assert [node_text(n) for n in view.of_kind("more")] == ["... and 38 more referrers"]
    assert ("m2", "n2", "") in edges(view)
    assert next(e for e in view.edges if e.source == "m2").dashed
    # AND with room for all of them, nothing is left out
    assert retainer_graph(g, [session], max_nodes=100).of_kind("more") == ()


def test_one_referrer_not_drawn_is_singular() -> None:
    b = Builder()
    m = b.module("app.cache")
    cache, session, audit = b.node("dict", 232), b.node("app.Session", 48), b.node("app.Audit")
    b.edge(m, cache, "._CACHE")
    b.edge(cache, session, "['u42']")
    b.edge(audit, session, ".owner")
    view = retainer_graph(b.graph(), [session], max_nodes=3)
    assert [node_text(n) for n in view.of_kind("more")] == ["... and 1 more referrer"]


def test_a_long_path_keeps_its_root_and_the_last_max_depth_hops() -> None:
    # GIVEN a linked list of 20 nodes from a module to the leaked payload
    b = Builder()
    m = b.module("app.linked")
    prev, label = m, ".head"
    for _ in range(20):
        node = b.node("app.Node", 56)
        b.edge(prev, node, label)
        prev, label = node, ".next"
    payload = b.node("app.Payload", 48)
    b.edge(prev, payload, ".payload")
    g = b.graph()
    # WHEN drawing at most 5 hops back from the payload
    view = retainer_graph(g, [payload], max_depth=5)
    # THEN the root is drawn, then "...", then the last 5 hops
    assert [n.key for n in view.nodes if n.node is not None] == [
        "n0",
        "n16",
        "n17",
        "n18",
        "n19",
        "n20",
        "n21",
    ]
    assert node_text(view.node("p0")) == "... 15 more objects on the path"
    assert ("n0", "p0", ".head") in edges(view)
    assert ("p0", "n16", ".next") in edges(view)
    # the elided predecessor of n16 is not a "more referrer"
    assert [n.key for n in view.of_kind("more")] == ["p0"]
    # AND a path that fits is drawn whole
    assert view.of_kind("more") != retainer_graph(g, [payload], max_depth=21).of_kind("more")
    assert retainer_graph(g, [payload], max_depth=21).of_kind("more") == ()


def test_the_root_path_is_drawn_even_past_max_nodes() -> None:
    g, session = chain()
    view = retainer_graph(g, [session], max_nodes=1)
    assert kinds(view) == [("root", "module"), ("intermediate", "dict"), ("target", "app.Session")]


def test_an_unreachable_target_gets_a_note() -> None:
    # GIVEN a dict nothing refers to, and a list held only by an object no root reaches
    b = Builder()
    b.module("app")
    lone = b.node("dict", 232)
    orphan = b.node("app.Orphan", 48)
    held = b.node("list", 88)
    b.edge(orphan, held, ".items")
    g = b.graph()
    # WHEN drawing them
    view = retainer_graph(g, [lone, held])
    # THEN each is drawn with a note saying Python cannot see what holds it
    notes = {n.key: node_text(n) for n in view.of_kind("note")}
    assert notes == {
        "u1": HELD_OUTSIDE,
        "u3": "held outside Python: no root that Python can see reaches it",
    }
    assert HELD_OUTSIDE == "held outside Python: no referrer that Python can see"
    assert ("u1", "n1", "") in edges(view) and ("u3", "n3", "") in edges(view)
    # the visible referrer is drawn; no root is
    assert ("n2", "n3", ".items") in edges(view)
    assert view.of_kind("root") == ()
    source = render_dot(view)
    assert "shape=note" in node_line(source, "u1")
    assert "legend_note" in source


def test_parallel_edges_share_one_arrow() -> None:
    b = Builder()
    m = b.module("app")
    holder = b.node("list", 88)
    target = b.node("app.Job", 48)
    b.edge(m, holder, ".jobs")
    for i in range(5):
        b.edge(holder, target, f"[{i}]")
    view = retainer_graph(b.graph(), [target])
    assert edges(view) == [("n0", "n1", ".jobs"), ("n1", "n2", "[0], [1] (+3)")]


def test_attribute_dicts_read_as_attributes() -> None:
    # GIVEN module -> __dict__ (also the globals of two functions) ->
    # ['REG'] -> Registry -> __dict__ -> ['sessions'] -> dict -> ['u1'] -> Session
    b = Builder()
    m = b.module("app")
    globals_ = b.node("dict", 1200)
    f1, f2 = b.node("function", 136), b.node("function", 136)
    reg = b.node("app.Registry", 56)
    reg_dict = b.node("dict", 104)
    sessions = b.node("dict", 232)
    session = b.node("app.Session", 48)
    b.edge(m, globals_, ".__dict__")
    b.edge(f1, globals_, ".__globals__")
    b.edge(f2, globals_, ".__globals__")
    b.edge(globals_, reg, "['REG']")
    b.edge(reg, reg_dict, ".__dict__")
    b.edge(reg_dict, sessions, "['sessions']")
    b.edge(sessions, session, "['u1']")
    # WHEN drawing the session
    view = retainer_graph(b.graph(), [session])
    # THEN the __dict__ hops read as attributes, and the functions are no "referrers"
    assert kinds(view) == [
        ("root", "module"),
        ("intermediate", "app.Registry"),
        ("intermediate", "dict"),
        ("target", "app.Session"),
    ]
    assert edges(view) == [
        ("n0", "n4", ".REG"),
        ("n4", "n6", ".sessions"),
        ("n6", "n7", "['u1']"),
    ]


def test_bad_caps_are_value_errors() -> None:
    g, session = chain()
    with pytest.raises(ValueError, match="max_depth"):
        retainer_graph(g, [session], max_depth=0)
    with pytest.raises(ValueError, match="max_nodes"):
        retainer_graph(g, [session], max_nodes=0)


def test_a_cluster_chosen_from_cluster_paths_keeps_its_full_count() -> None:
    # GIVEN more members than a Cluster keeps (MEMBERS_CAP)
    g, targets = rows_in_a_list(1000)
    clusters = cluster_paths(g, targets)
    # WHEN one cluster is drawn
    view = retainer_graph_of_clusters(g, clusters[:1])
    # THEN it says 1,000, not the members kept
    assert [n.count for n in view.of_kind("target")] == [1000]


# ---------------------------------------------------------------- DOT text


def test_roots_targets_and_holders_look_different() -> None:
    g, session = chain()
    source = render_dot(retainer_graph(g, [session]))
    root, holder, target = (node_line(source, k) for k in ("n0", "n1", "n2"))
    assert 'style="bold,filled"' in root and 'fillcolor="#dce8fa"' in root
    assert 'fillcolor="#f7b0b0"' in target and 'color="#b30000"' in target
    assert "fillcolor" not in holder and 'style="rounded"' in holder
    # labels: the root's description, type names, shallow sizes, small hex ids
    assert "<B>module app.cache</B><BR/>module · 72 B" in root
    assert 'dict<BR/>232 B<BR/><FONT POINT-SIZE="9" COLOR="#555555">0x1</FONT>' in holder
    assert "<B>app.Session</B><BR/>48 B" in target
    assert "  n0 -> n1 [label=<._CACHE>];" in source
    assert "  n1 -> n2 [label=<['u42']>];" in source
    # a legend explaining the shapes
    for name in ("legend_root", "legend_holder", "legend_leaked", "legend_cluster", "legend_more"):
        assert f"    {name} [" in source
    assert "legend_note" not in source


HOSTILE_TYPE = 'evil."quoted"\\N<script>alert(1)</script>\nsecond line & \u202e'
HOSTILE_KEY = "['a\"b\\\\c <b>x</b>\n']"


def hostile() -> tuple[HeapGraph, int]:
    b = Builder()
    m = b.module('app "x" <y>')
    holder = b.node(HOSTILE_TYPE, 64)
    target = b.node("dict", 232)
    b.edge(m, holder, ".evil")
    b.edge(holder, target, HOSTILE_KEY)
    return b.graph(), target


def test_text_from_the_heap_is_escaped() -> None:
    g, target = hostile()
    source = render_dot(retainer_graph(g, [target]))
    # nothing from the heap opens a tag, ends a string or a line, or expands
    assert "<script>" not in source and "<b>x" not in source
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "evil.&quot;quoted&quot;\\\\N" in source  # \N doubled: no node-name expansion
    assert "\\\\nsecond line &amp; \\\\u202e" in source  # newline and RTL override spelled out
    assert "&lt;b&gt;x&lt;/b&gt;" in source
    assert "<B>module app &quot;x&quot; &lt;y&gt;</B>" in source
    # every line is a statement: no line break came in from the heap
    for line in source.splitlines():
        assert line == "" or line.startswith(("digraph", "  ", "}")), line


@needs_dot
def test_hostile_text_survives_graphviz() -> None:
    g, target = hostile()
    svg = subprocess.run(
        ["dot", "-Tsvg"],
        input=render_dot(retainer_graph(g, [target])).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "&lt;script&gt;" in svg and "<script>" not in svg
    # \N was not replaced by the node's name (n1): the text shows as written
    assert "\\Nn1" not in svg and '"quoted"\\N&lt;script&gt;' in svg.replace("&quot;", '"')


def test_long_names_are_cut() -> None:
    b = Builder()
    m = b.module("app")
    t = b.node("x" * 500, 16)
    b.edge(m, t, ".y" * 300)
    source = render_dot(retainer_graph(b.graph(), [t]))
    assert "<B>" + "x" * 79 + "\u2026</B>" in node_line(source, "n1")
    assert "x" * 200 not in source
    assert ".y" * 39 + ".\u2026" in source


def test_golden_chain() -> None:
    # GIVEN the cache chain with one more referrer than may be drawn
    b = Builder()
    m = b.module("app.cache")
    cache = b.node("dict", 232)
    session = b.node("app.Session", 48)
    b.edge(m, cache, "._CACHE")
    b.edge(cache, session, "['u42']")
    audit = b.node("app.Audit", 56)
    b.edge(audit, session, ".last")
    log = b.node("list", 120)
    b.edge(log, session, "[7]")
    check_golden(
        "backrefs-chain.dot", render_dot(retainer_graph(b.graph(), [session], max_nodes=4))
    )


def test_golden_cluster() -> None:
    # GIVEN 1,000 rows in a list, plus a handle that no root reaches
    b = Builder()
    m = b.module("app")
    rows = b.node("list", 8056)
    b.edge(m, rows, ".rows")
    targets = []
    for i in range(1000):
        d = b.node("dict", 232)
        b.edge(rows, d, f"[{i}]")
        targets.append(d)
    handle = b.node("app.Handle", 40)
    view = retainer_graph(b.graph(), [*targets, handle])
    check_golden("backrefs-cluster.dot", render_dot(view))


# ---------------------------------------------------------------- writing


@needs_dot
def test_svg_is_rendered_with_graphviz(tmp_path: Path) -> None:
    g, targets = rows_in_a_list(1000)
    out = tmp_path / "rows.svg"
    assert write_graph(render_dot(retainer_graph(g, targets)), out) == (str(out), None)
    svg = out.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert "module app" in svg
    assert "x1,000" in svg
    assert [p.name for p in tmp_path.iterdir()] == ["rows.svg"]  # no temporary file left


@needs_dot
@pytest.mark.parametrize(("ext", "magic"), [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_png_and_pdf_follow_the_extension(tmp_path: Path, ext: str, magic: bytes) -> None:
    g, session = chain()
    out = tmp_path / f"leak{ext}"
    write_graph(render_dot(retainer_graph(g, [session])), out)
    assert out.read_bytes().startswith(magic)


def test_dot_extension_writes_the_source(tmp_path: Path) -> None:
    out = tmp_path / "leak.dot"
    assert write_graph("digraph { a -> b }\n", str(out)) == (str(out), None)
    assert out.read_text(encoding="utf-8") == "digraph { a -> b }\n"


def test_without_graphviz_the_source_is_written_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN no `dot` on PATH
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("dot") is None
    g, session = chain()
    source = render_dot(retainer_graph(g, [session]))
    # WHEN an SVG is asked for
    written, message = write_graph(source, tmp_path / "out.svg")
    # THEN the DOT source goes next to it and the message says how to get the SVG
    dot_path = str(tmp_path / "out.dot")
    assert written == dot_path
    assert (tmp_path / "out.dot").read_text(encoding="utf-8") == source
    assert not (tmp_path / "out.svg").exists()
    assert message is not None and "\n" not in message
    assert message.startswith(f"Graphviz 'dot' not found: wrote {dot_path}; install Graphviz (")
    assert message.endswith(f") to get {tmp_path / 'out.svg'}")


def test_which_is_what_decides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    written, message = write_graph("digraph {}\n", tmp_path / "g.pdf")
    assert written == str(tmp_path / "g.dot") and message is not None


def test_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"leak\.txt: cannot tell the graph format"):
        write_graph("digraph {}\n", tmp_path / "leak.txt")


def test_unwritable_output_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "leak.dot"
    with pytest.raises(LeakhuntError, match=re.escape(f"{out}: cannot write")):
        write_graph("digraph {}\n", out)


# ---------------------------------------------------------------- the graph command


def snapshot_file(tmp_path: Path) -> Path:
    """A real snapshot file, taken without a graph."""
    s = leakhunt.snapshot("x", path=tmp_path / "x.lhs.json.gz")
    assert s.path is not None
    return Path(s.path)


def test_graph_of_a_snapshot_without_a_graph_is_one_line_exit_2(tmp_path: Path) -> None:
    # GIVEN a snapshot taken without graph=True
    path = snapshot_file(tmp_path)
    # WHEN the graph command reads it (as users run it)
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "leakhunt", "graph", str(path), "--type", "dict", "-o", "g.svg"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    # THEN one line names the file and what to do, exit 2, nothing written
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"leakhunt: error: {path}: has no object graph; "
        "take it with leakhunt.snapshot(..., graph=True)\n"
    )
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ((), "give exactly one of --type T or --id N"),
        (("--type", "dict", "--id", "3"), "give exactly one of --type T or --id N"),
        (("--id", "3", "--cluster", "1"), "--cluster K needs --type T"),
        (("--cluster", "2"), "give exactly one of --type T or --id N"),
        (("--id", "0xZZ"), "'0xZZ' is not an object id"),
        (("--id", "-4"), "'-4' is not an object id"),
        (("--type", "dict", "--max-depth", "0"), "--max-depth"),
        (("--type", "dict", "--cluster", "0"), "--cluster"),
    ],
)
def test_graph_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    path = snapshot_file(tmp_path)
    assert cli.main(["graph", str(path), "-o", "g.svg", *args]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("leakhunt: error: ") and says in err
    assert "Traceback" not in err


def test_graph_without_output_names_the_file_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a graph snapshot, WHEN graph runs without -o in a directory
    monkeypatch.chdir(tmp_path)
    s = leakhunt.snapshot("g", path=str(tmp_path / "g.lhs.json.gz"), graph=True)
    assert s.graph is not None
    code = cli.main(["graph", str(tmp_path / "g.lhs.json.gz"), "--type", "dict", "--cluster", "1"])
    # THEN it writes TYPE-K.svg (or, without Graphviz, the .dot next to it)
    assert code == 0
    assert {p.name for p in tmp_path.iterdir()} & {"dict-1.svg", "dict-1.dot"}


def test_graph_of_two_snapshots_needs_a_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", "a.lhs.json.gz", "b.lhs.json.gz", "--id", "12"]) == 2
    assert "with two snapshots, give --type T" in capsys.readouterr().err
    assert cli.main(["graph", "a", "b", "c", "--type", "dict"]) == 2
    assert "give one snapshot, or two" in capsys.readouterr().err


def test_graph_bad_extension_is_said_before_loading(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", "missing.lhs.json.gz", "--type", "dict", "-o", "g.txt"]) == 2
    assert "g.txt: cannot tell the graph format" in capsys.readouterr().err


def test_graph_command_has_help_for_every_parameter() -> None:
    command = getattr(typer.main.get_command(cli.app), "commands", {})["graph"]
    assert command.help and command.short_help
    for param in command.params:
        assert getattr(param, "help", None), f"graph {param.name} has no help text"


@pytest.fixture
def with_graph(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A snapshot file whose reading yields a graph: two clusters of
    app.Session (3 in a list, 1 in a dict) and a chain. Stands in for
    storage's graph support until it lands."""
    b = Builder()
    m = b.module("app")
    queue, done = b.node("list", 88), b.node("dict", 232)
    b.edge(m, queue, ".queue")
    b.edge(m, done, ".done")
    for i in range(3):
        s = b.node("app.Session", 48)
        b.edge(queue, s, f"[{i}]")
    s = b.node("app.Session", 48)
    b.edge(done, s, "['s7']")
    graph = HeapGraph.from_edges(
        b.types, b.sizes, b.edges, b.roots, ids=[0x7F0000 + 16 * i for i in range(len(b.types))]
    )
    path = snapshot_file(tmp_path)
    real = cli.graph.read_snapshot

    def read(p: str) -> Snapshot:
        return replace(real(p), graph=graph)

    monkeypatch.setattr(cli.graph, "read_snapshot", read)
    return path


def test_graph_by_type_writes_the_picture(
    with_graph: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.dot"
    assert cli.main(["graph", str(with_graph), "--type", "app.Session", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert "x3 · 144 B total" in source and "Why are 4 app.Session objects alive?" in source
    assert capsys.readouterr().out == (
        f"wrote {out}: 4 objects in 2 clusters (2 drawn), 5 objects in the picture\n"
    )


def test_graph_cluster_k_draws_only_that_cluster(
    with_graph: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(["graph", str(with_graph), "--type", "app.Session", "--cluster", "2", "-o", "-"])
        == 0
    )
    source = capsys.readouterr().out
    assert "['s7']" in source and "x3 ·" not in source and ".queue" not in source
    assert "Why is app.Session 0x7f0060 alive?" in source


@pytest.mark.parametrize("oid", ["0x7f0020", str(0x7F0020), "0X7F0020"])
def test_graph_by_id_in_decimal_or_hex(
    with_graph: Path, capsys: pytest.CaptureFixture[str], oid: str
) -> None:
    assert cli.main(["graph", str(with_graph), "--id", oid, "-o", "-"]) == 0
    assert "Why is dict 0x7f0020 alive?" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--type", "Session"),
            "no object of type 'Session' in its graph (did you mean 'app.Session'?)",
        ),
        (("--id", "12"), "no object with id 12 (0xc) in its graph"),
        (
            ("--type", "app.Session", "--cluster", "3"),
            "--cluster 3: the 4 objects of type 'app.Session' form 2 clusters",
        ),
    ],
)
def test_graph_no_targets_is_one_line_exit_2(
    with_graph: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    assert cli.main(["graph", str(with_graph), *args, "-o", "g.svg"]) == 2
    err = capsys.readouterr().err
    assert err == f"leakhunt: error: {with_graph}: {says}\n"


def test_graph_without_graphviz_exits_0_with_the_hint(
    with_graph: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    out = tmp_path / "s.svg"
    assert cli.main(["graph", str(with_graph), "--type", "app.Session", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"leakhunt: Graphviz 'dot' not found: wrote {tmp_path / 's.dot'}"
    )
    assert len(captured.err.splitlines()) == 1
    assert (tmp_path / "s.dot").exists() and not out.exists()


# ---------------------------------------------------------------- show_retainers


class Leaky:
    pass


@pytest.fixture
def live_heap(monkeypatch: pytest.MonkeyPatch) -> list[Leaky]:
    """A fake live graph: one whose ids are those of live objects."""
    objs = [Leaky(), Leaky()]
    b = Builder()
    m = b.module("tests.test_dot")
    holder = b.node("list", 72)
    b.edge(m, holder, ".KEEP")
    ids = [1, 2]
    for i, obj in enumerate(objs):
        n = b.node(capture.type_name(Leaky), 48)
        b.edge(holder, n, f"[{i}]")
        ids.append(id(obj))
    graph = HeapGraph.from_edges(b.types, b.sizes, b.edges, b.roots, ids=ids)
    monkeypatch.setattr(capture, "live_graph", lambda label, caller: graph)
    return objs


def test_show_retainers_of_one_object(live_heap: list[Leaky], tmp_path: Path) -> None:
    out = tmp_path / "one.dot"
    assert leakhunt.show_retainers(live_heap[1], out) == str(out)
    source = out.read_text(encoding="utf-8")
    assert f"Why is {capture.type_name(Leaky)} {id(live_heap[1]):#x} alive?" in source
    assert "n1 -> n3 [label=<[1]>]" in source


def test_show_retainers_of_a_type(live_heap: list[Leaky], tmp_path: Path) -> None:
    out = tmp_path / "all.dot"
    leakhunt.show_retainers(Leaky, out)
    assert "x2 · 96 B total" in out.read_text(encoding="utf-8")


def test_show_retainers_without_graphviz_warns(
    live_heap: list[Leaky], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
    with pytest.warns(capture.LeakhuntWarning, match="Graphviz 'dot' not found"):
        written = leakhunt.show_retainers(Leaky, tmp_path / "all.svg")
    assert written == str(tmp_path / "all.dot")


def test_show_retainers_of_something_not_captured(live_heap: list[Leaky], tmp_path: Path) -> None:
    with pytest.raises(LeakhuntError, match="is not on the captured heap"):
        leakhunt.show_retainers(object(), tmp_path / "x.dot")
    with pytest.raises(LeakhuntError, match="no live object of type"):
        leakhunt.show_retainers(Builder, tmp_path / "x.dot")
