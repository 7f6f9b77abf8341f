"""LEAKS: closures capturing per-call data, kept in a long-lived list.

Each order event schedules a webhook delivery as a closure capturing the
request body. Deliveries go into ``_PENDING`` for a retry worker that drains
the list only when it is enabled, and it is not: every closure, and the body
bytes in its cell, stays.
"""

from __future__ import annotations

import json
from collections.abc import Callable

EXPECT = {
    "leak": True,
    "types": ["bytes"],
    "retainer": ["._PENDING", ".__closure__ cell 'body'"],
    "mechanism": "closures capturing per-call data in a long-lived list",
}

RETRY_WORKER_ENABLED = False
_PENDING: list[Callable[[], int]] = []
_COUNTER = [0]


def schedule_webhook(url: str, event: dict[str, object]) -> Callable[[], int]:
    body = json.dumps(event).encode()

    def deliver() -> int:
        return len(url) + len(body)  # a POST in real life

    _PENDING.append(deliver)
    return deliver


def drain() -> int:
    sent = 0
    while RETRY_WORKER_ENABLED and _PENDING:
        sent += _PENDING.pop()()
    return sent


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    event = {
        "type": "order.paid",
        "order": f"ord-{n:08d}",
        "amount": n * 3 % 1000,
        "pad": "x" * 200,
    }
    schedule_webhook("https://hooks.example.com/orders", event)
    return drain()
