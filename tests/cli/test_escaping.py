"""Names from the program or a file print escaped: no ANSI escape, line
break or direction override reaches a terminal or a log raw, and no name
breaks out of a Markdown code span or an HTML element."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from fuzz.corpus import run_cli

import leakhunt

HOSTILE = "T\x1b[2J\r\nleakhunt: no type grew\u202e``<img src=x onerror=alert(1)>``"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202e]")


@pytest.fixture
def pair(tmp_path: Path) -> tuple[str, str]:
    T = type("T", (), {})
    T.__qualname__ = HOSTILE
    keep: list[object] = []
    a = leakhunt.snapshot("a\x1b[31m", path=tmp_path / "s")
    keep += [T() for _ in range(7)]
    b = leakhunt.snapshot("b\nfake", path=tmp_path / "s")
    assert a.path is not None and b.path is not None
    return a.path, b.path


def _lines(out: str) -> list[str]:
    return out.splitlines()


@pytest.mark.parametrize(
    "argv",
    [
        ["inspect", "B", "--top", "0"],
        ["diff", "A", "B"],
        ["diff", "A", "B", "-f", "markdown"],
        ["diff", "A", "B", "-f", "json"],
    ],
)
def test_hostile_names_print_escaped(
    pair: tuple[str, str], argv: list[str], tmp_path: Path
) -> None:
    a, b = pair
    argv = [{"A": a, "B": b}.get(x, x) for x in argv] + ["-o", str(tmp_path / "out")]
    rc, err = run_cli(argv)
    assert rc == 0, err
    out = (tmp_path / "out").read_text()
    assert not RAW.search(out), repr(out)
    assert not any(line.lstrip("|` ").startswith("leakhunt: no type grew") for line in _lines(out))
    assert "\\x1b[2J" in out  # the name is there, escaped (JSON doubles the backslash)


def test_markdown_code_spans_hold_a_double_backtick(pair: tuple[str, str], tmp_path: Path) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    a, b = pair
    rc, err = run_cli(["diff", a, b, "-f", "markdown", "-o", str(tmp_path / "d.md")])
    assert rc == 0, err
    html = (
        markdown_it.MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .render((tmp_path / "d.md").read_text())
    )
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_a_file_with_raw_control_characters_reads_escaped(tmp_path: Path) -> None:
    s = leakhunt.snapshot("x", path=tmp_path / "x.lhs.json.gz")
    assert s.path is not None
    doc = json.loads(gzip.decompress(Path(s.path).read_bytes()))
    doc["types"][0]["name"] = "evil\x1b]0;title\x07\nname"
    doc["label"] = "lab\x9bel"
    p = tmp_path / "evil.lhs.json"
    p.write_text(json.dumps(doc))
    back = leakhunt.load(p)
    assert back.types[0].name == "evil\\x1b]0;title\\x07\\nname"
    assert back.label == "lab\\x9bel"
    rc, err = run_cli(["inspect", str(p), "--top", "0", "-o", str(tmp_path / "o.txt")])
    assert rc == 0, err
    assert not RAW.search((tmp_path / "o.txt").read_text())


def test_timeline_labels_print_escaped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with leakhunt.monitor(str(path), interval=0.01), leakhunt.mark("req\x1b[2J\nfake"):
        pass
    rc, err = run_cli(["timeline", str(path)])
    assert rc == 0, err
    from leakhunt.files.timeline_file import load_timeline

    tl = load_timeline(path)
    assert [s.label for s in tl.spans] == ["req\\x1b[2J\\nfake"]
