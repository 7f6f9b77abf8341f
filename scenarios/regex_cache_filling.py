"""DOES NOT LEAK (control): the ``re`` module's cache, still filling.

Each call compiles 30 search patterns built from the request's terms
(``re.compile`` keeps them in ``re._cache``, bounded by ``re._MAXCACHE``,
512 on CPython). Over a ten-call hunt the cache grows every call; it stops
at its bound.
"""

from __future__ import annotations

import re

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "module-level cache bounded by a module constant, still filling",
}

_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    text = "order 1234 shipped to warehouse 77 on monday"
    hits = 0
    for i in range(30):
        if re.search(rf"\b(?:order|item)\s+{n * 30 + i}\b|warehouse\s+{i}\d", text):
            hits += 1
    return hits
