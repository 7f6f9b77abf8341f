"""DOES NOT LEAK (control): an ``lru_cache(maxsize=256)`` still filling.

Each quote prices a dozen SKUs never seen before through
``functools.lru_cache(maxsize=256)``. The cache grows every call for the
first twenty calls: a ten-call hunt sees it grow steadily. Its bound is
declared (``cache_info().maxsize``) and it stops at 256 entries.
"""

from __future__ import annotations

import functools

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "bounded lru_cache still filling during the measured calls",
}

_COUNTER = [0]


class Price:
    def __init__(self, sku: str, cents: int) -> None:
        self.sku = sku
        self.cents = cents


@functools.lru_cache(maxsize=256)
def list_price(sku: str) -> Price:
    return Price(sku, sum(map(ord, sku)) * 7 % 10_000)


def action() -> int:
    _COUNTER[0] += 1
    base = _COUNTER[0] * 12
    return sum(list_price(f"SKU-{base + i:06d}").cents for i in range(12))
