"""DOES NOT LEAK (control): a connection pool that grows up to its ``maxsize``.

Each request checks out four connections and returns them; the pool opens
a new one when none is idle and keeps returned ones up to ``maxsize`` (64).
Concurrency ramps up over the first calls, so the idle list grows for a
dozen calls and then stays at 64.
"""

from __future__ import annotations

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "pool that keeps idle connections up to its maxsize, still filling",
}


class Connection:
    def __init__(self, number: int) -> None:
        self.number = number
        self.buffer = bytearray(64)


class Pool:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.opened = 0
        self._idle: list[Connection] = []

    def checkout(self) -> Connection:
        if self._idle:
            return self._idle.pop()
        self.opened += 1
        return Connection(self.opened)

    def checkin(self, conn: Connection) -> None:
        if len(self._idle) < self.maxsize:
            self._idle.append(conn)


POOL = Pool(maxsize=64)
_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    busy = [POOL.checkout() for _ in range(min(4 * _COUNTER[0], 80))]  # ramping load
    for conn in busy:
        conn.buffer[0] = conn.number % 256
    for conn in busy:
        POOL.checkin(conn)
    return len(busy)
