"""DOES NOT LEAK (control): a ``deque(maxlen=400)`` of samples still filling.

A latency tracker keeps the last 400 samples per endpoint in a
``collections.deque(maxlen=400)`` and adds 25 a call: it grows for sixteen
calls, then drops the oldest sample for each new one.
"""

from __future__ import annotations

from collections import deque

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "deque(maxlen=...) still filling during the measured calls",
}


class Sample:
    __slots__ = ("endpoint", "micros")

    def __init__(self, endpoint: str, micros: int) -> None:
        self.endpoint = endpoint
        self.micros = micros


class LatencyTracker:
    def __init__(self) -> None:
        self.window: deque[Sample] = deque(maxlen=400)

    def record(self, endpoint: str, micros: int) -> None:
        self.window.append(Sample(endpoint, micros))

    def p50(self) -> int:
        values = sorted(s.micros for s in self.window)
        return values[len(values) // 2]


TRACKER = LatencyTracker()
_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    for i in range(25):
        TRACKER.record("/search", (n * 31 + i * 17) % 250)
    return TRACKER.p50()
