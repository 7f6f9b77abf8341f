"""Names are names: a global or attribute whose name holds digits, underscores,
dunders or non-ASCII letters (``cache_v2``, ``s3_client``, ``__registry__``,
``café_2``) prints as ``.name`` in every output, and two such globals are two
containers, never one ``.__dict__ -> [*]`` (a bug found in review: keys with
a digit were masked as if they were per-request data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

APP = """
import leakhunt
cache_v2 = []
s3_client = {"pool": []}
__registry__ = []
café_2 = []
keep = [{"x": 1}]
a = leakhunt.snapshot("a", graph=True, path="snaps", keys="names")  # 'pool' is a data key
cache_v2.extend({"id": i} for i in range(300))
café_2.extend([i] for i in range(200))
__registry__.extend(bytearray(8) for i in range(150))
s3_client["pool"].extend(frozenset({i}) for i in range(120))
b = leakhunt.snapshot("b", graph=True, path="snaps", keys="names")
"""

HUNT_TARGET = """
cache_v2 = []
http2_pool = []

def action():
    cache_v2.append({"n": len(cache_v2)})
    http2_pool.append(bytearray(16))
"""

NAMES = [".cache_v2", ".café_2", ".__registry__", ".s3_client"]


def _leakhunt(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "leakhunt", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def snaps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("names")
    (d / "app.py").write_text(APP, encoding="utf-8")
    subprocess.run([sys.executable, "app.py"], cwd=d, check=True, timeout=120)
    return d, d / "snaps" / "0001-a.lhs.json.gz", d / "snaps" / "0002-b.lhs.json.gz"


def test_diff_text_and_json_name_each_global(snaps: tuple[Path, Path, Path]) -> None:
    # GIVEN four globals with digit, dunder and non-ASCII names that grew
    d, a, b = snaps
    # WHEN diffing THEN each growth is held by its own global, by name
    text = _leakhunt("diff", a, b, "--top", "0", cwd=d)
    assert text.returncode == 0, text.stderr
    for name in NAMES:
        assert f" held by: module __main__ -> {name} -> " in text.stdout, (name, text.stdout)
    assert ".__dict__ -> [*]" not in text.stdout
    doc = json.loads(_leakhunt("diff", a, b, "--top", "0", "-f", "json", cwd=d).stdout)
    containers = {
        c["container"]["path"]
        for t in doc["types"]
        for c in t.get("retainers", [])
        if c["container"] is not None
    }
    assert {
        "module __main__ -> .cache_v2",
        "module __main__ -> .café_2",
        "module __main__ -> .__registry__",
        "module __main__ -> .s3_client -> ['pool']",
    } <= containers


def test_graph_and_report_name_the_global(snaps: tuple[Path, Path, Path]) -> None:
    d, a, b = snaps
    r = _leakhunt("graph", b, "--type", "bytearray", "-o", d / "g.dot", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "label=<.__registry__>" in (d / "g.dot").read_text(encoding="utf-8")
    r = _leakhunt("report", a, b, "-o", d / "r.html", cwd=d)
    assert r.returncode == 0, r.stderr
    page = (d / "r.html").read_text(encoding="utf-8")
    for name in NAMES:
        assert f"module __main__ -&gt; {name}" in page, name


def test_hunt_names_the_global(tmp_path: Path) -> None:
    (tmp_path / "digits.py").write_text(HUNT_TARGET, encoding="utf-8")
    r = _leakhunt("hunt", "digits.py", "-n", "5", "--warmup", "1", "--no-trace", "-f", "json",
                  cwd=tmp_path)  # fmt: skip
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    paths = {p for leak in doc["leaks"] for p in leak["retainers"]}
    assert "module digits -> .cache_v2 -> [*] -> dict" in paths
    assert "module digits -> .http2_pool -> [*] -> bytearray" in paths
