"""Every file leakhunt writes is 0600 and every directory it creates 0700,
whatever the umask lets through: heap data describes a program's memory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

from leakhunt import capture

PROGRAM = """
import os, leakhunt
os.umask(0o022)
SESSIONS = {f"k{i}": object() for i in range(5)}
leakhunt.snapshot("a", path="snaps/histo")
SESSIONS.update({f"n{i}": object() for i in range(50)})
leakhunt.snapshot("b", path="snaps/histo")
if leakhunt.walker_name() == "c":
    leakhunt.snapshot("g1", path="snaps/graph", graph=True)
    SESSIONS.update({f"m{i}": object() for i in range(50)})
    leakhunt.snapshot("g2", path="snaps/graph", graph=True)
leakhunt.snapshot("f", path="deep/er/file.lhs.json.gz")
with leakhunt.monitor("tl.jsonl", interval=0.01):
    with leakhunt.mark("x"):
        pass
"""


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def _cli(tmp_path: Path, *args: str) -> None:
    r = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0o022); from leakhunt.cli import main; "
         "sys.exit(main(sys.argv[1:]))", *args],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr


def test_every_file_is_0600_and_every_directory_0700(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(PROGRAM)], capture_output=True,
                       text=True, cwd=tmp_path, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    a, b = sorted(str(p) for p in (tmp_path / "snaps" / "histo").iterdir())
    (tmp_path / "out").mkdir(mode=0o700)  # -o names a file in an existing directory
    _cli(tmp_path, "diff", a, b, "-o", "out/diff.txt")
    _cli(tmp_path, "diff", a, b, "-f", "json", "-o", "out/diff.json")
    _cli(tmp_path, "diff", a, b, "-f", "markdown", "-o", "out/diff.md")
    _cli(tmp_path, "inspect", a, "-o", "out/inspect.txt")
    _cli(tmp_path, "report", a, b, "-o", "out/report.html")
    _cli(tmp_path, "timeline", "tl.jsonl", "-o", "out/tl.svg")
    if capture.walker_name() == "c":
        g1, g2 = sorted(str(p) for p in (tmp_path / "snaps" / "graph").iterdir())
        _cli(tmp_path, "graph", g2, "--type", "object", "-o", "out/g.dot")
        _cli(tmp_path, "report", g1, g2, "-o", "out/greport.html")
    files, dirs = [], []
    for root, dnames, fnames in os.walk(tmp_path):
        dirs += [Path(root) / d for d in dnames if d != "__pycache__"]
        files += [Path(root) / f for f in fnames]
    written = [f for f in files if f.name not in ("tl.jsonl",)]  # the monitor's: its own room
    assert len(written) >= 10
    assert {str(f.relative_to(tmp_path)): oct(_mode(f)) for f in written if _mode(f) != 0o600} == {}
    assert {str(d.relative_to(tmp_path)): oct(_mode(d)) for d in dirs if _mode(d) != 0o700} == {}


def test_a_device_is_written_into_never_replaced(tmp_path: Path) -> None:
    # GIVEN a character device at the output path (as -o /dev/null gives)
    from leakhunt.files.atomic import atomic_write, open_new

    # WHEN leakhunt writes "to" it, THEN the device stays a device: a rename
    # over /dev/null by root would replace it with a regular file
    atomic_write("/dev/null", b"x" * 100)
    fd = open_new("/dev/null", b"header\n")
    os.close(fd)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list(Path("/dev").glob(".null.*.tmp"))
