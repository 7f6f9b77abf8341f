"""Each scenario's expected outcome, asserted exactly on the real heap."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import leakhunt

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    mod = importlib.import_module(f"scenarios.{name}")
    if hasattr(mod, "setup"):
        mod.setup()
    return mod


def growth(name: str, calls: int) -> dict[str, int]:
    mod = load(name)
    mod.action()  # warm-up: imports, caches, first-call allocations
    a = leakhunt.snapshot("a", save=False)
    for _ in range(calls):
        mod.action()
    b = leakhunt.snapshot("b", save=False)
    return {d.name: d.count_delta for d in leakhunt.diff(a, b).deltas if d.count_delta}


def test_report_rows_leaks_200_dicts_per_call() -> None:
    g = growth("report_rows", 5)
    # each row: one dict, its 5 keys and 4 str values (json.loads shares
    # keys only within one call, and every line is its own call), and the
    # float amount
    assert g == {"dict": 1000, "str": 9000, "float": 1000}


def test_report_stream_does_not_grow() -> None:
    g = growth("report_stream", 5)
    assert g == {}


def test_dict_and_str_top_the_leak_by_bytes() -> None:
    mod = load("report_rows")
    mod.action()
    a = leakhunt.snapshot("a", save=False)
    for _ in range(5):
        mod.action()
    b = leakhunt.snapshot("b", save=False)
    top = [d.name for d in sorted(leakhunt.diff(a, b).deltas, key=lambda d: -d.size_delta)[:2]]
    assert sorted(top) == ["dict", "str"]
