"""DOES NOT LEAK (control): thread-local scratch space on pool workers, reused.

Workers of a long-lived ``ThreadPoolExecutor`` keep a scratch buffer in
``threading.local`` and overwrite it on every task: per-thread state that
does not accumulate.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "thread-local scratch on pool workers, replaced each task",
}

_TLS = threading.local()
_STATE: dict[str, ThreadPoolExecutor] = {}
_COUNTER = [0]


def _work(n: int) -> int:
    _TLS.scratch = [n + i for i in range(200)]  # replaced, never appended to
    return sum(_TLS.scratch)


def setup() -> None:
    if "pool" not in _STATE:
        pool = _STATE["pool"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scratch")
        # start both workers now (a pool starts them on demand, at a call of its choosing)
        both = threading.Barrier(2)
        for f in [pool.submit(both.wait, 5) for _ in range(2)]:
            f.result()


def teardown() -> None:
    pool = _STATE.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True)


def action() -> int:
    setup()
    _COUNTER[0] += 1
    pool = _STATE["pool"]
    return sum(f.result() for f in [pool.submit(_work, _COUNTER[0] * k) for k in range(2)])
