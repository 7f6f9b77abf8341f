"""DOES NOT LEAK (control): a ``bytes`` tail rebuilt and trimmed every call.

A log shipper keeps the last 6 KiB of output for crash reports:
``tail = (tail + chunk)[-6144:]``. It grows for the first calls, while the
tail is shorter than its cap, then stays at 6 KiB.
"""

from __future__ import annotations

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "bytes rebuilt each call but trimmed to a fixed tail",
}


class Shipper:
    def __init__(self) -> None:
        self.tail = b""
        self.sent = 0

    def ship(self, chunk: bytes) -> None:
        self.sent += len(chunk)
        self.tail = (self.tail + chunk)[-6144:]


SHIPPER = Shipper()


def action() -> int:
    SHIPPER.ship(b"x" * 1500)
    return len(SHIPPER.tail)
