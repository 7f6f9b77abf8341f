"""LEAKS: a worker pool that declares ``max_workers`` and keeps every worker.

The pool says it holds at most 8 idle workers, but ``release`` appends to
the idle deque unconditionally, so each batch leaves its workers behind. A
declared bound the container has long passed is no excuse.
"""

from __future__ import annotations

from collections import deque

EXPECT = {
    "leak": True,
    "types": ["overflow_deque_pool.Worker"],
    "retainer": [".idle"],
    "mechanism": "pool with a declared maximum that its idle deque exceeds",
}


class Worker:
    def __init__(self, number: int) -> None:
        self.number = number
        self.scratch = [0] * 16


class WorkerPool:
    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self.idle: deque[Worker] = deque()
        self.started = 0

    def acquire(self) -> Worker:
        self.started += 1
        return Worker(self.started)  # never reuses an idle worker

    def release(self, worker: Worker) -> None:
        self.idle.append(worker)  # bug: no check against max_workers


POOL = WorkerPool(max_workers=8)


def action() -> int:
    batch = [POOL.acquire() for _ in range(3)]
    for w in batch:
        w.scratch[0] = w.number
        POOL.release(w)
    return len(POOL.idle)
