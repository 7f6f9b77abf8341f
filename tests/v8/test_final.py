"""``diff A B --final C``: what was allocated between A and B and is still
alive and growing in C, for V8 files (exact, by id) and Python files
(estimated from counts per path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.v8 import app_heap

import leakhunt
from leakhunt.analysis.survivors import find_survivors
from leakhunt.cli import main


def _v8_triple(tmp_path: Path, jobs: tuple[int, int, int]) -> list[str]:
    out = []
    for name, n in zip(("baseline", "target", "final"), jobs, strict=True):
        p = tmp_path / f"{name}.heapsnapshot"
        p.write_text(app_heap(jobs=n).text())
        out.append(str(p))
    return out


def test_v8_growth_is_found_exactly(tmp_path: Path) -> None:
    files = _v8_triple(tmp_path, (1, 3, 5))
    found = find_survivors(*(leakhunt.load(p) for p in files))
    assert found.exact
    (c,) = found.clusters
    # the topmost new objects: the jobs, not their rows
    assert (c.type_name, c.count, c.more_after_target) == ("ExportJob", 2, 2)
    assert (
        c.path_text
        == "global -> .handler -> <context> -> context 'exportHistory' -> [*] -> ExportJob"
    )
    assert c.container is not None
    assert (c.container.length_a, c.length_target, c.container.length_b) == (1, 3, 5)
    assert c.retained == 2 * (24 + 16 + 3 * (28 + 16))


def test_growth_that_stopped_is_a_footnote_not_a_finding(tmp_path: Path) -> None:
    files = _v8_triple(tmp_path, (1, 3, 3))
    found = find_survivors(*(leakhunt.load(p) for p in files))
    assert found.clusters == () and found.settled == 1
    found_all = find_survivors(*(leakhunt.load(p) for p in files), keep_growing=False)
    assert [c.type_name for c in found_all.clusters] == ["ExportJob"]


def test_the_cli_prints_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b, c = _v8_triple(tmp_path, (1, 3, 5))
    assert main(["diff", a, b, "--final", c]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(objects matched by V8 id: exact)" in out
    assert "1. ExportJob x2 (+2 more after target)" in out
    assert "grew by 4 items (1 to 3 to 5)" in out
    assert main(["diff", a, b, "--final", c, "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "survivors" and doc["exact"] is True
    assert doc["clusters"][0]["container"]["length_target"] == 3


def test_a_histogram_snapshot_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = leakhunt.snapshot("plain", path=str(tmp_path / "plain.lhs.json.gz"))
    assert s.path is not None
    a, b, _ = _v8_triple(tmp_path, (1, 2, 3))
    assert main(["diff", a, b, "--final", s.path]) == 2
    err = capsys.readouterr().err
    assert "needs graph snapshots" in err and len(err.splitlines()) == 1


class Row:
    def __init__(self, i: int) -> None:
        self.i = i


class Job:
    def __init__(self) -> None:
        self.rows = [Row(i) for i in range(50)]


HISTORY: list[Job] = []
WARM: dict[str, list[Row]] = {}


def test_python_files_are_estimated_from_path_counts(tmp_path: Path) -> None:
    HISTORY.clear()
    WARM.clear()
    paths = []
    try:
        for step, jobs in enumerate((0, 3, 3)):
            if step == 1:
                WARM["x"] = [Row(-1) for _ in range(20)]  # once: a lazy initialisation
            HISTORY.extend(Job() for _ in range(jobs))
            s = leakhunt.snapshot(
                f"s{step}", path=str(tmp_path / f"s{step}.lhs.json.gz"), graph=True
            )
            assert s.path is not None
            paths.append(s.path)
        found = find_survivors(*(leakhunt.load(p) for p in paths))
    finally:
        HISTORY.clear()
        WARM.clear()
    assert not found.exact
    first = found.clusters[0]
    assert first.type_name.endswith("Job") and first.count == 3 and first.more_after_target == 3
    assert first.path_text is not None and "HISTORY" in first.path_text
    assert all("WARM" not in (c.path_text or "") for c in found.clusters)
    assert found.settled >= 1


def test_diff_says_new_and_deleted_are_exact_for_v8_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, c = _v8_triple(tmp_path, (1, 3, 5))
    assert main(["diff", a, c]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "new in B: 4 (96 B), deleted since A: 0 (0 B)" in out
    assert "matched by V8 object id" in out and "lower bounds" not in out


def test_a_v8_object_whose_size_changed_is_not_new(tmp_path: Path) -> None:
    # V8 shrinks an object's in-object slack after a few instances: one id,
    # two sizes. DevTools and memlab match by id; so does leakhunt.
    from leakhunt.analysis.churn import churn

    a = app_heap(jobs=1)
    b = app_heap(jobs=3)
    b.nodes = [(t, n, i, size - 8 if n == "ExportJob" else size) for t, n, i, size in b.nodes]
    pa, pb = tmp_path / "a.heapsnapshot", tmp_path / "b.heapsnapshot"
    pa.write_text(a.text())
    pb.write_text(b.text())
    ga, gb = leakhunt.load(pa).graph, leakhunt.load(pb).graph
    assert ga is not None and gb is not None
    (by_id,) = churn(ga, gb, ["ExportJob"], by_id=True)
    assert (by_id.new, by_id.deleted) == (2, 0)
    (by_address,) = churn(ga, gb, ["ExportJob"])
    assert (by_address.new, by_address.deleted) == (3, 1)
