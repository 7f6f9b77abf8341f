"""DOES NOT LEAK (control): lazy one-time initialization.

The routing table (compiled patterns and handler metadata) is built on the
first request and reused after that. The first call allocates a lot, which
a naive before/after diff of one call reports as growth; later calls add
nothing.
"""

from __future__ import annotations

import re
from typing import Optional

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "lazy one-time initialization",
}


class Route:
    def __init__(self, pattern: str, handler: str) -> None:
        self.pattern = re.compile(pattern)
        self.handler = handler
        self.methods = frozenset({"GET", "HEAD"})


_ROUTES: Optional[list[Route]] = None
_COUNTER = [0]


def routes() -> list[Route]:
    global _ROUTES
    if _ROUTES is None:
        _ROUTES = [Route(rf"^/api/v1/resource{i}/(?P<id>\d+)$", f"handler_{i}") for i in range(60)]
    return _ROUTES


def dispatch(path: str) -> str:
    for route in routes():
        if route.pattern.match(path):
            return route.handler
    return "not_found"


def action() -> str:
    _COUNTER[0] += 1
    return dispatch(f"/api/v1/resource{_COUNTER[0] % 60}/{_COUNTER[0]}")
