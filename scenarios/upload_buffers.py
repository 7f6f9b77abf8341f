"""LEAKS: bytes buffers accumulating.

A chunked-upload receiver collects each upload's chunks in ``_UPLOADS``
until the last one arrives, then joins them and stores the file. It reads
the chunks with ``_UPLOADS[upload_id]`` instead of ``pop``-ing them: every
upload's chunks stay in memory after it completed.
"""

from __future__ import annotations

import hashlib

EXPECT = {
    "leak": True,
    "types": ["bytes"],
    "retainer": ["._UPLOADS"],
    "mechanism": "bytes buffers accumulating",
}

CHUNK = 1024
_UPLOADS: dict[str, list[bytes]] = {}
_STORED: dict[str, str] = {}  # upload id -> digest; bounded below
_COUNTER = [0]


def receive_chunk(upload_id: str, chunk: bytes) -> None:
    _UPLOADS.setdefault(upload_id, []).append(chunk)


def complete(upload_id: str) -> str:
    data = b"".join(_UPLOADS[upload_id])  # should be _UPLOADS.pop(upload_id)
    digest = hashlib.sha256(data).hexdigest()
    _STORED[upload_id] = digest
    if len(_STORED) > 16:
        del _STORED[next(iter(_STORED))]
    return digest


def action() -> str:
    _COUNTER[0] += 1
    upload_id = f"up-{_COUNTER[0]:07d}"
    for i in range(4):
        receive_chunk(upload_id, bytes([(_COUNTER[0] + i) % 256]) * CHUNK)
    return complete(upload_id)
