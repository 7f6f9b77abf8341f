"""The ``leakhunt`` command line, run as users run it: in a subprocess
(``python -m leakhunt``) on snapshot files written by leakhunt itself.

Exit codes: 0 done, 1 --fail-on-growth tripped, 2 bad usage or input.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

import leakhunt
from leakhunt import cli
from leakhunt.analysis.diff import diff
from leakhunt.files import snapshot_file as storage
from leakhunt.model import ProcessMemory, Snapshot, TypeStat
from leakhunt.render import render_diff
from leakhunt.views import diff_view

T0 = 1714564800.0


class _Leak:
    """What the 'after' snapshot holds a thousand more of."""


LEAK_NAME = f"{_Leak.__module__}.{_Leak.__qualname__}"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def leakhunt_cli(*args: str | Path, cwd: Path | None = None) -> Result:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env.pop("LEAKHUNT_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "leakhunt", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def real_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two snapshots of this test process's heap, the second with 1,000
    more _Leak objects alive."""
    a = leakhunt.snapshot("before", path=tmp_path / "a.lhs.json.gz")
    keep = [_Leak() for _ in range(1000)]
    b = leakhunt.snapshot("after", path=tmp_path / "b.lhs.json.gz")
    assert a.path is not None and b.path is not None
    assert b.stat(LEAK_NAME).count - a.stat(LEAK_NAME).count == 1000
    del keep
    return Path(a.path), Path(b.path)


def _hand_built(label: str, seq: int, wall: float, types: dict[str, tuple[int, int]]) -> Snapshot:
    return Snapshot(
        label=label,
        types=tuple(TypeStat(n, c, s) for n, (c, s) in types.items()),
        wall_time=wall,
        monotonic_time=wall - T0,
        pid=4242,
        python_version="3.11.7",
        leakhunt_version="0.1.0",
        memory=ProcessMemory(rss=45 * 2**20, peak_rss=50 * 2**20),
        seq=seq,
        walker="c",
        format_version=storage.FORMAT_VERSION_NO_GRAPH,
    )


