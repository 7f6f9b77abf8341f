"""The HTML report without a browser: escaping, SVG cleaning, size caps,
self-containment, the page's structure, and `leakhunt report` end to end.
(tests/test_html_browser.py opens the same pages in Chromium.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers.html_snaps import XSS_FILE, XSS_KEY, XSS_TYPE, shared_snapshots

from leakhunt import capture
from leakhunt.analysis.diff import diff
from leakhunt.analysis.graph_view import retainer_graph
from leakhunt.cli import main
from leakhunt.model import HeapGraph, ProcessMemory, Snapshot, TypeDelta, TypeStat
from leakhunt.render import html as H
from leakhunt.render.dot import render_dot
from leakhunt.render.html_diff import diff_report as _diff_report
from leakhunt.render.svg import SvgError, clean_svg, graphviz_svg
from leakhunt.views import diff_view

HOSTILE = [XSS_TYPE, XSS_KEY, '" onmouseover="alert(4)', "</code></td><script>alert(5)</script>"]


def diff_report(d: Any, *, top: int = 50, retained: bool = True, **kw: Any) -> Any:
    """The page as `leakhunt report` builds it: the view once, then the page."""
    return _diff_report(d, diff_view(d, sort="bytes", top=top, retained=retained), **kw)


class Page(HTMLParser):
    """The elements of a page, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.elements if t == name]

    def handlers(self) -> list[tuple[str, str]]:
        return [(t, k) for t, a in self.elements for k in a if k.lower().startswith("on")]


def snapshot(
    label: str, types: dict[str, tuple[int, int]], t: float, graph: HeapGraph | None = None
) -> Snapshot:
    stats = tuple(TypeStat(n, c, s) for n, (c, s) in types.items())
    return Snapshot(
        label, stats, t, t, 42, "3.11.7", "0.1.0", memory=ProcessMemory(rss=int(t) << 20),
        seq=int(t), platform="linux", graph=graph,
    )  # fmt: skip


def sessions(n: int, type_name: str = "app.Session") -> HeapGraph:
    """A module whose dict ._SESSIONS holds ``n`` objects under hostile keys."""
    edges = [(0, 1, "._SESSIONS")] + [(1, 2 + i, f"['{XSS_KEY}{i}']") for i in range(n)]
    return HeapGraph.from_edges(
        ["module", "dict"] + [type_name] * n,
        [72, 232] + [48] * n,
        edges,
        [(0, "module app.cache")],
        lengths=[0, n] + [0] * n,
    )


def hostile_page() -> H.HtmlReport:
    """Every field that can hold heap or file text holds a hostile string."""
    x = XSS_TYPE
    return H.HtmlReport(
        title=f"leakhunt: {x}",
        verdict_kind="leak",
        verdict=f"leak of {x}",
        facts=((x, x),),
        top=((x, x),),
        leaks=(
            H.LeakEntry(
                type_name=x,
                count_per_iteration=200,
                bytes_per_iteration=46080.5,
                verdict=f"steady growth {x}",
                retainer_paths=(f"module app -> ['{XSS_KEY}'] -> {x}",),
                container=f"the dict at {x}",
                allocation_site=f"{x}:12",
                counts=(200, 400, 600),
            ),
        ),
        growth=tuple(TypeDelta(h, 1, 5, 48, 240) for h in HOSTILE),
        clusters=(H.ClusterEntry(x, 5, 240, f"module {x} -> {XSS_KEY}", f"the list at {x}"),),
        timeline=H.TimelineSection(
            chart_svg=f'<svg viewBox="0 0 10 10"><text>{x.replace("<", "&lt;")}</text></svg>',
            summary=(f"peak during {x}",),
            spans=(H.SpanRow(x, 100, 4096),),
        ),
        snapshots=(
            H.SnapshotMeta("A", x, XSS_FILE, "2026-01-01T00:00:00Z", x, x, 1, x, 1, 2, 3, True),
        ),
        notes=(x,),
    )


# ---------------------------------------------------------------- escaping


