"""DOES NOT LEAK (control): a hand-written bounded cache.

Geocoding results are cached in an OrderedDict trimmed to ``MAX_ENTRIES``
(least recently used first). Every call asks for new addresses, so the cache
grows during warm-up and then stays at its bound.
"""

from __future__ import annotations

from collections import OrderedDict

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "hand-written bounded dict cache",
}

MAX_ENTRIES = 100


class GeoCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def lookup(self, address: str) -> tuple[float, float]:
        hit = self._entries.get(address)
        if hit is not None:
            self._entries.move_to_end(address)
            return hit
        point = (float(len(address) % 90), float(sum(map(ord, address)) % 180))
        self._entries[address] = point
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return point


CACHE = GeoCache(MAX_ENTRIES)
_COUNTER = [0]


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    points = [CACHE.lookup(f"{n * 60 + i} Main Street, Springfield") for i in range(60)]
    return sum(lat for lat, _ in points)
