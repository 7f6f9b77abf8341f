"""LEAKS: a ``bytes`` payload re-joined with each chunk.

A stream recorder keeps, per camera, the whole recording as one ``bytes``
and appends each chunk with ``b"".join((old, chunk))``. The object count is
flat (one payload replaces the other); the bytes grow by 2 KiB a call.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["bytes"],
    "retainer": ["._STREAMS", ".payload"],
    "mechanism": "bytes object re-joined into a bigger one each call",
    "oracle": "bytes",
}


class Recording:
    def __init__(self, camera: str) -> None:
        self.camera = camera
        self.payload = b""
        self.chunks = 0

    def add(self, chunk: bytes) -> None:
        self.payload = b"".join((self.payload, chunk))
        self.chunks += 1


_STREAMS = {"lobby": Recording("lobby")}


def action() -> int:
    rec = _STREAMS["lobby"]
    rec.add(bytes([rec.chunks % 256]) * 2048)
    return len(rec.payload)
