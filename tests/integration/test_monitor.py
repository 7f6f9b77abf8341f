"""The monitor in this process: the file it writes, marks and spans from
several threads, snapshots on the timeline, rotation, clean stops."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
from pathlib import Path

import pytest

import leakhunt
from leakhunt.analysis.timeline import summarize
from leakhunt.capture.procmem import memory_now
from leakhunt.errors import UsageError
from leakhunt.files.timeline_file import FORMAT_NAME, load_timeline
from leakhunt.runtime.monitor import Monitor


def monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "leakhunt-monitor"]


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_monitor_writes_a_valid_file_and_stops_its_thread(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "t.jsonl"
    with leakhunt.monitor(path, interval=0.01, types_every=2, top_types=5) as m:
        assert m.running and len(monitor_threads()) == 1
        while m.samples < 5:
            threading.Event().wait(0.01)
    assert not m.running and monitor_threads() == []
    recs = records(path)
    assert recs[0]["format"] == FORMAT_NAME and recs[0]["kind"] == "header"
    assert recs[-1]["kind"] == "end"
    samples = [r for r in recs if r["kind"] == "sample"]
    assert len(samples) >= 6  # the first, at least 4 from the thread, the last
    for i, s in enumerate(samples):
        assert isinstance(s["rss"], int) and s["rss"] > 0
        assert isinstance(s["peak_rss"], int) and s["peak_rss"] >= s["rss"]
        assert len(s["gc"]["collections"]) == 3  # type: ignore[index]
        # the first sample of the thread counts types: the top five, most numerous first
        if i == 1 or "types" in s:
            counts = [n for _, n, _ in s["types"]]  # type: ignore[attr-defined]
            assert len(counts) == 5 and counts == sorted(counts, reverse=True)
            assert s["objects"] >= sum(counts)  # type: ignore[operator]
    # never two type counts in a row with types_every=2, but always one at the end
    typed = [i for i, s in enumerate(samples[:-1]) if "types" in s]
    assert all(b - a >= 2 for a, b in itertools.pairwise(typed))
    assert "types" in samples[-1]
    times = [s["t"] for s in samples]
    assert times == sorted(times)
    m.stop()  # twice is fine
    tl = load_timeline(path)
    assert tl.ended and tl.skipped_lines == 0 and tl.interval == 0.01


def test_start_stop_object_and_a_second_start_is_refused(tmp_path: Path) -> None:
    m = leakhunt.monitor(tmp_path / "t.jsonl", interval=10)
    assert isinstance(m, Monitor) and not m.running
    m.start()
    try:
        with pytest.raises(UsageError, match="already running"):
            m.start()
    finally:
        m.stop()
    assert monitor_threads() == []
    with pytest.raises(UsageError, match="interval"):
        leakhunt.monitor(tmp_path / "u.jsonl", interval=0)


def test_marks_and_spans_from_several_threads(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    start = threading.Barrier(4)

    def work(n: int) -> None:
        start.wait()
        for i in range(20):
            with leakhunt.mark(f"outer-{n}"):
                with leakhunt.mark("inner"):
                    pass
                leakhunt.mark(f"point-{n}-{i}")

    with leakhunt.monitor(path, interval=10):
        threads = [threading.Thread(target=work, args=(n,), name=f"w{n}") for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    tl = load_timeline(path)
    assert tl.skipped_lines == 0
    assert len(tl.spans) == 4 * 20 * 2 and all(sp.end is not None for sp in tl.spans)
    for n in range(4):
        outer = [sp for sp in tl.spans if sp.label == f"outer-{n}"]
        assert len(outer) == 20 and {sp.thread for sp in outer} == {f"w{n}"}
        assert {sp.depth for sp in outer} == {0}
    inner = [sp for sp in tl.spans if sp.label == "inner"]
    assert len(inner) == 80 and {sp.depth for sp in inner} == {1}
    assert sorted(m.label for m in tl.marks) == sorted(
        f"point-{n}-{i}" for n in range(4) for i in range(20)
    )
    by = {s.label: s for s in summarize(tl).spans}
    assert by["inner"].calls == 80 and by["outer-3"].calls == 20


def test_span_records_the_exception_and_lets_it_through(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(path, interval=10), pytest.raises(KeyError), leakhunt.mark("fails"):
        raise KeyError("x")
    (span,) = load_timeline(path).spans
    assert (span.label, span.error) == ("fails", "KeyError")


def test_marks_without_a_monitor_record_nothing_and_work() -> None:
    leakhunt.mark("nobody listens")
    with leakhunt.mark("still fine") as m:
        assert m.label == "still fine"


def test_track_on_plain_and_async_functions(tmp_path: Path) -> None:
    @leakhunt.track
    def build(n: int) -> list[int]:
        return list(range(n))

    @leakhunt.track(label="fetch")
    async def fetch(n: int) -> int:
        await asyncio.sleep(0)
        return n + 1

    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(path, interval=10):
        assert build(3) == [0, 1, 2]
        assert asyncio.run(fetch(1)) == 2
    labels = [sp.label for sp in load_timeline(path).spans]
    assert labels == [f"{__name__}.{build.__qualname__}", "fetch"]
    assert build.__name__ == "build"


def test_snapshots_taken_while_monitoring_are_marked(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(path, interval=10):
        saved = leakhunt.snapshot("before", path=tmp_path / "snaps")
        leakhunt.snapshot("memory only", save=False)
    leakhunt.snapshot("after the monitor", path=tmp_path / "snaps")
    snaps = load_timeline(path).snapshots
    assert [(s.label, s.path) for s in snaps] == [
        ("before", str(saved.path)),
        ("memory only", None),
    ]
    assert snaps[0].seq == saved.seq and snaps[0].rss == saved.memory.rss


def test_the_file_is_bounded_by_rotation(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(path, interval=10, max_bytes=4096) as m:
        for i in range(300):
            leakhunt.mark(f"m{i}")
    assert m.rotations >= 2
    old = Path(f"{path}.1")
    assert path.stat().st_size <= 4096 and old.stat().st_size <= 4096
    # each part starts with a header and reads on its own
    for p in (path, old):
        assert records(p)[0]["format"] == FORMAT_NAME
        assert load_timeline(p).skipped_lines == 0
    # the last mark is in one of the two parts (the stop's last sample may
    # have started a new part of its own)
    marks = load_timeline(old).marks + load_timeline(path).marks
    assert marks[-1].label == "m299"


def test_an_unwritable_file_warns_once_and_the_host_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    m = leakhunt.monitor(path, interval=10).start()
    assert m._file is not None
    m._file.close()  # the disk went away
    with pytest.warns(leakhunt.LeakhuntWarning, match="not written"):
        leakhunt.mark("lost")
    leakhunt.mark("lost too")  # no second warning, no exception
    m.stop()
    assert monitor_threads() == []


def test_memory_now_agrees_with_proc_status() -> None:
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("no /proc on this platform")
    rss, peak = memory_now()
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    vm_rss = int(fields["VmRSS"].split()[0]) * 1024
    assert rss is not None and abs(rss - vm_rss) < 4 * 2**20
    assert peak is not None and peak >= rss


def test_monitor_and_marks_are_not_counted_by_snapshots(tmp_path: Path) -> None:
    with leakhunt.monitor(tmp_path / "t.jsonl", interval=10), leakhunt.mark("span"):
        s = leakhunt.snapshot("inside", save=False)
    names = {t.name for t in s.types}
    assert not {"leakhunt.runtime.monitor.Monitor", "leakhunt.runtime.monitor.mark"} & names


# ------------------------------------------------------------------ issue 11 and 14


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    # GIVEN a symlink planted at the timeline's path, pointing at a precious file
    precious = tmp_path / "precious.txt"
    precious.write_text("precious\n")
    path = tmp_path / "t.jsonl"
    path.symlink_to(precious)
    with leakhunt.monitor(path, interval=10):
        leakhunt.mark("x")
    # THEN the target is untouched; the timeline is a new private file
    assert precious.read_text() == "precious\n"
    assert not path.is_symlink() and records(path)[0]["format"] == FORMAT_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    # and the same when the file rotates onto a planted PATH.1
    old = Path(f"{path}.1")
    old.symlink_to(precious)
    with leakhunt.monitor(path, interval=10, max_bytes=4096):
        for i in range(200):
            leakhunt.mark(f"m{i}")
    assert precious.read_text() == "precious\n"
    assert not old.is_symlink() and old.stat().st_mode & 0o777 == 0o600


def test_the_file_is_closed_after_a_write_error(tmp_path: Path) -> None:
    m = leakhunt.monitor(tmp_path / "t.jsonl", interval=10).start()
    f = m._file
    assert f is not None

    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(28, "No space left on device")

        def close(self) -> None:
            f.close()

    m._file = Full()
    with pytest.warns(leakhunt.LeakhuntWarning, match="No space left"):
        leakhunt.mark("lost")
    assert f.closed and m._file is None  # no ResourceWarning later in the host
    m.stop()


def test_records_carry_the_live_heap(tmp_path: Path) -> None:
    from leakhunt.capture.liveheap import live_heap

    path = tmp_path / "t.jsonl"
    keep = []
    with leakhunt.monitor(path, interval=10):
        with leakhunt.mark("keep"):
            keep.append(bytearray(4 * 2**20))
        with leakhunt.mark("temporary"):
            tmp = bytearray(4 * 2**20)
            del tmp
    head, *recs = records(path)
    assert head["format_version"] == "1.1"
    if live_heap().source is None:
        assert head["heap"] is None and head["heap_missing"]
        return
    assert head["heap"] in ("mallinfo2+pymalloc", "mallinfo2")
    kinds = {r["kind"] for r in recs if "heap" in r}
    assert {"sample", "enter", "exit", "mark"} <= kinds
    spans = {s.label: s for s in load_timeline(path).spans}
    # an independent oracle: the bytearray's own size
    assert 4 * 2**20 <= (spans["keep"].kept or 0) < 4 * 2**20 + 256 * 1024
    assert abs(spans["temporary"].kept or 0) < 256 * 1024
    assert spans["keep"].tid == threading.get_ident()


def test_live_heap_counts_small_objects_and_big_buffers() -> None:
    from leakhunt.capture.liveheap import live_heap

    heap = live_heap()
    if heap.source is None:
        pytest.skip(heap.missing)
    # GIVEN 200,000 small objects (pymalloc) and 16 MiB of bytearrays
    # (malloc), with no collection freeing earlier tests' garbage meanwhile
    import gc

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = heap.exact()
        small = [(i, i) for i in range(200_000)]
        big = [bytearray(2**20) for _ in range(16)]
        after_exact = heap.exact()
        after_now = heap.now()
    finally:
        if was_enabled:
            gc.enable()
    assert before is not None and after_exact is not None and after_now is not None
    # the oracle, from the objects' own sizes: a 2-tuple is 56 bytes with
    # its gc header (pymalloc's 64-byte class), an int above 256 is 28
    # (the 32-byte class), the list holds 8 bytes a slot
    assert sys.getsizeof((1000, 1000)) <= 64 and sys.getsizeof(10**5) <= 32
    expected = 200_000 * (64 + 32 + 8) + 16 * 2**20
    grew = after_exact - before
    assert 0.95 * expected < grew < 1.05 * expected, (grew, expected)
    # the cheap reading agrees with the full one
    assert abs(after_now - after_exact) < 0.02 * expected
    del small, big


def test_without_a_live_heap_counter_the_file_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leakhunt.capture.liveheap import LiveHeap
    from leakhunt.runtime import monitor as monitor_module

    # GIVEN a platform without mallinfo2 (as macOS or musl)
    monkeypatch.setattr("sys.platform", "darwin")
    heap = LiveHeap()
    monkeypatch.undo()
    assert heap.source is None and heap.exact() is None and heap.now() is None
    assert heap.missing == "no live-heap counter on darwin (glibc's mallinfo2 is needed)"
    monkeypatch.setattr(monitor_module._REG, "heap", heap)
    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(path, interval=10), leakhunt.mark("work"):
        pass
    head, *recs = records(path)
    assert head["heap"] is None and head["heap_missing"] == heap.missing
    assert not any("heap" in r for r in recs)
    tl = load_timeline(path)
    s = summarize(tl)
    assert s.kept_metric == "rss" and s.notes[-1].startswith(heap.missing)
