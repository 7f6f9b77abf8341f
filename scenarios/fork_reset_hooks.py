"""LEAKS: an ``os.register_at_fork`` callback per call.

Each request opens a client whose socket must be reset in a forked child,
so the client registers ``os.register_at_fork(after_in_child=client.reset)``.
The interpreter keeps those callbacks for ever (they cannot be
unregistered), and with them every client and its buffer. Only a WeakSet
used for a gauge refers to the clients from Python.
"""

from __future__ import annotations

import os
import weakref

EXPECT = {
    "leak": True,
    "types": ["fork_reset_hooks.MetricsClient"],
    "retainer": ["os.register_at_fork"],
    "mechanism": "os.register_at_fork callback registered per call",
    "oracle": "registry",
}

_CLIENTS: weakref.WeakSet[MetricsClient] = weakref.WeakSet()
_COUNTER = [0]


class MetricsClient:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.outbox = bytearray(512)
        self.sent = 0
        _CLIENTS.add(self)
        os.register_at_fork(after_in_child=self.reset)  # one per client, for ever

    def reset(self) -> None:
        self.outbox = bytearray(512)
        self.sent = 0

    def send(self, value: int) -> None:
        self.outbox[self.sent % 512] = value % 256
        self.sent += 1


def action() -> int:
    _COUNTER[0] += 1
    client = MetricsClient(f"udp://metrics:{8125 + _COUNTER[0] % 3}")
    for i in range(5):
        client.send(i)
    return client.sent
