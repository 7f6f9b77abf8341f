"""The public surface: a curated package root, and a core that imports
neither the CLI framework nor the test framework."""

from __future__ import annotations

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
}


def test_public_names_are_curated() -> None:
    assert set(leakhunt.__all__) == PUBLIC
    for name in leakhunt.__all__:
        assert getattr(leakhunt, name) is not None


def test_core_imports_neither_typer_nor_pytest() -> None:
    code = (
        "import sys, leakhunt, leakhunt.report, leakhunt.render, leakhunt.retainers, "
        "leakhunt.dominators; "
        "print(sorted(m for m in ('typer', 'click', 'pytest', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # rich is the text renderer's dependency, imported by render; typer only by the CLI
    assert "typer" not in out.stdout and "pytest" not in out.stdout and "click" not in out.stdout


def test_version_is_a_release_string() -> None:
    parts = leakhunt.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)
