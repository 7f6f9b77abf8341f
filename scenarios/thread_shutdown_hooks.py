"""LEAKS: a ``threading._register_atexit`` hook per call.

A background uploader registers a flush hook with ``threading``'s shutdown
hooks (run before the interpreter joins non-daemon threads) for each batch
it starts, and never removes it: ``threading._threading_atexits`` keeps
every bound method, and every batch through ``.__self__``.
"""

from __future__ import annotations

import threading

EXPECT = {
    "leak": True,
    "types": ["thread_shutdown_hooks.UploadBatch"],
    "retainer": ["._threading_atexits", ".__self__"],
    "mechanism": "threading shutdown hook registered per call",
}

_COUNTER = [0]


class UploadBatch:
    def __init__(self, number: int) -> None:
        self.number = number
        self.pending = [b"row" * 8 for _ in range(4)]

    def flush(self) -> None:
        self.pending.clear()


def teardown() -> None:
    hooks = getattr(threading, "_threading_atexits", [])
    hooks[:] = [h for h in hooks if not isinstance(getattr(h, "__self__", None), UploadBatch)]


def action() -> int:
    _COUNTER[0] += 1
    batch = UploadBatch(_COUNTER[0])
    threading._register_atexit(batch.flush)  # type: ignore[attr-defined]
    return len(batch.pending)