def test_hostile_strings_render_as_text_everywhere() -> None:
    # GIVEN hostile text in every field WHEN rendered THEN no element or
    # attribute comes from data: one script (the page's own), no handlers
    text = H.render_html(hostile_page())
    page = Page(text)
    assert len(page.tags("script")) == 1
    assert page.handlers() == []
    assert page.tags("img") == [] and page.tags("svg") == [{"viewbox": "0 0 10 10"}]
    assert "<script>alert" not in text and "<img src=x" not in text
    joined = "".join(page.text)
    for h in HOSTILE:
        assert h in joined  # shown to the reader, as text
    assert joined.count(XSS_TYPE) >= 10


def test_text_filter_spells_out_invisible_characters_and_cuts() -> None:
    assert H._text("a\u202eb\nc") == "a\\u202eb\\nc"
    assert H._text("x" * 1000) == "x" * (H.MAX_TEXT - 1) + "\u2026"


# ---------------------------------------------------------------- SVG cleaning


@pytest.mark.parametrize(
    ("svg", "expected"),
    [
        ("<svg><script>alert(1)</script><g/></svg>", "<svg><g></g></svg>"),
        (
            '<svg onload="alert(1)"><rect onclick="x()" width="1"/></svg>',
            '<svg><rect width="1"></rect></svg>',
        ),
        ("<svg><foreignObject><div>x</div></foreignObject></svg>", "<svg></svg>"),
        ('<svg><image href="https://evil/x.png"/></svg>', "<svg></svg>"),
        (
            '<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://e/x#a"/></svg>',
            "<svg><use></use></svg>",
        ),
        ('<svg><use href="#p1"/></svg>', '<svg><use href="#p1"></use></svg>'),
        (
            '<svg><a href="javascript:alert(1)"><text>hi</text></a></svg>',
            "<svg><text>hi</text></svg>",
        ),
        (
            '<svg><rect style="fill:url(https://evil/x)" fill="url(#g)"/></svg>',
            '<svg><rect fill="url(#g)"></rect></svg>',
        ),
        ("<svg><style>@import url(https://evil/x.css);</style></svg>", "<svg></svg>"),
        (
            '<svg><set attributeName="href" to="javascript:alert(1)"/><animate/></svg>',
            "<svg></svg>",
        ),
        (
            "<svg><text>&lt;script&gt;alert(1)&lt;/script&gt;</text></svg>",
            "<svg><text>&lt;script&gt;alert(1)&lt;/script&gt;</text></svg>",
        ),
        (
            "<svg><title>a &lt;b&gt;</title><!-- n1 --><g/></svg>",
            "<svg><title>a &lt;b&gt;</title><g></g></svg>",
        ),
    ],
)
def test_clean_svg_keeps_the_drawing_only(svg: str, expected: str) -> None:
    assert clean_svg(svg) == expected


def test_clean_svg_drops_titles_on_request() -> None:
    assert clean_svg("<svg><g><title>n1</title></g></svg>", titles=False) == "<svg><g></g></svg>"


def test_a_chart_keeps_its_styles_clips_and_references() -> None:
    # GIVEN an SVG as chart libraries write it (matplotlib's structure)
    chart = """<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"
  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="460pt" height="345pt"
     viewBox="0 0 460 345" xmlns="http://www.w3.org/2000/svg" version="1.1">
 <metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
 <defs><style type="text/css">*{stroke-linejoin: round; stroke-linecap: butt}</style></defs>
 <g id="figure_1"><g id="axes_1">
  <path d="M 10 10 L 50 40" clip-path="url(#p1)" style="fill: none; stroke: #1f77b4"/>
  <g id="marker"><use xlink:href="#m0" x="20" y="30" style="fill: #d62728"/>
   <title>checkpoint &lt;b&gt;</title></g>
  <text x="5" y="9" style="font: 10px 'DejaVu Sans'">RSS (MiB)</text>
 </g></g>
 <defs><clipPath id="p1"><rect x="0" y="0" width="460" height="345"/></clipPath>
  <path id="m0" d="M 0 3 L 3 0"/></defs>
</svg>"""
    # WHEN cleaned for the page
    svg = clean_svg(chart, id_prefix="d2-")
    # THEN the drawing survives whole, with unique ids; the prolog, the
    # doctype and the metadata go
    assert svg.startswith('<svg width="460pt" height="345pt" viewBox="0 0 460 345">')
    assert "<style>*{stroke-linejoin: round; stroke-linecap: butt}</style>" in svg
    assert 'clip-path="url(#d2-p1)"' in svg and '<clipPath id="d2-p1">' in svg
    assert '<use href="#d2-m0" x="20"' in svg and '<path id="d2-m0"' in svg
    assert "<title>checkpoint &lt;b&gt;</title>" in svg
    assert "RSS (MiB)" in svg and "metadata" not in svg and "http" not in svg


