"""LEAKS: a session cache keyed by the request id instead of the user id.

Every request misses the cache, builds a Session and stores it under a key
no later request will ever ask for again: ``_SESSIONS`` grows by one Session
(with its cart and permissions) per call, for ever.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["cache_per_request.Session"],
    "retainer": ["._SESSIONS"],
    "mechanism": "dict cache keyed per request",
}

ROLES = ("viewer", "editor", "admin")


class Session:
    def __init__(self, request_id: str, user: str) -> None:
        self.request_id = request_id
        self.user = user
        self.permissions = {ROLES[len(user) % 3], "viewer"}
        self.cart: list[tuple[str, int]] = []


_SESSIONS: dict[str, Session] = {}
_COUNTER = [0]


def load_session(request_id: str, user: str) -> Session:
    # the bug: the key should be the user; a request id is never seen twice
    session = _SESSIONS.get(request_id)
    if session is None:
        session = _SESSIONS[request_id] = Session(request_id, user)
    return session


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    session = load_session(f"req-{n:08d}", user=f"user-{n % 50:03d}")
    session.cart.append((f"sku-{n % 17}", 1 + n % 3))
    return sum(qty for _, qty in session.cart)
