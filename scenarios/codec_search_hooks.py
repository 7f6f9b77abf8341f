"""LEAKS: a ``codecs.register`` search function per call.

Each import job registers a search function for its legacy encoding alias,
a closure over the job's decoding table, and never unregisters it. The
interpreter's codec registry (a C-level list) keeps every closure and every
table.
"""

from __future__ import annotations

import codecs
import weakref
from collections.abc import Callable
from typing import Any, Optional

EXPECT = {
    "leak": True,
    "types": ["codec_search_hooks.DecodingTable"],
    "retainer": ["codecs"],
    "mechanism": "codecs search function registered per call",
    "oracle": "registry",
}

_REGISTERED: weakref.WeakSet[Callable[[str], Optional[Any]]] = weakref.WeakSet()  # for teardown
_COUNTER = [0]


class DecodingTable:
    def __init__(self, job: int) -> None:
        self.job = job
        self.mapping = {i: chr(0x400 + i) for i in range(16)}


def teardown() -> None:
    for fn in list(_REGISTERED):
        codecs.unregister(fn)


def action() -> int:
    _COUNTER[0] += 1
    table = DecodingTable(_COUNTER[0])
    alias = f"legacy_job_{_COUNTER[0]}"

    def search(name: str) -> Optional[Any]:
        if name == alias and table.job > 0:
            return codecs.lookup("latin-1")
        return None

    codecs.register(search)
    _REGISTERED.add(search)
    return len(table.mapping)
