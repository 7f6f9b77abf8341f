"""Real Node.js heaps and real oracles: the Node scenarios' snapshots are
written by ``node`` itself, leakhunt's answers are checked against each
scenario's EXPECT, against memlab's parser and against Chrome DevTools' own
heap-snapshot worker code; and leakhunt's exported Python snapshots load in
both, with DevTools' Summary equal to leakhunt's histogram.

Needs ``node`` and the oracles of ``make v8-oracles`` (skips otherwise)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import leakhunt
from leakhunt.analysis.diff import diff
from leakhunt.analysis.survivors import find_survivors
from leakhunt.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios" / "node"
ORACLES = Path(
    os.environ.get("LEAKHUNT_V8_ORACLES", ROOT / ".cache" / "v8-oracles" / "node_modules")
)
NODE = shutil.which("node")
ACTIONS, SIZE = 3, 1000
NODE_SCENARIOS = sorted(
    p.stem for p in SCENARIOS.glob("*.js") if not p.stem.startswith(("_", "driver"))
)

needs_node = pytest.mark.skipif(NODE is None, reason="node not installed (make v8-oracles)")


def _node(*args: str, cwd: Path = SCENARIOS) -> str:
    assert NODE is not None
    run = subprocess.run(
        [NODE, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


@pytest.fixture(scope="session")
def triples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, str, str]]]:
    if NODE is None:
        pytest.skip("node not installed (make v8-oracles)")
    out = {}
    for name in NODE_SCENARIOS:
        d = tmp_path_factory.mktemp(name)
        _node("--expose-gc", "driver.js", f"{name}.js", str(d), str(ACTIONS), str(SIZE))
        out[name] = tuple(str(d / f"{s}.heapsnapshot") for s in ("baseline", "target", "final"))
    yield out  # type: ignore[misc]


def _expect(name: str) -> dict[str, Any]:
    text = _node("-e", f"process.stdout.write(JSON.stringify(require('./{name}.js').EXPECT))")
    return json.loads(text)  # type: ignore[no-any-return]


@needs_node
@pytest.mark.parametrize("name", NODE_SCENARIOS)
def test_each_node_scenario_is_found_or_clean(
    name: str, triples: dict[str, tuple[str, str, str]]
) -> None:
    # GIVEN three snapshots of the scenario written by node
    expect = _expect(name)
    snaps = [leakhunt.load(p) for p in triples[name]]
    # WHEN asked what survived from between baseline and target
    found = find_survivors(*snaps)
    # THEN a leak is the first finding, with its holder; a control is clean
    assert found.exact
    if not expect["leak"]:
        assert found.clusters == ()
        return
    first = found.clusters[0]
    assert first.type_name in expect["types"]
    assert first.path_text is not None
    for holder in expect["retainer"]:
        assert holder in first.path_text
    assert first.count >= 1 and first.more_after_target >= 1


@needs_node
def test_the_seed_leak_names_the_array_and_its_holder(
    triples: dict[str, tuple[str, str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    b, t, f = triples["invoice_buffered"]
    assert main(["diff", b, t, "--final", f]) == 0
    out = capsys.readouterr().out
    first = out.split("\n1. ", 1)[1].split("\n2. ", 1)[0]
    assert first.startswith(f"ExportJob x{ACTIONS} (+{ACTIONS} more after target)")
    flat = " ".join(first.split())
    assert "context 'exportHistory' -> [*] -> ExportJob" in flat
    assert (
        f"context 'exportHistory' grew by {2 * ACTIONS} items (1 to {1 + ACTIONS} to "
        f"{1 + 2 * ACTIONS})" in flat
    )
    b, t, f = triples["invoice_streaming"]
    assert main(["diff", b, t, "--final", f]) == 0
    assert "Nothing allocated between baseline and target" in capsys.readouterr().out


# ------------------------------------------------------------------ memlab

needs_oracles = pytest.mark.skipif(
    NODE is None or not (ORACLES / "@memlab" / "heap-analysis").is_dir(),
    reason="memlab not installed (make v8-oracles)",
)


def _memlab(*args: str) -> Any:
    env = {**os.environ, "LEAKHUNT_ORACLES": str(ORACLES)}
    assert NODE is not None
    run = subprocess.run(
        [NODE, str(ROOT / "tests/v8/oracles/memlab_counts.js"), *args],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)


def _by_v8_type(counts: dict[str, list[int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for key, (count, size) in counts.items():
        t, _, name = key.partition("|")
        cls = {
            "string": "(string)", "concatenated string": "(concatenated string)",
            "sliced string": "(sliced string)", "number": "(number)", "code": "(compiled code)",
            "closure": "Function", "object shape": "(object shape)", "symbol": "(symbol)",
        }.get(t)  # fmt: skip
        if cls is None and t == "object" and name in ("ExportJob", "Array"):
            cls = name
        if cls is not None:
            row = out.setdefault(cls, [0, 0])
            row[0] += count
            row[1] += size
    return out


@needs_oracles
def test_import_counts_equal_memlabs(triples: dict[str, tuple[str, str, str]]) -> None:
    final = triples["invoice_buffered"][2]
    ours = leakhunt.load(final)
    theirs = _memlab(final)
    assert ours.graph is not None
    assert theirs["nodes"] == ours.graph.n == ours.total_count
    assert sum(size for _, size in theirs["by"].values()) == ours.total_size
    by = ours.by_name()
    for cls, (count, size) in _by_v8_type(theirs["by"]).items():
        assert (by[cls].count, by[cls].size) == (count, size), cls
    # plain Objects: memlab's one "Object" row is DevTools' interfaces, summed
    plain = theirs["by"]["object|Object"]
    ours_plain = [t for t in ours.types if t.name == "Object" or t.name.startswith("{")]
    assert sum(t.count for t in ours_plain) == plain[0]


@needs_oracles
def test_the_final_triple_equals_memlabs_candidates(
    triples: dict[str, tuple[str, str, str]],
) -> None:
    b, t, f = triples["invoice_buffered"]
    theirs = _memlab("--triple", b, t, f)["candidates"]
    found = find_survivors(*(leakhunt.load(p) for p in (b, t, f)))
    assert theirs["object|ExportJob"][0] == found.clusters[0].count == ACTIONS


# ---------------------------------------------------------------- DevTools

needs_devtools = pytest.mark.skipif(
    NODE is None
    or not (ORACLES / "chrome-devtools-frontend").is_dir()
    or not (ORACLES / "esbuild").is_dir(),
    reason="chrome-devtools-frontend not installed (make v8-oracles)",
)


@pytest.fixture(scope="session")
def devtools(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("devtools") / "devtools.mjs"
    _node(str(ROOT / "tests/v8/oracles/devtools_build.mjs"), str(ORACLES), str(out), cwd=ROOT)
    return str(out)


def _devtools(bundle: str, *args: str) -> Any:
    return json.loads(_node(bundle, *args, cwd=ROOT))


@needs_devtools
def test_import_matches_devtools_summary(
    triples: dict[str, tuple[str, str, str]], devtools: str
) -> None:
    final = triples["invoice_buffered"][2]
    theirs = _devtools(devtools, "summary", final)
    by = leakhunt.load(final).by_name()
    # user classes, named alike: constructors and plain-object interfaces
    for cls in ("ExportJob", "Array", "{id, customer, date, currency, lines}", "{sku}"):
        assert theirs[cls][0] == by[cls].count, cls


PY_LEAK = """
import leakhunt
class Invoice:
    def __init__(self, i):
        self.id = i
        self.total = i * 1.5
