"""LEAKS: a WeakKeyDictionary whose values refer back to their keys.

Request metadata is attached to each request in a WeakKeyDictionary, so it
should vanish with the request. But the metadata keeps a reference to the
request (for its audit trail), and the dictionary holds the metadata
strongly: the key can never die, and neither entry ever leaves.
"""

from __future__ import annotations

import weakref

EXPECT = {
    "leak": True,
    "types": ["weak_key_cycle.Request"],
    "retainer": ["._META", ".request"],
    "mechanism": "WeakKeyDictionary value referring to its key",
}


class Request:
    def __init__(self, path: str, user: str) -> None:
        self.path = path
        self.user = user
        self.headers = {"accept": "application/json", "x-user": user}


class RequestMeta:
    def __init__(self, request: Request, started: float) -> None:
        self.request = request  # the strong back-reference that defeats the weak key
        self.started = started
        self.spans: list[str] = []


_META: weakref.WeakKeyDictionary[Request, RequestMeta] = weakref.WeakKeyDictionary()
_COUNTER = [0]


def handle(request: Request) -> int:
    meta = _META[request] = RequestMeta(request, started=float(_COUNTER[0]))
    meta.spans.append(f"auth {request.user}")
    meta.spans.append(f"route {request.path}")
    return len(meta.spans)


def action() -> int:
    _COUNTER[0] += 1
    return handle(Request(f"/items/{_COUNTER[0]}", user=f"u{_COUNTER[0] % 40}"))
