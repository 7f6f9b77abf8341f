"""DOES NOT LEAK (control): a ``queue.Queue(maxsize=200)`` backlog still filling.

A producer enqueues 15 jobs per call for a consumer that is paused; a full
queue drops new jobs (``put_nowait`` and ``queue.Full``). The backlog grows
for thirteen calls, then stays at the queue's ``maxsize``.
"""

from __future__ import annotations

import queue

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "queue.Queue(maxsize) backlog still filling",
}


class Job:
    def __init__(self, number: int) -> None:
        self.number = number
        self.payload = {"attempt": 0, "number": number}


BACKLOG: queue.Queue[Job] = queue.Queue(maxsize=200)
_COUNTER = [0]
_DROPPED = [0]


def action() -> int:
    for _ in range(15):
        _COUNTER[0] += 1
        try:
            BACKLOG.put_nowait(Job(_COUNTER[0]))
        except queue.Full:
            _DROPPED[0] += 1
    return BACKLOG.qsize()
