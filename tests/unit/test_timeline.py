"""Reading and analysing timeline files, and drawing them: hand-written
timelines with known answers, and the ``leakhunt timeline`` command."""

from __future__ import annotations

import itertools
import json
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leakhunt.analysis.timeline import summarize
from leakhunt.cli import main
from leakhunt.errors import TimelineFileError
from leakhunt.files.timeline_file import load_timeline
from leakhunt.model.timeline import Sample, Span, Timeline
from leakhunt.render.timeline import (
    render_timeline_html,
    render_timeline_image,
    render_timeline_text,
)
from leakhunt.render.words import fmt_bytes, fmt_duration

MB = 2**20
T0 = 5000.0  # the monitor's monotonic clock at start
NO_HEAP_NOTE = (
    "no live heap in this file (timeline format 1.0): spans are ranked by RSS, "
    "which credits memory to the action that touched it first, not the one that kept it"
)


def write_timeline(path: Path, records: list[dict[str, Any]], *, tail: str = "") -> Path:
    head = {
        "format": "leakhunt.timeline",
        "format_version": "1.0",
        "kind": "header",
        "pid": 4242,
        "python": "3.11.7",
        "interval": 1.0,
        "t": T0,
        "wall": 1714564800.0,
    }
    lines = [json.dumps(head)] + [json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


def report_run(calls: int = 3) -> list[dict[str, Any]]:
    """GIVEN a program that starts at 100 MB; each 'generate_report' call
    adds 10 MB inside the span; 'idle' spans change nothing; between calls,
    outside any span, memory rises 1 MB per call plus 2 MB at the end."""
    recs: list[dict[str, Any]] = [{"kind": "sample", "t": T0, "rss": 100 * MB, "peak_rss": 0}]
    t, rss, ident = T0, 100 * MB, 0
    for _ in range(calls):
        ident += 1
        recs.append(
            {"kind": "mark", "id": ident, "label": "generate_report", "t": t + 1, "rss": rss}
        )
        recs.append({"kind": "enter", "id": ident, "label": "generate_report", "t": t + 1,
                     "rss": rss, "depth": 0, "thread": "MainThread"})  # fmt: skip
        recs.append({"kind": "sample", "t": t + 2, "rss": rss + 5 * MB})
        rss += 10 * MB
        recs.append({"kind": "exit", "id": ident, "t": t + 3, "rss": rss})
        ident += 1
        recs.append({"kind": "enter", "id": ident, "label": "idle", "t": t + 4, "rss": rss})
        recs.append({"kind": "exit", "id": ident, "t": t + 5, "rss": rss})
        rss += 1 * MB
        t += 6
        recs.append({"kind": "sample", "t": t, "rss": rss})
    rss += 2 * MB
    recs.append({"kind": "sample", "t": t + 1, "rss": rss})
    recs.append({"kind": "end", "t": t + 1})
    return recs


# ------------------------------------------------------------------ analysis


def test_attribution_numbers_on_a_synthetic_timeline(tmp_path: Path) -> None:
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", report_run(3)))
    s = summarize(tl)
    # total: 3 x (10 + 1) + 2 = 35 MB; inside generate_report: 30 MB
    assert (s.first, s.last, s.rise) == (100 * MB, 135 * MB, 35 * MB)
    assert s.duration == 19.0
    by = {x.label: x for x in s.spans}
    assert [x.label for x in s.spans] == ["generate_report", "idle"]
    gr = by["generate_report"]
    assert (gr.calls, gr.open_calls, gr.rise, gr.rise_each, gr.seconds) == (
        3,
        0,
        30 * MB,
        10 * MB,
        6,
    )
    assert gr.share == pytest.approx(30 / 35)
    assert (by["idle"].calls, by["idle"].rise) == (3, 0)
    assert (s.inside_rise, s.outside_rise) == (30 * MB, 5 * MB)
    assert tl.ended and tl.skipped_lines == 0 and tl.pid == 4242
    text = render_timeline_text(tl, s)
    assert "memory (RSS) rose 35.0 MiB over 19.0 s" in text
    assert "86% of the rise happened inside 'generate_report' (3 calls, +10.0 MiB each)" in text
    assert "outside any span: +5.0 MiB" in text


def test_nested_and_concurrent_spans_share_steps() -> None:
    # GIVEN an outer span holding an inner one, and another thread's span
    # open during the inner one
    samples = (Sample(0, rss=0), Sample(10, rss=10 * MB))
    spans = (
        Span("outer", start=1, end=9, rss_start=1 * MB, rss_end=9 * MB),
        Span("inner", start=3, end=5, rss_start=3 * MB, rss_end=7 * MB, depth=1),
        Span("other", start=3, end=5, rss_start=3 * MB, rss_end=7 * MB, thread="T2"),
    )
    s = summarize(Timeline("t", samples=samples, spans=spans))
    by = {x.label: x.rise for x in s.spans}
    # the series: 0@0 1@1 3@3 7@5 9@9 10@10
    assert by == {"outer": 8 * MB, "inner": 4 * MB, "other": 4 * MB}
    assert (s.inside_rise, s.outside_rise, s.rise) == (8 * MB, 2 * MB, 10 * MB)


def test_steepest_rises_a_jump_beats_a_slow_climb() -> None:
    # GIVEN a climb of 1 MB per second for 100 s, with a 30 MB jump (and
    # fall) at 40 s and a 20 MB jump that stays at 70 s
    pts = [(float(t), 100 + t) for t in range(101)]
    pts[40] = (40.0, 140 + 30)
    pts = [(t, v + (20 if t >= 70 else 0)) for t, v in pts]
    samples = tuple(Sample(t, rss=int(v * MB)) for t, v in pts)
    spans = (Span("spike", start=39, end=40),)
    s = summarize(Timeline("t", samples=samples, spans=spans, interval=1.0))
    got = [(r.start, r.end, r.rise // MB, r.labels, r.stayed) for r in s.rises]
    # windows of 4 s (100 s / 25): what stayed first, the jump that stayed
    # (without the climb before it, to 90%), then 4 s windows of the climb
    # (a staircase of kept steps outranks a spike given back), then the
    # spike, marked as given back
    assert got[0] == (68.0, 70.0, 22, (), True)
    assert [g[2:] for g in got[1:3]] == [(4, (), True), (4, (), True)]
    assert got[3] == (39.0, 40.0, 31, ("spike",), False)
    assert s.rises[3].given_back // MB == 29
    assert s.rises[0].rate == 11 * MB


def test_rises_match_a_brute_force_search() -> None:
    import random

    from leakhunt.analysis.timeline import _coverage, _rises

    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(2, 40)
        series = []
        t = 0.0
        for _ in range(n):
            t += rng.choice([0.5, 1.0, 2.0])
            series.append((t, rng.randint(0, 50) * MB))
        cover = _coverage(series, (), series[-1][0])
        got = _rises(series, cover, top=1, interval=1.0)
        gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(series))
        width = max((series[-1][0] - series[0][0]) / 25, 2.5 * max(1.0, gaps[len(gaps) // 2]))
        values = [v for _, v in series]
        tol = max((max(values) - min(values)) // 50, 256 * 1024)
        pairs = [
            (series[k][1] - series[i][1], min(values[k:]) - series[i][1])
            for i in range(n)
            for k in range(i + 1, n)
            if series[k][0] - series[i][0] <= width
        ]
        brute = max((rise for rise, _ in pairs), default=0)
        kept_any = any(kept > tol for _, kept in pairs)
        if brute > tol:
            # no rise bigger than the biggest; what stayed before what was given back
            assert got and all(r.rise <= brute for r in got)
            flags = [r.stayed for r in got]
            assert flags == sorted(flags, reverse=True)
            if not kept_any:
                # only spikes given back: the biggest, its start moved up to
                # where 90% of it remains
                assert 0.9 * brute <= got[0].rise <= brute
        else:
            assert got == ()


def test_rise_labels_name_the_span_that_holds_most_of_it() -> None:
    samples = (Sample(0, rss=0), Sample(4, rss=40 * MB))
    spans = (Span("load", start=1, end=3, rss_start=1 * MB, rss_end=39 * MB),)
    s = summarize(Timeline("t", samples=samples, spans=spans))
    assert (s.rises[0].start, s.rises[0].end) == (1, 3)
    assert (s.rises[0].rise // MB, s.rises[0].labels) == (38, ("load",))


def test_traced_memory_attributes_what_rss_cannot(tmp_path: Path) -> None:
    # GIVEN 'search' makes RSS rise (new arenas for temporaries: traced memory
    # comes back down) while 'report' keeps what it allocates (traced +4 MB,
    # RSS unchanged: it reused the arenas)
    recs = [
        {"kind": "sample", "t": T0, "rss": 100 * MB, "tm": 10 * MB},
        {"kind": "enter", "id": 1, "label": "search", "t": T0 + 1, "rss": 100 * MB, "tm": 10 * MB},
        {"kind": "exit", "id": 1, "t": T0 + 2, "rss": 108 * MB, "tm": 10 * MB},
        {"kind": "enter", "id": 2, "label": "report", "t": T0 + 3, "rss": 108 * MB, "tm": 10 * MB},
        {"kind": "exit", "id": 2, "t": T0 + 4, "rss": 108 * MB, "tm": 14 * MB},
        {"kind": "sample", "t": T0 + 5, "rss": 108 * MB, "tm": 14 * MB},
    ]
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", recs))
    s = summarize(tl)
    by = {x.label: x for x in s.spans}
    assert (by["search"].rise, by["search"].tm_rise) == (8 * MB, 0)
    assert (by["report"].rise, by["report"].tm_rise, by["report"].tm_share) == (0, 4 * MB, 1.0)
    text = render_timeline_text(tl, s).splitlines()
    assert text[3:5] == [
        "100% of the traced rise (tracemalloc) happened inside 'report' (1 call, +4.0 MiB each)",
        "100% of the RSS rise happened inside 'search' (1 call, +8.0 MiB each)",
    ]


def test_open_span_runs_to_the_end_of_the_file(tmp_path: Path) -> None:
    recs = [
        {"kind": "sample", "t": T0, "rss": 10 * MB},
        {"kind": "enter", "id": 1, "label": "stuck", "t": T0 + 1, "rss": 10 * MB},
        {"kind": "sample", "t": T0 + 2, "rss": 30 * MB},
    ]
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", recs))
    s = summarize(tl)
    assert not tl.ended
    assert [(x.label, x.calls, x.open_calls, x.rise) for x in s.spans] == [("stuck", 0, 1, 20 * MB)]


def test_type_counts_that_grew(tmp_path: Path) -> None:
    recs = [
        {"kind": "sample", "t": T0, "rss": MB, "types": [["dict", 100], ["app.Row", 5]]},
        {"kind": "sample", "t": T0 + 1, "rss": MB},
        {"kind": "sample", "t": T0 + 2, "rss": MB, "types": [["app.Row", 905], ["dict", 90]]},
    ]
    s = summarize(load_timeline(write_timeline(tmp_path / "t.jsonl", recs)))
    assert [(g.name, g.first, g.last) for g in s.types] == [("app.Row", 5, 905)]


# ------------------------------------------------------------------ bad input


def test_truncated_last_line_is_skipped_and_counted(tmp_path: Path) -> None:
    path = write_timeline(tmp_path / "t.jsonl", report_run(2), tail='{"kind": "sample", "t": 50')
    tl = load_timeline(path)
    assert tl.skipped_lines == 1
    s = summarize(tl)
    assert s.notes[0].startswith("1 line skipped")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty, not a leakhunt timeline"),
        (b"\n\n", "is empty, not a leakhunt timeline"),
        (b'{"name": "something else"}\n', "not a leakhunt timeline"),
        (b"hello world\n", "not a leakhunt timeline"),
        (b'{"format": "leakhunt.snapshot", "format_version": "1.0"}', "is a snapshot"),
        (b"\x1f\x8b\x08\x00binary", "is gzip data, not a timeline"),
        (b'{"format": "leakhunt.timeline", "format_version": "2.0"}\n', "newer leakhunt"),
        (b'{"format": "leakhunt.timeline", "format_version": "1.0"}\n', "no memory samples"),
    ],
)
def test_bad_files_are_one_sentence(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(TimelineFileError) as err:
        summarize(load_timeline(path))
    assert problem in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


# ------------------------------------------------------------------ pictures


def test_svg_parses_and_shows_spans_marks_and_rises(tmp_path: Path) -> None:
    recs = report_run(3)
    recs.insert(1, {"kind": "mark", "id": 99, "label": "deploy <v2> & go", "t": T0 + 0.5})
    recs.append({"kind": "snapshot", "t": T0 + 7, "label": "mid", "path": "/x", "rss": 112 * MB})
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", recs))
    s = summarize(tl)
    svg = render_timeline_image(tl, s, "svg")
    top = s.rises[0]
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = svg.decode()
    for needed in (
        "memory (MiB)",
        "time since the monitor started (s)",
        "inside 'generate_report'",
        "snapshot",
        "deploy &lt;v2&gt; &amp; go",
        f"1. +{fmt_bytes(top.rise)} in {fmt_duration(top.end - top.start)}",
    ):
        assert needed in text, needed
    assert render_timeline_image(tl, s, "svg") == svg  # no date: reproducible


def test_png_has_the_magic_and_a_sane_size(tmp_path: Path) -> None:
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", report_run(3)))
    png = render_timeline_image(tl, summarize(tl), "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1100, 700)
    assert 10_000 < len(png) < 500_000


def test_html_embeds_the_svg_and_escapes_the_summary(tmp_path: Path) -> None:
    recs = report_run(1)
    for r in recs:
        if r.get("label") == "generate_report":
            r["label"] = "<script>alert(1)</script>"
    tl = load_timeline(write_timeline(tmp_path / "t.jsonl", recs))
    page = render_timeline_html(tl, summarize(tl))
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    assert page.count("<script") == 1  # the page's own (sorting), nothing from the data
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ------------------------------------------------------------------ the command


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``leakhunt ARGS`` in this process (cli.main: the same code path as
    the console script; matplotlib is imported once for all tests)."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def test_timeline_command_draws_and_summarises(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = write_timeline(tmp_path / "t.jsonl", report_run(3))
    r = cli("timeline", path)
    assert r.returncode == 0, r.stderr
    assert "86% of the rise happened inside 'generate_report'" in r.stdout
    for ext, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".html", b"<!DOCTYPE")):
        out = tmp_path / f"t{ext}"
        r = cli("timeline", path, "-o", out)
        # a file without a live heap says so in every output
        assert (r.returncode, r.stdout) == (0, f"wrote {out}\n")
        assert r.stderr.splitlines() == [f"leakhunt: note: {path}: {NO_HEAP_NOTE}"]
        assert out.read_bytes().startswith(magic)
    r = cli("timeline", path, "-o", tmp_path / "t.svg", "--text")
    assert r.returncode == 0 and "memory (RSS) rose 35.0 MiB" in r.stdout


def test_timeline_command_truncated_file_plots_with_a_note(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = write_timeline(tmp_path / "t.jsonl", report_run(2), tail='{"kind": "samp')
    r = cli("timeline", path, "-o", tmp_path / "t.png")
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        f"leakhunt: note: {path}: 1 line skipped (truncated or not JSON; "
        "the process may have been killed while writing)",
        f"leakhunt: note: {path}: {NO_HEAP_NOTE}",
    ]
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 a zip file"])
def test_timeline_command_empty_or_foreign_file_exits_2(
    tmp_path: Path, content: bytes, cli: Callable[..., Result]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    r = cli("timeline", path, "-o", tmp_path / "t.svg")
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and str(path) in r.stderr
    assert not (tmp_path / "t.svg").exists()


def test_timeline_command_bad_extension_exits_2(tmp_path: Path, cli: Callable[..., Result]) -> None:
    path = write_timeline(tmp_path / "t.jsonl", report_run(1))
    r = cli("timeline", path, "-o", tmp_path / "t.jpg")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and ".svg" in r.stderr


def test_matplotlib_is_imported_only_when_drawing() -> None:
    import subprocess
    import sys

    code = (
        "import sys, leakhunt, leakhunt.analysis.timeline, leakhunt.render.timeline, leakhunt.cli; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


# ------------------------------------------------------------------ the live heap (issue 11)


def write_11(path: Path, records: list[dict[str, Any]], **head: Any) -> Path:
    header = {"format": "leakhunt.timeline", "format_version": "1.1", "kind": "header",
              "pid": 7, "interval": 1.0, "t": T0, "heap": "mallinfo2+pymalloc", **head}  # fmt: skip
    lines = [json.dumps(header)] + [json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dashboard_run(calls: int, *, threads: int = 1) -> list[dict[str, Any]]:
    """GIVEN the issue's program: 'render_dashboard' takes 6 MB of
    temporaries and frees them, but the allocator keeps them cached, so RSS
    rises inside it and not in 'export_invoices', which keeps 2 MB a call
    in memory that was already resident. With several threads, each runs
    the loop at its own phase."""
    recs: list[dict[str, Any]] = [{"kind": "sample", "t": T0, "rss": 100 * MB, "heap": 50 * MB}]
    events = []
    ident = 0
    for th in range(threads):
        t = T0 + 0.1 + th * 0.013
        for _ in range(calls):
            for label, dur in (("render_dashboard", 0.021), ("export_invoices", 0.02)):
                ident += 1
                events.append((t, "enter", ident, label, th))
                events.append((t + dur, "exit", ident, label, th))
                t += dur + 0.001
    events.sort()
    heap, rss = 50 * MB, 100 * MB
    for t, kind, ident, label, th in events:
        rec: dict[str, Any] = {"kind": kind, "id": ident, "t": t}
        if kind == "enter":
            rec.update(label=label, thread=f"T{th}", tid=th + 1, depth=0)
        rec.update(rss=rss, heap=heap)
        recs.append(rec)
        if kind == "enter" and label == "export_invoices":
            heap += 2 * MB  # kept at once, in cached memory: RSS does not move
        if kind == "enter" and label == "render_dashboard":
            rss += 2 * MB  # the temporaries' pages; the live heap gives them back
    recs.append({"kind": "sample", "t": events[-1][0] + 0.01, "rss": rss, "heap": heap})
    recs.append({"kind": "end", "t": events[-1][0] + 0.01})
    return recs


def test_spans_are_ranked_by_the_live_heap_they_kept(tmp_path: Path) -> None:
    tl = load_timeline(write_11(tmp_path / "t.jsonl", dashboard_run(25)))
    s = summarize(tl)
    assert s.kept_metric == "heap" and tl.heap_source == "mallinfo2+pymalloc"
    by = {x.label: x for x in s.spans}
    assert [x.label for x in s.spans] == ["export_invoices", "render_dashboard"]
    ex, rd = by["export_invoices"], by["render_dashboard"]
    assert (ex.calls, ex.kept, ex.kept_each, ex.kept_share) == (25, 50 * MB, 2 * MB, 1.0)
    assert (rd.kept, rd.rise) == (0, 50 * MB)  # RSS alone would blame it
    assert s.disagreements == (("render_dashboard", 50 * MB, 0),)
    assert (s.kept_inside, s.kept_outside, s.kept_ambiguous) == (50 * MB, 0, 0)
    text = render_timeline_text(tl, s)
    lines = text.splitlines()
    assert lines[1].startswith("live heap (malloc + pymalloc) kept 50.0 MiB more over")
    assert lines[2].startswith("memory (RSS) rose 50.0 MiB over")
    assert lines[3] == (
        "100% of the live heap kept was kept inside 'export_invoices' "
        "(25 calls, +2.0 MiB kept each)"
    )
    assert lines[4].startswith(
        "RSS rose 50.0 MiB inside 'render_dashboard', which kept 0 B of live heap: "
        "it gave back what it took"
    )
    assert "note:" not in text


def test_threads_overlapping_are_told_apart_by_estimation(tmp_path: Path) -> None:
    tl = load_timeline(write_11(tmp_path / "t.jsonl", dashboard_run(25, threads=4)))
    s = summarize(tl)
    assert s.threads == 4 and s.kept_ambiguous == 200 * MB
    ex, rd = s.spans
    assert ex.label == "export_invoices" and ex.kept_each_estimate is not None
    assert ex.kept_each == pytest.approx(2 * MB, rel=0.02)
    assert abs(rd.kept_each) < 0.02 * MB
    assert ex.kept_share is not None and ex.kept_share >= 0.98
    text = render_timeline_text(tl, s)
    assert "(estimated: threads overlapped)" in text
    assert "note: spans of several threads ran at once" in text


def test_peak_per_call_and_what_was_given_back(tmp_path: Path) -> None:
    # GIVEN 'resize' rises 40 MB inside (a sample sees it) and gives back all
    # but 1 MB; 'cache' keeps 3 MB with no reading inside
    recs = [
        {"kind": "sample", "t": T0, "rss": 100 * MB, "heap": 10 * MB},
        {
            "kind": "enter",
            "id": 1,
            "label": "resize",
            "t": T0 + 1,
            "rss": 100 * MB,
            "heap": 10 * MB,
        },
        {"kind": "sample", "t": T0 + 2, "rss": 140 * MB, "heap": 50 * MB},
        {"kind": "exit", "id": 1, "t": T0 + 3, "rss": 140 * MB, "heap": 11 * MB},
        {"kind": "enter", "id": 2, "label": "cache", "t": T0 + 4, "rss": 140 * MB, "heap": 11 * MB},
        {"kind": "exit", "id": 2, "t": T0 + 5, "rss": 140 * MB, "heap": 14 * MB},
        {"kind": "sample", "t": T0 + 6, "rss": 140 * MB, "heap": 14 * MB},
    ]
    s = summarize(load_timeline(write_11(tmp_path / "t.jsonl", recs)))
    by = {x.label: x for x in s.spans}
    assert [x.label for x in s.spans] == ["cache", "resize"]
    assert (by["resize"].peak_each, by["resize"].peaks_seen, by["resize"].given_back_each) == (
        40 * MB, 1, 39 * MB,
    )  # fmt: skip
    assert (by["cache"].peak_each, by["cache"].peaks_seen) == (3 * MB, 0)
    # the rise inside 'resize' was given back: it comes after what stayed
    assert s.rises[-1].labels == ("resize",) and not s.rises[-1].stayed
    assert s.rises[-1].given_back == 39 * MB


def test_a_file_without_a_live_heap_says_so_everywhere(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    why = "no live-heap counter: the C library has no mallinfo2 (glibc 2.33+)"
    recs = [{k: v for k, v in r.items() if k != "heap"} for r in dashboard_run(5)]
    path = write_11(tmp_path / "t.jsonl", recs, heap=None, heap_missing=why)
    tl = load_timeline(path)
    assert tl.heap_source is None and tl.heap_missing == why
    s = summarize(tl)
    assert s.kept_metric == "rss" and s.spans[0].label == "render_dashboard"
    note = f"{why}: spans are ranked by RSS"
    assert note in s.notes[0]
    r = cli("timeline", path)
    assert f"note: {note}" in r.stdout
    for ext in (".svg", ".html"):
        r = cli("timeline", path, "-o", tmp_path / f"t{ext}")
        assert note in r.stderr
        body = (tmp_path / f"t{ext}").read_text()
        assert "no live heap in this file" in body or "no live-heap counter" in body


@pytest.mark.parametrize(
    "bad",
    [
        '{"kind": "sample", "t": NaN, "rss": 1}',
        '{"kind": "sample", "t": Infinity, "rss": 1}',
        '{"kind": "sample", "t": 1e400, "rss": 1}',
        '{"kind": "sample", "t": 1, "rss": ' + "9" * 400 + "}",
        '{"kind": "sample", "t": 1, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"kind": "sample", "t": 1, "rss": -5, "heap": -1}',
    ],
)
def test_hostile_numbers_and_nesting_are_skipped_or_refused(
    tmp_path: Path, bad: str, cli: Callable[..., Result]
) -> None:
    # GIVEN the bad value in a record: the record is skipped (or its
    # negative sizes read as unknown), the rest is drawn
    path = write_timeline(tmp_path / "t.jsonl", report_run(2), tail=bad + "\n")
    tl = load_timeline(path)
    assert tl.skipped_lines == (0 if "-5" in bad else 1)
    for out in ("", tmp_path / "t.svg", tmp_path / "t.html"):
        r = cli("timeline", path, *(("-o", out) if out else ()))
        assert r.returncode == 0, r.stderr
    # GIVEN the bad value in the header: one line, exit 2
    head = bad.replace('"kind": "sample"', '"format": "leakhunt.timeline", "kind": "header"')
    path.write_text(head + "\n" + json.dumps({"kind": "sample", "t": 1, "rss": 1}) + "\n")
    r = cli("timeline", path)
    if "-5" in bad:  # a header without a version: refused as such
        assert r.returncode == 2 and "format_version" in r.stderr
    else:
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1
        assert "not a leakhunt timeline" in r.stderr


def test_twenty_thousand_labels_read_in_one_pass(tmp_path: Path) -> None:
    from leakhunt.analysis.timeline import _coverage

    recs = []
    for k in range(20_000):
        recs += [
            {"kind": "enter", "id": k + 1, "label": f"request {k}", "t": T0 + k * 0.01,
             "rss": 10**7 + 1000 * k, "heap": 10**6 + 1000 * k},
            {"kind": "exit", "id": k + 1, "t": T0 + k * 0.01 + 0.005,
             "rss": 10**7 + 1000 * k + 512, "heap": 10**6 + 1000 * k + 700},
        ]  # fmt: skip
    tl = load_timeline(write_11(tmp_path / "t.jsonl", recs))
    s = summarize(tl)
    assert len(s.spans) == 20_000 and s.kept_inside == 20_000 * 700
    assert all(x.kept == 700 and x.calls == 1 for x in s.spans)
    # only the labels open at a step are carried (the old code carried all
    # labels ever seen: quadratic)
    cover = _coverage([(sp.start, 0) for sp in tl.spans] + [(1e9, 0)], tl.spans, 1e9)
    assert max(len(labels) for labels, _ in cover) == 1
    text = render_timeline_text(tl, s)
    assert "... and 19980 more labels" in text


def test_lone_surrogates_and_readings_a_hair_apart_print(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    # GIVEN a label with a lone surrogate (legal JSON, not UTF-8) and a
    # rise between two readings 1e-300 s apart
    recs = [
        {"kind": "sample", "t": T0, "rss": 100, "heap": 5},
        {"kind": "sample", "t": T0 + 1e-300, "rss": 10**19, "heap": 10**19},
        {"kind": "enter", "id": 1, "label": "bad \ud800 label", "t": T0 + 1, "rss": 5, "heap": 5},
        {"kind": "exit", "id": 1, "t": T0 + 2, "rss": 7, "heap": 10**19},
    ]
    head = {"format": "leakhunt.timeline", "format_version": "1.1", "kind": "header",
            "t": T0, "interval": 1}  # fmt: skip
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [head, *recs]) + "\n")
    assert load_timeline(path).spans[0].label == "bad \ufffd label"
    for out in ("", tmp_path / "t.svg", tmp_path / "t.html"):
        r = cli("timeline", path, *(("-o", out) if out else ()))
        assert r.returncode == 0, r.stderr
