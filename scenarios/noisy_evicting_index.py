"""DOES NOT LEAK (control): heavy churn plus a small cache that evicts.

Each call builds 4,000 temporary dicts and tuples, and records the batch's
summary in a dict that keeps the 5 newest entries (it evicts the oldest
itself): lots of noise, no growth.
"""

from __future__ import annotations

EXPECT = {
    "leak": False,
    "types": [],
    "retainer": [],
    "mechanism": "churn of thousands of temporaries with a self-evicting dict",
}


class Summary:
    def __init__(self, batch: int, total: int) -> None:
        self.batch = batch
        self.total = total


_RECENT: dict[int, Summary] = {}
_COUNTER = [0]


def action() -> int:
    _COUNTER[0] += 1
    n = _COUNTER[0]
    rows = [{"id": n * 4000 + i, "pair": (i, i * 2)} for i in range(4000)]
    total = sum(r["pair"][1] for r in rows)
    _RECENT[n] = Summary(n, total)
    while len(_RECENT) > 5:
        del _RECENT[min(_RECENT)]
    return total
