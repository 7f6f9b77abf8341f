"""End to end: graph snapshots written by a real process, then `leakhunt
diff` (with retainer paths) and `leakhunt graph` in subprocesses."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leakhunt import capture

pytestmark = pytest.mark.skipif(
    capture.walker_name() != "c", reason="graph snapshots need the compiled walker"
)

APP = textwrap.dedent(
    """
    import sys, types, leakhunt
    cache = sys.modules["app.cache"] = types.ModuleType("app.cache")
    exec('''
    class Session:
        def __init__(self, user):
            self.user = user
    _SESSIONS = {}
    def handle(i):
        _SESSIONS["req-%d" % i] = Session("user%d" % (i % 7))
    ''', cache.__dict__)
    for i in range(50):
        cache.handle(i)
    leakhunt.snapshot("before", path=sys.argv[1], graph=True)
    for i in range(50, 550):
        cache.handle(i)
    leakhunt.snapshot("after", path=sys.argv[1], graph=True)
    """
)


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("graph-e2e")
    subprocess.run([sys.executable, "-c", APP, str(d)], check=True)
    a, b = sorted(d.glob("*.lhs.json.gz"))
    return a, b


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leakhunt", *args], capture_output=True, text=True)


def test_diff_names_the_holder_and_the_growing_container(snaps: tuple[Path, Path]) -> None:
    a, b = snaps
    out = run("diff", str(a), str(b), "--top", "5")
    assert out.returncode == 0, out.stderr
    assert "+500 held by: module app.cache -> ._SESSIONS -> [*] -> app.cache.Session" in out.stdout
    assert "the dict at module app.cache -> ._SESSIONS grew by 500 items (50 to 550)" in out.stdout


def test_diff_json_carries_the_retainers(snaps: tuple[Path, Path]) -> None:
    import json

    a, b = snaps
    out = run("diff", str(a), str(b), "--format", "json", "--no-retained")
    doc = json.loads(out.stdout)
    session = next(t for t in doc["types"] if t["type"] == "app.cache.Session")
    (cluster,) = session["retainers"]
    assert cluster["count_b"] - cluster["count_a"] == 500
    assert cluster["path"] == "module app.cache -> ._SESSIONS -> [*] -> app.cache.Session"
    assert cluster["container"]["length_b"] - cluster["container"]["length_a"] == 500


def test_graph_command_draws_the_cluster(snaps: tuple[Path, Path], tmp_path: Path) -> None:
    _, b = snaps
    svg = tmp_path / "sessions.svg"
    out = run("graph", str(b), "--type", "app.cache.Session", "-o", str(svg))
    assert out.returncode == 0, out.stderr
    text = svg.read_text()
    assert "module app.cache" in text and "x550" in text


def test_graph_command_on_a_histogram_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    import leakhunt

    s = leakhunt.snapshot("plain", path=tmp_path / "plain.lhs.json.gz")
    assert s.path is not None
    out = run("graph", s.path, "--type", "dict", "-o", str(tmp_path / "x.svg"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "has no object graph" in out.stderr


def test_report_has_a_default_output_name(snaps: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = snaps
    work = tmp_path / "here"
    work.mkdir()

    def run_in(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "leakhunt", *args]
        return subprocess.run(cmd, capture_output=True, text=True, cwd=work)

    stem = b.name.split(".")[0]
    out = run_in("report", str(a), str(b), "--no-retained", "--max-graphs", "0")
    assert out.returncode == 0, out.stderr
    assert (work / f"{stem}.html").exists()
    assert "wrote " in out.stdout and ".html" in out.stdout


def test_diff_refuses_an_html_output_and_points_to_report(
    snaps: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = snaps
    out = run("diff", str(a), str(b), "-o", str(tmp_path / "x.html"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "leakhunt report A B -o x.html" in out.stderr
    assert not (tmp_path / "x.html").exists()


def _draw_commands(text: str) -> list[str]:
    """The commands printed under "draw it:", continuation lines joined."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.strip() == "draw it:":
            parts = []
            for more in lines[i + 1 :]:
                parts.append(more.strip().removesuffix("\\").strip())
                if not more.endswith("\\"):
                    break
            out.append(" ".join(parts))
    return out


def test_diff_numbers_clusters_and_prints_the_command_that_draws_only_new_objects(
    snaps: tuple[Path, Path], tmp_path: Path
) -> None:
    # GIVEN 50 sessions in A, all still alive in B, and 500 more in B
    a, b = snaps
    # WHEN diff is asked for that type only
    out = run("diff", str(a), str(b), "--type", "Session")
    assert out.returncode == 0, out.stderr
    # THEN one row, its 500 new objects (none deleted: A's are alive), one
    # numbered cluster, and the command that draws it
    rows = [line for line in out.stdout.splitlines() if line and not line.startswith((" ", "─"))]
    assert [r.split()[0] for r in rows if r.startswith("app.")] == ["app.cache.Session"]
    assert "new in B: 500 (" in out.stdout and "deleted since A: 0 (0 B)" in out.stdout
    assert "#1 +500 held by: module app.cache -> ._SESSIONS -> [*] -> app.cache.Session" in (
        out.stdout
    )
    (command,) = _draw_commands(out.stdout)
    assert command == f"leakhunt graph {a} {b} --type app.cache.Session --cluster 1"
    # WHEN that command runs (as python -m leakhunt), in an empty directory
    drawn = subprocess.run(
        [sys.executable, "-m", *command.split()[0:]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # THEN it draws the 500 new sessions only, to the default file name
    assert drawn.returncode == 0, drawn.stderr
    assert "500 objects new in B in 1 cluster" in drawn.stdout + drawn.stderr or (
        "Graphviz 'dot' not found" in drawn.stderr
    )
    (picture,) = [p for p in tmp_path.iterdir() if p.stem == "app.cache.Session-1"]
    text = picture.read_text()
    assert "x500" in text and "x550" not in text


def test_diff_module_filter_keeps_the_types_of_that_package(snaps: tuple[Path, Path]) -> None:
    a, b = snaps
    out = run("diff", str(a), str(b), "--module", "app", "--format", "json", "--top", "0")
    import json

    doc = json.loads(out.stdout)
    assert [t["type"] for t in doc["types"]] == ["app.cache.Session"]
    assert (doc["types"][0]["new"], doc["types"][0]["deleted"]) == (500, 0)
    # AND the gate counts only what the filter keeps
    gate = run("diff", str(a), str(b), "--module", "nothing.here", "--fail-on-growth", "1")
    assert gate.returncode == 0, gate.stderr


def test_graph_of_two_snapshots_refuses_a_cluster_past_the_last(
    snaps: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = snaps
    out = run("graph", str(a), str(b), "--type", "app.cache.Session", "--cluster", "2",
              "-o", str(tmp_path / "x.dot"))  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "forms 1 cluster" in out.stderr
