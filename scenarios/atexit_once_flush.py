"""DOES NOT LEAK (control): one ``atexit`` callback, registered on the first call.

A metrics buffer registers its flush with ``atexit`` lazily, once, the first
time it is used; later calls only add to the buffer, which is drained each
call.
"""

from __future__ import annotations

import atexit

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "atexit callback registered once (lazily)",
}


class Buffer:
    def __init__(self) -> None:
        self.rows: list[str] = []
        self.registered = False

    def add(self, row: str) -> None:
        if not self.registered:
            atexit.register(self.flush)
            self.registered = True
        self.rows.append(row)

    def flush(self) -> None:
        self.rows.clear()


BUFFER = Buffer()
_COUNTER = [0]


def teardown() -> None:
    atexit.unregister(BUFFER.flush)


def action() -> int:
    _COUNTER[0] += 1
    for i in range(20):
        BUFFER.add(f"metric.{i} {_COUNTER[0]}")
    n = len(BUFFER.rows)
    BUFFER.flush()
    return n
