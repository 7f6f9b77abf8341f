"""DOES NOT LEAK (control): a bounded ``lru_cache`` that fills during warm-up.

Each invoice normalizes 80 SKUs through ``functools.lru_cache(maxsize=128)``.
The cache grows on the first calls (a naive diff of calls 1 and 2 blames it),
is full by the end of warm-up, and from then on evicts as much as it adds.
"""

from __future__ import annotations

import functools

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "bounded lru_cache(maxsize=...) filled during warm-up",
}

CATALOG = 1000
_COUNTER = [0]


@functools.lru_cache(maxsize=128)
def normalize_sku(raw: str) -> tuple[str, str, int]:
    vendor, _, rest = raw.partition(":")
    family, _, number = rest.partition("-")
    return vendor.upper(), family.lower(), int(number)


def action() -> int:
    _COUNTER[0] += 1
    start = _COUNTER[0] * 80
    lines = [f"acme:Widget-{(start + i) % CATALOG}" for i in range(80)]
    return sum(normalize_sku(raw)[2] for raw in lines)