class ExportJob:
    def __init__(self, rows):
        self.rows = rows
EXPORT_HISTORY = []
def export():
    EXPORT_HISTORY.append(ExportJob([Invoice(j) for j in range(200)]))
export()
leakhunt.snapshot("baseline", graph=True)
for _ in range(3):
    export()
leakhunt.snapshot("final", graph=True)
"""


@pytest.fixture(scope="module")
def python_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    d = tmp_path_factory.mktemp("py")
    subprocess.run([sys.executable, "-c", PY_LEAK], cwd=d, check=True, timeout=120)
    files = sorted((d / "leakhunt-snapshots").iterdir())
    return str(files[0]), str(files[1])


_PY_TO_DEVTOOLS = {"str": "(string)", "function": "Function", "code": "(compiled code)"}


@needs_devtools
def test_exported_python_snapshots_equal_leakhunt_in_devtools(
    python_pair: tuple[str, str], devtools: str, tmp_path: Path
) -> None:
    # GIVEN two Python graph snapshots exported as V8 files
    a, b = python_pair
    va, vb = str(tmp_path / "a.heapsnapshot"), str(tmp_path / "b.heapsnapshot")
    assert main(["export", a, "-o", va]) == 0
    assert main(["export", b, "-o", vb]) == 0
    # THEN DevTools' Summary is leakhunt's histogram, class for class
    summary = _devtools(devtools, "summary", vb)
    sb = leakhunt.load(b)
    assert {_PY_TO_DEVTOOLS.get(t.name, t.name): [t.count, t.size] for t in sb.types} == summary
    # and its Comparison counts are leakhunt diff's (sizes too, for objects
    # that were not resized in place, which DevTools cannot see)
    compare = _devtools(devtools, "compare", va, vb)
    d = diff(leakhunt.load(a), sb)
    for delta in d.deltas:
        row = compare.get(_PY_TO_DEVTOOLS.get(delta.name, delta.name), [0, 0, 0, 0])
        assert row[2] == delta.count_delta, delta.name
    for name in ("__main__.Invoice", "__main__.ExportJob"):
        dd = next(x for x in d.deltas if x.name == name)
        assert compare[name][2:] == [dd.count_delta, dd.size_delta]
    # and Retainers show leakhunt's labels, as V8 edge kinds
    g = sb.graph
    assert g is not None
    invoice = max(v for v in range(g.n) if g.type_name(v) == "__main__.Invoice")
    chain = _devtools(devtools, "retainers", vb, str((g.ids[invoice] >> 4) & 0xFFFFFFFF))
    assert re.fullmatch(r"\d+ \(element\) in list", chain[0])
    assert chain[1] == "rows (property) in __main__.ExportJob"
    assert re.fullmatch(r"\d+ \(element\) in list", chain[2])
    assert chain[3] == "['EXPORT_HISTORY'] (property) in dict"


@needs_oracles
def test_exported_python_snapshots_load_in_memlab(
    python_pair: tuple[str, str], tmp_path: Path
) -> None:
    _, b = python_pair
    vb = str(tmp_path / "b.heapsnapshot")
    assert main(["export", b, "-o", vb]) == 0
    theirs = _memlab(vb)["by"]
    sb = leakhunt.load(b)
    for t in sb.types:
        kind = {"str": "string", "function": "closure", "code": "code"}.get(t.name, "object")
        assert theirs[f"{kind}|{t.name}"] == [t.count, t.size], t.name
