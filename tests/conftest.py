"""Shared fixtures. The autouse fixture checks that no test leaves the
garbage collector in another state than it found it (leakhunt must restore
gc state exactly) and keeps snapshot files out of the working tree."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _clean_global_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("LEAKHUNT_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    before = (gc.isenabled(), gc.get_threshold(), gc.get_debug())
    yield
    after = (gc.isenabled(), gc.get_threshold(), gc.get_debug())
    assert after == before, f"gc state changed by the test: {before} -> {after}"
