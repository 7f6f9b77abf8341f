"""LEAKS: ``functools.lru_cache`` on a method.

The cache lives on the class's function, not on the instance, and ``self``
is part of every key. ``maxsize=None`` makes it unbounded: every request's
PriceCalculator (and its price list) stays in the cache for ever.
"""

from __future__ import annotations

import functools

EXPECT = {
    "leak": True,
    "types": ["lru_cache_method.PriceCalculator"],
    "retainer": [".unit_price"],
    "mechanism": "functools.lru_cache on a method (unbounded, self in the key)",
}

_BASE = {f"sku-{i}": 5.0 + i * 0.25 for i in range(40)}
_COUNTER = [0]


class PriceCalculator:
    def __init__(self, customer: str, discount: float) -> None:
        self.customer = customer
        self.discount = discount
        self.price_list = {sku: round(p * (1 - discount), 2) for sku, p in _BASE.items()}

    # the leak this scenario shows: lru_cache on a method, unbounded
    @functools.lru_cache(maxsize=None)  # noqa: B019, UP033
    def unit_price(self, sku: str) -> float:
        return self.price_list[sku]

    def quote(self, lines: list[tuple[str, int]]) -> float:
        return sum(self.unit_price(sku) * qty for sku, qty in lines)


def action() -> float:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    calc = PriceCalculator(f"customer-{n}", discount=(n % 4) / 20)
    return calc.quote([(f"sku-{(n + i) % 40}", 1 + i % 3) for i in range(6)])
