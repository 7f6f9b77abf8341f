"""LEAKS: a ``str`` attribute rebuilt with ``+=`` every call.

An audit trail keeps its log as one string and appends each event with
``self.text += line``. Each call replaces the string with a longer one: the
number of objects stays the same while the bytes climb.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["str"],
    "retainer": ["._TRAIL", ".text"],
    "mechanism": "str attribute replaced by a longer one each call (no new objects)",
    "oracle": "bytes",
}


class AuditTrail:
    def __init__(self) -> None:
        self.text = ""
        self.events = 0

    def record(self, user: str, action: str) -> None:
        self.events += 1
        self.text += f"{self.events:08d} {user:<12} {action:<40}\n"


_TRAIL = AuditTrail()


def action() -> int:
    n = _TRAIL.events
    for i in range(6):
        _TRAIL.record(f"user{(n + i) % 17}", f"updated invoice {n + i}")
    return len(_TRAIL.text)
