"""What leakhunt must never do to the host program: raise because of a
label or a name it cannot encode, or run the program's code while it looks
at the interpreter's signal handlers."""

from __future__ import annotations

import _signal
import signal
from pathlib import Path
from typing import Any

import pytest

import leakhunt
from leakhunt import capture


def test_surrogate_labels_and_names_are_written_escaped(tmp_path: Path) -> None:
    # GIVEN a label and a class name holding lone surrogates (os.listdir on
    # a Latin-1 file name gives such strings)
    T = type("T", (), {})
    T.__qualname__ = "Caf\udce9"
    keep = [T() for _ in range(3)]
    # WHEN snapshots are written (warnings are errors in this suite)
    s = leakhunt.snapshot("caf\udce9", path=tmp_path / "s")
    assert s.path is not None
    # THEN the file reads back, the names escaped
    back = leakhunt.load(s.path)
    assert back.label == "caf\\udce9"
    assert back.stat(f"{__name__}.Caf\\udce9").count == 3
    if capture.walker_name() == "c":
        g = leakhunt.snapshot("caf\udce9", path=tmp_path / "g", graph=True)
        assert g.path is not None and leakhunt.load(g.path).graph is not None
    del keep


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="POSIX signals")
@pytest.mark.skipif(capture.walker_name() != "c", reason="graph capture needs the C walker")
def test_a_hostile_signal_handler_object_is_never_called() -> None:
    calls: list[str] = []

    class Handler:
        def __call__(self, signum: int, frame: Any) -> None:
            pass

        def __getattribute__(self, name: str) -> Any:
            calls.append(name)
            raise RuntimeError(f"user code ran: __getattribute__({name!r})")

    # _signal: signal.signal() itself passes handlers through isinstance()
    old = _signal.signal(signal.SIGUSR1, Handler())
    try:
        s = leakhunt.snapshot(save=False, graph=True)
    finally:
        _signal.signal(signal.SIGUSR1, old)
    assert calls == []
    assert s.graph is not None
    assert any(desc == "signal handler SIGUSR1" for _, desc in s.graph.roots)