@pytest.fixture
def hand_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Two hand-built snapshot files: dict +1,000, list +20, str -1,000."""
    a = _hand_built(
        "before", 1, T0, {"dict": (1000, 232_000), "list": (500, 28_000), "str": (9000, 600_000)}
    )
    b = _hand_built(
        "after",
        2,
        T0 + 12.5,
        {"dict": (2000, 464_000), "list": (520, 29_200), "str": (8000, 500_000)},
    )
    pa = storage.write_snapshot(a, str(tmp_path / "0001-before.lhs.json.gz"))
    pb = storage.write_snapshot(b, str(tmp_path / "0002-after.lhs.json.gz"))
    return Path(pa), Path(pb)


# ---------------------------------------------------------------- version and help


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    r = leakhunt_cli(flag)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"leakhunt {leakhunt.__version__}\n", "")


def test_console_script_is_the_same_program() -> None:
    script = Path(sys.executable).with_name("leakhunt")
    if not script.exists():
        pytest.skip("leakhunt console script not installed next to this Python")
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, f"leakhunt {leakhunt.__version__}\n")


def test_help_teaches_the_workflow() -> None:
    r = leakhunt_cli("--help")
    assert r.returncode == 0
    assert "Example workflow:" in r.stdout
    assert 'leakhunt.snapshot("before")' in r.stdout
    assert "leakhunt diff " in r.stdout
    assert "diff " in r.stdout and "inspect " in r.stdout
    assert "Exit codes" in r.stdout


@pytest.mark.parametrize("command", ["diff", "inspect"])
def test_command_help_lists_every_option(command: str) -> None:
    r = leakhunt_cli(command, "--help")
    assert r.returncode == 0
    for option in ("--sort", "--top", "--format", "--output"):
        assert option in r.stdout
    if command == "diff":
        for option in ("--min-count", "--all", "--fail-on-growth"):
            assert option in r.stdout


def test_every_command_and_parameter_has_help_text() -> None:
    group = typer.main.get_command(cli.app)
    assert group.help
    commands = getattr(group, "commands", {})
    assert {"diff", "inspect", "graph", "hunt", "report", "run", "snapshot", "timeline"} <= set(
        commands
    )
    for name, command in commands.items():
        assert command.help, name
        assert command.short_help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name} has no help text"


def test_bare_command_prints_help_and_exits_2() -> None:
    r = leakhunt_cli()
    assert r.returncode == 2
    assert "Usage: leakhunt" in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- diff on real snapshots


def test_diff_of_real_snapshots_shows_the_leak(real_pair: tuple[Path, Path]) -> None:
    a, b = real_pair
    r = leakhunt_cli("diff", a, b)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "before (#" in r.stdout and "after (#" in r.stdout
    leak_line = next(line for line in r.stdout.splitlines() if line.startswith(LEAK_NAME))
    assert leak_line.split()[1:4] == ["0", "1,000", "+1,000"]


def test_fail_on_growth_trips_and_names_the_type(real_pair: tuple[Path, Path]) -> None:
    a, b = real_pair
    r = leakhunt_cli("diff", a, b, "--fail-on-growth", "1000")
    assert r.returncode == 1
    # the report is still written; the verdict is one line on stderr
    assert LEAK_NAME in r.stdout
    assert len(r.stderr_lines) == 1
    assert "--fail-on-growth 1000 tripped" in r.stderr
    assert f"{LEAK_NAME} (+1,000)" in r.stderr


def test_fail_on_growth_passes_below_the_threshold(real_pair: tuple[Path, Path]) -> None:
    a, b = real_pair
    r = leakhunt_cli("diff", a, b, "--fail-on-growth", "1000000")
    assert (r.returncode, r.stderr) == (0, "")


def test_gate_counts_types_that_top_hides(hand_pair: tuple[Path, Path]) -> None:
    a, b = hand_pair
    r = leakhunt_cli("diff", a, b, "--top", "1", "--sort", "bytes", "--fail-on-growth", "20")
    assert r.returncode == 1
    assert "2 types grew by 20 objects or more" in r.stderr
    assert "dict (+1,000), list (+20)" in r.stderr


def test_output_file_is_written_instead_of_stdout(
    real_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = real_pair
    out = tmp_path / "report.txt"
    r = leakhunt_cli("diff", a, b, "-o", out)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert LEAK_NAME in out.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    if os.name == "posix":  # private: a report describes a program's heap
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o600 & ~umask


def test_output_format_follows_the_extension_unless_given(
    hand_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = hand_pair
    out = tmp_path / "diff.json"
    assert leakhunt_cli("diff", a, b, "--output", out).returncode == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [t["type"] for t in doc["types"]] == ["dict", "list"]
    assert leakhunt_cli("diff", a, b, "-o", out, "--format", "markdown").returncode == 0
    assert out.read_text(encoding="utf-8").startswith("### leakhunt diff")


def test_cli_output_is_the_renderer_output(hand_pair: tuple[Path, Path]) -> None:
    # the CLI only orchestrates: what it prints is render(view(diff(load, load)))
    a, b = hand_pair
    view = diff_view(
        diff(storage.read_snapshot(str(a)), storage.read_snapshot(str(b))),
        sort="count",
        top=1,
        include_shrinking=True,
    )
    for fmt in ("table", "json", "markdown"):
        r = leakhunt_cli("diff", a, b, "--sort", "count", "--top", "1", "--all", "--format", fmt)
        assert r.returncode == 0
        assert r.stdout == render_diff(view, fmt, width=100), fmt


def test_diff_json_selection_options(hand_pair: tuple[Path, Path]) -> None:
    a, b = hand_pair
    r = leakhunt_cli("diff", a, b, "--format", "json", "--all", "--min-count", "21")
    doc = json.loads(r.stdout)
    assert [(t["type"], t["count_delta"]) for t in doc["types"]] == [
        ("dict", 1000),
        ("str", -1000),
    ]
    assert doc["selection"] == {
        "sort": "bytes",
        "top": 20,
        "min_count": 21,
        "all": True,
        "types": [],
        "modules": [],
    }
    assert doc["seconds_between"] == 12.5


def test_diff_says_when_nothing_grew(hand_pair: tuple[Path, Path]) -> None:
    a, _ = hand_pair
    r = leakhunt_cli("diff", a, a)
    assert r.returncode == 0
    assert "no type grew between before and before" in r.stdout


# ---------------------------------------------------------------- inspect


def test_inspect_shows_the_header_and_top_types(real_pair: tuple[Path, Path]) -> None:
    _, b = real_pair
    s = storage.read_snapshot(str(b))
    r = leakhunt_cli("inspect", b, "--top", "5")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for expected in (
        f"after (#{s.seq})",
        f"pid {s.pid}",
        f"Python {s.python_version}",
        f"walker {s.walker}",
        "RSS",
        "collections",
        f"{s.total_count:,}",
        "Biggest types by bytes:",
        "more types (--top 0 shows all)",
    ):
        assert expected in out
    assert out.count("\n") < 40


def test_inspect_json(real_pair: tuple[Path, Path]) -> None:
    _, b = real_pair
    s = storage.read_snapshot(str(b))
    r = leakhunt_cli("inspect", b, "--format", "json", "--sort", "count", "--top", "3")
    doc = json.loads(r.stdout)
    assert doc["label"] == "after"
    assert doc["total_count"] == s.total_count
    assert len(doc["types"]) == 3
    counts = [t["count"] for t in doc["types"]]
    assert counts == sorted(counts, reverse=True)


# ---------------------------------------------------------------- bad input


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _doc_with(good: Path, **changes: object) -> bytes:
    doc = json.loads(gzip.decompress(good.read_bytes()))
    doc.update(changes)
    return json.dumps(doc).encode()


BAD_INPUTS: dict[str, Callable[[Path, Path], Path]] = {
    "missing file": lambda d, good: d / "nope.lhs.json.gz",
    "a directory": lambda d, good: _mkdir(d / "snaps.lhs.json.gz"),
    "empty file": lambda d, good: _write(d / "empty.lhs.json", b""),
    "not JSON": lambda d, good: _write(d / "notes.txt", b"hello, world\n"),
    "truncated gzip": lambda d, good: _write(d / "cut.lhs.json.gz", good.read_bytes()[:60]),
    "JSON, not a snapshot": lambda d, good: _write(d / "package.json", b'{"name": "x"}'),
    "newer format version": lambda d, good: _write(
        d / "future.lhs.json", _doc_with(good, format_version="2.0")
    ),
    "wrong field types": lambda d, good: _write(
        d / "typo.lhs.json", _doc_with(good, types=[{"name": "dict", "count": "many", "size": 1}])
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["diff", "inspect"])
def test_bad_input_is_one_line_naming_the_file(
    case: str, command: str, hand_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    # GIVEN a good snapshot and a bad file
    good, _ = hand_pair
    bad = BAD_INPUTS[case](tmp_path, good)
    # WHEN a command reads the bad file (as diff's B: A was read fine)
    r = leakhunt_cli(*(("diff", good, bad) if command == "diff" else ("inspect", bad)))
    # THEN one sentence on stderr names it, exit 2, no traceback, no output
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr_lines) == 1, r.stderr
    assert r.stderr.startswith(f"leakhunt: error: {bad}: ")
    assert "Traceback" not in r.stderr


def test_newer_format_says_to_upgrade(hand_pair: tuple[Path, Path], tmp_path: Path) -> None:
    good, _ = hand_pair
    future = _write(tmp_path / "future.lhs.json", _doc_with(good, format_version="2.0"))
    r = leakhunt_cli("inspect", future)
    assert r.returncode == 2
    assert "newer" in r.stderr
    assert "upgrade" in r.stderr


def test_unwritable_output_is_bad_input(hand_pair: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = hand_pair
    out = tmp_path / "no" / "such" / "dir" / "report.md"
    r = leakhunt_cli("diff", a, b, "-o", out)
    assert r.returncode == 2
    assert len(r.stderr_lines) == 1
    assert str(out) in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- bad usage


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("diff", "--bogus", "a", "b"), "No such option: --bogus"),
        (("diff", "--sort", "bogus", "a", "b"), "'bogus' is not one of"),
        (("diff", "--format", "html", "a", "b"), "'html' is not one of"),
        (("diff", "a"), "Missing argument 'B'"),
        (("inspect",), "Missing argument 'FILE'"),
        (("diff", "--top", "-1", "a", "b"), "--top"),
        (("diff", "--fail-on-growth", "0", "a", "b"), "--fail-on-growth"),
        (("dif", "a", "b"), "No such command 'dif'"),
    ],
    ids=[
        "unknown option",
        "bad sort",
        "bad format",
        "missing argument",
        "missing file argument",
        "negative top",
        "zero gate",
        "unknown command",
    ],
)
def test_bad_usage_exits_2_with_a_short_message(args: tuple[str, ...], says: str) -> None:
    r = leakhunt_cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr_lines) == 1, r.stderr
    assert r.stderr.startswith("leakhunt: error: ")
    assert says in r.stderr
    assert "--help" in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- main() in process


def test_main_returns_exit_codes(
    hand_pair: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = hand_pair
    assert cli.main(["diff", str(a), str(b)]) == 0
    assert cli.main(["diff", str(a), str(b), "--fail-on-growth", "5"]) == 1
    assert cli.main(["diff", str(a), str(tmp_path / "missing")]) == 2
    assert cli.main(["diff", "--nope"]) == 2
    assert cli.main(["--version"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_a_bug_is_exit_3_with_a_traceback(
    hand_pair: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(cli.diff, "render_diff", broken)
    a, b = hand_pair
    assert cli.main(["diff", str(a), str(b)]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError: renderer bug" in err
    assert "please report it" in err
