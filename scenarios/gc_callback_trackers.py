"""LEAKS: a ``gc.callbacks`` entry per call.

Each job starts a pause tracker that appends its ``on_gc`` method to
``gc.callbacks`` to time collections while it runs, and never removes it:
the gc's callback list keeps every tracker and its samples.
"""

from __future__ import annotations

import gc
from typing import Any

EXPECT = {
    "leak": True,
    "types": ["gc_callback_trackers.PauseTracker"],
    "retainer": [".callbacks", ".__self__"],
    "mechanism": "gc.callbacks entry appended per call",
}

_COUNTER = [0]


class PauseTracker:
    def __init__(self, job: int) -> None:
        self.job = job
        self.samples: list[int] = []

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and len(self.samples) < 4:
            self.samples.append(int(info.get("collected", 0)))


def teardown() -> None:
    gc.callbacks[:] = [
        c for c in gc.callbacks if not isinstance(getattr(c, "__self__", None), PauseTracker)
    ]


def action() -> int:
    _COUNTER[0] += 1
    tracker = PauseTracker(_COUNTER[0])
    gc.callbacks.append(tracker.on_gc)
    return tracker.job