def test_clean_svg_prefixes_ids_and_their_references() -> None:
    svg = '<svg><clipPath id="c"/><g id="x" clip-path="url(#c)"><use href="#x"/></g></svg>'
    assert clean_svg(svg, id_prefix="d1-") == (
        '<svg><clipPath id="d1-c"></clipPath>'
        '<g id="d1-x" clip-path="url(#d1-c)"><use href="#d1-x"></use></g></svg>'
    )


@pytest.mark.parametrize(
    "bad",
    ["not xml", "<html><body/></html>", '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>'],
)
def test_clean_svg_refuses_what_is_not_svg(bad: str) -> None:
    with pytest.raises(SvgError):
        clean_svg(bad)


def test_a_drawing_that_is_not_svg_becomes_a_note() -> None:
    page = H.HtmlReport(
        "t", "info", "v", clusters=(H.ClusterEntry("T", 1, 8, "p", None, None, "<html/>"),)
    )
    text = H.render_html(page)
    assert "drawing left out: the document is &lt;html&gt;, not &lt;svg&gt;" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")
def test_graphviz_svg_of_hostile_labels_is_text_after_cleaning() -> None:
    # GIVEN a graph whose type name and edge labels are HTML
    g = sessions(1, type_name=XSS_TYPE)
    # WHEN Graphviz draws it and the drawing is cleaned
    raw = graphviz_svg(render_dot(retainer_graph(g, [2])))
    assert raw is not None
    svg = clean_svg(raw, titles=False)
    # THEN the labels are text nodes of <text> elements, nothing else
    page = Page(svg)
    assert {t for t, _ in page.elements} <= {
        "svg",
        "g",
        "path",
        "polygon",
        "text",
        "ellipse",
        "polyline",
    }
    assert page.handlers() == []
    texts = "".join(page.text)
    assert XSS_TYPE in texts and "onerror=alert(2)" in texts
    assert "<script" not in svg and "http://" not in svg


# ---------------------------------------------------------------- size


def test_a_big_diff_makes_a_small_page() -> None:
    # GIVEN 20,000 types that all grew, with long names
    n = 20_000
    a = snapshot("a", {f"mod.T{i:06d}" + "x" * 200: (1, 100) for i in range(n)}, 1.0)
    b = snapshot("b", {f"mod.T{i:06d}" + "x" * 200: (2 + i % 7, 200) for i in range(n)}, 2.0)
    # WHEN the page shows the top 50
    text = H.render_html(diff_report(diff(a, b), top=50))
    # THEN 50 rows and one line for the rest, not a page per type
    page = Page(text)
    assert len(page.tags("tr")) == 50 + 1 + 1 + 10  # growth rows + header + meta header + meta rows
    assert "and 19,950 more types (leakhunt report --top 0 shows all)" in text
    assert len(text) < 100_000


