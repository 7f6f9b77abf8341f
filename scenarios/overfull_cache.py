"""LEAKS: a cache that declares ``maxsize`` and grows past it.

A geocoding cache is written with a ``maxsize`` of 40, but its eviction
checks the wrong counter (hits, not entries), so it never evicts: it keeps
every address. A hunt must not excuse it as a bounded cache, since it holds
more entries than its own bound.
"""

from __future__ import annotations

EXPECT = {
    "leak": True,
    "types": ["overfull_cache.Location"],
    "retainer": ["._entries"],
    "mechanism": "cache that declares a maxsize and grows past it",
}


class Location:
    def __init__(self, address: str) -> None:
        self.address = address
        self.lat = (sum(map(ord, address)) % 180) - 90.0
        self.lon = (len(address) * 37 % 360) - 180.0


class GeoCache:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self._entries: dict[str, Location] = {}

    def lookup(self, address: str) -> Location:
        found = self._entries.get(address)
        if found is not None:
            self.hits += 1
            return found
        if self.hits > self.maxsize:  # bug: should be len(self._entries)
            self._entries.pop(next(iter(self._entries)))
        loc = self._entries[address] = Location(address)
        return loc


CACHE = GeoCache(maxsize=40)
_COUNTER = [0]


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    return sum(CACHE.lookup(f"{n * 6 + i} Harbour Road").lat for i in range(6))
