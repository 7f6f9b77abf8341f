"""leakhunt leaks nothing: its own API calls, hunted by ``leakhunt.hunt``.

GIVEN an action that calls every entry point a program uses (snapshot,
graph snapshot, diff, why, hunt, monitor start and stop,
install_signal_handler) WHEN leakhunt hunts that action THEN it reports no
leak: nothing leakhunt does accumulates in the program it measures.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import leakhunt
from leakhunt.hunting import hunt


@pytest.fixture
def restored_sigusr2() -> Iterator[None]:
    before = signal.getsignal(signal.SIGUSR2)
    yield
    signal.signal(signal.SIGUSR2, before)


class _Probe:
    """An object of the program's, for why() to explain."""


_PROBES = [_Probe()]


@pytest.mark.skipif(sys.platform == "win32", reason="SIGUSR2")
def test_leakhunt_leaks_nothing(tmp_path: Path, restored_sigusr2: None) -> None:
    timeline = tmp_path / "timeline.jsonl"

    def quiet() -> None:
        return None

    def use_leakhunt() -> None:
        a = leakhunt.snapshot("a", save=False)
        b = leakhunt.snapshot("b", save=False, graph=True)
        leakhunt.diff(a, b)
        leakhunt.why(_PROBES[0])
        leakhunt.hunt(quiet, iterations=3, warmup=0, trace=False, graph=False)
        m = leakhunt.monitor(timeline, interval=0.05)
        m.start()
        m.stop()
        leakhunt.install_signal_handler(signal.SIGUSR2, directory=str(tmp_path))

    r = hunt(use_leakhunt, iterations=8, warmup=3, trace=False)
    assert r.leaks == (), str(r)
    assert r.bounded == ()