def test_hard_caps_hold_whatever_the_input() -> None:
    rows = tuple(TypeDelta(f"T{i}", 0, 1, 0, 8) for i in range(H.MAX_ROWS + 10))
    clusters = tuple(H.ClusterEntry(f"T{i}", 1, 8, "p") for i in range(H.MAX_ITEMS + 3))
    svg = "<svg><text>" + "y" * (H.SVG_BUDGET // 3) + "</text></svg>"
    leaks = tuple(H.LeakEntry("L", 1, 8, "v", graph_svg=svg) for _ in range(4))
    page = H.HtmlReport(
        "t", "info", "v", growth=rows, growth_omitted=5, clusters=clusters, leaks=leaks
    )
    text = H.render_html(page)
    assert text.count('<td data-v="T') == H.MAX_ROWS
    assert "and 15 more types" in text and "and 3 more clusters" in text
    assert text.count("<svg>") == 2 and text.count("drawing left out: the page already holds") == 2
    assert len(text) < H.SVG_BUDGET + 2_000_000


# ---------------------------------------------------------------- self-contained


def assert_self_contained(text: str) -> None:
    assert not re.search(r"""(?:src|href|action|srcset)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
    assert not re.search(
        r"<link\b|<iframe\b|<object\b|<embed\b|@import|url\(\s*['\"]?(?!#)", text, re.I
    )
    assert "https://" not in text and "http://" not in text
    csp = Page(text).tags("meta")[1]
    assert csp["http-equiv"] == "Content-Security-Policy"
    assert (csp["content"] or "").startswith("default-src 'none';")


def test_the_page_is_self_contained() -> None:
    assert_self_contained(H.render_html(hostile_page()))


def test_the_script_hash_in_the_policy_is_the_scripts() -> None:
    import base64
    import hashlib

    text = H.render_html(hostile_page())
    (script,) = re.findall(r"<script>(.*?)</script>", text, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in text


# ---------------------------------------------------------------- structure


def test_leaks_and_timeline_sections_from_plain_values() -> None:
    text = H.render_html(hostile_page())
    page = Page(text)
    ids = [a.get("id") for t, a in page.elements if t == "section"]
    assert ids == ["summary", "leaks", "growth", "clusters", "timeline", "snapshots", "notes"]
    assert "+200 objects, +45.0 KiB per iteration" in text
    assert "200 &rarr; 400 &rarr; 600" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;:12" in text  # allocation site
    assert '<table class="spans">' in text and "+4.0 KiB" in text


def test_a_timeline_page_shows_only_what_it_has() -> None:
    chart = '<svg viewBox="0 0 100 50"><path d="M0 50 L100 0"/></svg>'
    spans = tuple(H.SpanRow(f"request {i}", i, 1024 * i) for i in range(H.MAX_ROWS + 2))
    page = H.HtmlReport(
        "timeline", "info", "RSS grew by 12.0 MiB in 10 min",
        timeline=H.TimelineSection(chart, ("peak 80.0 MiB at 10:02:03",), spans),
    )  # fmt: skip
    text = H.render_html(page)
    ids = [a.get("id") for t, a in Page(text).elements if t == "section"]
    assert ids == ["summary", "timeline"]
    assert '<svg viewBox="0 0 100 50"><path d="M0 50 L100 0"></path></svg>' in text
    assert "<li>peak 80.0 MiB at 10:02:03</li>" in text
    assert text.count("<tr><td>request ") == H.MAX_ROWS and "and 2 more spans" in text


def test_a_leak_without_container_or_site_says_so() -> None:
    page = H.HtmlReport("t", "leak", "v", leaks=(H.LeakEntry("dict", 0.5, 100, "likely"),))
    text = H.render_html(page)
    assert "+0.5 objects, +100 B per iteration" in text
    assert "<dd>not found</dd>" in text and "unknown (run with tracemalloc to see it)" in text


def test_diff_report_of_graph_snapshots() -> None:
    # GIVEN a session cache that grew from 2 to 5 entries
    a = snapshot("before", {"app.Session": (2, 96), "dict": (1, 232)}, 1.0, sessions(2))
    b = snapshot("after", {"app.Session": (5, 240), "dict": (1, 232)}, 3.0, sessions(5))
    drawn: list[str] = []

    def draw(source: str) -> str:
        drawn.append(source)
        return '<svg onload="alert(1)"><text>graph</text></svg>'

    # WHEN the page is built
    page = diff_report(diff(a, b), draw=draw)
    # THEN the summary, the row, the cluster with its path and container
    assert page.verdict_kind == "growth"
    assert page.verdict == (
        "1 type grew between before and after: +3 objects, +144 B. The biggest holder: "
        "the dict at module app.cache -> ._SESSIONS grew by 3 items (2 to 5)."
    )
    assert dict(page.facts)["RSS"] == "+2.0 MiB (1.0 MiB \u2192 3.0 MiB)"
    assert page.top == (("app.Session", "+3 objects, +144 B"),)
    assert [(r.name, r.count_delta) for r in page.growth] == [("app.Session", 3)]
    (c,) = page.clusters
    assert (c.type_name, c.count_delta, c.path) == (
        "app.Session",
        3,
        "module app.cache -> ._SESSIONS -> [*] -> app.Session",
    )
    assert c.retained == 240 and len(drawn) == 1 and "digraph" in drawn[0]
    # AND the drawing is cleaned, when built and when rendered
    assert c.graph_svg == "<svg><text>graph</text></svg>"
    text = H.render_html(page)
    assert "<svg><text>graph</text></svg>" in text and "onload" not in text
    assert page.snapshots[1].label == "after (#3)"
    (note,) = page.notes  # how exact new and deleted objects are
    assert note.startswith("New and deleted objects are matched by address, type and size")
    # AND the cluster is numbered, with the command that draws it
    assert c.number == 1 and c.churn is not None and c.churn.startswith("new in B: ")
    assert c.command is not None and c.command.endswith("--type app.Session --cluster 1")
    assert "draw it: <code>leakhunt graph " in text


def test_diff_report_without_graphviz_shows_the_path_and_a_note() -> None:
    a = snapshot("before", {"app.Session": (2, 96)}, 1.0, sessions(2))
    b = snapshot("after", {"app.Session": (5, 240)}, 3.0, sessions(5))
    page = diff_report(diff(a, b), draw=lambda source: None)
    (c,) = page.clusters
    assert c.graph_svg is None and c.path is not None
    assert c.graph_note == "graph not drawn: Graphviz's 'dot' program is not installed"
    assert any("Graphviz's 'dot' program was not found" in n for n in page.notes)
    text = H.render_html(page)
    assert "held by: <code>module app.cache -&gt; ._SESSIONS -&gt; [*] -&gt; app.Session" in text
    assert "<svg" not in text


def test_diff_report_draws_at_most_max_graphs() -> None:
    a = snapshot("before", {"app.Session": (2, 96)}, 1.0, sessions(2))
    b = snapshot("after", {"app.Session": (5, 240)}, 3.0, sessions(5))
    page = diff_report(diff(a, b), max_graphs=0, draw=lambda s: pytest.fail("drew"))
    assert page.clusters[0].graph_note == "graph not drawn: the page draws the first 0 clusters"


def test_diff_report_draws_the_grown_cluster_not_the_first_objects() -> None:
    # GIVEN an old Session held elsewhere, first in node order, and the
    # sessions that grew: the page draws from the clusters the diff found,
    # never from the first objects of the type
    def graph(n: int) -> HeapGraph:
        edges = [(0, 1, "._OLD"), (1, 2, "[0]"), (0, 3, "._SESSIONS")]
        edges += [(3, 4 + i, f"['u{i}']") for i in range(n)]
        return HeapGraph.from_edges(
            ["module", "list", "app.Session", "dict"] + ["app.Session"] * n,
            [72, 64, 48, 232] + [48] * n, edges, [(0, "module app")],
        )  # fmt: skip

    a = snapshot("before", {"app.Session": (3, 144)}, 1.0, graph(2))
    b = snapshot("after", {"app.Session": (6, 288)}, 3.0, graph(5))
    drawn: list[str] = []
    page = diff_report(diff(a, b), draw=lambda s: drawn.append(s) or "<svg/>")
    # THEN the grown cluster is drawn, with the numbers of the whole cluster
    (c,) = page.clusters
    assert c.path == "module app -> ._SESSIONS -> [*] -> app.Session"
    assert c.graph_svg == "<svg></svg>" and "x5 \u00b7 240 B total" in drawn[0]


def test_diff_report_of_histograms_only() -> None:
    a = snapshot("a", {"dict": (10, 1000)}, 1.0)
    same = diff_report(diff(a, snapshot("b", {"dict": (10, 1000)}, 2.0)))
    assert (same.verdict_kind, same.verdict) == ("clean", "No type grew between a and b.")
    assert "No type grew between a and b." in H.render_html(same)
    grew = diff_report(diff(a, snapshot("b", {"dict": (12, 1200)}, 2.0)))
    assert grew.clusters == () and "graph=True" in grew.notes[-1]


# ---------------------------------------------------------------- CLI, end to end

needs_graph = pytest.mark.skipif(
    capture.walker_name() != "c", reason="graph snapshots need the compiled walker"
)


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return shared_snapshots(tmp_path_factory)


@needs_graph
def test_report_command_end_to_end(snaps: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = snaps
    out = tmp_path / "leak-report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "leakhunt", "report", str(a), str(b), "-o", str(out), "--top", "10"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(
        r"wrote \S+ \(\d+\.\d KiB\): 4 grown types, 9 retainer-path clusters, \d+ graphs\n",
        proc.stdout,
    )
    text = out.read_text(encoding="utf-8")
    assert_self_contained(text)
    page = Page(text)
    assert len(page.tags("script")) == 1 and page.handlers() == []
    joined = "".join(page.text)
    assert "module scenarios.report_rows -> ._ROWS -> [*] -> dict" in joined
    assert (
        "the list at module scenarios.report_rows -> ._ROWS grew by 1,000 items (200 to 1,200)"
        in joined
    )
    assert (
        f"the list at module __main__ -> .HOLD -> ['{XSS_KEY}'] grew by 5 items (1 to 6)" in joined
    )
    assert f"__main__.{XSS_TYPE}" in joined and XSS_FILE in joined
    rows = [
        r["data-v"] for r in page.tags("td") if r.get("data-v") and not r["data-v"][0].isdigit()
    ]
    assert rows == ["str", "dict", "float", f"__main__.{XSS_TYPE}"]
    if shutil.which("dot"):
        assert len(page.tags("svg")) >= 4 and "Why are 1,200 dict objects alive?" in joined


@needs_graph
def test_report_command_to_stdout(
    snaps: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = snaps
    assert main(["report", str(a), str(b), "-o", "-", "--no-retained", "--max-graphs", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>") and "retained:" not in out and "<svg" not in out


def test_report_command_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.lhs.json.gz"
    bad.write_bytes(b"not gzip")
    assert main(["report", str(bad), str(bad), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"leakhunt: error: {bad}") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(bad), str(bad)]) == 2  # the default name: bad.html
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "bad.html").exists()


@needs_graph
def test_report_command_unwritable_output(
    snaps: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = snaps
    assert (
        main(["report", str(a), str(b), "-o", "/nonexistent-dir/r.html", "--max-graphs", "0"]) == 2
    )
    assert capsys.readouterr().err == (
        "leakhunt: error: /nonexistent-dir/r.html: cannot write: No such file or directory\n"
    )


@needs_graph
def test_report_with_a_timeline(
    snaps: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_timeline import report_run, write_timeline

    a, b = snaps
    tl = write_timeline(tmp_path / "t.jsonl", report_run(3))
    out = tmp_path / "r.html"
    argv = ["report", str(a), str(b), "-o", str(out), "--max-graphs", "0", "--timeline", str(tl)]
    assert main(argv) == 0
    page = Page(out.read_text(encoding="utf-8"))
    joined = "".join(page.text)
    assert "generate_report" in joined and "of the rise happened inside" in joined
    assert len(page.tags("svg")) >= 1 and len(page.tags("script")) == 1
    capsys.readouterr()
    (tmp_path / "foreign.jsonl").write_text('{"hello": 1}\n')
    argv[-1] = str(tmp_path / "foreign.jsonl")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("leakhunt: error:") and err.count("\n") == 1
