"""Real graph snapshots for the HTML report tests: a subprocess runs the
``report_rows`` leak (rows kept in a module-level list) plus a hostile one
(a class named ``<script>alert(1)</script>`` kept under a dict key that is
an HTML tag), with a snapshot before and after."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
XSS_TYPE = "<script>alert(1)</script>"
XSS_KEY = "<img src=x onerror=alert(2)>"
XSS_FILE = "<svg onload=alert(3)>.lhs.json.gz"

APP = textwrap.dedent(
    f"""
    import sys, leakhunt
    from scenarios import report_rows
    Evil = type({XSS_TYPE!r}, (), {{}})
    HOLD = {{}}
    def act():
        report_rows.action()
        HOLD.setdefault({XSS_KEY!r}, []).append(Evil())
    act()
    # On 3.13 the first snapshot file written leaves a _struct.Struct in
    # the struct module's cache (reported; not this test's subject)
    leakhunt.snapshot("warm-up", path=sys.argv[1] + "/warm-up")
    # keys="all": the hostile key must reach the page to test its escaping
    leakhunt.snapshot("before", path=sys.argv[1], graph=True, keys="all")
    for _ in range(5):
        act()
    leakhunt.snapshot("after", path=sys.argv[1], graph=True, keys="all")
    """
)


def make_snapshots(directory: Path) -> tuple[Path, Path]:
    """Snapshot files A and B of the leak above; B is copied to a file whose
    name is an HTML tag (file names reach the page too)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", APP, str(directory)], check=True, env=env, cwd=ROOT)
    a, b = sorted(directory.glob("*.lhs.json.gz"))
    hostile = directory / XSS_FILE
    shutil.copyfile(b, hostile)
    return a, hostile


def shared_snapshots(factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """:func:`make_snapshots` once per test session (per xdist worker)."""
    directory = factory.getbasetemp() / "html-snapshots"
    hostile = directory / XSS_FILE
    if not hostile.exists():
        directory.mkdir(exist_ok=True)
        return make_snapshots(directory)
    (a,) = directory.glob("0001-*.lhs.json.gz")
    return a, hostile
