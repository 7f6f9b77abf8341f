"""DOES NOT LEAK (control): a ``deque(maxlen=...)`` of recent requests.

The debug page shows the last 100 requests. Each call appends 60 records to
a ``collections.deque(maxlen=100)``: it fills during warm-up and then drops
the oldest record for each new one.
"""

from __future__ import annotations

from collections import deque

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "deque(maxlen=...) ring buffer",
}


class RequestRecord:
    def __init__(self, path: str, status: int, millis: float) -> None:
        self.path = path
        self.status = status
        self.millis = millis


RECENT: deque[RequestRecord] = deque(maxlen=100)
_COUNTER = [0]


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    for i in range(60):
        RECENT.append(RequestRecord(f"/orders/{n}/{i}", 200 if i % 9 else 500, (n + i) % 37 / 3))
    errors = [r for r in RECENT if r.status >= 500]
    return len(errors) / len(RECENT)
