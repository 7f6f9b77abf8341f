"""The public surface: a curated package root, and a core that imports
neither the CLI framework nor the test framework."""

from __future__ import annotations

import re
import subprocess
import sys

import leakhunt

PUBLIC = {
    "GcInfo",
    "HuntResult",
    "Leak",
    "LeakhuntError",
    "LeakhuntWarning",
    "ProcessMemory",
    "Snapshot",
    "SnapshotDiff",
    "SnapshotFileError",
    "TracemallocInfo",
    "TypeDelta",
    "TypeStat",
    "UsageError",
    "__version__",
    "checkpoint",
    "diff",
    "hunt",
    "load",
    "save",
    "show_retainers",
    "snapshot",
    "take_snapshot",
    "walker_name",
    "Why",
    "why",
    # the memory timeline
    "install_signal_handler",
    "mark",
    "monitor",
    "track",
    # objgraph's habit, in process
    "show_growth",
}


def test_public_names_are_curated() -> None:
    assert set(leakhunt.__all__) == PUBLIC
    for name in leakhunt.__all__:
        assert getattr(leakhunt, name) is not None


def test_core_imports_neither_typer_nor_pytest() -> None:
    code = (
        "import sys, leakhunt, leakhunt.views, leakhunt.render, leakhunt.analysis.retainers, "
        "leakhunt.analysis.dominators; "
        "print(sorted(m for m in ('typer', 'click', 'pytest', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # rich is the text renderer's dependency, imported by render; typer only by the CLI
    assert "typer" not in out.stdout and "pytest" not in out.stdout and "click" not in out.stdout


def _fresh(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def test_import_leakhunt_loads_only_what_capturing_needs() -> None:
    # GIVEN a fresh interpreter WHEN it imports leakhunt (as a program being
    # measured does) THEN no renderer, CLI, hunt or heavy library comes with it
    heavy = (
        "typer", "click", "rich", "jinja2", "matplotlib", "pytest", "leakhunt.render",
        "leakhunt.cli", "leakhunt.hunting", "leakhunt.views", "leakhunt.analysis.growth",
        "leakhunt.model.heapgraph", "leakhunt.model.timeline", "tracemalloc", "pickle",
    )  # fmt: skip
    out = _fresh(f"import sys, leakhunt; print([m for m in {heavy!r} if m in sys.modules])")
    assert out.strip() == "[]"
    # AND the lazy names still work, and load what they need on first use
    out = _fresh(
        "import sys, leakhunt; leakhunt.hunt; leakhunt.show_growth; leakhunt.why; "
        "print('leakhunt.hunting' in sys.modules, 'leakhunt.render' in sys.modules)"
    )
    assert out.split() == ["True", "False"]


def test_import_leakhunt_adds_few_objects_to_the_heap() -> None:
    # GIVEN a program that already uses the stdlib modules leakhunt needs
    # WHEN it imports leakhunt THEN leakhunt's own modules add under 2,000
    # gc-tracked objects to the heap being measured (the README states it)
    stdlib = "dataclasses, typing, json, gzip, threading, weakref, array, signal, atexit, zlib"
    out = _fresh(
        f"import gc, {stdlib}; gc.collect(); n = len(gc.get_objects()); import leakhunt; "
        "gc.collect(); print(len(gc.get_objects()) - n)"
    )
    assert 0 < int(out) < 2000


def test_version_is_a_release_string() -> None:
    parts = leakhunt.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


def test_values_print_for_people_and_repr_short() -> None:
    # GIVEN two snapshots around 300 new dicts
    a = leakhunt.snapshot("before", save=False)
    keep = [{"i": i} for i in range(300)]
    b = leakhunt.snapshot("after", save=False)
    d = leakhunt.diff(a, b)
    # THEN the reprs are one short line, whatever the heap
    assert re.fullmatch(
        r"<Snapshot 'after' #\d+: [\d,]+ objects, [\d,]+ types, [\d,]+ bytes>", repr(b)
    )
    assert re.fullmatch(r"<SnapshotDiff 'before' -> 'after': \d+ types? grew, \+[\d,]+ objects>",
                        repr(d))  # fmt: skip
    # AND str() is the report a person reads: the diff's table, the inspect view
    table = str(d)
    row = next(line for line in table.splitlines() if line.startswith("dict "))
    grown = next(t for t in d.deltas if t.name == "dict").count_delta
    assert 290 <= grown <= 310  # the 300 dicts, give or take the interpreter's own
    assert f"{grown:+,}" in row.split()
    assert str(b).startswith("snapshot  after (#")
    del keep


def test_hunt_result_prints_its_report() -> None:
    kept = []

    def handle() -> None:
        kept.append(bytearray(64))

    r = leakhunt.hunt(handle, iterations=5, warmup=1, trace=False, graph=False)
    assert repr(r) == "<HuntResult 'test_hunt_result_prints_its_report.<locals>.handle': " \
        "1 leak, 1 growing type, 5 calls>"  # fmt: skip
    assert str(r).startswith("LEAK  bytearray  +1 per call")
