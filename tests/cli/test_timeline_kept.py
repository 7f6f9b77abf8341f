"""The program of issue 11 under ``leakhunt run``: 'export_invoices' keeps
2 MB a call, 'render_dashboard' takes 6 MB of temporaries and frees them.
RSS deltas blame the second (the allocator keeps the freed memory and the
next allocation reuses it); ``leakhunt timeline`` must rank the first, by
the live heap, with one thread or four, with spans shorter than the
sampling interval or not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leakhunt.analysis.timeline import summarize
from leakhunt.capture.liveheap import live_heap
from leakhunt.files.timeline_file import load_timeline

pytestmark = pytest.mark.skipif(
    live_heap().source is None, reason=f"{live_heap().missing} (the test needs one)"
)

MB = 2**20

APP = """\
import threading, time, leakhunt
KEPT = []
def export_invoices():            # the leak: keeps 2 MB per call
    KEPT.append(bytearray(2_000_000))
def render_dashboard():           # no leak: 6 MB of temporaries, freed
    tmp = [bytearray(2_000_000) for _ in range(3)]
    del tmp
def loop():
    for i in range(25):
        with leakhunt.mark("render_dashboard"):
            render_dashboard(); time.sleep(0.02)
        with leakhunt.mark("export_invoices"):
            export_invoices(); time.sleep(0.02)
threads = [threading.Thread(target=loop) for _ in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAKHUNT_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", *args],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(("threads", "interval"), [(1, "0.05"), (1, "1"), (4, "0.05"), (4, "1")])
def test_the_action_that_keeps_memory_is_blamed(
    tmp_path: Path, threads: int, interval: str
) -> None:
    (tmp_path / "app.py").write_text(APP.replace("THREADS", str(threads)))
    r = run(tmp_path, "run", "-q", "--signal", "none", "--interval", interval, "-o", "tl.jsonl",
            "--", sys.executable, "app.py")  # fmt: skip
    assert r.returncode == 0, r.stderr
    s = summarize(load_timeline(tmp_path / "tl.jsonl"))
    by = {x.label: x for x in s.spans}
    ex, rd = by["export_invoices"], by["render_dashboard"]
    # an independent oracle: the program keeps 2,000,000 bytes a call
    assert s.spans[0] is ex and ex.calls == 25 * threads
    assert ex.kept_each == pytest.approx(2_000_000, rel=0.1)
    assert ex.kept_share is not None and ex.kept_share >= 0.9
    assert abs(rd.kept_each) < 0.05 * 2_000_000
    text = run(tmp_path, "timeline", "tl.jsonl").stdout
    assert "% of the live heap kept was kept inside 'export_invoices'" in text
    if threads == 1:
        assert "RSS rose" in text and "inside 'render_dashboard', which kept" in text
        assert "it gave back what it took" in text
    # the picture draws render_dashboard's calls as given back: its SVG holds
    # the grey of DevTools' freed allocations
    r = run(tmp_path, "timeline", "tl.jsonl", "-o", "tl.svg")
    assert r.returncode == 0, r.stderr
    svg = (tmp_path / "tl.svg").read_text()
    assert "#9e9e9e" in svg and "#1565c0" in svg
