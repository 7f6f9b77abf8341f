"""The one bounded reader: special files refused at once, never read; gzip
bombs refused once past the cap, with memory bounded by it."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from leakhunt.errors import SnapshotFileError, TimelineFileError
from leakhunt.files.reading import gunzip_bounded, read_file


def test_a_fifo_without_a_writer_is_refused_not_waited_for(tmp_path: Path) -> None:
    fifo = tmp_path / "x.lhs.json.gz"
    os.mkfifo(fifo)
    with pytest.raises(SnapshotFileError, match=r"is a FIFO \(named pipe\), not a snapshot file"):
        read_file(str(fifo), what="snapshot")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device: str) -> None:
    with pytest.raises(TimelineFileError, match="is a character device, not a timeline file"):
        read_file(device, what="timeline", error=TimelineFileError)


def test_a_symlink_to_a_device_is_refused_too(tmp_path: Path) -> None:
    link = tmp_path / "t.jsonl"
    link.symlink_to("/dev/zero")
    with pytest.raises(SnapshotFileError, match="character device"):
        read_file(str(link), what="snapshot")


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "big"
    p.write_bytes(b"x" * 1000)
    with pytest.raises(SnapshotFileError, match="1,000 bytes, more than leakhunt reads"):
        read_file(str(p), what="snapshot", max_bytes=999)
    assert read_file(str(p), what="snapshot", max_bytes=1000) == b"x" * 1000


def test_gzip_members_and_padding_inflate_whole() -> None:
    data = gzip.compress(b"a" * 10) + gzip.compress(b"b" * 5) + b"\0\0"
    assert gunzip_bounded(data, "f") == b"a" * 10 + b"b" * 5


@pytest.mark.parametrize(
    "data",
    [gzip.compress(b"{}")[:-5], b"\x1f\x8b\x08garbage", zlib.compress(b"not gzip")],
    ids=["truncated", "corrupt", "zlib"],
)
def test_corrupt_gzip_is_one_line(data: bytes) -> None:
    with pytest.raises(SnapshotFileError, match="truncated or corrupt gzip data"):
        gunzip_bounded(data, "f")


def test_a_bomb_is_refused_within_its_cap() -> None:
    # GIVEN 1 MB of gzip that inflates to 1 GiB, in a fresh process
    code = (
        "import gzip, resource, sys\n"
        "from leakhunt.files.reading import gunzip_bounded\n"
        "from leakhunt.errors import SnapshotFileError\n"
        "bomb = gzip.compress(bytes(1 << 30), 9)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    gunzip_bounded(bomb, 'bomb.gz')\n"
        "except SnapshotFileError as e:\n"
        "    print(str(e).split(':')[1].strip())\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, grown_mib = out.stdout.splitlines()
    # THEN it is refused, having inflated no more than the cap (64 MiB here)
    assert message == "inflates to more than 67,108,864 bytes"
    assert int(grown_mib) < 256
