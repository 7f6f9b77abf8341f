"""DOES NOT LEAK (control): a ``str`` attribute replaced by one of the same size.

A progress reporter rebuilds its status line every call (a new string each
time, fixed width): the string is replaced, never grown.
"""

from __future__ import annotations

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "str attribute replaced by one of the same length each call",
}


class Progress:
    def __init__(self) -> None:
        self.done = 0
        self.line = ""
        self.blob = b""

    def advance(self) -> None:
        self.done += 1
        self.line = f"[{'#' * (self.done % 40):<40}] {self.done:>10d} items"
        self.blob = bytes([self.done % 256]) * 4096


PROGRESS = Progress()


def action() -> int:
    PROGRESS.advance()
    return len(PROGRESS.line)
